"""The FastAPI service: intake (web form, API), reviewer pages, the JSON API and exports.

It imports `runner` only (api → runner → graders → sandbox). `create_app(settings)` builds it;
`takehome serve` runs it under uvicorn with grading worker threads in the same process.
"""

from api.app import create_app

__all__ = ["create_app"]
