from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings

from partnerloop.conftest import World
from partnerloop.tests import matrix

ENTRIES = [
    pytest.param(entry, id=f"{entry.method}-{entry.name}-{index}")
    for index, entry in enumerate(matrix.URL_MATRIX)
]


def each_persona(personas: list[str], check: Callable[[str], str | None]) -> list[str]:
    """Run `check` for every persona on the same prepared world, each in a savepoint that
    is rolled back: every persona meets the state the entry was prepared for (a write by
    one never changes what the next one sees), without building the world again."""
    failures = []
    for persona in personas:
        cache.clear()  # rate limits: no persona inherits another's
        with transaction.atomic():
            failure = check(persona)
            transaction.set_rollback(True)
        if failure is not None:
            failures.append(failure)
    return failures


def test_every_url_is_in_the_matrix() -> None:
    """A new view without a matrix entry fails here, so nobody can skip the access check."""
    in_matrix = {entry.name for entry in matrix.URL_MATRIX}
    missing = matrix.url_names_in() - in_matrix
    assert not missing, f"URLs without a permission-matrix entry: {sorted(missing)}"
    stale = in_matrix - matrix.url_names_in()
    assert not stale, f"Matrix entries for URLs that no longer exist: {sorted(stale)}"


@pytest.mark.parametrize("entry", ENTRIES)
def test_matrix_entry(world: World, entry: matrix.Entry) -> None:
    """Every persona gets the status the entry expects (all mismatches reported at once)."""
    objects = matrix.make_objects(world)
    failures = each_persona(
        list(matrix.PERSONAS), lambda persona: matrix.check_entry(entry, persona, world, objects)
    )
    assert not failures, "\n".join(failures)


NON_MEMBERS_OF_HOST = ["partner_user", "other_partner", "other_host"]


@pytest.mark.parametrize(
    "entry",
    [
        pytest.param(entry, id=f"{entry.method}-{entry.name}-{index}")
        for index, entry in enumerate(matrix.URL_MATRIX)
        if entry.org_scoped
    ],
)
def test_non_members_get_404_through_the_host_org(world: World, entry: matrix.Entry) -> None:
    objects = matrix.make_objects(world)
    url = matrix.build_url(entry, world, objects, world.host.code)

    def check(persona: str) -> str | None:
        response = getattr(world.client(persona), entry.method)(url, data=entry.data)
        if response.status_code != 404:
            return f"{entry.method.upper()} {url} as {persona}: {response.status_code}"
        return None

    failures = each_persona(NON_MEMBERS_OF_HOST, check)
    assert not failures, "\n".join(failures)


@override_settings(ROOT_URLCONF="partnerloop.tests.leaky_urls")
def test_matrix_catches_a_view_that_forgets_its_check(world: World) -> None:
    """The matrix fails for a view that skips the tenancy check, in both of its checks."""
    assert "leaky_workspace" in matrix.url_names_in("partnerloop.tests.leaky_urls")
    assert "leaky_workspace" not in {e.name for e in matrix.URL_MATRIX}

    # Given the entry it should have, the cell for another host reports the leak.
    entry = matrix.Entry(
        "leaky_workspace", "get", matrix.WS_READ, kwargs=lambda w, o: {"code": w.partnership.code}
    )
    objects = matrix.make_objects(world)
    failure = matrix.check_entry(entry, "other_host", world, objects)
    assert failure is not None and "expected 404, got 200" in failure
    # The partner of another partnership leaks too.
    assert matrix.check_entry(entry, "other_partner", world, objects) is not None
