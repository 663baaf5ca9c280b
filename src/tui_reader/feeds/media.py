"""Media RSS (`media:*`, as YouTube channel feeds use) and enclosures from XML feeds.

Media RSS fills what an item lacks: `media:title` when it has no title,
`media:description` when it has no body, and `media:thumbnail` is its picture. These may
sit directly in the item or inside `media:group` (or inside a `media:content`).
`media:content` files become enclosures, like RSS `<enclosure>` and Atom
`<link rel="enclosure">` (read by the format readers, which call `add_enclosure`).
"""

from __future__ import annotations

from typing import Any

from .common import RawItem, text_to_html
from .xmldoc import MEDIA, markup_of, text_of

_GROUP = MEDIA + "group"
_TITLE = MEDIA + "title"
_DESCRIPTION = MEDIA + "description"
_THUMBNAIL = MEDIA + "thumbnail"
_CONTENT = MEDIA + "content"
# The media:* children an item or entry may have (others, like media:rating, say nothing
# we show): the readers map these tags straight to their "media" field.
MEDIA_TAGS = (_GROUP, _TITLE, _DESCRIPTION, _THUMBNAIL, _CONTENT)
# Enclosures kept per item as written; `common` keeps at most MAX_ENCLOSURES of them (the
# usable ones), so a hostile item of a million enclosures costs no more than this.
MAX_RAW_ENCLOSURES = 100
# Nesting a group or content element deeper than this is not Media RSS, just noise.
_MAX_DEPTH = 3


def add_enclosure(item: RawItem, url: str | None, mime: str | None, length: str | None) -> None:
    """Record one enclosure as written (`common.make_article` checks and converts it)."""
    if url and url.strip() and len(item.enclosures) < MAX_RAW_ENCLOSURES:
        item.enclosures.append((url, mime or "", length or "", ""))


def read_media(elements: list[Any], item: RawItem) -> None:
    """Fill `item` from its `media:*` children (`elements`, in document order)."""
    found: dict[str, str] = {}
    _walk(elements, item, found, 0)
    if "title" in found and not item.title.strip():
        item.title = found["title"]
        item.title_is_html = found.get("title_type") == "html"
    if "body" in found and not item.body_html.strip():
        item.body_html = found["body"]
    if "image" in found and not item.image:
        item.image = found["image"]


def _walk(elements: Any, item: RawItem, found: dict[str, str], depth: int) -> None:
    for el in elements:
        tag = el.tag
        if tag in (_GROUP, _CONTENT):
            if tag == _CONTENT and len(item.enclosures) < MAX_RAW_ENCLOSURES:
                item.enclosures.append(
                    (
                        el.get("url") or "",
                        el.get("type") or "",
                        el.get("fileSize") or "",
                        el.get("duration") or "",
                    )
                )
            if depth < _MAX_DEPTH and len(el):
                _walk(el.iterchildren(_GROUP, _CONTENT, _TITLE, _DESCRIPTION, _THUMBNAIL),
                      item, found, depth + 1)  # fmt: skip
        elif tag == _TITLE and "title" not in found:
            kind = (el.get("type") or "").strip().lower()
            value = markup_of(el) if kind == "html" else text_of(el)
            if value.strip():
                found["title"] = value
                found["title_type"] = kind
        elif tag == _DESCRIPTION and "body" not in found:
            if (el.get("type") or "").strip().lower() == "html":
                value = markup_of(el)
            else:
                value = text_of(el)
                value = text_to_html(value) if value.strip() else ""
            if value.strip():
                found["body"] = value
        elif tag == _THUMBNAIL and "image" not in found:
            url = (el.get("url") or "").strip()
            if url:
                found["image"] = url
