"""The account's state in words, for the reader's sidebar line and `H` (issue 17).

Pure functions of the account document (`store.sync.account()`), the number of changes
waiting and the time: no Textual, no store. Server error text is untrusted: the callers
put these lines on screen through `ui_text.plain`.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from ..text import clean_line, hide_userinfo
from ..wording import plural


def ago(seconds: float) -> str:
    """ "just now", "5 min ago", "3 h ago", "2 days ago"."""
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 48 * 3600:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} days ago"


def state_line(
    account: dict[str, Any],
    waiting: int,
    *,
    running: bool,
    now: float | None = None,
    width: int = 1000,
) -> str:
    """One short line: "syncing…", "offline: 3 changes waiting", "error: <why>", "will
    sync: 2 changes", "synced 2 min ago" or "not synced yet". Where the long form of a
    count is wider than `width` (a narrow sidebar), "offline: 3 waiting", "will sync: 2"."""
    if running:
        return "syncing…"
    error = account.get("last_error")
    if error:
        if not account.get("offline"):
            return "error: " + clean_line(error, 300)
        if not waiting:
            return "offline"
        line = f"offline: {plural(waiting, 'change')} waiting"
        return line if len(line) <= width else f"offline: {waiting} waiting"
    if waiting:
        line = f"will sync: {plural(waiting, 'change')}"
        return line if len(line) <= width else f"will sync: {waiting}"
    last = account.get("last_sync")
    if not isinstance(last, int | float):
        return "not synced yet"
    return "synced " + ago(max(0.0, (time.time() if now is None else now) - last))


def _when(value: object) -> str:
    if not isinstance(value, int | float):
        return "never"
    try:
        return datetime.fromtimestamp(value).strftime("%Y-%m-%d %H:%M")
    except (OverflowError, OSError, ValueError):
        return "unknown"


def account_lines(account: dict[str, Any], waiting: int) -> list[str]:
    """The account section of `H`: kind, URL, user, last sync, changes waiting, last
    error, and what the last sync skipped (one line each)."""
    lines = [
        f"Account: {clean_line(account.get('kind'), 20)} at "
        f"{clean_line(hide_userinfo(str(account.get('url') or '')), 200)}"
        + (f" as {clean_line(account.get('user'), 100)}" if account.get("user") else ""),
        f"Last sync: {_when(account.get('last_sync'))} (last attempt "
        f"{_when(account.get('last_attempt'))}); {plural(waiting, 'change')} waiting",
    ]
    error = account.get("last_error")
    if error:
        kind = " (server unreachable)" if account.get("offline") else ""
        lines.append(f"Last error{kind}: {clean_line(error, 300)}")
    skipped = account.get("skipped")
    if isinstance(skipped, list) and skipped:
        lines.append(f"Skipped by the last sync ({len(skipped)}):")
        lines.extend("  " + clean_line(item, 300) for item in skipped[:20])
    return lines
