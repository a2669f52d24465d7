"""The IPP test and the outcome score, against hand-computed figures."""

from __future__ import annotations

import csv
import gc
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from partnerloop.accounts.models import Organization
from partnerloop.conftest import World
from partnerloop.fit import ipp_test as ipp_test_module
from partnerloop.fit import outcomes, services
from partnerloop.fit.ipp_test import (
    ScoredPartnership,
    average_ranks,
    criterion_lifts,
    run_ipp_test,
    spearman,
    split_report,
)
from partnerloop.fit.models import (
    Evaluation,
    EvaluationStatus,
    FitSnapshot,
    IppVersion,
    PartnershipFit,
)
from partnerloop.fit.outcomes import outcome_scores
from partnerloop.fit.scoring import CriterionSpec
from partnerloop.fit.services import gc_paused
from partnerloop.fit.tests.test_services import small_version
from partnerloop.partnerships.models import Partnership, StageChange

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_average_ranks_share_ties() -> None:
    assert average_ranks([10, 20, 20, 30]) == [1, 2.5, 2.5, 4]
    assert average_ranks([5, 5, 5]) == [2, 2, 2]


def test_spearman() -> None:
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == 1
    assert spearman([1, 2, 3, 4], [40, 30, 20, 10]) == -1
    # ranks x: 1 2 3 4 5, y: 2 1 4 3 5 → d² = 1+1+1+1+0 = 4 → 1 − 6·4/(5·24) = 0.8
    assert spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]) == pytest.approx(0.8)
    assert spearman([1, 1, 1], [1, 2, 3]) is None  # no spread
    assert spearman([1, 2], [1, 2]) is None  # too few


def row(
    fit: float, band: str, outcome: float, points: dict[str, float] | None = None
) -> ScoredPartnership:
    return ScoredPartnership(
        code="x",
        name="x",
        fit_score=fit,
        band=band,
        outcome=outcome,
        success=outcome >= 0.6,
        created_at=NOW,
        points=points or {},
    )


def test_split_report_by_hand() -> None:
    rows = [
        row(90, "high", 1.0),  # success
        row(80, "high", 0.7),  # success
        row(75, "high", 0.2),
        row(50, "medium", 0.7),  # success
        row(45, "medium", 0.0),
        row(10, "low", 0.0),
    ]
    report = split_report("All", rows)
    assert (report.count, report.successes, report.high_count) == (6, 3, 3)
    assert report.high_success_rate == pytest.approx(2 / 3, abs=1e-4)
    assert report.rest_success_rate == pytest.approx(1 / 3, abs=1e-4)
    assert report.separation == pytest.approx(1 / 3, abs=1e-3)
    assert report.recall == pytest.approx(2 / 3, abs=1e-4)


def test_criterion_lift_by_hand() -> None:
    spec = CriterionSpec(key="k", direction="ours", answer_kind="yes_no", weight=1, question="k?")
    rows = [
        row(90, "high", 1.0, {"k": 1.0}),
        row(80, "high", 0.7, {"k": 1.0}),
        row(50, "medium", 0.0, {"k": 0.0}),
        row(40, "medium", 0.0, {"k": 0.0}),
        row(10, "low", 0.0),  # did not answer k
    ]
    (lift,) = criterion_lifts([spec], rows)
    # Strong answers: 2 of 2 succeeded; all that answered: 2 of 4 → lift 1.0 / 0.5 = 2.
    assert (lift.answered, lift.strong, lift.lift) == (4, 2, 2.0)


@time_machine.travel(NOW, tick=False)
def test_outcome_scores_from_stage_history(world: World) -> None:
    def make(name: str, stages: list[str], now_stage: str, stage_age_days: int = 1) -> Partnership:
        org = Organization.objects.create(name=name, domain=f"{name}.com")
        p = Partnership.objects.create(host=world.host, partner=org, stage=now_stage)
        for stage in stages:
            StageChange.objects.create(partnership=p, to_stage=stage, reason="r")
        Partnership.objects.filter(pk=p.pk).update(
            stage_changed_at=NOW - timedelta(days=stage_age_days)
        )
        p.refresh_from_db()
        return p

    strategic = make("s", ["prospect", "active", "strategic"], "strategic")
    ended_late = make("el", ["prospect", "active", "ended"], "ended")
    ended_early = make("ee", ["prospect", "evaluating", "ended"], "ended")
    stalled = make("st", ["prospect", "onboarding"], "onboarding", stage_age_days=200)
    fresh = make("fr", ["prospect", "onboarding"], "onboarding", stage_age_days=10)
    scores = outcome_scores([strategic, ended_late, ended_early, stalled, fresh], now=NOW)
    assert scores[strategic.pk] == 1.0
    assert scores[ended_late.pk] == pytest.approx(0.7 * 2 / 3, abs=1e-4)
    assert scores[ended_early.pk] == 0
    assert scores[stalled.pk] == pytest.approx(0.3)
    assert scores[fresh.pk] == pytest.approx(0.4)


