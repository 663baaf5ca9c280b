"""Bookmarks (issue 18, "Also"): bookmark_command gets the URL, the title, the feed's
title and a description, all sanitised; only http(s) URLs are handed over."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from tests.support.notify_helpers import HOSTILE_TITLES, recorder
from tui_reader.bookmark import bookmark_argv, description_of, run_bookmark
from tui_reader.external import CommandError


def test_bookmark_command_gets_four_sanitised_arguments(tmp_path: Path) -> None:
    command, calls = recorder(tmp_path)
    for title in HOSTILE_TITLES:
        argv = bookmark_argv(
            command,
            "https://example.org/a b?q=1",
            title,
            "-Feed \x1b[5m blink",
            description_of("<p>Hello <b>world</b> &amp; \x1b]52;c;eA==\x07 more</p>" * 200),
        )
        run_bookmark(argv)
    recorded = calls()
    assert len(recorded) == len(HOSTILE_TITLES)
    for args in recorded:
        url, title, feed, description = args
        assert url == "https://example.org/a%20b?q=1"
        assert feed == " -Feed ␛[5m blink"
        assert description.startswith("Hello world & ␛]52;c;eA==␇ more Hello world")
        assert len(description) <= 500
        for text in (title, feed, description):
            assert not any(unicodedata.category(c) == "Cc" for c in text), repr(text)
            assert not text.startswith(("-", "+", "@"))
    assert recorded[0][1] == " -rf --no-preserve-root"
    assert recorded[2][1] == "line one line two line three"
    assert len(recorded[5][1]) == 300


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "file:///etc/passwd",
        "data:text/html,<b>x</b>",
        "-oProxyCommand=evil",
        "ftp://example.org/x",
        "",
    ],
)
def test_only_http_urls_are_bookmarked(tmp_path: Path, url: str) -> None:
    command, calls = recorder(tmp_path)
    with pytest.raises(CommandError, match="Not bookmarked"):
        bookmark_argv(command, url, "title", "feed", "")
    assert calls() == []


def test_without_a_command_the_error_says_which_line_to_add() -> None:
    with pytest.raises(CommandError, match='bookmark_command = "/path/to/your-bookmark-script"'):
        bookmark_argv("  ", "https://example.org/", "t", "f", "d")


def test_a_failing_bookmark_command_is_reported(tmp_path: Path) -> None:
    command, _ = recorder(tmp_path)
    # The recorder fails with status 7 when its first argument is "7".
    argv = bookmark_argv(command, "https://example.org/", "t", "f", "d")
    argv[-4] = "7"
    with pytest.raises(CommandError, match=r"bookmark_command: .* failed \(exit status 7\)"):
        run_bookmark(argv)
