"""List endpoints answer in a fixed number of queries, however long the list."""

from __future__ import annotations

import pytest

from partnerloop.accounts.models import Organization
from partnerloop.partnerships.models import (
    Agreement,
    AgreementStatus,
    Comment,
    Note,
    Partnership,
    Side,
    StageChange,
    Tag,
    TimelineEvent,
    Visibility,
)

# Token lookup (1) + partnership (1) + count (1) + page (1) + one prefetch; the
# partnership list: token (1) + list stamp (1) + count, page ids, page rows, tags (4).
MAX_QUERIES = 6


@pytest.fixture
def crowded(world):
    orgs = Organization.objects.bulk_create(
        Organization(name=f"Partner {i:03}", domain=f"partner{i}.test") for i in range(220)
    )
    hosted = Partnership.objects.bulk_create(
        Partnership(
            host=world.host,
            partner=org,
            host_owner=world.host_member if i % 2 else None,
            partner_owner=None,
        )
        for i, org in enumerate(orgs[:200])
    )
    # Programs our host joined as a partner.
    Partnership.objects.bulk_create(
        Partnership(host=org, partner=world.host, host_owner=None) for org in orgs[200:]
    )
    tags = Tag.objects.bulk_create(Tag(host=world.host, name=f"tag{i}") for i in range(5))
    Through = Partnership.tags.through
    Through.objects.bulk_create(
        Through(partnership_id=p.pk, tag_id=t.pk) for p in hosted for t in tags[:3]
    )
    p = world.partnership
    people = [world.host_owner, world.host_member, world.partner_user]
    notes = Note.objects.bulk_create(
        Note(
            partnership=p,
            author=people[i % 3],
            side=Side.PARTNER if i % 3 == 2 else Side.HOST,
            visibility=Visibility.SHARED if i % 2 else Visibility.PRIVATE,
            body=f"note {i}",
        )
        for i in range(200)
    )
    Comment.objects.bulk_create(
        Comment(
            note=n,
            author=people[j],
            side=Side.PARTNER if j == 2 else Side.HOST,
            visibility=Visibility.SHARED,
            body="comment",
        )
        for n in notes
        for j in range(3)
    )
    TimelineEvent.objects.bulk_create(
        TimelineEvent(
            partnership=p,
            actor=people[i % 3],
            side=Side.HOST,
            visibility=Visibility.SHARED,
            kind="note",
            summary=f"event {i}",
        )
        for i in range(200)
    )
    StageChange.objects.bulk_create(
        StageChange(
            partnership=p,
            from_stage="prospect",
            to_stage="active",
            reason="r",
            changed_by=people[i % 3],
        )
        for i in range(200)
    )
    Agreement.objects.bulk_create(
        Agreement(
            partnership=p,
            text_version=i + 1,
            status=AgreementStatus.WITHDRAWN,
            proposed_by=world.host_owner,
            ended_by=world.partner_user,
        )
        for i in range(200)
    )
    return world


@pytest.mark.parametrize(
    ("persona", "suffix", "count"),
    [
        ("host_owner", "", 222),
        ("partner_user", "", 2),
        ("host_owner", "/stage-changes", 200),
        ("partner_user", "/notes", 133),
        ("host_owner", "/notes", 167),
        ("host_owner", "/agreements", 200),
        ("partner_user", "/timeline", 200),
    ],
)
def test_list_endpoints_have_a_fixed_number_of_queries(
    crowded, api, django_assert_max_num_queries, persona: str, suffix: str, count: int
) -> None:
    path = "/partnerships" + (f"/{crowded.partnership.code}{suffix}" if suffix else "")
    api("GET", path, persona=persona)  # the first use of a token records it: not measured
    with django_assert_max_num_queries(MAX_QUERIES):
        response = api("GET", path, persona=persona, limit=100)
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == count
    assert len(data["items"]) == min(count, 100)
