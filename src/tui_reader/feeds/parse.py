"""Feed documents (RSS 0.9x/1.0/2.0, Atom 1.0/0.3, JSON Feed 1.0/1.1) -> `ParsedFeed`.

Public API: `parse_feed`, `discover_feed_links`, `looks_like_feed`, `FeedParseError`.
`parse_feed` raises nothing but `FeedParseError`, whose message is a plain-words reason
that can be shown to the user as is.

Why our own lxml reader rather than fastfeedparser: fastfeedparser builds its trees with
`huge_tree=True` and has no hook for refusing entity declarations before lxml sees them.
Reading the handful of fields we need straight from lxml is as fast (about 100 MB/s per
core on the bench corpus, see tests) and keeps every security decision in this file.

Security rules (XML):

* The bytes are decoded first (BOM, else the XML declaration, else the HTTP charset,
  else UTF-8) and re-encoded as UTF-8, so every check below sees exactly what lxml sees.
  Undecodable bytes become U+FFFD and the feed gets a warning; nothing raises
  UnicodeDecodeError.
* A document with a DOCTYPE that declares entities (`<!ENTITY`) is refused before any
  parser sees it: this is how billion-laughs and XXE attacks work, and no real feed
  needs them. (Being conservative, any document containing both `<!DOCTYPE` and
  `<!ENTITY` is refused; libxml2 only recognises both keywords in upper case.)
* lxml runs with `resolve_entities=False, no_network=True, load_dtd=False,
  huge_tree=False` and a resolver that answers every external lookup with an empty
  document, so no file is opened and no connection made (an external DTD is ignored).
* Raw C0 control bytes, which XML forbids and libxml2 would silently drop, become the
  visible Control Pictures (ESC -> ␛) so an attack stays visible, as `text.clean_*` does.
* Not-well-formed documents are read leniently (lxml `recover=True`) with a warning.

Content rules (all formats; the code is in `feeds.common`):

* Titles and authors go through `text.clean_line` (capped at 1000 and 300 characters),
  bodies through `text.clean_text` (capped at 200,000). Full content (content:encoded,
  Atom content, content_html) is preferred over summaries; plain text is HTML-escaped
  and wrapped in `<p>`. A missing title becomes the body's first words, or "(untitled)".
* Links are resolved against the document base (xml:base, else for RSS and JSON Feed
  the site link, else the fetch URL) and kept only if `text.safe_link` allows them;
  otherwise they are "". An RSS guid that is a permalink serves as the link if there is
  no `<link>`.
* Dates: see `feeds.dates` (unknown -> the fetch time, future -> clamped to it).

Identity and duplicates: `NewArticle.key` is the guid / Atom id / JSON id with
surrounding whitespace stripped (an empty one counts as missing), else the resolved
link, else "sha1:" + a hash of the title, the date as written, the start of the body and
the raw link. Keys longer than 512 characters are replaced by "sha1:" + their hash. Keys
are compared exactly (case matters). When several items in one document share a key,
the first one in document order is kept and the others are dropped with a warning; the
result is the same on every refetch. Items with no title, link, body or id are dropped.
At most `max_items` items are read, the first ones in document order (feeds list newest
first); the rest are counted in a warning.
"""

from __future__ import annotations

import codecs
import html.entities
import re
import threading
from dataclasses import replace
from datetime import datetime
from html.parser import HTMLParser
from typing import Any

from lxml import etree

from tui_reader.models import ParsedFeed
from tui_reader.text import clean_line

from .common import (
    FeedParseError,
    RawItem,
    build_feed,
    html_to_line,
    link_or_empty,
    text_to_html,
)
from .dates import as_utc
from .jsonfeed import parse_json_feed

__all__ = ["FeedParseError", "discover_feed_links", "looks_like_feed", "parse_feed"]

# A refresh never needs more; the fetcher should cap downloads well below this anyway.
MAX_FEED_BYTES = 64 * 1024 * 1024
MAX_HTML_BYTES = 2 * 1024 * 1024

