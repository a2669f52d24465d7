"""Prompts at scale: one scheduler pass over 5,000 partnerships with 20 rules.

A host of its own gets 5,000 working partnerships (both owners set), each with a plan of
10 steps (some overdue, some done without an outcome), a recent milestone on one in five,
an upcoming event on one in ten, partner activity at varied ages, and 20 prompt rules
(cadences with and without proposed reviews, and every trigger kind, some twice with
other days). Timed: the first pass (every prompt due is new and stored) and a second pass
at the same moment (everything already stored: nothing written).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

PARTNERSHIPS = 5_000
STEPS_PER_PLAN = 10
TARGET_S = 5.0


def rules_spec() -> list[dict[str, Any]]:
    """20 rules: the 9 defaults and 11 more of every kind."""
    from partnerloop.prompts.models import PromptKind
    from partnerloop.prompts.rules import DEFAULT_RULES

    extra: list[dict[str, Any]] = [
        {"kind": PromptKind.CADENCE, "name": "Weekly sync", "rrule": "FREQ=WEEKLY;BYDAY=MO"},
        {"kind": PromptKind.CADENCE, "name": "Bi-weekly", "rrule": "FREQ=WEEKLY;INTERVAL=2"},
        {
            "kind": PromptKind.CADENCE,
            "name": "Half-year review",
            "rrule": "FREQ=MONTHLY;INTERVAL=6;BYMONTHDAY=1",
            "days": 21,
        },
        {"kind": PromptKind.EVENT, "name": "Event tomorrow", "days": 1},
        {"kind": PromptKind.STEP_OVERDUE, "name": "Step a week late", "days": 7},
        {"kind": PromptKind.STEP_OVERDUE, "name": "Step a month late", "days": 30},
        {"kind": PromptKind.SILENCE, "name": "Partner quiet 45 days", "days": 45},
        {"kind": PromptKind.SILENCE, "name": "Partner quiet 90 days", "days": 90},
        {"kind": PromptKind.DID_IT_WORK, "name": "Did it work, a month on", "days": 30},
        {"kind": PromptKind.MILESTONE, "name": "Milestone this week", "days": 7},
        {"kind": PromptKind.REEVALUATE_FIT, "name": "Re-evaluate, a week on", "days": 7},
    ]
    # The waiting-request and share-back rules read partner requests and overlap sharing,
    # which this data set has none of; they are left out so that the figure stays
    # comparable with earlier runs.
    left_out = {PromptKind.REQUEST_WAITING, PromptKind.SHARE_BACK}
    defaults = [r for r in DEFAULT_RULES if r["kind"] not in left_out]
    return [*defaults, *extra]


def build(rng: random.Random) -> tuple[Any, Any]:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from partnerloop.accounts.models import Membership, Organization, Role
    from partnerloop.partnerships.models import Partnership, Side, TimelineEvent
    from partnerloop.plans.models import Milestone, Plan, PlanStep
    from partnerloop.prompts.models import Event, PromptRule

    now = timezone.now().replace(microsecond=0)
    User = get_user_model()
    host = Organization.objects.create(name="Prompt Bench Host", domain="promptbench.com")
    owner = User.objects.create_user(username="prompt-bench", email="owner@promptbench.com")
    Membership.objects.create(user=owner, organization=host, role=Role.OWNER)
    orgs = Organization.objects.bulk_create(
        Organization(name=f"Prompt partner {i:05}", domain=f"prompt-partner-{i:05}.com")
        for i in range(PARTNERSHIPS)
    )
    users = User.objects.bulk_create(
        (
            User(username=f"pp-{i:05}", email=f"admin@prompt-partner-{i:05}.com")
            for i in range(PARTNERSHIPS)
        ),
        batch_size=1000,
    )
    Membership.objects.bulk_create(
        (
            Membership(user=u, organization=o, role=Role.ADMIN)
            for u, o in zip(users, orgs, strict=True)
        ),
        batch_size=1000,
    )
    stages = ["onboarding", "active", "active", "strategic"]
    partnerships = Partnership.objects.bulk_create(
        (
            Partnership(
                host=host,
                partner=o,
                partner_owner=u,
                host_owner=owner,
                stage=rng.choice(stages),
            )
            for o, u in zip(orgs, users, strict=True)
        ),
        batch_size=1000,
    )
    # Started on every day of the last two years: cadences fall due on many days.
    for p in partnerships:
        p.created_at = now - timedelta(days=rng.randint(1, 730))
    Partnership.objects.bulk_update(partnerships, ["created_at"], batch_size=1000)
    plans = Plan.objects.bulk_create((Plan(partnership=p) for p in partnerships), batch_size=1000)
    today = now.date()
    steps = []
    for p, plan in zip(partnerships, plans, strict=True):
        for i in range(STEPS_PER_PLAN):
            done = i < 3
            steps.append(
                PlanStep(
                    plan=plan,
                    partnership=p,
                    phase=["start", "engage", "prove", "grow"][min(i // 3, 3)],
                    position=i,
                    title=f"Step {i}",
                    owner_side=rng.choice(["host", "partner", "both"]),
                    effort=rng.choice(["tiny", "small", "medium", "large"]),
                    side=Side.HOST,
                    # Spread along the plan: about one open step in ten is overdue.
                    due_on=today + timedelta(days=(i - 3) * 10 + rng.randint(-8, 8)),
                    status="done" if done else "open",
                    done_at=now - timedelta(days=rng.randint(1, 60)) if done else None,
                    done_side=rng.choice(["host", "partner"]) if done else "",
                    done_by=owner if done else None,
                )
            )
    PlanStep.objects.bulk_create(steps, batch_size=2000)
    Milestone.objects.bulk_create(
        (
            Milestone(
                partnership=p,
                key="first_campaign",
                title="First co-marketing campaign",
                reached_on=today - timedelta(days=rng.randint(0, 20)),
            )
            for p in partnerships[::5]
        ),
        batch_size=1000,
    )
    Event.objects.bulk_create(
        (
            Event(
                partnership=p,
                kind="joint_event",
                title="Joint webinar",
                starts_at=now + timedelta(days=rng.randint(1, 10)),
                side=Side.HOST,
            )
            for p in partnerships[::10]
        ),
        batch_size=1000,
    )
    events = TimelineEvent.objects.bulk_create(
        (
            TimelineEvent(partnership=p, side=Side.PARTNER, kind="note", summary="bench")
            for p in partnerships
        ),
        batch_size=2000,
    )
    for event in events:
        # Most partners were active lately; a long tail has gone quiet.
        event.created_at = now - timedelta(days=min(200.0, rng.expovariate(1 / 12)))
    TimelineEvent.objects.bulk_update(events, ["created_at"], batch_size=2000)
    PromptRule.objects.bulk_create(PromptRule(host=host, **spec) for spec in rules_spec())
    return host, now


def measure(backend: str, add: Callable[[str, float, str, float | None], None]) -> None:
    from django.db import connection

    from partnerloop.prompts.models import Prompt
    from partnerloop.prompts.scheduler import run_pass

    host, now = build(random.Random(23))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    started = time.perf_counter()
    first = run_pass(now=now, host_ids=[host.pk])
    first_s = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    again = run_pass(now=now, host_ids=[host.pk])
    again_s = round(time.perf_counter() - started, 3)
    stored = Prompt.objects.filter(partnership__host=host).count()
    assert first.rules == 20 and first.partnerships == PARTNERSHIPS
    assert again.created == 0 and stored == first.created, (stored, first.created)
    print(
        f"   {backend} scheduler: first pass {first_s:.2f} s ({first.created} prompts, "
        f"{first.reviews_proposed} reviews), second pass {again_s:.2f} s",
        flush=True,
    )
    add(f"scheduler_pass_5000x20_{backend}", first_s, "s", TARGET_S)
    add(f"scheduler_repeat_pass_5000x20_{backend}", again_s, "s", TARGET_S)
