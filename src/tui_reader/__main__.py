"""Command line: `tui-reader` runs the app; subcommands script the same library."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence
from typing import Any

from . import __version__, cli_command_feeds

COMMANDS = (
    "list",
    "mark",
    "feeds",
    "add",
    "import",
    "export",
    "refresh",
    "restore-backup",
    "config",
    "serve",
    "account",
)


def _allow_partial(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-partial",
        action="store_true",
        help="exit 0 even when a damaged library file left the output incomplete "
        "(the damage is still reported on stderr)",
    )


class _Parser(argparse.ArgumentParser):
    """argparse, plus one thing for `list`: with `rest_is_query`, every word that is not
    one of the command's own options belongs to the query, wherever it is, so that
    `list panels -solar` negates instead of failing as an unknown option. Options such as
    `--json` still work before or after the query; after `--`, everything is query."""

    rest_is_query = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._takes_value: dict[str, bool] = {}  # option string -> needs a value
        super().__init__(*args, **kwargs)

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        action = super().add_argument(*args, **kwargs)
        for option in action.option_strings:
            self._takes_value[option] = action.nargs != 0
        return action

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        if not self.rest_is_query or args is None:
            return super().parse_known_args(args, namespace)
        options, query = self._split(list(args))
        parsed, extras = super().parse_known_args([*options, "--", *query], namespace)
        if extras:  # said with this command's usage, not the top level's
            self.error("unrecognized arguments: " + " ".join(extras))
        return parsed, extras

    def _split(self, args: list[str]) -> tuple[list[str], list[str]]:
        options: list[str] = []
        query: list[str] = []
        rest = iter(args)
        for token in rest:
            if token == "--":
                query.extend(rest)
                break
            if token.startswith("--") or token in self._takes_value:
                # A `--word` is always an option: a mistyped one is an error, not a query.
                options.append(token)
                name = token.partition("=")[0]
                if "=" not in token and self._needs_value(name):
                    value = next(rest, None)
                    if value is not None:
                        options.append(value)
            else:
                query.append(token)
        return options, query

    def _needs_value(self, name: str) -> bool:
        if name in self._takes_value:
            return self._takes_value[name]
        # argparse takes an unambiguous abbreviation (`--conf PATH`).
        found = [o for o in self._takes_value if o.startswith(name) and o.startswith("--")]
        return len(found) == 1 and self._takes_value[found[0]]


# `mark` flags and what they do.
_MARKS = {"read": "read", "unread": "unread", "star": "starred", "unstar": "not starred"}


def _library_options(parser: argparse.ArgumentParser, *, top: bool = False) -> None:
    # On the top parser the defaults are real; on subparsers SUPPRESS keeps a value given
    # before the subcommand (`tui-reader --db X list`) from being reset.
    default = None if top else argparse.SUPPRESS
    parser.add_argument(
        "--db",
        metavar="PATH",
        default=default,
        help="library directory (default: $TUI_READER_DB or the user data dir)",
    )
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=default,
        help="config file (default: $TUI_READER_CONFIG or the user config dir)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tui-reader",
        description="A terminal feed reader. Without a command, opens the reader.",
    )
    parser.add_argument("--version", action="version", version=f"tui-reader {__version__}")
    _library_options(parser, top=True)
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open a scratch copy of the bundled demo library (your library is not touched)",
    )
    # Set by `tui-reader serve` on the reader it starts for each browser tab.
    parser.add_argument("--served", action="store_true", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser(
        "list",
        help="print articles (newest first), optionally matching a query",
        description="Print articles, newest first: one line each, or with --json one JSON "
        "object each (a stable interface for scripts). QUERY is the rest of the line, in "
        'the search language: words, "phrases", is:unread, is:starred, feed:NAME, '
        "cat:NAME, author:NAME, after:DATE, before:DATE, @12h @7d @2w @3m, and -anything "
        "to negate. The options may come before or after it; after `--`, all is query.",
    )
    p.rest_is_query = True  # type: ignore[attr-defined]
    _library_options(p)
    p.add_argument("query", nargs="*", metavar="QUERY", help="search terms (see README)")
    p.add_argument("--unread", action="store_true", help="only unread articles")
    p.add_argument("--starred", action="store_true", help="only starred articles")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument(
        "--all",
        action="store_true",
        help='also articles hidden by [[ignore]] rules (marked H; with --json, "hidden")',
    )
    _allow_partial(p)

    p = sub.add_parser(
        "mark",
        help="change read/starred flags of articles by id",
        description="Mark articles read or unread, starred or unstarred, by the ids that "
        "`list` prints. Prints how many changed; an unknown id is reported on stderr "
        "(exit status 1) and the others are still marked.",
    )
    _library_options(p)
    flag = p.add_mutually_exclusive_group(required=True)
    for name, meaning in _MARKS.items():
        flag.add_argument(
            f"--{name}", dest="flag", action="store_const", const=name, help=f"mark {meaning}"
        )
    p.add_argument("ids", nargs="+", metavar="ID", help="article ids (from `list`)")

    p = sub.add_parser(
        "feeds",
        help="list subscriptions with counts and status",
        description="Print every subscription: its category and name, how many articles "
        "and unread ones it has, when it last worked and its last error, and its address.",
    )
    _library_options(p)
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    _allow_partial(p)

    p = sub.add_parser(
        "add",
        help="subscribe to a feed (or a page that links to one)",
        description="Subscribe to the feed at URL and fetch it at once. The address of a "
        "web page works too: the page is searched for the feed it links to.",
    )
    _library_options(p)
    p.add_argument("url", metavar="URL", help="the feed's (or the page's) http(s) address")
    p.add_argument("--category", metavar="NAME", default="", help="category (folder) for the feed")
    cli_command_feeds.add_flag(p)  # exec:/filter: subscriptions

    p = sub.add_parser(
        "import",
        help="import subscriptions from OPML or a newsboat urls file",
        description="Add the subscriptions in FILE: OPML 1.0 or 2.0 (folders become "
        "categories, Tech/Python for nested ones) or a newsboat `urls` file. Feeds already "
        "subscribed are left as they are. Run `tui-reader refresh` afterwards to fetch them.",
    )
    _library_options(p)
    p.add_argument("file", metavar="FILE", help="the OPML or urls file to read")
    cli_command_feeds.add_flag(p)  # exec:/filter: entries

    p = sub.add_parser(
        "export",
        help="export subscriptions as OPML 2.0",
        description="Write every subscription as OPML 2.0, categories as folders, for "
        "another reader or a backup. Articles and read/starred flags are not included.",
    )
    _library_options(p)
    p.add_argument("file", nargs="?", metavar="FILE", help="output file (default: standard output)")

    p = sub.add_parser(
        "refresh",
        help="fetch new articles without opening the reader",
        description="Fetch every feed (or those chosen) and save the new articles: a "
        "progress bar on a terminal, one line per feed when piped, then a summary. Ctrl+C "
        "stops it and keeps what was fetched (exit status 130). On a library bound to a "
        "server account (`tui-reader account`) it syncs with the server instead.",
    )
    _library_options(p)
    p.add_argument(
        "--category", metavar="NAME", help="only feeds in this category and its subcategories"
    )
    p.add_argument("--feed", metavar="URL", help="only this feed")
    p.add_argument(
        "--no-notify",
        action="store_true",
        help='do not run notify_command (run when the config says notify = "command")',
    )

    p = sub.add_parser(
        "restore-backup",
        help="go back to the last good copy of the library",
        description="Replace the library's index (library.json) with its last good copy "
        "(library.json.bak). The current file is kept beside it, renamed "
        "library.json.before-restore-DATE.",
    )
    _library_options(p)

    p = sub.add_parser(
        "config",
        help="where the config file is, a commented example, or what is wrong with it",
        description="The config file (TOML) sets the browser, refreshing, how many read "
        "articles to keep, the theme and key remaps. Every key is optional.",
    )
    _library_options(p)
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--path", action="store_true", help="print the config file's path")
    what.add_argument("--example", action="store_true", help="print a commented example")
    what.add_argument(
        "--check",
        action="store_true",
        help="report what the reader would warn about (exit status 1 if anything)",
    )

    p = sub.add_parser(
        "serve",
        help="serve the reader to a web browser",
        description="Serve the reader to a web browser (textual-serve): open the printed "
        "address and each tab runs the reader on the library, with the same keys; links "
        "open in new tabs of that browser. One tab at a time writes the library: another "
        "tab says so instead of opening it. There is no login: the server listens on "
        "127.0.0.1 only, and any other --host needs --public (then anyone who can reach "
        "the port can read and change the library).",
    )
    _library_options(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    p.add_argument(
        "--demo",
        action="store_true",
        help="serve a scratch copy of the demo library (removed when the server stops)",
    )
    p.add_argument(
        "--public",
        action="store_true",
        help="allow a --host other than loopback: no login protects the library then",
    )

    from .cli_account import add_parser as add_account_parser

    add_account_parser(sub, _library_options)
    from .cli_download import add_parser as add_download_parser

    add_download_parser(sub, _library_options)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        from .launch import run_app

        return run_app(args)
    if args.command == "serve":
        from .serve import run_serve

        return run_serve(args)
    # What a command imports (~100k objects) lives until it exits; with the collector on,
    # every few hundred allocations rescan it (~8% of a `refresh` where all is unchanged).
    # So: off while importing, then those objects are frozen out of later collections.
    gc.disable()
    from . import cli

    if args.command == "refresh":
        from .feeds import refresh_cli  # noqa: F401 - the bulk of refresh's imports
    gc.freeze()
    gc.enable()
    if args.command == "account":
        from . import cli_account

        return cli_account.run(args)
    if args.command == "download":
        from . import cli_download

        return cli_download.run(args)
    return cli.run(args)


if __name__ == "__main__":
    sys.exit(main())
