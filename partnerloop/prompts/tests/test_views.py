"""The inbox, check-ins, rules and overrides pages, and the effectiveness report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from partnerloop.conftest import World
from partnerloop.partnerships.models import Side, TimelineEvent, Visibility
from partnerloop.plans.models import Plan, PlanStep, StepStatus
from partnerloop.prompts import selectors, services
from partnerloop.prompts.models import CheckIn, Prompt, PromptKind, PromptOverride, PromptRule

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def prompt(world: World, persona: str = "host_owner", **fields: object) -> Prompt:
    side = Side.HOST if persona.startswith("host") else Side.PARTNER
    defaults = {
        "dedupe_key": f"test:{Prompt.objects.count()}:{persona}",
        "kind": PromptKind.CADENCE,
        "partnership": world.partnership,
        "recipient": getattr(world, persona),
        "organization": world.host if side == Side.HOST else world.partner,
        "side": side,
        "title": "Monthly check-in with Acme Integrations",
        "action": "check_in",
    }
    return Prompt.objects.create(**{**defaults, **fields})


def org_url(world: World, org: str, path: str) -> str:
    code = world.host.code if org == "host" else world.partner.code
    return f"/o/{code}/{path}"


def test_inbox_lists_only_my_prompts_with_the_unread_count(world: World) -> None:
    mine = prompt(world, title="For the host owner")
    prompt(world, "host_member", title="For the host member")
    prompt(world, "partner_user", title="For the partner")
    body = world.client("host_owner").get(org_url(world, "host", "prompts/")).content.decode()
    assert "For the host owner" in body
    assert "For the host member" not in body and "For the partner" not in body
    assert 'aria-label="1 unread"' in body
    # Opening it marks it read and goes where the action is done.
    response = world.client("host_owner").get(org_url(world, "host", f"prompts/{mine.code}/"))
    assert response.status_code == 302
    assert response["Location"].endswith(f"/p/{world.partnership.code}/prompts/check-in/")
    mine.refresh_from_db()
    assert mine.read_at is not None
    body = world.client("host_owner").get(org_url(world, "host", "prompts/")).content.decode()
    assert "unread" not in body.split("<main", 1)[1].split("Inbox filter")[0]


def test_mark_all_read_and_the_unread_filter(world: World) -> None:
    prompt(world, title="One")
    prompt(world, title="Two")
    client = world.client("host_owner")
    assert "Two" in client.get(org_url(world, "host", "prompts/?show=unread")).content.decode()
    client.post(org_url(world, "host", "prompts/read-all/"))
    assert not Prompt.objects.filter(read_at__isnull=True, recipient=world.host_owner).exists()
    body = client.get(org_url(world, "host", "prompts/?show=unread")).content.decode()
    assert "Nothing unread" in body


def test_inbox_query_count_is_flat(world: World, django_assert_max_num_queries) -> None:
    client = world.client("host_owner")
    for i in range(3):
        prompt(world, title=f"Few {i}")
    with django_assert_max_num_queries(12) as few:
        client.get(org_url(world, "host", "prompts/"))
    for i in range(40):
        prompt(world, title=f"Many {i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(org_url(world, "host", "prompts/"))


def test_celebration_counts_as_followed_when_opened(world: World) -> None:
    found = prompt(world, kind=PromptKind.MILESTONE, celebration=True, action="")
    services.prompt_open(actor=world.actor("host_owner"), prompt=found)
    found.refresh_from_db()
    assert found.acted_at is not None and found.read_at is not None


def test_check_in_from_the_partner_is_shared_and_marks_the_cadence_prompt_followed(
    world: World,
) -> None:
    waiting = prompt(world, "partner_user")
    client = world.client("partner_user")
    url = org_url(world, "partner", f"p/{world.partnership.code}/prompts/check-in/")
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "rating": 4,
            "worked": "The joint webinar",
            "didnt": "Cold e-mails",
            "blockers": "",
            "next_step": "Share the customer list",
            "visibility": "shared",
        },
    )
    assert response.status_code == 302
    check_in = CheckIn.objects.get()
    assert (check_in.side, check_in.rating, check_in.next_step) == (
        Side.PARTNER,
        4,
        "Share the customer list",
    )
    waiting.refresh_from_db()
    assert waiting.acted_at is not None
    host_page = world.client("host_owner").get(
        org_url(world, "host", f"p/{world.partnership.code}/")
    )
    assert "The joint webinar" in host_page.content.decode()
    assert TimelineEvent.objects.filter(kind="check_in", side=Side.PARTNER).exists()


def test_a_private_check_in_stays_on_its_side(world: World) -> None:
    services.check_in_submit(
        actor=world.actor("host_owner"),
        partnership=world.partnership,
        rating=2,
        blockers="Their sales lead seems unconvinced",
        visibility=Visibility.PRIVATE,
    )
    partner_page = world.client("partner_user").get(
        org_url(world, "partner", f"p/{world.partnership.code}/")
    )
    assert "unconvinced" not in partner_page.content.decode()
    host_page = world.client("host_owner").get(
        org_url(world, "host", f"p/{world.partnership.code}/")
    )
    assert "unconvinced" in host_page.content.decode()


def test_check_in_needs_a_rating_and_says_so(world: World) -> None:
    url = org_url(world, "host", f"p/{world.partnership.code}/prompts/check-in/")
    response = world.client("host_owner").post(url, {"visibility": "shared"})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_rules_page_starts_from_the_defaults_and_adds_a_cadence(world: World) -> None:
    client = world.client("host_owner")
    body = client.get(org_url(world, "host", "prompts/rules/")).content.decode()
    assert "Monthly check-in" in body and "Quarterly business review" in body
    response = client.post(
        org_url(world, "host", "prompts/rules/"),
        {
            "name": "Bi-weekly sync",
            "rrule": "every other week",
            "audience": "both",
            "follow_days": 7,
        },
    )
    assert response.status_code == 400
    assert "Not a recurrence rule" in response.content.decode()
    response = client.post(
        org_url(world, "host", "prompts/rules/"),
        {
            "name": "Bi-weekly sync",
            "rrule": "RRULE:FREQ=WEEKLY;INTERVAL=2",
            "audience": "both",
            "follow_days": 7,
        },
    )
    assert response.status_code == 302
    assert PromptRule.objects.get(name="Bi-weekly sync").rrule == "FREQ=WEEKLY;INTERVAL=2"


def test_editing_a_rule_from_a_stale_page_is_refused(world: World) -> None:
    rule = services.ensure_default_rules(world.host)[0]
    client = world.client("host_owner")
    url = org_url(world, "host", f"prompts/rules/{rule.code}/")
    data = {
        "name": rule.name,
        "enabled": "on",
        "audience": "both",
        "rrule": rule.rrule,
        "days": rule.days or "",
        "follow_days": 9,
        "version": rule.version,
    }
    assert client.post(url, data).status_code == 302
    response = client.post(url, {**data, "follow_days": 3})  # the same, old version
    assert response.status_code == 409
    rule.refresh_from_db()
    assert rule.follow_days == 9 and rule.version == 2


def test_overrides_page_switches_a_rule_off_for_one_partnership(world: World) -> None:
    rules = services.ensure_default_rules(world.host)
    monthly = next(r for r in rules if r.name == "Monthly check-in")
    client = world.client("host_owner")
    url = org_url(world, "host", f"p/{world.partnership.code}/prompts/settings/")
    assert "Monthly check-in" in client.get(url).content.decode()
    assert client.post(url, {"rule": monthly.code}).status_code == 302
    assert PromptOverride.objects.get(rule=monthly).enabled is False
    response = client.post(url, {"rule": monthly.code, "enabled": "on", "rrule": "nonsense"})
    assert response.status_code == 400 and "Not a recurrence rule" in response.content.decode()


def test_effectiveness_counts_prompts_followed_within_the_window(world: World) -> None:
    rules = {r.kind: r for r in services.ensure_default_rules(world.host)}
    plan = Plan.objects.create(partnership=world.partnership)
    steps = [
        PlanStep.objects.create(
            plan=plan,
            partnership=world.partnership,
            phase="engage",
            title=f"Step {i}",
            owner_side="host",
            side=Side.HOST,
        )
        for i in range(3)
    ]
    with time_machine.travel(T0, tick=False):
        for i, found in enumerate(steps):
            prompt(
                world,
                kind=PromptKind.STEP_OVERDUE,
                rule=rules[PromptKind.STEP_OVERDUE],
                subject_code=found.code,
                action="step_done",
                dedupe_key=f"overdue:{i}",
            )
        prompt(world, rule=next(r for r in rules.values() if r.kind == PromptKind.CADENCE))
    # Step 0 done within the 7-day window, step 1 after it, step 2 never: 1 of 3.
    PlanStep.objects.filter(pk=steps[0].pk).update(
        status=StepStatus.DONE, done_at=T0 + timedelta(days=2)
    )
    PlanStep.objects.filter(pk=steps[1].pk).update(
        status=StepStatus.DONE, done_at=T0 + timedelta(days=9)
    )
    # The cadence prompt followed by a host check-in the next day: 1 of 1.
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        CheckIn.objects.create(partnership=world.partnership, side=Side.HOST, rating=3)
    with time_machine.travel(T0 + timedelta(days=20), tick=False):
        report = {
            r.kind: r for r in selectors.prompt_effectiveness(actor=world.actor("host_owner"))
        }
        page = world.client("host_owner").get(org_url(world, "host", "prompts/effectiveness/"))
    assert (report[PromptKind.STEP_OVERDUE].sent, report[PromptKind.STEP_OVERDUE].followed) == (
        3,
        1,
    )
    assert report[PromptKind.STEP_OVERDUE].rate == pytest.approx(0.3333, abs=1e-4)
    assert (report[PromptKind.CADENCE].sent, report[PromptKind.CADENCE].followed) == (1, 1)
    assert report[PromptKind.SILENCE].rate is None
    body = page.content.decode()
    assert 'data-chart="prompt-effectiveness"' in body and "33%" in body


def test_effectiveness_never_counts_another_hosts_prompts(world: World) -> None:
    services.ensure_default_rules(world.other_host_org)
    rule = PromptRule.objects.filter(host=world.other_host_org).first()
    Prompt.objects.create(
        dedupe_key="other",
        kind=rule.kind,
        rule=rule,
        partnership=world.foreign_partnership,
        recipient=world.other_host,
        organization=world.other_host_org,
        side=Side.HOST,
        title="Theirs",
    )
    report = selectors.prompt_effectiveness(actor=world.actor("host_owner"))
    assert sum(r.sent for r in report) == 0
