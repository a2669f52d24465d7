"""One-click links in e-mails: signed, expiring, single-use, for one person.

The URL carries a signed random id (`django.core.signing`, own salt); the row
(`ActionLink`) says who may act, in which organization, on what. Opening the link (GET)
only describes the action, so mail scanners that prefetch links change nothing; the
button on that page (POST) carries it out as the link's user, without a password, as
long as that user is still a writer of the organization. A conditional UPDATE on
`used_at` makes the link single-use even with two clicks at the same moment.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from partnerloop.accounts.models import Membership
from partnerloop.core.tenancy import Actor
from partnerloop.partnerships.models import Partnership
from partnerloop.partnerships.selectors import visible_to
from partnerloop.prompts.models import ActionLink, Event, Prompt

LINK_SALT = "partnerloop.prompts.action-link"
LINK_DAYS = 14

STEP_DONE = "step_done"
DID_IT_WORK = "did_it_work"
CONFIRM_EVENT = "confirm_event"
OUTCOMES = {"worked": "It worked", "didnt": "It didn't work", "mixed": "Mixed results"}


def action_link_url(
    *,
    prompt: Prompt,
    action: str,
    subject_code: str,
    value: str = "",
    expires_at: dt.datetime | None = None,
) -> str:
    """A new single-use link for the prompt's recipient; returns its absolute URL."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown link action {action!r}")
    link = ActionLink.objects.create(
        token_id=secrets.token_urlsafe(18),
        user_id=prompt.recipient_id,
        organization_id=prompt.organization_id,
        prompt=prompt,
        action=action,
        subject_code=subject_code,
        value=value,
        expires_at=expires_at or timezone.now() + dt.timedelta(days=LINK_DAYS),
    )
    return settings.SITE_URL + reverse("action_link", kwargs={"token": link_token(link)})


def link_token(link: ActionLink) -> str:
    return signing.dumps(link.token_id, salt=LINK_SALT)


class LinkInvalid(Exception):
    """The link cannot be used; `status` is the HTTP answer, the message says why."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def link_from_token(token: str) -> ActionLink:
    try:
        token_id = signing.loads(token, salt=LINK_SALT)
    except signing.BadSignature:
        raise LinkInvalid(
            "This link is not valid: it may have been cut or changed on its way.", 404
        ) from None
    link = (
        ActionLink.objects.select_related("organization", "user", "prompt")
        .filter(token_id=token_id)
        .first()
    )
    if link is None:
        raise LinkInvalid("This link is not valid.", 404)
    _check_usable(link)
    return link


def _check_usable(link: ActionLink) -> None:
    if link.used_at is not None:
        when = timezone.localtime(link.used_at).strftime("%d %b %Y at %H:%M")
        raise LinkInvalid(f"This link was already used on {when}. It works only once.", 410)
    if link.expires_at <= timezone.now():
        raise LinkInvalid("This link has expired. Open the app to do it from there.", 410)


def link_actor(link: ActionLink) -> Actor:
    """The link's user acting in the link's organization, if still a writer there."""
    membership = Membership.objects.filter(user=link.user, organization=link.organization).first()
    if membership is None:
        raise PermissionDenied(
            f"You are no longer a member of {link.organization.name}, so this link cannot be used."
        )
    actor = Actor(user=link.user, organization=link.organization, role=membership.role)
    if not actor.can_write:
        raise PermissionDenied(
            f"Your role in {link.organization.name} is read-only, so this link cannot be used. "
            "Ask an admin for a writer role."
        )
    return actor


def _partnerships(actor: Actor) -> Q:
    org = actor.organization
    return Q(partnership__host=org) | Q(partnership__partner=org)


def _step(actor: Actor, code: str):  # type: ignore[no-untyped-def]
    from partnerloop.plans.models import PlanStep

    step = (
        PlanStep.objects.select_related("partnership", "plan")
        .filter(_partnerships(actor), code=code)
        .first()
    )
    if step is None:
        raise ValidationError("That step no longer exists.")
    side = step.partnership.side_of(actor.organization.pk)
    if not PlanStep.objects.filter(visible_to(side), pk=step.pk).exists():
        raise ValidationError("That step no longer exists.")
    return step


def _event(actor: Actor, code: str) -> Event:
    event = (
        Event.objects.select_related("partnership").filter(_partnerships(actor), code=code).first()
    )
    if event is None:
        raise ValidationError("That event no longer exists.")
    return event


def _do_step_done(actor: Actor, link: ActionLink) -> Partnership:
    from partnerloop.plans.services import step_mark_done

    step = _step(actor, link.subject_code)
    step_mark_done(actor=actor, step=step, evidence="Marked done from an e-mail link")
    return step.partnership


def _do_did_it_work(actor: Actor, link: ActionLink) -> Partnership:
    from partnerloop.plans.services import step_record_outcome

    if link.value not in OUTCOMES:
        raise ValidationError("This link does not carry a known answer.")
    step = _step(actor, link.subject_code)
    step_record_outcome(actor=actor, step=step, outcome=link.value, note="")
    return step.partnership


def _do_confirm_event(actor: Actor, link: ActionLink) -> Partnership:
    from partnerloop.prompts.events import event_confirm

    event = _event(actor, link.subject_code)
    event_confirm(actor=actor, event=event)
    return event.partnership


ACTIONS: dict[str, Callable[[Actor, ActionLink], Partnership]] = {
    STEP_DONE: _do_step_done,
    DID_IT_WORK: _do_did_it_work,
    CONFIRM_EVENT: _do_confirm_event,
}


DONE_MESSAGES = {
    STEP_DONE: "Done: the step is marked as done.",
    DID_IT_WORK: "Thanks: the outcome of the step is recorded.",
    CONFIRM_EVENT: "Done: the event is confirmed.",
}


def describe(link: ActionLink) -> str:
    """What pressing the button will do, in words, for the confirmation page."""
    if link.action == STEP_DONE:
        return "Mark the step as done."
    if link.action == DID_IT_WORK:
        return f"Record the outcome of the step: “{OUTCOMES.get(link.value, link.value)}”."
    if link.action == CONFIRM_EVENT:
        return "Confirm the event."
    return "Nothing: this link does not carry a known action."


@dataclass
class LinkResult:
    message: str
    partnership: Partnership
    organization_code: str


@transaction.atomic
def link_use(token: str) -> LinkResult:
    """Carry out a link's action once. Raises LinkInvalid, PermissionDenied or
    ValidationError; on any error nothing is written and the link stays unused."""
    link = link_from_token(token)
    actor = link_actor(link)
    now = timezone.now()
    claimed = ActionLink.objects.filter(
        pk=link.pk, used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    if not claimed:
        link.refresh_from_db()
        _check_usable(link)
        raise LinkInvalid("This link was already used. It works only once.", 410)
    handler = ACTIONS.get(link.action)
    if handler is None:
        raise LinkInvalid("This link does not carry a known action.", 404)
    partnership = handler(actor, link)
    if link.prompt_id is not None:
        Prompt.objects.filter(pk=link.prompt_id, acted_at__isnull=True).update(acted_at=now)
    return LinkResult(
        message=DONE_MESSAGES[link.action],
        partnership=partnership,
        organization_code=link.organization.code,
    )
