"""Regenerate screenshots/ from the real app on the demo library.

Run: `.venv/bin/python screenshots/make_screenshots.py`. Writes SVGs, and PNGs too when
`rsvg-convert` (Debian: librsvg2-bin) is installed.
"""

from __future__ import annotations

import asyncio
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


def to_png(svg: Path) -> None:
    converter = shutil.which("rsvg-convert")
    if converter:
        subprocess.run(
            [converter, "-b", "#1e1e1e", "-o", str(svg.with_suffix(".png")), str(svg)],
            check=True,
        )


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        demo = Path(scratch) / "demo"
        store = Store.open(demo)
        populate(store)
        store.close()
        empty = Path(scratch) / "empty"
        for name, size, keys in SHOTS:
            library = empty if name == "welcome" else demo
            svg = asyncio.run(shoot(name, size, keys, library))
            to_png(svg)
            print(f"wrote {svg.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
