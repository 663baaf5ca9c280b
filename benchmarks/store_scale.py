"""Store at scale: 2,000 feeds x 50 articles (100k, ~2 KB bodies each).

Measures what the 100k-article issue asks for:

* open: `Store.open` (loads every header and flag into memory);
* first paint: open + what the reader asks for before it can draw (feeds, unread counts
  per feed, the newest-first list of everything);
* peak RSS of a process that opened the library and painted;
* `set_read` latency p50/p99 (the on-screen part of marking an article read);
* time from `set_read` until the feed's flags file on disk contains the change.

Each measurement runs in a fresh child process (so RSS and caches are honest); the result
is the median of `--runs` runs. Usage:

    .venv/bin/python benchmarks/store_scale.py [--feeds 2000] [--per-feed 50] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tui_reader.models import NewArticle
from tui_reader.store import Store

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
FILLER = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 35  # ~2 KB


def build(directory: Path, feeds: int, per_feed: int) -> float:
    start = time.perf_counter()
    rng = random.Random(1)
    with Store.open(directory) as store:
        for f in range(feeds):
            feed, _ = store.add_feed(
                f"https://site{f}.example.com/feed.xml", f"Site {f}", f"Category {f % 40}"
            )
            items = [
                NewArticle(
                    key=f"https://site{f}.example.com/post/{i}",
                    title=f"Post {i} of site {f}: something happened",
                    link=f"https://site{f}.example.com/post/{i}",
                    author=f"Author {i % 7}",
                    published=NOW - timedelta(minutes=rng.randrange(0, 525_600)),
                    body_html=f"<p>{FILLER}</p>",
                )
                for i in range(per_feed)
            ]
            store.merge_articles(feed.id, items, NOW)
            store.record_fetch(feed.id, ok=True, etag=f'"{f}"', when=NOW)
        # Some history: a quarter read, a few starred.
        ids = [a.id for a in store.articles()]
        store.set_read(ids[::4])
        store.set_starred(ids[::97])
    return time.perf_counter() - start


def child(directory: Path, marks: int) -> dict[str, float]:
    """One measured run (in a fresh process)."""
    t0 = time.perf_counter()
    store = Store.open(directory)
    t_open = time.perf_counter() - t0
    feeds = store.feeds()
    counts = store.unread_counts_by_feed()
    everything = store.articles()
    t_paint = time.perf_counter() - t0
    assert len(feeds) and len(counts) and len(everything)

    rng = random.Random(2)
    unread = [a for a in everything if not store.is_read(a.id)]
    latencies: list[float] = []
    disk: list[float] = []
    for n in range(marks):
        article = rng.choice(unread)
        start = time.perf_counter()
        store.set_read([article.id])
        # What the UI does right after a mark: new counts for the sidebar.
        store.unread_counts_by_feed()
        latencies.append(time.perf_counter() - start)
        if n % 10 == 0:
            path = directory / "flags" / f"{article.feed_id}.json"
            while article.id.encode() not in path.read_bytes():
                time.sleep(0.001)
            disk.append(time.perf_counter() - start)
        else:
            time.sleep(0.005)  # a user does not press keys back to back
    store.close()
    latencies.sort()
    return {
        "open_s": t_open,
        "first_paint_s": t_paint,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "mark_p50_ms": latencies[len(latencies) // 2] * 1000,
        "mark_p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
        "on_disk_p50_ms": statistics.median(disk) * 1000,
        "on_disk_max_ms": max(disk) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--per-feed", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--marks", type=int, default=300)
    parser.add_argument("--dir", help="reuse (or build) the library here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(Path(args.child), args.marks)))
        return

    with tempfile.TemporaryDirectory(prefix="store-scale-") as tmp:
        directory = Path(args.dir) if args.dir else Path(tmp) / "library"
        if not (directory / "library.json").exists():
            took = build(directory, args.feeds, args.per_feed)
            print(f"built {args.feeds} x {args.per_feed} articles in {took:.1f} s")
        size = sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())
        print(f"library size on disk: {size / 2**20:.0f} MiB")
        runs = []
        for _ in range(args.runs):
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(directory), "--marks", str(args.marks)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            runs.append(json.loads(out))
        for key in runs[0]:
            values = [r[key] for r in runs]
            print(
                f"{key:>16}: median {statistics.median(values):8.2f}"
                f"   (min {min(values):.2f}, max {max(values):.2f})"
            )


if __name__ == "__main__":
    main()
