#!/usr/bin/env bash
# The main job on embedded defaults: set up (engine, images), start `takehome serve` (SQLite in
# WAL mode under artifacts/demo/data, grading worker threads in the same process, the local Docker
# engine), create a reviewer and an API token, submit each bundled challenge's reference solution
# and untouched starter through the JSON API, and print their reports as they come back (JSON and
# HTML copies in artifacts/demo/). Then the service stops; with --serve it keeps running so the
# reports can be read in a browser (the reviewer's login is printed).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVE=0
[ "${1:-}" = "--serve" ] && SERVE=1
source "$ROOT/scripts/setup.sh" --challenges-dir "$ROOT/tests/challenges" --challenges-dir "$ROOT/challenges"

OUT="$ROOT/artifacts/demo"
rm -rf "$OUT/data"
mkdir -p "$OUT/data"
export TAKEHOME_DATA_DIR="$OUT/data"
export TAKEHOME_CHALLENGE_DIRS="$ROOT/tests/challenges:$ROOT/challenges"
TAKEHOME_SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(32))')"
export TAKEHOME_SECRET_KEY
PORT="${TAKEHOME_PORT:-$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
URL="http://127.0.0.1:$PORT"
# One worker thread: each grading already runs its steps concurrently, one per core, and the
# asyncio pack's load probes should not share the two cores with another grading.
export TAKEHOME_WORKERS=1

EMAIL=demo@example.com
PASSWORD="$(python -c 'import secrets; print(secrets.token_urlsafe(12))')"
takehome users create "$EMAIL" --password-stdin <<<"$PASSWORD" >/dev/null
TAKEHOME_API_TOKEN="$(takehome tokens create "$EMAIL")"
export TAKEHOME_API_TOKEN

takehome serve --port "$PORT" >"$OUT/serve.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true' EXIT
python - "$URL/healthz" <<'EOF'
import sys, time, urllib.request
deadline = time.monotonic() + 60
while True:
    try:
        urllib.request.urlopen(sys.argv[1], timeout=2).read()
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit(f"the service did not answer at {sys.argv[1]}; see artifacts/demo/serve.log")
        time.sleep(0.2)
EOF
echo "takehome serve: $URL (SQLite: $OUT/data/takehome.db, log: $OUT/serve.log)"

status=0
for manifest in "$ROOT"/tests/challenges/*/challenge.toml "$ROOT"/challenges/*/challenge.toml; do
  [ -f "$manifest" ] || continue
  pack="$(dirname "$manifest")"
  id="$(sed -n 's/^id = "\(.*\)"$/\1/p' "$manifest")"
  for solution in reference starter; do
    takehome submit "$pack/$solution" --challenge "$id" --url "$URL" \
      --json "$OUT/$id-$solution.json" --html "$OUT/$id-$solution.html" || status=1
  done
done
echo "reports: $OUT/ (JSON and HTML), and in the service: $URL/reviewer"
if [ "$SERVE" = 1 ]; then
  echo "serving until Ctrl-C; log in at $URL/login as $EMAIL with password $PASSWORD"
  wait "$SERVER"
fi
exit "$status"
