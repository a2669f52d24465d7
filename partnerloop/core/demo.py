"""The demo ecosystem: a host, its partners at every stage, and two demo logins."""

from __future__ import annotations

import random
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.utils import timezone

from partnerloop.accounts.models import Membership, Organization, Role
from partnerloop.core.tenancy import Actor
from partnerloop.fit import services as fit_services
from partnerloop.fit.models import AnswerKind, Criterion, Direction
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
from partnerloop.plans.models import PHASE_ORDER

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
    partner_actor: Actor | None = None
    created: list[tuple[Partnership, str]] = []
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
        created.append((partnership, stage))
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
    _demo_fit(host_actor=host_actor, partner_actor=partner_actor, created=created, rng=rng)
    _demo_plans(host_actor=host_actor, partner_actor=partner_actor, created=created)
    # Spread the demo history over the last weeks, in the order it happened.
    now = timezone.now()
    events = list(TimelineEvent.objects.filter(partnership__host=host).order_by("id"))
    for position, event in enumerate(events):
        hours_ago = (len(events) - position) * 6 + rng.randint(0, 5)
        TimelineEvent.objects.filter(pk=event.pk).update(
            created_at=now - timedelta(hours=hours_ago)
        )
    _demo_prompts(host_actor=host_actor, partner_actor=partner_actor, created=created)
    _demo_loop(host_actor=host_actor, partner_actor=partner_actor, created=created, rng=rng)
    if partner_actor is not None:
        _demo_overlap(
            host_actor=host_actor, partner_actor=partner_actor, partnership=created[0][0], rng=rng
        )
    return {"host": HOST_EMAIL, "partner": PARTNER_EMAIL, "password": DEMO_PASSWORD}


def _demo_prompts(
    *, host_actor: Actor, partner_actor: Actor | None, created: list[tuple[Partnership, str]]
) -> None:
    """Check-ins from both sides, a joint webinar, then one scheduler pass (inboxes fill)
    and the health of every partnership."""
    from partnerloop.health.services import compute_health
    from partnerloop.prompts import events as prompt_events
    from partnerloop.prompts import services as prompt_services
    from partnerloop.prompts.scheduler import run_pass

    prompt_services.ensure_default_rules(host_actor.organization)
    first = created[0][0]
    if partner_actor is not None:
        prompt_services.check_in_submit(
            actor=partner_actor,
            partnership=first,
            rating=4,
            worked="The joint customer story landed well with our sales team.",
            didnt="The first webinar date clashed with a product launch.",
            next_step="Pick two shared customers for a reference call",
        )
    prompt_services.check_in_submit(
        actor=host_actor,
        partnership=first,
        rating=3,
        worked="Their solutions engineer answers within a day.",
        blockers="Our integration listing is waiting for legal review.",
        next_step="Send the listing draft to their marketing lead",
    )
    start = (timezone.now() + timedelta(days=10)).replace(
        hour=15, minute=0, second=0, microsecond=0
    )
    prompt_events.event_create(
        actor=host_actor,
        partnership=first,
        data=prompt_events.EventData(
            kind="joint_event",
            title="Joint webinar: analytics for integration teams",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            place="Online",
            description="Co-hosted webinar with a shared customer story.",
            host_attendees="Dana Whitfield",
            partner_attendees="Head of partnerships",
        ),
    )
    run_pass()
    compute_health(host=host_actor.organization)


# How strongly each stage's partnerships answer the checklist (0 = weakest, 1 = strongest).
STAGE_STRENGTH = {
    Stage.PROSPECT: 0.35,
    Stage.EVALUATING: 0.5,
    Stage.ONBOARDING: 0.6,
    Stage.ACTIVE: 0.8,
    Stage.STRATEGIC: 0.95,
    Stage.PAUSED: 0.3,
}


def _demo_answer(criterion: Criterion, strength: float, rng: random.Random) -> object:
    level = min(1.0, max(0.0, strength + rng.uniform(-0.25, 0.25)))
    if criterion.answer_kind == AnswerKind.YES_NO:
        return "yes" if level >= 0.4 else "no"
    if criterion.answer_kind == AnswerKind.SCALE:
        return 1 + round(level * 4)
    if criterion.answer_kind == AnswerKind.CHOICE:
        options = sorted(criterion.options, key=lambda o: o["points"])
        return options[min(len(options) - 1, int(level * len(options)))]["label"]
    return round(level * 8)


