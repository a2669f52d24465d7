"""The scale ecosystem, built at a tiny size: counts, consistency, and the command."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F
from django.utils import timezone

from partnerloop.accounts.models import Organization
from partnerloop.activities.models import Activity, Outcome
from partnerloop.core.scale import ScaleSize, build_ecosystem
from partnerloop.fit.models import IppVersion, PartnershipFit
from partnerloop.health.models import PartnershipHealth
from partnerloop.mapping.models import Account, AccountUpload
from partnerloop.mapping.normalize import normalize_company_name
from partnerloop.overlap.models import AccountMatch, MatchState
from partnerloop.partnerships.models import Partnership
from partnerloop.plans.models import Milestone, PlanStep
from partnerloop.prompts.models import Prompt
from partnerloop.referrals.models import Referral

TINY = ScaleSize(
    partnerships=20,
    activities=300,
    plan_steps=130,
    referrals=120,
    accounts=3_000,
    partner_lists=4,
    overlap=2,
)


class CountingProgress:
    def __init__(self) -> None:
        self.done = 0.0
        self.labels: list[str] = []

    def update(self, n: float | None = 1) -> None:
        self.done += n or 0

    def set_description(self, desc: str | None = None, refresh: bool | None = True) -> None:
        self.labels.append(desc or "")


@pytest.fixture
def world():
    progress = CountingProgress()
    built = build_ecosystem(TINY, seed=3, progress=progress)
    built.progress = progress  # type: ignore[attr-defined]
    return built


@pytest.mark.django_db
def test_the_counts_are_the_ones_asked_for(world) -> None:
    host = world.host
    assert Partnership.objects.filter(host=host).count() == TINY.partnerships
    assert Activity.objects.filter(partnership__host=host).count() == TINY.activities
    assert PlanStep.objects.filter(partnership__host=host).count() == TINY.plan_steps
    assert Referral.objects.filter(host=host).count() == TINY.referrals
    assert Account.objects.count() == TINY.accounts
    uploads = AccountUpload.objects.filter(is_current=True)
    assert uploads.count() == 1 + TINY.partner_lists
    host_upload = uploads.get(account_list__organization=host)
    assert host_upload.accounts.count() == host_upload.rows_imported == TINY.host_accounts
    assert world.counts["accounts"] == TINY.accounts
    # The progress bar reaches its total exactly, through every phase.
    assert world.progress.done == TINY.units
    assert "accounts" in world.progress.labels and "overlap" in world.progress.labels


@pytest.mark.django_db
def test_partnerships_vary_and_carry_fit_health_and_prompts(world) -> None:
    partnerships = Partnership.objects.filter(host=world.host)
    assert len(set(partnerships.values_list("stage", flat=True))) >= 4
    assert len(set(partnerships.values_list("tier", flat=True))) >= 3
    assert len(set(partnerships.values_list("partner_type", flat=True))) >= 3
    assert len(set(partnerships.values_list("host_owner", flat=True))) >= 3
    assert PartnershipFit.objects.filter(partnership__host=world.host).count() == TINY.partnerships
    assert PartnershipFit.objects.filter(partnership__host=world.host, band="").count() < (
        TINY.partnerships
    )
    versions = dict(IppVersion.objects.filter(host=world.host).values_list("number", "status"))
    assert versions == {1: "retired", 2: "active"}
    assert (
        PartnershipHealth.objects.filter(partnership__host=world.host).count() == TINY.partnerships
    )
    assert Prompt.objects.filter(partnership__host=world.host).exists()
    first = world.first
    assert first.partner_owner == world.partner_user and first.stage == "strategic"
    assert first.partner.memberships.filter(user=world.partner_user).exists()


@pytest.mark.django_db
def test_referrals_are_consistent(world) -> None:
    referrals = Referral.objects.filter(host=world.host).select_related("partnership")
    assert all(r.partnership.host_id == world.host.pk for r in referrals)
    stages = Counter((r.status, r.stage) for r in referrals)
    assert {"submitted", "accepted", "declined"} <= {status for status, _ in stages}
    assert {"new", "qualified", "proposal", "won", "lost"} <= {
        stage for status, stage in stages if status == "accepted"
    }
    now = timezone.now()
    for r in referrals:
        assert r.submitted_at <= now
        assert (r.decided_at is None) == (r.status == "submitted")
        closed = r.status == "accepted" and r.stage in ("won", "lost")
        assert (r.closed_on is not None) == closed
        if closed:
            assert r.amount is not None and r.amount > 0
            assert r.decided_at.date() <= r.closed_on <= timezone.localdate()
        assert r.name_key == normalize_company_name(r.company)


@pytest.mark.django_db
def test_plans_and_milestones_are_consistent(world) -> None:
    steps = PlanStep.objects.filter(partnership__host=world.host)
    # Every step belongs to its plan's partnership.
    assert not steps.exclude(plan__partnership=F("partnership")).exists()
    milestones = Milestone.objects.filter(partnership__host=world.host).select_related("step")
    assert milestones.exists()
    pairs = Counter(milestones.values_list("partnership_id", "key"))
    assert max(pairs.values()) == 1  # once per partnership and key
    for milestone in milestones:
        step = milestone.step
        assert step.partnership_id == milestone.partnership_id and step.key == milestone.key
        assert step.status == "done" and step.is_milestone and step.visibility == "shared"
        assert milestone.reached_on == timezone.localtime(step.done_at).date()
    # Every done milestone step of the playbook has its milestone.
    done = steps.filter(is_milestone=True, status="done", visibility="shared")
    assert done.count() == milestones.count()
    # Steps are done in the plan's order: done_at grows with the position.
    for plan_id in set(steps.values_list("plan_id", flat=True)):
        times = list(
            steps.filter(plan_id=plan_id, status="done", key__gt="")
            .order_by("position")
            .values_list("done_at", flat=True)
        )
        assert times == sorted(times)
    assert not steps.filter(done_at__gt=timezone.now()).exists()


@pytest.mark.django_db
def test_activities_have_outcomes_of_their_own_side(world) -> None:
    activities = Activity.objects.filter(partnership__host=world.host).select_related("partnership")
    outcomes = Outcome.objects.filter(activity__partnership__host=world.host)
    per_activity = dict(
        outcomes.values("activity").annotate(n=Count("id")).values_list("activity", "n")
    )
    assert len(per_activity) == TINY.activities and max(per_activity.values()) <= 2
    own = set(outcomes.filter(side=F("activity__side")).values_list("activity_id", flat=True))
    assert own == set(activities.values_list("id", flat=True))
    for activity in activities:
        assert activity.partnership.created_at.date() <= activity.happened_on
        assert activity.happened_on <= timezone.localdate()
    # A private activity never has the other side's view.
    assert (
        not outcomes.filter(activity__visibility="private")
        .exclude(side=F("activity__side"))
        .exists()
    )


@pytest.mark.django_db
def test_account_lists_match_as_the_importer_would(world) -> None:
    for name, key in Account.objects.values_list("name", "name_key"):
        assert key == normalize_company_name(name)
    assert not Account.objects.filter(population_key="").exists()
    states = MatchState.objects.filter(partnership__host=world.host)
    assert states.count() == TINY.overlap
    assert set(states.values_list("status", flat=True)) == {"current"}
    for state in states:
        assert AccountMatch.objects.filter(partnership=state.partnership).count() == state.matches
        assert state.matches > 0


@pytest.mark.django_db
def test_the_command_builds_on_an_empty_database_and_refuses_otherwise(settings) -> None:
    settings.DEBUG = True
    out, err = io.StringIO(), io.StringIO()
    call_command("demo", "--scale", "small", stdout=out, stderr=err)
    text = out.getvalue()
    assert "Built in" in text and "host@scale.partnerloop.test" in text
    assert "rows" in err.getvalue()  # the progress bar
    assert Partnership.objects.count() == 50
    # Data there now: refused, even with --force (one scale host per database).
    with pytest.raises(CommandError, match="already loaded"):
        call_command("demo", "--scale", "small", "--force", stdout=out, stderr=err)


@pytest.mark.django_db
def test_the_command_refuses_a_database_with_data_unless_forced(settings) -> None:
    settings.DEBUG = True
    Organization.objects.create(name="Someone else")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="has data already"):
        call_command("demo", "--scale", "small", stdout=out, stderr=err)
    call_command("demo", "--scale", "small", "--if-empty", stdout=out, stderr=err)
    assert "no demo loaded" in out.getvalue()
    assert Partnership.objects.count() == 0
    call_command("demo", "--scale", "small", "--force", stdout=out, stderr=err)
    assert Partnership.objects.count() == 50


def test_the_command_refuses_without_debug(settings) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=1"):
        call_command("demo", "--scale", "small")
