"""Time to first paint of the reader on a library, as bench.py measures it (tuiprobe + tmux).

    .venv/bin/python benchmarks/first_paint.py --db /tmp/lib10k -n 9
    .venv/bin/python benchmarks/first_paint.py --db /tmp/lib10k -n 9 \\
        --src before=/tmp/orig_src --src after=src

Starts ``.venv/bin/tui-reader --db DB`` in a fresh 120x40 tmux pane and waits for the
sidebar's "All" line with an article row beside it (bench.py's TR_PAINT pattern). With
several ``--src LABEL=DIR`` each run puts DIR first on PYTHONPATH; the versions take turns
(round-robin, order rotating each round) so that a noisy machine hits them alike. Prints the
median, min and max per version. One warm-up round is not counted (``--warmup``).
Needs tmux; the probe is ``benchmarks/measure.py``.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from pathlib import Path

from measure import probe

REPO = Path(__file__).resolve().parent.parent
TR = REPO / ".venv" / "bin" / "tui-reader"
TR_PAINT = r"(?m)^All\b.*▕\s*\S"  # the same pattern as bench.py


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", required=True, help="library directory to open")
    ap.add_argument("-n", "--runs", type=int, default=7, help="counted runs per version")
    ap.add_argument("-w", "--warmup", type=int, default=1, help="uncounted rounds first")
    ap.add_argument(
        "--src",
        action="append",
        default=[],
        metavar="LABEL=DIR",
        help="a source tree put first on PYTHONPATH (repeat to compare); default: installed",
    )
    ap.add_argument("--timeout", type=float, default=60.0, help="per run, seconds")
    a = ap.parse_args(argv)
    versions = [tuple(s.split("=", 1)) if "=" in s else (s, s) for s in a.src] or [("", "")]
    pattern = re.compile(TR_PAINT)
    cmd = [str(TR), "--db", a.db]
    times: dict[str, list[float]] = {label: [] for label, _ in versions}
    for round_ in range(a.warmup + a.runs):
        # Rotate who goes first so no version always follows a cold (or warm) neighbour.
        k = round_ % len(versions)
        for label, src in versions[k:] + versions[:k]:
            env = {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
            if src:
                env["PYTHONPATH"] = str(Path(src).resolve())
            t, screen = probe(cmd, pattern, 120, 40, a.timeout, 0.005, env)
            if t is None:
                print(f"{label or 'installed'}: no first paint; last screen:\n{screen}")
                return 1
            if round_ >= a.warmup:
                times[label].append(t)
    for label, runs in times.items():
        print(
            f"{label or 'installed':>12}: median {statistics.median(runs):.3f} s"
            f"  (min {min(runs):.3f}, max {max(runs):.3f}, n={len(runs)})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
