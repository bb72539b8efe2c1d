"""`validate_challenge`: the order, the concurrency, the bands and the table.

A scripted grader (a `Grades` that answers from a table of reports by snapshot) stands in for
the pipeline here, so every rule is checked in milliseconds; the real pipeline runs the same code
in test_pipeline.py (host tools), test_pipeline_docker.py and test_service_docker.py (Docker).
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from rich.console import Console

from graders.model import CATEGORIES, CategoryResult, Report, Verdict, VerdictKind
from runner.challenge import Challenge, load_challenge
from runner.intake import Snapshot
from runner.validate import STARTER_MAX, Outcome, default_jobs, validate_challenge
from runner.validate_table import print_outcomes
from sandbox import SandboxError

CALCULATOR = Path(__file__).resolve().parents[1] / "challenges" / "calculator"


def _report(score: float, **categories: float) -> Report:
    return Report(
        score=score,
        categories={
            name: CategoryResult(name=name, score=categories.get(name, score), summary="")
            for name in CATEGORIES
        },
    )


class Scripted:
    """Answers each solution's report by name; with `hold_starter`, the starter's grading ends
    only after a variant's has, which can happen only when they run at once."""

    def __init__(
        self, challenge: Challenge, reports: dict[str, Report], *, hold_starter: bool = False
    ) -> None:
        self.names = {
            challenge.reference().digest: "reference",
            challenge.starter().digest: "starter",
        }
        self.names |= {v.snapshot().digest: v.name for v in challenge.variants()}
        self.reports, self.hold_starter = reports, hold_starter
        self.began: list[str] = []
        self.variant_graded = threading.Event()
        self._lock = threading.Lock()

    def grade(self, challenge: Challenge, snapshot: Snapshot) -> Report:
        del challenge
        name = self.names[snapshot.digest]
        with self._lock:
            self.began.append(name)
        if name == "starter" and self.hold_starter and not self.variant_graded.wait(timeout=30):
            raise AssertionError("no variant was graded while the starter was")
        if name not in ("reference", "starter"):
            self.variant_graded.set()
        return self.reports[name]


def _pack(
    tmp_path: Path, tomls: dict[str, str] | None = None, manifest_tail: str = ""
) -> Challenge:
    root = tmp_path / "calculator"
    shutil.copytree(CALCULATOR, root)
    for name, text in (tomls or {}).items():
        (root / "variants" / name / "variant.toml").write_text(text)
    if manifest_tail:
        path = root / "challenge.toml"
        text = path.read_text()
        head, sep, rest = text.partition("[[rubric]]")
        path.write_text(head + manifest_tail + "\n" + sep + rest)
    return load_challenge(root)


GOOD = {
    "reference": _report(100.0),
    "starter": _report(10.0),
    "eval-shortcut": _report(80.0, security=40.0),
    "untested": _report(85.0, coverage=0.0),
}


def test_the_order_is_fixed_and_the_pool_grades_at_once(tmp_path: Path) -> None:
    challenge = _pack(tmp_path)
    grader = Scripted(challenge, GOOD, hold_starter=True)
    heard: list[str] = []
    outcomes = validate_challenge(challenge, grader, lambda o: heard.append(o.name), jobs=2)
    assert [o.name for o in outcomes] == [
        "reference",
        "starter",
        "variant eval-shortcut",
        "variant untested",
    ]
    assert grader.began[0] == "reference"
    assert heard[0] == "reference"
    assert sorted(heard) == sorted(o.name for o in outcomes)  # each heard once, as it finished
    assert all(o.ok for o in outcomes), [o.problems for o in outcomes]


def test_diffstat_and_expectations(tmp_path: Path) -> None:
    challenge = _pack(tmp_path)
    outcomes = {
        o.name: o for o in validate_challenge(challenge, Scripted(challenge, GOOD), jobs=1)
    }
    assert outcomes["reference"].diffstat is None
    assert outcomes["starter"].diffstat is None
    untested = outcomes["variant untested"].diffstat
    reference_tests = challenge.reference().files["tests/test_calc.py"].decode().splitlines()
    assert untested is not None
    assert (untested.files, untested.added, untested.removed) == (1, 0, len(reference_tests))
    shortcut = outcomes["variant eval-shortcut"].diffstat
    assert shortcut is not None
    assert (shortcut.files, shortcut.added > 0) == (1, True)
    assert outcomes["starter"].expectation == f"total <= {STARTER_MAX:g}"
    assert outcomes["variant eval-shortcut"].expectation == "security < reference"


def test_overall_bands_are_enforced_besides_the_category_rule(tmp_path: Path) -> None:
    challenge = _pack(
        tmp_path,
        {
            "eval-shortcut": 'category = "security"\nmax_score = 70\n',
            "untested": 'category = "coverage"\nremove = ["tests"]\nmin_score = 90\n',
        },
    )
    outcomes = {o.name: o for o in validate_challenge(challenge, Scripted(challenge, GOOD))}
    assert outcomes["variant eval-shortcut"].problems == ("total 80.0 is above max_score 70",)
    assert outcomes["variant eval-shortcut"].expectation == "security < reference; total 0-70"
    assert outcomes["variant untested"].problems == ("total 85.0 is below min_score 90",)
    assert outcomes["variant untested"].expectation == "coverage < reference; total 90-100"


