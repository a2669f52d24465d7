"""Writes of the fit domain: IPP versions and criteria, evaluations, scores, gap actions."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

import orjson
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ExpressionWrapper, F, Max, TextField
from django.utils import timezone
from django.utils.text import slugify

from partnerloop.accounts.models import Organization
from partnerloop.core.bulk import insert_rows
from partnerloop.core.tenancy import Actor
from partnerloop.fit import scoring
from partnerloop.fit.models import (
    AnswerKind,
    Criterion,
    Dimension,
    Direction,
    Evaluation,
    EvaluationStatus,
    FitSnapshot,
    GapAction,
    GapActionKind,
    IppVersion,
    PartnershipFit,
    VersionStatus,
)
from partnerloop.fit.template import TEMPLATE_CRITERIA
from partnerloop.partnerships.models import Partnership, Side, Visibility
from partnerloop.partnerships.services import timeline_record


class ConcurrentEdit(Exception):
    """Someone saved the same checklist after this edit started; nothing was written."""


def _require_host_manager(actor: Actor) -> None:
    actor.require_manage()


def _require_draft(version: IppVersion) -> None:
    if version.status != VersionStatus.DRAFT:
        raise ValidationError(
            "Only a draft version can be edited. Start a new draft from this version instead."
        )


def _next_number(host: Organization) -> int:
    last = IppVersion.objects.filter(host=host).aggregate(n=Max("number"))["n"]
    return (last or 0) + 1


@transaction.atomic
def ipp_create_from_template(*, actor: Actor, name: str = "Ideal Partner Profile") -> IppVersion:
    """A new draft version filled with the built-in criteria."""
    _require_host_manager(actor)
    version = IppVersion.objects.create(
        host=actor.organization,
        number=_next_number(actor.organization),
        name=name,
        created_by=actor.user,
    )
    Criterion.objects.bulk_create(
        Criterion(version=version, position=index, **_criterion_fields(spec))
        for index, spec in enumerate(TEMPLATE_CRITERIA)
    )
    return version


def _criterion_fields(spec: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "key": spec["key"],
        "question": spec["question"],
        "help_text": spec.get("help_text", ""),
        "direction": spec["direction"],
        "dimension": spec["dimension"],
        "answer_kind": spec["answer_kind"],
        "options": spec.get("options", []),
        "weight": spec.get("weight", 3),
        "knock_out": spec.get("knock_out", False),
        "improvement_step": spec.get("improvement_step", ""),
    }


@transaction.atomic
def ipp_version_new_draft(*, actor: Actor, based_on: IppVersion) -> IppVersion:
    """A draft copy of a version; earlier versions and every answer stay untouched."""
    _require_host_manager(actor)
    if based_on.host_id != actor.organization.pk:
        raise PermissionDenied
    if IppVersion.objects.filter(host=actor.organization, status=VersionStatus.DRAFT).exists():
        raise ValidationError("There is already a draft version; edit or activate it first.")
    version = IppVersion.objects.create(
        host=actor.organization,
        number=_next_number(actor.organization),
        name=based_on.name,
        band_high=based_on.band_high,
        band_medium=based_on.band_medium,
        based_on=based_on,
        created_by=actor.user,
    )
    Criterion.objects.bulk_create(
        Criterion(
            version=version,
            key=c.key,
            question=c.question,
            help_text=c.help_text,
            direction=c.direction,
            dimension=c.dimension,
            answer_kind=c.answer_kind,
            options=c.options,
            weight=c.weight,
            knock_out=c.knock_out,
            improvement_step=c.improvement_step,
            position=c.position,
        )
        for c in based_on.criteria.all()
    )
    return version


@transaction.atomic
def ipp_version_update(
    *, actor: Actor, version: IppVersion, name: str, band_high: int, band_medium: int
) -> IppVersion:
    _require_host_manager(actor)
    _require_draft(version)
    if not 0 < band_medium < band_high <= 100:
        raise ValidationError(
            {"band_high": "Thresholds must satisfy 0 < medium < high ≤ 100, e.g. 40 and 70."}
        )
    version.name = name.strip() or version.name
    version.band_high, version.band_medium = band_high, band_medium
    version.save(update_fields=["name", "band_high", "band_medium"])
    return version


def validate_options(answer_kind: str, options: Any) -> list[dict[str, Any]]:
    """Check choice options and number bands; return them cleaned or say what to fix."""
    if answer_kind in (AnswerKind.YES_NO, AnswerKind.SCALE):
        return []
    if not isinstance(options, list) or not options:
        what = "options (label and points)" if answer_kind == AnswerKind.CHOICE else "bands"
        raise ValidationError({"options": f"Add at least one of the {what}."})
    cleaned: list[dict[str, Any]] = []
    for index, option in enumerate(options, start=1):
        if not isinstance(option, dict):
            raise ValidationError({"options": f"Line {index} is not understood."})
        try:
            points = float(option.get("points"))
        except (TypeError, ValueError) as exc:
            raise ValidationError({"options": f"Line {index}: points must be 0–100."}) from exc
        if not 0 <= points <= 100:
            raise ValidationError({"options": f"Line {index}: points must be 0–100."})
        if answer_kind == AnswerKind.CHOICE:
            label = str(option.get("label", "")).strip()
            if not label:
                raise ValidationError({"options": f"Line {index}: give the option a label."})
            cleaned.append({"label": label, "points": points})
        else:
            low, high = option.get("min"), option.get("max")
            try:
                low = None if low in (None, "") else float(low)
                high = None if high in (None, "") else float(high)
            except (TypeError, ValueError) as exc:
                raise ValidationError(
                    {"options": f"Line {index}: min and max are numbers."}
                ) from exc
            if low is not None and high is not None and low >= high:
                raise ValidationError({"options": f"Line {index}: min must be below max."})
            cleaned.append({"min": low, "max": high, "points": points})
    if answer_kind == AnswerKind.CHOICE:
        labels = [o["label"] for o in cleaned]
        if len(set(labels)) != len(labels):
            raise ValidationError({"options": "Two options have the same label."})
    return cleaned


@dataclass
class CriterionInput:
    key: str
    question: str
    direction: str
    dimension: str
    answer_kind: str
    weight: int
    knock_out: bool = False
    help_text: str = ""
    options: list[dict[str, Any]] = field(default_factory=list)
    improvement_step: str = ""


@transaction.atomic
def criterion_save(
    *, actor: Actor, version: IppVersion, data: CriterionInput, criterion: Criterion | None = None
) -> Criterion:
    """Add a criterion to a draft, or change one; the key stays stable once set."""
    _require_host_manager(actor)
    _require_draft(version)
    key = slugify(data.key or data.question)[:60]
    if not key:
        raise ValidationError({"key": "Give the criterion a key, e.g. customer-overlap."})
    if not data.question.strip():
        raise ValidationError({"question": "Write the question to answer."})
    if data.direction not in Direction.values:
        raise ValidationError({"direction": "Choose ours or theirs."})
    if data.dimension not in Dimension.values:
        raise ValidationError({"dimension": "Choose one of the listed dimensions."})
    if data.answer_kind not in AnswerKind.values:
        raise ValidationError({"answer_kind": "Choose one of the listed answer kinds."})
    if not 1 <= data.weight <= 10:
        raise ValidationError({"weight": "Weight is from 1 to 10."})
    options = validate_options(data.answer_kind, data.options)
    duplicate = Criterion.objects.filter(version=version, key=key)
    if criterion is not None:
        duplicate = duplicate.exclude(pk=criterion.pk)
    if duplicate.exists():
        raise ValidationError({"key": f"Another criterion already uses the key “{key}”."})
    fields = {
        "key": key,
        "question": data.question.strip(),
        "help_text": data.help_text.strip(),
        "direction": data.direction,
        "dimension": data.dimension,
        "answer_kind": data.answer_kind,
        "options": options,
        "weight": data.weight,
        "knock_out": data.knock_out,
        "improvement_step": data.improvement_step.strip(),
    }
    if criterion is None:
        position = (version.criteria.aggregate(p=Max("position"))["p"] or 0) + 1
        return Criterion.objects.create(version=version, position=position, **fields)
    if criterion.version_id != version.pk:
        raise PermissionDenied
    for name, value in fields.items():
        setattr(criterion, name, value)
    criterion.save()
    return criterion


@transaction.atomic
def criterion_delete(*, actor: Actor, version: IppVersion, criterion: Criterion) -> None:
    _require_host_manager(actor)
    _require_draft(version)
    if criterion.version_id != version.pk:
        raise PermissionDenied
    criterion.delete()


@transaction.atomic
def ipp_version_activate(*, actor: Actor, version: IppVersion, change_note: str) -> RescoreReport:
    """Make a draft the active version (retiring the previous one) and rescore everyone."""
    _require_host_manager(actor)
    _require_draft(version)
    if not change_note.strip():
        raise ValidationError({"change_note": "Say in a line why the profile changed."})
    if not version.criteria.exists():
        raise ValidationError({"change_note": "Add at least one criterion before activating."})
    now = timezone.now()
    IppVersion.objects.filter(host=version.host, status=VersionStatus.ACTIVE).update(
        status=VersionStatus.RETIRED, retired_at=now
    )
    version.status = VersionStatus.ACTIVE
    version.activated_at, version.activated_by = now, actor.user
    version.change_note = change_note.strip()
    version.save(update_fields=["status", "activated_at", "activated_by", "change_note"])
    return rescore_all(actor=actor, version=version, reason=f"Version {version.number} activated")


@transaction.atomic
def ipp_version_retire(*, actor: Actor, version: IppVersion) -> IppVersion:
    _require_host_manager(actor)
    if version.status == VersionStatus.RETIRED:
        return version
    version.status, version.retired_at = VersionStatus.RETIRED, timezone.now()
    version.save(update_fields=["status", "retired_at"])
    return version


def criterion_specs(version: IppVersion) -> list[scoring.CriterionSpec]:
    return [scoring.CriterionSpec.of(c) for c in version.criteria.all()]


def _direction_of(side: str) -> str:
    return Direction.OURS if side == Side.HOST else Direction.THEIRS


@transaction.atomic
def evaluation_open(*, actor: Actor, partnership: Partnership, version: IppVersion) -> Evaluation:
    """This side's open draft against the version, starting from its latest answers."""
    actor.require_write()
    side = partnership.side_of(actor.organization.pk)
    draft = (
        Evaluation.objects.select_for_update()
        .filter(partnership=partnership, side=side, status=EvaluationStatus.DRAFT)
        .first()
    )
    if draft is not None:
        if draft.version_id != version.pk:
            # A draft is unsubmitted work: it moves to the new version, answers kept by key.
            draft.version = version
            draft.save(update_fields=["version", "updated_at"])
        return draft
    previous = (
        Evaluation.objects.filter(partnership=partnership, side=side)
        .order_by("-created_at", "-id")
        .first()
    )
    carried = dict(previous.answers) if previous else {}
    other = previous.other_dimensions if previous else ""
    return Evaluation.objects.create(
        partnership=partnership,
        version=version,
        side=side,
        answers=carried,
        other_dimensions=other,
        created_by=actor.user,
        shared=bool(previous and previous.shared) if side == Side.HOST else False,
    )


