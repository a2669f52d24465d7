"""Fit pages for both sides: the checklist, privacy in every page and export, the editor."""

from __future__ import annotations

import csv
import io
import re

from partnerloop.conftest import World
from partnerloop.fit import services
from partnerloop.fit.models import GapAction, IppVersion, PartnershipFit, VersionStatus
from partnerloop.fit.tests.test_services import small_version, submit


def _url(world: World, persona_org: str, path: str) -> str:
    org = getattr(world, persona_org)
    return f"/o/{org.code}/p/{world.partnership.code}/{path}"


def test_checklist_save_submit_and_the_score_in_the_workspace(world: World) -> None:
    small_version(world)
    client = world.client("partner_user")
    url = _url(world, "partner", "fit/checklist/")
    page = client.get(url).content.decode()
    assert "ease?" in page and "sponsor?" not in page  # only the partner's questions
    response = client.post(url, {"revision": 0, "answer__ease": "4", "save": "1"})
    assert response.status_code == 302
    assert PartnershipFit.objects.get(partnership=world.partnership).theirs is None  # a draft
    page = client.get(url).content.decode()
    assert re.search(r'value="4"[^>]*checked', page)  # the draft answer is shown
    from partnerloop.fit.selectors import own_draft

    draft = own_draft(partnership=world.partnership, side="partner")
    response = client.post(
        url,
        {
            "revision": draft.revision,
            "answer__ease": "4",
            "evidence__ease": "Sales asked",
            "submit": "1",
        },
    )
    assert response.status_code == 302
    assert PartnershipFit.objects.get(partnership=world.partnership).theirs == 75  # (4-1)/4


def test_a_stale_checklist_gets_409_and_keeps_the_input(world: World) -> None:
    small_version(world)
    client = world.client("host_owner")
    url = _url(world, "host", "fit/checklist/")
    client.post(url, {"revision": 0, "answer__offer": "2", "save": "1"})  # opens and saves: 2
    response = client.post(url, {"revision": 2, "answer__offer": "5", "save": "1"})
    assert response.status_code == 302  # revision 2 was current
    stale = client.post(url, {"revision": 2, "answer__offer": "3", "save": "1"})
    assert stale.status_code == 409
    body = stale.content.decode()
    assert "Someone else saved this checklist" in body
    assert re.search(r'value="3"[^>]*checked', body)  # the user's input is still there


def test_the_partner_never_sees_the_hosts_private_evaluation(world: World) -> None:
    small_version(world)
    host = world.actor("host_owner")
    version = IppVersion.objects.get(host=world.host, status=VersionStatus.ACTIVE)
    draft = services.evaluation_open(actor=host, partnership=world.partnership, version=version)
    evaluation = services.evaluation_save(
        actor=host,
        partnership=world.partnership,
        evaluation=draft,
        answers={"sponsor": services.AnswerInput(value="no", evidence="HOST-SECRET-EVIDENCE")},
        other_dimensions="HOST-SECRET-DIMENSION",
        expected_revision=draft.revision,
        submit=True,
    )
    services.gap_action_create(
        actor=host,
        partnership=world.partnership,
        criterion_key="sponsor",
        kind="step",
        title="HOST-PRIVATE-GAP",
    )
    partner = world.client("partner_user")
    pages = [
        partner.get(_url(world, "partner", "")).content.decode(),
        partner.get(_url(world, "partner", "fit/checklist/")).content.decode(),
        partner.get(f"/o/{world.partner.code}/").content.decode(),
    ]
    for page in pages:
        for secret in ("HOST-SECRET-EVIDENCE", "HOST-SECRET-DIMENSION", "HOST-PRIVATE-GAP"):
            assert secret not in page
        assert "Red flag" not in page and "Mutual fit" not in page
    host_page = world.client("host_owner").get(_url(world, "host", "")).content.decode()
    assert "HOST-SECRET-EVIDENCE" in host_page and "HOST-PRIVATE-GAP" in host_page

    # Once the host shares, the partner reads why it fits the host; private steps stay private.
    services.evaluation_share(
        actor=host, partnership=world.partnership, evaluation=evaluation, shared=True
    )
    page = partner.get(_url(world, "partner", "")).content.decode()
    assert "HOST-SECRET-EVIDENCE" in page and "HOST-SECRET-DIMENSION" in page
    assert "HOST-PRIVATE-GAP" not in page


