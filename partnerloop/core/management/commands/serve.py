from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Serve PartnerLoop on 127.0.0.1:$PORT (default 8000) with a background worker. "
        "Development server when DEBUG is on, gunicorn otherwise."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--workers", default=os.environ.get("WEB_CONCURRENCY", "2"))
        parser.add_argument(
            "--no-worker", action="store_true", help="Do not start the background worker."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        worker = None
        if not options["no_worker"] and "DatabaseBackend" in settings.TASKS["default"]["BACKEND"]:
            worker = subprocess.Popen([sys.executable, "-m", "partnerloop.cli", "worker"])
        address = f"{options['host']}:{options['port']}"
        self.stdout.write(f"PartnerLoop is at http://{address}/")
        try:
            if settings.DEBUG:
                call_command("runserver", address, "--noreload")
            else:
                call_command("collectstatic", "--noinput", verbosity=0)
                subprocess.call(
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "partnerloop.wsgi",
                        "--bind",
                        address,
                        "--workers",
                        str(options["workers"]),
                    ]
                )
        finally:
            if worker is not None:
                worker.terminate()
