"""Checking a repository URL, a ref and a commit SHA before git ever sees them."""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit

from runner.gitintake._errors import (
    GitAddressRefused,
    GitRefRefused,
    GitUnreachable,
    GitUrlRefused,
)

__all__ = [
    "CheckedUrl",
    "GitPolicy",
    "check_address",
    "check_commit_sha",
    "check_ref",
    "check_url",
    "normalise_repo_url",
]

_MAX_URL = 2048
_MAX_REF = 200
_REF = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/+-]*")
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_DEFAULT_PORTS = {"https": 443, "http": 80}
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: host, port -> the addresses it resolves to (tests may pass their own; nothing else should).
Resolver = Callable[[str, int], Sequence[str]]


def _resolve(host: str, port: int) -> list[str]:
    """The addresses of `host`. Every lookup failure is `GitUnreachable` (transient, the
    server's side), whatever its `EAI_*` code: the name is one the operator allow-listed (the
    allow-list is checked first, so no name from a request is ever looked up), so it failing
    to resolve says the grading host's DNS is down or misconfigured, not that the request is
    wrong. `EAI_AGAIN` is transient by definition; `EAI_NONAME` is too, here: a resolver with
    no reachable server (an empty resolv.conf, a stub resolver offline) answers it for every
    name, `github.com` included, so it cannot be told from a real NXDOMAIN. A name that cannot
    be encoded for DNS at all (IDNA: a label over 63 characters) is refused."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except UnicodeError as exc:
        raise GitUrlRefused(f"the host {host!r} is not a name DNS can look up: {exc}") from None
    except OSError as exc:  # socket.gaierror (EAI_AGAIN, EAI_NONAME, EAI_FAIL, ...) and others
        raise GitUnreachable(f"the host {host!r} does not resolve: {exc}") from None
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True)
class GitPolicy:
    """Where and how much the service clones."""

    allowed_hosts: frozenset[str] = frozenset({"github.com", "gitlab.com", "bitbucket.org"})
    allow_loopback: bool = False
    allow_http: bool = False
    max_bytes: int = 50 * 1024 * 1024
    timeout_seconds: float = 60.0
    history_commits: int = 200
    """How many of the newest commits `clone_snapshot` records (`GitSnapshot.history`); 0:
    none. Fetched under the same `max_bytes` and `timeout_seconds`."""
    resolver: Resolver = field(default=_resolve, compare=False, repr=False)

    def schemes(self) -> tuple[str, ...]:
        """The URL schemes (and git transports) allowed."""
        return ("https", "http") if self.allow_http else ("https",)


@dataclass(frozen=True)
class CheckedUrl:
    """A URL that passed `check_url`, with the address git must connect to.

    `url` is rebuilt from the checked parts (lower-case scheme and host, no trailing dot, the
    port only when it is not the scheme's default): it is what git is given, so the host git
    connects to is exactly the one `curl_resolve` pins."""

    url: str
    scheme: str
    host: str
    port: int
    address: str

    def curl_resolve(self) -> str:
        """The `http.curloptResolve` entry that pins `host:port` to the checked address."""
        address = f"[{self.address}]" if ":" in self.address else self.address
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}:{address}"


def _refuse_text(url: str) -> None:
    if not url:
        raise GitUrlRefused("give a repository URL")
    if len(url) > _MAX_URL:
        raise GitUrlRefused(f"the URL is longer than {_MAX_URL} characters")
    if url.startswith("-"):
        raise GitUrlRefused(f"the URL {url[:80]!r} starts with '-' (an option, not a URL)")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise GitUrlRefused("the URL holds spaces or control characters")
    if "::" in url.split("/", 1)[0]:
        raise GitUrlRefused(f"git transport syntax ({url.split('::', 1)[0]!r}::) is not accepted")


def _address_allowed(address: IPAddress, policy: GitPolicy) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return policy.allow_loopback
    return address.is_global and not (address.is_multicast or address.is_reserved)


def _checked_scheme(parts: SplitResult, policy: GitPolicy) -> str:
    scheme = parts.scheme.lower()
    if scheme not in policy.schemes():
        allowed = " or ".join(policy.schemes())
        raise GitUrlRefused(f"only {allowed} repository URLs are accepted, not {scheme!r}")
    return scheme


def _refuse_extras(parts: SplitResult) -> None:
    if "@" in parts.netloc:
        raise GitUrlRefused("the URL holds credentials (user@host): give a public URL")
    if parts.query or parts.fragment:
        raise GitUrlRefused("the URL holds a query or fragment")


def _checked_port(parts: SplitResult, scheme: str) -> int:
    try:
        return parts.port or _DEFAULT_PORTS[scheme]
    except ValueError:
        raise GitUrlRefused("the URL's port is not a number between 0 and 65535") from None


def _split(url: str) -> SplitResult:
    try:
        parts = urlsplit(url)
        _ = (parts.hostname, parts.port)  # both parse lazily, and may raise
    except ValueError as exc:  # "[github.com]", "[::1", a bad port ...
        raise GitUrlRefused(f"the URL is malformed: {exc}") from None
    return parts


def _checked_host(parts: SplitResult, policy: GitPolicy) -> str:
    host = parts.hostname or ""
    # One trailing dot is the same name, fully qualified: `github.com.` is `github.com` (and git
    # is given the name without it, see `CheckedUrl`). Two, or a dot alone, name nothing.
    if host.endswith(".."):
        raise GitUrlRefused(f"the host {host!r} is not a valid name (an empty label)")
    host = host.removesuffix(".")
    if not host or not parts.path.strip("/"):
        raise GitUrlRefused("the URL names no host or no repository path")
    if host not in policy.allowed_hosts:
        raise GitUrlRefused(
            f"the host {host!r} is not on the allow-list (TAKEHOME_GIT_ALLOWED_HOSTS)"
        )
    return host


def check_url(url: str, policy: GitPolicy, *, resolve: bool = True) -> CheckedUrl:
    """The URL, checked; with `resolve`, every address of its host checked too (no connection
    is made: a literal IP is not looked up, a name is resolved). Raises `GitUrlRefused`, or
    `GitUnreachable` when the name does not resolve (see `_resolve`)."""
    _refuse_text(url)
    parts = _split(url)
    scheme = _checked_scheme(parts, policy)
    _refuse_extras(parts)
    port = _checked_port(parts, scheme)
    host = _checked_host(parts, policy)
    address = _checked_address(host, port, policy) if resolve else host
    canonical = _canonical_url(scheme, host, port, parts.path)
    return CheckedUrl(url=canonical, scheme=scheme, host=host, port=port, address=address)


def _canonical_url(scheme: str, host: str, port: int, path: str) -> str:
    """The URL git is given: rebuilt from the checked parts, never the text as typed."""
    netloc = f"[{host}]" if ":" in host else host
    if port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    return f"{scheme}://{netloc}{path}"


def _checked_address(host: str, port: int, policy: GitPolicy) -> str:
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in policy.resolver(host, port)]
    if not addresses:
        raise GitUrlRefused(f"the host {host!r} does not resolve")
    for address in addresses:
        if not _address_allowed(address, policy):
            raise GitAddressRefused(
                f"the host {host!r} resolves to {address}, a private, loopback, link-local"
                " or otherwise internal address: the service does not connect there"
            )
    return str(addresses[0])


def check_address(host: str, port: int, policy: GitPolicy) -> str:
    """The address to connect to for `host`: every address it resolves to (a literal IP as it
    is) checked by `check_url`'s rules (public only; loopback with `allow_loopback`). Raises
    `GitUnreachable` (does not resolve), `GitUrlRefused` or `GitAddressRefused`. The outbound
    events check their endpoints' hosts with it (`runner.events`)."""
    return _checked_address(host, port, policy)


def check_ref(ref: str) -> str:
    """A plain branch, tag or commit name (`main`, `refs/heads/x`, a SHA); raises
    `GitRefRefused` for anything git could read as an option or a revision expression."""
    if ref.startswith("-"):
        raise GitRefRefused(f"the ref {ref[:80]!r} starts with '-' (an option, not a ref)")
    problems = (
        len(ref) > _MAX_REF,
        not _REF.fullmatch(ref),
        ".." in ref,
        "//" in ref,
        ref.endswith(("/", ".", ".lock")),
        any(part.startswith(".") for part in ref.split("/")),
    )
    if any(problems):
        raise GitRefRefused(f"{ref[:80]!r} is not a plain branch, tag or commit name")
    return ref


def check_commit_sha(sha: str) -> str:
    """A full hex commit id (40 or 64 digits, lower case)."""
    if not _SHA.fullmatch(sha):
        raise GitRefRefused(f"{sha[:80]!r} is not a full commit SHA")
    return sha


def normalise_repo_url(url: str) -> str:
    """The form used to compare repository URLs: lower-case scheme and host, no default
    port, no trailing slash or `.git`, and a case-folded path (GitHub and GitLab paths are
    case-insensitive and payloads carry the canonical case: `Ada/MyRepo` is `ada/myrepo`).
    Only for comparing: git is given `check_url`'s canonical form, never this one."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # not a URL check_url accepts: compares equal to nothing but itself
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().removesuffix(".")
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    path = parts.path.rstrip("/").casefold().removesuffix(".git").rstrip("/")
    return f"{scheme}://{netloc}{path}"
