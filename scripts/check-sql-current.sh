#!/usr/bin/env bash
# npm run check:sql-current: our migrations and queries on a current ClickHouse (chDB from PyPI).
# The analyzer's statements are recorded first on the local 18.16 server (started if needed,
# database driftwatch_sqlcheck) by scripts/record-analyzer-sql.ts, then replayed in chDB with
# their answers compared. DRIFTWATCH_SQL_CHECK_NO_ANALYZER=1 skips that part.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
python3 -c 'import chdb' 2>/dev/null || python3 -m pip install -q chdb
npm run --silent build
analyzer_args=()
if [ "${DRIFTWATCH_SQL_CHECK_NO_ANALYZER:-}" != 1 ]; then
  bash scripts/clickhouse.sh start >/dev/null
  recorded=$(mktemp "${TMPDIR:-/tmp}/driftwatch-analyzer-sql.XXXXXX.json")
  trap 'rm -f "$recorded"' EXIT
  node dist/scripts/record-analyzer-sql.js >"$recorded"
  analyzer_args=(--analyzer "$recorded")
fi
node dist/scripts/sql-statements.js "${analyzer_args[@]}" | python3 scripts/check-sql-current.py
