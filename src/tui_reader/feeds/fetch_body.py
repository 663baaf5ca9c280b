"""A response body, decoded as it arrives under the raw and decoded byte caps.

Split from `fetch.py` (see its docstring for why decoding is done here, in bounded
pieces, rather than by libcurl): the gzip/deflate/br stages and `_BodyReader`, which the
`CurlSession` hands one response to.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from tui_reader.text import clean_line

from .curl_session import Response
from .fetch_types import FetchLimits, _Failure, _size

try:  # Brotli is optional; only a version that can bound its output is used (see below).
    import brotli as _brotli
except ImportError:  # pragma: no cover - depends on the environment
    _brotli = None

# brotli >= 1.2 can stop after N output bytes (`output_buffer_limit`); older versions inflate
# a whole chunk at once, which is exactly the bomb this module exists to stop. So "br" is
# only advertised when the bounded API is there.
BROTLI_AVAILABLE: bool = _brotli is not None and hasattr(
    _brotli.Decompressor(), "can_accept_more_data"
)

ACCEPT_ENCODING = "gzip, deflate, br" if BROTLI_AVAILABLE else "gzip, deflate"

# Largest piece one decoding stage hands to the next: bounds memory per stage and how far
# the decoded total can overshoot the cap before it is noticed.
_PIECE = 64 * 1024
# More stacked encodings than this is not a real server, only a way to multiply work.
_MAX_ENCODINGS = 3


# --------------------------------------------------------------------------- decoding


class _Stage(Protocol):
    """One content-decoding stage: bytes in, decoded pieces of at most ~_PIECE bytes out."""

    def feed(self, data: bytes) -> Iterator[bytes]: ...

    def finish(self) -> Iterator[bytes]: ...


class _ZlibStage:
    """gzip or deflate, inflated at most `_PIECE` bytes per `decompress` call."""

    def __init__(self, name: str) -> None:
        self.name = name
        # gzip: header + trailer (wbits | 16). deflate: should be zlib-wrapped per RFC 9110,
        # but some servers send raw deflate; the first chunk decides (as browsers do).
        self._wbits = zlib.MAX_WBITS | 16 if name == "gzip" else zlib.MAX_WBITS
        self._inflater = zlib.decompressobj(self._wbits)
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        if not self._started and data:
            self._started = True
            if self.name == "deflate":
                try:
                    # Probe the header on a copy so a raw stream can be retried cleanly.
                    zlib.decompressobj(self._wbits).decompress(data[:2])
                except zlib.error:
                    self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        yield from self._inflate(data)

    def _inflate(self, data: bytes) -> Iterator[bytes]:
        inflater = self._inflater
        pending = data
        while not inflater.eof:
            try:
                out = inflater.decompress(pending, _PIECE)
            except zlib.error:
                raise _Failure(f"the response's {self.name} compression is corrupt") from None
            pending = inflater.unconsumed_tail
            if out:
                yield out
            # A full piece may leave output inside zlib even with no input left: go round
            # again with b"" until a short piece says it is drained.
            if not out or (not pending and len(out) < _PIECE):
                break
        # Data after the end of the stream (another gzip member, or junk) is ignored, as
        # browsers do; the raw-byte cap stops it from being an endless download.

    def finish(self) -> Iterator[bytes]:
        # Leniency as in browsers: a stream cut short keeps what was decoded.
        yield from self._inflate(b"")


class _BrotliStage:
    """br with brotli >= 1.2's bounded output."""

    name = "br"

    def __init__(self) -> None:
        assert _brotli is not None
        self._decoder: Any = _brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        decoder = self._decoder
        pending = data
        while not decoder.is_finished():
            try:
                out = decoder.process(pending, output_buffer_limit=_PIECE)
            except _brotli.error:  # type: ignore[union-attr]
                raise _Failure("the response's br compression is corrupt") from None
            pending = b""
            if out:
                yield out
            else:
                break

    def finish(self) -> Iterator[bytes]:
        yield from self.feed(b"")


def _stages(content_encoding: list[str]) -> list[_Stage]:
    """Decoders for a Content-Encoding list, in decoding order (the reverse of applying)."""
    names = [name.strip().lower() for name in content_encoding]
    names = [name for name in names if name and name != "identity"]
    if len(names) > _MAX_ENCODINGS:
        raise _Failure(f"the response is compressed {len(names)} times over; refused")
    stages: list[_Stage] = []
    for name in reversed(names):
        if name in ("gzip", "x-gzip"):
            stages.append(_ZlibStage("gzip"))
        elif name == "deflate":
            stages.append(_ZlibStage("deflate"))
        elif name == "br" and BROTLI_AVAILABLE:
            stages.append(_BrotliStage())
        else:
            shown = clean_line(name, max_length=40)
            raise _Failure(f"the response uses an unsupported compression ({shown!r})")
    return stages


def _through(stages: list[_Stage], pieces: Iterable[bytes]) -> Iterator[bytes]:
    """Lazily push pieces through `stages`: one piece in flight per stage, never more."""
    flow: Iterable[bytes] = pieces
    for stage in stages:
        flow = _feed_all(stage, flow)
    yield from flow


def _feed_all(stage: _Stage, pieces: Iterable[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        yield from stage.feed(piece)


def _finish_all(stages: list[_Stage]) -> Iterator[bytes]:
    # Each stage's tail still has to pass through the stages after it.
    for index, stage in enumerate(stages):
        yield from _through(stages[index + 1 :], stage.finish())


class _BodyReader:
    """Receives one response from the `CurlSession`: wants the body of a 2xx only, and
    decodes it as it arrives, under the raw and decoded caps (raising `_Failure`)."""

    def __init__(self, limits: FetchLimits, conditional: bool) -> None:
        self.limit = limits.max_body_bytes
        # Compressed data is never much bigger than what it decodes to, so the same cap
        # (plus slack for headers of tiny bodies) bounds the download itself.
        self.raw_limit = self.limit + _PIECE
        self.response: Response | None = None
        self.stages: list[_Stage] = []
        # Pieces joined once at the end: growing one buffer copies it again and again.
        self.pieces: list[bytes] = []
        self.size = 0
        self.raw_total = 0

    def _too_large(self) -> _Failure:
        status = self.response.status if self.response else None
        return _Failure(f"response larger than {_size(self.limit)}", http_status=status)

    def start(self, response: Response) -> bool:
        self.response = response
        if not 200 <= response.status < 300:
            return False  # redirects, 304 and errors are judged on their headers alone
        declared = response.header("content-length") or ""
        if declared.isascii() and declared.isdigit() and int(declared) > self.raw_limit:
            raise self._too_large()  # no need to download what will be refused
        self.stages = _stages(response.header_list("content-encoding"))
        return True

    def feed(self, chunk: bytes) -> None:
        self.raw_total += len(chunk)
        if self.raw_total > self.raw_limit:
            raise self._too_large()
        if not self.stages:
            self._add(chunk)
            return
        for piece in _through(self.stages, (chunk,)):
            self._add(piece)

    def _add(self, piece: bytes) -> None:
        self.size += len(piece)
        if self.size > self.limit:
            raise self._too_large()
        self.pieces.append(piece)

    def finish(self) -> bytes:
        for piece in _finish_all(self.stages):
            self._add(piece)
        return self.pieces[0] if len(self.pieces) == 1 else b"".join(self.pieces)
