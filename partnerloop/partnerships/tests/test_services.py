from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from partnerloop.conftest import World
from partnerloop.partnerships import selectors, services
from partnerloop.partnerships.models import (
    AgreementStatus,
    Partnership,
    Side,
    Stage,
    StageChange,
    TimelineEvent,
    Visibility,
)


def test_create_normalizes_the_domain_and_records_history(world: World) -> None:
    actor = world.actor("host_owner")
    p = services.partnership_create(
        actor=actor, name="Hooli", website="HTTPS://www.Hooli.co.uk/about?x=1", tags=["EMEA", " "]
    )
    assert p.partner.domain == "hooli.co.uk"
    assert p.partner.website == "https://www.hooli.co.uk"
    assert [t.name for t in p.tags.all()] == ["EMEA"]
    assert StageChange.objects.filter(partnership=p, to_stage=Stage.PROSPECT).exists()
    assert TimelineEvent.objects.filter(partnership=p, kind="created").exists()


def test_create_refuses_a_bad_website_and_a_duplicate(world: World) -> None:
    actor = world.actor("host_owner")
    with pytest.raises(ValidationError, match="public domain"):
        services.partnership_create(actor=actor, name="X", website="localhost")
    services.partnership_create(actor=actor, name="Hooli", website="hooli.com")
    with pytest.raises(ValidationError, match="already have a partnership"):
        services.partnership_create(actor=actor, name="Hooli again", website="www.hooli.com/x")


def test_members_and_viewers_cannot_create(world: World) -> None:
    for persona in ("host_member", "host_viewer"):
        with pytest.raises(PermissionDenied):
            services.partnership_create(
                actor=world.actor(persona), name="Hooli", website="hooli.com"
            )


def test_stage_change_needs_a_reason_and_keeps_history(world: World) -> None:
    actor = world.actor("host_owner")
    p = world.partnership
    with pytest.raises(ValidationError, match="why"):
        services.partnership_change_stage(actor=actor, partnership=p, to_stage="active", reason=" ")
    services.partnership_change_stage(
        actor=actor, partnership=p, to_stage=Stage.EVALUATING, reason="Good call"
    )
    services.partnership_change_stage(
        actor=actor, partnership=p, to_stage=Stage.ACTIVE, reason="Signed"
    )
    history = list(selectors.stage_history_for(partnership=p))
    assert [(c.from_stage, c.to_stage, c.reason) for c in history] == [
        ("evaluating", "active", "Signed"),
        ("prospect", "evaluating", "Good call"),
    ]
    p.refresh_from_db()
    assert p.stage == Stage.ACTIVE


def test_concurrent_edits_never_silently_overwrite(world: World) -> None:
    actor = world.actor("host_owner")
    p = world.partnership
    changes = services.PartnershipChanges(
        tier="gold",
        partner_type="reseller",
        host_owner=None,
        description="First",
        tags=[],
        reason="Won a deal",
    )
    services.partnership_update(actor=actor, partnership=p, expected_version=1, changes=changes)
    stale = services.PartnershipChanges(
        tier="silver",
        partner_type="referral",
        host_owner=None,
        description="Second",
        tags=[],
        reason="Lost a deal",
    )
    with pytest.raises(services.ConcurrentEdit):
        services.partnership_update(actor=actor, partnership=p, expected_version=1, changes=stale)
    p.refresh_from_db()
    assert (p.tier, p.description, p.version) == ("gold", "First", 2)


def test_private_notes_stay_on_their_side(world: World) -> None:
    p = world.partnership
    host, partner = world.actor("host_owner"), world.actor("partner_user")
    services.note_create(actor=host, partnership=p, body="host shared", visibility="shared")
    services.note_create(actor=host, partnership=p, body="host private", visibility="private")
    services.note_create(actor=partner, partnership=p, body="partner private", visibility="private")

    def bodies(side: str) -> set[str]:
        return {n.body for n in selectors.notes_for(partnership=p, side=side)}

    assert bodies(Side.HOST) == {"host shared", "host private"}
    assert bodies(Side.PARTNER) == {"host shared", "partner private"}
    partner_timeline = selectors.timeline_for(partnership=p, side=Side.PARTNER)
    assert not partner_timeline.filter(visibility="private", side="host").exists()


