"""Keys for account mapping: registrable domain, folded company name, ISO country code.

These run once per imported row, so they are written for throughput (the import reads and
normalizes well over 100,000 rows per second):

- `normalize_domain` does a few string operations to find the host, then looks the host up
  in the public suffix list bundled with tldextract, loaded once into Python sets (a few
  set lookups per host instead of tldextract's general parser; tldextract itself still
  decides internationalized names); a host ending in a one-label suffix (`.com`, `.de`)
  takes a shortcut of two slices.
- `normalize_company_name` takes an ASCII fast path (one `str.translate`, one `split`) and
  only decomposes accents (Unicode NFKD) when the name has non-ASCII characters.
- `normalize_country` is a dictionary lookup, cached per distinct value.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from partnerloop.core.domains import _extractor
from partnerloop.mapping.freemail import FREEMAIL_BRANDS, FREEMAIL_DOMAINS, is_freemail

__all__ = [
    "LEGAL_SUFFIXES",
    "normalize_company_name",
    "normalize_country",
    "normalize_domain",
]

# --------------------------------------------------------------------------- domains

# Optional scheme ("https://"), optional user or e-mail local part ("jane@"), then the host.
_USUAL_HOST = re.compile(
    r"\s*(?:[a-z][a-z0-9+.-]*://)?(?:[^@/?#\s]*@)?([^/?#\s,;<>\"'|\\:@]*)", re.I
)
_HOST_END = re.compile(r"[/?#\s,;<>\"'|\\]")


def _host(value: str) -> str:
    """The host part of a website, URL or e-mail address, lower case ("" when none)."""
    text = value.strip().lower()
    if not text:
        return ""
    if text.startswith("mailto:"):
        text = text[7:]
    scheme = text.find("://")
    if scheme != -1:
        text = text[scheme + 3 :]
    elif "@" in text:
        text = text.rsplit("@", 1)[1]  # e-mail address: drop the local part
    cut = _HOST_END.search(text)
    if cut:
        text = text[: cut.start()]
    if "@" in text:
        text = text.rsplit("@", 1)[1]  # user:password@host
    if ":" in text:
        text = text.split(":", 1)[0]  # port
    return text.strip(".")


@lru_cache(maxsize=1)
def _suffix_rules() -> tuple[frozenset[str], frozenset[str], frozenset[str], frozenset[str]]:
    """The public suffix list bundled with tldextract as sets: plain suffixes, the parents
    of wildcard rules (`*.kh` -> `kh`), exception rules (`!city.kobe.jp`), and every tail
    of every rule (`jp`, `kobe.jp`, `city.kobe.jp`: where a longer rule may still match)."""
    plain, wildcard, exception, tails = set(), set(), set(), set()
    for rule in _extractor().tlds:
        if rule.startswith("*."):
            rule = rule[2:]
            wildcard.add(rule)
        elif rule.startswith("!"):
            rule = rule[1:]
            exception.add(rule)
        else:
            plain.add(rule)
        labels = rule.split(".")
        tails.update(".".join(labels[i:]) for i in range(len(labels)))
    return frozenset(plain), frozenset(wildcard), frozenset(exception), frozenset(tails)


def _registrable(host: str) -> str:
    """Registrable domain of a host by the public suffix rules (longest rule wins), "" when
    the host is a public suffix itself, ends in no known suffix, or is free mail.

    Not cached: the hosts of one export are nearly all distinct, so a cache only costs."""
    if not host:
        return ""
    if not host.isascii() or "xn--" in host:
        return _registrable_idn(host)
    plain, wildcard, _exception, tails = _suffix_rules()
    # Most hosts end in a one-label suffix under which no longer rule can match
    # (`acme.com`, `www.acme.de`): two slices and a few set lookups.
    last = host.rfind(".")
    if last > 0:
        suffix = host[last + 1 :]
        before = host.rfind(".", 0, last)
        domain = host[before + 1 :]
        if domain not in tails and suffix in plain and suffix not in wildcard:
            return _checked(host[before + 1 : last], domain)
    return _registrable_walk(host)


def _registrable_walk(host: str) -> str:
    """`_registrable` for any host: walks the labels from the right and stops as soon as no
    rule can be longer, so `www.acme.co.uk` costs a few set lookups."""
    plain, wildcard, exception, tails = _suffix_rules()
    labels = host.split(".")
    start = -1  # index of the first label of the public suffix
    candidate = ""
    for i in range(len(labels) - 1, -1, -1):
        candidate = f"{labels[i]}.{candidate}" if candidate else labels[i]
        if candidate not in tails:
            break
        if candidate in exception:
            start = i + 1  # "!city.kobe.jp": city.kobe.jp is registrable
            break
        if candidate in plain:
            start = i
        if candidate in wildcard and i > 0:
            start = i - 1  # "*.kobe.jp": any label under kobe.jp is a public suffix
    if start <= 0:
        return ""
    return _checked(labels[start - 1], ".".join(labels[start - 1 :]))


def _checked(label: str, domain: str) -> str:
    """`domain` (whose first label is `label`) unless the label is not a hostname's or the
    domain is free mail."""
    if not label or label in FREEMAIL_BRANDS or not label.replace("-", "").isalnum():
        return ""
    return "" if domain in FREEMAIL_DOMAINS else domain


def _registrable_idn(host: str) -> str:
    """Internationalized names: tldextract matches them against the list (which holds them
    in Unicode); the key is stored in its ASCII form (bücher.de -> xn--bcher-kva.de)."""
    extracted = _extractor()(host)
    if not extracted.domain or not extracted.suffix:
        return ""
    try:
        domain = f"{extracted.domain}.{extracted.suffix}".encode("idna").decode("ascii")
    except UnicodeError:
        return ""
    return "" if is_freemail(domain) else domain


def normalize_domain(value: str) -> str:
    """The registrable domain of a website, URL, bare domain or e-mail address.

    `https://www.shop.Example.co.uk:8443/about` -> `example.co.uk`,
    `jane.doe@eu.acme.com` -> `acme.com`. "" when there is none (`n/a`, `localhost`, an IP
    address) or when it is a free-mail or internet-provider mail domain (`gmail.com`,
    `hotmail.fr`; see `partnerloop.mapping.freemail`). Several websites in one cell
    (`acme.com; acme.de`): the first.
    """
    if not value:
        return ""
    # The usual forms in one regular expression; anything it cannot read (no dot in what
    # it found: "Jane <jane@acme.com>", "n/a") goes through the step-by-step `_host`.
    found = _USUAL_HOST.match(value)
    host = found[1].lower().strip(".") if found else ""
    if "." not in host:
        host = _host(value)
    return _registrable(host)


# ----------------------------------------------------------------------- company names

# Legal forms dropped from the end of a folded name: "Acme, Inc." is "acme". "and" is what
# is left of "& Co." ("Müller GmbH & Co. KG" -> "muller").
LEGAL_SUFFIXES: frozenset[str] = frozenset(
    {
        "ab",
        "ag",
        "and",
        "aps",
        "as",
        "asa",
        "bhd",
        "bv",
        "co",
        "company",
        "corp",
        "corporation",
        "cv",
        "eg",
        "ev",
        "gmbh",
        "inc",
        "incorporated",
        "kg",
        "kk",
        "limited",
        "llc",
        "llp",
        "lp",
        "ltd",
        "ltda",
        "mbh",
        "nv",
        "oy",
        "oyj",
        "plc",
        "pte",
        "pty",
        "pvt",
        "sa",
        "sarl",
        "sas",
        "sdn",
        "se",
        "spa",
        "sl",
        "sro",
        "srl",
        "ug",
    }
)

# ASCII fast path: dots and apostrophes vanish ("S.A." -> "sa", "O'Neil" -> "oneil"), "&"
# becomes " and ", every other non-alphanumeric character a space, letters lower case.
_ASCII_TABLE: dict[int, str | None] = {}
for _code in range(128):
    _char = chr(_code)
    if _char.isalnum():
        _ASCII_TABLE[_code] = _char.lower()
    elif _char in ".'`":
        _ASCII_TABLE[_code] = None
    elif _char == "&":
        _ASCII_TABLE[_code] = " and "
    else:
        _ASCII_TABLE[_code] = " "
del _code, _char

_UNICODE_DROPPED = re.compile(r"[.'’`]")
_UNICODE_SEPARATORS = re.compile(r"[\W_]+")


# Latin letters NFKD does not decompose.
_LATIN_EXTRA = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i", "ħ": "h"}
)


def _fold_slow(text: str) -> str:
    """The general folding: NFKD, combining marks out, case folded, a few Latin letters
    spelt out ("ø" -> "o", "æ" -> "ae"), punctuation as the ASCII table treats it."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = text.translate(_LATIN_EXTRA)
    text = _UNICODE_DROPPED.sub("", text.replace("&", " and "))
    return _UNICODE_SEPARATORS.sub(" ", text)


