"""tui-reader vs newsboat: one command that builds corpora, serves them and times both.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench.py --quick        # ~3 minutes, small corpora
    .venv/bin/python benchmarks/bench.py                # full run (~15 minutes)
    .venv/bin/python benchmarks/bench.py --no-newsboat  # tui-reader only

What it does, in one run:

* builds deterministic corpora with the repository's ``tests/support/feedcorpus.py``
  (SMALL and BIG feeds x 50 items, BIG at ``--epoch 1``, HUGE feeds for the 100k-article
  library; RSS and Atom only, ``--no-json``, as newsboat reads no JSON Feed);
* serves each with ``tests/support/feedserver.py`` on 127.0.0.1 (``--port 0``, then
  ``feedcorpus.py relink``; the epoch-1 corpus reuses the epoch-0 port), with a bounded
  ``--max-seconds`` and SIGTERM at the end of each phase;
* times tui-reader and newsboat on the same corpus and server, ALTERNATING runs (the
  order flips every repetition), with ``measure.run_once`` (wall, CPU and peak RSS of the
  child from ``os.wait4``); first paint uses ``measure.probe`` (a real tmux pane);
* benchmarks ONE version of the code: by default a snapshot of the working tree's
  ``src/`` copied at start (others may be editing it), byte-compiled as an installed
  package is, and put first on ``PYTHONPATH``
  for every tui-reader process; the snapshot is smoke-tested (import, list) and retaken
  until it works (``--live`` uses ``src/`` as it is);
* writes ``results.md`` (the Markdown table for docs/benchmarks.md), ``results.json`` and
  ``machine.md`` into ``--work`` (default /tmp/tui-reader-bench).

newsboat runs with an empty config file (``-C``; defaults, so ``reload-threads`` is 1), its
own cache file (``-c``) and the corpus' ``urls`` file (``-u``). When newsboat is not
installed the script installs it with ``apt-get install newsboat`` (as root, or through
``sudo -n``); when that is not possible its column is left empty with a note.

This is not part of the pytest suite and needs tmux for the first-paint rows.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import measure

REPO = Path(__file__).resolve().parent.parent
# The corpus generator and server live with the tests, which use them too.
FEEDCORPUS = REPO / "tests" / "support" / "feedcorpus.py"
FEEDSERVER = REPO / "tests" / "support" / "feedserver.py"
VENV_PY = REPO / ".venv" / "bin" / "python"
TR = REPO / ".venv" / "bin" / "tui-reader"
INPROC = Path(__file__).resolve().parent / "inproc.py"

# First paint: the sidebar's "All" line with an article row on the same screen line.
TR_PAINT = r"(?m)^All\b.*▕\s*\S"
NB_PAINT = r"Your feeds"


def snapshot_src(work: Path, attempts: int = 10) -> Path:
    """Copy src/ into `work` and smoke-test it; retry while others are mid-edit."""
    dest = work / "src-snapshot"
    probe_db = work / "smoke-db"
    urls = work / "smoke-urls"
    urls.write_text("http://127.0.0.1:9/feed.xml\n")
    for attempt in range(attempts):
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(REPO / "src", dest, ignore=shutil.ignore_patterns("__pycache__"))
        # Byte-compiled, as pip leaves an installed package: with PYTHONDONTWRITEBYTECODE
        # set (as in some shells) every run would otherwise compile every module again.
        subprocess.run([str(VENV_PY), "-m", "compileall", "-q", str(dest)], check=True)
        env = {**os.environ, "PYTHONPATH": str(dest)}
        shutil.rmtree(probe_db, ignore_errors=True)
        checks = [
            [str(VENV_PY), "-c", "import tui_reader.app, tui_reader.cli, tui_reader.feeds.refresh"],
            [str(TR), "--db", str(probe_db), "import", str(urls)],
            [str(TR), "--db", str(probe_db), "import", str(urls)],
            [str(TR), "--db", str(probe_db), "list", "--json"],
        ]
        failed = None
        for cmd in checks:
            p = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if p.returncode != 0:
                failed = (cmd, p.stderr.strip().splitlines()[-1:] or [""])
                break
        if failed is None:
            return dest
        log(f"src snapshot {attempt + 1} not usable ({failed[1][0]}); retrying in 20 s")
        time.sleep(20)
    raise SystemExit("no working snapshot of src/ (others are editing it); try --live")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Scale:
    small: int  # feeds in the "200 feeds" rows
    big: int  # feeds in the "1,000 feeds" rows
    huge: int  # feeds in the "100k articles" rows
    items: int
    runs_small: int
    runs_big: int
    warmup_small: int


FULL = Scale(small=200, big=1000, huge=2000, items=50, runs_small=5, runs_big=3, warmup_small=1)
QUICK = Scale(small=50, big=200, huge=400, items=50, runs_small=3, runs_big=2, warmup_small=0)


# --------------------------------------------------------------------------- server


class Server:
    """One feedserver.py process on a loopback port; the corpus is relinked to it."""

    def __init__(self, work: Path, root: Path, port: int = 0, extra: list[str] | None = None):
        self.root = root
        url_file = work / f"server-{time.monotonic_ns()}.url"
        cmd = [
            sys.executable,
            str(FEEDSERVER),
            str(root),
            "--port",
            str(port),
            "--url-file",
            str(url_file),
            "--max-seconds",
            "1500",
            *(extra or []),
        ]
        self.log = open(work / "server.log", "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + 20
        while not url_file.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"feedserver did not start: {cmd}")
            time.sleep(0.05)
        self.url = url_file.read_text().strip()
        self.port = int(self.url.rsplit(":", 1)[1].strip("/"))
        subprocess.run(
            [
                sys.executable,
                str(FEEDCORPUS),
                "relink",
                str(root),
                "--base-url",
                self.url,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        log(f"server {self.url} for {root.name} {' '.join(extra or [])} (pid {self.proc.pid})")

    def stats(self) -> dict[str, Any]:
        import urllib.request

        with urllib.request.urlopen(self.url + "_stats", timeout=5) as resp:  # loopback only
            return json.loads(resp.read())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@contextlib.contextmanager
def serving(
    work: Path, root: Path, port: int = 0, extra: list[str] | None = None
) -> Iterator[Server]:
    server = Server(work, root, port, extra)
    try:
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------- measuring


@dataclass
class Side:
    runs: list[dict[str, Any]] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)  # server status counts, last run

    def med(self, key: str) -> float | None:
        vals = [r[key] for r in self.runs]
        return statistics.median(vals) if vals else None

    def fmt(self, key: str = "wall_s", unit: str = "s", scale: float = 1.0) -> str:
        vals = [r[key] * scale for r in self.runs]
        if not vals:
            return "—"
        med = statistics.median(vals)
        digits = 0 if unit in ("MiB",) and med >= 100 else (1 if med >= 10 else 2)
        if unit == "ms":
            digits = 1
        if len(vals) == 1:
            return f"{med:.{digits}f} {unit} (n=1)"
        return f"{med:.{digits}f} {unit} ({min(vals):.{digits}f}–{max(vals):.{digits}f})"


@dataclass
class Row:
    what: str
    target: str
    tr: Side
    nb: Side
    key: str = "wall_s"
    unit: str = "s"
    limit: float | None = None  # ratio limit (tr/nb) or absolute limit when absolute=True
    absolute: bool = False
    note: str = ""
    override_tr: str | None = None  # text for the tui-reader cell instead of the runs
    override_nb: str | None = None
    value: float | None = None  # for absolute rows judged on a derived value

    def ratio(self) -> float | None:
        a, b = self.tr.med(self.key), self.nb.med(self.key)
        if a is None or not b:
            return None
        return a / b

    def met(self) -> str:
        if self.limit is None:
            return "—"
        if self.absolute:
            v = self.value if self.value is not None else self.tr.med(self.key)
            if v is None:
                return "n/a"
            return "met" if v <= self.limit else "**missed**"
        r = self.ratio()
        if r is None:
            return "n/a (no newsboat)"
        return "met" if r <= self.limit else "**missed**"


def run_cmd(
    cmd: list[str], prepare: Callable[[], None] | None = None, *, tree_memory: bool = False
) -> dict[str, Any]:
    if prepare is not None:
        prepare()
    if not tree_memory:
        return measure.run_once(cmd, subprocess.DEVNULL)
    # measure.run_once's measurement, plus the sampler watching the child's process tree.
    with TreeMemory() as sampler:
        result = measure.run_once(cmd, subprocess.DEVNULL, on_start=sampler.watch)
    return {**result, **sampler.peaks()}


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        with contextlib.suppress(OSError):
            todo.extend(int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split())
    return found


def _pss_and_rss_kib(pid: int) -> tuple[int, int]:
    pss = rss = 0
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
            elif line.startswith("Rss:"):
                rss = int(line.split()[1])
    return pss, rss


class TreeMemory:
    """Peak memory of a process AND its descendants, sampled every 20 ms.

    `ru_maxrss` from wait4 sees one process; a refresh that parses in a pool of worker
    processes (children of a fork server, not of the timed process) would hide them. The
    sum of PSS (each shared page split between the processes sharing it) is the memory
    the tree really uses; the sum of RSS counts shared pages once per process.
    """

    def __init__(self) -> None:
        self._pid: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.peak_pss = self.peak_rss = 0
        self.max_processes = 0

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def watch(self, pid: int) -> None:
        self._pid = pid

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            if self._pid is None:
                continue
            pids = _descendants(self._pid)
            sizes = [_pss_and_rss_kib(p) for p in pids]
            self.peak_pss = max(self.peak_pss, sum(s[0] for s in sizes))
            self.peak_rss = max(self.peak_rss, sum(s[1] for s in sizes))
            self.max_processes = max(self.max_processes, sum(1 for s in sizes if s[1]))

    def peaks(self) -> dict[str, Any]:
        return {
            "tree_pss_mib": self.peak_pss / 1024,
            "tree_rss_mib": self.peak_rss / 1024,
            "tree_processes": self.max_processes,
        }


def alternate(
    label: str,
    tr: tuple[list[str], Callable[[], None] | None] | None,
    nb: tuple[list[str], Callable[[], None] | None] | None,
    runs: int,
    warmup: int = 0,
    server: Server | None = None,
    *,
    tree_memory: bool = False,
) -> tuple[Side, Side]:
    """Run both commands `runs` times (after `warmup`), flipping the order every time.

    `tree_memory`: also sample the memory of each command's process tree (`TreeMemory`).
    """
    sides = {"tr": Side(), "nb": Side()}
    cmds = {"tr": tr, "nb": nb}
    for i in range(warmup + runs):
        order = ["nb", "tr"] if i % 2 == 0 else ["tr", "nb"]
        for who in order:
            spec = cmds[who]
            if spec is None:
                continue
            before = server.stats()["by_status"] if server else {}
            r = run_cmd(*spec, tree_memory=tree_memory)
            after = server.stats()["by_status"] if server else {}
            if r["rc"] != 0:
                log(f"  {label} {who}: exit code {r['rc']}")
            if i >= warmup:
                sides[who].runs.append(r)
                sides[who].requests = {k: v - before.get(k, 0) for k, v in after.items()}
            log(
                f"  {label} {who} run {i + 1}/{warmup + runs}: {r['wall_s']:.2f} s wall, "
                f"{r['cpu_s']:.2f} s cpu, {r['peak_rss_mib']:.0f} MiB"
            )
    return sides["tr"], sides["nb"]


def inproc(*args: str) -> dict[str, Any]:
    out = subprocess.run(
        [str(VENV_PY), str(INPROC), *args], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def du(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# Libraries and caches replaced between runs are moved here and deleted when the whole
# run is over, never just before a timed command. On ext4 without a journal (this VM's
# disk), every file created in the next minutes skips, one by one, each inode freed in
# the last 60 s (6 min while its inode-table block is dirty: the kernel's
# `recently_deleted`). Deleting the last run's library (2,000+ files) right before the
# next cold refresh made that refresh's own 2,000 file creations scan past them: perf
# showed 11% of its CPU there, growing run after run (docs/benchmarks.md, run E). A user's
# refresh does not follow a mass deletion; newsboat's one cache file never paid it.
DISCARDED: Path | None = None


def discard(path: Path) -> None:
    """Move `path` out of the way (into `DISCARDED`), to be deleted after the run."""
    if not path.exists():
        return
    if DISCARDED is None:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
        return
    DISCARDED.mkdir(parents=True, exist_ok=True)
    path.rename(DISCARDED / f"{len(list(DISCARDED.iterdir())):04d}-{path.name}")


def replace_tree(src: Path, dst: Path) -> None:
    discard(dst)
    if src.is_dir():
        shutil.copytree(src, dst)
    else:
        shutil.copy2(src, dst)


# --------------------------------------------------------------------------- tmux probes


def _tree_rss_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) in KiB, summed over `pid` and its descendants."""
    rss = hwm = 0
    for p in _descendants(pid):
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss += int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm += int(line.split()[1])
    return rss, hwm


