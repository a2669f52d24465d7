"""Permission-matrix entries for the inbox, prompt rules, overrides and check-ins."""

from __future__ import annotations

from typing import Any

from partnerloop.partnerships.models import Side
from partnerloop.prompts import services
from partnerloop.prompts.models import Prompt, PromptKind
from partnerloop.tests.matrix import HOST_MANAGE, LOGIN, WS_READ, WS_WRITE, Entry, ok


def prepare(world: Any) -> dict[str, Any]:
    """The host's default rules, and one prompt in the host owner's inbox."""
    rules = services.ensure_default_rules(world.host)
    prompt = Prompt.objects.create(
        dedupe_key="matrix:prompt",
        kind=PromptKind.CADENCE,
        partnership=world.partnership,
        recipient=world.host_owner,
        organization=world.host,
        side=Side.HOST,
        title="Monthly check-in with Acme Integrations",
        action="check_in",
    )
    return {"prompt": prompt.code, "rule": rules[0].code}


def _partnership(w: Any, o: Any) -> dict[str, Any]:
    return {"code": w.partnership.code}


# Everyone reads their own organization's inbox, rules and report.
READ_OWN = ok(200)
# Adding a cadence: managers of any organization, for their own organization.
MANAGE_OWN = ok(302, host_member=403, host_viewer=403)

ENTRIES: list[Entry] = [
    Entry("prompts_inbox", "get", READ_OWN),
    Entry("prompts_read_all", "post", ok(302)),
    # A prompt is its recipient's alone; anyone else's code is a 404.
    Entry(
        "prompt_open",
        "get",
        {**ok(404), "host_owner": 302, "anonymous": LOGIN},
        kwargs=lambda w, o: {"prompt": o.extra["prompt"]},
    ),
    Entry("prompt_rules", "get", READ_OWN),
    Entry(
        "prompt_rules",
        "post",
        MANAGE_OWN,
        data={
            "name": "Bi-weekly sync",
            "rrule": "FREQ=WEEKLY;INTERVAL=2",
            "audience": "both",
            "follow_days": 7,
        },
    ),
    Entry(
        "prompt_rule_edit",
        "get",
        ok(404, host_owner=200, host_member=403, host_viewer=403),
        kwargs=lambda w, o: {"rule": o.extra["rule"]},
    ),
    Entry(
        "prompt_rule_edit",
        "post",
        ok(404, host_owner=302, host_member=403, host_viewer=403),
        kwargs=lambda w, o: {"rule": o.extra["rule"]},
        data={
            "name": "Monthly check-in",
            "enabled": "on",
            "audience": "both",
            "rrule": "FREQ=MONTHLY;BYMONTHDAY=1",
            "follow_days": 7,
            "version": 1,
        },
    ),
    Entry("prompt_effectiveness", "get", READ_OWN),
    Entry("check_in", "get", WS_READ, kwargs=_partnership),
    Entry(
        "check_in",
        "post",
        WS_WRITE,
        kwargs=_partnership,
        data={"rating": 4, "visibility": "shared", "next_step": "Send the deck"},
    ),
    # The host's prompt settings for a partnership: the partner side never sees them.
    Entry(
        "prompt_overrides",
        "get",
        ok(200, partner_user=404, other_partner=404, other_host=404),
        kwargs=_partnership,
    ),
    # (No rule chosen: a manager gets the page back with a message, 400.)
    Entry(
        "prompt_overrides",
        "post",
        {**HOST_MANAGE, "host_owner": 400},
        kwargs=_partnership,
        data={"rule": "", "enabled": ""},
    ),
]