@dataclass
class AnswerInput:
    value: Any
    evidence: str = ""


@transaction.atomic
def evaluation_save(
    *,
    actor: Actor,
    partnership: Partnership,
    evaluation: Evaluation,
    answers: Mapping[str, AnswerInput],
    other_dimensions: str,
    expected_revision: int,
    submit: bool = False,
) -> Evaluation:
    """Save this side's answers (checked per criterion); submitting scores the partnership."""
    actor.require_write()
    side = partnership.side_of(actor.organization.pk)
    if evaluation.side != side or evaluation.partnership_id != partnership.pk:
        raise PermissionDenied("You answer your own side's checklist only.")
    if evaluation.status != EvaluationStatus.DRAFT:
        raise ValidationError("This checklist was already submitted; open a new one.")
    specs = {
        s.key: s for s in criterion_specs(evaluation.version) if s.direction == _direction_of(side)
    }
    stored = dict(evaluation.answers)
    errors: dict[str, str] = {}
    for key, answer in answers.items():
        spec = specs.get(key)
        if spec is None:
            continue  # not a question for this side: ignore, never store
        if answer.value in (None, ""):
            stored.pop(key, None)
            continue
        try:
            scoring.points_for(spec, answer.value)
        except scoring.InvalidAnswer as exc:
            errors[key] = str(exc)
            continue
        stored[key] = {
            "value": answer.value,
            "evidence": answer.evidence.strip()[:2000],
            "signature": spec.signature,
        }
    if errors:
        raise ValidationError(errors)
    result = scoring.score_direction(
        specs.values(), stored, knockout_cap=max(0, evaluation.version.band_medium - 1)
    )
    now = timezone.now()
    changes: dict[str, Any] = {
        "answers": stored,
        "other_dimensions": other_dimensions.strip(),
        "score": result.score,
        "coverage": result.coverage,
        "knocked_out": result.knocked_out,
        "revision": F("revision") + 1,
        "updated_at": now,
    }
    if submit:
        if not result.answered:
            raise ValidationError("Answer at least one question before submitting.")
        changes.update(status=EvaluationStatus.SUBMITTED, submitted_at=now, submitted_by=actor.user)
    updated = Evaluation.objects.filter(
        pk=evaluation.pk, revision=expected_revision, status=EvaluationStatus.DRAFT
    ).update(**changes)
    if not updated:
        raise ConcurrentEdit(
            "Someone else saved this checklist while you were answering. Reload to see their "
            "answers, then apply yours again."
        )
    evaluation.refresh_from_db()
    if submit:
        side_name = partnership.org_of(side).name
        timeline_record(
            partnership=partnership,
            actor=actor.user,
            side=side,
            kind="fit",
            # The host's checklist is private to the host unless shared.
            visibility=Visibility.SHARED
            if side == Side.PARTNER or evaluation.shared
            else Visibility.PRIVATE,
            summary=(
                f"{side_name} submitted the fit checklist (version {evaluation.version.number})"
            ),
        )
        fit_refresh(partnership=partnership, reason=f"{side_name} submitted the checklist")
    return evaluation


