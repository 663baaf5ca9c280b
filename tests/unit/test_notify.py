"""Notifications (issue 18.5): sanitised arguments for notify_command, the terminal's
notification (OSC 9 / OSC 777 / BEL, never a character of a feed), the config."""

from __future__ import annotations

import sys
import time
import tomllib
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.notify_helpers import HOSTILE_TITLES, recorder
from tui_reader.config import (
    Config,
    KnownBinding,
    apply_to_store,
    check_config,
    config_from_dict,
)
from tui_reader.external import CommandError, run_command, safe_argument
from tui_reader.models import NewArticle
from tui_reader.notify import (
    MAX_TITLES,
    NewArticles,
    collect_new_articles,
    command_argv,
    run_notify_command,
    should_notify,
    terminal_notice,
    terminal_protocol,
)
from tui_reader.store import Store

NEWS = NewArticles(12, 3, HOSTILE_TITLES)


def assert_inert(argument: str, limit: int = 300) -> None:
    """One argument a program can take as plain text."""
    assert not any(unicodedata.category(c) == "Cc" for c in argument), repr(argument)
    assert not argument.startswith(("-", "+", "@")), argument
    assert len(argument) <= limit


def test_safe_argument_cleans_what_a_feed_could_send() -> None:
    for title in HOSTILE_TITLES:
        assert_inert(safe_argument(title))
    assert safe_argument("-rf --no-preserve-root") == " -rf --no-preserve-root"
    assert safe_argument("@/etc/passwd") == " @/etc/passwd"
    assert safe_argument("+:!sh") == " +:!sh"
    assert safe_argument("line one\nline two\r\nline three") == "line one line two line three"
    # Escapes stay visible (as pictures), never as the control character itself.
    assert "\x1b" not in safe_argument("\x1b[2J") and "␛" in safe_argument("\x1b[2J")
    assert safe_argument("[@click=app.quit]x[/]") == "[@click=app.quit]x[/]"  # argv, not markup
    assert len(safe_argument("x" * 10_000)) == 300
    assert safe_argument("  -x") == " -x"  # the cleaning strips first, then guards


def test_notify_command_receives_counts_then_sanitised_titles(tmp_path: Path) -> None:
    command, calls = recorder(tmp_path)
    run_notify_command(command, NEWS)
    [args] = calls()
    assert args[:2] == ["12", "3"]
    titles = args[2:]
    assert len(titles) == MAX_TITLES
    for title in titles:
        assert_inert(title)
    assert titles[0] == " -rf --no-preserve-root"
    assert titles[1].startswith("␛]0;PWNED-TITLE␇ escape")
    assert titles[2] == "line one line two line three"
    assert titles[4] == " @/etc/passwd"


def test_the_command_line_is_split_not_given_to_a_shell(tmp_path: Path) -> None:
    marker = tmp_path / "made-by-shell"
    argv = command_argv(f"echo hello; touch {marker}", NewArticles(1, 1, ("$(id)",)))
    assert argv == ["echo", "hello;", "touch", str(marker), "1", "1", "$(id)"]
    run_command(argv, "notify_command")
    assert not marker.exists()
    with pytest.raises(CommandError, match="not a valid command line"):
        command_argv('notify-send "unclosed', NEWS)


def test_a_failing_command_is_one_clean_line(tmp_path: Path) -> None:
    script = tmp_path / "fail.py"
    script.write_text(
        "import sys\nsys.stderr.write('first\\n\\x1b[31mno network\\x1b[0m\\n')\nsys.exit(3)\n"
    )
    with pytest.raises(CommandError) as failed:
        run_command([sys.executable, str(script)], "notify_command")
    message = str(failed.value)
    assert "exit status 3" in message and "no network" in message
    assert "\x1b" not in message and "\n" not in message
    with pytest.raises(CommandError, match="could not start"):
        run_command([str(tmp_path / "missing")], "notify_command")


def test_a_hanging_command_is_stopped_with_its_children(tmp_path: Path) -> None:
    script = tmp_path / "hang.py"
    script.write_text(
        "import subprocess, sys, time\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "time.sleep(60)\n"
    )
    started = time.monotonic()
    with pytest.raises(CommandError, match=r"still running after 0\.5 s"):
        run_command([sys.executable, str(script)], "notify_command", timeout=0.5)
    assert time.monotonic() - started < 10


def test_a_background_child_does_not_hold_the_command(tmp_path: Path) -> None:
    """A command that leaves a child running (holding stderr) is done when it exits."""
    script = tmp_path / "daemon.py"
    script.write_text(
        "import subprocess, sys\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(8)'])\n"
    )
    started = time.monotonic()
    run_command([sys.executable, str(script)], "notify_command", timeout=20)
    assert time.monotonic() - started < 6


@pytest.mark.parametrize(
    ("env", "protocol"),
    [
        ({"TERM_PROGRAM": "iTerm.app", "TERM": "xterm-256color"}, "osc9"),
        ({"TERM_PROGRAM": "WezTerm", "TERM": "xterm-256color"}, "osc9"),
        ({"TERM_PROGRAM": "ghostty", "TERM": "xterm-ghostty"}, "osc9"),
        ({"TERM": "foot"}, "osc777"),
        ({"TERM": "rxvt-unicode-256color"}, "osc777"),
        ({"TERM": "xterm-kitty"}, "osc777"),
        ({"TERM": "xterm-256color", "KITTY_WINDOW_ID": "1"}, "osc777"),
        ({"TERM": "xterm-256color", "WT_SESSION": "x"}, "bell"),  # Windows Terminal
        ({"TERM": "xterm-256color"}, "bell"),
        ({}, "bell"),
        # tmux and screen mark the window on a bell; an OSC needs passthrough there.
        ({"TERM_PROGRAM": "iTerm.app", "TMUX": "/tmp/tmux-1/default,1,0"}, "bell"),
        ({"TERM": "screen-256color"}, "bell"),
        ({"TERM": "foot", "STY": "1.pts-0.host"}, "bell"),
    ],
)
def test_terminal_protocol(env: dict[str, str], protocol: str) -> None:
    assert terminal_protocol(env) == protocol


