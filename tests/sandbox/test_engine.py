"""`engine_errors`: what the Docker SDK and `requests` raise becomes one `SandboxError` each
(no engine needed: the SDK's own exception types are raised into it)."""

from __future__ import annotations

import docker.errors
import pytest
import requests
import requests.exceptions

from sandbox._engine import engine_errors
from sandbox.spec import EngineUnavailable, ImageMissing, SandboxError, SandboxFailure


def _response(status: int) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    return response


def _raise(exc: BaseException, fault: type[SandboxError] = SandboxFailure) -> None:
    with engine_errors("tests", fault):
        raise exc


@pytest.mark.parametrize(
    ("raised", "fault", "mapped", "says"),
    [
        (
            docker.errors.ImageNotFound("404", explanation="No such image: x:1"),
            SandboxFailure,
            ImageMissing,
            r"tests: No such image: x:1; run `takehome images build`",
        ),
        (
            requests.exceptions.ConnectionError("refused"),
            SandboxFailure,
            EngineUnavailable,
            r"tests: cannot reach the Docker engine \(refused\); start it",
        ),
        (docker.errors.APIError("500 boom"), SandboxFailure, SandboxFailure, r"tests: 500 boom"),
        (requests.exceptions.ReadTimeout("slow"), SandboxFailure, SandboxFailure, "tests: slow"),
        (
            docker.errors.DockerException("no api version"),
            EngineUnavailable,
            EngineUnavailable,
            r"cannot reach the Docker engine \(no api version\)",
        ),
        (docker.errors.APIError("denied"), ImageMissing, ImageMissing, "tests: denied"),
        (
            docker.errors.BuildError(
                "step 2 failed", iter([{"stream": "Step 1\n"}, {"aux": "x"}])
            ),
            SandboxFailure,
            SandboxFailure,
            "tests: step 2 failed\nStep 1\n",
        ),
    ],
)
def test_each_engine_error_maps_to_one_sandbox_error(
    raised: BaseException, fault: type[SandboxError], mapped: type[SandboxError], says: str
) -> None:
    with pytest.raises(mapped, match=says) as caught:
        _raise(raised, fault)
    assert type(caught.value) is mapped
    assert caught.value.__cause__ is raised


def test_an_image_not_found_from_the_engine_keeps_its_explanation() -> None:
    error = docker.errors.ImageNotFound(
        "404 Client Error", _response(404), explanation="No such image: y:2"
    )
    with pytest.raises(ImageMissing, match="No such image: y:2"):
        _raise(error)


def test_sandbox_errors_and_other_errors_pass_through() -> None:
    failure = SandboxFailure("the engine refused the workspace files")
    with pytest.raises(SandboxFailure) as caught:
        _raise(failure)
    assert caught.value is failure
    with pytest.raises(ValueError, match="not an engine error"):
        _raise(ValueError("not an engine error"))
