"""Versions, carry-over, evaluations and rescoring, with hand-computed expectations."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from partnerloop.conftest import World
from partnerloop.fit import selectors, services
from partnerloop.fit.models import (
    AnswerKind,
    Direction,
    Evaluation,
    EvaluationStatus,
    FitSnapshot,
    IppVersion,
    PartnershipFit,
    VersionStatus,
)
from partnerloop.fit.template import TEMPLATE_CRITERIA
from partnerloop.partnerships.models import Partnership, Side


def small_version(world: World) -> IppVersion:
    """Two ours criteria (weights 3 and 1) and one theirs criterion (weight 2)."""
    owner = world.actor("host_owner")
    version = IppVersion.objects.create(host=world.host, number=1, created_by=world.host_owner)
    for key, direction, kind, weight in (
        ("sponsor", Direction.OURS, AnswerKind.YES_NO, 3),
        ("offer", Direction.OURS, AnswerKind.SCALE, 1),
        ("ease", Direction.THEIRS, AnswerKind.SCALE, 2),
    ):
        services.criterion_save(
            actor=owner,
            version=version,
            data=services.CriterionInput(
                key=key,
                question=f"{key}?",
                direction=direction,
                dimension="other",
                answer_kind=kind,
                weight=weight,
                knock_out=key == "sponsor",
            ),
        )
    services.ipp_version_activate(actor=owner, version=version, change_note="First")
    return version


def submit(world: World, persona: str, values: dict[str, object]) -> Evaluation:
    actor = world.actor(persona)
    version = selectors.active_version(host_id=world.host.pk)
    assert version is not None
    evaluation = services.evaluation_open(
        actor=actor, partnership=world.partnership, version=version
    )
    return services.evaluation_save(
        actor=actor,
        partnership=world.partnership,
        evaluation=evaluation,
        answers={
            k: services.AnswerInput(value=v, evidence=f"because {k}") for k, v in values.items()
        },
        other_dimensions="",
        expected_revision=evaluation.revision,
        submit=True,
    )


def test_template_has_a_dozen_criteria_in_both_directions(world: World) -> None:
    version = services.ipp_create_from_template(actor=world.actor("host_owner"))
    directions = list(version.criteria.values_list("direction", flat=True))
    assert 10 <= len(directions) <= 16 == len(TEMPLATE_CRITERIA) + 3
    assert {"ours", "theirs"} == set(directions)
    assert version.status == VersionStatus.DRAFT


def test_hand_computed_scores_after_both_sides_submit(world: World) -> None:
    small_version(world)
    submit(world, "host_owner", {"sponsor": "yes", "offer": 3})
    # ours = 100 × (3 × 1 + 1 × 0.5) / 4 = 87.5; provisional until the partner answers.
    fit = PartnershipFit.objects.get(partnership=world.partnership)
    assert (fit.ours, fit.theirs, fit.mutual, fit.band, fit.provisional) == (
        87.5,
        None,
        None,
        "high",
        True,
    )
    submit(world, "partner_user", {"ease": 2})
    # theirs = 100 × 0.25 = 25; mutual = √(87.5 × 25) = 46.77 → medium.
    fit.refresh_from_db()
    assert fit.theirs == 25 and fit.mutual == pytest.approx(46.77, abs=0.01)
    assert fit.band == "medium" and not fit.provisional and fit.coverage == 1
    assert FitSnapshot.objects.filter(partnership=world.partnership).count() >= 2


def test_a_knock_out_answer_is_a_red_flag(world: World) -> None:
    small_version(world)
    submit(world, "host_owner", {"sponsor": "no", "offer": 5})
    fit = PartnershipFit.objects.get(partnership=world.partnership)
    # 100 × (0 + 1) / 4 = 25, under the cap of 39 anyway; knocked out and low.
    assert fit.knocked_out and fit.band == "low" and fit.ours == 25
    overview = selectors.fit_overview(partnership=world.partnership, side=Side.HOST)
    assert [a.criterion.key for a in overview.red_flags] == ["sponsor"]


def test_each_side_answers_only_its_own_questions(world: World) -> None:
    small_version(world)
    evaluation = submit(world, "partner_user", {"ease": 4, "sponsor": "no"})
    assert set(evaluation.answers) == {"ease"}
    with pytest.raises(ValidationError) as error:
        submit(world, "host_owner", {"offer": 9})
    assert "1 to 5" in str(error.value)


def test_viewers_cannot_answer(world: World) -> None:
    version = small_version(world)
    with pytest.raises(PermissionDenied):
        services.evaluation_open(
            actor=world.actor("host_viewer"), partnership=world.partnership, version=version
        )


def test_a_stale_draft_save_is_refused(world: World) -> None:
    version = small_version(world)
    actor = world.actor("host_owner")
    draft = services.evaluation_open(actor=actor, partnership=world.partnership, version=version)
    save = dict(
        actor=actor,
        partnership=world.partnership,
        evaluation=draft,
        other_dimensions="",
        expected_revision=draft.revision,
    )
    services.evaluation_save(**save, answers={"offer": services.AnswerInput(value=2)})
    with pytest.raises(services.ConcurrentEdit):
        services.evaluation_save(**save, answers={"offer": services.AnswerInput(value=5)})
    draft.refresh_from_db()
    assert draft.answers["offer"]["value"] == 2


def test_new_version_carries_answers_by_key_and_asks_changed_ones_again(world: World) -> None:
    v1 = small_version(world)
    owner = world.actor("host_owner")
    submit(world, "host_owner", {"sponsor": "yes", "offer": 5})
    v2 = services.ipp_version_new_draft(actor=owner, based_on=v1)
    offer = v2.criteria.get(key="offer")
    services.criterion_save(
        actor=owner,
        version=v2,
        criterion=offer,
        data=services.CriterionInput(
            key="offer",
            question="How complementary is the offer, really?",  # changed: to answer again
            direction=Direction.OURS,
            dimension="other",
            answer_kind=AnswerKind.SCALE,
            weight=1,
        ),
    )
    report = services.ipp_version_activate(actor=owner, version=v2, change_note="Sharper offer")
    v1.refresh_from_db()
    assert v1.status == VersionStatus.RETIRED and v2.status == VersionStatus.ACTIVE
    # sponsor carried over (yes → 100); offer is to answer again, so ours = 100 on 3/4 weight.
    fit = PartnershipFit.objects.get(partnership=world.partnership)
    assert fit.ours == 100 and fit.coverage == pytest.approx(3 / 6, abs=1e-4)
    assert report.scored == 2  # the host's two partnerships
    # Nothing earlier was deleted: the version 1 evaluation is still there.
    assert Evaluation.objects.filter(version=v1, status=EvaluationStatus.SUBMITTED).exists()
    draft = services.evaluation_open(actor=owner, partnership=world.partnership, version=v2)
    assert draft.answers["offer"]["value"] == 5  # kept, but not counted until re-answered


def test_one_active_version_per_host_is_a_database_rule(world: World) -> None:
    small_version(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        IppVersion.objects.create(host=world.host, number=9, status=VersionStatus.ACTIVE)


def test_only_drafts_are_editable_and_activation_needs_a_note(world: World) -> None:
    v1 = small_version(world)
    owner = world.actor("host_owner")
    with pytest.raises(ValidationError, match="Only a draft"):
        services.ipp_version_update(actor=owner, version=v1, name="x", band_high=80, band_medium=50)
    v2 = services.ipp_version_new_draft(actor=owner, based_on=v1)
    with pytest.raises(ValidationError, match="why the profile changed"):
        services.ipp_version_activate(actor=owner, version=v2, change_note=" ")
    with pytest.raises(ValidationError, match="0 < medium < high"):
        services.ipp_version_update(actor=owner, version=v2, name="x", band_high=40, band_medium=50)


def test_options_are_validated_with_a_message_per_line(world: World) -> None:
    with pytest.raises(ValidationError, match="Line 2: points must be 0–100"):
        services.validate_options(
            AnswerKind.CHOICE, [{"label": "a", "points": 10}, {"label": "b", "points": 120}]
        )
    with pytest.raises(ValidationError, match="min must be below max"):
        services.validate_options(AnswerKind.NUMBER, [{"min": 5, "max": 1, "points": 10}])
    with pytest.raises(ValidationError, match="same label"):
        services.validate_options(
            AnswerKind.CHOICE, [{"label": "a", "points": 1}, {"label": "a", "points": 2}]
        )


def test_rescoring_reports_who_moved_and_why(world: World) -> None:
    v1 = small_version(world)
    owner = world.actor("host_owner")
    submit(world, "host_owner", {"sponsor": "yes", "offer": 1})  # 75 → high
    assert PartnershipFit.objects.get(partnership=world.partnership).band == "high"
    v2 = services.ipp_version_new_draft(actor=owner, based_on=v1)
    services.ipp_version_update(
        actor=owner, version=v2, name="Stricter", band_high=80, band_medium=40
    )
    report = services.ipp_version_activate(actor=owner, version=v2, change_note="Stricter")
    moved = {m.partnership_code: m for m in report.moves}
    move = moved[world.partnership.code]
    assert (move.before, move.after) == ("high", "medium")
    assert "to answer" in move.why  # the partner has not answered its criterion


def test_previewing_a_draft_changes_nothing(world: World) -> None:
    v1 = small_version(world)
    owner = world.actor("host_owner")
    submit(world, "host_owner", {"sponsor": "yes", "offer": 1})
    v2 = services.ipp_version_new_draft(actor=owner, based_on=v1)
    services.ipp_version_update(actor=owner, version=v2, name="x", band_high=90, band_medium=80)
    before = list(PartnershipFit.objects.values_list("band", "fit_score"))
    report = services.rescore_all(actor=owner, version=v2)
    assert report.moves and list(PartnershipFit.objects.values_list("band", "fit_score")) == before


def test_gaps_list_what_can_change_biggest_first(world: World) -> None:
    small_version(world)
    submit(world, "host_owner", {"sponsor": "yes", "offer": 1})
    submit(world, "partner_user", {"ease": 1})  # mutual 0 → low
    gaps = selectors.fit_gaps(partnership=world.partnership)
    # ease: 2 × (1 − 0) = 2; offer: 1 × (1 − 0) = 1; sponsor is already full.
    assert [(g.criterion.key, g.weighted_gap) for g in gaps] == [("ease", 2), ("offer", 1)]
    action = services.gap_action_create(
        actor=world.actor("host_owner"),
        partnership=world.partnership,
        criterion_key="ease",
        kind="step",
        title=gaps[0].suggested_step,
    )
    assert action.visibility == "private"
    assert list(selectors.gap_actions_for(partnership=world.partnership, side=Side.PARTNER)) == []


def test_the_partner_sees_the_hosts_evaluation_only_when_shared(world: World) -> None:
    small_version(world)
    host_eval = submit(world, "host_owner", {"sponsor": "yes", "offer": 4})
    partner_view = selectors.fit_overview(partnership=world.partnership, side=Side.PARTNER)
    assert not partner_view.show_ours and partner_view.why_they_fit_us == []
    assert partner_view.host_evaluation is None
    services.evaluation_share(
        actor=world.actor("host_owner"),
        partnership=world.partnership,
        evaluation=host_eval,
        shared=True,
    )
    partner_view = selectors.fit_overview(partnership=world.partnership, side=Side.PARTNER)
    assert partner_view.show_ours and partner_view.why_they_fit_us[0].evidence == "because sponsor"
    with pytest.raises(PermissionDenied):
        services.evaluation_share(
            actor=world.actor("partner_user"),
            partnership=world.partnership,
            evaluation=host_eval,
            shared=False,
        )


def test_the_host_never_sees_a_partner_draft(world: World) -> None:
    version = small_version(world)
    actor = world.actor("partner_user")
    draft = services.evaluation_open(actor=actor, partnership=world.partnership, version=version)
    services.evaluation_save(
        actor=actor,
        partnership=world.partnership,
        evaluation=draft,
        answers={"ease": services.AnswerInput(value=5, evidence="PARTNER-DRAFT-SECRET")},
        other_dimensions="",
        expected_revision=draft.revision,
    )
    host_view = selectors.fit_overview(partnership=world.partnership, side=Side.HOST)
    assert host_view.partner_evaluation is None
    assert all(a.points is None for a in host_view.why_we_fit_them)
    assert not PartnershipFit.objects.filter(partnership=world.partnership, theirs__isnull=False)


def test_rescoring_many_partnerships_uses_few_queries(
    world: World, django_assert_max_num_queries
) -> None:
    version = small_version(world)
    from partnerloop.accounts.models import Organization

    orgs = Organization.objects.bulk_create(
        Organization(name=f"P{i}", domain=f"p{i}.com") for i in range(150)
    )
    partnerships = Partnership.objects.bulk_create(
        Partnership(host=world.host, partner=o) for o in orgs
    )
    sig = {c.key: c.signature() for c in version.criteria.all()}
    Evaluation.objects.bulk_create(
        Evaluation(
            partnership=p,
            version=version,
            side=Side.HOST,
            status=EvaluationStatus.SUBMITTED,
            submitted_at=timezone.now(),
            answers={"sponsor": {"value": "yes", "signature": sig["sponsor"]}},
        )
        for p in partnerships
    )
    with django_assert_max_num_queries(15):
        report = services.rescore_all(actor=world.actor("host_owner"), version=version)
    assert report.scored == 152
    assert PartnershipFit.objects.filter(band="high").count() == 150
