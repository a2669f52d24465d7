"""Website and domain normalization, offline, with the public suffix list bundled by tldextract."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

import tldextract


@lru_cache(maxsize=1)
def _extractor() -> tldextract.TLDExtract:
    # No suffix_list_urls: use the snapshot shipped inside the package, never the network.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


class InvalidWebsite(ValueError):
    pass


def registrable_domain(value: str) -> str:
    """`https://www.Shop.example.co.uk/about` -> `example.co.uk`; e-mail addresses too.

    Raises InvalidWebsite when no registrable domain can be found.
    """
    text = (value or "").strip().lower()
    if not text:
        raise InvalidWebsite("Enter a website, e.g. example.com.")
    if "@" in text and "://" not in text:
        text = text.rsplit("@", 1)[1]
    if "://" not in text:
        text = "http://" + text
    host = urlsplit(text).hostname or ""
    extracted = _extractor()(host)
    if not extracted.domain or not extracted.suffix:
        raise InvalidWebsite(
            f"“{value.strip()}” is not a website with a public domain; use e.g. example.com."
        )
    return f"{extracted.domain}.{extracted.suffix}"


def normalize_website(value: str) -> tuple[str, str]:
    """The website to store (https, no path) and its registrable domain."""
    domain = registrable_domain(value)
    text = value.strip().lower()
    if "://" not in text:
        text = "https://" + text
    host = urlsplit(text).hostname or domain
    return f"https://{host}", domain
