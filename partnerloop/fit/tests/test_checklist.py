"""The two-way checklist page: each side's questions, drafts, submitting, conflicts, errors."""

from __future__ import annotations

import re
from typing import Any

import pytest

from partnerloop.conftest import World
from partnerloop.fit import selectors, services
from partnerloop.fit.models import (
    AnswerKind,
    Direction,
    Evaluation,
    EvaluationStatus,
    IppVersion,
    PartnershipFit,
)
from partnerloop.partnerships.models import Side

# A small version with every answer kind. Bands: high from 70, medium from 40.
#
# ours (answered by the host)                      theirs (answered by the partner)
#   sponsor  yes/no        weight 3, knock-out       ease     scale 1–5   weight 2
#   overlap  choice        weight 4                  support  yes/no      weight 2
#   reps     number bands  weight 2                  budget   choice      weight 1
#   offer    scale 1–5     weight 1
CRITERIA: list[dict[str, Any]] = [
    {"key": "sponsor", "direction": Direction.OURS, "kind": AnswerKind.YES_NO, "weight": 3},
    {
        "key": "overlap",
        "direction": Direction.OURS,
        "kind": AnswerKind.CHOICE,
        "weight": 4,
        "options": [
            {"label": "Mostly the same", "points": 100},
            {"label": "Some overlap", "points": 60},
            {"label": "None", "points": 0},
        ],
    },
    {
        "key": "reps",
        "direction": Direction.OURS,
        "kind": AnswerKind.NUMBER,
        "weight": 2,
        "options": [
            {"min": None, "max": 5, "points": 20},
            {"min": 5, "max": 20, "points": 70},
            {"min": 20, "max": None, "points": 100},
        ],
    },
    {"key": "offer", "direction": Direction.OURS, "kind": AnswerKind.SCALE, "weight": 1},
    {"key": "ease", "direction": Direction.THEIRS, "kind": AnswerKind.SCALE, "weight": 2},
    {"key": "support", "direction": Direction.THEIRS, "kind": AnswerKind.YES_NO, "weight": 2},
    {
        "key": "budget",
        "direction": Direction.THEIRS,
        "kind": AnswerKind.CHOICE,
        "weight": 1,
        "options": [{"label": "Big", "points": 100}, {"label": "Small", "points": 30}],
    },
]


def mixed_version(world: World) -> IppVersion:
    owner = world.actor("host_owner")
    version = IppVersion.objects.create(host=world.host, number=1, created_by=world.host_owner)
    for c in CRITERIA:
        services.criterion_save(
            actor=owner,
            version=version,
            data=services.CriterionInput(
                key=c["key"],
                question=f"Question {c['key']}?",
                direction=c["direction"],
                dimension="other",
                answer_kind=c["kind"],
                weight=c["weight"],
                knock_out=c["key"] == "sponsor",
                options=c.get("options", []),
            ),
        )
    services.ipp_version_activate(actor=owner, version=version, change_note="First")
    return version


def checklist_url(world: World, side: str) -> str:
    org = world.host if side == Side.HOST else world.partner
    return f"/o/{org.code}/p/{world.partnership.code}/fit/checklist/"


def revision_in(body: str) -> str:
    match = re.search(r'name="revision" value="(\d+)"', body)
    assert match, "the form carries its revision"
    return match.group(1)


def current_fit(world: World) -> PartnershipFit:
    return PartnershipFit.objects.get(partnership=world.partnership)


def test_each_side_sees_only_its_questions_with_the_right_inputs(world: World) -> None:
    mixed_version(world)
    host = world.client("host_owner").get(checklist_url(world, Side.HOST)).content.decode()
    for key in ("sponsor", "overlap", "reps", "offer"):
        assert f"Question {key}?" in host
    for key in ("ease", "support", "budget"):
        assert f"Question {key}?" not in host
    # yes/no, choice and scale as radios; number as a number input; evidence per question.
    assert re.search(r'type="radio" name="answer__sponsor" value="yes"', host)
    assert re.search(r'type="radio" name="answer__overlap" value="Some overlap"', host)
    assert len(re.findall(r'type="radio" name="answer__offer"', host)) == 5
    assert re.search(r'type="number" name="answer__reps"', host)
    assert host.count('name="evidence__') == 4
    assert 'name="other_dimensions"' in host and 'name="revision" value="0"' in host
    assert "Save draft" in host and "Submit" in host

    partner = world.client("partner_user").get(checklist_url(world, Side.PARTNER))
    body = partner.content.decode()
    for key in ("ease", "support", "budget"):
        assert f"Question {key}?" in body
    for key in ("sponsor", "overlap", "reps", "offer"):
        assert f"Question {key}?" not in body


