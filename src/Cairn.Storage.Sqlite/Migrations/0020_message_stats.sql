-- Message performance: exact counters per day a message was sent (UTC, days since 1970-01-01), journey, template and
-- channel, moved in the transaction of every outbox change by the difference of the message's outcome before and after
-- (MessageCountState). On the outbox: the day a message is counted in (set when it is first sent), the first likely
-- machine open and click (kept apart from the recipient's opened_at and clicked_at), and the last click with a hash of
-- its link (a scanner follows every link of a message within seconds).
ALTER TABLE outbox ADD COLUMN stats_day BIGINT;
ALTER TABLE outbox ADD COLUMN machine_opened_at INTEGER;
ALTER TABLE outbox ADD COLUMN machine_clicked_at INTEGER;
ALTER TABLE outbox ADD COLUMN last_click_at INTEGER;
ALTER TABLE outbox ADD COLUMN last_click_link TEXT;

CREATE TABLE message_stats (
    day BIGINT NOT NULL,
    journey_id TEXT NOT NULL,
    template TEXT NOT NULL,
    channel TEXT NOT NULL,
    sent BIGINT NOT NULL,
    delivered BIGINT NOT NULL,
    bounced BIGINT NOT NULL,
    opened BIGINT NOT NULL,
    machine_opened BIGINT NOT NULL,
    any_opened BIGINT NOT NULL,
    clicked BIGINT NOT NULL,
    machine_clicked BIGINT NOT NULL,
    any_clicked BIGINT NOT NULL,
    unsubscribed BIGINT NOT NULL,
    complained BIGINT NOT NULL,
    PRIMARY KEY (day, journey_id, template, channel)
);

-- The messages sent before this migration, counted from their rows (their opens and clicks as the recipient's: the
-- machine ones were not told apart then).
UPDATE outbox SET stats_day = sent_at / 86400000000 WHERE sent_at IS NOT NULL;
INSERT INTO message_stats (day, journey_id, template, channel, sent, delivered, bounced, opened, machine_opened, any_opened, clicked, machine_clicked, any_clicked, unsubscribed, complained)
SELECT stats_day, journey_id, template, channel, COUNT(*),
    SUM(CASE WHEN status = 'delivered' THEN 1 ELSE 0 END),
    SUM(CASE WHEN status = 'bounced' THEN 1 ELSE 0 END),
    SUM(CASE WHEN opened_at IS NOT NULL THEN 1 ELSE 0 END), 0,
    SUM(CASE WHEN opened_at IS NOT NULL THEN 1 ELSE 0 END),
    SUM(CASE WHEN clicked_at IS NOT NULL THEN 1 ELSE 0 END), 0,
    SUM(CASE WHEN clicked_at IS NOT NULL THEN 1 ELSE 0 END),
    SUM(CASE WHEN unsubscribed_at IS NOT NULL THEN 1 ELSE 0 END),
    SUM(CASE WHEN complained_at IS NOT NULL THEN 1 ELSE 0 END)
FROM outbox WHERE stats_day IS NOT NULL
GROUP BY stats_day, journey_id, template, channel;
