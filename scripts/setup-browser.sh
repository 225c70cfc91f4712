#!/usr/bin/env bash
# Installs Debian's Chromium for the browser test (test/web/explorer.browser.test.ts) when it is
# missing. Never downloads a browser build of its own: the package comes from apt.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null; then
  echo "warning: /usr/bin/chromium is missing and apt-get needs root; the browser test will skip" >&2
  exit 0
fi
SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
($SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium) \
  || echo "warning: could not install chromium; the browser test will skip" >&2