ATOM = "{http://www.w3.org/2005/Atom}"
ATOM03 = "{http://purl.org/atom/ns#}"
RSS10 = "{http://purl.org/rss/1.0/}"
RSS090 = "{http://my.netscape.com/rdf/simple/0.9/}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
DC = "{http://purl.org/dc/elements/1.1/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
XHTML = "{http://www.w3.org/1999/xhtml}"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"

_RSS_NAMESPACES = frozenset({"", RSS10, RSS090})

# ------------------------------------------------------------------ decoding

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_XML_DECL_ENCODING = re.compile(
    rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:\-]{1,40})["']"""
)
_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:\-]{1,40})""", re.IGNORECASE)
# Labels that browsers (WHATWG Encoding) read as windows-1252, a superset of Latin-1.
_AS_CP1252 = frozenset({"ascii", "latin-1", "iso8859-1"})
# Never decode as UTF-7: it can smuggle markup past byte-level checks.
_REFUSED_CODECS = frozenset({"utf-7"})
_C0_FORBIDDEN = bytes(c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D))
_C0_RUN = re.compile(b"[" + re.escape(_C0_FORBIDDEN) + b"]")
_C0_PICTURES = {bytes([c]): chr(0x2400 + c).encode() for c in _C0_FORBIDDEN}


def _declared_encoding(data: bytes, content_type: str | None) -> tuple[str, int]:
    """(encoding label, BOM length) for an XML document."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name, len(bom)
    # No BOM: '<' as UTF-16 has a zero byte beside it.
    if data[:2] == b"<\x00":
        return "utf-16-le", 0
    if data[:2] == b"\x00<":
        return "utf-16-be", 0
    match = _XML_DECL_ENCODING.match(data[:300])
    if match:
        return match.group(1).decode("ascii"), 0
    if content_type:
        match = _CHARSET.search(content_type)
        if match:
            return match.group(1), 0
    return "utf-8", 0


def _codec(label: str, warnings: list[str]) -> str:
    try:
        name = codecs.lookup(label).name
    except LookupError:
        name = ""
    if (
        not name
        or name in _REFUSED_CODECS
        or not getattr(codecs.lookup(name), "_is_text_encoding", True)
    ):
        warnings.append(f"unknown encoding {clean_line(label, 40)!r}; read as UTF-8")
        return "utf-8"
    return "cp1252" if name in _AS_CP1252 else name


def _to_utf8(data: bytes, content_type: str | None, warnings: list[str]) -> bytes:
    """The document as UTF-8 bytes, with undecodable bytes replaced by U+FFFD."""
    label, bom_length = _declared_encoding(data, content_type)
    codec = _codec(label, warnings)
    wide = codec.startswith(("utf-16", "utf-32"))
    if wide and not bom_length and b"\x00" not in data[:2]:
        codec = "utf-8"  # single-byte "<?xml" but a wide encoding declared: the label lies
    body = data[bom_length:] if bom_length else data
    replaced = "the feed has bytes that are not valid {}; they were replaced with �"
    if codec == "utf-8":
        try:
            body.decode("utf-8")  # the fast path: valid UTF-8 goes to lxml untouched
        except UnicodeDecodeError:
            warnings.append(replaced.format("UTF-8"))
            return body.decode("utf-8", "replace").encode("utf-8")
        return body
    try:
        text = body.decode(codec)
    except UnicodeDecodeError:
        warnings.append(replaced.format(codec))
        text = body.decode(codec, "replace")
    except LookupError:  # pragma: no cover - _codec already checked
        text = body.decode("utf-8", "replace")
    return text.encode("utf-8", "replace")


# ------------------------------------------------------------------ lxml set-up


class _NoExternalResolver(etree.Resolver):
    """Answers every external DTD/entity lookup with an empty document, so libxml2 never
    opens a file or a socket for one. Defence in depth: with load_dtd=False and no entity
    declarations libxml2 should never ask, but some option combinations make it load the
    external DTD anyway (see `_new_parser`)."""

    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:
        return self.resolve_string("", context)


