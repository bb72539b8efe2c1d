"""Every variant's composed tree is the tree it was before variants became overlays.

`tests/fixtures/variant_digests.json` holds, for every variant of the bundled packs and of the
test packs, the `Snapshot.digest` (canonical tar: sorted paths, bytes, exec bits) of its full
folder as it was before the migration to overlays (after the data-pipeline README fix). A variant
changed on purpose is re-recorded with `python -m tests.runner.test_variant_digests`.
"""

from __future__ import annotations

import json
from pathlib import Path

from runner.challenge import load_challenge

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "variant_digests.json"


def _packs() -> list[Path]:
    manifests = [
        *ROOT.glob("challenges/*/challenge.toml"),
        *ROOT.glob("tests/challenges*/*/challenge.toml"),
    ]
    return sorted(path.parent for path in manifests)


def composed_digests() -> dict[str, str]:
    """Each variant's folder (relative to the repository) to its composed snapshot's digest."""
    return {
        str(variant.root.relative_to(ROOT)): variant.snapshot().digest
        for pack in _packs()
        for variant in load_challenge(pack).variants()
    }


def test_every_variant_composes_to_its_recorded_tree() -> None:
    recorded = json.loads(FIXTURE.read_text())
    assert composed_digests() == recorded


def test_the_fixture_covers_every_pack_with_variants() -> None:
    recorded = json.loads(FIXTURE.read_text())
    packs = {key.split("/variants/")[0] for key in recorded}
    assert {"challenges/asyncio-scaling", "challenges/data-pipeline"} <= packs
    assert {"challenges/django-security", "tests/challenges/calculator"} <= packs
    assert len(recorded) == 33


def test_the_variants_are_overlays() -> None:
    # No variant folder holds a copy of a reference file: the composition supplies them.
    for pack in _packs():
        challenge = load_challenge(pack)
        reference = challenge.reference()
        for variant in challenge.variants():
            same = [
                p for p, data in variant.overlay.files.items() if reference.files.get(p) == data
            ]
            assert not same, f"{variant.root}: {same}"
            assert len(variant.overlay.files) < len(reference.files), variant.root


if __name__ == "__main__":
    FIXTURE.write_text(json.dumps(composed_digests(), indent=2, sort_keys=True) + "\n")
