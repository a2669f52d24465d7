from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth import get_user_model

from partnerloop.accounts.models import Organization
from partnerloop.conftest import World
from partnerloop.partnerships import services
from partnerloop.partnerships.models import Partnership, Tag, TimelineEvent


@pytest.fixture
def crowded(world: World) -> World:
    """200 partnerships for the host, with tags, owners and timeline entries."""
    orgs = Organization.objects.bulk_create(
        Organization(name=f"Partner {i:03}", domain=f"partner{i:03}.com") for i in range(200)
    )
    tags = [Tag.objects.create(host=world.host, name=n) for n in ("EMEA", "fintech")]
    partnerships = Partnership.objects.bulk_create(
        Partnership(
            host=world.host,
            partner=org,
            stage=["prospect", "active", "onboarding"][i % 3],
            tier=["", "gold", "silver"][i % 3],
            host_owner=world.host_owner if i % 2 else world.host_member,
        )
        for i, org in enumerate(orgs)
    )
    for i, p in enumerate(partnerships):
        p.tags.set(tags[: i % 3])
    TimelineEvent.objects.bulk_create(
        TimelineEvent(
            partnership=world.partnership,
            side="host",
            visibility="shared",
            kind="x",
            summary=f"Event {i:03}",
        )
        for i in range(100)
    )
    return world


def test_directory_query_count_is_flat(crowded: World, django_assert_max_num_queries) -> None:
    client = crowded.client("host_owner")
    url = f"/o/{crowded.host.code}/partners/"
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200
    with django_assert_max_num_queries(12):
        response = client.get(url, {"page": 5, "sort": "-name", "tag": "EMEA"})
    assert response.status_code == 200


