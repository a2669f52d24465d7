"""A large demo ecosystem (`partnerloop demo --scale large`), also built by `make bench`.

One host with thousands of partnerships at every stage, tier, type and owner; fit from
both sides' checklists (two IPP versions, so the IPP test has a previous one), plans of
tiny steps with the milestones they reached, activities with each side's outcome,
referrals at every stage, the two sides' CRM account lists (host list + partner lists),
overlap sharing and matches for some partnerships, the scheduler's prompts and MAP health.

Every count is an argument (`ScaleSize`), so the tests build the same shape at a tiny
size. Large tables go through `core.bulk.insert_rows` (executemany on SQLite, COPY on
PostgreSQL); rows are plain tuples from a seeded generator, so two builds with the same
seed hold the same data (codes and secrets aside).
"""

from __future__ import annotations

import bisect
import itertools
import random
import secrets
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.contrib.auth import get_user_model
from django.db import connection, models, transaction
from django.utils import timezone

from partnerloop.accounts.models import Membership, Organization, Role
from partnerloop.core.bulk import bulk_writes, insert_rows
from partnerloop.core.tenancy import Actor
from partnerloop.partnerships.models import (
    Agreement,
    AgreementStatus,
    KeyPerson,
    Partnership,
    PartnerType,
    Side,
    Stage,
    StageChange,
    Tag,
    Tier,
    TimelineEvent,
    Visibility,
    other_side,
)

SEED = 20_261_201
SCALE_PASSWORD = "partnerloop-demo"
HOST_NAME = "Northwind Scale"
HOST_DOMAIN = "northwind-scale.example"
HOST_EMAIL = "host@scale.partnerloop.test"
PARTNER_EMAIL = "partner@scale.partnerloop.test"
# Rows per transaction for the account lists: keeps SQLite's write-ahead log small.
ACCOUNT_BATCH = 100_000


@dataclass(frozen=True)
class ScaleSize:
    """How much of everything. `accounts` is the total over the host's list and the
    partner lists; `partner_lists` partners have a list, the first `overlap` partnerships
    share populations and have their matches computed."""

    partnerships: int
    activities: int
    plan_steps: int
    referrals: int
    accounts: int
    partner_lists: int
    overlap: int

    @property
    def host_accounts(self) -> int:
        return self.accounts // 20 if self.partner_lists else self.accounts

    @property
    def units(self) -> int:
        """Work units of a build, for the progress bar: rows of the big tables plus one
        per partnership for each pass over all of them (fit, prompts, health)."""
        return (
            self.partnerships * 4
            + self.activities
            + self.plan_steps
            + self.referrals
            + self.accounts
            + self.overlap * 1_000
        )


SIZES = {
    "large": ScaleSize(
        partnerships=5_000,
        activities=200_000,
        plan_steps=50_000,
        referrals=20_000,
        accounts=2_000_000,
        partner_lists=1_000,
        overlap=20,
    ),
    "medium": ScaleSize(
        partnerships=500,
        activities=20_000,
        plan_steps=5_000,
        referrals=2_000,
        accounts=200_000,
        partner_lists=100,
        overlap=5,
    ),
    "small": ScaleSize(
        partnerships=50,
        activities=2_000,
        plan_steps=500,
        referrals=200,
        accounts=20_000,
        partner_lists=10,
        overlap=2,
    ),
}


class Progress(Protocol):
    """What the builder reports to (a tqdm bar fits)."""

    def update(self, n: float | None = 1) -> Any: ...

    def set_description(self, desc: str | None = None, refresh: bool | None = True) -> Any: ...


class NoProgress:
    def update(self, n: float | None = 1) -> None:
        return None

    def set_description(self, desc: str | None = None, refresh: bool | None = True) -> None:
        return None


@dataclass
class ScaleWorld:
    host: Organization
    owner: Any
    manager: Any
    member: Any
    partner_user: Any
    partnerships: list[Partnership] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def first(self) -> Partnership:
        """The partnership the partner login belongs to (strategic, with everything)."""
        return self.partnerships[0]

    @property
    def host_users(self) -> list[Any]:
        return [self.owner, self.manager, self.member]


