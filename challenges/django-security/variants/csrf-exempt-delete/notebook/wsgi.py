"""WSGI entry point of the notebook project."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "notebook.settings")

application = get_wsgi_application()
