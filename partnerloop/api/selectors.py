"""Reads for the API: token lookup and the partnership list across both sides."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import F, Model, Q, QuerySet
from django.http import Http404

from partnerloop.accounts.models import Membership, Organization
from partnerloop.api.models import TOKEN_PREFIX, ApiToken, hash_secret
from partnerloop.core.tenancy import Actor
from partnerloop.partnerships import selectors as partnership_selectors
from partnerloop.partnerships.models import Partnership, Side

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


class _TokenQuery:
    """The token lookup of every API request as one SQL statement, composed once from the
    models' metadata: the token, its user and organization, and the user's role there.

    The same lookup through the ORM spent about 1 ms per request composing the query
    (select_related of two models and a subquery) and 50 µs running it.
    """

    def __init__(self) -> None:
        self.sql = ""
        # Per model: its attribute names and, per field, the backend's converters (what
        # an ORM read applies: dates on SQLite come back as text otherwise).
        self.shapes: list[tuple[type[Model], list[str], list[tuple[Any, list[Any]]]]] = []

    def _compose(self) -> None:
        # Built in locals and published at the end: two threads composing at once both
        # publish the same thing.
        qn = connection.ops.quote_name
        models = (ApiToken, get_user_model(), Organization)
        columns = []
        shapes = []
        for alias, model in zip("tuo", models, strict=True):
            fields = model._meta.concrete_fields
            columns += [f"{alias}.{qn(field.column)}" for field in fields]
            # Per column, its expression and the converters an ORM read would apply.
            cols = [field.get_col(alias) for field in fields]
            converters = [
                (col, connection.ops.get_db_converters(col) + col.get_db_converters(connection))
                for col in cols
            ]
            shapes.append((model, [field.attname for field in fields], converters))

        def column(model: type[Model], name: str) -> str:
            return qn(model._meta.get_field(name).column)

        token, user, organization = (qn(model._meta.db_table) for model in models)
        self.shapes = shapes
        self.sql = (
            f"SELECT {', '.join(columns)}, m.{column(Membership, 'role')} FROM {token} t"
            f" JOIN {user} u ON u.{qn(models[1]._meta.pk.column)} = t.{column(ApiToken, 'user')}"
            f" JOIN {organization} o ON o.{qn(Organization._meta.pk.column)}"
            f" = t.{column(ApiToken, 'organization')}"
            f" LEFT JOIN {qn(Membership._meta.db_table)} m"
            f" ON m.{column(Membership, 'user')} = t.{column(ApiToken, 'user')}"
            f" AND m.{column(Membership, 'organization')} = t.{column(ApiToken, 'organization')}"
            f" WHERE t.{column(ApiToken, 'prefix')} = %s"
            f" AND t.{column(ApiToken, 'revoked_at')} IS NULL"
        )

    def run(self, prefix: str) -> tuple[Any, Any, Any, str | None] | None:
        """(token, user, organization, role or None when no longer a member) or None."""
        if not self.sql:
            self._compose()
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [prefix])
            row = cursor.fetchone()
        if row is None:
            return None
        instances = []
        start = 0
        for model, names, converters in self.shapes:
            values = []
            for value, (col, col_converters) in zip(
                row[start : start + len(names)], converters, strict=True
            ):
                for converter in col_converters:
                    value = converter(value, col, connection)
                values.append(value)
            instances.append(model.from_db(connection.alias, names, values))
            start += len(names)
        token, user, organization = instances
        return token, user, organization, row[start]


_token_query = _TokenQuery()


def token_authenticate(*, raw: str) -> tuple[ApiToken, Actor] | None:
    """The token and the actor it stands for, in one query; None when it must not work.

    A token works while it is not revoked, its user is active and the user is still a
    member of the token's organization; the role is the membership's current one.
    """
    parts = split_token(raw)
    if parts is None:
        return None
    prefix, secret = parts
    found = _token_query.run(prefix)
    if found is None:
        return None
    token, user, organization, role = found
    if not hmac.compare_digest(token.secret_hash, hash_secret(secret)):
        return None
    if role is None or not user.is_active:
        return None
    token.user, token.organization = user, organization
    actor = Actor(user=user, organization=organization, role=role, read_only=token.read_only)
    return token, actor


@dataclass
class PartnershipFilters:
    q: str = ""
    stage: str = ""
    tier: str = ""
    partner_type: str = ""
    side: str = ""
    tag: str = ""


def partnerships_matching(*, actor: Actor, filters: PartnershipFilters) -> QuerySet[Partnership]:
    """Every partnership of the actor's organization, on either side, that the filters keep;
    filters apply like the host's directory. Unordered: `partnerships_page` sorts them.

    Search and tags look only at what the actor's side may see: the partner's name, domain
    and (host side) description and tags; the host's name and domain (partner side).
    """
    org = actor.organization
    qs = partnership_selectors.partnerships_of(actor=actor)
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
        # A tag name is unique per host and linked once per partnership: no duplicate rows.
        qs = qs.filter(host=org, tags__name=filters.tag)
    return qs.order_by()


@dataclass(frozen=True)
class PartnershipPage:
    items: list[dict[str, Any]]
    count: int


def _email(email: str | None, username: str | None) -> str | None:
    """`schemas._email` of a user read as two columns (both None without a user)."""
    if email is None and username is None:
        return None
    return email or username


def partnerships_page(
    *, actor: Actor, filters: PartnershipFilters, offset: int, limit: int
) -> PartnershipPage:
    """One page of `partnerships_matching`, sorted by the name of the other organization
    and then by id, and the count of all its rows, the items already in the shape of
    `schemas.PartnershipOut` (what `GET /partnerships/{code}` answers).

    Built from plain rows in at most four queries (count, page ids, page rows, the page's
    tags), without model instances: the list is the API's most requested read.
    """
    org = actor.organization
    matching = partnerships_matching(actor=actor, filters=filters)
    count = matching.count()
    if offset >= count:
        return PartnershipPage(items=[], count=count)
    # The order is computed on (id, name) pairs: the hosted
    # partnerships sorted by the partner's name and the others by the host's name, each
    # with a single join, are cheaper to sort than all rows joined to both organizations.
    sides: list[QuerySet[Partnership]] = []
    if filters.side != Side.PARTNER:
        sides.append(matching.filter(host=org).annotate(other_name=F("partner__name")))
    if filters.side != Side.HOST and not filters.tag:
        sides.append(matching.filter(partner=org).annotate(other_name=F("host__name")))
    pairs = sides[0].values_list("id", "other_name")
    if len(sides) > 1:
        pairs = pairs.union(sides[1].values_list("id", "other_name"), all=True)
    page_ids = [pk for pk, _ in pairs.order_by("other_name", "id")[offset : offset + limit]]
    position = {pk: index for index, pk in enumerate(page_ids)}
    username = get_user_model().USERNAME_FIELD
    rows = sorted(
        partnership_selectors.partnerships_of(actor=actor)
        .filter(id__in=page_ids)
        .order_by()
        .values_list(
            "id",
            "code",
            "host_id",
            "host__code",
            "host__name",
            "host__website",
            "host__domain",
            "partner__code",
            "partner__name",
            "partner__website",
            "partner__domain",
            "stage",
            "tier",
            "partner_type",
            "host_owner__email",
            f"host_owner__{username}",
            "partner_owner__email",
            f"partner_owner__{username}",
            "stage_changed_at",
            "created_at",
            "description",
            "version",
        ),
        key=lambda row: position[row[0]],
    )
    org_id = org.pk
    hosted = [row[0] for row in rows if row[2] == org_id]
    tags: dict[int, list[str]] = {pk: [] for pk in hosted}
    if hosted:
        links = Partnership.tags.through.objects.filter(partnership_id__in=hosted)
        for partnership_id, name in links.values_list("partnership_id", "tag__name"):
            tags[partnership_id].append(name)
    items = [
        {
            "code": code,
            "side": Side.HOST if host_id == org_id else Side.PARTNER,
            "host": {"code": h_code, "name": h_name, "website": h_site, "domain": h_domain},
            "partner": {"code": p_code, "name": p_name, "website": p_site, "domain": p_domain},
            "stage": stage,
            "tier": tier,
            "partner_type": partner_type,
            "host_owner": _email(h_email, h_username),
            "partner_owner": _email(p_email, p_username),
            "stage_changed_at": stage_changed_at,
            "created_at": created_at,
            "host_details": {
                "description": description,
                "tags": sorted(tags[pk]),
                "version": version,
            }
            if host_id == org_id
            else None,
        }
        for (
            pk,
            code,
            host_id,
            h_code,
            h_name,
            h_site,
            h_domain,
            p_code,
            p_name,
            p_site,
            p_domain,
            stage,
            tier,
            partner_type,
            h_email,
            h_username,
            p_email,
            p_username,
            stage_changed_at,
            created_at,
            description,
            version,
        ) in rows
    ]
    return PartnershipPage(items=items, count=count)


def host_member(*, actor: Actor, email: str) -> Any:
    """A user of the actor's organization by e-mail, or None."""
    return (
        get_user_model()
        .objects.filter(memberships__organization=actor.organization, email__iexact=email.strip())
        .first()
    )
