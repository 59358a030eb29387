#!/usr/bin/env bash
# Packages the platform and every service for AWS, offline: no AWS account, no credentials, no network.
#
#   bash scripts/package-services.sh              # everything, through Serverless Compose (what CI runs)
#   bash scripts/package-services.sh matcher ...  # only these services, with `serverless package` (quick local loop)
#
# Each service ends up in services/<name>/.serverless/: cloudformation-template-update-stack.json (the resolved
# template) and refinery-<name>.zip (the esbuild bundle). test/infrastructure/cloudformation.test.ts reads them.
#
# Every service is packaged exactly once. Compose's `package` runs `serverless package --stage ci --param ...` in each
# service folder itself (node_modules/@serverless/compose/components/framework/index.js: no reuse, no cache), so
# packaging each service directly first and then with compose would do all the work twice. Measured on a 2-core
# machine: the seven `serverless package` runs one after the other take 53 s; compose runs them side by side in
# 21-34 s, which is what this script takes. Compose alone gives the same templates and also proves
# serverless-compose.yml resolves: its ${env:...} variables, its output -> param wiring and its dependency graph.
#
# Compose reads the outputs of services it would otherwise have deployed from its local state,
# .serverless/state.<stage>.json at the root (node_modules/@serverless/compose/src/state/LocalStateStorage.js:
# { service: { id }, components: { <name>: { outputs, state } } }), so this script seeds that file with stub outputs
# of every service (its configuration's Outputs, with names as stage `ci` of account 123456789012 would give them).
#
# A service's configuration is services/<name>/serverless.js, generated from its declaration (src/definition.ts) by
# @refinery/serverless-config; the platform's is the hand-written services/platform/serverless.yml.
# The direct mode passes the very same values, read from that file, as --param, so both modes build the same
# templates.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

export PATH="$ROOT/node_modules/.bin:$PATH"
export SLS_TELEMETRY_DISABLED=1 SLS_TRACKING_DISABLED=1 SLS_NOTIFICATIONS_MODE=off SLS_DISABLE_AUTO_UPDATE=1
# Packaging needs no credentials (nothing here calls AWS); a region keeps any SDK client the framework builds quiet.
export AWS_REGION="${AWS_REGION:-us-east-1}"

STAGE=ci
SERVICES=(platform ingest chunker matcher labeler merger notifier mailchimp-sync)
# serverless-esbuild never exits after a failed build (floydspace/serverless-esbuild#532): without a limit, one
# compile error would hold CI until its own timeout.
TIMEOUT_SECONDS="${PACKAGE_TIMEOUT_SECONDS:-600}"

# What serverless-compose.yml reads from the environment, as stubs. A real value in the caller's environment is
# ignored on purpose: templates built here must not depend on who runs the script. (Secrets are not among them: they
# live in SSM Parameter Store and never reach a template.)
export REFINERY_DIRECTORY_BUCKET='refinery-ci-directory-123456789012-us-east-1'
export REFINERY_DIRECTORY_KEY='directory/people.csv'

for tool in serverless serverless-compose node; do
  command -v "$tool" > /dev/null || { echo "package-services: $tool not found (run npm ci first)" >&2; exit 1; }
done
if command -v timeout > /dev/null; then
  limited() { timeout --kill-after=15 "$TIMEOUT_SECONDS" "$@"; }
else
  limited() { "$@"; }
fi

STATE_FILE="$ROOT/.serverless/state.$STAGE.json"