@transaction.atomic
def evaluation_share(
    *, actor: Actor, partnership: Partnership, evaluation: Evaluation, shared: bool
) -> Evaluation:
    """The host shares its own (*ours*) evaluation with the partner, or takes it back."""
    actor.require_manage()
    if partnership.side_of(actor.organization.pk) != Side.HOST or evaluation.side != Side.HOST:
        raise PermissionDenied("Only the host shares its own evaluation.")
    Evaluation.objects.filter(partnership=partnership, side=Side.HOST).update(shared=shared)
    PartnershipFit.objects.filter(partnership=partnership).update(ours_shared=shared)
    evaluation.shared = shared
    timeline_record(
        partnership=partnership,
        actor=actor.user,
        side=Side.HOST,
        kind="fit",
        visibility=Visibility.SHARED,
        summary="Shared our fit evaluation" if shared else "Made our fit evaluation private",
    )
    return evaluation


def latest_submitted(
    partnership_ids: Iterable[int],
) -> dict[tuple[int, str], Evaluation]:
    """The newest submitted evaluation per (partnership, side), in one query."""
    latest: dict[tuple[int, str], Evaluation] = {}
    rows = (
        Evaluation.objects.filter(
            partnership_id__in=list(partnership_ids), status=EvaluationStatus.SUBMITTED
        )
        .only(
            "id",
            "partnership_id",
            "side",
            "answers",
            "other_dimensions",
            "shared",
            "submitted_at",
            "created_at",
        )
        .order_by("partnership_id", "side", "-submitted_at", "-id")
    )
    for evaluation in rows:
        latest.setdefault((evaluation.partnership_id, evaluation.side), evaluation)
    return latest


