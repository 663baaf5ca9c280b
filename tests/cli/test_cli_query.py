"""`tui-reader list QUERY`: the query is the rest of the line, options still work anywhere.

A word like `-solar` is a negation, not an unknown option; `--json`, `--unread`, `--db`
keep working before and after the query (`list --json` is a stable interface), and
after `--` everything is query.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tui_reader.__main__ import main


def titles(capsys: pytest.CaptureFixture[str], *argv: str) -> list[str]:
    assert main(list(argv)) == 0
    out = capsys.readouterr().out
    return sorted(str(orjson.loads(line)["title"]) for line in out.splitlines())


ALPHA = [f"alpha article {i}" for i in range(6)]


@pytest.mark.parametrize(
    "argv",
    [
        ["list", "--json", "cat:tech", "-beta"],  # a negation after a word
        ["list", "cat:tech", "-beta", "--json"],  # --json after the query, as before
        ["list", "-beta", "--json", "cat:tech"],  # a negation first, an option in the middle
        ["list", "cat:tech", "--json", "--", "-beta"],  # `--` still works
        ["list", "--json", "--", "cat:tech", "-beta"],
        ["list", "--json", "cat:tech", "-feed:beta"],
    ],
)
def test_a_query_is_the_rest_of_the_line(
    library_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    assert titles(capsys, "--db", str(library_path), *argv) == ALPHA


def test_options_with_values_anywhere(
    library_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(library_path)
    assert titles(capsys, "list", "cat:tech", "--db", db, "-beta", "--json") == ALPHA
    assert titles(capsys, "list", "cat:tech", f"--db={db}", "-beta", "--json") == ALPHA


def test_negated_filters_and_flags_together(
    library_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tui_reader.store import Store

    with Store.open(library_path) as store:
        store.set_read([a.id for a in store.articles() if a.title == "gamma article 1"])
    got = titles(
        capsys, "list", "gamma", "--unread", "-is:read", "--json", "--db", str(library_path)
    )
    assert got == ["gamma article 0", "gamma article 2", "gamma article 3"]


def test_a_mistyped_option_is_an_error_with_the_commands_usage(
    library_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--db", str(library_path), "list", "alpha", "--jsn"])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "usage: tui-reader list" in err
    assert "unrecognized arguments: --jsn" in err


def test_plain_listing_with_a_negation(
    library_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", str(library_path), "list", "gamma", "-1", "-2"]) == 0
    out = capsys.readouterr().out
    assert [line.rsplit("  ", 1)[1] for line in out.splitlines()] == [
        "gamma article 0",
        "gamma article 3",
    ]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("@7x", "@7x: unknown unit 'x'; use @12h, @7d, @2w or @3m"),
        ("@7", "@7 needs a unit"),
    ],
)
def test_an_unknown_age_unit_is_a_bad_query(
    library_path: Path, capsys: pytest.CaptureFixture[str], query: str, message: str
) -> None:
    assert main(["--db", str(library_path), "list", query]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"tui-reader: bad query: {message}")