STAGE_WEIGHTS = {
    Stage.PROSPECT: 12,
    Stage.EVALUATING: 13,
    Stage.ONBOARDING: 12,
    Stage.ACTIVE: 35,
    Stage.STRATEGIC: 12,
    Stage.PAUSED: 9,
    Stage.ENDED: 7,
}
STAGE_PATH = [Stage.PROSPECT, Stage.EVALUATING, Stage.ONBOARDING, Stage.ACTIVE, Stage.STRATEGIC]
TIER_WEIGHTS = {
    Tier.NONE: 25,
    Tier.REGISTERED: 25,
    Tier.SILVER: 22,
    Tier.GOLD: 17,
    Tier.PLATINUM: 11,
}
# How much a partnership of each stage does: activities and referrals are drawn with these
# weights, checklists are answered this strongly, plans get this far.
ACTIVITY_WEIGHT = {
    Stage.PROSPECT: 0.0,
    Stage.EVALUATING: 0.3,
    Stage.ONBOARDING: 1.0,
    Stage.ACTIVE: 2.0,
    Stage.STRATEGIC: 3.5,
    Stage.PAUSED: 0.6,
    Stage.ENDED: 0.4,
}
STRENGTH = {
    Stage.PROSPECT: 0.35,
    Stage.EVALUATING: 0.45,
    Stage.ONBOARDING: 0.55,
    Stage.ACTIVE: 0.7,
    Stage.STRATEGIC: 0.9,
    Stage.PAUSED: 0.3,
    Stage.ENDED: 0.2,
}
# Share of the default playbook's steps done, by stage (low, high).
PLAN_DONE = {
    Stage.EVALUATING: (0.0, 0.1),
    Stage.ONBOARDING: (0.1, 0.35),
    Stage.ACTIVE: (0.3, 0.8),
    Stage.STRATEGIC: (0.7, 1.0),
    Stage.PAUSED: (0.1, 0.5),
    Stage.ENDED: (0.0, 0.4),
}
PLAN_STAGES = (
    Stage.ONBOARDING,
    Stage.ACTIVE,
    Stage.STRATEGIC,
    Stage.PAUSED,
    Stage.ENDED,
    Stage.EVALUATING,
)

WORDS = (
    "Acme", "Apex", "Atlas", "Blue", "Bright", "Cedar", "Clear", "Copper", "Crimson", "Delta",
    "Echo", "Falcon", "Golden", "Granite", "Harbor", "Iron", "Juniper", "Keystone", "Lunar",
    "Maple", "Nimbus", "Nova", "Orbit", "Pioneer", "Quartz", "Summit", "Silver", "Terra",
    "Vertex", "Willow",
)  # fmt: skip
NOUNS = (
    "Bridge", "Canyon", "Circuit", "Compass", "Field", "Forge", "Garden", "Grid", "Harvest",
    "Horizon", "Lake", "Lantern", "Ledger", "Matrix", "Meadow", "Nexus", "Ocean", "Peak",
    "Pixel", "Prairie", "Quest", "River", "Signal", "Spark", "Stone", "Stream", "Tower",
)  # fmt: skip
KINDS = ("Analytics", "Cloud", "Labs", "Systems", "Partners", "Digital", "Logistics", "Health")
TAGS = ("integration", "EMEA", "NA", "APAC", "enterprise", "mid-market", "services", "co-sell")
ACTIVITY_TITLES = {
    "account_mapping": "Account mapping session",
    "campaign": "Joint webinar",
    "joint_event": "Customer round table",
    "referral_push": "Referral push to the sales team",
    "enablement": "Sales enablement",
    "meeting": "Business review",
    "integration": "Integration release",
    "other": "Co-written case study",
}
RESULTS = ("worked", "worked", "mixed", "didnt", "pending")
POPULATIONS = ("customers", "opportunities", "prospects")
STATUS_OF = {"customers": "customer", "opportunities": "opportunity", "prospects": "lead"}


@contextmanager
def explicit_timestamps(*model_classes: type[models.Model]) -> Iterator[None]:
    """auto_now/auto_now_add off during bulk_create, so the spread-out dates we set stay."""
    saved = []
    for model in model_classes:
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                saved.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _codes(count: int) -> list[str]:
    """`count` distinct public codes (the models' own `short_code` shape)."""
    codes: set[str] = set()
    while len(codes) < count:
        codes.add(secrets.token_hex(6))
    return list(codes)


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    span = max((end - start).total_seconds(), 1.0)
    return start + timedelta(seconds=rng.uniform(0, span))


def _weighted(rng: random.Random, table: dict[Any, float]) -> Any:
    return rng.choices(list(table), weights=list(table.values()))[0]


def _spread(
    rng: random.Random, total: int, partnerships: Sequence[Partnership]
) -> list[Partnership]:
    """`total` draws of partnerships weighted by how much their stage does."""
    weights = [ACTIVITY_WEIGHT[p.stage] for p in partnerships]
    if not any(weights):
        weights = [1.0] * len(partnerships)
    cumulative = list(itertools.accumulate(weights))
    top = cumulative[-1]
    return [partnerships[bisect.bisect(cumulative, rng.random() * top)] for _ in range(total)]


