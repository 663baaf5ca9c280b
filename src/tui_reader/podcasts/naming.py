"""Safe names for downloaded files: from the sanitised title, never from a path in a URL.

A feed is written by a stranger: an episode title (or a feed title, which names the
folder) can hold `../`, separators, control characters, a Windows device name or a
thousand bytes. The file name is made from the title alone; the only thing taken from
the response or the URL is an extension, and only from a fixed list of media types.
Whatever comes out, `inside` checks that the resolved path stays in the download folder.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

# Most file systems allow 255 bytes per name. Room is kept for " (99)" and ".part".
MAX_NAME_BYTES = 255
_PART = ".part"
_DEDUP_ROOM = 8

# The extensions a file may get: from its Content-Type (the real one, else the feed's).
TYPE_EXTENSIONS: dict[str, str] = {
    "audio/mpeg": ".mp3",
    "audio/mp3": ".mp3",
    "audio/x-mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/x-m4a": ".m4a",
    "audio/m4a": ".m4a",
    "audio/aac": ".aac",
    "audio/x-aac": ".aac",
    "audio/ogg": ".ogg",
    "audio/vorbis": ".ogg",
    "audio/opus": ".opus",
    "audio/flac": ".flac",
    "audio/x-flac": ".flac",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/webm": ".weba",
    "video/mp4": ".mp4",
    "video/x-m4v": ".m4v",
    "video/webm": ".webm",
    "video/ogg": ".ogv",
    "video/quicktime": ".mov",
    "video/x-matroska": ".mkv",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
    "application/epub+zip": ".epub",
}
# Extensions a URL's last segment may lend when no type says better.
MEDIA_EXTENSIONS = frozenset(TYPE_EXTENSIONS.values()) | {".oga", ".mpga", ".aiff", ".avi"}

# Device names Windows reserves in any folder, with any extension.
_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", "conin$", "conout$"}
    | {f"com{n}" for n in "0123456789¹²³"}
    | {f"lpt{n}" for n in "0123456789¹²³"}
)
# Separators, and what Windows (or a FAT/exFAT/SMB folder on Linux) refuses in a name.
_FORBIDDEN = re.compile(r'[/\\<>:"|?*]')
_SPACES = re.compile(r"\s+")


def _printable(ch: str) -> bool:
    # Cc: control characters; Cf: invisible format characters (bidi overrides, ...);
    # Cs/Co/Cn: surrogates, private use, unassigned.
    return unicodedata.category(ch)[0] != "C"


def truncate_utf8(text: str, max_bytes: int) -> str:
    """`text` cut to at most `max_bytes` bytes of UTF-8, never inside a character."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    return data[:max_bytes].decode("utf-8", errors="ignore")


def safe_stem(title: str, *, fallback: str = "episode", max_bytes: int | None = None) -> str:
    """A file or folder name (without extension) made from untrusted `title`.

    No separators, no control or invisible characters, no leading dots (hidden files,
    `..`), no trailing dots or spaces, not a Windows device name, at most `max_bytes`
    bytes of UTF-8 (default: room left for an extension, " (N)" and ".part").
    """
    limit = max_bytes if max_bytes is not None else MAX_NAME_BYTES - 16 - len(_PART) - _DEDUP_ROOM
    text = unicodedata.normalize("NFC", title)
    text = "".join(ch if _printable(ch) else " " for ch in text)
    text = _FORBIDDEN.sub(" ", text)
    text = _SPACES.sub(" ", text).strip()
    text = text.lstrip(". ")
    text = truncate_utf8(text, limit).rstrip(". ")
    if not text:
        return fallback
    if text.split(".", 1)[0].strip().lower() in _RESERVED:
        text = truncate_utf8("_" + text, limit)
    return text


def extension_for(content_type: str | None, declared_type: str, url: str) -> str:
    """The file's extension: from the response's Content-Type, else the type the feed
    declared, else the URL's last segment when it is a known media extension; else ""."""
    for candidate in (content_type or "", declared_type):
        mime = candidate.split(";", 1)[0].strip().lower()
        if mime in TYPE_EXTENSIONS:
            return TYPE_EXTENSIONS[mime]
    try:
        segment = PurePosixPath(urlsplit(url).path).name
    except ValueError:
        return ""
    suffix = PurePosixPath(segment).suffix.lower()
    return suffix if suffix in MEDIA_EXTENSIONS else ""


def inside(base: Path, path: Path) -> bool:
    """Whether `path`, resolved (symbolic links followed), is within `base`, resolved."""
    try:
        real_base = Path(os.path.realpath(base))
        real = Path(os.path.realpath(path))
    except (OSError, ValueError):
        return False
    return real != real_base and real.is_relative_to(real_base)


def numbered(stem: str, n: int) -> str:
    return stem if n < 2 else f"{stem} ({n})"


def reserve_part(folder: Path, stem: str, taken: set[str]) -> Path:
    """A new `.part` file's path in `folder` for `stem`: no file there starts with the
    same name (a finished download or another's part) and no name in `taken` (downloads
    starting meanwhile) does either. The caller adds the result's stem to `taken`."""
    existing = {entry.name for entry in folder.iterdir()} if folder.is_dir() else set()
    stems = {name.rsplit(".", 1)[0] if "." in name else name for name in existing}
    for n in range(1, 10_000):
        candidate = numbered(stem, n)
        if candidate not in stems and candidate not in taken and candidate not in existing:
            return folder / (candidate + _PART)
    raise OSError("too many files with the same name")


def final_name(part: Path, extension: str) -> Path:
    """Where a finished `.part` goes: its stem plus `extension`."""
    stem = part.name[: -len(_PART)] if part.name.endswith(_PART) else part.name
    return part.with_name(stem + extension)


def publish(part: Path, extension: str) -> Path:
    """Move a finished `.part` to its final name, never over an existing file (" (2)"
    ... is added instead). Returns the final path."""
    stem = part.name[: -len(_PART)] if part.name.endswith(_PART) else part.name
    for n in range(1, 10_000):
        target = part.with_name(numbered(stem, n) + extension)
        try:
            os.link(part, target)  # fails if the name is taken: no check-then-rename race
        except FileExistsError:
            continue
        except OSError:  # a file system without hard links (FAT, some network shares)
            if target.exists() or target.is_symlink():
                continue
            os.replace(part, target)
            return target
        part.unlink()
        return target
    raise OSError("too many files with the same name")
