"""Subcommands: the scripting interface (`list`, `mark`) and subscription management.

Output that contains feed text is printed as plain, sanitised text (Rich `Text`, never
markup). `list --json` and `mark` are a stable interface: see README "Scripting".

Each command imports what only it needs (rich, search, OPML) inside its function: a
`refresh` run from cron or a script should not pay for the others' imports.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import orjson

from .models import Article, ArticleMedia, Enclosure, Feed
from .paths import library_dir
from .store import LibraryCorrupt, LibraryLocked, Store, StoreError
from .text import clean_line, hide_userinfo
from .wording import plural

if TYPE_CHECKING:
    from rich.console import Console

    from .config import Config
    from .feeds.auth_login import Logins


class CommandError(Exception):
    """A command could not run; the message is for the user. Exit status 2."""


def _console(file: TextIO | None = None) -> Console:
    from rich.console import Console

    # emoji=False and markup=False: feed text like ":smile:" or "[bold]" prints as written.
    return Console(file=file or sys.stdout, emoji=False, markup=False, highlight=False)


def _err(message: str) -> None:
    from rich.text import Text

    _console(sys.stderr).print(Text(f"tui-reader: {message}"), soft_wrap=True)


@contextmanager
def open_store(
    args: argparse.Namespace, *, read_only: bool, lazy: bool = False, start_writer: bool = True
) -> Iterator[Store]:
    directory = library_dir(getattr(args, "db", None))
    try:
        store = Store.open(directory, read_only=read_only, lazy=lazy, start_writer=start_writer)
    except (LibraryLocked, LibraryCorrupt, StoreError) as exc:
        raise CommandError(str(exc)) from None
    try:
        if not read_only:
            _apply_config(args, store)
        yield store
    finally:
        try:
            store.close()
        except StoreError as exc:
            raise CommandError(str(exc)) from None


# Exit status of `list` and `feeds` when a damaged file left their output incomplete.
EXIT_PARTIAL = 1


def report_damage(store: Store, *, allow_partial: bool | None = None) -> int:
    """Say on stderr which of the library's files are damaged and how to recover.

    Every command that reads the library calls this before it exits; the reader shows
    the same warnings. `allow_partial` is for the commands whose output lists what the
    files hold (`list`, `feeds`): when something could not be read, they exit with
    `EXIT_PARTIAL` unless the user accepted a partial result. Returns the exit status.
    """
    if not store.warnings:
        return 0
    for warning in store.warnings:
        _err(warning)
    if store.read_only:
        _err(
            "To repair: run `tui-reader refresh` (or open the reader). It sets damaged "
            "files aside and fetches the lost articles again; read and starred marks in a "
            "damaged flags file are lost unless you put a copy of that file back first. A "
            "missing subscription comes back with `tui-reader restore-backup` (the last good "
            "library.json)."
        )
    else:
        _err(
            "The damaged files were set aside (named above); the next `tui-reader refresh` "
            "fetches the lost articles again."
        )
    if allow_partial is None or allow_partial:
        return 0
    _err(
        f"This output is incomplete (exit status {EXIT_PARTIAL}); "
        "--allow-partial accepts it (exit status 0)."
    )
    return EXIT_PARTIAL


def _apply_config(args: argparse.Namespace, store: Store) -> None:
    """A command that changes the library follows the config as the reader does
    (`keep_read_per_feed`); what is wrong in the file is said on stderr."""
    from .config import apply_to_store

    config = _loaded_config(args)
    for warning in config.warnings:
        _err(warning)
    apply_to_store(config, store)


def _apply_ignore_rules(args: argparse.Namespace, store: Store) -> None:
    """A reading command hides what the reader hides (the config's [[ignore]] rules);
    their problems are `config --check`'s to tell."""
    from .config import apply_to_store

    apply_to_store(_loaded_config(args), store)


def _loaded_config(args: argparse.Namespace) -> Config:
    """The config file, read once per command (kept on `args`)."""
    config = getattr(args, "loaded_config", None)
    if config is None:
        from .config import load_config
        from .paths import config_file

        config = args.loaded_config = load_config(config_file(getattr(args, "config", None)))
    return config


def _logins(args: argparse.Namespace) -> Logins | None:
    """The config's `[auth."..."]` logins, for the commands that fetch feeds (None when
    it has none: the login code is not even loaded)."""
    config = _loaded_config(args)
    if not (config.auth or config.allow_insecure_auth):
        return None
    from .feeds.auth_login import Logins

    return Logins.from_config(config)


def iso_utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def article_json(
    store: Store, article: Article, media: Mapping[str, ArticleMedia] | None = None
) -> dict[str, object]:
    """One line of `list --json` (README "Scripting"). `media`: the article's feed's
    `Store.media_of_feed`, when the caller has read it already."""
    feed = store.feed(article.feed_id)
    enclosures: tuple[Enclosure, ...] = ()
    if article.enclosure_count:
        if media is None:
            media = store.media_of_feed(article.feed_id)
        found = media.get(article.id)
        enclosures = found.enclosures if found else ()
    return {
        "id": article.id,
        "feed": feed.display_title if feed else "",
        "feed_id": article.feed_id,
        "feed_url": hide_userinfo(feed.url) if feed else "",  # see cmd_feeds
        "category": feed.category if feed else "",
        "title": article.title,
        "link": article.link,
        "author": article.author,
        "authors": list(article.authors),
        "published": iso_utc(article.published),
        "read": store.is_read(article.id),
        "starred": store.is_starred(article.id),
        "enclosures": [
            {"url": e.url, "type": e.mime_type, "length": e.length, "duration": e.duration}
            for e in enclosures
        ],
        # Downloaded enclosures (issue 18): state "done", "partial" or "failed".
        "downloads": [
            {"url": d.url, "path": d.path, "state": d.state, "size": d.size}
            for d in store.downloads.of_article(article.id)
        ],
    }


def cmd_list(args: argparse.Namespace) -> int:
    from . import clock
    from .query import QueryError, parse_query
    from .search import search

    query_text = " ".join(getattr(args, "query", None) or [])
    try:
        query = parse_query(query_text, clock.now())
    except QueryError as exc:
        raise CommandError(f"bad query: {exc}") from None
    with open_store(args, read_only=True) as store:
        show_all = getattr(args, "all", False)
        _apply_ignore_rules(args, store)
        articles = store.articles(
            unread_only=args.unread, starred_only=args.starred, include_hidden=show_all
        )
        if not query.is_empty:
            articles = search(store, query, articles)
        hidden = store.hidden.snapshot() if show_all else frozenset()
        out = sys.stdout
        if args.json:
            write = out.buffer.write if hasattr(out, "buffer") else None
            # Files are kept with the bodies: each feed that has any is read once, not
            # once per article (the list goes back and forth between feeds).
            media: dict[str, dict[str, ArticleMedia]] = {}

            def media_for(article: Article) -> Mapping[str, ArticleMedia]:
                if not article.enclosure_count:
                    return {}
                if article.feed_id not in media:
                    media[article.feed_id] = store.media_of_feed(article.feed_id)
                return media[article.feed_id]

            def json_line(a: Article) -> bytes:
                doc = article_json(store, a, media_for(a))
                if show_all:  # only then: the output without --all stays as it was
                    doc["hidden"] = a.id in hidden
                return orjson.dumps(doc, option=orjson.OPT_APPEND_NEWLINE)

            lines = (json_line(a) for a in articles)
            if write is not None:
                out.flush()
                for line in lines:
                    write(line)
                out.buffer.flush()
            else:
                for line in lines:
                    out.write(line.decode())
            return report_damage(store, allow_partial=args.allow_partial)
        feeds = {f.id: f for f in store.feeds()}
        rows = []
        for article in articles:
            feed = feeds.get(article.feed_id)
            mark = ("*" if store.is_starred(article.id) else " ") + (
                " " if store.is_read(article.id) else "N"
            )
            if show_all:  # a third column, H for hidden by an [[ignore]] rule
                mark += "H" if article.id in hidden else " "
            source = clean_line(feed.display_title if feed else "", 30)
            rows.append(
                f"{article.id}  {mark}  {article.published.astimezone().strftime('%Y-%m-%d %H:%M')}"
                f"  {source:<30}  {clean_line(article.title, 200)}"
            )
        if rows:
            out.write("\n".join(rows) + "\n")
            out.flush()
        return report_damage(store, allow_partial=args.allow_partial)


def cmd_mark(args: argparse.Namespace) -> int:
    with open_store(args, read_only=False) as store:
        unknown = [i for i in args.ids if store.article(i) is None]
        ids = [i for i in args.ids if store.article(i) is not None]
        if args.flag in ("read", "unread"):
            changed = store.set_read(ids, args.flag == "read")
        else:
            changed = store.set_starred(ids, args.flag == "star")
        store.flush()
        report_damage(store)
    for aid in unknown:
        _err(f"no article with id {clean_line(aid, 40)!r}")
    # "N changed, M already ..." is part of the scripting interface: only the word varies.
    print(f"{len(changed)} changed, {len(ids) - len(changed)} already {_ALREADY[args.flag]}")
    return 1 if unknown else 0


_ALREADY = {"read": "read", "unread": "unread", "star": "starred", "unstar": "unstarred"}


def feed_status(feed: Feed) -> str:
    if feed.last_error:
        return f"failing ({feed.failures}x): {feed.last_error}"
    if feed.last_success:
        return "ok"
    return "never fetched"


def cmd_feeds(args: argparse.Namespace) -> int:
    from rich.text import Text

    with open_store(args, read_only=True) as store:
        _apply_ignore_rules(args, store)  # the unread counts the reader shows
        unread = store.unread_counts_by_feed()
        totals = store.article_counts_by_feed()
        hidden = store.hidden.counts_by_feed()
        console = _console()
        for feed in store.feeds():
            hid, hidden_unread = hidden.get(feed.id, (0, 0))
            if args.json:
                print(
                    orjson.dumps(
                        {
                            "id": feed.id,
                            # A `user:password@` in a subscription is a secret: listings
                            # end up in terminals, scrollback and logs (OPML export drops it).
                            "url": hide_userinfo(feed.url),
                            "title": feed.display_title,
                            "category": feed.category,
                            # With the hidden ones, as always; the reader's are added.
                            "articles": totals.get(feed.id, 0),
                            "unread": unread.get(feed.id, 0) + hidden_unread,
                            "hidden": hid,
                            "unread_shown": unread.get(feed.id, 0),
                            "last_success": iso_utc(feed.last_success),
                            "last_error": feed.last_error,
                            "failures": feed.failures,
                        }
                    ).decode()
                )
                continue
            last = (
                feed.last_success.astimezone().strftime("%Y-%m-%d %H:%M")
                if feed.last_success
                else "never"
            )
            line = Text(
                f"{feed.category} / {feed.display_title}  "
                f"[{plural(totals.get(feed.id, 0), 'article')}, "
                f"{unread.get(feed.id, 0)} unread{f', {hid} hidden' if hid else ''}]  "
                f"last success: {last}  {feed_status(feed)}"
                f"\n    {hide_userinfo(feed.url)}"
            )
            console.print(line, soft_wrap=True)
        sys.stdout.flush()
        return report_damage(store, allow_partial=args.allow_partial)


def cmd_export(args: argparse.Namespace) -> int:
    from .opml import export_opml

    with open_store(args, read_only=True) as store:
        data = export_opml(store.feeds())
        report_damage(store)
    if args.file:
        from .store.atomic import atomic_write

        atomic_write(Path(args.file), data)
        feeds = plural(data.count(b"xmlUrl="), "feed")
        print(f"Exported {feeds} to {args.file}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from rich.text import Text

    from .cli_command_feeds import EXIT_COMMANDS_REFUSED, allow_import_commands
    from .importing import ImportFailed, apply_import, read_import_file

    path = Path(args.file)
    try:
        plan = read_import_file(path)  # the reader's Import dialog reads it the same way
    except ImportFailed as exc:
        raise CommandError(str(exc)) from None
    with open_store(args, read_only=False) as store:  # a locked library: said before asking
        allowed = allow_import_commands(plan, args.allow_commands)  # exec:/filter: entries
        outcome = apply_import(store, plan, path.name, allow_commands=allowed)
        report_damage(store)
    console = _console()
    console.print(Text(outcome.summary()))
    for line in outcome.details():
        console.print(Text(f"  {line}"))
    added = outcome.added
    if added:
        console.print(Text("Run `tui-reader refresh` (or press r in the reader) to fetch them."))
    return EXIT_COMMANDS_REFUSED if outcome.commands_refused else 0


def cmd_add(args: argparse.Namespace) -> int:
    from rich.text import Text

    from .feeds.subscribe import SubscribeError, subscribe

    with open_store(args, read_only=False) as store:
        try:
            outcome = subscribe(
                store,
                args.url,
                category=args.category,
                logins=_logins(args),
                allow_commands=args.allow_commands,
            )
        except SubscribeError as exc:
            raise CommandError(str(exc)) from None
        finally:
            report_damage(store)
    console = _console()
    for line in outcome.messages:
        console.print(Text(line))
    return 0


def cmd_refresh(args: argparse.Namespace) -> int:
    from . import cli_notify
    from .feeds.refresh_cli import RefreshInterrupted, sigint_restored

    # Lazy: a feed that answers 304 needs none of its article files read. The writer
    # thread starts once run_refresh has forked any parser processes (parse_pool).
    status = 0
    try:
        with (
            sigint_restored(),
            open_store(args, read_only=False, lazy=True, start_writer=False) as store,
        ):
            if store.sync.bound:  # a library bound to a server account syncs instead
                from .cli_sync import sync_library

                status, news = sync_library(store, _console(), _err, logins=_logins(args))
                notifier = cli_notify.notify_argv(args, news, _err)
            else:
                notifier = _refresh_feeds(args, store)
        cli_notify.run_notify(notifier, _err)
    except RefreshInterrupted as exc:
        # Said once the library is closed: the feeds counted are on disk.
        _err(exc.message())
        return 130
    return status


def _refresh_feeds(args: argparse.Namespace, store: Store) -> list[str] | None:
    """`refresh` on a library of its own: fetch the feeds chosen; notify_command's argv."""
    from . import cli_notify
    from .feeds.refresh_cli import run_refresh

    feeds = store.feeds()
    if args.category:
        # As `cat:` in a query: a folder includes its subfolders (Tech/Python).
        wanted = args.category.strip("/").lower()
        feeds = [
            f
            for f in feeds
            if f.category.lower() == wanted or f.category.lower().startswith(wanted + "/")
        ]
    if args.feed:
        feed = store.find_feed_by_url(args.feed)
        feeds = [feed] if feed else []
    if not feeds:
        raise CommandError("no feeds match; see `tui-reader feeds`")
    since = datetime.now(UTC)
    summary = run_refresh(store, feeds, logins=_logins(args))
    report_damage(store)
    return cli_notify.notify_command_for(args, store, summary, since, _err)


def cmd_restore_backup(args: argparse.Namespace) -> int:
    from .store.atomic import atomic_write
    from .store.loader import cannot_use
    from .store.lock import DirectoryLock, LibraryNotPrivate, check_private

    directory = library_dir(getattr(args, "db", None))
    backup = directory / "library.json.bak"
    if not backup.exists():
        raise CommandError(f"there is no backup in {directory}")
    # A writer like any other: with the reader open, the reader would write its own
    # library.json over the restored one.
    lock = DirectoryLock(directory)
    try:
        check_private(directory)
        lock.acquire()
    except LibraryLocked as exc:
        raise CommandError(str(exc)) from None
    except LibraryNotPrivate as exc:
        raise CommandError(f"Refusing to use the library: {exc}") from None
    except OSError as exc:
        raise CommandError(cannot_use(directory, exc)) from None
    try:
        current = directory / "library.json"
        if current.exists():
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            current.rename(directory / f"library.json.before-restore-{stamp}")
        atomic_write(current, backup.read_bytes())
    except OSError as exc:
        raise CommandError(cannot_use(directory, exc)) from None
    finally:
        lock.release()
    print(f"Restored {current} from {backup.name}.")
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    from rich.text import Text

    from .config import EXAMPLE, load_config
    from .paths import config_file

    path = config_file(getattr(args, "config", None))
    if args.path:
        print(path)
        return 0
    if args.example:
        sys.stdout.write(EXAMPLE)
        return 0
    config = load_config(path)
    problems = _check_like_the_reader(config)
    console = _console()
    if not path.exists():
        console.print(
            Text(f"{path} does not exist: every setting has its default."), soft_wrap=True
        )
    for warning in problems:
        console.print(Text(warning), soft_wrap=True)
    if path.exists() and not problems:
        console.print(Text(f"{path}: no problems found."), soft_wrap=True)
    return 1 if problems else 0


def _check_like_the_reader(config: Config) -> tuple[str, ...]:
    """The reader's own check of the config, with the names it knows: its bindings, and
    Textual's themes (the reader registers none of its own)."""
    from textual.theme import BUILTIN_THEMES

    from .app import known_bindings
    from .config import check_config

    return check_config(config, bindings=known_bindings(), themes=set(BUILTIN_THEMES))


HANDLERS = {
    "list": cmd_list,
    "mark": cmd_mark,
    "feeds": cmd_feeds,
    "export": cmd_export,
    "import": cmd_import,
    "add": cmd_add,
    "refresh": cmd_refresh,
    "restore-backup": cmd_restore_backup,
    "config": cmd_config,
}


def run(args: argparse.Namespace) -> int:
    return run_handler(HANDLERS[args.command], args)


def run_handler(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    try:
        return handler(args)
    except CommandError as exc:
        _err(str(exc))
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
