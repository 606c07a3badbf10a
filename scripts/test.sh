#!/usr/bin/env bash
# The one test command (`npm test`): system packages, type check, then every suite — the server and
# packages (Vitest), the web app's unit tests (ng test), and the browser end-to-end tests
# (Playwright on Debian's Chromium). Every suite runs even if an earlier one failed; each one's
# output is kept in test-results/ and scripts/test-summary.mjs adds them up.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p test-results
rm -f test-results/*.log test-results/vitest.json

bash scripts/system-deps.sh || exit 1
npx tsc -b || { echo "type check failed"; exit 1; }

failed=0
run() { # name, command...
  local name=$1; shift
  echo "=== $name: $*"
  "$@" 2>&1 | tee "test-results/$name.log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || failed=1
}
run server npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json "$@"
if [ $# -eq 0 ]; then # a filtered run (npm test -- <path>) is for the server suites only
  run web bash -c 'cd apps/web && timeout 900 npx ng test --watch=false'
  run e2e node e2e/run.mjs --build
fi
node scripts/test-summary.mjs
exit $failed
