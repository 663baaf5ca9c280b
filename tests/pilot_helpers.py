"""Small helpers shared by the Pilot tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot


async def settle(pilot: Pilot[Any], condition: Callable[[], object], timeout: float = 30.0) -> None:
    """Let the app run until `condition()` is true (workers, timers and messages included);
    fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the app"
        await pilot.pause(0.05)
