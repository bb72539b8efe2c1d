"""Graders: each turns sandboxed tool runs into one category of the report.

Public surface: the `Grader` protocol and its input, the five built-in graders, the registry and
the score combination. The report model lives in `graders.model`.
"""

from graders._repeat import MAX_REPEAT
from graders.base import Grader, GraderCheckFailed, GradingInput
from graders.complexity import ComplexityGrader
from graders.coverage import CoverageGrader
from graders.registry import DuplicateGrader, UnknownGrader, all_graders, get, register
from graders.scoring import DEFAULT_WEIGHTS, combine
from graders.security import SecurityGrader
from graders.style import StyleGrader
from graders.tests import TestsGrader, discover_test_ids

__all__ = [
    "DEFAULT_WEIGHTS",
    "MAX_REPEAT",
    "ComplexityGrader",
    "CoverageGrader",
    "DuplicateGrader",
    "Grader",
    "GraderCheckFailed",
    "GradingInput",
    "SecurityGrader",
    "StyleGrader",
    "TestsGrader",
    "UnknownGrader",
    "all_graders",
    "combine",
    "discover_test_ids",
    "get",
    "register",
]
