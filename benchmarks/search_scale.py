"""Search at scale: a title query and a body query over 100,000 articles.

Issue target: titles within 100 ms, bodies within 1 s. Builds the same 2,000 x 50 library
as `store_scale.py` (reusing its builder), then times `search.search` the way the reader
runs it (over the All view, newest first). Medians of `--runs` runs; the first body search
(which reads every bodies file) is reported apart from warm ones.

    .venv/bin/python benchmarks/search_scale.py [--feeds 2000] [--per-feed 50] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from store_scale import build

from tui_reader import clock
from tui_reader.query import parse_query
from tui_reader.search import SearchIndex
from tui_reader.store import Store


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--per-feed", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch) / "library"
        build(directory, args.feeds, args.per_feed)
        store = Store.open(directory, read_only=True)
        articles = store.articles()
        now = clock.now()
        titles = parse_query("happened 42", now)
        bodies = parse_query("adipiscing", now)

        index = SearchIndex(store)
        first_title = timed(lambda: index.search(titles, articles, include_bodies=False))
        title_times = [
            timed(lambda: index.search(titles, articles, include_bodies=False))
            for _ in range(args.runs)
        ]
        rare = parse_query("zyzzyva", now)  # in no body: every feed is skipped unparsed
        cold_rare = [timed(lambda: index.search(rare, articles)) for _ in range(args.runs)]
        cold_common = timed(lambda: index.search(bodies, articles))
        fresh = SearchIndex(store)
        feed_ids = [f.id for f in store.feeds()]
        warm_up = timed(lambda: fresh.warm_up(feed_ids, lambda: False))
        fresh.search(titles, articles, include_bodies=False)
        rare_times = [timed(lambda: fresh.search(rare, articles)) for _ in range(args.runs)]
        common = [timed(lambda: fresh.search(bodies, articles)) for _ in range(args.runs)]
        kept = sum(len(t.blob) for t in fresh._texts.values()) / 2**20
        print(f"articles: {len(articles)}")
        print(
            f"title search: first {first_title * 1000:.0f} ms, "
            f"then median {statistics.median(title_times) * 1000:.0f} ms"
        )
        print(
            f"body search before warm-up: word in no body median "
            f"{statistics.median(cold_rare):.2f} s; word in every body {cold_common:.2f} s"
        )
        print(f"warm-up (all body texts, {kept:.0f} MiB compressed): {warm_up:.2f} s")
        print(
            f"body search after warm-up: word in no body median "
            f"{statistics.median(rare_times):.2f} s; word in every body median "
            f"{statistics.median(common):.2f} s"
        )
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
