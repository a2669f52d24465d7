"""Every prompt rule under frozen time, and the scheduler's once-only guarantee."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection

from partnerloop.conftest import World
from partnerloop.fit import services as fit_services
from partnerloop.fit.models import Evaluation, EvaluationStatus
from partnerloop.partnerships.models import Partnership, Side, Stage, TimelineEvent, Visibility
from partnerloop.plans.models import Milestone, Plan, PlanStep, StepStatus
from partnerloop.prompts import scheduler, services
from partnerloop.prompts.models import (
    Audience,
    CheckIn,
    Event,
    EventStatus,
    Prompt,
    PromptKind,
    PromptOverride,
    PromptPreference,
    PromptRule,
)

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def at(days: float = 0, hours: float = 0) -> datetime:
    return T0 + timedelta(days=days, hours=hours)


@pytest.fixture
def active(world: World) -> World:
    """The world's partnership, active since 20 Jan 2026, with the default rules."""
    with time_machine.travel(datetime(2026, 1, 20, 10, tzinfo=UTC), tick=False):
        Partnership.objects.filter(pk=world.partnership.pk).update(
            stage=Stage.ACTIVE, created_at=datetime(2026, 1, 20, 10, tzinfo=UTC)
        )
        # Keep the other partnership out of the way: only the world's one is live.
        Partnership.objects.filter(pk=world.other_partnership.pk).update(stage=Stage.ENDED)
    services.ensure_default_rules(world.host)
    world.partnership.refresh_from_db()
    return world


def only(world: World, *kinds: str) -> None:
    """Switch every rule of the host off except these kinds."""
    PromptRule.objects.filter(host=world.host).exclude(kind__in=kinds).update(enabled=False)


def run(now: datetime) -> scheduler.PassReport:
    with time_machine.travel(now, tick=False):
        return scheduler.run_pass(now=now)


def step(world: World, **fields: object) -> PlanStep:
    plan, _ = Plan.objects.get_or_create(partnership=world.partnership)
    defaults = {
        "phase": "engage",
        "title": "First co-marketing campaign",
        "owner_side": "partner",
        "effort": "small",
        "side": Side.HOST,
    }
    return PlanStep.objects.create(
        plan=plan, partnership=world.partnership, **{**defaults, **fields}
    )


def prompts(kind: str | None = None) -> list[Prompt]:
    qs = Prompt.objects.order_by("side", "recipient_id")
    return list(qs.filter(kind=kind) if kind else qs)


# Cadence ---------------------------------------------------------------------------------


def test_monthly_check_in_prompts_both_owners_once_per_occurrence(active: World) -> None:
    only(active, PromptKind.CADENCE)
    PromptRule.objects.filter(host=active.host, name="Quarterly business review").update(
        enabled=False
    )
    # 1 March 09:30: the 1 March 09:00 occurrence is due.
    report = run(at())
    assert report.created == 2
    sent = prompts(PromptKind.CADENCE)
    assert {(p.side, p.recipient_id) for p in sent} == {
        (Side.HOST, active.host_owner.pk),
        (Side.PARTNER, active.partner_user.pk),
    }
    assert sent[0].action == "check_in"
    assert "Acme Integrations" in next(p.title for p in sent if p.side == Side.HOST)
    assert "Northwind Analytics" in next(p.title for p in sent if p.side == Side.PARTNER)
    # Later the same month: nothing new. April: the next occurrence.
    assert run(at(days=10)).created == 0
    assert run(datetime(2026, 4, 1, 9, 5, tzinfo=UTC)).created == 2
    assert Prompt.objects.count() == 4


def test_cadence_does_not_prompt_late_after_a_long_stop(active: World) -> None:
    only(active, PromptKind.CADENCE)
    # The worker was down from 1 March to 20 March: the 1 March occurrence is not sent late.
    assert run(datetime(2026, 3, 20, 12, tzinfo=UTC)).created == 0


