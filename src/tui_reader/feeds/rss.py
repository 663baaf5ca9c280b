"""RSS 0.9x / 1.0 / 2.0 documents -> `RawItem`s.

* The item fields count in no namespace, the RSS 1.0 and 0.90 namespaces, and whatever
  default namespace the root `<rss>` declares (`http://backend.userland.com/rss2`).
* Identity: `<guid>` (or `atom:id`), else the RSS 1.0 item's `rdf:about`, else
  `dc:identifier` (bioRxiv puts a DOI there, while `rdf:about` is the article's URI).
* Authors: every `dc:creator`, else every `<author>` ("mail (Name)" reads as Name), else
  the `atom:author`s.
* Links: `<link>`, else the first `atom:link` alternate the URL policy accepts.
* Enclosures: `<enclosure>`, `atom:link rel="enclosure"`, `media:content`;
  `itunes:duration` gives the duration of those that do not say.
* Media RSS fills a missing title, body or picture (`feeds.media`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from .atom import atom_text
from .common import RawItem, link_or_empty, text_to_html
from .media import MEDIA_TAGS, add_enclosure, read_media
from .xmldoc import (
    ATOM,
    CONTENT,
    DC,
    DCTERMS,
    ITUNES,
    RDF,
    RSS090,
    RSS10,
    XHTML,
    XML_BASE,
    local_name,
    markup_of,
    rebase,
    text_of,
)

_RSS_FIELDS: dict[str, str] = {
    "title": "title",
    "link": "link",
    "guid": "guid",
    "pubDate": "date",
    "description": "description",
    "author": "author",
    "enclosure": "enclosure",
    DC + "title": "title",
    DC + "date": "date",
    DC + "creator": "creator",
    DC + "identifier": "identifier",
    DCTERMS + "issued": "date",
    DCTERMS + "created": "date",
    DCTERMS + "modified": "date",
    CONTENT + "encoded": "content",
    ATOM + "link": "atom_link",
    ATOM + "published": "date",
    ATOM + "updated": "date",
    ATOM + "id": "guid",
    ATOM + "content": "atom_content",
    ATOM + "summary": "atom_summary",
    ATOM + "author": "atom_author",
    XHTML + "body": "xhtml_body",
    ITUNES + "duration": "duration",
    **dict.fromkeys(MEDIA_TAGS, "media"),
}
_RSS_LOCAL_FIELDS = {local: field for local, field in _RSS_FIELDS.items() if "{" not in local}
# Fields that may repeat: every occurrence is kept.
_REPEATED = frozenset({"creator", "author", "atom_author", "enclosure", "atom_link", "media"})
_BODY_FIELDS = ("content", "xhtml_body", "atom_content", "description", "atom_summary")
# "Name <mail>" is rare; RSS 2.0 says "mail (Name)".
_RSS_AUTHOR = re.compile(r"^\s*\S+@\S+\s*\((.+)\)\s*$")


@lru_cache(maxsize=16)
def _fields(default_ns: str) -> dict[str, str]:
    """Every tag that names a field: the plain RSS 2.0 names also count in the RSS 1.0 and
    0.90 namespaces and the document's own default namespace. One dict look-up per child
    instead of splitting its namespace off."""
    namespaces = {RSS10, RSS090, default_ns} - {""}
    return {
        **_RSS_FIELDS,
        **{ns + local: field for ns in namespaces for local, field in _RSS_LOCAL_FIELDS.items()},
    }


def _atom_names(el: Any) -> list[str]:
    names = []
    for name in el.iterchildren(ATOM + "name"):
        value = text_of(name).strip()
        if value:
            names.append(value)
            break
    return names


def _rss_item(el: Any, base: str | None, fields: dict[str, str]) -> RawItem:
    item = RawItem(base=rebase(el, base))
    found: dict[str, Any] = {}
    repeated: dict[str, list[Any]] = {}
    # The text of each childless field element, read once: lxml decodes `.text` anew on
    # every access, and a body can be many kilobytes.
    texts: dict[str, str] = {}
    for child in el:
        field = fields.get(child.tag)  # comments have a function as tag: None
        if field is None:
            continue
        if field in _REPEATED:
            repeated.setdefault(field, []).append(child)
            continue
        if field in found:
            continue  # the first non-empty occurrence of each field wins
        if len(child) == 0:
            value = child.text or ""
            if not value.strip():
                continue
            texts[field] = value
        found[field] = child

    def value_of(field: str) -> str:
        value = texts.get(field)
        return text_of(found[field]) if value is None else value

    if "title" in found:
        item.title = value_of("title")
    if "link" in found:
        item.link = value_of("link")
    for link in repeated.get("atom_link", ()):
        rel = (link.get("rel") or "alternate").strip().lower()
        href = (link.get("href") or "").strip()
        if rel == "alternate" and href and not item.link and link_or_empty(href, item.base):
            item.link = href  # the first one the URL policy accepts
        elif rel == "enclosure":
            add_enclosure(item, href, link.get("type"), link.get("length"))
    if "guid" in found:
        guid = found["guid"]
        item.guid = value_of("guid")
        if (guid.get("isPermaLink") or "true").strip().lower() != "false":
            item.permalink = item.guid.strip()
    elif (el.get(RDF + "about") or "").strip():
        item.guid = el.get(RDF + "about") or ""  # RSS 1.0 names each item by URI
    elif "identifier" in found:
        item.guid = value_of("identifier")
    creators = [text_of(c) for c in repeated["creator"]] if "creator" in repeated else []
    item.authors = [name for name in creators if name.strip()]
    if not item.authors:
        for author in repeated.get("author", ()):
            value = text_of(author)
            match = _RSS_AUTHOR.match(value)
            item.authors.append(match.group(1) if match else value)
    if not any(name.strip() for name in item.authors):
        item.authors = []
        for author in repeated.get("atom_author", ()):
            item.authors.extend(_atom_names(author))
    if "date" in found:
        item.date = value_of("date").strip()
    for field in _BODY_FIELDS:
        if field in found:
            body_el = found[field]
            if field.startswith("atom_"):
                value, is_html = atom_text(body_el)
                body = value if is_html or not value.strip() else text_to_html(value)
            else:
                # `markup_of` a childless element is its text.
                body = texts.get(field)
                if body is None:
                    body = markup_of(body_el)
            if body.strip():
                item.body_html = body
                if body_el.get(XML_BASE) is not None or el.get(XML_BASE) is not None:
                    item.body_base = rebase(body_el, item.base)
                break
    for enclosure in repeated.get("enclosure", ()):
        add_enclosure(item, enclosure.get("url"), enclosure.get("type"), enclosure.get("length"))
    if "media" in repeated:
        read_media(repeated["media"], item)
    if "duration" in found and item.enclosures:
        duration = value_of("duration")
        item.enclosures = [(u, m, n, d or duration) for u, m, n, d in item.enclosures]
    return item


def parse_rss(root: Any, url: str | None) -> tuple[str, str, list[Any], Any]:
    """(title, site URL, item elements, RawItem iterator) of an RSS or RDF document."""
    default_ns = local_name(root.tag)[0] if local_name(root.tag)[1] == "rss" else ""
    namespaces = {"", RSS10, RSS090, default_ns}
    channel = None
    for child in root:
        if isinstance(child.tag, str) and local_name(child.tag)[1] == "channel":
            channel = child
            break
    title = site_link = ""
    base = rebase(root, url)
    if channel is not None:
        base = rebase(channel, base)
        for child in channel:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            ns, local = local_name(tag)
            if ns not in namespaces:
                continue
            if local == "title" and not title:
                title = text_of(child)
            elif local == "link" and not site_link:
                site_link = text_of(child).strip()
    site_url = link_or_empty(site_link, base)
    item_base = site_url or base
    # RSS 2.0 puts items in the channel; RSS 1.0 (and some broken 2.0) beside it.
    item_tags = tuple({"item", RSS10 + "item", RSS090 + "item", default_ns + "item"})
    items = list(root.iterchildren(*item_tags))
    if channel is not None:
        items = list(channel.iterchildren(*item_tags)) + items
    fields = _fields(default_ns)
    return title, site_url, items, (_rss_item(el, item_base, fields) for el in items)
