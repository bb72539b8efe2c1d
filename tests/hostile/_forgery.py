"""The result-forgery submissions of `test_forgery.py`: the calculator starter plus one trick each.

The base "wrong solution" is the calculator's starter (only `add` works: 1 of 16 points). Each
forgery adds files to it or replaces `calc/__init__.py`; the suite grades them through intake and
the real pipeline in containers, against the isolated calculator and against an in-process copy
of it (`in_process_copy`), whose hidden tests are the same files.
"""

from __future__ import annotations

import io
import shutil
import tarfile
from collections.abc import Mapping
from pathlib import Path

from runner.challenge import Challenge, load_challenge
from runner.intake import Snapshot, snapshot_bytes

__all__ = [
    "CALCULATOR",
    "FORGERIES",
    "HIDDEN_NEEDLE",
    "in_process_copy",
    "static_pair",
    "submission",
]

CALCULATOR = Path(__file__).resolve().parents[1] / "challenges" / "calculator"
#: A line of a hidden test file: the "read the hidden tests" forgery looks for it everywhere.
HIDDEN_NEEDLE = "def test_rejects_other_syntax"

_EXPRESSION = (
    *("test_numbers", "test_precedence", "test_unary_minus"),
    *("test_division_by_zero_is_value_error", "test_rejects_names", "test_rejects_other_syntax"),
)
_OPERATIONS = (
    *("test_add", "test_sub", "test_mul", "test_div", "test_div_by_zero"),
    *("test_mean", "test_median", "test_empty_statistics"),
)
_EXPECTED = [("tests.test_expression", n) for n in _EXPRESSION] + [
    ("tests.test_operations", n) for n in _OPERATIONS
]
_CASES = "".join(f'<testcase classname="{c}" name="{n}" time="0.001"/>' for c, n in _EXPECTED)
#: What a forger writes: every hidden test passed (the ids a candidate could read in-process).
FORGED_JUNIT = (
    '<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="0" '
    f'failures="0" skipped="0" tests="{len(_EXPECTED)}">{_CASES}</testsuite></testsuites>'
)

# Turns every pytest report into a pass, in whatever process imports it (import-time patch).
_PATCH_REPORTS = """
def _forge():
    try:
        from _pytest import junitxml, reports
    except ImportError:
        return
    original = reports.TestReport.from_item_and_call.__func__

    def forged(cls, item, call):
        report = original(cls, item, call)
        report.outcome, report.longrepr = "passed", None
        return report

    reports.TestReport.from_item_and_call = classmethod(forged)
    junitxml._NodeReporter.append_failure = lambda self, report: None
    junitxml._NodeReporter.append_error = lambda self, report: None


_forge()
"""

_HOOK_CONFTEST = """
import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    report.outcome, report.longrepr = "passed", None


def pytest_sessionfinish(session, exitstatus):
    session.exitstatus = 0
"""

_EXIT = """
def evaluate(expression):
    import os
    {before}
    os._exit(0)
"""

_DAEMON = f"""
import os, time

FORGED = {FORGED_JUNIT!r}
TARGETS = ("/work/out/junit.xml", "/work/out/coverage.json", "/work/out/result.json",
           "/tmp/junit.xml", "/work/src/junit.xml", "/work/grader/junit.xml")


def _rewrite_forever():
    for _ in range(3000):
        for path in TARGETS:
            try:
                with open(path + ".tmp", "w") as out:
                    out.write(FORGED)
                os.replace(path + ".tmp", path)
            except OSError:
                pass
        time.sleep(0.01)


if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        _rewrite_forever()
    os._exit(0)
"""

_FAKE_PASSED = """
import sys

for line in ("tests/test_expression.py::test_precedence PASSED",
             "==================== 16 passed in 0.12s ====================",
             '<testcase classname="tests.test_expression" name="test_precedence"/>'):
    print(line)
    print(line, file=sys.stderr)
"""

_READ_HIDDEN = """
import os, sys

NEEDLE = b"def test_" + b"rejects_other_syntax"
found, searched = [], 0
for root in ("/work", "/tmp", "/home", "/root", "/srv", "/mnt", "/opt/takehome", "/var", "/etc"):
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in ("site-packages", "proc", "sys")]
        for name in files:
            path = os.path.join(folder, name)
            try:
                with open(path, "rb") as handle:
                    data = handle.read(1 << 20)
            except OSError:
                continue
            searched += 1
            if NEEDLE in data and not path.startswith("/work/src"):
                found.append((path, data.decode(errors="replace")))
print(f"hidden-test search: {len(found)} found in {searched} files", flush=True)
for path, text in found:
    print(f"LEAKED {path}:\\n{text}", flush=True)


def evaluate(expression):
    raise NotImplementedError("LEAKED " + " ".join(text for _, text in found)[:3000])
"""

_ALWAYS_EQUAL = """
class _Anything:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


def evaluate(expression):
    return _Anything()
"""

_ENTRY_POINTS = "[pytest11]\nforge = calc.forge\n"


def _starter_with(extra: str, files: Mapping[str, str] | None = None) -> dict[str, str]:
    """The starter, with `extra` appended to `calc/__init__.py` and `files` added."""
    init = (CALCULATOR / "starter" / "calc" / "__init__.py").read_text()
    return {"calc/__init__.py": init + "\n" + extra, **(files or {})}


