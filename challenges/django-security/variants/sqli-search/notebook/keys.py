"""The SECRET_KEY: from the environment, else generated once and kept in the data folder."""

import os
import secrets
from pathlib import Path

KEY_FILE = "secret_key"


def load_secret_key(data_dir):
    """`DJANGO_SECRET_KEY` if set; else the key in `<data_dir>/secret_key`, made on first use."""
    key = os.environ.get("DJANGO_SECRET_KEY", "").strip()
    if key:
        return key
    path = Path(data_dir) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes starting together must not overwrite each other's key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(secrets.token_urlsafe(50))
    return path.read_text(encoding="ascii").strip()
