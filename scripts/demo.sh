#!/usr/bin/env bash
# npm run demo: install what is missing, start ClickHouse + Kafka, start Driftwatch, and feed
# it synthetic traffic (a day of history, then live traffic that drifts after 5 minutes).
# Runs in the foreground; Ctrl-C stops Driftwatch and the generator (services keep running:
# npm run services:down stops them).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/services.sh up
npm run --silent build

state=${DRIFTWATCH_STATE_DIR:-$PWD/.services}
mkdir -p "$state"
port=${PORT:-8080}
node --enable-source-maps --max-old-space-size=160 --max-semi-space-size=4 --initial-old-space-size=64 dist/cli/main.js start > "$state/driftwatch.log" 2>&1 &
driftwatch_pid=$!
generator_pid=""
cleanup() {
  [ -n "$generator_pid" ] && kill -TERM "$generator_pid" 2>/dev/null || true
  kill -TERM "$driftwatch_pid" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

deadline=$((SECONDS + 60))
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do
  if ! kill -0 "$driftwatch_pid" 2>/dev/null; then
    echo "driftwatch exited during start-up; its log:" >&2; tail -n 30 "$state/driftwatch.log" >&2; exit 1
  fi
  [ $SECONDS -lt $deadline ] || { echo "driftwatch not ready after 60 s; see $state/driftwatch.log" >&2; exit 1; }
  sleep 0.5
done

# A five-minute monitor next to the model's default hourly one, so the drift that starts five
# minutes in shows up within minutes, not at the end of the hour.
curl -sf -X PUT "http://127.0.0.1:$port/v1/monitors/credit-risk-5m" -H 'content-type: application/json' \
  -d '{"model_id": "credit-risk", "window": "5m", "reference": {"type": "trailing", "length": "6h", "offset": "0s"}, "catch_up": "2h", "min_events": 50}' >/dev/null

node dist/cli/main.js generate --backfill-hours 24 --rate 20 --drift-after 300 > "$state/generator.log" 2>&1 &
generator_pid=$!

cat <<MSG

Driftwatch is running with demo traffic (model "credit-risk": 24 h of history, then 20
predictions/s live, drifting after 5 minutes).
  models:   curl http://127.0.0.1:$port/v1/models
  drift:    curl 'http://127.0.0.1:$port/v1/models/credit-risk/drift?monitor=credit-risk-5m&limit=12'
  accuracy: curl 'http://127.0.0.1:$port/v1/models/credit-risk/performance?monitor=credit-risk-5m&limit=12'
  monitors: curl http://127.0.0.1:$port/v1/monitors
  API docs: http://127.0.0.1:$port/docs
  metrics:  http://127.0.0.1:$port/metrics
  ingest:   curl -X POST http://127.0.0.1:$port/v1/ingest/predictions -H 'content-type: application/json' -d @event.json
  logs:     $state/driftwatch.log, $state/generator.log
Press Ctrl-C to stop (npm run services:down stops ClickHouse and Kafka).
MSG
wait "$driftwatch_pid"
