"""Reads of private mode: consents and the run audit log of one partnership (both sides see
both), a run of the actor's organization, and the population a side brings to a run."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from partnerloop.accounts.models import Organization
from partnerloop.core.tenancy import Actor
from partnerloop.partnerships.models import Partnership
from partnerloop.partnerships.selectors import partnerships_of
from partnerloop.psi.models import PsiConsent, PsiRun

DEFAULT_RUNS_PER_DAY = 5
DEFAULT_MIN_SET_SIZE = 20
DEFAULT_RUN_TTL_MINUTES = 60
COMMON_POPULATIONS = ("customers", "opportunities", "prospects")


def runs_per_day() -> int:
    """Runs allowed per partnership, requesting side and population in any 24 hours."""
    return int(getattr(settings, "PSI_RUNS_PER_DAY", DEFAULT_RUNS_PER_DAY))


def min_set_size() -> int:
    """The smallest client set accepted, so that a run cannot probe one or two domains."""
    return int(getattr(settings, "PSI_MIN_SET_SIZE", DEFAULT_MIN_SET_SIZE))


def run_ttl() -> timedelta:
    """How long a run waits for its request before its key is deleted."""
    return timedelta(minutes=int(getattr(settings, "PSI_RUN_TTL_MINUTES", DEFAULT_RUN_TTL_MINUTES)))


def consents_for(*, partnership: Partnership) -> QuerySet[PsiConsent]:
    return PsiConsent.objects.filter(partnership=partnership).select_related("enabled_by")


def consent_for(*, partnership: Partnership, side: str, population_key: str) -> PsiConsent | None:
    return PsiConsent.objects.filter(
        partnership=partnership, side=side, population_key=population_key
    ).first()


def runs_for(*, partnership: Partnership) -> QuerySet[PsiRun]:
    """The audit log: every run in the partnership, newest first, whoever asked."""
    return (
        PsiRun.objects.filter(partnership=partnership)
        .select_related("partnership", "requested_by", "requesting_org")
        .defer("server_key")
    )


def run_for(*, actor: Actor, code: str) -> PsiRun:
    """A run of a partnership the actor's organization is in; 404 otherwise."""
    run = (
        PsiRun.objects.filter(code=code, partnership__in=partnerships_of(actor=actor))
        .select_related("partnership", "partnership__host", "partnership__partner")
        .first()
    )
    if run is None:
        raise Http404("No such run.")
    return run


def runs_today(*, partnership: Partnership, requesting_side: str, population_key: str) -> int:
    since = timezone.now() - timedelta(days=1)
    return PsiRun.objects.filter(
        partnership=partnership,
        requesting_side=requesting_side,
        population_key=population_key,
        created_at__gte=since,
    ).count()


def population_keys(*, organization: Organization, population_key: str) -> list[str]:
    """The normalized domains of the organization's current list in that population."""
    from partnerloop.mapping.selectors import population_keys as mapping_population_keys

    return sorted(
        set(mapping_population_keys(organization=organization, population_key=population_key))
        - {""}
    )
