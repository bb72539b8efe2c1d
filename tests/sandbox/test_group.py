"""Groups of trusted specs share one container; anything else is refused."""

from __future__ import annotations

import pytest

from sandbox import Execution, FakeSandbox, Limits, RunSpec, merge_workspace, run_in_order
from sandbox.docker import DockerSandbox


def _spec(label: str, argv: tuple[str, ...], **kw: object) -> RunSpec:
    base: dict[str, object] = {"image": "img", "run_id": "r", "label": label, "trusted": True}
    return RunSpec(argv=argv, **{**base, **kw})  # type: ignore[arg-type]


def test_merge_unions_files_and_dirs() -> None:
    a = _spec("a", ("true",), files_in={"src/x": (b"1", 0o444)}, writable_dirs=("out",))
    b = _spec("b", ("true",), files_in={"src/x": (b"1", 0o444), "g/y": (b"2", 0o444)})
    files, dirs = merge_workspace([a, b])
    assert files == {"src/x": (b"1", 0o444), "g/y": (b"2", 0o444)}
    assert dirs == ("out",)


@pytest.mark.parametrize(
    ("other", "message"),
    [
        ({"trusted": False}, "only trusted"),
        ({"image": "other"}, "cannot share"),
        ({"run_id": "r2"}, "cannot share"),
        ({"limits": Limits(memory_bytes=1 << 20)}, "cannot share"),
        ({"files_in": {"src/x": (b"changed", 0o444)}}, "two different files"),
    ],
)
def test_merge_refuses_what_must_not_share(other: dict[str, object], message: str) -> None:
    a = _spec("a", ("true",), files_in={"src/x": (b"1", 0o444)})
    b = _spec("b", ("true",), **{"files_in": {"src/x": (b"1", 0o444)}, **other})
    with pytest.raises(ValueError, match=message):
        merge_workspace([a, b])


def test_a_single_untrusted_spec_is_a_group_of_one() -> None:
    spec = _spec("a", ("true",), trusted=False)
    assert merge_workspace([spec]) == ({}, ("out",))
    with pytest.raises(ValueError, match="at least one"):
        merge_workspace([])


@pytest.mark.docker
def test_group_runs_in_one_container_and_each_gets_its_files(
    docker_sandbox: DockerSandbox, tools_image: str, run_id: str
) -> None:
    # The first leaves a file in the container's private /tmp; the second can only see it if
    # it runs in the same container.
    first = "open('/tmp/left', 'w').write('from one'); open('/work/out/one', 'w').write('1')"
    second = "open('/work/out/two', 'w').write(open('/tmp/left').read())"
    specs = [
        _spec(
            label,
            ("python3", "-c", code),
            image=tools_image,
            run_id=run_id,
            files_out=(f"out/{label}",),
        )
        for label, code in (("one", first), ("two", second))
    ]
    one, two = docker_sandbox.run_group(specs)
    assert one.ok
    assert two.ok
    assert one.files_out == {"out/one": b"1"}
    assert two.files_out == {"out/two": b"from one"}
    assert one.image_id == two.image_id


@pytest.mark.docker
def test_a_timeout_in_a_group_moves_the_rest_to_a_fresh_container(
    docker_sandbox: DockerSandbox, tools_image: str, run_id: str
) -> None:
    hang = _spec(
        "hang", ("sleep", "60"), image=tools_image, run_id=run_id, limits=Limits(wall_seconds=1.5)
    )
    mark = _spec(  # the default deadline: load alone must not time it out too
        "mark",
        ("python3", "-c", "open('/work/out/m', 'w').write('ok')"),
        image=tools_image,
        run_id=run_id,
        files_out=("out/m",),
    )
    first, second = docker_sandbox.run_group([hang, mark])
    assert first.timed_out
    assert not second.timed_out
    assert second.files_out == {"out/m": b"ok"}


@pytest.mark.docker
@pytest.mark.parametrize(("gate_code", "ran"), [("0", ["gate", "after"]), ("3", ["gate"])])
def test_a_gate_runs_the_rest_of_its_group_only_when_it_passes(
    docker_sandbox: DockerSandbox, tools_image: str, run_id: str, gate_code: str, ran: list[str]
) -> None:
    gate = _spec(
        "gate",
        ("python3", "-c", f"open('/work/out/g', 'w').write('g'); raise SystemExit({gate_code})"),
        image=tools_image,
        run_id=run_id,
        gate=True,
        files_out=("out/g",),
    )
    after = _spec(
        "after",
        ("python3", "-c", "open('/work/out/a', 'w').write('a')"),
        image=tools_image,
        run_id=run_id,
        files_out=("out/a",),
    )
    done = docker_sandbox.run_group([gate, after])
    assert len(done) == len(ran)
    assert done[0].exit_code == int(gate_code)
    # The failed gate's own files still come back; the spec after it never ran anywhere.
    assert done[0].files_out == {"out/g": b"g"}
    if len(done) == 2:
        assert done[1].files_out == {"out/a": b"a"}


@pytest.mark.parametrize(
    ("gate_result", "ran"),
    [
        (Execution(exit_code=0, stdout=b"", stderr=b"", wall_seconds=0.0), ["gate", "after"]),
        (Execution(exit_code=1, stdout=b"", stderr=b"", wall_seconds=0.0), ["gate"]),
        (
            Execution(exit_code=0, stdout=b"", stderr=b"", wall_seconds=9.0, timed_out=True),
            ["gate"],
        ),
    ],
)
def test_run_in_order_stops_after_a_failed_gate(gate_result: Execution, ran: list[str]) -> None:
    ok = Execution(exit_code=0, stdout=b"", stderr=b"", wall_seconds=0.0)
    specs = [_spec("gate", ("true",), gate=True), _spec("after", ("true",))]
    fake = FakeSandbox(lambda spec: gate_result if spec.gate else ok)
    done = fake.run_group(specs)
    assert [s.label for s in fake.specs] == ran
    assert done == [gate_result, ok][: len(ran)]
    # A gate that is not first in line changes nothing for the specs before it.
    assert run_in_order(specs[::-1], FakeSandbox(lambda _s: gate_result).run) == [gate_result] * 2
