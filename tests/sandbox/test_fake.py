"""`FakeSandbox`: a shipped `Sandbox` that records specs and answers through a handler."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from sandbox import FakeSandbox, Sandbox
from sandbox.spec import Execution, ImageMissing, RunSpec


def _spec(n: int = 0, image: str = "img:1") -> RunSpec:
    return RunSpec(image=image, argv=("echo", str(n)), run_id=f"r{n}")


def _echo(spec: RunSpec) -> Execution:
    return Execution(exit_code=0, stdout=spec.argv[-1].encode(), stderr=b"", wall_seconds=0.0)


def test_it_answers_through_the_handler_and_records_the_spec() -> None:
    fake = FakeSandbox(_echo)
    spec = _spec(7)
    assert fake.run(spec).stdout == b"7"
    assert fake.specs == [spec]


def test_it_records_every_spec_in_order() -> None:
    fake = FakeSandbox(_echo)
    specs = [_spec(n) for n in range(3)]
    for spec in specs:
        fake.run(spec)
    assert fake.specs == specs


def test_it_records_concurrent_runs() -> None:
    fake = FakeSandbox(_echo)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(fake.run, [_spec(n) for n in range(200)]))
    assert [r.stdout for r in results] == [str(n).encode() for n in range(200)]
    assert sorted(s.run_id for s in fake.specs) == sorted(f"r{n}" for n in range(200))


def test_without_an_image_list_every_image_has_a_stable_fake_id() -> None:
    fake = FakeSandbox(_echo)
    assert fake.image_id("img:1") == fake.image_id("img:1") == "sha256:fake-img:1"


def test_with_an_image_list_a_missing_image_is_image_missing_and_nothing_runs() -> None:
    calls: list[RunSpec] = []

    def handler(spec: RunSpec) -> Execution:
        calls.append(spec)
        return _echo(spec)

    fake = FakeSandbox(handler, images={"img:1": "sha256:abc"})
    assert fake.image_id("img:1") == "sha256:abc"
    with pytest.raises(ImageMissing, match="img:2"):
        fake.image_id("img:2")
    with pytest.raises(ImageMissing):
        fake.run(_spec(image="img:2"))
    assert calls == []
    assert fake.specs == []
    fake.run(_spec(image="img:1"))
    assert len(calls) == 1


def test_handler_exceptions_propagate() -> None:
    def broken(spec: RunSpec) -> Execution:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        FakeSandbox(broken).run(_spec())


def test_it_is_a_sandbox() -> None:
    sandbox: Sandbox = FakeSandbox(_echo)
    assert sandbox.run(_spec(1)).ok
