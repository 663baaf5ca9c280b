"""Config file: defaults, valid values, and clear warnings for anything wrong."""

from __future__ import annotations

import tomllib
from pathlib import Path

from tui_reader.config import (
    EXAMPLE,
    Config,
    KnownBinding,
    check_config,
    config_from_dict,
    load_config,
)
from tui_reader.paths import config_file


def test_missing_file_means_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path / "nope.toml") == Config()


def test_example_is_valid_and_matches_defaults() -> None:
    config = config_from_dict(tomllib.loads(EXAMPLE))
    assert config == Config()
    assert config.warnings == ()


def test_values_are_read(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('browser = "w3m %s"\nrefresh_on_start = true\nkeep_read_per_feed = 50\n')
    config = load_config(path)
    assert config.browser == "w3m %s"
    assert config.refresh_on_start is True
    assert config.keep_read_per_feed == 50
    assert config.warnings == ()


def test_bad_keys_warn_and_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        'colour = "red"\nkeep_read_per_feed = true\nrefresh_interval_minutes = -5\n'
        'mark_read_on_open = "yes"\n'
    )
    config = load_config(path)
    assert config == Config()
    text = "\n".join(config.warnings)
    for key in ("colour", "keep_read_per_feed", "refresh_interval_minutes", "mark_read_on_open"):
        assert repr(key) in text


def test_invalid_toml_warns(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_bytes(b"this is = = not toml\xff")
    config = load_config(path)
    assert config == Config()
    assert "not valid TOML" in config.warnings[0]


def test_config_path_honours_xdg(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert config_file() == tmp_path / "tui-reader" / "config.toml"
    assert config_file(str(tmp_path / "x.toml")) == tmp_path / "x.toml"
    monkeypatch.setenv("TUI_READER_CONFIG", str(tmp_path / "env.toml"))
    assert config_file() == tmp_path / "env.toml"


def test_config_command(tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tui_reader.__main__ import main

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert main(["config", "--path"]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "tui-reader" / "config.toml")
    assert main(["config", "--example"]) == 0
    assert capsys.readouterr().out == EXAMPLE
    bad = tmp_path / "bad.toml"
    bad.write_text("colour = 1\n")
    assert main(["--config", str(bad), "config", "--check"]) == 1
    assert "'colour'" in capsys.readouterr().out


# ------------------------------------------------------- check_config (shared with the app)

BINDINGS = {
    "article.toggle_star": KnownBinding("s"),
    "article.full_text": KnownBinding("f"),
    "app.quit": KnownBinding("q"),
    "list.down": KnownBinding("j,down", scope="ArticleList"),
    "sidebar.down": KnownBinding("j", scope="CategorySidebar"),
    "sidebar.up": KnownBinding("k", scope="CategorySidebar"),
}


def check(text: str, themes: set[str] | None = None) -> tuple[str, ...]:
    config = config_from_dict(tomllib.loads(text), source="c.toml")
    return check_config(config, bindings=BINDINGS, themes=themes)


def test_check_finds_an_unknown_theme_only_when_it_knows_the_themes() -> None:
    themes = {"textual-dark", "nord"}
    (problem,) = check('theme = "nosuchtheme"', themes)
    assert problem.startswith("c.toml: theme 'nosuchtheme' is not a theme; the default is used.")
    assert "nord, textual-dark" in problem
    assert check('theme = "nord"', themes) == ()
    assert check('theme = "nosuchtheme"', None) == ()  # not known here: not checked


def test_check_finds_unknown_binding_ids() -> None:
    assert check('[keys]\n"no.such" = "y"\n"app.quit" = "Q"') == (
        "c.toml: [keys] 'no.such' is not a binding id; ignored.",
    )


def test_a_remap_that_takes_another_bindings_key_says_so() -> None:
    assert check('[keys]\n"article.toggle_star" = "f,S"') == (
        "c.toml: [keys] 'article.toggle_star' = 'f,S' takes 'f' from 'article.full_text'; "
        "give 'article.full_text' another key or choose another one.",
    )
    # Once the other binding has another key, nothing is taken.
    assert check('[keys]\n"article.toggle_star" = "f"\n"article.full_text" = "F"') == ()
    # Two remaps onto one key: said once.
    assert len(check('[keys]\n"article.toggle_star" = "x"\n"article.full_text" = "x"')) == 1
    # A screen-wide key taken inside a widget clashes; two widgets' keys never do.
    assert len(check('[keys]\n"list.down" = "q"')) == 1
    assert check('[keys]\n"list.down" = "k"') == ()
    assert len(check('[keys]\n"sidebar.up" = "j"')) == 1


def test_check_includes_what_reading_found() -> None:
    problems = check('colour = "red"\ntheme = "x"', {"nord"})
    assert problems[0] == "c.toml: unknown key 'colour' ignored."
    assert "theme 'x'" in problems[1]
