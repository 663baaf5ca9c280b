"""Regenerate screenshots/ from the real app on the demo library.

Run: `.venv/bin/python screenshots/make_screenshots.py`. Writes SVGs, and PNGs of them
made by headless Chromium (Debian: `apt-get install chromium`), which lays the SVG's text
out as a browser does. (rsvg-convert was used before: it dropped the spaces between the
SVG's text runs, "All54".) Without Chromium, only the SVGs are written and the PNGs are
removed, so that no stale PNG stays beside a new SVG.
"""

from __future__ import annotations

import asyncio
import math
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tui_reader.app import TuiReader
from tui_reader.demo_library import populate
from tui_reader.store import Store

HERE = Path(__file__).resolve().parent

# name, terminal size, keys pressed before the shot
SHOTS: list[tuple[str, tuple[int, int], list[str]]] = [
    ("main", (120, 40), ["enter", "j", "enter"]),
    ("narrow-80x24", (80, 24), ["enter", "j", "enter"]),
    ("category", (120, 40), ["j", "j", "j", "j", "l", "j", "enter", "enter"]),
    ("unread-only", (120, 40), ["enter", "u", "j", "j", "s", "enter"]),
    ("help", (120, 40), ["question_mark"]),
    ("welcome", (120, 40), []),
]


async def shoot(name: str, size: tuple[int, int], keys: list[str], library: Path) -> Path:
    store = Store.open(library)
    try:
        app = TuiReader(store)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            for key in keys:
                await pilot.press(key)
            await pilot.pause(0.5)
            target = HERE / f"{name}.svg"
            app.save_screenshot(filename=target.name, path=str(HERE))
    finally:
        store.close()
    return target


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def to_png(svg: Path, browser: str) -> None:
    """The SVG as Chromium draws it, at the SVG's own size, on the terminal's background."""
    match = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg.read_text(encoding="utf-8")[:500])
    if match is None:
        raise SystemExit(f"{svg.name}: no viewBox")
    width, height = (math.ceil(float(v)) for v in match.groups())
    with tempfile.TemporaryDirectory() as scratch:
        page = Path(scratch) / "page.html"
        page.write_text(
            '<html><body style="margin:0;background:#1e1e1e">'
            f'<img src="{svg.as_uri()}" width="{width}" height="{height}"></body></html>',
            encoding="utf-8",
        )
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",  # run as root in containers; the page is our own file
                "--disable-gpu",
                "--hide-scrollbars",
                f"--user-data-dir={scratch}/profile",
                "--allow-file-access-from-files",
                f"--window-size={width},{height}",
                f"--screenshot={svg.with_suffix('.png')}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        demo = Path(scratch) / "demo"
        store = Store.open(demo)
        populate(store)
        store.close()
        empty = Path(scratch) / "empty"
        browser = chromium()
        if browser is None:
            print("Chromium not found: writing SVGs only (old PNGs removed).", file=sys.stderr)
        for name, size, keys in SHOTS:
            library = empty if name == "welcome" else demo
            svg = asyncio.run(shoot(name, size, keys, library))
            if browser is not None:
                to_png(svg, browser)
            else:
                svg.with_suffix(".png").unlink(missing_ok=True)
            print(f"wrote {svg.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
