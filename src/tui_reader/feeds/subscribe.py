"""Subscribing to an address: a feed, or a web page whose <link rel="alternate"> names one.

The feed is fetched and parsed before it is saved, so a new subscription is never empty
and a typo never becomes a broken subscription.

Discovery reads the page with lxml (libxml2's HTML parser, linear time: the standard
library's `html.parser` is quadratic on a flood of `<!--` and froze the reader for minutes
on a 2 MiB page), in a thread, under the fetch deadline, so the event loop (the app's UI)
never waits for it.
"""

from __future__ import annotations

import asyncio
import codecs
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree

from ..models import Feed
from ..store import Store
from ..text import (
    UrlRejected,
    check_url,
    feed_url_guesses,
    is_command_url,
    normalize_feed_url,
)
from ..wording import plural
from .auth import UrlLogin, split_login, table_name
from .auth_login import Logins, config_lines, needs_login
from .common import link_or_empty
from .fetch import Fetcher, FetchLimits, FetchResult
from .parse import MAX_HTML_BYTES, FeedParseError, looks_like_feed, parse_feed


class SubscribeError(Exception):
    """The address could not be subscribed to; the message is for the user."""


@dataclass(frozen=True, slots=True)
class SubscribeOutcome:
    feed: Feed
    created: bool
    new_articles: int
    messages: tuple[str, ...]


async def subscribe_async(
    store: Store,
    raw_url: str,
    *,
    category: str = "",
    limits: FetchLimits | None = None,
    logins: Logins | None = None,
    merge: bool = True,
    allow_commands: bool = False,
) -> SubscribeOutcome:
    """Subscribe to `raw_url` (see the module docstring). `logins`: the config's
    `[auth."..."]` rules. A `user:password@` in the address is taken out of it before
    anything is stored and used for this subscription only; the outcome's messages tell
    the config lines that keep the login (never the password). `merge=False` (a library
    bound to a server account): the feed is checked and subscribed, but its articles are
    not saved: they come from the server, with the server's ids, by the next sync.
    An `exec:`/`filter:` subscription needs `allow_commands`: the user said, at that
    moment, that it may run (`add --allow-commands`, a confirmation in the reader); its
    articles are always saved (a server never has them)."""
    if is_command_url(raw_url):
        return await _subscribe_command(
            store, raw_url, category, limits, allowed=allow_commands, logins=logins
        )
    given = split_login(raw_url)
    login_notes: list[str] = []
    if given is not None:
        raw_url = given.url
    guesses = feed_url_guesses(raw_url)
    try:
        urls = [normalize_feed_url(guess) for guess in guesses]
    except UrlRejected as exc:
        raise SubscribeError(f"Cannot subscribe to {check_url(raw_url).shown!r}: {exc}.") from None
    for url in urls:
        existing = store.find_feed_by_url(url)
        if existing is not None:
            return SubscribeOutcome(
                existing, False, 0, (f"Already subscribed to {existing.display_title} ({url}).",)
            )
    messages: list[str] = []
    limits = limits or FetchLimits()
    if given is not None:
        logins, login_notes = _address_login(logins, urls[0], given)
    insecure = logins is not None and logins.allow_insecure
    async with Fetcher(limits, logins=logins) as fetcher:
        # Typed without a scheme: https:// first; a local host that does not speak it
        # is tried again with http:// (`text.feed_url_guesses`).
        for url in urls:
            result = await fetcher.fetch(url)
            if result.status != "error":
                break
        _raise_on_error(result, url, insecure)
        if guesses[0] != raw_url.strip():
            messages.append(f"No http:// or https:// was given: used {url}.")
        if not looks_like_feed(result.body):
            candidates = await discover_async(result.body, result.final_url or url, limits.deadline)
            if not candidates:
                raise SubscribeError(
                    f"{url} is neither a feed nor a page that links to one "
                    '(no <link rel="alternate"> to RSS, Atom or JSON Feed).'
                )
            url = normalize_feed_url(candidates[0])
            others = (
                f" (it lists {len(candidates)} feeds; took the first)"
                if len(candidates) > 1
                else ""
            )
            messages.append(f"Found the feed {url} on that page{others}.")
            existing = store.find_feed_by_url(url)
            if existing is not None:
                messages.append(f"Already subscribed to {existing.display_title}.")
                return SubscribeOutcome(existing, False, 0, tuple(messages))
            result = await fetcher.fetch(url)
            _raise_on_error(result, url, insecure)
    now = datetime.now(UTC)
    try:
        parsed = await asyncio.to_thread(
            parse_feed,
            result.body,
            url=result.final_url or url,
            fetched_at=now,
            content_type=result.content_type,
        )
    except FeedParseError as exc:
        raise SubscribeError(f"{url} could not be read as a feed: {exc}.") from None
    feed, created = store.add_feed(
        result.permanent_url or url, parsed.title, category, parsed.site_url
    )
    if not merge:
        messages.append(
            f"Subscribed to {feed.display_title} in {feed.category}: the server will "
            "send its articles with the next sync."
        )
        messages.extend(login_notes)
        return SubscribeOutcome(feed, created, 0, tuple(messages))
    merged = await asyncio.to_thread(store.merge_articles, feed.id, parsed.articles, now)
    feed = (
        store.record_fetch(
            feed.id, ok=True, etag=result.etag, last_modified=result.last_modified, when=now
        )
        or feed
    )
    messages.append(
        f"Subscribed to {feed.display_title} in {feed.category}: {plural(merged.new, 'article')}."
    )
    messages.extend(f"Note: {w}" for w in parsed.warnings)
    messages.extend(login_notes)
    return SubscribeOutcome(feed, created, merged.new, tuple(messages))


