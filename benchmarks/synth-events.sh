#!/usr/bin/env bash
# Adds 19 synthetic track events per contact (19M for 1M contacts) to a scale store, spread over the 90 days before
# 2026-12-07, so the store holds ~20M events for the report timings. Names: 55 % page_viewed, 20 % product_viewed,
# 8 % email_opened, 6 % email_clicked, 5 % cart_abandoned, 6 % order_completed (revenue 10–500). Each order is also a
# workspace conversion (the conversions table the control-group report reads), as the default measurement settings
# (order_completed with revenue) would have recorded it; no message touched it.
# Usage: bash benchmarks/synth-events.sh DIR/cairn.db   (with the server stopped; needs the sqlite3 shell)
set -euo pipefail
db=$1
end=1796601600000000   # 2026-12-07T00:00:00Z in microseconds
span=$((90 * 86400 * 1000000))
max=$(sqlite3 "$db" "select max(rowid) from contacts")
step=50000
for ((from = 0; from <= max; from += step)); do
  sqlite3 "$db" <<SQL
PRAGMA journal_mode=WAL;
PRAGMA synchronous=NORMAL;
BEGIN;
CREATE TEMP TABLE named AS
WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 19),
rows AS (
  SELECT c.id AS contact, c.user_id AS user, c.bucket AS bucket, c.rowid AS r, k.n AS n,
         ((c.rowid * 19 + k.n) * 2654435761) % 4294967296 AS h
  FROM contacts c, k
  WHERE c.rowid > $from AND c.rowid <= $((from + step)) AND c.merged_into IS NULL
),
named AS (
  SELECT contact, user, bucket, r, n, h,
         CASE WHEN h % 100 < 55 THEN 'page_viewed' WHEN h % 100 < 75 THEN 'product_viewed' WHEN h % 100 < 83 THEN 'email_opened'
              WHEN h % 100 < 89 THEN 'email_clicked' WHEN h % 100 < 94 THEN 'cart_abandoned' ELSE 'order_completed' END AS name,
         $end - ((h * 1811) % $span) AS ts
  FROM rows
)
SELECT * FROM named;
INSERT INTO events (message_id, contact_id, type, name, timestamp, received_at, json)
SELECT 'syn-' || r || '-' || n, contact, 'track', name, ts, ts,
       json_object('type', 'track', 'messageId', 'syn-' || r || '-' || n, 'userId', user, 'event', name,
                   'properties', CASE name WHEN 'order_completed' THEN json_object('order_id', 'o' || r || n, 'revenue', 10 + (h / 100) % 491)
                                           WHEN 'page_viewed' THEN json_object('url', '/p/' || (h % 5000), 'title', 'Product page')
                                           ELSE json_object('sku', 'sku-' || (h % 2000)) END,
                   'timestamp', strftime('%Y-%m-%dT%H:%M:%fZ', ts / 1000000.0, 'unixepoch'))
FROM named;
INSERT INTO conversions (message_id, contact_id, at, revenue, bucket, touches)
SELECT 'syn-' || r || '-' || n, contact, ts, (10 + (h / 100) % 491) * 100, bucket, 0
FROM named WHERE name = 'order_completed';
DROP TABLE named;
COMMIT;
SQL
  echo "$(date +%T) contacts up to $((from + step)) of $max"
done
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE); select count(*) from events;"

# Two years of attribution credits (730 days × 5 models × 40 journeys × 3 channels, 438,000 rows) and their daily
# totals (days as the store keeps them: the day's start in microseconds), the worst case of the attribution report's
# counters; days already counted by the server are left alone.
sqlite3 "$db" <<SQL
PRAGMA journal_mode=WAL;
BEGIN;
WITH RECURSIVE d(day) AS (SELECT $end / 86400000000 - 730 UNION ALL SELECT day + 1 FROM d WHERE day < $end / 86400000000 - 1),
m(model) AS (VALUES ('first_touch'), ('last_touch'), ('linear'), ('time_decay'), ('position_based')),
j(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM j WHERE n < 40),
c(channel) AS (VALUES ('email'), ('sms'), ('push'))
INSERT OR IGNORE INTO attribution_credits (day, model, journey_id, template, channel, conversions, revenue)
SELECT day * 86400000000, model, 'synthetic-' || n, 'synthetic-' || n || '-' || channel, channel, 2.5, 250000 FROM d, m, j, c;
WITH RECURSIVE d(day) AS (SELECT $end / 86400000000 - 730 UNION ALL SELECT day + 1 FROM d WHERE day < $end / 86400000000 - 1)
INSERT OR IGNORE INTO attribution_days (day, conversions, revenue, unattributed, unattributed_revenue)
SELECT day * 86400000000, 300, 30000000, 0, 0 FROM d;
COMMIT;
SQL
