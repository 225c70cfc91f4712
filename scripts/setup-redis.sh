#!/usr/bin/env bash
# Installs Debian's redis-server for the queue test (test/cli/sweep-queue.test.ts: `critkit sweep
# --queue` and `critkit worker`) when it is missing. The test starts its own server on a free port;
# none is left running here. Never fails the build: without it the test skips with a warning.
set -euo pipefail
if [ -x /usr/bin/redis-server ]; then exit 0; fi
if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null; then
  echo "warning: /usr/bin/redis-server is missing and apt-get needs root; the queue test will skip" >&2
  exit 0
fi
SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
($SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends redis-server) \
  || echo "warning: could not install redis-server; the queue test will skip" >&2
