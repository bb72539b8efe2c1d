"""The report's `schema_version`: written with every report, and older stored reports still read.

`tests/fixtures/reports/report-v1.json` is a report exactly as the code before `schema_version`
stored it (`Report.to_json()` of a host-sandbox grading of the calculator's `eval-shortcut`
variant, plus an unused import and an undeclared requirement, so that every part of the tree
has content). Never regenerate a fixture: it stands for reports already in databases.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from graders.model import SCHEMA_VERSION, CategoryResult, Report, ReportSchemaError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "reports"
V1 = FIXTURES / "report-v1.json"


def _fixtures() -> dict[int, Path]:
    found = {}
    for path in sorted(FIXTURES.glob("report-v*.json")):
        match = re.fullmatch(r"report-v(\d+)\.json", path.name)
        assert match, f"{path.name}: fixtures are named report-v<N>.json"
        found[int(match[1])] = path
    return found


def _without_version(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "schema_version"}


def test_a_new_report_carries_the_current_schema_version() -> None:
    tests = CategoryResult(name="tests", score=100, summary="all")
    written = json.loads(Report(score=100, categories={"tests": tests}).to_json())
    assert written["schema_version"] == SCHEMA_VERSION == 2
    assert next(iter(written)) == "schema_version"  # first, for a reader of the raw JSON


def test_the_v1_fixture_is_a_report_without_the_field() -> None:
    stored = json.loads(V1.read_text())
    assert "schema_version" not in stored
    assert set(stored) == {"score", "categories", "verdicts", "provenance", "logs"}


def test_a_v1_report_reads_in_the_current_shape() -> None:
    report = Report.from_stored(V1.read_text())
    assert report.schema_version == SCHEMA_VERSION
    assert report.score == 75.0
    assert list(report.categories) == ["tests", "coverage", "style", "complexity", "security"]
    (unused,) = report.categories["style"].findings
    assert (unused.rule, unused.file, unused.line) == ("F401", "calc/unused.py", 1)
    (insecure,) = report.categories["security"].findings
    assert (insecure.rule, insecure.file, insecure.line) == ("B307", "calc/expression.py", 6)
    assert [v.kind.value for v in report.verdicts] == ["dependency_not_allowed"]
    assert len(report.categories["tests"].tests) == 14
    assert report.provenance["tools"]["style"] == "ruff 0.17.5"


def test_reading_a_v1_report_loses_nothing() -> None:
    stored = json.loads(V1.read_text())
    rewritten = json.loads(Report.from_stored(stored).to_json())
    assert rewritten["schema_version"] == SCHEMA_VERSION
    assert _without_version(rewritten) == stored


@pytest.mark.parametrize("as_bytes", [False, True])
def test_from_stored_takes_the_json_text(as_bytes: bool) -> None:
    text = V1.read_text()
    report = Report.from_stored(text.encode() if as_bytes else text)
    assert report == Report.from_stored(json.loads(text))


def test_every_older_version_has_a_fixture_and_every_fixture_reads() -> None:
    fixtures = _fixtures()
    assert set(range(1, SCHEMA_VERSION)) <= set(fixtures), "keep a report of each old shape"
    for version, path in fixtures.items():
        stored = json.loads(path.read_text())
        assert stored.get("schema_version", 1) == version, path.name
        assert Report.from_stored(stored).schema_version == SCHEMA_VERSION


def test_a_current_report_round_trips() -> None:
    report = Report.from_stored(V1.read_text())
    assert Report.from_stored(report.to_json()) == report


@pytest.mark.parametrize("version", [SCHEMA_VERSION + 1, 0, -1])
def test_an_unknown_version_is_refused(version: int) -> None:
    stored = {**json.loads(V1.read_text()), "schema_version": version}
    with pytest.raises(ReportSchemaError, match=f"schema_version {version} "):
        Report.from_stored(stored)


@pytest.mark.parametrize("version", [True, "2", 2.0, None])
def test_a_version_that_is_not_a_whole_number_is_refused(version: object) -> None:
    stored = {**json.loads(V1.read_text()), "schema_version": version}
    with pytest.raises(ReportSchemaError, match="whole number"):
        Report.from_stored(stored)


@pytest.mark.parametrize("stored", ["[]", "3", '"report"'])
def test_a_stored_report_must_be_an_object(stored: str) -> None:
    with pytest.raises(ReportSchemaError, match="JSON object"):
        Report.from_stored(stored)


def test_a_report_that_does_not_match_its_shape_is_a_validation_error() -> None:
    stored = {**json.loads(V1.read_text()), "score": 101}
    with pytest.raises(ValidationError):
        Report.from_stored(stored)


def test_a_report_cannot_claim_an_old_version_in_the_current_shape() -> None:
    # Only `from_stored` reads old versions, by upgrading them; the model holds the current one.
    with pytest.raises(ValidationError):
        Report(schema_version=1, score=0, categories={})
