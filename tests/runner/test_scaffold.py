"""`takehome challenges new`: the written pack loads with the real loader and holds every part;
bad or taken ids are refused before anything is written, and a failure leaves nothing behind.
Grading the written packs for real is `test_scaffold_docker.py`."""

from __future__ import annotations

import fnmatch
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from graders import discover_test_ids
from runner.challenge import ChallengeError, load_challenge
from runner.cli import cli
from runner.scaffold import TEMPLATES, Mode, ScaffoldError, new_challenge, render

ROOT = Path(__file__).resolve().parents[2]
KINDS: list[tuple[Mode, bool]] = [("unit", False), ("unit", True), ("service", False)]
RUFF = str(Path(sys.executable).parent / "ruff")


def _ids(kind: tuple[Mode, bool]) -> str:
    return kind[0] + ("-isolated" if kind[1] else "")


@pytest.fixture(params=KINDS, ids=_ids)
def kind(request: pytest.FixtureRequest) -> tuple[Mode, bool]:
    value: tuple[Mode, bool] = request.param
    return value


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_the_pack_loads_and_holds_every_part(tmp_path: Path, kind: tuple[Mode, bool]) -> None:
    mode, isolated = kind
    challenge = new_challenge("demo", mode, tmp_path, isolated=isolated)
    assert challenge.root == tmp_path / "demo"
    assert load_challenge(tmp_path / "demo") == challenge
    manifest = challenge.manifest
    assert (manifest.id, manifest.title, manifest.mode) == ("demo", "Demo", mode)
    assert manifest.tests.isolation == ("isolated" if isolated else "in-process")
    assert (mode == "service") == (manifest.service is not None)
    assert manifest.validation.starter_max == 10
    assert len(manifest.rubric) == 2
    assert set(manifest.tests.points) <= set(discover_test_ids(challenge.hidden_tests()))
    for name in ("README.md", "REVIEWER.md", "challenge.toml"):
        assert (challenge.root / name).is_file()
    assert challenge.starter().files
    assert challenge.hidden_tests()
    reference = challenge.reference().files
    assert any(path.startswith("tests/test_") for path in reference)  # its own tests
    (variant,) = challenge.variants()
    assert variant.manifest.category == "tests"
    assert variant.manifest.category_max is not None
    assert variant.manifest.max_score is not None
    assert variant.manifest.reason
    assert len(variant.overlay.files) == 1  # only the file that differs
    assert variant.diffstat().files == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]  # no staging folder left


def test_every_placeholder_is_filled_and_every_suffix_dropped(
    tmp_path: Path, kind: tuple[Mode, bool]
) -> None:
    mode, isolated = kind
    pack = new_challenge("my-pack", mode, tmp_path, isolated=isolated).root
    written = _files(pack)
    assert not [name for name in written if name.endswith(".tmpl")]
    texts = {name: (pack / name).read_text(encoding="utf-8") for name in written}
    assert not [name for name, text in texts.items() if "{{" in text or "}}" in text]
    assert 'id = "my-pack"' in texts["challenge.toml"]
    assert texts["README.md"].startswith("# My pack\n")
    template_count = len(list((TEMPLATES / mode).rglob("*.tmpl")))
    assert len(written) == template_count


def test_the_manifest_explains_every_section(tmp_path: Path, kind: tuple[Mode, bool]) -> None:
    mode, isolated = kind
    text = new_challenge("demo", mode, tmp_path, isolated=isolated).root / "challenge.toml"
    lines = text.read_text(encoding="utf-8").splitlines()
    data = tomllib.loads("\n".join(lines))
    for section in ("dependencies", "limits", "weights", "feedback", "validate", "rubric"):
        assert section in data
        header = f"[{section}]" if section != "rubric" else "[[rubric]]"
        at = lines.index(header)
        assert lines[at - 1].startswith("#") or lines[at + 1].startswith("#"), section
    assert "mode" in data
    assert any(line.startswith("#") for line in lines[:12])  # the mode is explained


def test_unit_hidden_tests_reach_the_code_through_the_oracle(tmp_path: Path) -> None:
    for isolated in (False, True):
        pack = new_challenge(f"u{int(isolated)}x", "unit", tmp_path, isolated=isolated)
        hidden = b"".join(pack.hidden_tests().values())
        assert b"from takehome_oracle import candidate\n" in hidden
        assert b'candidate("pricing")' in hidden


def test_the_service_probes_go_over_http(tmp_path: Path) -> None:
    pack = new_challenge("svc", "service", tmp_path)
    probes = pack.hidden_tests()["test_probes.py"]
    assert b'os.environ["APP_URL"]' in probes
    assert b"urllib.request" in probes
    assert pack.manifest.service is not None
    assert pack.manifest.service.command == ("python3", "-m", "counter")