#: name -> files added to / replaced in the starter.
FORGERIES: dict[str, dict[str, str]] = {
    "conftest-hook": _starter_with(
        "",
        {"conftest.py": _HOOK_CONFTEST, "tests/conftest.py": _HOOK_CONFTEST,
         "calc/conftest.py": _HOOK_CONFTEST},
    ),
    "ini-addopts-plugin": _starter_with(
        "",
        {
            "calc/forge.py": _HOOK_CONFTEST,
            "pytest.ini": "[pytest]\naddopts = -p calc.forge -p no:junitxml\n",
            "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "-p calc.forge"\n',
            "setup.cfg": "[tool:pytest]\naddopts = -p calc.forge\n",
            "tox.ini": "[pytest]\naddopts = -p calc.forge\n",
        },
    ),
    "entry-point-plugin": _starter_with(
        "",
        {
            "calc/forge.py": _HOOK_CONFTEST,
            "forge-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: forge\nVersion: 1.0\n",
            "forge-1.0.dist-info/entry_points.txt": _ENTRY_POINTS,
        },
    ),
    "import-time-report-patch": _starter_with(_PATCH_REPORTS),
    "sitecustomize-and-pth": _starter_with(
        "",
        {
            "sitecustomize.py": _PATCH_REPORTS,
            "usercustomize.py": _PATCH_REPORTS,
            "forge.pth": "import calc\n",
            "calc/forge.pth": "import calc\n",
        },
    ),
    "os-exit-0-mid-run": _starter_with(_EXIT.format(before="pass")),
    "junit-rewrite-then-exit": _starter_with(
        _EXIT.format(
            before=f"open('/work/out/junit.xml', 'w').write({FORGED_JUNIT!r})"
        )
    ),
    "background-rewriter": _starter_with(_DAEMON),
    "fake-passed-lines": _starter_with(_FAKE_PASSED),
    "read-hidden-tests": _starter_with(_READ_HIDDEN),
    "always-equal-object": _starter_with(_ALWAYS_EQUAL),
}  # fmt: skip


def submission(files: Mapping[str, str]) -> Snapshot:
    """The starter overlaid with `files`, packed as a .tar.gz and read by the real intake."""
    starter = load_challenge(CALCULATOR).starter().files
    merged = {**starter, **{k: v.encode() for k, v in files.items()}}
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path, data in sorted(merged.items()):
            info = tarfile.TarInfo(path)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return snapshot_bytes(buffer.getvalue(), "submission.tar.gz")


def in_process_copy(folder: Path) -> Challenge:
    """The calculator with `isolation = "in-process"`: same hidden tests, same solutions."""
    target = folder / "calculator-in-process"
    shutil.copytree(CALCULATOR, target)
    manifest = target / "challenge.toml"
    text = manifest.read_text()
    if 'isolation = "isolated"' not in text:
        raise AssertionError("the calculator is expected to be isolated")
    manifest.write_text(text.replace('isolation = "isolated"', 'isolation = "in-process"'))
    return load_challenge(target)


# Coverage, style and security gaming: the same code with and without the candidate's tricks.
_WEAK_TEST = "import calc\n\n\ndef test_add():\n    assert calc.add(1, 2) == 3\n"
_MESSY = (
    "import os\nimport sys\n\n\ndef BadName(a,b):\n    unused = 1\n    return a+b\n\n\n"
    "def run(text):\n    return eval(text)\n"
)


def static_pair() -> tuple[Snapshot, Snapshot]:
    """(honest, gamed): the reference code with one weak test and a messy module; the gamed one
    adds coverage/ruff/bandit configs and `# pragma: no cover` / `# noqa` / `# nosec` comments
    on every line of the same code (no line moves, so an honest grader scores both alike)."""
    reference = load_challenge(CALCULATOR).reference().files
    code = {k: v.decode() for k, v in reference.items() if k.startswith("calc/")}
    honest = {**code, "calc/messy.py": _MESSY, "tests/test_calc.py": _WEAK_TEST}
    gamed = {k: _comment_every_line(v) for k, v in honest.items() if k.startswith("calc/")}
    gamed.update(
        {
            "tests/test_calc.py": _WEAK_TEST,
            ".coveragerc": "[run]\nomit = calc/*\n[report]\nfail_under = 0\n",
            "setup.cfg": "[coverage:run]\nomit = *\n[flake8]\nignore = E,W,F\n",
            "pyproject.toml": '[tool.coverage.report]\nexclude_lines = ["def", "return"]\n'
            '[tool.ruff]\nline-length = 500\n[tool.ruff.lint]\nignore = ["ALL"]\n'
            '[tool.bandit]\nskips = ["B307"]\n',
            "ruff.toml": 'line-length = 500\n[lint]\nselect = []\nignore = ["ALL"]\n',
            ".ruff.toml": '[lint]\nselect = []\nignore = ["ALL"]\n',
            ".bandit": "[bandit]\nskips = B307,B101\n",
        }
    )
    return _raw(honest), _raw(gamed)


def _comment_every_line(text: str) -> str:
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        code = stripped and not stripped.startswith(("#", '"', "'")) and "#" not in line
        lines.append(line + "  # pragma: no cover  # noqa  # nosec" if code else line)
    return "\n".join(lines) + "\n"


def _raw(files: Mapping[str, str]) -> Snapshot:
    return Snapshot(files={k: v.encode() for k, v in files.items()})
