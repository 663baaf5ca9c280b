"""The feeds of a bound library that no sync brings: `exec:` / `filter:` command feeds.

Their command is never sent to the server (`engine.SyncEngine._subscribe`), yet on a bound
library `r`, `R`, the periodic refresh and `tui-reader refresh` sync instead of fetching.
So after each sync the reader (`screens/main/syncing.py`) and the CLI (`cli_sync.py`)
refresh these feeds through the ordinary refresh (`feeds/refresh.py`), and the sync's
summary and notification include what they brought.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..text import is_command_url
from ..wording import plural

if TYPE_CHECKING:
    from ..feeds.refresh import RefreshSummary
    from ..models import Feed
    from ..store import Store


def command_feeds(store: Store) -> list[Feed]:
    """The library's command feeds (allowed or not: one not allowed fails, and says why,
    as in any refresh)."""
    return [feed for feed in store.feeds() if is_command_url(feed.url)]


def describe(summary: RefreshSummary) -> str:
    """The command feeds' refresh in one sentence, naming up to three that failed
    (raw feed titles: the caller cleans them where it shows them)."""
    count = plural(len(summary.outcomes), "command feed")
    words = f"Refreshed {count}: {summary.describe()}."
    failed = summary.failed
    if failed:
        names = ", ".join(o.title for o in failed[:3])
        more = f" and {len(failed) - 3} more" if len(failed) > 3 else ""
        words += f" Failed: {names}{more}."
    return words
