"""A pytest plugin for the standalone check: with `--collect-only`, print every test that a
`skip`/`skipif` mark would skip here, with its reason, one `SKIPS <nodeid>: <reason>` line
each. (Collection alone never evaluates those marks.)

    python -m pytest --collect-only -q -p tests.support.skipreport
"""

from __future__ import annotations

import pytest
from _pytest.skipping import evaluate_skip_marks  # the same evaluation pytest runs at setup


def pytest_collection_finish(session: pytest.Session) -> None:
    if not session.config.option.collectonly:
        return
    for item in session.items:
        skip = evaluate_skip_marks(item)
        if skip is not None:
            print(f"SKIPS {item.nodeid}: {skip.reason}")
