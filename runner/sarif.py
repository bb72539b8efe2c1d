"""A report's findings as SARIF 2.1.0 that GitHub code scanning accepts.

Checked with Microsoft's SARIF multitool and GitHub's ingestion rules (`validate --rule-kind
"Sarif;Gh"`, tests/runner/test_sarif_multitool.py) and the OASIS 2.1.0 schema.

What goes in, and what never does:

- A result is a finding in the candidate's own code: one with a file. Its location is relative
  to `%SRCROOT%` (the submission's root, which is the repository root for a Git submission).
- **The hidden tests never appear**: not their ids, outcomes or messages, not the `tests`
  category's findings, not the details of verdicts from the hidden-tests step. A failed hidden
  test is not a code-scanning result, and the file is meant to be safe to upload to the
  candidate's repository. Neither does the score, the provenance or anything else of the report.
- A finding without a file (`no-tests`, `truncated`, ...) is a run notification, not a result.
- Verdicts about the run are `invocations[0].toolExecutionNotifications`; `executionSuccessful`
  is false when one of them makes the run untrustworthy (`_UNTRUSTED`), so a forged or timed-out
  run does not read as a clean one.

Rules carry the metadata GitHub shows: short and full description, help text, a help URI when
one can be derived from what the tool reported (ruff's and bandit's rule pages), and for bandit
`security-severity` and the `security` tag (and `external/cwe/cwe-N`), which make GitHub treat
them as security alerts. `partialFingerprints` identify a result across regrades and edits that
move it: a hash of rule, file and message, plus an occurrence count for identical ones.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from graders.model import Finding, Report, Severity, Verdict, VerdictKind

__all__ = ["SRCROOT", "report_sarif"]

SRCROOT = "%SRCROOT%"
_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_HIDDEN_CATEGORY = "tests"
_HIDDEN_STEP_PREFIX = "tests."
_FINGERPRINT = "takehomeFindingHash/v1"
_LEVEL = {
    Severity.INFO: "note",
    Severity.LOW: "note",
    Severity.MEDIUM: "warning",
    Severity.HIGH: "error",
}
# GitHub's bands: 0.1-3.9 low, 4.0-6.9 medium, 7.0-8.9 high, 9.0+ critical.
_SECURITY_SEVERITY = {
    Severity.INFO: 1.0,
    Severity.LOW: 3.0,
    Severity.MEDIUM: 5.5,
    Severity.HIGH: 8.0,
}
#: Verdicts after which the run's findings cannot be trusted as complete or genuine.
_UNTRUSTED = frozenset(
    {
        VerdictKind.FORGERY_DETECTED,
        VerdictKind.TAMPER_SUSPECTED,
        VerdictKind.TIMED_OUT,
        VerdictKind.OOM_KILLED,
        VerdictKind.TOOL_ERROR,
        VerdictKind.NO_RESULTS,
        VerdictKind.FILES_TRUNCATED,
    }
)
_TOOLS = {
    "style": "ruff",
    "security": "bandit",
    "complexity": "radon",
    "coverage": "coverage.py",
}
_RUFF_PAGE = re.compile(r"https://docs\.astral\.sh/ruff/rules/([a-z0-9]+(?:-[a-z0-9]+)*)/?")
_BANDIT_PAGE = re.compile(
    r"https://bandit\.readthedocs\.io/en/[A-Za-z0-9.]+/blacklists/blacklist_(?:calls|imports)"
    r"\.html#(b[0-9]{3}-[a-z0-9-]+)"
)
_BANDIT_ID = re.compile(r"B[0-9]{3}")
_BANDIT_NAME = re.compile(r"[a-z0-9_]+")
_OWN_RULES = {
    "low-coverage": "Lines of the file that the candidate's own tests do not execute.",
    "parse-error": "The file could not be parsed, so it was not measured.",
    "scan-error": "The file could not be scanned, so it was not checked.",
    "invalid-syntax": "The file is not valid Python.",
}
_OWN_PREFIXES = {
    "CC-": "A block whose cyclomatic complexity has the rank in the rule's name "
    "(radon: A simplest, F most complex).",
    "MI-": "A file whose maintainability index has the rank in the rule's name "
    "(radon: A most maintainable, C least).",
}


def _ruff_name(category: str, finding: Finding) -> str | None:
    """The ruff rule's name from the page URL ruff reported (style findings only)."""
    if category != "style" or not finding.url:
        return None
    m = _RUFF_PAGE.fullmatch(finding.url)
    return m.group(1) if m else None


