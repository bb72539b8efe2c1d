#!/usr/bin/env bash
# Prepare this machine to run takehome: a virtualenv with the project, a running Docker engine,
# and the sandbox images. Idempotent: a second run only checks. Sourced by demo.sh and test.sh.
# On Debian/Ubuntu as root it installs what is missing (python3-venv, docker.io, debootstrap);
# elsewhere it uses what is there and says what is missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# 1. Python >= 3.11 and the project in a virtualenv (also all that `test.sh --fast` sets up).
source "$ROOT/scripts/venv.sh"
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
