"""The one boundary for untrusted text and URLs.

Every string that came from a feed, an OPML file or an HTTP header passes through
`clean_line` (one-line fields: titles, authors, names) or `clean_text` (multi-line text:
bodies) before it is stored, and again before it is shown. The rules, documented for
users in README ("Untrusted text"):

* C0 control characters (except tab and newline in multi-line text) and DEL are shown as
  the matching visible Control Picture: ESC becomes ``␛``, BEL ``␇``, NUL ``␀``, DEL ``␡``.
  A terminal never receives them, and an attack stays visible instead of silently vanishing.
* C1 controls (U+0080-U+009F) and lone surrogates become U+FFFD ``�``.
* Bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), bidi marks
  (LRM, RLM, ALM) and invisible characters other than ZWJ/ZWNJ (ZWSP, WJ, BOM, soft
  hyphen, the combining grapheme joiner U+034F, the deprecated format characters
  U+206A-U+206F, interlinear annotation marks U+FFF9-U+FFFB, the Hangul choseong and
  jungseong fillers U+115F/U+1160 and the tag characters U+E0000-U+E007F, which can
  carry hidden text) are removed, so text always reads in logical order and every cell
  the layout counts is a cell the terminal draws.
* The Hangul fillers U+3164 and U+FFA0 look blank but terminals and Rich disagree on
  their width: they become a plain space.
* Runs of combining marks or variation selectors are capped at `MAX_COMBINING`.
* In one-line fields every line break or tab becomes a single space.

The URL policy lives here too: `check_url` decides whether a URL may be opened or shown
as a link, and `normalize_feed_url` whether it may be subscribed to.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

MAX_COMBINING = 4

# Characters removed outright.
_REMOVED = (
    "\u202a\u202b\u202c\u202d\u202e"  # LRE RLE PDF LRO RLO
    "\u2066\u2067\u2068\u2069"  # LRI RLI FSI PDI
    "\u200e\u200f\u061c"  # LRM RLM ALM
    "\u200b\u2060\ufeff\u00ad"  # ZWSP WJ BOM/ZWNBSP soft hyphen
    "\u180e\u2061\u2062\u2063\u2064"  # Mongolian vowel separator, invisible operators
    "\u034f"  # combining grapheme joiner: invisible, changes nothing a reader sees
    "\u206a\u206b\u206c\u206d\u206e\u206f"  # deprecated format characters
    "\ufff9\ufffa\ufffb"  # interlinear annotation anchor/separator/terminator
    "\u115f\u1160"  # Hangul choseong/jungseong fillers: width differs between terminals
)
# Tag characters: invisible, and a way to smuggle hidden text (U+E0000-U+E007F).
_TAGS = range(0xE0000, 0xE0080)
# Hangul fillers that are drawn blank: a space, so words around them stay apart.
_BLANKS = "\u3164\uffa0"


def _build_table(multiline: bool) -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for code in range(0x20):
        table[code] = chr(0x2400 + code)  # Control Pictures block
    table[0x7F] = "\u2421"
    for code in range(0x80, 0xA0):
        table[code] = "\ufffd"
    for char in _REMOVED:
        table[ord(char)] = None
    for code in _TAGS:
        table[code] = None
    for char in _BLANKS:
        table[ord(char)] = " "
    if multiline:
        table[ord("\n")] = "\n"
        table[ord("\t")] = "\t"
        table[0x2028] = "\n"
        table[0x2029] = "\n\n"
    else:
        for code in (ord("\n"), ord("\t"), ord("\r"), 0x0B, 0x0C, 0x2028, 0x2029, 0x85):
            table[code] = " "
    return table


_LINE_TABLE = _build_table(multiline=False)
_TEXT_TABLE = _build_table(multiline=True)

# Combining marks and variation selectors (the common blocks; enough to stop "zalgo" stacks
# from growing a row taller or slowing the renderer).
_COMBINING_CLASS = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u0610-\u061a\u064b-\u065f\u0e31\u0e34-\u0e3a"
    "\u0e47-\u0e4e\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe00-\ufe0f\ufe20-\ufe2f"
    "\U000e0100-\U000e01ef"
)
_COMBINING_RUN = re.compile(f"([{_COMBINING_CLASS}]{{{MAX_COMBINING}}})[{_COMBINING_CLASS}]+")
_SURROGATE = re.compile("[\ud800-\udfff]")
_SPACES = re.compile(r" {2,}")
# The tag characters and the variation selectors supplement (U+E0100-U+E01EF) are checked
# as ONE range (U+E0080-U+E00FF are unassigned): a character class with astral ranges is
# scanned range by range, and a separate tag range made this scan 50% slower.
_BMP_COMBINING = _COMBINING_CLASS.replace("\U000e0100-\U000e01ef", "")
_OTHER_WORK = f"{_REMOVED}{_BLANKS}\u2028\u2029\ud800-\udfff{_BMP_COMBINING}\U000e0000-\U000e01ef"
_NEEDS_WORK = re.compile(f"[\x00-\x1f\x7f-\x9f{_OTHER_WORK}]")
# Multi-line text keeps newline and tab, so they must not send it down the slow path.
_TEXT_NEEDS_WORK = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_OTHER_WORK}]")


def _clean(value: str, table: dict[int, str | None], needs_work: re.Pattern[str]) -> str:
    # Printable ASCII (U+0020-U+007E) is in neither `needs_work` class, and these two
    # checks run at C speed: most titles, authors and ids skip the regex scan.
    if value.isascii() and value.isprintable():
        return value
    if not needs_work.search(value):
        return value
    value = _SURROGATE.sub("\ufffd", value)
    value = value.translate(table)
    return _COMBINING_RUN.sub(r"\1", value)


def clean_line(value: object, max_length: int | None = None) -> str:
    """Sanitise a one-line field (title, author, name): see the module docstring."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if max_length is not None and len(text) > max_length * 4:
        text = text[: max_length * 4]  # bound the work before cleaning huge fields
    text = _clean(text, _LINE_TABLE, _NEEDS_WORK)
    if "  " in text:
        text = _SPACES.sub(" ", text)
    text = text.strip()
    if max_length is not None and len(text) > max_length:
        text = text[: max_length - 1].rstrip() + "…"
    return text


