"""Start the notebook: migrate the database in $DATA_DIR, then serve on 127.0.0.1:$PORT.

    python serve.py [--staff NAME:PASSWORD ...]

`--staff` creates (or updates) a staff account at start; deployments use it to bootstrap the
operators' accounts, and so do the automated checks.
"""

import argparse
import os
import sys
from pathlib import Path


def parse_args(argv):
    """The command line: zero or more `--staff NAME:PASSWORD`."""
    parser = argparse.ArgumentParser(description="Run the notebook web app.")
    parser.add_argument(
        "--staff",
        action="append",
        default=[],
        metavar="NAME:PASSWORD",
        help="create or update a staff account (repeatable)",
    )
    return parser.parse_args(argv)


def ensure_staff(spec):
    """Create or update the staff account described by `NAME:PASSWORD`."""
    from django.contrib.auth.models import User

    from notes.models import get_profile

    name, sep, password = spec.partition(":")
    if not (name and sep and password):
        raise SystemExit(f"--staff expects NAME:PASSWORD, got {spec!r}")
    user, _ = User.objects.get_or_create(username=name)
    user.set_password(password)
    user.save()
    profile = get_profile(user)
    profile.role = "staff"
    profile.save()
    return user


def prepare(argv):
    """Set up Django, the data folder, the database schema and the staff accounts."""
    args = parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "notebook.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    Path(settings.MEDIA_ROOT).mkdir(parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=0)
    for spec in args.staff:
        ensure_staff(spec)


def main(argv=None):
    """Prepare, then serve until killed."""
    prepare(sys.argv[1:] if argv is None else argv)
    from django.core.servers.basehttp import run
    from django.core.wsgi import get_wsgi_application

    port = int(os.environ.get("PORT", "8000"))
    print(f"notebook: serving on http://127.0.0.1:{port}/", flush=True)
    run("127.0.0.1", port, get_wsgi_application(), threading=True)


if __name__ == "__main__":
    main()
