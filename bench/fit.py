"""Fit at scale: rescoring 10,000 partnerships against a 30-criterion IPP, and the IPP test.

A separate host gets 10,000 partnerships, each with a submitted checklist from both sides
(15 *ours* and 15 *theirs* criteria), and a stage history. The active version is then
rescored with `services.rescore_all` and tested with `ipp_test.run_ipp_test`, the same
calls the pages make. The rescoring figure is the first one, where every partnership's
fit is new and written (the worst case; a rescore where nothing moved writes nothing);
the IPP test is timed three times and the median kept.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from typing import Any

PARTNERSHIPS = 10_000
CRITERIA_PER_SIDE = 15
TARGET_S = 1.0
KINDS = ["yes_no", "scale", "choice", "number"]


def _options(kind: str) -> list[dict[str, Any]]:
    if kind == "choice":
        return [{"label": f"Option {i}", "points": p} for i, p in enumerate((100, 60, 20, 0))]
    if kind == "number":
        return [
            {"min": None, "max": 1, "points": 0},
            {"min": 1, "max": 5, "points": 60},
            {"min": 5, "max": None, "points": 100},
        ]
    return []


def _value(kind: str, rng: random.Random) -> Any:
    if kind == "yes_no":
        return rng.choice(["yes", "no"])
    if kind == "scale":
        return rng.randint(1, 5)
    if kind == "choice":
        return f"Option {rng.randint(0, 3)}"
    return rng.randint(0, 9)


def build(rng: random.Random) -> tuple[Any, Any]:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from partnerloop.accounts.models import Membership, Organization, Role
    from partnerloop.core.tenancy import Actor
    from partnerloop.fit.models import Criterion, Evaluation, IppVersion, VersionStatus
    from partnerloop.partnerships.models import Partnership, StageChange

    user = get_user_model().objects.create_user(username="fit-bench", email="fit@bench.test")
    host = Organization.objects.create(name="Fit Bench Host", domain="fitbench.com")
    Membership.objects.create(user=user, organization=host, role=Role.OWNER)
    actor = Actor(user=user, organization=host, role=Role.OWNER)
    version = IppVersion.objects.create(
        host=host, number=1, status=VersionStatus.ACTIVE, activated_at=timezone.now()
    )
    criteria = Criterion.objects.bulk_create(
        Criterion(
            version=version,
            key=f"{direction}-{index}",
            question=f"Question {direction} {index}?",
            direction=direction,
            dimension="other",
            answer_kind=KINDS[index % 4],
            options=_options(KINDS[index % 4]),
            weight=1 + index % 5,
            knock_out=index == 0,
            position=index,
        )
        for direction in ("ours", "theirs")
        for index in range(CRITERIA_PER_SIDE)
    )
    signatures = {c.key: c.signature() for c in criteria}
    orgs = Organization.objects.bulk_create(
        Organization(name=f"Fit partner {i:05}", domain=f"fit-partner-{i:05}.com")
        for i in range(PARTNERSHIPS)
    )
    stages = ["prospect", "evaluating", "onboarding", "active", "strategic", "ended"]
    partnerships = Partnership.objects.bulk_create(
        (Partnership(host=host, partner=o, stage=rng.choice(stages)) for o in orgs),
        batch_size=1000,
    )
    StageChange.objects.bulk_create(
        (StageChange(partnership=p, to_stage=p.stage, reason="bench") for p in partnerships),
        batch_size=2000,
    )
    now = timezone.now()
    Evaluation.objects.bulk_create(
        (
            Evaluation(
                partnership=p,
                version=version,
                side="host" if direction == "ours" else "partner",
                status="submitted",
                submitted_at=now,
                answers={
                    c.key: {"value": _value(c.answer_kind, rng), "signature": signatures[c.key]}
                    for c in criteria
                    if c.direction == direction
                },
            )
            for p in partnerships
            for direction in ("ours", "theirs")
        ),
        batch_size=1000,
    )
    return actor, version


def measure(backend: str, add: Callable[[str, float, str, float | None], None]) -> None:
    from django.db import connection

    from partnerloop.fit import services
    from partnerloop.fit.ipp_test import run_ipp_test

    actor, version = build(random.Random(11))
    if connection.vendor == "postgresql":
        # As after the directory's data set (bench/run.py): what autovacuum does soon after a
        # bulk load, done now so it neither runs during the timed calls nor leaves the
        # planner without statistics for the new rows.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")

    def timed(call: Callable[[], Any]) -> float:
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            call()
            runs.append(time.perf_counter() - started)
        return round(statistics.median(runs), 3)

    started = time.perf_counter()
    report = services.rescore_all(actor=actor, version=version)
    rescore = round(time.perf_counter() - started, 3)
    assert report.scored == PARTNERSHIPS and len(report.moves) == PARTNERSHIPS
    test = timed(lambda: run_ipp_test(actor=actor, version=version))
    print(f"   {backend} fit: rescore {rescore:.2f} s, IPP test {test:.2f} s", flush=True)
    add(f"fit_rescore_10000x30_{backend}", rescore, "s", TARGET_S)
    add(f"fit_ipp_test_10000x30_{backend}", test, "s", TARGET_S)
