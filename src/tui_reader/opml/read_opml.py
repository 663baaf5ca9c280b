"""OPML 1.0/2.0 import: a SAX handler with an explicit stack (no tree, no recursion)."""

from __future__ import annotations

import re
import xml.sax
import xml.sax.handler
import xml.sax.xmlreader

import defusedxml
import defusedxml.sax

from ..text import clean_line, is_command_url
from .common import (
    MAX_FOLDER_DEPTH,
    MAX_INPUT_BYTES,
    ImportFormatError,
    ImportPlan,
    _clean_name,
    _Collector,
    _depth_note,
    _folder_name,
    _site_url,
    _too_big,
    _where_outline,
)

# Per-element flags on the explicit stack (one byte per open element).
_OTHER = 0  # not an outline, or an outline that is not a folder candidate
_FOLDER = 1  # outline without a feed address: a folder if it turns out to have children
_PUSHED = 2  # this folder added a level to the category path
_HAS_CHILD = 4  # an outline was seen inside this outline
_OUTLINE = 8  # the element is an <outline>
_CAPPED = 16  # a named folder below the depth cap: merged into its ancestor's path


class _NotOpml(Exception):
    def __init__(self, root: str) -> None:
        super().__init__(root)
        self.root = root


class _OpmlHandler(xml.sax.handler.ContentHandler):
    """SAX handler: the document is never held as a tree, so depth costs one byte."""

    def __init__(self, collector: _Collector) -> None:
        super().__init__()
        self.collector = collector
        self.locator: xml.sax.xmlreader.Locator | None = None
        self.stack = bytearray()
        self.body_depth = 0  # stack depth of the open <body>, 0 when outside it
        self.path: list[str] = []  # category path of the open folders, at most 16 names
        self.merged_folders = 0
        self.outline_count = 0
        # Label and line of the most recent outline start: an outline is only refused for
        # having no children when its end follows its own start directly.
        self.last_label = ""
        self.last_line = 0

    def setDocumentLocator(self, locator: xml.sax.xmlreader.Locator) -> None:
        self.locator = locator

    def _line(self) -> int:
        if self.locator is None:
            return 0
        return self.locator.getLineNumber() or 0

    def startElement(self, name: str, attrs: xml.sax.xmlreader.AttributesImpl) -> None:
        local = name.rpartition(":")[2].lower()
        if not self.stack:
            if local != "opml":
                raise _NotOpml(name)
            self.stack.append(_OTHER)
            return
        if local == "body" and len(self.stack) == 1 and not self.body_depth:
            self.stack.append(_OTHER)
            self.body_depth = len(self.stack)
            return
        if local != "outline" or not self.body_depth:
            self.stack.append(_OTHER)
            return
        parent = self.stack[-1]
        if parent & _OUTLINE:
            self.stack[-1] = parent | _HAS_CHILD
        self.stack.append(self._outline(attrs))

    def _outline(self, attrs: xml.sax.xmlreader.AttributesImpl) -> int:
        self.outline_count += 1
        # Attribute names vary in case between exporters (xmlUrl, xmlurl, XMLURL).
        values: dict[str, str] = {}
        for key in attrs.getNames():
            values.setdefault(key.lower(), attrs.getValue(key))
        kind = values.get("type", "").strip().lower()
        title = values.get("title", "")
        text = values.get("text", "")
        line = self._line()
        label = _clean_name(title) or _clean_name(text)
        where = _where_outline(label, line)
        self.last_label, self.last_line = label, line
        feed_url = values.get("xmlurl", "")
        if not feed_url.strip() and kind in ("rss", "atom"):
            feed_url = values.get("url", "")  # some old exporters put the feed here
        if kind in ("include", "link"):
            what = (
                "an OPML include (it pulls in another outline file)"
                if kind == "include"
                else "a link to another page or outline, not a feed"
            )
            self.collector.reject(where, f"{what}; it is never fetched")
            return _OUTLINE
        if is_command_url(feed_url):
            # An exec:/filter: outline (our own export writes them so): kept apart, and
            # imported only with --allow-commands (importing.py).
            self.collector.add_command(feed_url, (title, text), "/".join(self.path), where)
            return _OUTLINE
        if feed_url.strip():
            site = _site_url(values.get("htmlurl", ""))
            category = "/".join(self.path)
            self.collector.add_feed(feed_url, (title, text), category, where, site)
            return _OUTLINE
        name = _folder_name(title) or _folder_name(text)
        if not name:
            return _OUTLINE | _FOLDER
        if len(self.path) < MAX_FOLDER_DEPTH:
            self.path.append(name)
            return _OUTLINE | _FOLDER | _PUSHED
        return _OUTLINE | _FOLDER | _CAPPED

    def endElement(self, name: str) -> None:
        if not self.stack:  # pragma: no cover - the parser balances tags
            return
        flags = self.stack.pop()
        if len(self.stack) + 1 == self.body_depth:
            self.body_depth = 0
        if not flags & _FOLDER:
            return
        if flags & _PUSHED:
            self.path.pop()
        if not flags & _HAS_CHILD:
            where = _where_outline(self.last_label, self.last_line)
            self.collector.reject(where, "no feed address (the outline has no xmlUrl)")
        elif flags & _CAPPED:
            self.merged_folders += 1