def _address_login(logins: Logins | None, url: str, given: UrlLogin) -> tuple[Logins, list[str]]:
    """The logins to subscribe with when the address held `user[:password]@`, and what
    to tell the user: the address is stored without it, and refreshes log in only with
    a config table (the reader never writes the config, and never stores a password)."""
    logins = logins if logins is not None else Logins()
    rule = logins.rule_for(url)
    notes = ["The user name and password were taken out of the address: they are not stored."]
    if given.password is not None:
        logins = logins.with_login(url, given.user, given.password)
    if rule is not None and rule.has_login:
        notes.append(f'Refreshes log in with [auth."{rule.key}"] from your config file.')
        return logins, notes
    name = table_name(url)
    # A user name without a password is often a token: never shown back.
    user = _toml_text(given.user) if given.password is not None else "your-user-name"
    lines = [
        f'[auth."{name}"]',
        f'user = "{user}"',
        'password_command = "pass show feeds/password"',
    ]
    notes.append(
        "To log in when refreshing, add to your config file (password_command is any "
        "command that prints the password; it is run without a shell):\n  " + "\n  ".join(lines)
    )
    if url.startswith("http:") and not logins.allow_insecure:
        notes.append("Plain http: also set allow_insecure_auth = true at the top of the file.")
    return logins, notes


def _toml_text(value: str) -> str:
    """`value` as the inside of a TOML basic string, shown safely (no control characters)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return "".join(c if c.isprintable() else "?" for c in escaped)


async def _subscribe_command(
    store: Store,
    raw: str,
    category: str,
    limits: FetchLimits | None,
    *,
    allowed: bool,
    logins: Logins | None,
) -> SubscribeOutcome:
    """An `exec:`/`filter:` subscription: refused unless `allowed`; run once (under the
    refresh's limits) and parsed before it is saved, like any new subscription."""
    from .command_fetch import fetch_command_feed
    from .command_url import CommandRejected, parse_command_url, shown

    if not allowed:
        raise SubscribeError(
            f"{shown(raw, 200)} runs a command on this computer at every refresh; "
            "subscribe to it only if you wrote it or trust it, with --allow-commands."
        )
    try:
        spec = parse_command_url(raw)
    except CommandRejected as exc:
        raise SubscribeError(f"Cannot subscribe to {shown(raw, 200)}: {exc}.") from None
    existing = store.find_feed_by_url(spec.text)
    if existing is not None:
        existing = store.subscriptions.trust_command(existing.id)
        return SubscribeOutcome(
            existing,
            False,
            0,
            (f"Already subscribed to {existing.display_title}; its command may run now.",),
        )
    # The run is checked as a refresh would check it: the feed it would be.
    trial = Feed(id="new", url=spec.text, title="", trusted_command=spec.text)
    async with Fetcher(limits or FetchLimits(), logins=logins) as fetcher:  # a filter's URL
        result = await fetch_command_feed(trial, fetcher, timeout=store.command_timeout)
    if result.status != "ok":
        raise SubscribeError(f"{shown(spec.text, 200)}: {result.error}.")
    now = datetime.now(UTC)
    try:
        parsed = await asyncio.to_thread(
            parse_feed,
            result.body,
            url=result.final_url or spec.text,
            fetched_at=now,
            content_type=None,
        )
    except FeedParseError as exc:
        raise SubscribeError(
            f"The output of {shown(spec.text, 200)} could not be read as a feed: {exc}."
        ) from None
    feed, created = store.add_feed(
        spec.text, parsed.title, category, parsed.site_url, trust_command=True
    )
    merged = await asyncio.to_thread(store.merge_articles, feed.id, parsed.articles, now)
    feed = store.record_fetch(feed.id, ok=True, when=now) or feed
    messages = [
        f"Subscribed to {feed.display_title} in {feed.category}: {plural(merged.new, 'article')}.",
        *(f"Note: {w}" for w in parsed.warnings),
    ]
    return SubscribeOutcome(feed, created, merged.new, tuple(messages))


# ------------------------------------------------------------------ discovery

_FEED_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/feed+json", "application/json"}
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}charset\s*=\s*["']?([A-Za-z0-9._:\-]{1,40})""", re.I
)
# Codecs a page may not choose: utf-7 can hide markup, punycode and idna are not page
# encodings (they turn a page into noise), and a <meta> tag that could be read
# as ASCII cannot really be UTF-16/32.
_REFUSED_CODECS = ("utf-7", "utf-16", "utf-32", "punycode", "idna")