# Latin letters with accents (U+0080-U+024F), combining marks and typographic punctuation
# mapped straight to what `_fold_slow` makes of them when that is ASCII ("é" -> "e",
# "ß" -> "ss"): most non-ASCII company names then fold with one `str.translate` too.
_FOLD_TABLE: dict[int, str | None] = dict(_ASCII_TABLE)
for _code in (*range(0x80, 0x250), 0x2018, 0x2019, 0x201C, 0x201D, 0x2013, 0x2014):
    _folded = _fold_slow(chr(_code))
    if _folded.isascii():
        _FOLD_TABLE[_code] = _folded or None
for _code in range(0x300, 0x370):  # combining marks (a decomposed "é" is "e" + U+0301)
    _FOLD_TABLE[_code] = None
del _code, _folded

# The ASCII table for `bytes.translate` (a plain 256-byte table: faster than `str.translate`
# with a dict); "&" is spelt out before, the dropped characters are its `delete`.
_ASCII_BYTES = bytes(
    ord(_ASCII_TABLE[code] or " ") if code != ord("&") else ord(" ") for code in range(128)
) + bytes(range(128, 256))
_ASCII_DROPPED = bytes(code for code in range(128) if _ASCII_TABLE[code] is None)
_LEGAL_SUFFIXES_ASCII = frozenset(suffix.encode() for suffix in LEGAL_SUFFIXES)


