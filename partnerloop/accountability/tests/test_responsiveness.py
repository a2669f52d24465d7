"""The response clock (wired into check-ins, comments and the timeline), the response
targets and the responsiveness report, with hand-computed figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from partnerloop.accountability import selectors, services
from partnerloop.accountability.figures import median, p90
from partnerloop.accountability.models import PartnerRequest, RequestKind, ResponseTarget
from partnerloop.activities import services as activities
from partnerloop.conftest import World
from partnerloop.partnerships import services as partnerships
from partnerloop.partnerships.models import Partnership, Stage, Visibility
from partnerloop.prompts import services as prompts

NOW = datetime(2026, 12, 10, 12, tzinfo=UTC)


def at(day: int, hour: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


# The clock, wired into other apps ---------------------------------------------------------


def test_a_shared_partner_check_in_waits_for_the_hosts_next_shared_response(
    world: World,
) -> None:
    partner, host = world.actor("partner_user"), world.actor("host_member")
    check_in = prompts.check_in_submit(actor=partner, partnership=world.partnership, rating=4)
    prompts.check_in_submit(
        actor=partner, partnership=world.partnership, rating=2, visibility=Visibility.PRIVATE
    )
    clock = PartnerRequest.objects.get()
    assert (clock.kind, clock.subject_code, clock.answered_at) == ("check_in", check_in.code, None)
    assert clock.asked_by == world.partner_user and clock.summary == "Check-in: 4/5"
    # Neither a private host note, nor bookkeeping (a stage change), nor the partner answers.
    partnerships.note_create(
        actor=host, partnership=world.partnership, body="Mine", visibility=Visibility.PRIVATE
    )
    partnerships.partnership_change_stage(
        actor=world.actor("host_owner"),
        partnership=world.partnership,
        to_stage=Stage.EVALUATING,
        reason="Kick-off done",
    )
    partnerships.note_create(
        actor=partner, partnership=world.partnership, body="Hi", visibility=Visibility.SHARED
    )
    assert PartnerRequest.objects.get().answered_at is None
    # A shared note of the host is a response.
    partnerships.note_create(
        actor=host, partnership=world.partnership, body="Thanks!", visibility=Visibility.SHARED
    )
    clock.refresh_from_db()
    assert clock.answered_at is not None and clock.answered_by == world.host_member


def test_comments_on_shared_activities_and_notes_start_and_stop_their_own_clocks(
    world: World,
) -> None:
    partner, host = world.actor("partner_user"), world.actor("host_owner")
    shared = activities.activity_log(
        actor=host,
        partnership=world.partnership,
        kind="campaign",
        title="Newsletter",
        happened_on=date(2026, 11, 2),
    )
    theirs_private = activities.activity_log(
        actor=partner,
        partnership=world.partnership,
        kind="meeting",
        title="Internal prep",
        happened_on=date(2026, 11, 3),
        visibility=Visibility.PRIVATE,
    )
    activities.comment_add(actor=partner, activity=shared, body="Can we get the list?")
    activities.comment_add(actor=partner, activity=shared, body="Any news?")  # same clock
    activities.comment_add(actor=partner, activity=theirs_private, body="Note to self")
    note = partnerships.note_create(
        actor=host, partnership=world.partnership, body="Agenda", visibility=Visibility.SHARED
    )
    partnerships.comment_create(
        actor=partner,
        partnership=world.partnership,
        note=note,
        body="Add pricing?",
        visibility=Visibility.SHARED,
    )
    partnerships.comment_create(
        actor=partner,
        partnership=world.partnership,
        note=note,
        body="(for us)",
        visibility=Visibility.PRIVATE,
    )
    clocks = {c.subject_code: c for c in PartnerRequest.objects.all()}
    assert set(clocks) == {shared.code, note.code}
    assert {c.kind for c in clocks.values()} == {RequestKind.COMMENT}
    assert clocks[shared.code].summary == "Comment on “Newsletter”"
    # A private host comment answers nothing; a shared one answers its own thread only.
    partnerships.comment_create(
        actor=host,
        partnership=world.partnership,
        note=note,
        body="internal",
        visibility=Visibility.PRIVATE,
    )
    activities.comment_add(actor=host, activity=shared, body="Sent it.")
    answered = {c.subject_code: c.answered_at for c in PartnerRequest.objects.all()}
    assert answered[shared.code] is not None and answered[note.code] is None
    partnerships.comment_create(
        actor=host,
        partnership=world.partnership,
        note=note,
        body="Yes",
        visibility=Visibility.SHARED,
    )
    assert PartnerRequest.objects.filter(answered_at__isnull=True).count() == 0


# Figures ----------------------------------------------------------------------------------


def test_median_and_p90_by_nearest_rank() -> None:
    assert median([]) is None and p90([]) is None
    assert median([6, 30, 10, 12]) == 11.0
    assert p90([6, 30, 10, 12]) == 30.0  # ceil(0.9 × 4) = 4th smallest
    assert p90(list(range(1, 11))) == 9.0  # ceil(0.9 × 10) = 9th smallest
    assert p90([5.0]) == 5.0


def clock(
    partnership: Partnership,
    kind: str,
    asked: datetime,
    answered: datetime | None = None,
    by: Any = None,
) -> PartnerRequest:
    return PartnerRequest.objects.create(
        partnership=partnership,
        kind=kind,
        subject_code=f"s{PartnerRequest.objects.count()}",
        summary=f"{kind} asked {asked:%d %b}",
        asked_at=asked,
        answered_at=answered,
        answered_by=by,
    )


def requests_world(world: World) -> None:
    """Comment 24 h and check-in 72 h (defaults), referral 10 h (the host's own).

    Acme (owner: host_owner)            Globex (no owner)
      r1 comment  6 h  host_member        r5 referral 12 h   host_owner
      r2 comment 30 h  host_owner         r6 referral waiting 72 h (past its 10 h)
      r3 check-in 10 h host_member        r7 comment asked in June, still waiting
      r4 check-in waiting 24 h
    """
    services.response_targets_set(actor=world.actor("host_owner"), hours={"referral": 10})
    acme, globex = world.partnership, world.other_partnership
    clock(acme, "comment", at(1), at(1, 6), world.host_member)
    clock(acme, "comment", at(2), at(3, 6), world.host_owner)
    clock(acme, "check_in", at(3), at(3, 10), world.host_member)
    clock(acme, "check_in", at(9, 12))
    clock(globex, "referral", at(5), at(5, 12), world.host_owner)
    clock(globex, "referral", at(7, 12))
    clock(globex, "comment", at(1, 0, month=6))
    # Another host's partnership never shows.
    clock(world.foreign_partnership, "comment", at(4), at(4, 1))


def figures(row: Any) -> tuple[Any, ...]:
    t = row.tally
    return (t.requests, t.answered, t.median_hours, t.p90_hours, t.within_share, t.waiting)


@time_machine.travel(NOW, tick=False)
def test_responsiveness_report_per_kind_partnership_and_teammate(world: World) -> None:
    requests_world(world)
    report = selectors.responsiveness_report(host=world.host, days=90)
    # Answered: 6, 30, 10, 12 h. Within target: r1, r3 of 4 answered + 1 waiting past target.
    assert (
        report.overall.requests,
        report.overall.answered,
        report.overall.median_hours,
        report.overall.p90_hours,
        report.overall.within_share,
        report.overall.waiting,
    ) == (6, 4, 11.0, 30.0, 0.4, 3)
    kinds = {row.key: row for row in report.kinds}
    assert figures(kinds["comment"]) == (2, 2, 18.0, 30.0, 0.5, 1)
    assert figures(kinds["check_in"]) == (2, 1, 10.0, 10.0, 1.0, 1)
    assert figures(kinds["referral"]) == (2, 1, 12.0, 12.0, 0.0, 1)
    assert kinds["referral"].target == 10 and kinds["check_in"].target == 72
    by_partner = {row.label: row for row in report.partnerships}
    assert figures(by_partner["Acme Integrations"]) == (4, 3, 10.0, 30.0, 0.6667, 1)
    assert figures(by_partner["Globex Consulting"]) == (2, 1, 12.0, 12.0, 0.0, 2)
    assert [row.label for row in report.partnerships] == ["Globex Consulting", "Acme Integrations"]
    # Answered requests count for who answered; waiting ones for the host owner.
    by_mate = {row.label: row for row in report.teammates}
    assert figures(by_mate["member@northwind.test"]) == (2, 2, 8.0, 10.0, 1.0, 0)
    assert figures(by_mate["owner@northwind.test"]) == (3, 2, 21.0, 30.0, 0.0, 1)
    assert figures(by_mate[selectors.NO_OWNER]) == (1, 0, None, None, 0.0, 2)
    # Still waiting, oldest first, with how long.
    waiting = [(w.partner_name, w.kind, w.hours, w.over_target) for w in report.waiting]
    assert waiting == [
        ("Globex Consulting", "comment", 4620.0, True),  # 1 Jun 00:00 → 10 Dec 12:00
        ("Globex Consulting", "referral", 72.0, True),
        ("Acme Integrations", "check_in", 24.0, False),
    ]
    # The last 30 days start on 11 Nov: the same six; r7 (June) only ever shows as waiting.
    month = selectors.responsiveness_report(host=world.host, days=30)
    assert (month.window.first_day, month.overall.requests) == (date(2026, 11, 11), 6)
    assert selectors.responsiveness_report(host=world.other_host_org).any is True


@time_machine.travel(NOW, tick=False)
def test_the_report_page_chart_table_and_csv(world: World) -> None:
    requests_world(world)
    client = world.client("host_viewer")
    url = f"/o/{world.host.code}/accountability/responsiveness/"
    body = client.get(url + "?days=90").content.decode()
    assert 'data-chart="responsiveness-chart"' in body
    assert "median <strong>11 h</strong>, 90% within 30 h, 40% within target" in body
    assert "over the 10 h target" in body and "owner@northwind.test" in body
    csv = client.get(url + "export.csv?days=90").getvalue().decode()
    lines = csv.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("per,name,target hours,requests")
    assert "partnership,Acme Integrations,,4,3,10.0,30.0,67,1" in lines
    assert "teammate,No owner,,1,0,,,0,2" in lines
    # A partner organization's own report knows nothing of the host's requests.
    partner_page = world.client("partner_user").get(
        f"/o/{world.partner.code}/accountability/responsiveness/"
    )
    assert "Globex" not in partner_page.content.decode()
    assert "No partner request" in partner_page.content.decode()


@time_machine.travel(NOW, tick=False)
def test_both_sides_see_the_partnerships_own_figure_in_the_workspace(world: World) -> None:
    requests_world(world)
    for persona, org in (("host_owner", world.host), ("partner_user", world.partner)):
        client = world.client(persona)
        base = f"/o/{org.code}/p/{world.partnership.code}/"
        workspace = client.get(base).content.decode()
        assert f'hx-get="{base}scorecard/responsiveness/"' in workspace
        fragment = base + "scorecard/responsiveness/"
        assert client.get(fragment)["Location"] == base + "scorecard/#responsiveness-h"
        text = client.get(fragment, headers={"HX-Request": "true"}).content.decode()
        assert "Comments: median time to first response <strong>18 h</strong>, target 24 h" in text
        assert "Check-ins: median time to first response <strong>10 h</strong>, target 72 h" in text
        assert "1 waiting" in text
        assert "Referrals:" not in text  # Globex's referrals are Globex's
    figures_ = selectors.partnership_responsiveness(partnership=world.other_partnership)
    assert [(r.key, r.tally.waiting) for r in figures_.kinds] == [
        ("referral", 1),
        ("comment", 1),
    ]


def test_targets_defaults_validation_and_roles(world: World) -> None:
    assert selectors.targets_for(host_id=world.host.pk) == {
        "referral": 48,
        "check_in": 72,
        "comment": 24,
    }
    owner = world.actor("host_owner")
    with pytest.raises(ValidationError) as exc:
        services.response_targets_set(actor=owner, hours={"comment": 0, "check_in": 721})
    assert set(exc.value.message_dict) == {"comment", "check_in"}
    with pytest.raises(PermissionDenied):
        services.response_targets_set(actor=world.actor("host_member"), hours={"comment": 8})
    services.response_targets_set(actor=owner, hours={"comment": 1, "check_in": 720})
    services.response_targets_set(actor=owner, hours={"comment": 8})
    assert selectors.targets_for(host_id=world.host.pk) == {
        "referral": 48,
        "check_in": 720,
        "comment": 8,
    }
    assert ResponseTarget.objects.count() == 2
    # The page: 400 with the reason, then saved.
    client = world.client("host_owner")
    url = f"/o/{world.host.code}/accountability/targets/"
    bad = client.post(url, {"referral": "48", "check_in": "72", "comment": "0"})
    assert bad.status_code == 400 and "greater than or equal to 1" in bad.content.decode()
    ok = client.post(url, {"referral": "36", "check_in": "72", "comment": "12"})
    assert ok.status_code == 302
    assert selectors.targets_for(host_id=world.host.pk)["referral"] == 36
    assert world.client("host_viewer").post(url, {"referral": "1"}).status_code == 403
    # Another organization's targets are its own.
    assert selectors.targets_for(host_id=world.other_host_org.pk)["referral"] == 48


@time_machine.travel(NOW, tick=False)
def test_report_query_count_does_not_grow_with_partnerships(
    world: World, django_assert_max_num_queries: Any
) -> None:
    from partnerloop.accounts.models import Organization

    orgs = Organization.objects.bulk_create(
        Organization(name=f"P{i}", domain=f"p{i}.test") for i in range(60)
    )
    many = Partnership.objects.bulk_create(
        Partnership(host=world.host, partner=o, code=f"c{i:05}") for i, o in enumerate(orgs)
    )
    PartnerRequest.objects.bulk_create(
        PartnerRequest(
            partnership=p,
            kind="comment",
            subject_code=f"x{i}",
            asked_at=NOW - timedelta(hours=30 + i),
            answered_at=None if i % 3 else NOW - timedelta(hours=i),
            answered_by=world.host_owner if i % 3 == 0 else None,
        )
        for i, p in enumerate(many)
    )
    with django_assert_max_num_queries(2):
        report = selectors.responsiveness_report(host=world.host)
    assert len(report.partnerships) == 60 and report.overall.requests == 60
    client = world.client("host_owner")
    url = f"/o/{world.host.code}/accountability/responsiveness/"
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200