def test_directory_search_filters_sort_and_paginate(crowded: World) -> None:
    client = crowded.client("host_owner")
    base = f"/o/{crowded.host.code}/partners/"
    body = client.get(base, {"q": "Partner 00"}).content.decode()
    assert "Partner 001" in body and "Partner 010" not in body
    body = client.get(base, {"stage": "active", "tier": "gold"}).content.decode()
    assert "67 partnerships" in body
    body = client.get(base, {"owner": crowded.host_member.pk}).content.decode()
    assert "100 partnerships" in body
    body = client.get(base, {"tag": "fintech"}).content.decode()
    assert "66 partnerships" in body
    body = client.get(base, {"sort": "-name"}).content.decode()
    assert body.index("Partner 199") < body.index("Partner 198")
    assert "Page 2 of" in client.get(base, {"page": 2}).content.decode()
    # htmx asks for the results fragment only.
    fragment = client.get(
        base, {"q": "Partner"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="directory-results"
    )
    assert "<html" not in fragment.content.decode()


def test_directory_empty_state_says_what_to_do(world: World) -> None:
    Partnership.objects.filter(host=world.other_host_org).delete()
    body = (
        world.client("other_host").get(f"/o/{world.other_host_org.code}/partners/").content.decode()
    )
    assert "Your directory is empty" in body and "Add your first partner" in body


def test_workspace_query_count_is_flat(crowded: World, django_assert_max_num_queries) -> None:
    client = crowded.client("host_owner")
    services.note_create(
        actor=crowded.actor("host_owner"),
        partnership=crowded.partnership,
        body="n",
        visibility="shared",
    )
    with django_assert_max_num_queries(33):
        response = client.get(f"/o/{crowded.host.code}/p/{crowded.partnership.code}/")
    assert response.status_code == 200
    assert "Show older" in response.content.decode()


def test_timeline_loads_older_entries(crowded: World) -> None:
    client = crowded.client("host_owner")
    events = list(TimelineEvent.objects.filter(partnership=crowded.partnership).order_by("-id"))
    cutoff = events[29]
    response = client.get(
        f"/o/{crowded.host.code}/p/{crowded.partnership.code}/timeline/", {"before": cutoff.pk}
    )
    body = response.content.decode()
    assert events[30].summary in body and events[59].summary in body
    assert cutoff.summary not in body and events[60].summary not in body


def test_export_is_formula_safe(world: World) -> None:
    services.partnership_create(
        actor=world.actor("host_owner"),
        name='=HYPERLINK("x")',
        website="evil.com",
        description="+cmd",
    )
    response = world.client("host_viewer").get(f"/o/{world.host.code}/partners/export.csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:2] == ["name", "website"]
    evil = next(r for r in rows if "evil.com" in r)
    assert evil[0] == '\'=HYPERLINK("x")' and evil[7] == "'+cmd"


def test_workspace_hides_the_hosts_private_note_from_the_partner(world: World) -> None:
    host = world.actor("host_owner")
    services.note_create(
        actor=host, partnership=world.partnership, body="SHARED-TEXT", visibility="shared"
    )
    services.note_create(
        actor=host, partnership=world.partnership, body="PRIVATE-TEXT", visibility="private"
    )
    host_body = (
        world.client("host_owner")
        .get(f"/o/{world.host.code}/p/{world.partnership.code}/")
        .content.decode()
    )
    partner_body = (
        world.client("partner_user")
        .get(f"/o/{world.partner.code}/p/{world.partnership.code}/")
        .content.decode()
    )
    assert "SHARED-TEXT" in host_body and "PRIVATE-TEXT" in host_body
    assert "SHARED-TEXT" in partner_body and "PRIVATE-TEXT" not in partner_body
    assert "private note" not in partner_body.lower()


def test_stale_edit_gets_a_clear_conflict_message(world: World) -> None:
    client = world.client("host_owner")
    url = f"/o/{world.host.code}/p/{world.partnership.code}/edit/"
    data = {
        "version": 1,
        "partner_type": "reseller",
        "tier": "gold",
        "tier_reason": "First joint deal closed",
        "description": "",
        "tags": "",
    }
    assert client.post(url, data).status_code == 302
    response = client.post(url, {**data, "tier": "silver"})
    assert response.status_code == 409
    assert "Someone else changed this partnership" in response.content.decode()


def test_a_tier_change_needs_a_reason_the_partner_reads(world: World) -> None:
    client = world.client("host_owner")
    url = f"/o/{world.host.code}/p/{world.partnership.code}/edit/"
    data = {"version": 1, "partner_type": "referral", "tier": "gold", "description": "", "tags": ""}
    response = client.post(url, data)
    assert response.status_code == 400
    assert "Say why the tier changes" in response.content.decode()
    world.partnership.refresh_from_db()
    assert (world.partnership.tier, world.partnership.version) == ("", 1)
    assert client.post(url, {**data, "tier_reason": "Two referrals won"}).status_code == 302
    # Editing other fields keeps the tier and needs no reason.
    assert client.post(url, {**data, "version": 2, "description": "DACH"}).status_code == 302
    partner_page = world.client("partner_user").get(
        f"/o/{world.partner.code}/p/{world.partnership.code}/"
    )
    assert "Tier changed from No tier to Gold: Two referrals won" in partner_page.content.decode()


def test_create_from_name_and_website(world: World) -> None:
    client = world.client("host_owner")
    response = client.post(
        f"/o/{world.host.code}/partners/new/",
        {
            "name": "Hooli",
            "website": "https://www.hooli.com/",
            "partner_type": "technology",
            "tier": "",
            "stage": "prospect",
            "tags": "a, b",
            "host_owner": "",
        },
    )
    assert response.status_code == 302
    p = Partnership.objects.get(partner__domain="hooli.com")
    assert response["Location"] == f"/o/{world.host.code}/p/{p.code}/"
    bad = client.post(
        f"/o/{world.host.code}/partners/new/",
        {"name": "X", "website": "nope", "partner_type": "technology", "stage": "prospect"},
    )
    assert bad.status_code == 200 and "is not a website" in bad.content.decode()
    assert get_user_model().objects.count() == 7
