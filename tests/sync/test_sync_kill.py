"""kill -9 during a sync loses no queued change.

Five rounds (the issue suggests 50; five keep the suite fast, and each round kills at a
random moment of a `tui-reader refresh` that pushes and pulls): change flags locally, start
the sync in a subprocess, kill it. A last sync that runs to its end must leave the
library and the server with exactly the flags set locally, and the outbox empty.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tui_reader.store import Store
from tui_reader.sync.engine import SyncEngine
from tui_reader.sync.miniflux import MinifluxClient

from ..support.miniflux_server import MinifluxServer
from .conftest import FeedServer, Item, unique

ROUNDS = 5
BASE = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def test_kill_9_during_sync_loses_no_queued_change(
    tmp_path: Path,
    miniflux_server: MinifluxServer,
    admin: MinifluxClient,
    feed_server: FeedServer,
):
    name = unique("kill")
    items = [Item(f"{name}-{i}", f"K {i}", BASE - timedelta(hours=i)) for i in range(40)]
    remote = admin.subscribe(feed_server.publish(name, "Kill feed", items), category="K")
    db = tmp_path / "lib"
    with Store.open(db) as store:
        store.sync.bind("miniflux", miniflux_server.url, "", "")
        client = MinifluxClient(miniflux_server.url, token=miniflux_server.api_key)
        assert SyncEngine(store, client).run().error is None
        client.close()
        ids = [a.id for a in store.articles()]
    assert len(ids) == 40

    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    want: dict[str, tuple[bool, bool]] = {aid: (False, False) for aid in ids}
    env = {**os.environ, "TUI_READER_SECRET": miniflux_server.api_key}
    argv = [sys.executable, "-m", "tui_reader", "--db", str(db), "refresh"]
    # How long a whole `refresh` takes here (start-up and a sync with nothing to push):
    # the kills fall between a fifth of it and a little more than all of it.
    started = time.monotonic()
    subprocess.run(argv, env=env, capture_output=True, check=True, timeout=60)
    whole = time.monotonic() - started
    killed = 0
    for _ in range(ROUNDS):
        with Store.open(db) as store:
            for aid in rng.sample(ids, 12):
                read, starred = want[aid]
                if rng.random() < 0.5:
                    read = not read
                    store.set_read([aid], read)
                else:
                    starred = not starred
                    store.set_starred([aid], starred)
                want[aid] = (read, starred)
        process = subprocess.Popen(
            argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0.2, 1.1) * whole)
        process.send_signal(signal.SIGKILL)
        killed += process.wait(timeout=10) == -signal.SIGKILL
    assert killed, "every sync ended before its kill: nothing was tested"

    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, (seed, done.stderr)
    with Store.open(db, read_only=True) as store:
        local = {aid: (store.is_read(aid), store.is_starred(aid)) for aid in ids}
        mapping = store.sync.load_mapping()["articles"]
        assert store.sync.waiting() == 0
    assert local == want, f"seed {seed}"
    server = {
        e.id: (e.read, e.starred) for e in admin.entries_since(None) if e.feed_id == remote.id
    }
    assert {aid: server[mapping[aid]] for aid in ids} == want, f"seed {seed}"