def test_changing_visibility_is_recorded_and_limited_to_the_authors_side(world: World) -> None:
    p = world.partnership
    host = world.actor("host_owner")
    note = services.note_create(actor=host, partnership=p, body="later", visibility="private")
    with pytest.raises(PermissionDenied):
        services.note_set_visibility(
            actor=world.actor("partner_user"), partnership=p, note=note, visibility="shared"
        )
    services.note_set_visibility(actor=host, partnership=p, note=note, visibility="shared")
    note.refresh_from_db()
    assert note.visibility == Visibility.SHARED
    event = TimelineEvent.objects.filter(partnership=p, kind="visibility").get()
    assert event.visibility == Visibility.SHARED and "Shared a note" in event.summary


def test_comment_on_a_private_note_is_private(world: World) -> None:
    p = world.partnership
    host = world.actor("host_owner")
    note = services.note_create(actor=host, partnership=p, body="secret", visibility="private")
    comment = services.comment_create(
        actor=world.actor("host_member"), partnership=p, note=note, body="ok", visibility="shared"
    )
    assert comment.visibility == Visibility.PRIVATE


def test_agreement_is_proposed_accepted_and_ended_with_history(world: World) -> None:
    p = world.partnership
    host, partner = world.actor("host_owner"), world.actor("partner_user")
    agreement = services.agreement_propose(
        actor=host, partnership=p, title="Open", terms="Be nice.", notice_days=30
    )
    with pytest.raises(PermissionDenied):
        services.agreement_accept(
            actor=world.actor("partner_member"), partnership=p, agreement=agreement, text_version=1
        )
    with pytest.raises(ValidationError, match="terms changed"):
        services.agreement_accept(actor=partner, partnership=p, agreement=agreement, text_version=9)
    accepted = services.agreement_accept(
        actor=partner, partnership=p, agreement=agreement, text_version=1
    )
    assert accepted.status == AgreementStatus.ACCEPTED
    assert accepted.accepted_by == world.partner_user and accepted.accepted_text_version == 1
    with pytest.raises(ValidationError, match="already in force"):
        services.agreement_propose(actor=host, partnership=p, title="", terms="x", notice_days=5)

    services.agreement_end(actor=partner, partnership=p, agreement=accepted, reason="No capacity")
    p.refresh_from_db()
    assert p.stage == Stage.ENDED
    assert StageChange.objects.filter(partnership=p, to_stage=Stage.ENDED).exists()
    summaries = list(TimelineEvent.objects.filter(partnership=p).values_list("summary", flat=True))
    assert any("Accepted “Open”" in s for s in summaries)
    assert any("ended the agreement: No capacity" in s for s in summaries)
    # The history survives: the ended agreement and every event are still there.
    assert selectors.agreements_for(partnership=p).count() == 1


def test_a_new_proposal_replaces_an_open_one_with_a_new_text_version(world: World) -> None:
    p = world.partnership
    host = world.actor("host_owner")
    first = services.agreement_propose(
        actor=host, partnership=p, title="A", terms="a", notice_days=1
    )
    second = services.agreement_propose(
        actor=host, partnership=p, title="B", terms="b", notice_days=1
    )
    first.refresh_from_db()
    assert first.status == AgreementStatus.WITHDRAWN
    assert second.text_version == 2
    assert selectors.current_agreement(partnership=p) == second


def test_key_people_and_meeting_them(world: World) -> None:
    import datetime

    p = world.partnership
    actor = world.actor("partner_member")
    person = services.key_person_add(actor=actor, partnership=p, side="host", name="Dana")
    assert not person.met
    services.key_person_mark_met(
        actor=actor, partnership=p, person=person, met_on=datetime.date(2026, 1, 2)
    )
    person.refresh_from_db()
    assert person.met and person.met_on == datetime.date(2026, 1, 2)
    with pytest.raises(ValidationError, match="future"):
        services.key_person_mark_met(
            actor=actor, partnership=p, person=person, met_on=datetime.date(2999, 1, 1)
        )


def test_partner_users_see_only_their_partnerships(world: World) -> None:
    codes = set(
        selectors.partnerships_of(actor=world.actor("partner_user")).values_list("code", flat=True)
    )
    assert codes == {world.partnership.code, world.foreign_partnership.code}
    other = set(
        selectors.partnerships_of(actor=world.actor("other_partner")).values_list("code", flat=True)
    )
    assert other == {world.other_partnership.code}
    assert Partnership.objects.count() == 3