BANDED = 'category = "security"\ncategory_max = 30\nmin_score = 50\nmax_score = 90\n'


def test_a_variant_inside_its_band_still_fails_the_category_rule(tmp_path: Path) -> None:
    challenge = _pack(
        tmp_path,
        {"eval-shortcut": BANDED},
    )
    reports = {**GOOD, "eval-shortcut": _report(80.0, security=100.0)}
    outcome = validate_challenge(challenge, Scripted(challenge, reports))[2]
    assert outcome.problems == (
        "security 100.0 is not below the reference's 100.0",
        "security 100.0 is above category_max 30",
    )
    assert outcome.expectation == "security < reference and <= 30; total 50-90"


def test_the_starter_band_is_the_packs(tmp_path: Path) -> None:
    strict = _pack(tmp_path / "a", manifest_tail="[validate]\nstarter_max = 5\n")
    assert strict.manifest.validation.starter_max == 5
    starter = validate_challenge(strict, Scripted(strict, GOOD))[1]
    assert starter.problems == ("starter scored 10.0",)
    assert starter.expectation == "total <= 5"
    default = _pack(tmp_path / "b")
    assert default.manifest.validation.starter_max == STARTER_MAX
    assert validate_challenge(default, Scripted(default, GOOD))[1].ok


def test_an_infrastructure_fault_stops_validation(tmp_path: Path) -> None:
    challenge = _pack(tmp_path)

    class Broken(Scripted):
        def grade(self, challenge: Challenge, snapshot: Snapshot) -> Report:
            if self.names[snapshot.digest] == "starter":
                raise SandboxError("engine gone")
            return super().grade(challenge, snapshot)

    heard: list[Outcome] = []
    with pytest.raises(SandboxError, match="engine gone"):
        validate_challenge(challenge, Broken(challenge, GOOD), heard.append, jobs=1)
    assert [o.name for o in heard] == ["reference"]


def test_default_jobs_divides_the_cpus_by_the_packs(tmp_path: Path) -> None:
    cpus = os.cpu_count() or 1
    challenge = _pack(tmp_path / "one")  # [limits] cpus = 1.0
    assert default_jobs(challenge) == cpus
    assert default_jobs(challenge, concurrency=1) == 1
    wide = _pack(tmp_path / "wide")
    path = wide.root / "challenge.toml"
    path.write_text(path.read_text().replace("cpus = 1.0", f"cpus = {float(cpus * 2)}"))
    assert default_jobs(load_challenge(wide.root)) == 1


def test_the_table_shows_every_solution(tmp_path: Path) -> None:
    challenge = _pack(tmp_path, {"eval-shortcut": 'category = "security"\nmax_score = 70\n'})
    broken = _report(80.0, security=40.0).model_copy(
        update={
            "verdicts": (Verdict(kind=VerdictKind.TIMED_OUT, step="tests.hidden", detail="slow"),)
        }
    )
    reports = {**GOOD, "eval-shortcut": broken}
    outcomes = validate_challenge(challenge, Scripted(challenge, reports))
    console = Console(record=True, width=200)
    print_outcomes(console, outcomes)
    text = console.export_text()
    assert "3 of 4 expectations hold" in text
    lines = {line.split("│")[1].strip(): line for line in text.splitlines() if line.count("│") > 3}
    assert set(lines) >= {"reference", "starter", "variant eval-shortcut", "variant untested"}
    assert "PASS" in lines["reference"]
    assert "total >= 90" in lines["reference"]
    assert "FAIL" in lines["variant eval-shortcut"]
    assert "40.0" in lines["variant eval-shortcut"]
    assert "1 file +" in lines["variant eval-shortcut"]
    assert "FAIL variant eval-shortcut: total 80.0 is above max_score 70" in text
    assert "verdict timed_out in tests.hidden: slow" in text


def test_piped_output_keeps_one_line_a_solution(tmp_path: Path) -> None:
    challenge = _pack(tmp_path)
    outcomes = validate_challenge(challenge, Scripted(challenge, GOOD))
    console = Console(record=True, width=80, force_terminal=False)
    print_outcomes(console, outcomes)
    text = console.export_text()
    rows = [line for line in text.splitlines() if "variant " in line]
    assert len(rows) == 2
    assert "variant eval-shortcut" in rows[0]
    assert "security < reference" in rows[0]
    assert console.width == 80  # the console is left as it was


def test_a_packs_validate_jobs_caps_the_pool(tmp_path: Path) -> None:
    serial = _pack(tmp_path / "serial")
    path = serial.root / "challenge.toml"
    path.write_text(path.read_text() + "\n[validate]\njobs = 1\n")
    assert default_jobs(load_challenge(serial.root), concurrency=8) == 1
    pack = load_challenge(Path(__file__).parents[2] / "challenges" / "asyncio-scaling")
    assert pack.manifest.validation.jobs == 1
