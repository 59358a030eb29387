#!/usr/bin/env bash
# npm test: everything a change must pass, on a machine with only Node.js, npm and Python (scripts/ensure-chromium.sh
# brings the browser). Lint, import rules, types, the packaged stacks, then Jest.
#
# The suites on the emulator run in a second Jest beside the rest, so the whole run takes the longer of the two rather
# than their sum: the AWS failure scenarios (test/e2e/aws-failures.test.ts) spend about five minutes mostly waiting
# (retries back off in real time; a provider's 2-minute outage is waited out), which leaves a core free for the
# pipeline on the packaged stacks and `refinery emulate` (about two minutes of work). Arguments go to Jest and run
# only what they select (`npm test -- test/e2e/pipeline.test.ts`), in one Jest.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-chromium.sh
npm run lint
npm run lint:imports
npm run typecheck
npm run package

if [ $# -gt 0 ]; then
  exec npx jest "$@"
fi

# test/e2e/fairness.test.ts (half a minute) runs there too, only to even the two lanes out: on two cores the first lane
# is one Jest worker, and the whole run is as long as the longer lane.
SLOW=(test/e2e/aws-failures.test.ts test/e2e/aws-pipeline.test.ts test/e2e/emulate-cli.test.ts test/e2e/scale-bench.test.ts test/e2e/fairness.test.ts)
slow_log="$(mktemp)"
trap 'rm -f "$slow_log"' EXIT
npx jest --runInBand "${SLOW[@]}" > "$slow_log" 2>&1 &
slow_pid=$!

status=0
npx jest --testPathIgnorePatterns "${SLOW[@]}" || status=$?

slow_status=0
wait "$slow_pid" || slow_status=$?
echo
echo "── ${SLOW[*]} (run beside the rest) ──"
cat "$slow_log"
if [ "$status" -ne 0 ] || [ "$slow_status" -ne 0 ]; then
  echo "npm test: failed (jest: $status, the emulator suites: $slow_status)" >&2
  exit 1
fi
