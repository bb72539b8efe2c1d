#!/usr/bin/env bash
# Build the service image (Dockerfile) here, without a registry: the base is a debootstrap'ed
# Debian with python3, python3-venv, git and ca-certificates (takehome-service-base:<hash>, built
# when missing; the sandbox base has no git) unless BASE_IMAGE or TAKEHOME_BASE_IMAGE names one,
# which must then have python3 with venv, git (Git intake) and ca-certificates. Python packages
# come from a wheelhouse downloaded on the host for the base's Python; the build has no network.
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
from contextlib import closing
with closing(connect()) as client:
    print(ImageBuilder(client, Settings().images(), log=lambda _m: None).ensure_service_base())
PY
)}"
if ! docker run --rm --network none "$BASE" git --version >/dev/null 2>&1; then
  echo "base image $BASE has no git: the service needs it for Git intake" >&2
  exit 1
fi
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
