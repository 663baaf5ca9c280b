"""XML feed documents: bytes -> a safe lxml tree, and the element helpers every reader uses.

Security rules (XML):

* The bytes are decoded first (BOM, else the XML declaration, else the HTTP charset,
  else UTF-8) and re-encoded as UTF-8, so every check below sees exactly what lxml sees.
  Undecodable bytes become U+FFFD and the feed gets a warning; nothing raises
  UnicodeDecodeError. Whitespace before the XML declaration (a common PHP mistake) is
  dropped rather than making the document "not well-formed".
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
"""

from __future__ import annotations

import codecs
import html
import html.entities
import re
import threading
from typing import Any

from lxml import etree

from tui_reader.text import clean_line

from .common import FeedParseError, link_or_empty

ATOM = "{http://www.w3.org/2005/Atom}"
ATOM03 = "{http://purl.org/atom/ns#}"
RSS10 = "{http://purl.org/rss/1.0/}"
RSS090 = "{http://my.netscape.com/rdf/simple/0.9/}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
DC = "{http://purl.org/dc/elements/1.1/}"
DCTERMS = "{http://purl.org/dc/terms/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
XHTML = "{http://www.w3.org/1999/xhtml}"
MEDIA = "{http://search.yahoo.com/mrss/}"
ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"

# ------------------------------------------------------------------ decoding

BOMS = (
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
REFUSED_CODECS = frozenset({"utf-7"})
_C0_FORBIDDEN = bytes(c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D))
_C0_RUN = re.compile(b"[" + re.escape(_C0_FORBIDDEN) + b"]")
_C0_PICTURES = {bytes([c]): chr(0x2400 + c).encode() for c in _C0_FORBIDDEN}


def _declared_encoding(data: bytes, content_type: str | None) -> tuple[str, int]:
    """(encoding label, BOM length) for an XML document."""
    for bom, name in BOMS:
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
        or name in REFUSED_CODECS
        or not getattr(codecs.lookup(name), "_is_text_encoding", True)
    ):
        warnings.append(f"unknown encoding {clean_line(label, 40)!r}; read as UTF-8")
        return "utf-8"
    return "cp1252" if name in _AS_CP1252 else name


def to_utf8(data: bytes, content_type: str | None, warnings: list[str]) -> bytes:
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


def parse_xml_tree(payload: bytes, warnings: list[str]) -> Any:
    if b"<!ENTITY" in payload and b"<!DOCTYPE" in payload:
        raise FeedParseError(
            "the document declares XML entities (possible entity-expansion attack); refused"
        )
    if payload[:1].isspace():
        # "\n<?xml ...?>": libxml2 calls a declaration after anything not well-formed.
        payload = payload.lstrip()
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


def text_of(el: Any) -> str:
    """All text inside an element (children's text too, for sloppy feeds)."""
    if len(el) == 0:
        return el.text or ""
    return "".join(t for t in el.itertext() if isinstance(t, str))


_XMLNS_ATTR = re.compile(r'\sxmlns(?::[\w.-]+)?="[^"]*"')


def markup_of(el: Any) -> str:
    """An element's content as markup: its text if it has no children (escaped or CDATA
    HTML, the normal case), else the serialised children (inline XHTML)."""
    if len(el) == 0:
        return el.text or ""
    parts = [el.text or ""]
    for child in el:
        parts.append(etree.tostring(child, encoding="unicode", with_tail=True))
    return _XMLNS_ATTR.sub("", "".join(parts))


def xhtml_markup(el: Any) -> str:
    """An element's content as HTML, its own text escaped: for XHTML, where the text
    `&lt;3` is the characters "<3" and must stay text, never become markup."""
    parts = [html.escape(el.text or "", quote=False)]
    for child in el:
        if isinstance(child.tag, str):
            parts.append(etree.tostring(child, encoding="unicode", with_tail=True))
        elif child.tail:
            parts.append(html.escape(child.tail, quote=False))
    return _XMLNS_ATTR.sub("", "".join(parts))


def local_name(tag: str) -> tuple[str, str]:
    """('{ns}', 'local') for a Clark-notation tag."""
    if tag[:1] == "{":
        ns, _, local = tag[1:].partition("}")
        return "{" + ns + "}", local
    return "", tag


def rebase(el: Any, base: str | None) -> str | None:
    """`base` moved by the element's xml:base attribute, if it has a usable one."""
    xml_base = el.get(XML_BASE)
    if not xml_base:
        return base
    return link_or_empty(xml_base.strip(), base) or base
