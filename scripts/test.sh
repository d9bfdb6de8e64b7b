#!/usr/bin/env bash
# npm test: install what is missing, start the real services, build, run every test.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/services.sh up
npm run --silent build
# One file at a time: the fault tests stop and start services of their own.
exec node --enable-source-maps --test --test-concurrency=1 dist/test/unit/ dist/test/integration/
