"""benchmarks/sync_bench.py stays runnable: its --help, and the way it makes feeds change
between syncs (the benchmark itself needs Miniflux and newsboat and is never run here)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from tests.support import feedcorpus

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def load() -> ModuleType:
    sys.path.insert(0, str(BENCH))  # for its `import measure`
    try:
        spec = importlib.util.spec_from_file_location("sync_bench", BENCH / "sync_bench.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["sync_bench"] = module  # its dataclasses look themselves up there
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCH))


def test_help_runs() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / "sync_bench.py"), "--help"],
        capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "newsboat" in done.stdout and "--runs" in done.stdout


def test_grow_adds_items_to_the_chosen_feeds_only(tmp_path: Path) -> None:
    bench = load()
    manifest = feedcorpus.generate(tmp_path, 3, 4, bench.SEED, json_feeds=False)
    files = [tmp_path / r["file"] for r in manifest["feeds"]]
    before = [(f.read_text(), f.stat().st_mtime) for f in files]

    bench.grow(tmp_path, [2], extra=2, items=4)

    after = [(f.read_text(), f.stat().st_mtime) for f in files]
    assert after[0] == before[0] and after[2] == before[2]
    text, mtime = after[1]
    assert text != before[1][0] and mtime > before[1][1]  # new validators for the server
    assert text.count("<item>") + text.count("<entry>") == 4  # the oldest two dropped off
