"""An overlap world shared by the overlap tests: both sides of `world.partnership` with a
current list, matches computed, and helpers to share populations."""

from __future__ import annotations

from typing import Any

from partnerloop.mapping import services as mapping_services
from partnerloop.mapping.tests.lists_support import csv_bytes, upload
from partnerloop.overlap import services

HEADER = ["Company name", "Website", "Country", "Status", "Owner"]

# Host rows: two customers and a prospect the partner also has, and accounts of its own.
HOST_ROWS = [
    ["Acme Corporation", "https://www.acme.com", "US", "Customer", "Hana Host"],
    ["Globex GmbH", "globex.de", "DE", "Customer", "Hana Host"],
    ["Initech", "initech.io", "US", "Prospect", "Ivo Host"],
    ["Hidden Host Only", "hostonly.com", "US", "Customer", "Hana Host"],
]
# Partner rows: Acme as a customer, Globex and Initech as open opportunities.
PARTNER_ROWS = [
    ["ACME Corp.", "acme.com", "US", "Customer", "Pia Partner"],
    ["Globex", "https://shop.globex.de/path", "DE", "Opportunity", "Pia Partner"],
    ["Initech Inc", "initech.io", "US", "Opportunity", "Pia Partner"],
    ["Partner Secret Co", "partnersecret.com", "FR", "Customer", "Pia Partner"],
]


def upload_rows(world: Any, persona: str, rows: list[list[str]]) -> None:
    """Upload a list with the guessed column mapping and import it inline."""
    actor = world.actor(persona)
    waiting = upload(actor, csv_bytes([HEADER, *rows]))
    mapping_services.upload_set_mapping(actor=actor, upload=waiting, mapping=waiting.mapping)
    mapping_services.upload_run(upload_id=waiting.pk)


def load_lists(world: Any) -> None:
    """Upload both sides' lists and compute the partnership's matches."""
    upload_rows(world, "host_owner", HOST_ROWS)
    upload_rows(world, "partner_user", PARTNER_ROWS)
    services.matches_refresh(partnership_id=world.partnership.pk)


def share(world: Any, persona: str, population: str, level: str, fields: Any = None) -> None:
    services.sharing_set(
        actor=world.actor(persona),
        partnership=world.partnership,
        population_key=population,
        level=level,
        fields=list(fields) if fields is not None else ["name", "domain"],
    )
