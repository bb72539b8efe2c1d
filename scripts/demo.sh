#!/usr/bin/env bash
# The main job on embedded defaults: set up (engine, images), then grade each bundled challenge's
# reference solution and its untouched starter, print their reports, and keep them (JSON + HTML)
# in artifacts/demo/. `takehome challenges validate` grades every flawed variant too.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIRS=(--challenges-dir "$ROOT/tests/challenges" --challenges-dir "$ROOT/challenges")
source "$ROOT/scripts/setup.sh" "${DIRS[@]}"
OUT="$ROOT/artifacts/demo"
mkdir -p "$OUT"
for manifest in "$ROOT"/tests/challenges/*/challenge.toml "$ROOT"/challenges/*/challenge.toml; do
  [ -f "$manifest" ] || continue
  pack="$(dirname "$manifest")"
  id="$(sed -n 's/^id = "\(.*\)"$/\1/p' "$manifest")"
  for solution in reference starter; do
    takehome "${DIRS[@]}" grade "$pack/$solution" --challenge "$id" \
      --json "$OUT/$id-$solution.json" --html "$OUT/$id-$solution.html"
  done
done
echo "reports: $OUT/"
