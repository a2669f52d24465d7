"""The `partnerloop` console script: Django's management commands under one name.

partnerloop demo        load the demo ecosystem
partnerloop serve       serve the web app (and a background worker)
partnerloop worker      run background jobs only
partnerloop import_partners FILE --org CODE --user EMAIL [--mapping name=Company,website=URL]
partnerloop <any manage.py command>
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerloop.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["partnerloop", *sys.argv[1:]])


if __name__ == "__main__":
    main()