def _new_parser() -> etree.XMLParser:
    parser = etree.XMLParser(
        encoding="utf-8",  # _to_utf8 already converted; overrides the XML declaration
        recover=True,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        # Not collect_ids=False: with it libxml2 opens the external DTD named in a DOCTYPE
        # despite load_dtd=False (seen with lxml 6.1 / libxml2 2.14 under strace).
    )
    parser.resolvers.add(_NoExternalResolver())
    return parser


class _Parsers(threading.local):
    """lxml parsers must not be shared between threads: one per thread."""

    def __init__(self) -> None:
        self.xml = _new_parser()


_PARSERS = _Parsers()


# A named reference other than XML's five. Feeds use HTML's (&nbsp; &eacute;) without
# declaring them; libxml2's recovery then garbles the rest of that text node ("&lt;b&gt;"
# after "&nbsp;" came out as "b"). We refuse declared entities, so every such name is
# undeclared: it becomes a character reference if HTML knows it, else literal text.
_UNDECLARED_ENTITY = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos);)([A-Za-z][A-Za-z0-9]{0,31});")
_CDATA_SECTION = re.compile(rb"(<!\[CDATA\[.*?(?:\]\]>|$))", re.S)


def _entity_replacement(match: re.Match[bytes]) -> bytes:
    name = match.group(1).decode("ascii")
    chars = html.entities.html5.get(name + ";")
    if chars is None:
        return b"&amp;" + match.group(1) + b";"
    return "".join(f"&#{ord(c)};" for c in chars).encode("ascii")


def _replace_undeclared_entities(payload: bytes) -> bytes:
    if _UNDECLARED_ENTITY.search(payload) is None:
        return payload
    # Text inside CDATA sections is literal already: leave it alone.
    parts = _CDATA_SECTION.split(payload)
    for index in range(0, len(parts), 2):
        parts[index] = _UNDECLARED_ENTITY.sub(_entity_replacement, parts[index])
    return b"".join(parts)


NOT_WELL_FORMED = "the feed is not well-formed XML; it was read leniently and may be incomplete"


def _parse_xml_tree(payload: bytes, warnings: list[str]) -> Any:
    if b"<!ENTITY" in payload and b"<!DOCTYPE" in payload:
        raise FeedParseError(
            "the document declares XML entities (possible entity-expansion attack); refused"
        )
    if len(payload.translate(None, _C0_FORBIDDEN)) != len(payload):
        payload = _C0_RUN.sub(lambda m: _C0_PICTURES[m.group()], payload)
    payload = _replace_undeclared_entities(payload)
    parser = _PARSERS.xml
    try:
        root = etree.fromstring(payload, parser)
    except etree.XMLSyntaxError as exc:
        raise FeedParseError(f"the document is not readable XML ({clean_line(exc, 120)})") from None
    if root is None:
        raise FeedParseError("the document is empty or is not XML")
    if any(entry.level >= etree.ErrorLevels.ERROR for entry in parser.error_log):
        warnings.append(NOT_WELL_FORMED)
    return root


# ------------------------------------------------------------------ element helpers


def _text(el: Any) -> str:
    """All text inside an element (children's text too, for sloppy feeds)."""
    if len(el) == 0:
        return el.text or ""
    return "".join(t for t in el.itertext() if isinstance(t, str))


_XMLNS_ATTR = re.compile(r'\sxmlns(?::[\w.-]+)?="[^"]*"')


def _markup(el: Any) -> str:
    """An element's content as markup: its text if it has no children (escaped or CDATA
    HTML, the normal case), else the serialised children (inline XHTML)."""
    if len(el) == 0:
        return el.text or ""
    parts = [el.text or ""]
    for child in el:
        parts.append(etree.tostring(child, encoding="unicode", with_tail=True))
    return _XMLNS_ATTR.sub("", "".join(parts))


