-- A simulation replays a period's events in (timestamp, seq) order, a page at a time: this index lets each page be a
-- range read that stops at the page's size, where the indexes led by contact_id or name made it scan and sort the
-- whole table. (In SQLite seq is the rowid, which every index holds; naming it keeps the order explicit.)
CREATE INDEX events_time ON events (timestamp, seq);
