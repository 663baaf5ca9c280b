"""Child process for the kill -9 test in test_store_durability.py (not a test module).

Usage: python store_crash_worker.py LIBRARY SEED

Runs random store operations forever (until killed). Every operation is announced on
stdout *before* it runs, as one JSON line ``{"op": ...}``; after a `flush()` the worker
prints ``{"ack": n}``, which promises that the first n operations are on disk. The parent
kills the process with SIGKILL at a random moment and checks that every acknowledged
operation survived.
"""

from __future__ import annotations

import json
import random
import sys
from datetime import UTC, datetime, timedelta

import tui_reader.store.writer as writer_module
from tui_reader.models import NewArticle
from tui_reader.store import Store, article_id

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def say(line: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


def main() -> None:
    directory, seed = sys.argv[1], int(sys.argv[2])
    rng = random.Random(seed)
    # Shorter coalescing delay: ~1,000 flushes must fit in seconds. The durability
    # guarantees do not depend on the delay.
    writer_module.FLUSH_DELAY = 0.001
    store = Store.open(directory)
    serial = rng.randrange(1_000_000_000)
    done = 0
    while True:
        for _ in range(rng.randint(1, 4)):
            feeds = [f.id for f in store.feeds()]
            roll = rng.random()
            if not feeds or roll < 0.06:
                n = rng.randrange(40)
                url = f"https://f{n}.example.com/feed"
                if store.find_feed_by_url(url) is not None:
                    continue
                title, category = f"Feed {n}", rng.choice(["Tech", "News", "Art"])
                say({"op": "add", "url": url, "title": title, "category": category})
                fid = store.add_feed(url, title, category)[0].id
                say({"op": "added", "feed": fid})
            elif roll < 0.09 and len(feeds) > 2:
                fid = rng.choice(feeds)
                say({"op": "remove", "feed": fid})
                store.remove_feed(fid)
            elif roll < 0.35:
                fid = rng.choice(feeds)
                items = []
                for _ in range(rng.randint(1, 4)):
                    serial += 1
                    items.append(
                        NewArticle(
                            key=f"k{serial}",
                            title=f"Article {serial}",
                            link=f"https://x.example.com/{serial}",
                            author="A",
                            published=NOW - timedelta(minutes=serial % 100_000),
                            body_html=f"<p>{serial}</p>",
                        )
                    )
                existing = list(store.iter_feed_articles(fid))
                for old in rng.sample(existing, min(len(existing), rng.randint(0, 2))):
                    serial += 1
                    key = store.index.keys[old.id]
                    items.append(
                        NewArticle(
                            key=key,
                            title=f"Edited {serial}",
                            link=old.link,
                            author=old.author,
                            published=old.published,
                            body_html=f"<p>edited {serial}</p>",
                        )
                    )
                titles = {article_id(fid, i.key): i.title for i in items}
                say({"op": "merge", "feed": fid, "articles": titles})
                store.merge_articles(fid, items, NOW)
            elif roll < 0.8:
                ids = [a.id for a in store.articles()]
                if not ids:
                    continue
                kind = rng.choice(["read", "read", "starred"])
                value = rng.random() < 0.7
                chosen = rng.sample(ids, min(len(ids), rng.randint(1, 5)))
                say({"op": "flag", "kind": kind, "ids": chosen, "value": value})
                if kind == "read":
                    store.set_read(chosen, value)
                else:
                    store.set_starred(chosen, value)
            else:
                fid = rng.choice(feeds)
                serial += 1
                title = f"Renamed {serial}"
                category = rng.choice(["Tech", "News", "Art", "Misc"])
                say({"op": "update", "feed": fid, "title": title, "category": category})
                store.update_feed(fid, title=title, category=category)
            done += 1
        store.flush()
        say({"ack": done})


if __name__ == "__main__":
    main()
