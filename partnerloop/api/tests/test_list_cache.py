"""`GET /partnerships` answers from a cache keyed by the organization's list stamp: every
write to something the list shows, whatever path makes it, must reach the next answer."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import override_settings

from partnerloop.api import list_cache
from partnerloop.api.models import ListStamp
from partnerloop.partnerships import services
from partnerloop.partnerships.models import Partnership, Stage, Tag

# A cached answer still authenticates (token) and reads the stamp: two queries.
CACHED_QUERIES = 2


def trigger_names() -> set[str]:
    return {list_cache.ROW_TRIGGER, *(name for name, *_ in list_cache.TRIGGERS)}


def installed_triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'pl_stamp_%'")
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'pl_stamp_%'"
            )
        return {name for (name,) in cursor.fetchall()}


def _fresh(api: Any, persona: str, **query: Any) -> Any:
    with override_settings(API_LIST_CACHE_SECONDS=0):
        return api("GET", "/partnerships", persona=persona, **query).json()


def _warm(api: Any, persona: str, django_assert_num_queries: Any) -> Any:
    """Fill the cache for the persona's organization and check the next read uses it."""
    first = api("GET", "/partnerships", persona=persona).json()
    with django_assert_num_queries(CACHED_QUERIES):
        again = api("GET", "/partnerships", persona=persona).json()
    assert again == first
    return first


def test_every_stamp_trigger_is_installed_by_migrate(db: None) -> None:
    assert installed_triggers() == trigger_names()


def test_an_organization_gets_its_stamp_row_when_it_is_created(world: Any) -> None:
    stamps = ListStamp.objects.filter(organization__in=[world.host, world.partner])
    assert stamps.count() == 2


def test_install_triggers_puts_back_a_dropped_trigger_and_missing_stamp_rows(world: Any) -> None:
    name = "pl_stamp_partnership_update"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER {name} ON partnerships_partnership")
        else:
            cursor.execute(f"DROP TRIGGER {name}")
    ListStamp.objects.filter(organization=world.host).delete()
    assert name not in installed_triggers()
    list_cache.install_triggers()
    assert installed_triggers() == trigger_names()
    assert ListStamp.objects.filter(organization=world.host).exists()
    list_cache.install_triggers()  # a second run changes nothing
    assert ListStamp.objects.filter(organization=world.host).count() == 1


def _stamp(org: Any) -> int:
    return ListStamp.objects.get(organization=org).stamp


def _stage_by_service(world: Any) -> None:
    services.partnership_change_stage(
        actor=world.actor("host_owner"),
        partnership=world.partnership,
        to_stage=Stage.ACTIVE,
        reason="Signed",
    )


def _rename_partner(world: Any) -> None:
    world.partner.name = "Acme Renamed"
    world.partner.save()


def _rename_host_in_bulk(world: Any) -> None:
    type(world.host).objects.filter(pk=world.host.pk).update(name="Northwind Bulk")


def _tag_added(world: Any) -> None:
    tag = Tag.objects.create(host=world.host, name="emea")
    world.partnership.tags.add(tag)


def _rename_tag_in_bulk(world: Any) -> None:
    Tag.objects.filter(host=world.host).update(name="apac")


def _untag(world: Any) -> None:
    world.partnership.tags.clear()


def _owner_email(world: Any) -> None:
    owner = User.objects.get(pk=world.host_owner.pk)
    owner.email = "new-owner@northwind.test"
    owner.save()


def _owner_deleted(world: Any) -> None:
    # Django sets the owner to NULL with a bulk UPDATE: no signal, the trigger still sees it.
    User.objects.filter(pk=world.partner_user.pk).delete()


def _bulk_created(world: Any) -> None:
    org = type(world.host).objects.create(name="Zeta Systems", domain="zeta.test")
    Partnership.objects.bulk_create([Partnership(host=world.host, partner=org)])


def _deleted(world: Any) -> None:
    Partnership.objects.filter(pk=world.other_partnership.pk).delete()


def _description_by_raw_sql(world: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE partnerships_partnership SET description = %s WHERE id = %s",
            ["Edited outside the app", world.partnership.pk],
        )


