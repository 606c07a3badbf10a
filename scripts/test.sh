#!/usr/bin/env bash
# The one test command (`npm test`): system packages, type check, then every test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
npx tsc -b
npx vitest run "$@"
