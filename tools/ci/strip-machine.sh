#!/usr/bin/env bash
# Takes a machine back to what a new one has, so that `CI=true bash .ci/run` on a fresh clone
# shows what CI on a new machine shows: it stops the container engine, containerd and the local
# registry, purges the Debian packages that tools/container/toolchain.sh and tools/ci/test-deps.sh
# install (engine, buildx, compose, registry, cosign, qemu, debootstrap, PostgreSQL, Redis,
# Chromium), and removes their state (images and the seeded base image, registry data, the trixie
# pin, the qemu binfmt entry, the pinned Node LTS) and the caches a new machine lacks (Nx's per-user
# cache, the saved PGlite cluster, Jest's transforms). It leaves the machine's own docker client.
#   sudo bash tools/ci/strip-machine.sh --yes
# Destructive by design: it refuses to run without --yes.
set -u
[ "${1:-}" = --yes ] || { echo "strip-machine: purges the container toolchain and test databases from this machine; run with --yes" >&2; exit 2; }
pkill -x dockerd; pkill -x containerd; pkill -f 'docker-registry serve'; sleep 3
pkill -9 -x dockerd; pkill -9 -x containerd; pkill -9 -f containerd-shim
umount -l /var/lib/docker 2>/dev/null
export DEBIAN_FRONTEND=noninteractive
# No service starts or stops through apt while packages go.
printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; trap "rm -f /usr/sbin/policy-rc.d" EXIT
for p in docker.io docker-cli docker-buildx docker-compose docker-registry containerd runc tini cosign debootstrap qemu-user-static binfmt-support \
  postgresql postgresql-15 postgresql-client-15 postgresql-common postgresql-client-common redis-server redis-tools chromium chromium-common chromium-driver; do
  dpkg -s "$p" >/dev/null 2>&1 && apt-get purge -y -qq "$p" >/dev/null 2>&1
done
apt-get autoremove -y -qq >/dev/null 2>&1
[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] && echo -1 > /proc/sys/fs/binfmt_misc/qemu-aarch64
rm -rf /var/lib/docker /var/lib/containerd /var/lib/tradeyard-registry /etc/tradeyard-registry.yml /opt/tradeyard-node \
  /etc/apt/sources.list.d/trixie.sources /etc/apt/preferences.d/tradeyard-trixie /etc/docker "$HOME/.docker" "$HOME/.nx" \
  "${TMPDIR:-/tmp}"/tradeyard-pglite-* "${TMPDIR:-/tmp}"/jest_*
apt-get update -qq >/dev/null 2>&1
for c in dockerd docker-registry debootstrap cosign chromium redis-server; do command -v "$c" >/dev/null && echo "still here: $c"; done
[ -x /usr/lib/postgresql/15/bin/postgres ] && echo "still here: postgres"
echo stripped
