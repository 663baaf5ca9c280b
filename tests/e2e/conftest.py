"""Fixtures for the browser tests: one headless Chromium (Debian's, at /usr/bin/chromium)
driven by Playwright for each test module, and a fresh browser context per test that lets
no request leave the machine.

Where Chromium or the test extra's playwright/pyte cannot be had, the tests skip and say
what to install; with CI=true they fail instead, because CI provides them (.ci/run
installs Chromium, the README's test command installs the test extra).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, NoReturn

import pytest

from .served import CHROMIUM, VIEWPORT, launch_chromium, offline


def _cannot_provide(reason: str) -> NoReturn:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must provide the browser tests' tools, but: {reason}", pytrace=False)
    pytest.skip(reason)


# Module scope, not session: while Playwright's sync API runs, its event loop counts as
# running in this thread, and the asyncio (Pilot) tests collected after would fail.
@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    try:
        import pyte  # noqa: F401 - the tests read the screen with it
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _cannot_provide(
            f"needs the test extra ({exc.name} cannot be imported): pip install -e '.[test]'"
        )
    if not CHROMIUM.exists():
        _cannot_provide(
            f"needs Debian's Chromium at {CHROMIUM}: apt-get install chromium (.ci/run does it)"
        )
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def context(chromium: Any) -> Iterator[Any]:
    """A private browser profile with the network cut off (the page must work offline)."""
    ctx = chromium.new_context(viewport=VIEWPORT)
    offline(ctx)
    try:
        yield ctx
    finally:
        ctx.close()
