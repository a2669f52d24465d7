"""`partnerloop psi …`: the client role of private mode (see partnerloop.psi.client)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partnerloop.psi import client


class Command(BaseCommand):
    help = "Compare your account list with a partner's population in private mode."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        client.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        if client.execute(options, self.stdout, self.stderr) != 0:
            raise CommandError("Private mode run failed.")
