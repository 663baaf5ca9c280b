"""The parser's one exception, in a module of its own so that code which only needs to
catch it (a refresh where every feed answers 304 parses nothing) does not load the
parser to do so."""

from __future__ import annotations


class FeedParseError(Exception):
    """The document cannot be used as a feed; `str(exc)` is a plain-words reason."""


class LoginError(Exception):
    """A login (`feeds/auth_login.py`) could not be had; the message names the config
    table, never a secret. Here so that the fetcher can catch it without loading the
    login code when the config has no logins."""
