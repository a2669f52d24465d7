"""MAP health in the JSON API, mounted at /api/v1/health.

Host side only: health is computed from the host's private checklist answers, so the
partner side of a partnership gets 404, as for another tenant's object.

No `from __future__ import annotations`: ninja reads the operations' signatures.
"""

from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from partnerloop.api.partnerships import LimitOffset, _actor
from partnerloop.api.schemas import responses
from partnerloop.health import selectors
from partnerloop.health.models import PartnershipHealth
from partnerloop.health.services import refresh_partnership_health
from partnerloop.partnerships.selectors import hosted_partnership_for

router = Router(tags=["health"])


class ScoresOut(Schema):
    motivation: int = Field(description="0–100")
    ability: int = Field(description="0–100")
    prompt: int = Field(description="0–100")
    overall: int = Field(description="0–100: the weakest of the three")
    weakest: str = Field(description="motivation, ability or prompt")
    diagnosis: str
    recommendation: str = Field(
        description="split_step, schedule_checkin, ask_partner, revisit_fit, add_step or keep_going"
    )
    recommendation_text: str


class HealthOut(ScoresOut):
    partnership_code: str = Field(alias="partnership.code")
    partner_name: str = Field(alias="partnership.partner.name")
    computed_at: datetime


class SnapshotOut(ScoresOut):
    day: date


class HealthDetailOut(HealthOut):
    signals: dict[str, Any] = Field(description="The raw signal values (docs/health.md)")
    history: list[SnapshotOut] = Field(description="One point per day, oldest first")


class HealthFilters(Schema):
    attention: bool = Field(False, description="Only those with an overall score below 40")


@router.get(
    "/partnerships",
    response=responses(200, list[HealthOut], 422),
    summary="Current health of your partnerships",
    description="The partnerships your organization hosts, weakest first.",
)
@paginate(LimitOffset)
def health_list(request: HttpRequest, filters: Query[HealthFilters]) -> QuerySet[PartnershipHealth]:
    return selectors.hosted_health(actor=_actor(request), attention_only=filters.attention)


@router.get(
    "/partnerships/{code}",
    response=responses(200, HealthDetailOut, 404),
    summary="The health of a partnership and its history",
    description="Host side only; computed on the first read if it never was.",
)
def health_get(request: HttpRequest, code: str) -> Any:
    partnership = hosted_partnership_for(actor=_actor(request), code=code)
    health = selectors.current_health(partnership=partnership)
    if health is None:
        refresh_partnership_health(partnership)
        health = selectors.current_health(partnership=partnership)
    health.history = selectors.history(partnership=partnership, days=None)  # type: ignore[union-attr]
    return health