def normalize_company_name(name: str) -> str:
    """Fold a company name into a matching key.

    Case folded, accents stripped (NFKD), `&` -> `and`, dots and apostrophes dropped, other
    punctuation to spaces, a leading "the" and trailing legal forms dropped (only at the end:
    "AG Barr" keeps its "ag"), whitespace collapsed. A name made only of legal forms keeps
    its last word. `"Société Générale S.A."` -> `"societe generale"`,
    `"Müller GmbH & Co. KG"` -> `"muller"`, `"The Acme Company"` -> `"acme"`.
    """
    if not name:
        return ""
    if name.isascii():
        if "&" in name:
            name = name.replace("&", " and ")
        words = name.encode().translate(_ASCII_BYTES, _ASCII_DROPPED).split()
        while len(words) > 1 and words[-1] in _LEGAL_SUFFIXES_ASCII:
            words.pop()
        if len(words) > 1 and words[0] == b"the":
            del words[0]
        return b" ".join(words)[:200].rstrip().decode()
    folded = name.translate(_FOLD_TABLE)
    tokens = (folded if folded.isascii() else _fold_slow(name)).split()
    while len(tokens) > 1 and tokens[-1] in LEGAL_SUFFIXES:
        tokens.pop()
    if len(tokens) > 1 and tokens[0] == "the":
        del tokens[0]
    return " ".join(tokens)[:200].rstrip()


# --------------------------------------------------------------------------- countries

# Every ISO 3166-1 alpha-2 code: a cell holding one of these is taken as is.
_ISO_ALPHA2_CODES = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO
    BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ
    DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP
    GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG
    KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML
    MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE
    PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL
    SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM
    US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
