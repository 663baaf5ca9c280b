"""tui-reader's Miniflux sync against newsboat's Miniflux backend, same server, same run
(issue 17, "Speed, side by side").

    /work/main/.venv/bin/python benchmarks/sync_bench.py              # 5 runs per row
    /work/main/.venv/bin/python benchmarks/sync_bench.py --runs 3 --no-newsboat

What it does, in one run:

* generates the corpus (`tests/support/feedcorpus.py`: 200 feeds x 50 items, RSS and
  Atom, ~30 MB) and serves it with `tests/support/feedserver.py` on 127.0.0.1;
* starts a real Miniflux 2.2.6 + PostgreSQL on 127.0.0.1 (`tests/support/miniflux_server.py`),
  subscribes it to the 200 feeds in the corpus' 8 categories (`POST /v1/feeds` fetches each
  feed at once) and waits until it holds all 10,000 entries;
* times, ALTERNATING which client goes first each repetition (`measure.run_once`: wall,
  CPU and peak RSS of the child from `os.wait4`):
  1. **first sync**: tui-reader `account add miniflux URL` (API token; binds a fresh
     library and syncs once) vs `newsboat -x reload` with `urls-source "miniflux"` on a
     fresh cache file; tui-reader with user and password (HTTP basic auth, as newsboat
     2.21 must: it has no token option) is a third column;
  2. **nothing new**: `tui-reader refresh` vs `newsboat -x reload` again;
  3. **20% changed**: before each run the feed server's files for 40 feeds (a different
     40 each repetition) get 5 new items each, Miniflux refreshes those 40 feeds
     (`PUT /v1/feeds/{id}/refresh`) and the bench waits until it has the 200 new entries;
     then both clients sync;
  4. **first paint** of the reader (`measure.probe`, a 120x40 tmux pane, the same pattern
     as bench.py) on the synced library: without an account (a copy, `account remove`d),
     bound to the account with Miniflux stopped (connection refused), and bound with a
     socket on Miniflux's port that accepts and never answers. newsboat's screen with the
     server down is captured for the notes.
* writes `results.md` (the table for docs/benchmarks.md) and `results.json` into `--work`.

The code under test is a byte-compiled snapshot of this checkout's `src/`, first on
`PYTHONPATH` for every tui-reader process (run as `python -m tui_reader`). newsboat is
installed with apt-get when missing (as bench.py does). Every child gets `HOME` in the work
directory, so neither client reads the user's configuration. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import random
import re
import shlex
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import measure

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from tests.support import feedcorpus  # noqa: E402
from tests.support import miniflux_server as mfs  # noqa: E402

FEEDSERVER = REPO / "tests" / "support" / "feedserver.py"
TR_PAINT = r"(?m)^All\b.*▕\s*\S"  # bench.py's first-paint pattern
SEED = "1"
TARGETS = {"first": 0.25, "nothing": 0.10, "changed": 0.15}
SUMMARY = re.compile(r"Synced: .*")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- the feeds


def grow(corpus: Path, indices: list[int], extra: int, items: int) -> None:
    """Give each feed in `indices` `extra` items more than at epoch 0 (the oldest drop
    off), through feedcorpus' own item maker, so the bytes stay deterministic."""
    words = feedcorpus.Vocabulary(SEED)
    newest = items - 1
    for index in indices:
        feed = feedcorpus.make_feed(words, SEED, index, json_feeds=False)
        last = newest + extra
        chosen = [
            feedcorpus.make_item(words, SEED, feed, n, newest)
            for n in range(last, last - items, -1)
        ]
        text = feedcorpus.WRITERS[feed.format](feed, chosen)
        # The mtime (so Last-Modified and the ETag) moves with the newest item.
        feedcorpus._write(corpus / feed.file, text, chosen[0]["when"].timestamp())


