#!/usr/bin/env bash
# The test command: set up (engine, images), then lint, type-check and run the whole suite.
# With CI=true a missing Docker engine fails the Docker tests instead of skipping them.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup.sh" --challenges-dir "$ROOT/tests/challenges"
# The browser test drives Debian's Chromium (Playwright's own browser download is not used).
command -v chromium >/dev/null || apt_install chromium
# Throwaway Redis and PostgreSQL for the scale-out tests (marker `services`), stopped on exit.
source "$ROOT/scripts/services.sh"
cd "$ROOT"
ruff check .
ruff format --check api runner graders sandbox tests bench
mypy
pytest "$@"
