"""Start the bookshop API on 127.0.0.1:$PORT.

The API answers /healthz at once; it migrates the database in the background as soon as the
database answers, and /readyz says when that is done.
"""

import os
import threading


def main():
    """Set up Django, start the migration thread, then serve until killed."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bookshop.settings")
    import django

    django.setup()
    from django.core.servers.basehttp import run
    from django.core.wsgi import get_wsgi_application

    from catalog.startup import migrate_when_ready

    threading.Thread(target=migrate_when_ready, daemon=True).start()
    port = int(os.environ.get("PORT", "8000"))
    print(f"bookshop: serving on http://127.0.0.1:{port}/", flush=True)
    run("127.0.0.1", port, get_wsgi_application(), threading=True)


if __name__ == "__main__":
    main()
