"""`read_subscriptions`: an OPML or newsboat file, told apart by its content."""

from __future__ import annotations

import dataclasses

from .common import MAX_INPUT_BYTES, ImportFormatError, ImportPlan, _too_big
from .read_newsboat import _parse_newsboat
from .read_opml import parse_opml

_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def read_subscriptions(data: bytes, filename: str = "") -> ImportPlan:
    """Import a subscription list: OPML (anything that starts with ``<``) or newsboat.

    `filename` only sharpens the error message; the content decides the format.
    """
    if len(data) > MAX_INPUT_BYTES:
        raise ImportFormatError(_too_big(len(data)))
    head = data[:4096]
    stripped = head
    for bom in _BOMS:
        if stripped.startswith(bom):
            stripped = stripped[len(bom) :]
            break
    stripped = stripped.lstrip(b" \t\r\n")
    if not stripped:
        raise ImportFormatError("the file is empty")
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
    if stripped.startswith(b"<") or utf16:
        return parse_opml(data)
    if stripped.startswith((b"{", b"[")):
        raise ImportFormatError("this looks like JSON, not an OPML or newsboat urls file")
    if filename.lower().endswith((".opml", ".xml")):
        raise ImportFormatError("the file is named like OPML but does not contain XML")
    if b"\x00" in data:
        raise ImportFormatError("this is a binary file, not an OPML or newsboat urls file")
    try:
        text = data.decode("utf-8-sig")
        note = ""
    except UnicodeDecodeError:
        text = data.decode("utf-8-sig", errors="replace")
        note = "Some bytes were not valid UTF-8 and were replaced with \ufffd."
    plan, entry_lines = _parse_newsboat(text)
    if entry_lines == 0 and not plan.subscriptions:
        raise ImportFormatError(
            "this is neither an OPML file nor a newsboat urls file "
            "(no line starts with a feed address)"
        )
    if note:
        plan = dataclasses.replace(plan, notes=(*plan.notes, note))
    return plan
