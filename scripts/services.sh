#!/usr/bin/env bash
# Start throwaway Redis and PostgreSQL servers for the scale-out tests (sourced by test.sh).
# On loopback, on non-default ports, in a temporary folder; stopped when the sourcing shell
# exits. Installs Debian's redis-server and postgresql when missing (root on Debian/Ubuntu).
# Exports TAKEHOME_TEST_REDIS_URL and TAKEHOME_TEST_POSTGRES_URL for the tests marked `services`.
# Set TAKEHOME_SKIP_SERVICES=1 to start nothing (those tests then skip, or fail with CI=true).
set -euo pipefail
_svc_log() { printf '\033[1m[services]\033[0m %s\n' "$*" >&2; }

_svc_pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && { echo "$dir"; return; }
  done
  command -v initdb >/dev/null && dirname "$(command -v initdb)"
}

_svc_start() {
  if ! command -v redis-server >/dev/null; then apt_install redis-server; fi
  if [ -z "$(_svc_pg_bin)" ]; then apt_install postgresql; fi
  local pgbin redis_port pg_port user
  pgbin="$(_svc_pg_bin)"
  redis_port="${TAKEHOME_TEST_REDIS_PORT:-56379}"
  pg_port="${TAKEHOME_TEST_POSTGRES_PORT:-55432}"
  TAKEHOME_SERVICES_DIR="$(mktemp -d /tmp/takehome-services.XXXXXX)"
  chmod 755 "$TAKEHOME_SERVICES_DIR"

  redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
    --dir "$TAKEHOME_SERVICES_DIR" --daemonize yes --pidfile "$TAKEHOME_SERVICES_DIR/redis.pid" \
    --logfile "$TAKEHOME_SERVICES_DIR/redis.log"

  # PostgreSQL refuses to run as root: run it as the `postgres` user (Debian's package makes
  # one), or as the current user when that is not root.
  user="$(id -un)"
  if [ "$(id -u)" = 0 ]; then user=postgres; fi
  local pgdata="$TAKEHOME_SERVICES_DIR/pg"
  mkdir -p "$pgdata" && chown "$user" "$pgdata"
  _svc_as "$user" "$pgbin/initdb" -D "$pgdata" -U takehome --auth=trust -E UTF8 >/dev/null
  _svc_as "$user" "$pgbin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w -o \
    "-c listen_addresses=127.0.0.1 -p $pg_port -k $pgdata -c fsync=off -c max_connections=200" \
    start >/dev/null

  for _ in $(seq 1 50); do
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  export TAKEHOME_SERVICES_DIR
  export TAKEHOME_TEST_REDIS_URL="redis://127.0.0.1:$redis_port/0"
  export TAKEHOME_TEST_POSTGRES_URL="postgresql+psycopg://takehome@127.0.0.1:$pg_port/postgres"
  _SVC_PGBIN="$pgbin" _SVC_USER="$user"
  trap _svc_stop EXIT
  _svc_log "redis on $TAKEHOME_TEST_REDIS_URL, postgres on $TAKEHOME_TEST_POSTGRES_URL"
}

_svc_as() {
  local user="$1"; shift
  if [ "$user" = "$(id -un)" ]; then "$@"; else runuser -u "$user" -- "$@"; fi
}

_svc_stop() {
  [ -n "${TAKEHOME_SERVICES_DIR:-}" ] || return 0
  _svc_as "$_SVC_USER" "$_SVC_PGBIN/pg_ctl" -D "$TAKEHOME_SERVICES_DIR/pg" -m immediate stop \
    >/dev/null 2>&1 || true
  if [ -f "$TAKEHOME_SERVICES_DIR/redis.pid" ]; then
    kill "$(cat "$TAKEHOME_SERVICES_DIR/redis.pid")" 2>/dev/null || true
  fi
  rm -rf "$TAKEHOME_SERVICES_DIR"
}

if [ -z "${TAKEHOME_SKIP_SERVICES:-}" ] && [ -z "${TAKEHOME_TEST_POSTGRES_URL:-}" ]; then
  if ! declare -F apt_install >/dev/null; then
    apt_install() { _svc_log "missing: $* (install it)"; exit 1; }
  fi
  _svc_start
fi
