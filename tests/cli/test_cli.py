"""The command line: `list`, `mark`, `feeds`, `export`/`import`, `restore-backup`.

`list --json` and `mark` are a stable scripting interface (README "Scripting"), so the
field names and formats are pinned here.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import orjson
import pytest

from tests.conftest import NOW
from tui_reader.__main__ import main
from tui_reader.models import NewArticle
from tui_reader.store import Store

ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def json_lines(out: str) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in out.splitlines()]


# --------------------------------------------------------------------------- list


def test_list(library_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "list", "--db", str(library_path))
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert len(lines) == 15
    with Store.open(library_path, read_only=True) as store:
        ids = [a.id for a in store.articles()]
    assert [line.split()[0] for line in lines] == ids  # newest first
    assert "N" in lines[0].split()[1]  # unread mark
    assert "Alpha" in out and "alpha article 0" in out


def test_db_before_the_subcommand(library_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--db", str(library_path), "list")
    assert code == 0 and len(out.splitlines()) == 15


def test_db_from_environment(
    library_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TUI_READER_DB", str(library_path))
    code, out, _ = run(capsys, "list")
    assert code == 0 and len(out.splitlines()) == 15


def test_list_json_fields(library_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list", "--json", "--db", str(library_path))
    assert code == 0
    rows = json_lines(out)
    assert len(rows) == 15
    first = next(r for r in rows if r["title"] == "alpha article 0")
    for field in (
        "id", "feed", "category", "title", "link", "author", "published", "read", "starred"
    ):  # fmt: skip
        assert field in first
    assert first["feed"] == "Alpha" and first["category"] == "Tech"
    assert first["title"] == "alpha article 0"
    assert first["link"] == "https://alpha.example.com/0"
    assert first["author"] == "Author 0"
    assert first["published"] == "2026-11-29T12:00:00Z"
    assert all(ISO_Z.fullmatch(str(r["published"])) for r in rows)
    assert first["read"] is False and first["starred"] is False
    assert isinstance(first["id"], str) and len(first["id"]) == 12


def test_list_published_is_utc_whatever_the_local_zone(
    library_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        _, out, _ = run(capsys, "list", "--json", "--db", str(library_path))
    finally:
        monkeypatch.setenv("TZ", "UTC")
        time.tzset()
    assert json_lines(out)[0]["published"] == "2026-11-29T12:00:00Z"


def test_list_unread_and_starred(library_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Store.open(library_path) as store:
        ids = [a.id for a in store.articles()]
        store.set_read(ids[:5])
        store.set_starred([ids[0], ids[7]])
    _, out, _ = run(capsys, "list", "--unread", "--json", "--db", str(library_path))
    unread = json_lines(out)
    assert [r["id"] for r in unread] == ids[5:]
    assert not any(r["read"] for r in unread)
    _, out, _ = run(capsys, "list", "--starred", "--json", "--db", str(library_path))
    starred = json_lines(out)
    assert [r["id"] for r in starred] == [ids[0], ids[7]]
    assert starred[0]["read"] is True and starred[0]["starred"] is True
    _, out, _ = run(capsys, "list", "--starred", "--unread", "--db", str(library_path))
    assert [line.split()[0] for line in out.splitlines()] == [ids[7]]


def test_list_prints_markup_literally(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory = tmp_path / "lib"
    with Store.open(directory) as store:
        feed, _ = store.add_feed("https://m.example.com/feed", "[red]Feed[/] :smile:")
        store.merge_articles(
            feed.id,
            [
                NewArticle(
                    key="1",
                    title="[bold]x[/] :smile: [link=https://evil.example]y[/link]",
                    link="https://m.example.com/1",
                    author="[i]me[/i]",
                    published=NOW,
                )
            ],
            NOW,
        )
    _, out, _ = run(capsys, "list", "--db", str(directory))
    assert "[bold]x[/] :smile: [link=https://evil.example]y[/link]" in out
    assert "[red]Feed[/] :smile:" in out
    assert "😄" not in out and "\x1b" not in out
    _, out, _ = run(capsys, "feeds", "--db", str(directory))
    assert "[red]Feed[/] :smile:" in out and "😄" not in out and "\x1b" not in out
    _, out, _ = run(capsys, "list", "--json", "--db", str(directory))
    row = json_lines(out)[0]
    assert row["title"] == "[bold]x[/] :smile: [link=https://evil.example]y[/link]"
    assert row["author"] == "[i]me[/i]"


def test_list_of_a_missing_library(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "list", "--db", str(tmp_path / "none"))
    assert code == 2 and out == ""
    assert "no library" in err and "Traceback" not in err
    assert not (tmp_path / "none").exists()


def test_list_of_a_damaged_library(library_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (library_path / "library.json").write_bytes(b"{oops")
    code, _, err = run(capsys, "list", "--db", str(library_path))
    assert code == 2 and "cannot be read" in err and "Traceback" not in err
    assert (library_path / "library.json").read_bytes() == b"{oops"  # list changes nothing


def test_list_does_not_lock(library_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Store.open(library_path):
        code, out, _ = run(capsys, "list", "--db", str(library_path))
    assert code == 0 and len(out.splitlines()) == 15


# --------------------------------------------------------------------------- mark


@pytest.mark.parametrize(
    ("flag", "check", "expected"),
    [
        ("--read", "read", True),
        ("--star", "starred", True),
    ],
)
def test_mark_on(
    library_path: Path, capsys: pytest.CaptureFixture[str], flag: str, check: str, expected: bool
) -> None:
    with Store.open(library_path, read_only=True) as store:
        ids = [a.id for a in store.articles()][:3]
    code, out, err = run(capsys, "mark", flag, *ids, "--db", str(library_path))
    assert code == 0 and err == ""
    assert out.startswith("3 changed, 0 already")
    _, out, _ = run(capsys, "mark", flag, ids[0], "--db", str(library_path))
    assert out.startswith("0 changed, 1 already")
    _, out, _ = run(capsys, "list", "--json", "--db", str(library_path))
    rows = {r["id"]: r for r in json_lines(out)}
    assert [rows[i][check] for i in ids] == [expected] * 3
    assert sum(bool(r[check]) for r in rows.values()) == 3


def test_mark_off(library_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Store.open(library_path) as store:
        ids = [a.id for a in store.articles()][:2]
        store.set_read(ids)
        store.set_starred(ids)
    assert run(capsys, "mark", "--unread", ids[0], "--db", str(library_path))[0] == 0
    assert run(capsys, "mark", "--unstar", *ids, "--db", str(library_path))[0] == 0
    with Store.open(library_path, read_only=True) as store:
        assert not store.is_read(ids[0]) and store.is_read(ids[1])
        assert store.starred_count() == 0


def test_mark_unknown_ids(library_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Store.open(library_path, read_only=True) as store:
        good = store.articles()[0].id
    code, out, err = run(
        capsys, "mark", "--read", "nope", good, "\x1b[2J", "--db", str(library_path)
    )
    assert code == 1
    assert "no article with id 'nope'" in err
    assert "\x1b" not in err  # the id is shown, not obeyed
    assert out.startswith("1 changed")
    with Store.open(library_path, read_only=True) as store:
        assert store.is_read(good)  # the known id was still marked


def test_mark_needs_a_flag(library_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["mark", "abc", "--db", str(library_path)])
    assert caught.value.code == 2


def test_mark_while_the_reader_is_open(
    library_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store.open(library_path):
        code, _, err = run(capsys, "mark", "--read", "x", "--db", str(library_path))
    assert code == 2 and "Another tui-reader" in err


# --------------------------------------------------------------------------- feeds


def test_feeds(library_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Store.open(library_path) as store:
        alpha = next(f.id for f in store.feeds() if f.title == "Alpha")
        store.set_read([a.id for a in store.articles([alpha])][:2])
        store.record_fetch(alpha, ok=False, error="HTTP 404", when=NOW + timedelta(hours=1))
    code, out, _ = run(capsys, "feeds", "--db", str(library_path))
    assert code == 0
    assert "Tech / Alpha  [6 articles, 4 unread]" in out
    assert "failing (1x): HTTP 404" in out
    assert "https://gamma.example.com/feed" in out
    code, out, _ = run(capsys, "feeds", "--json", "--db", str(library_path))
    rows = {r["title"]: r for r in json_lines(out)}
    assert rows["Alpha"]["unread"] == 4 and rows["Alpha"]["articles"] == 6
    assert rows["Alpha"]["failures"] == 1 and rows["Alpha"]["last_error"] == "HTTP 404"
    assert rows["Beta"]["last_success"] == "2026-11-29T12:00:00Z"
    assert rows["Gamma"]["category"] == "Science"


# --------------------------------------------------------------------------- export/import


def test_export_then_import_round_trips(
    library_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store.open(library_path) as store:
        beta = next(f.id for f in store.feeds() if f.title == "Beta")
        store.update_feed(beta, title="Beta & <Sons> [bold]x[/]", category="Tech/Deep")
        before = {(f.url, f.title, f.category) for f in store.feeds()}
    opml = tmp_path / "subs.opml"
    code, _, err = run(capsys, "export", str(opml), "--db", str(library_path))
    assert code == 0 and "Exported 3 feeds" in err
    code, out, _ = run(capsys, "export", "--db", str(library_path))
    assert code == 0
    fresh = tmp_path / "fresh"
    code, out, _ = run(capsys, "import", str(opml), "--db", str(fresh))
    assert code == 0
    assert "3 added, 0 already present, 0 rejected" in out
    with Store.open(fresh, read_only=True) as store:
        after = {(f.url, f.title, f.category) for f in store.feeds()}
    assert after == before
    # Importing again adds nothing.
    _, out, _ = run(capsys, "import", str(opml), "--db", str(fresh))
    assert "0 added, 3 already present" in out


def test_export_to_stdout(library_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert main(["export", "--db", str(library_path)]) == 0
    out = capsysbinary.readouterr().out
    assert out.startswith(b"<?xml") and out.count(b"xmlUrl=") == 3


def test_import_reports_rejected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    urls = tmp_path / "urls"
    urls.write_text(
        "https://a.example.com/feed\n"
        "https://a.example.com/feed/\n"
        "ftp://b.example.com/feed\n"
        "https://c.example.com/rss\n"
    )
    code, out, _ = run(capsys, "import", str(urls), "--db", str(tmp_path / "lib"))
    assert code == 0
    assert "2 added" in out and "1 already present" in out and "1 rejected" in out
    assert "rejected" in out and "Run `tui-reader refresh`" in out


def test_import_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "import", str(tmp_path / "missing.opml"), "--db", str(tmp_path))
    assert code == 2 and "cannot read" in err
    bad = tmp_path / "bad.opml"
    bad.write_text("<opml><body><outline")
    code, _, err = run(capsys, "import", str(bad), "--db", str(tmp_path / "lib"))
    assert code == 2 and "bad.opml" in err and "Traceback" not in err


# --------------------------------------------------------------------------- restore-backup


def test_restore_backup(library_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Store.open(library_path).close()  # a good open writes library.json.bak
    good = (library_path / "library.json").read_bytes()
    (library_path / "library.json").write_bytes(b"garbage")
    code, _, err = run(capsys, "list", "--db", str(library_path))
    assert code == 2
    code, _, err = run(capsys, "mark", "--read", "x", "--db", str(library_path))
    assert code == 2 and "restore-backup" in err and "library.json.bak" in err
    code, out, _ = run(capsys, "restore-backup", "--db", str(library_path))
    assert code == 0 and "Restored" in out
    assert (library_path / "library.json").read_bytes() == good
    assert list(library_path.glob("library.json.corrupt-*"))  # the damaged copy is kept
    code, out, _ = run(capsys, "list", "--db", str(library_path))
    assert code == 0 and len(out.splitlines()) == 15


def test_restore_backup_keeps_the_current_file(
    library_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Store.open(library_path).close()
    (library_path / "library.json").write_bytes(b"{}")
    assert run(capsys, "restore-backup", "--db", str(library_path))[0] == 0
    kept = list(library_path.glob("library.json.before-restore-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == b"{}"


def test_restore_backup_without_backup(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "restore-backup", "--db", str(tmp_path))
    assert code == 2 and "there is no backup" in err


# --------------------------------------------------------------------------- refresh


def test_piped_refresh_imports_neither_rich_nor_search(tmp_path: Path) -> None:
    """`refresh` from cron or a script imports only its own path (start-up time)."""
    import os
    import subprocess
    import sys

    db = tmp_path / "lib"
    with Store.open(db) as store:
        store.add_feed("http://127.0.0.1:9/feed.xml", "Nowhere")  # refused at once
    code = (
        "import sys\n"
        "from tui_reader.__main__ import main\n"
        f"status = main(['--db', {str(db)!r}, 'refresh'])\n"
        "extra = [m for m in sys.modules if m.split('.')[0] == 'rich'\n"
        "         or m in ('tui_reader.search', 'tui_reader.query')]\n"
        "print('EXTRA', extra)\n"
        "sys.exit(status)\n"
    )
    # These would make rich (and so the refresh) treat the pipe as a terminal.
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert "EXTRA []" in result.stdout, result.stdout + result.stderr
    assert "[1/1] failed: Nowhere" in result.stdout
    assert "Refreshed 1 feed: 0 updated, 0 unchanged, 1 failed; 0 new articles." in result.stdout
    assert "  failed: Nowhere: " in result.stdout
