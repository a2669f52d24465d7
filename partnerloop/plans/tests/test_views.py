from __future__ import annotations

from datetime import date

import time_machine
from django.urls import reverse

from partnerloop.conftest import World
from partnerloop.fit import services as fit_services
from partnerloop.fit.models import GapActionKind
from partnerloop.partnerships.models import Side, Visibility
from partnerloop.plans import selectors, services
from partnerloop.plans.models import Milestone, PlanStep, Playbook, StepStatus


def ws_url(world: World, org: object) -> str:
    return reverse("workspace", kwargs={"org": org.code, "code": world.partnership.code})


def step_url(world: World, org: object, name: str, step: PlanStep) -> str:
    return reverse(
        name, kwargs={"org": org.code, "code": world.partnership.code, "step": step.code}
    )


def start(world: World) -> list[PlanStep]:
    services.plan_start(actor=world.actor("host_owner"), partnership=world.partnership)
    return selectors.plan_order(list(PlanStep.objects.filter(partnership=world.partnership)))


def test_host_starts_the_plan_from_the_workspace(world: World) -> None:
    client = world.client("host_member")
    page = client.get(ws_url(world, world.host)).content.decode()
    assert "Start the plan" in page
    partner_page = world.client("partner_user").get(ws_url(world, world.partner)).content.decode()
    assert "Start the plan" not in partner_page and "has not started the plan" in partner_page
    url = reverse("plan_start", kwargs={"org": world.host.code, "code": world.partnership.code})
    response = client.post(url, {"playbook": ""})
    assert response.status_code == 302 and response["Location"].endswith("#plan")
    assert world.partnership.plan.steps.count() == 12
    page = client.get(ws_url(world, world.host)).content.decode()
    assert "Intro call" in page and "0 of 12 steps done" in page


def test_start_with_a_chosen_playbook(world: World) -> None:
    services.ensure_default_playbook(world.host)
    other = Playbook.objects.create(host=world.host, name="Short")
    url = reverse("plan_start", kwargs={"org": world.host.code, "code": world.partnership.code})
    world.client("host_owner").post(url, {"playbook": other.code})
    assert world.partnership.plan.playbook == other


@time_machine.travel("2026-12-03 10:00:00Z", tick=False)
def test_partner_marks_a_milestone_done_and_both_sides_celebrate(world: World) -> None:
    steps = start(world)
    revenue = next(s for s in steps if s.key == "first_revenue")
    partner = world.client("partner_member")
    response = partner.post(
        step_url(world, world.partner, "plan_step_done", revenue),
        {"evidence": "Invoice 1", "version": revenue.version},
    )
    assert response.status_code == 302
    revenue.refresh_from_db()
    assert revenue.status == StepStatus.DONE and revenue.done_side == Side.PARTNER
    for client, org in ((partner, world.partner), (world.client("host_viewer"), world.host)):
        page = client.get(ws_url(world, org)).content.decode()
        assert "First revenue reached on 3 Dec 2026" in page
        assert "celebrate it together" in page
        assert "Milestones reached" in page
    # Two weeks later the banner is gone; the list stays.
    with time_machine.travel("2026-12-18 10:00:00Z", tick=False):
        page = world.client("partner_member").get(ws_url(world, world.partner)).content.decode()
    assert "reached on 3 Dec 2026" not in page and "Milestones reached" in page


@time_machine.travel("2026-03-02 09:00:00Z", tick=False)
def test_overdue_steps_are_highlighted(world: World) -> None:
    start(world)
    with time_machine.travel("2026-03-24 09:00:00Z", tick=False):
        page = world.client("host_owner").get(ws_url(world, world.host)).content.decode()
    # Due on 9, 16 and 23 March, all still open on the 24th; the next is due in April.
    assert "3 overdue" in page and page.count('class="badge fit-low">overdue') == 3


def test_viewer_sees_no_write_controls(world: World) -> None:
    start(world)
    page = world.client("host_viewer").get(ws_url(world, world.host)).content.decode()
    assert "Intro call" in page
    assert "Mark done" not in page and "Make it tinier" not in page and "Add a step" not in page
    page = world.client("partner_member").get(ws_url(world, world.partner)).content.decode()
    assert "Mark done" in page and "Make it tinier" in page


