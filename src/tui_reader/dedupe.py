"""When two articles are the same story: the keys that name a story across feeds.

An article has at most two *story keys*, strings compared exactly:

* its link, canonical (`canonical_link`): "u:" + host[:port] + path [+ "?" + query];
* its feed-local key (the guid / Atom id the parser chose, `NewArticle.key`), when that
  is a URL (canonical the same way, so a guid that is a permalink meets the other feed's
  link) or an opaque id long enough to be unique across the web ("g:" + the id).

Two articles of different feeds that share a key are copies of one story
(`store/duplicates.py` groups them). The rules, documented for users in README
("The same story in several feeds"):

* The scheme is dropped: http and https name the same story. Sites serve both, and
  feeds written in different years (or an aggregator) keep whichever they were given;
  two different stories at the same host and path under the two schemes do not happen
  in practice.
* Host lower-cased, a trailing dot dropped, the default port (80 for http, 443 for
  https) dropped, user:password@ dropped.
* The fragment is dropped (it names a place in a page, not another page), except a
  "#!" route of a single-page site, which does name the page.
* Tracking parameters (`TRACKING_PARAMS`, and every `utm_*`) are dropped; the rest are
  sorted, kept as written (no re-encoding).
* A trailing slash of the path is dropped; the root ("/") stays, but a link to a site's
  root without a query names no story (feeds whose every item links to the home page
  must not become one story).
* Guids: only those at least `MIN_GUID_CHARS` long ("1", "42", "post-7" are reused by
  every feed); a URL guid as above; any other guid when it is not only digits (a
  timestamp). The parser's fallback keys ("sha1:" + a hash of the title and date) are
  never used.

No Textual, no Rich: the store uses this.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Query parameters that say where a reader came from, not what the page is. Names are
# compared lower-case; every name starting with "utm_" goes too.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",  # Facebook
        "gclid",  # Google Ads
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",  # Microsoft Ads
        "yclid",  # Yandex
        "twclid",  # Twitter / X
        "igshid",  # Instagram
        "mc_cid",  # Mailchimp
        "mc_eid",
        "_hsenc",  # HubSpot
        "_hsmi",
        "mkt_tok",  # Marketo
        "ref",
        "ref_src",
        "ref_url",
    }
)

# An opaque guid shorter than this is not trusted to be unique across feeds.
MIN_GUID_CHARS = 16

_DEFAULT_PORTS = {"http": "80", "https": "443"}

# Most links need none of urlsplit's work: a lower-case host, no port, no user, no
# "#!" route. Matching them first makes a library of 100k articles cheap to index.
# Groups: the host; the path without its trailing slashes (None for the root); the query.
_PLAIN = re.compile(
    r"https?://([a-z0-9][a-z0-9.-]*[a-z0-9])"
    r"(/[^?#@\\\s]*[^/?#@\\\s])?/*"
    r"(?:\?([^#@\\\s]*))?"
    r"(?:#(?:[^!\s]\S*)?)?"
)


def _is_tracking(param: str) -> bool:
    name = param.partition("=")[0].lower()
    return name.startswith("utm_") or name in TRACKING_PARAMS


def _clean_query(query: str) -> str:
    """The query without tracking parameters, the rest sorted (as written)."""
    return "&".join(sorted(p for p in query.split("&") if p and not _is_tracking(p)))


def canonical_link(url: str) -> str | None:
    """The story key of a link ("u:" + host, path, sorted query), or None when the link
    is not an http(s) address with a host or names no story (a site's root)."""
    plain = _PLAIN.fullmatch(url)
    if plain is not None:
        host, path, query = plain.groups()
        if query:
            query = _clean_query(query)
        if query:
            return "u:" + host + (path or "/") + "?" + query
        return None if path is None else "u:" + host + path
    return _canonical_parsed(url)


def _canonical_parsed(url: str) -> str | None:
    """`canonical_link` the long way, for every link (the fast path must agree with it)."""
    url = url.strip()
    if not url:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port  # a bad port raises ValueError
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return None
    host = (parts.hostname or "").rstrip(".")  # urlsplit lower-cases it
    if not host:
        return None
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    if port is not None and str(port) != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    path = parts.path
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    query = _clean_query(parts.query) if parts.query else ""
    if path in ("", "/") and not query and not parts.fragment.startswith("!"):
        return None
    key = "u:" + host + (path or "/")
    if query:
        key += "?" + query
    if parts.fragment.startswith("!"):
        key += "#" + parts.fragment
    return key


def guid_key(key: str) -> str | None:
    """The story key of an article's feed-local key (its guid), or None when the guid
    cannot be trusted to name one story across feeds."""
    if len(key) < MIN_GUID_CHARS:  # most feed-local keys: checked first, it is cheap
        return None
    key = key.strip()
    lowered = key[:8].lower()
    if lowered.startswith(("http://", "https://")):
        return canonical_link(key)
    if lowered.startswith("sha1:"):  # the parser's own fallback, not a guid
        return None
    if len(key) < MIN_GUID_CHARS or key.isdigit():
        return None
    return "g:" + key


def story_keys(link: str, key: str) -> tuple[str, ...]:
    """Every story key of an article (0, 1 or 2, without repeats)."""
    by_link = canonical_link(link) if link else None
    by_guid = guid_key(key) if key and key != link else None
    if by_link is None:
        return () if by_guid is None else (by_guid,)
    if by_guid is None or by_guid == by_link:
        return (by_link,)
    return (by_link, by_guid)