def clean_text(value: object, max_length: int | None = None) -> str:
    """Sanitise multi-line text (bodies): keeps newlines and tabs, normalises CR/CRLF."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if max_length is not None and len(text) > max_length:
        text = text[:max_length]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _clean(text, _TEXT_TABLE, _TEXT_NEEDS_WORK)
    if max_length is not None and len(text) > max_length:
        # U+2029 becomes two characters: cut again so the cap holds for the output and a
        # second pass (display after storage) gives the same text.
        text = text[:max_length]
    return text


# --------------------------------------------------------------------------- URL policy

ALLOWED_SCHEMES = frozenset({"http", "https"})
MAX_URL_LENGTH = 4096
# What stays literal in a path, query or fragment; everything else is percent-encoded.
# The browser gets its URL as one argv element and never through a shell. Encoding also
# covers most characters a shell gives meaning to (space, quotes, backtick, `$`, `;`, `|`,
# `<`, `>`, `(`, `)`, `\\`, `{`, `}`, and `[`/`]` outside an IPv6 host), which changes
# nothing for the server: none of them may appear raw there. It CANNOT make a badly
# written $BROWSER wrapper safe: `&` separates query parameters (`%26` would mean a
# different URL), so a wrapper running `sh -c "browser $1"` still runs what follows an
# `&`. `*`, `?` and `!` also stay (the first two can only expand to file names). README
# "The browser" says so.
_SAFE_URL_CHARS = "-._~:/?#@&=+,%!*"


# Ports the Fetch standard blocks because other protocols listen there. An HTTP request to
# them is at best useless and at worst a cross-protocol attack on a local service.
BAD_PORTS = frozenset(
    {1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95}
    | {101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143}
    | {161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554}
    | {556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045}
    | {4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6697, 10080}
)
_USERINFO = re.compile(r"//[^/?#\s]*@")


def hide_userinfo(value: str) -> str:
    """Replace any `//user:password@` in a string that will be shown with `//***@`."""
    return _USERINFO.sub("//***@", value) if "@" in value else value


class UrlRejected(ValueError):
    """A URL that the policy refuses; `str(exc)` is a plain-words reason."""


@dataclass(frozen=True, slots=True)
class UrlCheck:
    """The policy's verdict on one URL."""

    ok: bool
    url: str  # the normalised URL when ok, else "" (never open `shown`)
    shown: str  # the original, sanitised and with any password hidden: safe to display
    host: str = ""
    reason: str = ""


def _display(raw: str) -> str:
    # Userinfo is hidden whole: a token-only `https://TOKEN@host/` is as secret as a password.
    # Hidden before cleaning too: cleaning can turn a character (U+3164) into a space, at
    # which `hide_userinfo` would stop.
    return hide_userinfo(clean_line(hide_userinfo(raw[:1200]), max_length=300))


