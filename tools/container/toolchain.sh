#!/usr/bin/env bash
# Makes a Debian (bookworm) machine ready to build, run and push Tradeyard's images, installing
# and starting only what is missing, so a second run changes nothing and takes seconds:
#   - docker-registry (v2) and debootstrap from the machine's Debian mirror; Docker engine 26
#     (docker.io), buildx, compose v2 and cosign from Debian trixie on the same mirror, pinned to
#     priority 100 so nothing else is ever taken from trixie (engine 26's BuildKit stamps an image
#     with SOURCE_DATE_EPOCH, which makes images reproducible; bookworm's 20.10 cannot);
#   - dockerd in the background (no init system needed), on a storage driver that works here
#     (overlay2 when the kernel allows an overlay mount on /var/lib/docker, else fuse-overlayfs,
#     else vfs);
#   - a registry on 127.0.0.1:5000 (no auth, loopback only, which dockerd trusts without TLS);
#   - what the images' per-architecture root filesystems are staged with
#     (tools/container/node-runtime/build.sh): binutils for both architectures (readelf, strip);
#   - qemu-user-static with binfmt_misc registered, so this machine runs the other
#     architecture's images (linux/arm64 on amd64) under emulation: the container tier does;
#   - the base image debian:bookworm-slim that the PostgreSQL/Redis stand-ins take their
#     packages from: pulled when Docker Hub answers, otherwise seeded from the Debian mirror
#     (debootstrap). A seeded base is labelled with a hash of its recipe and seeded again when
#     the recipe changes, so a machine that ran an older recipe builds on what a new machine
#     builds on.
# For air-gapped builders, machines without Docker Hub access, and CI here. Run as root.
#   bash tools/container/toolchain.sh           install/start what is missing
#   bash tools/container/toolchain.sh --check   say what is missing (exit 1) or ready (exit 0)
# Overrides (rarely needed): TOOLCHAIN_STORAGE_DRIVER=overlay2|fuse-overlayfs|vfs forces the
# driver dockerd is started with; TOOLCHAIN_BASE_IMAGE seeds/checks another tag (tests).
set -euo pipefail

BASE_IMAGE=${TOOLCHAIN_BASE_IMAGE:-debian:bookworm-slim}
RECIPE_LABEL=org.tradeyard.base-recipe
REGISTRY_ADDR=127.0.0.1:5000
REGISTRY_CONFIG=/etc/tradeyard-registry.yml
REGISTRY_ROOT=/var/lib/tradeyard-registry
REGISTRY_LOG=/var/log/tradeyard-registry.log
DOCKERD_LOG=/var/log/tradeyard-dockerd.log
APT_LOG=/var/log/tradeyard-toolchain-apt.log
TRIXIE_SOURCES=/etc/apt/sources.list.d/trixie.sources
TRIXIE_PIN=/etc/apt/preferences.d/tradeyard-trixie
DEFAULT_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
# Where Debian's docker-buildx/docker-compose put their plugins, and where a docker client
# installed by hand in /usr/local looks first.
PACKAGED_PLUGIN_DIRS=(/usr/libexec/docker/cli-plugins /usr/lib/docker/cli-plugins)
LOCAL_PLUGIN_DIR=/usr/local/lib/docker/cli-plugins
# The images' other architecture, and the qemu-user binfmt entry that runs its binaries here.
case $(dpkg --print-architecture 2>/dev/null || uname -m) in
  arm64 | aarch64) FOREIGN_ARCH=amd64 FOREIGN_BINFMT=qemu-x86_64 ;;
  *) FOREIGN_ARCH=arm64 FOREIGN_BINFMT=qemu-aarch64 ;;
esac
BINFMT_DIR=/proc/sys/fs/binfmt_misc

SECONDS=0
changed=  # set when this run installed or started anything
say() { printf '==> %s\n' "$*"; }
die() { printf 'toolchain.sh: error: %s\n' "$*" >&2; exit 1; }

cleanups=()
run_cleanups() { local c; for c in "${cleanups[@]}"; do eval "$c" || true; done; }
trap run_cleanups EXIT

