"""Writes of partnership data: each a keyword-only, typed, atomic function."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import Truncator

from partnerloop.accountability.responsiveness import comment_clock, host_responded
from partnerloop.accounts.models import Organization
from partnerloop.core.domains import InvalidWebsite, normalize_website
from partnerloop.core.tenancy import Actor
from partnerloop.partnerships.models import (
    Agreement,
    AgreementStatus,
    Comment,
    KeyPerson,
    Note,
    Partnership,
    PartnerType,
    Side,
    Stage,
    StageChange,
    Tag,
    Tier,
    TimelineEvent,
    Visibility,
)


class ConcurrentEdit(Exception):
    """Someone else saved the record after this edit started; nothing was written."""


def timeline_record(
    *,
    partnership: Partnership,
    actor: AbstractBaseUser | None,
    side: str,
    kind: str,
    summary: str,
    visibility: str = Visibility.SHARED,
) -> TimelineEvent:
    event = TimelineEvent.objects.create(
        partnership=partnership,
        actor=actor,
        side=side,
        kind=kind,
        summary=summary[:500],
        visibility=visibility,
    )
    # A shared line of the host answers the partner's waiting check-ins (one UPDATE).
    host_responded(
        partnership=partnership, answered_by=actor, kind=kind, side=side, visibility=visibility
    )
    return event


def _partner_organization(*, name: str, website: str) -> Organization:
    """The partner's organization, reused when one with that domain already exists."""
    try:
        normalized, domain = normalize_website(website)
    except InvalidWebsite as exc:
        raise ValidationError({"website": str(exc)}) from exc
    existing = Organization.objects.filter(domain=domain).order_by("id").first()
    if existing is not None:
        return existing
    return Organization.objects.create(name=name.strip(), website=normalized, domain=domain)


def _tags(*, host: Organization, names: Iterable[str]) -> list[Tag]:
    tags = []
    for name in {n.strip() for n in names if n.strip()}:
        tag, _ = Tag.objects.get_or_create(host=host, name=name[:60])
        tags.append(tag)
    return tags


@transaction.atomic
def partnership_create(
    *,
    actor: Actor,
    name: str,
    website: str,
    stage: str = Stage.PROSPECT,
    tier: str = Tier.NONE,
    partner_type: str = PartnerType.REFERRAL,
    host_owner: AbstractBaseUser | None = None,
    tags: Iterable[str] = (),
    description: str = "",
) -> Partnership:
    actor.require_manage()
    if not name.strip():
        raise ValidationError({"name": "Enter the partner's name."})
    host = actor.organization
    partner = _partner_organization(name=name, website=website)
    if partner.pk == host.pk:
        raise ValidationError({"website": "That is your own organization's domain."})
    if Partnership.objects.filter(host=host, partner=partner).exists():
        raise ValidationError(
            {"website": f"You already have a partnership with {partner.name} ({partner.domain})."}
        )
    partnership = Partnership.objects.create(
        host=host,
        partner=partner,
        stage=stage,
        tier=tier,
        partner_type=partner_type,
        host_owner=host_owner,
        description=description,
    )
    partnership.tags.set(_tags(host=host, names=tags))
    StageChange.objects.create(
        partnership=partnership,
        from_stage="",
        to_stage=stage,
        reason="Partnership created",
        changed_by=actor.user,
    )
    timeline_record(
        partnership=partnership,
        actor=actor.user,
        side=Side.HOST,
        kind="created",
        summary=f"Partnership with {partner.name} created",
    )
    return partnership


@dataclass
class PartnershipChanges:
    tier: str
    partner_type: str
    host_owner: AbstractBaseUser | None
    description: str
    tags: list[str]
    # Why the tier changes: required then, since the partner sees it in the timeline.
    reason: str = ""


