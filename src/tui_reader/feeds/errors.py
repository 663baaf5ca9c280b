"""The parser's one exception, in a module of its own so that code which only needs to
catch it (a refresh where every feed answers 304 parses nothing) does not load the
parser to do so."""

from __future__ import annotations


class FeedParseError(Exception):
    """The document cannot be used as a feed; `str(exc)` is a plain-words reason."""