def test_quarterly_review_proposes_a_review_to_confirm(active: World) -> None:
    only(active, PromptKind.CADENCE)
    PromptRule.objects.filter(host=active.host, name="Monthly check-in").update(enabled=False)
    # Quarterly from the partnership's start (January): January, April, July, October.
    assert run(at()).created == 0
    report = run(datetime(2026, 4, 1, 10, tzinfo=UTC))
    assert report.reviews_proposed == 1 and report.created == 2
    review = Event.objects.get()
    assert review.status == EventStatus.PROPOSED
    assert review.starts_at == datetime(2026, 4, 15, 9, tzinfo=UTC)  # occurrence + 14 days
    assert {p.subject_code for p in prompts()} == {review.code}
    assert {p.action for p in prompts()} == {"confirm_event"}
    # A second pass proposes no second review.
    assert run(datetime(2026, 4, 1, 11, tzinfo=UTC)).reviews_proposed == 0
    assert Event.objects.count() == 1


def test_override_switches_a_rule_off_or_changes_its_recurrence(active: World) -> None:
    only(active, PromptKind.CADENCE)
    monthly = PromptRule.objects.get(host=active.host, name="Monthly check-in")
    PromptRule.objects.filter(host=active.host, name="Quarterly business review").update(
        enabled=False
    )
    owner = active.actor("host_owner")
    services.override_set(actor=owner, partnership=active.partnership, rule=monthly, enabled=False)
    assert run(at()).created == 0
    # Weekly on Mondays instead: 2 March 2026 is a Monday.
    services.override_set(
        actor=owner,
        partnership=active.partnership,
        rule=monthly,
        enabled=True,
        rrule="FREQ=WEEKLY;BYDAY=MO",
    )
    assert run(datetime(2026, 3, 2, 9, 1, tzinfo=UTC)).created == 2
    # Back to the default: the override row is gone.
    services.override_set(actor=owner, partnership=active.partnership, rule=monthly, enabled=True)
    assert not PromptOverride.objects.exists()


def test_audience_and_user_preferences_choose_the_recipients(active: World) -> None:
    only(active, PromptKind.CADENCE)
    PromptRule.objects.filter(host=active.host, kind=PromptKind.CADENCE).update(
        audience=Audience.PARTNER
    )
    PromptPreference.objects.create(user=active.partner_user, muted_kinds=[PromptKind.CADENCE])
    assert run(at()).created == 0
    PromptPreference.objects.filter(user=active.partner_user).update(muted_kinds=[])
    assert run(at()).created == 1
    assert prompts()[0].recipient_id == active.partner_user.pk


def test_a_side_without_owner_is_prompted_through_its_writers(active: World) -> None:
    only(active, PromptKind.CADENCE)
    PromptRule.objects.filter(host=active.host, name="Quarterly business review").update(
        enabled=False
    )
    Partnership.objects.filter(pk=active.partnership.pk).update(partner_owner=None)
    run(at())
    partner_side = {p.recipient_id for p in prompts() if p.side == Side.PARTNER}
    # Admin and member write; nobody else in the partner organization.
    assert partner_side == {active.partner_user.pk, active.partner_member.pk}


# Triggers --------------------------------------------------------------------------------


def test_overdue_step_nudges_its_owner_side_with_a_one_click_action(active: World) -> None:
    only(active, PromptKind.STEP_OVERDUE)
    late = step(active, due_on=date(2026, 2, 27), owner_side="partner")
    step(active, due_on=date(2026, 3, 1), owner_side="host", title="Due today")
    step(active, due_on=date(2026, 2, 1), status=StepStatus.DONE, title="Done already")
    run(at())
    [nudge] = prompts(PromptKind.STEP_OVERDUE)
    assert nudge.recipient_id == active.partner_user.pk
    assert nudge.action == "step_done" and nudge.subject_code == late.code
    assert "2 days overdue" in nudge.title
    assert run(at(hours=3)).created == 0
    # A new due date is a new nudge once it too is missed.
    PlanStep.objects.filter(pk=late.pk).update(due_on=date(2026, 3, 3))
    run(at(days=1))
    assert Prompt.objects.filter(subject_code=late.code).count() == 1
    run(at(days=4))
    assert Prompt.objects.filter(subject_code=late.code).count() == 2


