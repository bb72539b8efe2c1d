"""A real SMTP server on loopback for the tests (aiosmtpd): it keeps what it receives, or
refuses every recipient with 550 when `refuse` is set."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

__all__ = ["SmtpServer", "free_port"]


def free_port() -> int:
    """A loopback port nothing listens on (for a server that is down)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@dataclass
class _Handler:
    refuse: bool = False
    received: list[Message] = field(default_factory=list)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        del server, session, options
        if self.refuse:
            return "550 5.7.1 refused by the test server"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        del server, session
        self.received.append(message_from_bytes(envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"


class SmtpServer:
    """aiosmtpd on 127.0.0.1 (a free port) while the `with` block runs."""

    def __init__(self, *, refuse: bool = False) -> None:
        self.port = free_port()
        self._handler = _Handler(refuse=refuse)
        self._controller = Controller(self._handler, hostname="127.0.0.1", port=self.port)

    @property
    def received(self) -> list[Message]:
        """Every message delivered so far."""
        return self._handler.received

    @property
    def url(self) -> str:
        """A `TAKEHOME_SMTP_URL` for this server."""
        return f"smtp://127.0.0.1:{self.port}/?from=hiring@example.com&timeout=5"

    def __enter__(self) -> SmtpServer:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()