def _demo_fit(
    *,
    host_actor: Actor,
    partner_actor: Actor | None,
    created: list[tuple[Partnership, str]],
    rng: random.Random,
) -> None:
    """An active IPP from the template and submitted checklists, strongest where it worked."""
    version = fit_services.ipp_create_from_template(actor=host_actor)
    fit_services.ipp_version_activate(
        actor=host_actor, version=version, change_note="Our first Ideal Partner Profile"
    )
    criteria = list(version.criteria.all())
    for partnership, stage in created:
        sides = [(host_actor, Direction.OURS)]
        if partner_actor is not None and partnership.partner_id == partner_actor.organization.pk:
            sides.append((partner_actor, Direction.THEIRS))
        for actor, direction in sides:
            evaluation = fit_services.evaluation_open(
                actor=actor, partnership=partnership, version=version
            )
            answers = {
                c.key: fit_services.AnswerInput(
                    value=_demo_answer(c, STAGE_STRENGTH.get(stage, 0.5), rng),
                    evidence="From our kick-off call." if c.weight >= 4 else "",
                )
                for c in criteria
                if c.direction == direction
            }
            fit_services.evaluation_save(
                actor=actor,
                partnership=partnership,
                evaluation=evaluation,
                answers=answers,
                other_dimensions="Both teams enjoy working together."
                if stage in (Stage.ACTIVE, Stage.STRATEGIC)
                else "",
                expected_revision=evaluation.revision,
                submit=True,
            )


# Plans at varied progress: (days since the plan started, steps done) per stage. The first
# partnership (the demo partner's) reached its latest milestone a few days ago.
PLAN_PROGRESS = {
    Stage.ONBOARDING: (25, 2),
    Stage.ACTIVE: (100, 6),
    Stage.STRATEGIC: (240, 10),
    Stage.PAUSED: (60, 1),
}


def _demo_plans(
    *, host_actor: Actor, partner_actor: Actor | None, created: list[tuple[Partnership, str]]
) -> None:
    """Plans from the default playbook, started in the past, some milestones reached and a
    few steps overdue; deterministic (no randomness), a handful of queries per plan."""
    from partnerloop.plans import services as plan_services
    from partnerloop.plans.models import Milestone, PlanStep

    today = timezone.localdate()
    for index, (partnership, stage) in enumerate(created):
        if stage not in PLAN_PROGRESS:
            continue
        days_ago, done = PLAN_PROGRESS[stage]
        if index == 0:
            done += 1  # first customer feedback, reached this week
        plan_services.plan_start(actor=host_actor, partnership=partnership)
        PlanStep.objects.filter(partnership=partnership).update(
            due_on=models.F("due_on") - timedelta(days=days_ago)
        )
        steps = sorted(
            PlanStep.objects.filter(partnership=partnership),
            key=lambda s: (PHASE_ORDER[s.phase], s.position),
        )
        for number, step in enumerate(steps[:done]):
            actor = partner_actor if index == 0 and partner_actor and number % 2 else host_actor
            if step.status == "open":  # (an accepted agreement did its step already)
                plan_services.step_mark_done(actor=actor, step=step, evidence="Done in the demo")
            finished = min(step.due_on - timedelta(days=2), today)
            if index == 0 and number == done - 1:
                finished = today - timedelta(days=4)
            PlanStep.objects.filter(pk=step.pk).update(
                done_at=timezone.now() - timedelta(days=(today - finished).days)
            )
            Milestone.objects.filter(step=step).update(reached_on=finished)
        if done >= 3:
            plan_services.step_record_outcome(
                actor=host_actor,
                step=steps[1],
                outcome="worked",
                note="Short, friendly, and we left with three next steps.",
            )


DEMO_ACTIVITIES = [
    ("account_mapping", "First account mapping", "worked", 9),
    ("campaign", "Joint webinar on churn analytics", "mixed", 4),
    ("enablement", "Sales enablement session", "didnt", 0),
    ("meeting", "Quarterly business review", "worked", 2),
]


def _demo_loop(
    *,
    host_actor: Actor,
    partner_actor: Actor | None,
    created: list[tuple[Partnership, str]],
    rng: random.Random,
) -> None:
    """The feedback loop: activities with outcomes on the working partnerships, and on the
    first one (where the demo partner logs in) a disagreement, promises of both sides,
    referrals at several stages and a known account that one of them conflicts with."""
    from partnerloop.accountability import services as promises
    from partnerloop.activities import services as activities
    from partnerloop.referrals import services as referrals

    today = timezone.localdate()
    for index, (partnership, stage) in enumerate(created):
        if stage not in PLAN_PROGRESS:
            continue
        for number, (kind, title, result, leads) in enumerate(DEMO_ACTIVITIES):
            if rng.random() < 0.3 and index:
                continue
            activity = activities.activity_log(
                actor=host_actor,
                partnership=partnership,
                kind=kind,
                title=title,
                happened_on=today - timedelta(days=10 + 20 * number + rng.randint(0, 9)),
            )
            activities.outcome_record(
                actor=host_actor,
                activity=activity,
                result=result if index == 0 else rng.choice(["worked", "mixed", "didnt"]),
                leads=leads,
            )
            if index == 0 and partner_actor and number == 1:
                activities.outcome_record(
                    actor=partner_actor,
                    activity=activity,
                    result="didnt",
                    notes="Few of the sign-ups were in our market.",
                )
    if partner_actor is None:
        return
    partnership = created[0][0]
    promises.commitment_add(
        actor=host_actor,
        partnership=partnership,
        side=Side.HOST,
        what="Send the integration listing draft",
        due_on=today + timedelta(days=7),
        promised_by="Dana Whitfield",
    )
    kept = promises.commitment_add(
        actor=partner_actor,
        partnership=partnership,
        side=Side.PARTNER,
        what="Share three customer stories",
        due_on=today - timedelta(days=5),
    )
    promises.commitment_close(actor=host_actor, commitment=kept, status="kept")
    referrals.known_account_add(
        actor=host_actor, name="Globex Corporation", website="globex.com", status="customer"
    )
    for company, website, outcome in (
        ("Initech", "initech.com", ("won", 18000)),
        ("Umbrella Analytics", "umbrella-analytics.com", ("proposal", None)),
        ("Globex", "https://www.globex.com", None),
    ):
        referral = referrals.referral_register(
            actor=partner_actor,
            partnership=partnership,
            company=company,
            website=website,
            contact_name="Jordan Lee",
            notes="Asked us for dashboards across their plants.",
        )
        if outcome is None:
            continue
        referral = referrals.referral_decide(
            actor=host_actor,
            referral=referral,
            decision="accepted",
            reason="A good fit for our mid-market team.",
            version=referral.version,
        )
        stage, amount = outcome
        referrals.referral_set_stage(
            actor=host_actor,
            referral=referral,
            stage=stage,
            reason="Signed after the pilot." if stage == "won" else "Proposal sent.",
            amount=amount,
            version=referral.version,
        )


