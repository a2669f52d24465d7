"""The duplicate and conflict check of a referral: earlier referrals of the same host and
the host's known accounts, by registrable domain first, then by company name.

Precision comes first: a finding is something the host looks at before deciding, so a
false alarm costs more attention than it saves.

1. **Domain**: the same registrable domain (`www.shop.acme.co.uk` and `acme.co.uk/about`
   are both `acme.co.uk`) — score 100.
2. **Name, exact**: the same folded name (`normalize_company_name`), or the same once the
   spaces are taken out (“Data Dog” / “Datadog”) — score 100.
3. **Name, close**: `rapidfuzz.fuzz.token_sort_ratio` of the folded names at least
   `FUZZY_THRESHOLD` (94), only among candidates whose folded name starts with the same
   three characters (blocking: one indexed prefix lookup, never a scan of everything), and
   only when both folded names have at least `FUZZY_MIN_LENGTH` characters and carry the
   same numbers (“Studio 5” is not “Studio 54”).
   “Acme Integration” / “Acme Integrations” (97) is found; “Northwind Trading” /
   “Northwind Traders” (82), “Acme North” / “Acme South” (80) and “Blue Sky Media” /
   “Blue Sky Medical” (93) are not.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from rapidfuzz import fuzz

from partnerloop.accounts.models import Organization
from partnerloop.referrals.models import KnownAccount, Referral

FUZZY_THRESHOLD = 94
FUZZY_MIN_LENGTH = 5
BLOCK = 3
MAX_FINDINGS = 20

# Legal forms dropped from the end of a name (after folding): "Acme, Inc." is "acme".
LEGAL_SUFFIXES = frozenset(
    {
        "ab",
        "ag",
        "and",  # what is left of "& Co."
        "bv",
        "co",
        "company",
        "corp",
        "corporation",
        "gmbh",
        "inc",
        "incorporated",
        "kg",
        "limited",
        "llc",
        "llp",
        "ltd",
        "nv",
        "oy",
        "plc",
        "pty",
        "sa",
        "sarl",
        "sas",
        "spa",
        "srl",
    }
)

_DROPPED = re.compile(r"[.'’`]")
_SEPARATORS = re.compile(r"[\W_]+")
_NUMBERS = re.compile(r"\d+")


def normalize_company_name(name: str) -> str:
    """Fold a company name for matching: accents, case, punctuation, legal suffixes.

    `"Société Générale S.A."` -> `"societe generale"`, `"Müller GmbH & Co. KG"` -> `"muller"`,
    `"The Acme Company"` -> `"acme"`. A name made only of suffixes keeps its last word.
    """
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = text.replace("&", " and ")
    text = _DROPPED.sub("", text)  # "S.A." -> "sa", "O'Neil" -> "oneil"
    tokens = _SEPARATORS.sub(" ", text).split()
    while len(tokens) > 1 and tokens[-1] in LEGAL_SUFFIXES:
        tokens.pop()
    if len(tokens) > 1 and tokens[0] == "the":
        tokens.pop(0)
    return " ".join(tokens)[:200]


@dataclass(frozen=True)
class NameMatch:
    score: int


def name_match(key: str, other: str) -> NameMatch | None:
    """How two folded names match, or None (see the module's rules)."""
    if not key or not other:
        return None
    if key == other or key.replace(" ", "") == other.replace(" ", ""):
        return NameMatch(100)
    if min(len(key), len(other)) < FUZZY_MIN_LENGTH:
        return None
    if _NUMBERS.findall(key) != _NUMBERS.findall(other):
        return None  # "Studio 5" is not "Studio 54"
    score = fuzz.token_sort_ratio(key, other)
    return NameMatch(round(score)) if score >= FUZZY_THRESHOLD else None


def _candidates(domain: str, key: str) -> Q:
    """Rows sharing the domain, or whose folded name starts like this one (the block)."""
    where = Q(pk__in=[])
    if domain:
        where |= Q(domain=domain)
    if key:
        block = key[:BLOCK]
        # Names shorter than the block can only match exactly.
        where |= Q(name_key__startswith=block) if len(block) == BLOCK else Q(name_key=key)
        compact = key.replace(" ", "")[:BLOCK]
        if compact != block and len(compact) == BLOCK:
            where |= Q(name_key__startswith=compact)
    return where


def _match(domain: str, key: str, other_domain: str, other_key: str) -> tuple[str, int] | None:
    if domain and domain == other_domain:
        return "domain", 100
    found = name_match(key, other_key)
    return ("name", found.score) if found else None


def _referral_finding(
    referral: Referral, match: str, score: int, partnership_id: int | None
) -> dict[str, Any]:
    return {
        "kind": "referral",
        "match": match,
        "score": score,
        "code": referral.code,
        "company": referral.company,
        "domain": referral.domain,
        "partnership": referral.partnership.code,
        "partner": referral.partnership.partner.name,
        "same_partnership": referral.partnership_id == partnership_id,
        "status": referral.status,
        "stage": referral.stage,
        "submitted_on": referral.submitted_at.date().isoformat(),
    }


def _known_finding(account: KnownAccount, match: str, score: int) -> dict[str, Any]:
    return {
        "kind": "known_account",
        "match": match,
        "score": score,
        "code": account.code,
        "name": account.name,
        "domain": account.domain,
        "status": account.status,
        "owner": account.owner,
    }


def find_conflicts(
    *,
    host: Organization,
    domain: str,
    name_key: str,
    partnership_id: int | None = None,
    exclude: Iterable[int] = (),
) -> list[dict[str, Any]]:
    """Findings for a company (its registrable domain and folded name) among the host's
    referrals (every partnership of the host, whatever their status) and known accounts.
    Two queries. Strongest first: domain before name, then by score; at most 20."""
    where = _candidates(domain, name_key)
    findings: list[tuple[int, int, dict[str, Any]]] = []
    referrals = (
        Referral.objects.filter(host=host)
        .filter(where)
        .exclude(pk__in=list(exclude))
        .select_related("partnership__partner")
        .order_by("submitted_at", "id")
    )
    for referral in referrals:
        found = _match(domain, name_key, referral.domain, referral.name_key)
        if found:
            match, score = found
            rank = 1 if match == "domain" else 0
            findings.append(
                (rank, score, _referral_finding(referral, match, score, partnership_id))
            )
    for account in KnownAccount.objects.filter(host=host).filter(where).order_by("name", "id"):
        found = _match(domain, name_key, account.domain, account.name_key)
        if found:
            match, score = found
            rank = 1 if match == "domain" else 0
            findings.append((rank, score, _known_finding(account, match, score)))
    # Stable sort: among equals, known accounts after referrals, oldest referral first.
    findings.sort(key=lambda f: (-f[0], -f[1]))
    return [f for _, _, f in findings[:MAX_FINDINGS]]
