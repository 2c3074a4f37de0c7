#!/usr/bin/env bash
# Deploys Tradeyard's pre-built images with docker compose, by digest, verified, and rolls back
# by itself.
#   tools/deploy/deploy.sh pull-and-restart TAG   resolve TAG to one digest per service, verify
#                                                 every image's cosign signature (nothing changes
#                                                 when one fails), record the running release,
#                                                 `up -d` the digests, wait until every service is
#                                                 healthy; on a failed wait print the failing
#                                                 services' last log lines, roll back, exit 1
#   tools/deploy/deploy.sh rollback [TAG]         back to TAG (resolved and verified as above) or
#                                                 to the recorded previous release's digests
#   tools/deploy/deploy.sh status                 the running and the recorded releases
# Settings (environment): COMPOSE_FILES (default docker-compose.prod.yml; colon-separated),
# COMPOSE_PROJECT_NAME (tradeyard), ENV_FILE (.env, read when present), DEPLOY_STATE_DIR
# (.deploy: current-tag, previous-tag and the digests of each in current-release and
# previous-release; last-deploy.json, the timing of the last healthy pull-and-restart),
# HEALTH_TIMEOUT seconds (180), LOG_LINES (40), DEPLOY_SERVICES (the services whose image
# carries IMAGE_TAG; compose runs each by digest through an override file, release.compose.yml
# in the state folder).
# Pulls ride out a flaky registry: each `docker pull` gets PULL_ATTEMPTS tries (5), each bounded
# by PULL_TIMEOUT seconds (300), PULL_BACKOFF seconds (2) before the first retry, doubling up to
# PULL_BACKOFF_MAX (30); a tag the registry does not have is not retried.
# Timing: a healthy pull-and-restart reports "healthy on TAG in N s (pull M s, start-to-healthy
# K s)"; N - M, the deploy without its pulls, should stay under 2 minutes.
# Signature policy, one of: COSIGN_PUBLIC_KEY (a key file: images signed with a key pair), or
# COSIGN_CERTIFICATE_IDENTITY_REGEXP with COSIGN_CERTIFICATE_OIDC_ISSUER (default GitHub
# Actions': images signed keyless by CI). DEPLOY_VERIFY=off skips verification (development).
# Exit codes: 0 healthy on TAG; 1 TAG failed and the previous release runs again; 2 usage or
# pull error (nothing changed); 3 the rollback failed too; 4 an image failed verification
# (nothing changed).
set -euo pipefail

COMPOSE_FILES=${COMPOSE_FILES:-docker-compose.prod.yml}
export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-tradeyard}
ENV_FILE=${ENV_FILE:-.env}
STATE_DIR=${DEPLOY_STATE_DIR:-.deploy}
HEALTH_TIMEOUT=${HEALTH_TIMEOUT:-180}
LOG_LINES=${LOG_LINES:-40}
DEPLOY_SERVICES=${DEPLOY_SERVICES:-api-gateway scanner mcp-tools trading-agent}
DEPLOY_VERIFY=${DEPLOY_VERIFY:-on}
PULL_ATTEMPTS=${PULL_ATTEMPTS:-5}
PULL_TIMEOUT=${PULL_TIMEOUT:-300}
PULL_BACKOFF=${PULL_BACKOFF:-2}
PULL_BACKOFF_MAX=${PULL_BACKOFF_MAX:-30}

say() { echo "deploy: $*" >&2; }
# the releases being resolved or rolled back to, gone when the script ends
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# The server's .env holds the secrets; exported so compose interpolates them.
if [ -f "$ENV_FILE" ]; then set -a; . "$ENV_FILE"; set +a; fi
compose_args=()
IFS=: read -ra files <<<"$COMPOSE_FILES"
for file in "${files[@]}"; do compose_args+=(-f "$file"); done
# the digests of the release being started (use_release), an extra compose file
release_override=
compose() { docker compose "${compose_args[@]}" ${release_override:+-f "$release_override"} "$@"; }

recorded() { cat "$STATE_DIR/$1" 2>/dev/null || true; }
record() { mkdir -p "$STATE_DIR" && echo "$2" >"$STATE_DIR/$1"; }

# The repository SERVICE's image comes from, as the compose file names it for TAG.
repository_of() {
  local service=$1 tag=$2 image
  image=$(IMAGE_TAG=$tag compose config --format json | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => process.stdout.write(JSON.parse(s).services[process.argv[1]].image));' "$service")
  echo "${image%:"$tag"}"
}