def test_stale_edit_answers_409_with_the_current_state(world: World) -> None:
    step = start(world)[1]
    url = step_url(world, world.partner, "plan_step_edit", step)
    client = world.client("partner_user")
    form = client.get(url)
    assert form.status_code == 200 and 'name="version" value="1"' in form.content.decode()
    services.step_edit(
        actor=world.actor("host_owner"), step=step, version=1, title="Intro (45 min)"
    )
    data = {
        "title": "Intro call with the sales team",
        "phase": "start",
        "owner_side": "both",
        "effort": "tiny",
        "version": 1,
    }
    response = client.post(url, data)
    assert response.status_code == 409
    body = response.content.decode()
    assert "Someone else changed this step" in body
    assert "Intro (45 min)" in body  # the current state
    assert "Intro call with the sales team" in body  # the user's input is kept
    assert 'name="version" value="2"' in body
    step.refresh_from_db()
    assert step.title == "Intro (45 min)"
    # Saving again deliberately with the current version applies it.
    response = client.post(url, {**data, "version": 2})
    assert response.status_code == 302
    step.refresh_from_db()
    assert step.title == "Intro call with the sales team"


def test_stale_done_answers_409_and_writes_nothing(world: World) -> None:
    step = start(world)[1]
    services.step_edit(actor=world.actor("host_owner"), step=step, version=1, title="Changed")
    response = world.client("partner_user").post(
        step_url(world, world.partner, "plan_step_done", step), {"version": 1}
    )
    assert response.status_code == 409
    step.refresh_from_db()
    assert step.status == StepStatus.OPEN


def test_invalid_edit_shows_errors(world: World) -> None:
    step = start(world)[1]
    response = world.client("host_owner").post(
        step_url(world, world.host, "plan_step_edit", step),
        {"title": "", "phase": "start", "owner_side": "both", "effort": "tiny", "version": 1},
    )
    assert response.status_code == 400 and "errorlist" in response.content.decode()


def test_split_page(world: World) -> None:
    step = next(s for s in start(world) if s.key == "joint_event")
    url = step_url(world, world.host, "plan_step_split", step)
    client = world.client("host_member")
    page = client.get(url).content.decode()
    assert "Smaller step 1" in page and "large → medium" in page
    response = client.post(url, {"version": 1, "part_1": "Pick a date", "part_2": ""})
    assert response.status_code == 400
    response = client.post(url, {"version": 1, "part_1": "Pick a date", "part_2": "Book a room"})
    assert response.status_code == 302
    assert [p.title for p in PlanStep.objects.filter(split_from=step).order_by("position")] == [
        "Pick a date",
        "Book a room",
    ]


def test_add_move_reopen_outcome_through_the_pages(world: World) -> None:
    start(world)
    client = world.client("partner_user")
    add = reverse(
        "plan_step_add", kwargs={"org": world.partner.code, "code": world.partnership.code}
    )
    response = client.post(
        add,
        {
            "title": "Send logos",
            "phase": "start",
            "owner_side": "partner",
            "effort": "tiny",
            "visibility": "shared",
            "due_on": "2026-05-01",
        },
    )
    assert response.status_code == 302
    added = PlanStep.objects.get(title="Send logos")
    assert added.due_on == date(2026, 5, 1)
    client.post(step_url(world, world.partner, "plan_step_move", added), {"direction": "up"})
    order = [s.title for s in selectors.plan_order(list(PlanStep.objects.filter(phase="start")))]
    assert order.index("Send logos") == 2
    client.post(step_url(world, world.partner, "plan_step_done", added), {"evidence": "sent"})
    client.post(
        step_url(world, world.partner, "plan_step_outcome", added),
        {"outcome": "worked", "note": "They used them"},
    )
    added.refresh_from_db()
    assert added.outcome == "worked"
    page = client.get(ws_url(world, world.partner)).content.decode()
    assert "Did it work? <strong>Worked</strong>" in page
    client.post(step_url(world, world.partner, "plan_step_reopen", added))
    added.refresh_from_db()
    assert added.status == StepStatus.OPEN and added.outcome == ""
    # Invalid input comes back as a message, nothing written.
    response = client.post(add, {"title": "", "phase": "start"}, follow=True)
    assert "Step" in response.content.decode() and PlanStep.objects.filter(title="").count() == 0


