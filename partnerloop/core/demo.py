"""The demo ecosystem: a host, its partners at every stage, and two demo logins."""

from __future__ import annotations

import random
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from partnerloop.accounts.models import Membership, Organization, Role
from partnerloop.core.tenancy import Actor
from partnerloop.partnerships import services
from partnerloop.partnerships.models import (
    DEFAULT_AGREEMENT_TERMS,
    Partnership,
    PartnerType,
    Side,
    Stage,
    Tier,
    TimelineEvent,
    Visibility,
)

DEMO_PASSWORD = "partnerloop-demo"
HOST_EMAIL = "host@demo.partnerloop.test"
PARTNER_EMAIL = "partner@demo.partnerloop.test"

PARTNERS = [
    (
        "Acme Integrations",
        "acme-integrations.io",
        Stage.ACTIVE,
        Tier.GOLD,
        PartnerType.TECHNOLOGY,
        ["integration", "EMEA"],
    ),
    (
        "Globex Consulting",
        "globex-consulting.io",
        Stage.ONBOARDING,
        Tier.SILVER,
        PartnerType.SERVICES,
        ["services"],
    ),
    (
        "Initech Resellers",
        "initech-resellers.io",
        Stage.EVALUATING,
        Tier.NONE,
        PartnerType.RESELLER,
        ["NA"],
    ),
    (
        "Umbrella Data",
        "umbrella-data.io",
        Stage.STRATEGIC,
        Tier.PLATINUM,
        PartnerType.STRATEGIC,
        ["integration", "enterprise"],
    ),
    (
        "Hooli Cloud",
        "hooli-cloud.io",
        Stage.PROSPECT,
        Tier.NONE,
        PartnerType.TECHNOLOGY,
        ["integration"],
    ),
    (
        "Stark Agency",
        "stark-agency.io",
        Stage.ACTIVE,
        Tier.SILVER,
        PartnerType.SERVICES,
        ["EMEA", "agency"],
    ),
    (
        "Wayne Referrals",
        "wayne-referrals.io",
        Stage.PAUSED,
        Tier.REGISTERED,
        PartnerType.REFERRAL,
        [],
    ),
    (
        "Soylent Affiliates",
        "soylent-affiliates.io",
        Stage.PROSPECT,
        Tier.NONE,
        PartnerType.AFFILIATE,
        ["affiliate"],
    ),
]


def demo_exists() -> bool:
    return get_user_model().objects.filter(email=HOST_EMAIL).exists()


def _user(email: str) -> object:
    user = get_user_model().objects.create_user(username=email, email=email, password=DEMO_PASSWORD)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


@transaction.atomic
def load_demo(*, seed: int = 7) -> dict[str, str]:
    """Create the demo ecosystem; returns the demo logins."""
    rng = random.Random(seed)
    host = Organization.objects.create(
        name="Northwind Analytics",
        website="https://northwind-analytics.io",
        domain="northwind-analytics.io",
    )
    host_user = _user(HOST_EMAIL)
    teammate = _user("sales@demo.partnerloop.test")
    Membership.objects.create(user=host_user, organization=host, role=Role.OWNER)
    Membership.objects.create(user=teammate, organization=host, role=Role.MEMBER)
    host_actor = Actor(user=host_user, organization=host, role=Role.OWNER)

    partner_user = _user(PARTNER_EMAIL)
    for index, (name, domain, stage, tier, ptype, tags) in enumerate(PARTNERS):
        partnership = services.partnership_create(
            actor=host_actor,
            name=name,
            website=domain,
            tier=tier,
            partner_type=ptype,
            host_owner=host_user if index % 2 == 0 else teammate,
            tags=tags,
            description=f"{name} works with mid-market analytics teams.",
        )
        if stage != Stage.PROSPECT:
            services.partnership_change_stage(
                actor=host_actor, partnership=partnership, to_stage=stage, reason="Demo history"
            )
        services.key_person_add(
            actor=host_actor,
            partnership=partnership,
            side=Side.HOST,
            name="Dana Whitfield",
            title="Partner manager",
            met_on=timezone.localdate() - timedelta(days=rng.randint(5, 60)),
        )
        services.key_person_add(
            actor=host_actor,
            partnership=partnership,
            side=Side.PARTNER,
            name=rng.choice(["Sam Okafor", "Lena Fischer", "Ravi Menon", "Ana Souza"]),
            title="Head of partnerships",
        )
        services.note_create(
            actor=host_actor,
            partnership=partnership,
            visibility=Visibility.SHARED,
            body=f"Kick-off call with {name}: agreed to start with one joint customer story.",
        )
        services.note_create(
            actor=host_actor,
            partnership=partnership,
            visibility=Visibility.PRIVATE,
            body="Internal: strong technical fit, but their sales team is stretched. Start tiny.",
        )
        if index == 0:
            Membership.objects.create(
                user=partner_user, organization=partnership.partner, role=Role.ADMIN
            )
            Partnership.objects.filter(pk=partnership.pk).update(partner_owner=partner_user)
            agreement = services.agreement_propose(
                actor=host_actor,
                partnership=partnership,
                title="Open partnership agreement",
                terms=DEFAULT_AGREEMENT_TERMS,
                notice_days=30,
            )
            partner_actor = Actor(
                user=partner_user, organization=partnership.partner, role=Role.ADMIN
            )
            services.agreement_accept(
                actor=partner_actor,
                partnership=partnership,
                agreement=agreement,
                text_version=agreement.text_version,
            )
            services.note_create(
                actor=partner_actor,
                partnership=partnership,
                visibility=Visibility.SHARED,
                body=(
                    "Happy to co-host a webinar next quarter. "
                    "Who should we talk to about the integration listing?"
                ),
            )
            services.note_create(
                actor=partner_actor,
                partnership=partnership,
                visibility=Visibility.PRIVATE,
                body="Our side only: budget for co-marketing is approved up to 5k.",
            )
        elif index == 1:
            services.agreement_propose(
                actor=host_actor,
                partnership=partnership,
                title="Open partnership agreement",
                terms=DEFAULT_AGREEMENT_TERMS,
                notice_days=14,
            )
    # Spread the demo history over the last weeks, in the order it happened.
    now = timezone.now()
    events = list(TimelineEvent.objects.filter(partnership__host=host).order_by("id"))
    for position, event in enumerate(events):
        hours_ago = (len(events) - position) * 6 + rng.randint(0, 5)
        TimelineEvent.objects.filter(pk=event.pk).update(
            created_at=now - timedelta(hours=hours_ago)
        )
    return {"host": HOST_EMAIL, "partner": PARTNER_EMAIL, "password": DEMO_PASSWORD}