class LatestAnswers(NamedTuple):
    answers: dict[str, Any]
    shared: bool


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while thousands of checklists are decoded and scored.

    That work creates hundreds of thousands of small dicts and tuples; every few hundred
    allocations the collector would walk the young objects, and now and then everything
    still alive, which costs about as much again as the work itself. These objects form
    no reference cycles, so reference counting frees them; the collector resumes after.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@gc_paused()
def latest_answers_of_host(host_id: int) -> dict[tuple[int, str], LatestAnswers]:
    """The newest submitted answers per (partnership, side) for all of a host's
    partnerships: plain tuples, no model instances, for scoring thousands at once."""
    latest: dict[tuple[int, str], LatestAnswers] = {}
    rows = (
        Evaluation.objects.filter(partnership__host_id=host_id, status=EvaluationStatus.SUBMITTED)
        .order_by("partnership_id", "side", "-submitted_at", "-id")
        # The JSON as text, decoded with orjson: decoding is most of the load time. Not a
        # CAST: on PostgreSQL that makes a text copy of every jsonb before the sort, and the
        # driver receives the column as text anyway.
        .annotate(raw=ExpressionWrapper(F("answers"), output_field=TextField()))
        .values_list("partnership_id", "side", "raw", "shared")
    )
    # Not .iterator(): on PostgreSQL a server-side cursor favours a fast-start plan, which
    # without fresh statistics nests a scan of every evaluation per partnership.
    for partnership_id, side, raw, shared in rows:
        key = (partnership_id, side)
        if key not in latest:
            # (A driver that decodes JSON itself hands over the dict.)
            answers = orjson.loads(raw) if isinstance(raw, (str, bytes)) else raw
            latest[key] = LatestAnswers(answers or {}, shared)
    return latest


