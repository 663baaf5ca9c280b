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
* **Never fetched.** OPML ``type="include"`` and ``type="link"`` outlines and newsboat
  ``query:`` feeds are listed as refused; nothing is followed, run or downloaded.
* **Commands.** ``exec:``/``filter:`` entries (newsboat lines, or OPML ``xmlUrl``s as our
  own export writes them) are checked (`feeds.command_url`) and kept apart in
  ``ImportPlan.commands``: the caller subscribes to them only if the user allows it at
  that moment (`importing.apply_import`); nothing is run here.
* **Caps.** Files over `MAX_INPUT_BYTES` are refused; at most `MAX_ENTRIES` entries are
  looked at and at most `MAX_REJECTED_LISTED` refusals are listed individually (the rest
  are counted in a note).

Parsing never recurses: OPML is read with defusedxml's SAX parser (DTDs and entities are
refused) and the outline nesting is tracked with an explicit stack, and `export_opml`
writes the XML text in one loop, so a 100,000-level file cannot raise `RecursionError`.

The pieces: `common.py` (the public types, limits and the collector every reader
shares), `read_opml.py`, `read_newsboat.py`, `read_any.py` (`read_subscriptions`, which
tells the two apart) and `write_opml.py`. Every public name is importable from here.
"""

from __future__ import annotations

from .common import (
    FOLDER_SLASH,
    MAX_ENTRIES,
    MAX_FOLDER_DEPTH,
    MAX_INPUT_BYTES,
    MAX_LINE_LENGTH,
    MAX_REJECTED_LISTED,
    MAX_TITLE_LENGTH,
    ImportFormatError,
    ImportPlan,
    PlannedCommand,
    Rejected,
    Subscription,
)
from .read_any import read_subscriptions
from .read_newsboat import parse_newsboat_urls
from .read_opml import parse_opml
from .write_opml import export_opml

__all__ = [
    "FOLDER_SLASH",
    "MAX_ENTRIES",
    "MAX_FOLDER_DEPTH",
    "MAX_INPUT_BYTES",
    "MAX_LINE_LENGTH",
    "MAX_REJECTED_LISTED",
    "MAX_TITLE_LENGTH",
    "ImportFormatError",
    "ImportPlan",
    "PlannedCommand",
    "Rejected",
    "Subscription",
    "export_opml",
    "parse_newsboat_urls",
    "parse_opml",
    "read_subscriptions",
]
