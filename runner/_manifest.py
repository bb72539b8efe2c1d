"""The pydantic models of `challenge.toml` and `variant.toml`, and their loader; see `challenge`.

Every model forbids unknown fields and runs in strict mode, so `memory_mb = "512"` or
`cpus = true` fail instead of being coerced, and non-finite floats (`inf`, `nan`) are refused.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from graders.model import CATEGORIES, Category
from graders.scoring import DEFAULT_WEIGHTS

__all__ = [
    "CATEGORIES",
    "CHALLENGE_ID",
    "ChallengeError",
    "DependencySpec",
    "FeedbackSpec",
    "HiddenTestsSpec",
    "ImageSpec",
    "LimitsSpec",
    "Manifest",
    "ManifestError",
    "OverlayPath",
    "ReviewSpec",
    "RubricCriterion",
    "RubricLevel",
    "ServiceSpec",
    "ValidateSpec",
    "VariantManifest",
    "Weights",
    "parse_manifest",
    "read_manifest",
]

# `name[extras]` then one or more comparison clauses: no URLs, paths, options or markers.
_REQUIREMENT = (
    r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
    r"(?:\[[A-Za-z0-9._-]+(?:,[A-Za-z0-9._-]+)*\])?"
    r"(?:===?|~=|!=|>=|<=|>|<)[A-Za-z0-9.*+!_-]+"
    r"(?:,(?:===?|~=|!=|>=|<=|>|<)[A-Za-z0-9.*+!_-]+)*$"
)
Requirement = Annotated[str, StringConstraints(pattern=_REQUIREMENT, max_length=200)]
CHALLENGE_ID = r"^[a-z0-9][a-z0-9-]{1,40}$"
"""What a challenge id is: lowercase letters, digits and `-`, 2 to 41 characters."""
OneLine = Annotated[str, StringConstraints(pattern=r"^[^\x00-\x1f\x7f]*$", max_length=200)]
TestId = Annotated[str, StringConstraints(pattern=r"^[^\s\x00-\x1f\x7f]+$", max_length=500)]
Option = bool | int | float | str | list[str]
_M = TypeVar("_M", bound=BaseModel)


class ChallengeError(Exception):
    """Base of every challenge-pack fault: bad manifest, missing folder, unknown id."""


class ManifestError(ChallengeError):
    """A manifest is invalid. `str()` is `<file>: <dotted.field>: <message>`."""

    def __init__(self, path: Path, field: str, message: str) -> None:
        super().__init__(f"{path}: {field}: {message}" if field else f"{path}: {message}")
        self.path, self.field, self.message = path, field, message


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class DependencySpec(_Model):
    """`[dependencies]`: requirement specifiers baked into the challenge image."""

    # Strict mode refuses a list for a tuple; TOML arrays are lists, so this field is lax.
    allowed: tuple[Requirement, ...] = Field(default=(), strict=False)

    @model_validator(mode="after")
    def _unique(self) -> DependencySpec:
        names = [
            re.split(r"[\[=~!<>]", req, maxsplit=1)[0].lower().replace("_", "-")
            for req in self.allowed
        ]
        if len(set(names)) != len(names):
            raise ValueError("a package is listed more than once")
        return self


# A Debian package name (Debian policy 5.6.1): lowercase letters, digits, `+`, `-` and `.`.
DebianPackage = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9+.-]{1,62}$")]


class ImageSpec(_Model):
    """`[image]`: what the challenge's image needs beyond Python packages."""

    debian: tuple[DebianPackage, ...] = Field(default=(), max_length=20, strict=False)
    """Debian packages debootstrapped into the challenge's own base (e.g. `postgresql` for a
    database the probes run); none: the shared base."""

    @field_validator("debian")
    @classmethod
    def _once(cls, debian: tuple[str, ...]) -> tuple[str, ...]:
        if twice := sorted({name for name in debian if debian.count(name) > 1}):
            raise ValueError(f"package {twice[0]!r} is listed more than once")
        return debian


class LimitsSpec(_Model):
    """`[limits]`: overrides of the sandbox defaults, with sane upper bounds."""

    wall_seconds: float | None = Field(default=None, gt=0, le=3600)
    memory_mb: int | None = Field(default=None, gt=0, le=65536)
    cpus: float | None = Field(default=None, gt=0, le=64)
    pids: int | None = Field(default=None, gt=0, le=65536)


class Weights(_Model):
    """`[weights]`: relative weight of each category; unnamed ones keep their default
    (`graders.scoring.DEFAULT_WEIGHTS`). One field per `graders.model.CATEGORIES`, in its order
    (tests/graders/test_values.py holds the two together)."""

    tests: float = Field(default=DEFAULT_WEIGHTS["tests"], ge=0)
    coverage: float = Field(default=DEFAULT_WEIGHTS["coverage"], ge=0)
    style: float = Field(default=DEFAULT_WEIGHTS["style"], ge=0)
    complexity: float = Field(default=DEFAULT_WEIGHTS["complexity"], ge=0)
    security: float = Field(default=DEFAULT_WEIGHTS["security"], ge=0)
    rubric: float = Field(default=0, ge=0)
    """Weight of the reviewers' rubric score in the "overall with rubric" figure (0: the rubric
    score is shown beside the automated score, not folded in). Not a category: the automated
    score never uses it."""

    @model_validator(mode="after")
    def _positive_sum(self) -> Weights:
        if sum(self.as_dict().values()) <= 0:
            raise ValueError("the weights must not all be zero")
        return self

    def as_dict(self) -> dict[str, float]:
        """Category name to weight, in report order."""
        return {name: float(getattr(self, name)) for name in CATEGORIES}


