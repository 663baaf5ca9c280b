"""Where the test material is, and how a test starts the support tools as scripts."""

from __future__ import annotations

import sys
from pathlib import Path

SUPPORT = Path(__file__).resolve().parent
REPO = SUPPORT.parents[1]
# The hostile-feed cases, one attack class a file (see tests/data/hostile/README.md).
HOSTILE = REPO / "tests" / "data" / "hostile"
FEEDCORPUS = SUPPORT / "feedcorpus.py"
FEEDSERVER = SUPPORT / "feedserver.py"
HUGEFEED = SUPPORT / "hugefeed.py"


def tool(script: Path, *args: str) -> list[str]:
    """argv that runs one of the support scripts with this interpreter."""
    return [sys.executable, str(script), *args]
