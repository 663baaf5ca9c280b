"""Render speed: median time of `html_to_markdown` on a typical 3 KB article body.

Not part of the test suite (speed is measured here, never by timed tests). Run with the
project's venv Python::

    .venv/bin/python benchmarks/render_speed.py --runs 200

Prints the body size and the min/median time per render in milliseconds. A typical body
should render well under 10 ms on a 2-core machine, so that opening an article feels
instant.
"""

from __future__ import annotations

import argparse
import statistics
import time

from tui_reader.render import html_to_markdown

BASE = "https://example.com/post"
PARAGRAPH = (
    "<p>Lorem ipsum dolor sit amet, <b>consectetur</b> adipiscing elit, sed do "
    "<a href='https://ex.example/a'>eiusmod</a> tempor incididunt ut labore et "
    "dolore magna aliqua, ut enim ad minim veniam.</p>"
)
BODY = (
    "<h2>Heading</h2>"
    + PARAGRAPH * 8
    + "<ul><li>one</li><li>two <i>x</i></li></ul><blockquote>quote</blockquote>"
    + "<pre><code>print('x')</code></pre><img src='/a.png' alt='pic'>"
    + PARAGRAPH * 8
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    html_to_markdown(BODY, BASE)  # warm up (regex and parser caches)
    timings = []
    for _ in range(args.runs):
        start = time.perf_counter()
        html_to_markdown(BODY, BASE)
        timings.append(time.perf_counter() - start)
    print(
        f"{len(BODY)} chars: min {min(timings) * 1e3:.2f} ms, "
        f"median {statistics.median(timings) * 1e3:.2f} ms over {args.runs} renders"
    )


if __name__ == "__main__":
    main()
