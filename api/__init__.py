"""The FastAPI service: intake (web form, webhooks, API), reviewer pages and exports.

It imports `runner` only (api → runner → graders → sandbox). Built in the service issue; the
grading engine it drives is usable today through the `takehome` command line.
"""
