"""A sandbox that remembers the run ids it was given, for leak checks of code that makes its own.

`validate_challenge` and `Pipeline.grade` choose their run ids themselves, so a test of them
cannot name its ids in advance; comparing every managed object on the engine instead breaks when
another process grades at the same time (the full lane runs the packs' validations beside the
rest). Wrap the sandbox in `RecordingSandbox`, then check `labelled(client, *sandbox.run_ids)`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sandbox.spec import Execution, RunSpec, Sandbox, Service

__all__ = ["RecordingSandbox"]


class RecordingSandbox:
    """Delegates to `inner` and records every `RunSpec.run_id` it passes on."""

    def __init__(self, inner: Sandbox) -> None:
        self._inner = inner
        self.run_ids: set[str] = set()

    def run(self, spec: RunSpec) -> Execution:
        self.run_ids.add(spec.run_id)
        return self._inner.run(spec)

    def run_group(self, specs: Sequence[RunSpec]) -> list[Execution]:
        self.run_ids.update(spec.run_id for spec in specs)
        return self._inner.run_group(specs)

    def start_service(self, spec: RunSpec) -> Service:
        self.run_ids.add(spec.run_id)
        return self._inner.start_service(spec)

    def image_id(self, image: str) -> str:
        return self._inner.image_id(image)