def check_url(raw: object, base: str | None = None) -> UrlCheck:
    """Decide whether `raw` may be opened in a browser or shown as a link.

    Only absolute http(s) URLs with a host pass; the result is normalised (scheme and host
    lower-case, IDN hosts in punycode, unsafe characters percent-encoded). A relative URL is
    resolved against `base` first when one is given.
    """
    text = raw if isinstance(raw, str) else ("" if raw is None else str(raw))
    shown = _display(text)
    try:
        url = _normalize_http_url(text, base)
    except UrlRejected as exc:
        return UrlCheck(ok=False, url="", shown=shown, reason=str(exc))
    host = urlsplit(url).hostname or ""
    return UrlCheck(ok=True, url=url, shown=shown, host=host)


def safe_link(raw: object, base: str | None = None) -> str:
    """The normalised URL if the policy allows it, else "" (cheaper than `check_url`)."""
    text = raw if isinstance(raw, str) else ("" if raw is None else str(raw))
    try:
        return _normalize_http_url(text, base)
    except UrlRejected:
        return ""


_TAB_NEWLINE = re.compile(r"[\t\n\r]")
# Lone surrogates too: they cannot be encoded, so `quote()` would raise UnicodeEncodeError
# (JSON can carry them as "\ud800").
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_HAS_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_HOST_CHARS = re.compile(r"[a-z0-9._~\-\[\]:%]+")


# The common case, for which `_normalize_http_url_slow` is the identity: a lower-case
# http(s) scheme and host name with no port or userinfo, then a path (and optionally a
# non-empty query and fragment) made only of characters that `quote` keeps as they are
# and that carry no structure for `urlsplit`: no space, control, non-ASCII, backslash,
# `[`, `]`, `;`, nor `?`/`#` inside the path. tests/test_text_fastpath.py checks that
# the fast path agrees with the slow one.
_PLAIN_CHARS = r"A-Za-z0-9\-._~:/@&=+,%!*"
_PLAIN_URL = re.compile(
    rf"https?://[a-z0-9.\-]+/[{_PLAIN_CHARS}]*(?:\?[{_PLAIN_CHARS}?]+)?(?:#[{_PLAIN_CHARS}?]+)?"
)
# The same without a path: the slow path adds "/".
_PLAIN_ORIGIN = re.compile(r"https?://[a-z0-9.\-]+")


def _normalize_http_url(raw: str, base: str | None = None) -> str:
    # Most feed links are already normal: skip urlsplit/quote/urlunsplit for them.
    if len(raw) <= MAX_URL_LENGTH:
        if _PLAIN_URL.fullmatch(raw):
            return raw
        if _PLAIN_ORIGIN.fullmatch(raw):
            return raw + "/"
    return _normalize_http_url_slow(raw, base)