def test_a_private_step_is_never_mentioned_to_the_other_side(active: World) -> None:
    only(active, PromptKind.STEP_OVERDUE)
    step(
        active,
        due_on=date(2026, 2, 20),
        owner_side="both",
        visibility=Visibility.PRIVATE,
        side=Side.HOST,
        title="Check their references quietly",
    )
    run(at())
    assert {p.side for p in prompts()} == {Side.HOST}
    assert not Prompt.objects.filter(title__contains="references", side=Side.PARTNER).exists()


def test_milestone_celebration_reaches_both_sides_and_first_revenue_is_its_own(
    active: World,
) -> None:
    only(active, PromptKind.MILESTONE, PromptKind.FIRST_REVENUE)
    Milestone.objects.create(
        partnership=active.partnership,
        key="first_campaign",
        title="First co-marketing campaign",
        reached_on=date(2026, 2, 28),
    )
    Milestone.objects.create(
        partnership=active.partnership,
        key="first_revenue",
        title="First revenue",
        reached_on=date(2026, 3, 1),
    )
    # Too old to celebrate now.
    Milestone.objects.create(
        partnership=active.partnership, key="intro_call", title="Intro", reached_on=date(2026, 1, 2)
    )
    run(at())
    assert {(p.kind, p.side) for p in prompts()} == {
        (PromptKind.MILESTONE, Side.HOST),
        (PromptKind.MILESTONE, Side.PARTNER),
        (PromptKind.FIRST_REVENUE, Side.HOST),
        (PromptKind.FIRST_REVENUE, Side.PARTNER),
    }
    assert all(p.celebration for p in prompts())
    assert run(at(days=1)).created == 0


def test_silence_re_engages_with_one_tiny_step_once_per_quiet_spell(active: World) -> None:
    only(active, PromptKind.SILENCE)
    step(active, title="Big launch", effort="large")
    step(active, title="Send one intro email", effort="tiny")
    with time_machine.travel(at(days=-10), tick=False):
        TimelineEvent.objects.create(
            partnership=active.partnership, side=Side.PARTNER, kind="note", summary="hi"
        )
    assert run(at()).created == 0  # 10 days quiet: fine
    assert run(at(days=11)).created == 2  # 21 days quiet
    host = next(p for p in prompts() if p.side == Side.HOST)
    assert "quiet for 21 days" in host.title
    assert "Send one intro email" in host.body  # the tiniest open step
    assert run(at(days=15)).created == 0  # the same quiet spell
    # The partner writes a check-in; after 21 more quiet days, a new spell prompts again.
    with time_machine.travel(at(days=16), tick=False):
        CheckIn.objects.create(partnership=active.partnership, side=Side.PARTNER, rating=4)
    assert run(at(days=30)).created == 0
    assert run(at(days=38)).created == 2


def test_did_it_work_asks_whoever_did_the_step(active: World) -> None:
    only(active, PromptKind.DID_IT_WORK)
    done = step(
        active,
        status=StepStatus.DONE,
        done_at=at(days=-15),
        done_side=Side.PARTNER,
        done_by=active.partner_member,
    )
    step(active, status=StepStatus.DONE, done_at=at(days=-3), done_side=Side.HOST, title="Recent")
    step(
        active,
        status=StepStatus.DONE,
        done_at=at(days=-20),
        done_side=Side.HOST,
        outcome="worked",
        title="Answered",
    )
    run(at())
    [ask] = prompts()
    assert ask.recipient_id == active.partner_member.pk
    assert ask.action == "did_it_work" and ask.subject_code == done.code


