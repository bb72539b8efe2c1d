"""What the candidate's pages show of their journey: the clock, the starter, CI set-ups, mail.

The clock: a timed invite (`Invite.time_limit_hours`) starts when the candidate presses Start
(`POST /i/{token}/start`); its deadline is the start plus the limit. The CI set-ups are a GitHub
Actions workflow and a GitLab CI job running `CI_SCRIPT`, with this service's URL filled in and
the invite token read from the CI secret `TAKEHOME_INVITE`.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

from api.errors import UploadRefused
from api.services import Services
from api.views import human_duration
from runner.challenge import UnknownChallenge
from runner.mail import MailSender, Notifier, SmtpTarget, queue_invite_mail
from runner.store import Invite
from runner.store.models import utcnow

__all__ = [
    "CI_SCRIPT",
    "ci_examples",
    "clock_context",
    "form_email",
    "form_hours",
    "invite_mailed",
    "mail_sender",
    "service_base",
]

#: The commands both CI set-ups run, from the repository's root: the commit pushed, as a
#: gzipped tar, uploaded with the invite token from the CI secret; fails the job on a refusal.
#: (`str.format` templates: `{base}` is the service's URL, `{{`/`}}` are literal braces.)
CI_SCRIPT = (
    'git archive --format=tar.gz --output="${{TMPDIR:-/tmp}}/submission.tar.gz" HEAD',
    'curl --fail --silent --show-error --header "Accept: application/json"'
    ' --form "archive=@${{TMPDIR:-/tmp}}/submission.tar.gz"'
    ' "{base}/i/${{TAKEHOME_INVITE}}/submissions"',
)


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


def service_base(svc: Services) -> str:
    """The service's public URL, without a trailing slash."""
    s = svc.settings
    return s.public_url.rstrip("/") or f"http://{s.host}:{s.port}"


def form_hours(text: str) -> float | None:
    """The invite form's time limit: empty is untimed; else hours, more than 0, at most a year."""
    text = text.strip()
    if not text:
        return None
    try:
        hours = float(text)
    except ValueError:
        hours = math.nan
    if not (0 < hours <= 24 * 365):
        raise UploadRefused(400, "bad_time_limit", "the time limit is a number of hours above 0")
    return hours


def form_email(text: str) -> str | None:
    """The invite form's candidate e-mail: empty is none; else one `local@domain` address."""
    text = text.strip()
    if not text:
        return None
    if not _EMAIL.fullmatch(text):
        raise UploadRefused(400, "bad_email", "give one e-mail address, like ada@example.com")
    return text


def clock_context(invite: Invite, now: datetime | None = None) -> dict[str, Any]:
    """What the invite page says of the clock."""
    now = now or utcnow()
    timed = invite.time_limit_hours is not None
    deadline = invite.deadline()
    left = (deadline - now).total_seconds() if deadline is not None else None
    return {
        "timed": timed,
        "hours": invite.time_limit_hours,
        "strict": invite.strict,
        "started_at": invite.started_at,
        "deadline": deadline,
        "passed": left is not None and left <= 0,
        "time_left": human_duration(left) if left is not None and left > 0 else None,
        "can_download": not timed or invite.started_at is not None,
    }


def ci_examples(base: str) -> dict[str, str]:
    """The GitHub Actions workflow and the GitLab CI job, with `base` filled in."""
    script = [line.format(base=base) for line in CI_SCRIPT]
    github = "\n".join(
        [
            "# .github/workflows/takehome.yml",
            "# Add your invite token as the repository secret TAKEHOME_INVITE",
            "# (Settings > Secrets and variables > Actions).",
            "name: takehome",
            "on:",
            "  push:",
            "    branches: [main]",
            "jobs:",
            "  submit:",
            "    runs-on: ubuntu-latest",
            "    steps:",
            "      - uses: actions/checkout@v4",
            "      - name: Submit to takehome",
            "        env:",
            "          TAKEHOME_INVITE: ${{ secrets.TAKEHOME_INVITE }}",
            "        run: |",
            *(f"          {line}" for line in script),
        ]
    )
    gitlab = "\n".join(
        [
            "# .gitlab-ci.yml",
            "# Add your invite token as the masked CI/CD variable TAKEHOME_INVITE",
            "# (Settings > CI/CD > Variables).",
            "takehome-submit:",
            "  image: alpine:3.20",
            "  rules:",
            '    - if: $CI_COMMIT_BRANCH == "main"',
            "  before_script:",
            "    - apk add --no-cache git curl",
            "  script:",
            *(f"    - {_yaml_quote(line)}" for line in script),
        ]
    )
    return {"github": github + "\n", "gitlab": gitlab + "\n"}


def _yaml_quote(line: str) -> str:
    """A single-quoted YAML scalar (the script's lines hold `:` and `"`)."""
    return "'" + line.replace("'", "''") + "'"


def invite_mailed(svc: Services, invite: Invite, link: str) -> None:
    """With SMTP configured and an address on the invite, queue the invite e-mail."""
    if not svc.settings.smtp_url or not invite.email:
        return
    title = svc.challenges.get(invite.challenge_id).manifest.title
    if invite.time_limit_hours is not None:
        note = (
            f"You have {invite.time_limit_hours:g} hours from the moment you press Start on"
            " the invite page; the starter can be downloaded once the clock runs."
        )
    else:
        note = "There is no time limit: download the starter from the invite page."
    with svc.db.writing() as session:
        queue_invite_mail(session, invite, link, title, note)


def mail_sender(svc: Services) -> MailSender | None:
    """The outbox's sender thread (not started), or None without `smtp_url`. A malformed SMTP
    URL raises `MailConfigError` here, when the app is made, not at the first e-mail."""
    if not svc.settings.smtp_url:
        return None
    target = SmtpTarget.parse(svc.settings.smtp_url)
    base = service_base(svc)

    def title(challenge_id: str) -> str:
        try:
            return svc.challenges.get(challenge_id).manifest.title
        except UnknownChallenge:
            return challenge_id

    notifier = Notifier(svc.db, lambda path: base + path, title)
    return MailSender(svc.db, target, notifier, svc.settings.mail_seconds)