class _QuietErrors(xml.sax.handler.ErrorHandler):
    """Raise on errors; the default handler prints warnings to stdout."""

    def warning(self, exception: Exception) -> None:
        return None


def parse_opml(data: bytes) -> ImportPlan:
    """Parse OPML 1.0/2.0 bytes into an `ImportPlan` (see the module docstring).

    Folders nested deeper than `MAX_FOLDER_DEPTH` (16) levels are merged into their
    16th-level ancestor's path, with a note. DTDs, entity declarations and external
    references are refused with `ImportFormatError`; nothing is ever opened or fetched.
    """
    if len(data) > MAX_INPUT_BYTES:
        raise ImportFormatError(_too_big(len(data)))
    collector = _Collector()
    handler = _OpmlHandler(collector)
    try:
        defusedxml.sax.parseString(data, handler, errorHandler=_QuietErrors(), forbid_dtd=True)
    except defusedxml.DTDForbidden:
        raise ImportFormatError(
            "the file declares a DTD (<!DOCTYPE …>); OPML never needs one, "
            "and it is refused because it can define entities"
        ) from None
    except defusedxml.EntitiesForbidden:
        raise ImportFormatError("the file defines XML entities, which are refused") from None
    except defusedxml.DefusedXmlException:
        raise ImportFormatError("the file refers to external XML resources") from None
    except _NotOpml as exc:
        root = clean_line(exc.root, 40)
        raise ImportFormatError(f"this is not an OPML file (its top element is <{root}>)") from None
    except xml.sax.SAXParseException as exc:
        message = clean_line(exc.getMessage(), 120)
        raise ImportFormatError(
            f"the file is not well-formed XML (line {exc.getLineNumber()}: {message})"
        ) from None
    except xml.sax.SAXException as exc:
        raise ImportFormatError(f"the file could not be read as XML ({exc})") from None
    except (LookupError, ValueError):
        # expat asks Python for any encoding it does not know itself: an unknown name
        # (LookupError), a non-text codec such as hex or rot13 (LookupError), a multi-byte
        # one such as utf-7 (ValueError) or idna (UnicodeError, a ValueError).
        raise ImportFormatError(_encoding_problem(data)) from None
    if handler.merged_folders:
        collector.notes.append(_depth_note(handler.merged_folders))
    if handler.outline_count == 0:
        collector.notes.append("The file has no outlines, so there is nothing to import.")
    return collector.plan("opml")


_DECLARED_ENCODING = re.compile(rb"""<\?xml[^>]{0,200}?encoding\s*=\s*["']([^"'>]{0,40})""")


def _encoding_problem(data: bytes) -> str:
    match = _DECLARED_ENCODING.search(data[:512])
    if match is None:
        return "the file's characters could not be decoded (save it as UTF-8)"
    name = clean_line(match.group(1).decode("latin-1"), 40)
    return (
        f"the file declares the character encoding {name!r}, which cannot be read here "
        "(save it as UTF-8)"
    )
