"""The permission matrix: every URL, every persona, the expected answer.

Each persona acts through its *own* organization's URLs (`/o/<its org>/...`) on objects of
the host's partnership with Acme (`world.partnership`), which is how a real user would try
to reach them. A second check sends every non-member through the host's organization URLs
and expects 404. `check_entry` is shared with the test that proves the matrix catches a view
that forgets its tenancy check.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from partnerloop.accounts.models import Invitation, Membership, Role
from partnerloop.accounts.services import invitation_token
from partnerloop.api.tests.matrix import make_token
from partnerloop.conftest import World
from partnerloop.partnerships.import_models import PartnerImport
from partnerloop.partnerships.models import Agreement, KeyPerson, Note, Side, Visibility

PERSONAS = [
    "host_owner",
    "host_member",
    "host_viewer",
    "partner_user",
    "other_partner",
    "other_host",
    "anonymous",
]

# Where each persona's own URLs point.
PERSONA_ORG = {
    "host_owner": "host",
    "host_member": "host",
    "host_viewer": "host",
    "partner_user": "partner",
    "other_partner": "other_partner_org",
    "other_host": "other_host_org",
    "anonymous": "host",
}

LOGIN = "login"  # anonymous users are redirected to the login page


@dataclass
class Objects:
    note: Note
    person: KeyPerson
    agreement: Agreement
    invitation: Invitation
    member: Membership
    partner_import: PartnerImport
    token_prefix: str
    # Objects that other apps' matrix modules create (see EXTENSIONS).
    extra: dict[str, Any] = field(default_factory=dict)


def make_objects(world: World) -> Objects:
    p = world.partnership
    note = Note.objects.create(
        partnership=p,
        author=world.host_owner,
        side=Side.HOST,
        visibility=Visibility.SHARED,
        body="Shared kick-off note",
    )
    person = KeyPerson.objects.create(partnership=p, side=Side.PARTNER, name="Sam")
    agreement = Agreement.objects.create(partnership=p, proposed_by=world.host_owner)
    invitation = Invitation.objects.create(
        organization=world.host, email="new@northwind.test", role=Role.MEMBER
    )
    member = Membership.objects.get(user=world.host_member, organization=world.host)
    partner_import = PartnerImport.objects.create(
        host=world.host,
        created_by=world.host_owner,
        filename="partners.csv",
        text="name,website\nHooli,hooli.com\n",
        encoding="utf-8",
        mapping={"name": 0, "website": 1},
    )
    objects = Objects(
        note=note,
        person=person,
        agreement=agreement,
        invitation=invitation,
        member=member,
        partner_import=partner_import,
        token_prefix=make_token(world.host_owner, world.host).split("_")[1],
    )
    for module in EXTENSIONS:
        objects.extra.update(module.prepare(world))
    return objects


Kwargs = Callable[[World, Objects], dict[str, Any]]


def _partnership(w: World, o: Objects) -> dict[str, Any]:
    return {"code": w.partnership.code}


@dataclass
class Entry:
    name: str
    method: str
    expect: dict[str, int | str]
    kwargs: Kwargs = field(default=lambda w, o: {})
    data: dict[str, Any] = field(default_factory=dict)
    org_scoped: bool = True


def ok(status: int, **overrides: int | str) -> dict[str, int | str]:
    """Every persona gets `status` unless overridden; anonymous goes to the login page."""
    expected: dict[str, int | str] = dict.fromkeys(PERSONAS, status)
    expected["anonymous"] = LOGIN
    expected.update(overrides)
    return expected


# Workspace reads: the host's team and the partner's users, nobody else.
WS_READ = ok(200, other_partner=404, other_host=404)
# Workspace writes: writers of both sides; viewers are refused.
WS_WRITE = ok(302, host_viewer=403, other_partner=404, other_host=404)
# Host-only management: managers of the host; the partner side does not see these URLs.
HOST_MANAGE = ok(
    302, host_member=403, host_viewer=403, partner_user=404, other_partner=404, other_host=404
)

URL_MATRIX: list[Entry] = [
    Entry("home", "get", {**dict.fromkeys(PERSONAS, 302), "anonymous": 200}, org_scoped=False),
    Entry("healthz", "get", dict.fromkeys(PERSONAS, 200), org_scoped=False),
    Entry(
        "organization_create",
        "get",
        ok(200),
        org_scoped=False,
    ),
    Entry(
        "invitation_accept",
        "get",
        dict.fromkeys(PERSONAS, 200),
        kwargs=lambda w, o: {"token": invitation_token(o.invitation)},
        org_scoped=False,
    ),
    Entry("org_home", "get", ok(200)),
    Entry("members", "get", ok(200)),
    Entry(
        "member_role",
        "post",
        # Only admins of the host change roles; everyone else's member id is not theirs.
        ok(404, host_owner=302, host_member=403, host_viewer=403),
        kwargs=lambda w, o: {"member": o.member.pk},
        data={"role": "viewer"},
    ),
    Entry(
        "invitation_revoke",
        "post",
        ok(404, host_owner=302, host_member=403, host_viewer=403),
        kwargs=lambda w, o: {"invitation": o.invitation.code},
    ),
    Entry("directory", "get", ok(200)),
    Entry("directory_export", "get", ok(200)),
    Entry("partnership_create", "get", ok(200, host_member=403, host_viewer=403)),
    # Importing into one's own directory: managers and admins of any organization.
    Entry("partner_import", "get", ok(200, host_member=403, host_viewer=403)),
    Entry("partner_import_sample", "get", ok(200, host_member=403, host_viewer=403)),
    Entry(
        "partner_import_preview",
        "get",
        {**HOST_MANAGE, "host_owner": 200},
        kwargs=lambda w, o: {"code": o.partner_import.code},
    ),
    Entry(
        "partner_import_commit",
        "post",
        HOST_MANAGE,
        kwargs=lambda w, o: {"code": o.partner_import.code},
    ),
    Entry(
        "partner_import_discard",
        "post",
        HOST_MANAGE,
        kwargs=lambda w, o: {"code": o.partner_import.code},
    ),
    # Personal API tokens: everyone manages their own; another user's token is a 404.
    Entry("api_tokens", "get", ok(200)),
    Entry(
        "api_token_revoke",
        "post",
        ok(404, host_owner=302),
        kwargs=lambda w, o: {"prefix": o.token_prefix},
    ),
    Entry("workspace", "get", WS_READ, kwargs=_partnership),
    Entry("timeline_more", "get", WS_READ, kwargs=_partnership),
    Entry("partnership_edit", "get", {**HOST_MANAGE, "host_owner": 200}, kwargs=_partnership),
    Entry("partnership_stage", "get", {**HOST_MANAGE, "host_owner": 200}, kwargs=_partnership),
    Entry(
        "partnership_stage",
        "post",
        HOST_MANAGE,
        kwargs=_partnership,
        data={"stage": "evaluating", "reason": "Good first call"},
    ),
    Entry(
        "partner_invite",
        "post",
        ok(302, host_member=403, host_viewer=403, other_partner=404, other_host=404),
        kwargs=_partnership,
        data={"email": "someone@acme.test", "role": "member"},
    ),
    Entry(
        "note_add",
        "post",
        WS_WRITE,
        kwargs=_partnership,
        data={"body": "Hello", "visibility": "shared"},
    ),
    Entry(
        "note_visibility",
        "post",
        # Only the author's side may change it: the partner is refused.
        # (a member may change their own notes only; this one is the owner's).
        {**WS_WRITE, "host_member": 403, "partner_user": 403},
        kwargs=lambda w, o: {"code": w.partnership.code, "note": o.note.code},
        data={"visibility": "private"},
    ),
    Entry(
        "comment_add",
        "post",
        WS_WRITE,
        kwargs=lambda w, o: {"code": w.partnership.code, "note": o.note.code},
        data={"body": "Agreed", "visibility": "shared"},
    ),
    Entry(
        "person_add",
        "post",
        WS_WRITE,
        kwargs=_partnership,
        data={"side": "partner", "name": "Lena"},
    ),
    Entry(
        "person_met",
        "post",
        WS_WRITE,
        kwargs=lambda w, o: {"code": w.partnership.code, "person": o.person.code},
        data={"met_on": "2026-01-05"},
    ),
    Entry(
        "agreement_propose",
        "post",
        HOST_MANAGE,
        kwargs=_partnership,
        data={"title": "Open", "terms": "Plain terms", "notice_days": 30},
    ),
    Entry(
        "agreement_accept",
        "post",
        # Only a partner admin accepts; the host's side is refused.
        ok(403, partner_user=302, other_partner=404, other_host=404),
        kwargs=lambda w, o: {"code": w.partnership.code, "agreement": o.agreement.code},
        data={"text_version": 1},
    ),
    Entry(
        "agreement_end",
        "post",
        ok(302, host_member=403, host_viewer=403, other_partner=404, other_host=404),
        kwargs=lambda w, o: {"code": w.partnership.code, "agreement": o.agreement.code},
        data={"reason": "Not a fit"},
    ),
]


def url_names_in(urlconf: str | None = None) -> set[str]:
    """Every named URL of the project's own apps (allauth's and the API's are covered elsewhere)."""
    names: set[str] = set()

    def walk(patterns: list[Any], inherited: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                module = getattr(pattern.urlconf_module, "__name__", "")
                if module.startswith("allauth") or pattern.namespace == "api":
                    continue
                walk(pattern.url_patterns, inherited)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(pattern.name)

    walk(get_resolver(urlconf).url_patterns, "")
    return names


def build_url(
    entry: Entry, world: World, objects: Objects, org_code: str, urlconf: str | None = None
) -> str:
    kwargs = entry.kwargs(world, objects)
    if entry.org_scoped:
        kwargs = {"org": org_code, **kwargs}
    return reverse(entry.name, kwargs=kwargs, urlconf=urlconf)


def check_entry(
    entry: Entry, persona: str, world: World, objects: Objects, urlconf: str | None = None
) -> str | None:
    """Run one cell of the matrix; return a description of the mismatch, or None."""
    org = getattr(world, PERSONA_ORG[persona])
    url = build_url(entry, world, objects, org.code, urlconf)
    client: Client = world.client(persona)
    response = getattr(client, entry.method)(url, data=entry.data)
    expected = entry.expect[persona]
    what = f"{entry.method.upper()} {url} as {persona}"
    if expected == LOGIN:
        if response.status_code == 302 and "/accounts/login/" in response["Location"]:
            return None
        return f"{what}: expected a login redirect, got {response.status_code}"
    if response.status_code != expected:
        return f"{what}: expected {expected}, got {response.status_code}"
    return None


# Apps add their URLs here: each module has `ENTRIES: list[Entry]` and
# `prepare(world) -> dict` for the objects its entries need (in `objects.extra`).
# A missing module cannot hide a URL: every URL name must have an entry.
EXTENSIONS: list[Any] = [
    importlib.import_module(name)
    for name in (
        "partnerloop.fit.tests.matrix_fit",
        *(
            f"partnerloop.{app}.tests.matrix"
            for app in (
                "plans",
                "prompts",
                "health",
                "activities",
                "accountability",
                "referrals",
                "psi",
                "mapping",
                "overlap",
                "insights",
            )
        ),
        "partnerloop.prompts.tests.matrix_delivery",
    )
    if importlib.util.find_spec(name) is not None
]
URL_MATRIX += [entry for module in EXTENSIONS for entry in module.ENTRIES]
