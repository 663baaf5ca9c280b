"""Telling the user about new articles once a refresh or a sync is done (issue 18.5).

The config's `notify` chooses how, beyond the toast the reader always shows:

* `"none"` (the default, as in newsboat): nothing more.
* `"bell"`: the terminal's bell, while the reader is open but not focused.
* `"terminal"`: a desktop notification through the terminal (OSC 9 or OSC 777, see
  `terminal_protocol`), else the bell, while the reader is not focused.
* `"command"`: `notify_command` runs (in the reader whether focused or not, and after
  `tui-reader refresh`), with the new-article count, the number of feeds that have
  new articles, then up to `MAX_TITLES` titles as its arguments (`external.safe_argument`).

Nothing from a feed reaches a terminal escape: the terminal's notification says only
counts (`terminal_notice`). A title inside an OSC string could be cleaned of ESC, BEL,
C0 and C1 and of `;` (OSC 777's separator), but the notification would still show words
chosen by a stranger as if the system said them ("Session expired: run ..."); counts
say all a glance needs, and the reader shows the titles.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from .external import CommandError, command_words, run_command, safe_argument
from .wording import plural

if TYPE_CHECKING:
    from .feeds.refresh import RefreshSummary
    from .store import Store
    from .sync.engine import SyncReport

# Titles handed to notify_command after the two counts.
MAX_TITLES = 5

Protocol = Literal["osc9", "osc777", "bell"]


@dataclass(frozen=True, slots=True)
class NewArticles:
    """What a refresh or sync brought: `count` new articles in `feeds` feeds; `titles`,
    the first few of them, are raw feed text (cleaned where they are used)."""

    count: int
    feeds: int
    titles: tuple[str, ...] = ()

    def describe(self) -> str:
        """Plain words built from the counts only (no feed text)."""
        return f"{plural(self.count, 'new article')} in {plural(self.feeds, 'feed')}"


def collect_new_articles(
    store: Store,
    count: int,
    feed_ids: Iterable[str],
    since: datetime,
    *,
    feeds: int | None = None,
    limit: int = MAX_TITLES,
) -> NewArticles:
    """`count` new articles in the feeds `feed_ids` (`feeds`: how many feeds, when not
    one per id), with the titles of the first `limit` articles first stored at or after
    `since`, newest first within a feed. Only as many feeds as the titles need are read,
    unless the ignore rules hide some articles (`store.hidden`): those are neither
    counted nor named, as the reader neither counts nor shows them, and a feed whose
    new articles are all hidden is not counted either."""
    ids = list(feed_ids)
    hidden = store.hidden.snapshot()
    titles: list[str] = []
    hidden_new = quiet_feeds = 0
    for feed_id in ids:
        if len(titles) >= limit and not hidden:
            break
        fresh = [a for a in store.iter_feed_articles(feed_id) if a.fetched >= since]
        if hidden:
            shown = [a for a in fresh if a.id not in hidden]
            hidden_new += len(fresh) - len(shown)
            quiet_feeds += bool(fresh) and not shown
            fresh = shown
        fresh.sort(key=lambda a: a.published, reverse=True)
        titles.extend(a.title for a in fresh[: max(0, limit - len(titles))])
    total_feeds = len(ids) if feeds is None else feeds
    return NewArticles(max(0, count - hidden_new), max(0, total_feeds - quiet_feeds), tuple(titles))


def from_refresh(store: Store, summary: RefreshSummary, since: datetime) -> NewArticles:
    """The new articles of a refresh that started at `since`."""
    with_new = [o.feed_id for o in summary.outcomes if o.new]
    return collect_new_articles(store, summary.new_articles, with_new, since)


def from_sync(
    store: Store, report: SyncReport, since: datetime, local: RefreshSummary | None = None
) -> NewArticles:
    """The new articles of a sync that started at `since`, and of the refresh of the
    library's command feeds that followed it (`local`, `sync/local_feeds.py`)."""
    feed_ids = list(report.new_feeds)
    count = report.new
    if local is not None:
        feed_ids += [o.feed_id for o in local.outcomes if o.new and o.feed_id not in feed_ids]
        count += local.new_articles
    return collect_new_articles(store, count, feed_ids, since)


