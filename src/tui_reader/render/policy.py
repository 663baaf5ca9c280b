"""What the renderer keeps, drops and escapes: limits, tag policy, escaping, and the
small helpers the converter and the preparation pass share. No Textual here."""

from __future__ import annotations

import re

from bs4 import Tag

MAX_DEPTH = 100  # element depth; markdownify recurses about 3 Python frames per level
MAX_BLOCK_NESTING = 6  # blockquotes + lists; markdown-it's gfm-like maxNesting is 20 tokens
MAX_LINKS = 1000
# The href of a link in the reading pane's Markdown: "#link-" and the link's number.
LINK_REF_PREFIX = "#link-"
MAX_IMAGES = 1000
MAX_ALT_CHARS = 200
MAX_COLSPAN = 20  # markdownify repeats " |" colspan times; 1000 would bloat every row

# lxml (libxml2) and never html.parser: on hostile input html.parser is quadratic (about
# 80 s for 200 KB of unclosed attributes, 10 s for 40,000 "<!--"), libxml2 takes
# milliseconds. lxml is a declared dependency of the app.
_PARSER = "lxml"


# --------------------------------------------------------------------------- tag policy

# Removed with everything inside them: active content, embedded documents, forms and
# non-content metadata (a full HTML document's <title> must not show up as body text).
_DROP = frozenset(
    {
        "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet",
        "param", "form", "input", "button", "select", "option", "optgroup", "textarea",
        "datalist", "noscript", "template", "head", "title", "meta", "link", "base",
        "svg", "canvas", "map", "area", "source", "track", "dialog", "portal", "slot",
        "noembed", "noframes", "xmp", "plaintext",
    }
)  # fmt: skip

# Tags markdownify may convert. Anything else is unwrapped (its text kept), and this stops
# a made-up tag name from reaching a `convert_<name>` method that was not meant for it.
_CONVERTED = frozenset(
    {
        "[document]", "a", "b", "strong", "i", "em", "u", "s", "del", "strike", "ins",
        "code", "kbd", "samp", "pre", "p", "div", "article", "section", "blockquote",
        "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd",
        "table", "caption", "tr", "td", "th", "img", "video", "audio", "q", "sub", "sup",
        "figcaption",
    }
)  # fmt: skip

_TABLE_PARTS = frozenset({"tr", "td", "th", "thead", "tbody", "tfoot", "caption"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_DIMENSION = re.compile(r"\s*(\d{1,6})")
_STYLE_DIMENSION = re.compile(r"(?:^|;)\s*(width|height)\s*:\s*(\d{1,6})(?:\.\d*)?\s*px", re.I)

# --------------------------------------------------------------------------- escaping

# Escaped on top of markdownify's escape_misc set:
# * characters linkify builds links from. Escaping them splits the text into separate
#   tokens before linkify runs, so `http://x`, `ftp://x`, `//x`, `a@b.example` and
#   `www.x.example` stay text (markdown-it joins the pieces back after linkify). Every
#   dot not followed by a space is escaped: `1$.ba` is a link to linkify;
# * "!", which would turn a link we emit right after the text into an image.
_EXTRA_ESCAPES = re.compile(r"[:@!]|(?<=/)/|\.(?=\S)")
# Every ASCII punctuation character: escaping all of them makes any text inert Markdown.
_ALL_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")
_WS = re.compile(r"\s+")
_BACKTICKS = re.compile(r"`+")

# Stands for a <br> until the end, when we know whether a hard break is meaningful there
# (a trailing backslash at the end of a block would display as a literal "\"). Text nodes
# cannot contain it: they went through clean_text, which makes NUL visible.
_BR = "\x00"
# Marks both ends of every code span. Two spans side by side would otherwise merge their
# delimiters into one longer backtick run, and the spans would no longer close.
_CODE_EDGE = "\x01"

# Converters that wrap or reflow their content, so a fenced block cannot live inside them.
_WRAPPING = frozenset(
    {"_inline", "a", "b", "strong", "i", "em", "del", "s", "strike", "code", "kbd", "samp",
     "q", "sub", "sup", "dt"}
)  # fmt: skip


def _strict_escape(value: str) -> str:
    """One line of plain text as inert Markdown: whitespace collapsed, all punctuation escaped."""
    return _ALL_PUNCT.sub(r"\\\1", _WS.sub(" ", value).strip())


def _attr(el: Tag | None, name: str) -> str:
    if el is None:
        return ""
    value = el.get(name)
    if isinstance(value, list):  # multi-valued attributes such as class
        return " ".join(value)
    return value or ""


def _first_srcset(el: Tag) -> str:
    srcset = _attr(el, "srcset").strip()
    return srcset.split(",", 1)[0].strip().split(" ", 1)[0] if srcset else ""


_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def _unescape_md(value: str) -> str:
    """Link text for `Link.text`: the escaped Markdown turned back into what is displayed."""
    return _MD_ESCAPE.sub(r"\1", value)