class FeedServer:
    """feedserver.py on a free loopback port, stopped with SIGTERM."""

    def __init__(self, work: Path, root: Path) -> None:
        url_file = work / "feedserver.url"
        url_file.unlink(missing_ok=True)
        self._log = open(work / "feedserver.log", "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(FEEDSERVER),
                str(root),
                "--port",
                "0",
                "--url-file",
                str(url_file),
                "--max-seconds",
                "3600",
            ],
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )
        deadline = time.monotonic() + 20
        while not url_file.exists() or not url_file.read_text().strip():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("feedserver did not start (see feedserver.log)")
            time.sleep(0.05)
        self.url = url_file.read_text().strip().rstrip("/") + "/"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


# --------------------------------------------------------------------------- Miniflux


class Api:
    """The bench's own view of Miniflux (REST, API key): setup and checks only."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url.rstrip("/")
        self.token = token

    def call(self, method: str, path: str, payload: object = None, timeout: float = 120) -> Any:
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(
            f"{self.url}/v1/{path}",
            data=data,
            method=method,
            headers={"X-Auth-Token": self.token, "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # loopback only
            body = answer.read()
        return json.loads(body) if body.strip() else None

    def total(self) -> int:
        return int(self.call("GET", "entries?limit=1")["total"])

    def wait_total(self, want: int, timeout: float = 600) -> int:
        deadline = time.monotonic() + timeout
        while True:
            have = self.total()
            if have >= want or time.monotonic() > deadline:
                return have
            time.sleep(0.5)

    def subscribe_all(self, manifest: dict[str, Any], base: str) -> dict[int, int]:
        """Corpus feed index -> Miniflux feed id; categories as in the corpus."""
        categories = {c["title"]: c["id"] for c in self.call("GET", "categories")}
        for name in feedcorpus.CATEGORIES:
            if name not in categories:
                categories[name] = self.call("POST", "categories", {"title": name})["id"]

        def one(record: dict[str, Any]) -> tuple[int, int]:
            payload = {
                "feed_url": feedcorpus.feed_url(base, record["file"]),
                "category_id": categories[record["category"]],
            }
            return record["index"], int(self.call("POST", "feeds", payload)["feed_id"])

        # POST /v1/feeds fetches and stores the feed before it answers: a few at once.
        with ThreadPoolExecutor(4) as pool:
            return dict(pool.map(one, manifest["feeds"]))

    def refresh(self, feed_ids: list[int]) -> None:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda i: self.call("PUT", f"feeds/{i}/refresh"), feed_ids))


class Blackhole:
    """A socket on `port` that accepts connections into its backlog and never answers:
    a server that is up on the network but hangs."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(64)

    def close(self) -> None:
        self.sock.close()


# --------------------------------------------------------------------------- clients