class Builder:
    def __init__(self, size: ScaleSize, *, seed: int, progress: Progress, label: str) -> None:
        self.size = size
        self.label = label
        self.rng = random.Random(seed)
        self.progress = progress
        self.now = timezone.now()
        self.today = timezone.localdate()

    @contextmanager
    def phase(self, label: str) -> Iterator[None]:
        self.progress.set_description(label)
        started = time.perf_counter()
        yield
        self.world.seconds[label] = round(time.perf_counter() - started, 2)

    # --- organizations, users, partnerships ------------------------------------------------

    def base(self) -> None:
        from allauth.account.models import EmailAddress

        User = get_user_model()

        def labelled(email: str) -> str:
            return email.replace("@", f"+{self.label}@") if self.label else email

        host = Organization.objects.create(
            name=f"{HOST_NAME} {self.label}".strip(),
            website=f"https://{HOST_DOMAIN}",
            domain=HOST_DOMAIN,
        )
        users = []
        for email, role in (
            (labelled(HOST_EMAIL), Role.OWNER),
            (labelled("manager@scale.partnerloop.test"), Role.MANAGER),
            (labelled("sales@scale.partnerloop.test"), Role.MEMBER),
        ):
            password = SCALE_PASSWORD if role == Role.OWNER else None
            user = User.objects.create_user(username=email, email=email, password=password)
            Membership.objects.create(user=user, organization=host, role=role)
            users.append(user)
        partner_email = labelled(PARTNER_EMAIL)
        partner_user = User.objects.create_user(
            username=partner_email, email=partner_email, password=SCALE_PASSWORD
        )
        EmailAddress.objects.bulk_create(
            EmailAddress(user=u, email=u.email, verified=True, primary=True)
            for u in (users[0], partner_user)
        )
        self.world = ScaleWorld(
            host=host,
            owner=users[0],
            manager=users[1],
            member=users[2],
            partner_user=partner_user,
        )
        self.actor = Actor(user=users[0], organization=host, role=Role.OWNER)
        self.world.counts.update(organizations=1, users=4)

    def partnerships(self) -> None:
        rng, now, world = self.rng, self.now, self.world
        count = self.size.partnerships
        combinations = len(WORDS) * len(NOUNS) * len(KINDS)
        shuffled = rng.sample(range(combinations), combinations)
        names = []
        for n in range(count):
            # Distinct names while they last; numbered ones beyond that.
            i = shuffled[n % combinations]
            name = f"{WORDS[i % len(WORDS)]} {NOUNS[(i // len(WORDS)) % len(NOUNS)]} "
            name += KINDS[i // (len(WORDS) * len(NOUNS))]
            names.append(name + (f" {n // combinations}" if n >= combinations else ""))
        orgs = Organization.objects.bulk_create(
            (
                Organization(
                    name=name,
                    website=f"https://{slug}.example",
                    domain=f"{slug}.example",
                )
                for name in names
                for slug in [name.lower().replace(" ", "-")]
            ),
            batch_size=2_000,
        )
        Membership.objects.create(user=world.partner_user, organization=orgs[0], role=Role.ADMIN)
        tags = Tag.objects.bulk_create([Tag(host=world.host, name=name) for name in TAGS])
        rows = []
        for index, org in enumerate(orgs):
            created = now - timedelta(days=rng.uniform(60, 3 * 365))
            stage = _weighted(rng, STAGE_WEIGHTS)
            tier = _weighted(rng, TIER_WEIGHTS)
            owner = rng.choice([*world.host_users, *world.host_users, None])
            if index == 0:
                stage, tier, owner = Stage.STRATEGIC, Tier.PLATINUM, world.owner
            changed = _between(rng, created + (now - created) / 3, now)
            rows.append(
                Partnership(
                    host=world.host,
                    partner=org,
                    stage=stage,
                    tier=tier,
                    partner_type=rng.choice(PartnerType.values),
                    host_owner=owner,
                    partner_owner=world.partner_user if index == 0 else None,
                    description=f"{org.name} works with mid-market analytics teams.",
                    created_at=created,
                    updated_at=_between(rng, changed, now),
                    stage_changed_at=changed,
                )
            )
        with explicit_timestamps(Partnership):
            partnerships = Partnership.objects.bulk_create(rows, batch_size=2_000)
        world.partnerships = partnerships
        through = Partnership.tags.through
        links = [
            through(partnership_id=p.pk, tag_id=tag.pk)
            for p in partnerships
            for tag in rng.sample(tags, rng.choice([0, 1, 1, 2, 3]))
        ]
        through.objects.bulk_create(links, batch_size=5_000)

        changes, events, people, agreements = [], [], [], []
        for index, p in enumerate(partnerships):
            events.append(
                (p.pk, world.owner.pk, Side.HOST, Visibility.SHARED, "created",
                 f"Partnership with {p.partner.name} created", p.created_at)
            )  # fmt: skip
            path = STAGE_PATH[: STAGE_PATH.index(p.stage) + 1] if p.stage in STAGE_PATH else []
            if p.stage in (Stage.PAUSED, Stage.ENDED):
                path = [*STAGE_PATH[: rng.randint(2, 4)], p.stage]
            at = p.created_at
            for before, after in itertools.pairwise(path):
                at = (
                    p.stage_changed_at
                    if after == p.stage
                    else _between(rng, at, p.stage_changed_at)
                )
                changes.append((p.pk, before, after, "Reviewed in the partner council.", at))
                events.append(
                    (p.pk, world.owner.pk, Side.HOST, Visibility.SHARED, "stage_changed",
                     f"Stage changed from {before} to {after}", at)
                )  # fmt: skip
            for number, side in enumerate((Side.HOST, Side.PARTNER)):
                met = rng.random() < 0.6
                people.append(
                    (p.pk, side, rng.choice(["Dana Whitfield", "Sam Okafor", "Lena Fischer",
                                             "Ravi Menon"]) + f" {number + 1}",
                     "Partner manager", met,
                     (now - timedelta(days=rng.randint(1, 300))).date() if met else None,
                     _between(rng, p.created_at, now))
                )  # fmt: skip
            if p.stage in (Stage.ONBOARDING, Stage.ACTIVE, Stage.STRATEGIC, Stage.PAUSED):
                proposed = _between(rng, p.created_at, p.stage_changed_at)
                accepted = _between(rng, proposed, p.stage_changed_at)
                agreements.append((p.pk, AgreementStatus.ACCEPTED, proposed, accepted, None))
            elif p.stage == Stage.ENDED:
                proposed = _between(rng, p.created_at, p.stage_changed_at)
                agreements.append(
                    (p.pk, AgreementStatus.ENDED, proposed, proposed, p.stage_changed_at)
                )
            elif p.stage == Stage.EVALUATING and rng.random() < 0.5:
                agreements.append((p.pk, AgreementStatus.PROPOSED, p.stage_changed_at, None, None))
            if index == 0:  # the partner login's workspace has a long history
                for _ in range(300):
                    side = rng.choice([Side.HOST, Side.HOST, Side.PARTNER])
                    events.append(
                        (p.pk, world.owner.pk if side == Side.HOST else world.partner_user.pk,
                         side, rng.choice([Visibility.SHARED] * 4 + [Visibility.PRIVATE]),
                         "note_added", "Added a note after the weekly sync",
                         _between(rng, p.created_at, now))
                    )  # fmt: skip
        insert_rows(
            StageChange,
            changes,
            columns=("partnership_id", "from_stage", "to_stage", "reason", "changed_at"),
            constants={"changed_by_id": world.owner.pk},
            batch=5_000,
        )
        insert_rows(
            TimelineEvent,
            events,
            columns=(
                "partnership_id",
                "actor_id",
                "side",
                "visibility",
                "kind",
                "summary",
                "created_at",
            ),
            batch=5_000,
        )
        insert_rows(
            KeyPerson,
            [(code, *row) for code, row in zip(_codes(len(people)), people, strict=True)],
            columns=(
                "code",
                "partnership_id",
                "side",
                "name",
                "title",
                "met",
                "met_on",
                "created_at",
            ),
            constants={"email": "", "added_by_id": world.owner.pk},
            batch=5_000,
        )
        from partnerloop.partnerships.models import DEFAULT_AGREEMENT_TERMS

        insert_rows(
            Agreement,
            [
                (
                    code,
                    pk,
                    status,
                    proposed,
                    accepted,
                    1 if accepted else None,
                    world.partner_user.pk if pk == partnerships[0].pk else None,
                    ended,
                    Side.HOST if ended else "",
                    "No joint customers after two quarters." if ended else "",
                    world.owner.pk if ended else None,
                )
                for code, (pk, status, proposed, accepted, ended) in zip(
                    _codes(len(agreements)), agreements, strict=True
                )
            ],
            columns=(
                "code",
                "partnership_id",
                "status",
                "proposed_at",
                "accepted_at",
                "accepted_text_version",
                "accepted_by_id",
                "ended_at",
                "ended_side",
                "end_reason",
                "ended_by_id",
            ),
            constants={
                "title": "Open partnership agreement",
                "terms": DEFAULT_AGREEMENT_TERMS,
                "text_version": 1,
                "notice_days": 30,
                "proposed_by_id": world.owner.pk,
            },
            batch=5_000,
        )
        world.counts.update(
            organizations=len(orgs),
            partnerships=len(partnerships),
            stage_changes=len(changes),
            timeline_events=len(events),
            key_people=len(people),
            agreements=len(agreements),
        )
        self.progress.update(self.size.partnerships)

    # --- fit -------------------------------------------------------------------------------

    def fit(self) -> None:
        """Version 1 from the template, checklists of both sides, then version 2 (one weight
        changed) activated: the active version and a previous one for the IPP test."""
        from partnerloop.fit import services as fit_services
        from partnerloop.fit.models import AnswerKind, Criterion, Direction, Evaluation

        rng, now, world = self.rng, self.now, self.world
        first = fit_services.ipp_create_from_template(actor=self.actor)
        fit_services.ipp_version_activate(
            actor=self.actor, version=first, change_note="Our first Ideal Partner Profile"
        )
        criteria = list(first.criteria.all())
        signatures = {c.key: c.signature() for c in criteria}

        def answer(criterion: Criterion, strength: float) -> Any:
            level = min(1.0, max(0.0, strength + rng.uniform(-0.3, 0.3)))
            if criterion.answer_kind == AnswerKind.YES_NO:
                return "yes" if level >= 0.45 else "no"
            if criterion.answer_kind == AnswerKind.SCALE:
                return 1 + round(level * 4)
            if criterion.answer_kind == AnswerKind.CHOICE:
                options = sorted(criterion.options, key=lambda o: o["points"])
                return options[min(len(options) - 1, int(level * len(options)))]["label"]
            return round(level * 8)

        evaluations = []
        for index, p in enumerate(world.partnerships):
            strength = STRENGTH[p.stage]
            sides = []
            if p.stage != Stage.PROSPECT or rng.random() < 0.4:
                sides.append((Side.HOST, Direction.OURS, world.owner))
            if index == 0 or (p.stage in PLAN_STAGES and rng.random() < 0.45):
                sides.append((Side.PARTNER, Direction.THEIRS, world.partner_user))
            for side, direction, user in sides:
                submitted = _between(rng, p.created_at, now)
                evaluations.append(
                    Evaluation(
                        partnership=p,
                        version=first,
                        side=side,
                        status="submitted",
                        answers={
                            c.key: {"value": answer(c, strength), "signature": signatures[c.key]}
                            for c in criteria
                            if c.direction == direction
                        },
                        shared=side == Side.HOST and rng.random() < 0.3,
                        created_by=user if index == 0 or side == Side.HOST else None,
                        submitted_by=user if index == 0 or side == Side.HOST else None,
                        submitted_at=submitted,
                        created_at=submitted,
                        updated_at=submitted,
                    )
                )
        with explicit_timestamps(Evaluation):
            Evaluation.objects.bulk_create(evaluations, batch_size=1_000)
        fit_services.rescore_all(actor=self.actor, version=first, reason="Checklists submitted")
        second = fit_services.ipp_version_new_draft(actor=self.actor, based_on=first)
        heaviest = max(criteria, key=lambda c: (c.weight, c.position))
        Criterion.objects.filter(version=second, key=heaviest.key).update(
            weight=max(1, heaviest.weight - 2)
        )
        fit_services.ipp_version_activate(
            actor=self.actor, version=second, change_note="Less weight on one criterion"
        )
        world.counts.update(evaluations=len(evaluations), ipp_versions=2)
        self.progress.update(self.size.partnerships)

    # --- plans and milestones --------------------------------------------------------------

    def plans(self) -> None:
        from partnerloop.plans.models import Milestone, Plan, PlanStep
        from partnerloop.plans.services import ensure_default_playbook
        from partnerloop.plans.template import DEFAULT_STEPS

        rng, now, world = self.rng, self.now, self.world
        total = self.size.plan_steps
        per_plan = len(DEFAULT_STEPS)
        order = {stage: i for i, stage in enumerate(PLAN_STAGES)}
        eligible = sorted(
            (p for p in world.partnerships if p.stage in order),
            key=lambda p: (p.pk != world.first.pk, order[p.stage], p.pk),
        )
        planned = eligible[: total // per_plan]
        playbook = ensure_default_playbook(world.host)
        with explicit_timestamps(Plan):
            plans = Plan.objects.bulk_create(
                (
                    Plan(
                        partnership=p,
                        playbook=playbook,
                        playbook_name=playbook.name,
                        created_by=world.owner,
                        created_at=_between(rng, p.created_at, p.stage_changed_at),
                    )
                    for p in planned
                ),
                batch_size=2_000,
            )
        by_pk = {p.pk: p for p in planned}
        steps: list[tuple[Any, ...]] = []
        milestones: list[tuple[Any, ...]] = []  # (step code, partnership id, key, title, day)
        for plan in plans:
            p = by_pk[plan.partnership_id]
            low, high = PLAN_DONE[p.stage]
            done_count = round(per_plan * rng.uniform(low, high))
            started = plan.created_at
            due = started.date()
            done_at = started
            for position, template in enumerate(DEFAULT_STEPS):
                due = due + timedelta(days=template.duration_days)
                code = secrets.token_hex(6)
                status, when, side, outcome = "open", None, "", ""
                if position < done_count:
                    status = "done"
                    pace = template.duration_days * rng.uniform(0.4, 1.6)
                    done_at = min(done_at + timedelta(days=pace), now - timedelta(hours=1))
                    when = done_at
                    side = Side.PARTNER if template.owner_side == "partner" else Side.HOST
                    if rng.random() < 0.5:
                        outcome = rng.choice(["worked", "worked", "mixed", "didnt"])
                    if template.is_milestone:
                        milestones.append((code, p.pk, template.key, template.title, when.date()))
                elif position == done_count and rng.random() < 0.05:
                    status = "skipped"
                steps.append(
                    (code, plan.pk, p.pk, template.key, template.phase, position,
                     template.title, template.owner_side, template.effort,
                     template.is_milestone, due, status, Visibility.SHARED, Side.HOST, when,
                     world.owner.pk if side == Side.HOST else None, side, outcome,
                     when if outcome else None, started, when or started)
                )  # fmt: skip
        # Steps either side added beside the playbook's, a few private, up to the total.
        for extra in range(total - len(steps)):
            plan = plans[extra % len(plans)] if plans else None
            if plan is None:
                break
            p = by_pk[plan.partnership_id]
            side = rng.choice([Side.HOST, Side.HOST, Side.PARTNER])
            private = rng.random() < 0.15
            done = rng.random() < 0.4
            when = _between(rng, plan.created_at, now) if done else None
            steps.append(
                (secrets.token_hex(6), plan.pk, p.pk, "", rng.choice(["engage", "prove", "grow"]),
                 per_plan + extra // max(1, len(plans)),
                 rng.choice(["Send the one-pager", "Pick two shared customers",
                             "Book the next sync", "Draft the joint blog post"]),
                 side, rng.choice(["tiny", "small"]), False,
                 (plan.created_at + timedelta(days=rng.randint(14, 400))).date(),
                 "done" if done else "open",
                 Visibility.PRIVATE if private else Visibility.SHARED, side, when,
                 world.owner.pk if done and side == Side.HOST else None,
                 side if done else "", "", None, plan.created_at, when or plan.created_at)
            )  # fmt: skip
        insert_rows(
            PlanStep,
            steps,
            columns=(
                "code",
                "plan_id",
                "partnership_id",
                "key",
                "phase",
                "position",
                "title",
                "owner_side",
                "effort",
                "is_milestone",
                "due_on",
                "status",
                "visibility",
                "side",
                "done_at",
                "done_by_id",
                "done_side",
                "outcome",
                "outcome_at",
                "created_at",
                "updated_at",
            ),
            constants={
                "description": "",
                "evidence": "",
                "outcome_note": "",
                "version": 1,
                "created_by_id": world.owner.pk,
            },
            batch=5_000,
        )
        self.progress.update(len(steps) // 2)
        ids = dict(
            PlanStep.objects.filter(partnership__host=world.host, is_milestone=True).values_list(
                "code", "id"
            )
        )
        insert_rows(
            Milestone,
            [
                (
                    code,
                    partnership_id,
                    key,
                    title,
                    day,
                    ids[step_code],
                    datetime.combine(day, datetime.min.time(), tzinfo=now.tzinfo),
                )
                for (step_code, partnership_id, key, title, day), code in zip(
                    milestones, _codes(len(milestones)), strict=True
                )
            ],
            columns=(
                "code",
                "partnership_id",
                "key",
                "title",
                "reached_on",
                "step_id",
                "reached_at",
            ),
            constants={"recorded_by_id": world.owner.pk},
            batch=5_000,
        )
        world.counts.update(plans=len(plans), plan_steps=len(steps), milestones=len(milestones))
        self.progress.update(len(steps) - len(steps) // 2)

    # --- activities and outcomes -----------------------------------------------------------

    def activities(self) -> None:
        from partnerloop.activities.models import Activity, Outcome

        rng, now, today, world = self.rng, self.now, self.today, self.world
        first = world.first
        chosen = _spread(rng, self.size.activities, world.partnerships)
        kinds = list(ACTIVITY_TITLES)
        for start in range(0, len(chosen), 50_000):
            chunk = chosen[start : start + 50_000]
            codes = _codes(len(chunk))
            rows = []
            for code, p in zip(codes, chunk, strict=True):
                kind = rng.choice(kinds)
                side = Side.PARTNER if rng.random() < 0.3 else Side.HOST
                age = min(730, (today - p.created_at.date()).days)
                day = today - timedelta(days=rng.randint(0, max(0, age)))
                created = datetime.combine(day, datetime.min.time(), tzinfo=now.tzinfo)
                if side == Side.HOST:
                    author = world.owner.pk
                else:
                    author = world.partner_user.pk if p.pk == first.pk else None
                rows.append(
                    (code, p.pk, kind, ACTIVITY_TITLES[kind], day, side,
                     Visibility.PRIVATE if rng.random() < 0.1 else Visibility.SHARED,
                     author, created + timedelta(hours=rng.randint(9, 18)))
                )  # fmt: skip
            with transaction.atomic():
                insert_rows(
                    Activity,
                    rows,
                    columns=(
                        "code",
                        "partnership_id",
                        "kind",
                        "title",
                        "happened_on",
                        "side",
                        "visibility",
                        "created_by_id",
                        "created_at",
                    ),
                    constants={
                        "description": "",
                        "host_people": "",
                        "partner_people": "",
                        "version": 1,
                        "updated_at": now,
                    },
                    batch=5_000,
                )
                ids = dict(Activity.objects.filter(code__in=codes).values_list("code", "id"))
                outcomes = []
                for code, _p, _kind, _title, day, side, visibility, author, created in rows:
                    sides = [side]
                    if visibility == Visibility.SHARED and rng.random() < 0.4:
                        sides.append(other_side(side))
                    for view in sides:
                        result = rng.choice(RESULTS)
                        if (today - day).days < 14:
                            result = "pending"
                        good = result in ("worked", "mixed")
                        outcomes.append(
                            (ids[code], view, result,
                             rng.randint(1, 12) if good else 0,
                             rng.randint(0, 4) if good else 0,
                             rng.randint(1, 60) * 1000 if good and rng.random() < 0.4 else None,
                             rng.randint(1, 30) * 1000 if result == "worked"
                             and rng.random() < 0.15 else None,
                             author if view == side else None,
                             created + timedelta(days=rng.randint(1, 20)))
                        )  # fmt: skip
                insert_rows(
                    Outcome,
                    outcomes,
                    columns=(
                        "activity_id",
                        "side",
                        "result",
                        "leads",
                        "meetings",
                        "pipeline",
                        "revenue",
                        "recorded_by_id",
                        "updated_at",
                    ),
                    constants={"notes": "", "version": 1},
                    batch=5_000,
                )
            world.counts.update(activities=len(rows), outcomes=len(outcomes))
            self.progress.update(len(rows))

    # --- referrals -------------------------------------------------------------------------

    def referrals(self) -> None:
        from partnerloop.mapping.normalize import normalize_company_name
        from partnerloop.referrals.models import Referral

        rng, now, world = self.rng, self.now, self.world
        chosen = _spread(rng, self.size.referrals, world.partnerships)
        rows = []
        for code, p in zip(_codes(len(chosen)), chosen, strict=True):
            word, noun = rng.choice(WORDS), rng.choice(NOUNS)
            company = f"{word} {noun} {rng.randint(1, 9999)}"
            domain = f"{word}{noun}{rng.randint(1, 9999)}.com".lower()
            submitted = _between(rng, max(p.created_at, now - timedelta(days=730)), now)
            roll = rng.random()
            status, stage, decided, closed, amount = "submitted", "new", None, None, None
            if roll < 0.1:
                status, decided = "declined", _between(rng, submitted, now)
            elif roll > 0.18:
                status = "accepted"
                decided = _between(rng, submitted, min(now, submitted + timedelta(days=14)))
                stage = rng.choices(
                    ["new", "qualified", "proposal", "won", "lost"], weights=[15, 20, 20, 25, 20]
                )[0]
                if stage != "new":
                    amount = rng.randint(2, 120) * 1000
                if stage in ("won", "lost"):
                    closed = _between(rng, decided, now).date()
            rows.append(
                (code, p.pk, company, f"https://www.{domain}", domain,
                 normalize_company_name(company), status, stage,
                 "influenced" if rng.random() < 0.3 else "sourced", amount, decided,
                 world.owner.pk if decided else None, closed,
                 world.partner_user.pk if p.pk == world.first.pk else None, submitted,
                 decided or submitted)
            )  # fmt: skip
        insert_rows(
            Referral,
            rows,
            columns=(
                "code",
                "partnership_id",
                "company",
                "website",
                "domain",
                "name_key",
                "status",
                "stage",
                "attribution",
                "amount",
                "decided_at",
                "decided_by_id",
                "closed_on",
                "submitted_by_id",
                "submitted_at",
                "updated_at",
            ),
            constants={
                "host_id": world.host.pk,
                "contact_name": "Jordan Lee",
                "contact_email": "",
                "notes": "",
                "conflicts": "[]",
                "decision_reason": "",
                "version": 1,
            },
            batch=5_000,
        )
        world.counts.update(referrals=len(rows))
        self.progress.update(len(rows))

    # --- account lists ---------------------------------------------------------------------

    def accounts(self) -> None:
        """The host's CRM list and `partner_lists` partners' lists: a third of each partner
        list are companies the host has too (same domain), the rest the partner's own."""
        from partnerloop.mapping.models import (
            Account,
            AccountList,
            AccountUpload,
            Population,
            PopulationRule,
            UploadStatus,
        )
        from partnerloop.mapping.services import BUILTIN_POPULATIONS, DEFAULT_POPULATION

        rng, now, world = self.rng, self.now, self.world
        size = self.size
        owners = [world.host, *(p.partner for p in world.partnerships[: size.partner_lists])]
        populations = Population.objects.bulk_create(
            Population(
                organization=org,
                key=key,
                name=name,
                is_builtin=True,
                is_default=key == DEFAULT_POPULATION,
                position=position,
            )
            for org in owners
            for position, (key, name, _values) in enumerate(BUILTIN_POPULATIONS)
        )
        values = {key: rule_values for key, _name, rule_values in BUILTIN_POPULATIONS}
        PopulationRule.objects.bulk_create(
            (
                PopulationRule(organization_id=pop.organization_id, population=pop, value=value)
                for pop in populations
                for value in values[pop.key]
            ),
            batch_size=5_000,
        )
        lists = AccountList.objects.bulk_create(
            AccountList(organization=org, name="CRM accounts") for org in owners
        )
        host_count = size.host_accounts
        partner_total = size.accounts - host_count
        per_partner = [
            partner_total // size.partner_lists
            + (1 if i < partner_total % size.partner_lists else 0)
            for i in range(size.partner_lists)
        ]
        sizes = [host_count, *per_partner]
        uploads = AccountUpload.objects.bulk_create(
            AccountUpload(
                account_list=account_list,
                filename="crm-accounts.csv",
                source="hubspot",
                status=UploadStatus.DONE,
                is_current=True,
                rows_total=count,
                rows_processed=count,
                rows_imported=count,
                uploaded_by=world.owner if account_list.organization_id == world.host.pk else None,
                started_at=now,
                finished_at=now,
            )
            for account_list, count in zip(lists, sizes, strict=True)
        )
        # Company i of the host is "<word> <noun> <kind> i" at <word><noun><kind>i.com; the
        # name key is the folded name, built here the way normalize_company_name folds it.
        bases = [
            (f"{w} {n} {k}", f"{w}{n}{k}".lower()) for w in WORDS for n in NOUNS for k in KINDS
        ]
        keys = [base.lower() for base, _ in bases]

        def company(i: int, prefix: str = "") -> tuple[str, str, str]:
            j = i % len(bases)
            number = f"{prefix}{i // len(bases)}"
            return (
                f"{bases[j][0]} {number}",
                f"{keys[j]} {number}",
                f"{bases[j][1]}{number}.com",
            )

        pending: list[tuple[Any, ...]] = []
        written = 0

        def flush(upload_id: int) -> None:
            nonlocal pending, written
            with transaction.atomic():
                insert_rows(
                    Account,
                    pending,
                    columns=("row", "name", "name_key", "domain", "status", "population_key"),
                    constants={
                        "upload_id": upload_id,
                        "country": "US",
                        "external_id": "",
                        "owner": "",
                        "extra": "{}",
                    },
                    batch=5_000,
                )
            written += len(pending)
            self.progress.update(len(pending))
            pending = []

        for number, (upload, count) in enumerate(zip(uploads, sizes, strict=True)):
            for row in range(count):
                if number == 0:
                    name, key, domain = company(row)
                elif row % 3 == 0:
                    name, key, domain = company(rng.randrange(host_count))
                else:
                    name, key, domain = company(row, prefix=f"p{number}x")
                population = POPULATIONS[rng.randrange(3)]
                pending.append((row + 2, name, key, domain, STATUS_OF[population], population))
                if len(pending) >= ACCOUNT_BATCH:
                    flush(upload.pk)
            if pending:
                flush(upload.pk)
        world.counts.update(accounts=written, account_lists=len(lists))

    def overlap(self) -> None:
        from partnerloop.overlap import services as overlap
        from partnerloop.overlap.models import Level, OverlapSharing

        world = self.world
        chosen = world.partnerships[: min(self.size.overlap, self.size.partner_lists)]
        OverlapSharing.objects.bulk_create(
            OverlapSharing(
                partnership=p,
                side=side,
                population_key=key,
                level=Level.COUNTS if key == "prospects" else Level.ACCOUNTS,
                fields=["name", "domain"] if key != "prospects" else [],
                updated_by=world.owner if side == Side.HOST else world.partner_user,
            )
            for p in chosen
            for side in (Side.HOST, Side.PARTNER)
            for key in POPULATIONS
        )
        matches = 0
        for p in chosen:
            matches += overlap.matches_refresh(partnership_id=p.pk) or 0
            self.progress.update(1_000)
        self.progress.update((self.size.overlap - len(chosen)) * 1_000)
        world.counts.update(overlap_partnerships=len(chosen), account_matches=matches)

    # --- prompts and health ----------------------------------------------------------------

    def prompts_and_health(self) -> None:
        from partnerloop.health.services import compute_health
        from partnerloop.prompts.models import Prompt
        from partnerloop.prompts.scheduler import run_pass
        from partnerloop.prompts.services import ensure_default_rules

        world = self.world
        ensure_default_rules(world.host)
        run_pass(host_ids=[world.host.pk])
        self.progress.update(self.size.partnerships)
        healthy = compute_health(host=world.host)
        self.progress.update(self.size.partnerships)
        world.counts.update(
            prompts=Prompt.objects.filter(partnership__host=world.host).count(),
            healths=healthy,
        )


def build_ecosystem(
    size: ScaleSize, *, seed: int = SEED, progress: Progress | None = None, label: str = ""
) -> ScaleWorld:
    """Build the whole ecosystem; returns the host, its users and what was written.

    `label` names a second ecosystem in the same database (its logins get `+label`)."""
    builder = Builder(size, seed=seed, progress=progress or NoProgress(), label=label)
    started = time.perf_counter()
    with bulk_writes():
        with transaction.atomic():
            builder.base()
            with builder.phase("partnerships"):
                builder.partnerships()
        with builder.phase("fit"), transaction.atomic():
            builder.fit()
        with builder.phase("plans"), transaction.atomic():
            builder.plans()
        with builder.phase("activities"):
            builder.activities()
        with builder.phase("referrals"), transaction.atomic():
            builder.referrals()
        with builder.phase("accounts"):
            builder.accounts()
        if connection.vendor == "postgresql":
            # Fresh statistics before the reads that follow (matching, scheduler, health).
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        with builder.phase("overlap"):
            builder.overlap()
        with builder.phase("prompts and health"):
            builder.prompts_and_health()
    builder.world.seconds["total"] = round(time.perf_counter() - started, 2)
    return builder.world
