"""Match two account lists (ours and theirs): which accounts are the same company.

Each account carries an `id`, a registrable `domain`, a folded `name_key` and an ISO
`country` (see `partnerloop.mapping.normalize`; "" when unknown). Three rules run in order,
each only on what the rules before it left unmatched. False positives are worse than false
negatives, so every rule errs on the side of no match:

1. **Domain** (`method="domain"`, confidence 1.0): the same registrable domain. Free-mail
   domains never get here (`normalize_domain` returns "" for them).
2. **Name** (`"name"`, 0.95): the same folded name once spaces are taken out ("Data Dog"
   is "Datadog"), and the same country or a country missing on either side. Names too
   short (under `MIN_NAME_KEY` characters) or generic (`GENERIC_NAMES`: "global",
   "solutions", a lone legal form…) are never keys.
3. **Fuzzy** (`"fuzzy"`, score / 100): `rapidfuzz.fuzz.ratio` of the folded names at
   least `FUZZY_CUTOFF` (92). (`ratio`, not `token_sort_ratio`: a typo in the first letter
   of a word would reorder the sorted words and sink the score, and the blocks below
   follow the written order anyway.) Only among accounts in the same *block* — the same
   first four characters of the name without spaces, or the same last four (one typo
   cannot be in both once a name has nine characters or more; shorter names one typo
   apart score under 92 anyway, unless the typo adds or drops a letter), lengths at
   most one apart and the same numbers in the name — so it never compares everything
   with everything. A pair is refused
   when the names differ by more than a typo (`typo_distance` over `MAX_TYPOS`, one
   edit: "Blue Sky Media" / "Blue Sky Medical" scores 93 but is two edits apart,
   "Solka Semiconductors" / "Soltar Semiconductors" 93 and two edits), when the names
   carry different numbers ("Studio 54" / "Studio 45"), when either name is shorter than
   `FUZZY_MIN_LENGTH`, when both countries are known and differ, or when both accounts
   have a website and the domains' names differ (`acme.com` and `acme.de` agree,
   `acme.com` and `acmy.com` do not). Each account matches at most one other here (best
   score first).

The exact rules join accounts many-to-many: two rows of ours with `acme.com` both match
their `acme.com`. A pair in `rejected` (a match a user said is wrong) is never returned;
the two accounts stay free for the other rules and other partners.

Speed: the exact rules are dictionary joins on plain strings (1,000,000 × 1,000,000 in a
few seconds); the fuzzy rule runs `rapidfuzz.process.cdist` block by block.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Hashable, Sequence
from typing import NamedTuple, Protocol

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from partnerloop.mapping.normalize import LEGAL_SUFFIXES

DOMAIN = "domain"
NAME = "name"
FUZZY = "fuzzy"

DOMAIN_CONFIDENCE = 1.0
NAME_CONFIDENCE = 0.95
FUZZY_CUTOFF = 92.0
FUZZY_MIN_LENGTH = 5
MAX_TYPOS = 1
MIN_NAME_KEY = 3
BLOCK = 4
SMALL_BLOCK = 16  # pairs under which a block is scored without cdist

# Folded names that say nothing about which company it is.
GENERIC_NAMES: frozenset[str] = frozenset(
    {
        "agency",
        "associates",
        "bank",
        "business",
        "consultants",
        "consulting",
        "customer",
        "enterprise",
        "enterprises",
        "freelance",
        "freelancer",
        "global",
        "group",
        "holding",
        "holdings",
        "individual",
        "industries",
        "international",
        "marketing",
        "n a",
        "na",
        "none",
        "other",
        "partners",
        "personal",
        "private",
        "retail",
        "self employed",
        "services",
        "software",
        "solutions",
        "studio",
        "systems",
        "tech",
        "technologies",
        "technology",
        "test",
        "unknown",
        "ventures",
    }
    | LEGAL_SUFFIXES
)

_NUMBERS = re.compile(r"\d+")


class Matchable(Protocol):
    """What matching reads of an account (a model instance, a NamedTuple…)."""

    @property
    def id(self) -> Hashable: ...
    @property
    def domain(self) -> str: ...
    @property
    def name_key(self) -> str: ...
    @property
    def country(self) -> str: ...


class AccountKeys(NamedTuple):
    """A ready-made `Matchable`."""

    id: Hashable
    domain: str
    name_key: str
    country: str = ""


class Match(NamedTuple):
    ours_id: Hashable
    theirs_id: Hashable
    method: str
    confidence: float


def usable_name_key(key: str) -> bool:
    """Whether a folded name may join accounts (long enough, not generic)."""
    return len(key) >= MIN_NAME_KEY and key not in GENERIC_NAMES


def match_accounts(
    ours: Sequence[Matchable],
    theirs: Sequence[Matchable],
    *,
    rejected: Collection[tuple[Hashable, Hashable]] = frozenset(),
    fuzzy: bool = True,
    fuzzy_cutoff: float = FUZZY_CUTOFF,
) -> list[Match]:
    """The matches between two account lists: domain, then name, then fuzzy (see module)."""
    rejected = set(rejected)
    ours_done = bytearray(len(ours))
    theirs_done = bytearray(len(theirs))
    matches: list[Match] = []

    _exact_join(
        ours,
        theirs,
        [a.domain for a in ours],
        [a.domain for a in theirs],
        ours_done,
        theirs_done,
        rejected,
        matches,
        DOMAIN,
        DOMAIN_CONFIDENCE,
        check_countries=False,
    )
    _exact_join(
        ours,
        theirs,
        _name_join_keys(ours, ours_done),
        _name_join_keys(theirs, theirs_done),
        ours_done,
        theirs_done,
        rejected,
        matches,
        NAME,
        NAME_CONFIDENCE,
        check_countries=True,
    )
    if fuzzy:
        matches.extend(
            fuzzy_match(
                [a for a, done in zip(ours, ours_done, strict=True) if not done],
                [a for a, done in zip(theirs, theirs_done, strict=True) if not done],
                rejected=rejected,
                cutoff=fuzzy_cutoff,
            )
        )
    return matches


def _name_join_keys(accounts: Sequence[Matchable], done: bytearray) -> list[str]:
    """The name keys without spaces ("Data Dog" is "Datadog") of the accounts not matched
    yet; "" for the others and for short or generic names."""
    return [
        key.replace(" ", "")
        if not matched and len(key := account.name_key) >= MIN_NAME_KEY and key not in GENERIC_NAMES
        else ""
        for account, matched in zip(accounts, done, strict=True)
    ]


def _exact_join(
    ours: Sequence[Matchable],
    theirs: Sequence[Matchable],
    our_keys: list[str],
    their_keys: list[str],
    ours_done: bytearray,
    theirs_done: bytearray,
    rejected: set[tuple[Hashable, Hashable]],
    out: list[Match],
    method: str,
    confidence: float,
    *,
    check_countries: bool,
) -> None:
    """Join on equal non-empty keys (many-to-many), marking both sides as matched.

    The index of theirs is one `dict(zip(...))` (the last row per key); rows sharing a key
    with a later row go to a small side table, so a list without duplicates costs no
    per-row Python list.
    """
    last = dict(zip(their_keys, range(len(their_keys)), strict=True))
    last.pop("", None)
    more: dict[str, list[int]] = defaultdict(list)
    if len(last) < len(their_keys) - their_keys.count(""):
        for j, key in enumerate(their_keys):
            if key and last[key] != j:
                more[key].append(j)
    get = last.get
    for i, key in enumerate(our_keys):
        found = get(key)
        if found is None:
            continue
        mine = ours[i]
        for j in (*more[key], found) if key in more else (found,):
            other = theirs[j]
            if check_countries and mine.country and other.country and mine.country != other.country:
                continue
            if rejected and (mine.id, other.id) in rejected:
                continue
            out.append(Match(mine.id, other.id, method, confidence))
            ours_done[i] = 1
            theirs_done[j] = 1


def _stem(domain: str) -> str:
    return domain.split(".", 1)[0]


BlockKey = tuple[int, str, int, str]


def _blocks(keys: list[str], index: list[int]) -> dict[BlockKey, list[int]]:
    """Block index of the keys at `index`: (0, first `BLOCK` characters, length, numbers)
    and (1, last `BLOCK` characters, length, numbers) of each key without its spaces.

    The numbers in the name are part of the block: names with different numbers never
    match (`_fuzzy_compatible`), so "Company 4" and "Company 5" are not even compared."""
    blocks: dict[BlockKey, list[int]] = defaultdict(list)
    for i in index:
        compact = keys[i].replace(" ", "")
        size = len(compact)
        numbers = " ".join(_NUMBERS.findall(keys[i]))
        blocks[0, compact[:BLOCK], size, numbers].append(i)
        blocks[1, compact[-BLOCK:], size, numbers].append(i)
    return blocks


def _fuzzy_key(key: str) -> str:
    return key if len(key) >= FUZZY_MIN_LENGTH and key not in GENERIC_NAMES else ""


def fuzzy_match(
    ours: Sequence[Matchable],
    theirs: Sequence[Matchable],
    *,
    rejected: Collection[tuple[Hashable, Hashable]] = frozenset(),
    cutoff: float = FUZZY_CUTOFF,
) -> list[Match]:
    """One-to-one close-name matches (rule 3 of the module), best score first."""
    our_keys = [_fuzzy_key(a.name_key) for a in ours]
    their_keys = [_fuzzy_key(a.name_key) for a in theirs]
    our_blocks = _blocks(our_keys, [i for i, k in enumerate(our_keys) if k])
    their_blocks = _blocks(their_keys, [j for j, k in enumerate(their_keys) if k])

    # One edit changes the length by one at most: a block meets the blocks of the same
    # characters and a length one shorter, the same or one longer.
    candidates: dict[tuple[int, int], float] = {}
    for (kind, chars, size, numbers), left in our_blocks.items():
        right = [
            j
            for other in (size - 1, size, size + 1)
            for j in their_blocks.get((kind, chars, other, numbers), ())
        ]
        if not right:
            continue
        if len(left) * len(right) <= SMALL_BLOCK:
            for i in left:
                for j in right:
                    score = fuzz.ratio(our_keys[i], their_keys[j], score_cutoff=cutoff)
                    if score:
                        candidates[i, j] = score
            continue
        scores = process.cdist(
            [our_keys[i] for i in left],
            [their_keys[j] for j in right],
            scorer=fuzz.ratio,
            score_cutoff=cutoff,
            dtype=np.float32,
        )
        for a, b in zip(*np.nonzero(scores), strict=True):
            candidates[left[a], right[b]] = float(scores[a, b])

    ranked = sorted(candidates.items(), key=lambda c: (-c[1], c[0]))
    rejected = set(rejected)
    ours_done: set[int] = set()
    theirs_done: set[int] = set()
    matches: list[Match] = []
    for (i, j), score in ranked:
        if i in ours_done or j in theirs_done:
            continue
        mine, other = ours[i], theirs[j]
        if not _fuzzy_compatible(mine, other):
            continue
        if (mine.id, other.id) in rejected:
            continue
        ours_done.add(i)
        theirs_done.add(j)
        matches.append(Match(mine.id, other.id, FUZZY, round(score / 100, 4)))
    return matches


def _fuzzy_compatible(mine: Matchable, other: Matchable) -> bool:
    if mine.country and other.country and mine.country != other.country:
        return False
    if mine.domain and other.domain and _stem(mine.domain) != _stem(other.domain):
        return False
    a, b = mine.name_key, other.name_key
    if _NUMBERS.findall(a) != _NUMBERS.findall(b):
        return False
    return typo_distance(a, b) <= MAX_TYPOS


def typo_distance(a: str, b: str) -> int:
    """Edits (insert, delete, replace, swap of neighbours) between two folded names without
    their spaces, in their order or with their words sorted (whichever is fewer)."""
    plain = OSA.distance(a.replace(" ", ""), b.replace(" ", ""))
    if plain <= 1:
        return plain
    return min(plain, OSA.distance("".join(sorted(a.split())), "".join(sorted(b.split()))))