@dataclass
class Side:
    runs: list[dict[str, Any]] = field(default_factory=list)

    def med(self, key: str = "wall_s") -> float | None:
        values = [r[key] for r in self.runs]
        return statistics.median(values) if values else None

    def cell(self, key: str = "wall_s") -> str:
        values = [r[key] for r in self.runs]
        if not values:
            return "—"
        digits = 1 if statistics.median(values) >= 10 else 2
        spread = f" ({min(values):.{digits}f}–{max(values):.{digits}f})" if len(values) > 1 else ""
        return f"{statistics.median(values):.{digits}f} s{spread}"


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work: Path = args.work
        self.home = self.work / "home"
        self.discarded = self.work / "discarded"
        self.newsboat = None if args.no_newsboat else shutil.which("newsboat")
        self.rows: dict[str, dict[str, Side]] = {}
        self.notes: list[str] = []
        self.paint: dict[str, list[float]] = {}
        self.nb_down_screen = ""
        self.src = REPO / "src"

    # -- plumbing

    def env(self, **extra: str) -> dict[str, str]:
        base = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "PYTHONPATH": str(self.src),
            "TERM": "xterm-256color",
        }
        return {**base, **extra}

    def tr(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "tui_reader", *args]

    def timed(self, cmd: list[str], env: dict[str, str], label: str) -> dict[str, Any]:
        """One timed run; its output kept in `label`.log, its summary line returned."""
        out_path = self.work / "logs" / f"{label}.log"
        out_path.parent.mkdir(exist_ok=True)
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(env)  # run_once's child inherits this environment
        try:
            with open(out_path, "wb") as out:
                result = measure.run_once(cmd, out)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        text = out_path.read_text(errors="replace")
        found = SUMMARY.findall(text)
        result["summary"] = found[-1] if found else text.strip().splitlines()[-1:] or [""]
        if result["rc"] != 0:
            log(f"  {label}: exit status {result['rc']}: {text.strip()[-300:]}")
        return result

    def discard(self, path: Path) -> None:
        """Set a replaced library/cache aside, deleted after the run (docs/benchmarks.md,
        "Between runs": deleting many files right before a timed run slows it)."""
        if not path.exists():
            return
        self.discarded.mkdir(exist_ok=True)
        path.rename(self.discarded / f"{time.monotonic_ns()}-{path.name}")

    def snapshot(self) -> None:
        dest = self.work / "src-snapshot"
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(REPO / "src", dest, ignore=shutil.ignore_patterns("__pycache__"))
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(dest)], check=True)
        self.src = dest

    # -- the two clients

    def nb_files(self, name: str, url: str, password: str) -> tuple[Path, Path, Path]:
        folder = self.work / name
        folder.mkdir(exist_ok=True)
        conf, urls = folder / "config", folder / "urls"
        conf.write_text(
            'urls-source "miniflux"\n'
            f'miniflux-url "{url}/"\n'
            f'miniflux-login "{mfs.ADMIN_USERNAME}"\n'
            f'miniflux-password "{password}"\n',
            encoding="utf-8",
        )
        urls.write_text("", encoding="utf-8")
        return conf, urls, folder / "cache.db"

    def nb_cmd(self, files: tuple[Path, Path, Path]) -> list[str]:
        conf, urls, cache = files
        return ["newsboat", "-x", "reload", "-C", str(conf), "-u", str(urls), "-c", str(cache)]

    @staticmethod
    def nb_items(cache: Path) -> int:
        try:
            with contextlib.closing(sqlite3.connect(f"file:{cache}?mode=ro", uri=True)) as db:
                return int(db.execute("SELECT count(*) FROM rss_item").fetchone()[0])
        except sqlite3.Error:
            return -1

    # -- the run

    def run(self) -> None:
        args = self.args
        self.work.mkdir(parents=True, exist_ok=True)
        self.home.mkdir(exist_ok=True)
        if not args.live:
            self.snapshot()
        corpus = self.work / "corpus"
        shutil.rmtree(corpus, ignore_errors=True)
        started = time.monotonic()
        manifest = feedcorpus.generate(corpus, args.feeds, args.items, SEED, json_feeds=False)
        log(
            f"corpus: {args.feeds} feeds x {args.items} ({manifest['total_bytes'] / 2**20:.0f} MB)"
            f" in {time.monotonic() - started:.1f} s"
        )
        feeds = FeedServer(self.work, corpus)
        server: mfs.MinifluxServer | None = None
        try:
            pg_bin, binary = mfs.install()
            server = mfs.MinifluxServer(pg_bin=pg_bin, miniflux_bin=binary).start()
            log(f"Miniflux at {server.url}; feeds at {feeds.url}")
            self.measure_all(server, feeds, corpus, manifest)
        finally:
            feeds.stop()
            if server is not None:
                server.stop()
            shutil.rmtree(self.discarded, ignore_errors=True)

    def measure_all(
        self, server: mfs.MinifluxServer, feeds: FeedServer, corpus: Path, manifest: dict[str, Any]
    ) -> None:
        args = self.args
        api = Api(server.url, server.api_key)
        started = time.monotonic()
        ids = api.subscribe_all(manifest, feeds.url)
        want = args.feeds * args.items
        have = api.wait_total(want)
        log(
            f"Miniflux subscribed to {len(ids)} feeds, {have} entries,"
            f" in {time.monotonic() - started:.1f} s"
        )
        if have < want:
            raise SystemExit(f"Miniflux holds {have} entries, not {want}")

        token_env = self.env(TUI_READER_SECRET=server.api_key)
        basic_env = self.env(TUI_READER_SECRET=server.password)
        lib, lib_basic = self.work / "lib", self.work / "lib-basic"
        nb = self.nb_files("newsboat", server.url, server.password)
        who = ["tr", "nb", "tr_basic"] if self.newsboat else ["tr", "tr_basic"]
        if not args.basic:
            who.remove("tr_basic")

        # 1. first sync: fresh library / cache each run.
        first = self.rows.setdefault("first", {w: Side() for w in who})
        for rep in range(args.runs):
            for side in who if rep % 2 == 0 else list(reversed(who)):
                label = f"first-{side}-{rep}"
                if side == "nb":
                    self.discard(nb[2])
                    run = self.timed(self.nb_cmd(nb), self.env(), label)
                    run["items"] = self.nb_items(nb[2])
                else:
                    target = lib if side == "tr" else lib_basic
                    self.discard(target)
                    user = ["--user", mfs.ADMIN_USERNAME] if side == "tr_basic" else []
                    cmd = self.tr(
                        "--db", str(target), "account", "add", "miniflux", server.url, *user
                    )
                    run = self.timed(cmd, token_env if side == "tr" else basic_env, label)
                first[side].runs.append(run)
                log(
                    f"  first sync {side} #{rep + 1}: {run['wall_s']:.2f} s"
                    f" {run.get('items', run['summary'])}"
                )
        self.check_first(first)
        if args.first_only:
            return

        # 2. nothing new (the libraries and cache of the last first-sync run).
        nothing = self.rows.setdefault("nothing", {w: Side() for w in who})
        for rep in range(args.runs):
            for side in who if rep % 2 == 0 else list(reversed(who)):
                run = self.one_sync(side, rep, "nothing", lib, lib_basic, nb, token_env, basic_env)
                nothing[side].runs.append(run)

        # 3. 20% changed: a different set of feeds each run.
        changed = self.rows.setdefault("changed", {w: Side() for w in who})
        order = list(range(1, args.feeds + 1))
        random.Random(SEED).shuffle(order)
        for rep in range(args.runs):
            chosen = [order[(rep * args.changed + k) % len(order)] for k in range(args.changed)]
            before = api.total()
            # Every feed grows once in len(order) / changed runs; after that, again.
            rounds = 1 + rep // max(1, len(order) // args.changed)
            grow(corpus, chosen, extra=args.new_items * rounds, items=args.items)
            t0 = time.monotonic()
            api.refresh([ids[i] for i in chosen])
            after = api.wait_total(before + args.changed * args.new_items, timeout=120)
            log(
                f"  change #{rep + 1}: {args.changed} feeds, Miniflux +{after - before} entries"
                f" in {time.monotonic() - t0:.1f} s"
            )
            for side in who if rep % 2 == 0 else list(reversed(who)):
                run = self.one_sync(side, rep, "changed", lib, lib_basic, nb, token_env, basic_env)
                run["server_new"] = after - before
                changed[side].runs.append(run)

        # 4. first paint, the server down.
        self.first_paint(server, lib, token_env)

    def one_sync(
        self,
        side: str,
        rep: int,
        row: str,
        lib: Path,
        lib_basic: Path,
        nb: tuple[Path, Path, Path],
        token_env: dict[str, str],
        basic_env: dict[str, str],
    ) -> dict[str, Any]:
        label = f"{row}-{side}-{rep}"
        if side == "nb":
            run = self.timed(self.nb_cmd(nb), self.env(), label)
            run["items"] = self.nb_items(nb[2])
        else:
            target = lib if side == "tr" else lib_basic
            env = token_env if side == "tr" else basic_env
            run = self.timed(self.tr("--db", str(target), "refresh"), env, label)
        log(f"  {row} {side} #{rep + 1}: {run['wall_s']:.2f} s {run.get('items', run['summary'])}")
        return run

    def check_first(self, first: dict[str, Side]) -> None:
        """newsboat's backend may not talk to this server: say so, with its words."""
        nb = first.get("nb")
        if nb is None or not nb.runs:
            return
        items = [r.get("items", -1) for r in nb.runs]
        if max(items) <= 0 or any(r["rc"] != 0 for r in nb.runs):
            text = (self.work / "logs" / "first-nb-0.log").read_text(errors="replace").strip()
            self.notes.append(
                f"newsboat's first sync stored {items} items (exit {[r['rc'] for r in nb.runs]}): "
                f"{text[-400:] or '(no output)'}"
            )
        else:
            self.notes.append(f"newsboat's cache after a first sync: {items[-1]} items")

    def first_paint(self, server: mfs.MinifluxServer, lib: Path, token_env: dict[str, str]) -> None:
        args = self.args
        plain = self.work / "lib-no-account"
        self.discard(plain)
        shutil.copytree(lib, plain)
        subprocess.run(
            self.tr("--db", str(plain), "account", "remove"),
            env=self.env(),
            check=True,
            capture_output=True,
        )
        port = int(server.url.rsplit(":", 1)[1])
        server.stop()  # Miniflux and PostgreSQL: the account's server is now down
        pattern = re.compile(TR_PAINT)
        cases: list[tuple[str, Path, Callable[[], contextlib.AbstractContextManager[Any]]]] = [
            ("no account", plain, contextlib.nullcontext),
            ("account, server down (refused)", lib, contextlib.nullcontext),
            ("account, server hangs", lib, lambda: _blackhole(port)),
        ]
        self.paint = {name: [] for name, _, _ in cases}
        for rep in range(args.paint_warmup + args.paint_runs):
            k = rep % len(cases)
            for name, db, ctx in cases[k:] + cases[:k]:
                with ctx():
                    took, screen = measure.probe(
                        self.tr("--db", str(db)), pattern, 120, 40, 60.0, 0.005, token_env
                    )
                if took is None:
                    self.notes.append(f"first paint ({name}): none within 60 s; screen:\n{screen}")
                    return
                if rep >= args.paint_warmup:
                    self.paint[name].append(took)
        for name, times in self.paint.items():
            log(f"  first paint, {name}: median {statistics.median(times):.3f} s")
        if self.newsboat:
            nb = self.nb_files("newsboat", server.url, server.password)
            shown = shlex.join(["newsboat", "-C", str(nb[0]), "-u", str(nb[1]), "-c", str(nb[2])])
            # Kept on screen after it exits, with its exit status, for the notes.
            cmd = ["sh", "-c", f'{shown}; echo "newsboat exit status $?"; sleep 30']
            took, screen = measure.probe(
                cmd, re.compile(r"Your feeds|exit status"), 120, 40, 10.0, 0.02, self.env()
            )
            if took is None:
                seen = "no feed list and still running after 10 s"
            elif "Your feeds" in screen:
                seen = f"its feed list after {took:.2f} s"
            else:
                seen = f"it gave up after {took:.2f} s"
            lines = [line for line in screen.splitlines() if line.strip()]
            self.nb_down_screen = f"newsboat, server down: {seen}; its screen:\n" + "\n".join(lines)

    # -- the report

    def markdown(self) -> str:
        names = {
            "first": "first sync (fresh library / cache)",
            "nothing": "sync, nothing new",
            "changed": f"sync, {self.args.changed} of {self.args.feeds} feeds changed",
        }
        out = [
            "| what | target | tui-reader (token) | newsboat 2.21 | ratio | met? "
            "| tui-reader (user + password) | ratio |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for key, sides in self.rows.items():
            tr, nb, basic = sides["tr"], sides.get("nb"), sides.get("tr_basic")
            ratio = tr.med() / nb.med() if nb and nb.med() else None
            met = "—" if ratio is None else ("met" if ratio <= TARGETS[key] else "**missed**")
            bratio = basic.med() / nb.med() if basic and nb and nb.med() else None
            out.append(
                f"| {names[key]} | <= {TARGETS[key]:.2f}x | {tr.cell()} | "
                f"{nb.cell() if nb else '—'} | {f'{ratio:.3f}x' if ratio else '—'} | {met} | "
                f"{basic.cell() if basic else '—'} | {f'{bratio:.3f}x' if bratio else '—'} |"
            )
        out += [
            "",
            "| first paint, 10k articles | median | min–max | runs |",
            "| --- | --- | --- | --- |",
        ]
        for name, times in self.paint.items():
            if times:
                out.append(
                    f"| {name} | {statistics.median(times):.3f} s | "
                    f"{min(times):.3f}–{max(times):.3f} s | {len(times)} |"
                )
        cpu = [
            "",
            "| CPU (user+sys, median) | tui-reader (token) | newsboat | tui-reader (basic) |",
            "| --- | --- | --- | --- |",
        ]
        for key, sides in self.rows.items():
            cells = [
                f"{sides[w].med('cpu_s'):.2f} s" if w in sides else "—"
                for w in ("tr", "nb", "tr_basic")
            ]
            cpu.append(f"| {names[key]} | " + " | ".join(cells) + " |")
        out += cpu
        if self.notes or self.nb_down_screen:
            out += ["", "Notes:", ""] + [f"* {n}" for n in self.notes]
            if self.nb_down_screen:
                out += ["", "```", self.nb_down_screen, "```"]
        return "\n".join(out) + "\n"


@contextlib.contextmanager
def _blackhole(port: int) -> Iterator[None]:
    hole = Blackhole(port)
    try:
        yield
    finally:
        hole.close()


def machine() -> str:
    cpu = measure.cpu_model()
    nb = measure.newsboat_version()
    rev = measure.git_revision(REPO)
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return (
        f"* {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, tui-reader at {rev}; "
        f"nproc {os.cpu_count()}, {cpu}; load average {load}\n"
        f"* Python {platform.python_version()} ({platform.platform()}); {nb}; Miniflux "
        f"{mfs.find_miniflux() or '?'}\n"
    )


def install_newsboat() -> None:
    """As bench.py: apt-get as root or through `sudo -n`; on failure, no newsboat column."""
    if not shutil.which("apt-get"):
        log("newsboat is missing and there is no apt-get: install it by hand")
        return
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "newsboat"]):
        done = subprocess.run([*sudo, *cmd], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            log(f"`{' '.join(cmd)}` failed: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
            return


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--work", type=Path, default=Path("/tmp/tui-reader-syncbench"))
    ap.add_argument("--runs", type=int, default=5, help="repetitions per row")
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--items", type=int, default=50, help="items per feed")
    ap.add_argument("--changed", type=int, default=40, help="feeds changed in row 3")
    ap.add_argument("--new-items", type=int, default=5, help="new items per changed feed")
    ap.add_argument("--paint-runs", type=int, default=7)
    ap.add_argument("--paint-warmup", type=int, default=1)
    ap.add_argument(
        "--no-basic",
        dest="basic",
        action="store_false",
        help="skip tui-reader with user and password (basic auth)",
    )
    ap.add_argument("--no-newsboat", action="store_true")
    ap.add_argument("--first-only", action="store_true", help="only the first-sync row")
    ap.add_argument("--live", action="store_true", help="use src/ as it is, no snapshot")
    args = ap.parse_args(argv)
    if not args.no_newsboat and not shutil.which("newsboat"):
        install_newsboat()
    bench = Bench(args)
    started = time.monotonic()
    try:
        bench.run()
    except mfs.Unavailable as exc:
        log(f"cannot provide Miniflux: {exc}")
        return 1
    text = f"{machine()}\n{bench.markdown()}"
    (args.work / "results.md").write_text(text, encoding="utf-8")
    (args.work / "results.json").write_text(
        json.dumps(
            {k: {w: s.runs for w, s in v.items()} for k, v in bench.rows.items()}
            | {"paint": bench.paint},
            indent=1,
        ),
        encoding="utf-8",
    )
    print(text)
    log(f"done in {time.monotonic() - started:.0f} s; {args.work / 'results.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