def should_notify(news: NewArticles, always: bool) -> bool:
    """newsboat's notify-always: tell even when nothing is new."""
    return news.count > 0 or always


# ---------------------------------------------------------------- notify_command


def command_argv(command: str, news: NewArticles) -> list[str]:
    """notify_command's argv: its own words, the count, the feeds, then the titles."""
    words = command_words(command, "notify_command")
    titles = [safe_argument(title) for title in news.titles[:MAX_TITLES]]
    return [*words, str(news.count), str(news.feeds), *[t for t in titles if t.strip()]]


def run_notify_command(command: str, news: NewArticles) -> None:
    """Run notify_command to its end; `CommandError` (one line) when it fails."""
    run_command(command_argv(command, news), "notify_command")


# ---------------------------------------------------------------- the terminal

# Terminals known to show OSC 9 as a desktop notification, by $TERM_PROGRAM.
_OSC9_PROGRAMS = frozenset({"iTerm.app", "WezTerm", "ghostty"})
# ... and OSC 777 ("notify;title;body"), by the start of $TERM: urxvt (its notify
# extension), foot, kitty (0.24 and later).
_OSC777_TERMS = ("rxvt", "foot", "xterm-kitty")


def terminal_protocol(env: Mapping[str, str]) -> Protocol:
    """How this terminal can show a notification, from its environment variables.

    Inside tmux or GNU screen the bell: it marks the window in their status line
    (newsboat's notify-screen did the same), and an OSC passes through tmux only with
    `allow-passthrough`. Windows Terminal has no notifications (its OSC 9 is ConEmu's
    progress and directory commands), so it rings too, as does every unknown terminal:
    a sequence it does not know would show nothing at all."""
    term = env.get("TERM", "")
    if env.get("TMUX") or env.get("STY") or term.startswith(("screen", "tmux")):
        return "bell"
    if env.get("TERM_PROGRAM", "") in _OSC9_PROGRAMS:
        return "osc9"
    if term.startswith(_OSC777_TERMS) or env.get("KITTY_WINDOW_ID"):
        return "osc777"
    return "bell"


def terminal_notice(mode: str, news: NewArticles, env: Mapping[str, str]) -> str:
    """What to write to the terminal for `news` in `mode` ("" for nothing). Built only
    from the counts and literals: no character of a feed is in it (module docstring)."""
    if mode == "bell":
        return "\a"
    if mode != "terminal":
        return ""
    protocol = terminal_protocol(env)
    text = news.describe()
    if protocol == "osc9":
        return f"\x1b]9;tui-reader: {text}\a"
    if protocol == "osc777":
        return f"\x1b]777;notify;tui-reader;{text}\a"
    return "\a"


# ---------------------------------------------------------------- checking the config


def command_problems(
    source: str, notify: str, notify_command: str, commands: Sequence[tuple[str, str]]
) -> list[str]:
    """What `config --check` and the reader say about these settings: `commands` are
    (setting, command line) pairs (notify_command, bookmark_command) to check."""
    problems: list[str] = []
    if notify == "command" and not notify_command.strip():
        problems.append(
            f'{source}: notify = "command" needs notify_command (e.g. '
            'notify_command = "notify-send tui-reader"); nothing runs.'
        )
    if notify_command.strip() and notify != "command":
        problems.append(
            f'{source}: notify_command is set but notify is "{notify}", so it never runs; '
            'add notify = "command".'
        )
    for setting, spec in commands:
        if not spec.strip():
            continue
        try:
            words = command_words(spec, setting)
        except CommandError as exc:
            problems.append(f"{source}: {exc}")
            continue
        if shutil.which(words[0]) is None:
            problems.append(f"{source}: {setting}: {words[0]!r} is not a program found on $PATH.")
    return problems
