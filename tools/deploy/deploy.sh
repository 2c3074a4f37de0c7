#!/usr/bin/env bash
# Deploys Tradeyard's pre-built images with docker compose, and rolls back by itself.
#   tools/deploy/deploy.sh pull-and-restart TAG   pull TAG, record the running tag, `up -d`,
#                                                 wait until every service is healthy; on a
#                                                 failed wait print the failing services' last
#                                                 log lines, roll back, exit 1
#   tools/deploy/deploy.sh rollback [TAG]         back to TAG or to the recorded previous tag
#   tools/deploy/deploy.sh status                 the running and the recorded tags
# Settings (environment): COMPOSE_FILES (default docker-compose.prod.yml; colon-separated),
# COMPOSE_PROJECT_NAME (tradeyard), ENV_FILE (.env, read when present), DEPLOY_STATE_DIR
# (.deploy: files current-tag and previous-tag), HEALTH_TIMEOUT seconds (180), LOG_LINES (40),
# DEPLOY_SERVICES (the services whose image carries IMAGE_TAG and are pulled).
# Exit codes: 0 healthy on TAG; 1 TAG failed and the previous tag runs again; 2 usage or pull
# error (nothing changed); 3 the rollback failed too.
set -euo pipefail

COMPOSE_FILES=${COMPOSE_FILES:-docker-compose.prod.yml}
export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-tradeyard}
ENV_FILE=${ENV_FILE:-.env}
STATE_DIR=${DEPLOY_STATE_DIR:-.deploy}
HEALTH_TIMEOUT=${HEALTH_TIMEOUT:-180}
LOG_LINES=${LOG_LINES:-40}
DEPLOY_SERVICES=${DEPLOY_SERVICES:-api-gateway scanner mcp-tools trading-agent}

say() { echo "deploy: $*" >&2; }
usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# The server's .env holds the secrets; exported so compose interpolates them.
if [ -f "$ENV_FILE" ]; then set -a; . "$ENV_FILE"; set +a; fi
compose_args=()
IFS=: read -ra files <<<"$COMPOSE_FILES"
for file in "${files[@]}"; do compose_args+=(-f "$file"); done
compose() { docker compose "${compose_args[@]}" "$@"; }

recorded() { cat "$STATE_DIR/$1" 2>/dev/null || true; }
record() { mkdir -p "$STATE_DIR" && echo "$2" >"$STATE_DIR/$1"; }

# The tag the gateway container runs now, else the last one recorded.
running_tag() {
  local id image
  # Any tag will do for reading the project's containers; the file only needs one to parse.
  id=$(IMAGE_TAG=${IMAGE_TAG:-none} compose ps -q api-gateway 2>/dev/null | head -1 || true)
  if [ -n "$id" ]; then
    image=$(docker inspect --format '{{.Config.Image}}' "$id")
    echo "${image##*:}"
  else
    recorded current-tag
  fi
}

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

# Brings TAG up and waits; on failure prints the failing services' logs.
start_and_wait() {
  local tag=$1 failing started=$SECONDS
  # Every compose call from here on (up, ps, logs) interpolates the file with this tag.
  export IMAGE_TAG=$tag
  compose up -d --no-build --remove-orphans --pull never
  if failing=$(wait_healthy); then
    say "all services healthy on $tag after $((SECONDS - started)) s"
    return 0
  fi
  for service in $failing; do
    say "service $service is not healthy on $tag; its last $LOG_LINES log lines:"
    compose --ansi never logs --no-color --tail "$LOG_LINES" "$service" >&2 || true
  done
  return 1
}

rollback() {
  local tag=${1:-$(recorded previous-tag)}
  [ -n "$tag" ] || { say "no tag to roll back to (none given, none recorded in $STATE_DIR/previous-tag)"; return 3; }
  say "rolling back to $tag"
  if start_and_wait "$tag"; then
    record current-tag "$tag"
    return 0
  fi
  say "rollback to $tag failed too"
  return 3
}

pull_and_restart() {
  local tag=$1 previous
  previous=$(running_tag)
  say "pulling $tag (running: ${previous:-nothing})"
  # shellcheck disable=SC2086 # DEPLOY_SERVICES is a word list
  IMAGE_TAG=$tag compose pull --quiet $DEPLOY_SERVICES || { say "pull of $tag failed; nothing changed"; return 2; }
  if [ -n "$previous" ] && [ "$previous" != "$tag" ]; then record previous-tag "$previous"; fi
  say "starting $tag"
  if start_and_wait "$tag"; then
    record current-tag "$tag"
    return 0
  fi
  say "deploy of $tag failed"
  if [ -z "$previous" ] || [ "$previous" = "$tag" ]; then
    say "no previous tag to roll back to"
    return 3
  fi
  rollback "$previous" || return 3
  return 1
}

case "${1:-}" in
  pull-and-restart) [ -n "${2:-}" ] || usage; pull_and_restart "$2" ;;
  rollback) rollback "${2:-}" ;;
  status) echo "running: $(running_tag)  current: $(recorded current-tag)  previous: $(recorded previous-tag)" ;;
  *) usage ;;
esac
