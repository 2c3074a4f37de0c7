#!/usr/bin/env bash
# Installs the real servers and browser the integration and browser tests use, from
# Debian's packages, when they are missing: PostgreSQL, Redis and Chromium. The tests
# start their own server instances in temporary folders; nothing here starts a service.
set -euo pipefail

need=()
[ -x /usr/lib/postgresql/15/bin/postgres ] || need+=(postgresql)
command -v redis-server >/dev/null || need+=(redis-server)
command -v chromium >/dev/null || need+=(chromium)

if [ ${#need[@]} -eq 0 ]; then
  echo "==> test dependencies present (postgresql, redis-server, chromium)"
  exit 0
fi
echo "==> installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# policy-rc.d 101 keeps the packages from starting system services on install.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "==> installed ${need[*]}"
