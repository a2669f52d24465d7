"""Referrals: the partner registers, the host decides and moves stages, each with a reason;
the first won referral is the partnership's first revenue."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from partnerloop.accountability.models import PartnerRequest
from partnerloop.conftest import World
from partnerloop.partnerships.models import Side, Stage, TimelineEvent
from partnerloop.partnerships.services import ConcurrentEdit
from partnerloop.plans.models import Milestone
from partnerloop.referrals import selectors, services
from partnerloop.referrals.models import KnownAccount, Referral, ReferralChange

NOW = datetime(2026, 11, 20, 10, tzinfo=UTC)


def register(world: World, persona: str = "partner_user", partnership=None, **fields) -> Referral:
    defaults = {
        "company": "Hooli, Inc.",
        "website": "https://www.hooli.com/about",
        "contact_name": "Gavin Belson",
        "contact_email": "gavin@hooli.com",
        "notes": "Wants a pilot in Q1.",
    }
    return services.referral_register(
        actor=world.actor(persona),
        partnership=partnership or world.partnership,
        **{**defaults, **fields},
    )


def decide(world: World, referral: Referral, decision: str = "accepted", reason: str = "Fits"):
    return services.referral_decide(
        actor=world.actor("host_owner"),
        referral=referral,
        decision=decision,
        reason=reason,
        version=referral.version,
    )


def stage(world: World, referral: Referral, to: str, reason: str = "Moving on", **extra):
    return services.referral_set_stage(
        actor=world.actor("host_member"),
        referral=referral,
        stage=to,
        reason=reason,
        version=referral.version,
        **extra,
    )


# --- register ---------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_the_partner_registers_and_the_response_clock_starts(world: World) -> None:
    referral = register(world)
    assert (referral.website, referral.domain, referral.name_key) == (
        "https://www.hooli.com",
        "hooli.com",
        "hooli",
    )
    assert (referral.status, referral.stage, referral.attribution) == (
        "submitted",
        "new",
        "sourced",
    )
    assert referral.host == world.host and referral.conflicts == []
    change = ReferralChange.objects.get(referral=referral)
    assert (change.from_state, change.to_state, change.side) == ("", "submitted", Side.PARTNER)
    event = TimelineEvent.objects.get(partnership=world.partnership, kind="referral")
    assert (event.summary, event.side, event.visibility) == (
        "Referral registered: Hooli, Inc.",
        "partner",
        "shared",
    )
    clock = PartnerRequest.objects.get(kind="referral", subject_code=referral.code)
    assert (clock.summary, clock.answered_at, clock.asked_by) == (
        "Hooli, Inc.",
        None,
        world.partner_user,
    )


def test_only_the_partners_writers_register(world: World) -> None:
    with pytest.raises(PermissionDenied, match="Only Acme Integrations registers"):
        register(world, "host_owner")
    with pytest.raises(PermissionDenied):
        register(world, "host_viewer")
    assert not Referral.objects.exists()
    # Any writer of the partner side: members too.
    assert register(world, "partner_member").submitted_by == world.partner_member


def test_registration_says_what_to_fix(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        register(world, company=" ", website="not a website", contact_email="gavin@")
    assert set(exc.value.message_dict) == {"company", "website", "contact_email"}
    assert "example.com" in exc.value.message_dict["website"][0]
    with pytest.raises(ValidationError) as exc:
        register(world, attribution="bought")
    assert "attribution" in exc.value.message_dict
    world.partnership.stage = Stage.ENDED
    world.partnership.save()
    with pytest.raises(ValidationError, match="has ended"):
        register(world)
    # Without a website the check still runs on the name.
    world.partnership.stage = Stage.ACTIVE
    world.partnership.save()
    assert register(world, website="").domain == ""


def test_conflicts_are_stored_for_the_host(world: World) -> None:
    KnownAccount.objects.create(
        host=world.host, name="Hooli", domain="hooli.com", name_key="hooli", owner="Dana"
    )
    first = register(world, "other_partner", partnership=world.other_partnership)
    second = register(world, company="Hooli Incorporated", website="")
    assert [(f["kind"], f["match"]) for f in second.conflicts] == [
        ("referral", "name"),
        ("known_account", "name"),
    ]
    finding = second.conflicts[0]
    assert (finding["code"], finding["partner"], finding["same_partnership"]) == (
        first.code,
        "Globex Consulting",
        False,
    )
    assert second.conflicts[1]["owner"] == "Dana"
    # The partner side never reads them.
    assert selectors.conflicts_for(referral=second, side=Side.PARTNER) == []
    assert selectors.conflicts_for(referral=second, side=Side.HOST) == second.conflicts


# --- edit -------------------------------------------------------------------------------


def test_the_partner_edits_while_it_waits_and_the_check_runs_again(world: World) -> None:
    other = register(
        world,
        "other_partner",
        partnership=world.other_partnership,
        company="Pied Piper",
        website="piedpiper.com",
    )
    referral = register(world)
    edited = services.referral_edit(
        actor=world.actor("partner_member"),
        referral=referral,
        version=1,
        company="Pied Piper LLC",
        website="piedpiper.com",
    )
    assert (edited.company, edited.domain, edited.version) == ("Pied Piper LLC", "piedpiper.com", 2)
    assert [f["code"] for f in Referral.objects.get(pk=referral.pk).conflicts] == [other.code]
    with pytest.raises(ConcurrentEdit):
        services.referral_edit(
            actor=world.actor("partner_user"), referral=referral, version=1, notes="Stale"
        )
    with pytest.raises(PermissionDenied):
        services.referral_edit(
            actor=world.actor("host_owner"), referral=referral, version=2, notes="Host"
        )
    with pytest.raises(ValidationError, match="cannot be edited"):
        services.referral_edit(
            actor=world.actor("partner_user"), referral=referral, version=2, amount=5
        )
    decide(world, referral)
    with pytest.raises(ValidationError, match="no longer be edited"):
        services.referral_edit(
            actor=world.actor("partner_user"), referral=referral, version=3, notes="Late"
        )


# --- decide -----------------------------------------------------------------------------


def test_the_host_declines_with_a_reason_the_partner_reads(world: World) -> None:
    referral = register(world)
    with pytest.raises(ValidationError) as exc:
        decide(world, referral, "declined", reason=" ")
    assert "Acme Integrations reads this reason" in exc.value.message_dict["reason"][0]
    with pytest.raises(PermissionDenied):
        services.referral_decide(
            actor=world.actor("partner_user"),
            referral=referral,
            decision="accepted",
            reason="",
            version=1,
        )
    with pytest.raises(PermissionDenied):
        services.referral_decide(
            actor=world.actor("host_viewer"),
            referral=referral,
            decision="accepted",
            reason="",
            version=1,
        )
    decide(world, referral, "declined", reason="Already a customer since 2024")
    referral.refresh_from_db()
    assert (referral.status, referral.decision_reason, referral.decided_by, referral.version) == (
        "declined",
        "Already a customer since 2024",
        world.host_owner,
        2,
    )
    change = ReferralChange.objects.filter(referral=referral).last()
    assert (change.from_state, change.to_state, change.reason, change.side) == (
        "submitted",
        "declined",
        "Already a customer since 2024",
        "host",
    )
    assert TimelineEvent.objects.filter(
        summary="Referral declined: Hooli, Inc. — Already a customer since 2024", side="host"
    ).exists()
    clock = PartnerRequest.objects.get(subject_code=referral.code)
    assert clock.answered_by == world.host_owner and clock.answered_at is not None
    with pytest.raises(ValidationError, match="already declined"):
        decide(world, referral, "accepted")


def test_a_decision_from_a_stale_page_is_refused(world: World) -> None:
    referral = register(world)
    stale = Referral.objects.get(pk=referral.pk)
    services.referral_edit(
        actor=world.actor("partner_user"), referral=referral, version=1, notes="More"
    )
    with pytest.raises(ConcurrentEdit):
        decide(world, stale)
    assert Referral.objects.get(pk=referral.pk).status == "submitted"
    assert not PartnerRequest.objects.filter(answered_at__isnull=False).exists()


# --- stages -----------------------------------------------------------------------------


def test_stages_need_an_accepted_referral_and_a_reason(world: World) -> None:
    referral = register(world)
    with pytest.raises(ValidationError, match="Accept the referral first"):
        stage(world, referral, "qualified")
    decide(world, referral)
    with pytest.raises(ValidationError) as exc:
        stage(world, referral, "proposal", reason="")
    assert "reason" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        stage(world, referral, "won", amount=None)
    assert exc.value.message_dict == {"amount": ["Give the amount won (0 or more)."]}
    with pytest.raises(ValidationError) as exc:
        stage(world, referral, "won", amount="-5")
    assert "negative" in exc.value.message_dict["amount"][0]
    with pytest.raises(ValidationError) as exc:
        stage(world, referral, "shipped")
    assert "stage" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.referral_set_stage(
            actor=world.actor("partner_user"),
            referral=referral,
            stage="qualified",
            reason="We say so",
            version=referral.version,
        )
    stage(world, referral, "qualified", reason="Budget confirmed")
    with pytest.raises(ValidationError, match="Nothing changes"):
        stage(world, referral, "qualified", reason="Again")
    history = [
        (c.from_state, c.to_state, c.reason) for c in selectors.changes_for(referral=referral)
    ]
    assert history == [
        ("", "submitted", ""),
        ("submitted", "accepted", "Fits"),
        ("new", "qualified", "Budget confirmed"),
    ]


@time_machine.travel(NOW, tick=False)
def test_won_and_lost_are_dated_and_reopening_clears_the_date(world: World) -> None:
    referral = register(world)
    decide(world, referral)
    stage(world, referral, "lost", reason="Chose a competitor")
    assert (referral.closed_on, referral.amount) == (date(2026, 11, 20), None)
    with pytest.raises(ValidationError) as exc:
        stage(world, referral, "won", amount=100, closed_on=date(2026, 12, 1))
    assert "future" in exc.value.message_dict["closed_on"][0]
    stage(world, referral, "proposal", reason="They came back")
    assert referral.closed_on is None
    stage(
        world,
        referral,
        "won",
        reason="Signed",
        amount="12,500.5",
        attribution="influenced",
        closed_on=date(2026, 11, 18),
    )
    referral.refresh_from_db()
    assert (referral.stage, referral.amount, referral.closed_on, referral.attribution) == (
        "won",
        Decimal("12500.50"),
        date(2026, 11, 18),
        "influenced",
    )
    assert TimelineEvent.objects.filter(
        summary="Referral Hooli, Inc.: Won (12,500.50) — Signed"
    ).exists()


@time_machine.travel(NOW, tick=False)
def test_the_first_won_referral_records_first_revenue_once(world: World) -> None:
    first = register(world)
    second = register(world, company="Pied Piper", website="piedpiper.com")
    decide(world, first)
    decide(world, second)
    # The first registered referral is the "first referral" milestone, once.
    assert Milestone.objects.get(partnership=world.partnership).key == "first_referral"
    stage(world, first, "won", amount=0, closed_on=date(2026, 11, 10))  # no plan needed
    milestone = Milestone.objects.get(partnership=world.partnership, key="first_revenue")
    assert (milestone.key, milestone.title, milestone.reached_on) == (
        "first_revenue",
        "First revenue: Hooli, Inc.",
        date(2026, 11, 10),
    )
    # Lost, won again, and another referral won: still the one first milestone.
    stage(world, first, "lost", reason="Cancelled")
    stage(world, first, "won", reason="Back on", amount=10)
    stage(world, second, "won", amount=5000)
    assert Milestone.objects.filter(partnership=world.partnership).count() == 2
    assert Milestone.objects.get(key="first_revenue").reached_on == date(2026, 11, 10)
    assert TimelineEvent.objects.filter(kind="milestone").count() == 2
    # Other partnerships have their own first revenue.
    assert not Milestone.objects.filter(partnership=world.other_partnership).exists()


@time_machine.travel(NOW, tick=False)
def test_referrals_do_the_plans_referral_and_revenue_steps(world: World) -> None:
    from partnerloop.plans.models import PlanStep
    from partnerloop.plans.services import plan_start

    plan_start(actor=world.actor("host_owner"), partnership=world.partnership)
    referral = register(world)
    decide(world, referral)
    stage(world, referral, "won", amount=900, closed_on=date(2026, 11, 12))
    steps = dict(
        PlanStep.objects.filter(
            partnership=world.partnership, key__in=["first_referral", "first_revenue"]
        ).values_list("key", "status")
    )
    assert steps == {"first_referral": "done", "first_revenue": "done"}
    # Each milestone once, the revenue one with the date it was won.
    assert dict(Milestone.objects.values_list("key", "reached_on")) == {
        "first_referral": NOW.date(),
        "first_revenue": date(2026, 11, 12),
    }


def test_a_stage_change_from_a_stale_page_is_refused(world: World) -> None:
    referral = register(world)
    decide(world, referral)
    stale = Referral.objects.get(pk=referral.pk)
    stage(world, referral, "qualified")
    with pytest.raises(ConcurrentEdit):
        stage(world, stale, "won", amount=100)
    assert Referral.objects.get(pk=referral.pk).stage == "qualified"
    assert not Milestone.objects.filter(key="first_revenue").exists()


def test_workspace_figures(world: World, django_assert_num_queries) -> None:
    a = register(world)
    b = register(world, company="Pied Piper", website="piedpiper.com")
    c = register(world, company="Raviga", website="raviga.com")
    register(world, company="Endframe", website="endframe.com")
    register(world, company="Bachmanity", website="")
    for r in (a, b, c):
        decide(world, r)
    stage(world, a, "won", amount="1000.25")
    stage(world, b, "won", amount=2000)
    stage(world, c, "lost")
    decide(world, Referral.objects.get(company="Endframe"), "declined", reason="Too small")
    with django_assert_num_queries(2):
        card = selectors.workspace_referrals(partnership=world.partnership, side=Side.PARTNER)[
            "referral_card"
        ]
    assert (card.total, card.submitted, card.accepted, card.declined) == (5, 1, 3, 1)
    assert (card.by_stage["won"], card.by_stage["lost"], card.open) == (2, 1, 0)
    assert card.won_amount == Decimal("3000.25")
    assert [r.company for r in card.latest] == ["Bachmanity"]


# --- known accounts ---------------------------------------------------------------------


def test_known_accounts_add_and_refuse_a_second_with_the_same_domain(world: World) -> None:
    account = services.known_account_add(
        actor=world.actor("host_owner"),
        name="Hooli Inc",
        website="www.hooli.com",
        status="opportunity",
        owner="Dana",
    )
    assert (account.domain, account.name_key, account.status) == (
        "hooli.com",
        "hooli",
        "opportunity",
    )
    with pytest.raises(ValidationError) as exc:
        services.known_account_add(
            actor=world.actor("host_owner"), name="Hooli", website="hooli.com"
        )
    assert exc.value.message_dict["website"] == ["hooli.com is already in your list, as Hooli Inc."]
    with pytest.raises(PermissionDenied):
        services.known_account_add(actor=world.actor("host_member"), name="Raviga")
    with pytest.raises(ValidationError) as exc:
        services.known_account_add(actor=world.actor("host_owner"), name="", status="friend")
    assert set(exc.value.message_dict) == {"name", "status"}
    with pytest.raises(PermissionDenied):
        services.known_account_delete(actor=world.actor("other_host"), account=account)
    services.known_account_delete(actor=world.actor("host_owner"), account=account)
    assert not KnownAccount.objects.exists()


def test_import_is_all_or_nothing_with_every_bad_line_listed(world: World) -> None:
    text = (
        "Company name;Website;Status\n"
        "Hooli;hooli.com;customer\n"
        ";raviga.com;prospect\n"
        "Pied Piper;not a site;client\n"
    )
    with pytest.raises(ValidationError) as exc:
        services.known_accounts_import(actor=world.actor("host_owner"), text=text)
    assert exc.value.message_dict["text"] == [
        "Line 3: the company name is missing.",
        "Line 4: “not a site” is not a website, e.g. example.com; “client” is not a status "
        "(customer, opportunity, prospect).",
    ]
    assert not KnownAccount.objects.exists()


def test_import_skips_what_is_already_there_and_reports_it(world: World) -> None:
    services.known_account_add(actor=world.actor("host_owner"), name="Hooli", website="hooli.com")
    text = (
        "\ufeffHooli Inc,https://www.hooli.com,customer\n"
        "Raviga,raviga.com,Open opportunity,Monica\n"
        "\n"
        "Raviga Capital,www.raviga.com,prospect\n"
        "Bachmanity,,prospect\n"
        '"Endframe, Inc.",endframe.com,\n'
    )
    report = services.known_accounts_import(actor=world.actor("host_owner"), text=text)
    assert report.added == 3
    assert report.skipped == [
        "Line 1: Hooli Inc (hooli.com) is already in the list.",
        "Line 4: Raviga Capital (raviga.com) is already in the list.",
    ]
    rows = list(KnownAccount.objects.values_list("name", "domain", "status", "owner"))
    assert rows == [
        ("Bachmanity", "", "prospect", ""),
        ("Endframe, Inc.", "endframe.com", "customer", ""),
        ("Hooli", "hooli.com", "customer", ""),
        ("Raviga", "raviga.com", "opportunity", "Monica"),
    ]
    with pytest.raises(ValidationError):
        services.known_accounts_import(actor=world.actor("host_owner"), text="  ")
    with pytest.raises(PermissionDenied):
        services.known_accounts_import(actor=world.actor("host_member"), text="A,a.com,customer")


def test_the_conflict_check_reads_the_hosts_current_account_list(
    world: World, settings, tmp_path
) -> None:
    from partnerloop.mapping.tests.lists_support import HUBSPOT_HEADER, csv_bytes, upload

    settings.MEDIA_ROOT = tmp_path / "media"
    row = dict.fromkeys(HUBSPOT_HEADER, "")
    row.update(
        {
            "Record ID": "1",
            "Company name": "Hooli Holdings",
            "Company owner": "Dana",
            "Website URL": "https://www.hooli.com",
            "Lifecycle Stage": "customer",
        }
    )
    done = upload(world.actor("host_owner"), csv_bytes([HUBSPOT_HEADER, list(row.values())]))
    assert done.status == "done" and done.is_current
    # Another organization's list (the partner's own) is never read for the host.
    upload(world.actor("partner_user"), csv_bytes([HUBSPOT_HEADER, list(row.values())]))
    referral = register(world, company="Hooli", website="hooli.com")
    in_list = [f for f in referral.conflicts if f["kind"] == "account_list"]
    assert len(in_list) == 1
    assert (in_list[0]["name"], in_list[0]["domain"], in_list[0]["status"]) == (
        "Hooli Holdings",
        "hooli.com",
        "Customers",
    )
    assert selectors.conflicts_for(referral=referral, side=Side.PARTNER) == []


def test_the_conflict_check_finds_list_rows_by_name_when_no_website_can_disagree(
    world: World, settings, tmp_path
) -> None:
    from partnerloop.mapping.tests.lists_support import HUBSPOT_HEADER, csv_bytes, upload

    settings.MEDIA_ROOT = tmp_path / "media"

    def hubspot(record: str, name: str, website: str) -> list[str]:
        row = dict.fromkeys(HUBSPOT_HEADER, "")
        row.update(
            {
                "Record ID": record,
                "Company name": name,
                "Website URL": website,
                "Lifecycle Stage": "opportunity",
            }
        )
        return list(row.values())

    rows = [
        hubspot("1", "Pied Piper, Inc.", ""),  # no website: its name may speak for it
        hubspot("2", "Endframe", "https://endframe.io"),
        hubspot("3", "Aviato", "aviato.com"),
    ]
    assert upload(world.actor("host_owner"), csv_bytes([HUBSPOT_HEADER, *rows])).is_current

    def in_list(**fields: str) -> list[tuple[str, str]]:
        referral = register(world, contact_email="", **fields)
        found = [f for f in referral.conflicts if f["kind"] == "account_list"]
        return [(f["match"], f["name"]) for f in found]

    assert in_list(company="Pied Piper", website="piedpiper.com") == [("name", "Pied Piper, Inc.")]
    # The referral has no website: any row of the same name.
    assert in_list(company="Endframe Inc", website="") == [("name", "Endframe")]
    # Both have websites, and they differ: a name alone does not make it the same company.
    assert in_list(company="Endframe", website="endframe.com") == []
    # The domain wins over the name, and a different name is not looked at.
    assert in_list(company="Aviato Labs", website="https://aviato.com") == [("domain", "Aviato")]
    assert in_list(company="Hooli", website="hooli.com") == []
