"""Reads of partnership data. Every function takes the acting `Actor` and is tenancy-scoped."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Prefetch, Q, QuerySet
from django.http import Http404

from partnerloop.core.tenancy import Actor
from partnerloop.health.models import ATTENTION_BELOW
from partnerloop.partnerships.models import (
    Agreement,
    AgreementStatus,
    Comment,
    KeyPerson,
    Note,
    Partnership,
    Side,
    StageChange,
    Tag,
    TimelineEvent,
    Visibility,
)


def visible_to(side: str) -> Q:
    """Records a side may see: shared ones, and its own private ones."""
    return Q(visibility=Visibility.SHARED) | Q(side=side)


def partnerships_of(*, actor: Actor) -> QuerySet[Partnership]:
    """Every partnership the actor's organization is in, on either side."""
    org = actor.organization
    return Partnership.objects.filter(Q(host=org) | Q(partner=org))


def partnership_for(*, actor: Actor, code: str) -> tuple[Partnership, Side]:
    """One partnership of the actor's organization and the side it acts on; 404 otherwise."""
    partnership = (
        partnerships_of(actor=actor)
        .select_related("host", "partner", "host_owner", "partner_owner")
        .filter(code=code)
        .first()
    )
    if partnership is None:
        raise Http404("No such partnership.")
    return partnership, partnership.side_of(actor.organization.pk)


def hosted_partnership_for(*, actor: Actor, code: str) -> Partnership:
    """A partnership the actor's organization hosts; partner-side access is a 404 too."""
    partnership, side = partnership_for(actor=actor, code=code)
    if side != Side.HOST:
        raise Http404("No such partnership.")
    return partnership


@dataclass
class DirectoryFilters:
    q: str = ""
    stage: str = ""
    tier: str = ""
    partner_type: str = ""
    owner: str = ""
    tag: str = ""
    fit: str = ""
    health: str = ""
    sort: str = "name"


SORTS: dict[str, list[Any]] = {
    "name": ["partner__name", "id"],
    "-name": ["-partner__name", "-id"],
    "stage": ["stage", "partner__name"],
    "tier": ["tier", "partner__name"],
    "updated": ["updated_at", "id"],
    "-updated": ["-updated_at", "-id"],
    "created": ["created_at", "id"],
    "-created": ["-created_at", "-id"],
    "fit": [F("current_fit__fit_score").asc(nulls_last=True), "partner__name"],
    "-fit": [F("current_fit__fit_score").desc(nulls_last=True), "partner__name"],
    "health": [F("current_health__overall").asc(nulls_last=True), "partner__name", "id"],
    "-health": [F("current_health__overall").desc(nulls_last=True), "partner__name", "id"],
}
FIT_BANDS = ["high", "medium", "low", "none"]
# "attention": MAP health overall below 40 (docs/health.md); "none": not computed yet.
HEALTH_FILTERS = ["attention", "none"]


def directory(*, actor: Actor, filters: DirectoryFilters) -> QuerySet[Partnership]:
    """The host's partner directory with search, filters and a stable sort."""
    qs = Partnership.objects.filter(host=actor.organization).select_related(
        "partner", "host_owner", "current_fit", "current_health"
    )
    if filters.q:
        qs = qs.filter(
            Q(partner__name__icontains=filters.q)
            | Q(partner__domain__icontains=filters.q)
            | Q(description__icontains=filters.q)
        )
    if filters.stage:
        qs = qs.filter(stage=filters.stage)
    if filters.tier:
        qs = qs.filter(tier="" if filters.tier == "none" else filters.tier)
    if filters.partner_type:
        qs = qs.filter(partner_type=filters.partner_type)
    if filters.owner:
        if filters.owner == "none":
            qs = qs.filter(host_owner__isnull=True)
        elif filters.owner.isdigit():
            qs = qs.filter(host_owner_id=int(filters.owner))
    if filters.tag:
        qs = qs.filter(tags__name=filters.tag)
    if filters.fit == "none":
        qs = qs.filter(Q(current_fit__isnull=True) | Q(current_fit__band=""))
    elif filters.fit:
        qs = qs.filter(current_fit__band=filters.fit)
    if filters.health == "attention":
        qs = qs.filter(current_health__overall__lt=ATTENTION_BELOW)
    elif filters.health == "none":
        qs = qs.filter(current_health__isnull=True)
    return qs.prefetch_related(Prefetch("tags", queryset=Tag.objects.only("id", "name"))).order_by(
        *SORTS.get(filters.sort, SORTS["name"])
    )


