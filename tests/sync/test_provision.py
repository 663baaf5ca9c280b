"""How the sync tests get their Miniflux: where it comes from, and what happens when it
cannot be had (skip with a reason a user can act on; fail under CI). No network here."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ..support import miniflux_server as provision
from .conftest import _cannot_provide


def test_ci_fails_instead_of_skipping(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"CI must provide Miniflux.*no apt-get"):
        _cannot_provide("no apt-get")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="could not be provided: no apt-get"):
        _cannot_provide("no apt-get")


def test_no_postgres_and_not_root_says_what_to_do(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(provision, "find_postgres_bin", lambda: None)
    monkeypatch.setattr(provision, "_is_root", lambda: False)
    with pytest.raises(provision.Unavailable, match=r"install it .*or run the tests as root"):
        provision.install_postgres()


def test_miniflux_bin_must_be_executable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    stray = tmp_path / "miniflux"
    stray.write_text("not a program")
    monkeypatch.setenv("MINIFLUX_BIN", str(stray))
    with pytest.raises(provision.Unavailable, match=r"\$MINIFLUX_BIN"):
        provision.install_miniflux()
    os.chmod(stray, 0o755)
    assert provision.install_miniflux() == stray  # given one: nothing is fetched


def test_cache_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("TUI_READER_TEST_CACHE", str(tmp_path / "c"))
    assert provision.cache_dir() == tmp_path / "c"
    monkeypatch.delenv("TUI_READER_TEST_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert provision.cache_dir() == tmp_path / "xdg" / "tui-reader-tests"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (
            "sources.list.d/debian.sources",
            "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\n",
        ),
        ("sources.list", "deb [arch=amd64] http://mirror.example/debian bookworm main\n"),
    ],
)
def test_private_sources_use_the_machines_mirror(tmp_path: Path, name: str, text: str):
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "other.list").write_text(
        "deb https://packages.example.com/apt cloud-sdk main\n"
    )
    (tmp_path / name).write_text(text)
    assert provision._debian_mirror(tmp_path) == "http://mirror.example/debian"


def test_no_debian_source_falls_back_to_the_main_mirror(tmp_path: Path):
    assert provision._debian_mirror(tmp_path) == "http://deb.debian.org/debian"


def test_root_without_a_postgres_user_says_what_to_do(monkeypatch: pytest.MonkeyPatch):
    def missing(name: str) -> None:
        raise KeyError(name)

    monkeypatch.setattr(provision.pwd, "getpwnam", missing)
    with pytest.raises(provision.Unavailable, match="install the postgresql package"):
        provision._postgres_user()
