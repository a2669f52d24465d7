"""Permission-matrix entries for the plan pages (loaded by partnerloop/tests/matrix.py)."""

from __future__ import annotations

from typing import Any

from partnerloop.fit import services as fit_services
from partnerloop.fit.models import GapActionKind
from partnerloop.partnerships.models import Visibility
from partnerloop.plans import services
from partnerloop.plans.models import Playbook
from partnerloop.tests.matrix import WS_READ, WS_WRITE, Entry, ok


def prepare(world: Any) -> dict[str, Any]:
    """The host's default playbook and a second one, a started plan with one step done,
    and a private fit gap of the host turned into a plan step (not yet in the plan)."""
    owner = world.actor("host_owner")
    default = services.ensure_default_playbook(world.host)
    other = Playbook.objects.create(host=world.host, name="Resellers")
    plan = services.plan_start(actor=owner, partnership=world.partnership)
    steps = list(plan.steps.order_by("position"))
    services.step_mark_done(actor=owner, step=steps[1])
    gap = fit_services.gap_action_create(
        actor=owner,
        partnership=world.partnership,
        criterion_key="executive-sponsor",
        kind=GapActionKind.STEP,
        title="Find an executive sponsor",
        visibility=Visibility.PRIVATE,
    )
    return {
        "playbook": default.code,
        "playbook_other": other.code,
        "playbook_step": default.steps.order_by("position").first().pk,
        "open_step": steps[0].code,
        "done_step": steps[1].code,
        "gap": gap.code,
    }


def _ws(**keys: str) -> Any:
    return lambda w, o: {"code": w.partnership.code, **{k: o.extra[v] for k, v in keys.items()}}


def _pb(**keys: str) -> Any:
    return lambda w, o: {k: o.extra[v] for k, v in keys.items()}


# Each organization has its own playbooks: managers of any organization create theirs;
# another organization's playbook through one's own URL is a 404.
OWN_MANAGE = ok(302, host_member=403, host_viewer=403)
HOST_PLAYBOOK_READ = ok(200, partner_user=404, other_partner=404, other_host=404)
HOST_PLAYBOOK_WRITE = ok(
    302, host_member=403, host_viewer=403, partner_user=404, other_partner=404, other_host=404
)
STEP_FORM = {"title": "Send the deck", "phase": "engage", "owner_side": "both", "effort": "tiny"}

ENTRIES: list[Entry] = [
    Entry("playbook_list", "get", ok(200)),
    Entry("playbook_list", "post", OWN_MANAGE, data={"name": "Agencies"}),
    Entry("playbook_default_create", "post", OWN_MANAGE),
    Entry("playbook_detail", "get", HOST_PLAYBOOK_READ, kwargs=_pb(playbook="playbook")),
    Entry(
        "playbook_detail",
        "post",
        HOST_PLAYBOOK_WRITE,
        kwargs=_pb(playbook="playbook"),
        data={"form": "playbook", "name": "Renamed", "description": "", "version": 1},
    ),
    Entry(
        "playbook_make_default",
        "post",
        HOST_PLAYBOOK_WRITE,
        kwargs=_pb(playbook="playbook_other"),
    ),
    Entry(
        "playbook_step_edit",
        "get",
        HOST_PLAYBOOK_READ,
        kwargs=_pb(playbook="playbook", step="playbook_step"),
    ),
    Entry(
        "playbook_step_remove",
        "post",
        HOST_PLAYBOOK_WRITE,
        kwargs=_pb(playbook="playbook", step="playbook_step"),
    ),
    Entry(
        "playbook_step_move",
        "post",
        HOST_PLAYBOOK_WRITE,
        kwargs=_pb(playbook="playbook", step="playbook_step"),
        data={"direction": "down"},
    ),
    # The plan exists already: host writers get a message back; the partner cannot start it.
    Entry(
        "plan_start",
        "post",
        ok(302, host_viewer=403, partner_user=403, other_partner=404, other_host=404),
        kwargs=_ws(),
    ),
    Entry("plan_step_add", "post", WS_WRITE, kwargs=_ws(), data=STEP_FORM),
    Entry("plan_step_edit", "get", WS_READ, kwargs=_ws(step="open_step")),
    Entry(
        "plan_step_edit",
        "post",
        WS_WRITE,
        kwargs=_ws(step="open_step"),
        data={**STEP_FORM, "version": 1},
    ),
    Entry("plan_step_done", "post", WS_WRITE, kwargs=_ws(step="open_step"), data={"version": 1}),
    Entry("plan_step_reopen", "post", WS_WRITE, kwargs=_ws(step="done_step")),
    Entry(
        "plan_step_move", "post", WS_WRITE, kwargs=_ws(step="open_step"), data={"direction": "down"}
    ),
    Entry("plan_step_split", "get", WS_READ, kwargs=_ws(step="open_step")),
    Entry(
        "plan_step_split",
        "post",
        WS_WRITE,
        kwargs=_ws(step="open_step"),
        data={"version": 1, "part_1": "Draft it", "part_2": "Send it"},
    ),
    Entry(
        "plan_step_outcome",
        "post",
        WS_WRITE,
        kwargs=_ws(step="done_step"),
        data={"outcome": "worked", "note": "Good call"},
    ),
    # Gap steps are the host's (this one private): the partner side does not see it.
    Entry(
        "plan_step_from_gap",
        "post",
        ok(302, host_viewer=403, partner_user=404, other_partner=404, other_host=404),
        kwargs=_ws(gap="gap"),
    ),
]
