#!/usr/bin/env bash
# Pins the C/C++ runtime libraries the images' Node.js links (glibc, libstdc++, libgcc) to the
# current Debian bookworm builds for every image architecture: writes debian-libs.lock, one
# line per .deb (architecture, URL, sha256), which build.sh downloads and checks. The URLs and
# hashes come from apt, which verifies the mirror's signed indexes (Debian's archive keyring),
# in a private apt state: this machine's apt configuration and architectures are not touched.
# Run it (any Debian machine, no root) when Debian ships a glibc/gcc update, then commit the lock.
#   bash tools/container/node-runtime/pin-debian-libs.sh [LOCK]   (default: debian-libs.lock here)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security_mirror=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
architectures=(amd64 arm64)
lock=${1:-$here/debian-libs.lock}
packages=(libc6 libstdc++6 libgcc-s1)

apt_dir=$(mktemp -d)
trap 'rm -rf "$apt_dir"' EXIT
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/sources"
touch "$apt_dir/status"
chmod 0755 "$apt_dir" # apt downloads as its unprivileged _apt user
printf 'Types: deb\nURIs: %s\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: %s\n\nTypes: deb\nURIs: %s\nSuites: bookworm-security\nComponents: main\nSigned-By: %s\n' \
  "$mirror" "$keyring" "$security_mirror" "$keyring" >"$apt_dir/sources/debian.sources"
apt_options=(-o "Dir::State::Lists=$apt_dir/lists" -o "Dir::State::status=$apt_dir/status" -o "Dir::Cache=$apt_dir/cache"
  -o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt_dir/sources" -o Dir::Etc::Preferences=/dev/null
  -o Dir::Etc::PreferencesParts=/dev/null -o Acquire::Languages=none -o "APT::Architecture=${architectures[0]}")
for arch in "${architectures[@]}"; do apt_options+=(-o "APT::Architectures::=$arch"); done
apt-get "${apt_options[@]}" -qq update

wanted=()
for arch in "${architectures[@]}"; do for package in "${packages[@]}"; do wanted+=("$package:$arch"); done; done
{
  echo "# Debian bookworm .debs whose libraries the images' Node.js links: architecture, URL, sha256."
  echo "# Written by pin-debian-libs.sh from the mirror's signed indexes; read by build.sh."
  # --print-uris prints: 'URL' FILE SIZE SHA256:HASH
  apt-get "${apt_options[@]}" --print-uris download "${wanted[@]}" \
    | sed -n "s/^'\([^']*_\([a-z0-9]*\)\.deb\)' [^ ]* [0-9]* SHA256:\([0-9a-f]\{64\}\)$/\2 \1 \3/p" | sort
} >"$lock"
[ "$(grep -vc '^#' "$lock")" = "${#wanted[@]}" ] || { cat "$lock" >&2; echo "pin-debian-libs: expected ${#wanted[@]} packages" >&2; exit 1; }
echo "pin-debian-libs: wrote $lock"
