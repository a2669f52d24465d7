from __future__ import annotations

import pytest
from django.test import override_settings

from partnerloop.conftest import World
from partnerloop.tests import matrix

CELLS = [
    pytest.param(entry, persona, id=f"{entry.method}-{entry.name}-{persona}")
    for entry in matrix.URL_MATRIX
    for persona in matrix.PERSONAS
]


def test_every_url_is_in_the_matrix() -> None:
    """A new view without a matrix entry fails here, so nobody can skip the access check."""
    in_matrix = {entry.name for entry in matrix.URL_MATRIX}
    missing = matrix.url_names_in() - in_matrix
    assert not missing, f"URLs without a permission-matrix entry: {sorted(missing)}"
    stale = in_matrix - matrix.url_names_in()
    assert not stale, f"Matrix entries for URLs that no longer exist: {sorted(stale)}"


@pytest.mark.parametrize(("entry", "persona"), CELLS)
def test_matrix_cell(world: World, entry: matrix.Entry, persona: str) -> None:
    objects = matrix.make_objects(world)
    assert matrix.check_entry(entry, persona, world, objects) is None


NON_MEMBERS_OF_HOST = ["partner_user", "other_partner", "other_host"]


@pytest.mark.parametrize(
    ("entry", "persona"),
    [
        pytest.param(entry, persona, id=f"{entry.method}-{entry.name}-{persona}")
        for entry in matrix.URL_MATRIX
        if entry.org_scoped
        for persona in NON_MEMBERS_OF_HOST
    ],
)
def test_non_members_get_404_through_the_host_org(
    world: World, entry: matrix.Entry, persona: str
) -> None:
    objects = matrix.make_objects(world)
    url = matrix.build_url(entry, world, objects, world.host.code)
    response = getattr(world.client(persona), entry.method)(url, data=entry.data)
    assert response.status_code == 404, url


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
