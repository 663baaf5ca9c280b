"""What grouping copies of one story costs (issue 18 part 6, config `merge_duplicates`).

Builds a library of `--feeds` x `--per-feed` articles (100k by default, short bodies)
in which every `--every`-th article of a feed is also carried by the next feed (a link
with tracking parameters, another scheme, a trailing slash), then measures in a fresh
process, median of `--runs` rounds where it repeats:

* open: `Store.open` (what the reader pays without the feature);
* track: `Store.track_duplicates` on the open library (the one full scan, at start-up);
* RSS added by the index (peak RSS difference between open and after tracking);
* list_all off/on: `views.articles_for(store, ALL)` without and with merging;
* counts off/on: `views.sidebar_counts` without and with the surplus of copies;
* mark: marking one story read with its copies (`with_copies` + `set_read`).

    .venv/bin/python benchmarks/duplicates_scale.py [--feeds 2000] [--per-feed 50]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tui_reader.models import NewArticle
from tui_reader.store import Store
from tui_reader.views import ALL, articles_for, sidebar_counts

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SPELLINGS = ("https://{}?utm_source=rss", "http://{}/", "https://{}#comments")


def build(directory: Path, feeds: int, per_feed: int, every: int) -> int:
    copies = 0
    with Store.open(directory) as store:
        for f in range(feeds):
            feed, _ = store.add_feed(f"https://site{f}.example.com/feed.xml", f"Site {f}", "Cat")
            items = []
            for i in range(per_feed):
                link = f"https://site{f}.example.com/post/{i}"
                if f and i % every == 0:  # the previous site's own story, spelled another way
                    link = SPELLINGS[i % 3].format(f"site{f - 1}.example.com/post/{i + 1}")
                    copies += 1
                items.append(
                    NewArticle(
                        key=f"{f}-{i}",
                        title=f"Post {i} of site {f}",
                        link=link,
                        author="",
                        published=NOW - timedelta(minutes=(f * per_feed + i) % 500_000),
                        body_html="<p>short</p>",
                    )
                )
            store.merge_articles(feed.id, items, NOW)
    return copies


def best(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def child(directory: Path, runs: int) -> dict[str, float]:
    t0 = time.perf_counter()
    store = Store.open(directory)
    out = {"open_s": time.perf_counter() - t0}
    rss_open = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    categories = {f.id: f.category for f in store.feeds()}
    by_feed = store.unread_counts_by_feed()
    out["list_all_off_ms"] = best(lambda: articles_for(store, ALL), runs) * 1000
    out["counts_off_ms"] = best(lambda: sidebar_counts(store, categories, by_feed, {}), runs) * 1000
    t0 = time.perf_counter()
    dups = store.track_duplicates()
    out["track_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    dups.groups()
    out["first_groups_ms"] = (time.perf_counter() - t0) * 1000
    out["groups"] = len(dups.distinct_groups())
    out["rss_added_mib"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_open) / 1024
    out["list_all_on_ms"] = best(lambda: articles_for(store, ALL), runs) * 1000
    out["counts_on_ms"] = best(lambda: sidebar_counts(store, categories, by_feed, {}), runs) * 1000
    story = next(iter(dups.groups()))

    def mark() -> None:
        store.set_read(dups.with_copies([story]), True)
        store.set_read(dups.with_copies([story]), False)

    out["mark_read_and_back_ms"] = best(mark, runs) * 1000
    store.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--per-feed", type=int, default=50)
    parser.add_argument("--every", type=int, default=10, help="every n-th article is a copy")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(Path(args.child), args.runs)))
        return
    with tempfile.TemporaryDirectory(prefix="dups-scale-") as tmp:
        directory = Path(tmp) / "library"
        start = time.perf_counter()
        copies = build(directory, args.feeds, args.per_feed, args.every)
        total = args.feeds * args.per_feed
        print(f"built {total} articles ({copies} copies) in {time.perf_counter() - start:.1f} s")
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(directory), "--runs", str(args.runs)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for key, value in json.loads(out).items():
            print(f"{key:>22}: {value:10.2f}")


if __name__ == "__main__":
    main()
