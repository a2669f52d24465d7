"""One-click links: describe on GET, act once on POST, expire, refuse tampering and
read-only roles."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import time_machine
from django.core import signing
from django.utils import timezone

from partnerloop.accounts.models import Membership
from partnerloop.conftest import World
from partnerloop.partnerships.models import Side
from partnerloop.plans.models import StepOutcome, StepStatus
from partnerloop.prompts import links
from partnerloop.prompts.models import ActionLink, Event, EventKind, EventStatus
from partnerloop.prompts.tests.test_email import make_prompt, make_step


def _path(url: str) -> str:
    return urlsplit(url).path


def test_did_it_work_link_records_the_outcome(world: World) -> None:
    step = make_step(world, status=StepStatus.DONE, done_at=timezone.now())
    prompt = make_prompt(world, "partner_user", action="did_it_work", subject_code=step.code)
    url = links.action_link_url(
        prompt=prompt, action="did_it_work", subject_code=step.code, value="mixed"
    )
    client = world.client("anonymous")

    assert b"Mixed results" in client.get(_path(url)).content
    response = client.post(_path(url))

    assert response.status_code == 200
    step.refresh_from_db()
    assert step.outcome == StepOutcome.MIXED


def test_confirm_event_link_confirms_the_event(world: World) -> None:
    event = Event.objects.create(
        partnership=world.partnership,
        kind=EventKind.JOINT_EVENT,
        title="Joint webinar",
        starts_at=timezone.now() + dt.timedelta(days=3),
        side=Side.HOST,
    )
    prompt = make_prompt(world, "partner_user", action="confirm_event", subject_code=event.code)
    url = links.action_link_url(prompt=prompt, action="confirm_event", subject_code=event.code)

    response = world.client("anonymous").post(_path(url))

    assert response.status_code == 200 and b"event is confirmed" in response.content
    event.refresh_from_db()
    assert event.status == EventStatus.CONFIRMED


def test_an_expired_link_says_so_and_does_nothing(world: World) -> None:
    step = make_step(world)
    prompt = make_prompt(world, action="step_done", subject_code=step.code)
    url = links.action_link_url(prompt=prompt, action="step_done", subject_code=step.code)
    link = ActionLink.objects.get()
    assert link.expires_at - timezone.now() > dt.timedelta(days=13)

    with time_machine.travel(timezone.now() + dt.timedelta(days=15)):
        page = world.client("anonymous").get(_path(url))
        post = world.client("anonymous").post(_path(url))

    assert page.status_code == 410 and b"expired" in page.content
    assert post.status_code == 410
    step.refresh_from_db()
    assert step.status == StepStatus.OPEN


def test_a_tampered_or_forged_token_is_refused(world: World) -> None:
    step = make_step(world)
    prompt = make_prompt(world, action="step_done", subject_code=step.code)
    path = _path(links.action_link_url(prompt=prompt, action="step_done", subject_code=step.code))
    token = path.split("/")[2]
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    forged = signing.dumps("made-up-id", salt="another-salt")

    for bad in (tampered, forged, "garbage"):
        response = world.client("host_owner").post(f"/l/{bad}/")
        assert response.status_code == 404 and b"not valid" in response.content
    step.refresh_from_db()
    assert step.status == StepStatus.OPEN and ActionLink.objects.get().used_at is None


def test_a_read_only_or_former_member_is_refused_with_a_clear_page(world: World) -> None:
    step = make_step(world)
    viewer_prompt = make_prompt(world, "host_viewer", action="step_done", subject_code=step.code)
    url = links.action_link_url(prompt=viewer_prompt, action="step_done", subject_code=step.code)

    response = world.client("anonymous").post(_path(url))

    assert response.status_code == 403 and b"read-only" in response.content
    step.refresh_from_db()
    assert step.status == StepStatus.OPEN
    assert ActionLink.objects.get().used_at is None  # nothing was written

    member_prompt = make_prompt(world, "host_member", action="step_done", subject_code=step.code)
    url = links.action_link_url(prompt=member_prompt, action="step_done", subject_code=step.code)
    Membership.objects.filter(user=world.host_member).delete()
    response = world.client("anonymous").post(_path(url))
    assert response.status_code == 403 and b"no longer a member" in response.content


def test_a_link_cannot_reach_another_sides_private_step(world: World) -> None:
    private = make_step(world, visibility="private", side=Side.HOST)
    prompt = make_prompt(world, "partner_user", action="step_done", subject_code=private.code)
    url = links.action_link_url(prompt=prompt, action="step_done", subject_code=private.code)

    response = world.client("anonymous").post(_path(url))

    assert response.status_code == 400 and b"no longer exists" in response.content
    assert private.title.encode() not in response.content
    private.refresh_from_db()
    assert private.status == StepStatus.OPEN


def test_a_read_only_recipient_gets_no_buttons(world: World) -> None:
    from django.core import mail

    from partnerloop.prompts.email import send_prompt_emails

    step = make_step(world)
    make_prompt(world, "host_viewer", action="step_done", subject_code=step.code)
    make_prompt(world, "host_member", action="step_done", subject_code=step.code)

    send_prompt_emails()

    by_recipient = {m.to[0]: m.body for m in mail.outbox}
    assert "/l/" not in by_recipient["viewer@northwind.test"]
    assert "/l/" in by_recipient["member@northwind.test"]
    assert ActionLink.objects.get().user == world.host_member
