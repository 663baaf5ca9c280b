"""Feeds made by commands (`exec:`, `filter:`): parsing, trust, running under limits.

Commands are small Python scripts written into tmp_path and run with `sys.executable`;
the `filter:` feed reads the project's loopback server (tests/support/feedserver.py).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.paths import FEEDSERVER
from tui_reader.feeds.command_fetch import refusal, run_command
from tui_reader.feeds.command_url import CommandRejected, parse_command_url
from tui_reader.feeds.fetch import FetchLimits
from tui_reader.feeds.refresh import RefreshSummary, refresh_feeds
from tui_reader.feeds.subscribe import SubscribeError, subscribe
from tui_reader.models import Feed
from tui_reader.store import Store

RSS = """<?xml version="1.0"?>
<rss version="2.0"><channel><title>{title}</title><link>https://example.com/</link>
<item><title>{item}</title><link>https://example.com/1</link><guid>one</guid></item>
<item><title>Second</title><link>https://example.com/2</link><guid>two</guid></item>
</channel></rss>
"""

PY = sys.executable


def script(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def printer(tmp_path: Path, title: str = "Made by a command", item: str = "First") -> Path:
    document = RSS.format(title=title, item=item)
    return script(tmp_path, "feed.py", f"import sys\nsys.stdout.write({document!r})\n")


def marker_script(tmp_path: Path) -> tuple[Path, Path]:
    """A command that would leave a file behind if it ever ran."""
    marker = tmp_path / "it-ran"
    document = RSS.format(title="x", item="y")
    body = f"open({str(marker)!r}, 'w').write('ran')\nprint({document!r})\n"
    return script(tmp_path, "marker.py", body), marker


def refresh(store: Store, feeds: list[Feed] | None = None, **limits: int) -> RefreshSummary:
    fetch_limits = FetchLimits(**limits) if limits else None  # type: ignore[arg-type]
    return asyncio.run(refresh_feeds(store, feeds or store.feeds(), limits=fetch_limits))


@pytest.fixture
def empty(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(tmp_path / "lib")
    try:
        yield store
    finally:
        store.close()


# ------------------------------------------------------------------ the syntax


def test_exec_is_split_into_an_argument_vector_without_a_shell() -> None:
    spec = parse_command_url("exec:~/bin/feed --since '2 days' ; rm -rf x | y $(z)")
    assert spec.kind == "exec"
    assert spec.argv == ("~/bin/feed", "--since", "2 days", ";", "rm", "-rf", "x", "|", "y", "$(z)")
    assert spec.text.startswith("exec:~/bin/feed")


def test_filter_splits_at_the_address_and_allows_colons_in_the_command() -> None:
    spec = parse_command_url("FILTER:tr a:b:https://Example.com/feed.xml")
    assert spec.kind == "filter"
    assert spec.argv == ("tr", "a:b")
    assert spec.url == "https://example.com/feed.xml"
    assert spec.text == "filter:tr a:b:https://example.com/feed.xml"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("exec:", "no command"),
        ("exec:'unclosed", "cannot be read"),
        ("exec:echo\nrm -rf ~", "control character"),
        ("exec:echo \x1b[31m", "control character"),
        ("exec:echo safe \u202e; rm -rf ~", "direction-changing"),
        ("exec:echo \u200bhidden", "invisible"),
        ("filter:cat", "filter needs a command and the feed's address"),
        ("filter:cat:file:///etc/passwd", "filter needs"),
        ("filter:cat:http://example.com:22/x", "refused"),
        ("exec:" + "a" * 5000, "longer than"),
    ],
)
def test_bad_command_texts_are_refused_in_plain_words(raw: str, reason: str) -> None:
    with pytest.raises(CommandRejected, match=reason):
        parse_command_url(raw)


# ------------------------------------------------------------------ exec: and filter: feeds


def test_an_exec_feed_is_refreshed_from_the_commands_output(empty: Store, tmp_path: Path) -> None:
    text = f"exec:{PY} {printer(tmp_path)}"
    feed, created = empty.add_feed(text, trust_command=True)
    assert created and feed.trusted_command == text
    summary = refresh(empty)
    assert summary.failed == [] and summary.new_articles == 2
    feed = empty.feed(feed.id)
    assert feed is not None
    assert feed.url == text  # the literal command text
    assert feed.title == "Made by a command"  # from its output
    assert feed.site_url == "https://example.com/"
    assert sorted(a.title for a in empty.articles([feed.id])) == ["First", "Second"]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "site"
    root.mkdir()
    (root / "feed.xml").write_text(RSS.format(title="Served", item="Original title"))
    process = subprocess.Popen(
        [PY, str(FEEDSERVER), str(root), "--port", "0", "--max-seconds", "120"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    base = process.stdout.readline().strip()
    assert base.startswith("http://127.0.0.1:"), base
    try:
        yield f"{base}/feed.xml"
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


def test_a_filter_feed_fetches_then_pipes_through_the_command(
    empty: Store, tmp_path: Path, served: str
) -> None:
    rewrite = script(
        tmp_path,
        "upper.py",
        "import re, sys\n"
        "doc = sys.stdin.read()\n"
        "sys.stdout.write(re.sub(r'<title>(.*?)</title>', "
        "lambda m: '<title>' + m.group(1).upper() + '</title>', doc))\n",
    )
    text = f"filter:{PY} {rewrite}:{served}"
    feed, _ = empty.add_feed(text, trust_command=True)
    summary = refresh(empty)
    assert summary.failed == [], summary.failed
    assert sorted(a.title for a in empty.articles([feed.id])) == ["ORIGINAL TITLE", "SECOND"]
    refreshed = empty.feed(feed.id)
    assert refreshed is not None and refreshed.title == "SERVED"
    assert refreshed.url == text and refreshed.etag is None


def test_a_filter_keeps_the_fetch_rules_for_its_address(empty: Store, tmp_path: Path) -> None:
    tool, marker = marker_script(tmp_path)
    # Nothing listens there: the normal fetch fails, and the command never starts.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    text = f"filter:{PY} {tool}:http://127.0.0.1:{port}/feed"
    empty.add_feed(text, trust_command=True)
    summary = refresh(empty)
    assert len(summary.failed) == 1
    assert "fetching the filter's address" in (summary.failed[0].error or "")
    assert not marker.exists()


# ------------------------------------------------------------------ limits


def test_a_command_past_its_timeout_is_killed_with_its_children(
    empty: Store, tmp_path: Path
) -> None:
    pids = tmp_path / "pids"
    sleeper = script(
        tmp_path,
        "sleeper.py",
        "import os, subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{child.pid}}')\n"
        "time.sleep(60)\n",
    )
    empty.command_timeout = 1.5
    empty.add_feed(f"exec:{PY} {sleeper}", trust_command=True)
    started = time.monotonic()
    summary = refresh(empty)
    assert time.monotonic() - started < 15
    assert "did not finish within 1.5 s" in (summary.failed[0].error or "")
    deadline = time.monotonic() + 5
    alive = [int(p) for p in pids.read_text().split()]
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in alive if _alive(pid)]
        time.sleep(0.05)
    assert alive == []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie not yet reaped by its (dead) parent's init is gone for our purpose.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_output_over_the_body_cap_stops_the_command(empty: Store, tmp_path: Path) -> None:
    flood = script(
        tmp_path, "flood.py", "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n"
    )
    empty.add_feed(f"exec:{PY} {flood}", trust_command=True)
    summary = refresh(empty, max_body_bytes=256 * 1024)
    assert summary.failed[0].error == "the command wrote more than 256 KB; it was stopped"


def test_stderr_of_a_failing_command_is_its_error_as_literal_text(
    empty: Store, tmp_path: Path
) -> None:
    noisy = script(
        tmp_path,
        "noisy.py",
        "import sys\n"
        "sys.stderr.write('[bold red]fake[/] \\x1b]52;c;cGF5bG9hZA==\\x07 ')\n"
        "sys.stderr.write('\\x1b[2J\\nline two\\n')\n"
        "sys.exit(3)\n",
    )
    feed, _ = empty.add_feed(f"exec:{PY} {noisy}", trust_command=True)
    summary = refresh(empty)
    error = summary.failed[0].error or ""
    assert error.startswith("the command failed (exit status 3): [bold red]fake[/]")
    assert "line two" in error
    assert "\x1b" not in error and "\x07" not in error and "\n" not in error
    stored = empty.feed(feed.id)
    assert stored is not None and stored.last_error == error  # what feed health shows


@pytest.mark.asyncio
async def test_a_missing_program_and_silence_are_plain_failures(tmp_path: Path) -> None:
    missing = await run_command(["/nonexistent/tool"], max_output=1000)
    assert missing.error == "the command '/nonexistent/tool' was not found"
    silent = await run_command([PY, "-c", "pass"], max_output=1000)
    assert silent.error == "the command printed nothing"


@pytest.mark.asyncio
async def test_the_command_has_no_terminal_and_empty_input(tmp_path: Path) -> None:
    probe = (
        "import os, sys\n"
        "try:\n    os.open('/dev/tty', os.O_RDWR); tty = 'tty'\n"
        "except OSError:\n    tty = 'no tty'\n"
        "print(tty, repr(sys.stdin.read()), os.getsid(0) == os.getpid())\n"
    )
    run = await run_command([PY, "-c", probe], max_output=1000)
    assert run.output.decode().strip() == "no tty '' True"


# ------------------------------------------------------------------ trust


def test_only_a_trusted_unchanged_record_runs(empty: Store, tmp_path: Path) -> None:
    tool, marker = marker_script(tmp_path)
    text = f"exec:{PY} {tool}"
    # Added without the user's say-so (an import, a sync): never run.
    untrusted, _ = empty.add_feed(text)
    assert untrusted.trusted_command == ""
    summary = refresh(empty)
    assert "refused to run this command" in (summary.failed[0].error or "")
    assert not marker.exists()
    # Changed after it was allowed (url edited): never run either.
    trusted = empty.subscriptions.trust_command(untrusted.id)
    assert refusal(trusted) is None
    changed = empty.update_feed(untrusted.id, url=text + " --extra")
    assert refusal(changed) is not None
    refresh(empty)
    assert not marker.exists()
    # Nothing but the trust paths sets the mark.
    with pytest.raises(ValueError):
        empty.update_feed(untrusted.id, trusted_command=changed.url)


def test_a_record_edited_on_disk_is_not_run(tmp_path: Path) -> None:
    import json

    tool, marker = marker_script(tmp_path)
    library = tmp_path / "lib"
    store = Store.open(library)
    try:
        store.add_feed(f"exec:{PY} {tool} one", trust_command=True)
        store.add_feed(f"exec:{PY} {tool} two", trust_command=True)
    finally:
        store.close()
    path = library / "library.json"
    data = json.loads(path.read_text())
    docs = list(data["feeds"].values())
    docs[0]["url"] += " --changed"  # the command edited, its mark left as it was
    del docs[1]["trusted_command"]  # the mark removed
    path.write_text(json.dumps(data))
    store = Store.open(library)
    try:
        summary = refresh(store)
    finally:
        store.close()
    assert len(summary.failed) == 2
    assert all("refused to run" in (o.error or "") for o in summary.failed)
    assert not marker.exists()


def test_add_needs_allow_commands(empty: Store, tmp_path: Path) -> None:
    tool, marker = marker_script(tmp_path)
    with pytest.raises(SubscribeError, match="--allow-commands"):
        subscribe(empty, f"exec:{PY} {tool}")
    assert empty.feeds() == [] and not marker.exists()
    outcome = subscribe(empty, f"exec:{PY} {printer(tmp_path)}", allow_commands=True)
    assert outcome.created and outcome.new_articles == 2
    assert outcome.feed.title == "Made by a command"
    assert outcome.feed.trusted_command == outcome.feed.url


def test_the_trust_mark_survives_reopening(tmp_path: Path) -> None:
    library = tmp_path / "lib"
    store = Store.open(library)
    try:
        feed, _ = store.add_feed("exec:true", trust_command=True)
        plain, _ = store.add_feed("https://example.com/feed", trust_command=True)
        assert plain.trusted_command == ""  # only a command is ever marked
    finally:
        store.close()
    store = Store.open(library, read_only=True)
    try:
        reopened = store.feed(feed.id)
        assert reopened is not None and reopened.trusted_command == "exec:true"
    finally:
        store.close()


def test_the_timeout_comes_from_the_config(empty: Store) -> None:
    from tui_reader.config import apply_to_store, config_from_dict

    config = config_from_dict({"command_timeout_seconds": 5})
    assert config.warnings == ()
    apply_to_store(config, empty)
    assert empty.command_timeout == 5.0
    bad = config_from_dict({"command_timeout_seconds": 0})
    assert bad.command_timeout_seconds == 60 and "between 1 and 3600" in bad.warnings[0]


def test_a_slow_command_does_not_hold_up_the_other_feeds(empty: Store, tmp_path: Path) -> None:
    document = RSS.format(title="Slow", item="late")
    slow = script(tmp_path, "slow.py", f"import time\ntime.sleep(2)\nprint({document!r})\n")
    slow_feed, _ = empty.add_feed(f"exec:{PY} {slow}", trust_command=True)
    fast_feed, _ = empty.add_feed(f"exec:{PY} {printer(tmp_path)}", trust_command=True)
    done: list[tuple[str, float]] = []
    started = time.monotonic()

    def progress(outcome: object, _done: int, _total: int) -> None:
        done.append((outcome.feed_id, time.monotonic() - started))  # type: ignore[attr-defined]

    summary = asyncio.run(refresh_feeds(empty, empty.feeds(), on_progress=progress))
    assert summary.failed == []
    assert [feed_id for feed_id, _ in done] == [fast_feed.id, slow_feed.id]
    assert done[0][1] < 1.5  # the fast one was saved while the slow one still ran


async def test_a_cancelled_refresh_leaves_no_command_running(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    sleeper = script(
        tmp_path,
        "sleeper.py",
        f"import os, time\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))\ntime.sleep(60)\n",
    )
    task = asyncio.ensure_future(run_command([PY, str(sleeper)], timeout=60, max_output=1000))
    for _ in range(200):
        if pid_file.exists() and pid_file.read_text():
            break
        await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not _alive(int(pid_file.read_text()))


async def test_a_background_child_neither_delays_the_feed_nor_lingers(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    document = RSS.format(title="x", item="y")
    leaver = script(
        tmp_path,
        "leaver.py",
        "import subprocess, sys\n"
        # The child keeps stderr (a pipe) open and sleeps on after the command exits.
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'],"
        " stdout=subprocess.DEVNULL)\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        f"print({document!r})\n",
    )
    started = time.monotonic()
    run = await run_command([PY, str(leaver)], timeout=30, max_output=100_000)
    assert run.error is None and b"<rss" in run.output
    assert time.monotonic() - started < 10
    child = int(pid_file.read_text())
    for _ in range(100):
        if not _alive(child):
            break
        await asyncio.sleep(0.05)
    assert not _alive(child)