def _local(tag: str) -> tuple[str, str]:
    """('{ns}', 'local') for a Clark-notation tag."""
    if tag[:1] == "{":
        ns, _, local = tag[1:].partition("}")
        return "{" + ns + "}", local
    return "", tag


def _rebase(el: Any, base: str | None) -> str | None:
    """`base` moved by the element's xml:base attribute, if it has a usable one."""
    xml_base = el.get(XML_BASE)
    if not xml_base:
        return base
    return link_or_empty(xml_base.strip(), base) or base


def _atom_text(el: Any) -> tuple[str, bool]:
    """(value, is_html) of an Atom text construct (also Atom 0.3 `mode`)."""
    kind = (el.get("type") or "text").strip().lower()
    mode = (el.get("mode") or "").strip().lower()
    if kind in ("xhtml", "application/xhtml+xml") or mode == "xml":
        children = [c for c in el if isinstance(c.tag, str)]
        if len(children) == 1 and children[0].tag == XHTML + "div":
            return _markup(children[0]), True
        return _markup(el), True
    if mode == "base64" or el.get("src") is not None:
        return "", False  # out-of-line or binary content: not shown
    if kind in ("html", "text/html") or mode == "escaped":
        return _markup(el), True
    if kind in ("text", "text/plain") or kind.startswith("text/"):
        return _text(el), False
    return "", False  # other media types


def _atom_body(el: Any) -> str:
    value, is_html = _atom_text(el)
    if not value.strip():
        return ""
    return value if is_html else text_to_html(value)


def _atom_link(entry: Any, prefix: str, base: str | None) -> tuple[str, str | None]:
    """(href, base) of the entry's alternate link: rel="alternate" or no rel."""
    for link in entry.iterchildren(prefix + "link"):
        rel = (link.get("rel") or "alternate").strip().lower()
        href = link.get("href")
        if rel == "alternate" and href and href.strip():
            return href, _rebase(link, base)
    return "", base


def _atom_author(el: Any, prefix: str) -> str:
    for author in el.iterchildren(prefix + "author"):
        for name in author.iterchildren(prefix + "name"):
            value = _text(name).strip()
            if value:
                return value
        if len(author) == 0 and author.text and author.text.strip():
            return author.text  # sloppy: <author>Name</author>
    return ""


# ------------------------------------------------------------------ Atom


def _parse_atom(root: Any, prefix: str, url: str | None) -> tuple[str, str, list[Any], Any]:
    feed_base = _rebase(root, url)
    title = ""
    for el in root.iterchildren(prefix + "title"):
        value, is_html = _atom_text(el)
        title = html_to_line(value) if is_html else value
        break
    site_href, site_base = _atom_link(root, prefix, feed_base)
    site_url = link_or_empty(site_href.strip(), site_base)
    feed_author = _atom_author(root, prefix)
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
    }

    def raw_items() -> Any:
        for entry in entries:
            base = _rebase(entry, feed_base)
            item = RawItem(base=base)
            published = updated = ""
            content = summary = ""
            for child in entry:
                tag = child.tag
                if not isinstance(tag, str):
                    continue
                field = fields.get(tag)
                if field is None:
                    continue
                if field == "id":
                    item.guid = item.guid or _text(child)
                elif field == "title":
                    if not item.title:
                        item.title, item.title_is_html = _atom_text(child)
                elif field == "content":
                    content = content or _atom_body(child)
                elif field == "summary":
                    summary = summary or _atom_body(child)
                elif field == "published":
                    published = published or _text(child).strip()
                else:
                    updated = updated or _text(child).strip()
            item.link, item.base = _atom_link(entry, prefix, base)
            item.author = _atom_author(entry, prefix) or feed_author
            item.date = published or updated
            item.body_html = content or summary
            yield item

    return title, site_url, entries, raw_items()


# ------------------------------------------------------------------ RSS

