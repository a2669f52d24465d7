"""A labelled matching test set, generated from a fixed seed.

`generate()` builds *our* list of distinct companies (an invented brand and an industry
word, "Norvex Analytics", some with a number, "Studio 54 Media"), each with a website, a
legal form and a country as a CRM would hold them, and *their* list of rows of three kinds:

- **variants** of one of our companies, labelled as a true match, each made messy in one way
  (`VARIANTS`): another legal form, upper/lower case or accents (these three with no
  website, for the name rule), `www.`, a subdomain, a path, an e-mail address as the
  website, the country written differently, no website at all (name only), a free-mail
  address as the website, or a one-character typo in the name (name only);
- **look-alikes** of one of our companies that are different companies and must not match
  (`LOOKALIKES`): the same brand in another industry ("Norvex Analytics" / "Norvex Media"),
  an extra word ("… Labs"), digits changed ("Studio 54" / "Studio 45"), the same name in
  another country with no website, a name two edits away ("Blue Sky Media" /
  "Blue Sky Medical"), or a different company sharing a free-mail address;
- **unrelated** companies.

The truth is the set of (our id, their id) pairs of the variants. Rows are raw (website,
name, country) and go through `partnerloop.mapping.normalize` like an import does.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz.distance import OSA

from partnerloop.mapping.matching import AccountKeys, Match
from partnerloop.mapping.normalize import (
    normalize_company_name,
    normalize_country,
    normalize_domain,
)

SEED = 20_260_601

_SYLLABLES = (
    "nor vex qua tar lum bri zen cor ax val mer tri nova sol ka ri to mi dra gon fel lix "
    "ven tur ob lon pra xis hel ion zar pel ost rin cal dor vik sen tam bel or ust ely "
    "quin fab ro san ter mon"
)
SYLLABLES = _SYLLABLES.split()
INDUSTRIES = (
    "Analytics",
    "Logistics",
    "Media",
    "Robotics",
    "Software",
    "Energy",
    "Health",
    "Capital",
    "Foods",
    "Pharma",
    "Security",
    "Networks",
    "Dynamics",
    "Mobility",
    "Insurance",
    "Textiles",
    "Aerospace",
    "Biotech",
    "Consulting",
    "Payments",
    "Learning",
    "Hospitality",
    "Construction",
    "Semiconductors",
    "Marine",
    "Outdoor",
    "Furniture",
    "Telecom",
    "Printing",
    "Studios",
)
# Look-alike industry words two or more edits from the original ("Media" / "Medical").
NEAR_WORDS = {
    "Media": "Medical",
    "Analytics": "Analysts",
    "Energy": "Energie Systems",
    "Health": "Healthcare",
    "Capital": "Capitals Group",
    "Foods": "Food Service",
    "Networks": "Netware",
    "Security": "Securities",
    "Learning": "Leasing",
    "Marine": "Maritime",
    "Printing": "Print Shop",
    "Studios": "Stadiums",
}
LEGAL_FORMS = (
    "Inc.",
    "Inc",
    "LLC",
    "Ltd",
    "Ltd.",
    "Limited",
    "GmbH",
    "AG",
    "S.A.",
    "SAS",
    "B.V.",
    "N.V.",
    "plc",
    "Corp.",
    "Corporation",
    "Pty Ltd",
    "S.r.l.",
    "Oy",
    "AB",
    "",
)
TLDS = ("com", "com", "com", "io", "co.uk", "de", "fr", "com.au", "nl", "net")
COUNTRIES = {
    "US": ("United States", "USA", "US", "United States of America", "U.S."),
    "GB": ("United Kingdom", "UK", "GB", "Great Britain", "England"),
    "DE": ("Germany", "Deutschland", "DE", "DEU"),
    "FR": ("France", "FR", "FRA"),
    "NL": ("Netherlands", "Nederland", "NL", "The Netherlands"),
    "AU": ("Australia", "AU", "AUS"),
    "CA": ("Canada", "CA"),
    "ES": ("Spain", "España", "ES"),
}
ACCENTS = {"e": "é", "o": "ö", "a": "à", "u": "ü", "i": "í", "c": "ç", "n": "ñ"}
FREEMAIL = ("gmail.com", "outlook.com", "hotmail.co.uk", "yahoo.fr", "gmx.de", "icloud.com")
FIRST_NAMES = ("jane", "john", "ana", "li", "sam", "noor", "olga", "raj", "eva", "tom")

VARIANTS = (
    "legal_form",
    "case",
    "accents",
    "www",
    "subdomain",
    "path",
    "email",
    "country_format",
    "name_only",
    "freemail",
    "typo",
)
LOOKALIKES = (
    "other_industry",
    "extra_word",
    "digits",
    "other_country",
    "near_word",
    "shared_freemail",
)


@dataclass(frozen=True)
class Row:
    id: str
    website: str
    name: str
    country: str
    kind: str = ""  # theirs only: a variant, a look-alike or "unrelated"


@dataclass
class LabelledSet:
    ours: list[Row]
    theirs: list[Row]
    truth: set[tuple[str, str]]
    kinds: dict[str, str] = field(default_factory=dict)  # their id -> kind


@dataclass(frozen=True)
class Company:
    brand: str
    industry: str
    number: str
    tld: str
    country: str

    @property
    def name(self) -> str:
        parts = (
            [self.brand, self.number, self.industry] if self.number else [self.brand, self.industry]
        )
        return " ".join(p for p in parts if p)

    @property
    def domain(self) -> str:
        return f"{self.brand}{self.number}{self.industry}.{self.tld}".lower()


def _brand(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3)))).capitalize()


def _companies(rng: random.Random, count: int) -> list[Company]:
    brands: set[str] = set()
    companies = []
    while len(companies) < count:
        brand = _brand(rng)
        if brand in brands or len(brand) < 5:
            continue
        brands.add(brand)
        number = str(rng.randint(10, 99)) if rng.random() < 0.12 else ""
        companies.append(
            Company(
                brand=brand,
                industry=rng.choice(INDUSTRIES),
                number=number,
                tld=rng.choice(TLDS),
                country=rng.choice(tuple(COUNTRIES)),
            )
        )
    return companies


def _with_form(rng: random.Random, name: str) -> str:
    form = rng.choice(LEGAL_FORMS)
    if not form:
        return name
    return f"{name}, {form}" if rng.random() < 0.3 else f"{name} {form}"


def _accented(rng: random.Random, name: str) -> str:
    chars = list(name)
    spots = [i for i, c in enumerate(chars) if c.lower() in ACCENTS]
    for i in rng.sample(spots, min(len(spots), 2)):
        accented = ACCENTS[chars[i].lower()]
        chars[i] = accented.upper() if chars[i].isupper() else accented
    return "".join(chars)


def _typo(rng: random.Random, name: str) -> str:
    """One edit in a letter of the name: replace, drop, double or swap neighbours."""
    spots = [i for i, c in enumerate(name) if c.isalpha()]
    i = rng.choice(spots)
    kind = rng.choice(("replace", "drop", "double", "swap"))
    if kind == "replace":
        letter = rng.choice([c for c in "aeiourstnlm" if c != name[i].lower()])
        return name[:i] + letter + name[i + 1 :]
    if kind == "drop":
        return name[:i] + name[i + 1 :]
    if kind == "double":
        return name[:i] + name[i] + name[i:]
    if i + 1 < len(name) and name[i + 1].isalpha() and name[i + 1] != name[i]:
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    return name[:i] + name[i + 1 :]


def _country_text(rng: random.Random, code: str) -> str:
    return rng.choice(COUNTRIES[code])


def _variant(rng: random.Random, company: Company, ours: Row, kind: str, rid: str) -> Row:
    name = _with_form(rng, company.name)
    website = company.domain
    country = _country_text(rng, company.country)
    # The name variants come without a website, so that the name rule has to find them.
    if kind == "legal_form":
        website = ""
    elif kind == "case":
        name = name.upper() if rng.random() < 0.5 else name.lower()
        website = ""
    elif kind == "accents":
        # Ours may carry the accents or not; this side has the other spelling.
        name = company.name if any(ord(c) > 127 for c in ours.name) else _accented(rng, name)
        website = ""
    elif kind == "www":
        website = f"{rng.choice(('http', 'https'))}://www.{company.domain}"
    elif kind == "subdomain":
        website = f"https://{rng.choice(('shop', 'eu', 'app', 'go', 'info'))}.{company.domain}"
    elif kind == "path":
        website = f"{company.domain}/{rng.choice(('about', 'en/contact', 'index.html?x=1'))}"
    elif kind == "email":
        website = f"{rng.choice(FIRST_NAMES)}.doe@{company.domain}"
    elif kind == "country_format":
        country = _country_text(rng, company.country)
        website = f"www.{company.domain}"
    elif kind == "name_only":
        website = ""
        country = rng.choice((country, ""))
    elif kind == "freemail":
        website = f"{rng.choice(FIRST_NAMES)}{rng.randint(1, 99)}@{rng.choice(FREEMAIL)}"
    elif kind == "typo":
        website = ""
        name = _typo(rng, company.name)
        country = rng.choice((country, ""))
    return Row(rid, website, name, country, kind)


def _lookalike(rng: random.Random, company: Company, kind: str, rid: str) -> Row | None:
    country = _country_text(rng, company.country)
    base = company.brand if not company.number else f"{company.brand} {company.number}"
    if kind == "other_industry":
        industry = rng.choice([w for w in INDUSTRIES if OSA.distance(w, company.industry) > 2])
        name = f"{base} {industry}"
        website = rng.choice(("", f"{company.brand}{industry}.com".lower()))
        return Row(rid, website, _with_form(rng, name), country, kind)
    if kind == "extra_word":
        name = f"{company.name} {rng.choice(('Labs', 'Partners', 'Foundation', 'Academy'))}"
        return Row(rid, "", _with_form(rng, name), country, kind)
    if kind == "digits":
        if not company.number or company.number[0] == company.number[1]:
            return None
        number = company.number[::-1]
        return Row(rid, "", f"{company.brand} {number} {company.industry}", country, kind)
    if kind == "other_country":
        other = rng.choice([c for c in COUNTRIES if c != company.country])
        return Row(rid, "", _with_form(rng, company.name), _country_text(rng, other), kind)
    if kind == "near_word":
        near = NEAR_WORDS.get(company.industry)
        if not near:
            return None
        return Row(rid, "", _with_form(rng, f"{base} {near}"), country, kind)
    if kind == "shared_freemail":
        return Row(rid, f"info@{rng.choice(FREEMAIL)}", f"{_brand(rng)} Trading", country, kind)
    raise ValueError(kind)


def generate(companies: int = 3_000, *, seed: int = SEED) -> LabelledSet:
    """Our `companies` rows; theirs: about 70 % variants, 25 % look-alikes, 5 % unrelated."""
    rng = random.Random(seed)
    pool = _companies(rng, companies + companies // 10)
    own, extra = pool[:companies], pool[companies:]
    ours: list[Row] = []
    for n, company in enumerate(own):
        name = _with_form(rng, company.name)
        if rng.random() < 0.15:
            name = _accented(rng, name)
        website = rng.choice((f"https://www.{company.domain}", company.domain))
        ours.append(Row(f"o{n}", website, name, _country_text(rng, company.country)))

    theirs: list[Row] = []
    truth: set[tuple[str, str]] = set()
    kinds: dict[str, str] = {}
    for n, company in enumerate(own):
        roll = rng.random()
        rid = f"t{n}"
        if roll < 0.70:
            kind = VARIANTS[n % len(VARIANTS)]
            row = _variant(rng, company, ours[n], kind, rid)
            truth.add((ours[n].id, rid))
        elif roll < 0.95:
            row = None
            kinds_in_turn = rng.sample(LOOKALIKES, len(LOOKALIKES))
            if company.number:
                kinds_in_turn.insert(0, "digits")  # rare: use them when there are some
            for kind in kinds_in_turn:
                row = _lookalike(rng, company, kind, rid)
                if row:
                    break
        else:
            row = None
        if row:
            theirs.append(row)
            kinds[rid] = row.kind
    for n, company in enumerate(extra):
        rid = f"u{n}"
        theirs.append(
            Row(rid, company.domain, company.name, _country_text(rng, company.country), "unrelated")
        )
        kinds[rid] = "unrelated"
    rng.shuffle(theirs)
    return LabelledSet(ours=ours, theirs=theirs, truth=truth, kinds=kinds)


def accounts(rows: Iterable[Row]) -> list[AccountKeys]:
    """The rows normalized as an import does."""
    return [
        AccountKeys(
            r.id,
            normalize_domain(r.website),
            normalize_company_name(r.name),
            normalize_country(r.country),
        )
        for r in rows
    ]


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    true_positives: int
    false_positives: int
    false_negatives: int


def score(matches: Iterable[Match], truth: set[tuple[str, str]]) -> Score:
    found = {(str(m.ours_id), str(m.theirs_id)) for m in matches}
    hits = len(found & truth)
    return Score(
        precision=hits / len(found) if found else 1.0,
        recall=hits / len(truth) if truth else 1.0,
        true_positives=hits,
        false_positives=len(found - truth),
        false_negatives=len(truth - found),
    )
