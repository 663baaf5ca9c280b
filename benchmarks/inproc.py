"""In-process probes for benchmarks/bench.py (run with the project's venv Python).

Not part of the test suite. Two subcommands, each prints one JSON object on stdout:

``refresh DB --per-host N --global N``
    Refresh every feed of library DB through `refresh_feeds` with a `FetchLimits`
    override, then flush. A what-if for the fetcher's per-host limit: the shipped
    CLI always uses the default `FetchLimits()`.

``marks DB --presses N``
    Open the reader headless (Textual `run_test`, 120x40) on library DB, then press
    ``m`` (toggle read) and ``s`` (toggle star) N times each, moving down a row between
    presses. Reports, per key: the time the UI thread spends in the action
    (`MainScreen.action_toggle_read/star`, which includes the row/sidebar refresh calls),
    the time from the key press until the app is idle again (the frame is rendered), and
    how long after the action the feed's flags file was written and on which thread.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[k]


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_ms": statistics.median(values) * 1000 if values else float("nan"),
        "p99_ms": _pct(values, 0.99) * 1000,
        "max_ms": max(values) * 1000 if values else float("nan"),
    }


def cmd_refresh(args: argparse.Namespace) -> dict[str, Any]:
    from tui_reader.feeds.fetch import FetchLimits
    from tui_reader.feeds.refresh import refresh_feeds
    from tui_reader.store import Store

    t0 = time.perf_counter()
    store = Store.open(args.db)
    t_open = time.perf_counter()
    limits = FetchLimits(per_host=args.per_host, global_concurrency=args.global_)
    summary = asyncio.run(refresh_feeds(store, store.feeds(), limits=limits))
    t_refresh = time.perf_counter()
    store.flush()
    store.close()
    t_end = time.perf_counter()
    return {
        "per_host": args.per_host,
        "global": args.global_,
        "result": summary.describe(),
        "open_s": t_open - t0,
        "refresh_s": t_refresh - t_open,
        "flush_close_s": t_end - t_refresh,
        "total_s": t_end - t0,
    }


async def _marks(db: str, presses: int) -> dict[str, Any]:
    from tui_reader.app import TuiReader
    from tui_reader.screens.main import MainScreen
    from tui_reader.store import Store
    from tui_reader.store import writer as store_mod

    t0 = time.perf_counter()
    store = Store.open(db)
    t_open = time.perf_counter()
    action_times: dict[str, list[float]] = {"toggle_read": [], "toggle_star": []}
    last_action: dict[str, float] = {}
    writes: list[tuple[float, str, str]] = []  # (time, thread name, path)

    def wrap_action(name: str) -> None:
        original = getattr(MainScreen, f"action_{name}")

        def timed(self: Any) -> None:
            start = time.perf_counter()
            last_action["t"] = start
            original(self)
            action_times[name].append(time.perf_counter() - start)

        setattr(MainScreen, f"action_{name}", timed)

    wrap_action("toggle_read")
    wrap_action("toggle_star")
    # Every file the store writes goes through `atomic_write` (module global in store/writer.py):
    # record when, where and on which thread the flags shards land.
    original_write = store_mod.atomic_write

    def traced_write(path: Any, *args: Any, **kwargs: Any) -> Any:
        result = original_write(path, *args, **kwargs)
        writes.append((time.perf_counter(), threading.current_thread().name, str(path)))
        return result

    store_mod.atomic_write = traced_write

    def flag_writes() -> list[tuple[float, str, str]]:
        return [w for w in writes if f"{os.sep}flags{os.sep}" in w[2]]

    app = TuiReader(store)
    press_times: dict[str, list[float]] = {"m": [], "s": []}
    disk_delays: list[float] = []
    disk_threads: set[str] = set()
    main_thread = threading.current_thread().name
    async with app.run_test(size=(120, 40)) as pilot:
        t_mounted = time.perf_counter()
        await pilot.pause()
        # Focus the article list (the sidebar has focus first in some layouts).
        lst = getattr(app.screen, "article_list", None)
        if lst is not None:
            lst.focus()
        await pilot.pause()
        for i in range(presses):
            for key in ("m", "s"):
                n_writes = len(flag_writes())
                start = time.perf_counter()
                await pilot.press(key)
                press_times[key].append(time.perf_counter() - start)
                acted = last_action.get("t", start)
                deadline = time.perf_counter() + 2.0
                while len(flag_writes()) == n_writes and time.perf_counter() < deadline:
                    await asyncio.sleep(0.002)
                done = flag_writes()
                if len(done) > n_writes:
                    disk_delays.append(done[n_writes][0] - acted)
                    disk_threads.add(done[n_writes][1])
            if i % 2 == 0:
                await pilot.press("j")
    with contextlib.suppress(Exception):  # the app may have closed it already
        store.close()
    return {
        "articles": len(store) if hasattr(store, "__len__") else None,
        "open_store_s": t_open - t0,
        "mount_s": t_mounted - t_open,
        "action_read": _summary(action_times["toggle_read"]),
        "action_star": _summary(action_times["toggle_star"]),
        "press_to_idle_m": _summary(press_times["m"]),
        "press_to_idle_s": _summary(press_times["s"]),
        "on_disk_after_action": _summary(disk_delays),
        "write_threads": sorted(disk_threads),
        "ui_thread": main_thread,
        "writes_off_ui_thread": bool(disk_threads) and main_thread not in disk_threads,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("refresh")
    r.add_argument("db")
    r.add_argument("--per-host", type=int, default=2)
    r.add_argument("--global", dest="global_", type=int, default=16)
    m = sub.add_parser("marks")
    m.add_argument("db")
    m.add_argument("--presses", type=int, default=100)
    args = ap.parse_args(argv)
    if args.cmd == "refresh":
        out = cmd_refresh(args)
    else:
        out = asyncio.run(_marks(str(Path(args.db)), args.presses))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