@time_machine.travel(NOW, tick=False)
def test_run_ipp_test_end_to_end_with_recent_and_older(world: World) -> None:
    version = small_version(world)
    signature = {c.key: c.signature() for c in version.criteria.all()}
    cases = [
        ("good", "yes", 5, "strategic", 30),
        ("ok", "yes", 1, "active", 400),
        ("bad", "no", 1, "prospect", 30),
    ]
    for name, sponsor, offer, stage, age in cases:
        org = Organization.objects.create(name=name, domain=f"{name}.com")
        p = Partnership.objects.create(host=world.host, partner=org, stage=stage)
        StageChange.objects.create(partnership=p, to_stage=stage, reason="r")
        Partnership.objects.filter(pk=p.pk).update(created_at=NOW - timedelta(days=age))
        Evaluation.objects.create(
            partnership=p,
            version=version,
            side="host",
            status=EvaluationStatus.SUBMITTED,
            submitted_at=NOW,
            answers={
                "sponsor": {"value": sponsor, "signature": signature["sponsor"]},
                "offer": {"value": offer, "signature": signature["offer"]},
            },
        )
    report = run_ipp_test(actor=world.actor("host_owner"), version=version, now=NOW)
    scores = {r.name: (r.fit_score, r.band, r.success) for r in report.scored}
    # good: 100 × (3 + 1) / 4 = 100; ok: 100 × 3 / 4 = 75; bad: sponsor "no" (knock-out) → 0.
    assert scores == {
        "good": (100, "high", True),
        "ok": (75, "high", True),
        "bad": (0, "low", False),
    }
    assert report.unscored == 2  # the world's own two partnerships have no checklist
    overall, recent, older = report.splits
    assert overall.spearman == 1.0 and overall.separation == 1.0
    assert (recent.count, older.count) == (2, 1)
    sponsor = next(lift for lift in report.lifts if lift.key == "sponsor")
    assert sponsor.lift == pytest.approx(1.5)  # strong: 2/2 succeed; all: 2/3
    with pytest.raises(PermissionDenied):
        run_ipp_test(actor=world.actor("host_member"), version=version)
    # Several versions tested together compute the outcomes once, with the same report.
    calls: list[int] = []
    real = ipp_test_module.outcome_scores_of

    def counting(*args: object, **kwargs: object) -> dict[int, float]:
        calls.append(1)
        return real(*args, **kwargs)

    ipp_test_module.outcome_scores_of = counting
    try:
        cache: dict[int, dict[int, float]] = {}
        first = run_ipp_test(
            actor=world.actor("host_owner"), version=version, now=NOW, outcome_cache=cache
        )
        again = run_ipp_test(
            actor=world.actor("host_owner"), version=version, now=NOW, outcome_cache=cache
        )
    finally:
        ipp_test_module.outcome_scores_of = real
    assert len(calls) == 1
    assert {r.name: r.success for r in first.scored} == {n: v[2] for n, v in scores.items()}
    assert {r.name: r.success for r in again.scored} == {n: v[2] for n, v in scores.items()}


# More hand-computed figures -----------------------------------------------------------


def test_average_ranks_keep_the_input_order() -> None:
    # sorted: 10, 10, 20, 30 → the two 10s share (1 + 2) / 2 = 1.5
    assert average_ranks([30, 10, 20, 10]) == [4, 1.5, 3, 1.5]
    assert average_ranks([]) == []


def test_spearman_with_ties_by_hand() -> None:
    # ranks x: 1 2.5 2.5 4, y: 1 3 2 4; centred: x −1.5 0 0 1.5, y −1.5 0.5 −0.5 1.5
    # Σxy = 4.5, Σx² = 4.5, Σy² = 5 → 4.5 / √(4.5 × 5) = 0.94868…
    assert spearman([1, 2, 2, 3], [1, 3, 2, 4]) == 0.9487
    assert spearman([1, 2, 3], [0.5, 0.5, 0.5]) is None  # constant outcomes


