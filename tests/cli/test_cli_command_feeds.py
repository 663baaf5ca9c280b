"""`--allow-commands`: `add`, `import` (OPML and newsboat urls) and `export` of feeds made
by commands (`exec:`, `filter:`). A command subscription never comes from someone else."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest

from tui_reader.__main__ import main
from tui_reader.cli_command_feeds import allow_import_commands
from tui_reader.opml import read_subscriptions
from tui_reader.store import Store

PY = sys.executable
RSS = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>From a script</title>'
    "<item><title>Hello</title><guid>1</guid></item></channel></rss>"
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def tool(tmp_path: Path) -> tuple[str, Path]:
    """(the exec: text of a command that prints a feed and leaves a marker, the marker)."""
    marker = tmp_path / "it-ran"
    path = tmp_path / "tool.py"
    path.write_text(f"open({str(marker)!r}, 'a').write('ran')\nprint({RSS!r})\n")
    # Two blanks inside quotes: an argument that must survive export and import exactly.
    return f"exec:{PY} {path} '--note=a  b' <&>", marker


def feeds_of(library: Path) -> dict[str, str]:
    """url -> trusted_command of every subscription."""
    with Store.open(library, read_only=True) as store:
        return {f.url: f.trusted_command for f in store.feeds()}


def opml_with(*urls: str) -> str:
    outlines = "".join(f'<outline text="t{i}" xmlUrl={quoteattr(u)}/>' for i, u in enumerate(urls))
    return f'<?xml version="1.0"?><opml version="2.0"><body>{outlines}</body></opml>'


# ------------------------------------------------------------------ add


def test_add_refuses_a_command_without_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tool: tuple[str, Path]
) -> None:
    text, marker = tool
    library = tmp_path / "lib"
    code, _, err = run(capsys, "add", "--db", str(library), text)
    assert code == 2
    assert "--allow-commands" in err and "runs a command" in err
    assert not marker.exists() and feeds_of(library) == {}


def test_add_with_the_flag_subscribes_and_refresh_runs_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tool: tuple[str, Path]
) -> None:
    text, marker = tool
    library = tmp_path / "lib"
    code, out, err = run(capsys, "add", "--db", str(library), "--allow-commands", text)
    assert code == 0, err
    assert "Subscribed to From a script" in out
    assert feeds_of(library) == {text: text}
    assert marker.read_text() == "ran"
    code, out, err = run(capsys, "refresh", "--db", str(library))
    assert code == 0, err
    assert marker.read_text() == "ranran"
    code, out, _ = run(capsys, "feeds", "--db", str(library))
    assert text in out  # the url shown is the literal command text


# ------------------------------------------------------------------ OPML


def test_opml_with_exec_is_refused_without_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tool: tuple[str, Path]
) -> None:
    text, marker = tool
    source = tmp_path / "shared.opml"
    source.write_text(opml_with("https://a.example/feed", text))
    library = tmp_path / "lib"
    code, out, err = run(capsys, "import", "--db", str(library), str(source))
    assert code == 1
    assert "1 added" in out and "1 rejected" in out
    assert "commands need --allow-commands" in out
    assert text in err and "--allow-commands" in err
    assert feeds_of(library) == {"https://a.example/feed": ""}
    run(capsys, "refresh", "--db", str(library))
    assert not marker.exists()


def test_opml_with_exec_is_accepted_with_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tool: tuple[str, Path]
) -> None:
    text, _ = tool
    source = tmp_path / "mine.opml"
    source.write_text(opml_with(text))
    library = tmp_path / "lib"
    code, out, err = run(capsys, "import", "--db", str(library), "--allow-commands", str(source))
    assert code == 0, err
    assert "1 added" in out
    assert feeds_of(library) == {text: text}


def test_our_export_of_a_command_feed_needs_the_flag_to_come_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tool: tuple[str, Path]
) -> None:
    text, marker = tool
    library = tmp_path / "lib"
    assert run(capsys, "add", "--db", str(library), "--allow-commands", text)[0] == 0
    exported = tmp_path / "export.opml"
    assert run(capsys, "export", "--db", str(library), str(exported))[0] == 0
    written = read_subscriptions(exported.read_bytes(), exported.name)
    assert [c.subscription.url for c in written.commands] == [text]  # exactly
    other = tmp_path / "other"
    code, _, err = run(capsys, "import", "--db", str(other), str(exported))
    assert code == 1 and "--allow-commands" in err
    assert feeds_of(other) == {}
    code, _, _ = run(capsys, "import", "--db", str(other), "--allow-commands", str(exported))
    assert code == 0 and feeds_of(other) == {text: text}
    assert marker.read_text() == "ran"  # by `add`; importing runs nothing


# ------------------------------------------------------------------ newsboat urls


def test_urls_import_without_a_terminal_lists_the_commands_and_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tool: tuple[str, Path]
) -> None:
    text, marker = tool
    urls = tmp_path / "urls"
    urls.write_text(
        f'https://a.example/feed "~A"\n"{text}" "~Mine" tools\n'
        f'"filter:{PY} -c pass [red]x[/]:https://b.example/feed"\n'
    )
    library = tmp_path / "lib"
    code, out, err = run(capsys, "import", "--db", str(library), str(urls))
    assert code == 1
    assert "1 added, 0 already present, 2 rejected" in out
    assert "2 subscription(s) in this file run commands" in err
    assert f"line 2: {text}" in err
    assert "[red]x[/]" in err  # literal text, never markup
    assert "run the import again with --allow-commands" in err
    assert feeds_of(library) == {"https://a.example/feed": ""}
    code, _, err = run(capsys, "import", "--db", str(library), "--allow-commands", str(urls))
    assert code == 0, err
    with Store.open(library, read_only=True) as store:
        mine = [f for f in store.feeds() if f.url == text]
    assert len(mine) == 1 and mine[0].trusted_command == text
    assert mine[0].title == "Mine" and mine[0].category == "tools"
    assert not marker.exists()  # importing runs nothing


def test_urls_import_on_a_terminal_asks(tmp_path: Path) -> None:
    plan = read_subscriptions(b'"exec:feedgen --all"\nhttps://a.example/\n', "urls")
    asked: list[str] = []

    def answer(reply: str) -> object:
        def ask(prompt: str) -> str:
            asked.append(prompt)
            return reply

        return ask

    out = io.StringIO()
    assert allow_import_commands(plan, False, interactive=True, ask=answer("y"), out=out)
    assert "line 1: exec:feedgen --all" in out.getvalue()
    assert not allow_import_commands(plan, False, interactive=True, ask=answer(""), out=out)
    assert len(asked) == 2 and "[y/N]" in asked[0]
    # An OPML file never asks, terminal or not: the flag is the only way.
    opml = read_subscriptions(opml_with("exec:feedgen").encode(), "x.opml")
    assert not allow_import_commands(opml, False, interactive=True, ask=answer("y"), out=out)
    assert len(asked) == 2