def host_tags(*, actor: Actor) -> QuerySet[Tag]:
    return Tag.objects.filter(host=actor.organization)


def notes_for(*, partnership: Partnership, side: str) -> QuerySet[Note]:
    comments = Comment.objects.filter(visible_to(side)).select_related("author")
    return (
        Note.objects.filter(partnership=partnership)
        .filter(visible_to(side))
        .select_related("author")
        .prefetch_related(Prefetch("comments", queryset=comments, to_attr="visible_comments"))
    )


def note_for(*, partnership: Partnership, side: str, code: str) -> Note:
    note = notes_for(partnership=partnership, side=side).filter(code=code).first()
    if note is None:
        raise Http404("No such note.")
    return note


def timeline_for(*, partnership: Partnership, side: str) -> QuerySet[TimelineEvent]:
    return (
        TimelineEvent.objects.filter(partnership=partnership)
        .filter(visible_to(side))
        .select_related("actor")
        .order_by("-created_at", "-id")
    )


def stage_history_for(*, partnership: Partnership) -> QuerySet[StageChange]:
    return StageChange.objects.filter(partnership=partnership).select_related("changed_by")


def key_people_for(*, partnership: Partnership) -> QuerySet[KeyPerson]:
    return KeyPerson.objects.filter(partnership=partnership)


def key_person_for(*, partnership: Partnership, code: str) -> KeyPerson:
    person = key_people_for(partnership=partnership).filter(code=code).first()
    if person is None:
        raise Http404("No such person.")
    return person


def agreements_for(*, partnership: Partnership) -> QuerySet[Agreement]:
    return Agreement.objects.filter(partnership=partnership).select_related(
        "proposed_by", "accepted_by", "ended_by"
    )


def current_agreement(*, partnership: Partnership) -> Agreement | None:
    return (
        agreements_for(partnership=partnership)
        .filter(status__in=[AgreementStatus.PROPOSED, AgreementStatus.ACCEPTED])
        .first()
    )


def agreement_for(*, partnership: Partnership, code: str) -> Agreement:
    agreement = agreements_for(partnership=partnership).filter(code=code).first()
    if agreement is None:
        raise Http404("No such agreement.")
    return agreement


@dataclass
class Workspace:
    partnership: Partnership
    side: Side
    agreement: Agreement | None
    key_people: list[KeyPerson] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    timeline: list[TimelineEvent] = field(default_factory=list)
    timeline_has_more: bool = False
    stage_history: list[StageChange] = field(default_factory=list)


TIMELINE_PAGE = 30
NOTES_PAGE = 50


def workspace_for(*, actor: Actor, code: str) -> Workspace:
    """Everything one side may see on the partnership page, in a fixed number of queries."""
    partnership, side = partnership_for(actor=actor, code=code)
    timeline = list(timeline_for(partnership=partnership, side=side)[: TIMELINE_PAGE + 1])
    return Workspace(
        partnership=partnership,
        side=side,
        agreement=current_agreement(partnership=partnership),
        key_people=list(key_people_for(partnership=partnership)),
        notes=list(notes_for(partnership=partnership, side=side)[:NOTES_PAGE]),
        timeline=timeline[:TIMELINE_PAGE],
        timeline_has_more=len(timeline) > TIMELINE_PAGE,
        stage_history=list(stage_history_for(partnership=partnership)[:10]),
    )