_RSS_FIELDS: dict[str, str] = {
    "title": "title",
    "link": "link",
    "guid": "guid",
    "pubDate": "date",
    "description": "description",
    "author": "author",
    DC + "title": "title",
    DC + "date": "date",
    DC + "creator": "creator",
    DC + "identifier": "guid",
    CONTENT + "encoded": "content",
    ATOM + "link": "atom_link",
    ATOM + "published": "date",
    ATOM + "updated": "date",
    ATOM + "id": "guid",
    ATOM + "content": "atom_content",
    ATOM + "summary": "atom_summary",
    ATOM + "author": "atom_author",
    XHTML + "body": "xhtml_body",
}
_RSS_LOCAL_FIELDS = {local: field for local, field in _RSS_FIELDS.items() if "{" not in local}
# Every tag that names a field: the plain RSS 2.0 names also count in the RSS 1.0 and 0.90
# namespaces. One dict look-up per child instead of splitting its namespace off.
_RSS_ALL_FIELDS: dict[str, str] = {
    **_RSS_FIELDS,
    **{ns + local: field for ns in (RSS10, RSS090) for local, field in _RSS_LOCAL_FIELDS.items()},
}
# "Name <mail>" is rare; RSS 2.0 says "mail (Name)".
_RSS_AUTHOR = re.compile(r"^\s*\S+@\S+\s*\((.+)\)\s*$")


def _rss_item(el: Any, base: str | None) -> RawItem:
    item = RawItem(base=_rebase(el, base))
    found: dict[str, Any] = {}
    # The text of each childless field element, read once: lxml decodes `.text` anew on
    # every access, and a body can be many kilobytes.
    texts: dict[str, str] = {}
    for child in el:
        field = _RSS_ALL_FIELDS.get(child.tag)  # comments have a function as tag: None
        if field is None:
            continue
        if field == "atom_link":
            rel = (child.get("rel") or "alternate").strip().lower()
            if rel != "alternate" or not (child.get("href") or "").strip():
                continue
            found.setdefault(field, child)
            continue
        if field in found:
            continue  # the first non-empty occurrence of each field wins
        if len(child) == 0:
            value = child.text or ""
            if not value.strip():
                continue
            texts[field] = value
        found[field] = child

    def text_of(field: str) -> str:
        value = texts.get(field)
        return _text(found[field]) if value is None else value

    if "title" in found:
        item.title = text_of("title")
    if "link" in found:
        item.link = text_of("link")
    elif "atom_link" in found:
        item.link = found["atom_link"].get("href") or ""
    if "guid" in found:
        guid = found["guid"]
        item.guid = text_of("guid")
        if (guid.get("isPermaLink") or "true").strip().lower() != "false":
            item.permalink = item.guid.strip()
    elif RDF + "about" in el.attrib:
        item.guid = el.get(RDF + "about") or ""  # RSS 1.0 names each item by URI
    if "creator" in found:
        item.author = text_of("creator")
    elif "author" in found:
        author = text_of("author")
        match = _RSS_AUTHOR.match(author)
        item.author = match.group(1) if match else author
    elif "atom_author" in found:
        item.author = _atom_author(el, ATOM)
    if "date" in found:
        item.date = text_of("date").strip()
    for field in ("content", "xhtml_body", "atom_content", "description", "atom_summary"):
        if field in found:
            if field.startswith("atom_"):
                body = _atom_body(found[field])
            else:
                # `_markup` of a childless element is its text.
                body = texts.get(field)
                if body is None:
                    body = _markup(found[field])
            if body.strip():
                item.body_html = body
                break
    return item


