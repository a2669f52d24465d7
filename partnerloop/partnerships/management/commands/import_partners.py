"""Import partners from a CSV file into a host's directory, all or nothing.

    partnerloop import_partners partners.csv --org CODE --user owner@example.com \
        [--mapping name=Company,website=URL] [--dry-run]

The same checks as the web import run first; when any row has an error, every error is
printed and nothing is imported. There is no row limit here (the web import has one).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404

from partnerloop.core.tenancy import Actor, actor_for
from partnerloop.partnerships import imports
from partnerloop.partnerships.import_models import PartnerImport


def parse_mapping(value: str) -> dict[str, str]:
    """`name=Company,website=URL` -> {"name": "Company", "website": "URL"}."""
    names: dict[str, str] = {}
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        key, sep, column = item.partition("=")
        if not sep:
            raise CommandError(
                f"--mapping expects field=Column pairs separated by commas; got “{item}”."
            )
        names[key.strip().lower()] = column.strip()
    return names


class Command(BaseCommand):
    help = "Import partners from a CSV file into an organization's directory (all or nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="Path to a UTF-8 (or UTF-16 with BOM) CSV file.")
        parser.add_argument("--org", required=True, help="Code of the host organization.")
        parser.add_argument(
            "--user", required=True, help="E-mail of the owner, admin or manager importing."
        )
        parser.add_argument(
            "--mapping",
            default="",
            help="Columns to use, e.g. name=Company,website=URL (others are guessed).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check every row and import nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self._actor(email=options["user"], org_code=options["org"])
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        names = parse_mapping(options["mapping"])
        try:
            with path.open("rb") as stream:
                partner_import = imports.partner_import_create(
                    actor=actor,
                    stream=stream,
                    size=path.stat().st_size,
                    filename=path.name,
                    limit_rows=False,
                )
        except imports.ImportFileRefused as exc:
            raise CommandError(exc.message) from exc
        committed = False
        try:
            committed = self._run(
                actor=actor, partner_import=partner_import, names=names, **options
            )
        finally:
            if not committed:
                imports.partner_import_discard(actor=actor, partner_import=partner_import)

    def _actor(self, *, email: str, org_code: str) -> Actor:
        user = get_user_model().objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No user with the e-mail {email}.")
        try:
            actor = actor_for(user=user, org_code=org_code)
            actor.require_manage()
        except Http404 as exc:
            raise CommandError(f"{email} is not a member of the organization {org_code}.") from exc
        except PermissionDenied as exc:
            raise CommandError(f"{email} cannot import: {exc}") from exc
        return actor

    def _run(
        self,
        *,
        actor: Actor,
        partner_import: PartnerImport,
        names: dict[str, str],
        **options: Any,
    ) -> bool:
        """Check, then commit unless it is a dry run; True when partners were imported."""
        if names:
            table = imports.partner_import_table(partner_import=partner_import)
            try:
                mapping = imports.mapping_from_names(names=names, header=table.header)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
            imports.partner_import_set_mapping(
                actor=actor, partner_import=partner_import, mapping=mapping
            )
        check = imports.partner_import_check(actor=actor, partner_import=partner_import)
        self.stdout.write(
            f"{partner_import.filename}: {partner_import.encoding_label}, "
            f"{partner_import.delimiter_label}-separated; {check.total} partner rows, "
            f"{check.valid} ready, {check.invalid} with errors."
        )
        for _key, label, column in check.mapped_columns:
            self.stdout.write(f"  {label}: column “{column}”")
        for problem in check.problems:
            self.stderr.write(problem)
        for error in check.errors:
            self.stderr.write(str(error))
        if not check.ready:
            raise CommandError("Nothing was imported; fix the errors above and run it again.")
        if options["dry_run"]:
            self.stdout.write("Dry run: every row is valid; nothing was imported.")
            return False
        try:
            count = imports.partner_import_commit(actor=actor, partner_import=partner_import)
        except imports.PartnerImportError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            self.style.SUCCESS(f"Imported {count} partners into {actor.organization.name}.")
        )
        return True
