"""Logins at fetch time: running `password_command`s, and "needs a login" in plain words.

`Logins` is what the fetcher asks, once per request and hop, "what may this URL carry?"
(`Logins.for_url`). The answer comes from the config's `[auth."..."]` rules
(`feeds/auth.py`); the secrets they name are got by running their commands lazily, the
first time a URL of that rule is fetched, in a worker thread (a password manager may take
a while), once per rule for the life of the `Logins` (the reader keeps one per session, a
command-line run one per run). Secrets live only in that object's memory.

A command runs with an argument vector (no shell), no standard input, a timeout; the first
line of its standard output is the secret. Its standard error is discarded and a failure
is reported by its exit status only: what a password manager prints may be the secret.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

from .auth import AuthRule, header_value_ok, parse_table_name, rule_for, table_name
from .errors import LoginError

COMMAND_TIMEOUT = 30.0
# A failed command is not run again for this many seconds (a refresh of fifty feeds on
# one host asks fifty times), but is retried later in a long session.
FAILURE_MEMORY = 60.0
LOGIN_NEEDED = "needs a login"

# Runs an argument vector, returns the first line of its output or raises LoginError.
CommandRunner = Callable[[Sequence[str]], str]


def run_command(argv: Sequence[str]) -> str:
    """The first line of `argv`'s standard output (no shell, no input, a timeout)."""
    what = argv[0] if argv else "?"
    try:
        done = subprocess.run(
            list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, timeout=COMMAND_TIMEOUT, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise LoginError(f"{what!r} took longer than {COMMAND_TIMEOUT:g} s") from None
    except OSError as exc:
        raise LoginError(f"{what!r} could not run ({exc.strerror or 'no reason given'})") from None
    if done.returncode != 0:
        raise LoginError(f"{what!r} failed (exit status {done.returncode})")
    lines = done.stdout.decode("utf-8", errors="replace").splitlines()
    secret = lines[0].rstrip("\r") if lines else ""
    if not secret:
        raise LoginError(f"{what!r} printed nothing")
    return secret


class AuthSettings(Protocol):
    """What `Logins.from_config` reads of a `config.Config` (not imported: the config
    module imports this package's modules, and a circle of imports is refused)."""

    @property
    def auth(self) -> tuple[AuthRule, ...]: ...

    @property
    def allow_insecure_auth(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class HopLogin:
    """What one request carries. `withheld`: why the rule's login was not attached."""

    rule: AuthRule
    user: str = ""
    # Never in a repr (a traceback, a log line): the secrets themselves.
    password: str | None = field(default=None, repr=False)  # None: no HTTP login here
    method: str = "any"
    headers: tuple[str, ...] = field(default=(), repr=False)  # "Name: value" lines
    withheld: str = ""
    given: bool = False  # the login was typed in the address (`add`), not in the config

    @property
    def sends_login(self) -> bool:
        return self.password is not None


@dataclass(slots=True)
class _Secrets:
    password: str | None = field(default=None, repr=False)
    headers: tuple[str, ...] = field(default=(), repr=False)
    failure: str = ""
    failed_at: float = 0.0


@dataclass
class Logins:
    """The rules of a config and the secrets got so far. Safe to share between threads
    and event loops (the reader runs each refresh in a new loop)."""

    rules: tuple[AuthRule, ...] = ()
    allow_insecure: bool = False
    runner: CommandRunner = run_command
    # A login given at `add` time (user:password@ in the address): used for that one
    # subscription, held in memory only. Keyed by rule key.
    given: dict[str, str] = field(default_factory=dict, repr=False)
    address_rules: tuple[AuthRule, ...] = ()
    _cache: dict[str, _Secrets] = field(default_factory=dict, repr=False)
    _locks: dict[str, threading.Lock] = field(default_factory=dict, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_config(cls, config: AuthSettings) -> Logins:
        return cls(config.auth, allow_insecure=config.allow_insecure_auth)

    def rule_for(self, url: str) -> AuthRule | None:
        """The rule for `url`: a login given in an address first, then the config's."""
        for rule in self.address_rules:
            if rule.covers(url):
                return rule
        return rule_for(self.rules, url)

    def with_login(self, url: str, user: str, password: str) -> Logins:
        """A copy that logs in to `url`'s host (and port) as `user` with `password`,
        ahead of any rule in the config for it (`add https://user:pw@host/feed`)."""
        name = table_name(url)
        _scheme, host, port, _path = parse_table_name(name)
        key = f"{name} (from the address)"  # never the same cache entry as a config table
        rule = AuthRule(
            key=key,
            scheme="",
            host=host,
            port=port,
            user=user,
            password_command=("(given in the address)",),
        )
        copy = Logins(self.rules, allow_insecure=self.allow_insecure, runner=self.runner)
        copy.address_rules = (rule, *self.address_rules)
        copy.given.update(self.given)
        copy.given[key] = password
        return copy

    async def for_url(self, url: str) -> HopLogin | None:
        """What a request to `url` carries (None: nothing). Raises `LoginError` when a
        command failed. Commands run in a worker thread, never on the event loop."""
        rule = self.rule_for(url)
        if rule is None:
            return None
        if urlsplit(url).scheme.lower() != "https" and not self.allow_insecure:
            return HopLogin(
                rule,
                withheld="it is sent over https only (allow_insecure_auth is false)",
                given=rule.key in self.given,
            )
        secrets = self._cache.get(rule.key)
        if secrets is None or (secrets.failure and self._expired(secrets)):
            secrets = await asyncio.to_thread(self._resolve, rule)
        if secrets.failure:
            raise LoginError(secrets.failure)
        return HopLogin(
            rule,
            user=rule.user,
            password=secrets.password,
            method=rule.method,
            headers=secrets.headers,
            given=rule.key in self.given,
        )

    @staticmethod
    def _expired(secrets: _Secrets) -> bool:
        return time.monotonic() - secrets.failed_at > FAILURE_MEMORY

    def _resolve(self, rule: AuthRule) -> _Secrets:
        with self._guard:
            lock = self._locks.setdefault(rule.key, threading.Lock())
        with lock:  # one run per rule, however many feeds of it are fetched at once
            secrets = self._cache.get(rule.key)
            if secrets is not None and not (secrets.failure and self._expired(secrets)):
                return secrets
            secrets = self._run(rule)
            self._cache[rule.key] = secrets
            return secrets

    def _run(self, rule: AuthRule) -> _Secrets:
        name = f'[auth."{rule.key}"]'
        try:
            password: str | None = None
            if rule.has_login:
                password = self.given.get(rule.key)
                if password is None:
                    password = self.runner(rule.password_command)
            lines = [f"{header}: {value}" for header, value in rule.headers]
            for header, argv in rule.header_commands:
                value = self.runner(argv).strip()
                if not header_value_ok(value):
                    raise LoginError(
                        f"the command of {header!r} printed a value that cannot be sent "
                        "in a header (printable ASCII only)"
                    )
                lines.append(f"{header}: {value}")
        except LoginError as exc:
            failure = f"the login of {name} failed: {exc}"
            return _Secrets(failure=failure, failed_at=time.monotonic())
        return _Secrets(password=password, headers=tuple(lines))


# ------------------------------------------------------------------ "needs a login"

_CHALLENGE = re.compile(r"(?:^|,)\s*(basic|digest|bearer|negotiate|ntlm)\b", re.IGNORECASE)


def offered_schemes(www_authenticate: str | None) -> list[str]:
    """The known schemes a WWW-Authenticate header offers, capitalised ("Basic")."""
    if not www_authenticate:
        return []
    found: list[str] = []
    for match in _CHALLENGE.finditer(www_authenticate[:4096]):
        name = match.group(1).capitalize()
        if name not in found:
            found.append(name)
    return found


def login_message(status_text: str, url: str, offered: list[str], login: HopLogin | None) -> str:
    """One line for a 401 (or a 403 with a challenge): starts with "needs a login" and
    names the `[auth."..."]` table to add or fix. Never holds a secret."""
    asks = f"; the server asks for {' or '.join(offered)}" if offered else ""
    head = f"{LOGIN_NEEDED} ({status_text}{asks})"
    if login is None:
        what = "header_commands" if offered == ["Bearer"] else "user and password_command"
        return f'{head}: add [auth."{table_name(url)}"] with {what} to the config file'
    name = f'[auth."{login.rule.key}"]'
    if login.given and login.withheld:
        return f"{head}: the login in the address was not sent: {login.withheld}"
    if login.given:
        return f"{head}: the server refused the user name and password in the address"
    if login.withheld:
        return f"{head}: the login of {name} was not sent: {login.withheld}"
    if login.sends_login:
        return (
            f"{head}: the server refused the login of {name}; check its user and password_command"
        )
    return f"{head}: {name} has no user and password_command"


def config_lines(url: str, error: str = "", *, insecure_allowed: bool = False) -> list[str]:
    """The config lines that give `url`'s host a login, fitting what `error` (a
    `login_message`) says the server asks for. No real user name or password in them."""
    name = table_name(url)
    if not name:
        return []
    lines = [f'[auth."{name}"]']
    bearer = "Bearer" in error and "Basic" not in error and "Digest" not in error
    if bearer:
        lines.append('header_commands = { Authorization = "pass show feeds/token" }')
        lines.append("# the command prints the whole value, e.g. Bearer abc123")
    else:
        lines.append('user = "your-user-name"')
        lines.append('password_command = "pass show feeds/password"')
        lines.append("# any command that prints the password; it is run without a shell")
        if "Digest" in error and "Basic" not in error:
            lines.append('scheme = "digest"')
    if urlsplit(url).scheme.lower() == "http" and not insecure_allowed:
        lines.append("# plain http: also put allow_insecure_auth = true at the top of the file")
    return lines


def needs_login(error: str | None) -> bool:
    return bool(error) and str(error).startswith(LOGIN_NEEDED)
