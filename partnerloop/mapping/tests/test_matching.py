"""Matching two account lists: the three rules, rejections, blocking, and the labelled set."""

from __future__ import annotations

from collections import Counter

import pytest

from partnerloop.mapping import matching
from partnerloop.mapping.matching import AccountKeys, Match, fuzzy_match, match_accounts
from partnerloop.mapping.normalize import (
    normalize_company_name,
    normalize_country,
    normalize_domain,
)
from partnerloop.mapping.tests.labelled import LOOKALIKES, VARIANTS, accounts, generate, score


def acc(id_: str, website: str = "", name: str = "", country: str = "") -> AccountKeys:
    return AccountKeys(
        id_, normalize_domain(website), normalize_company_name(name), normalize_country(country)
    )


def pairs(matches: list[Match]) -> set[tuple[object, object, str]]:
    return {(m.ours_id, m.theirs_id, m.method) for m in matches}


# ------------------------------------------------------------------------ rule 1: domain


def test_domain_rule_matches_the_registrable_domain_whatever_the_form() -> None:
    ours = [acc("o1", "https://www.acme.com", "Acme"), acc("o2", "globex.co.uk", "Globex")]
    theirs = [
        acc("t1", "jane@sales.acme.com", "ACME Corporation International"),
        acc("t2", "http://shop.globex.co.uk/about", "Something Else Entirely"),
    ]
    found = match_accounts(ours, theirs)
    assert found == [
        Match("o1", "t1", "domain", 1.0),
        Match("o2", "t2", "domain", 1.0),
    ]


def test_domain_rule_is_many_to_many_and_ignores_free_mail() -> None:
    ours = [acc("o1", "acme.com", "Acme"), acc("o2", "www.acme.com", "Acme EMEA")]
    theirs = [
        acc("t1", "acme.com", "Acme Inc"),
        acc("t2", "jane@gmail.com", "Initech Systems"),
    ]
    ours.append(acc("o3", "bob@gmail.com", "Hooli Software"))
    assert pairs(match_accounts(ours, theirs)) == {("o1", "t1", "domain"), ("o2", "t1", "domain")}


def test_domain_rule_ignores_country() -> None:
    ours = [acc("o1", "acme.com", "Acme", "US")]
    theirs = [acc("t1", "acme.com", "Acme", "Germany")]
    assert pairs(match_accounts(ours, theirs)) == {("o1", "t1", "domain")}


# -------------------------------------------------------------------------- rule 2: name


def test_name_rule_on_what_domains_left_with_country_or_a_missing_country() -> None:
    ours = [
        acc("o1", "", "Initech Systems, Inc.", "United States"),
        acc("o2", "", "Umbrella Corporation", "UK"),
        acc("o3", "", "Hooli", ""),
        acc("o4", "", "Data Dog", "US"),
    ]
    theirs = [
        acc("t1", "initech.com", "INITECH SYSTEMS LLC", "USA"),
        acc("t2", "", "Umbrella Corp.", "Germany"),  # another country: another company
        acc("t3", "hooli.xyz", "Hooli Ltd", "FR"),  # a missing country does not block
        acc("t4", "", "Datadog", ""),  # the same without spaces
    ]
    assert pairs(match_accounts(ours, theirs)) == {
        ("o1", "t1", "name"),
        ("o3", "t3", "name"),
        ("o4", "t4", "name"),
    }
    assert {m.confidence for m in match_accounts(ours, theirs)} == {0.95}


def test_name_rule_runs_only_on_accounts_domains_left() -> None:
    ours = [acc("o1", "acme.com", "Acme Analytics"), acc("o2", "", "Acme Analytics")]
    theirs = [acc("t1", "acme.com", "Acme Analytics")]
    # o1 took t1 by domain; o2 has the same name but t1 is no longer left.
    assert pairs(match_accounts(ours, theirs)) == {("o1", "t1", "domain")}


@pytest.mark.parametrize(
    "name", ["AB", "Global", "Solutions Inc", "Consulting", "Group Ltd", "n/a"]
)
def test_short_or_generic_names_never_match(name: str) -> None:
    assert match_accounts([acc("o1", "", name)], [acc("t1", "", name)]) == []


# ------------------------------------------------------------------------- rule 3: fuzzy


def test_fuzzy_rule_finds_one_typo() -> None:
    ours = [acc("o1", "", "Umbrella Integrations", "DE"), acc("o2", "", "Wayne Enterprises")]
    theirs = [
        acc("t1", "", "Umbrela Integrations GmbH", "Germany"),
        acc("t2", "", "Wayne Entreprises"),
    ]
    found = match_accounts(ours, theirs)
    assert pairs(found) == {("o1", "t1", "fuzzy"), ("o2", "t2", "fuzzy")}
    by_pair = {(m.ours_id, m.theirs_id): m.confidence for m in found}
    # ratio of "umbrella integrations" / "umbrela integrations": 1 - 1/41.
    assert by_pair["o1", "t1"] == pytest.approx(0.9756, abs=1e-4)
    assert 0.92 <= by_pair["o2", "t2"] < 1


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (("Blue Sky Media", ""), ("Blue Sky Medical", "")),  # 93, but two edits
        (("Studio 54 Media", ""), ("Studio 45 Media", "")),  # numbers differ
        (("Northwind Trading", ""), ("Northwind Traders", "")),
        (("Acme Analytics", ""), ("Acme Analytica Labs", "")),
        (("Initech Systems", "US"), ("Initech Systemz", "FR")),  # countries differ
        (("Tyrel", ""), ("Tyrell", "")),  # too short for a close match
    ],
)
def test_fuzzy_rule_refuses_look_alikes(ours: tuple[str, str], theirs: tuple[str, str]) -> None:
    assert match_accounts([acc("o1", "", *ours)], [acc("t1", "", *theirs)]) == []