"""
ISO_ALPHA2: frozenset[str] = frozenset(_ISO_ALPHA2_CODES.split())

# Names, local names, alpha-3 codes and common aliases of the most frequent countries in
# CRM exports (keys folded like `_country_key`). Anything else resolves only through its
# alpha-2 code.
_COUNTRY_NAMES: dict[str, str] = {
    # North America
    "united states": "US",
    "united states of america": "US",
    "usa": "US",
    "us": "US",
    "u s": "US",
    "u s a": "US",
    "america": "US",
    "etats unis": "US",
    "vereinigte staaten": "US",
    "estados unidos": "US",
    "canada": "CA",
    "can": "CA",
    "mexico": "MX",
    "mex": "MX",
    # Europe
    "united kingdom": "GB",
    "uk": "GB",
    "u k": "GB",
    "gbr": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "royaume uni": "GB",
    "vereinigtes konigreich": "GB",
    "germany": "DE",
    "deutschland": "DE",
    "deu": "DE",
    "allemagne": "DE",
    "alemania": "DE",
    "france": "FR",
    "fra": "FR",
    "frankreich": "FR",
    "spain": "ES",
    "espana": "ES",
    "esp": "ES",
    "spanien": "ES",
    "espagne": "ES",
    "italy": "IT",
    "italia": "IT",
    "ita": "IT",
    "italien": "IT",
    "italie": "IT",
    "portugal": "PT",
    "prt": "PT",
    "netherlands": "NL",
    "nederland": "NL",
    "holland": "NL",
    "nld": "NL",
    "niederlande": "NL",
    "pays bas": "NL",
    "belgium": "BE",
    "belgie": "BE",
    "belgique": "BE",
    "belgien": "BE",
    "bel": "BE",
    "luxembourg": "LU",
    "lux": "LU",
    "luxemburg": "LU",
    "switzerland": "CH",
    "schweiz": "CH",
    "suisse": "CH",
    "svizzera": "CH",
    "che": "CH",
    "austria": "AT",
    "osterreich": "AT",
    "aut": "AT",
    "autriche": "AT",
    "ireland": "IE",
    "irl": "IE",
    "eire": "IE",
    "denmark": "DK",
    "danmark": "DK",
    "dnk": "DK",
    "danemark": "DK",
    "sweden": "SE",
    "sverige": "SE",
    "swe": "SE",
    "schweden": "SE",
    "norway": "NO",
    "norge": "NO",
    "nor": "NO",
    "norwegen": "NO",
    "finland": "FI",
    "suomi": "FI",
    "fin": "FI",
    "finnland": "FI",
    "iceland": "IS",
    "island": "IS",
    "poland": "PL",
    "polska": "PL",
    "pol": "PL",
    "polen": "PL",
    "czech republic": "CZ",
    "czechia": "CZ",
    "cesko": "CZ",
    "ceska republika": "CZ",
    "cze": "CZ",
    "slovakia": "SK",
    "slovensko": "SK",
    "hungary": "HU",
    "magyarorszag": "HU",
    "hun": "HU",
    "romania": "RO",
    "rou": "RO",
    "bulgaria": "BG",
    "greece": "GR",
    "ellada": "GR",
    "grc": "GR",
    "croatia": "HR",
    "hrvatska": "HR",
    "slovenia": "SI",
    "slovenija": "SI",
    "serbia": "RS",
    "estonia": "EE",
    "eesti": "EE",
    "latvia": "LV",
    "latvija": "LV",
    "lithuania": "LT",
    "lietuva": "LT",
    "ukraine": "UA",
    "ukr": "UA",
    "russia": "RU",
    "russian federation": "RU",
    "rus": "RU",
    "turkey": "TR",
    "turkiye": "TR",
    "tur": "TR",
    "cyprus": "CY",
    "malta": "MT",
    # Middle East and Africa
    "israel": "IL",
    "isr": "IL",
    "united arab emirates": "AE",
    "uae": "AE",
    "are": "AE",
    "saudi arabia": "SA",
    "sau": "SA",
    "qatar": "QA",
    "egypt": "EG",
    "south africa": "ZA",
    "zaf": "ZA",
    "nigeria": "NG",
    "kenya": "KE",
    "morocco": "MA",
    "maroc": "MA",
    # Asia-Pacific
    "china": "CN",
    "chn": "CN",
    "people s republic of china": "CN",
    "peoples republic of china": "CN",
    "prc": "CN",
    "hong kong": "HK",
    "hkg": "HK",
    "taiwan": "TW",
    "twn": "TW",
    "japan": "JP",
    "jpn": "JP",
    "nippon": "JP",
    "south korea": "KR",
    "korea": "KR",
    "republic of korea": "KR",
    "korea republic of": "KR",
    "kor": "KR",
    "india": "IN",
    "ind": "IN",
    "bharat": "IN",
    "pakistan": "PK",
    "bangladesh": "BD",
    "singapore": "SG",
    "sgp": "SG",
    "malaysia": "MY",
    "mys": "MY",
    "indonesia": "ID",
    "idn": "ID",
    "thailand": "TH",
    "tha": "TH",
    "vietnam": "VN",
    "viet nam": "VN",
    "vnm": "VN",
    "philippines": "PH",
    "phl": "PH",
    "australia": "AU",
    "aus": "AU",
    "new zealand": "NZ",
    "nzl": "NZ",
    # Latin America
    "brazil": "BR",
    "brasil": "BR",
    "bra": "BR",
    "argentina": "AR",
    "arg": "AR",
    "chile": "CL",
    "chl": "CL",
    "colombia": "CO",
    "col": "CO",
    "peru": "PE",
    "per": "PE",
    "uruguay": "UY",
    "costa rica": "CR",
}

_COUNTRY_PUNCTUATION = re.compile(r"[\W_]+")


def _country_key(value: str) -> str:
    text = unicodedata.normalize("NFKD", value)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = _COUNTRY_PUNCTUATION.sub(" ", text.replace(".", "")).strip()
    if text.startswith("the "):
        text = text[4:]
    return text


@lru_cache(maxsize=4096)
def _country(value: str) -> str:
    text = value.strip()
    if not text:
        return ""
    upper = text.upper()
    if len(upper) == 2 and upper in ISO_ALPHA2:
        return upper
    key = _country_key(text)
    found = _COUNTRY_NAMES.get(key)
    if found:
        return found
    if len(key) == 2 and key.upper() in ISO_ALPHA2:  # "d.e." -> "DE"
        return key.upper()
    return ""


def normalize_country(value: str) -> str:
    """ISO 3166-1 alpha-2 code of a country cell, "" when unknown.

    Any alpha-2 code (`de`, `DE`) is accepted; names, local names, alpha-3 codes and common
    aliases (`United States`, `USA`, `U.S.`, `Deutschland`, `UK`, `Türkiye`) are resolved for
    the most common countries (`_COUNTRY_NAMES`). "UK" is `GB`.
    """
    if not value:
        return ""
    return _country(value)
