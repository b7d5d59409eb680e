#!/bin/sh
# Berth's bundled PostgreSQL. On the first start (an empty volume) creates the cluster: superuser
# `berth` with the password BERTH_POSTGRES_PASSWORD, password (SCRAM) authentication for every
# connection. Then runs postgres in the foreground, listening on the compose network.
# The password is set once, like PostgreSQL's own images do: changing it later in .env does not
# change the database's (ALTER USER berth PASSWORD '…' does).
set -eu

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${BERTH_POSTGRES_PASSWORD:-}" ]; then
    echo "berth-postgres: BERTH_POSTGRES_PASSWORD is empty: set it in .env (see .env.example) before the first start" >&2
    exit 2
  fi
  mkdir -p "$PGDATA"
  chmod 0700 "$PGDATA"
  pwfile=$(mktemp)
  trap 'rm -f "$pwfile"' EXIT
  printf '%s\n' "$BERTH_POSTGRES_PASSWORD" > "$pwfile"
  initdb -D "$PGDATA" -U berth --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
    --auth-local=scram-sha-256 --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  trap - EXIT
  # initdb allows loopback only; the services connect over the compose network.
  printf 'host all all all scram-sha-256\n' >> "$PGDATA/pg_hba.conf"
  echo "berth-postgres: created the cluster in $PGDATA"
fi

exec postgres -D "$PGDATA" \
  -c listen_addresses='*' \
  -c max_connections="${BERTH_POSTGRES_MAX_CONNECTIONS:-300}" \
  -c shared_buffers="${BERTH_POSTGRES_SHARED_BUFFERS:-128MB}"
