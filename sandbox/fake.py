"""`FakeSandbox`: a real, shipped implementation of `Sandbox` that runs nothing.

Like httpx's `MockTransport`, it answers each `RunSpec` through a handler the caller provides, and
records every spec it was given. It is for fast tests of the runner and the graders; the Docker
implementation has its own tests against a real engine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from sandbox.spec import Execution, ImageMissing, RunSpec, run_in_order

__all__ = ["FakeSandbox", "FakeService", "Handler"]

Handler = Callable[[RunSpec], Execution]


class FakeSandbox:
    """Answers each spec with `handler(spec)`; `images` lists the images it pretends to have."""

    def __init__(self, handler: Handler, images: dict[str, str] | None = None) -> None:
        self._handler = handler
        self._images = images
        self._lock = threading.Lock()
        self.specs: list[RunSpec] = []

    def run(self, spec: RunSpec) -> Execution:
        """Record the spec and return the handler's answer."""
        self.image_id(spec.image)
        with self._lock:
            self.specs.append(spec)
        return self._handler(spec)

    def run_group(self, specs: Sequence[RunSpec]) -> list[Execution]:
        """Check the group as the Docker sandbox does, then answer each spec in order until a
        gate fails."""
        return run_in_order(specs, self.run)

    def start_service(self, spec: RunSpec) -> FakeService:
        """A service whose `stop()` answers with `handler(spec)`."""
        self.image_id(spec.image)
        with self._lock:
            self.specs.append(spec)
        return FakeService(self._handler, spec)

    def image_id(self, image: str) -> str:
        """A stable fake digest, or `ImageMissing` when an image list was given without it."""
        if self._images is None:
            return f"sha256:fake-{image}"
        try:
            return self._images[image]
        except KeyError:
            raise ImageMissing(f"image {image!r} is not present") from None


class FakeService:
    """The fake's service: `stop()` returns the handler's answer for the service's spec."""

    network = "container:fake-service"

    def __init__(self, handler: Handler, spec: RunSpec) -> None:
        self._handler = handler
        self._spec = spec
        self._stopped = False

    def running(self) -> bool:
        """True until stopped."""
        return not self._stopped

    def stop(self) -> Execution:
        """The handler's answer for the service's spec."""
        self._stopped = True
        return self._handler(self._spec)
