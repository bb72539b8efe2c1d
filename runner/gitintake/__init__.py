"""Git intake: a repository URL (and optional ref) becomes the same immutable `Snapshot` as an
upload, pinned to one commit.

`check_url` refuses a URL before any connection is made: only `https` (plus `http` when
`GitPolicy.allow_http`), no user-info, query or fragment, nothing that starts with `-`, a host
on the allow-list, and every address the host resolves to must be public (loopback only with
`allow_loopback`; private ranges, link-local and so the cloud metadata address
169.254.169.254, CGNAT, multicast and reserved ranges never). The address checked is then pinned
for git (`http.curloptResolve`), so a DNS answer that changes between the check and the fetch
(rebinding) cannot send git elsewhere, and redirects are not followed. Git is given the URL
rebuilt from the checked parts (`CheckedUrl.url`: lower-case host, one trailing dot dropped,
`host..` refused), never the text as typed: libcurl matches the pin against the host as written,
so `github.com.` would otherwise be resolved again (docs/git-intake.md).

`clone_snapshot` fetches exactly one commit, shallow, with an empty template (no sample hooks),
`core.hooksPath=/dev/null`, no submodules, no LFS smudge, `protocol.allow=never` except https
(and http when allowed), an empty `HOME` and no system or global config, argument lists only
(with `--end-of-options` before the URL and ref), a byte limit on what git writes and a
wall-clock limit (the process group is killed). The snapshot is made with `git archive` of that
commit and read by the upload intake (`runner.intake.snapshot_bytes`): every archive rule
applies, so a repository holding a symbolic link is refused (`IntakeError` reason `link`),
exactly as an uploaded archive holding one is. No working tree is ever checked out. Given the
invite's starter commit, `clone_snapshot` also says whether the commit descends from it
(`GitSnapshot.descent`): from the commit's parents, else after one bounded deepening of the
fetch (`ANCESTRY_DEPTH` commits, the same limits; see docs/candidates.md). That same one
deepening (to `GitPolicy.history_commits`, 200 by default) gives `GitSnapshot.history`: the
newest commits with dates, author, subject and lines added/removed (`runner.gitintake._history`,
one `git log --numstat --no-ext-diff --no-textconv` through the same runner). A history that
cannot be fetched within the limits never refuses the submission: it is kept shorter or empty,
with a note (docs/git-intake.md, "History").

Exception tree (`.reason` is the error code the API answers with)::

    GitIntakeError (ValueError)
    ├── GitUrlRefused        url_refused      scheme, host not allowed, credentials, '-' ...
    │   └── GitAddressRefused address_refused  the host resolves to a private/loopback/
    │                                          link-local/metadata address (checked before
    │                                          any connection)
    ├── GitRefRefused        bad_ref          a ref that starts with '-', has '..', spaces, ...
    ├── GitFetchFailed       fetch_failed     git could not fetch it (no such repo/ref, ...)
    │   ├── GitUnavailable   git_unavailable  the `git` executable could not be started (not
    │   │                                      installed): the API answers 503
    │   └── GitUnreachable   repo_unreachable the host did not resolve, or git could not connect
    │                                          (refused, timed out, a 5xx): transient, the API
    │                                          answers 503 with Retry-After
    ├── GitTooLarge          repo_too_large   the fetched objects passed `max_bytes`
    └── GitTimeout           clone_timeout    the fetch passed `timeout_seconds`

The snapshot step raises `runner.intake.IntakeError` (links, too many files, ...) unchanged.
"""

from runner.gitintake._clone import GitSnapshot, clone_snapshot
from runner.gitintake._errors import (
    GitAddressRefused,
    GitFetchFailed,
    GitIntakeError,
    GitRefRefused,
    GitTimeout,
    GitTooLarge,
    GitUnavailable,
    GitUnreachable,
    GitUrlRefused,
)
from runner.gitintake._history import Commit, GitHistory
from runner.gitintake._url import (
    CheckedUrl,
    GitPolicy,
    check_address,
    check_commit_sha,
    check_ref,
    check_url,
    normalise_repo_url,
)

__all__ = [
    "CheckedUrl",
    "Commit",
    "GitAddressRefused",
    "GitFetchFailed",
    "GitHistory",
    "GitIntakeError",
    "GitPolicy",
    "GitRefRefused",
    "GitSnapshot",
    "GitTimeout",
    "GitTooLarge",
    "GitUnavailable",
    "GitUnreachable",
    "GitUrlRefused",
    "check_address",
    "check_commit_sha",
    "check_ref",
    "check_url",
    "clone_snapshot",
    "normalise_repo_url",
]
