#!/usr/bin/env bash
# npm test: everything a change must pass, on a machine with only Node.js, npm and Python (scripts/ensure-chromium.sh
# brings the browser). Lint, import rules, types, the packaged stacks, then Jest.
#
# The suites on the emulator run in two more Jests beside the rest (below), so the whole run takes about the longest
# lane rather than their sum. Arguments go to Jest and run only what they select (`npm test --
# test/e2e/pipeline.test.ts`), in one Jest.
#
# CI allows 10 minutes for install and test on two cores, so nothing waits that need not: the browser's install (on a
# fresh machine apt-get, mostly network) runs while the stacks are packaged and the checks run; the emulator lanes
# start as soon as the stacks are packaged (they need no browser); the checks (lint, import rules, types) report at
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

# The emulator suites run in two more Jests beside the rest, all three started at once: the AWS failure scenarios
# (test/e2e/aws-failures.test.ts: about five minutes, mostly waiting for retries' real-time backoff, three stages that
# idle cheaply since their pollers long-poll) and the suites that keep both cores busy (the pipeline on the packaged
# stacks, `refinery emulate`, the scale and fairness benches' tests). The run is bound by the two cores' total work
# (measured, CPU seconds on a fresh clone: the rest 363, the busy suites 206, the failure scenarios 157) and by the
# failure scenarios' wall time; running them one after another cost 491 s (the longest lane plus the tail after it),
# at once 376-435 s (quiet fresh clones, install apart: about 105 s here).
WAITING=(test/e2e/aws-failures.test.ts)
BUSY=(test/e2e/aws-pipeline.test.ts test/e2e/emulate-cli.test.ts test/e2e/scale-bench.test.ts test/e2e/fairness.test.ts)
SLOW=("${WAITING[@]}" "${BUSY[@]}")
background failure-scenarios npx jest --runInBand "${WAITING[@]}"
background emulator-suites npx jest --runInBand "${BUSY[@]}"

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
finish failure-scenarios || slow_status=$?
echo "npm test: $((SECONDS - started)) s"
if [ "$status" -ne 0 ] || [ "$checks_status" -ne 0 ] || [ "$jest_status" -ne 0 ] || [ "$slow_status" -ne 0 ]; then
  echo "npm test: failed (browser: $status, lint/imports/types: $checks_status, jest: $jest_status, the emulator suites: $slow_status)" >&2
  exit 1
fi