def test_a_partner_request_past_its_target_reminds_the_host_once(active: World) -> None:
    from partnerloop.accountability.models import PartnerRequest, ResponseTarget
    from partnerloop.accountability.responsiveness import request_answered

    only(active, PromptKind.REQUEST_WAITING)
    ResponseTarget.objects.create(host=active.host, kind="comment", hours=6)

    def ask(kind: str, code: str, hours_ago: float) -> None:
        PartnerRequest.objects.create(
            partnership=active.partnership,
            kind=kind,
            subject_code=code,
            summary="Globex" if kind == "referral" else "",
            asked_at=at(hours=-hours_ago),
        )

    ask("referral", "ref1", 49)  # past the default 48 h
    ask("referral", "ref2", 47)  # not yet
    ask("comment", "act1", 7)  # past the host's own 6 h
    ask("check_in", "chk1", 24 * 40)  # older than the 30-day horizon: the report shows it
    run(at())
    reminders = prompts(PromptKind.REQUEST_WAITING)
    assert {(p.side, p.action, p.subject_code) for p in reminders} == {
        ("host", "answer_referral", "ref1"),
        ("host", "answer_comment", "act1"),
    }
    referral = next(p for p in reminders if p.subject_code == "ref1")
    assert referral.title == (
        f"{active.partner.name} is waiting for your answer to a referral: Globex"
    )
    run(at(hours=0.5))  # once per request (ref2 is then at 47.5 h)
    assert len(prompts(PromptKind.REQUEST_WAITING)) == 2
    # Answering it marks the reminder followed (prompt effectiveness).
    with time_machine.travel(at(hours=0.75), tick=False):
        request_answered(
            partnership=active.partnership,
            kind="referral",
            subject_code="ref1",
            answered_by=active.actor("host_owner").user,
        )
    referral.refresh_from_db()
    assert referral.acted_at is not None
    assert Prompt.objects.get(subject_code="act1").acted_at is None


def test_new_ipp_version_asks_to_re_evaluate_answered_partnerships(active: World) -> None:
    only(active, PromptKind.REEVALUATE_FIT)
    owner = active.actor("host_owner")
    with time_machine.travel(at(days=-40), tick=False):
        v1 = fit_services.ipp_create_from_template(actor=owner)
        fit_services.ipp_version_activate(actor=owner, version=v1, change_note="First")
        Evaluation.objects.create(
            partnership=active.partnership,
            version=v1,
            side=Side.HOST,
            status=EvaluationStatus.SUBMITTED,
            submitted_at=at(days=-40),
            answers={},
        )
    assert run(at()).created == 0  # v1 is 40 days old, and answered
    with time_machine.travel(at(days=-1), tick=False):
        v2 = fit_services.ipp_version_new_draft(actor=owner, based_on=v1)
        fit_services.ipp_version_activate(actor=owner, version=v2, change_note="Second")
    run(at())
    [ask] = prompts()
    assert ask.side == Side.HOST and ask.recipient_id == active.host_owner.pk
    assert ask.action == "checklist" and "Version 2" in ask.title


def test_upcoming_event_reminds_both_sides(active: World) -> None:
    only(active, PromptKind.EVENT)
    Event.objects.create(
        partnership=active.partnership,
        kind="joint_event",
        title="Webinar",
        starts_at=at(days=5),
        place="Online",
        side=Side.HOST,
        status=EventStatus.CONFIRMED,
    )
    Event.objects.create(
        partnership=active.partnership,
        kind="review",
        title="Far away",
        starts_at=at(days=30),
        side=Side.HOST,
    )
    run(at())
    assert {(p.side, p.action) for p in prompts()} == {(Side.HOST, ""), (Side.PARTNER, "")}
    assert all("Webinar" in p.title for p in prompts())


def test_ended_partnerships_hear_nothing(active: World) -> None:
    Partnership.objects.filter(pk=active.partnership.pk).update(stage=Stage.ENDED)
    step(active, due_on=date(2026, 2, 1))
    assert run(at()).created == 0


# Once only -------------------------------------------------------------------------------


def busy(world: World) -> None:
    """Something due for most rules at T0."""
    step(world, due_on=date(2026, 2, 20))
    Milestone.objects.create(
        partnership=world.partnership, key="first_campaign", title="Campaign", reached_on=T0.date()
    )


def test_running_the_pass_twice_stores_nothing_twice(active: World) -> None:
    busy(active)
    first = run(at())
    assert first.created >= 5
    keys = set(Prompt.objects.values_list("dedupe_key", flat=True))
    assert run(at()).created == 0
    assert run(at(hours=1)).created == 0
    assert set(Prompt.objects.values_list("dedupe_key", flat=True)) == keys