def _page_text(page: bytes) -> bytes:
    """The page as UTF-8, decoded per its <meta charset> (else UTF-8), bad bytes replaced."""
    encoding = "utf-8"
    match = _META_CHARSET.search(page[:4096])
    if match:
        try:
            name = codecs.lookup(match.group(1).decode("ascii")).name
            if not name.startswith(_REFUSED_CODECS):
                encoding = name  # a non-text codec (hex, rot13) fails to decode below
        except LookupError:
            pass
    try:
        text = page.decode(encoding, "replace")
    except (LookupError, ValueError):  # non-text codecs; codecs without "replace" (idna)
        text = page.decode("utf-8", "replace")
    return text.encode("utf-8", "replace")


def discover_feed_links(page: bytes, base_url: str) -> list[str]:
    """Feed URLs an HTML page advertises with <link rel="alternate" type=...>.

    Resolved against the page's first <base href> or `base_url`, only http(s) (per
    `text.safe_link`), without duplicates, in document order. Reads at most
    `MAX_HTML_BYTES`; linear in the page size. Never raises.
    """
    try:
        data = _page_text(bytes(page[:MAX_HTML_BYTES]))
        if not data.strip():
            return []
        parser = etree.HTMLParser(
            encoding="utf-8", no_network=True, remove_comments=True, remove_pis=True
        )
        root = etree.fromstring(data, parser)
        if root is None:
            return []
        base = link_or_empty(base_url) or ""
        for element in root.iter("base"):
            base = link_or_empty((element.get("href") or "").strip(), base or None) or base
            break
        found: list[str] = []
        for element in root.iter("link"):
            rels = (element.get("rel") or "").lower().split()
            kind = (element.get("type") or "").split(";")[0].strip().lower()
            href = (element.get("href") or "").strip()
            if "alternate" not in rels or kind not in _FEED_TYPES or not href:
                continue
            link = link_or_empty(href, base or None)
            if link and link not in found:
                found.append(link)
        return found
    except Exception:  # a hostile page must not break `add`: it simply lists no feed
        return []


async def discover_async(page: bytes, base_url: str, deadline: float) -> list[str]:
    """`discover_feed_links` in a worker thread, given up (as "no feed") after `deadline` s.

    The thread cannot be stopped, but lxml is linear, so it ends soon after anyway; what
    matters is that the caller's event loop is never blocked.
    """
    try:
        async with asyncio.timeout(deadline):
            return await asyncio.to_thread(discover_feed_links, page, base_url)
    except TimeoutError:
        return []


def _raise_on_error(result: FetchResult, url: str, insecure_allowed: bool = False) -> None:
    if result.status == "error":
        message = f"Could not fetch {check_url(url).shown}: {result.error}."
        if needs_login(result.error):
            lines = config_lines(url, result.error or "", insecure_allowed=insecure_allowed)
            message += "\nTo log in, add to your config file:\n  " + "\n  ".join(lines)
        raise SubscribeError(message)
    if result.status != "ok" or not result.body:
        raise SubscribeError(f"{check_url(url).shown} sent nothing to read.")


def subscribe(
    store: Store,
    raw_url: str,
    *,
    category: str = "",
    logins: Logins | None = None,
    allow_commands: bool = False,
) -> SubscribeOutcome:
    """Blocking version for the command line."""
    return asyncio.run(
        subscribe_async(
            store, raw_url, category=category, logins=logins, allow_commands=allow_commands
        )
    )