def _help_uri(category: str, finding: Finding) -> str | None:
    """A rule page URI built from what the tool reported, or None when none can be derived."""
    if (ruff := _ruff_name(category, finding)) is not None:
        return f"https://docs.astral.sh/ruff/rules/{ruff}/"
    if category != "security" or not _BANDIT_ID.fullmatch(finding.rule):
        return None
    name = finding.extra.get("test_name", "")
    if name == "blacklist":
        return _blacklist_uri(finding)
    if _BANDIT_NAME.fullmatch(name):
        return (
            f"https://bandit.readthedocs.io/en/latest/plugins/{finding.rule.lower()}_{name}.html"
        )
    return None


def _blacklist_uri(finding: Finding) -> str | None:
    """Blacklist rules share pages; the anchor comes from bandit's own link, checked strictly."""
    m = _BANDIT_PAGE.fullmatch(finding.url or "")
    if m is None or not m.group(1).startswith(finding.rule.lower()):
        return None
    page = "calls" if finding.rule < "B400" else "imports"
    return f"https://bandit.readthedocs.io/en/latest/blacklists/blacklist_{page}.html#{m.group(1)}"


def _own_text(rule: str) -> str | None:
    """takehome's own text for a rule of its own graders (radon ranks, syntax), if any."""
    return _OWN_RULES.get(rule) or next(
        (text for prefix, text in _OWN_PREFIXES.items() if rule.startswith(prefix)), None
    )


def _describe(category: str, finding: Finding) -> tuple[str, str]:
    """Short and full description of a finding's rule."""
    tool = _TOOLS.get(category, "takehome")
    name = _ruff_name(category, finding) or ""
    if category == "security":
        name = finding.extra.get("test_name", "")
    suffix = f" ({name})" if name else ""
    short = f"{tool} {finding.rule}{suffix}"
    full = (
        _own_text(finding.rule)
        or f"{tool} rule {finding.rule}" + (f", {name}" if name else "") + "."
    )
    return short, f"{full} Reported by takehome's {category} grader."


def _rule(category: str, finding: Finding, rule_id: str) -> dict[str, Any]:
    short, full = _describe(category, finding)
    uri = _help_uri(category, finding)
    help_text = full + (f" See {uri}." if uri else "")
    rule: dict[str, Any] = {
        "id": rule_id,
        "name": re.sub(r"[^A-Za-z0-9]+", "", rule_id.title()) or "Finding",
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "help": {"text": help_text},
        "defaultConfiguration": {"level": _LEVEL[finding.severity]},
        "properties": {"tags": [category]},
    }
    if uri:
        rule["helpUri"] = uri
    if category == "security" and _BANDIT_ID.fullmatch(finding.rule):
        tags = ["security"]
        if cwe := re.fullmatch(r"CWE-([0-9]+)", finding.extra.get("cwe", "")):
            tags.append(f"external/cwe/cwe-{cwe.group(1)}")
        rule["properties"] = {"tags": tags, "security-severity": "0.0"}
    return rule


def _raise_severity(rule: dict[str, Any], finding: Finding) -> None:
    """A rule's security-severity is that of its most severe finding."""
    props = rule["properties"]
    if "security-severity" in props:
        value = max(float(props["security-severity"]), _SECURITY_SEVERITY[finding.severity])
        props["security-severity"] = f"{value:.1f}"