def _parse_rss(root: Any, url: str | None) -> tuple[str, str, list[Any], Any]:
    channel = None
    for child in root:
        if isinstance(child.tag, str) and _local(child.tag)[1] == "channel":
            channel = child
            break
    title = site_link = ""
    base = _rebase(root, url)
    if channel is not None:
        base = _rebase(channel, base)
        for child in channel:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            ns, local = _local(tag)
            if ns not in _RSS_NAMESPACES:
                continue
            if local == "title" and not title:
                title = _text(child)
            elif local == "link" and not site_link:
                site_link = _text(child).strip()
    site_url = link_or_empty(site_link, base)
    item_base = site_url or base
    # RSS 2.0 puts items in the channel; RSS 1.0 (and some broken 2.0) beside it.
    item_tags = ("item", RSS10 + "item", RSS090 + "item")
    items = list(root.iterchildren(*item_tags))
    if channel is not None:
        items = list(channel.iterchildren(*item_tags)) + items
    return title, site_url, items, (_rss_item(el, item_base) for el in items)


# ------------------------------------------------------------------ entry points


def _skip_bom_and_space(data: bytes) -> bytes:
    head = data[:1024]
    for bom, name in _BOMS:
        if head.startswith(bom):
            head = head[len(bom) :]
            if name != "utf-8":
                head = head.decode(name, "replace").encode("utf-8", "replace")
            break
    return head.lstrip(b" \t\r\n\x0c")


def _kind(data: bytes, content_type: str | None) -> str | None:
    head = _skip_bom_and_space(data)
    if head.startswith(b"<") or head[:2] in (b"<\x00", b"\x00<"):
        return "xml"
    if head.startswith((b"{", b"[")):
        return "json"
    if content_type and "json" in content_type.lower():
        return "json"
    return None