def _normalize_http_url_slow(raw: str, base: str | None = None) -> str:
    if len(raw) > MAX_URL_LENGTH:
        raise UrlRejected("the address is too long")
    # Browsers strip these before parsing; doing the same stops "java\tscript:" tricks.
    text = _TAB_NEWLINE.sub("", raw).strip(" \x00\x0b\x0c")
    if not text:
        raise UrlRejected("there is no address")
    if text.startswith("-"):
        raise UrlRejected("the address starts with '-', which a program could read as an option")
    if _CONTROL.search(text):
        raise UrlRejected("the address contains control characters")
    try:
        if base and not _HAS_SCHEME.match(text):
            text = urljoin(base, text)
        parts = urlsplit(text)
        port = parts.port  # raises ValueError for an invalid port
    except ValueError as exc:
        raise UrlRejected(f"the address is malformed ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        if not scheme:
            raise UrlRejected("the address is not absolute (no http:// or https://)")
        raise UrlRejected(f"only http and https addresses are opened, not '{scheme}:'")
    hostname = parts.hostname
    if not hostname:
        raise UrlRejected("the address has no host")
    ipv6 = hostname.isascii() and ":" in hostname  # urlsplit checked the [...] literal
    try:
        host = hostname.encode("idna").decode("ascii") if not hostname.isascii() else hostname
    except UnicodeError:
        raise UrlRejected("the host name is not valid") from None
    if not _HOST_CHARS.fullmatch(host.lower()):
        raise UrlRejected("the host name contains characters a host cannot have")
    # IDNA maps look-alikes such as fullwidth `［`, `］` and `：` to the ASCII ones: a name
    # that only becomes an IPv6 literal after mapping is not a host.
    if not ipv6 and any(c in host for c in "[]:"):
        raise UrlRejected("the host name contains characters a host cannot have")
    if ipv6:
        host = f"[{host}]"
    netloc = host.lower()
    if parts.username is not None:
        # Decode first: quoting an already-quoted "%40" again would give "%2540", and the
        # URL would change every time it is checked (the stored URL must be stable).
        userinfo = quote(unquote(parts.username), safe="")
        if parts.password is not None:
            userinfo += ":" + quote(unquote(parts.password), safe="")
        netloc = f"{userinfo}@{netloc}"
    default_port = 80 if scheme == "http" else 443
    if port is not None and port != default_port:
        netloc = f"{netloc}:{port}"
    path = quote(parts.path or "/", safe=_SAFE_URL_CHARS)
    query = quote(parts.query, safe=_SAFE_URL_CHARS)
    fragment = quote(parts.fragment, safe=_SAFE_URL_CHARS)
    url = urlunsplit((scheme, netloc, path, query, fragment))
    # Percent-encoding can triple the length: the limit holds for what is stored and opened.
    if len(url) > MAX_URL_LENGTH:
        raise UrlRejected("the address is too long")
    try:  # the result must read back cleanly: a URL the policy passes never makes anyone raise
        urlsplit(url).port  # noqa: B018 - evaluated for its ValueError
    except ValueError as exc:  # pragma: no cover - a defect in the checks above
        raise UrlRejected(f"the address is malformed ({exc})") from None
    return url


def normalize_feed_url(raw: object) -> str:
    """The URL to store for a subscription, or `UrlRejected` with the reason.

    `feed://host/x` and `feed:https://host/x` are accepted as the feed-URI forms that
    browsers and newsboat use, and become `https://host/x` (or the embedded URL).
    """
    text = raw if isinstance(raw, str) else ("" if raw is None else str(raw))
    text = text.strip()
    # Browsers silently drop tabs and line breaks inside a URL; in a subscription they mean
    # the value is broken, so refuse it rather than subscribe to a guess.
    if re.search(r"\s", text):
        raise UrlRejected("the address contains spaces or line breaks")
    lowered = text.lower()
    if lowered.startswith("feed:"):
        rest = text[5:]
        if rest.lower().startswith(("http://", "https://")):
            text = rest
        elif rest.startswith("//"):
            text = "https:" + rest
        else:
            raise UrlRejected("malformed feed: address")
    url = _normalize_http_url(text)
    port = urlsplit(url).port
    if port is not None and port in BAD_PORTS:
        raise UrlRejected(f"port {port} belongs to another kind of service, not to web feeds")
    return url.split("#", 1)[0]


# An address typed without a scheme: a host name with a dot (or `localhost`, or an IP
# literal), an optional port, then a path, query or nothing. `javascript:x` or
# `mailto:a@b` do not match (what follows their colon is not a port).
_SCHEMELESS = re.compile(
    r"(?P<host>\[[0-9A-Fa-f:.]+\]|[^\s/:?#@\[\]\\]+)(?::(?P<port>[0-9]{1,5}))?(?P<rest>[/?#].*)?",
    re.S,
)


def _is_local_host(host: str) -> bool:
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private


def feed_url_guesses(raw: object) -> list[str]:
    """What a typed address may mean, in the order to try them.

    An address with a scheme (or a `feed:` form) is itself, alone. Without one,
    `example.com/feed` means `https://example.com/feed`, and a local host
    (`localhost:8801/rss.xml`, a loopback or private IP address), which rarely has a
    certificate, `https://` then `http://`. Each guess still has to pass
    `normalize_feed_url`.
    """
    text = raw if isinstance(raw, str) else ("" if raw is None else str(raw))
    text = text.strip()
    if text.startswith("//"):  # protocol-relative, as pages write them
        text = text[2:]
    elif "://" in text or text.lower().startswith("feed:"):
        return [text]
    match = _SCHEMELESS.fullmatch(text)
    if match is None:
        return [text]
    host = match.group("host")
    if "." not in host and host.lower() != "localhost" and not host.startswith("["):
        return [text]  # one word: not an address (the policy says why)
    guesses = ["https://" + text]
    if _is_local_host(host):
        guesses.append("http://" + text)
    return guesses


# Subscriptions that run a command (newsboat's syntax, `feeds/command_url.py`): never
# fetched as addresses, and run only when the library says the user allowed them.
COMMAND_PREFIXES = ("exec:", "filter:")


def is_command_url(value: str) -> bool:
    """True for an `exec:` or `filter:` subscription, in any letter case."""
    return value.lstrip()[:7].lower().startswith(COMMAND_PREFIXES)


def feed_url_key(url: str) -> str:
    """Key under which two subscription URLs count as the same feed.

    Scheme and host case are already normalised by `normalize_feed_url`; this also treats
    http/https and a trailing slash as the same feed. A command subscription is its own
    text (an address's key starts with "//", so the two never meet).
    """
    if is_command_url(url):
        return url
    parts = urlsplit(url)
    path = parts.path.rstrip("/") or "/"
    netloc = parts.netloc.lower()
    for default in (":80", ":443"):
        if netloc.endswith(default):
            netloc = netloc[: -len(default)]
    return urlunsplit(("", netloc, path, parts.query, ""))