def fit_for(
    *,
    specs: list[scoring.CriterionSpec],
    version: IppVersion,
    host_eval: Evaluation | LatestAnswers | None,
    partner_eval: Evaluation | LatestAnswers | None,
) -> scoring.FitResult:
    return scoring.score_fit(
        specs,
        ours_answers=host_eval.answers if host_eval else {},
        theirs_answers=partner_eval.answers if partner_eval else {},
        band_high=version.band_high,
        band_medium=version.band_medium,
    )


def _fit_fields(result: scoring.FitResult, *, ours_shared: bool) -> dict[str, Any]:
    return {
        "ours": result.ours.score,
        "theirs": result.theirs.score,
        "mutual": result.mutual,
        "fit_score": result.fit_score,
        "band": result.band,
        "provisional": result.provisional,
        "coverage": result.coverage,
        "knocked_out": result.knocked_out,
        "ours_shared": ours_shared,
    }


@transaction.atomic
def fit_refresh(*, partnership: Partnership, reason: str) -> PartnershipFit | None:
    """Recompute the current fit against the host's active version; keep a snapshot."""
    version = IppVersion.objects.filter(
        host_id=partnership.host_id, status=VersionStatus.ACTIVE
    ).first()
    if version is None:
        return None
    latest = latest_submitted([partnership.pk])
    host_eval = latest.get((partnership.pk, Side.HOST))
    result = fit_for(
        specs=criterion_specs(version),
        version=version,
        host_eval=host_eval,
        partner_eval=latest.get((partnership.pk, Side.PARTNER)),
    )
    fields = _fit_fields(result, ours_shared=bool(host_eval and host_eval.shared))
    FitSnapshot.objects.create(partnership=partnership, version=version, reason=reason, **fields)
    current, _ = PartnershipFit.objects.update_or_create(
        partnership=partnership, defaults={"version": version, **fields}
    )
    return current


