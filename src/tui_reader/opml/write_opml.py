"""OPML 2.0 export, written as text in one loop (no tree, no recursion)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from xml.sax.saxutils import escape, quoteattr

from .. import models
from ..text import clean_line, is_command_url
from .common import _site_url

# Characters XML 1.0 cannot carry even as references (clean_line already handles C0/C1).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


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
        # A command subscription is written exactly (no blanks collapsed: they can be
        # inside its quotes); our own import takes it back only with --allow-commands.
        if is_command_url(feed.url):
            url = _NOT_XML.sub("\ufffd", feed.url)
        else:
            url = _xml_text(_without_login(feed.url))
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


def _without_login(url: str) -> str:
    """`url` without a `user:password@` (a library from before `add` took them out):
    an exported list is shared and copied, a password must not travel with it."""
    if "@" not in url:
        return url
    from ..feeds.auth import split_login

    given = split_login(url)
    return given.url if given is not None else url