# Pulls REF, retrying with exponential backoff while the registry fails or does not answer;
# prints why the last attempt failed and returns 1 when no attempt succeeded.
pull() {
  local ref=$1 attempt=1 delay=$PULL_BACKOFF output status
  while :; do
    output=$(timeout "$PULL_TIMEOUT" docker pull -q "$ref" 2>&1 >/dev/null) && return 0
    status=$?
    [ $status -eq 124 ] && output="no answer within $PULL_TIMEOUT s"
    output=$(echo "$output" | grep -v '^$' | tail -1)
    output=${output#Error response from daemon: }
    # the registry answered that it has no such tag: asking again cannot help
    if [[ $output == *"manifest unknown"* || $output == *"not found"* ]]; then echo "$output"; return 1; fi
    if [ "$attempt" -ge "$PULL_ATTEMPTS" ]; then echo "$attempt attempts; last: $output"; return 1; fi
    say "pull of $ref failed (attempt $attempt of $PULL_ATTEMPTS: $output); retrying in $delay s"
    sleep "$delay"
    attempt=$((attempt + 1))
    delay=$((delay * 2 > PULL_BACKOFF_MAX ? PULL_BACKOFF_MAX : delay * 2))
  done
}

# Resolves TAG to one digest per deployed service: prints "SERVICE REPOSITORY@sha256:..." lines.
# The images are pulled (so the digest is what this engine will run); nothing else changes.
resolve_release() {
  local tag=$1 service repository digest why
  for service in $DEPLOY_SERVICES; do
    repository=$(release_override='' repository_of "$service" "$tag")
    why=$(pull "$repository:$tag") || { say "pull of $tag failed ($repository:$tag: $why); nothing changed"; return 2; }
    digest=$(docker image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$repository:$tag" | grep -m1 "^$repository@sha256:") \
      || { say "no digest for $repository:$tag; nothing changed"; return 2; }
    echo "$service $digest"
  done
}

# Verifies every image of a release file against the signature policy; on the first failure
# prints one line naming the image and why, and returns 4.
verify_release() {
  local file=$1 service ref output flags=()
  if [ "$DEPLOY_VERIFY" = off ]; then say "signature verification is off (DEPLOY_VERIFY=off)"; return 0; fi
  if [ -n "${COSIGN_PUBLIC_KEY:-}" ]; then
    # key-pair signatures are not in the public transparency log (tools/container/attest.sh)
    flags=(--key "$COSIGN_PUBLIC_KEY" --insecure-ignore-tlog=true)
  elif [ -n "${COSIGN_CERTIFICATE_IDENTITY_REGEXP:-}" ]; then
    flags=(--certificate-identity-regexp "$COSIGN_CERTIFICATE_IDENTITY_REGEXP" --certificate-oidc-issuer "${COSIGN_CERTIFICATE_OIDC_ISSUER:-https://token.actions.githubusercontent.com}")
  else
    say "refusing: no signature policy (set COSIGN_PUBLIC_KEY or COSIGN_CERTIFICATE_IDENTITY_REGEXP; DEPLOY_VERIFY=off skips verification); nothing changed"
    return 4
  fi
  command -v cosign >/dev/null || { say "refusing: cosign is not installed, signatures cannot be verified; nothing changed"; return 4; }
  while read -r service ref; do
    local http=()
    case ${ref%%/*} in 127.* | localhost | localhost:*) http=(--allow-http-registry) ;; esac
    if ! output=$(cosign verify "${flags[@]}" "${http[@]}" "$ref" 2>&1 >/dev/null); then
      say "refusing: $service image $ref has no valid signature ($(echo "$output" | grep -m1 -i 'error' | sed 's/^Error: //')); nothing changed"
      return 4
    fi
  done <"$file"
  say "signatures verified: $(cut -d' ' -f2 "$file" | tr '\n' ' ')"
}

# Makes every later compose call run exactly the digests of a release file: an override
# file naming each service's image by digest (the prod file itself stays Swarm-compatible).
use_release() {
  local service ref
  mkdir -p "$STATE_DIR"
  release_override=$STATE_DIR/release.compose.yml
  { echo "services:"; while read -r service ref; do printf '  %s:\n    image: %s\n' "$service" "$ref"; done <"$1"; } >"$release_override"
}

recorded_release() { [ -f "$STATE_DIR/$1" ] && cat "$STATE_DIR/$1"; }
running_tag() { recorded current-tag; }

# Waits until every container of the project is healthy (or running, when it has no
# healthcheck). On timeout, or as soon as one turns unhealthy, prints the services at fault
# (the unhealthy ones, else those not yet healthy) and returns 1. An exited or restarting
# container is not at fault by itself: restart policies bring it back while dependencies start.
wait_healthy() {
  local deadline=$((SECONDS + HEALTH_TIMEOUT)) ids id status health service
  local -a pending unhealthy
  while :; do
    pending=() unhealthy=()
    ids=$(compose ps -aq)
    for id in $ids; do
      read -r status health service < <(docker inspect --format \
        '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}} {{index .Config.Labels "com.docker.compose.service"}}' "$id")
      case "$status/$health" in
        running/healthy | running/none) ;;
        running/unhealthy) unhealthy+=("$service") ;;
        *) pending+=("$service") ;;
      esac
    done
    if [ ${#unhealthy[@]} -gt 0 ]; then printf '%s\n' "${unhealthy[@]}" | sort -u; return 1; fi
    if [ -n "$ids" ] && [ ${#pending[@]} -eq 0 ]; then return 0; fi
    if [ $SECONDS -ge $deadline ]; then printf '%s\n' "${pending[@]}" | sort -u; return 1; fi
    sleep 2
  done
}

# Brings the release (TAG and its digests in FILE) up and waits; on failure prints the failing
# services' logs.
start_and_wait() {
  local tag=$1 file=$2 failing
  started_at=$SECONDS
  # Every compose call from here on (up, ps, logs) interpolates the file with this release.
  export IMAGE_TAG=$tag
  use_release "$file"
  compose up -d --no-build --remove-orphans --pull never
  if failing=$(wait_healthy); then
    say "all services healthy on $tag after $((SECONDS - started_at)) s"
    return 0
  fi
  for service in $failing; do
    say "service $service is not healthy on $tag; its last $LOG_LINES log lines:"
    compose --ansi never logs --no-color --tail "$LOG_LINES" "$service" >&2 || true
  done
  return 1
}

# Moves a verified release into place as the current one.
record_release() { mkdir -p "$STATE_DIR" && cp "$2" "$STATE_DIR/current-release" && record current-tag "$1"; }

rollback() {
  local tag=${1:-} file=$work/rollback-release
  if [ -n "$tag" ]; then
    resolve_release "$tag" >"$file" || return $?
    verify_release "$file" || return $?
  else
    tag=$(recorded previous-tag)
    recorded_release previous-release >"$file" || { say "no release to roll back to (none given, none recorded in $STATE_DIR/previous-release)"; return 3; }
  fi
  say "rolling back to $tag ($(cut -d' ' -f2 "$file" | tr '\n' ' '))"
  if start_and_wait "$tag" "$file"; then
    record_release "$tag" "$file"
    return 0
  fi
  say "rollback to $tag failed too"
  return 3
}

# Reports how long a healthy pull-and-restart took, on stderr and in last-deploy.json.
report_timing() {
  local tag=$1 total=$((SECONDS - deploy_started_at)) pulled=$2 healthy=$((SECONDS - started_at))
  say "healthy on $tag in $total s (pull $pulled s, start-to-healthy $healthy s; $((total - pulled)) s without the pull)"
  printf '{"tag":"%s","seconds":%d,"pullSeconds":%d,"startToHealthySeconds":%d,"secondsWithoutPull":%d,"finishedAt":"%s"}\n' \
    "$tag" "$total" "$pulled" "$healthy" "$((total - pulled))" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$STATE_DIR/last-deploy.json"
}

pull_and_restart() {
  local tag=$1 previous file=$work/new-release pulled
  deploy_started_at=$SECONDS
  previous=$(running_tag)
  say "resolving $tag (running: ${previous:-nothing})"
  resolve_release "$tag" >"$file" || return $?
  pulled=$((SECONDS - deploy_started_at))
  verify_release "$file" || return $?
  if [ -n "$previous" ] && [ -f "$STATE_DIR/current-release" ] && ! cmp -s "$file" "$STATE_DIR/current-release"; then
    record previous-tag "$previous"
    cp "$STATE_DIR/current-release" "$STATE_DIR/previous-release"
  fi
  say "starting $tag"
  if start_and_wait "$tag" "$file"; then
    record_release "$tag" "$file"
    report_timing "$tag" "$pulled"
    return 0
  fi
  say "deploy of $tag failed"
  if [ ! -f "$STATE_DIR/previous-release" ] || cmp -s "$file" "$STATE_DIR/previous-release"; then
    say "no previous release to roll back to"
    return 3
  fi
  rollback || return 3
  return 1
}

case "${1:-}" in
  pull-and-restart) [ -n "${2:-}" ] || usage; pull_and_restart "$2" ;;
  rollback) rollback "${2:-}" ;;
  status)
    echo "current: $(recorded current-tag)  previous: $(recorded previous-tag)"
    recorded_release current-release | sed 's/^/  /' || true
    ;;
  *) usage ;;
esac
