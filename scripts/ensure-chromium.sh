#!/usr/bin/env bash
# The web page's browser tests drive a real Chromium through playwright-core. Playwright's own browser download
# (`npx playwright install`) needs a CDN that machines without general internet access cannot reach, so the tests use
# the distribution's Chromium, and this script — the first step of `npm test` — installs it when it is missing:
#
#   - CHROMIUM_PATH set: that browser is used as it is (nothing installed);
#   - /usr/bin/chromium present: nothing to do;
#   - otherwise, on Debian or Ubuntu: `apt-get install chromium`, as root or through passwordless sudo.
#
# Anything else fails here, saying what to do, instead of failing 14 browser tests later.
set -euo pipefail

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"

if [ -x "$CHROMIUM" ]; then
  echo "ensure-chromium: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
  exit 0
fi
if [ -n "${CHROMIUM_PATH:-}" ]; then
  echo "ensure-chromium: CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file" >&2
  exit 1
fi
if ! command -v apt-get > /dev/null; then
  echo "ensure-chromium: no Chromium at $CHROMIUM and no apt-get to install it; install Chromium and set CHROMIUM_PATH" >&2
  exit 1
fi

if [ "$(id -u)" = 0 ]; then
  as_root() { "$@"; }
elif command -v sudo > /dev/null && sudo -n true 2> /dev/null; then
  as_root() { sudo -n "$@"; }
else
  echo "ensure-chromium: no Chromium at $CHROMIUM; install it with \`sudo apt-get install -y chromium\` (or set CHROMIUM_PATH)" >&2
  exit 1
fi

echo "ensure-chromium: installing Debian's chromium (apt-get), once per machine"
started=$SECONDS
# Quiet and non-interactive.
as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null
echo "ensure-chromium: $("$CHROMIUM" --version) installed in $((SECONDS - started)) s"