class FeedbackSpec(_Model):
    """`[feedback]`: what a candidate may see of their own report."""

    policy: Literal["status", "visible_tests", "scores"] = "status"


class ReviewSpec(_Model):
    """`[review]`: how reviewers see the challenge's submissions."""

    blind: bool = False
    """New invites are blind by default (`docs/reviewing.md`, "Blind review")."""


class HiddenTestsSpec(_Model):
    """`[tests]`: points per hidden test id and, optionally, the complete list of expected ids."""

    points: dict[TestId, Annotated[float, Field(ge=0)]] = Field(default_factory=dict)
    expected: tuple[TestId, ...] = Field(default=(), strict=False)
    isolation: Literal["in-process", "isolated"] = "in-process"
    """Unit mode: `in-process` runs the hidden tests in the candidate's process (tamper-evident:
    canary tests and consistency checks); `isolated` runs them in a trusted container that calls
    the candidate's code over loopback and gets plain data back (forged results impossible)."""

    @model_validator(mode="after")
    def _consistent(self) -> HiddenTestsSpec:
        if len(set(self.expected)) != len(self.expected):
            raise ValueError("expected lists a test id more than once")
        if self.expected and (stray := sorted(set(self.points) - set(self.expected))):
            raise ValueError(f"points names ids missing from expected: {stray}")
        return self


class ServiceSpec(_Model):
    """`[service]` (service mode): how the candidate's app starts and when it is ready.

    The app runs from the repository root with `PORT` and `DATA_DIR` (a writable folder) in its
    environment and must listen on 127.0.0.1:`port`; the probes (the challenge's hidden tests)
    run in another container that shares only its loopback, with `APP_URL` set.
    """

    command: tuple[Annotated[str, StringConstraints(min_length=1, max_length=500)], ...] = Field(
        min_length=1, max_length=64, strict=False
    )
    port: int = Field(default=8000, ge=1024, le=65535)
    health_path: Annotated[str, StringConstraints(pattern=r"^/[^\s\x00-\x1f\x7f]*$")] = "/"
    ready_seconds: float = Field(default=30, gt=0, le=600)
    memory_mb: int | None = Field(default=None, gt=0, le=65536)
    """Memory of the app's container; default: `[limits] memory_mb`."""


RubricId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,39}$")]
LongText = Annotated[str, StringConstraints(max_length=2000)]


class RubricLevel(_Model):
    """One level of a rubric criterion: its score, a short label and what work there looks like."""

    score: int = Field(ge=0, le=100)
    label: Annotated[OneLine, StringConstraints(min_length=1, max_length=80)]
    anchor: LongText = ""


class RubricCriterion(_Model):
    """`[[rubric]]`: one criterion a reviewer scores by hand, on levels with anchors."""

    id: RubricId
    title: Annotated[OneLine, StringConstraints(min_length=1)]
    description: LongText = ""
    weight: float = Field(default=1, gt=0, le=1000)
    levels: tuple[RubricLevel, ...] = Field(min_length=2, max_length=10, strict=False)

    @field_validator("levels")
    @classmethod
    def _distinct_scores(cls, levels: tuple[RubricLevel, ...]) -> tuple[RubricLevel, ...]:
        scores = [level.score for level in levels]
        if twice := sorted({s for s in scores if scores.count(s) > 1}):
            raise ValueError(f"level score {twice[0]} appears more than once")
        return tuple(sorted(levels, key=lambda level: level.score))

    def level(self, score: int) -> RubricLevel | None:
        """The level with that score, if the criterion has one."""
        return next((level for level in self.levels if level.score == score), None)

    @property
    def low(self) -> int:
        """The lowest level's score."""
        return self.levels[0].score

    @property
    def high(self) -> int:
        """The highest level's score."""
        return self.levels[-1].score


class ValidateSpec(_Model):
    """`[validate]`: the band `takehome challenges validate` holds the pack's starter to."""

    starter_max: float = Field(default=25, ge=0, le=100)
    """The highest overall score the untouched starter may reach."""
    jobs: int | None = Field(default=None, ge=1, le=64)
    """At most this many solutions graded at once by `validate` (unset: as many as the CPUs
    allow). 1 for a pack whose hidden tests measure load or latency in wall time, where a second
    grading beside it would move the figures."""


