"""The repository stands alone (issue 12): a clone with nothing beside it collects every test.

The tracked files (and the untracked ones git does not ignore, so the check holds before a
commit too) are copied into an empty temporary folder and `pytest --collect-only` runs
there: any collection error, or a module skipped while collecting, fails this test, and
so does a skip mark that would fire there because some file or folder is missing
(`tests/support/skipreport.py` evaluates the marks). The tests, benchmarks and CI script
must not name the old outside material either.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Spelled in pieces so that this file does not match its own search.
OUTSIDE_ENV = ("BENCH" + "_TOOLS", "TUI_READER" + "_SHARED")
FORBIDDEN = ("../" + "shared", "shared" + "_paths", *OUTSIDE_ENV)
SEARCHED = ("tests/", "benchmarks/", ".ci/")
# Words of a skip reason that blames missing material (a skip may only name something a
# user can act on: a tool to install, a machine with two cores).
MISSING = ("beside", "not present", "not found", "not available", "missing", "shared", "fixture")


def _repo_files() -> list[str]:
    if shutil.which("git") is None:
        pytest.skip("git is not on PATH (install git to run this check)")
    listed = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=False,
    )
    if listed.returncode != 0:
        pytest.skip(f"{REPO} is not a git checkout (run this check in a clone)")
    names = sorted({n for n in listed.stdout.decode().split("\0") if n})
    # A file deleted but not yet committed is still in the index: it is not there to copy.
    return [n for n in names if (REPO / n).is_file()]


def test_nothing_names_the_outside_material() -> None:
    own = Path(__file__).relative_to(REPO).as_posix()
    hits = []
    for name in _repo_files():
        if not name.startswith(SEARCHED) or name == own:
            continue
        data = (REPO / name).read_bytes()
        hits += [f"{name}: {word}" for word in FORBIDDEN if word.encode() in data]
    assert hits == []


def test_a_lone_copy_collects_every_test(tmp_path: Path) -> None:
    copy = tmp_path / "alone" / "tui-reader"  # its parent holds nothing else
    for name in _repo_files():
        target = copy / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target, follow_symlinks=False)
    env = {k: v for k, v in os.environ.items() if k not in (*OUTSIDE_ENV, "PYTHONPATH")}
    env["PYTHONPATH"] = str(copy / "src")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
        + ["-p", "tests.support.skipreport"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert " tests collected" in summary, summary
    assert "error" not in summary and "skipped" not in summary, summary
    skips = [line for line in done.stdout.splitlines() if line.startswith("SKIPS ")]
    assert [s for s in skips if any(word in s.lower() for word in MISSING)] == []