@transaction.atomic
def partnership_update(
    *, actor: Actor, partnership: Partnership, expected_version: int, changes: PartnershipChanges
) -> Partnership:
    """Edit the host-side fields; refuses when someone saved in between (no lost update)."""
    actor.require_manage()
    if partnership.host_id != actor.organization.pk:
        raise PermissionDenied("Only the host edits these fields.")
    reason = changes.reason.strip()
    tier_changes = changes.tier != partnership.tier
    if tier_changes and not reason:
        raise ValidationError(
            {"reason": "Say why the tier changes; the partner reads it in the timeline."}
        )
    updated = Partnership.objects.filter(pk=partnership.pk, version=expected_version).update(
        tier=changes.tier,
        partner_type=changes.partner_type,
        host_owner=changes.host_owner,
        description=changes.description,
        version=F("version") + 1,
        updated_at=timezone.now(),
    )
    if not updated:
        raise ConcurrentEdit(
            "Someone else changed this partnership while you were editing. "
            "Reload the page to see their changes, then apply yours again."
        )
    before_tier = partnership.get_tier_display()
    partnership.refresh_from_db()
    partnership.tags.set(_tags(host=partnership.host, names=changes.tags))
    summary = "Partnership details edited"
    kind = "edited"
    if tier_changes:
        kind = "tier_changed"
        summary = f"Tier changed from {before_tier} to {partnership.get_tier_display()}: {reason}"
    timeline_record(
        partnership=partnership, actor=actor.user, side=Side.HOST, kind=kind, summary=summary
    )
    return partnership


@transaction.atomic
def partnership_change_stage(
    *, actor: Actor, partnership: Partnership, to_stage: str, reason: str
) -> StageChange:
    actor.require_manage()
    if partnership.host_id != actor.organization.pk:
        raise PermissionDenied("Only the host changes the stage.")
    if to_stage not in Stage.values:
        raise ValidationError({"stage": "Choose one of the listed stages."})
    if not reason.strip():
        raise ValidationError({"reason": "Say why the stage changes; it stays in the history."})
    locked = Partnership.objects.select_for_update().get(pk=partnership.pk)
    if locked.stage == to_stage:
        raise ValidationError({"stage": "The partnership is already at that stage."})
    change = StageChange.objects.create(
        partnership=locked,
        from_stage=locked.stage,
        to_stage=to_stage,
        reason=reason.strip(),
        changed_by=actor.user,
    )
    now = timezone.now()
    Partnership.objects.filter(pk=locked.pk).update(
        stage=to_stage, stage_changed_at=now, updated_at=now, version=F("version") + 1
    )
    timeline_record(
        partnership=locked,
        actor=actor.user,
        side=Side.HOST,
        kind="stage",
        summary=(
            f"Stage changed from {Stage(locked.stage).label} to {Stage(to_stage).label}: "
            f"{reason.strip()}"
        ),
    )
    partnership.refresh_from_db()
    return change


def _require_visibility(visibility: str) -> None:
    if visibility not in Visibility.values:
        raise ValidationError({"visibility": "Choose shared or private."})


@transaction.atomic
def note_create(*, actor: Actor, partnership: Partnership, body: str, visibility: str) -> Note:
    actor.require_write()
    _require_visibility(visibility)
    if not body.strip():
        raise ValidationError({"body": "Write something in the note."})
    side = partnership.side_of(actor.organization.pk)
    note = Note.objects.create(
        partnership=partnership,
        author=actor.user,
        side=side,
        visibility=visibility,
        body=body.strip(),
    )
    timeline_record(
        partnership=partnership,
        actor=actor.user,
        side=side,
        kind="note",
        visibility=visibility,
        summary=(
            f"Added a {Visibility(visibility).name.lower()} note: "
            f"“{Truncator(note.body).chars(90)}”"
        ),
    )
    return note


@transaction.atomic
def note_set_visibility(
    *, actor: Actor, partnership: Partnership, note: Note, visibility: str
) -> Note:
    """Share a private note or take a shared one back; the change is recorded."""
    actor.require_write()
    _require_visibility(visibility)
    side = partnership.side_of(actor.organization.pk)
    if note.side != side or (note.author_id != actor.user.pk and not actor.can_manage):
        raise PermissionDenied("Only the author or a manager of the author's side can do this.")
    if note.visibility == visibility:
        return note
    Note.objects.filter(pk=note.pk).update(visibility=visibility, updated_at=timezone.now())
    note.visibility = visibility
    # Both sides see that a shared note was withdrawn; a note being shared is news to both.
    timeline_record(
        partnership=partnership,
        actor=actor.user,
        side=side,
        kind="visibility",
        visibility=Visibility.SHARED,
        summary=(
            "Shared a note that was private"
            if visibility == Visibility.SHARED
            else "Made a shared note private"
        ),
    )
    return note


