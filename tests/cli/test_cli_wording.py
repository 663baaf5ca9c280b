"""What the commands say reads as a person would write it: help pages with a description
and a line for every option, and counts with the right noun ("1 feed", "2 feeds")."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from tests.cli_loopback import rss, serve
from tui_reader.__main__ import COMMANDS, build_parser, main
from tui_reader.store import Store
from tui_reader.wording import plural


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_plural() -> None:
    assert [plural(n, "feed") for n in (0, 1, 2)] == ["0 feeds", "1 feed", "2 feeds"]
    assert plural(1, "new article") == "1 new article"
    assert plural(3, "entry", "entries") == "3 entries"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_help_page_has_a_description_and_says_what_each_option_does(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = _subparsers()[command]
    assert parser.description and len(parser.description) > 40
    for action in parser._actions:
        name = "/".join(action.option_strings) or action.dest
        assert action.help, f"`{command} --help`: {name} has no help text"
    with pytest.raises(SystemExit) as caught:
        main([command, "--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    assert " ".join(parser.description.split()[:4]) in " ".join(out.split())


@pytest.mark.parametrize(
    ("flag", "word"),
    [("--star", "starred"), ("--unstar", "unstarred"), ("--read", "read"), ("--unread", "unread")],
)
def test_mark_says_already_starred(
    library_path: Path, capsys: pytest.CaptureFixture[str], flag: str, word: str
) -> None:
    with Store.open(library_path, read_only=True) as store:
        first = store.articles()[0].id
    db = str(library_path)
    run(capsys, "mark", flag, first, "--db", db)
    code, out, _ = run(capsys, "mark", flag, first, "--db", db)
    assert code == 0
    assert out == f"0 changed, 1 already {word}\n"


def test_one_of_everything_is_said_in_the_singular(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "library")
    documents = {"one.xml": rss("Only One", ["first"])}
    with serve(documents) as base:
        code, out, err = run(capsys, "--db", db, "add", f"{base}/one.xml")
        assert code == 0, err
        assert "Subscribed to Only One in Uncategorized: 1 article." in out
        documents["one.xml"] = rss("Only One", ["second", "first"])
        code, out, err = run(capsys, "--db", db, "refresh")
    assert code == 0, err
    assert "Refreshed 1 feed: 1 updated, 0 unchanged, 0 failed; 1 new article." in out
    code, out, _ = run(capsys, "--db", db, "feeds")
    assert "Uncategorized / Only One  [2 articles, 2 unread]" in out
    code, out, err = run(capsys, "--db", db, "export", str(tmp_path / "out.opml"))
    assert code == 0
    assert err == f"Exported 1 feed to {tmp_path / 'out.opml'}\n"
