from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from partnerloop.accounts.models import Organization
from partnerloop.core.demo import DEMO_PASSWORD, HOST_EMAIL, PARTNER_EMAIL, demo_exists, load_demo


class Command(BaseCommand):
    help = "Load the demo ecosystem (development only) and print the demo logins."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="Only when the database has no organization."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "Demo data has well-known passwords and is never loaded into a production "
                "database. Run it with DEBUG=1 on a development database."
            )
        if demo_exists():
            self.stdout.write("The demo ecosystem is already loaded.")
        elif options["if_empty"] and Organization.objects.exists():
            self.stdout.write("The database has data already; no demo loaded.")
            return
        else:
            load_demo()
            self.stdout.write(self.style.SUCCESS("Demo ecosystem loaded."))
        self.stdout.write(
            f"\nDemo logins (password for both: {DEMO_PASSWORD})\n"
            f"  host user:    {HOST_EMAIL}\n  partner user: {PARTNER_EMAIL}\n"
        )
