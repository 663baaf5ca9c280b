"""screenshots/make_screenshots.py makes its PNGs from the real rendering of the SVGs:
the space between two differently styled runs ("All" and " 54" in the sidebar) survives,
which rsvg-convert's PNGs lost ("All54")."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pytest
from rich.console import Console
from rich.text import Text

SCRIPT = Path(__file__).resolve().parents[2] / "screenshots" / "make_screenshots.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_screenshots", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _widest_gap(png: Path, row: tuple[int, int]) -> int:
    """The widest run of background columns between the first and last lit pixel of a band
    of rows (the text line)."""
    from PIL import Image  # test-only: Pillow comes with textual-image

    image = Image.open(png).convert("L")
    top, bottom = row
    lit = [
        any(image.getpixel((x, y)) > 110 for y in range(top, bottom)) for x in range(image.width)
    ]
    first, last = lit.index(True), len(lit) - 1 - lit[::-1].index(True)
    widest = run = 0
    for x in range(first, last + 1):
        run = 0 if lit[x] else run + 1
        widest = max(widest, run)
    return widest


@pytest.mark.skipif(
    shutil.which("chromium") is None and shutil.which("chromium-browser") is None,
    reason="the screenshots' PNGs are made by Chromium: install it (apt-get install chromium)",
)
def test_pngs_keep_the_spaces_of_the_svgs(tmp_path: Path) -> None:
    pytest.importorskip("PIL", reason="Pillow reads the PNG: pip install pillow")
    script = _script()
    console = Console(record=True, width=12, file=open(tmp_path / "out.txt", "w"))  # noqa: SIM115
    console.print(Text.assemble(("All", "bold"), (" 54", "dim")))
    svg = tmp_path / "shot.svg"
    svg.write_text(console.export_svg(title=""), encoding="utf-8")
    browser = script.chromium()
    assert browser is not None
    script.to_png(svg, browser)
    png = svg.with_suffix(".png")
    assert png.exists()
    # Rich's SVG: a 20 px font, 12.2 px per cell; the text line sits below the title bar.
    # Between "All" and "54" there is a whole empty cell; inside a word, at most a few px.
    assert _widest_gap(png, (45, 75)) >= 10