def test_hand_computed_scores_after_both_sides_submit_through_the_pages(world: World) -> None:
    mixed_version(world)
    host = world.client("host_owner")
    response = host.post(
        checklist_url(world, Side.HOST),
        {
            "revision": 0,
            "answer__sponsor": "yes",  # 1
            "answer__overlap": "Some overlap",  # 0.6
            "answer__reps": "12",  # 5 ≤ 12 < 20: 0.7
            "answer__offer": "4",  # (4 − 1) / 4 = 0.75
            "evidence__sponsor": "The CEO joined the call",
            "submit": "1",
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("#fit")
    # ours = 100 × (3 × 1 + 4 × 0.6 + 2 × 0.7 + 1 × 0.75) / (3 + 4 + 2 + 1) = 75.5
    fit = current_fit(world)
    assert fit.ours == 75.5 and fit.theirs is None and fit.mutual is None
    # One side only: the band comes from ours, provisional; 10 of 15 weight answered.
    assert (fit.fit_score, fit.band, fit.provisional) == (75.5, "high", True)
    assert fit.coverage == pytest.approx(10 / 15, abs=1e-4)

    partner = world.client("partner_user")
    response = partner.post(
        checklist_url(world, Side.PARTNER),
        {
            "revision": 0,
            "answer__ease": "3",  # 0.5
            "answer__support": "yes",  # 1
            "answer__budget": "Small",  # 0.3
            "submit": "1",
        },
    )
    assert response.status_code == 302
    # theirs = 100 × (2 × 0.5 + 2 × 1 + 1 × 0.3) / (2 + 2 + 1) = 66
    # mutual = √(75.5 × 66) = √4983 = 70.59 → high (≥ 70), no longer provisional.
    fit = current_fit(world)
    assert (fit.ours, fit.theirs, fit.mutual) == (75.5, 66.0, 70.59)
    assert (fit.band, fit.provisional, fit.coverage) == ("high", False, 1.0)

    # The host changes its mind on the knock-out: a red flag caps everything at 40 − 1.
    page = host.get(checklist_url(world, Side.HOST)).content.decode()
    assert re.search(r'value="Some overlap"[^>]*checked', page)  # starts from the last answers
    response = host.post(
        checklist_url(world, Side.HOST),
        {
            "revision": revision_in(page),
            "answer__sponsor": "no",
            "answer__overlap": "Some overlap",
            "answer__reps": "12",
            "answer__offer": "4",
            "submit": "1",
        },
    )
    assert response.status_code == 302
    # ours = min(100 × (0 + 2.4 + 1.4 + 0.75) / 10, 39) = min(45.5, 39) = 39
    # mutual = min(√(39 × 66), 39) = min(50.73, 39) = 39 → low
    fit = current_fit(world)
    assert (fit.ours, fit.mutual, fit.band, fit.knocked_out) == (39.0, 39.0, "low", True)
    workspace = host.get(f"/o/{world.host.code}/p/{world.partnership.code}/").content.decode()
    assert "Red flag:" in workspace and "Question sponsor?" in workspace


def test_a_draft_is_kept_and_the_page_starts_from_the_last_submitted_answers(
    world: World,
) -> None:
    mixed_version(world)
    client = world.client("host_owner")
    url = checklist_url(world, Side.HOST)
    response = client.post(
        url,
        {
            "revision": 0,
            "answer__sponsor": "yes",
            "evidence__sponsor": "Met their VP",
            "other_dimensions": "Great people",
            "save": "1",
        },
    )
    assert response.status_code == 302 and response["Location"] == url
    draft = selectors.own_draft(partnership=world.partnership, side=Side.HOST)
    assert draft is not None and draft.answers["sponsor"]["value"] == "yes"
    assert current_fit(world).ours is None  # a draft does not count
    page = client.get(url).content.decode()
    assert "A draft, last saved" in page and "Met their VP" in page and "Great people" in page
    assert revision_in(page) == str(draft.revision) == "2"

    client.post(url, {"revision": 2, "answer__sponsor": "yes", "answer__offer": "5", "submit": "1"})
    # Coming back after submitting: the answers are there, and changing one keeps the rest.
    page = client.get(url).content.decode()
    assert "as last submitted" in page and revision_in(page) == "0"
    assert re.search(r'name="answer__sponsor" value="yes"[^>]*checked', page)
    assert re.search(r'name="answer__offer" value="5"[^>]*checked', page)
    client.post(url, {"revision": 0, "answer__sponsor": "yes", "answer__offer": "1", "submit": "1"})
    latest = Evaluation.objects.filter(partnership=world.partnership, side=Side.HOST).first()
    assert latest is not None and set(latest.answers) == {"sponsor", "offer"}
    # ours = 100 × (3 × 1 + 1 × 0) / 4 = 75
    assert current_fit(world).ours == 75.0
    assert Evaluation.objects.filter(side=Side.HOST, status=EvaluationStatus.SUBMITTED).count() == 2


def test_concurrent_edits_answer_409_and_lose_nothing(world: World) -> None:
    mixed_version(world)
    owner, member = world.client("host_owner"), world.client("host_member")
    url = checklist_url(world, Side.HOST)
    # Both open the empty checklist; the owner saves first.
    assert revision_in(owner.get(url).content.decode()) == "0"
    assert revision_in(member.get(url).content.decode()) == "0"
    assert owner.post(url, {"revision": 0, "answer__offer": "2", "save": "1"}).status_code == 302
    stale = member.post(
        url,
        {
            "revision": 0,
            "answer__offer": "5",
            "evidence__offer": "MEMBER-INPUT",
            "save": "1",
        },
    )
    assert stale.status_code == 409
    body = stale.content.decode()
    assert "Someone else saved this checklist" in body
    assert re.search(r'name="answer__offer" value="5"[^>]*checked', body)  # input kept
    assert "MEMBER-INPUT" in body
    assert "Saved meanwhile by someone else: “2”" in body
    draft = selectors.own_draft(partnership=world.partnership, side=Side.HOST)
    assert draft is not None and draft.answers["offer"]["value"] == "2"  # nothing overwritten
    # Saving again from the conflict page is deliberate: the member's answer wins.
    again = member.post(
        url,
        {"revision": revision_in(body), "answer__offer": "5", "save": "1"},
    )
    assert again.status_code == 302
    draft.refresh_from_db()
    assert draft.answers["offer"]["value"] == "5"
    # A page loaded on an older revision is stale too.
    assert owner.post(url, {"revision": 2, "answer__offer": "1"}).status_code == 409


def test_each_question_gets_its_own_error_message(world: World) -> None:
    mixed_version(world)
    client = world.client("host_owner")
    url = checklist_url(world, Side.HOST)
    response = client.post(
        url,
        {
            "revision": 0,
            "answer__overlap": "Everyone",
            "answer__reps": "lots",
            "answer__offer": "7",
            "answer__sponsor": "yes",
            "save": "1",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    for key in ("overlap", "reps", "offer"):
        block = body[body.index(f'id="q-{key}"') :]
        block = block[: block.index("</fieldset>")]
        assert 'class="errorlist"' in block, key
    assert "Enter a number." in body
    sponsor = body[body.index('id="q-sponsor"') :]
    assert 'class="errorlist"' not in sponsor[: sponsor.index("</fieldset>")]
    assert re.search(r'name="answer__sponsor" value="yes"[^>]*checked', body)  # input kept
    assert not Evaluation.objects.exists()  # an invalid post opens nothing

    # The service's own rule: submitting nothing is refused with a message above the form.
    empty = client.post(url, {"revision": 0, "submit": "1"})
    assert empty.status_code == 400
    assert "Answer at least one question before submitting." in empty.content.decode()
    assert not Evaluation.objects.filter(status=EvaluationStatus.SUBMITTED).exists()


def test_new_or_changed_criteria_are_marked_to_answer(world: World) -> None:
    version = mixed_version(world)
    client = world.client("host_owner")
    url = checklist_url(world, Side.HOST)
    client.post(url, {"revision": 0, "answer__sponsor": "yes", "answer__offer": "4", "submit": "1"})
    owner = world.actor("host_owner")
    draft = services.ipp_version_new_draft(actor=owner, based_on=version)
    offer = draft.criteria.get(key="offer")
    services.criterion_save(
        actor=owner,
        version=draft,
        criterion=offer,
        data=services.CriterionInput(
            key="offer",
            question="How well does their offer complement ours?",
            direction=Direction.OURS,
            dimension="other",
            answer_kind=AnswerKind.SCALE,
            weight=1,
        ),
    )
    services.ipp_version_activate(actor=owner, version=draft, change_note="Clearer question")
    page = client.get(url).content.decode()

    def block(key: str) -> str:
        start = page.index(f'id="q-{key}"')
        return page[start : page.index("</fieldset>", start)]

    assert "to answer" not in block("sponsor")  # carried over by key
    assert re.search(r'value="yes"[^>]*checked', block("sponsor"))
    assert "to answer" in block("offer")  # the question changed
    assert "The question changed since you answered “4”" in block("offer")
    assert "checked" not in block("offer")
    assert "to answer" in block("overlap")  # never answered


def test_viewers_read_the_checklist_but_cannot_answer(world: World) -> None:
    mixed_version(world)
    viewer = world.client("host_viewer")
    url = checklist_url(world, Side.HOST)
    page = viewer.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Save draft" not in body and "can read the checklist but not answer it" in body
    assert re.search(r'name="answer__sponsor" value="yes"[^>]*disabled', body)
    assert viewer.post(url, {"revision": 0, "answer__sponsor": "yes"}).status_code == 403
    assert not Evaluation.objects.exists()


def test_without_an_active_profile_the_checklist_says_what_to_do(world: World) -> None:
    host = world.client("host_owner").get(checklist_url(world, Side.HOST)).content.decode()
    assert "no active Ideal Partner Profile" in host
    assert f'href="/o/{world.host.code}/fit/"' in host and "Create your IPP" in host
    partner = world.client("partner_user").get(checklist_url(world, Side.PARTNER))
    assert "has not set up its partner profile yet" in partner.content.decode()


def test_the_partners_answers_reach_the_host_only_when_submitted(world: World) -> None:
    mixed_version(world)
    partner = world.client("partner_user")
    url = checklist_url(world, Side.PARTNER)
    partner.post(
        url,
        {
            "revision": 0,
            "answer__ease": "5",
            "evidence__ease": "PARTNER-DRAFT-EVIDENCE",
            "other_dimensions": "PARTNER-DRAFT-DIMENSION",
            "save": "1",
        },
    )
    assert "PARTNER-DRAFT-EVIDENCE" in partner.get(url).content.decode()
    host = world.client("host_owner")
    workspace = f"/o/{world.host.code}/p/{world.partnership.code}/"
    pages = [
        host.get(workspace).content.decode(),
        host.get(checklist_url(world, Side.HOST)).content.decode(),
        host.get(f"/o/{world.host.code}/partners/").content.decode(),
    ]
    for page in pages:
        assert "PARTNER-DRAFT-EVIDENCE" not in page
        assert "PARTNER-DRAFT-DIMENSION" not in page
    assert "has not submitted its side yet" in pages[0]

    page = partner.get(url).content.decode()
    partner.post(
        url,
        {
            "revision": revision_in(page),
            "answer__ease": "5",
            "evidence__ease": "PARTNER-DRAFT-EVIDENCE",
            "other_dimensions": "PARTNER-DRAFT-DIMENSION",
            "submit": "1",
        },
    )
    page = host.get(workspace).content.decode()
    assert "PARTNER-DRAFT-EVIDENCE" in page and "PARTNER-DRAFT-DIMENSION" in page
    # theirs = 100 × 2 × 1 / 2 = 100 over the answered weight; coverage 2 of 12.
    fit = current_fit(world)
    assert (fit.theirs, fit.provisional) == (100.0, True)
    # The host's own checklist never shows the partner's answers.
    assert (
        "PARTNER-DRAFT-EVIDENCE" not in host.get(checklist_url(world, Side.HOST)).content.decode()
    )
