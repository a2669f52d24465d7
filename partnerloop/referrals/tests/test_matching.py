"""The duplicate and conflict check: name folding, name matching, and the findings."""

from __future__ import annotations

import pytest

from partnerloop.conftest import World
from partnerloop.referrals.matching import find_conflicts, name_match, normalize_company_name
from partnerloop.referrals.models import KnownAccount, Referral


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Acme, Inc.", "acme"),
        ("ACME Incorporated", "acme"),
        ("Société Générale S.A.", "societe generale"),
        ("Müller GmbH & Co. KG", "muller"),
        ("The Acme Company", "acme"),
        ("Johnson & Johnson", "johnson and johnson"),
        ("O'Neil Data Ltd", "oneil data"),
        ("Hooli   Labs, LLC", "hooli labs"),
        ("Straße Werke AG", "strasse werke"),
        ("Company Inc", "company"),  # only suffixes: the last word stays
        ("Initech B.V.", "initech"),
        ("Co-op Bank plc", "co op bank"),
        ("", ""),
    ],
)
def test_names_fold_case_accents_punctuation_and_legal_suffixes(name: str, key: str) -> None:
    assert normalize_company_name(name) == key


@pytest.mark.parametrize(
    ("a", "b", "score"),
    [
        ("Acme", "ACME Inc.", 100),
        ("Data Dog", "Datadog", 100),  # the same once spaces are out
        ("Acme Integration", "Acme Integrations", 97),
        ("Wayne Enterprise", "Wayne Enterprises Ltd", 97),
        ("Umbrella Lab", "Umbrella Labs", 96),
    ],
)
def test_same_or_nearly_the_same_names_match(a: str, b: str, score: int) -> None:
    found = name_match(normalize_company_name(a), normalize_company_name(b))
    assert found is not None and found.score == score


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Northwind Trading", "Northwind Traders"),  # 82
        ("Acme North", "Acme South"),  # 80
        ("Blue Sky Media", "Blue Sky Medical"),  # 93: under the threshold
        ("Globex", "Globes"),  # 83
        ("General Motors", "General Mills"),
        ("Acme", "Acme Group"),
        ("Tyrel", "Tyrell"),  # 91
        ("IBM", "IBX"),  # too short for a close match
        ("Studio 5 Media", "Studio 54 Media"),  # not the same numbers
    ],
)
def test_look_alikes_do_not_match(a: str, b: str) -> None:
    assert name_match(normalize_company_name(a), normalize_company_name(b)) is None


def _referral(world: World, company: str, domain: str = "", partnership=None, **extra):
    p = partnership or world.partnership
    return Referral.objects.create(
        host=p.host,
        partnership=p,
        company=company,
        domain=domain,
        name_key=normalize_company_name(company),
        **extra,
    )


def test_findings_by_domain_then_name_across_the_hosts_partnerships(world: World) -> None:
    own = _referral(world, "Hooli Inc", "hooli.com")
    other = _referral(world, "Hooli XYZ", "hooli.xyz", partnership=world.other_partnership)
    close = _referral(world, "Hooli Labs", "", status="declined")
    KnownAccount.objects.create(
        host=world.host, name="Hooli", domain="hooli.com", name_key="hooli", status="customer"
    )
    # Another host's referral and known account are never compared.
    _referral(world, "Hooli", "hooli.com", partnership=world.foreign_partnership)
    KnownAccount.objects.create(
        host=world.other_host_org, name="Hooli", domain="hooli.com", name_key="hooli"
    )

    findings = find_conflicts(
        host=world.host,
        domain="hooli.com",
        name_key=normalize_company_name("Hooli, Inc."),
        partnership_id=world.partnership.pk,
    )

    summary = [(f["kind"], f["match"], f["score"], f.get("company") or f["name"]) for f in findings]
    assert summary == [
        ("referral", "domain", 100, "Hooli Inc"),
        ("known_account", "domain", 100, "Hooli"),
        # "hooli" vs "hooli xyz" / "hooli labs": the same first word is not enough.
    ]
    assert findings[0]["code"] == own.code and findings[0]["same_partnership"] is True
    assert findings[0]["partner"] == "Acme Integrations"
    assert findings[1]["status"] == "customer"
    assert other.code not in {f["code"] for f in findings}
    assert close.code not in {f["code"] for f in findings}


def test_name_findings_report_the_other_partner_and_status(world: World) -> None:
    other = _referral(world, "Pied Piper Inc", "piedpiper.io", partnership=world.other_partnership)
    findings = find_conflicts(
        host=world.host,
        domain="piedpiper.com",
        name_key=normalize_company_name("Pied Piper"),
        partnership_id=world.partnership.pk,
    )
    assert findings == [
        {
            "kind": "referral",
            "match": "name",
            "score": 100,
            "code": other.code,
            "company": "Pied Piper Inc",
            "domain": "piedpiper.io",
            "partnership": world.other_partnership.code,
            "partner": "Globex Consulting",
            "same_partnership": False,
            "status": "submitted",
            "stage": "new",
            "submitted_on": other.submitted_at.date().isoformat(),
        }
    ]


def test_close_names_are_found_only_inside_their_block(world: World) -> None:
    _referral(world, "Acme Integrations GmbH")
    KnownAccount.objects.create(
        host=world.host, name="Umbrella Labs", name_key="umbrella labs", status="opportunity"
    )
    found = find_conflicts(host=world.host, domain="", name_key="acme integration")
    assert [(f["match"], f["score"]) for f in found] == [("name", 97)]
    found = find_conflicts(host=world.host, domain="", name_key="umbrella lab")
    assert [(f["kind"], f["score"], f["status"]) for f in found] == [
        ("known_account", 96, "opportunity")
    ]
    # A different first three characters is another block: never compared.
    assert find_conflicts(host=world.host, domain="", name_key="the acme integrations") == []


def test_the_check_is_a_few_queries_whatever_the_number_of_rows(
    world: World, django_assert_num_queries
) -> None:
    Referral.objects.bulk_create(
        Referral(
            host=world.host,
            partnership=world.other_partnership,
            company=f"Company {i}",
            domain=f"company{i}.com",
            name_key=f"company {i}",
        )
        for i in range(300)
    )
    KnownAccount.objects.bulk_create(
        KnownAccount(
            host=world.host, name=f"Known {i}", domain=f"known{i}.com", name_key=f"known {i}"
        )
        for i in range(300)
    )
    # Referrals, known accounts, the account lists by domain, then by name (one more only
    # when a list row matches).
    with django_assert_num_queries(4):
        found = find_conflicts(host=world.host, domain="company7.com", name_key="company 7")
    # "company 70", "company 17"… share the block and are close, but not the same numbers.
    assert [f["company"] for f in found] == ["Company 7"]


def test_nothing_to_compare_runs_no_query(world: World, django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        assert find_conflicts(host=world.host, domain="", name_key="") == []
