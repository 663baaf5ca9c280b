"""Feeds behind a login from the command line: `add https://user:pass@host/feed` stores the
address without the login and prints the config lines instead; `refresh` logs in with a
`password_command`; a feed without a login says "needs a login" and the lines to add; and
the password is in no file of the library and in no output (`list --json`, `feeds`,
`export`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import NOW, make_articles
from tests.support import feedserver
from tests.support.authfeeds import (
    PASSWORD,
    USER,
    make_corpus,
    secret_script,
    server_args,
    toml_list,
)
from tui_reader.__main__ import main
from tui_reader.store import Store


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Any]]:
    with feedserver.running(server_args(make_corpus(tmp_path / "corpus"))) as running:
        yield running


def _write_config(path: Path, base: str, argv: list[str] | None, *, insecure: bool = True) -> Path:
    host = base.removeprefix("http://").rstrip("/")
    lines = [f"allow_insecure_auth = {'true' if insecure else 'false'}"]
    if argv is not None:
        lines += [f'[auth."{host}"]', f'user = "{USER}"', f"password_command = {toml_list(argv)}"]
    path.write_text("\n".join(lines) + "\n")
    return path


def _library_has_no(directory: Path, *secrets: str) -> None:
    """Not one byte of any secret in any file of the library (all files, recursively)."""
    files = [p for p in directory.rglob("*") if p.is_file()]
    assert files
    for file in files:
        data = file.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, f"{secret!r} found in {file}"


def _outputs_have_no(
    db: Path, config: Path, capsys: pytest.CaptureFixture[str], *secrets: str
) -> None:
    for argv in (["list", "--json"], ["feeds"], ["feeds", "--json"], ["export"]):
        assert main(["--db", str(db), "--config", str(config), *argv]) == 0
        out = capsys.readouterr()
        for secret in secrets:
            assert secret not in out.out and secret not in out.err, argv


def test_add_with_user_and_password_in_the_address(
    served: tuple[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, _server = served
    db = tmp_path / "library"
    config = _write_config(tmp_path / "config.toml", base, None)
    address = (
        base.replace("http://", f"http://{USER}:{PASSWORD}@") + "_auth/basic/feeds/private.xml"
    )
    assert main(["--db", str(db), "--config", str(config), "add", address]) == 0
    out = capsys.readouterr()
    assert PASSWORD not in out.out + out.err
    assert "taken out of the address: they are not stored" in out.out
    host = base.removeprefix("http://").rstrip("/")
    assert f'[auth."{host}"]' in out.out
    assert f'user = "{USER}"' in out.out
    assert "password_command = " in out.out
    with Store.open(db, read_only=True) as store:
        (feed,) = store.feeds()
        assert feed.url == f"{base}_auth/basic/feeds/private.xml"
        assert feed.last_success is not None
        assert len(store.articles([feed.id])) == 2
    _library_has_no(db, PASSWORD, f"{USER}:")
    _outputs_have_no(db, config, capsys, PASSWORD)


def test_add_with_a_login_over_http_needs_allow_insecure_auth(
    served: tuple[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, server = served
    db = tmp_path / "library"
    config = _write_config(tmp_path / "config.toml", base, None, insecure=False)
    address = (
        base.replace("http://", f"http://{USER}:{PASSWORD}@") + "_auth/basic/feeds/private.xml"
    )
    assert main(["--db", str(db), "--config", str(config), "add", address]) == 2
    err = capsys.readouterr().err
    assert PASSWORD not in err
    assert "needs a login" in err and "https only" in err
    assert all(r["authorization"] is None for r in server.seen)
    assert not db.exists() or not any(
        PASSWORD.encode() in p.read_bytes() for p in db.rglob("*") if p.is_file()
    )


def test_refresh_logs_in_with_password_command(
    served: tuple[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, _server = served
    db = tmp_path / "library"
    config = _write_config(tmp_path / "config.toml", base, secret_script(tmp_path))
    with Store.open(db) as store:
        store.add_feed(f"{base}_auth/basic/feeds/private.xml", "Private", "")
        store.add_feed(f"{base}_auth/digest/feeds/private.xml?d", "Digest", "")
    assert main(["--db", str(db), "--config", str(config), "refresh"]) == 0
    out = capsys.readouterr()
    assert "Refreshed 2 feeds: 2 updated" in out.out, out.out
    assert PASSWORD not in out.out + out.err
    _library_has_no(db, PASSWORD)
    _outputs_have_no(db, config, capsys, PASSWORD)


def test_refresh_without_a_login_says_what_to_add(
    served: tuple[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, _server = served
    db = tmp_path / "library"
    config = _write_config(tmp_path / "config.toml", base, None)
    with Store.open(db) as store:
        store.add_feed(f"{base}_auth/basic/feeds/private.xml", "Private", "")
    assert main(["--db", str(db), "--config", str(config), "refresh"]) == 0
    out = capsys.readouterr().out
    host = base.removeprefix("http://").rstrip("/")
    assert "failed: Private: needs a login (HTTP 401 Unauthorized" in out
    assert "add to the config file:" in out
    assert f'[auth."{host}"]' in out
    assert "password_command = " in out
    assert main(["--db", str(db), "--config", str(config), "feeds", "--json"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert "needs a login" in json.dumps(json.loads(line))


def test_a_failing_password_command_is_a_plain_refresh_error(
    served: tuple[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, server = served
    db = tmp_path / "library"
    config = _write_config(tmp_path / "config.toml", base, secret_script(tmp_path, exit_status=1))
    with Store.open(db) as store:
        store.add_feed(f"{base}_auth/basic/feeds/private.xml", "Private", "")
    assert main(["--db", str(db), "--config", str(config), "refresh"]) == 0
    out = capsys.readouterr()
    host = base.removeprefix("http://").rstrip("/")
    assert f'failed: Private: the login of [auth."{host}"] failed:' in out.out
    assert "exit status 1" in out.out
    assert PASSWORD not in out.out + out.err  # the command printed it, and to stderr too
    assert server.seen == []
    _library_has_no(db, PASSWORD)


def test_import_takes_logins_out_of_addresses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """newsboat users write `https://user:password@host/feed` in their urls file."""
    urls = tmp_path / "urls"
    urls.write_text(
        f'https://{USER}:{PASSWORD}@feeds.example.com/private.xml "Work"\n'
        "https://example.org/open.xml\n"
    )
    db = tmp_path / "library"
    assert main(["--db", str(db), "import", str(urls)]) == 0
    out = capsys.readouterr().out
    assert "2 added" in out
    assert '[auth."feeds.example.com"]' in out and PASSWORD not in out
    with Store.open(db, read_only=True) as store:
        assert sorted(f.url for f in store.feeds()) == [
            "https://example.org/open.xml",
            "https://feeds.example.com/private.xml",
        ]
    _library_has_no(db, PASSWORD, f"{USER}:")


def test_config_check_explains_auth_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        "[auth.feeds.example.com]\n"  # unquoted: a table per dot-separated part
        'user = "alice"\n'
        '[auth."news.example.org"]\n'
        'user = "bob"\n'
        f'password = "{PASSWORD}"\n'
        '[auth."example.net"]\n'
        'user = "carol"\n'
        'password_command = "no-such-password-manager-4711 show x"\n'
    )
    assert main(["--config", str(config), "config", "--check"]) == 1
    out = capsys.readouterr().out
    assert 'put the host in quotes, like [auth."feeds.example.com"]' in out
    assert "a password is never read from the config file" in out
    assert "'no-such-password-manager-4711', which is not found" in out
    assert PASSWORD not in out


def test_export_leaves_out_a_login_stored_in_an_address(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A library from before `add` took logins out of addresses."""
    db = tmp_path / "library"
    with Store.open(db) as store:
        feed, _ = store.add_feed(
            f"https://{USER}:{PASSWORD}@feeds.example.com/private.xml", "P", ""
        )
        store.merge_articles(feed.id, make_articles("p", 1), NOW)
        store.add_feed("https://medium.example/@someone/feed", "M", "")
    assert main(["--db", str(db), "export"]) == 0
    out = capsys.readouterr().out
    assert PASSWORD not in out
    assert 'xmlUrl="https://feeds.example.com/private.xml"' in out
    assert 'xmlUrl="https://medium.example/@someone/feed"' in out
    for argv in (["feeds"], ["feeds", "--json"], ["list", "--json"]):
        assert main(["--db", str(db), *argv]) == 0
        out = capsys.readouterr().out
        assert "feeds.example.com" in out and PASSWORD not in out, argv
