"""Pilot tests for the killfile's hide rules: hidden articles are in no view, no search and
no count of the reader; a bad rule is explained when the reader starts."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tests.app.test_app_find import titles, type_search
from tests.pilot_helpers import MessageLog, settle
from tui_reader.app import TuiReader
from tui_reader.config import Config, apply_to_store, config_from_dict, load_config
from tui_reader.screens.main import MainScreen, ignore_rules
from tui_reader.store import Store
from tui_reader.views import View

RULES = """
[[ignore]]
query = 'feed:gamma'
[[ignore]]
query = 'cat:tech "article 1"'
"""


def with_rules(store: Store, toml: str) -> Config:
    config = config_from_dict(tomllib.loads(toml), source="config.toml")
    apply_to_store(config, store)  # as launch.py does before the app starts
    return config


async def test_hidden_articles_are_not_listed_found_or_counted(store: Store) -> None:
    config = with_rules(store, RULES)
    feeds = {f.title: f for f in store.feeds()}
    app = TuiReader(store, config)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await pilot.pause()
        shown = titles(screen)
        assert len(shown) == 15 - 6
        assert not [t for t in shown if t.startswith("gamma") or t.endswith("article 1")]
        counts = screen.counts
        assert counts["all:"] == counts["unread:"] == screen.unread_total == 9
        assert counts[f"feed:{feeds['Gamma'].id}"] == 0
        assert counts["category:Science"] == 0
        assert counts["category:Tech"] == 9
        assert counts[f"feed:{feeds['Alpha'].id}"] == 5
        assert str(screen.sidebar.node_for("all:").label) == "All 9"
        # A hidden feed's own view is empty; so is a search for its articles.
        screen.view = View("feed", feeds["Gamma"].id, label="Gamma")
        await pilot.pause()
        assert screen.article_list.articles == ()
        screen.view = View("feed", feeds["Alpha"].id, label="Alpha")
        await settle(pilot, lambda: len(screen.article_list.articles) == 5)
        screen.view = View("all", label="All")
        await settle(pilot, lambda: len(screen.article_list.articles) == 9)
        await type_search(pilot, screen, "article 1")
        await settle(pilot, lambda: "match" in str(screen.find.search_box.border_subtitle))
        assert titles(screen) == []
        await pilot.press("escape")
        # Marking everything shown read leaves nothing unread to see; the hidden ones
        # are not marked (the user never saw them).
        await settle(pilot, lambda: len(screen.article_list.articles) == 9)
        await pilot.press("A", "y")
        await settle(pilot, lambda: screen.unread_total == 0)
        assert not screen.has_unread
        assert store.unread_count() == 0
        assert len(store.articles(unread_only=True, include_hidden=True)) == 6


async def test_a_bad_rule_is_explained_at_start(store: Store) -> None:
    config = with_rules(store, '[[ignore]]\nquery = "spam"\nmode = "shred"\n')
    log = MessageLog()
    app = TuiReader(store, config)
    async with app.run_test(size=(120, 40), message_hook=log) as pilot:
        await settle(pilot, lambda: log.notifications)
        assert [n.message for n in log.notifications] == [
            "config.toml: [[ignore]] rule 1 ('spam'): mode 'shred' is not known; use "
            '"hide" or "drop". Ignored.'
        ]
        screen = app.screen
        assert isinstance(screen, MainScreen)
        assert len(screen.article_list.articles) == 15  # the bad rule hides nothing


async def test_editing_the_rules_applies_at_once(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ignore_rules, "CHECK_SECONDS", 0.05)
    path = tmp_path / "config.toml"  # not there yet: the reader still watches for it
    config = load_config(path)
    apply_to_store(config, store)
    log = MessageLog()
    app = TuiReader(store, config)
    async with app.run_test(size=(120, 40), message_hook=log) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await pilot.pause()
        assert len(screen.article_list.articles) == 15
        path.write_text(RULES)
        await settle(pilot, lambda: len(screen.article_list.articles) == 9)
        assert screen.counts["all:"] == 9
        assert log.notifications[-1].message == (
            f"Ignore rules reloaded from {path}: 2 rules in force."
        )
        # Half-saved (not TOML): the rules in force stay, and the reader says why.
        path.write_text(RULES + "[[ignore]\n")
        await settle(pilot, lambda: "could not be read again" in log.notifications[-1].message)
        assert len(screen.article_list.articles) == 9
        # One rule left, with a bad one beside it: the bad one is explained.
        path.write_text("[[ignore]]\nquery = 'feed:gamma'\n[[ignore]]\nquery = ''\n")
        await settle(pilot, lambda: len(screen.article_list.articles) == 11)
        messages = [n.message for n in log.notifications[-2:]]
        assert messages == [
            f"{path}: [[ignore]] rule 2: the query is empty, so it would match every article; "
            "ignored.",
            f"Ignore rules reloaded from {path}: 1 rule in force.",
        ]
        assert screen.counts["category:Science"] == 0
        path.unlink()  # no file, no rules
        await settle(pilot, lambda: len(screen.article_list.articles) == 15)
        assert screen.counts["all:"] == 15
