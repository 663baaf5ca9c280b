"""Helpers both sync clients share: status codes to plain-words errors, JSON, untrusted
values to clean ones."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import orjson

from tui_reader.text import check_url, clean_line, clean_text

from .base import AuthError, ProtocolError, ServerUnavailable
from .http import HttpResponse

T = TypeVar("T")

# Titles and names are capped like the rest of the library's one-line fields.
MAX_LINE = 1000
MAX_BODY_TEXT = 4 * 1024 * 1024


def host_of(base_url: str) -> str:
    parts = urlsplit(base_url)
    host = parts.hostname or "the server"
    return clean_line(f"{host}:{parts.port}" if parts.port else host, max_length=200)


def check_status(response: HttpResponse, host: str, auth_hint: str) -> None:
    """Raise the error a non-2xx answer means. `auth_hint` is the one line for a 401/403
    (it names what was wrong, never its value)."""
    status = response.status
    if 200 <= status < 300:
        return
    if status in (401, 403):
        raise AuthError(auth_hint)
    if status == 429 or status >= 500:
        raise ServerUnavailable(f"{host} answered {status} (a server-side problem; try later)")
    if 300 <= status < 400:
        raise ProtocolError(f"{host} redirected the request ({status}): check the server address")
    if status == 404:
        raise ProtocolError(f"{host} answered 404: check the server address and API kind")
    raise ProtocolError(f"{host} refused the request ({status}){_server_says(response)}")


def _server_says(response: HttpResponse) -> str:
    """The server's own short error text, sanitised (Miniflux: {"error_message": ...})."""
    try:
        data = orjson.loads(response.body)
    except orjson.JSONDecodeError:
        return ""
    if isinstance(data, dict) and isinstance(data.get("error_message"), str):
        return ": " + clean_line(data["error_message"], max_length=200)
    return ""


def load_json(response: HttpResponse, host: str, what: str) -> Any:
    try:
        return orjson.loads(response.body)
    except orjson.JSONDecodeError:
        raise ProtocolError(f"{host} did not answer JSON for {what}") from None


def expect(value: object, kind: type[T], host: str, what: str) -> T:
    if not isinstance(value, kind):
        raise ProtocolError(f"{host} answered {what} in an unexpected shape")
    return value


def line(value: object) -> str:
    return clean_line(value, max_length=MAX_LINE) if value is not None else ""


def body(value: object) -> str:
    return clean_text(value, max_length=MAX_BODY_TEXT) if isinstance(value, str) else ""


def url(value: object) -> str:
    """The URL if the policy allows it (http/https, a host), else ""."""
    if not isinstance(value, str) or not value:
        return ""
    checked = check_url(value)
    return checked.url if checked.ok else ""


def timestamp(value: object) -> datetime | None:
    """A unix time (seconds) or an RFC 3339 string as an aware datetime; None if invalid."""
    try:
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            return datetime.fromtimestamp(float(value), UTC) if value > 0 else None
        if isinstance(value, str) and value:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def batches(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
