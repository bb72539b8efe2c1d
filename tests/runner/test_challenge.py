"""Challenge packs: manifest validation with the file and field named, layout, registry."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from runner.challenge import (
    Challenge,
    ChallengeError,
    ChallengeRegistry,
    ManifestError,
    UnknownChallenge,
    find_challenges,
    get_challenge,
    load_challenge,
)
from sandbox.spec import Limits

MiB = 1024 * 1024
BASE = """\
id = "calculator"
title = "Calculator library"
version = "1.0.0"
framework = "python"
mode = "unit"
summary = "one line"
time_estimate = "2-3 hours"
"""
FULL = (
    BASE
    + """
[dependencies]
allowed = ["pandas==2.2.3", "numpy>=1.26,<2", "requests[socks]~=2.31"]

[limits]
wall_seconds = 120
memory_mb = 512
cpus = 1.5
pids = 128

[weights]
tests = 60

[feedback]
policy = "scores"

[tests]
points = { "tests/test_calc.py::test_add" = 2.0 }
expected = ["tests/test_calc.py::test_add", "tests/test_calc.py::test_sub"]

[graders.style]
line_length = 99
select = ["E", "F"]
strict = true
"""
)


def make_challenge(
    root: Path, manifest: str = BASE, *, variants: dict[str, str] | None = None
) -> Path:
    files = {
        "challenge.toml": manifest,
        "README.md": "# Build a calculator\n",
        "starter/calc/__init__.py": "",
        "tests/test_calc.py": "def test_add(): ...\n",
        "tests/__pycache__/test_calc.cpython-311.pyc": "junk",
        "reference/calc/__init__.py": "def add(a, b): return a + b\n",
    }
    for name, text in (variants or {}).items():
        files[f"variants/{name}/variant.toml"] = text
        files[f"variants/{name}/calc/__init__.py"] = "def add(a, b): return a - b\n"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def manifest_error(root: Path) -> ManifestError:
    with pytest.raises(ManifestError) as caught:
        load_challenge(root)
    return caught.value


def test_a_valid_manifest_loads(tmp_path: Path) -> None:
    challenge = load_challenge(make_challenge(tmp_path / "calc", FULL))
    manifest = challenge.manifest
    assert (challenge.id, manifest.title, manifest.mode) == (
        "calculator",
        "Calculator library",
        "unit",
    )
    assert manifest.dependencies.allowed == (
        "pandas==2.2.3",
        "numpy>=1.26,<2",
        "requests[socks]~=2.31",
    )
    assert manifest.weights.as_dict() == {
        "tests": 60.0,
        "coverage": 15.0,
        "style": 10.0,
        "complexity": 10.0,
        "security": 15.0,
    }
    assert manifest.feedback.policy == "scores"
    assert manifest.tests.points == {"tests/test_calc.py::test_add": 2.0}
    assert manifest.graders["style"] == {"line_length": 99, "select": ["E", "F"], "strict": True}
    assert challenge.brief == "# Build a calculator\n"
    assert challenge.hidden_tests() == {"test_calc.py": b"def test_add(): ...\n"}
    assert set(challenge.starter().files) == {"calc/__init__.py"}
    assert set(challenge.reference().files) == {"calc/__init__.py"}


def test_limits_map_onto_the_sandbox_limits(tmp_path: Path) -> None:
    limits = load_challenge(make_challenge(tmp_path / "calc", FULL)).limits()
    assert (limits.wall_seconds, limits.memory_bytes, limits.cpus, limits.pids) == (
        120,
        512 * MiB,
        1.5,
        128,
    )
    assert load_challenge(make_challenge(tmp_path / "plain")).limits() == Limits()


def test_defaults_of_optional_tables(tmp_path: Path) -> None:
    manifest = load_challenge(make_challenge(tmp_path / "calc")).manifest
    assert manifest.feedback.policy == "status"
    assert manifest.weights.as_dict()["tests"] == 50
    assert manifest.dependencies.allowed == ()
    assert manifest.graders == {}


def test_service_mode_needs_a_service_section(tmp_path: Path) -> None:
    service = (
        '\n[service]\ncommand = ["python3", "-m", "app"]\nport = 8080\nhealth_path = "/healthz"\n'
    )
    root = make_challenge(tmp_path / "svc", BASE.replace('"unit"', '"service"') + service)
    manifest = load_challenge(root).manifest
    assert manifest.mode == "service"
    assert manifest.service is not None
    assert manifest.service.command == ("python3", "-m", "app")
    assert (manifest.service.port, manifest.service.health_path) == (8080, "/healthz")
    bare = make_challenge(tmp_path / "bare", BASE.replace('"unit"', '"service"'))
    with pytest.raises(ManifestError, match=r"\[service\] section is required"):
        load_challenge(bare)
    unit_with_service = make_challenge(tmp_path / "unit", BASE + service)
    with pytest.raises(ManifestError, match="only then"):
        load_challenge(unit_with_service)


def test_version_hash_covers_manifest_starter_and_tests_only(tmp_path: Path) -> None:
    root = make_challenge(tmp_path / "calc")
    first = load_challenge(root).version_hash
    assert first.startswith("sha256:")
    assert load_challenge(root).version_hash == first
    (root / "README.md").write_text("a new brief")
    (root / "reference" / "extra.py").write_text("x = 1\n")
    (root / "tests" / "__pycache__" / "other.pyc").write_text("more junk")
    assert load_challenge(root).version_hash == first
    for changed in ("tests/test_calc.py", "starter/calc/__init__.py", "challenge.toml"):
        path = root / changed
        original = path.read_text()
        path.write_text(original + "\n# changed\n")
        assert load_challenge(root).version_hash != first, changed
        path.write_text(original)
    (root / "tests" / "test_calc.py").chmod(0o755)  # exec bits are part of the snapshot
    assert load_challenge(root).version_hash != first


def test_variants(tmp_path: Path) -> None:
    root = make_challenge(
        tmp_path / "calc",
        variants={
            "untested": 'category = "coverage"\nreason = "no tests"\n',
            "eval": 'category = "security"\nmax_score = 40\n',
        },
    )
    variants = load_challenge(root).variants()
    assert [(v.name, v.manifest.category, v.manifest.max_score) for v in variants] == [
        ("eval", "security", 40.0),
        ("untested", "coverage", None),
    ]
    assert set(variants[0].snapshot().files) == {"calc/__init__.py"}


def test_a_bad_variant_manifest_names_its_file(tmp_path: Path) -> None:
    root = make_challenge(tmp_path / "calc", variants={"bad": 'category = "speed"\n'})
    with pytest.raises(ManifestError) as caught:
        load_challenge(root).variants()
    assert str(caught.value).startswith(f"{root}/variants/bad/variant.toml: category: ")


def test_the_error_names_the_file_and_the_dotted_field(tmp_path: Path) -> None:
    root = make_challenge(tmp_path / "x", BASE + "[limits]\nmemory_mb = 0\n")
    error = manifest_error(root)
    assert str(error) == f"{root}/challenge.toml: limits.memory_mb: Input should be greater than 0"
    assert (error.path, error.field) == (root / "challenge.toml", "limits.memory_mb")


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ("colour = 'red'\n", "colour", "Extra inputs are not permitted"),
        ("[limits]\ncpus = -1.0\n", "limits.cpus", "greater than 0"),
        ("[limits]\nwall_seconds = '60'\n", "limits.wall_seconds", "valid number"),
        ("[limits]\npids = true\n", "limits.pids", "valid integer"),
        ("[limits]\nwall_seconds = inf\n", "limits.wall_seconds", "finite"),
        ("[limits]\ndisk_mb = 10\n", "limits.disk_mb", "Extra inputs"),
        ("[weights]\ntests = -1\n", "weights.tests", "greater than or equal to 0"),
        ("[weights]\nspeed = 5\n", "weights.speed", "Extra inputs"),
        (
            "[weights]\ntests = 0\ncoverage = 0\nstyle = 0\ncomplexity = 0\nsecurity = 0\n",
            "weights",
            "must not all be zero",
        ),
        ("[feedback]\npolicy = 'everything'\n", "feedback.policy", "'status'"),
        (
            "[dependencies]\nallowed = ['-e git+https://evil/x']\n",
            "dependencies.allowed[0]",
            "match",
        ),
        ("[dependencies]\nallowed = ['pandas']\n", "dependencies.allowed[0]", "match"),
        ("[dependencies]\nallowed = ['x @ https://evil/x.whl']\n", "dependencies.allowed[0]", ""),
        ("[dependencies]\nallowed = ['../wheels/x.whl']\n", "dependencies.allowed[0]", ""),
        (
            "[dependencies]\nallowed = ['--index-url=https://evil']\n",
            "dependencies.allowed[0]",
            "",
        ),
        (
            "[dependencies]\nallowed = ['ok==1', 'x==1; sys_platform == \"linux\"']\n",
            "dependencies.allowed[1]",
            "",
        ),
        ("[dependencies]\nallowed = ['a==1', 'A>=2']\n", "dependencies", "more than once"),
        (
            "[tests]\npoints = { 'tests/t.py::x' = -1.0 }\n",
            "tests.points.tests/t.py::x",
            "greater than",
        ),
        ("[tests]\nexpected = ['a', 'a']\n", "tests", "more than once"),
        ("[tests]\nexpected = ['a']\npoints = { b = 1.0 }\n", "tests", "missing from expected"),
        ("[graders.style]\nline_length = { a = 1 }\n", "graders.style.line_length", ""),
        ("[graders.Style]\nx = 1\n", "graders.Style.[key]", ""),
    ],
)
def test_each_bad_field_is_named(tmp_path: Path, extra: str, field: str, message: str) -> None:
    error = manifest_error(make_challenge(tmp_path / "c", BASE + extra))
    assert error.field.startswith(field), str(error)
    assert message in error.message


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('id = "calculator"', 'id = "Calc!"', "id"),
        ('id = "calculator"', 'id = "x"', "id"),
        ('mode = "unit"', 'mode = "batch"', "mode"),
        ('title = "Calculator library"', 'title = ""', "title"),
        ('title = "Calculator library"', 'title = "two\\nlines"', "title"),
        ('version = "1.0.0"', "version = 1", "version"),
        ('id = "calculator"\n', "", "id"),
    ],
)
def test_top_level_fields(tmp_path: Path, old: str, new: str, field: str) -> None:
    error = manifest_error(make_challenge(tmp_path / "c", BASE.replace(old, new)))
    assert error.field == field


def test_several_problems_are_counted(tmp_path: Path) -> None:
    error = manifest_error(make_challenge(tmp_path / "c", BASE + "a = 1\nb = 2\n"))
    assert "(and 1 more problem)" in str(error)


def test_bad_toml_is_a_manifest_error_with_the_line(tmp_path: Path) -> None:
    error = manifest_error(make_challenge(tmp_path / "c", BASE + "[limits\n"))
    assert str(error).startswith(f"{tmp_path / 'c' / 'challenge.toml'}: invalid TOML")
    assert "line 8" in str(error)


def test_manifest_that_is_not_utf8(tmp_path: Path) -> None:
    root = make_challenge(tmp_path / "c")
    (root / "challenge.toml").write_bytes(b'id = "\xff"\n')
    assert "UTF-8" in str(manifest_error(root))


@pytest.mark.parametrize("folder", ["starter", "tests", "reference"])
def test_a_missing_required_folder_is_named(tmp_path: Path, folder: str) -> None:
    root = make_challenge(tmp_path / "c")
    for path in sorted((root / folder).rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    (root / folder).rmdir()
    with pytest.raises(ChallengeError, match=f"{folder}/ is missing"):
        load_challenge(root)


def test_missing_manifest_readme_and_unsafe_content(tmp_path: Path) -> None:
    with pytest.raises(ChallengeError, match=r"challenge\.toml is missing"):
        load_challenge(tmp_path)
    root = make_challenge(tmp_path / "c")
    (root / "README.md").unlink()
    with pytest.raises(ChallengeError, match=r"README\.md"):
        load_challenge(root)
    root = make_challenge(tmp_path / "d")
    (root / "tests" / "leak").symlink_to("/etc/passwd")
    with pytest.raises(ChallengeError, match="symbolic link"):
        load_challenge(root)
    with pytest.raises(ChallengeError, match="not a challenge folder"):
        load_challenge(tmp_path / "nowhere")


def test_load_accepts_the_manifest_path(tmp_path: Path) -> None:
    root = make_challenge(tmp_path / "c")
    assert load_challenge(root / "challenge.toml").root == root


def test_find_challenges_across_roots_and_duplicates(tmp_path: Path) -> None:
    make_challenge(tmp_path / "one" / "calc")
    make_challenge(tmp_path / "one" / "other", BASE.replace('"calculator"', '"other"'))
    # A challenge's own folders are not searched: this nested manifest is never loaded.
    (tmp_path / "one" / "calc" / "starter" / "challenge.toml").write_text("broken = [")
    found = find_challenges(tmp_path / "one")
    assert sorted(found) == ["calculator", "other"]
    assert all(isinstance(c, Challenge) for c in found.values())
    make_challenge(tmp_path / "two" / "calc-copy")
    with pytest.raises(ChallengeError, match="duplicate challenge id 'calculator'") as caught:
        find_challenges(tmp_path / "one", tmp_path / "two")
    assert str(tmp_path / "one" / "calc") in str(caught.value)
    assert str(tmp_path / "two" / "calc-copy") in str(caught.value)


def test_a_root_may_itself_be_a_challenge(tmp_path: Path) -> None:
    root = make_challenge(tmp_path / "calc")
    assert list(find_challenges(root)) == ["calculator"]
    with pytest.raises(ChallengeError, match="not a directory"):
        find_challenges(tmp_path / "missing")


def test_unknown_challenge_lists_the_known_ids(tmp_path: Path) -> None:
    make_challenge(tmp_path / "calc")
    assert get_challenge("calculator", [tmp_path]).id == "calculator"
    with pytest.raises(UnknownChallenge, match=r"unknown challenge 'nope' \(known: calculator\)"):
        get_challenge("nope", [tmp_path])
    with pytest.raises(LookupError, match="known: none"):
        ChallengeRegistry().get("nope")


def test_registry(tmp_path: Path) -> None:
    registry = ChallengeRegistry.from_roots(make_challenge(tmp_path / "calc"))
    assert len(registry) == 1
    assert [c.id for c in registry] == ["calculator"]
    with pytest.raises(ChallengeError, match="duplicate"):
        registry.register(load_challenge(make_challenge(tmp_path / "again")))


def test_the_shipped_fixture_challenge_loads() -> None:
    fixture = Path(__file__).parent.parent / "challenges" / "calculator"
    if not fixture.is_dir():
        pytest.skip("the calculator fixture is not present")
    challenge = load_challenge(fixture)
    assert challenge.id == "calculator"
    assert all(v.manifest.category for v in challenge.variants())


# --- property: any TOML document gives a Challenge or a ManifestError --------------------------

_SCALARS = st.one_of(
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(["unit", "service", "status", "scores", "pandas==2.2.3", "calculator", "1.0"]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
_KEYS = st.sampled_from(
    [
        "id", "title", "version", "framework", "mode", "summary", "time_estimate", "dependencies",
        "limits", "weights", "feedback", "tests", "graders", "allowed", "wall_seconds",
        "memory_mb", "cpus", "pids", "policy", "points", "expected", "style", "unknown",
    ]
)  # fmt: skip
_TABLES = st.dictionaries(
    _KEYS, st.one_of(_VALUES, st.dictionaries(_KEYS, _VALUES, max_size=4)), max_size=6
)
_NUMBERS = st.one_of(st.integers(-5, 5000), st.floats(-1, 1e4), st.floats(allow_nan=True))
_STRUCTURED = st.fixed_dictionaries(
    {},
    optional={
        "limits": st.dictionaries(
            st.sampled_from(["wall_seconds", "memory_mb", "cpus", "pids", "disk_mb"]), _NUMBERS
        ),
        "weights": st.dictionaries(
            st.sampled_from(["tests", "coverage", "style", "complexity", "security", "speed"]),
            st.floats(0, 100) | _NUMBERS,
        ),
        "feedback": st.fixed_dictionaries(
            {"policy": st.sampled_from(["status", "visible_tests", "scores", "everything"])}
        ),
        "dependencies": st.fixed_dictionaries(
            {
                "allowed": st.lists(
                    st.sampled_from(["pandas==2.2.3", "numpy>=1.26,<2", "-e .", "x @ http://a/x"]),
                    max_size=3,
                )
            }
        ),
        "tests": st.fixed_dictionaries(
            {},
            optional={
                "points": st.dictionaries(st.sampled_from(["t.py::a", "t.py::b"]), _NUMBERS),
                "expected": st.lists(st.sampled_from(["t.py::a", "t.py::b", ""]), max_size=2),
            },
        ),
        "graders": st.dictionaries(
            st.sampled_from(["style", "security", "Bad"]),
            st.dictionaries(st.sampled_from(["line_length", "select"]), _VALUES, max_size=2),
            max_size=2,
        ),
    },
)
_VALID: dict[str, Any] = {
    "id": "calculator",
    "title": "Calculator",
    "version": "1.0.0",
    "framework": "python",
    "mode": "unit",
}


def test_random_manifests_give_a_challenge_or_a_manifest_error() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = make_challenge(Path(scratch) / "c")

        @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(overrides=_TABLES | _STRUCTURED, keep_valid=st.sampled_from([True, True, False]))
        def check(overrides: dict[str, Any], keep_valid: bool) -> None:
            document = {**_VALID, **overrides} if keep_valid else overrides
            (root / "challenge.toml").write_text(tomli_w.dumps(document))
            try:
                challenge = load_challenge(root)
            except ManifestError as exc:
                error: ManifestError | None = exc
            else:
                error = None
            if error is not None:
                event("ManifestError")
                assert str(error).startswith(f"{root / 'challenge.toml'}: ")
            else:
                event("Challenge")
                assert challenge.manifest.weights.as_dict()
                assert isinstance(challenge.limits(), Limits)

        check()


def test_tests_isolation(tmp_path: Path) -> None:
    assert load_challenge(make_challenge(tmp_path / "d", BASE)).manifest.tests.isolation == (
        "in-process"
    )
    isolated = BASE + '\n[tests]\nisolation = "isolated"\n'
    manifest = load_challenge(make_challenge(tmp_path / "i", isolated)).manifest
    assert manifest.tests.isolation == "isolated"
    bad = BASE + '\n[tests]\nisolation = "sandboxed"\n'
    assert manifest_error(make_challenge(tmp_path / "b", bad)).field == "tests.isolation"
    service = '\n[service]\ncommand = ["python3", "-m", "app"]\n'
    isolated_service = isolated.replace('"unit"', '"service"') + service
    with pytest.raises(ManifestError, match="applies to unit mode"):
        load_challenge(make_challenge(tmp_path / "s", isolated_service))
