#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main(argv=None):
    """Run a management command (`python manage.py help` lists them)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bookshop.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv or sys.argv)


if __name__ == "__main__":
    main()