def test_the_python_passes_the_style_graders_rules(
    tmp_path: Path, kind: tuple[Mode, bool]
) -> None:
    # The style grader's defaults: ruff E,W,F,N at line length 99, no configuration read.
    pack = new_challenge("demo", kind[0], tmp_path, isolated=kind[1]).root
    done = subprocess.run(
        [RUFF, "check", "--isolated", "--select", "E,W,F,N", "--line-length", "99", str(pack)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("bad", ["Demo", "a", "-demo", "demo_pack", "de mo", "x" * 42, "../up"])
def test_an_invalid_id_is_refused_before_writing(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ScaffoldError, match="invalid challenge id"):
        new_challenge(bad, "unit", tmp_path / "packs")
    assert not (tmp_path / "packs").exists()


def test_an_existing_folder_is_refused_and_left_alone(tmp_path: Path) -> None:
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "mine.txt").write_text("keep\n")
    with pytest.raises(ScaffoldError, match="already exists"):
        new_challenge("demo", "service", tmp_path)
    assert _files(tmp_path) == ["demo/mine.txt"]


def test_a_taken_id_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ScaffoldError, match="'calculator' already exists"):
        new_challenge("calculator", "unit", tmp_path, taken={"calculator"})
    assert list(tmp_path.iterdir()) == []


def test_isolation_in_service_mode_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ScaffoldError, match="unit mode"):
        new_challenge("demo", "service", tmp_path, isolated=True)
    assert list(tmp_path.iterdir()) == []


def test_a_pack_that_does_not_load_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    broken = templates / "unit" / "challenge.toml.tmpl"
    broken.write_text("surprise = 1\n" + broken.read_text())
    monkeypatch.setattr("runner.scaffold.TEMPLATES", templates)
    packs = tmp_path / "packs"
    with pytest.raises(ChallengeError, match=r"challenge\.toml: surprise"):
        new_challenge("demo", "unit", packs)
    assert list(packs.iterdir()) == []


def test_an_unknown_placeholder_is_an_error() -> None:
    assert render("id = {{id}}", {"id": "x"}) == "id = x"
    with pytest.raises(ScaffoldError, match=r"\{\{nope\}\}"):
        render("{{nope}}", {"id": "x"})


def test_the_templates_are_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["*"]
    templates = [p for p in TEMPLATES.rglob("*") if p.is_file()]
    assert templates
    assert all(p.suffix == ".tmpl" for p in templates)  # so no tool takes them for project code
    assert all(any(fnmatch.fnmatch(p.name, pat) for pat in patterns) for p in templates)


# -- the command ---------------------------------------------------------------------------------


def _invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


def test_the_command_writes_the_pack_and_says_what_next(tmp_path: Path) -> None:
    code, output = _invoke("challenges", "new", "demo", "--mode", "unit", "--out", str(tmp_path))
    assert code == 0, output
    assert f"wrote {tmp_path / 'demo'} (unit)" in output
    assert f"takehome --challenges-dir {tmp_path} challenges validate demo" in output
    assert load_challenge(tmp_path / "demo").manifest.tests.isolation == "in-process"


def test_the_command_defaults_to_the_first_challenge_folder(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    second.mkdir()
    args = ("--challenges-dir", str(first), "--challenges-dir", str(second))
    code, output = _invoke(*args, "challenges", "new", "demo", "--mode", "unit", "--isolated")
    assert code == 0, output
    assert load_challenge(first / "demo").manifest.tests.isolation == "isolated"
    assert list(second.iterdir()) == []
    code, output = _invoke(*args, "challenges", "list")
    assert code == 0, output
    assert output.split() == ["demo", "0.1.0", "unit", "Demo"]


def test_the_command_refuses_an_id_known_elsewhere(tmp_path: Path) -> None:
    code, output = _invoke(
        *("--challenges-dir", str(ROOT / "tests" / "challenges")),
        *("challenges", "new", "calculator", "--mode", "unit", "--out", str(tmp_path)),
    )
    assert code == 3
    assert "error: a challenge with id 'calculator' already exists" in output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("demo", "--mode", "service"), 3, "already exists"),
        (("Bad_Id", "--mode", "unit"), 3, "invalid challenge id 'Bad_Id'"),
        (("other", "--mode", "service", "--isolated"), 2, "--isolated applies to --mode unit"),
        (("other", "--mode", "both"), 2, "Invalid value for '--mode'"),
    ],
)
def test_the_command_maps_refusals_to_exit_codes(
    tmp_path: Path, args: tuple[str, ...], code: int, message: str
) -> None:
    new_challenge("demo", "service", tmp_path)
    exit_code, output = _invoke("challenges", "new", *args, "--out", str(tmp_path))
    assert exit_code == code, output
    assert message in output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]


def test_without_any_challenge_folder_the_command_asks_for_one() -> None:
    code, output = _invoke(
        "challenges", "new", "demo", "--mode", "unit", env={"TAKEHOME_CHALLENGE_DIRS": ""}
    )
    assert code == 2
    assert "pass --out DIR or --challenges-dir DIR" in output