@dataclass
class BandMove:
    partnership_code: str
    partner_name: str
    before: str
    after: str
    before_score: float | None
    after_score: float | None
    why: str


@dataclass
class RescoreReport:
    version_number: int
    scored: int
    moves: list[BandMove] = field(default_factory=list)

    @property
    def moved(self) -> int:
        return len(self.moves)


class _StoredFit(NamedTuple):
    """A current fit as stored, compared as a tuple with what a rescore computes."""

    version_id: int
    ours: float | None
    theirs: float | None
    mutual: float | None
    fit_score: float | None
    band: str
    provisional: bool
    coverage: float
    knocked_out: bool
    ours_shared: bool


def _why(before: PartnershipFit | _StoredFit | None, result: scoring.FitResult) -> str:
    reasons = []
    if result.knocked_out and not (before and before.knocked_out):
        reasons.append("a red flag caps the score")
    if before and before.knocked_out and not result.knocked_out:
        reasons.append("no red flag any more")
    to_answer = len(result.ours.to_answer) + len(result.theirs.to_answer)
    if to_answer:
        reasons.append(f"{to_answer} criteria to answer")
    if before and before.provisional != result.provisional:
        reasons.append("both sides answered" if not result.provisional else "one side only")
    return "; ".join(reasons) or "criteria, weights or thresholds changed"


@transaction.atomic
@gc_paused()
def rescore_all(*, actor: Actor, version: IppVersion, reason: str = "") -> RescoreReport:
    """Score every partnership of the host against `version`, in bulk, and report who moved.

    Only the active version writes the directory's current fit, and only for the
    partnerships whose fit changed (each change also leaves a snapshot for the trend); any
    other version (a draft under test) is scored in memory and reported, changing nothing.
    """
    _require_host_manager(actor)
    if version.host_id != actor.organization.pk:
        raise PermissionDenied
    specs = criterion_specs(version)
    partnerships = list(
        Partnership.objects.filter(host=version.host).values_list("id", "code", "partner__name")
    )
    latest = latest_answers_of_host(version.host_id)
    # Plain tuples, not model instances: a rescore reads thousands of them.
    before = {
        row[0]: _StoredFit(*row[1:])
        for row in PartnershipFit.objects.filter(partnership__host=version.host).values_list(
            "partnership_id", *_StoredFit._fields
        )
    }
    report = RescoreReport(version_number=version.number, scored=len(partnerships))
    scorer = scoring.FitScorer(specs, band_high=version.band_high, band_medium=version.band_medium)
    changed: list[dict[str, Any]] = []
    now = timezone.now()
    for pk, code, partner_name in partnerships:
        host_eval = latest.get((pk, Side.HOST))
        partner_eval = latest.get((pk, Side.PARTNER))
        result = scorer.score(
            ours_answers=host_eval.answers if host_eval else {},
            theirs_answers=partner_eval.answers if partner_eval else {},
        )
        previous = before.get(pk)
        old_band = previous.band if previous else ""
        if old_band != result.band:
            report.moves.append(
                BandMove(
                    partnership_code=code,
                    partner_name=partner_name,
                    before=old_band,
                    after=result.band,
                    before_score=previous.fit_score if previous else None,
                    after_score=result.fit_score,
                    why=_why(previous, result),
                )
            )
        if version.status != VersionStatus.ACTIVE:
            continue
        fields = _fit_fields(result, ours_shared=bool(host_eval and host_eval.shared))
        if previous is not None and previous == _StoredFit(version_id=version.pk, **fields):
            continue  # nothing changed: no write, no snapshot
        changed.append({"partnership_id": pk, "version_id": version.pk, **fields})
    if changed:
        # Replacing the changed rows is a DELETE and an INSERT per batch, where an UPDATE
        # per row (or bulk_update's CASE per column) grows with the number of partnerships.
        # Only partnerships that had a current fit have a row to delete.
        ids = [row["partnership_id"] for row in changed if row["partnership_id"] in before]
        for start in range(0, len(ids), 1000):
            PartnershipFit.objects.filter(partnership_id__in=ids[start : start + 1000]).delete()
        insert_rows(PartnershipFit, [{**row, "updated_at": now} for row in changed])
        insert_rows(
            FitSnapshot,
            [
                {**row, "reason": reason or "Rescored", "created_at": now}
                for row in changed
                if row["fit_score"] is not None or row["partnership_id"] in before
            ],
        )
    return report


