"""The killfile on the command line: `list` hides what the reader hides, `list --all` shows
it (marked), `mark` still reaches it, and `config --check` explains bad rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui_reader.__main__ import main
from tui_reader.config import EXAMPLE, load_config
from tui_reader.store import Store

RULES = """
[[ignore]]
name = "no gamma"
query = 'feed:gamma'

[[ignore]]
query = 'cat:tech "article 1" -is:starred'
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(RULES)
    return path


def hidden_titles(library: Path) -> set[str]:
    with Store.open(library, read_only=True) as store:
        feeds = {f.id: f.title for f in store.feeds()}
        return {
            a.title
            for a in store.articles()
            if feeds[a.feed_id] == "Gamma" or a.title in ("alpha article 1", "beta article 1")
        }


def test_list_hides_and_list_all_shows_with_a_mark(
    library_path: Path, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hidden = hidden_titles(library_path)
    assert len(hidden) == 6  # gamma's 4, and "article 1" of alpha and beta
    base = ("--db", str(library_path), "--config", str(config), "list")
    code, out, err = run(capsys, *base)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert len(lines) == 15 - 6
    assert not [line for line in lines if any(line.endswith(t) for t in hidden)]
    code, out, err = run(capsys, *base, "--all")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert len(lines) == 15
    marked = {line for line in lines if line.split()[1:2] == ["NH"]}
    assert {line.split("  ")[-1].strip() for line in marked} == hidden
    # A query searches only what is shown, unless --all.
    code, out, _ = run(capsys, *base, "gamma")
    assert out == ""
    code, out, _ = run(capsys, *base, "--all", "gamma")
    assert len(out.splitlines()) == 4


def test_list_json_gains_hidden_only_with_all(
    library_path: Path, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ("--db", str(library_path), "--config", str(config), "list", "--json")
    _, out, _ = run(capsys, *base)
    docs = [json.loads(line) for line in out.splitlines()]
    assert len(docs) == 9 and all("hidden" not in d for d in docs)
    _, out, _ = run(capsys, *base, "--all")
    docs = [json.loads(line) for line in out.splitlines()]
    assert len(docs) == 15
    assert sum(d["hidden"] for d in docs) == 6
    assert all(d["hidden"] == (d["feed"] == "Gamma" or d["title"].endswith(" 1")) for d in docs)
    # The fields scripts use are the same as without --all.
    assert list(docs[0])[:-1] == list(json.loads(run(capsys, *base)[1].splitlines()[0]))


def test_mark_reaches_hidden_articles_and_a_star_shows_one_again(
    library_path: Path, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ("--db", str(library_path), "--config", str(config))
    _, out, _ = run(capsys, *base, "list", "--all", "--json", "article 1")
    alpha_1 = next(json.loads(x) for x in out.splitlines() if "alpha" in x)
    assert alpha_1["hidden"] is True
    code, out, _ = run(capsys, *base, "mark", "--star", alpha_1["id"])
    assert (code, out) == (0, "1 changed, 0 already starred\n")
    _, out, _ = run(capsys, *base, "list", "--json", "article 1")
    assert [json.loads(x)["id"] for x in out.splitlines()] == [alpha_1["id"]]


def test_config_check_explains_bad_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[[ignore]]\nquery = "feed:\\"Hacker News"\n'
        '[[ignore]]\nquery = "spam"\nmode = "display"\n'
        '[[ignore]]\nquery = "is:unread"\n'
        '[[ignore]]\nquery = "fine"\n'
    )
    code, out, _ = run(capsys, "--config", str(path), "config", "--check")
    assert code == 1
    assert out.splitlines() == [
        f"{path}: [[ignore]] rule 1 ('feed:\"Hacker News'): a quote (\") is not closed; ignored.",
        f"{path}: [[ignore]] rule 2 ('spam'): mode 'display' is not known; use \"hide\" or "
        '"drop". Ignored.',
        f"{path}: [[ignore]] rule 3 ('is:unread'): the query has only is: filters, so it "
        "would match every such article in every feed; add a word or a feed:, cat: or "
        "author: filter; ignored.",
    ]


def test_the_examples_rule_works_when_uncommented(tmp_path: Path) -> None:
    block = EXAMPLE[EXAMPLE.index("# [[ignore]]") :]
    path = tmp_path / "config.toml"
    path.write_text("\n".join(line.removeprefix("# ") for line in block.splitlines()))
    config = load_config(path)
    assert config.warnings == ()
    assert [(r.label, r.mode) for r in config.ignore] == [("Show HN", "hide")]