def test_split_report_edges() -> None:
    everyone_high = split_report("All", [row(90, "high", 1.0), row(80, "high", 0.0)])
    assert everyone_high.high_success_rate == 0.5 and everyone_high.precision == 0.5
    assert everyone_high.rest_success_rate is None and everyone_high.separation is None
    nobody_succeeded = split_report("All", [row(90, "high", 0.1), row(20, "low", 0.0)])
    assert nobody_succeeded.recall is None and nobody_succeeded.separation == 0
    empty = split_report("Recent", [])
    assert (empty.count, empty.spearman, empty.precision) == (0, None, None)


def test_split_report_precision_and_recall_by_hand() -> None:
    rows = [
        row(95, "high", 0.7),  # success
        row(85, "high", 0.4),
        row(72, "high", 0.4),
        row(60, "medium", 1.0),  # success
        row(55, "medium", 0.7),  # success
        row(30, "low", 0.0),
    ]
    report = split_report("All", rows)
    # high: 1 of 3 succeeded; rest: 2 of 3 → separation −1/3: the high band is worse
    assert report.precision == pytest.approx(0.3333)
    assert report.rest_success_rate == pytest.approx(0.6667)
    assert report.separation == pytest.approx(-0.3333)
    assert report.recall == pytest.approx(0.3333)  # 1 of the 3 successes is in the high band


def test_criterion_lift_below_one_and_unknown() -> None:
    spec = CriterionSpec(key="k", direction="theirs", answer_kind="scale", weight=1, question="?")
    never = CriterionSpec(key="n", direction="ours", answer_kind="yes_no", weight=1, question="?")
    rows = [
        row(90, "high", 0.0, {"k": 1.0}),
        row(80, "high", 1.0, {"k": 0.25}),
        row(50, "medium", 1.0, {"k": 0.5}),
        row(40, "medium", 0.0, {"k": 0.75}),
    ]
    lift, unknown = criterion_lifts([spec, never], rows)
    # strong (≥ 0.5): 1.0, 0.5, 0.75 → 1 of 3 succeeded; all: 2 of 4 → (1/3) / (1/2)
    assert (lift.answered, lift.strong) == (4, 3)
    assert lift.strong_success_rate == pytest.approx(0.3333)
    assert lift.base_success_rate == 0.5 and lift.lift == pytest.approx(0.6667)
    assert (unknown.answered, unknown.lift, unknown.base_success_rate) == (0, None, None)


def _partnership(world: World, name: str, stages: list[str], now_stage: str) -> Partnership:
    org = Organization.objects.create(name=name, domain=f"{name.lower().strip('=')}.com")
    p = Partnership.objects.create(host=world.host, partner=org, stage=now_stage)
    for stage in stages:
        StageChange.objects.create(partnership=p, to_stage=stage, reason="r")
    return p


@time_machine.travel(NOW, tick=False)
def test_outcome_edges_ended_after_strategic_and_the_stall_boundary(world: World) -> None:
    ended = _partnership(world, "e", ["prospect", "active", "strategic", "ended"], "ended")
    boundary = _partnership(world, "b", ["prospect", "evaluating"], "evaluating")
    paused = _partnership(world, "p", ["prospect", "onboarding", "active", "paused"], "paused")
    no_history = _partnership(world, "n", [], "active")
    Partnership.objects.filter(pk=boundary.pk).update(stage_changed_at=NOW - timedelta(days=180))
    boundary.refresh_from_db()
    scores = outcome_scores([ended, boundary, paused, no_history], now=NOW)
    assert scores[ended.pk] == pytest.approx(2 / 3, abs=1e-4)  # 1.0 × 2/3: still a success
    assert scores[boundary.pk] == pytest.approx(0.1)  # 0.2 − 0.1 at exactly 180 days
    assert scores[paused.pk] == 0.7  # the furthest stage reached counts
    assert scores[no_history.pk] == 0.7  # the current stage counts without a history


