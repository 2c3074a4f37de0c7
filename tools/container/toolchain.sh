#!/usr/bin/env bash
# Makes a Debian machine ready to build, run and push Tradeyard's images, installing and
# starting only what is missing (idempotent):
#   - Docker engine (docker.io), buildx and compose v2 (from Debian trixie, pinned low),
#   - a registry on 127.0.0.1:5000 (docker-registry, no auth, loopback only),
#   - the base image node:20-bookworm-slim: pulled when Docker Hub answers, otherwise
#     seeded from the Debian mirror (debootstrap) plus this machine's Node.js.
# For air-gapped builders and machines without an engine (CI here). Run as root.
#   bash tools/container/toolchain.sh          install/start what is missing
#   bash tools/container/toolchain.sh --check  report what is missing, change nothing
set -euo pipefail

BASE_IMAGE=node:20-bookworm-slim
REGISTRY_ADDR=127.0.0.1:5000
REGISTRY_CONFIG=/etc/tradeyard-registry.yml
DOCKERD_LOG=/var/log/tradeyard-dockerd.log
REGISTRY_LOG=/var/log/tradeyard-registry.log
started_at=$(date +%s)
say() { echo "==> $*"; }

engine_up() { docker info >/dev/null 2>&1; }
buildx_ok() { docker buildx version >/dev/null 2>&1; }
compose_ok() { docker compose version >/dev/null 2>&1; }
registry_up() { curl -fsS "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1; }
base_ok() { docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; }

if [ "${1:-}" = "--check" ]; then
  missing=()
  engine_up || missing+=("docker engine")
  buildx_ok || missing+=("buildx")
  compose_ok || missing+=("compose")
  registry_up || missing+=("registry on $REGISTRY_ADDR")
  engine_up && ! base_ok && missing+=("base image $BASE_IMAGE")
  if [ ${#missing[@]} -eq 0 ]; then say "container toolchain ready"; exit 0; fi
  say "missing: ${missing[*]}"
  exit 1
fi

[ "$(id -u)" = 0 ] || { echo "toolchain.sh installs packages and starts daemons: run it as root" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive

# The URIs line of the machine's own Debian entry: trixie and debootstrap use the same mirror.
mirror() {
  local uri
  uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/debian.sources | grep -v security | head -1 | awk '{print $2}')
  [ -n "$uri" ] || uri=$(grep -hs '^deb ' /etc/apt/sources.list | grep -v security | head -1 | awk '{print $2}')
  echo "${uri:-http://deb.debian.org/debian}"
}

apt_updated=
apt_update() { [ -n "$apt_updated" ] || { apt-get update -qq; apt_updated=1; }; }

# Debian's packages try to start services on install; there is no init system here, and we
# start the daemons ourselves below.
with_no_service_starts() {
  local created=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && created=1
  fi
  "$@"
  local status=$?
  [ -z "$created" ] || rm -f /usr/sbin/policy-rc.d
  return $status
}

# --- packages ---------------------------------------------------------------------------
need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v debootstrap >/dev/null || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  apt_update
  with_no_service_starts apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# buildx and compose v2 are not in bookworm; trixie (same mirror) has them. Pin trixie low so
# nothing else is ever taken from it.
cli_plugin_dirs=(/usr/libexec/docker/cli-plugins /usr/lib/docker/cli-plugins /usr/local/lib/docker/cli-plugins)
if ! buildx_ok || ! compose_ok; then
  if [ ! -f /etc/apt/sources.list.d/trixie.sources ]; then
    say "adding Debian trixie (pinned to priority 100) for docker-buildx and docker-compose"
    printf 'Types: deb\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$(mirror)" \
      >/etc/apt/sources.list.d/trixie.sources
    printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n' >/etc/apt/preferences.d/tradeyard-trixie
    apt_updated=
  fi
  apt_update
  say "installing docker-buildx and docker-compose from trixie"
  with_no_service_starts apt-get install -y -qq --no-install-recommends -t trixie docker-buildx docker-compose >/dev/null
fi
# Whichever docker client is first on PATH must find the plugins.
mkdir -p /usr/local/lib/docker/cli-plugins
for plugin in docker-buildx docker-compose; do
  for dir in "${cli_plugin_dirs[@]}"; do
    if [ -x "$dir/$plugin" ] && [ ! -e "/usr/local/lib/docker/cli-plugins/$plugin" ]; then
      ln -s "$dir/$plugin" "/usr/local/lib/docker/cli-plugins/$plugin"
    fi
  done
done

# --- engine -----------------------------------------------------------------------------
if ! engine_up; then
  say "starting dockerd (log: $DOCKERD_LOG)"
  nohup dockerd >"$DOCKERD_LOG" 2>&1 &
  for _ in $(seq 1 60); do engine_up && break; sleep 1; done
  engine_up || { tail -20 "$DOCKERD_LOG" >&2; echo "dockerd did not come up" >&2; exit 1; }
fi

# --- registry on loopback (127.0.0.1 registries need no TLS for the engine) ----------------
if ! registry_up; then
  if [ ! -f "$REGISTRY_CONFIG" ]; then
    mkdir -p /var/lib/tradeyard-registry
    cat >"$REGISTRY_CONFIG" <<CONF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: /var/lib/tradeyard-registry
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR
CONF
  fi
  say "starting the registry on $REGISTRY_ADDR (log: $REGISTRY_LOG)"
  nohup docker-registry serve "$REGISTRY_CONFIG" >"$REGISTRY_LOG" 2>&1 &
  for _ in $(seq 1 30); do registry_up && break; sleep 1; done
  registry_up || { tail -20 "$REGISTRY_LOG" >&2; echo "registry did not come up" >&2; exit 1; }
fi

# --- base image ---------------------------------------------------------------------------
if ! base_ok && ! timeout 20 docker pull -q "$BASE_IMAGE" >/dev/null 2>&1; then
  say "seeding $BASE_IMAGE from the Debian mirror and this machine's Node.js $(node --version)"
  rootfs=$(mktemp -d /var/tmp/tradeyard-rootfs.XXXXXX)
  debootstrap --variant=minbase bookworm "$rootfs" "$(mirror)" >/dev/null
  node_bin=$(readlink -f "$(command -v node)")
  npm_dir=$(dirname "$node_bin")/../lib/node_modules/npm
  install -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
  if [ -d "$npm_dir" ]; then
    mkdir -p "$rootfs/usr/local/lib/node_modules"
    cp -a "$(readlink -f "$npm_dir")" "$rootfs/usr/local/lib/node_modules/npm"
    ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
    ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  fi
  chroot "$rootfs" /bin/sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node'
  rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
  tar -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV NODE_VERSION='"$(node --version | tr -d v)" \
    --change 'CMD ["node"]' - "$BASE_IMAGE" >/dev/null
  rm -rf "$rootfs"
fi

say "engine  $(docker version --format '{{.Server.Version}}' 2>/dev/null), storage driver $(docker info --format '{{.Driver}}')"
say "buildx  $(docker buildx version | awk '{print $2}')"
say "compose $(docker compose version --short)"
say "registry http://$REGISTRY_ADDR"
say "base    $BASE_IMAGE $(docker image inspect --format '{{.Id}} {{.Size}}' "$BASE_IMAGE" | awk '{printf "%s %.1f MB", substr($1,8,12), $2/1e6}')"
say "container toolchain ready in $(($(date +%s) - started_at)) s"
