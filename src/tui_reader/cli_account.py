"""`tui-reader account add|show|remove`, and `refresh` on a library bound to an account
(issue 17). The parser is built here and registered by `__main__`.

The secret (password or API token) comes from `--secret-command` (its standard output),
`$TUI_READER_SECRET` or a prompt; never from argv. It is stored (file mode 0600) only with
`--store-secret`, and never printed, logged or put in an error message.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .sync import KINDS, SECRET_ENV

if TYPE_CHECKING:
    from .sync.base import SyncClient

# `add_parser` runs for every command, the reader's start included: the rest of what this
# module needs is imported by the commands themselves.

EXIT_SYNC_FAILED = 1


def add_parser(sub: Any, library_options: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register `account` on the top parser's subparsers."""
    p = sub.add_parser(
        "account",
        help="bind the library to a Miniflux or Google Reader API server (two-way sync)",
        description="Bind the library to an account on a feed server; `tui-reader refresh` "
        "then syncs with it instead of fetching feeds. See README 'Sync'.",
    )
    library_options(p)
    actions = p.add_subparsers(
        dest="account_command", metavar="ACTION", required=True, help="add, show or remove"
    )
    a = actions.add_parser(
        "add",
        help="bind the library to an account (and sync once)",
        description="Bind the library to an account and sync once. The password or API "
        f"token comes from --secret-command, ${SECRET_ENV} or a prompt, never from the "
        "command line. Miniflux without --user takes an API token.",
    )
    library_options(a)
    a.add_argument("kind", choices=KINDS, help="the server's API")
    a.add_argument(
        "url", metavar="URL", help="the server's address (FreshRSS: URL/api/greader.php)"
    )
    a.add_argument("--user", metavar="NAME", default="", help="user name")
    a.add_argument(
        "--secret-command",
        metavar="CMD",
        default="",
        help="a shell command that prints the password or token (saved, run at each sync)",
    )
    a.add_argument(
        "--store-secret",
        action="store_true",
        help="keep the password or token in the library (a file only you can read)",
    )
    a.add_argument(
        "--upload",
        action="store_true",
        help="first subscribe the server to this library's feeds (categories kept) and "
        "send their read and starred marks",
    )
    s = actions.add_parser("show", help="the account, its last sync and changes waiting")
    library_options(s)
    s.add_argument("--json", action="store_true", help="one JSON object")
    r = actions.add_parser(
        "remove",
        help="unbind the library (its articles stay; unsent changes are dropped)",
    )
    library_options(r)


def run(args: argparse.Namespace) -> int:
    """`tui-reader account ...` (called by `__main__`; errors reported as every command's)."""
    from .cli import run_handler

    handlers = {"add": cmd_add, "show": cmd_show, "remove": cmd_remove}
    return run_handler(handlers[args.account_command], args)


# --------------------------------------------------------------------------- add


def _secret_for_add(args: argparse.Namespace) -> str:
    import getpass

    from .cli import CommandError
    from .sync.account import SecretError, run_secret_command
    from .text import hide_userinfo

    try:
        if args.secret_command:
            return run_secret_command(args.secret_command)
    except SecretError as exc:
        raise CommandError(str(exc)) from None
    secret = os.environ.get(SECRET_ENV)
    if secret:
        return secret
    if not sys.stdin.isatty():
        raise CommandError(f"no password or token: give --secret-command CMD or set ${SECRET_ENV}")
    what = "password" if args.user else "API token"
    try:
        secret = getpass.getpass(f"{what.capitalize()} for {hide_userinfo(args.url)}: ")
    except EOFError:
        secret = ""
    if not secret:
        raise CommandError(f"no {what} given")
    return secret


def cmd_add(args: argparse.Namespace) -> int:
    from urllib.parse import urlsplit

    from .cli import CommandError, _console, _err, open_store
    from .cli_sync import run_sync
    from .sync.base import SyncError
    from .text import check_url

    checked = check_url(args.url)
    if not checked.ok:
        raise CommandError(f"not a server address: {checked.reason}")
    if "@" in urlsplit(checked.url).netloc:
        # A password in argv is visible to every user of the machine (ps): refused.
        raise CommandError(
            "put no user or password in the URL: use --user, and --secret-command, "
            f"${SECRET_ENV} or the prompt for the password"
        )
    if args.kind == "greader" and not args.user:
        raise CommandError("a Google Reader API account needs --user NAME")
    secret = _secret_for_add(args)
    with open_store(args, read_only=False) as store:
        current = store.sync.account()
        if current is not None:
            raise CommandError(
                f"the library is already bound to {_where(current)}; "
                "run `tui-reader account remove` first"
            )
        client = _connect(args.kind, checked.url, args.user, secret)
        try:
            client.verify()
            store.sync.bind(
                args.kind, checked.url, args.user, args.secret_command, upload=args.upload
            )
            if args.store_secret:
                store.sync.store_secret(secret)
            console = _console()
            console.print(f"Bound to {_where(store.sync.account() or {})}.")
            return run_sync(store, client, console, _err, upload=args.upload)
        except SyncError as exc:
            raise CommandError(str(exc)) from None
        finally:
            client.close()


def _connect(kind: str, url: str, user: str, secret: str) -> SyncClient:
    from .cli import CommandError
    from .sync.account import connect
    from .sync.base import SyncError

    try:
        return connect(kind, url, user, secret)
    except SyncError as exc:
        raise CommandError(str(exc)) from None


def _where(account: dict[str, Any]) -> str:
    from .text import clean_line, hide_userinfo

    url = hide_userinfo(str(account.get("url", "")))
    user = account.get("user")
    kind = account.get("kind", "?")
    return clean_line(f"{kind} {url}" + (f" as {user}" if user else ""), max_length=400)


# --------------------------------------------------------------------------- show, remove


def _when(value: object) -> str | None:
    if not isinstance(value, int | float):
        return None
    return datetime.fromtimestamp(value, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def cmd_show(args: argparse.Namespace) -> int:
    import orjson

    from .cli import CommandError, open_store
    from .text import clean_line, hide_userinfo

    with open_store(args, read_only=True) as store:
        account = store.sync.account()
        waiting = store.sync.waiting()
        stored = store.sync.stored_secret() is not None
    if account is None:
        raise CommandError("the library is not bound to an account (`tui-reader account add`)")
    if stored:
        secret = "stored in the library"
    elif account.get("secret_command"):
        secret = "from its secret command"
    else:
        secret = f"from ${SECRET_ENV} or a prompt"
    info = {
        "kind": account.get("kind"),
        "url": hide_userinfo(str(account.get("url", ""))),
        "user": account.get("user") or None,
        "last_sync": _when(account.get("last_sync")),
        "last_attempt": _when(account.get("last_attempt")),
        "changes_waiting": waiting,
        "last_error": account.get("last_error"),
        "secret": secret,
    }
    if args.json:
        sys.stdout.write(orjson.dumps(info).decode() + "\n")
        return 0
    from rich.text import Text

    from .cli import _console

    console = _console()
    for name, value in info.items():
        shown = "-" if value is None else str(value)
        console.print(Text(f"{name.replace('_', ' ')}: {clean_line(shown, max_length=500)}"))
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from .cli import CommandError, _console, open_store

    with open_store(args, read_only=False) as store:
        account = store.sync.account()
        if account is None:
            raise CommandError("the library is not bound to an account")
        waiting = store.sync.waiting()
        store.sync.unbind()
    note = f" ({waiting} changes that were never sent are dropped)" if waiting else ""
    _console().print(f"No longer bound to {_where(account)}; the articles stay.{note}")
    return 0
