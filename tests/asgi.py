"""Driving the app over raw ASGI with a body that streams chunk by chunk (or stalls), counting
how much of it the app pulled: what TestClient, which reads a body whole, cannot show."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import anyio
from fastapi import FastAPI
from starlette.types import Message

__all__ = ["Answer", "call"]


@dataclass
class Answer:
    """The response, and how many body chunks the app pulled before answering."""

    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    pulled: int = 0

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    app: FastAPI,
    method: str,
    path: str,
    headers: dict[str, str],
    chunks: Iterable[bytes],
    *,
    stall: float = 0.0,
    client: str = "127.0.0.1",
) -> Answer:
    """One request to `app` whose body is `chunks`, sent one per `receive`; with `stall`, the
    client then goes silent for that many seconds instead of ending the body."""
    answer = Answer()
    pending = iter(chunks)

    async def receive() -> Message:
        try:
            chunk = next(pending)
        except StopIteration:
            if stall:
                await anyio.sleep(stall)
            return {"type": "http.request", "body": b"", "more_body": False}
        answer.pulled += 1
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = {k.decode(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            answer.body += message.get("body", b"")

    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": (client, 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    anyio.run(app, scope, receive, send)
    return answer
