"""The reader in a browser tab (`tui-reader serve`), photographed in Chromium:
screenshots/browser.png.

Needs what the browser tests need (tests/e2e): Debian's Chromium at /usr/bin/chromium
(`apt-get install chromium`) and the test extra (playwright, pyte). It serves a scratch
demo library on a free loopback port, opens an article with `Tab j Enter`, and takes the
page as the user sees it. No request leaves the machine.

    .venv/bin/python screenshots/serve_screenshot.py [--out PATH]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the repository: tests/e2e/served.py drives the browser

from tests.e2e.served import (  # noqa: E402
    VIEWPORT,
    Served,
    launch_chromium,
    offline,
    open_reader,
    type_keys,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "browser.png")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with Served("--demo") as served, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            context = browser.new_context(viewport=VIEWPORT)
            offline(context)
            page, tap = open_reader(context, served.url)
            tap.wait_for("Unread")
            type_keys(page, "Tab", "j", "Enter")
            tap.wait_for("min read")  # the article is drawn
            page.wait_for_timeout(500)  # xterm.js paints its canvas on the next frames
            page.screenshot(path=str(args.out))
            page.close()
        finally:
            browser.close()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
