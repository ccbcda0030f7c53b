#!/usr/bin/env bash
# The whole test suite (npm test): build, start the real services (and install the browser of
# the dashboard's tests), run jest against them.
# Extra arguments go to jest: `npm test -- test/unit`, `npm test -- -t kafka`.
# Test files run in parallel workers (jest.config.js: every test has resources of its own);
# TEST_WORKERS bounds them (default 5 on the 2 cores: the services tests wait on the services and on
# their child processes; jest took 335.5 s with 3, 317.6-321.7 s with 4 and 305.9 s with 5 here;
# BENCHMARKS.md, 2026-12-04). Crash tests print their seed; TEST_SEED=<seed> replays a schedule.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

npm run build
# the services' JVMs compile with C1 only when this script starts them (scripts/services-lib.sh
# jit_mode); services already running keep theirs
export TEST_SERVICES_JIT=c1
PINPIPE_SERVICES_JIT="$TEST_SERVICES_JIT" bash scripts/services-up.sh >/dev/null
# the dashboard's browser tests (test/browser) drive Debian's chromium, installed when missing
TEST_CHROMIUM="$(bash scripts/browser.sh)"
export TEST_CHROMIUM

# tests read TEST_* and build their configs explicitly; no PINPIPE_* setting leaks into them
export TEST_KAFKA_BROKERS=127.0.0.1:9092
export TEST_S3_ENDPOINT=http://127.0.0.1:9000
export TEST_MYSQL_URL=mysql://pinpipe:pinpipe@127.0.0.1:3306/pinpipe
export TEST_REDIS_URL=redis://127.0.0.1:6379
export TEST_SPARK_MASTER=spark://127.0.0.1:7077
# where the services keep their state (the Spark test kills and restarts the worker)
export TEST_SERVICES_DIR="${PINPIPE_SERVICES_DIR:-/var/tmp/pinpipe-services}"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
while read -r name; do unset "$name"; done < <(compgen -e | grep '^PINPIPE_' || true)

summary="$(mktemp)"
trap 'rm -f "$summary"' EXIT
rc=0
NODE_OPTIONS="--experimental-vm-modules${NODE_OPTIONS:+ $NODE_OPTIONS}" npx jest --maxWorkers="${TEST_WORKERS:-5}" --json --outputFile="$summary" "$@" || rc=$?
# one plain closing line with the counts
node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""))' "$summary" 2>/dev/null || true
exit "$rc"
