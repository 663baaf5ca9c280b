"""Feeds behind a login, the core: reading `[auth."..."]` tables, which one a URL gets,
running password commands (lazily, once, no shell, nothing of theirs in a message), the
wording of "needs a login", and taking `user:password@` out of an address."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.support.authfeeds import PASSWORD, secret_script
from tui_reader.config import Config, check_config, config_from_dict
from tui_reader.feeds.auth import read_auth, rule_for, split_login, table_name
from tui_reader.feeds.auth_login import (
    CommandRunner,
    LoginError,
    Logins,
    config_lines,
    login_message,
    offered_schemes,
    run_command,
)


def _config(auth: dict[str, object], **top: object) -> Config:
    return config_from_dict({**top, "auth": auth}, source="config.toml")


def test_tables_read_from_the_config() -> None:
    config = config_from_dict(
        {
            "allow_insecure_auth": True,
            "auth": {
                "feeds.example.com": {
                    "user": "alice",
                    "password_command": "pass show 'feeds/example com'",
                    "scheme": "digest",
                },
                "example.org:8443": {"headers": {"X-Api-Key": "k1"}},
                "https://example.net/private/": {
                    "header_commands": {"Authorization": ["secret-tool", "lookup", "x", "y"]}
                },
            },
        }
    )
    assert config.warnings == ()
    assert config.allow_insecure_auth is True
    by_key = {rule.key: rule for rule in config.auth}
    example = by_key["feeds.example.com"]
    assert (example.host, example.port, example.user, example.method) == (
        "feeds.example.com",
        None,
        "alice",
        "digest",
    )
    # Split like a shell would, but never run by one.
    assert example.password_command == ("pass", "show", "feeds/example com")
    assert by_key["example.org:8443"].port == 8443
    assert by_key["example.org:8443"].headers == (("X-Api-Key", "k1"),)
    prefix = by_key["https://example.net/private/"]
    assert (prefix.scheme, prefix.host, prefix.path) == ("https", "example.net", "/private/")
    assert prefix.header_commands == (("Authorization", ("secret-tool", "lookup", "x", "y")),)


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ({"user": "a", "password": "x"}, "a password is never read from the config file"),
        ({"user": "a"}, "has no password_command"),
        ({"password_command": "pass x"}, "password_command without a user"),
        ({"user": "a", "password_command": "pass 'x"}, "cannot be split into words"),
        ({"user": "a", "password_command": "p", "scheme": "ntlm"}, 'scheme should be "basic"'),
        ({"headers": {"Bad Name": "x"}}, "is not a header name"),
        ({"headers": {"Host": "evil.example"}}, "is a header the reader sets itself"),
        ({"headers": {"X-Token": "line\nbreak"}}, "printable ASCII"),
        ({"user": "a", "password_command": "p", "colour": 1}, "unknown key 'colour'"),
        ({}, "sends nothing"),
    ],
)
def test_problems_in_plain_words(table: dict[str, object], expected: str) -> None:
    config = _config({"feeds.example.com": table})
    assert any(expected in w for w in config.warnings), config.warnings
    assert all(w.startswith("config.toml: ") for w in config.warnings)


def test_an_unquoted_host_is_explained() -> None:
    config = config_from_dict(
        {"auth": {"feeds": {"example": {"com": {"user": "a"}}}}}, source="config.toml"
    )
    assert config.auth == ()
    assert any('[auth."feeds.example.com"]' in w for w in config.warnings), config.warnings


@pytest.mark.parametrize(
    "key", ["", "ftp://example.com/", "https://user:pw@example.com/", "example.com/path"]
)
def test_bad_table_names_are_refused(key: str) -> None:
    rules, problems = read_auth({key: {"user": "a", "password_command": "p"}}, "c")
    assert rules == ()
    assert problems and "ignored" in problems[0]


def test_config_check_names_missing_programs_and_http_tables() -> None:
    config = _config(
        {
            "feeds.example.com": {"user": "a", "password_command": "no-such-program-4711 x"},
            "http://example.org/": {"user": "a", "password_command": [sys.executable]},
        }
    )
    problems = check_config(config, bindings={}, themes=None)
    assert any("'no-such-program-4711', which is not found" in p for p in problems)
    assert any("is for plain http" in p and "allow_insecure_auth" in p for p in problems)


def test_the_most_specific_table_covers_a_url() -> None:
    rules, problems = read_auth(
        {
            "example.com": {"headers": {"X-Which": "host"}},
            "example.com:8443": {"headers": {"X-Which": "port"}},
            "https://example.com/a/": {"headers": {"X-Which": "a"}},
            "https://example.com/a/b/": {"headers": {"X-Which": "ab"}},
        },
        "c",
    )
    assert problems == []

    def which(url: str) -> str | None:
        rule = rule_for(rules, url)
        return rule.headers[0][1] if rule else None

    assert which("https://example.com/feed") == "host"
    assert which("http://example.com/feed") == "host"  # whether it is sent: Logins decides
    assert which("https://example.com/a/feed") == "a"
    assert which("https://example.com/a/b/feed") == "ab"
    assert which("http://example.com/a/feed") == "host"  # an https:// prefix is https only
    assert which("https://example.com:8443/x") == "port"
    assert which("https://example.com:444/x") is None  # another port, another service
    assert which("https://www.example.com/feed") is None
    assert which("https://example.com.evil.test/feed") is None


def test_split_login_takes_the_user_and_password_out() -> None:
    given = split_login("https://al%40ice:p%3Ass@example.com:8443/feed?x=1")
    assert given is not None
    assert (given.url, given.user, given.password) == (
        "https://example.com:8443/feed?x=1",
        "al@ice",
        "p:ss",
    )
    typed = split_login("bob:pw@example.com/feed")
    assert typed is not None and (typed.url, typed.user) == ("example.com/feed", "bob")
    token = split_login("https://TOKEN@example.com/")
    assert token is not None and token.password is None and token.user == "TOKEN"
    assert split_login("https://example.com/feed?mail=a@b.c") is None
    assert split_login("https://example.com/feed") is None


def test_table_name_and_config_lines() -> None:
    assert table_name("https://example.com/feed") == "example.com"
    assert table_name("https://example.com:8443/feed") == "example.com:8443"
    assert table_name("http://[::1]:8080/feed") == "[::1]:8080"
    lines = config_lines("https://example.com/feed", "needs a login (HTTP 401; Basic)")
    assert lines[0] == '[auth."example.com"]'
    assert any(line.startswith("user = ") for line in lines)
    assert any(line.startswith("password_command = ") for line in lines)
    digest = config_lines("https://example.com/feed", "needs a login (the server asks for Digest)")
    assert 'scheme = "digest"' in digest
    bearer = config_lines("https://example.com/feed", "needs a login (asks for Bearer)")
    assert any(line.startswith("header_commands = ") for line in bearer)
    plain = config_lines("http://127.0.0.1:8080/feed")
    assert plain[0] == '[auth."127.0.0.1:8080"]'
    assert any("allow_insecure_auth = true" in line for line in plain)


def test_offered_schemes_and_message() -> None:
    offered = offered_schemes('Digest realm="a, b", nonce="x", Basic realm="y", Evil<b>')
    assert offered == ["Digest", "Basic"]
    message = login_message("HTTP 401 Unauthorized", "https://example.com/f", offered, None)
    assert message.startswith("needs a login (HTTP 401 Unauthorized; the server asks for ")
    assert '[auth."example.com"]' in message


def _counting_runner(calls: list[tuple[str, ...]], secret: str = PASSWORD) -> CommandRunner:
    def run(argv: Sequence[str]) -> str:
        calls.append(tuple(argv))
        return secret

    return run


def test_password_command_runs_lazily_and_once_per_table() -> None:
    config = _config(
        {
            "example.com": {"user": "a", "password_command": "pw-one"},
            "example.org": {"user": "b", "password_command": "pw-two"},
        }
    )
    calls: list[tuple[str, ...]] = []
    logins = Logins(config.auth, runner=_counting_runner(calls))
    assert calls == []  # nothing runs until a URL of a table is fetched

    async def ask() -> None:
        results = await asyncio.gather(
            *(logins.for_url(f"https://example.com/feed{n}") for n in range(10))
        )
        assert all(r is not None and r.password == PASSWORD for r in results)
        assert await logins.for_url("https://unrelated.example/feed") is None

    asyncio.run(ask())
    asyncio.run(ask())  # another refresh, another event loop: still cached
    assert calls == [("pw-one",)]


def test_http_gets_nothing_without_allow_insecure_auth() -> None:
    config = _config(
        {"example.com": {"user": "a", "password_command": "pw", "headers": {"X-K": "v"}}}
    )
    calls: list[tuple[str, ...]] = []
    strict = Logins(config.auth, runner=_counting_runner(calls))
    login = asyncio.run(strict.for_url("http://example.com/feed"))
    assert login is not None and not login.sends_login and login.headers == ()
    assert "https only" in login.withheld
    assert calls == []  # not even asked for
    loose = Logins(config.auth, allow_insecure=True, runner=_counting_runner(calls))
    login = asyncio.run(loose.for_url("http://example.com/feed"))
    assert login is not None and login.sends_login and login.headers == ("X-K: v",)


def test_run_command_gives_the_first_line_without_a_shell(tmp_path: Path) -> None:
    assert run_command(secret_script(tmp_path)) == PASSWORD
    # No shell: a ';' or '$(...)' is just an argument.
    marker = tmp_path / "ran"
    echo = [sys.executable, "-c", "import sys; print(sys.argv[1])", f"x; touch {marker}"]
    assert run_command(echo) == f"x; touch {marker}"
    assert not marker.exists()


def test_a_failing_command_is_reported_without_its_output(tmp_path: Path) -> None:
    argv = secret_script(tmp_path, exit_status=3)
    with pytest.raises(LoginError) as caught:
        run_command(argv)
    assert "exit status 3" in str(caught.value)
    assert PASSWORD not in str(caught.value)
    with pytest.raises(LoginError, match="could not run"):
        run_command([str(tmp_path / "missing-program")])
    with pytest.raises(LoginError, match="printed nothing"):
        run_command([sys.executable, "-c", "pass"])


def test_a_failing_command_fails_the_fetch_in_plain_words(tmp_path: Path) -> None:
    argv = secret_script(tmp_path, exit_status=2)
    config = _config({"example.com": {"user": "a", "password_command": argv}})
    logins = Logins.from_config(config)
    with pytest.raises(LoginError) as caught:
        asyncio.run(logins.for_url("https://example.com/feed"))
    message = str(caught.value)
    assert message.startswith('the login of [auth."example.com"] failed: ')
    assert "exit status 2" in message and PASSWORD not in message


def test_with_login_is_for_that_host_and_port_only() -> None:
    logins = Logins().with_login("https://example.com:8443/feed", "alice", PASSWORD)
    login = asyncio.run(logins.for_url("https://example.com:8443/other"))
    assert login is not None and (login.user, login.password) == ("alice", PASSWORD)
    assert asyncio.run(logins.for_url("https://example.com/feed")) is None
    assert asyncio.run(logins.for_url("https://evil.example:8443/feed")) is None
    assert PASSWORD not in repr(logins.rules)


def test_the_readme_example_reads_without_a_warning() -> None:
    import tomllib

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Feeds behind a login", 1)[1]
    block = section.split("```toml\n", 1)[1].split("```", 1)[0]
    config = config_from_dict(tomllib.loads(block))
    assert config.warnings == ()
    assert [rule.key for rule in config.auth] == [
        "feeds.example.com",
        "news.example.org:8443",
        "https://example.net/private/",
    ]


def test_no_secret_in_any_repr() -> None:
    """A traceback with locals or a debug log line must not show a password or token."""
    from tui_reader.feeds.curl_session import HttpLogin

    config = _config({"example.com": {"user": "a", "password_command": "pw", "headers": {}}})
    logins = Logins(config.auth, runner=_counting_runner([])).with_login(
        "https://example.org/", "bob", PASSWORD
    )
    login = asyncio.run(logins.for_url("https://example.com/feed"))
    given = asyncio.run(logins.for_url("https://example.org/feed"))
    for thing in (logins, login, given, HttpLogin("bob", PASSWORD), logins._cache):
        assert PASSWORD not in repr(thing)


def test_a_token_alone_in_an_address_is_never_shown_back() -> None:
    from tui_reader.feeds.auth import UrlLogin
    from tui_reader.feeds.subscribe import _address_login

    url = "https://feeds.example.com/private.xml"
    _logins, notes = _address_login(None, url, UrlLogin(url, "Tok-secret-123", None))
    told = "\n".join(notes)
    assert "Tok-secret-123" not in told
    assert '[auth."feeds.example.com"]' in told


def test_a_login_in_the_address_wins_over_the_config_for_that_fetch() -> None:
    config = _config(
        {
            "example.com": {"user": "conf", "password_command": "pw-conf"},
            "https://example.com/deep/": {"user": "deep", "password_command": "pw-deep"},
        }
    )
    calls: list[tuple[str, ...]] = []
    base = Logins(config.auth, runner=_counting_runner(calls, "from-config"))
    given = base.with_login("https://example.com/deep/feed", "typed", PASSWORD)
    login = asyncio.run(given.for_url("https://example.com/deep/feed"))
    assert login is not None and (login.user, login.password) == ("typed", PASSWORD)
    assert login.given and calls == []
    # The original is untouched: the config's table, its command run once.
    login = asyncio.run(base.for_url("https://example.com/feed"))
    assert login is not None and (login.user, login.password) == ("conf", "from-config")
