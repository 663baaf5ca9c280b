"""Where the project's shared test material is: `../shared` beside the checkout.

CI clones the repository into another folder with a copy of `shared/` beside it, so the
path is found relative to this file; `$TUI_READER_SHARED` overrides it.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TUI_READER_SHARED", REPO.parent / "shared"))
BENCH = SHARED / "bench"
HOSTILE = SHARED / "fixtures" / "hostile"
