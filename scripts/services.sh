#!/usr/bin/env bash
# Start throwaway Redis and PostgreSQL servers for the scale-out tests (sourced by test.sh).
# On loopback, on free ports (or TAKEHOME_TEST_REDIS_PORT / TAKEHOME_TEST_POSTGRES_PORT), in a
# temporary folder; stopped when the sourcing shell exits (this sets that shell's EXIT trap).
# Installs Debian's redis-server and postgresql when missing (root on Debian/Ubuntu).
# Exports TAKEHOME_TEST_REDIS_URL and TAKEHOME_TEST_POSTGRES_URL for the tests marked `services`;
# a URL already set is used as it is and that server is not started.
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

_svc_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# _svc_start WANT_REDIS WANT_POSTGRES (1 or 0 each)
_svc_start() {
  if [ "$1" = 1 ] && ! command -v redis-server >/dev/null; then apt_install redis-server; fi
  if [ "$2" = 1 ] && [ -z "$(_svc_pg_bin)" ]; then apt_install postgresql; fi
  TAKEHOME_SERVICES_DIR="$(mktemp -d /tmp/takehome-services.XXXXXX)"
  export TAKEHOME_SERVICES_DIR
  trap _svc_stop EXIT  # from here on: a failed start leaves nothing behind
  chmod 755 "$TAKEHOME_SERVICES_DIR"
  if [ "$1" = 1 ]; then _svc_redis; fi
  if [ "$2" = 1 ]; then _svc_postgres; fi
  _svc_log "redis on $TAKEHOME_TEST_REDIS_URL, postgres on $TAKEHOME_TEST_POSTGRES_URL"
}

_svc_redis() {
  local port="${TAKEHOME_TEST_REDIS_PORT:-$(_svc_free_port)}"
  redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
    --dir "$TAKEHOME_SERVICES_DIR" --daemonize yes --pidfile "$TAKEHOME_SERVICES_DIR/redis.pid" \
    --logfile "$TAKEHOME_SERVICES_DIR/redis.log"
  for _ in $(seq 1 50); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  if ! redis-cli -p "$port" ping >/dev/null 2>&1; then
    _svc_log "redis-server does not answer on 127.0.0.1:$port after 5 s; its log:"
    tail -n 5 "$TAKEHOME_SERVICES_DIR/redis.log" >&2 || true
    exit 1
  fi
  export TAKEHOME_TEST_REDIS_URL="redis://127.0.0.1:$port/0"
}

_svc_postgres() {
  local port="${TAKEHOME_TEST_POSTGRES_PORT:-$(_svc_free_port)}"
  local pgdata="$TAKEHOME_SERVICES_DIR/pg"
  _SVC_PGBIN="$(_svc_pg_bin)"
  # PostgreSQL refuses to run as root: run it as the `postgres` user (Debian's package makes
  # one), or as the current user when that is not root.
  _SVC_USER="$(id -un)"
  if [ "$(id -u)" = 0 ]; then _SVC_USER=postgres; fi
  mkdir -p "$pgdata" && chown "$_SVC_USER" "$pgdata"
  _svc_as "$_SVC_USER" "$_SVC_PGBIN/initdb" -D "$pgdata" -U takehome --auth=trust -E UTF8 >/dev/null
  if ! _svc_as "$_SVC_USER" "$_SVC_PGBIN/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w -o \
    "-c listen_addresses=127.0.0.1 -p $port -k $pgdata -c fsync=off -c max_connections=200" \
    start >/dev/null; then
    _svc_log "postgres did not start on 127.0.0.1:$port; its log:"
    tail -n 5 "$pgdata/server.log" >&2 || true
    exit 1
  fi
  export TAKEHOME_TEST_POSTGRES_URL="postgresql+psycopg://takehome@127.0.0.1:$port/postgres"
}

_svc_as() {
  local user="$1"; shift
  if [ "$user" = "$(id -un)" ]; then "$@"; else runuser -u "$user" -- "$@"; fi
}

_svc_stop() {
  [ -n "${TAKEHOME_SERVICES_DIR:-}" ] || return 0
  if [ -f "$TAKEHOME_SERVICES_DIR/pg/postmaster.pid" ]; then
    _svc_as "$_SVC_USER" "$_SVC_PGBIN/pg_ctl" -D "$TAKEHOME_SERVICES_DIR/pg" -m immediate stop \
      >/dev/null 2>&1 || true
  fi
  if [ -f "$TAKEHOME_SERVICES_DIR/redis.pid" ]; then
    kill "$(cat "$TAKEHOME_SERVICES_DIR/redis.pid")" 2>/dev/null || true
  fi
  rm -rf "$TAKEHOME_SERVICES_DIR"
}

if [ -z "${TAKEHOME_SKIP_SERVICES:-}" ]; then
  # Start each server whose URL is not given already.
  _svc_want_redis=1 _svc_want_pg=1
  if [ -n "${TAKEHOME_TEST_REDIS_URL:-}" ]; then _svc_want_redis=0; fi
  if [ -n "${TAKEHOME_TEST_POSTGRES_URL:-}" ]; then _svc_want_pg=0; fi
  if [ "$_svc_want_redis$_svc_want_pg" != 00 ]; then
    if ! declare -F apt_install >/dev/null; then
      apt_install() { _svc_log "missing: $* (install it)"; exit 1; }
    fi
    _svc_start "$_svc_want_redis" "$_svc_want_pg"
  fi
fi
