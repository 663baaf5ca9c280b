"""Time to first paint of `tui-reader serve` in a real Chromium (issue 19), median of N.

For each run a fresh browser profile opens the served demo library, offline, and three
moments are taken from the start of the navigation: the page loaded (`load` event), the
first terminal output over the websocket, the reader drawn (the sidebar's counts, the list
and the empty reading pane, read back with pyte, polled every 10 ms), and the footer's
keys (they follow the page's giving the terminal the focus, `serve._FOCUS_TERMINAL`).
Between runs the tab is closed and its reader given time to quit, so every run starts a
new reader process.

Needs Debian's Chromium at /usr/bin/chromium and the test extra (playwright, pyte).

    .venv/bin/python benchmarks/serve_paint.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/e2e/served.py

from tests.e2e.served import VIEWPORT, Served, TerminalTap, launch_chromium, offline


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    rows: list[tuple[float, float, float, float]] = []
    with Served("--demo") as served, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            for _ in range(args.runs):
                context = browser.new_context(viewport=VIEWPORT)
                offline(context)
                page = context.new_page()
                tap = TerminalTap(page)
                start = time.monotonic()
                page.goto(served.url)
                loaded = time.monotonic() - start
                tap.wait_for(lambda t: "Unread 5" in t and "Select an article" in t, poll=0.01)
                drawn = time.monotonic() - start
                tap.wait_for("q Quit", poll=0.01)
                keys = time.monotonic() - start
                assert tap.first_frame is not None
                rows.append((loaded, tap.first_frame - start, drawn, keys))
                context.close()
                time.sleep(2)  # the tab's reader saves and quits
        finally:
            browser.close()
    print("run  page loaded  first output  reader drawn  footer keys")
    for number, row in enumerate(rows, 1):
        print(f"{number:>3}  " + "  ".join(f"{value:>10.2f} s" for value in row))
    medians = [statistics.median(column) for column in zip(*rows, strict=True)]
    print("med  " + "  ".join(f"{value:>10.2f} s" for value in medians))
    return 0


if __name__ == "__main__":
    sys.exit(main())