CHANGES: dict[str, tuple[Callable[[Any], None], tuple[str, ...]]] = {
    # change → the personas whose list must show it
    "stage changed by the service (bulk UPDATE)": (
        _stage_by_service,
        ("host_owner", "partner_user"),
    ),
    "partner renamed (save)": (_rename_partner, ("host_owner", "partner_user")),
    "host renamed (bulk UPDATE)": (_rename_host_in_bulk, ("host_owner", "partner_user")),
    "tag added": (_tag_added, ("host_owner",)),
    "owner e-mail changed": (_owner_email, ("host_owner", "partner_user")),
    "owner deleted (SET NULL)": (_owner_deleted, ("host_owner", "partner_user")),
    "partnership bulk-created": (_bulk_created, ("host_owner",)),
    "partnership deleted": (_deleted, ("host_owner",)),
    "description by raw SQL": (_description_by_raw_sql, ("host_owner",)),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_reaches_the_next_answer(
    world: Any, api: Any, django_assert_num_queries: Any, change: str
) -> None:
    make_change, personas = CHANGES[change]
    before = {persona: _warm(api, persona, django_assert_num_queries) for persona in personas}
    make_change(world)
    for persona in personas:
        answer = api("GET", "/partnerships", persona=persona).json()
        assert answer == _fresh(api, persona)
        assert answer != before[persona], f"{change}: {persona} still reads the old list"


@pytest.mark.parametrize("change", [_rename_tag_in_bulk, _untag])
def test_tag_changes_reach_the_next_answer(
    world: Any, api: Any, django_assert_num_queries: Any, change: Callable[[Any], None]
) -> None:
    _tag_added(world)
    before = _warm(api, "host_owner", django_assert_num_queries)
    change(world)
    answer = api("GET", "/partnerships", persona="host_owner").json()
    assert answer == _fresh(api, "host_owner")
    assert answer != before


def test_another_tenants_change_leaves_the_stamp_alone(world: Any) -> None:
    host_stamp, partner_stamp = _stamp(world.host), _stamp(world.partner)
    # Initech's partnership with Acme: Acme's list shows it, Northwind's does not.
    Partnership.objects.filter(pk=world.foreign_partnership.pk).update(stage=Stage.ACTIVE)
    assert _stamp(world.host) == host_stamp
    assert _stamp(world.partner) > partner_stamp


def test_a_stamp_never_comes_back_to_a_value_it_had(world: Any) -> None:
    """After a restore from a backup, a shared cache may still hold answers keyed by the
    stamps the database had since: new stamps must not meet them."""
    _rename_partner(world)
    reached = _stamp(world.host)
    ListStamp.objects.filter(organization=world.host).update(stamp=3)  # the backup's value
    time.sleep(0.002)  # a restore takes longer than SQLite's clock step (1 ms)
    _rename_host_in_bulk(world)
    assert _stamp(world.host) > reached


def test_saving_an_unchanged_organization_or_user_leaves_the_stamp_alone(world: Any) -> None:
    stamp = _stamp(world.host)
    world.host.save()
    owner = User.objects.get(pk=world.host_owner.pk)
    owner.first_name = "Renamed"  # not in the list
    owner.save()
    assert _stamp(world.host) == stamp


def test_organizations_and_queries_never_share_an_answer(
    world: Any, api: Any, django_assert_num_queries: Any
) -> None:
    host = _warm(api, "host_owner", django_assert_num_queries)
    partner = api("GET", "/partnerships", persona="partner_user").json()
    assert partner == _fresh(api, "partner_user") != host
    staged = api("GET", "/partnerships", persona="host_owner", stage=Stage.ACTIVE).json()
    assert staged == _fresh(api, "host_owner", stage=Stage.ACTIVE) != host
    paged = api("GET", "/partnerships", persona="host_owner", limit=1).json()
    assert paged == _fresh(api, "host_owner", limit=1) != host


def test_no_cache_when_turned_off(world: Any, api: Any, django_assert_max_num_queries: Any) -> None:
    with override_settings(API_LIST_CACHE_SECONDS=0):
        api("GET", "/partnerships")
        with django_assert_max_num_queries(6) as context:
            api("GET", "/partnerships")
    assert len(context.captured_queries) > CACHED_QUERIES


def test_an_organization_without_a_stamp_row_is_answered_uncached(
    world: Any, api: Any, django_assert_max_num_queries: Any
) -> None:
    ListStamp.objects.filter(organization=world.host).delete()
    first = api("GET", "/partnerships").json()
    with django_assert_max_num_queries(6) as context:
        again = api("GET", "/partnerships").json()
    assert again == first
    assert len(context.captured_queries) > CACHED_QUERIES


def test_errors_are_not_cached(world: Any, api: Any) -> None:
    assert api("GET", "/partnerships", limit=0).status_code == 422
    assert api("GET", "/partnerships", limit=1).status_code == 200
