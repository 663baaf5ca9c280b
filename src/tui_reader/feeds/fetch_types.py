"""What a fetch is given and gives back: `FetchLimits`, `FetchResult`, request headers.

Split from `fetch.py` (which re-exports every public name here), with the small helpers
that word results and check the validators echoed back to servers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC
from typing import Literal

from tui_reader import __version__
from tui_reader.text import clean_line

DEFAULT_USER_AGENT = f"tui-reader/{__version__} (+terminal feed reader)"

FEED_ACCEPT = (
    "application/atom+xml, application/rss+xml, application/feed+json, "
    "application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.8"

_MIB = 1024 * 1024
# A Retry-After longer than this is treated as this: a typo or a hostile server must not be
# able to switch a feed off for years.
MAX_RETRY_AFTER = 7 * 24 * 3600.0
# Validators are echoed back verbatim in request headers, so they must be header-safe.
_MAX_VALIDATOR = 512


@dataclass(frozen=True)
class FetchLimits:
    """Per-fetch limits. One instance is shared by all fetches of a `Fetcher`."""

    deadline: float = 30.0  # total seconds per feed, including redirects and slow drips
    connect_timeout: float = 10.0
    max_body_bytes: int = 20 * 1024 * 1024  # cap on DECODED bytes (bounded decompression)
    max_redirects: int = 5
    global_concurrency: int = 16
    per_host: int = 2
    # Loopback hosts are the user's own machine: exempt from `per_host` (see the docstring).
    loopback_exempt: bool = True


@dataclass(frozen=True)
class FetchResult:
    """The outcome of one fetch. `error` is plain words, safe to show."""

    status: Literal["ok", "not_modified", "error"]
    url: str  # URL that was requested
    body: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    # Set when a chain of 301/308 moved the feed (http(s) only); the caller updates the
    # stored URL. Never set for a chain with a temporary hop or an https -> http downgrade.
    permanent_url: str | None = None
    final_url: str = ""  # where the body came from (base for relative links)
    http_status: int | None = None
    error: str | None = None
    retry_after: float | None = None  # seconds, from 429/503 Retry-After (delta or HTTP-date)
    # The caller's `admission` slot is still held for this body (see `Fetcher.fetch`).
    admitted: bool = False


# --------------------------------------------------------------------------- helpers


def _seconds(value: float) -> str:
    return f"{value:g}"


def _size(nbytes: int) -> str:
    if nbytes >= _MIB and nbytes % _MIB == 0:
        return f"{nbytes // _MIB} MB"
    if nbytes >= _MIB:
        return f"{nbytes / _MIB:.1f} MB"
    if nbytes >= 1024 and nbytes % 1024 == 0:
        return f"{nbytes // 1024} KB"
    return f"{nbytes} bytes"


def _header_safe(value: str | None, max_length: int = _MAX_VALIDATOR) -> bool:
    """True if `value` can be sent as a header value unchanged (printable ASCII)."""
    # isascii() and isprintable() together mean U+0020-U+007E only, checked at C speed.
    return (
        value is not None
        and 0 < len(value) <= max_length
        and value.isascii()
        and value.isprintable()
    )


def _validator(value: str | None) -> str | None:
    # A validator that cannot be echoed byte for byte is useless, and cleaning it would
    # change it; dropping it just means the next fetch is unconditional.
    return value if value is not None and _header_safe(value.strip()) else None


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP-date), or None.

    The result is clamped to [0, MAX_RETRY_AFTER]; an unparseable value gives None.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():
        # Compare digit counts before converting, so "9" * 5000 costs nothing.
        return MAX_RETRY_AFTER if len(text) > 9 else min(float(int(text)), MAX_RETRY_AFTER)
    import email.utils  # rarely needed: only a Retry-After given as a date

    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # HTTP-dates are GMT
    delta = when.timestamp() - (time.time() if now is None else now)
    return min(max(delta, 0.0), MAX_RETRY_AFTER)


def _reason(status: int, fallback: str) -> str:
    # The standard phrase, not the server's: the server's is untrusted text.
    import http  # only for errors: a refresh where all is well never needs it

    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = clean_line(fallback, max_length=60)
    return f"HTTP {status} {phrase}".rstrip()


class _Failure(Exception):
    """Internal: a fetch that ended in an error result."""

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.retry_after = retry_after
