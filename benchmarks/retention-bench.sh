#!/usr/bin/env bash
# Ingest p99 with and without the retention pass deleting old events (docs/benchmarks-retention.md).
# Builds a SQLite store holding N events dated two years ago (no contacts needed: retention reads the events table only),
# starts `cairn serve` on it, runs the load generator for DURATION seconds with no policy, then stores a 365-day events
# policy, starts a pass (POST /api/retention/run) and runs the same load while it deletes.
# Usage: bash benchmarks/retention-bench.sh N [DURATION] [CONCURRENCY] [RATE]   e.g. bash benchmarks/retention-bench.sh 10000000 30 8 3000
# RATE (events/s offered, an open loop; 0 = as fast as the clients go) measures latency at a load the server can carry.
# Needs: sqlite3, curl, a Release build (dotnet build src/Cairn.Server -c Release -p:CairnSkipConsole=true).
set -euo pipefail
n=${1:?N events}; duration=${2:-20}; concurrency=${3:-4}; rate=${4:-0}
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d /tmp/cairn-retention-bench.XXXX); url=http://127.0.0.1:5397
export CAIRN_WRITE_KEY=cwk_bench CAIRN_API_KEY=cak_bench
start() { dotnet "$root/src/Cairn.Server/bin/Release/net10.0/cairn.dll" serve --data "$dir" --urls "$url" > "$dir/serve.log" 2>&1 & pid=$!; until curl -sf "$url/readyz" > /dev/null; do sleep 0.5; done; }
start; kill "$pid"; wait "$pid" || true
old=$(( ($(date +%s) - 2 * 365 * 86400) * 1000000 ))
echo "seeding $n old events…"; t0=$(date +%s)
sqlite3 "$dir/cairn.db" <<SQL
PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
BEGIN;
WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < $n)
INSERT INTO events (message_id, contact_id, type, name, timestamp, received_at, json)
SELECT 'old-' || i, 'c' || (i % 100000), 'track', CASE i % 3 WHEN 0 THEN 'Page Viewed' WHEN 1 THEN 'Product Viewed' ELSE 'Order Completed' END,
       $old + i * 1000, $old + i * 1000, '{"type":"track","event":"Page Viewed","properties":{"url":"/p"}}'
FROM k;
COMMIT;
SQL
echo "seeded in $(( $(date +%s) - t0 )) s"
start
load() { dotnet run -c Release --project "$root/benchmarks/Cairn.Benchmarks" -- loadgen --url "$url" --write-key "$CAIRN_WRITE_KEY" --contacts 100000 --duration "$duration" --batch 100 --concurrency "$concurrency" --rate "$rate"; }
echo "== without retention"; load
curl -sf -X PUT "$url/api/retention" -H "Authorization: Bearer $CAIRN_API_KEY" -H 'Content-Type: application/json' -d '{"events":{"days":365}}' > /dev/null
t1=$(date +%s); curl -sf -X POST "$url/api/retention/run" -H "Authorization: Bearer $CAIRN_API_KEY" > "$dir/run.json" & run=$!
sleep 2
echo "== while the pass deletes"; load
wait "$run"; echo "pass: $(( $(date +%s) - t1 )) s; $(grep -o '"kind":"events"[^}]*' "$dir/run.json" | head -1)"
kill "$pid"; wait "$pid" || true
echo "store: $dir"