def app_session(
    cmd: list[str], pattern: str, *, extras: bool, presses: int = 30, timeout: float = 90.0
) -> dict[str, Any]:
    """First paint in a tmux pane; with `extras`, also RSS, scroll and keypress-to-screen."""
    tmux = measure.tmux
    name = f"bench-{os.getpid()}-{time.monotonic_ns()}"
    sock = os.path.join(tempfile.gettempdir(), name + ".sock")
    pat = re.compile(pattern)
    tmux(sock, "new-session", "-d", "-s", name, "-x", "120", "-y", "40", "sleep 600")
    out: dict[str, Any] = {}
    try:
        env = [("LANG", "C.UTF-8"), ("LC_ALL", "C.UTF-8")]
        if "PYTHONPATH" in os.environ:
            env.append(("PYTHONPATH", os.environ["PYTHONPATH"]))
        for k, v in env:
            tmux(sock, "set-environment", "-t", name, k, v)
        t0 = time.perf_counter()
        tmux(sock, "respawn-pane", "-k", "-t", name, " ".join(shlex.quote(c) for c in cmd))
        while True:
            screen = tmux(sock, "capture-pane", "-p", "-t", name, check=False)
            now = time.perf_counter()
            if pat.search(screen):
                out["first_paint_s"] = now - t0
                break
            if now - t0 > timeout:
                raise RuntimeError(f"no first paint within {timeout}s:\n{screen}")
            time.sleep(0.005)
        if not extras:
            return out

        def changed_after(key: str, limit: float = 10.0) -> float | None:
            before = tmux(sock, "capture-pane", "-p", "-t", name, check=False)
            start = time.perf_counter()
            tmux(sock, "send-keys", "-t", name, key)
            while time.perf_counter() - start < limit:
                if tmux(sock, "capture-pane", "-p", "-t", name, check=False) != before:
                    return time.perf_counter() - start
                time.sleep(0.002)
            return None

        # "Scrollable at once": the first key right after first paint must move the list.
        out["first_scroll_s"] = changed_after("j")
        out["scroll_pagedown_s"] = changed_after("C-d")
        time.sleep(2.0)  # let the app settle, then read memory
        pane_pid = int(tmux(sock, "display-message", "-p", "-t", name, "#{pane_pid}").strip())
        rss, hwm = _tree_rss_kib(pane_pid)
        out["rss_mib"] = rss / 1024
        out["hwm_mib"] = hwm / 1024
        lat: list[float] = []
        for i in range(presses):
            t = changed_after("s" if i % 2 else "m", 2.0)
            if t is not None:
                lat.append(t)
            time.sleep(0.03)
        out["key_to_screen_ms"] = sorted(x * 1000 for x in lat)
        out["rss_after_keys_mib"] = _tree_rss_kib(pane_pid)[0] / 1024
    finally:
        tmux(sock, "kill-server", check=False)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(sock)
    return out


