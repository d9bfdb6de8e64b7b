#!/usr/bin/env bash
# npm run bench:<name>: services up, build, run bench/<name>.ts (figures on stdout and bench/out/).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
name=${1:?usage: scripts/bench.sh ingest}
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/services.sh up
npm run --silent build
exec node --enable-source-maps "dist/bench/$name.js"