def test_private_host_step_stays_private_from_the_partner(world: World) -> None:
    start(world)
    private = services.step_add(
        actor=world.actor("host_owner"),
        partnership=world.partnership,
        title="Quietly check references",
        phase="engage",
        owner_side="host",
        effort="small",
        visibility=Visibility.PRIVATE,
    )
    partner = world.client("partner_user")
    page = partner.get(ws_url(world, world.partner)).content.decode()
    assert "Quietly check references" not in page
    assert "0 of 12 steps" in page  # the count does not include it either
    for name in ("plan_step_edit", "plan_step_split"):
        assert partner.get(step_url(world, world.partner, name, private)).status_code == 404
    for name in ("plan_step_done", "plan_step_move", "plan_step_outcome", "plan_step_reopen"):
        response = partner.post(step_url(world, world.partner, name, private), {"version": 1})
        assert response.status_code == 404
    host_page = world.client("host_member").get(ws_url(world, world.host)).content.decode()
    assert "Quietly check references" in host_page and "0 of 13 steps" in host_page
    timeline = partner.get(ws_url(world, world.partner)).content.decode()
    assert "Quietly" not in timeline


def test_gap_step_joins_the_plan_from_the_fit_section(world: World) -> None:
    owner = world.actor("host_owner")
    version = fit_services.ipp_create_from_template(actor=owner)
    fit_services.ipp_version_activate(actor=owner, version=version, change_note="First")
    gap = fit_services.gap_action_create(
        actor=owner,
        partnership=world.partnership,
        criterion_key="executive-sponsor",
        kind=GapActionKind.STEP,
        title="Find an executive sponsor",
        visibility=Visibility.PRIVATE,
    )
    start(world)
    client = world.client("host_owner")
    page = client.get(ws_url(world, world.host)).content.decode()
    assert "Add to the plan" in page
    url = reverse(
        "plan_step_from_gap",
        kwargs={"org": world.host.code, "code": world.partnership.code, "gap": gap.code},
    )
    assert client.post(url).status_code == 302
    step = PlanStep.objects.get(gap_action=gap)
    assert step.visibility == Visibility.PRIVATE
    page = client.get(ws_url(world, world.host)).content.decode()
    assert "in the plan" in page
    partner_page = world.client("partner_user").get(ws_url(world, world.partner)).content.decode()
    assert "executive sponsor" not in partner_page


def test_playbook_pages(world: World) -> None:
    client = world.client("host_owner")
    lst = reverse("playbook_list", kwargs={"org": world.host.code})
    assert "No playbook yet" in client.get(lst).content.decode()
    client.post(reverse("playbook_default_create", kwargs={"org": world.host.code}))
    playbook = Playbook.objects.get(host=world.host)
    detail = reverse("playbook_detail", kwargs={"org": world.host.code, "playbook": playbook.code})
    page = client.get(detail).content.decode()
    assert "First revenue" in page and "Add a step" in page
    response = client.post(
        detail,
        {
            "form": "step",
            "title": "Partner newsletter",
            "phase": "grow",
            "owner_side": "partner",
            "effort": "small",
            "duration_days": 20,
            "version": 1,
        },
    )
    assert response.status_code == 302
    # A second tab with the old version: 409, nothing written.
    response = client.post(
        detail, {"form": "playbook", "name": "Renamed", "description": "", "version": 1}
    )
    assert response.status_code == 409 and "Someone else changed this playbook" in (
        response.content.decode()
    )
    playbook.refresh_from_db()
    assert playbook.name != "Renamed" and playbook.steps.count() == 13
    step = playbook.steps.get(title="Partner newsletter")
    edit = reverse(
        "playbook_step_edit",
        kwargs={"org": world.host.code, "playbook": playbook.code, "step": step.pk},
    )
    response = client.post(
        edit,
        {
            "title": "Partner newsletter",
            "phase": "grow",
            "owner_side": "both",
            "effort": "tiny",
            "duration_days": 10,
            "version": 1,
        },
    )
    assert response.status_code == 409
    step.refresh_from_db()
    assert step.effort == "small"
    # Members read, they do not edit.
    member_page = world.client("host_member").get(detail).content.decode()
    assert "First revenue" in member_page and "Add a step" not in member_page


def test_workspace_with_a_plan_keeps_its_query_budget(
    world: World, django_assert_max_num_queries: object
) -> None:
    steps = start(world)
    client = world.client("partner_user")
    client.get(ws_url(world, world.partner))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(ws_url(world, world.partner))
    for step in steps[:6]:
        services.step_split(actor=world.actor("host_owner"), step=step, titles=["a", "b", "c"])
    Milestone.objects.create(
        partnership=world.partnership, key="first_campaign", title="x", reached_on=date.today()
    )
    with django_assert_max_num_queries(len(small.captured_queries)):  # type: ignore[operator]
        client.get(ws_url(world, world.partner))
