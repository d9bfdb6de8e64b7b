#!/usr/bin/env bash
# npm run check:sql-current: our migrations and queries on a current ClickHouse (chDB from PyPI).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
python3 -c 'import chdb' 2>/dev/null || python3 -m pip install -q chdb
npm run --silent build
node dist/scripts/sql-statements.js | python3 scripts/check-sql-current.py
