#!/usr/bin/env bash
# Adds 19 synthetic track events per contact (19M for 1M contacts) to a scale store, spread over the 90 days before
# 2026-12-07, so the store holds ~20M events for the report timings. Names: 55 % page_viewed, 20 % product_viewed,
# 8 % email_opened, 6 % email_clicked, 5 % cart_abandoned, 6 % order_completed (revenue 10–500).
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
WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 19),
rows AS (
  SELECT c.id AS contact, c.user_id AS user, c.rowid AS r, k.n AS n,
         ((c.rowid * 19 + k.n) * 2654435761) % 4294967296 AS h
  FROM contacts c, k
  WHERE c.rowid > $from AND c.rowid <= $((from + step)) AND c.merged_into IS NULL
),
named AS (
  SELECT contact, user, r, n, h,
         CASE WHEN h % 100 < 55 THEN 'page_viewed' WHEN h % 100 < 75 THEN 'product_viewed' WHEN h % 100 < 83 THEN 'email_opened'
              WHEN h % 100 < 89 THEN 'email_clicked' WHEN h % 100 < 94 THEN 'cart_abandoned' ELSE 'order_completed' END AS name,
         $end - (h % $span) AS ts
  FROM rows
)
INSERT INTO events (message_id, contact_id, type, name, timestamp, received_at, json)
SELECT 'syn-' || r || '-' || n, contact, 'track', name, ts, ts,
       json_object('type', 'track', 'messageId', 'syn-' || r || '-' || n, 'userId', user, 'event', name,
                   'properties', CASE name WHEN 'order_completed' THEN json_object('order_id', 'o' || r || n, 'revenue', 10 + (h / 100) % 491)
                                           WHEN 'page_viewed' THEN json_object('url', '/p/' || (h % 5000), 'title', 'Product page')
                                           ELSE json_object('sku', 'sku-' || (h % 2000)) END,
                   'timestamp', strftime('%Y-%m-%dT%H:%M:%fZ', ts / 1000000.0, 'unixepoch'))
FROM named;
COMMIT;
SQL
  echo "$(date +%T) contacts up to $((from + step)) of $max"
done
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE); select count(*) from events;"
