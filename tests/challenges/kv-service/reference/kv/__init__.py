"""A tiny key-value store over HTTP."""