def parse_feed(
    data: bytes,
    *,
    url: str,
    fetched_at: datetime,
    content_type: str | None = None,
    max_items: int = 5000,
) -> ParsedFeed:
    """Parse a fetched feed document. Raises only `FeedParseError` (see the module doc).

    `url` is the address the bytes came from (the base for relative links);
    `fetched_at` stands in for missing or absurd dates; `content_type` is the HTTP header,
    used only for its charset and as a hint, never trusted over the content itself.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        # Never accept a str: some parsers treat one as a URL or path to open.
        raise TypeError("parse_feed() takes the document as bytes")
    try:
        return _parse_feed(bytes(data), url, fetched_at, content_type, max_items)
    except FeedParseError:
        raise
    except RecursionError:
        raise FeedParseError("the document is nested too deeply to read") from None
    except MemoryError:
        raise FeedParseError("the document is too large to read") from None
    except Exception as exc:  # a bug or a case we did not foresee: still one feed's error
        raise FeedParseError(
            f"the feed could not be read ({type(exc).__name__}: {clean_line(exc, 120)})"
        ) from None


def _parse_feed(
    data: bytes, url: str, fetched_at: datetime, content_type: str | None, max_items: int
) -> ParsedFeed:
    if len(data) > MAX_FEED_BYTES:
        raise FeedParseError(f"the document is larger than {MAX_FEED_BYTES // 2**20} MiB; refused")
    fetched_at = as_utc(fetched_at)
    base = link_or_empty(url) or None
    warnings: list[str] = []
    kind = _kind(data, content_type)
    if kind is None:
        if not data.strip():
            raise FeedParseError("the document is empty")
        raise FeedParseError("the document is neither XML nor JSON, so it is not a feed")
    if kind == "json":
        return parse_json_feed(
            data, url=base or "", fetched_at=fetched_at, max_items=max_items, warnings=warnings
        )

    root = _parse_xml_tree(_to_utf8(data, content_type, warnings), warnings)
    tag = root.tag if isinstance(root.tag, str) else ""
    ns, local = _local(tag)
    if local == "feed" and ns in (ATOM, ATOM03, ""):
        title, site_url, elements, items = _parse_atom(root, ns, base)
    elif (local == "rss" and ns == "") or (local == "RDF" and ns == RDF):
        title, site_url, elements, items = _parse_rss(root, base)
    elif local.lower() == "html":
        raise FeedParseError("this is a web page (HTML), not a feed")
    else:
        raise FeedParseError(
            f"the document is XML but not a feed (its root element is <{clean_line(local, 40)}>)"
        )
    parsed = build_feed(
        title=title,
        site_url=site_url,
        items=items,
        total=len(elements),
        fetched_at=fetched_at,
        max_items=max_items,
        warnings=warnings,
    )
    if NOT_WELL_FORMED in warnings:
        parsed = replace(parsed, incomplete=NOT_WELL_FORMED)
    return parsed


_FEED_ROOT = re.compile(rb"\s*<(?:[A-Za-z_][\w.-]*:)?(rss|RDF|feed)[\s>/]")
_PROLOG_SKIP = re.compile(
    rb"\s*(?:<\?[^>]{0,500}\?>|<!--.{0,2000}?-->|<!DOCTYPE[^>\[]{0,500}>)", re.S
)
# A DOCTYPE with an internal subset (`<!DOCTYPE rss [ ... ]>`) that names a feed root: the
# subset can be longer than the sniffed head, so the DOCTYPE's name decides. Such a
# document counts as a feed here so that `parse_feed` gives the real reason (entity
# declarations are refused) instead of "this is not a feed".
_FEED_DOCTYPE = re.compile(rb"\s*<!DOCTYPE\s+(?:[A-Za-z_][\w.-]*:)?(rss|RDF|feed)[\s\[>]")


def looks_like_feed(data: bytes) -> bool:
    """A cheap sniff: does `data` start like an RSS/Atom document or a JSON Feed?"""
    try:
        head = _skip_bom_and_space(bytes(data[:4096]))
        if head.startswith(b"{"):
            return b"jsonfeed.org/version" in data[:65536]
        if not head.startswith(b"<"):
            return False
        position = 0
        while match := _PROLOG_SKIP.match(head, position):
            if match.end() == position:
                break
            position = match.end()
        if _FEED_DOCTYPE.match(head, position):
            return True
        return _FEED_ROOT.match(head, position) is not None
    except Exception:  # a sniff never fails loudly
        return False


# ------------------------------------------------------------------ discovery

_FEED_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/feed+json", "application/json"}
)


class _LinkFinder(HTMLParser):
    def __init__(self, base_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base_url
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "base" and not self.hrefs:
            href = dict(attrs).get("href")
            if href:
                self.base = link_or_empty(href.strip(), self.base) or self.base
        elif tag == "link":
            values = {name: value or "" for name, value in attrs}
            rels = values.get("rel", "").lower().split()
            kind = values.get("type", "").split(";")[0].strip().lower()
            href = values.get("href", "").strip()
            if "alternate" in rels and kind in _FEED_TYPES and href:
                self.hrefs.append(href)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def discover_feed_links(html: bytes, base_url: str) -> list[str]:
    """Feed URLs an HTML page advertises with <link rel="alternate" type=...>.

    Resolved against the page's <base href> or `base_url`, only http(s) (per
    `text.safe_link`), without duplicates, in document order. Never raises.
    """
    try:
        head = bytes(html[:MAX_HTML_BYTES])
        match = re.search(
            rb"""<meta[^>]{0,200}charset\s*=\s*["']?([A-Za-z0-9._:\-]{1,40})""", head[:4096], re.I
        )
        encoding = "utf-8"
        if match:
            try:
                encoding = codecs.lookup(match.group(1).decode("ascii")).name
            except LookupError:
                encoding = "utf-8"
            if encoding in _REFUSED_CODECS or encoding.startswith(("utf-16", "utf-32")):
                encoding = "utf-8"  # a meta tag readable as ASCII cannot really be UTF-16
        try:
            text = head.decode(encoding, "replace")
        except LookupError:
            text = head.decode("utf-8", "replace")
        finder = _LinkFinder(link_or_empty(base_url) or "")
        finder.feed(text)
        finder.close()
        found: list[str] = []
        for href in finder.hrefs:
            link = link_or_empty(href, finder.base or None)
            if link and link not in found:
                found.append(link)
        return found
    except Exception:
        return []
