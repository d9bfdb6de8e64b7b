#!/usr/bin/env bash
# Installs what is missing and starts/stops the development services with their defaults:
# ClickHouse (scripts/clickhouse.sh) and Kafka (scripts/kafka.sh).
#
#   scripts/services.sh up|down|status        (npm run services:up / services:down)
#
# Safe to repeat. State lives in $DRIFTWATCH_STATE_DIR (default <repo>/.services), the Kafka
# jars in $DRIFTWATCH_CACHE_DIR (default ~/.cache/driftwatch). Prints one line per service.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() { echo "usage: $(basename "$0") up|down|status" >&2; exit 2; }
[ $# -eq 1 ] || usage

case "$1" in
  up)
    # start installs ClickHouse (apt) and fetches the Kafka jars (Maven) when missing.
    bash "$SCRIPT_DIR/clickhouse.sh" start
    bash "$SCRIPT_DIR/kafka.sh" start
    ;;
  down)
    # Each stop waits until its process has exited, so `up` may follow at once.
    bash "$SCRIPT_DIR/kafka.sh" stop
    bash "$SCRIPT_DIR/clickhouse.sh" stop
    echo "clickhouse: stopped"
    echo "kafka: stopped"
    ;;
  status)
    rc=0
    bash "$SCRIPT_DIR/clickhouse.sh" status || rc=1
    bash "$SCRIPT_DIR/kafka.sh" status || rc=1
    exit "$rc"
    ;;
  *) usage ;;
esac
