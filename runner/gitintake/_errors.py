"""The Git intake's exceptions (the tree is drawn in `runner.gitintake`)."""

from __future__ import annotations

__all__ = [
    "GitAddressRefused",
    "GitFetchFailed",
    "GitIntakeError",
    "GitRefRefused",
    "GitTimeout",
    "GitTooLarge",
    "GitUnavailable",
    "GitUnreachable",
    "GitUrlRefused",
]


class GitIntakeError(ValueError):
    """A repository that cannot become a submission; `.reason` names the rule."""

    reason = "git_error"


class GitUrlRefused(GitIntakeError):
    """The URL is not one the service clones from."""

    reason = "url_refused"


class GitAddressRefused(GitUrlRefused):
    """The host resolves to an address the service never connects to."""

    reason = "address_refused"


class GitRefRefused(GitIntakeError):
    """The ref is not a plain branch, tag or commit name."""

    reason = "bad_ref"


class GitFetchFailed(GitIntakeError):
    """git could not fetch the repository or the ref."""

    reason = "fetch_failed"


class GitUnavailable(GitFetchFailed):
    """git itself could not be started (not installed on the grading host): the server's
    fault, not the repository's."""

    reason = "git_unavailable"


class GitUnreachable(GitFetchFailed):
    """The repository's host could not be looked up or reached (a DNS failure, a refused or
    timed-out connection, a 5xx from the forge): transient and the server's side, so the API
    answers 503 with `Retry-After` and a retry can succeed."""

    reason = "repo_unreachable"
    retry_after = 60


class GitTooLarge(GitIntakeError):
    """The repository's objects passed the size limit."""

    reason = "repo_too_large"


class GitTimeout(GitIntakeError):
    """The fetch passed the wall-clock limit."""

    reason = "clone_timeout"
