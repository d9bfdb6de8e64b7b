#!/usr/bin/env bash
# npm run bench:<name>: services up, build, run bench/<name>.ts (figures on stdout and bench/out/).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
name=${1:?usage: scripts/bench.sh ingest}
[ -d node_modules ] || npm ci --no-audit --no-fund
# The Kafka client comparison needs the candidate client, which the product does not depend on.
if [ "$name" = kafka-clients ] && [ ! -d node_modules/@platformatic/kafka ]; then
  npm install --no-save --no-audit --no-fund @platformatic/kafka@1.35.0
fi
bash scripts/services.sh up
npm run --silent build
exec node --enable-source-maps "dist/bench/$name.js"