def test_fuzzy_rule_refuses_two_websites_that_disagree() -> None:
    ours = [acc("o1", "umbrella-int.com", "Umbrella Integrations")]
    assert match_accounts(ours, [acc("t1", "umbrelaint.io", "Umbrela Integrations")]) == []
    # The same domain name under another suffix is no disagreement.
    found = match_accounts(ours, [acc("t1", "umbrella-int.de", "Umbrela Integrations")])
    assert pairs(found) == {("o1", "t1", "fuzzy")}


def test_fuzzy_rule_is_one_to_one_best_first() -> None:
    ours = [acc("o1", "", "Cyberdyne Robotics")]
    theirs = [acc("t1", "", "Cyberdine Robotics"), acc("t2", "", "Cyberdyne Robotic")]
    found = match_accounts(ours, theirs)
    assert len(found) == 1 and found[0].method == "fuzzy"
    # "cyberdyne robotic" is one deletion (97), "cyberdine robotics" one replacement (94).
    assert found[0].theirs_id == "t2"


def test_fuzzy_rule_blocks_on_first_or_last_characters() -> None:
    """A typo in the first four characters is still found through the last four."""
    ours = [acc("o1", "", "Vandelay Industries Import")]
    theirs = [acc("t1", "", "Vendelay Industries Import")]
    assert pairs(match_accounts(ours, theirs)) == {("o1", "t1", "fuzzy")}


def test_fuzzy_rule_compares_only_within_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[int] = []
    real = matching.process.cdist

    def counting(queries, choices, **kwargs):
        compared.append(len(queries) * len(choices))
        return real(queries, choices, **kwargs)

    monkeypatch.setattr(matching.process, "cdist", counting)
    ours = [AccountKeys(f"o{i}", "", f"{p} company {i}", "") for i, p in enumerate(_PREFIXES)]
    theirs = [AccountKeys(f"t{i}", "", f"{p} firm {i}", "") for i, p in enumerate(_PREFIXES)]
    fuzzy_match(ours, theirs)
    everything = len(ours) * len(theirs)
    assert sum(compared) < everything / 20


_PREFIXES = [a + b + c for a in "abcdefgh" for b in "aeiou" for c in "lmnrst"]


# ------------------------------------------------------------------------- rejections


def test_rejected_pairs_are_skipped_and_the_accounts_stay_free() -> None:
    ours = [acc("o1", "acme.com", "Acme Analytics"), acc("o2", "", "Globex Logistics")]
    theirs = [
        acc("t1", "acme.com", "Acme Corp"),
        acc("t2", "", "Acme Analytics"),
        acc("t3", "", "Globex Logistic"),
    ]
    assert pairs(match_accounts(ours, theirs)) == {
        ("o1", "t1", "domain"),
        ("o2", "t3", "fuzzy"),
    }
    found = match_accounts(ours, theirs, rejected={("o1", "t1"), ("o2", "t3")})
    # o1 is free again and its name matches t2; o2 has nothing else.
    assert pairs(found) == {("o1", "t2", "name")}


# --------------------------------------------------------------------- the labelled set


@pytest.fixture(scope="module")
def labelled():
    data = generate()
    found = match_accounts(accounts(data.ours), accounts(data.theirs))
    return data, found


def test_labelled_set_is_big_and_messy(labelled) -> None:
    data, _ = labelled
    kinds = Counter(data.kinds.values())
    assert len(data.ours) == 3_000 and len(data.truth) > 2_000
    assert all(kinds[k] >= 100 for k in VARIANTS)
    assert all(kinds[k] >= 20 for k in LOOKALIKES)


def test_labelled_precision_and_recall(labelled) -> None:
    data, found = labelled
    result = score(found, data.truth)
    assert result.precision >= 0.99, result
    assert result.recall >= 0.95, result


def test_labelled_look_alikes_never_match_their_company(labelled) -> None:
    """Each look-alike was made from one of our companies (their `tN` from our `oN`): it
    never matches that company. (Invented brands of two unrelated companies can end up one
    letter apart, like a typo; those count in the precision above.)"""
    data, found = labelled
    wrong = [
        m
        for m in found
        if data.kinds[m.theirs_id] in LOOKALIKES and m.theirs_id[1:] == m.ours_id[1:]
    ]
    assert wrong == []
    assert sum(1 for m in found if data.kinds[m.theirs_id] == "unrelated") <= 2


@pytest.mark.parametrize(
    ("kind", "method", "recall"),
    [
        ("www", "domain", 1.0),
        ("subdomain", "domain", 1.0),
        ("path", "domain", 1.0),
        ("email", "domain", 1.0),
        ("country_format", "domain", 1.0),
        ("legal_form", "name", 1.0),
        ("case", "name", 1.0),
        ("accents", "name", 1.0),
        ("name_only", "name", 1.0),
        ("freemail", "name", 1.0),
        ("typo", "fuzzy", 0.97),
    ],
)
def test_labelled_variants_per_rule(labelled, kind: str, method: str, recall: float) -> None:
    data, found = labelled
    truth = {p for p in data.truth if data.kinds[p[1]] == kind}
    hits = [m for m in found if (m.ours_id, m.theirs_id) in truth]
    assert {m.method for m in hits} == {method}
    assert len(hits) / len(truth) >= recall, (kind, len(hits), len(truth))
