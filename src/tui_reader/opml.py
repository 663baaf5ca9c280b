"""Subscription lists in and out: OPML import/export and newsboat ``urls`` import.

Pure core: no Textual, no store, no network, no disk. Everything here works on bytes or
text the caller already has, and every string it produces has been through
`text.clean_line`, so the UI can show it as literal text.

Import (`read_subscriptions`, `parse_opml`, `parse_newsboat_urls`) returns an
`ImportPlan`: the subscriptions to add, the entries refused (each with where it was and
why, in plain words), how many duplicates were merged, and notes about anything capped.
Only a file that is unusable as a whole raises `ImportFormatError`.

The rules, documented for users:

* **Addresses.** A feed address must pass `text.normalize_feed_url` (absolute http/https
  with a host, a valid port, at most 4096 characters, not starting with ``-``); ``feed://``
  and ``feed:https://`` become https. On top of that an imported address is refused when it
  contains spaces, tabs or line breaks (rather than silently gluing the pieces together),
  or when it names a port that belongs to another protocol (the Fetch standard's "bad
  ports" such as 22/ssh or 25/smtp), so a hostile list cannot point the fetcher at a
  local mail or SSH server. Leading and trailing blanks are trimmed.
* **Credentials.** A ``user:password@`` part is kept in the subscription's URL (some feeds
  need HTTP authentication) but never appears in a `Rejected` entry, a note or a title:
  any ``//userinfo@`` in those strings is shown as ``//***@``.
* **Titles.** ``title``, else ``text``, else the address's host, sanitised with
  ``clean_line`` and cut to 300 characters.
* **Categories.** OPML folders (outlines without ``xmlUrl`` that have children) become
  the category path, nested folders joined with ``/`` (``Tech/Python``). A ``/`` inside a
  single folder name is replaced by ``∕`` (U+2215 DIVISION SLASH) so the path stays
  unambiguous; folder names are sanitised like titles, and unnamed folders add no level.
  Paths are capped at `MAX_FOLDER_DEPTH` (16) levels: deeper folders are merged into
  their 16th-level ancestor, and a note says so. In a newsboat file the first tag that is
  not a title (``~``) or hidden (``!``) tag is the category; a ``/`` in that tag is read
  as nesting, the same way the app displays categories. "" means uncategorised.
* **Duplicates.** Two entries are the same feed when `text.feed_url_key` matches
  (http/https, host case, default port and a trailing slash are ignored). The first one
  wins, with its title and category; the rest are counted in ``duplicates``.
* **Never fetched.** OPML ``type="include"`` and ``type="link"`` outlines, newsboat
  ``query:`` feeds and ``exec:``/``filter:`` lines are listed as refused; nothing is
  followed, run or downloaded.
* **Caps.** Files over `MAX_INPUT_BYTES` are refused; at most `MAX_ENTRIES` entries are
  looked at and at most `MAX_REJECTED_LISTED` refusals are listed individually (the rest
  are counted in a note).

Parsing never recurses: OPML is read with defusedxml's SAX parser (DTDs and entities are
refused) and the outline nesting is tracked with an explicit stack, and `export_opml`
writes the XML text in one loop, so a 100,000-level file cannot raise `RecursionError`.
"""

from __future__ import annotations

import io
import re
import xml.sax
import xml.sax.handler
import xml.sax.xmlreader
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit
from xml.sax.saxutils import escape, quoteattr

import defusedxml
import defusedxml.sax

from . import models
from .text import (
    UrlRejected,
    check_url,
    clean_line,
    feed_url_key,
    hide_userinfo,
    normalize_feed_url,
)

__all__ = [
    "MAX_ENTRIES",
    "MAX_FOLDER_DEPTH",
    "MAX_INPUT_BYTES",
    "MAX_REJECTED_LISTED",
    "MAX_TITLE_LENGTH",
    "ImportFormatError",
    "ImportPlan",
    "Rejected",
    "Subscription",
    "export_opml",
    "parse_newsboat_urls",
    "parse_opml",
    "read_subscriptions",
]

MAX_INPUT_BYTES = 8 * 1024 * 1024
MAX_FOLDER_DEPTH = 16
MAX_TITLE_LENGTH = 300
MAX_ENTRIES = 20_000
MAX_REJECTED_LISTED = 1_000
# A newsboat line longer than this is not a subscription anyone typed.
MAX_LINE_LENGTH = 16_384
# Labels inside `Rejected.where` are kept short: they only have to identify the entry.
_WHERE_LABEL_LENGTH = 80
_SHOWN_URL_LENGTH = 160

FOLDER_SLASH = "\u2215"  # DIVISION SLASH: looks like "/", but does not split the path


# --------------------------------------------------------------------------- public types


