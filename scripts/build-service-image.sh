#!/usr/bin/env bash
# Build the service image (Dockerfile) here, without a registry: the base is the sandbox base
# (takehome-base:<hash>, built by `takehome images build` when missing) unless BASE_IMAGE names
# one; Python packages come from a wheelhouse downloaded on the host for the base's Python.
# Usage: scripts/build-service-image.sh [TAG]   (default: takehome-service:<version>)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${TAKEHOME_VENV:-$ROOT/.venv}/bin/python"
VERSION="$("$PY" -c 'import importlib.metadata as m; print(m.version("takehome"))')"
TAG="${1:-takehome-service:$VERSION}"
BASE="${BASE_IMAGE:-$("$PY" - <<'PY'
from runner.settings import Settings
from sandbox.docker import connect
from sandbox.images import ImageBuilder
print(ImageBuilder(connect(), Settings().images(), log=lambda _m: None).ensure_base())
PY
)}"
PYVER="$(docker run --rm --network none "$BASE" python3 -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
CTX="$(mktemp -d /tmp/takehome-service-build.XXXXXX)"
trap 'rm -rf "$CTX"' EXIT
mkdir -p "$CTX/wheelhouse"
"$PY" -m pip wheel --quiet --no-deps --wheel-dir "$CTX/wheelhouse" "$ROOT"
# The project's dependencies as wheels for the base's Python and platform.
"$PY" - "$ROOT/pyproject.toml" > "$CTX/requirements.txt" <<'PY'
import sys, tomllib
print("\n".join(tomllib.load(open(sys.argv[1], "rb"))["project"]["dependencies"]))
PY
# pip evaluates `python_full_version` markers with the host's Python: add what an older 3.11
# patch release needs (redis requires async-timeout below 3.11.3).
echo "async-timeout>=4.0.3" >> "$CTX/requirements.txt"
MACHINE="$(uname -m)"
PLATFORMS=()
for p in manylinux_2_28 manylinux_2_17 manylinux2014 manylinux1 linux; do PLATFORMS+=(--platform "${p}_$MACHINE"); done
"$PY" -m pip download --quiet --dest "$CTX/wheelhouse" --only-binary=:all: \
  --python-version "$PYVER" --implementation cp "${PLATFORMS[@]}" -r "$CTX/requirements.txt"
"$PY" -m pip download --quiet --dest "$CTX/wheelhouse" --only-binary=:all: --no-deps \
  --python-version "$PYVER" --implementation cp --platform any -r "$CTX/requirements.txt" 2>/dev/null || true
cp "$ROOT/Dockerfile" "$CTX/Dockerfile"
cp -r "$ROOT/challenges" "$CTX/challenges"
docker build --network none --build-arg BASE_IMAGE="$BASE" -t "$TAG" "$CTX" >&2
echo "$TAG"
