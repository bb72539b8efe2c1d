#!/usr/bin/env bash
# The main job on embedded defaults: set up, then grade the bundled example submissions
# (reference, starter and flawed variants of each challenge) and print their reports.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CHALLENGES=(--challenges-dir "$ROOT/tests/challenges")
[ -d "$ROOT/challenges" ] && [ -n "$(ls -A "$ROOT/challenges" 2>/dev/null | grep -v README)" ] && CHALLENGES+=(--challenges-dir "$ROOT/challenges")
source "$ROOT/scripts/setup.sh" "${CHALLENGES[@]}"
mkdir -p "$ROOT/artifacts/demo"
takehome "${CHALLENGES[@]}" grade "$ROOT/tests/challenges/calculator/reference" --challenge calculator \
  --json "$ROOT/artifacts/demo/calculator-reference.json" --html "$ROOT/artifacts/demo/calculator-reference.html"
takehome "${CHALLENGES[@]}" challenges validate
echo "reports: $ROOT/artifacts/demo/"