# --------------------------------------------------------------------------- the run


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.scale = QUICK if args.quick else FULL
        if args.runs:
            self.scale = Scale(
                **{
                    **self.scale.__dict__,
                    "runs_small": args.runs,
                    "runs_big": min(args.runs, self.scale.runs_big),
                }
            )
        self.work = Path(args.work)
        self.newsboat = None if args.no_newsboat else shutil.which("newsboat")
        self.rows: list[Row] = []
        self.extra: dict[str, Any] = {}
        self.nb_conf = self.work / "newsboat.conf"
        self.live = args.live

    # -- commands
    def tr_refresh(self, db: Path) -> list[str]:
        return [str(TR), "--db", str(db), "refresh"]

    def nb_reload(self, corpus: Path, cache: Path) -> list[str]:
        return [
            "newsboat",
            "-x",
            "reload",
            "-u",
            str(corpus / "urls"),
            "-c",
            str(cache),
            "-C",
            str(self.nb_conf),
        ]

    def tr_import(self, db: Path, corpus: Path) -> Callable[[], None]:
        def prep() -> None:
            discard(db)
            subprocess.run(
                [str(TR), "--db", str(db), "import", str(corpus / "feeds.opml")],
                check=True,
                stdout=subprocess.DEVNULL,
            )

        return prep

    def nb_clear(self, cache: Path) -> Callable[[], None]:
        def prep() -> None:
            for p in cache.parent.glob(cache.name + "*"):
                discard(p)

        return prep

    def copy_from(self, src: Path, dst: Path) -> Callable[[], None]:
        return lambda: replace_tree(src, dst)

    def nb(self, spec: tuple[list[str], Callable[[], None] | None]) -> Any:
        return spec if self.newsboat else None

    def gen(self, name: str, feeds: int, epoch: int = 0) -> Path:
        out = self.work / name
        subprocess.run(
            [
                sys.executable,
                str(FEEDCORPUS),
                "gen",
                "--out",
                str(out),
                "-n",
                str(feeds),
                "-m",
                str(self.scale.items),
                "--seed",
                "1",
                "--epoch",
                str(epoch),
                "--no-json",  # newsboat reads RSS and Atom only
                "-q",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        log(f"corpus {name}: {feeds} feeds x {self.scale.items}, epoch {epoch}")
        return out

    # -- phases
    def run(self) -> None:
        s = self.scale
        if self.work.exists():
            shutil.rmtree(self.work)
        self.work.mkdir(parents=True)
        global DISCARDED
        DISCARDED = self.work / "discarded"
        if not self.live:
            os.environ["PYTHONPATH"] = str(snapshot_src(self.work))
            log(f"benchmarking the snapshot {os.environ['PYTHONPATH']}")
        self.nb_conf.write_text("# defaults (reload-threads 1)\n")
        t_start = time.monotonic()
        small = self.gen("c-small", s.small)
        big = self.gen("c-big", s.big)
        big_e1 = self.gen("c-big-e1", s.big, epoch=1)
        huge = self.gen("c-huge", s.huge)
        db, cache = self.work / "tr-db", self.work / "nb-cache.db"
        snap_small_tr, snap_small_nb = self.work / "snap-small-tr", self.work / "snap-small-nb.db"
        snap_big_tr, snap_big_nb = self.work / "snap-big-tr", self.work / "snap-big-nb.db"
        n_small, n_big = s.small, s.big

        # ---- phase 1: small corpus, plain server
        with serving(self.work, small) as srv:
            small_url = srv.url
            tr, nb = alternate(
                "cold-small",
                (self.tr_refresh(db), self.tr_import(db, small)),
                self.nb((self.nb_reload(small, cache), self.nb_clear(cache))),
                s.runs_small,
                s.warmup_small,
                srv,
            )
            replace_tree(db, snap_small_tr)
            if self.newsboat:
                self.prime_newsboat(small, cache)
                replace_tree(cache, snap_small_nb)
            cold_small_tr = tr
            self.rows.append(
                Row(f"cold refresh, {n_small} feeds x {s.items}", "<= 0.25x", tr, nb, limit=0.25)
            )
            tr, nb = alternate(
                "304-small",
                (self.tr_refresh(db), self.copy_from(snap_small_tr, db)),
                self.nb((self.nb_reload(small, cache), self.copy_from(snap_small_nb, cache))),
                s.runs_small,
                s.warmup_small,
                srv,
            )
            self.rows.append(
                Row(
                    f"refresh, every feed 304, {n_small} feeds",
                    "<= 0.15x",
                    tr,
                    nb,
                    limit=0.15,
                    note=f"server answered tr {tr.requests}, nb {nb.requests}",
                )
            )
            self.extra["whatif_cold_small"] = self.whatif(db, small, (2, 4, 16))

        # ---- phase 2: small corpus, 50 ms latency
        with serving(self.work, small, extra=["--latency-ms", "50"]) as srv:
            runs = min(s.runs_small, 3)
            tr, nb = alternate(
                "latency-small",
                (self.tr_refresh(db), self.tr_import(db, small)),
                self.nb((self.nb_reload(small, cache), self.nb_clear(cache))),
                runs,
                0,
                srv,
            )
            self.rows.append(
                Row(f"cold refresh, {n_small} feeds, 50 ms latency", "<= 0.20x", tr, nb, limit=0.20)
            )
            self.extra["whatif_latency_small"] = self.whatif(db, small, (2, 16))

        # ---- phase 3: small corpus, 5 slow feeds (5 s each)
        with serving(self.work, small, extra=["--bad-slow", "5", "--slow-seconds", "5"]) as srv:
            tr, _ = alternate(
                "slow-small",
                (self.tr_refresh(db), self.tr_import(db, small)),
                None,
                min(s.runs_small, 3),
                0,
                srv,
            )
            _, nb = alternate(
                "slow-small",
                None,
                self.nb((self.nb_reload(small, cache), self.nb_clear(cache))),
                1,
                0,
                srv,
            )
            base = cold_small_tr.med("wall_s") or 0.0
            added = (tr.med("wall_s") or 0.0) - base
            base_nb = self.rows[0].nb.med("wall_s")
            nb_added = (
                f"; newsboat adds {nb.med('wall_s') - base_nb:.1f} s"
                if (nb.runs and base_nb)
                else ""
            )
            self.rows.append(
                Row(
                    f"5 slow feeds (5 s each) among {n_small}",
                    "adds <= 5 s (one slow feed)",
                    tr,
                    nb,
                    limit=5.0,
                    absolute=True,
                    value=added,
                    note=f"tui-reader adds {added:.1f} s over its cold {n_small}-feed median"
                    f"{nb_added}",
                )
            )
            self.extra["whatif_slow_small"] = self.whatif(db, small, (2, 16))

        # ---- phase 4: big corpus
        with serving(self.work, big) as srv:
            port = srv.port
            tr, nb = alternate(
                "cold-big",
                (self.tr_refresh(db), self.tr_import(db, big)),
                self.nb((self.nb_reload(big, cache), self.nb_clear(cache))),
                s.runs_big,
                0,
                srv,
                tree_memory=True,
            )
            replace_tree(db, snap_big_tr)
            if self.newsboat:
                self.prime_newsboat(big, cache)
                replace_tree(cache, snap_big_nb)
            self.rows.append(
                Row(f"cold refresh, {n_big} feeds x {s.items}", "<= 0.10x", tr, nb, limit=0.10)
            )
            self.rows.append(
                Row(
                    f"peak memory (PSS of the process tree), cold refresh of {n_big} feeds",
                    "<= 3x",
                    tr,
                    nb,
                    key="tree_pss_mib",
                    unit="MiB",
                    limit=3.0,
                )
            )
            tr, nb = alternate(
                "304-big",
                (self.tr_refresh(db), self.copy_from(snap_big_tr, db)),
                self.nb((self.nb_reload(big, cache), self.copy_from(snap_big_nb, cache))),
                s.runs_big,
                0,
                srv,
            )
            self.rows.append(
                Row(
                    f"refresh, every feed 304, {n_big} feeds",
                    "<= 0.03x",
                    tr,
                    nb,
                    limit=0.03,
                    note=f"server answered tr {tr.requests}, nb {nb.requests}",
                )
            )
            self.extra["whatif_cold_big"] = self.whatif(db, big, (2, 16))

        # ---- phase 5: 20% of the big corpus changed (epoch 1, same port)
        time.sleep(0.5)
        with serving(self.work, big_e1, port=port) as srv:
            tr, nb = alternate(
                "changed-big",
                (self.tr_refresh(db), self.copy_from(snap_big_tr, db)),
                self.nb((self.nb_reload(big, cache), self.copy_from(snap_big_nb, cache))),
                s.runs_big,
                0,
                srv,
            )
            self.rows.append(
                Row(
                    f"refresh, 20% of {n_big} feeds changed (epoch 1)",
                    "<= 0.04x",
                    tr,
                    nb,
                    limit=0.04,
                    note=f"server answered tr {tr.requests}, nb {nb.requests}",
                )
            )

        # ---- phase 6: the 100k-article library (tui-reader only)
        huge_db = self.work / "tr-huge"
        with serving(self.work, huge) as srv:
            r = run_cmd(self.tr_refresh(huge_db), self.tr_import(huge_db, huge))
            self.extra["huge_refresh"] = r
            log(f"  huge library built: {r['wall_s']:.1f} s, {r['peak_rss_mib']:.0f} MiB")

        # ---- phase 7: no server; the small corpus' urls must match the snapshot again
        subprocess.run(
            [
                sys.executable,
                str(FEEDCORPUS),
                "relink",
                str(small),
                "--base-url",
                small_url,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        app_db = self.work / "tr-app"
        replace_tree(snap_small_tr, app_db)
        nb_app = self.work / "nb-app.db"
        if self.newsboat:
            replace_tree(snap_small_nb, nb_app)
        # More runs than the refresh rows: a paint takes a second, and its median is noisy.
        paint_runs = s.runs_small * 2 - 1
        tr, nb = self.paint_pair(app_db, small, nb_app, paint_runs, s.warmup_small)
        self.rows.append(
            Row(
                f"first paint, {n_small * s.items // 1000}k articles",
                "<= 0.30x",
                tr,
                nb,
                limit=0.30,
            )
        )

        replace_tree(snap_big_tr, db)
        if self.newsboat:
            replace_tree(snap_big_nb, cache)
        tr_list = [
            "sh",
            "-c",
            f"{shlex.quote(str(TR))} --db {shlex.quote(str(db))} list --unread --json | wc -l",
        ]
        nb_list = [
            "sh",
            "-c",
            " ".join(
                shlex.quote(c)
                for c in [
                    "newsboat",
                    "-x",
                    "print-unread",
                    "-u",
                    str(big / "urls"),
                    "-c",
                    str(cache),
                    "-C",
                    str(self.nb_conf),
                ]
            )
            + " | wc -l",
        ]
        tr, nb = alternate("list-unread", (tr_list, None), self.nb((nb_list, None)), s.runs_big, 1)
        self.rows.append(
            Row(
                f"`list --unread --json \\| wc -l`, {n_big * s.items // 1000}k articles "
                "(newsboat `-x print-unread`)",
                "<= 0.05x",
                tr,
                nb,
                limit=0.05,
            )
        )

        size_tr, size_nb = du(snap_big_tr), (du(snap_big_nb) if self.newsboat else None)
        size_row = Row(
            f"library size on disk, {n_big} feeds",
            "<= 1.0x",
            Side([{"bytes": size_tr / 2**20}]),
            Side([{"bytes": size_nb / 2**20}] if size_nb else []),
            key="bytes",
            unit="MiB",
            limit=1.0,
        )
        self.rows.append(size_row)
        self.extra["size_small"] = {
            "tr": du(snap_small_tr),
            "nb": du(snap_small_nb) if self.newsboat else None,
        }

        # 100k articles: first paint, scroll, memory, keys on screen; then in-process marks.
        paints: list[dict[str, Any]] = []
        huge_app = self.work / "tr-huge-app"
        for i in range(s.runs_big + 1):
            replace_tree(huge_db, huge_app)
            res = app_session([str(TR), "--db", str(huge_app)], TR_PAINT, extras=(i == 0))
            log(f"  first paint huge run {i + 1}: {res['first_paint_s']:.2f} s")
            paints.append(res)
        first = paints[0]
        paint_side = Side([{"wall_s": p["first_paint_s"]} for p in paints[1:]])
        n_huge = s.huge * s.items
        scroll = first.get("first_scroll_s")
        self.rows.append(
            Row(
                f"first paint, {n_huge // 1000}k articles ({s.huge} feeds x {s.items})",
                "<= 1.0 s absolute, scrollable at once",
                paint_side,
                Side(),
                limit=1.0,
                absolute=True,
                note=(
                    f"first `j` after paint moved the list in {scroll * 1000:.0f} ms"
                    if scroll is not None
                    else "first `j` after paint did not change the screen within 10 s"
                )
                + (
                    f"; ctrl+d in {first['scroll_pagedown_s'] * 1000:.0f} ms"
                    if first.get("scroll_pagedown_s") is not None
                    else ""
                ),
            )
        )
        self.rows.append(
            Row(
                f"memory with the app open, {n_huge // 1000}k articles",
                "<= 300 MiB",
                Side([{"rss": first["rss_mib"]}]),
                Side(),
                key="rss",
                unit="MiB",
                limit=300.0,
                absolute=True,
                note=f"VmRSS of the pane's process tree 2 s after first paint; peak (VmHWM) "
                f"{first['hwm_mib']:.0f} MiB; after the key presses "
                f"{first['rss_after_keys_mib']:.0f} MiB",
            )
        )
        replace_tree(huge_db, huge_app)
        marks = inproc("marks", str(huge_app), "--presses", "50")
        self.extra["marks_inproc"] = marks
        keys = first.get("key_to_screen_ms", [])
        self.extra["key_to_screen_ms"] = keys
        p99_ui = max(marks["action_read"]["p99_ms"], marks["action_star"]["p99_ms"])
        disk = marks["on_disk_after_action"]
        self.rows.append(
            Row(
                f"mark read / star, {n_huge // 1000}k articles: UI thread p99",
                "p99 <= 16 ms",
                Side([{"ms": p99_ui / 1000}]),
                Side(),
                key="ms",
                unit="ms",
                limit=0.016,
                absolute=True,
                note=(
                    f"action handler incl. row/sidebar refresh, headless, 2x50 presses "
                    f"(read p50 {marks['action_read']['p50_ms']:.1f} ms, star p50 "
                    f"{marks['action_star']['p50_ms']:.1f} ms); real tmux pane key-to-screen "
                    f"p50 {_p(keys, 0.5):.0f} ms / p99 {_p(keys, 0.99):.0f} ms over "
                    f"{len(keys)} presses (includes tmux send-keys + capture polling)"
                ),
            )
        )
        self.rows.append(
            Row(
                f"mark read / star, {n_huge // 1000}k articles: on disk",
                "<= 200 ms, off UI thread",
                Side([{"ms": disk["p99_ms"] / 1000}]),
                Side(),
                key="ms",
                unit="ms",
                limit=0.200,
                absolute=True,
                note=f"flags file written p50 {disk['p50_ms']:.0f} ms / max "
                f"{disk['max_ms']:.0f} ms "
                f"after the action, on thread(s) {', '.join(marks['write_threads'])} "
                f"(off UI thread: {marks['writes_off_ui_thread']})",
            )
        )
        self.extra["elapsed_s"] = time.monotonic() - t_start

    def prime_newsboat(self, corpus: Path, cache: Path) -> None:
        """One more (untimed) reload: newsboat 2.21 drops the validators of a feed's first
        fetch (its UPDATE of rss_feed runs before the row exists), so without this second
        reload it never sends If-None-Match / If-Modified-Since."""
        r = run_cmd(self.nb_reload(corpus, cache))
        log(f"  newsboat primed (second reload, untimed): {r['wall_s']:.2f} s")

    def whatif(self, db: Path, corpus: Path, per_hosts: tuple[int, ...]) -> list[dict[str, Any]]:
        """Cold refresh in-process with other per-host limits (not the shipped setting)."""
        out = []
        for ph in per_hosts:
            self.tr_import(db, corpus)()
            res = inproc("refresh", str(db), "--per-host", str(ph), "--global", "16")
            log(
                f"  what-if per_host={ph}: refresh {res['refresh_s']:.2f} s, "
                f"total {res['total_s']:.2f} s"
            )
            out.append(res)
        return out

    def paint_pair(
        self, db: Path, corpus: Path, cache: Path, runs: int, warmup: int
    ) -> tuple[Side, Side]:
        tr_cmd = [str(TR), "--db", str(db)]
        nb_cmd = ["newsboat", "-u", str(corpus / "urls"), "-c", str(cache), "-C", str(self.nb_conf)]
        sides = {"tr": Side(), "nb": Side()}
        env = {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
        if "PYTHONPATH" in os.environ:
            env["PYTHONPATH"] = os.environ["PYTHONPATH"]
        for i in range(warmup + runs):
            order = ["nb", "tr"] if i % 2 == 0 else ["tr", "nb"]
            for who in order:
                if who == "nb" and not self.newsboat:
                    continue
                cmd, pat = (tr_cmd, TR_PAINT) if who == "tr" else (nb_cmd, NB_PAINT)
                t, screen = measure.probe(cmd, re.compile(pat), 120, 40, 90.0, 0.005, env)
                if t is None:
                    raise RuntimeError(f"{who}: no first paint:\n{screen}")
                log(f"  first paint {who} run {i + 1}: {t:.2f} s")
                if i >= warmup:
                    sides[who].runs.append({"wall_s": t})
        return sides["tr"], sides["nb"]

    # -- report
    def markdown(self) -> str:
        lines = [
            "| what | target | tui-reader median (min–max) | newsboat median (min–max) "
            "| ratio | result |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for row in self.rows:
            trc = row.override_tr or row.tr.fmt(
                row.key, row.unit, 1000.0 if row.unit == "ms" else 1.0
            )
            nbc = row.override_nb or (
                row.nb.fmt(row.key, row.unit)
                if row.nb.runs
                else ("—" if row.absolute else "not run")
            )
            ratio = row.ratio()
            rtxt = f"{ratio:.2f}x" if ratio is not None else "—"
            if row.absolute and row.value is not None:
                rtxt = f"+{row.value:.1f} s"
            lines.append(f"| {row.what} | {row.target} | {trc} | {nbc} | {rtxt} | {row.met()} |")
        notes = [f"* {row.what}: {row.note}" for row in self.rows if row.note]
        cpu = [
            "",
            "CPU seconds and peak RSS of the timed runs (medians):",
            "",
            "| what | tui-reader CPU | newsboat CPU | tui-reader peak RSS | newsboat peak RSS |",
            "| --- | --- | --- | --- | --- |",
        ]
        for row in self.rows:
            if row.key != "wall_s" or not row.tr.runs or "cpu_s" not in row.tr.runs[0]:
                continue
            cpu.append(
                f"| {row.what} | {row.tr.fmt('cpu_s')} | "
                f"{row.nb.fmt('cpu_s') if row.nb.runs else '—'} | "
                f"{row.tr.fmt('peak_rss_mib', 'MiB')} | "
                f"{row.nb.fmt('peak_rss_mib', 'MiB') if row.nb.runs else '—'} |"
            )
        cpu += [
            "",
            "These two columns come from wait4 on the timed process, which counts the children",
            "it waited for: in the cold rows tui-reader forks its parser processes itself, so",
            "their CPU is in; where a refresh's pool starts later (20% changed), its processes",
            "are a fork server's children and are left out. The process-tree samples of the",
            "cold runs (peak sums, every 20 ms):",
            "",
        ]
        for row in self.rows:
            for who, side in (("tui-reader", row.tr), ("newsboat", row.nb)):
                if side.runs and "tree_pss_mib" in side.runs[0] and row.key == "wall_s":
                    cpu.append(
                        f"* {row.what}, {who}: PSS {side.fmt('tree_pss_mib', 'MiB')}, "
                        f"RSS {side.fmt('tree_rss_mib', 'MiB')}, up to "
                        f"{max(r['tree_processes'] for r in side.runs)} processes"
                    )
        whatif = [
            "",
            "Fetcher what-if (in-process `refresh_feeds` with `FetchLimits(per_host=N,"
            " global_concurrency=16)`, one run each, cold library):",
            "",
            "| corpus | per_host | refresh s | total s (open+refresh+flush) |",
            "| --- | --- | --- | --- |",
        ]
        for key, label in (
            ("whatif_cold_small", f"{self.scale.small} feeds"),
            ("whatif_latency_small", f"{self.scale.small} feeds, 50 ms"),
            ("whatif_slow_small", f"{self.scale.small} feeds, 5 slow"),
            ("whatif_cold_big", f"{self.scale.big} feeds"),
        ):
            for res in self.extra.get(key, []):
                whatif.append(
                    f"| {label} | {res['per_host']} | {res['refresh_s']:.2f} | "
                    f"{res['total_s']:.2f} |"
                )
        out = "\n".join(lines) + "\n\nNotes:\n\n" + "\n".join(notes) + "\n"
        out += "\n".join(cpu) + "\n" + "\n".join(whatif) + "\n"
        if not self.newsboat:
            out += "\nnewsboat was not run (not installed or --no-newsboat): ratios are empty.\n"
        return out


def _p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def machine() -> str:
    cpu = measure.cpu_model()
    mem = "?"
    with contextlib.suppress(OSError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kib / 2**20:.1f} GiB"
    nb = measure.newsboat_version()
    py = subprocess.run([str(VENV_PY), "-V"], capture_output=True, text=True).stdout.strip()
    rev = measure.git_revision(REPO)
    return (
        f"* date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, tui-reader at {rev}\n"
        f"* nproc: {os.cpu_count()}; CPU: {cpu}; RAM: {mem}\n"
        f"* {py} ({platform.platform()}); {nb}\n"
    )


def install_newsboat() -> None:
    """The reference client, from the distribution's packages (Debian/Ubuntu: apt-get).

    Runs as root, or through `sudo -n` (never prompts); on failure the newsboat column is
    left empty, as with --no-newsboat, and the log says why.
    """
    if not shutil.which("apt-get"):
        log("newsboat is missing and there is no apt-get: install it by hand")
        return
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    if sudo and not shutil.which("sudo"):
        log("newsboat is missing; installing it needs root (apt-get install newsboat)")
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    log("newsboat is missing: apt-get install newsboat")
    for cmd in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "newsboat"]):
        done = subprocess.run([*sudo, *cmd], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            tail = (done.stderr.strip().splitlines() or ["?"])[-1]
            log(f"`{' '.join(cmd)}` failed: {tail}")
            return
    log(f"installed {shutil.which('newsboat')}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    ap.add_argument("--quick", action="store_true", help="small corpora, fewer runs")
    ap.add_argument("--runs", type=int, default=0, help="override repetitions")
    ap.add_argument("--no-newsboat", action="store_true", help="skip the newsboat column")
    ap.add_argument("--work", default="/tmp/tui-reader-bench", help="scratch directory")
    ap.add_argument("--live", action="store_true", help="use src/ as is, no snapshot")
    args = ap.parse_args(argv)
    for tool in ("tmux",):
        if not shutil.which(tool):
            ap.error(f"{tool} is needed (apt-get install {tool})")
    if not TR.exists():
        ap.error(f"{TR} missing: create the venv and `pip install -e .` first")
    if not args.no_newsboat and not shutil.which("newsboat"):
        install_newsboat()
    bench = Bench(args)
    if not args.no_newsboat and not bench.newsboat:
        log("newsboat not found: its column is skipped (apt-get install newsboat)")
    try:
        bench.run()
    finally:
        if DISCARDED is not None:
            shutil.rmtree(DISCARDED, ignore_errors=True)
    md = bench.markdown()
    info = machine()
    (bench.work / "results.md").write_text(md)
    (bench.work / "machine.md").write_text(info)
    (bench.work / "results.json").write_text(
        json.dumps(
            {
                "scale": bench.scale.__dict__,
                "rows": [
                    {
                        "what": r.what,
                        "target": r.target,
                        "tr": r.tr.runs,
                        "nb": r.nb.runs,
                        "tr_requests": r.tr.requests,
                        "nb_requests": r.nb.requests,
                        "ratio": r.ratio(),
                        "value": r.value,
                        "result": r.met(),
                        "note": r.note,
                    }
                    for r in bench.rows
                ],
                "extra": bench.extra,
            },
            indent=1,
            default=str,
        )
    )
    print(info)
    print(md)
    log(f"done in {bench.extra.get('elapsed_s', 0):.0f} s; results in {bench.work}/results.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
