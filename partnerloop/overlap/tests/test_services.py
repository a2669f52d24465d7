"""Matches, sharing, rejection and actions: the rules of docs/mapping-overlap.md."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from partnerloop.activities.models import Activity, ActivityType
from partnerloop.mapping import services as mapping_services
from partnerloop.overlap import selectors, services
from partnerloop.overlap.models import AccountMatch, MatchState, OverlapAction, RefreshStatus
from partnerloop.overlap.tests.support import HOST_ROWS, load_lists, share, upload_rows
from partnerloop.partnerships.models import TimelineEvent
from partnerloop.partnerships.services import ConcurrentEdit

pytestmark = pytest.mark.django_db


def _matrix(world: Any, persona: str) -> selectors.Matrix:
    side = "host" if persona.startswith("host") else "partner"
    return selectors.overlap_matrix(partnership=world.partnership, side=side)


def test_refresh_stores_one_match_per_company_and_cell(world: Any) -> None:
    load_lists(world)
    matches = {
        (m.host_key, m.partner_key, m.host_population, m.partner_population, m.method)
        for m in AccountMatch.objects.filter(partnership=world.partnership)
    }
    assert matches == {
        ("acme.com", "acme.com", "customers", "customers", "domain"),
        ("globex.de", "globex.de", "customers", "opportunities", "domain"),
        ("initech.io", "initech.io", "prospects", "opportunities", "domain"),
    }
    state = MatchState.objects.get(partnership=world.partnership)
    assert state.status == RefreshStatus.CURRENT
    assert state.matches == 3
    # A second refresh with nothing changed does nothing.
    assert services.matches_refresh(partnership_id=world.partnership.pk) is None


def test_nothing_crosses_until_both_sides_share(world: Any) -> None:
    load_lists(world)
    host = _matrix(world, "host")
    assert [p.key for p in host.ours] == ["customers", "opportunities", "prospects"]
    assert host.theirs == [] and host.cells == {} and host.total == 0

    # The partner shares its customers; the host still shares nothing: no cell opens.
    share(world, "partner_user", "customers", "accounts")
    assert _matrix(world, "host").cells == {}
    assert [p.key for p in _matrix(world, "host").theirs] == ["customers"]

    share(world, "host_owner", "customers", "counts")
    host = _matrix(world, "host")
    partner = _matrix(world, "partner")
    assert {k: c.count for k, c in host.cells.items()} == {("customers", "customers"): 1}
    assert {k: c.count for k, c in partner.cells.items()} == {("customers", "customers"): 1}
    # Counts only on the host's side: the cell does not open for either side.
    assert not host.cells[("customers", "customers")].opens_accounts
    assert not partner.cells[("customers", "customers")].opens_accounts


def test_hidden_population_counts_are_never_read(world: Any) -> None:
    load_lists(world)
    share(world, "host_owner", "customers", "accounts")
    share(world, "partner_user", "customers", "accounts")
    # The partner's opportunities (Globex and Initech) stay hidden.
    host = _matrix(world, "host")
    assert [p.key for p in host.theirs] == ["customers"]
    assert all(theirs == "customers" for _, theirs in host.cells)
    assert host.total == 1
    with pytest.raises(Http404):
        selectors.cell_for(
            partnership=world.partnership, side="host", ours="customers", theirs="opportunities"
        )


def test_open_cell_shows_only_the_fields_the_other_side_chose(world: Any) -> None:
    load_lists(world)
    share(world, "host_owner", "customers", "accounts", fields=["domain"])
    share(world, "partner_user", "customers", "accounts", fields=["name", "owner"])
    cell = selectors.cell_for(
        partnership=world.partnership, side="host", ours="customers", theirs="customers"
    )
    assert cell.count == 1 and cell.opens_accounts
    [row] = cell.rows
    assert row.ours["name"] == "Acme Corporation" and row.ours["owner"] == "Hana Host"
    assert row.theirs == {"name": "ACME Corp.", "owner": "Pia Partner"}
    partner_cell = selectors.cell_for(
        partnership=world.partnership, side="partner", ours="customers", theirs="customers"
    )
    assert partner_cell.rows[0].theirs == {"domain": "acme.com"}


def test_sharing_needs_a_manager_a_known_population_and_an_identifying_field(world: Any) -> None:
    load_lists(world)
    with pytest.raises(PermissionDenied):
        share(world, "host_viewer", "customers", "counts")
    with pytest.raises(ValidationError):
        share(world, "host_owner", "no-such-population", "counts")
    with pytest.raises(ValidationError):
        share(world, "host_owner", "customers", "accounts", fields=["country"])


def test_stale_sharing_edit_writes_nothing(world: Any) -> None:
    load_lists(world)
    share(world, "host_owner", "customers", "counts")
    with pytest.raises(ConcurrentEdit):
        services.sharing_set(
            actor=world.actor("host_owner"),
            partnership=world.partnership,
            population_key="customers",
            level="hidden",
            version=0,
        )
    assert selectors.sharing_of(partnership=world.partnership)[("host", "customers")].level == (
        "counts"
    )


def test_sharing_change_tells_the_other_side_without_a_count(world: Any) -> None:
    load_lists(world)
    share(world, "host_owner", "customers", "counts")
    event = TimelineEvent.objects.filter(partnership=world.partnership).latest("id")
    assert "shares Customers: overlap counts only" in event.summary
    assert not any(ch.isdigit() for ch in event.summary)


def test_rejected_match_goes_and_never_comes_back(world: Any) -> None:
    load_lists(world)
    share(world, "host_owner", "customers", "accounts")
    share(world, "partner_user", "customers", "accounts")
    match = AccountMatch.objects.get(partnership=world.partnership, host_key="acme.com")
    services.match_reject(
        actor=world.actor("partner_user"),
        partnership=world.partnership,
        match_id=match.pk,
        reason="Different Acme",
    )
    assert not AccountMatch.objects.filter(host_key="acme.com").exists()
    services.matches_refresh(partnership_id=world.partnership.pk)
    assert not AccountMatch.objects.filter(host_key="acme.com").exists()
    [rejection] = selectors.rejections_of(partnership=world.partnership, side="host")
    services.rejection_undo(
        actor=world.actor("host_owner"),
        partnership=world.partnership,
        rejection_id=int(rejection["id"]),  # type: ignore[call-overload]
    )
    services.matches_refresh(partnership_id=world.partnership.pk)
    assert AccountMatch.objects.filter(host_key="acme.com").exists()


def test_a_match_in_a_counts_only_cell_cannot_be_rejected_or_acted_on(world: Any) -> None:
    load_lists(world)
    share(world, "host_owner", "customers", "counts")
    share(world, "partner_user", "customers", "accounts")
    match = AccountMatch.objects.get(partnership=world.partnership, host_key="acme.com")
    with pytest.raises(Http404):
        services.match_reject(
            actor=world.actor("partner_user"), partnership=world.partnership, match_id=match.pk
        )
    with pytest.raises(Http404):
        services.overlap_act(
            actor=world.actor("host_owner"),
            partnership=world.partnership,
            match_id=match.pk,
            kind="intro",
        )


def test_acting_on_an_account_logs_a_shared_activity_with_outcome(world: Any) -> None:
    load_lists(world)
    share(world, "host_owner", "customers", "accounts", fields=["domain"])
    share(world, "partner_user", "customers", "accounts", fields=["domain"])
    match = AccountMatch.objects.get(partnership=world.partnership, host_key="acme.com")
    action = services.overlap_act(
        actor=world.actor("host_owner"),
        partnership=world.partnership,
        match_id=match.pk,
        kind="intro",
        note="Ask Pia for an intro to their champion",
    )
    activity = Activity.objects.get(pk=action.activity_id)
    assert activity.kind == ActivityType.ACCOUNT_MAPPING
    # Neither side shares names: the title uses the domain both see.
    assert activity.title == "Intro asked: acme.com"
    with pytest.raises(ValidationError):
        services.overlap_act(
            actor=world.actor("partner_user"),
            partnership=world.partnership,
            match_id=match.pk,
            kind="intro",
        )
    services.action_outcome(
        actor=world.actor("partner_user"),
        partnership=world.partnership,
        action=action,
        result="worked",
    )
    [found] = selectors.actions_of(partnership=world.partnership)
    assert selectors.outcome_of(found, "partner").result == "worked"  # type: ignore[union-attr]
    assert selectors.outcome_of(found, "host") is None
    # The action outlives a new upload: it is keyed by the accounts' domains.
    services.matches_refresh(partnership_id=world.partnership.pk)
    cell = selectors.cell_for(
        partnership=world.partnership, side="host", ours="customers", theirs="customers"
    )
    assert [a.pk for a in cell.rows[0].actions] == [action.pk]
    assert OverlapAction.objects.count() == 1


def test_new_upload_and_new_rules_queue_a_refresh(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    load_lists(world)
    state = MatchState.objects.get(partnership=world.partnership)
    with django_capture_on_commit_callbacks(execute=True):
        # Open opportunities now count as customers on the partner's side.
        mapping_services.population_rules_save(
            actor=world.actor("partner_user"),
            values={"customers": "customer\nopportunity", "opportunities": "", "prospects": ""},
            default_key="prospects",
            names={},
        )
    state.refresh_from_db()
    assert state.status == RefreshStatus.CURRENT
    assert AccountMatch.objects.filter(partner_population="customers").count() == 3

    # A new upload on one side: the refresh runs from the upload's finish.
    with django_capture_on_commit_callbacks(execute=True):
        upload_rows(world, "host_owner", HOST_ROWS[:1])
    assert AccountMatch.objects.filter(partnership=world.partnership).count() == 1
