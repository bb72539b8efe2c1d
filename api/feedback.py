"""What a candidate sees of their own submission: only what the challenge's policy allows.

Policies, each including the one before:

- `status`: the submission's state (queued, running, done, failed) and when it was made;
- `visible_tests`: plus each hidden test's id and outcome (passed, failed, ...): never its
  message, points or output, which could leak the test's content;
- `scores`: plus the overall score and each category's score.

Never shown to a candidate at any policy: findings, verdicts, provenance, logs, failure reasons,
hidden tests' messages, other submissions. The view is built from an allow-list, so a field added
to the report later stays hidden until it is added here. It reads the report's stored summary
(`runner.store.summary`), never the full report: a candidate's poll costs the same whatever
their report holds.
"""

from __future__ import annotations

from typing import Any

from api.views import SubmissionView

__all__ = ["POLICIES", "candidate_view"]

POLICIES = ("status", "visible_tests", "scores")


def candidate_view(view: SubmissionView, policy: str) -> dict[str, Any]:
    """The candidate's JSON view of a submission under `policy`."""
    out: dict[str, Any] = {
        "id": view.id,
        "state": view.state,
        "filename": view.filename,
        "submitted_at": view.created_at.isoformat(timespec="seconds") + "Z",
    }
    if view.state == "failed":
        out["message"] = "Grading could not be completed; the hiring team has been notified."
    summary = view.summary() if view.state == "done" else None
    if summary is None or policy not in POLICIES[1:]:
        return out
    out["tests"] = [{"id": test_id, "outcome": outcome} for test_id, outcome in summary.tests]
    if policy == "scores":
        out["score"] = summary.score
        out["categories"] = dict(summary.categories)
    return out