seed_compose_state() {
  mkdir -p "$ROOT/.serverless"
  STATE_FILE="$STATE_FILE" node - "${SERVICES[@]}" <<'NODE'
const { existsSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const readConfiguration = require('serverless/lib/configuration/read');
const frameworkVersion = require('serverless/package.json').version;

const [account, region, stage] = ['123456789012', 'us-east-1', 'ci'];
const kebab = (text) => text.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

// What CloudFormation would give these outputs for stage `ci` (resources are named refinery-<service>-<stage>-...).
function stubOutput(service, output) {
  if (service === 'platform') {
    return {
      EventBusName: `refinery-${stage}`,
      EventBusArn: `arn:aws:events:${region}:${account}:event-bus/refinery-${stage}`,
      EventBusArchiveName: `refinery-${stage}-archive`,
      AlarmTopicArn: `arn:aws:sns:${region}:${account}:refinery-${stage}-alarms`,
    }[output] ?? `stub-${kebab(output)}`;
  }
  let match;
  // us-east-1 is use1 in bucket names (libs/serverless-config/src/aws-regions.ts).
  if ((match = /^(\w+)BucketName$/.exec(output))) return `refinery-${service}-${stage}-${kebab(match[1])}-${account}-use1`;
  if ((match = /^(\w+)TableName$/.exec(output))) return `refinery-${service}-${stage}-${kebab(match[1])}`;
  if ((match = /^(\w+)DeadLetterQueueUrl$/.exec(output))) return `https://sqs.${region}.amazonaws.com/${account}/refinery-${service}-${stage}-${kebab(match[1])}-dlq`;
  return `stub-${service}-${kebab(output)}`;
}

(async () => {
  const components = {};
  for (const service of process.argv.slice(2)) {
    const generated = join('services', service, 'serverless.js');
    const configuration = await readConfiguration(existsSync(generated) ? generated : join('services', service, 'serverless.yml'));
    const outputs = Object.fromEntries(Object.keys(configuration.resources?.Outputs ?? {}).map((name) => [name, stubOutput(service, name)]));
    // detectedFrameworkVersion spares compose a `serverless --version` per service.
    components[service] = { outputs, state: { detectedFrameworkVersion: frameworkVersion } };
  }
  writeFileSync(process.env.STATE_FILE, `${JSON.stringify({ service: { id: `${stage}-stub` }, components }, null, 2)}\n`);
})().catch((error) => {
  console.error(`package-services: cannot seed the compose state: ${error.message}`);
  process.exit(1);
});
NODE
}

# The --param arguments compose would pass to one service: its params in serverless-compose.yml, with
# ${<service>.<Output>} read from the seeded state and ${env:NAME} from the stubs above. One per line.
compose_params_of() {
  STATE_FILE="$STATE_FILE" node - "$1" <<'NODE'
const { readFileSync } = require('node:fs');
// Compose's own reader of serverless-compose.yml.
const readComposeConfiguration = require('@serverless/compose/src/configuration/read');

(async () => {
  const service = process.argv[2];
  const compose = await readComposeConfiguration('serverless-compose.yml');
  const state = JSON.parse(readFileSync(process.env.STATE_FILE, 'utf8'));
  const entry = compose.services?.[service];
  if (!entry) throw new Error(`no service "${service}" in serverless-compose.yml`);
  for (const [name, value] of Object.entries(entry.params ?? {})) {
    const resolved = String(value)
      .replace(/\$\{env:(\w+)\}/g, (_, variable) => {
        if (process.env[variable] === undefined) throw new Error(`${variable} is not set`);
        return process.env[variable];
      })
      .replace(/\$\{([\w-]+)\.(\w+)\}/g, (_, source, output) => {
        const found = state.components?.[source]?.outputs?.[output];
        if (found === undefined) throw new Error(`no stub output ${source}.${output}`);
        return found;
      });
    process.stdout.write(`${name}=${resolved}\n`);
  }
})().catch((error) => {
  console.error(`package-services: ${error.message}`);
  process.exit(1);
});
NODE
}

started=$SECONDS

if [ $# -eq 0 ]; then
  targets=("${SERVICES[@]}")
else
  targets=("$@")
fi
for service in "${targets[@]}"; do
  [ -f "services/$service/serverless.js" ] || [ -f "services/$service/serverless.yml" ] || { echo "package-services: no services/$service/serverless.{js,yml}" >&2; exit 1; }
  # A failed packaging must not leave the previous template behind for the test to read.
  rm -rf "services/$service/.serverless"
done

seed_compose_state

if [ $# -eq 0 ]; then
  echo "package-services: serverless-compose package --stage $STAGE (platform and ${#SERVICES[@]} services)"
  # Compose packages all services at once; --verbose streams each one's output, prefixed with its name.
  limited serverless-compose package --stage "$STAGE" --verbose
else
  for service in "${targets[@]}"; do
    resolved="$(compose_params_of "$service")" # fails the script when a param cannot be resolved
    params=()
    while IFS= read -r param; do
      if [ -n "$param" ]; then params+=(--param "$param"); fi
    done <<< "$resolved"
    echo "package-services: serverless package --stage $STAGE (services/$service, ${#params[@]} args)"
    (cd "services/$service" && limited serverless package --stage "$STAGE" "${params[@]}")
  done
fi

missing=0
for service in "${targets[@]}"; do
  template="services/$service/.serverless/cloudformation-template-update-stack.json"
  if [ ! -f "$template" ]; then
    echo "package-services: $template was not written" >&2
    missing=1
  fi
done
[ "$missing" -eq 0 ] || exit 1

echo "package-services: packaged ${targets[*]} in $((SECONDS - started)) s"