@dataclass(frozen=True, slots=True)
class Subscription:
    """One feed to subscribe to.

    `url` is normalised by `normalize_feed_url`; `category` is "" for uncategorised, else
    a folder path joined with "/". `site_url` is the OPML ``htmlUrl`` when it passes
    `check_url`, else "".
    """

    url: str
    title: str
    category: str
    site_url: str = ""


@dataclass(frozen=True, slots=True)
class Rejected:
    """An entry that was not imported. Both fields are sanitised and safe to print."""

    where: str  # 'outline "Foo" (line 12)' or 'line 7'
    reason: str


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """What an import would do; the caller decides and writes to the store."""

    subscriptions: tuple[Subscription, ...]
    rejected: tuple[Rejected, ...]
    duplicates: int
    notes: tuple[str, ...]


class ImportFormatError(Exception):
    """The file is unusable as a whole; `str(exc)` is a plain-words reason."""


# --------------------------------------------------------------------------- helpers

# Any "//userinfo@" (greedy up to the last "@" of the authority, like urlsplit) is hidden.
# A newsboat line "looks like" an entry when it starts with an address-like word, so that
# a JSON or text file is refused as a whole instead of producing a refusal per line.
_ENTRY_LIKE = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://|(?:feed|query|exec|filter):)", re.I)
# Characters XML 1.0 cannot carry even as references (clean_line already handles C0/C1).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _scrub(value: str) -> str:
    """Hide credentials in a string that will be shown (titles, reasons, notes)."""
    return hide_userinfo(value)


def _shown_url(raw: str) -> str:
    """A URL for messages: sanitised, shortened, without any credentials."""
    shown = check_url(raw[: _SHOWN_URL_LENGTH * 4]).shown
    return clean_line(_scrub(shown), _SHOWN_URL_LENGTH)


def _check_import_url(raw: str) -> str:
    """The URL to subscribe to, or `UrlRejected` with a plain-words reason."""
    return normalize_feed_url(raw.strip())


def _site_url(raw: str) -> str:
    """The OPML ``htmlUrl`` if it may be shown as a link, without any credentials."""
    if not raw:
        return ""
    url = check_url(raw).url
    # A home page link never needs a password, and it ends up on screen and in the browser.
    # Only an "@" in the authority is userinfo: Mastodon's "https://host/@name" has none.
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def _clean_name(value: object) -> str:
    return _scrub(clean_line(value, MAX_TITLE_LENGTH))


def _folder_name(value: object) -> str:
    return _clean_name(value).replace("/", FOLDER_SLASH)


def _where_outline(label: str, line: int) -> str:
    short = clean_line(label, _WHERE_LABEL_LENGTH)
    return f'outline "{short}" (line {line})' if short else f"outline (line {line})"


class _Collector:
    """Accumulates one import: dedup, caps, rejections and notes."""

    def __init__(self) -> None:
        self.subscriptions: list[Subscription] = []
        self.rejected: list[Rejected] = []
        self.rejected_unlisted = 0
        self.duplicates = 0
        self.entries = 0
        self.skipped_over_cap = 0
        self.notes: list[str] = []
        self._seen: set[str] = set()

    def _count_entry(self) -> bool:
        """False when the entry cap is reached (the entry is then only counted)."""
        if self.entries >= MAX_ENTRIES:
            self.skipped_over_cap += 1
            return False
        self.entries += 1
        return True

    def reject(self, where: str, reason: str) -> None:
        if not self._count_entry():
            return
        if len(self.rejected) >= MAX_REJECTED_LISTED:
            self.rejected_unlisted += 1
            return
        self.rejected.append(Rejected(where=_scrub(where), reason=_scrub(reason)))

    def add_feed(
        self,
        raw_url: str,
        titles: Sequence[object],
        category: str,
        where: str,
        site_url: str = "",
    ) -> None:
        try:
            url = _check_import_url(raw_url)
        except UrlRejected as exc:
            shown = _shown_url(raw_url)
            reason = clean_line(str(exc), 200)
            self.reject(where, f"{reason}: {shown}" if shown else reason)
            return
        if not self._count_entry():
            return
        key = feed_url_key(url)
        if key in self._seen:
            self.duplicates += 1
            return
        self._seen.add(key)
        title = ""
        for candidate in titles:
            title = _clean_name(candidate)
            if title:
                break
        if not title:
            title = _clean_name(urlsplit(url).hostname or url)
        self.subscriptions.append(Subscription(url, title, category, site_url))

    def plan(self) -> ImportPlan:
        notes = list(self.notes)
        if self.rejected_unlisted:
            notes.append(f"{self.rejected_unlisted} more refused entries are not listed.")
        if self.skipped_over_cap:
            notes.append(
                f"Only the first {MAX_ENTRIES} entries were read; "
                f"{self.skipped_over_cap} more were ignored."
            )
        return ImportPlan(
            subscriptions=tuple(self.subscriptions),
            rejected=tuple(self.rejected),
            duplicates=self.duplicates,
            notes=tuple(_scrub(note) for note in notes),
        )


