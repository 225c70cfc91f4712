#!/usr/bin/env bash
# The Debian packages the tests use, installed with apt when missing (`npm test` runs this first,
# as its pretest step, so `npm ci && npm test` sets up a fresh machine; it takes no time when all
# are present). Never downloads anything but Debian packages, never fails the build, never asks
# for a password (sudo -n): without a package, its test fails, naming this script.
#   fonts-dejavu-core  text in PNG plots (src/node/plot-files.ts)
#   chromium           the explorer's browser test (test/web/explorer.browser.test.ts)
#   redis-server       the queue test: `critkit sweep --queue`, `critkit worker`
#                      (test/cli/sweep-queue.test.ts starts its own server on a free port)
set -uo pipefail
missing=()
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/redis-server ] || missing+=(redis-server)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  echo "warning: ${missing[*]} missing and apt-get needs root (scripts/setup-system.sh); their tests will fail" >&2
  exit 0
fi
echo "setup-system: installing ${missing[*]} with apt-get" >&2
("${SUDO[@]}" apt-get update -qq &&
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}") >&2 ||
  echo "warning: could not install ${missing[*]} (scripts/setup-system.sh); their tests will fail" >&2
exit 0