@time_machine.travel(NOW, tick=False)
def test_many_partnerships_read_their_hosts_rows_with_the_same_result(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = _partnership(world, "a", ["prospect", "active"], "active")
    b = _partnership(world, "b", ["prospect", "strategic", "ended"], "ended")
    small = outcome_scores([a, b], now=NOW)
    monkeypatch.setattr(outcomes, "MANY", 1)
    assert outcomes.partnership_filter(
        [outcomes.PartnershipFacts(a.pk, "active", NOW, NOW, world.host.pk)] * 2
    ) == {"partnership__host_id__in": [world.host.pk]}
    many = outcome_scores([a, b], now=NOW)
    # The host's other partnerships are read but not reported.
    assert many == small and set(many) == {a.pk, b.pk}


def test_the_collector_pause_restores_its_state() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


# A small world for the page and the export ---------------------------------------------


def _scored_world(world: World) -> tuple[IppVersion, IppVersion]:
    """v1 active (high ≥ 70) and a stricter draft v2 (high ≥ 80), with three partnerships:

    | partner | stage     | sponsor | offer | ease | ours | theirs | mutual | fit | outcome |
    |---------|-----------|---------|-------|------|------|--------|--------|-----|---------|
    | Alpha   | strategic | yes     | 5     | 5    | 100  | 100    | 100    | 100 | 1.0     |
    | Beta    | active    | yes     | 1     | —    | 75   | —      | —      | 75  | 0.7     |
    | =Gamma  | prospect  | no (KO) | —     | —    | 0    | —      | —      | 0   | 0.0     |
    """
    v1 = small_version(world)
    signature = {c.key: c.signature() for c in v1.criteria.all()}
    for name, stage, ours, theirs in (
        ("Alpha", "strategic", {"sponsor": "yes", "offer": 5}, {"ease": 5}),
        ("Beta", "active", {"sponsor": "yes", "offer": 1}, None),
        ("=Gamma", "prospect", {"sponsor": "no"}, None),
    ):
        p = _partnership(world, name, ["prospect", stage], stage)
        for side, answers in (("host", ours), ("partner", theirs)):
            if answers:
                Evaluation.objects.create(
                    partnership=p,
                    version=v1,
                    side=side,
                    status=EvaluationStatus.SUBMITTED,
                    submitted_at=NOW,
                    answers={
                        k: {"value": v, "signature": signature[k], "evidence": "SECRET-" + k}
                        for k, v in answers.items()
                    },
                )
    owner = world.actor("host_owner")
    v2 = services.ipp_version_new_draft(actor=owner, based_on=v1)
    services.ipp_version_update(
        actor=owner, version=v2, name="Stricter", band_high=80, band_medium=40
    )
    return v1, v2


def _chart(html: str, chart_id: str) -> dict:
    found = re.search(rf'<script id="{chart_id}" type="application/json">(.*?)</script>', html)
    assert found, chart_id
    return json.loads(found.group(1))


def test_the_test_page_shows_two_versions_side_by_side(world: World) -> None:
    v1, v2 = _scored_world(world)
    response = world.client("host_owner").get(
        f"/o/{world.host.code}/fit/test/", {"a": v1.code, "b": v2.code}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Version 1" in html and "Version 2" in html
    assert "3 partnerships scored, 2 without a submitted checklist" in html
    assert "a Spearman near 0 means the scores do not predict outcomes" in html
    # v1: Alpha and Beta are high and both succeeded, Gamma failed → separation 100 points.
    # v2: only Alpha is high; Beta (75) succeeded elsewhere → separation 50, recall 50 %.
    assert "100 points" in html and "50 points" in html
    chart = _chart(html, "ipp-test-chart-0")
    assert chart["type"] == "scatter"
    assert chart["data"]["labels"] == ["Alpha", "Beta", "=Gamma"]  # the tooltips' titles
    high, medium, low = chart["data"]["datasets"]
    assert high["data"] == [{"x": 100, "y": 100}, {"x": 75, "y": 70}, {"x": None, "y": None}]
    assert low["data"][2] == {"x": 0, "y": 0} and medium["data"][0]["x"] is None
    stricter = _chart(html, "ipp-test-chart-1")["data"]["datasets"]
    assert stricter[1]["data"][1] == {"x": 75, "y": 70}  # Beta is medium under v2
    # Lifts strongest first: sponsor 1.5 (2/2 vs 2/3), then ease and offer (1.0) by key.
    first_lifts = html.split("Which criteria predict success")[1]
    assert first_lifts.index("sponsor?") < first_lifts.index("ease?") < first_lifts.index("offer?")
    assert "SECRET-" not in html  # evidence never reaches the test page


def test_the_test_page_defaults_to_the_active_version_and_has_an_empty_state(
    world: World,
) -> None:
    client = world.client("host_owner")
    url = f"/o/{world.host.code}/fit/test/"
    assert "There is no profile to test yet" in client.get(url).content.decode()
    draft = services.ipp_create_from_template(actor=world.actor("host_owner"))
    assert 'Version 1 <small class="muted">(draft)' in client.get(url).content.decode()
    services.ipp_version_activate(actor=world.actor("host_owner"), version=draft, change_note="x")
    services.ipp_version_new_draft(actor=world.actor("host_owner"), based_on=draft)
    html = client.get(url).content.decode()
    # The active version, not the newer draft; nobody has submitted a checklist yet.
    assert 'Version 1 <small class="muted">(active)' in html and "Version 2 <small" not in html
    assert "No partnership has both a fit score and an outcome" in html
    assert "<canvas" not in html


def test_managers_only(world: World) -> None:
    _scored_world(world)
    url = f"/o/{world.host.code}/fit/test/"
    assert world.client("host_member").get(url).status_code == 403
    assert world.client("host_viewer").get(url + "export.csv").status_code == 403
    # The partner's own organization has no profile: its own (empty) page, nothing of ours.
    partner_page = world.client("partner_user").get(f"/o/{world.partner.code}/fit/test/")
    assert "Alpha" not in partner_page.content.decode()


def test_the_export_is_formula_safe_with_each_sides_scores(world: World) -> None:
    v1, v2 = _scored_world(world)
    client = world.client("host_owner")
    response = client.get(f"/o/{world.host.code}/fit/test/export.csv")
    assert response["Content-Disposition"] == 'attachment; filename="ipp-test-v1.csv"'
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    rows = list(csv.reader(lines))
    assert rows[0] == [
        "code",
        "partner",
        "fit_score",
        "band",
        "outcome",
        "success",
        "ours",
        "theirs",
        "mutual",
    ]
    by_name = {r[1]: r[2:] for r in rows[1:]}
    assert by_name == {
        "Alpha": ["100.0", "high", "1.0", "yes", "100.0", "100.0", "100.0"],
        "Beta": ["75.0", "high", "0.7", "yes", "75.0", "", ""],
        "'=Gamma": ["0.0", "low", "0.0", "no", "0.0", "", ""],  # a formula, disarmed
    }
    draft = client.get(f"/o/{world.host.code}/fit/test/export.csv", {"version": v2.code})
    draft_rows = list(
        csv.reader(b"".join(draft.streaming_content).decode("utf-8-sig").splitlines())
    )
    assert {r[1]: r[3] for r in draft_rows[1:]}["Beta"] == "medium"
    other = world.client("other_host").get(
        f"/o/{world.other_host_org.code}/fit/test/export.csv", {"version": v1.code}
    )
    assert other.status_code == 404  # another host's version through one's own URL


def test_the_test_page_queries_stay_flat(world: World, django_assert_max_num_queries) -> None:
    v1, v2 = _scored_world(world)
    client = world.client("host_owner")
    url = f"/o/{world.host.code}/fit/test/"
    params = {"a": v1.code, "b": v2.code}
    client.get(url, params)
    with django_assert_max_num_queries(22) as few:
        client.get(url, params)
    orgs = Organization.objects.bulk_create(
        Organization(name=f"P{i}", domain=f"p{i}.com") for i in range(200)
    )
    many = Partnership.objects.bulk_create(Partnership(host=world.host, partner=o) for o in orgs)
    Evaluation.objects.bulk_create(
        Evaluation(
            partnership=p,
            version=v1,
            side="host",
            status=EvaluationStatus.SUBMITTED,
            submitted_at=NOW,
            answers={"sponsor": {"value": "yes"}},
        )
        for p in many
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(url, params).content.decode()
    assert "203 partnerships scored" in html


def test_rescoring_from_the_page_reports_who_moved(world: World) -> None:
    v1, v2 = _scored_world(world)
    client = world.client("host_owner")
    base = f"/o/{world.host.code}/fit/versions/"
    saved = client.post(f"{base}{v1.code}/rescore/").content.decode()
    # The checklists were stored without scoring: all three get their first band.
    assert "Every partnership rescored" in saved and "3 moved between fit bands" in saved
    assert PartnershipFit.objects.get(partnership__partner__name="Beta").band == "high"
    snapshots = FitSnapshot.objects.count()
    again = client.post(f"{base}{v1.code}/rescore/").content.decode()
    # Nothing changed: nobody moved, no fit rewritten, no new point in any trend.
    assert "0 moved between fit bands" in again and FitSnapshot.objects.count() == snapshots
    preview = client.post(f"{base}{v2.code}/rescore/")
    html = preview.content.decode()
    assert preview.status_code == 200 and "preview, nothing saved" in html
    # Under v2 (high from 80) Beta (75) falls to medium; Alpha and Gamma keep their band.
    assert "1 moved between fit bands" in html and "Beta" in html and "Alpha" not in html
    assert "high (75)" in html and "medium (75)" in html
    assert PartnershipFit.objects.get(partnership__partner__name="Beta").band == "high"
    assert client.get(f"{base}{v1.code}/rescore/").status_code == 405
    member = world.client("host_member").post(f"{base}{v1.code}/rescore/")
    assert member.status_code == 403
