"""Microsoft CDF (Channel Definition Format, 1997) documents -> `RawItem`s.

Some old sites still serve a `<CHANNEL>` of `<ITEM HREF="...">`s, and feedparser reads
them, so we do too: the item's HREF (or a `<link>`) is its link, `<TITLE>` its title,
`<ABSTRACT>` (or a `<description>`) its text and LASTMOD its date. Tag names are matched
without regard to case, as CDF was written for IE's case-blind parser; `BASE` on the
channel is the base for relative links. Items of nested channels count too (one level).
"""

from __future__ import annotations

from typing import Any

from .common import RawItem, link_or_empty, text_to_html
from .xmldoc import local_name, text_of


def _name(el: Any) -> str:
    return local_name(el.tag)[1].lower() if isinstance(el.tag, str) else ""


def _attr(el: Any, name: str) -> str:
    for key, value in el.attrib.items():
        if isinstance(key, str) and key.lower() == name:
            return value or ""
    return ""


def _item(el: Any, base: str | None) -> RawItem:
    item = RawItem(base=base, link=_attr(el, "href"), date=_attr(el, "lastmod"))
    for child in el:
        name = _name(child)
        if name == "title" and not item.title:
            item.title = text_of(child)
        elif name in ("abstract", "description") and not item.body_html:
            value = text_of(child)
            item.body_html = text_to_html(value) if value.strip() else ""
        elif name == "link" and not item.link:
            item.link = text_of(child)
    return item


def parse_cdf(root: Any, url: str | None) -> tuple[str, str, list[Any], Any]:
    """(title, site URL, item elements, RawItem iterator) of a CDF channel."""
    base = link_or_empty(_attr(root, "base").strip(), url) or url
    site_url = link_or_empty(_attr(root, "href").strip(), base)
    title = ""
    items: list[Any] = []
    for child in root:
        name = _name(child)
        if name == "title" and not title:
            title = text_of(child)
        elif name == "item":
            items.append(child)
        elif name == "channel":
            items.extend(c for c in child if _name(c) == "item")
    return title, site_url, items, (_item(el, base) for el in items)
