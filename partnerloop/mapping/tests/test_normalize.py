"""Normalization of account-list cells: registrable domain, folded name, country code."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partnerloop.core.domains import _extractor
from partnerloop.mapping.freemail import is_freemail
from partnerloop.mapping.normalize import (
    ISO_ALPHA2,
    normalize_company_name,
    normalize_country,
    normalize_domain,
)


@pytest.mark.parametrize(
    ("value", "domain"),
    [
        ("acme.com", "acme.com"),
        ("ACME.com", "acme.com"),
        ("https://www.acme.com", "acme.com"),
        ("http://www.acme.com/", "acme.com"),
        ("www.acme.com/en/about?x=1#top", "acme.com"),
        ("https://shop.eu.acme.co.uk:8443/cart", "acme.co.uk"),
        ("jane.doe@acme.com", "acme.com"),
        ("Jane Doe <jane.doe@sales.acme.de>", "acme.de"),
        ("mailto:info@acme.io", "acme.io"),
        ("http://user:secret@acme.com/", "acme.com"),
        ("  acme.com.  ", "acme.com"),
        ("acme.com; acme.de", "acme.com"),  # the first of several
        ("acme.com.au", "acme.com.au"),
        ("foo.blogspot.com", "blogspot.com"),  # private suffixes are not used
        ("city.kobe.jp", "city.kobe.jp"),  # an exception rule of the list
        ("www.shop.kobe.jp", "www.shop.kobe.jp"),  # a wildcard rule: shop.kobe.jp is a suffix
        ("bücher.de", "xn--bcher-kva.de"),
        ("www.xn--bcher-kva.de", "xn--bcher-kva.de"),
        ("shop_1.acme.com", "acme.com"),
        ("https://mail.google.com", "google.com"),  # a company, not its webmail
    ],
)
def test_domains_are_registrable_domains(value: str, domain: str) -> None:
    assert normalize_domain(value) == domain


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "n/a",
        "-",
        "acme",
        "localhost",
        "192.168.0.1",
        "http://[::1]/",
        "co.uk",  # a public suffix, no company
        "com",
        "acme.notatld",
        "ac!me.com",
        "gmail.com",
        "jane@gmail.com",
        "john@hotmail.co.uk",
        "someone@yahoo.fr",
        "x@gmx.at",
        "x@web.de",
        "x@outlook.com",
        "x@proton.me",
        "x@qq.com",
    ],
)
def test_no_domain_or_free_mail_gives_no_key(value: str) -> None:
    assert normalize_domain(value) == ""


def test_free_mail_brands_under_any_suffix() -> None:
    assert is_freemail("hotmail.com") and is_freemail("hotmail.de") and is_freemail("gmx.net")
    assert is_freemail("yahoo.co.jp") and is_freemail("mail.ru") and is_freemail("163.com")
    assert not is_freemail("acme.com") and not is_freemail("hotmailer.com")


def test_domains_agree_with_tldextract_on_every_rule_of_the_list() -> None:
    """The fast suffix walk gives what tldextract gives, for every rule and below it."""
    extract = _extractor()
    hosts = []
    for rule in extract.tlds:
        rule = rule.lstrip("*.!")
        hosts += [rule, f"x.{rule}", f"y.x.{rule}", f"city.{rule}", f"q.city.{rule}"]
    wrong = []
    for host in hosts:
        parts = extract(host)
        expected = f"{parts.domain}.{parts.suffix}" if parts.domain and parts.suffix else ""
        expected = expected.encode("idna").decode("ascii") if expected else ""
        if is_freemail(expected):
            expected = ""
        if normalize_domain(host) != expected:
            wrong.append((host, normalize_domain(host), expected))
    assert wrong == []


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Acme, Inc.", "acme"),
        ("ACME Incorporated", "acme"),
        ("acme llc", "acme"),
        ("Acme Ltd.", "acme"),
        ("Acme Limited", "acme"),
        ("Acme Corp.", "acme"),
        ("Acme Corporation", "acme"),
        ("Acme Pty Ltd", "acme"),
        ("Acme Pvt. Ltd.", "acme"),
        ("Acme K.K.", "acme"),
        ("Acme ApS", "acme"),
        ("Acme Oy", "acme"),
        ("Acme AB", "acme"),
        ("Acme S.p.A.", "acme"),
        ("Acme S.r.l.", "acme"),
        ("Acme SARL", "acme"),
        ("Acme S.A.S.", "acme"),
        ("Acme B.V.", "acme"),
        ("Acme N.V.", "acme"),
        ("Acme plc", "acme"),
        ("Acme AS", "acme"),
        ("Société Générale S.A.", "societe generale"),
        ("Müller GmbH & Co. KG", "muller"),
        ("MÜLLER gmbh", "muller"),
        ("Mu\u0308ller GmbH", "muller"),  # decomposed accents
        ("Straße Werke AG", "strasse werke"),
        ("Ærø Shipping ApS", "aero shipping"),
        ("Łódź Software", "lodz software"),
        ("The Acme Company", "acme"),
        ("Johnson & Johnson", "johnson and johnson"),
        ("AT&T Inc.", "at and t"),
        ("O'Neil Data Ltd", "oneil data"),
        ("O’Neil Data Ltd", "oneil data"),
        ("Hooli   Labs, LLC", "hooli labs"),
        ("Co-op Bank plc", "co op bank"),
        ("AG Barr plc", "ag barr"),  # legal forms only at the end
        ("Inc Magazine", "inc magazine"),
        ("Company Inc", "company"),  # only legal forms: the last word stays
        ("Studio 54", "studio 54"),
        ("株式会社トヨタ", "株式会社トヨタ"),
        ("Яндекс ООО", "яндекс ооо"),
        ("", ""),
        ("   ", ""),
        ("...", ""),
    ],
)
def test_names_fold(name: str, key: str) -> None:
    assert normalize_company_name(name) == key


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("United States", "US"),
        ("united states of america", "US"),
        ("USA", "US"),
        ("U.S.A.", "US"),
        ("US", "US"),
        ("us", "US"),
        ("Deutschland", "DE"),
        ("Germany", "DE"),
        ("DE", "DE"),
        ("DEU", "DE"),
        ("UK", "GB"),
        ("United Kingdom", "GB"),
        ("England", "GB"),
        ("GB", "GB"),
        ("France", "FR"),
        ("the Netherlands", "NL"),
        ("Nederland", "NL"),
        ("España", "ES"),
        ("Schweiz", "CH"),
        ("Österreich", "AT"),
        ("Türkiye", "TR"),
        ("Korea, Republic of", "KR"),
        ("  japan ", "JP"),
        ("ZW", "ZW"),  # any ISO code, even without a name in the table
        ("", ""),
        ("Narnia", ""),
        ("XX", ""),
        ("EU", ""),
    ],
)
def test_countries(value: str, code: str) -> None:
    assert normalize_country(value) == code


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_cell_normalizes_without_error(value: str) -> None:
    domain = normalize_domain(value)
    assert domain == "" or (domain.isascii() and domain == domain.lower() and "." in domain)
    key = normalize_company_name(value)
    assert key == key.strip() and "  " not in key and key == normalize_company_name(key)
    assert normalize_country(value) in ISO_ALPHA2 | {""}


@given(
    st.sampled_from(["acme.com", "globex.co.uk", "initech.io"]),
    st.sampled_from(
        ["{d}", "www.{d}", "https://www.{d}/", "http://eu.{d}:8080/a?b#c", "jane@{d}", "{D}"]
    ),
)
def test_every_form_of_a_website_gives_its_domain(domain: str, form: str) -> None:
    assert normalize_domain(form.format(d=domain, D=domain.upper())) == domain