def _location(finding: Finding) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": finding.file, "uriBaseId": SRCROOT}}
    region: dict[str, int] = {"startLine": finding.line or 1}
    if finding.line and finding.column:
        region["startColumn"] = finding.column
    if finding.line and finding.end_line and finding.end_line >= finding.line:
        region["endLine"] = finding.end_line
    physical["region"] = region
    return {"physicalLocation": physical}


def _fingerprint(rule_id: str, finding: Finding, seen: Counter[str]) -> str:
    message = " ".join(finding.message.split())
    key = hashlib.sha256(f"{rule_id}\0{finding.file}\0{message}".encode()).hexdigest()[:32]
    seen[key] += 1
    return f"{key}:{seen[key]}"


def _notification(verdict: Verdict) -> dict[str, Any]:
    hidden = verdict.step.startswith(_HIDDEN_STEP_PREFIX)
    # A hidden-tests verdict's detail may name hidden tests: only its kind goes out.
    text = f"{verdict.kind.value} in the hidden tests" if hidden else verdict.detail
    return {
        "descriptor": {"id": verdict.kind.value},
        "level": "error" if verdict.kind in _UNTRUSTED else "warning",
        "message": {"text": f"{verdict.step}: {text or verdict.kind.value}"},
    }


def _verdicts(report: Report) -> Iterable[Verdict]:
    seen: set[Verdict] = set()
    for verdict in (
        *report.verdicts,
        *(v for r in report.categories.values() for v in r.verdicts),
    ):
        if verdict not in seen:
            seen.add(verdict)
            yield verdict


def _collect(
    report: Report,
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Rules by id, results (findings with a file) and notes (findings without one), in the
    report's order, leaving out the hidden tests' category."""
    rules: dict[str, dict[str, Any]] = {}
    index: dict[str, int] = {}
    results: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    seen: Counter[str] = Counter()
    for category, result in report.categories.items():
        if category == _HIDDEN_CATEGORY:
            continue
        for finding in result.findings:
            rule_id = f"{category}/{finding.rule}"
            if not finding.file:
                notes.append(_note(rule_id, finding))
                continue
            if rule_id not in rules:
                index[rule_id] = len(rules)
                rules[rule_id] = _rule(category, finding, rule_id)
            _raise_severity(rules[rule_id], finding)
            results.append(_result(category, finding, rule_id, index[rule_id], seen))
    return rules, results, notes


def _note(rule_id: str, finding: Finding) -> dict[str, Any]:
    return {
        "descriptor": {"id": rule_id},
        "level": "note",
        "message": {"text": finding.message or finding.rule},
    }


def _result(
    category: str, finding: Finding, rule_id: str, rule_index: int, seen: Counter[str]
) -> dict[str, Any]:
    return {
        "ruleId": rule_id,
        "ruleIndex": rule_index,
        "level": _LEVEL[finding.severity],
        "message": {"text": finding.message or finding.rule},
        "locations": [_location(finding)],
        "partialFingerprints": {_FINGERPRINT: _fingerprint(rule_id, finding, seen)},
        "properties": {"category": category, "severity": finding.severity.value},
    }


def report_sarif(
    report: Report, *, information_uri: str = "", version: str = ""
) -> dict[str, Any]:
    """The findings in the candidate's code as one SARIF 2.1.0 run (never the hidden tests)."""
    rules, results, notes = _collect(report)
    verdicts = [_notification(v) for v in _verdicts(report)]
    driver: dict[str, Any] = {"name": "takehome", "rules": list(rules.values())}
    if version:
        driver["version"] = driver["semanticVersion"] = version
    if information_uri:
        driver["informationUri"] = information_uri
    invocation = {
        "executionSuccessful": not any(n["level"] == "error" for n in verdicts),
        "toolExecutionNotifications": [*verdicts, *notes],
    }
    return {
        "$schema": _SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "invocations": [invocation],
                "originalUriBaseIds": {
                    SRCROOT: {"description": {"text": "The root of the submission."}}
                },
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }
