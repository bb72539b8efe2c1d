#!/usr/bin/env bash
# The project in a virtualenv: Python >= 3.11, $TAKEHOME_VENV (default .venv) with takehome[dev]
# installed editable, and its bin/ first on PATH. Idempotent: a second run only checks. Sourced
# by setup.sh and by `test.sh --fast`; needs no Docker, and root only where python3 or
# python3-venv is missing (then it installs them on Debian/Ubuntu, or says what is missing).
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