class Manifest(_Model):
    """`challenge.toml`."""

    id: Annotated[str, StringConstraints(pattern=CHALLENGE_ID)]
    title: Annotated[OneLine, StringConstraints(min_length=1)]
    version: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z][0-9A-Za-z.+-]{0,39}$")]
    framework: Annotated[OneLine, StringConstraints(min_length=1, max_length=40)]
    mode: Literal["unit", "service"]
    summary: OneLine = ""
    time_estimate: Annotated[OneLine, StringConstraints(max_length=40)] = ""
    dependencies: DependencySpec = DependencySpec()
    image: ImageSpec = ImageSpec()
    limits: LimitsSpec = LimitsSpec()
    weights: Weights = Weights()
    feedback: FeedbackSpec = FeedbackSpec()
    review: ReviewSpec = ReviewSpec()
    tests: HiddenTestsSpec = HiddenTestsSpec()
    graders: dict[
        Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")], dict[str, Option]
    ] = Field(default_factory=dict)
    service: ServiceSpec | None = None
    # `validate` would shadow BaseModel.validate: the TOML key is the alias.
    validation: ValidateSpec = Field(default=ValidateSpec(), alias="validate")
    rubric: tuple[RubricCriterion, ...] = Field(default=(), max_length=20, strict=False)
    """What reviewers score by hand (`[[rubric]]`); levels are kept sorted by score."""

    @field_validator("rubric")
    @classmethod
    def _distinct_ids(cls, rubric: tuple[RubricCriterion, ...]) -> tuple[RubricCriterion, ...]:
        ids = [criterion.id for criterion in rubric]
        if twice := sorted({i for i in ids if ids.count(i) > 1}):
            raise ValueError(f"criterion id {twice[0]!r} appears more than once")
        return rubric

    def criterion(self, criterion_id: str) -> RubricCriterion | None:
        """The rubric criterion with that id, if the rubric has one."""
        return next((c for c in self.rubric if c.id == criterion_id), None)

    @model_validator(mode="after")
    def _service_section(self) -> Manifest:
        if (self.mode == "service") != (self.service is not None):
            raise ValueError(
                "a [service] section is required with mode = 'service', and only then"
            )
        if self.mode == "service" and self.tests.isolation != "in-process":
            raise ValueError("tests.isolation applies to unit mode (service probes are isolated)")
        if self.weights.rubric > 0 and not self.rubric:
            raise ValueError("weights.rubric is set but the challenge has no [[rubric]]")
        return self


_SEGMENT = r"[^/\\\x00-\x1f\x7f]+"
OverlayPath = Annotated[
    str, StringConstraints(pattern=rf"^{_SEGMENT}(?:/{_SEGMENT})*$", max_length=500)
]


class VariantManifest(_Model):
    """`variants/<name>/variant.toml`: a flawed solution and where it must lose points.

    The folder is an overlay on `reference/` (`runner._overlay`): the files that differ (whole,
    or as `X.patch`, a unified diff of `reference/X`), and `remove` for the reference's files or
    folders the variant does not have.
    """

    category: Category
    category_max: float | None = Field(default=None, ge=0, le=100)
    """The highest score (0-100) the variant may reach in `category`."""
    max_score: float | None = Field(default=None, ge=0, le=100)
    """The highest overall score (0-100) the variant may reach."""
    min_score: float | None = Field(default=None, ge=0, le=100)
    """The lowest overall score (0-100) the variant may get."""
    remove: tuple[OverlayPath, ...] = Field(default=(), strict=False)
    """Paths (files or folders, relative to the reference) the variant deletes."""
    literal: tuple[OverlayPath, ...] = Field(default=(), strict=False)
    """Overlay files ending in `.patch` that are shipped as they are, not applied as patches."""
    reason: OneLine = ""

    @field_validator("remove", "literal")
    @classmethod
    def _normalised(cls, remove: tuple[str, ...]) -> tuple[str, ...]:
        for entry in remove:
            if {".", ".."} & set(entry.split("/")):
                raise ValueError(f"{entry!r} has a '.' or '..' component")
        if len(set(remove)) != len(remove):
            raise ValueError("a path is listed more than once")
        return remove

    @model_validator(mode="after")
    def _band(self) -> VariantManifest:
        low, high = self.min_score, self.max_score
        if low is not None and high is not None and low > high:
            raise ValueError(f"min_score {low:g} is above max_score {high:g}")
        return self


def read_manifest(path: Path, model: type[_M]) -> _M:
    """Read, parse and validate a TOML manifest; a missing file is a `ChallengeError`."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ChallengeError(f"{path}: file is missing") from None
    return parse_manifest(path, raw, model)


def parse_manifest(path: Path, raw: bytes, model: type[_M]) -> _M:
    """Parse and validate manifest bytes, turning every failure into a `ManifestError`."""
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ManifestError(path, "", "not valid UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(path, "", f"invalid TOML: {exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _manifest_error(path, exc) from None


def _manifest_error(path: Path, exc: ValidationError) -> ManifestError:
    errors = exc.errors(include_url=False)
    first = errors[0]
    field = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return ManifestError(path, field.lstrip("."), message)
