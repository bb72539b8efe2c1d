"""Checking an endpoint's URL: the Git intake's address rules, at configure and at send time."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit

from runner.events._errors import EndpointAddressRefused, EndpointRefused
from runner.gitintake import (
    GitAddressRefused,
    GitPolicy,
    GitUnreachable,
    GitUrlRefused,
    check_address,
)
from runner.settings import Settings

__all__ = ["EventPolicy", "Target", "check_endpoint_url"]

_MAX_URL = 2048
_DEFAULT_PORTS = {"https": 443, "http": 80}
#: host, port -> the addresses it resolves to (`runner.gitintake.GitPolicy.resolver`'s shape).
Resolver = Callable[[str, int], Sequence[str]]


@dataclass(frozen=True)
class EventPolicy:
    """Where deliveries may go, and how long one attempt may take."""

    allow_http: bool = False
    allow_loopback: bool = False
    timeout_seconds: float = 5.0
    resolver: Resolver | None = field(default=None, compare=False, repr=False)
    """host, port -> addresses (tests only; None: the system's resolver, as for Git)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> EventPolicy:
        """The policy of `settings` (`events_*`, and `git_allow_loopback` for loopback)."""
        return cls(
            allow_http=settings.events_allow_http,
            allow_loopback=settings.git_allow_loopback,
            timeout_seconds=settings.events_timeout_seconds,
        )

    def schemes(self) -> tuple[str, ...]:
        """The URL schemes allowed."""
        return ("https", "http") if self.allow_http else ("https",)

    def git(self) -> GitPolicy:
        """The Git intake's policy with the same address rules (`check_address`)."""
        if self.resolver is None:
            return GitPolicy(allow_loopback=self.allow_loopback)
        return GitPolicy(allow_loopback=self.allow_loopback, resolver=self.resolver)


@dataclass(frozen=True)
class Target:
    """A checked endpoint URL and the address a delivery connects to (pinned: the checked
    address is the one connected to, so DNS cannot change in between)."""

    url: str
    scheme: str
    host: str
    port: int
    path: str
    """The request target: path and query."""
    address: str


def _refuse_text(url: str) -> None:
    if not url:
        raise EndpointRefused("give the endpoint's URL")
    if len(url) > _MAX_URL:
        raise EndpointRefused(f"the URL is longer than {_MAX_URL} characters")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise EndpointRefused("the URL holds spaces or control characters")
    if not url.isascii():
        raise EndpointRefused(
            "the URL holds non-ASCII characters: percent-encode them in the path or query,"
            " and give an internationalised host name in its punycode form (xn--...)"
        )


def _split(url: str) -> tuple[SplitResult, str | None, int | None]:
    try:
        parts = urlsplit(url)
        return parts, parts.hostname, parts.port  # both parse lazily, and may raise
    except ValueError as exc:
        raise EndpointRefused(f"the URL is malformed: {exc}") from None


def _scheme(parts: SplitResult, policy: EventPolicy) -> str:
    scheme = parts.scheme.lower()
    if scheme not in policy.schemes():
        allowed = " or ".join(policy.schemes())
        raise EndpointRefused(f"only {allowed} endpoint URLs are accepted, not {scheme!r}")
    if "@" in parts.netloc:
        raise EndpointRefused("the URL holds credentials (user@host): sign with the secret")
    if parts.fragment:
        raise EndpointRefused("the URL holds a fragment")
    return scheme


def _host(hostname: str | None) -> str:
    host = (hostname or "").removesuffix(".")
    if not host or host.endswith("."):
        raise EndpointRefused("the URL names no valid host")
    return host


def _parts(url: str, policy: EventPolicy) -> tuple[str, str, int, str]:
    parts, hostname, port = _split(url)
    scheme = _scheme(parts, policy)
    host = _host(hostname)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, host, port or _DEFAULT_PORTS[scheme], path


def check_endpoint_url(url: str, policy: EventPolicy, *, resolve: bool = True) -> Target:
    """The URL checked: http(s) only (http with `allow_http`), no credentials or fragment; with
    `resolve`, every address of the host checked as Git intake checks them (public only,
    loopback with `allow_loopback`). Raises `EndpointRefused` / `EndpointAddressRefused`."""
    _refuse_text(url)
    scheme, host, port, path = _parts(url.strip(), policy)
    netloc = f"[{host}]" if ":" in host else host
    if port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    canonical = f"{scheme}://{netloc}{path}"
    address = host
    if resolve:
        try:
            address = check_address(host, port, policy.git())
        except GitAddressRefused as exc:
            raise EndpointAddressRefused(str(exc)) from None
        except (GitUrlRefused, GitUnreachable) as exc:  # refused, or does not resolve (now)
            raise EndpointRefused(str(exc)) from None
    return Target(canonical, scheme, host, port, path, address)
