"""Where tui-reader keeps things: platformdirs locations with env and flag overrides."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "tui-reader"
DB_ENV = "TUI_READER_DB"
CONFIG_ENV = "TUI_READER_CONFIG"


def default_library_dir() -> Path:
    """The user's library: `$XDG_DATA_HOME/tui-reader/library` on Linux."""
    # Imported here: with --db or $TUI_READER_DB it is not needed (~5 ms of a 0.2 s refresh).
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "library"


def library_dir(cli_value: str | os.PathLike[str] | None = None) -> Path:
    """`--db` wins, then `$TUI_READER_DB`, then the platform default."""
    if cli_value:
        return Path(cli_value).expanduser()
    env = os.environ.get(DB_ENV)
    if env:
        return Path(env).expanduser()
    return default_library_dir()


def config_file(cli_value: str | os.PathLike[str] | None = None) -> Path:
    """`--config`, then `$TUI_READER_CONFIG`, then `$XDG_CONFIG_HOME/tui-reader/config.toml`."""
    if cli_value:
        return Path(cli_value).expanduser()
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"
