"""Parse speed: median time of `parse_feed` over a directory of feed files, per item.

Not part of the test suite. Run with the project's venv Python, for example::

    .venv/bin/python benchmarks/parse_speed.py /tmp/tui-reader-bench/c-small/feeds --runs 5

All files are read into memory first, so only parsing is timed (no disk I/O). Prints
one line: files, articles, bytes, the median total time and microseconds per article.
`--profile` runs once under cProfile instead and prints the top functions.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from tui_reader.feeds.parse import FeedParseError, parse_feed

FETCHED_AT = datetime(2024, 6, 2, 12, 0, tzinfo=UTC)


def load(directory: Path) -> list[tuple[str, bytes]]:
    files = sorted(p for p in directory.iterdir() if p.suffix in (".xml", ".rss", ".atom"))
    return [(f"https://bench.example/{p.name}", p.read_bytes()) for p in files]


def parse_all(docs: list[tuple[str, bytes]]) -> int:
    """Parse every document; the number of articles read."""
    articles = 0
    for url, body in docs:
        try:
            parsed = parse_feed(
                body, url=url, fetched_at=FETCHED_AT, content_type="application/xml"
            )
        except FeedParseError:
            continue
        articles += len(parsed.articles)
    return articles


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    docs = load(args.directory)
    if not docs:
        print(f"no feed files in {args.directory}", file=sys.stderr)
        return 1
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(parse_all, docs)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return 0
    parse_all(docs)  # warm-up: imports, regex compilation, lxml parser per thread
    times: list[float] = []
    articles = 0
    for _ in range(max(1, args.runs)):
        start = time.perf_counter()
        articles = parse_all(docs)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    size = sum(len(body) for _, body in docs)
    per_item = median / max(1, articles) * 1e6
    print(
        f"{len(docs)} files, {articles} articles, {size / 2**20:.1f} MiB:"
        f" median {median:.3f} s of {len(times)} runs, {per_item:.1f} us/item"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
