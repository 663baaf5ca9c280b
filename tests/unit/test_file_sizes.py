"""No file in src/ over 600 lines (issue 13): small files with one job each."""

from __future__ import annotations

from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
MAX_LINES = 600

# Files over the limit whose split is under way elsewhere; each entry says where. Remove
# an entry once its split is merged (the test below fails until then, as a reminder).
PENDING_SPLITS: set[str] = set()


def _line_counts() -> dict[str, int]:
    return {
        path.relative_to(SRC).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted(SRC.rglob("*.py"))
    }


def test_no_source_file_is_over_600_lines() -> None:
    counts = _line_counts()
    assert counts, f"no Python files found under {SRC}"
    over = {
        name: lines
        for name, lines in counts.items()
        if lines > MAX_LINES and name not in PENDING_SPLITS
    }
    listed = ", ".join(f"{name} ({lines})" for name, lines in sorted(over.items()))
    assert not over, f"over {MAX_LINES} lines: {listed}; split them by job"


def test_pending_splits_are_still_pending() -> None:
    counts = _line_counts()
    done = sorted(name for name in PENDING_SPLITS if counts.get(name, 0) <= MAX_LINES)
    assert not done, f"no longer over {MAX_LINES} lines, remove from PENDING_SPLITS: {done}"
