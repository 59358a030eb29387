#!/usr/bin/env bash
# npm test: everything a change must pass, on a machine with only Node.js, npm and Python (scripts/ensure-chromium.sh
# brings the browser). Lint, import rules, types, the packaged stacks, then Jest.
#
# The suites on the emulator run in a second Jest beside the rest, so the whole run takes the longer of the two rather
# than their sum: the AWS failure scenarios (test/e2e/aws-failures.test.ts) spend about five minutes mostly waiting
# (retries back off in real time; a provider's 2-minute outage is waited out), which leaves a core free for the
# pipeline on the packaged stacks and `refinery emulate` (about two minutes of work). Arguments go to Jest and run
# only what they select (`npm test -- test/e2e/pipeline.test.ts`), in one Jest.
#
# CI allows 10 minutes for install and test on two cores, so nothing waits that need not: the browser's install (on a
# fresh machine apt-get, mostly network) runs while the stacks are packaged and the checks run; the emulator lane
# starts as soon as the stacks are packaged (it needs no browser); the checks (lint, import rules, types) report at
# the end with the rest. Each step's wall time is printed, so a slow run says where its time went.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$SECONDS
logs="$(mktemp -d)"
pids=()
trap 'kill "${pids[@]}" 2> /dev/null || true; rm -rf "$logs"' EXIT

# Runs a step in the background; its output goes to $logs/<name>.log and its status to $logs/<name>.status.
background() {
  local name="$1"
  shift
  (
    local step_started=$SECONDS
    status=0
    "$@" > "$logs/$name.log" 2>&1 || status=$?
    # The status last: finish() waits for it, then reads the seconds.
    echo "$((SECONDS - step_started))" > "$logs/$name.seconds"
    echo "$status" > "$logs/$name.status"
  ) &
  pids+=($!)
}

# Waits for a background step; prints its output; its exit status is the step's.
finish() {
  local name="$1"
  while [ ! -f "$logs/$name.status" ]; do sleep 0.2; done
  echo
  echo "── $name ($(cat "$logs/$name.seconds") s; $((SECONDS - started)) s into npm test) ──"
  cat "$logs/$name.log"
  return "$(cat "$logs/$name.status")"
}

background chromium bash scripts/ensure-chromium.sh
background checks bash -c 'npm run -s lint && npm run -s lint:imports && npm run -s typecheck'
package_started=$SECONDS
npm run package
echo "package: $((SECONDS - package_started)) s"

if [ $# -gt 0 ]; then
  finish chromium
  finish checks
  exec npx jest "$@"
fi

# The emulator lane, in this order: first the AWS failure scenarios (five minutes of mostly waiting, while the rest
# runs beside them on two Jest workers), then the suites that keep both cores busy (the pipeline on the packaged
# stacks, `refinery emulate`, the scale and fairness benches' tests), by when the rest is about done. Both parts run
# whatever the first's outcome. Measured on a fresh clone of 2 cores: the rest on one worker beside all of them in one
# Jest took 510 s, the whole `npm test` 545 s; CI allows 600 with the install.
WAITING=(test/e2e/aws-failures.test.ts)
BUSY=(test/e2e/aws-pipeline.test.ts test/e2e/emulate-cli.test.ts test/e2e/scale-bench.test.ts test/e2e/fairness.test.ts)
SLOW=("${WAITING[@]}" "${BUSY[@]}")
emulator_suites() {
  local status=0
  npx jest --runInBand "${WAITING[@]}" || status=$?
  npx jest --runInBand "${BUSY[@]}" || status=$?
  return "$status"
}
background emulator-suites emulator_suites

# The rest drives the browser (the web page's tests): it starts once the browser is there.
status=0
finish chromium || status=$?
jest_status=0
if [ "$status" -eq 0 ]; then
  npx jest --maxWorkers 2 --testPathIgnorePatterns "${SLOW[@]}" || jest_status=$?
  echo "jest (the rest): done $((SECONDS - started)) s into npm test"
fi

checks_status=0
finish checks || checks_status=$?
slow_status=0
finish emulator-suites || slow_status=$?
echo "npm test: $((SECONDS - started)) s"
if [ "$status" -ne 0 ] || [ "$checks_status" -ne 0 ] || [ "$jest_status" -ne 0 ] || [ "$slow_status" -ne 0 ]; then
  echo "npm test: failed (browser: $status, lint/imports/types: $checks_status, jest: $jest_status, the emulator suites: $slow_status)" >&2
  exit 1
fi
