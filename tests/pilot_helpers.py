"""Small helpers shared by the Pilot tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from textual.message import Message
from textual.notifications import Notification, Notify
from textual.pilot import Pilot

M = TypeVar("M", bound=Message)


async def settle(pilot: Pilot[Any], condition: Callable[[], object], timeout: float = 30.0) -> None:
    """Let the app run until `condition()` is true (workers, timers and messages included);
    fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the app"
        await pilot.pause(0.05)


class MessageLog:
    """Every message the app handles, for assertions: pass it to
    `app.run_test(message_hook=log)`. Notifications are messages too (`Notify`)."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    def __call__(self, message: Message) -> None:
        self.messages.append(message)

    def of_type(self, kind: type[M]) -> list[M]:
        return [m for m in self.messages if isinstance(m, kind)]

    @property
    def notifications(self) -> list[Notification]:
        """What the app told the user, oldest first (expired ones too)."""
        return [m.notification for m in self.of_type(Notify)]
