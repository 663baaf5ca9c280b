"""Feeds behind a login: the config's `[auth."host"]` tables, and which one a URL gets.

A table is named for what it covers:

* `"feeds.example.com"`: that host on the scheme's default port (443 for https);
* `"feeds.example.com:8443"`: that host and port;
* `"https://example.com/private/"`: URLs that start with this one (scheme, host, port
  and path prefix), for one feed on a host with several logins.

The most specific table wins (a URL prefix, the longest first, before a host). Keys:
`user` with `password_command` (HTTP basic or digest, `scheme = "basic" | "digest" |
"any"`), `headers` (fixed header values, e.g. an API key that is no secret) and
`header_commands` (header values printed by a command, e.g. a token). Commands are an
argument vector (a string split like a shell would, or a list), never run by a shell.

Where a login may go is decided here and per hop by the fetcher (`feeds/fetch.py`), which
follows redirects itself: a table's credentials and headers are only ever attached to a
request whose URL that table covers, so they never follow a redirect to another host;
and over plain http only when `allow_insecure_auth = true`. Running the commands and the
wording of "needs a login" are in `auth_login.py`.

Nothing here stores a secret: a password exists only in the memory of the process that
ran its command (`auth_login.Logins`), never in the config, the library or a message.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote, urlsplit, urlunsplit

from ..text import check_url

Scheme = Literal["basic", "digest", "any"]
SCHEMES: tuple[Scheme, ...] = ("basic", "digest", "any")

# RFC 9110 token characters: what a header name may be made of.
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,100}$")
# Headers the fetcher itself must control: the connection, the body's encoding, the
# conditional-request validators and the host (a different Host is a different site).
_RESERVED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "upgrade",
        "te",
        "trailer",
        "accept-encoding",
        "if-none-match",
        "if-modified-since",
        "proxy-authorization",
    }
)
MAX_HEADER_VALUE = 4096
_KNOWN_KEYS = frozenset({"user", "password_command", "scheme", "headers", "header_commands"})


@dataclass(frozen=True, slots=True)
class AuthRule:
    """One `[auth."..."]` table, checked. `key` is its name as the user wrote it."""

    key: str
    scheme: str  # "https" or "http" for a URL prefix, "" for a host table (either)
    host: str  # normalised: lower case, punycode, [IPv6]
    port: int | None  # None: the URL scheme's default port
    path: str = ""  # a URL prefix's path ("" for a host table)
    user: str = ""
    password_command: tuple[str, ...] = ()
    method: Scheme = "any"
    headers: tuple[tuple[str, str], ...] = ()
    header_commands: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def has_login(self) -> bool:
        return bool(self.user and self.password_command)

    def covers(self, url: str) -> bool:
        """True if a request to `url` (normalised, http(s)) may carry this table's login."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return False
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            return False
        host = (parts.hostname or "").lower()
        if ":" in host:
            host = f"[{host}]"
        if host != self.host:
            return False
        default = 443 if scheme == "https" else 80
        if (port or default) != (self.port or default):
            return False
        if self.scheme and scheme != self.scheme:
            return False
        return not self.path or (parts.path or "/").startswith(self.path)

    def specificity(self) -> tuple[int, int]:
        return (1 if self.scheme else 0, len(self.path))


def rule_for(rules: tuple[AuthRule, ...], url: str) -> AuthRule | None:
    """The most specific rule covering `url`, or None."""
    best: AuthRule | None = None
    for rule in rules:
        if rule.covers(url) and (best is None or rule.specificity() > best.specificity()):
            best = rule
    return best


# ------------------------------------------------------------------ reading the config


def read_auth(value: object, source: str) -> tuple[tuple[AuthRule, ...], list[str]]:
    """The `[auth]` table of a config: (the usable rules, problems in plain words)."""
    if not isinstance(value, dict):
        return (), [f'{source}: auth should be tables like [auth."feeds.example.com"]; ignored.']
    rules: list[AuthRule] = []
    problems: list[str] = []
    for key, table in value.items():
        rule, found = _read_rule(str(key), table, source)
        problems.extend(found)
        if rule is not None:
            rules.append(rule)
    return tuple(rules), problems


