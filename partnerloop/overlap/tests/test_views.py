"""The overlap pages for both sides: what crosses to the other side's HTML and CSV (and
what never does), sharing with its roles and conflicts, acting on an account, rejecting a
match, and flat query counts.

The partner's open opportunities are renamed "Pipeline Secret Deals" so that the name is
unique to the partner, and a hidden cell (host customers × partner opportunities) holds
exactly 37 matches: neither may ever reach the host while the partner keeps them hidden.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from django.http import HttpResponse
from django.urls import reverse

from partnerloop.activities.models import Outcome
from partnerloop.mapping.models import Account, AccountUpload, Population
from partnerloop.overlap import selectors, services
from partnerloop.overlap.models import (
    AccountMatch,
    MatchRejection,
    MatchState,
    OverlapAction,
    OverlapSharing,
    RefreshStatus,
)
from partnerloop.overlap.tests.support import load_lists, share

pytestmark = pytest.mark.django_db

HIDDEN_NAME = "Pipeline Secret Deals"
HIDDEN_COUNT = 37
ORG_OF = {"host_owner": "host", "host_member": "host", "host_viewer": "host"}


def _org(world: Any, persona: str) -> Any:
    return getattr(world, ORG_OF.get(persona, "partner"))


def url(world: Any, persona: str, name: str, partnership: Any = None, **kwargs: Any) -> str:
    code = (partnership or world.partnership).code
    return reverse(name, kwargs={"org": _org(world, persona).code, "code": code, **kwargs})


def get(world: Any, persona: str, name: str, **kwargs: Any) -> HttpResponse:
    return world.client(persona).get(url(world, persona, name, **kwargs))


def post(world: Any, persona: str, name: str, data: dict[str, Any], **kwargs: Any) -> HttpResponse:
    return world.client(persona).post(url(world, persona, name, **kwargs), data)


def body(response: HttpResponse) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)  # type: ignore[arg-type]
    return response.content


def csv_rows(response: HttpResponse) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"))))


def _extra_accounts(world: Any, org: Any, prefix: str, population: str, n: int) -> list[Account]:
    upload = AccountUpload.objects.get(account_list__organization=org, is_current=True)
    return Account.objects.bulk_create(
        Account(
            upload=upload,
            row=1000 + i,
            name=f"{prefix} {i:04d}",
            name_key=f"{prefix.lower()}{i:04d}",
            domain=f"{prefix.lower()}{i:04d}.com",
            country="US",
            status="Customer",
            owner="Bulk Owner",
            population_key=population,
        )
        for i in range(n)
    )


def add_matches(world: Any, n: int, *, host_population: str, partner_population: str) -> None:
    """`n` more matches in one cell, between accounts added to both current lists (same
    uploads: the matches stay current)."""
    hosts = _extra_accounts(world, world.host, f"H{host_population}", host_population, n)
    partners = _extra_accounts(
        world, world.partner, f"P{partner_population}", partner_population, n
    )
    AccountMatch.objects.bulk_create(
        AccountMatch(
            partnership=world.partnership,
            host_account=h,
            partner_account=p,
            host_population=host_population,
            partner_population=partner_population,
            host_key=h.domain,
            partner_key=p.domain,
            method="domain",
            confidence=1.0,
        )
        for h, p in zip(hosts, partners, strict=True)
    )


@pytest.fixture
def lists(world: Any) -> Any:
    load_lists(world)
    Population.objects.filter(organization=world.partner, key="opportunities").update(
        name=HIDDEN_NAME
    )
    add_matches(
        world, HIDDEN_COUNT - 1, host_population="customers", partner_population="opportunities"
    )
    return world


def _acme(world: Any) -> AccountMatch:
    return AccountMatch.objects.get(partnership=world.partnership, host_key="acme.com")


def _cell_counts(html: bytes) -> dict[str, str]:
    """data-cell -> the text of the cell, for every cell of the matrix table."""
    return {
        key.decode(): re.sub(r"<[^>]+>|\s+", " ", text.decode()).split()[0]
        for key, text in re.findall(rb'data-cell="([^"]+)">(.*?)</td>', html, re.S)
    }


# --- Every page, both sides -------------------------------------------------------------


def test_every_page_renders_for_both_sides(lists: Any) -> None:
    share(lists, "host_owner", "customers", "accounts")
    share(lists, "partner_user", "customers", "accounts")
    cell = {"ours": "customers", "theirs": "customers"}
    for persona, ours, theirs in (
        ("host_owner", "Acme Corporation", "ACME Corp."),
        ("partner_user", "ACME Corp.", "Acme Corporation"),
    ):
        matrix = get(lists, persona, "overlap_matrix")
        assert matrix.status_code == 200
        assert _cell_counts(matrix.content) == {"customers-customers": "1"}
        assert b"<caption>" in matrix.content and b'scope="row"' in matrix.content
        assert url(lists, persona, "overlap_cell", **cell).encode() in matrix.content
        sharing = get(lists, persona, "overlap_sharing")
        assert sharing.status_code == 200 and b"Save what you share" in sharing.content
        page = get(lists, persona, "overlap_cell", **cell)
        assert page.status_code == 200
        html = page.content.decode()
        assert ours in html and theirs in html and "same domain" in html
        assert "Act on this account" in html and "Not the same company?" in html
        export = csv_rows(get(lists, persona, "overlap_cell_export", **cell))
        assert export[1][0] == ours and theirs in export[1]
        assert csv_rows(get(lists, persona, "overlap_matrix_export"))[1][2] == "1"
        summary = get(lists, persona, "overlap_summary")
        assert b"<strong>1</strong> account in common" in summary.content


def test_the_workspace_links_the_overlap_without_querying_it(lists: Any) -> None:
    response = get(lists, "host_owner", "workspace")
    assert url(lists, "host_owner", "overlap_summary").encode() in response.content
    assert url(lists, "host_owner", "overlap_matrix").encode() in response.content


def test_empty_states_say_what_to_do_next(world: Any) -> None:
    html = get(world, "host_owner", "overlap_matrix").content.decode()
    assert reverse("mapping_upload", kwargs={"org": world.host.code}) in html
    assert "shares nothing with you yet" in html
    assert url(world, "host_owner", "overlap_sharing") in html
    assert url(world, "host_owner", "psi_consent") in html
    assert "How to read the matrix" in html


# --- What never crosses -----------------------------------------------------------------


def test_a_hidden_population_never_reaches_the_other_side(lists: Any) -> None:
    share(lists, "host_owner", "customers", "accounts")
    share(lists, "host_owner", "prospects", "accounts")
    share(lists, "partner_user", "customers", "accounts", fields=["name"])
    # The partner's opportunities stay hidden: 37 with the host's customers, Initech with
    # the host's prospects.
    assert (
        AccountMatch.objects.filter(
            host_population="customers", partner_population="opportunities"
        ).count()
        == HIDDEN_COUNT
    )
    cell = {"ours": "customers", "theirs": "customers"}
    pages = {
        "matrix": get(lists, "host_owner", "overlap_matrix"),
        "summary": get(lists, "host_owner", "overlap_summary"),
        "sharing": get(lists, "host_owner", "overlap_sharing"),
        "cell": get(lists, "host_owner", "overlap_cell", **cell),
        "matrix.csv": get(lists, "host_owner", "overlap_matrix_export"),
        "cell.csv": get(lists, "host_owner", "overlap_cell_export", **cell),
    }
    contents = {name: body(response) for name, response in pages.items()}
    for name, content in contents.items():
        assert pages[name].status_code == 200, name
        assert HIDDEN_NAME.encode() not in content, name
        assert b"Initech Inc" not in content and b"Globex" not in content, name
    assert _cell_counts(pages["matrix"].content) == {
        "customers-customers": "1",
        "prospects-customers": "0",
    }
    assert not re.search(rb">\s*%d\b" % HIDDEN_COUNT, pages["matrix"].content)
    assert str(HIDDEN_COUNT).encode() not in contents["matrix.csv"]
    assert list(csv.reader(io.StringIO(contents["matrix.csv"].decode("utf-8-sig"))))[1:] == [
        ["Customers", "Customers", "1", "accounts"],
        ["Prospects", "Customers", "0", "accounts"],
    ]
    for theirs in ("opportunities", "no-such"):
        for name in ("overlap_cell", "overlap_cell_export"):
            response = get(lists, "host_owner", name, ours="customers", theirs=theirs)
            assert response.status_code == 404


def test_a_counts_only_cell_gives_no_account(lists: Any) -> None:
    share(lists, "host_owner", "customers", "counts")
    share(lists, "partner_user", "customers", "accounts", fields=["name", "owner"])
    cell = {"ours": "customers", "theirs": "customers"}
    for persona in ("host_owner", "partner_user"):
        matrix = get(lists, persona, "overlap_matrix")
        assert _cell_counts(matrix.content) == {"customers-customers": "1"}
        assert url(lists, persona, "overlap_cell", **cell).encode() not in matrix.content
        assert b"counts only" in matrix.content
        page = get(lists, persona, "overlap_cell", **cell)
        assert page.status_code == 200
        assert b"open when both sides share" in page.content
        for name in (b"ACME Corp.", b"Acme Corporation", b"Pia Partner", b"Hana Host"):
            assert name not in page.content
        assert get(lists, persona, "overlap_cell_export", **cell).status_code == 404


def test_their_unshared_fields_never_reach_our_page_or_csv(lists: Any) -> None:
    share(lists, "host_owner", "customers", "accounts", fields=["domain"])
    share(lists, "partner_user", "customers", "accounts", fields=["name"])
    cell = {"ours": "customers", "theirs": "customers"}
    page = get(lists, "host_owner", "overlap_cell", **cell).content
    export = body(get(lists, "host_owner", "overlap_cell_export", **cell))
    for content in (page, export):
        assert b"ACME Corp." in content and b"Hana Host" in content  # their name, our owner
        assert b"Pia Partner" not in content  # their owner: not shared
    header = csv_rows(get(lists, "host_owner", "overlap_cell_export", **cell))[0]
    assert header == [
        "Northwind Analytics: Company",
        "Northwind Analytics: Domain",
        "Northwind Analytics: Country",
        "Northwind Analytics: Status",
        "Northwind Analytics: Owner",
        "Acme Integrations: Company name",
        "Match",
    ]
    # The other way round: the partner sees our domain, not our name or owner.
    partner_page = get(lists, "partner_user", "overlap_cell", **cell).content
    assert b"Acme Corporation" not in partner_page and b"Hana Host" not in partner_page


def test_csv_cells_are_formula_safe(lists: Any) -> None:
    Account.objects.filter(name="Acme Corporation").update(name="=HYPERLINK(1)")
    share(lists, "host_owner", "customers", "accounts")
    share(lists, "partner_user", "customers", "accounts")
    rows = csv_rows(
        get(lists, "host_owner", "overlap_cell_export", ours="customers", theirs="customers")
    )
    assert rows[1][0] == "'=HYPERLINK(1)"


def test_another_partnerships_overlap_is_a_404(lists: Any) -> None:
    share(lists, "host_owner", "customers", "accounts")
    share(lists, "partner_user", "customers", "accounts")
    cell = {"ours": "customers", "theirs": "customers"}
    # The host's URL with a partnership of another host; and another host's own URL.
    assert (
        get(lists, "host_owner", "overlap_cell", partnership=lists.foreign_partnership, **cell)
    ).status_code == 404
    other = lists.client("other_host").get(
        reverse(
            "overlap_cell",
            kwargs={"org": lists.other_host_org.code, "code": lists.partnership.code, **cell},
        )
    )
    assert other.status_code == 404
    # A match of this partnership through the URL of another of the host's partnerships.
    for name in ("overlap_match_reject", "overlap_act"):
        response = post(
            lists,
            "host_owner",
            name,
            {"kind": "intro"},
            partnership=lists.other_partnership,
            match=_acme(lists).pk,
        )
        assert response.status_code == 404
    assert not MatchRejection.objects.exists() and not OverlapAction.objects.exists()


# --- Sharing ----------------------------------------------------------------------------


def test_managers_save_what_they_share(lists: Any) -> None:
    response = post(
        lists,
        "host_owner",
        "overlap_sharing",
        {
            "level_customers": "accounts",
            "fields_customers": ["name", "country"],
            "version_customers": "0",
            "level_prospects": "counts",
            "version_prospects": "0",
        },
    )
    assert response.status_code == 302
    sharing = selectors.sharing_of(partnership=lists.partnership)
    assert sharing[("host", "customers")].level == "accounts"
    assert sharing[("host", "customers")].fields == ("name", "country")
    assert sharing[("host", "prospects")].level == "counts"
    assert ("host", "opportunities") not in sharing


def test_a_refused_population_saves_nothing(lists: Any) -> None:
    response = post(
        lists,
        "host_owner",
        "overlap_sharing",
        {
            "level_customers": "counts",
            "version_customers": "0",
            "level_prospects": "accounts",
            "fields_prospects": ["country"],
            "version_prospects": "0",
        },
    )
    assert response.status_code == 400
    assert b"Share at least the company name" in response.content
    assert not OverlapSharing.objects.exists()


def test_viewers_and_members_cannot_change_sharing(lists: Any) -> None:
    for persona in ("host_viewer", "host_member"):
        response = post(
            lists,
            persona,
            "overlap_sharing",
            {"level_customers": "counts", "version_customers": "0"},
        )
        assert response.status_code == 403
        page = get(lists, persona, "overlap_sharing").content.decode()
        assert "Save what you share" not in page and "disabled" in page
    assert not OverlapSharing.objects.exists()


def test_a_stale_version_gives_409_with_the_current_values(lists: Any) -> None:
    # The form was read at version 0 (never set); someone shares customers meanwhile.
    share(lists, "host_owner", "customers", "counts")
    response = post(
        lists,
        "host_owner",
        "overlap_sharing",
        {"level_customers": "accounts", "fields_customers": ["name"], "version_customers": "0"},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "changed the sharing of this population" in html
    assert re.search(r'value="counts"[^>]*checked|checked[^>]*value="counts"', html)
    assert 'name="version_customers" value="1"' in html
    assert selectors.sharing_of(partnership=lists.partnership)[("host", "customers")].level == (
        "counts"
    )


def test_the_sharing_page_shows_only_what_they_share(lists: Any) -> None:
    share(lists, "partner_user", "customers", "counts")
    html = get(lists, "host_owner", "overlap_sharing").content.decode()
    theirs = html.split("What Acme Integrations shares with you")[1]
    assert "Customers</strong>: counts only" in theirs
    assert HIDDEN_NAME not in html and "Prospects" not in theirs


# --- Acting, outcomes, rejecting --------------------------------------------------------


def test_act_then_both_sides_record_outcomes(lists: Any) -> None:
    share(lists, "host_owner", "customers", "accounts")
    share(lists, "partner_user", "customers", "accounts")
    match = _acme(lists)
    response = post(
        lists, "host_owner", "overlap_act", {"kind": "intro", "note": "Ask Pia"}, match=match.pk
    )
    assert response.status_code == 302
    cell_url = url(lists, "host_owner", "overlap_cell", ours="customers", theirs="customers")
    assert response["Location"] == f"{cell_url}#match-{match.pk}"
    action = OverlapAction.objects.get()
    assert action.kind == "intro" and action.side == "host"
    # The same kind twice is refused with a message, nothing more is written.
    post(lists, "partner_user", "overlap_act", {"kind": "intro"}, match=match.pk)
    assert OverlapAction.objects.count() == 1

    partner_matrix = get(lists, "partner_user", "overlap_matrix").content.decode()
    assert f'data-action="{action.code}"' in partner_matrix and "Intro asked" in partner_matrix
    response = post(
        lists,
        "partner_user",
        "overlap_action_outcome",
        {"result": "worked", "next": url(lists, "partner_user", "overlap_matrix") + "#actions"},
        action=action.code,
    )
    assert response.status_code == 302 and response["Location"].endswith("#actions")
    outcome = Outcome.objects.get(activity=action.activity)
    assert outcome.side == "partner" and outcome.result == "worked"
    host_cell = get(lists, "host_owner", "overlap_cell", ours="customers", theirs="customers")
    assert b"Acme Integrations: Worked" in host_cell.content
    # Intro is taken: the host may still mark co-selling or a referral.
    assert b'<option value="intro">' not in host_cell.content
    assert b'<option value="co_sell">' in host_cell.content


def test_the_outcome_form_never_redirects_elsewhere(lists: Any) -> None:
    share(lists, "host_owner", "customers", "accounts")
    share(lists, "partner_user", "customers", "accounts")
    post(lists, "host_owner", "overlap_act", {"kind": "intro"}, match=_acme(lists).pk)
    action = OverlapAction.objects.get()
    for target in ("https://evil.example/", "//evil.example/", "/o/elsewhere/"):
        response = post(
            lists,
            "host_owner",
            "overlap_action_outcome",
            {"result": "didnt", "next": target},
            action=action.code,
        )
        assert response["Location"] == url(lists, "host_owner", "overlap_matrix") + "#actions"


def test_reject_and_undo(lists: Any) -> None:
    share(lists, "host_owner", "customers", "accounts")
    share(lists, "partner_user", "customers", "accounts")
    response = post(
        lists,
        "partner_user",
        "overlap_match_reject",
        {"reason": "Other Acme"},
        match=_acme(lists).pk,
    )
    assert response.status_code == 302
    assert not AccountMatch.objects.filter(host_key="acme.com").exists()
    rejection = MatchRejection.objects.get()
    html = get(lists, "host_owner", "overlap_matrix").content.decode()
    section = html.split('id="rejections"')[1]
    assert "acme.com" in section and "Acme Integrations" in section and "Other Acme" in section
    assert post(
        lists, "host_viewer", "overlap_rejection_undo", {}, rejection=rejection.pk
    ).status_code == (403)
    response = post(lists, "host_owner", "overlap_rejection_undo", {}, rejection=rejection.pk)
    assert response.status_code == 302
    assert not MatchRejection.objects.exists()


# --- The state of the matches -----------------------------------------------------------


def test_a_stale_page_view_queues_a_refresh_and_polls(
    lists: Any, django_capture_on_commit_callbacks: Any
) -> None:
    MatchState.objects.filter(partnership=lists.partnership).update(signature="h:0|p:0")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = get(lists, "host_owner", "overlap_matrix")
    assert len(queued) == 1
    assert MatchState.objects.get().status == RefreshStatus.PENDING
    assert b'hx-trigger="every 2s"' in response.content and "Updating…" in response.content.decode()
    fragment = lists.client("host_owner").get(
        url(lists, "host_owner", "overlap_matrix"), headers={"HX-Request": "true"}
    )
    assert fragment.content.lstrip().startswith(b'<div id="overlap-live"')
    assert b"<html" not in fragment.content
    # Once current, the page says when and stops polling.
    services.matches_refresh(partnership_id=lists.partnership.pk)
    response = get(lists, "host_owner", "overlap_matrix")
    assert b"Matches computed" in response.content and b"every 2s" not in response.content


# --- Query counts -----------------------------------------------------------------------


@pytest.mark.parametrize("extra", [0, 297])
def test_matrix_and_cell_query_counts_are_flat(
    lists: Any, extra: int, django_assert_max_num_queries: Any
) -> None:
    share(lists, "host_owner", "customers", "accounts")
    share(lists, "partner_user", "customers", "accounts")
    add_matches(lists, extra, host_population="customers", partner_population="customers")
    for match in AccountMatch.objects.filter(host_population="customers")[:3]:
        post(lists, "host_owner", "overlap_act", {"kind": "intro"}, match=match.pk)
    client = lists.client("host_owner")
    cell_url = url(lists, "host_owner", "overlap_cell", ours="customers", theirs="customers")
    with django_assert_max_num_queries(17):
        matrix = client.get(url(lists, "host_owner", "overlap_matrix"))
    assert _cell_counts(matrix.content)["customers-customers"] == str(extra + 1)
    with django_assert_max_num_queries(14):
        cell = client.get(cell_url)
    rows = cell.content.count(b"data-match=")
    assert rows == min(extra + 1, 200)
    assert (b"Next accounts" in cell.content) == (extra + 1 > 200)
    if extra:
        with django_assert_max_num_queries(14):
            second = client.get(f"{cell_url}?page=2")
        assert second.content.count(b"data-match=") == extra + 1 - 200
