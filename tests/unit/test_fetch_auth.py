"""Feeds behind a login, on the wire: the fetcher against the project's feed server
(`tests/support/feedserver.py`, its `/_auth/` routes) on loopback.

Loopback is plain http, so these tests set `allow_insecure_auth` except where they prove
that without it nothing is sent. 127.0.0.1 and localhost (and another port) are other
hosts: credentials and token headers must never follow a redirect to them.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.support import feedserver
from tests.support.authfeeds import PASSWORD, TOKEN, USER, make_corpus, secret_script, server_args
from tui_reader.config import Config, config_from_dict
from tui_reader.feeds.auth_login import Logins
from tui_reader.feeds.fetch import Fetcher, FetchResult


class _Servers:
    def __init__(self, base: str, server: Any, other_base: str, other: Any) -> None:
        self.base = base
        self.server = server
        self.other_base = other_base
        self.other = other
        self.port = int(base.rstrip("/").rsplit(":", 1)[1])

    @property
    def host_key(self) -> str:
        return f"127.0.0.1:{self.port}"

    def seen(self, server: Any | None = None) -> list[dict[str, Any]]:
        return list((server or self.server).seen)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[_Servers]:
    root = make_corpus(tmp_path / "corpus")
    with (
        feedserver.running(server_args(root)) as (base, server),
        feedserver.running(server_args(root)) as (other_base, other),
    ):
        yield _Servers(base, server, other_base, other)


def _config(servers: _Servers, table: dict[str, object], *, insecure: bool = True) -> Config:
    config = config_from_dict(
        {"allow_insecure_auth": insecure, "auth": {servers.host_key: table}}, source="test"
    )
    assert config.warnings == ()
    return config


def _fetch(url: str, config: Config | None, **fetcher: Any) -> FetchResult:
    async def run() -> FetchResult:
        logins = Logins.from_config(config) if config is not None else None
        async with Fetcher(logins=logins, **fetcher) as f:
            return await f.fetch(url)

    return asyncio.run(run())


@pytest.mark.parametrize(
    ("route", "scheme"),
    [("basic", "basic"), ("basic", "any"), ("digest", "digest"), ("digest", "any")],
)
def test_a_login_from_password_command_fetches(
    servers: _Servers, tmp_path: Path, route: str, scheme: str
) -> None:
    table = {"user": USER, "password_command": secret_script(tmp_path), "scheme": scheme}
    result = _fetch(f"{servers.base}_auth/{route}/feeds/private.xml", _config(servers, table))
    assert result.status == "ok", result.error
    assert b"Private p1" in result.body


def test_token_header_from_a_command(servers: _Servers, tmp_path: Path) -> None:
    table = {"header_commands": {"X-Feed-Token": secret_script(tmp_path, TOKEN)}}
    result = _fetch(f"{servers.base}_auth/token/feeds/private.xml", _config(servers, table))
    assert result.status == "ok", result.error
    fixed = {"headers": {"X-Feed-Token": TOKEN}}
    result = _fetch(f"{servers.base}_auth/token/feeds/private.xml", _config(servers, fixed))
    assert result.status == "ok", result.error


def test_without_a_login_the_error_says_which_table_to_add(servers: _Servers) -> None:
    result = _fetch(f"{servers.base}_auth/digest/feeds/private.xml", None)
    assert result.status == "error" and result.http_status == 401
    assert result.error is not None
    assert result.error.startswith("needs a login (HTTP 401 Unauthorized")
    assert "Digest" in result.error
    assert f'[auth."{servers.host_key}"]' in result.error


def test_a_wrong_password_is_said_to_be_refused(servers: _Servers, tmp_path: Path) -> None:
    table = {"user": USER, "password_command": secret_script(tmp_path, "wrong-one")}
    result = _fetch(f"{servers.base}_auth/basic/feeds/private.xml", _config(servers, table))
    assert result.status == "error" and result.error is not None
    assert "the server refused the login" in result.error
    assert "wrong-one" not in result.error


def test_plain_http_gets_no_login_without_allow_insecure_auth(
    servers: _Servers, tmp_path: Path
) -> None:
    table = {
        "user": USER,
        "password_command": secret_script(tmp_path),
        "scheme": "basic",  # basic is sent at once: the server would see it if it were
        "headers": {"X-Feed-Token": TOKEN},
    }
    config = _config(servers, table, insecure=False)
    result = _fetch(f"{servers.base}_auth/basic/feeds/private.xml", config)
    assert result.status == "error" and result.error is not None
    assert "was not sent" in result.error and "https only" in result.error
    assert "allow_insecure_auth" in result.error
    seen = servers.seen()
    assert seen and all(r["authorization"] is None for r in seen)
    assert all("X-Feed-Token" not in r["x_headers"] for r in seen)


@pytest.mark.parametrize("target", ["localhost", "other port"])
def test_a_redirect_to_another_host_gets_no_login_nor_token(
    servers: _Servers, tmp_path: Path, target: str
) -> None:
    """The login is sent to the host of the table (the first hop), and neither the
    Authorization header nor the custom header reaches the host redirected to."""
    if target == "localhost":
        goal = f"http://localhost:{servers.port}/feeds/open.xml"
        where, resolve = servers.server, [f"localhost:{servers.port}:127.0.0.1"]
    else:
        goal = f"{servers.other_base}feeds/open.xml"
        where, resolve = servers.other, []
    table = {
        "user": USER,
        "password_command": secret_script(tmp_path),
        "scheme": "basic",
        "headers": {"X-Feed-Token": TOKEN},
    }
    url = f"{servers.base}_redirect?to={quote(goal, safe='')}"
    result = _fetch(url, _config(servers, table), resolve=resolve)
    assert result.status == "ok", result.error
    assert result.final_url == goal
    first = servers.seen()[0]
    assert first["path"].startswith("/_redirect")
    assert first["authorization"] is not None  # the table's own host got it
    assert first["x_headers"].get("X-Feed-Token") == TOKEN
    arrived = [r for r in servers.seen(where) if r["path"] == "/feeds/open.xml"]
    assert len(arrived) == 1
    assert arrived[0]["authorization"] is None
    assert arrived[0]["x_headers"] == {}


def test_a_redirect_within_the_host_keeps_the_login(servers: _Servers, tmp_path: Path) -> None:
    goal = f"{servers.base}_auth/basic/feeds/private.xml"
    table = {"user": USER, "password_command": secret_script(tmp_path)}
    url = f"{servers.base}_redirect?to={quote(goal, safe='')}"
    result = _fetch(url, _config(servers, table))
    assert result.status == "ok", result.error


def test_a_failing_command_fails_the_feed_without_its_output(
    servers: _Servers, tmp_path: Path
) -> None:
    table = {"user": USER, "password_command": secret_script(tmp_path, exit_status=5)}
    result = _fetch(f"{servers.base}_auth/basic/feeds/private.xml", _config(servers, table))
    assert result.status == "error" and result.error is not None
    assert "failed (exit status 5)" in result.error
    assert PASSWORD not in result.error
    assert servers.seen() == []  # nothing was sent at all


def test_https_gets_the_login_without_allow_insecure_auth(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    root = make_corpus(tmp_path / "corpus")
    argv = [*server_args(root), "--tls-cert", str(cert), "--tls-key", str(key)]
    with feedserver.running(argv) as (base, server):
        assert base.startswith("https://127.0.0.1:")
        host = base.removeprefix("https://").rstrip("/")
        config = config_from_dict(
            {"auth": {host: {"user": USER, "password_command": secret_script(tmp_path)}}}
        )
        assert config.warnings == () and config.allow_insecure_auth is False
        result = _fetch(f"{base}_auth/digest/feeds/private.xml", config)
        assert result.status == "ok", result.error
        assert any(r["authorization"] for r in server.seen)


def test_a_login_left_in_a_stored_address_follows_the_same_rules(servers: _Servers) -> None:
    """A subscription stored with user:password@ before `add` took them out: libcurl
    never gets them in the URL; they go to that host only, over http only if allowed."""
    url = servers.base.replace("http://", f"http://{USER}:{PASSWORD}@")
    url += "_auth/basic/feeds/private.xml"
    refused = _fetch(url, None)
    assert refused.status == "error" and refused.error is not None
    assert "the login in the address was not sent" in refused.error
    assert PASSWORD not in refused.error
    assert all(r["authorization"] is None for r in servers.seen())
    allowed = config_from_dict({"allow_insecure_auth": True})
    result = _fetch(url, allowed)
    assert result.status == "ok", result.error
    assert result.final_url == f"{servers.base}_auth/basic/feeds/private.xml"
    # ... and not across a redirect to another host.
    goal = f"{servers.other_base}feeds/open.xml"
    hop = servers.base.replace("http://", f"http://{USER}:{PASSWORD}@")
    result = _fetch(f"{hop}_redirect?to={quote(goal, safe='')}", allowed)
    assert result.status == "ok", result.error
    assert all(r["authorization"] is None for r in servers.seen(servers.other))
