"""The bench data set, built with bulk_create from a fixed seed.

One host organization with 3 users (owner, manager, member) hosts `TOTAL_PARTNERSHIPS`
partnerships, each with its own partner organization and varied stage, tier, type, owner
and tags, plus notes (shared and private, some with comments), key people, agreements,
stage history and `TOTAL_EVENTS` timeline entries. The first partnership is the *heavy*
one whose workspace is measured: it ends up with `HEAVY_EVENTS` timeline entries, 60 notes
and a partner admin user who views the same workspace from the partner side.

It is built in two phases so that query counts can be compared at two sizes:
`add_partnerships(world, 0, 200)`, measure, then `add_partnerships(world, 200, 2000)` and
`add_heavy_history(world)`.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from partnerloop.accounts.models import Membership, Organization, Role
from partnerloop.core.scale import explicit_timestamps
from partnerloop.partnerships.models import (
    Agreement,
    AgreementStatus,
    Comment,
    KeyPerson,
    Note,
    Partnership,
    PartnerType,
    Side,
    Stage,
    StageChange,
    Tag,
    Tier,
    TimelineEvent,
    Visibility,
)

SEED = 20_240_601
TOTAL_PARTNERSHIPS = 2_000
SMALL_PARTNERSHIPS = 200
TOTAL_EVENTS = 50_000
HEAVY_EVENTS = 5_000
HEAVY_EVENTS_PHASE_1 = 25  # the heavy partnership looks ordinary at the small size
HEAVY_NOTES = 60
BATCH = 2_000

ADJECTIVES = [
    "Acme", "Apex", "Atlas", "Blue", "Bright", "Cedar", "Clear", "Copper", "Crimson", "Delta",
    "Echo", "Falcon", "Golden", "Granite", "Harbor", "Iron", "Juniper", "Keystone", "Lunar",
    "Maple", "Nimbus", "Nova", "Orbit", "Pioneer", "Quartz", "Summit", "Silver", "Terra",
    "Vertex", "Willow",
]  # fmt: skip
NOUNS = [
    "Bridge", "Canyon", "Circuit", "Compass", "Field", "Forge", "Garden", "Grid", "Harvest",
    "Horizon", "Lake", "Lantern", "Ledger", "Matrix", "Meadow", "Metric", "Nexus", "Ocean",
    "Peak", "Pixel", "Prairie", "Quest", "River", "Signal", "Spark", "Stone", "Stream",
    "Tower", "Valley", "Wave",
]  # fmt: skip
SUFFIXES = ["Data", "Cloud", "Labs", "Systems", "Partners", "Analytics", "Group", "Digital"]
DESCRIPTIONS = [
    "{name} builds data pipelines for mid-market analytics teams.",
    "Integration partner for our data warehouse connector.",
    "Regional reseller covering {region}; strong in the public sector.",
    "Agency focused on marketing automation and onboarding services.",
    "Referral partner with a large community of finance leaders.",
    "",
]
REGIONS = ["EMEA", "DACH", "the Nordics", "North America", "LATAM", "APAC"]
TAGS = [
    "integration", "EMEA", "NA", "APAC", "enterprise", "mid-market", "services", "agency",
    "affiliate", "marketplace", "co-sell", "priority",
]  # fmt: skip
STAGE_WEIGHTS = {
    Stage.PROSPECT: 15,
    Stage.EVALUATING: 15,
    Stage.ONBOARDING: 10,
    Stage.ACTIVE: 35,
    Stage.STRATEGIC: 10,
    Stage.PAUSED: 8,
    Stage.ENDED: 7,
}
STAGE_PATH = [Stage.PROSPECT, Stage.EVALUATING, Stage.ONBOARDING, Stage.ACTIVE, Stage.STRATEGIC]
TIER_WEIGHTS = {
    Tier.NONE: 30,
    Tier.REGISTERED: 25,
    Tier.SILVER: 20,
    Tier.GOLD: 15,
    Tier.PLATINUM: 10,
}
EVENT_KINDS = [
    ("note_added", "{who} added a note"),
    ("comment_added", "{who} commented on a note"),
    ("person_added", "{who} added a key person"),
    ("person_met", "{who} met a key person"),
    ("stage_changed", "Stage moved forward after the review"),
    ("activity_logged", "{who} logged a joint webinar with 40 sign-ups"),
    ("referral", "{who} registered a referral for a 12-seat deal"),
    ("checkin", "{who} answered the monthly check-in"),
]
NOTE_BODIES = [
    "Kick-off call: agreed to start with one joint customer story.",
    "Internal: strong technical fit, but their sales team is stretched. Start tiny.",
    "Happy to co-host a webinar next quarter. Who owns the integration listing?",
    "Follow-up: send the enablement deck and the demo environment credentials.",
    "Budget for co-marketing is approved up to 5k.",
    "Their first referral closed; let's celebrate it in the next review.\nThanks all!",
]


@dataclass
class World:
    rng: random.Random
    now: datetime
    host: Organization
    owner: Any
    manager: Any
    member: Any
    partner_user: Any | None = None
    partner_org: Organization | None = None
    tags: list[Tag] = field(default_factory=list)
    partnerships: list[Partnership] = field(default_factory=list)
    # Regular timeline entries per partnership index (the heavy one gets more later).
    event_plan: Counter[int] = field(default_factory=Counter)
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def heavy(self) -> Partnership:
        return self.partnerships[0]

    @property
    def light(self) -> Partnership:
        return self.partnerships[1]

    @property
    def host_users(self) -> list[Any]:
        return [self.owner, self.manager, self.member]


TIMESTAMPED = (Partnership, Note, Comment, KeyPerson, Agreement, StageChange, TimelineEvent)


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    span = max((end - start).total_seconds(), 1.0)
    return start + timedelta(seconds=rng.uniform(0, span))


def build_base(seed: int = SEED) -> World:
    """The host organization, its three users, its tags and the timeline plan."""
    rng = random.Random(seed)
    User = get_user_model()
    with transaction.atomic():
        host = Organization.objects.create(
            name="Northwind Analytics",
            website="https://northwind-analytics.example",
            domain="northwind-analytics.example",
        )
        users = []
        for role in (Role.OWNER, Role.MANAGER, Role.MEMBER):
            email = f"{role}@northwind-analytics.example"
            user = User.objects.create_user(username=email, email=email)  # unusable password
            Membership.objects.create(user=user, organization=host, role=role)
            users.append(user)
        tags = Tag.objects.bulk_create([Tag(host=host, name=name) for name in TAGS])
    world = World(
        rng=rng,
        now=timezone.now(),
        host=host,
        owner=users[0],
        manager=users[1],
        member=users[2],
        tags=tags,
    )
    regular = TOTAL_EVENTS - HEAVY_EVENTS
    world.event_plan = Counter(rng.choices(range(1, TOTAL_PARTNERSHIPS), k=regular))
    world.event_plan[0] = HEAVY_EVENTS_PHASE_1
    world.counts.update(organizations=1, users=3, tags=len(tags))
    return world


def _partner_name(rng: random.Random, index: int, used: set[str]) -> str:
    while True:
        name = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {rng.choice(SUFFIXES)}"
        if name not in used:
            used.add(name)
            return name
        if len(used) > 0.8 * len(ADJECTIVES) * len(NOUNS) * len(SUFFIXES):
            return f"{name} {index}"


def _events(world: World, partnership: Partnership, count: int) -> list[TimelineEvent]:
    rng = world.rng
    events = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.7:
            side, visibility = rng.choice([Side.HOST, Side.HOST, Side.PARTNER]), Visibility.SHARED
        elif roll < 0.9:
            side, visibility = Side.HOST, Visibility.PRIVATE
        else:
            side, visibility = Side.PARTNER, Visibility.PRIVATE
        if side == Side.HOST:
            actor = rng.choice([*world.host_users, None])
        else:
            actor = world.partner_user if partnership.partner_owner_id else None
        kind, summary = rng.choice(EVENT_KINDS)
        who = actor.email if actor is not None else partnership.partner.name
        events.append(
            TimelineEvent(
                partnership=partnership,
                actor=actor,
                side=side,
                visibility=visibility,
                kind=kind,
                summary=summary.format(who=who),
                created_at=_between(rng, partnership.created_at, world.now),
            )
        )
    return events


def _notes(world: World, p: Partnership, count: int) -> list[Note]:
    rng = world.rng
    notes = []
    for _ in range(count):
        side = Side.PARTNER if p.partner_owner_id and rng.random() < 0.35 else Side.HOST
        author = world.partner_user if side == Side.PARTNER else rng.choice(world.host_users)
        created = _between(rng, p.created_at, world.now)
        notes.append(
            Note(
                partnership=p,
                author=author,
                side=side,
                visibility=rng.choice([Visibility.SHARED, Visibility.SHARED, Visibility.PRIVATE]),
                body=rng.choice(NOTE_BODIES),
                created_at=created,
                updated_at=created,
            )
        )
    return notes


def _comments(world: World, note: Note, count: int) -> list[Comment]:
    rng = world.rng
    comments = []
    for _ in range(count):
        if note.visibility == Visibility.PRIVATE:
            side, visibility = note.side, Visibility.PRIVATE
        else:
            side = Side.PARTNER if world.partner_user and rng.random() < 0.3 else Side.HOST
            visibility = rng.choice([Visibility.SHARED, Visibility.SHARED, Visibility.PRIVATE])
        if side == Side.PARTNER and note.partnership.partner_owner_id:
            author = world.partner_user
        else:
            side, author = Side.HOST, rng.choice(world.host_users)
        comments.append(
            Comment(
                note=note,
                author=author,
                side=side,
                visibility=visibility,
                body="Agreed, let's do it.",
                created_at=_between(rng, note.created_at, world.now),
            )
        )
    return comments


def _key_people(world: World, p: Partnership, count: int) -> list[KeyPerson]:
    rng = world.rng
    people = []
    for i in range(count):
        met = rng.random() < 0.5
        people.append(
            KeyPerson(
                partnership=p,
                side=Side.HOST if i % 2 == 0 else Side.PARTNER,
                name=rng.choice(["Dana Whitfield", "Sam Okafor", "Lena Fischer", "Ravi Menon"])
                + f" {i + 1}",
                title=rng.choice(["Partner manager", "Head of partnerships", "CTO", "VP Sales"]),
                email=f"person{i + 1}@{p.partner.domain}",
                met=met,
                met_on=(world.now - timedelta(days=rng.randint(1, 300))).date() if met else None,
                added_by=rng.choice(world.host_users),
                created_at=_between(rng, p.created_at, world.now),
            )
        )
    return people


def _agreements(world: World, p: Partnership) -> list[Agreement]:
    rng = world.rng
    proposed_at = _between(rng, p.created_at, world.now)
    common = {"partnership": p, "proposed_by": world.owner, "proposed_at": proposed_at}
    if p.stage == Stage.EVALUATING and rng.random() < 0.5:
        return [Agreement(**common, status=AgreementStatus.PROPOSED)]
    if p.stage in (Stage.ONBOARDING, Stage.ACTIVE, Stage.STRATEGIC, Stage.PAUSED):
        accepted_at = _between(rng, proposed_at, world.now)
        return [
            Agreement(
                **common,
                status=AgreementStatus.ACCEPTED,
                notice_days=rng.choice([14, 30, 60]),
                accepted_by=world.partner_user if p.partner_owner_id else None,
                accepted_at=accepted_at,
                accepted_text_version=1,
            )
        ]
    if p.stage == Stage.ENDED:
        return [
            Agreement(
                **common,
                status=AgreementStatus.ENDED,
                accepted_at=proposed_at,
                accepted_text_version=1,
                ended_by=world.owner,
                ended_side=Side.HOST,
                ended_at=_between(rng, proposed_at, world.now),
                end_reason="No joint customers after two quarters.",
            )
        ]
    return []


def _stage_changes(world: World, p: Partnership) -> list[StageChange]:
    if p.stage == Stage.PROSPECT:
        return []
    path = STAGE_PATH[: STAGE_PATH.index(p.stage) + 1] if p.stage in STAGE_PATH else STAGE_PATH[:4]
    if p.stage in (Stage.PAUSED, Stage.ENDED):
        path = [*path, p.stage]
    changes = []
    at = p.created_at
    for before, after in pairwise(path):
        at = _between(world.rng, at, p.stage_changed_at)
        changes.append(
            StageChange(
                partnership=p,
                from_stage=before,
                to_stage=after,
                reason="Reviewed in the partner council.",
                changed_by=world.owner,
                changed_at=at,
            )
        )
    return changes


def add_partnerships(world: World, start: int, stop: int) -> None:
    """Partnerships with indices start..stop-1 and everything inside them."""
    rng, now = world.rng, world.now
    used = {p.partner.name for p in world.partnerships}
    with transaction.atomic(), explicit_timestamps(*TIMESTAMPED):
        orgs = []
        for index in range(start, stop):
            name = _partner_name(rng, index, used)
            domain = name.lower().replace(" ", "-") + ".example"
            orgs.append(Organization(name=name, website=f"https://{domain}", domain=domain))
        orgs = Organization.objects.bulk_create(orgs, batch_size=BATCH)

        if start == 0:
            # The heavy partnership's partner side has an admin who views the workspace.
            User = get_user_model()
            email = f"admin@{orgs[0].domain}"
            world.partner_user = User.objects.create_user(username=email, email=email)
            Membership.objects.create(
                user=world.partner_user, organization=orgs[0], role=Role.ADMIN
            )
            world.partner_org = orgs[0]
            world.counts["users"] += 1

        partnerships = []
        for offset, org in enumerate(orgs):
            index = start + offset
            created = now - timedelta(days=rng.uniform(30, 3 * 365))
            updated = _between(rng, created, now)
            stage = rng.choices(list(STAGE_WEIGHTS), weights=list(STAGE_WEIGHTS.values()))[0]
            tier = rng.choices(list(TIER_WEIGHTS), weights=list(TIER_WEIGHTS.values()))[0]
            owner = rng.choice([*world.host_users] * 3 + [None])
            partner_owner = None
            if index == 0:  # heavy
                stage, tier, owner = Stage.STRATEGIC, Tier.PLATINUM, world.owner
                partner_owner = world.partner_user
            elif index == 1:  # light, same shape as the heavy one
                stage, tier, owner = Stage.STRATEGIC, Tier.PLATINUM, world.owner
            description = rng.choice(DESCRIPTIONS).format(name=org.name, region=rng.choice(REGIONS))
            partnerships.append(
                Partnership(
                    host=world.host,
                    partner=org,
                    stage=stage,
                    tier=tier,
                    partner_type=rng.choice(PartnerType.values),
                    host_owner=owner,
                    partner_owner=partner_owner,
                    description=description,
                    created_at=created,
                    updated_at=updated,
                    stage_changed_at=updated,
                )
            )
        partnerships = Partnership.objects.bulk_create(partnerships, batch_size=BATCH)
        world.partnerships.extend(partnerships)

        through = Partnership.tags.through
        links, notes, people, agreements, changes, events = [], [], [], [], [], []
        for offset, p in enumerate(partnerships):
            index = start + offset
            for tag in rng.sample(world.tags, rng.choice([0, 1, 1, 2, 2, 3])):
                links.append(through(partnership_id=p.pk, tag_id=tag.pk))
            notes += _notes(world, p, HEAVY_NOTES if index == 0 else rng.randint(0, 4))
            people += _key_people(world, p, 8 if index <= 1 else rng.randint(0, 3))
            agreements += _agreements(world, p)
            changes += _stage_changes(world, p)
            events += _events(world, p, world.event_plan[index])
        through.objects.bulk_create(links, batch_size=BATCH)
        notes = Note.objects.bulk_create(notes, batch_size=BATCH)
        comments = []
        for note in notes:
            comments += _comments(world, note, rng.choice([0, 0, 0, 1, 2]))
        Comment.objects.bulk_create(comments, batch_size=BATCH)
        KeyPerson.objects.bulk_create(people, batch_size=BATCH)
        Agreement.objects.bulk_create(agreements, batch_size=BATCH)
        StageChange.objects.bulk_create(changes, batch_size=BATCH)
        TimelineEvent.objects.bulk_create(events, batch_size=BATCH)
    world.counts.update(
        organizations=len(orgs),
        partnerships=len(partnerships),
        partnership_tags=len(links),
        notes=len(notes),
        comments=len(comments),
        key_people=len(people),
        agreements=len(agreements),
        stage_changes=len(changes),
        timeline_events=len(events),
    )


def add_heavy_history(world: World) -> None:
    """Bring the heavy partnership up to HEAVY_EVENTS timeline entries."""
    extra = HEAVY_EVENTS - world.event_plan[0]
    with transaction.atomic(), explicit_timestamps(TimelineEvent):
        TimelineEvent.objects.bulk_create(_events(world, world.heavy, extra), batch_size=BATCH)
    world.counts.update(timeline_events=extra)
