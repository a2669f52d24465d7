"""MAP health at scale: `compute_health(host=...)` over 5,000 partnerships.

A separate host gets 5,000 partnerships created over the last three years, each with a
plan of 10 steps (phases, efforts, owners, due dates; about half done, some by the
partner, a few private or skipped), 1–2 reviews or events around now, 3 check-ins and
10 timeline entries of the last 120 days, both sides' submitted fit checklists against
the built-in IPP, a monthly cadence rule and overrides on a fifth of the partnerships
(off, or weekly) — all with `bulk_create` from a fixed seed. Then `compute_health` runs
three times for the whole host; the first run inserts every current health and snapshot,
the next ones update them (same day). The figure is the median of the three.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

PARTNERSHIPS = 5_000
STEPS = 10
TARGET_S = 2.0
SEED = 5_000
PHASES = ["start", "engage", "prove", "grow"]
EFFORTS = ["tiny", "small", "medium", "large"]


def build(rng: random.Random) -> Any:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from bench.dataset import explicit_timestamps
    from partnerloop.accounts.models import Membership, Organization, Role
    from partnerloop.core.tenancy import Actor
    from partnerloop.fit import services as fit_services
    from partnerloop.fit.models import Evaluation
    from partnerloop.partnerships.models import Partnership, TimelineEvent
    from partnerloop.plans.models import Plan, PlanStep
    from partnerloop.prompts.models import CheckIn, Event, PromptOverride, PromptRule

    now = timezone.now()
    user = get_user_model().objects.create_user(username="health-bench", email="h@bench.test")
    host = Organization.objects.create(name="Health Bench Host", domain="healthbench.com")
    Membership.objects.create(user=user, organization=host, role=Role.OWNER)
    actor = Actor(user=user, organization=host, role=Role.OWNER)
    version = fit_services.ipp_create_from_template(actor=actor)
    fit_services.ipp_version_activate(actor=actor, version=version, change_note="Bench")
    orgs = Organization.objects.bulk_create(
        (
            Organization(name=f"Health partner {i:05}", domain=f"health-partner-{i:05}.com")
            for i in range(PARTNERSHIPS)
        ),
        batch_size=2000,
    )

    def ago(days: float) -> Any:
        return now - timedelta(days=days)

    with explicit_timestamps(Partnership, PlanStep, CheckIn, TimelineEvent, Event):
        partnerships = Partnership.objects.bulk_create(
            (
                Partnership(
                    host=host,
                    partner=o,
                    created_at=ago(rng.uniform(1, 1095)),
                    updated_at=now,
                    stage_changed_at=now,
                )
                for o in orgs
            ),
            batch_size=2000,
        )
        plans = Plan.objects.bulk_create(
            (Plan(partnership=p) for p in partnerships), batch_size=2000
        )
        steps = []
        for plan in plans:
            for i in range(STEPS):
                done = rng.random() < 0.5
                done_side = rng.choice(["host", "partner"])
                private = rng.random() < 0.1
                steps.append(
                    PlanStep(
                        plan=plan,
                        partnership_id=plan.partnership_id,
                        key=f"s{i}",
                        phase=PHASES[i * len(PHASES) // STEPS],
                        position=i,
                        title=f"Step {i}",
                        owner_side=rng.choice(["host", "partner", "both"]),
                        effort=rng.choice(EFFORTS),
                        due_on=(now + timedelta(days=rng.randint(-60, 60))).date(),
                        status="skipped" if rng.random() < 0.05 else ("done" if done else "open"),
                        visibility="private" if private else "shared",
                        side=done_side if private else "host",
                        done_at=ago(rng.uniform(0, 90)) if done else None,
                        done_side=done_side if done else "",
                        created_at=now,
                        updated_at=now,
                    )
                )
        PlanStep.objects.bulk_create(steps, batch_size=5000)
        Event.objects.bulk_create(
            (
                Event(
                    partnership=p,
                    kind=rng.choice(["review", "joint_event"]),
                    title="Quarterly review",
                    starts_at=now + timedelta(days=rng.uniform(-30, 45)),
                    status=rng.choice(["proposed", "confirmed", "cancelled"]),
                    side="host",
                    created_at=now,
                )
                for p in partnerships
                for _ in range(rng.randint(1, 2))
            ),
            batch_size=5000,
        )
        CheckIn.objects.bulk_create(
            (
                CheckIn(
                    partnership=p,
                    side=rng.choice(["host", "partner"]),
                    rating=rng.randint(1, 5),
                    visibility="shared" if rng.random() < 0.9 else "private",
                    created_at=ago(rng.uniform(0, 120)),
                )
                for p in partnerships
                for _ in range(3)
            ),
            batch_size=5000,
        )
        TimelineEvent.objects.bulk_create(
            (
                TimelineEvent(
                    partnership=p,
                    side=rng.choice(["host", "partner"]),
                    visibility="shared" if rng.random() < 0.8 else "private",
                    kind="note",
                    summary="Something happened",
                    created_at=ago(rng.uniform(0, 120)),
                )
                for p in partnerships
                for _ in range(10)
            ),
            batch_size=5000,
        )
    rule = PromptRule.objects.create(
        host=host, kind="cadence", name="Monthly review", rrule="FREQ=MONTHLY"
    )
    PromptOverride.objects.bulk_create(
        (
            PromptOverride(
                partnership=p,
                rule=rule,
                enabled=rng.random() < 0.5,
                rrule="FREQ=WEEKLY;BYDAY=MO",
            )
            for p in rng.sample(partnerships, PARTNERSHIPS // 5)
        ),
        batch_size=2000,
    )
    Evaluation.objects.bulk_create(
        (
            Evaluation(
                partnership=p,
                version=version,
                side=side,
                status="submitted",
                submitted_at=now,
                answers={key: {"value": rng.choice(["yes", "no"])}},
            )
            for p in partnerships
            for side, key in (("host", "executive-sponsor"), ("partner", "their-sponsor"))
        ),
        batch_size=2000,
    )
    return host


def measure(backend: str, add: Callable[[str, float, str, float | None], None]) -> None:
    from django.db import connection

    from partnerloop.health.models import HealthSnapshot
    from partnerloop.health.services import compute_health

    host = build(random.Random(SEED))
    if connection.vendor == "postgresql":
        # As for the other data sets: what autovacuum does soon after a bulk load.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        computed = compute_health(host=host)
        runs.append(time.perf_counter() - started)
        assert computed == PARTNERSHIPS
    assert HealthSnapshot.objects.filter(partnership__host=host).count() == PARTNERSHIPS
    figure = round(statistics.median(runs), 3)
    print(
        f"   {backend} health: compute_health for {PARTNERSHIPS:,} partnerships "
        f"{figure:.2f} s (runs: {', '.join(f'{r:.2f}' for r in runs)})",
        flush=True,
    )
    add(f"health_5000_{backend}", figure, "s", TARGET_S)
