"""The feedback loop at scale: "what works" and the fairness report over 5,000 partnerships
and 200,000 activities.

A separate host gets 5,000 partnerships in working stages with tiers and fit bands, 40
activities each over the last year (kinds, both sides, a tenth private) with one or two
outcome views, 4 referrals each (half decided), 6 partner requests each (most answered),
12 host timeline entries of the last 120 days and a review or two — all from a fixed seed.
Then each report runs three times for the whole host; the figure is the median. The query
count of each report is measured again on a host of 50 partnerships: the 5,000 figure's
target is that one (counts must not grow with partners).
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

PARTNERSHIPS = 5_000
ACTIVITIES = 40  # per partnership: 200,000
REFERRALS = 4
REQUESTS = 6
HOST_LINES = 12
SMALL = 50
TARGET_S = 2.0
SEED = 5_005
TIERS = ["registered", "silver", "gold", "platinum", ""]
BANDS = ["high", "medium", "low"]
KINDS = [
    "account_mapping",
    "campaign",
    "joint_event",
    "referral_push",
    "enablement",
    "meeting",
    "integration",
    "other",
]
RESULTS = ["worked", "didnt", "mixed", "pending"]


def build(rng: random.Random, count: int, label: str) -> Any:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from bench.dataset import explicit_timestamps
    from partnerloop.accountability.models import PartnerRequest
    from partnerloop.accounts.models import Membership, Organization, Role
    from partnerloop.activities.models import Activity, Outcome
    from partnerloop.core.bulk import insert_rows
    from partnerloop.core.tenancy import Actor
    from partnerloop.fit import services as fit_services
    from partnerloop.fit.models import PartnershipFit
    from partnerloop.partnerships.models import Partnership, TimelineEvent
    from partnerloop.prompts.models import Event
    from partnerloop.referrals.models import Referral

    now = timezone.now()
    today = timezone.localdate()
    user = get_user_model().objects.create_user(
        username=f"loop-bench-{label}", email=f"{label}@loopbench.test"
    )
    host = Organization.objects.create(name=f"Loop Bench {label}", domain=f"loop-{label}.com")
    Membership.objects.create(user=user, organization=host, role=Role.OWNER)
    actor = Actor(user=user, organization=host, role=Role.OWNER)
    version = fit_services.ipp_create_from_template(actor=actor)
    fit_services.ipp_version_activate(actor=actor, version=version, change_note="Bench")
    orgs = Organization.objects.bulk_create(
        (
            Organization(name=f"Loop {label} partner {i:05}", domain=f"loop-{label}-{i:05}.com")
            for i in range(count)
        ),
        batch_size=2000,
    )

    def ago(days: float) -> Any:
        return now - timedelta(days=days)

    with explicit_timestamps(Partnership, Activity, TimelineEvent, Event, Referral):
        partnerships = Partnership.objects.bulk_create(
            (
                Partnership(
                    host=host,
                    partner=o,
                    stage=rng.choice(["onboarding", "active", "active", "strategic"]),
                    tier=rng.choice(TIERS),
                    host_owner=user,
                    created_at=ago(rng.uniform(120, 1095)),
                    updated_at=now,
                    stage_changed_at=now,
                )
                for o in orgs
            ),
            batch_size=2000,
        )
        PartnershipFit.objects.bulk_create(
            (
                PartnershipFit(
                    partnership=p,
                    version=version,
                    fit_score=rng.uniform(0, 100),
                    band=rng.choice(BANDS),
                    provisional=False,
                )
                for p in partnerships
            ),
            batch_size=2000,
        )
        activities = Activity.objects.bulk_create(
            (
                Activity(
                    partnership=p,
                    kind=rng.choice(KINDS),
                    title="Bench activity",
                    happened_on=today - timedelta(days=rng.randint(0, 365)),
                    side=rng.choice(["host", "partner"]),
                    visibility="private" if rng.random() < 0.1 else "shared",
                    created_at=now,
                    updated_at=now,
                )
                for p in partnerships
                for _ in range(ACTIVITIES)
            ),
            batch_size=5000,
        )
        outcomes = []
        for a in activities:
            for side in ("host", "partner") if rng.random() < 0.5 else (a.side,):
                outcomes.append(
                    {
                        "activity_id": a.pk,
                        "side": side,
                        "result": rng.choice(RESULTS),
                        "notes": "",
                        "version": 1,
                        "updated_at": now,
                    }
                )
        insert_rows(Outcome, outcomes, batch=5000)
        referrals = []
        for p in partnerships:
            for _ in range(REFERRALS):
                decided = rng.random() < 0.5
                accepted = decided and rng.random() < 0.7
                referrals.append(
                    Referral(
                        host=host,
                        partnership=p,
                        company="Bench company",
                        status=("accepted" if accepted else "declined") if decided else "submitted",
                        stage=rng.choice(["new", "qualified", "won", "lost"])
                        if accepted
                        else "new",
                        amount=Decimal(rng.randint(1, 50) * 1000) if accepted else None,
                        submitted_at=ago(rng.uniform(0, 200)),
                        decided_at=ago(rng.uniform(0, 100)) if decided else None,
                        updated_at=now,
                    )
                )
        Referral.objects.bulk_create(referrals, batch_size=5000)
        requests = []
        for p in partnerships:
            for _ in range(REQUESTS):
                asked = ago(rng.uniform(0, 120))
                answered = rng.random() < 0.85
                requests.append(
                    {
                        "partnership_id": p.pk,
                        "kind": rng.choice(["referral", "check_in", "comment"]),
                        "subject_code": f"{rng.getrandbits(40):010x}",
                        "summary": "",
                        "asked_at": asked,
                        "answered_at": asked + timedelta(hours=rng.expovariate(1 / 30))
                        if answered
                        else None,
                        "answered_by_id": user.pk if answered else None,
                    }
                )
        insert_rows(PartnerRequest, requests, batch=5000)
        TimelineEvent.objects.bulk_create(
            (
                TimelineEvent(
                    partnership=p,
                    side="host",
                    visibility="shared" if rng.random() < 0.85 else "private",
                    kind="note",
                    summary="Host touch",
                    created_at=ago(rng.uniform(0, 120)),
                )
                for p in partnerships
                for _ in range(rng.randint(0, HOST_LINES * 2))
            ),
            batch_size=5000,
        )
        Event.objects.bulk_create(
            (
                Event(
                    partnership=p,
                    kind="review",
                    title="Quarterly review",
                    starts_at=ago(rng.uniform(0, 120)),
                    status=rng.choice(["confirmed", "proposed", "cancelled"]),
                    side="host",
                    created_at=now,
                )
                for p in partnerships
                for _ in range(rng.randint(0, 2))
            ),
            batch_size=5000,
        )
    return actor


def _timed(run: Callable[[], Any]) -> tuple[float, list[float]]:
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        run()
        runs.append(time.perf_counter() - started)
    return round(statistics.median(runs), 3), runs


def _queries(run: Callable[[], Any]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        run()
    return len(ctx.captured_queries)


def reports(actor: Any) -> dict[str, Callable[[], Any]]:
    from django.utils import timezone

    from partnerloop.accountability.selectors import fairness_report
    from partnerloop.activities.selectors import what_works

    today = timezone.localdate()
    return {
        "what_works": lambda: what_works(actor=actor),
        "fairness": lambda: fairness_report(host=actor.organization, today=today),
    }


def measure(backend: str, add: Callable[[str, float, str, float | None], None]) -> None:
    from django.db import connection

    small = reports(build(random.Random(SEED + 1), SMALL, "small"))
    small_queries = {name: _queries(run) for name, run in small.items()}
    large = reports(build(random.Random(SEED), PARTNERSHIPS, "large"))
    if connection.vendor == "postgresql":
        # As for the other data sets: what autovacuum does soon after a bulk load.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    report = large["fairness"]()
    # The data set must give the report something to find, or the figure means little.
    assert len(report.partnerships) == PARTNERSHIPS and report.flags, "no fairness flags"
    print(
        f"   {backend} fairness: {len(report.groups)} peer groups, {len(report.flags)} flags",
        flush=True,
    )
    for name, run in large.items():
        run()  # warm
        figure, runs = _timed(run)
        queries = _queries(run)
        print(
            f"   {backend} {name}: {PARTNERSHIPS:,} partnerships, "
            f"{PARTNERSHIPS * ACTIVITIES:,} activities {figure:.2f} s "
            f"(runs: {', '.join(f'{r:.2f}' for r in runs)}; {queries} queries, "
            f"{small_queries[name]} at {SMALL})",
            flush=True,
        )
        add(f"{name}_5000_{backend}", figure, "s", TARGET_S)
        add(f"{name}_queries_{SMALL}_{backend}", small_queries[name], "queries", None)
        add(f"{name}_queries_5000_{backend}", queries, "queries", small_queries[name])
