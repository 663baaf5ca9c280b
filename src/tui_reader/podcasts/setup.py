"""From the config to a download queue's settings: the folder, the size cap."""

from __future__ import annotations

from pathlib import Path

from ..config import Config
from .download import DownloadSettings

_MB = 1024 * 1024


def download_folder(config: Config) -> Path:
    """`download_dir` (with `~` expanded), else the user's downloads folder + /podcasts."""
    if config.download_dir.strip():
        return Path(config.download_dir.strip()).expanduser()
    import platformdirs  # only when downloading

    return Path(platformdirs.user_downloads_dir()) / "podcasts"


def download_settings(config: Config, **overrides: object) -> DownloadSettings:
    """The settings every download shares; `overrides` are for tests (`classify`,
    `resolve`, `limits`)."""
    return DownloadSettings(max_bytes=config.download_max_mb * _MB, **overrides)  # type: ignore[arg-type]