def _read_rule(key: str, table: object, source: str) -> tuple[AuthRule | None, list[str]]:
    name = f'[auth."{key}"]'
    if not isinstance(table, dict):
        return None, [f"{source}: {name} should be a table with user and password_command."]
    if table and not set(table) & _KNOWN_KEYS and all(isinstance(v, dict) for v in table.values()):
        # [auth.feeds.example.com] without quotes is a table per dot-separated part.
        parts, inner = [key], table
        while len(inner) == 1 and isinstance(next(iter(inner.values())), dict):
            name_part, inner = next(iter(inner.items()))
            parts.append(str(name_part))
            if set(inner) & _KNOWN_KEYS:
                break
        dotted = ".".join(parts)
        return None, [
            f"{source}: [auth.{dotted}] is read as nested tables: put the host in quotes, "
            f'like [auth."{dotted}"]; ignored.'
        ]
    try:
        where = parse_table_name(key)
    except ValueError as exc:
        return None, [f"{source}: {name}: {exc}; ignored."]
    problems: list[str] = []
    for unknown in sorted(set(table) - _KNOWN_KEYS):
        if unknown == "password":
            problems.append(
                f"{source}: {name}: a password is never read from the config file; "
                'use password_command (e.g. "pass show feeds/example") instead.'
            )
        else:
            problems.append(f"{source}: {name}: unknown key {unknown!r} ignored.")
    user = table.get("user", "")
    if not isinstance(user, str) or not _printable(user) or ":" in user:
        problems.append(f"{source}: {name}: user should be a name without ':'; ignored.")
        user = ""
    command: tuple[str, ...] = ()
    if "password_command" in table:
        command, problem = _command(table["password_command"])
        if problem:
            problems.append(f"{source}: {name}: password_command {problem}; ignored.")
    if user and not command:
        problems.append(f"{source}: {name}: user {user!r} has no password_command; no login sent.")
    if command and not user:
        problems.append(f"{source}: {name}: password_command without a user; no login sent.")
    method = table.get("scheme", "any")
    if method not in SCHEMES:
        problems.append(
            f'{source}: {name}: scheme should be "basic", "digest" or "any", not {method!r}; '
            '"any" is used.'
        )
        method = "any"
    headers, found = _headers(table.get("headers", {}), name, source)
    problems.extend(found)
    header_commands, found = _header_commands(table.get("header_commands", {}), name, source)
    problems.extend(found)
    named = {h for h, _ in headers}
    for header, _ in header_commands:
        if header in named:
            problems.append(
                f"{source}: {name}: {header!r} is in both headers and header_commands; "
                "the command is used."
            )
    headers = tuple((h, v) for h, v in headers if h not in {n for n, _ in header_commands})
    has_login = bool(user and command)
    if not (has_login or headers or header_commands):
        problems.append(
            f"{source}: {name} sends nothing (no user and password_command, no headers)."
        )
        return None, problems
    scheme, host, port, path = where
    rule = AuthRule(
        key=key,
        scheme=scheme,
        host=host,
        port=port,
        path=path,
        user=user if has_login else "",
        password_command=command if has_login else (),
        method=method,
        headers=headers,
        header_commands=header_commands,
    )
    return rule, problems


def parse_table_name(key: str) -> tuple[str, str, int | None, str]:
    """(scheme or "", host, port or None, path prefix or "") for a table name."""
    text = key.strip()
    if not text:
        raise ValueError("the name should be a host, host:port or https:// address")
    is_url = "://" in text
    checked = check_url(text if is_url else f"https://{text}/")
    if not checked.ok:
        raise ValueError(f"not a host or address ({checked.reason})")
    parts = urlsplit(checked.url)
    if parts.username is not None:
        raise ValueError("the name may not hold a user or password")
    if parts.query or parts.fragment:
        raise ValueError("an address prefix may not have a ? query or # fragment")
    if not is_url and parts.path not in ("", "/"):
        raise ValueError("a host name has no path: write the whole https:// address")
    host = parts.netloc.rsplit(":", 1)[0] if not parts.netloc.endswith("]") else parts.netloc
    explicit = parts.port
    if is_url:
        return parts.scheme, host, explicit, unquote(parts.path) if parts.path != "/" else ""
    return "", host, explicit, ""


def _printable(value: str) -> bool:
    return value.isprintable() and len(value) <= 256


def _command(value: object) -> tuple[tuple[str, ...], str]:
    """An argument vector from a string (split like a shell would) or a list of strings."""
    if isinstance(value, str):
        try:
            argv = shlex.split(value)
        except ValueError as exc:
            return (), f"cannot be split into words ({exc})"
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        argv = list(value)
    else:
        return (), "should be a command line (a string) or a list of words"
    if not argv or not argv[0]:
        return (), "is empty"
    if any("\x00" in word for word in argv):
        return (), "contains a NUL character"
    return tuple(argv), ""


