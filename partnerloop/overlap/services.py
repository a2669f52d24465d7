"""Writes of account overlap: the matches refresh (a background job), sharing, rejecting a
match, and acting on an overlapping account (docs/mapping-overlap.md)."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Hashable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone

from partnerloop.activities import services as activities
from partnerloop.activities.models import ActivityType
from partnerloop.core.bulk import insert_rows
from partnerloop.core.tenancy import Actor
from partnerloop.mapping.matching import AccountKeys, match_accounts
from partnerloop.mapping.models import Account, AccountUpload, Population
from partnerloop.overlap import selectors
from partnerloop.overlap.models import (
    AccountMatch,
    ActionKind,
    Level,
    MatchRejection,
    MatchState,
    OverlapAction,
    OverlapSharing,
    RefreshStatus,
    SharedField,
)
from partnerloop.partnerships.models import Partnership, Side, Visibility
from partnerloop.partnerships.services import ConcurrentEdit, timeline_record

logger = logging.getLogger(__name__)

# A second refresh of the same partnership waits this long before it is queued again.
REQUEUE_AFTER_SECONDS = 120


# --- The matches refresh ----------------------------------------------------------------


def refresh_queue(*, organization_id: int) -> int:
    """Queue a refresh of every partnership of the organization whose other side has a
    current list (or that had matches, which must now go). Called when the organization's
    current lists or population rules change; returns how many were queued."""
    partnerships = list(
        Partnership.objects.filter(Q(host_id=organization_id) | Q(partner_id=organization_id))
        .only("pk", "host_id", "partner_id")
        .order_by("pk")
    )
    # Two reads for all partnerships: which other sides have a current list, and which
    # partnerships have matches to replace.
    others = {p.partner_id if p.host_id == organization_id else p.host_id for p in partnerships}
    with_lists = set(
        AccountUpload.objects.filter(is_current=True, account_list__organization_id__in=others)
        .values_list("account_list__organization_id", flat=True)
        .distinct()
    )
    with_state = set(
        MatchState.objects.filter(partnership__in=partnerships).values_list(
            "partnership_id", flat=True
        )
    )
    queued = 0
    for partnership in partnerships:
        other = (
            partnership.partner_id
            if partnership.host_id == organization_id
            else partnership.host_id
        )
        if other not in with_lists and partnership.pk not in with_state:
            continue
        refresh_request(partnership=partnership, force=True)
        queued += 1
    return queued


def refresh_request(*, partnership: Partnership, force: bool = False) -> MatchState:
    """Queue a refresh when the matches are stale (or `force`), unless one is already
    waiting or running since recently."""
    state, _ = MatchState.objects.get_or_create(partnership=partnership)
    if not force:
        if state.status == RefreshStatus.CURRENT and state.signature == selectors.signature(
            partnership=partnership
        ):
            return state
        busy = state.status in (RefreshStatus.PENDING, RefreshStatus.RUNNING)
        waited = (timezone.now() - state.queued_at).total_seconds() if state.queued_at else None
        if busy and waited is not None and waited < REQUEUE_AFTER_SECONDS:
            return state
    # A new generation tells a refresh already running that its result is out of date
    # (population rules or rejections changed while it computed).
    MatchState.objects.filter(pk=state.pk).update(
        status=RefreshStatus.PENDING, queued_at=timezone.now(), generation=F("generation") + 1
    )
    state.refresh_from_db()
    partnership_id = partnership.pk

    def enqueue() -> None:
        from partnerloop.overlap.tasks import refresh_matches

        refresh_matches.enqueue(partnership_id=partnership_id)

    transaction.on_commit(enqueue)
    return state


def _rows_to_keys(rows: list[tuple[int, str, str, str, str]]) -> list[AccountKeys]:
    return [AccountKeys(row[0], row[1], row[2], row[3]) for row in rows]


def matches_refresh(*, partnership_id: int) -> int | None:
    """Recompute the partnership's matches from both sides' current lists and replace the
    stored ones in one transaction. None when the partnership is gone or the matches are
    already current; otherwise the number of matches stored."""
    partnership = Partnership.objects.filter(pk=partnership_id).first()
    if partnership is None:
        return None
    wanted = selectors.signature(partnership=partnership)
    state, _ = MatchState.objects.get_or_create(partnership=partnership)
    if state.status == RefreshStatus.CURRENT and state.signature == wanted:
        return None
    generation = state.generation
    MatchState.objects.filter(pk=state.pk).update(status=RefreshStatus.RUNNING, wanted=wanted)
    started = time.perf_counter()
    try:
        rows = _compute(partnership)
    except Exception:
        logger.exception("Matching failed for partnership %s", partnership_id)
        MatchState.objects.filter(pk=state.pk).update(
            status=RefreshStatus.FAILED, message="Matching failed; it is retried on next upload."
        )
        raise
    with transaction.atomic():
        locked = MatchState.objects.select_for_update().get(pk=state.pk)
        if (
            locked.status == RefreshStatus.CURRENT
            and locked.signature == wanted
            and locked.generation == generation
        ):
            return None  # a concurrent refresh stored the same matches first
        AccountMatch.objects.filter(partnership=partnership).delete()
        insert_rows(AccountMatch, rows, batch=2000)
        # An upload that became current, or a rule or rejection that changed, while we
        # computed leaves the state pending: the refresh queued for it computes again.
        up_to_date = (
            selectors.signature(partnership=partnership) == wanted
            and locked.generation == generation
        )
        MatchState.objects.filter(pk=state.pk).update(
            signature=wanted,
            status=RefreshStatus.CURRENT if up_to_date else RefreshStatus.PENDING,
            matches=len(rows),
            message="",
            computed_at=timezone.now(),
            seconds=round(time.perf_counter() - started, 3),
        )
    return len(rows)


def _compute(partnership: Partnership) -> list[dict[str, Any]]:
    host_rows = selectors.matchable_accounts(organization_id=partnership.host_id)
    partner_rows = selectors.matchable_accounts(organization_id=partnership.partner_id)
    if not host_rows or not partner_rows:
        return []
    host = {row[0]: row for row in host_rows}
    partner = {row[0]: row for row in partner_rows}
    rejected_keys = set(
        MatchRejection.objects.filter(partnership=partnership).values_list(
            "host_key", "partner_key"
        )
    )
    rejected: set[tuple[Hashable, Hashable]] = set()
    if rejected_keys:
        host_ids: dict[str, list[int]] = defaultdict(list)
        partner_ids: dict[str, list[int]] = defaultdict(list)
        wanted_host = {h for h, _ in rejected_keys}
        wanted_partner = {p for _, p in rejected_keys}
        for row in host_rows:
            key = selectors.account_key(row[1], row[2])
            if key in wanted_host:
                host_ids[key].append(row[0])
        for row in partner_rows:
            key = selectors.account_key(row[1], row[2])
            if key in wanted_partner:
                partner_ids[key].append(row[0])
        for host_key, partner_key in rejected_keys:
            for h in host_ids.get(host_key, ()):
                for p in partner_ids.get(partner_key, ()):
                    rejected.add((h, p))
    matches = match_accounts(
        _rows_to_keys(host_rows), _rows_to_keys(partner_rows), rejected=rejected
    )
    # One row per pair of companies and cell: two rows of one list with the same domain
    # count once.
    kept: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for match in matches:
        h, p = host[match.ours_id], partner[match.theirs_id]  # type: ignore[index]
        host_key = selectors.account_key(h[1], h[2])
        partner_key = selectors.account_key(p[1], p[2])
        if not host_key or not partner_key:
            continue
        slot = (host_key, partner_key, h[4], p[4])
        if slot in kept and kept[slot]["confidence"] >= match.confidence:
            continue
        kept[slot] = {
            "partnership_id": partnership.pk,
            "host_account_id": h[0],
            "partner_account_id": p[0],
            "host_population": h[4],
            "partner_population": p[4],
            "host_key": host_key[:255],
            "partner_key": partner_key[:255],
            "method": match.method,
            "confidence": round(float(match.confidence), 4),
        }
    return list(kept.values())


# --- Sharing ----------------------------------------------------------------------------


def _side(actor: Actor, partnership: Partnership) -> str:
    return partnership.side_of(actor.organization.pk)


@transaction.atomic
def sharing_set(
    *,
    actor: Actor,
    partnership: Partnership,
    population_key: str,
    level: str,
    fields: list[str] | None = None,
    version: int | None = None,
) -> OverlapSharing:
    """Set what the actor's side shares of one of its populations. `version` is the one
    the form was read with (0 for "never set"); a different one means someone changed it
    meanwhile and nothing is written."""
    actor.require_manage()
    side = _side(actor, partnership)
    population = Population.objects.filter(
        organization=actor.organization, key=population_key
    ).first()
    if population is None:
        raise ValidationError({"population": "Choose one of your populations."})
    if level not in Level.values:
        raise ValidationError({"level": "Choose hidden, overlap counts only, or accounts."})
    chosen = [f for f in SharedField.values if f in set(fields or [])]
    unknown = sorted(set(fields or []) - set(SharedField.values))
    if unknown:
        raise ValidationError({"fields": f"Unknown fields: {', '.join(unknown)}."})
    if level == Level.ACCOUNTS and not {SharedField.NAME, SharedField.DOMAIN} & set(chosen):
        raise ValidationError(
            {
                "fields": "Share at least the company name or the website domain, so that the "
                "other side can tell which account it is."
            }
        )
    if level != Level.ACCOUNTS:
        chosen = []
    existing = (
        OverlapSharing.objects.select_for_update()
        .filter(partnership=partnership, side=side, population_key=population.key)
        .first()
    )
    current_version = existing.version if existing else 0
    if version is not None and version != current_version:
        raise ConcurrentEdit(
            "Someone on your side changed the sharing of this population after you opened "
            "it. Nothing was saved: here it is as it is now."
        )
    if existing is None:
        try:
            with transaction.atomic():
                sharing = OverlapSharing.objects.create(
                    partnership=partnership,
                    side=side,
                    population_key=population.key,
                    level=level,
                    fields=chosen,
                    updated_by=actor.user,
                )
        except IntegrityError as exc:
            raise ConcurrentEdit(
                "Someone on your side set the sharing of this population meanwhile. Nothing "
                "was saved: here it is as it is now."
            ) from exc
        before = Level.HIDDEN
    else:
        before = existing.level
        if existing.level == level and existing.fields == chosen:
            return existing
        OverlapSharing.objects.filter(pk=existing.pk).update(
            level=level,
            fields=chosen,
            version=existing.version + 1,
            updated_by=actor.user,
            updated_at=timezone.now(),
        )
        sharing = OverlapSharing.objects.get(pk=existing.pk)
    if before != level:
        # A prompt for the other side: what we share now (never a count).
        timeline_record(
            partnership=partnership,
            actor=actor.user,
            side=side,
            kind="overlap_sharing",
            summary=f"Account mapping: {actor.organization.name} shares {population.name}: "
            f"{_level_words(level, chosen)}",
        )
    return sharing


def _level_words(level: str, fields: list[str]) -> str:
    if level == Level.ACCOUNTS:
        names = ", ".join(SharedField(f).label.lower() for f in fields)
        return f"overlapping accounts ({names})"
    return "overlap counts only" if level == Level.COUNTS else "nothing (hidden)"


# --- Rejecting a match ------------------------------------------------------------------


@transaction.atomic
def match_reject(
    *, actor: Actor, partnership: Partnership, match_id: int, reason: str = ""
) -> MatchRejection:
    """Either side that sees the match account by account says it is wrong: the pair goes
    at once and never comes back; the two accounts stay free for other matches."""
    actor.require_write()
    side = _side(actor, partnership)
    match, _cell = selectors.match_for(partnership=partnership, side=side, match_id=match_id)
    rejection, _ = MatchRejection.objects.get_or_create(
        partnership=partnership,
        host_key=match.host_key,
        partner_key=match.partner_key,
        defaults={"side": side, "reason": reason.strip()[:300], "rejected_by": actor.user},
    )
    AccountMatch.objects.filter(
        partnership=partnership, host_key=match.host_key, partner_key=match.partner_key
    ).delete()
    # Other rules may now pair these accounts with something else.
    refresh_request(partnership=partnership, force=True)
    return rejection


@transaction.atomic
def rejection_undo(*, actor: Actor, partnership: Partnership, rejection_id: int) -> None:
    actor.require_write()
    deleted, _ = MatchRejection.objects.filter(partnership=partnership, pk=rejection_id).delete()
    if not deleted:
        raise Http404("No such rejected match.")
    refresh_request(partnership=partnership, force=True)


# --- Acting on an overlapping account ---------------------------------------------------


@transaction.atomic
def overlap_act(
    *,
    actor: Actor,
    partnership: Partnership,
    match_id: int,
    kind: str,
    note: str = "",
) -> OverlapAction:
    """Mark an overlapping account acted on. It becomes a shared "account mapping"
    activity of the partnership, named with what both sides may see of the account."""
    actor.require_write()
    side = _side(actor, partnership)
    match, _cell = selectors.match_for(partnership=partnership, side=side, match_id=match_id)
    if kind not in ActionKind.values:
        raise ValidationError({"kind": "Choose intro asked, co-selling or referral."})
    if OverlapAction.objects.filter(
        partnership=partnership,
        host_key=match.host_key,
        partner_key=match.partner_key,
        kind=kind,
    ).exists():
        raise ValidationError(
            {"kind": f"This account is already marked “{ActionKind(kind).label}”."}
        )
    activity = activities.activity_log(
        actor=actor,
        partnership=partnership,
        kind=ActivityType.ACCOUNT_MAPPING,
        title=f"{ActionKind(kind).label}: {_label_both_see(partnership, match)}"[:200],
        happened_on=timezone.localdate(),
        description=note,
        visibility=Visibility.SHARED,
    )
    return OverlapAction.objects.create(
        partnership=partnership,
        host_key=match.host_key,
        partner_key=match.partner_key,
        kind=kind,
        side=side,
        activity=activity,
        created_by=actor.user,
    )


def _label_both_see(partnership: Partnership, match: AccountMatch) -> str:
    """The account's name or domain as shared by a side, so the shared activity shows the
    other side nothing it could not see already."""
    sharing = selectors.sharing_of(partnership=partnership)
    for side, account_id, population in (
        (Side.PARTNER, match.partner_account_id, match.partner_population),
        (Side.HOST, match.host_account_id, match.host_population),
    ):
        fields = sharing.get((side, population))
        if fields is None:
            continue
        account = Account.objects.filter(pk=account_id).only("name", "domain").first()
        if account is None:
            continue
        if SharedField.NAME in fields.fields and account.name:
            return account.name
        if SharedField.DOMAIN in fields.fields and account.domain:
            return account.domain
    return "an overlapping account"


def action_outcome(
    *, actor: Actor, partnership: Partnership, action: OverlapAction, result: str, notes: str = ""
) -> None:
    """The actor's side says whether acting on the account worked (the activity's outcome)."""
    if action.partnership_id != partnership.pk:
        raise PermissionDenied("That action belongs to another partnership.")
    activities.outcome_record(actor=actor, activity=action.activity, result=result, notes=notes)