def _depth_note(merged: int) -> str:
    return (
        f"{merged} folder(s) were nested deeper than {MAX_FOLDER_DEPTH} levels; "
        f"their feeds were put in their level-{MAX_FOLDER_DEPTH} folder."
    )


# --------------------------------------------------------------------------- OPML import

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
    return collector.plan()


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


def _too_big(size: int) -> str:
    return (
        f"the file is too large ({size // 1024} KiB; "
        f"subscription lists over {MAX_INPUT_BYTES // (1024 * 1024)} MiB are refused)"
    )


# --------------------------------------------------------------------------- newsboat

_TOKEN_BLANKS = " \t\r\f\v"


def _split_line(line: str) -> list[str] | None:
    """Split a newsboat line into words; ``"..."`` quotes, ``\\`` escapes inside quotes.

    Returns None for an unterminated quote. Unlike `shlex` it never raises, and ``'`` and
    ``\\`` outside quotes are ordinary characters (URLs contain them).
    """
    tokens: list[str] = []
    i, n = 0, len(line)
    while i < n:
        if line[i] in _TOKEN_BLANKS:
            i += 1
            continue
        buf: list[str] = []
        while i < n and line[i] not in _TOKEN_BLANKS:
            char = line[i]
            if char != '"':
                buf.append(char)
                i += 1
                continue
            i += 1
            while True:
                if i >= n:
                    return None
                char = line[i]
                if char == "\\" and i + 1 < n:
                    buf.append(line[i + 1])
                    i += 2
                elif char == '"':
                    i += 1
                    break
                else:
                    buf.append(char)
                    i += 1
        tokens.append("".join(buf))
    return tokens


def _category_from_tag(tag: str) -> tuple[str, bool]:
    """Category path for a newsboat tag and whether the depth cap merged levels."""
    names = [_folder_name(part) for part in tag.split("/")]
    names = [name for name in names if name]
    capped = len(names) > MAX_FOLDER_DEPTH
    return "/".join(names[:MAX_FOLDER_DEPTH]), capped


def _parse_newsboat(text: str) -> tuple[ImportPlan, int]:
    """The plan, and how many lines looked like entries (see `_ENTRY_LIKE`)."""
    collector = _Collector()
    entry_lines = 0
    hidden = 0
    capped = 0
    # Iterating a StringIO keeps one line in memory at a time; newline="\n" splits on
    # LF only, like newsboat (a stray CR or U+2028 stays inside its line).
    for number, raw_line in enumerate(io.StringIO(text, newline="\n"), start=1):
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        where = f"line {number}"
        if len(line) > MAX_LINE_LENGTH:
            collector.reject(where, f"the line is longer than {MAX_LINE_LENGTH} characters")
            continue
        tokens = _split_line(line)
        if tokens is None:
            collector.reject(where, 'a quote (") is not closed, so the line cannot be read')
            continue
        if not tokens or not tokens[0].strip():
            collector.reject(where, "no feed address")
            continue
        url, tags = tokens[0], tokens[1:]
        if _ENTRY_LIKE.match(url.strip()):
            entry_lines += 1
        lowered = url.strip().lower()
        if lowered.startswith("query:"):
            collector.reject(where, "newsboat query feed, not supported")
            continue
        if lowered.startswith(("exec:", "filter:")):
            collector.reject(where, "runs a command; never imported")
            continue
        title = next((tag[1:] for tag in tags if tag.startswith("~")), "")
        first_tag = next((tag for tag in tags if tag and tag[0] not in "~!"), "")
        category, was_capped = _category_from_tag(first_tag)
        capped += was_capped
        hidden += any(tag.startswith("!") for tag in tags)
        collector.add_feed(url, (title,), category, where)
    if hidden:
        collector.notes.append(
            f"{hidden} feed(s) were hidden in newsboat (a '!' tag); they are imported as "
            "ordinary feeds."
        )
    if capped:
        collector.notes.append(_depth_note(capped))
    return collector.plan(), entry_lines


def parse_newsboat_urls(text: str) -> ImportPlan:
    """Parse a newsboat ``urls`` file (see the module docstring); never raises.

    Each line is an address followed by optional tags, quoted with ``"`` when they contain
    blanks: ``"~Name"`` sets the title, ``"!tag"`` hides the feed in newsboat (ignored
    here), and the first other tag is the category. ``#`` starts a comment line.
    """
    return _parse_newsboat(text)[0]


