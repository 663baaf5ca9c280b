"""JSON Feed 1.0 / 1.1 (https://jsonfeed.org/version/1.1) reader.

Parsed with orjson, which already refuses the nasty cases cleanly: nesting deeper than
1024, lone surrogate escapes, NaN/Infinity. Integers beyond 64 bits become floats, which
we never accept where a string or an id is expected. After that every field is
type-checked before use: a field of the wrong type counts as missing, a non-object item is
skipped. Nothing here recurses into the document, so its shape cannot exhaust the stack.

Invalid UTF-8 is replaced with U+FFFD (with a warning) rather than refused, like XML feeds.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import orjson

from tui_reader.models import ParsedFeed

from .common import FeedParseError, RawItem, build_feed, link_or_empty, text_to_html


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _author_names(obj: dict[str, Any]) -> list[str]:
    """Every author name: 1.1 `authors` list, else 1.0 `author` object."""
    authors = obj.get("authors")
    names: list[str] = []
    if isinstance(authors, list):
        for author in authors[:50]:
            if isinstance(author, dict) and _str(author.get("name")).strip():
                names.append(_str(author.get("name")))
    if not names:
        author = obj.get("author")
        if isinstance(author, dict) and _str(author.get("name")).strip():
            names.append(_str(author.get("name")))
    return names


def _number(value: object) -> str:
    """A size or duration as text for `common.make_article`; "" unless a plain number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return ""
    return str(value) if value == value else ""  # NaN never compares equal; orjson refuses it


def _attachments(item: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    attachments = item.get("attachments")
    found: list[tuple[str, str, str, str]] = []
    if isinstance(attachments, list):
        for attachment in attachments[:50]:
            if isinstance(attachment, dict) and _str(attachment.get("url")).strip():
                found.append(
                    (
                        _str(attachment.get("url")),
                        _str(attachment.get("mime_type")),
                        _number(attachment.get("size_in_bytes")),
                        _number(attachment.get("duration_in_seconds")),
                    )
                )
    return found


def _item_id(value: object) -> str:
    if isinstance(value, str):
        return value
    # Some 1.0 feeds use numbers; orjson keeps ints within 64 bits, so str() is cheap.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


_UNICODE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _load(data: bytes, warnings: list[str]) -> object:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]  # orjson refuses a BOM; RFC 8259 allows ignoring it
    for bom, codec in _UNICODE_BOMS:
        if data.startswith(bom):
            data = data.decode(codec, "replace").encode("utf-8", "replace")
            break
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        message = str(exc)
    if "UTF-8" in message:
        text = data.decode("utf-8", "replace")
        try:
            doc = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            message = str(exc)
        else:
            warnings.append("the feed is not valid UTF-8; undecodable bytes were replaced")
            return doc
    raise FeedParseError(f"the JSON feed is not valid JSON ({message[:120]})")


def parse_json_feed(
    data: bytes, *, url: str, fetched_at: datetime, max_items: int, warnings: list[str]
) -> ParsedFeed:
    """Parse a JSON Feed document (already known to look like JSON)."""
    doc = _load(data, warnings)
    if not isinstance(doc, dict):
        raise FeedParseError(
            "the JSON document is not a JSON Feed (its top level is not an object)"
        )
    version = doc.get("version")
    items = doc.get("items")
    if not isinstance(version, str) or "jsonfeed.org/version/" not in version:
        if not isinstance(items, list):
            raise FeedParseError("the JSON document is not a JSON Feed (no version, no items)")
        warnings.append("the JSON feed does not declare a JSON Feed version")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise FeedParseError("the JSON feed's 'items' is not a list")

    site_url = link_or_empty(_str(doc.get("home_page_url")).strip(), url or None)
    base = site_url or url or None
    feed_authors = _author_names(doc)

    def raw_items() -> Iterator[RawItem]:
        for item in items:
            if not isinstance(item, dict):
                yield RawItem()  # counted and skipped as an empty item
                continue
            body = _str(item.get("content_html"))
            if not body.strip():
                text = _str(item.get("content_text"))
                body = text_to_html(text) if text.strip() else ""
            if not body.strip():
                summary = _str(item.get("summary"))
                body = text_to_html(summary) if summary.strip() else ""
            date = _str(item.get("date_published")) or _str(item.get("date_modified"))
            yield RawItem(
                guid=_item_id(item.get("id")),
                title=_str(item.get("title")),
                link=_str(item.get("url")),
                permalink=_str(item.get("external_url")),
                authors=_author_names(item) or feed_authors,
                enclosures=_attachments(item),
                image=_str(item.get("image")),
                date=date,
                body_html=body,
                base=base,
            )

    return build_feed(
        title=_str(doc.get("title")),
        site_url=site_url,
        items=raw_items(),
        total=len(items),
        fetched_at=fetched_at,
        max_items=max_items,
        warnings=warnings,
    )
