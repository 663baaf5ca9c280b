"""Atom 1.0 (RFC 4287) and Atom 0.3 documents -> `RawItem`s.

* Text constructs (title, content, summary) read as a person should see them: `text` is
  text (`&lt;3` stays "<3"), `html` is the escaped markup, `xhtml` is the inline markup
  with its own text escaped again, so escaped text never turns into live markup.
  Atom 0.3 `mode="escaped"`, `mode="xml"` and `mode="base64"` (decoded) are read too,
  and so is Base64 content of another media type when it decodes to UTF-8 text.
* `xml:base` on the feed, the entry, the link and the content/summary is honoured: the
  body's relative links resolve against it, not against the article link.
* Links: the first `rel="alternate"` (or rel-less) link that the URL policy accepts,
  else the id if it is an absolute http(s) URI; `rel="enclosure"` links become enclosures.
* Authors: all of the entry's; else those of its `<source>` (RFC 4287 4.2.1); else the
  feed's.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from .common import MAX_BODY, RawItem, html_to_line, link_or_empty, text_to_html
from .media import MEDIA_TAGS, add_enclosure, read_media
from .xmldoc import XHTML, XML_BASE, markup_of, rebase, text_of, xhtml_markup

_XHTML_KINDS = frozenset({"xhtml", "application/xhtml+xml"})
_HTML_KINDS = frozenset({"html", "text/html"})
# Control characters that text never holds: decoded "text" with them is binary.
_BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _base64_text(el: Any, *, binary: bool = False) -> str:
    """The decoded text; with `binary` (a non-text media type), "" unless the bytes are
    in fact UTF-8 text: an image or a zip file is not something to read."""
    raw = "".join(text_of(el).split())[: MAX_BODY * 2]
    try:
        data = base64.b64decode(raw, validate=False)
        if not binary:
            return data.decode("utf-8", "replace")
        text = data.decode("utf-8")
    except (binascii.Error, ValueError):  # UnicodeDecodeError is a ValueError
        return ""
    return "" if _BINARY.search(text) else text


def atom_text(el: Any) -> tuple[str, bool]:
    """(value, is_html) of an Atom text construct (also Atom 0.3 `mode`)."""
    kind = (el.get("type") or "text").strip().lower()
    mode = (el.get("mode") or "").strip().lower()
    if mode == "base64":
        value = _base64_text(el)
        if kind in _XHTML_KINDS or kind in _HTML_KINDS:
            return value, True
        if kind.startswith("text/") or kind == "text":
            return value, False
        return "", False  # a binary media type: not shown
    if kind in _XHTML_KINDS or mode == "xml":
        children = [c for c in el if isinstance(c.tag, str)]
        if len(children) == 1 and children[0].tag == XHTML + "div" and not (el.text or "").strip():
            return xhtml_markup(children[0]), True
        return xhtml_markup(el), True
    if el.get("src") is not None:
        return "", False  # out-of-line content: not shown
    if kind in _HTML_KINDS or mode == "escaped":
        return markup_of(el), True
    if kind == "text" or kind.startswith("text/"):
        return text_of(el), False
    if kind.endswith(("+xml", "/xml")):
        return "", False  # inline XML of some other vocabulary: nothing to read
    # Any other media type is Base64 (RFC 4287 4.1.3.3). Shown only if it decodes to text,
    # read as markup as feedparser does (publishers put HTML there, not binary data).
    return _base64_text(el, binary=True), True


def _atom_body(el: Any) -> str:
    value, is_html = atom_text(el)
    if not value.strip():
        return ""
    return value if is_html else text_to_html(value)


def _links(entry: Any, prefix: str, base: str | None, item: RawItem | None) -> tuple[str, Any]:
    """(link, base) of the first alternate link the URL policy accepts, already resolved;
    if none is usable, the first one as written (so an entry's derived identity is what it
    always was). Enclosure links go into `item`."""
    first: tuple[str, Any] = ("", base)
    found = ""
    for link in entry.iterchildren(prefix + "link"):
        rel = (link.get("rel") or "alternate").strip().lower()
        href = (link.get("href") or "").strip()
        if not href:
            continue
        if rel == "alternate" and not found:
            link_base = rebase(link, base)
            found = link_or_empty(href, link_base)  # a refused one (gemini:, say) is skipped
            if not first[0]:
                first = (href, link_base)
        elif rel == "enclosure" and item is not None:
            url = link_or_empty(href, rebase(link, base))
            add_enclosure(item, url, link.get("type"), link.get("length"))
    return (found, base) if found else first


def _authors(el: Any, prefix: str) -> list[str]:
    names: list[str] = []
    for author in el.iterchildren(prefix + "author"):
        for name in author.iterchildren(prefix + "name"):
            value = text_of(name).strip()
            if value:
                names.append(value)
                break
        else:
            if len(author) == 0 and author.text and author.text.strip():
                names.append(author.text)  # sloppy: <author>Name</author>
    return names


def parse_atom(root: Any, prefix: str, url: str | None) -> tuple[str, str, list[Any], Any]:
    """(title, site URL, entry elements, RawItem iterator) of an Atom feed."""
    feed_base = rebase(root, url)
    explicit_base = root.get(XML_BASE) is not None
    title = ""
    for el in root.iterchildren(prefix + "title"):
        value, is_html = atom_text(el)
        title = html_to_line(value) if is_html else value
        break
    site_href, site_base = _links(root, prefix, feed_base, None)
    site_url = link_or_empty(site_href, site_base)
    feed_authors = _authors(root, prefix)
    entries = list(root.iterchildren(prefix + "entry"))
    # Clark tag -> field, built once per feed rather than compared per child.
    fields = {
        prefix + "id": "id",
        prefix + "title": "title",
        prefix + "content": "content",
        prefix + "summary": "summary",
        prefix + "published": "published",
        prefix + "issued": "published",
        prefix + "created": "published",
        prefix + "updated": "updated",
        prefix + "modified": "updated",
        prefix + "source": "source",
        **dict.fromkeys(MEDIA_TAGS, "media"),
    }

    def raw_items() -> Any:
        for entry in entries:
            base = rebase(entry, feed_base)
            entry_explicit = explicit_base or entry.get(XML_BASE) is not None
            item = RawItem(base=base)
            published = updated = ""
            body = ""
            body_el = None
            source = None
            media: list[Any] = []
            for child in entry:
                tag = child.tag
                if not isinstance(tag, str):
                    continue
                field = fields.get(tag)
                if field is None:
                    continue
                if field == "id":
                    item.guid = item.guid or text_of(child)
                elif field == "title":
                    if not item.title:
                        item.title, item.title_is_html = atom_text(child)
                elif field == "content" or field == "summary":
                    # The first non-empty content wins over any summary.
                    if body_el is None or (field == "content" and body_el.tag != tag):
                        value = _atom_body(child)
                        if value:
                            body, body_el = value, child
                elif field == "published":
                    published = published or text_of(child).strip()
                elif field == "updated":
                    updated = updated or text_of(child).strip()
                elif field == "media":
                    media.append(child)
                elif source is None:
                    source = child
            item.link, item.base = _links(entry, prefix, base, item)
            # An entry without a link is often found by its id (an http(s) URI): the
            # same fallback as an RSS permalink guid; a tag: or urn: id is no link.
            item.permalink = item.guid
            item.authors = _authors(entry, prefix)
            if not item.authors and source is not None:
                item.authors = _authors(source, prefix)
            if not item.authors:
                item.authors = feed_authors
            item.date = published or updated
            if body_el is not None:
                item.body_html = body
                if entry_explicit or body_el.get(XML_BASE) is not None:
                    item.body_base = rebase(body_el, base)
            if media:
                read_media(media, item)
            yield item

    return title, site_url, entries, raw_items()
