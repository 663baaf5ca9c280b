"""Browser launch: $BROWSER parsing, console browsers, argv-only launches, refusals."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest

from tui_reader.browser import BrowserError, launch, plan_launch


def fake_program(directory: Path, name: str, record: Path) -> Path:
    path = directory / name
    path.write_text(f'#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done > "{record}"\n')
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def test_browser_env_gets_the_url_as_one_argument(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = tmp_path / "argv"
    program = fake_program(tmp_path, "mybrowser", record)
    monkeypatch.setenv("BROWSER", str(program))
    url = "https://example.com/a b?q=$(touch /tmp/x)&z=`id`;|"
    plan = plan_launch(url)
    assert plan.argv[0] == str(program)
    assert len(plan.argv) == 2
    assert plan.argv[1].startswith("https://example.com/")
    assert not any(c in plan.argv[1] for c in " $`;|()")
    assert plan.console is False
    launch(plan)
    for _ in range(100):
        if record.exists():
            break
        time.sleep(0.05)
    assert record.read_text().splitlines() == [plan.argv[1]]


def test_percent_s_places_the_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    program = fake_program(tmp_path, "b", tmp_path / "r")
    monkeypatch.setenv("BROWSER", f"nonexistent-browser:{program} --new-tab %s --x")
    plan = plan_launch("https://example.com/")
    assert plan.argv == (str(program), "--new-tab", "https://example.com/", "--x")


def test_console_browsers_are_recognised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    program = fake_program(tmp_path, "w3m", tmp_path / "r")
    monkeypatch.setenv("BROWSER", str(program))
    assert plan_launch("https://example.com/").console is True


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        " JaVaScRiPt:alert(1)",
        "file:///etc/passwd",
        "data:text/html,<script>",
        "--remote-debugging-port=9222",
        "-new-window",
        "http:///nohost",
        "https://",
        "//example.com/protocol-relative",
        "mailto:?attach=~/.ssh/id_rsa",
        "ssh://host",
    ],
)
def test_only_http_urls_with_a_host_are_opened(url: str) -> None:
    with pytest.raises(BrowserError, match="Not opened"):
        plan_launch(url)


def test_configured_command_wins_over_browser_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = fake_program(tmp_path, "first", tmp_path / "r1")
    second = fake_program(tmp_path, "second", tmp_path / "r2")
    monkeypatch.setenv("BROWSER", str(first))
    plan = plan_launch("https://example.com/", browser=f"{second} %s")
    assert plan.argv[0] == str(second)


def test_what_a_naive_shell_wrapper_still_sees(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14 (10): everything a shell treats specially is encoded except what the URL
    needs literally. `&` stays (README "The browser" documents the risk for wrappers)."""
    program = fake_program(tmp_path, "b", tmp_path / "r")
    monkeypatch.setenv("BROWSER", str(program))
    url = plan_launch("http://x.example/[a]{b}\\c'd\"e<f>g?q=1&id#h i").argv[1]
    assert url == "http://x.example/%5Ba%5D%7Bb%7D%5Cc%27d%22e%3Cf%3Eg?q=1&id#h%20i"
    assert set(url) & set(" \t\n'\"`$;|<>(){}[]\\^") == set()