DEMO_COMPANY_WORDS = (
    "Blue Harbor",
    "Cedar Ridge",
    "Copper Leaf",
    "Granite Peak",
    "Harbor Light",
    "Iron Gate",
    "Juniper",
    "Lakeside",
    "Maple Grove",
    "North Star",
    "Oak Valley",
    "Pine Crest",
    "Quartz",
    "Red Canyon",
    "Silver Birch",
    "Summit",
    "Tidewater",
    "Willow Creek",
    "Evergreen",
    "Falcon",
)
DEMO_COMPANY_KINDS = ("Logistics", "Health", "Retail", "Foods", "Energy", "Bank", "Media")
HUBSPOT_COLUMNS = (
    "Record ID",
    "Company name",
    "Company owner",
    "Company Domain Name",
    "Lifecycle Stage",
    "Country/Region",
)


def _demo_csv(rows: list[tuple[str, str, str, str, str]]) -> bytes:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HUBSPOT_COLUMNS)
    for number, row in enumerate(rows, start=1):
        writer.writerow([str(1000 + number), *row])
    return out.getvalue().encode()


def _demo_overlap(
    *, host_actor: Actor, partner_actor: Actor, partnership: Partnership, rng: random.Random
) -> None:
    """Both sides of the first partnership upload a HubSpot export, share some populations
    and act on an overlapping account: the matrix, a cell and an outcome to look at."""
    import io

    from partnerloop.activities import services as activities
    from partnerloop.mapping import services as mapping
    from partnerloop.overlap import services as overlap
    from partnerloop.overlap.models import AccountMatch

    companies = [
        (f"{word} {kind}", f"{word.lower().replace(' ', '')}{kind.lower()}.com")
        for word in DEMO_COMPANY_WORDS
        for kind in DEMO_COMPANY_KINDS
    ]
    rng.shuffle(companies)
    stages = ("customer", "customer", "opportunity", "lead", "lead")
    host_rows = [
        (name, rng.choice(["Dana Whitfield", "Chris Vale"]), domain, rng.choice(stages), "US")
        for name, domain in companies[:90]
    ]
    # The partner shares 35 of the host's companies (some written differently) and has
    # accounts of its own.
    partner_rows = []
    for index, (name, domain) in enumerate(companies[55:125]):
        shown = f"{name} Inc." if index % 4 == 0 else name
        partner_rows.append(
            (shown, "Sam Okafor", domain if index % 5 else "", rng.choice(stages), "US")
        )
    for actor, rows in ((host_actor, host_rows), (partner_actor, partner_rows)):
        data = _demo_csv(rows)
        upload = mapping.upload_create(
            actor=actor, stream=io.BytesIO(data), size=len(data), filename="hubspot-companies.csv"
        )
        mapping.upload_run(upload_id=upload.pk)
    overlap.matches_refresh(partnership_id=partnership.pk)
    for actor, levels in (
        (host_actor, {"customers": "accounts", "opportunities": "accounts", "prospects": "counts"}),
        (partner_actor, {"customers": "accounts", "opportunities": "counts"}),
    ):
        for population, level in levels.items():
            overlap.sharing_set(
                actor=actor,
                partnership=partnership,
                population_key=population,
                level=level,
                fields=["name", "domain", "country"] if level == "accounts" else [],
            )
    match = (
        AccountMatch.objects.filter(
            partnership=partnership, host_population="opportunities", partner_population="customers"
        )
        .order_by("host_key")
        .first()
    )
    if match is not None:
        action = overlap.overlap_act(
            actor=host_actor,
            partnership=partnership,
            match_id=match.pk,
            kind="intro",
            note="They are a happy customer of the partner: ask for a reference call.",
        )
        activities.outcome_record(
            actor=partner_actor, activity=action.activity, result="worked", leads=1
        )
