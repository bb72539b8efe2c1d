"""Test helpers for network containment: a listener on this machine and the bridge's gateway."""

from __future__ import annotations

import ipaddress
import socket
import threading

import docker
import pytest

__all__ = ["Listener", "bridge_gateway"]


class Listener:
    """A TCP listener on `address` of this machine, recording every connection it accepts.

    The default, 0.0.0.0, makes it reachable on every address of the host: the point of a test
    that proves a sandbox cannot reach it. Binding a specific address also proves that address
    belongs to this machine."""

    def __init__(self, address: str = "0.0.0.0") -> None:  # noqa: S104 - reachable everywhere
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((address, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port: int = self.sock.getsockname()[1]
        self.accepted: list[object] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, peer = self.sock.accept()
            except TimeoutError:
                continue
            self.accepted.append(peer)
            conn.close()

    def close(self) -> None:
        """Stop accepting and close the socket."""
        self._stop.set()
        self._thread.join()
        self.sock.close()


def bridge_gateway(client: docker.DockerClient) -> str:
    """The default bridge's gateway: this host's own address on docker0."""
    for config in client.networks.get("bridge").attrs["IPAM"]["Config"]:
        if config.get("Gateway"):
            return str(config["Gateway"])
        if "." in config.get("Subnet", ""):
            return str(next(ipaddress.ip_network(config["Subnet"]).hosts()))
    pytest.fail("the default bridge network has no IPv4 gateway")