def test_gap_becomes_a_step_from_the_workspace(world: World) -> None:
    small_version(world)
    submit(world, "host_owner", {"sponsor": "yes", "offer": 1})
    submit(world, "partner_user", {"ease": 1})
    client = world.client("host_owner")
    page = client.get(_url(world, "host", "")).content.decode()
    assert "to high fit" in page
    response = client.post(
        _url(world, "host", "fit/gaps/"),
        {
            "criterion_key": "ease",
            "kind": "commitment",
            "title": "Answer within a day",
            "visibility": "shared",
            "due_on": "2030-01-15",
        },
    )
    assert response.status_code == 302
    action = GapAction.objects.get()
    assert (action.kind, action.visibility) == ("commitment", "shared")
    # Shared, it is a promise of the host at once, in the commitments of both sides.
    commitment = action.commitment
    assert (commitment.side, commitment.what, str(commitment.due_on)) == (
        "host",
        "Answer within a day",
        "2030-01-15",
    )
    partner_page = world.client("partner_user").get(_url(world, "partner", "")).content.decode()
    assert "Answer within a day" in partner_page


def test_directory_filters_and_sorts_by_fit(world: World, django_assert_max_num_queries) -> None:
    small_version(world)
    submit(world, "host_owner", {"sponsor": "yes", "offer": 5})
    client = world.client("host_owner")
    base = f"/o/{world.host.code}/partners/"
    assert "Acme Integrations" in client.get(base, {"fit": "high"}).content.decode()
    not_evaluated = client.get(base, {"fit": "none"}).content.decode()
    assert "Globex Consulting" in not_evaluated and "Acme Integrations" not in not_evaluated
    with django_assert_max_num_queries(12):
        body = client.get(base, {"sort": "-fit"}).content.decode()
    assert body.index("Acme Integrations") < body.index("Globex Consulting")
    export = client.get(f"/o/{world.host.code}/partners/export.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    acme = next(r for r in rows if r["name"] == "Acme Integrations")
    assert (acme["fit_band"], acme["fit_score"]) == ("high", "100")


def test_editor_flow_through_the_pages(world: World) -> None:
    client = world.client("host_owner")
    base = f"/o/{world.host.code}/fit/"
    assert "Start from the template" in client.get(base).content.decode()
    response = client.post(base + "start/")
    version = IppVersion.objects.get(host=world.host)
    assert response["Location"] == f"{base}versions/{version.code}/"
    bad = client.post(
        f"{base}versions/{version.code}/",
        {
            "form": "criterion",
            "question": "Budget?",
            "direction": "ours",
            "dimension": "capacity",
            "answer_kind": "choice",
            "options": "Big | 200",
            "weight": 3,
        },
    )
    assert bad.status_code == 400 and "points must be 0–100" in bad.content.decode()
    good = client.post(
        f"{base}versions/{version.code}/",
        {
            "form": "criterion",
            "question": "Budget?",
            "direction": "ours",
            "dimension": "capacity",
            "answer_kind": "choice",
            "options": "Big | 100\nSmall | 30",
            "weight": 3,
        },
    )
    assert good.status_code == 302
    assert version.criteria.get(key="budget").options == [
        {"label": "Big", "points": 100.0},
        {"label": "Small", "points": 30.0},
    ]
    no_note = client.post(
        f"{base}versions/{version.code}/", {"form": "activate", "change_note": ""}
    )
    assert no_note.status_code == 400
    activated = client.post(
        f"{base}versions/{version.code}/", {"form": "activate", "change_note": "Launch"}
    )
    assert activated.status_code == 200 and "is active" in activated.content.decode()
    version.refresh_from_db()
    assert version.status == VersionStatus.ACTIVE and version.change_note == "Launch"
    client.post(f"{base}versions/{version.code}/new-draft/")
    draft = IppVersion.objects.get(host=world.host, status=VersionStatus.DRAFT)
    criterion = draft.criteria.get(key="budget")
    client.post(f"{base}versions/{draft.code}/criteria/{criterion.pk}/delete/")
    compare = client.get(f"{base}compare/", {"a": version.code, "b": draft.code}).content.decode()
    assert "removed" in compare and "budget" in compare


def test_ipp_pages_query_counts_stay_flat(world: World, django_assert_max_num_queries) -> None:
    owner = world.actor("host_owner")
    version = services.ipp_create_from_template(actor=owner)
    services.ipp_version_activate(actor=owner, version=version, change_note="v1")
    for _ in range(5):
        draft = services.ipp_version_new_draft(actor=owner, based_on=version)
        services.ipp_version_activate(actor=owner, version=draft, change_note="again")
        version = draft
    client = world.client("host_owner")
    with django_assert_max_num_queries(12):
        assert client.get(f"/o/{world.host.code}/fit/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(f"/o/{world.host.code}/fit/versions/{version.code}/").status_code == 200
    with django_assert_max_num_queries(25):
        assert client.get(f"/o/{world.host.code}/fit/test/").status_code == 200
