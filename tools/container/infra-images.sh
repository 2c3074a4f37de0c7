#!/usr/bin/env bash
# Air-gapped stand-ins for the official postgres:16 and redis:7 images, built from Debian's
# packages on top of the local debian:bookworm-slim base (the one image this machine has;
# apt inside the build reaches the Debian mirror). They keep the official images' interface
# so the compose files need only an override that swaps the image name:
#   postgres  POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB, data in
#             /var/lib/postgresql/data (initialised on first start), port 5432,
#             `pg_isready` and `psql` on PATH for healthchecks and backups.
#             Debian ships no PostgreSQL 16 package (bookworm has 15, trixie 17): the stand-in
#             is PostgreSQL 15, wire- and SQL-compatible for what Tradeyard uses.
#   redis     `redis-server` and `redis-cli` on PATH, data in /data, port 6379, and, as in
#             the official image, `--protected-mode no` unless a config file is given.
# Tests use them only through docker-compose.standins.yml; production pulls the official images.
#   bash tools/container/infra-images.sh            build both (skips images already present)
#   bash tools/container/infra-images.sh --force    rebuild both
set -euo pipefail

BASE_IMAGE=${BASE_IMAGE:-debian:bookworm-slim}
POSTGRES_STANDIN=${POSTGRES_STANDIN:-tradeyard-standin/postgres:16}
REDIS_STANDIN=${REDIS_STANDIN:-tradeyard-standin/redis:7}
force=${1:-}
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT

present() { [ "$force" != --force ] && docker image inspect "$1" >/dev/null 2>&1; }

mkdir -p "$context/postgres" "$context/redis"

cat >"$context/postgres/entrypoint.sh" <<'SCRIPT'
#!/bin/sh
# First start: initialise PGDATA with POSTGRES_USER/POSTGRES_PASSWORD and create POSTGRES_DB,
# as the official image's docker-entrypoint.sh does; then run the server in the foreground.
set -eu
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required (as for the official postgres image)}"
user=${POSTGRES_USER:-postgres}
db=${POSTGRES_DB:-$user}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 -D "$PGDATA" >/dev/null
  rm -f "$pwfile"
  printf "host all all all scram-sha-256\n" >>"$PGDATA/pg_hba.conf"
  if [ "$db" != postgres ]; then
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
    psql -v ON_ERROR_STOP=1 --username="$user" --dbname=postgres -c "CREATE DATABASE \"$db\"" >/dev/null
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  fi
fi
if [ "${1:-postgres}" = postgres ]; then
  [ $# -gt 0 ] && shift
  exec postgres -D "$PGDATA" -c listen_addresses='*' "$@"
fi
exec "$@"
SCRIPT

cat >"$context/postgres/Dockerfile" <<DOCKERFILE
FROM $BASE_IMAGE
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null \\
 && rm -rf /var/lib/apt/lists/* /var/lib/postgresql/15 /etc/postgresql/15/main \\
 && mkdir -p /var/lib/postgresql/data /var/run/postgresql \\
 && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql \\
 && chmod 0700 /var/lib/postgresql/data \\
 && chmod 3777 /var/run/postgresql
COPY --chmod=0755 entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:\$PATH PGDATA=/var/lib/postgresql/data
USER postgres
VOLUME ["/var/lib/postgresql/data"]
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
DOCKERFILE

# As the official image's entrypoint: a `redis-server` command without a config file gets
# `--protected-mode no`, else Redis 7 refuses clients from other containers.
cat >"$context/redis/entrypoint.sh" <<'SCRIPT'
#!/bin/sh
set -eu
if [ "${1:-}" = redis-server ] && ! [ -f "${2:-}" ]; then
  shift
  set -- redis-server --protected-mode no "$@"
fi
exec "$@"
SCRIPT

cat >"$context/redis/Dockerfile" <<DOCKERFILE
FROM $BASE_IMAGE
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends redis-server >/dev/null \\
 && rm -rf /var/lib/apt/lists/* \\
 && mkdir -p /data && chown redis:redis /data
USER redis
WORKDIR /data
VOLUME ["/data"]
EXPOSE 6379
COPY --chmod=0755 entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["redis-server"]
DOCKERFILE

build() {
  local image=$1 dir=$2
  if present "$image"; then echo "==> $image present"; return; fi
  echo "==> building $image from Debian packages"
  DOCKER_BUILDKIT=1 docker build --quiet --label "org.opencontainers.image.description=Air-gapped stand-in built by tools/container/infra-images.sh" -t "$image" "$dir" >/dev/null
}
build "$POSTGRES_STANDIN" "$context/postgres"
build "$REDIS_STANDIN" "$context/redis"
