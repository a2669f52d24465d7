"""Reads for the API: token lookup and the partnership list across both sides."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Case, F, OuterRef, Prefetch, Q, QuerySet, Subquery, When
from django.http import Http404

from partnerloop.accounts.models import Membership
from partnerloop.api.models import TOKEN_PREFIX, ApiToken, hash_secret
from partnerloop.core.tenancy import Actor
from partnerloop.partnerships import selectors as partnership_selectors
from partnerloop.partnerships.models import Partnership, Side, Tag

PREFIX_LENGTH = 8


def tokens_of(*, actor: Actor) -> QuerySet[ApiToken]:
    """The acting user's own tokens in the actor's organization, newest first."""
    return ApiToken.objects.filter(user=actor.user, organization=actor.organization)


def token_for(*, actor: Actor, prefix: str) -> ApiToken:
    token = tokens_of(actor=actor).filter(prefix=prefix).first()
    if token is None:
        raise Http404("No such token.")
    return token


def split_token(raw: str) -> tuple[str, str] | None:
    """`pl_<prefix>_<secret>` -> (prefix, secret); None when it is not shaped like a token."""
    head, _, rest = raw.strip().partition("_")
    prefix, _, secret = rest.partition("_")
    if head != TOKEN_PREFIX or len(prefix) != PREFIX_LENGTH or not secret:
        return None
    return prefix, secret


def token_authenticate(*, raw: str) -> tuple[ApiToken, Actor] | None:
    """The token and the actor it stands for, in one query; None when it must not work.

    A token works while it is not revoked, its user is active and the user is still a
    member of the token's organization; the role is the membership's current one.
    """
    parts = split_token(raw)
    if parts is None:
        return None
    prefix, secret = parts
    role = Membership.objects.filter(
        user=OuterRef("user"), organization=OuterRef("organization")
    ).values("role")[:1]
    token = (
        ApiToken.objects.select_related("user", "organization")
        .annotate(member_role=Subquery(role))
        .filter(prefix=prefix, revoked_at__isnull=True)
        .first()
    )
    if token is None or not hmac.compare_digest(token.secret_hash, hash_secret(secret)):
        return None
    if token.member_role is None or not token.user.is_active:
        return None
    actor = Actor(
        user=token.user,
        organization=token.organization,
        role=token.member_role,
        read_only=token.read_only,
    )
    return token, actor


@dataclass
class PartnershipFilters:
    q: str = ""
    stage: str = ""
    tier: str = ""
    partner_type: str = ""
    side: str = ""
    tag: str = ""


def partnerships_list(*, actor: Actor, filters: PartnershipFilters) -> QuerySet[Partnership]:
    """Every partnership of the actor's organization, on either side, sorted by the name of
    the other organization; filters apply like the host's directory.

    Search and tags look only at what the actor's side may see: the partner's name, domain
    and (host side) description and tags; the host's name and domain (partner side).
    """
    org = actor.organization
    qs = partnership_selectors.partnerships_of(actor=actor).select_related(
        "host", "partner", "host_owner", "partner_owner"
    )
    if filters.side == Side.HOST:
        qs = qs.filter(host=org)
    elif filters.side == Side.PARTNER:
        qs = qs.filter(partner=org)
    if filters.q:
        q = filters.q
        qs = qs.filter(
            Q(host=org)
            & (
                Q(partner__name__icontains=q)
                | Q(partner__domain__icontains=q)
                | Q(description__icontains=q)
            )
            | Q(partner=org) & (Q(host__name__icontains=q) | Q(host__domain__icontains=q))
        )
    if filters.stage:
        qs = qs.filter(stage=filters.stage)
    if filters.tier:
        qs = qs.filter(tier="" if filters.tier == "none" else filters.tier)
    if filters.partner_type:
        qs = qs.filter(partner_type=filters.partner_type)
    if filters.tag:
        qs = qs.filter(host=org, tags__name=filters.tag)
    return (
        qs.annotate(
            other_name=Case(When(host=org, then=F("partner__name")), default=F("host__name"))
        )
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.only("id", "name")))
        .order_by("other_name", "id")
    )


def host_member(*, actor: Actor, email: str) -> Any:
    """A user of the actor's organization by e-mail, or None."""
    return (
        get_user_model()
        .objects.filter(memberships__organization=actor.organization, email__iexact=email.strip())
        .first()
    )
