#!/usr/bin/env bash
# The test command, in two lanes. Extra arguments go to pytest.
#
#   bash scripts/test.sh            the full lane, what .ci/run calls: set up everything (the
#                                   virtualenv, a Docker engine and the images, Chromium, throwaway
#                                   Redis and PostgreSQL), then ruff, ruff format, mypy, and the
#                                   whole suite under coverage, which fails below the floor
#                                   (`fail_under` in pyproject.toml's [tool.coverage.report]).
#                                   Without extra arguments, the challenge packs' validations run
#                                   beside the rest of the suite (two pytest processes).
#   bash scripts/test.sh --fast     the fast lane: the virtualenv only (no root, no Docker), then
#                                   the same ruff, ruff format and mypy, and the tests marked
#                                   neither `docker`, `services` nor `slow`.
#
# The markers are listed in pyproject.toml ([tool.pytest.ini_options] markers). With CI=true a
# test whose dependency is missing (engine, image, Redis, PostgreSQL, git, Chromium) fails
# instead of skipping; without it, the fast lane skips what this machine lacks.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FAST=0
if [ "${1:-}" = "--fast" ]; then FAST=1; shift; fi
if [ "$FAST" = 1 ]; then
  source "$ROOT/scripts/venv.sh"
else
  # Every image is built here, before the two pytest processes below could race to build one.
  source "$ROOT/scripts/setup.sh" --challenges-dir "$ROOT/tests/challenges" --challenges-dir "$ROOT/challenges"
  # The browser test drives Debian's Chromium (Playwright's own browser download is not used).
  command -v chromium >/dev/null || apt_install chromium
  # Microsoft's SARIF multitool (GitHub's ingestion rules) for the SARIF export test, git-ignored.
  command -v npm >/dev/null || apt_install nodejs npm
  [ -e "$ROOT/tests/.tools/node_modules/.bin/sarif-multitool" ] \
    || npm install --prefix "$ROOT/tests/.tools" --no-audit --no-fund @microsoft/sarif-multitool@5.7.0
  # Throwaway Redis and PostgreSQL for the scale-out tests (marker `services`), stopped on exit.
  source "$ROOT/scripts/services.sh"
fi
cd "$ROOT"
ruff check .
ruff format --check api runner graders sandbox tests bench
mypy
if [ "$FAST" = 1 ]; then
  pytest -m "not docker and not services and not slow" "$@"
elif [ "$#" -gt 0 ]; then
  coverage erase
  coverage run -m pytest "$@"
  coverage report
else
  # Two lanes at once: the challenge packs' validations (tests/challenges_packs: each grades a
  # pack's reference, starter and variants, mostly waiting on containers) beside the rest of
  # the suite, each under coverage in parallel mode, combined at the end. The packs' output is
  # printed when both are done; either failing fails the run. Each lane lists its slowest tests
  # (where CI time goes: docs/development.md).
  coverage erase
  mkdir -p artifacts
  coverage run -p -m pytest --durations=15 tests/challenges_packs > artifacts/packs-lane.log 2>&1 &
  PACKS=$!
  # Stop the packs' lane too if this shell ends early (an interrupt, a CI timeout), then run
  # the services' own clean-up (scripts/services.sh set the EXIT trap before).
  trap 'kill "$PACKS" 2>/dev/null || true; _svc_stop' EXIT
  MAIN_RC=0
  coverage run -p -m pytest --durations=60 --ignore=tests/challenges_packs || MAIN_RC=$?
  PACKS_RC=0
  wait "$PACKS" || PACKS_RC=$?
  echo "---- challenge packs lane (tests/challenges_packs) ----"
  cat artifacts/packs-lane.log
  coverage combine -q
  coverage report
  [ "$MAIN_RC" = 0 ] && [ "$PACKS_RC" = 0 ]
fi