def test_a_pass_that_crashes_half_way_loses_and_duplicates_nothing(
    active: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    busy(active)
    expected = run(at()).created
    Prompt.objects.all().delete()
    Event.objects.all().delete()
    real = scheduler.insert_rows

    def crash(model: object, rows: list, **kwargs: object) -> None:
        real(model, rows[: len(rows) // 2], **kwargs)  # half the batch is written...
        raise RuntimeError("worker killed")  # ...and the process dies

    monkeypatch.setattr(scheduler, "insert_rows", crash)
    with pytest.raises(RuntimeError):
        run(at())
    assert Prompt.objects.count() == 0  # the batch is one transaction: nothing half-written
    monkeypatch.setattr(scheduler, "insert_rows", real)
    assert run(at()).created == expected
    assert run(at()).created == 0


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_once_store_each_prompt_once(active: World) -> None:
    busy(active)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            run(at())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        "file:memorydb"
    ):
        pytest.skip("in-memory SQLite is one connection; PostgreSQL runs this test")
    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # SQLite serialises writers: the loser may time out on the lock, never duplicate.
    assert not [e for e in errors if "locked" not in str(e)]
    keys = list(Prompt.objects.values_list("dedupe_key", flat=True))
    assert len(keys) == len(set(keys)) >= 5
    assert Event.objects.filter(rule__isnull=False).count() <= 1


# Share the overlap back --------------------------------------------------------------------


def _share(world: World, side: str, key: str, level: str, when: datetime) -> None:
    from partnerloop.overlap.models import OverlapSharing

    with time_machine.travel(when, tick=False):
        OverlapSharing.objects.update_or_create(
            partnership=world.partnership,
            side=side,
            population_key=key,
            defaults={"level": level},
        )


def test_one_side_sharing_asks_the_other_to_share_back_once(active: World) -> None:
    from django.urls import reverse

    from partnerloop.overlap.models import Level
    from partnerloop.prompts.selectors import prompt_effectiveness
    from partnerloop.prompts.views import prompt_target

    only(active, PromptKind.SHARE_BACK)
    _share(active, Side.PARTNER, "customers", Level.HIDDEN, at(days=-10))
    assert run(at()).created == 0  # hidden is not sharing
    _share(active, Side.PARTNER, "customers", Level.COUNTS, at(days=-2))
    assert run(at()).created == 0  # shared two days ago: the host may still do it unasked
    assert run(at(days=1)).created == 1
    [ask] = prompts(PromptKind.SHARE_BACK)
    assert (ask.side, ask.recipient_id, ask.action) == (
        Side.HOST,
        active.host_owner.pk,
        "share_overlap",
    )
    assert ask.title == f"{active.partner.name} shares its account overlap with you: share back"
    assert "customers" not in ask.title + ask.body  # no population named
    assert prompt_target(ask, active.host.code) == reverse(
        "overlap_sharing", kwargs={"org": active.host.code, "code": active.partnership.code}
    )
    assert run(at(days=2)).created == 0  # once
    # The host shares back: the prompt was followed, and nobody is asked again.
    _share(active, Side.HOST, "prospects", Level.ACCOUNTS, at(days=4))
    [figures] = [
        e
        for e in prompt_effectiveness(actor=active.actor("host_owner"), until=at(days=5))
        if e.kind == PromptKind.SHARE_BACK
    ]
    assert (figures.sent, figures.followed) == (1, 1)
    assert run(at(days=30)).created == 0


def test_share_back_asks_the_partner_too_but_not_after_two_months(active: World) -> None:
    from partnerloop.overlap.models import Level

    only(active, PromptKind.SHARE_BACK)
    _share(active, Side.HOST, "customers", Level.ACCOUNTS, at(days=-61))
    assert run(at()).created == 0  # past the horizon
    _share(active, Side.HOST, "customers", Level.COUNTS, at(days=-5))  # changed: shares anew
    run(at())
    [ask] = prompts(PromptKind.SHARE_BACK)
    assert ask.side == Side.PARTNER and ask.recipient_id == active.partner_user.pk
    assert active.host.name in ask.title