def test_terminal_notice_has_counts_only() -> None:
    hostile = NewArticles(12, 3, ("\x1b]9;EVIL\x07", "a;b\x1b\\", "\x9d777;notify;x;y\x9c"))
    osc9 = terminal_notice("terminal", hostile, {"TERM_PROGRAM": "iTerm.app"})
    assert osc9 == "\x1b]9;tui-reader: 12 new articles in 3 feeds\a"
    osc777 = terminal_notice("terminal", hostile, {"TERM": "foot"})
    assert osc777 == "\x1b]777;notify;tui-reader;12 new articles in 3 feeds\a"
    for notice in (osc9, osc777):
        assert notice.count("\x1b") == 1 and notice.count("\a") == 1  # ours, start and end
        assert "EVIL" not in notice and not any("\x80" <= c <= "\x9f" for c in notice)
    assert terminal_notice("terminal", hostile, {"TERM": "xterm"}) == "\a"
    assert terminal_notice("bell", hostile, {"TERM_PROGRAM": "iTerm.app"}) == "\a"
    assert terminal_notice("command", hostile, {"TERM": "foot"}) == ""
    assert terminal_notice("none", hostile, {"TERM": "foot"}) == ""
    one = terminal_notice("terminal", NewArticles(1, 1), {"TERM": "foot"})
    assert one == "\x1b]777;notify;tui-reader;1 new article in 1 feed\a"


def test_should_notify() -> None:
    assert should_notify(NewArticles(1, 1), always=False)
    assert not should_notify(NewArticles(0, 0), always=False)
    assert should_notify(NewArticles(0, 0), always=True)  # newsboat's notify-always


def _item(key: str, day: int) -> NewArticle:
    return NewArticle(
        key=key,
        title=f"title {key}",
        link=f"https://example.org/{key}",
        author="",
        published=datetime(2026, 11, day, tzinfo=UTC),
        body_html="",
    )


def test_collect_new_articles_takes_titles_stored_since(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "lib")
    try:
        a, _ = store.add_feed("https://a.example.org/feed", "A", "News")
        b, _ = store.add_feed("https://b.example.org/feed", "B", "News")
        before = datetime.now(UTC) - timedelta(hours=1)
        store.merge_articles(a.id, [_item("old", 1)], before)
        since = datetime.now(UTC)
        store.merge_articles(a.id, [_item("old", 1), _item("a1", 2), _item("a2", 3)], since)
        store.merge_articles(b.id, [_item("b1", 4)], since + timedelta(seconds=1))
        news = collect_new_articles(store, 3, [a.id, b.id], since)
        assert news == NewArticles(3, 2, ("title a2", "title a1", "title b1"))
        assert collect_new_articles(store, 3, [a.id, b.id], since, limit=1).titles == ("title a2",)
    finally:
        store.close()


def test_collect_new_articles_leaves_out_what_the_ignore_rules_hide(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "lib")
    try:
        a, _ = store.add_feed("https://a.example.org/feed", "A", "News")
        b, _ = store.add_feed("https://b.example.org/feed", "B", "Spam")
        since = datetime.now(UTC)
        store.merge_articles(a.id, [_item("a1", 2), _item("a2", 3), _item("ad", 4)], since)
        store.merge_articles(b.id, [_item("b1", 5), _item("b2", 6)], since)
        rules = '[[ignore]]\nquery = "cat:spam"\n[[ignore]]\nquery = \'"title ad"\'\n'
        apply_to_store(config_from_dict(tomllib.loads(rules)), store)
        news = collect_new_articles(store, 5, [b.id, a.id], since)
        # b's two are hidden: b is no feed with news; a's "ad" is neither counted nor named.
        assert news == NewArticles(2, 1, ("title a2", "title a1"))
        store.hidden.set_rules(None)
        assert collect_new_articles(store, 5, [b.id, a.id], since).count == 5
    finally:
        store.close()


def test_notify_settings_are_read_and_checked() -> None:
    config = config_from_dict(
        {"notify": "command", "notify_command": "notify-send x", "notify_always": True}
    )
    assert (config.notify, config.notify_command, config.notify_always) == (
        "command",
        "notify-send x",
        True,
    )
    wrong = config_from_dict({"notify": "loud"}, source="cfg")
    assert wrong.notify == "none"
    assert wrong.warnings == (
        'cfg: \'notify\' must be one of "none", "bell", "terminal", "command"; '
        "the default is used.",
    )
    bindings: dict[str, KnownBinding] = {}

    def problems(**values: object) -> tuple[str, ...]:
        return check_config(Config(**values, source="cfg"), bindings=bindings, themes=None)  # type: ignore[arg-type]

    assert problems() == ()
    assert problems(notify="command") == (
        'cfg: notify = "command" needs notify_command (e.g. notify_command = '
        '"notify-send tui-reader"); nothing runs.',
    )
    [idle] = problems(notify="bell", notify_command=sys.executable)
    assert 'notify is "bell", so it never runs' in idle
    [missing] = problems(notify="command", notify_command="no-such-program-xyz --flag")
    assert "'no-such-program-xyz' is not a program found on $PATH" in missing
    [broken] = problems(bookmark_command="'unclosed")
    assert "bookmark_command is not a valid command line" in broken
    assert problems(notify="command", notify_command=f"{sys.executable} -c pass") == ()
