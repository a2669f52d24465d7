"""Activities: logged by either side, each side's outcome kept apart, disagreements shown."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from partnerloop.activities import selectors, services
from partnerloop.activities.models import Activity, Outcome
from partnerloop.conftest import World
from partnerloop.partnerships.models import Side, TimelineEvent, Visibility
from partnerloop.partnerships.services import ConcurrentEdit
from partnerloop.plans.services import plan_start


def log(world: World, persona: str = "host_owner", **fields: object) -> Activity:
    defaults = {
        "kind": "campaign",
        "title": "Joint newsletter",
        "happened_on": date(2026, 11, 2),
        "visibility": Visibility.SHARED,
    }
    return services.activity_log(
        actor=world.actor(persona), partnership=world.partnership, **{**defaults, **fields}
    )


def workspace(world: World, persona: str) -> str:
    org = world.host if persona.startswith("host") else world.partner
    url = f"/o/{org.code}/p/{world.partnership.code}/"
    return world.client(persona).get(url).content.decode()


def test_either_side_logs_with_people_and_plan_steps(world: World) -> None:
    plan_start(actor=world.actor("host_owner"), partnership=world.partnership)
    step = world.partnership.plan_steps.get(key="first_campaign")
    activity = log(
        world,
        "partner_user",
        kind="joint_event",
        title="Webinar on data quality",
        host_people="Dana Whitfield",
        partner_people="Sam Okafor\nLena Fischer",
        plan_steps=[step.code],
    )
    assert activity.side == Side.PARTNER
    assert list(activity.plan_steps.all()) == [step]
    assert TimelineEvent.objects.filter(kind="activity", side=Side.PARTNER).exists()
    assert "Webinar on data quality" in workspace(world, "host_owner")


def test_bad_input_says_what_to_fix(world: World) -> None:
    with pytest.raises(ValidationError) as exc:
        log(world, kind="party", title=" ", happened_on=None)
    assert set(exc.value.message_dict) == {"kind", "title", "happened_on"}
    with pytest.raises(ValidationError):
        log(world, plan_steps=["nosuchstep"])
    with pytest.raises(PermissionDenied):
        log(world, "host_viewer")
    assert not Activity.objects.exists()


def test_both_views_are_kept_and_a_disagreement_shows(world: World) -> None:
    activity = log(world)
    services.outcome_record(
        actor=world.actor("host_owner"),
        activity=activity,
        result="worked",
        leads=12,
        pipeline="25000",
    )
    services.outcome_record(
        actor=world.actor("partner_user"),
        activity=activity,
        result="didnt",
        notes="None of the leads were in our market.",
    )
    found = selectors.activity_for(
        partnership=world.partnership, side=Side.HOST, code=activity.code
    )
    views = selectors.views_of(found)
    assert (views.host.result, views.partner.result, views.disagree) == ("worked", "didnt", True)
    assert views.host.pipeline == Decimal("25000")
    host_page = workspace(world, "host_owner")
    assert "The two sides see it differently" in host_page
    assert "Acme Integrations: didn" in host_page
    # Pending or mixed on one side is not a disagreement to flag.
    services.outcome_record(actor=world.actor("partner_user"), activity=activity, result="pending")
    found = selectors.activity_for(
        partnership=world.partnership, side=Side.HOST, code=activity.code
    )
    assert not selectors.views_of(found).disagree


def test_an_outcome_edited_from_a_stale_page_is_refused(world: World) -> None:
    activity = log(world)
    first = services.outcome_record(
        actor=world.actor("host_owner"), activity=activity, result="pending"
    )
    services.outcome_record(
        actor=world.actor("host_member"), activity=activity, result="worked", version=first.version
    )
    with pytest.raises(ConcurrentEdit):
        services.outcome_record(
            actor=world.actor("host_owner"),
            activity=activity,
            result="didnt",
            version=first.version,
        )
    assert Outcome.objects.get(activity=activity, side=Side.HOST).result == "worked"


def test_only_the_logging_side_edits_and_a_stale_edit_is_refused(world: World) -> None:
    activity = log(world)
    with pytest.raises(ValidationError):
        services.activity_edit(
            actor=world.actor("partner_user"), activity=activity, version=1, title="Ours now"
        )
    services.activity_edit(actor=world.actor("host_owner"), activity=activity, version=1, title="A")
    with pytest.raises(ConcurrentEdit):
        services.activity_edit(
            actor=world.actor("host_member"), activity=activity, version=1, title="B"
        )
    activity.refresh_from_db()
    assert (activity.title, activity.version) == ("A", 2)


def test_a_private_activity_never_reaches_the_other_side(world: World) -> None:
    activity = log(world, title="Quiet test of their sales team", visibility=Visibility.PRIVATE)
    assert "Quiet test of their sales team" not in workspace(world, "partner_user")
    with pytest.raises(Http404):
        selectors.activity_for(partnership=world.partnership, side=Side.PARTNER, code=activity.code)
    with pytest.raises(Http404):
        services.outcome_record(
            actor=world.actor("partner_user"), activity=activity, result="worked"
        )
    with pytest.raises(Http404):
        services.comment_add(actor=world.actor("partner_user"), activity=activity, body="Hi")
    url = f"/o/{world.partner.code}/p/{world.partnership.code}/activities/{activity.code}/"
    assert world.client("partner_user").get(url).status_code == 404
    assert not TimelineEvent.objects.filter(kind="activity", visibility=Visibility.SHARED).exists()


def test_pages_log_record_and_comment(world: World) -> None:
    client = world.client("partner_user")
    base = f"/o/{world.partner.code}/p/{world.partnership.code}/activities/"
    response = client.post(
        base + "new/",
        {
            "kind": "account_mapping",
            "title": "First mapping",
            "happened_on": "2026-11-10",
            "visibility": "shared",
        },
    )
    assert response.status_code == 302
    activity = Activity.objects.get()
    client.post(base + f"{activity.code}/outcome/", {"result": "mixed", "leads": "3"})
    client.post(base + f"{activity.code}/comments/", {"body": "Two of three were real."})
    page = (
        world.client("host_owner")
        .get(f"/o/{world.host.code}/p/{world.partnership.code}/activities/{activity.code}/")
        .content.decode()
    )
    assert "Two of three were real." in page and "Mixed" in page
    bad = client.post(base + "new/", {"kind": "campaign", "title": "", "visibility": "shared"})
    assert bad.status_code == 400 and "This field is required" in bad.content.decode()


def test_the_workspace_section_is_flat_in_queries(world: World, django_assert_max_num_queries):
    log(world, title="One")
    client = world.client("host_owner")
    url = f"/o/{world.host.code}/p/{world.partnership.code}/"
    client.get(url)
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    for i in range(15):
        activity = log(world, title=f"Activity {i}")
        services.outcome_record(actor=world.actor("host_owner"), activity=activity, result="worked")
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = client.get(url).content.decode()
    assert "All activities" in body


def test_outcomes_feed_the_outcome_score_of_the_ipp_test(world: World) -> None:
    from partnerloop.fit.outcomes import outcome_scores

    # A prospect: the stage alone says 0.
    assert outcome_scores([world.partnership])[world.partnership.pk] == 0.0
    activity = log(world)
    services.outcome_record(actor=world.actor("host_owner"), activity=activity, result="worked")
    services.outcome_record(actor=world.actor("partner_user"), activity=activity, result="mixed")
    # Stage 0 (weight 1) and activities (1 + 0.5) / 2 = 0.75 (weight 0.5): 0.375 / 1.5.
    assert outcome_scores([world.partnership])[world.partnership.pk] == 0.25
    # The partner's private activity says nothing to the host's test.
    private = log(world, "partner_user", visibility=Visibility.PRIVATE)
    services.outcome_record(actor=world.actor("partner_user"), activity=private, result="didnt")
    assert outcome_scores([world.partnership])[world.partnership.pk] == 0.25


def test_what_works_by_kind_tier_and_band(world: World, django_assert_max_num_queries) -> None:
    from partnerloop.fit.models import PartnershipFit
    from partnerloop.partnerships.models import Partnership

    Partnership.objects.filter(pk=world.partnership.pk).update(tier="gold")
    version = _version(world)
    PartnershipFit.objects.update_or_create(
        partnership=world.partnership, defaults={"version": version, "band": "high"}
    )
    PartnershipFit.objects.filter(partnership=world.other_partnership).delete()
    host, partner = world.actor("host_owner"), world.actor("partner_user")
    # Gold, high fit: mapping 1 — host worked, partner didn't; mapping 2 — both worked.
    first = log(world, kind="account_mapping", title="Mapping 1")
    second = log(world, kind="account_mapping", title="Mapping 2")
    for activity, host_says, partner_says in (
        (first, "worked", "didnt"),
        (second, "worked", "worked"),
    ):
        services.outcome_record(actor=host, activity=activity, result=host_says)
        services.outcome_record(actor=partner, activity=activity, result=partner_says)
    # The other partnership (no tier, no fit): one campaign, mixed; one pending (left out).
    other = services.activity_log(
        actor=host,
        partnership=world.other_partnership,
        kind="campaign",
        title="Newsletter",
        happened_on=date(2026, 11, 3),
    )
    services.outcome_record(actor=host, activity=other, result="mixed")
    pending = services.activity_log(
        actor=host,
        partnership=world.other_partnership,
        kind="campaign",
        title="Webinar",
        happened_on=date(2026, 11, 4),
    )
    services.outcome_record(actor=host, activity=pending, result="pending")

    with django_assert_max_num_queries(1):
        report = selectors.what_works(actor=host)
    mapping = report.overall["account_mapping"]
    assert (mapping.worked, mapping.settled, mapping.rate) == (3, 4, 0.75)
    assert report.by_tier[("account_mapping", "gold")].rate == 0.75
    assert report.by_band[("account_mapping", "high")].settled == 4
    campaign = report.overall["campaign"]
    assert (campaign.worked, campaign.settled, campaign.rate) == (0, 1, 0.0)
    assert report.by_band[("campaign", "")].settled == 1
    assert report.overall["joint_event"].rate is None

    page = world.client("host_owner").get(f"/o/{world.host.code}/activities/what-works/")
    body = page.content.decode()
    assert 'data-chart="what-works"' in body and "75% <small>(3/4)</small>" in body
    # The partner organization has no program of its own here: an empty report.
    partner_page = world.client("partner_user").get(
        f"/o/{world.partner.code}/activities/what-works/"
    )
    assert "No activity has a recorded outcome yet" in partner_page.content.decode()


def _version(world: World):
    from partnerloop.fit import services as fit_services

    version = fit_services.ipp_create_from_template(actor=world.actor("host_owner"))
    fit_services.ipp_version_activate(
        actor=world.actor("host_owner"), version=version, change_note="First"
    )
    return version