def header_name_problem(name: str) -> str:
    """Why `name` cannot be a custom header, or ""."""
    if not _TOKEN.match(name):
        return "is not a header name (letters, digits and -)"
    if name.lower() in _RESERVED_HEADERS:
        return "is a header the reader sets itself"
    return ""


def header_value_ok(value: str) -> bool:
    """A header value can be sent as it is: printable ASCII, no line break."""
    return 0 < len(value) <= MAX_HEADER_VALUE and value.isascii() and value.isprintable()


def _headers(
    value: object, name: str, source: str
) -> tuple[tuple[tuple[str, str], ...], list[str]]:
    if not isinstance(value, Mapping):
        return (), [f'{source}: {name}: headers should be a table like {{ "X-Api-Key" = "..." }}.']
    found: list[tuple[str, str]] = []
    problems: list[str] = []
    for header, text in value.items():
        problem = header_name_problem(str(header))
        if problem:
            problems.append(f"{source}: {name}: header {header!r} {problem}; ignored.")
        elif not isinstance(text, str) or not header_value_ok(text):
            problems.append(
                f"{source}: {name}: header {header!r} needs a value of printable ASCII "
                "characters; ignored."
            )
        else:
            found.append((str(header), text))
    return tuple(found), problems


def _header_commands(
    value: object, name: str, source: str
) -> tuple[tuple[tuple[str, tuple[str, ...]], ...], list[str]]:
    if not isinstance(value, Mapping):
        return (), [
            f"{source}: {name}: header_commands should be a table like "
            '{ "Authorization" = "pass show feeds/token" }.'
        ]
    found: list[tuple[str, tuple[str, ...]]] = []
    problems: list[str] = []
    for header, text in value.items():
        problem = header_name_problem(str(header))
        if problem:
            problems.append(f"{source}: {name}: header {header!r} {problem}; ignored.")
            continue
        argv, problem = _command(text)
        if problem:
            problems.append(f"{source}: {name}: the command of {header!r} {problem}; ignored.")
            continue
        found.append((str(header), argv))
    return tuple(found), problems


def check_rules(rules: tuple[AuthRule, ...], allow_insecure: bool, source: str) -> list[str]:
    """What `config --check` says about the tables beyond reading them: a command whose
    program is not found, a login that can never be sent."""
    import shutil

    problems: list[str] = []
    for rule in rules:
        name = f'[auth."{rule.key}"]'
        commands = [("password_command", rule.password_command)] + [
            (f"the command of {header!r}", argv) for header, argv in rule.header_commands
        ]
        for what, argv in commands:
            if argv and shutil.which(argv[0]) is None:
                problems.append(f"{source}: {name}: {what} runs {argv[0]!r}, which is not found.")
        if rule.scheme == "http" and not allow_insecure:
            problems.append(
                f"{source}: {name} is for plain http: nothing is sent to it unless "
                "allow_insecure_auth = true (anyone on the network could read the login)."
            )
    return problems


# ------------------------------------------------------------------ logins in addresses


@dataclass(frozen=True, slots=True)
class UrlLogin:
    """A `user:password@` taken out of an address typed at `add` time."""

    url: str  # the address without it
    user: str
    password: str | None


def split_login(raw: str) -> UrlLogin | None:
    """The address without its `user[:password]@`, or None when it has none.

    Also for an address typed without a scheme ("alice:pw@example.com/feed").
    """
    text = raw.strip()
    if "@" not in text:
        return None
    has_scheme = "://" in text
    try:
        parts = urlsplit(text if has_scheme else f"//{text}")
    except ValueError:
        return None
    if parts.username is None or "@" not in parts.netloc:
        return None
    host = parts.netloc.rpartition("@")[2]
    clean = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    if not has_scheme:
        clean = clean.removeprefix("//")
    password = unquote(parts.password) if parts.password is not None else None
    return UrlLogin(url=clean, user=unquote(parts.username), password=password)


def table_name(url: str) -> str:
    """The `[auth."..."]` name that covers `url`'s host: the host, with its port when it
    is not the scheme's default."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ""
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    default = 443 if parts.scheme.lower() == "https" else 80
    return f"{host}:{port}" if port and port != default else host