# --------------------------------------------------------------------------- sniffing

_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def read_subscriptions(data: bytes, filename: str = "") -> ImportPlan:
    """Import a subscription list: OPML (anything that starts with ``<``) or newsboat.

    `filename` only sharpens the error message; the content decides the format.
    """
    if len(data) > MAX_INPUT_BYTES:
        raise ImportFormatError(_too_big(len(data)))
    head = data[:4096]
    stripped = head
    for bom in _BOMS:
        if stripped.startswith(bom):
            stripped = stripped[len(bom) :]
            break
    stripped = stripped.lstrip(b" \t\r\n")
    if not stripped:
        raise ImportFormatError("the file is empty")
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
    if stripped.startswith(b"<") or utf16:
        return parse_opml(data)
    if stripped.startswith((b"{", b"[")):
        raise ImportFormatError("this looks like JSON, not an OPML or newsboat urls file")
    if filename.lower().endswith((".opml", ".xml")):
        raise ImportFormatError("the file is named like OPML but does not contain XML")
    if b"\x00" in data:
        raise ImportFormatError("this is a binary file, not an OPML or newsboat urls file")
    try:
        text = data.decode("utf-8-sig")
        note = ""
    except UnicodeDecodeError:
        text = data.decode("utf-8-sig", errors="replace")
        note = "Some bytes were not valid UTF-8 and were replaced with \ufffd."
    plan, entry_lines = _parse_newsboat(text)
    if entry_lines == 0 and not plan.subscriptions:
        raise ImportFormatError(
            "this is neither an OPML file nor a newsboat urls file "
            "(no line starts with a feed address)"
        )
    if note:
        plan = ImportPlan(plan.subscriptions, plan.rejected, plan.duplicates, (*plan.notes, note))
    return plan


# --------------------------------------------------------------------------- export


def _xml_text(value: object) -> str:
    """Sanitised text that XML 1.0 can carry."""
    return _NOT_XML.sub("\ufffd", clean_line(value))


def _export_path(category: str) -> tuple[str, ...]:
    if not category or category == models.UNCATEGORIZED:
        return ()
    return tuple(name for name in (_xml_text(part) for part in category.split("/")) if name)


def export_opml(feeds: Iterable[models.Feed], title: str = "tui-reader subscriptions") -> bytes:
    """OPML 2.0 (UTF-8) for `feeds`; categories become nested folders split on ``/``.

    Uncategorised feeds (category "" or `models.UNCATEGORIZED`) sit at the top level.
    Folders keep the order in which their first feed appears. The text is built in one
    loop with an explicit list of open folders (no recursion), and every attribute goes
    through `quoteattr`, so titles with markup, ``&``, ``<`` or quotes survive a round trip
    through `read_subscriptions`.
    """
    ranks: dict[tuple[str, ...], int] = {}
    items: list[tuple[tuple[int, ...], tuple[str, ...], models.Feed]] = []
    for feed in feeds:
        path = _export_path(feed.category)
        key: list[int] = []
        for depth in range(1, len(path) + 1):
            key.append(ranks.setdefault(path[:depth], len(ranks)))
        items.append((tuple(key), path, feed))
    items.sort(key=lambda item: item[0])  # stable: feeds keep their order inside a folder

    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head>",
        f"    <title>{escape(_xml_text(title))}</title>",
        "  </head>",
        "  <body>",
    ]
    open_path: list[str] = []
    for _key, path, feed in items:
        common = 0
        while common < min(len(open_path), len(path)) and open_path[common] == path[common]:
            common += 1
        while len(open_path) > common:
            open_path.pop()
            out.append("    " + "  " * len(open_path) + "</outline>")
        for name in path[common:]:
            indent = "    " + "  " * len(open_path)
            out.append(f"{indent}<outline text={quoteattr(name)} title={quoteattr(name)}>")
            open_path.append(name)
        feed_title = _xml_text(feed.title)
        url = _xml_text(feed.url)
        attrs = [f"type={quoteattr('rss')}", f"text={quoteattr(feed_title or url)}"]
        if feed_title:
            attrs.append(f"title={quoteattr(feed_title)}")
        attrs.append(f"xmlUrl={quoteattr(url)}")
        site = _site_url(feed.site_url)
        if site:
            attrs.append(f"htmlUrl={quoteattr(site)}")
        out.append("    " + "  " * len(open_path) + f"<outline {' '.join(attrs)}/>")
    while open_path:
        open_path.pop()
        out.append("    " + "  " * len(open_path) + "</outline>")
    out += ["  </body>", "</opml>", ""]
    return "\n".join(out).encode("utf-8")
