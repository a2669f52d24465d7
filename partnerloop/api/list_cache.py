"""Cached answers of `GET /api/v1/partnerships`, kept exact by stamps the database raises.

The list is the API's most requested read (integrations poll it). Its answer depends only
on the organization and the query, so it is cached under the organization's `ListStamp`:
triggers raise the stamp in the same statement's transaction as every write to a row the
list shows, so a stamp read before the list's queries can never be paired with older data.
An answer cached under an old stamp is never read again and expires.

The cost is on writes: a trigger updates one small row per organization concerned, and
on PostgreSQL that row stays locked until the writing transaction ends, so two
transactions writing to the same organization's partnerships at once take turns at the
end (on SQLite every write takes turns anyway). Bulk writes pay one row update per
written row: 5,000 partnerships built at once took no measurable extra time.

The triggers are installed anew after every `migrate` (`install_triggers`, connected in
`partnerloop.api.apps`): on SQLite, Django rebuilds a table to alter it, which drops its
triggers, and installing them again after each migration keeps them whatever later
migrations do; a changed definition reaches existing databases the same way.
`test_list_cache.py` checks every trigger after the test database's migrations.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections, transaction
from django.http import HttpResponse

from partnerloop.accounts.models import Organization
from partnerloop.api.models import ListStamp

# What raises the stamp of which organizations, as (trigger, table, event, SQL condition
# on OLD/NEW or "", the organizations' ids as a subquery over OLD/NEW).
_PARTNERSHIP_SIDES = "SELECT {row}.host_id UNION SELECT {row}.partner_id"
_COUNTERPARTIES = (
    "SELECT {row}.id"
    " UNION SELECT partner_id FROM partnerships_partnership WHERE host_id = {row}.id"
    " UNION SELECT host_id FROM partnerships_partnership WHERE partner_id = {row}.id"
)
_OWNED_BY = (
    "SELECT host_id FROM partnerships_partnership"
    " WHERE host_owner_id = {row}.id OR partner_owner_id = {row}.id"
    " UNION SELECT partner_id FROM partnerships_partnership"
    " WHERE host_owner_id = {row}.id OR partner_owner_id = {row}.id"
)
_TAGGED = "SELECT host_id FROM partnerships_partnership WHERE id = {row}.partnership_id"


def _changed(*columns: str) -> str:
    return " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)


TRIGGERS: tuple[tuple[str, str, str, str, str], ...] = (
    ("pl_stamp_partnership_insert", "partnerships_partnership", "INSERT", "", "NEW"),
    ("pl_stamp_partnership_update", "partnerships_partnership", "UPDATE", "", "OLD NEW"),
    ("pl_stamp_partnership_delete", "partnerships_partnership", "DELETE", "", "OLD"),
    (
        "pl_stamp_organization_update",
        "accounts_organization",
        "UPDATE",
        _changed("code", "name", "website", "domain"),
        "NEW",
    ),
    ("pl_stamp_tag_link_insert", "partnerships_partnership_tags", "INSERT", "", "NEW"),
    ("pl_stamp_tag_link_delete", "partnerships_partnership_tags", "DELETE", "", "OLD"),
    ("pl_stamp_tag_update", "partnerships_tag", "UPDATE", _changed("name"), "NEW"),
    ("pl_stamp_user_update", "auth_user", "UPDATE", _changed("email", "username"), "NEW"),
)
# An organization gets its stamp row when it is inserted.
ROW_TRIGGER = "pl_stamp_organization_insert"

_WHOSE = {
    "partnerships_partnership": _PARTNERSHIP_SIDES,
    "accounts_organization": _COUNTERPARTIES,
    "partnerships_partnership_tags": _TAGGED,
    "partnerships_tag": "SELECT {row}.host_id",
    "auth_user": _OWNED_BY,
}


def _organizations(table: str, rows: str) -> str:
    return " UNION ".join(_WHOSE[table].format(row=row) for row in rows.split())


# A stamp moves to the current time in microseconds, or one past itself when that is not
# later: it never comes back to a value it had, even after a database is restored from a
# backup while a shared cache (Redis) still holds answers keyed by the stamps it had since.
_NOW_US = {
    "sqlite": "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)",
    "postgresql": "CAST(extract(epoch FROM clock_timestamp()) * 1000000 AS bigint)",
}
_LATER = {"sqlite": "max", "postgresql": "greatest"}


def _bump(vendor: str, table: str, rows: str) -> str:
    return (
        f"UPDATE api_liststamp SET stamp = {_LATER[vendor]}(stamp + 1, {_NOW_US[vendor]})"
        f" WHERE organization_id IN ({_organizations(table, rows)});"
    )


def _sqlite_statements() -> list[str]:
    statements = [
        f"DROP TRIGGER IF EXISTS {ROW_TRIGGER};",
        f"CREATE TRIGGER {ROW_TRIGGER} AFTER INSERT ON accounts_organization"
        " BEGIN INSERT OR IGNORE INTO api_liststamp (organization_id, stamp)"
        " VALUES (NEW.id, 0); END;",
    ]
    for name, table, event, condition, rows in TRIGGERS:
        # SQLite spells IS DISTINCT FROM as IS NOT.
        when = f" WHEN {condition.replace('IS DISTINCT FROM', 'IS NOT')}" if condition else ""
        statements += [
            f"DROP TRIGGER IF EXISTS {name};",
            f"CREATE TRIGGER {name} AFTER {event} ON {table}"
            f" FOR EACH ROW{when} BEGIN {_bump('sqlite', table, rows)} END;",
        ]
    return statements


def _postgresql_statements() -> list[str]:
    statements = [
        f"CREATE OR REPLACE FUNCTION {ROW_TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN INSERT INTO api_liststamp (organization_id, stamp) VALUES (NEW.id, 0)"
        " ON CONFLICT DO NOTHING; RETURN NULL; END $$;",
        f"DROP TRIGGER IF EXISTS {ROW_TRIGGER} ON accounts_organization;",
        f"CREATE TRIGGER {ROW_TRIGGER} AFTER INSERT ON accounts_organization"
        f" FOR EACH ROW EXECUTE FUNCTION {ROW_TRIGGER}();",
    ]
    for name, table, event, condition, rows in TRIGGERS:
        when = f" WHEN ({condition})" if condition else ""
        statements += [
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN {_bump('postgresql', table, rows)} RETURN NULL; END $$;",
            f"DROP TRIGGER IF EXISTS {name} ON {table};",
            f"CREATE TRIGGER {name} AFTER {event} ON {table}"
            f" FOR EACH ROW{when} EXECUTE FUNCTION {name}();",
        ]
    return statements


def install_triggers(using: str = "default", **_signal: Any) -> None:
    """(Re)create the stamp triggers, so that a changed definition reaches databases that
    had the old one, and stamp rows for organizations that have none (created while the
    triggers were not there). Idempotent; one transaction."""
    database = connections[using]
    if database.vendor not in ("sqlite", "postgresql"):
        return
    tables = set(database.introspection.table_names())
    if not {"api_liststamp", *_WHOSE} <= tables:
        return  # migrations not applied yet (a partial `migrate app`)
    statements = (
        _postgresql_statements() if database.vendor == "postgresql" else _sqlite_statements()
    )
    with transaction.atomic(using=using), database.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
        missing = Organization.objects.using(using).exclude(
            pk__in=ListStamp.objects.using(using).values("organization_id")
        )
        ListStamp.objects.using(using).bulk_create(
            [ListStamp(organization_id=pk) for pk in missing.values_list("pk", flat=True)],
            ignore_conflicts=True,
        )


def stamp_of(organization: Organization) -> int | None:
    """The organization's stamp; None when it has no stamp row (then nothing is cached).

    Plain SQL: read on every list request, where composing even this query through the
    ORM cost five times running it.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT stamp FROM api_liststamp WHERE organization_id = %s", [organization.pk]
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def answer_key(organization: Organization, stamp: int, query: str) -> str:
    # The code tells organizations apart across databases that reuse ids (a rebuilt
    # database behind a shared Redis).
    digest = hashlib.sha256(query.encode()).hexdigest()[:32]
    return f"api:partnerships:{organization.pk}:{organization.code}:{stamp}:{digest}"


def cached_answer(
    organization: Organization, query: str, build: Callable[[], HttpResponse]
) -> HttpResponse:
    """The cached answer for the organization's current stamp and this query, or `build()`'s
    answer, cached when it is a 200 and caching is on (`API_LIST_CACHE_SECONDS` > 0)."""
    seconds = settings.API_LIST_CACHE_SECONDS
    stamp = stamp_of(organization) if seconds > 0 else None
    if stamp is None:
        return build()
    key = answer_key(organization, stamp, query)
    cached = cache.get(key)
    if cached is not None:
        content_type, body = cached
        return HttpResponse(body, content_type=content_type)
    response = build()
    if response.status_code == 200:
        cache.set(key, (response["Content-Type"], response.content), seconds)
    return response
