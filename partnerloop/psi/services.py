"""Writes of private mode: consent per population, starting a run (the setup), answering its
single request, and the optional count the requester reports back.

The side that starts a run is the *client*: its list stays on its machine. The other side's
PartnerLoop is the *server*: it takes part with its own population, only if that side
consented for this partnership and population, and within the probing limits (size cap,
minimum client set size, runs per day). Every run is an audit record both sides see.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from partnerloop.core.tenancy import Actor
from partnerloop.partnerships.models import Partnership, Side
from partnerloop.partnerships.services import timeline_record
from partnerloop.psi import engine, selectors
from partnerloop.psi.models import Mode, PsiConsent, PsiRun, RunStatus


class RateLimited(Exception):
    """Too many runs for this partnership and population in the last 24 hours."""


class RunClosed(Exception):
    """The run already answered its one request, or waited too long for it."""


def _other(side: str) -> str:
    return Side.HOST if side == Side.PARTNER else Side.PARTNER


def _population(value: str) -> str:
    key = slugify(value or "")
    if not key:
        raise ValidationError({"population": "Name the population, such as customers."})
    return key[:40]


@transaction.atomic
def consent_set(
    *, actor: Actor, partnership: Partnership, side: str, population: str, allow_reveal: bool
) -> PsiConsent:
    """Let the other side run private mode against one of our populations."""
    actor.require_manage()
    key = _population(population)
    consent, created = PsiConsent.objects.update_or_create(
        partnership=partnership,
        side=side,
        population_key=key,
        defaults={"allow_reveal": allow_reveal, "enabled_by": actor.user},
    )
    modes = "counts and overlapping accounts" if allow_reveal else "counts only"
    timeline_record(
        partnership=partnership,
        actor=actor.user,
        side=side,
        kind="psi_consent",
        summary=f"Private mode {'enabled' if created else 'changed'} for {key}: {modes}",
    )
    return consent


@transaction.atomic
def consent_remove(*, actor: Actor, partnership: Partnership, side: str, population: str) -> None:
    actor.require_manage()
    deleted, _ = PsiConsent.objects.filter(
        partnership=partnership, side=side, population_key=population
    ).delete()
    if deleted:
        timeline_record(
            partnership=partnership,
            actor=actor.user,
            side=side,
            kind="psi_consent",
            summary=f"Private mode turned off for {population}",
        )


@dataclass
class Started:
    run: PsiRun
    setup: bytes


def run_start(
    *,
    actor: Actor,
    partnership: Partnership,
    side: str,
    population: str,
    mode: str,
    client_set_size: int,
) -> Started:
    """Start a run of `side` against the other side's `population`: the setup message.

    Refused with PermissionDenied without the other side's consent (or reveal mode without
    its consent to reveal), ValidationError for sizes, RateLimited past the daily limit.
    """
    actor.require_write()
    if mode not in Mode.values:
        raise ValidationError({"mode": "Choose count or reveal."})
    key = _population(population)
    serving = _other(side)
    consent = selectors.consent_for(partnership=partnership, side=serving, population_key=key)
    if consent is None:
        raise PermissionDenied(
            f"The {serving} has not enabled private mode for its {key} population in this "
            "partnership; ask them to turn it on."
        )
    if mode == Mode.REVEAL and not consent.allow_reveal:
        raise PermissionDenied(
            f"The {serving} allows counts only for {key}; run in count mode or ask them to "
            "allow reveal mode."
        )
    minimum, cap = selectors.min_set_size(), engine.max_set_size()
    if client_set_size < minimum:
        raise ValidationError(
            {
                "client_set_size": f"Bring at least {minimum} domains: smaller lists would "
                "let a run probe single accounts."
            }
        )
    if client_set_size > cap:
        raise ValidationError(
            {"client_set_size": f"At most {cap:,} domains per run; split your list."}
        )
    serving_org = partnership.host if serving == Side.HOST else partnership.partner
    _check_rate(partnership=partnership, side=side, key=key)
    # The setup (seconds for a large population) is built before taking the lock.
    items = selectors.population_keys(organization=serving_org, population_key=key)
    if len(items) > cap:
        raise ValidationError(
            {"population": f"The {key} population has more than {cap:,} domains."}
        )
    session = engine.ServerSession(engine.Mode(mode))
    setup = session.setup(items, client_set_size=client_set_size)
    with transaction.atomic():
        # One start at a time per partnership: the daily count cannot be raced past.
        Partnership.objects.select_for_update().filter(pk=partnership.pk).first()
        _check_rate(partnership=partnership, side=side, key=key)
        run = PsiRun.objects.create(
            partnership=partnership,
            requested_by=actor.user,
            requesting_org=actor.organization,
            requesting_side=side,
            population_key=key,
            mode=mode,
            client_set_size=client_set_size,
            server_set_size=len(items),
            server_key=session.key,
        )
        timeline_record(
            partnership=partnership,
            actor=actor.user,
            side=side,
            kind="psi_run",
            summary=f"Private mode run ({mode}) of {client_set_size:,} domains against "
            f"{key} ({len(items):,})",
        )
    return Started(run=run, setup=setup)


def _check_rate(*, partnership: Partnership, side: str, key: str) -> None:
    done = selectors.runs_today(partnership=partnership, requesting_side=side, population_key=key)
    limit = selectors.runs_per_day()
    if done >= limit:
        raise RateLimited(
            f"{done} runs against {key} in the last 24 hours; the limit is {limit}. "
            "Try again tomorrow."
        )


def _expire_if_stale(run: PsiRun) -> None:
    if run.status == RunStatus.AWAITING and run.created_at < timezone.now() - selectors.run_ttl():
        run.status = RunStatus.EXPIRED
        run.server_key = b""
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "server_key", "finished_at"])


def _own(actor: Actor, run: PsiRun) -> None:
    if run.requesting_org_id != actor.organization.pk:
        raise PermissionDenied("Only the organization that started this run may use it.")


def run_answer(*, actor: Actor, run: PsiRun, request: bytes) -> bytes:
    """The response to the run's one request; the key is deleted and the run finished.

    RunClosed once answered or expired; ValidationError for a request that is malformed,
    of the other mode, or larger than declared (the run stays open).
    """
    actor.require_write()
    _own(actor, run)
    with transaction.atomic():
        locked = PsiRun.objects.select_for_update().get(pk=run.pk)
        _expire_if_stale(locked)  # committed even though the run then refuses the request
        closed = locked.status != RunStatus.AWAITING
        if not closed:
            response = _answer(locked, request)
    if closed:
        raise RunClosed(
            "This run is over: each run answers one request. Start a new run."
            if locked.status == RunStatus.FINISHED
            else "This run waited too long for its request and expired. Start a new run."
        )
    run.status, run.finished_at, run.server_key = locked.status, locked.finished_at, b""
    return response


def _answer(locked: PsiRun, request: bytes) -> bytes:
    """Process the request with the stored key, then finish the run and delete the key."""
    try:
        size = engine.request_size(request)
        if size != locked.client_set_size:
            raise engine.PsiError(
                f"The request has {size:,} items; the run was started for "
                f"{locked.client_set_size:,}."
            )
        session = engine.ServerSession.resume(
            engine.Mode(locked.mode), bytes(locked.server_key), workers=engine.server_workers()
        )
        response = session.process(request, max_items=locked.client_set_size)
    except engine.PsiError as exc:
        raise ValidationError({"request": str(exc)}) from exc
    locked.status = RunStatus.FINISHED
    locked.finished_at = timezone.now()
    locked.server_key = b""
    locked.save(update_fields=["status", "finished_at", "server_key"])
    return response


@transaction.atomic
def run_report(*, actor: Actor, run: PsiRun, count: int) -> PsiRun:
    """The requester shares the intersection size it computed (optional, once)."""
    actor.require_write()
    _own(actor, run)
    locked = PsiRun.objects.select_for_update().get(pk=run.pk)
    if locked.status != RunStatus.FINISHED:
        raise RunClosed("Report the count after the run has answered its request.")
    if locked.result_count is not None:
        raise RunClosed("The count of this run was already reported.")
    limit = min(locked.client_set_size, locked.server_set_size)
    if not 0 <= count <= limit:
        raise ValidationError({"count": f"The count is between 0 and {limit:,} for this run."})
    locked.result_count = count
    locked.save(update_fields=["result_count"])
    timeline_record(
        partnership=run.partnership,
        actor=actor.user,
        side=locked.requesting_side,
        kind="psi_result",
        summary=f"Private mode run against {locked.population_key}: {count:,} accounts in common",
    )
    return locked