@transaction.atomic
def comment_create(
    *, actor: Actor, partnership: Partnership, note: Note, body: str, visibility: str
) -> Comment:
    actor.require_write()
    _require_visibility(visibility)
    if not body.strip():
        raise ValidationError({"body": "Write something in the comment."})
    side = partnership.side_of(actor.organization.pk)
    # A comment can never be more visible than the note it answers.
    if note.visibility == Visibility.PRIVATE:
        visibility = Visibility.PRIVATE
    comment = Comment.objects.create(
        note=note, author=actor.user, side=side, visibility=visibility, body=body.strip()
    )
    if visibility == Visibility.SHARED:
        # A partner's shared comment asks the host; the host's shared comment answers it.
        comment_clock(partnership=partnership, side=side, subject_code=note.code, actor=actor.user)
    timeline_record(
        partnership=partnership,
        actor=actor.user,
        side=side,
        kind="comment",
        visibility=visibility,
        summary="Commented on a note",
    )
    return comment


@transaction.atomic
def key_person_add(
    *,
    actor: Actor,
    partnership: Partnership,
    side: str,
    name: str,
    title: str = "",
    email: str = "",
    met_on: date | None = None,
) -> KeyPerson:
    actor.require_write()
    if side not in Side.values:
        raise ValidationError({"side": "Choose host or partner."})
    if not name.strip():
        raise ValidationError({"name": "Enter the person's name."})
    person = KeyPerson.objects.create(
        partnership=partnership,
        side=side,
        name=name.strip(),
        title=title.strip(),
        email=email.strip(),
        met=met_on is not None,
        met_on=met_on,
        added_by=actor.user,
    )
    timeline_record(
        partnership=partnership,
        actor=actor.user,
        side=partnership.side_of(actor.organization.pk),
        kind="person",
        summary=f"Added {person.name} as a key person ({partnership.org_of(side).name})",
    )
    return person


@transaction.atomic
def key_person_mark_met(
    *, actor: Actor, partnership: Partnership, person: KeyPerson, met_on: date
) -> KeyPerson:
    actor.require_write()
    if met_on > timezone.localdate():
        raise ValidationError({"met_on": "The meeting date cannot be in the future."})
    KeyPerson.objects.filter(pk=person.pk).update(met=True, met_on=met_on)
    person.met, person.met_on = True, met_on
    timeline_record(
        partnership=partnership,
        actor=actor.user,
        side=partnership.side_of(actor.organization.pk),
        kind="met",
        summary=f"Met {person.name} on {met_on.isoformat()}",
    )
    return person


@transaction.atomic
def agreement_propose(
    *, actor: Actor, partnership: Partnership, title: str, terms: str, notice_days: int
) -> Agreement:
    actor.require_manage()
    if partnership.host_id != actor.organization.pk:
        raise PermissionDenied("The host proposes the agreement.")
    if partnership.stage == Stage.ENDED:
        raise ValidationError({"terms": "This partnership has ended; reopen it first."})
    if not terms.strip():
        raise ValidationError({"terms": "Write the terms in plain language."})
    if not 0 <= notice_days <= 365:
        raise ValidationError({"notice_days": "Notice must be between 0 and 365 days."})
    locked = Partnership.objects.select_for_update().get(pk=partnership.pk)
    current = Agreement.objects.filter(
        partnership=locked, status__in=[AgreementStatus.PROPOSED, AgreementStatus.ACCEPTED]
    ).first()
    if current is not None and current.status == AgreementStatus.ACCEPTED:
        raise ValidationError(
            {"terms": "An agreement is already in force; end it before proposing new terms."}
        )
    if current is not None:
        current.status = AgreementStatus.WITHDRAWN
        current.save(update_fields=["status"])
    last = Agreement.objects.filter(partnership=locked).order_by("-text_version").first()
    agreement = Agreement.objects.create(
        partnership=locked,
        title=title.strip() or "Open partnership agreement",
        terms=terms.strip(),
        notice_days=notice_days,
        text_version=(last.text_version + 1) if last else 1,
        proposed_by=actor.user,
    )
    timeline_record(
        partnership=locked,
        actor=actor.user,
        side=Side.HOST,
        kind="agreement",
        summary=f"Proposed “{agreement.title}” (version {agreement.text_version}, "
        f"{notice_days} days' notice)",
    )
    return agreement


