"""Fit in the workspace (what each side may see) and in the directory (band, filter, sort)."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from partnerloop.conftest import World
from partnerloop.fit import selectors, services
from partnerloop.fit.models import Evaluation, GapAction, PartnershipFit
from partnerloop.fit.tests.test_checklist import mixed_version
from partnerloop.partnerships.models import Partnership, Side

SECRETS = ("HOST-SECRET-EVIDENCE", "HOST-SECRET-DIMENSION", "HOST-PRIVATE-GAP")


def workspace_url(world: World, side: str) -> str:
    org = world.host if side == Side.HOST else world.partner
    return f"/o/{org.code}/p/{world.partnership.code}/"


def answer(
    world: World,
    persona: str,
    values: dict[str, Any],
    *,
    evidence: str = "",
    other: str = "",
    submit: bool = True,
) -> Evaluation:
    actor = world.actor(persona)
    version = selectors.active_version(host_id=world.host.pk)
    assert version is not None
    draft = services.evaluation_open(actor=actor, partnership=world.partnership, version=version)
    return services.evaluation_save(
        actor=actor,
        partnership=world.partnership,
        evaluation=draft,
        answers={k: services.AnswerInput(value=v, evidence=evidence) for k, v in values.items()},
        other_dimensions=other,
        expected_revision=draft.revision,
        submit=submit,
    )


def host_secrets(world: World) -> Evaluation:
    """A private host evaluation full of markers: a red flag, evidence, other dimensions."""
    evaluation = answer(
        world,
        "host_owner",
        {"sponsor": "no", "overlap": "Some overlap", "reps": 3, "offer": 2},
        evidence="HOST-SECRET-EVIDENCE",
        other="HOST-SECRET-DIMENSION",
    )
    services.gap_action_create(
        actor=world.actor("host_owner"),
        partnership=world.partnership,
        criterion_key="sponsor",
        kind="step",
        title="HOST-PRIVATE-GAP",
    )
    return evaluation


def chart_of(body: str) -> dict[str, Any] | None:
    match = re.search(r'<script id="fit-trend" type="application/json">(.*?)</script>', body)
    return json.loads(match.group(1)) if match else None


def fit_section(body: str) -> str:
    start = body.index('<section id="fit"')
    return body[start : body.index("</section>", start)]


def test_the_partner_never_sees_the_hosts_private_evaluation_anywhere(world: World) -> None:
    mixed_version(world)
    evaluation = host_secrets(world)
    partner = world.client("partner_user")
    base = workspace_url(world, Side.PARTNER)

    def partner_pages() -> list[str]:
        return [
            partner.get(base).content.decode(),
            partner.get(base + "fit/checklist/").content.decode(),
            partner.get(base + "timeline/").content.decode(),
            partner.get(f"/o/{world.partner.code}/").content.decode(),
        ]

    for page in partner_pages():
        for secret in SECRETS:
            assert secret not in page
        assert "Question sponsor?" not in page  # the host's questions and red flag
        assert "submitted the fit checklist" not in page  # not even in the timeline
    section = fit_section(partner_pages()[0])
    assert "Mutual" not in section and "Coverage" not in section and "Red flag" not in section
    assert "keeps its own evaluation of this partnership private" in section
    # The host's submission leaves no trend point the partner could count.
    assert chart_of(partner_pages()[0]) is None

    # The partner answers: its own score appears, alone, in the chart and the table.
    answer(world, "partner_user", {"ease": 5, "support": "yes", "budget": "Big"})
    answer(
        world,
        "host_owner",
        {"sponsor": "no", "overlap": "None"},
        evidence="HOST-SECRET-EVIDENCE",
        other="HOST-SECRET-DIMENSION",
    )
    body = partner.get(base).content.decode()
    chart = chart_of(body)
    assert chart is not None
    assert [d["data"] for d in chart["data"]["datasets"]] == [[100.0]]  # theirs only, one point
    assert '<th scope="col">Ours</th>' not in body and '<th scope="col">Mutual</th>' not in body
    for secret in SECRETS:
        assert secret not in body
    # The host sees everything of its own, and its private step.
    host_body = world.client("host_owner").get(workspace_url(world, Side.HOST)).content.decode()
    for secret in SECRETS:
        assert secret in host_body
    host_chart = chart_of(host_body)
    assert host_chart is not None and len(host_chart["data"]["datasets"]) == 3

    # Once the host shares, the partner reads why it fits the host, the scores and the red
    # flag; private steps stay private.
    latest = services.latest_submitted([world.partnership.pk])[(world.partnership.pk, Side.HOST)]
    services.evaluation_share(
        actor=world.actor("host_owner"),
        partnership=world.partnership,
        evaluation=latest,
        shared=True,
    )
    body = partner.get(base).content.decode()
    assert "HOST-SECRET-EVIDENCE" in body and "HOST-SECRET-DIMENSION" in body
    assert "HOST-PRIVATE-GAP" not in body
    section = fit_section(body)
    assert "Mutual fit" in section and "Red flag:" in section and "Question sponsor?" in section
    chart = chart_of(body)
    assert chart is not None and len(chart["data"]["datasets"]) == 3
    assert evaluation.pk != latest.pk  # the share covers the newest evaluation


def test_the_host_shares_and_takes_back_its_evaluation(world: World) -> None:
    mixed_version(world)
    host_secrets(world)
    owner = world.client("host_owner")
    share_url = workspace_url(world, Side.HOST) + "fit/share/"
    page = owner.get(workspace_url(world, Side.HOST)).content.decode()
    assert "Private to Northwind Analytics" in page and "Share our evaluation with Acme" in page
    # A member may not share; the partner may not either.
    assert world.client("host_member").post(share_url, {"shared": "on"}).status_code == 403
    partner_share = workspace_url(world, Side.PARTNER) + "fit/share/"
    assert world.client("partner_user").post(partner_share, {"shared": "on"}).status_code == 403
    assert not Evaluation.objects.filter(shared=True).exists()

    response = owner.post(share_url, {"shared": "on"})
    assert response.status_code == 302 and response["Location"].endswith("#fit")
    assert PartnershipFit.objects.get(partnership=world.partnership).ours_shared
    partner = world.client("partner_user")
    body = partner.get(workspace_url(world, Side.PARTNER)).content.decode()
    assert "HOST-SECRET-EVIDENCE" in body and "Shared our fit evaluation" in body
    assert (
        "Make our evaluation private" in owner.get(workspace_url(world, Side.HOST)).content.decode()
    )

    owner.post(share_url, {})  # unchecked: private again
    body = partner.get(workspace_url(world, Side.PARTNER)).content.decode()
    assert "HOST-SECRET-EVIDENCE" not in body and "Mutual fit" not in body


def test_a_gap_becomes_a_step_or_a_commitment(world: World) -> None:
    mixed_version(world)
    # ours = 100 × (3 × 1 + 4 × 0 + 0 + 1 × 0.25) / 10 = 32.5; theirs = 100 × 0.25 × 2 / 5 = 10
    answer(world, "host_owner", {"sponsor": "yes", "overlap": "None", "reps": 1, "offer": 2})
    answer(world, "partner_user", {"ease": 2, "support": "no", "budget": "Small"})
    fit = PartnershipFit.objects.get(partnership=world.partnership)
    assert fit.band == "low"
    owner = world.client("host_owner")
    page = owner.get(workspace_url(world, Side.HOST)).content.decode()
    assert "From low fit to high fit" in page
    # Biggest weighted gap first: overlap 4 × (1 − 0) = 4.
    gaps = re.findall(r'<li id="gap-([a-z]+)"', page)
    assert gaps[0] == "overlap" and "sponsor" not in gaps  # a full answer is no gap
    assert 'value="Agree one small step on “Question overlap?”."' in page  # prefilled

    url = workspace_url(world, Side.HOST) + "fit/gaps/"
    response = owner.post(
        url,
        {
            "criterion_key": "overlap",
            "kind": "commitment",
            "title": "Map ten shared accounts",
            "due_on": "2030-03-01",
            "visibility": "private",
        },
    )
    assert response.status_code == 302
    owner.post(
        url,
        {
            "criterion_key": "support",
            "kind": "step",
            "title": "Weekly call",
            "visibility": "shared",
        },
    )
    private, shared = GapAction.objects.order_by("id")
    assert (private.kind, private.visibility, str(private.due_on)) == (
        "commitment",
        "private",
        "2030-03-01",
    )
    assert (shared.kind, shared.visibility, shared.due_on) == ("step", "shared", None)
    host_page = owner.get(workspace_url(world, Side.HOST)).content.decode()
    assert "Map ten shared accounts" in host_page and "due Mar 1, 2030" in host_page
    partner_page = world.client("partner_user").get(workspace_url(world, Side.PARTNER))
    assert "Weekly call" in partner_page.content.decode()
    assert "Map ten shared accounts" not in partner_page.content.decode()

    # An empty title is refused with a message; members and the partner may not add steps.
    owner.post(url, {"criterion_key": "reps", "kind": "step", "title": " ", "visibility": "shared"})
    assert GapAction.objects.count() == 2
    data = {"criterion_key": "reps", "kind": "step", "title": "x", "visibility": "shared"}
    assert world.client("host_member").post(url, data).status_code == 403
    partner_url = workspace_url(world, Side.PARTNER) + "fit/gaps/"
    assert world.client("partner_user").post(partner_url, data).status_code == 403
    assert GapAction.objects.count() == 2


def test_the_checklist_button_says_what_to_do(world: World) -> None:
    mixed_version(world)
    host = world.client("host_owner")
    assert "Answer the fit checklist" in host.get(workspace_url(world, Side.HOST)).content.decode()
    answer(world, "host_owner", {"sponsor": "yes"}, submit=False)
    assert "Continue your checklist" in host.get(workspace_url(world, Side.HOST)).content.decode()
    draft = selectors.own_draft(partnership=world.partnership, side=Side.HOST)
    assert draft is not None
    services.evaluation_save(
        actor=world.actor("host_owner"),
        partnership=world.partnership,
        evaluation=draft,
        answers={},
        other_dimensions="",
        expected_revision=draft.revision,
        submit=True,
    )
    assert "Update your answers" in host.get(workspace_url(world, Side.HOST)).content.decode()
    viewer = world.client("host_viewer").get(workspace_url(world, Side.HOST)).content.decode()
    assert "See your side's checklist" in viewer and "Share our evaluation" not in viewer


def test_workspace_query_count_with_a_full_fit_section(
    world: World, django_assert_max_num_queries
) -> None:
    mixed_version(world)
    for round_ in range(6):  # many snapshots, evaluations and gap actions
        answer(world, "host_owner", {"sponsor": "yes", "overlap": "None", "offer": 1 + round_ % 5})
        answer(world, "partner_user", {"ease": 1 + round_ % 5, "support": "no"})
        services.gap_action_create(
            actor=world.actor("host_owner"),
            partnership=world.partnership,
            criterion_key="overlap",
            kind="step",
            title=f"Step {round_}",
            visibility="shared",
        )
    host, partner = world.client("host_owner"), world.client("partner_user")
    # 13 for the rest of the workspace, 9 for the fit section, 8 for plan, health, reviews,
    # 3 for activities and commitments.
    with django_assert_max_num_queries(33):
        host_body = host.get(workspace_url(world, Side.HOST)).content.decode()
    assert "to high fit" in host_body and "Step 5" in host_body
    with django_assert_max_num_queries(29):
        partner_body = partner.get(workspace_url(world, Side.PARTNER)).content.decode()
    assert "Step 5" in partner_body


def _directory_world(world: World) -> dict[str, Partnership]:
    """Acme: high (provisional); Globex: low with a red flag; a third: not evaluated."""
    version = mixed_version(world)
    answer(world, "host_owner", {"sponsor": "yes", "overlap": "Mostly the same"})  # 100
    owner = world.actor("host_owner")
    globex = world.other_partnership
    draft = services.evaluation_open(actor=owner, partnership=globex, version=version)
    services.evaluation_save(
        actor=owner,
        partnership=globex,
        evaluation=draft,
        answers={"sponsor": services.AnswerInput(value="no")},  # knock-out: 0, capped at 39
        other_dimensions="",
        expected_revision=draft.revision,
        submit=True,
    )
    from partnerloop.accounts.models import Organization

    hooli = Partnership.objects.create(
        host=world.host, partner=Organization.objects.create(name="Hooli", domain="hooli.test")
    )
    return {"acme": world.partnership, "globex": globex, "hooli": hooli}


def test_directory_shows_filters_and_sorts_by_fit(
    world: World, django_assert_max_num_queries
) -> None:
    _directory_world(world)
    client = world.client("host_owner")
    url = f"/o/{world.host.code}/partners/"
    with django_assert_max_num_queries(12):
        body = client.get(url).content.decode()
    acme_row = body[body.index("Acme Integrations") :]
    acme_row = acme_row[: acme_row.index("</tr>")]
    assert "High fit" in acme_row and "provisional" in acme_row and "100" in acme_row
    globex_row = body[body.index("Globex Consulting") :]
    globex_row = globex_row[: globex_row.index("</tr>")]
    assert "Low fit" in globex_row and "red flag" in globex_row and "0" in globex_row

    def names(**params: str) -> list[str]:
        page = client.get(url, params).content.decode()
        return re.findall(r"<strong>(Acme Integrations|Globex Consulting|Hooli)</strong>", page)

    assert names(fit="high") == ["Acme Integrations"]
    assert names(fit="low") == ["Globex Consulting"]
    assert names(fit="medium") == []
    assert names(fit="none") == ["Hooli"]
    assert names(fit="bogus") == ["Acme Integrations", "Globex Consulting", "Hooli"]
    # Best first and weakest first; not evaluated last either way.
    assert names(sort="-fit") == ["Acme Integrations", "Globex Consulting", "Hooli"]
    assert names(sort="fit") == ["Globex Consulting", "Acme Integrations", "Hooli"]

    export = client.get(f"/o/{world.host.code}/partners/export.csv", {"sort": "-fit"})
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert [(r["name"], r["fit_band"], r["fit_score"]) for r in rows] == [
        ("Acme Integrations", "high", "100"),
        ("Globex Consulting", "low", "0"),
        ("Hooli", "", ""),
    ]


def test_directory_query_count_stays_flat_with_fit(
    world: World, django_assert_max_num_queries
) -> None:
    from partnerloop.accounts.models import Organization

    mixed_version(world)
    orgs = Organization.objects.bulk_create(
        Organization(name=f"Partner {i:03}", domain=f"p{i:03}.test") for i in range(60)
    )
    partnerships = Partnership.objects.bulk_create(
        Partnership(host=world.host, partner=org) for org in orgs
    )
    version = selectors.active_version(host_id=world.host.pk)
    PartnershipFit.objects.bulk_create(
        PartnershipFit(
            partnership=p,
            version=version,
            ours=i,
            fit_score=i,
            band=["low", "medium", "high"][i % 3],
        )
        for i, p in enumerate(partnerships)
    )
    client = world.client("host_owner")
    for params in ({"sort": "-fit"}, {"sort": "fit", "fit": "medium"}, {"fit": "none"}):
        with django_assert_max_num_queries(12):
            assert client.get(f"/o/{world.host.code}/partners/", params).status_code == 200


def test_a_private_commitment_gap_is_promised_later(world: World) -> None:
    from partnerloop.accountability.models import Commitment
    from partnerloop.fit.models import GapAction
    from partnerloop.partnerships.models import TimelineEvent

    mixed_version(world)
    owner = world.client("host_owner")
    url = workspace_url(world, Side.HOST) + "fit/gaps/"
    # Shared without a date: refused with what to fix, nothing written.
    shared = {"criterion_key": "overlap", "kind": "commitment", "title": "Map ten accounts"}
    owner.post(url, {**shared, "visibility": "shared"})
    assert not GapAction.objects.exists() and not Commitment.objects.exists()
    owner.post(url, {**shared, "visibility": "private"})
    action = GapAction.objects.get()
    assert action.commitment is None
    partner = world.client("partner_user")
    promise_url = workspace_url(world, Side.HOST) + f"fit/gaps/{action.code}/promise/"
    partner_url = workspace_url(world, Side.PARTNER) + f"fit/gaps/{action.code}/promise/"
    assert partner.post(partner_url, {"due_on": "2030-02-01"}).status_code == 404
    page = owner.get(workspace_url(world, Side.HOST)).content.decode()
    assert "Promise it (both sides see it)" in page
    response = owner.post(promise_url, {"due_on": ""})
    assert response.status_code == 302 and not Commitment.objects.exists()
    owner.post(promise_url, {"due_on": "2030-02-01"})
    action.refresh_from_db()
    assert (action.visibility, action.commitment.what, str(action.commitment.due_on)) == (
        "shared",
        "Map ten accounts",
        "2030-02-01",
    )
    # Promised twice is refused; still one commitment.
    owner.post(promise_url, {"due_on": "2030-03-01"})
    assert Commitment.objects.count() == 1
    partner_page = partner.get(workspace_url(world, Side.PARTNER)).content.decode()
    assert "Map ten accounts" in partner_page
    # The checklist behind it stays private: no shared line mentions the fit gap.
    shared_lines = TimelineEvent.objects.filter(visibility="shared").values_list(
        "summary", flat=True
    )
    assert not any("improve fit" in line for line in shared_lines)
