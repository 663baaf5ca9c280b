"""Summarise a py-spy ``--format raw`` profile (collapsed stacks) by function.

    py-spy record -r 250 --format raw -o prof.txt -- .venv/bin/tui-reader --db DB refresh
    python benchmarks/pyspy_summary.py prof.txt --top 30 [--match tui_reader]

Prints, per function (``name (file:line)`` as py-spy writes it, line numbers dropped),
the share of samples in which it is on the stack (inclusive) and at the top (self).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter

_LINE = re.compile(r":\d+\)$")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("profile")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--match", default="", help="only functions whose text contains this")
    a = ap.parse_args(argv)
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    with open(a.profile, encoding="utf-8", errors="replace") as f:
        for line in f:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not stack or not count.isdigit():
                continue
            n = int(count)
            total += n
            frames = [_LINE.sub(")", fr) for fr in stack.split(";")]
            for fr in set(frames):
                inclusive[fr] += n
            own[frames[-1]] += n
    print(f"{total} samples")
    print(f"{'incl%':>6} {'self%':>6}  function")
    shown = 0
    for fr, n in inclusive.most_common():
        if a.match and a.match not in fr:
            continue
        print(f"{100 * n / total:6.1f} {100 * own[fr] / total:6.1f}  {fr}")
        shown += 1
        if shown >= a.top:
            break
    return 0


if __name__ == "__main__":
    sys.exit(main())