@transaction.atomic
def agreement_accept(
    *, actor: Actor, partnership: Partnership, agreement: Agreement, text_version: int
) -> Agreement:
    """A partner admin accepts exactly the text version they were shown."""
    actor.require_admin()
    if partnership.partner_id != actor.organization.pk:
        raise PermissionDenied("The partner accepts the agreement.")
    locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if locked.status != AgreementStatus.PROPOSED:
        raise ValidationError({"agreement": "This agreement is no longer open for acceptance."})
    if locked.text_version != text_version:
        raise ValidationError(
            {"agreement": "The terms changed while you were reading them; review the new text."}
        )
    locked.status = AgreementStatus.ACCEPTED
    locked.accepted_by = actor.user
    locked.accepted_at = timezone.now()
    locked.accepted_text_version = locked.text_version
    locked.save(update_fields=["status", "accepted_by", "accepted_at", "accepted_text_version"])
    timeline_record(
        partnership=partnership,
        actor=actor.user,
        side=Side.PARTNER,
        kind="agreement",
        summary=f"Accepted “{locked.title}” (version {locked.text_version})",
    )
    # The first tiny step of the plan, done by doing it.
    from partnerloop.plans.services import step_complete_by_key

    step_complete_by_key(
        actor=actor,
        partnership=partnership,
        key="agreement_accepted",
        evidence=f"“{locked.title}” accepted (version {locked.text_version})",
    )
    return locked


@transaction.atomic
def agreement_end(
    *, actor: Actor, partnership: Partnership, agreement: Agreement, reason: str
) -> Agreement:
    """Either side ends the agreement with a reason; the partnership ends, history stays."""
    actor.require_manage()
    if not reason.strip():
        raise ValidationError({"reason": "Say why the agreement ends; it helps both sides learn."})
    side = partnership.side_of(actor.organization.pk)
    locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if locked.status not in (AgreementStatus.ACCEPTED, AgreementStatus.PROPOSED):
        raise ValidationError({"agreement": "This agreement has already ended."})
    was_proposal = locked.status == AgreementStatus.PROPOSED
    locked.status = AgreementStatus.WITHDRAWN if was_proposal else AgreementStatus.ENDED
    locked.ended_by = actor.user
    locked.ended_side = side
    locked.ended_at = timezone.now()
    locked.end_reason = reason.strip()
    locked.save(update_fields=["status", "ended_by", "ended_side", "ended_at", "end_reason"])
    side_name = partnership.org_of(side).name
    if was_proposal:
        timeline_record(
            partnership=partnership,
            actor=actor.user,
            side=side,
            kind="agreement",
            summary=f"{side_name} declined the proposed agreement: {reason.strip()}",
        )
        return locked
    timeline_record(
        partnership=partnership,
        actor=actor.user,
        side=side,
        kind="agreement",
        summary=f"{side_name} ended the agreement: {reason.strip()}",
    )
    if partnership.stage != Stage.ENDED:
        StageChange.objects.create(
            partnership=partnership,
            from_stage=partnership.stage,
            to_stage=Stage.ENDED,
            reason=f"Agreement ended by {side_name}: {reason.strip()}",
            changed_by=actor.user,
        )
        now = timezone.now()
        Partnership.objects.filter(pk=partnership.pk).update(
            stage=Stage.ENDED, stage_changed_at=now, updated_at=now, version=F("version") + 1
        )
        partnership.refresh_from_db()
    return locked
