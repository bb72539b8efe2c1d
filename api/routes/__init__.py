"""The routers, one module per audience; `api.app` includes them explicitly."""
