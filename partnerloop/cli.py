"""The `partnerloop` console script: Django's management commands under one name.

partnerloop demo        load the demo ecosystem
partnerloop serve       serve the web app (and a background worker)
partnerloop worker      run background jobs only
partnerloop import_partners FILE --org CODE --user EMAIL [--mapping name=Company,website=URL]
partnerloop psi --server URL --token T --partnership CODE --population KEY FILE.csv
                        private mode, run on the partner's own machine (docs/mapping-private.md)
partnerloop <any manage.py command>
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    if sys.argv[1:2] == ["psi"]:
        # The partner's side of private mode runs on its own machine, without a PartnerLoop
        # installation's settings (secret key, database): the client alone.
        from partnerloop.psi.client import main as psi_main

        sys.exit(psi_main(sys.argv[2:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnerloop.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["partnerloop", *sys.argv[1:]])


if __name__ == "__main__":
    main()
