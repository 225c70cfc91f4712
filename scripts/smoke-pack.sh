#!/usr/bin/env bash
# Smoke test of the package as a user gets it: `npm pack`, install the tarball in an empty
# folder, and run `critkit demo` there, on this Node and on Node 24 (the `node` package of the
# npm registry provides that binary). Run from CI after the tests (.ci/run).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tarball="$(cd "$root" && npm pack --silent --pack-destination "$work" | tail -n 1)"
cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund "./$tarball" >/dev/null
check() { # $1: folder the demo wrote
  test -s "$1/phase-tanh.svg" && test -s "$1/phase-tanh.png" || {
    echo "smoke-pack: $1: demo figures missing" >&2
    exit 1
  }
}
echo "smoke-pack: critkit demo on node $(node --version)"
npx --no-install critkit demo --out-dir demo-default >/dev/null
check demo-default
echo "smoke-pack: critkit demo on node 24"
npx -y -p node@24 node node_modules/critkit/bin/critkit.js demo --out-dir demo-24 >/dev/null
check demo-24
echo "smoke-pack: ok ($tarball)"
