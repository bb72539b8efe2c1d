#!/usr/bin/env bash
# Prepare this machine to run takehome: a virtualenv with the project, a running Docker engine,
# and the sandbox images. Idempotent: a second run only checks. Sourced by demo.sh and test.sh.
# On Debian/Ubuntu as root it installs what is missing (python3-venv, docker.io, debootstrap);
# elsewhere it uses what is there and says what is missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${TAKEHOME_VENV:-$ROOT/.venv}"
log() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

apt_install() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    log "missing: $* (install them, or run as root on Debian/Ubuntu)"; exit 1
  fi
  if [ -z "${_APT_UPDATED:-}" ]; then apt-get update -qq; _APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# 1. Python >= 3.11 with venv, and the project in a virtualenv.
command -v python3 >/dev/null || apt_install python3 python3-venv
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { log "Python >= 3.11 is required"; exit 1; }
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$VENV"; }
fi
if ! "$VENV/bin/python" -c 'import runner, graders, sandbox, mypy' 2>/dev/null \
   || [ "$ROOT/pyproject.toml" -nt "$VENV/.takehome-installed" ]; then
  log "installing takehome into $VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -e "$ROOT[dev]"
  touch "$VENV/.takehome-installed"
fi
export PATH="$VENV/bin:$PATH"
# git: the Git intake (Git URL submissions, webhooks) and its tests run the real binary.
command -v git >/dev/null || apt_install git

# 2. A Docker engine: use a running one; otherwise install and start one (root on Debian).
if ! docker info >/dev/null 2>&1; then
  command -v dockerd >/dev/null || apt_install docker.io
  command -v docker >/dev/null || apt_install docker.io
  if [ "$(id -u)" != 0 ]; then log "the Docker engine is not running and I am not root to start it"; exit 1; fi
  log "starting dockerd (log: /var/log/takehome-dockerd.log)"
  nohup dockerd >/var/log/takehome-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { log "dockerd did not come up; see /var/log/takehome-dockerd.log"; exit 1; }
fi

# 3. Images (base from debootstrap unless TAKEHOME_BASE_IMAGE names one).
if [ -z "${TAKEHOME_BASE_IMAGE:-}" ] && ! command -v debootstrap >/dev/null; then apt_install debootstrap; fi
takehome "$@" images build