have() { command -v "$1" >/dev/null 2>&1; }
# The oldest engine whose builder honours SOURCE_DATE_EPOCH (reproducible images).
MIN_ENGINE_MAJOR=26
engine_recent() {
  local major
  major=$(dockerd --version 2>/dev/null | sed -n 's/^Docker version \([0-9]*\)\..*/\1/p')
  [ "${major:-0}" -ge "$MIN_ENGINE_MAJOR" ]
}
engine_up() { have docker && timeout 20 docker info >/dev/null 2>&1; }
buildx_ok() { have docker && docker buildx version >/dev/null 2>&1; }
compose_ok() { have docker && docker compose version >/dev/null 2>&1; }
registry_up() { curl -fsS -m 5 "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1; }
base_present() { docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; }
# Registered and enabled, with the F flag: the kernel opens the (static) interpreter when it is
# registered, so it also runs binaries inside containers, whose root has no qemu.
binfmt_ok() { grep -qs '^enabled' "$BINFMT_DIR/$FOREIGN_BINFMT" && grep -qs '^flags:.*F' "$BINFMT_DIR/$FOREIGN_BINFMT"; }
# Present and current: pulled from a registry (it has a repo digest), or seeded by this recipe.
base_ok() {
  base_present || return 1
  [ -n "$(docker image inspect --format '{{join .RepoDigests ","}}' "$BASE_IMAGE")" ] && return 0
  [ "$(docker image inspect --format "{{index .Config.Labels \"$RECIPE_LABEL\"}}" "$BASE_IMAGE")" = "$(recipe_hash)" ]
}

# --- the machine's Debian mirror ---------------------------------------------------------
# Prints "URI SIGNED-BY" of the apt entry for this machine's release (e.g. bookworm, not
# bookworm-security), from deb822 *.sources files first, then one-line *.list files.
debian_entry() {
  local codename f
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && [ "$f" != "$TRIXIE_SOURCES" ] || continue
    awk -v want="$codename" '
      function flush() {
        if (!done && uris != "" && deb && suite && !off) { print uris, (signed == "" ? "-" : signed); done = 1 }
        uris = ""; signed = ""; deb = 0; suite = 0; off = 0
      }
      /^[ \t]*$/ { flush(); next }
      /^[ \t]*#/ { next }
      tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
      tolower($1) == "uris:" { uris = $2 }
      tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == want) suite = 1 }
      tolower($1) == "signed-by:" { signed = $2 }
      tolower($1) == "enabled:" && tolower($2) == "no" { off = 1 }
      END { flush() }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk -v want="$codename" '
      $1 != "deb" { next }
      { i = 2; signed = "-"
        if ($2 ~ /^\[/) { for (; i <= NF; i++) { if ($i ~ /^\[?signed-by=/) { signed = $i; sub(/^\[?signed-by=/, "", signed); sub(/\]$/, "", signed) } if ($i ~ /\]$/) { i++; break } } }
        if ($(i + 1) == want) { print $i, signed; exit } }' "$f"
  done
}
# No mirror is assumed: the machine's apt sources name it, or the script says what to set.
mirror_entry=
mirror_uri() {
  [ -n "$mirror_entry" ] || mirror_entry=$(debian_entry | head -1)
  local uri=${mirror_entry%% *}
  [ -n "$uri" ] || die "no apt source for Debian $(. /etc/os-release && echo "${VERSION_CODENAME:-?}") found in /etc/apt/sources.list or /etc/apt/sources.list.d/*.sources: add the mirror this machine uses (Types: deb, URIs, Suites: $(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")) and run again"
  echo "$uri"
}
mirror_keyring() {
  [ -n "$mirror_entry" ] || mirror_entry=$(debian_entry | head -1)
  local key=${mirror_entry#* }
  case $key in /*) [ -f "$key" ] && { echo "$key"; return; } ;; esac
  echo "$DEFAULT_KEYRING"
}
trixie_sources_text() {
  printf 'Types: deb\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: %s\n' "$(mirror_uri)" "$(mirror_keyring)"
}
trixie_pin_text() { printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n'; }

# wait_for_daemon NAME CHECK PID LOG SECONDS: until CHECK succeeds; dies with the log's tail if
# the daemon exits or does not answer in time.
wait_for_daemon() {
  local name=$1 check=$2 pid=$3 log=$4 seconds=$5
  for _ in $(seq 1 "$seconds"); do
    "$check" && return 0
    kill -0 "$pid" 2>/dev/null || { tail -20 "$log" >&2; die "$name exited (log: $log)"; }
    sleep 1
  done
  "$check" || { tail -20 "$log" >&2; die "$name did not answer within $seconds s (log: $log)"; }
}

# --- base image -----------------------------------------------------------------------------
# The base holds no Node.js: the images take Node from tools/container/node-runtime (the npm
# registry's build, pinned by lockfile integrity) and only its shared libraries from here.
seed_base_image() {
  local rootfs mirror
  mirror=$(mirror_uri)
  say "seeding $BASE_IMAGE: debootstrap bookworm (minbase) from $mirror"
  rootfs=$(mktemp -d /var/tmp/tradeyard-rootfs.XXXXXX)
  chmod 0755 "$rootfs" # it becomes the image's /
  # debootstrap mounts /proc and /sys inside while it works: unmount before deleting anything
  cleanups+=("grep -o ' ${rootfs}[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l; rm -rf --one-file-system '$rootfs' '$rootfs.log'")
  debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 \
    || { tail -20 "$rootfs.log" >&2; die "debootstrap failed (log: $rootfs.log)"; }
  rm -f "$rootfs.log"

  # apt inside the image uses the same entries as this machine (updates and security included)
  local src
  src=$(grep -ls "$mirror" /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v "$TRIXIE_SOURCES" | head -1 || true)
  if [ -n "$src" ]; then
    cp "$src" "$rootfs/etc/apt/sources.list.d/debian.sources"
    rm -f "$rootfs/etc/apt/sources.list"
  fi
  # small, as Debian's slim images: no docs, man pages or locales now or in later installs
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
DPKG
  find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/* \
    "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/var/cache/debconf/*-old "$rootfs"/var/lib/dpkg/*-old "$rootfs"/var/log/* "$rootfs"/tmp/*
  : >"$rootfs/etc/resolv.conf"
  echo localhost >"$rootfs/etc/hostname"

  tar --numeric-owner -C "$rootfs" -c . | docker import \
    --message "seeded by tools/container/toolchain.sh: Debian bookworm minbase" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "LABEL $RECIPE_LABEL=$(recipe_hash)" \
    --change 'CMD ["bash"]' \
    - "$BASE_IMAGE" >/dev/null
  changed=1
}
# The recipe is this function's text: any change to how the base is made changes the hash.
recipe_hash() { declare -f seed_base_image | sha256sum | cut -c1-16; }

# The Debian package that provides a command this script needs.
package_of() {
  case $1 in
    dockerd) echo "docker.io >= $MIN_ENGINE_MAJOR, from trixie" ;;
    docker) echo "docker-cli, from trixie" ;;
    readelf) echo binutils ;;
    *-linux-gnu-strip) echo "binutils-${1%-strip}" | tr _ - ;;
    dpkg-deb) echo dpkg ;;
    qemu-*-static) echo qemu-user-static ;;
    update-binfmts) echo binfmt-support ;;
    cosign) echo "cosign, from trixie" ;;
    *) echo "$1" ;;
  esac
}

# --- --check: report only ---------------------------------------------------------------
check() {
  local missing=() ok=()
  for cmd in dockerd docker-registry debootstrap curl readelf x86_64-linux-gnu-strip aarch64-linux-gnu-strip dpkg-deb "$FOREIGN_BINFMT-static" update-binfmts cosign; do
    if have "$cmd"; then ok+=("$cmd"); else missing+=("$cmd (package $(package_of "$cmd"))"); fi
  done
  if binfmt_ok; then ok+=("binfmt $FOREIGN_BINFMT (linux/$FOREIGN_ARCH)"); else missing+=("binfmt_misc entry $BINFMT_DIR/$FOREIGN_BINFMT, enabled with flag F (runs linux/$FOREIGN_ARCH images)"); fi
  if have dockerd && ! engine_recent; then missing+=("Docker engine >= $MIN_ENGINE_MAJOR (dockerd is $(dockerd --version 2>/dev/null))"); fi
  if buildx_ok; then ok+=("buildx"); else missing+=("docker buildx plugin"); fi
  if compose_ok; then ok+=("compose"); else missing+=("docker compose plugin"); fi
  if [ -f "$TRIXIE_SOURCES" ] && ! grep -qs 'n=trixie' "$TRIXIE_PIN"; then
    missing+=("apt pin for trixie ($TRIXIE_PIN): trixie is enabled unpinned")
  fi
  if engine_up; then
    ok+=("engine ($(docker info --format '{{.Driver}}' 2>/dev/null))")
    if base_ok; then ok+=("$BASE_IMAGE"); else missing+=("base image $BASE_IMAGE"); fi
  else
    missing+=("running docker engine (docker info fails)" "base image $BASE_IMAGE (unknown while the engine is down)")
  fi
  if registry_up; then ok+=("registry $REGISTRY_ADDR"); else missing+=("registry on http://$REGISTRY_ADDR/v2/"); fi
  say "present: ${ok[*]:-nothing}"
  if [ ${#missing[@]} -eq 0 ]; then say "container toolchain ready"; exit 0; fi
  local m; for m in "${missing[@]}"; do say "missing: $m"; done
  exit 1
}

case ${1:-} in
  --check) check ;;
  -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) die "unknown argument '$1' (use --check or --help)" ;;
esac

[ "$(id -u)" = 0 ] || die "installs packages and starts daemons: run it as root"
export DEBIAN_FRONTEND=noninteractive

# --- packages -------------------------------------------------------------------------------
apt_updated=
apt_update() {
  [ -z "$apt_updated" ] || return 0
  say "apt-get update"
  apt-get update -qq >>"$APT_LOG" 2>&1 || { tail -20 "$APT_LOG" >&2; die "apt-get update failed (log: $APT_LOG)"; }
  apt_updated=1
}
# apt-get install with service starts blocked: Debian's packages would start dockerd and the
# registry through their init scripts; we start both ourselves below, our way.
apt_install() {
  say "apt-get install $*"
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    cleanups+=("rm -f /usr/sbin/policy-rc.d")
  fi
  apt-get install -y -q --no-install-recommends "$@" >>"$APT_LOG" 2>&1 \
    || { tail -30 "$APT_LOG" >&2; die "apt-get install $* failed (log: $APT_LOG)"; }
  changed=1
}
# Writes a file only when its content differs; says so when it does.
put_file() {
  local path=$1 text=$2
  if [ "$(cat "$path" 2>/dev/null)" != "$text" ]; then
    mkdir -p "$(dirname "$path")"
    printf '%s\n' "$text" >"$path"
    say "wrote $path"
    changed=1
    return 0
  fi
  return 1
}

packages=()
have docker-registry || packages+=(docker-registry)
have debootstrap || packages+=(debootstrap)
have curl || packages+=(curl)
# tools/container/node-runtime/build.sh: readelf and strip for each image architecture
for cmd in readelf x86_64-linux-gnu-strip aarch64-linux-gnu-strip "$FOREIGN_BINFMT-static" update-binfmts; do
  have "$cmd" || packages+=("$(package_of "$cmd")")
done
# Only these come from trixie: they depend on nothing bookworm lacks (libc6 >= 2.34, containerd,
# runc, tini, iptables), and the pin keeps every other package on bookworm. buildx and compose v2 are not in
# bookworm (it has compose v1 only); cosign signs and verifies the images (attest.sh, deploy.sh).
trixie_packages=()
# the engine's dependencies come from bookworm (`-t trixie` would take trixie's, which need its libc)
engine_recent || trixie_packages+=(docker.io containerd/bookworm runc/bookworm tini/bookworm iptables/bookworm)
have docker || trixie_packages+=(docker-cli)
{ buildx_ok && compose_ok; } || trixie_packages+=(docker-buildx docker-compose)
have cosign || trixie_packages+=(cosign)
if [ ${#trixie_packages[@]} -gt 0 ]; then
  # The pin goes in before the source so trixie is never unpinned.
  put_file "$TRIXIE_PIN" "$(trixie_pin_text)" || true
  if put_file "$TRIXIE_SOURCES" "$(trixie_sources_text)"; then apt_updated=; fi
fi
if [ ${#packages[@]} -gt 0 ] || [ ${#trixie_packages[@]} -gt 0 ]; then
  apt_update
  if [ ${#packages[@]} -gt 0 ]; then
    mapfile -t packages < <(printf '%s\n' "${packages[@]}" | sort -u)
    apt_install "${packages[@]}"
  fi
  if [ ${#trixie_packages[@]} -gt 0 ]; then
    # an older engine still running would keep serving builds: stop it, the start below runs the new one
    if [[ " ${trixie_packages[*]} " == *" docker.io "* ]] && [ -s /var/run/docker.pid ]; then
      say "stopping dockerd $(cat /var/run/docker.pid) to upgrade the engine"
      kill "$(cat /var/run/docker.pid)" 2>/dev/null || true
      for _ in $(seq 60); do kill -0 "$(cat /var/run/docker.pid 2>/dev/null)" 2>/dev/null || break; sleep 1; done
    fi
    apt_install -t trixie "${trixie_packages[@]}"
  fi
fi

# The clients' built-in plugin path already covers /usr/libexec/docker/cli-plugins; a client
# built elsewhere may not look there, so link the plugins where /usr/local clients look first.
if ! buildx_ok || ! compose_ok; then
  mkdir -p "$LOCAL_PLUGIN_DIR"
  for plugin in docker-buildx docker-compose; do
    for dir in "${PACKAGED_PLUGIN_DIRS[@]}"; do
      if [ -x "$dir/$plugin" ] && [ ! -e "$LOCAL_PLUGIN_DIR/$plugin" ]; then
        ln -s "$dir/$plugin" "$LOCAL_PLUGIN_DIR/$plugin"
        say "linked $LOCAL_PLUGIN_DIR/$plugin -> $dir/$plugin"
      fi
    done
  done
fi
buildx_ok || die "docker buildx does not work after installing docker-buildx ($(docker buildx version 2>&1 | head -1))"
compose_ok || die "docker compose does not work after installing docker-compose ($(docker compose version 2>&1 | head -1))"

# --- emulation of the other architecture -------------------------------------------------
# binfmt-support registers qemu's entries when it is installed, if binfmt_misc is mounted then;
# a machine without an init system may not mount it: mount it, then (re-)enable the entry.
if ! binfmt_ok; then
  if [ ! -e "$BINFMT_DIR/register" ]; then
    mount -t binfmt_misc binfmt_misc "$BINFMT_DIR" 2>/dev/null \
      || die "cannot mount binfmt_misc on $BINFMT_DIR (a container without that privilege?): this machine cannot run linux/$FOREIGN_ARCH images, which the container tier does"
    say "mounted binfmt_misc on $BINFMT_DIR"
  fi
  update-binfmts --enable "$FOREIGN_BINFMT" >/dev/null 2>&1 || update-binfmts --import "$FOREIGN_BINFMT" >/dev/null 2>&1 || true
  binfmt_ok || die "$BINFMT_DIR/$FOREIGN_BINFMT is not enabled with flag F after update-binfmts ($(cat "$BINFMT_DIR/$FOREIGN_BINFMT" 2>&1 | tr '\n' ' '))"
  say "linux/$FOREIGN_ARCH binaries run under $FOREIGN_BINFMT-static ($BINFMT_DIR/$FOREIGN_BINFMT)"
  changed=1
fi

# --- engine -----------------------------------------------------------------------------------
daemon_json_get() { # prints the string value of a top-level key of /etc/docker/daemon.json
  [ -f /etc/docker/daemon.json ] || return 0
  sed -n 's/.*"'"$1"'"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' /etc/docker/daemon.json | head -1
}
# Can the kernel mount overlayfs with upper/work dirs on the filesystem of $1 (nested setups
# whose /var/lib/docker is itself on overlayfs usually cannot)?
overlay_mount_works() {
  local probe works=1
  mkdir -p "$1"
  probe=$(mktemp -d "$1/.tradeyard-overlay-probe.XXXXXX")
  mkdir "$probe/lower" "$probe/upper" "$probe/work" "$probe/merged"
  echo lower >"$probe/lower/f"
  if mount -t overlay overlay -o "lowerdir=$probe/lower,upperdir=$probe/upper,workdir=$probe/work" "$probe/merged" 2>/dev/null; then
    # copy-up must work and leave the lower layer alone
    if echo upper >"$probe/merged/f" 2>/dev/null && [ "$(cat "$probe/lower/f")" = lower ] && [ "$(cat "$probe/upper/f" 2>/dev/null)" = upper ]; then works=0; fi
    umount "$probe/merged"
  fi
  rm -rf "$probe"
  return $works
}
# Picks the storage driver dockerd starts with: an explicit choice wins; then the driver that
# already holds this machine's images (switching would hide them); then the first that works.
choose_storage_driver() {
  local root=$1 d
  if [ -n "${TOOLCHAIN_STORAGE_DRIVER:-}" ]; then echo "$TOOLCHAIN_STORAGE_DRIVER"; return; fi
  for d in overlay2 fuse-overlayfs vfs; do
    if [ -d "$root/$d" ] && [ -n "$(ls -A "$root/$d" 2>/dev/null)" ]; then echo "$d"; return; fi
  done
  if overlay_mount_works "$root"; then echo overlay2; return; fi
  if [ -e /dev/fuse ]; then echo fuse-overlayfs; return; fi
  echo vfs
}

started_engine=
if ! engine_up; then
  dockerd_args=()
  configured=$(daemon_json_get storage-driver)
  if [ -n "$configured" ]; then
    driver=$configured
    say "storage driver $driver (from /etc/docker/daemon.json)"
  else
    data_root=$(daemon_json_get data-root)
    driver=$(choose_storage_driver "${data_root:-/var/lib/docker}")
    dockerd_args+=(--storage-driver="$driver")
    say "storage driver $driver"
  fi
  if [ "$driver" = fuse-overlayfs ] && ! have fuse-overlayfs; then apt_update; apt_install fuse-overlayfs; fi
  pid=
  if [ -s /var/run/docker.pid ] && kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null \
    && [ "$(cat "/proc/$(cat /var/run/docker.pid)/comm" 2>/dev/null)" = dockerd ]; then
    pid=$(cat /var/run/docker.pid)
    say "dockerd (pid $pid) is running but not answering yet; waiting for it"
  else
    say "starting dockerd ${dockerd_args[*]} (log: $DOCKERD_LOG)"
    printf '\n---- %s toolchain.sh: dockerd %s\n' "$(date -u +%FT%TZ)" "${dockerd_args[*]}" >>"$DOCKERD_LOG"
    # its own session, so a Ctrl-C of this script or the end of the calling shell leaves it be
    setsid nohup dockerd "${dockerd_args[@]}" </dev/null >>"$DOCKERD_LOG" 2>&1 &
    pid=$!
    changed=1
  fi
  wait_for_daemon dockerd engine_up "$pid" "$DOCKERD_LOG" 60
  actual=$(docker info --format '{{.Driver}}')
  [ "$actual" = "$driver" ] || die "dockerd runs on storage driver '$actual', expected '$driver'"
  started_engine=1
fi

# --- registry on loopback (dockerd allows plain HTTP to 127.0.0.0/8 registries) ---------
started_registry=
if ! registry_up; then
  if [ ! -f "$REGISTRY_CONFIG" ]; then
    # Debian's /etc/docker/registry/config.yml asks for htpasswd auth; this one has none and
    # listens on loopback only.
    put_file "$REGISTRY_CONFIG" "version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $REGISTRY_ROOT
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR" || true
  fi
  mkdir -p "$REGISTRY_ROOT"
  say "starting the registry on $REGISTRY_ADDR (config: $REGISTRY_CONFIG, log: $REGISTRY_LOG)"
  setsid nohup docker-registry serve "$REGISTRY_CONFIG" </dev/null >>"$REGISTRY_LOG" 2>&1 &
  registry_pid=$!
  changed=1
  wait_for_daemon "the registry" registry_up "$registry_pid" "$REGISTRY_LOG" 30
  started_registry=1
fi

# Whenever the engine or the registry was (re)started: prove a push and a pull by digest work,
# with a one-file image (a few hundred bytes).
if [ -n "$started_engine$started_registry" ]; then
  probe_ref=$REGISTRY_ADDR/tradeyard/toolchain-probe:latest
  probe_dir=$(mktemp -d)
  cleanups+=("rm -rf '$probe_dir'")
  echo "pushed by tools/container/toolchain.sh" >"$probe_dir/probe.txt"
  tar -C "$probe_dir" -c probe.txt | docker import --message "toolchain.sh push probe" - "$probe_ref" >/dev/null
  docker push "$probe_ref" >"$probe_dir/push.log" 2>&1 || { cat "$probe_dir/push.log" >&2; die "docker push to $REGISTRY_ADDR failed"; }
  probe_digest=$(sed -n 's/.*digest: \(sha256:[0-9a-f]*\).*/\1/p' "$probe_dir/push.log")
  docker image rm "$probe_ref" >/dev/null
  docker pull -q "$REGISTRY_ADDR/tradeyard/toolchain-probe@$probe_digest" >/dev/null || die "pull by digest from $REGISTRY_ADDR failed"
  docker image rm "$REGISTRY_ADDR/tradeyard/toolchain-probe@$probe_digest" >/dev/null
  say "push to and pull by digest from $REGISTRY_ADDR work"
fi

image_size() { docker image inspect --format '{{.Size}}' "$1" | awk '{printf "%.1f MB", $1 / 1e6}'; }

if base_present && ! base_ok; then
  say "$BASE_IMAGE was seeded by another recipe: seeding it again"
  docker image rm "$BASE_IMAGE" >/dev/null
fi
if ! base_ok; then
  say "$BASE_IMAGE not present: trying docker pull (20 s)"
  if timeout 20 docker pull -q "$BASE_IMAGE" >/dev/null 2>&1; then
    say "pulled $BASE_IMAGE"
    changed=1
  else
    seed_base_image
    say "seeded $BASE_IMAGE: $(image_size "$BASE_IMAGE")"
  fi
fi
# After a fresh engine start or a new base image: a container must really run on this driver.
if [ -n "$started_engine" ] || [ -n "$changed" ]; then
  v=$(docker run --rm "$BASE_IMAGE" cat /etc/debian_version 2>&1) \
    || die "cannot run a container from $BASE_IMAGE on storage driver $(docker info --format '{{.Driver}}'): $v"
  say "a container from $BASE_IMAGE runs (Debian $v)"
fi

# --- summary ------------------------------------------------------------------------------
say "engine   $(docker version --format '{{.Server.Version}}' 2>/dev/null), storage driver $(docker info --format '{{.Driver}}'), client $(docker version --format '{{.Client.Version}}' 2>/dev/null) ($(command -v docker))"
say "buildx   $(docker buildx version | awk '{print $2}')"
say "compose  $(docker compose version --short)"
say "registry http://$REGISTRY_ADDR"
say "emulate  linux/$FOREIGN_ARCH via $FOREIGN_BINFMT ($(sed -n 's/^flags: //p' "$BINFMT_DIR/$FOREIGN_BINFMT"))"
say "base     $BASE_IMAGE $(docker image inspect --format '{{.Id}}' "$BASE_IMAGE" | cut -c8-19) $(image_size "$BASE_IMAGE")"
say "container toolchain ready in ${SECONDS} s$([ -n "$changed" ] || echo ' (nothing changed)')"