@transaction.atomic
def gap_action_create(
    *,
    actor: Actor,
    partnership: Partnership,
    criterion_key: str,
    kind: str,
    title: str,
    owner_side: str = Side.HOST,
    due_on: date | None = None,
    visibility: str = Visibility.PRIVATE,
) -> GapAction:
    """Turn a fit gap into a small plan step or a commitment."""
    actor.require_manage()
    if partnership.side_of(actor.organization.pk) != Side.HOST:
        raise PermissionDenied("The host turns its fit gaps into steps.")
    if kind not in GapActionKind.values:
        raise ValidationError({"kind": "Choose a plan step or a commitment."})
    if not title.strip():
        raise ValidationError({"title": "Describe the small step."})
    promise = kind == GapActionKind.COMMITMENT and visibility == Visibility.SHARED
    if promise and due_on is None:
        raise ValidationError(
            {"due_on": "A commitment shared with the partner needs a date: say by when."}
        )
    action = GapAction.objects.create(
        partnership=partnership,
        criterion_key=criterion_key,
        kind=kind,
        title=title.strip()[:300],
        owner_side=owner_side,
        due_on=due_on,
        visibility=visibility,
        created_by=actor.user,
    )
    if promise:
        # The commitment's own timeline line says it; the checklist behind it stays private.
        return _promise(actor=actor, action=action)
    timeline_record(
        partnership=partnership,
        actor=actor.user,
        side=Side.HOST,
        kind="gap",
        visibility=visibility,
        summary=f"New {GapActionKind(kind).label.lower()} to improve fit: {action.title}",
    )
    return action


def _promise(*, actor: Actor, action: GapAction) -> GapAction:
    from partnerloop.accountability.services import commitment_add

    action.commitment = commitment_add(
        actor=actor,
        partnership=action.partnership,
        side=action.owner_side,
        what=action.title,
        due_on=action.due_on,
    )
    action.visibility = Visibility.SHARED
    action.save(update_fields=["commitment", "visibility"])
    return action


@transaction.atomic
def gap_action_promise(*, actor: Actor, action: GapAction, due_on: date | None) -> GapAction:
    """A private commitment gap becomes a promise both sides hold the owner to."""
    actor.require_manage()
    if action.partnership.side_of(actor.organization.pk) != Side.HOST:
        raise PermissionDenied("The host turns its fit gaps into commitments.")
    if action.kind != GapActionKind.COMMITMENT:
        raise ValidationError(
            {"kind": "Only a commitment can be promised; add a step to the plan."}
        )
    locked = GapAction.objects.select_for_update().get(pk=action.pk)
    if locked.commitment_id is not None:
        raise ValidationError({"kind": "This is already a commitment both sides see."})
    locked.partnership = action.partnership
    locked.due_on = due_on or locked.due_on
    if locked.due_on is None:
        raise ValidationError({"due_on": "Say by when: a commitment needs a date."})
    return _promise(actor=actor, action=locked)
