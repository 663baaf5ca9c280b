"""The user's config file: TOML, read once at start; bad keys warn and are ignored.

Location: `--config PATH`, else `$TUI_READER_CONFIG`, else
`$XDG_CONFIG_HOME/tui-reader/config.toml`. A missing file means every default. The app
never writes this file; choices made in the app are kept in the library instead.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .feeds.auth import AuthRule
    from .killfile import IgnoreRule
    from .store import Store

EXAMPLE = """\
# tui-reader configuration. Every key is optional; these are the defaults.

# Command that opens articles ("%s" is replaced by the address, else it is appended).
# Empty: use $BROWSER, else the system's default browser.
browser = ""

# Refresh every feed when the reader starts.
refresh_on_start = false

# Refresh every feed this often while the reader is open, in minutes (0 = never).
refresh_interval_minutes = 0

# Read, unstarred articles kept per feed; older ones are removed. Starred ones are kept.
keep_read_per_feed = 1000

# Mark an article read when it is shown in the reading pane.
mark_read_on_open = true

# Colour theme: any Textual theme name, e.g. "textual-dark", "nord", "gruvbox".
theme = "textual-dark"

# Offer "view here" for an article's images in the links picker (L, then v). Off: images
# stay numbered placeholders. On: the terminal is asked once at start what it can show
# (Kitty graphics, Sixel, else coloured blocks); an image is fetched only when you ask.
inline_images = false

# Notifications after a refresh or sync with new articles (README "Notifications"): one
# of none, bell, terminal (a desktop notification through the terminal, else the bell;
# these two only while the reader is open but not focused) or command (run
# notify_command with the new-article count, the number of feeds, then the first titles).
notify = "none"
notify_command = ""
# Notify even when nothing is new.
notify_always = false

# b sends the article to this command: URL, title, feed title, description.
bookmark_command = ""
# The bookmark command needs the terminal (it asks questions): the reader steps aside.
bookmark_interactive = false

# Feeds made by commands (exec: / filter: subscriptions, README "Feeds made by
# commands"): seconds a command may run before it is stopped (1-3600).
command_timeout_seconds = 60

# Remap keys by binding id (see `?` and README "Keys"); a comma separates several keys.
# A key another binding has is taken from it (`config --check` says so).
[keys]
# "article.toggle_read" = "x"
# "article.toggle_star" = "s,S"

# Feeds behind a login (README "Feeds behind a login"). Top-level keys such as
# allow_insecure_auth must come before the first [table] of the file.
# allow_insecure_auth = false   # true: also send logins over plain http
# [auth."feeds.example.com"]    # a host, "host:port", or an https:// address prefix
# user = "alice"
# password_command = "pass show feeds.example.com"   # run without a shell
# scheme = "any"                # "basic", "digest" or "any"
# headers = { "X-Api-Key" = "not-a-secret" }
# header_commands = { Authorization = "pass show feeds/token" }

# Killfile: articles matching a query (the search language) are hidden ("hide": kept,
# never shown or counted; `tui-reader list --all` shows them) or never stored ("drop":
# left out of every refresh and sync). Starred articles are never dropped. Words match
# titles, authors and feed names, not bodies. Repeat [[ignore]] for each rule.
# [[ignore]]
# name = "Show HN"
# query = 'feed:"Hacker News" "Show HN"'
# mode = "hide"
"""

# Podcasts and enclosures (E, D, `tui-reader download`): README "Podcasts".
EXAMPLE = EXAMPLE.replace(
    "\n# Remap keys",
    """
# Command that plays an enclosure ("%s" is replaced by the file or address, else it is
# appended). Empty: E offers only the download.
player = ""

# Where downloads go, one folder per feed. Empty: your downloads folder + "/podcasts".
download_dir = ""

# Largest file downloaded, in MB; a larger one is stopped and its part removed.
download_max_mb = 2000

# Downloads running at the same time.
max_downloads = 2

# Remap keys""",
    1,
)


@dataclass(frozen=True, slots=True)
class Config:
    browser: str = ""
    refresh_on_start: bool = False
    refresh_interval_minutes: int = 0
    keep_read_per_feed: int = 1000
    mark_read_on_open: bool = True
    theme: str = "textual-dark"
    inline_images: bool = False
    # Binding id -> key string, from the [keys] table.
    keys: tuple[tuple[str, str], ...] = ()
    # Notifications and bookmarks (issue 18.5, notify.py and bookmark.py).
    notify: str = "none"
    notify_command: str = ""
    notify_always: bool = False
    bookmark_command: str = ""
    bookmark_interactive: bool = False
    # Problems found while reading the file, in plain words, for the user.
    warnings: tuple[str, ...] = field(default=(), compare=False)
    # Where it was read from, to name it in messages.
    source: str = field(default="config", compare=False)
    # Podcasts and enclosures (issue 18): the player command, the download folder ("":
    # the user's downloads folder + /podcasts), the size cap and the parallel downloads.
    player: str = ""
    download_dir: str = ""
    download_max_mb: int = 2000
    max_downloads: int = 2
    # Killfile: the [[ignore]] rules (killfile.py), their queries parsed.
    ignore: tuple[IgnoreRule, ...] = ()
    # Feeds behind a login (feeds/auth.py): the [auth."host"] tables, and whether a login
    # may go over plain http.
    auth: tuple[AuthRule, ...] = ()
    allow_insecure_auth: bool = False
    # Feeds made by commands (exec:/filter:): seconds before a command is stopped.
    command_timeout_seconds: int = 60


_LIMITS: dict[str, tuple[int, int]] = {
    "refresh_interval_minutes": (0, 7 * 24 * 60),
    "keep_read_per_feed": (0, 1_000_000),
    "download_max_mb": (1, 1_000_000),
    "max_downloads": (1, 8),
    "command_timeout_seconds": (1, 3600),
}

# What `notify` may say (notify.py says what each does).
NOTIFY_MODES = ("none", "bell", "terminal", "command")
# Settings that take one of a few words.
_CHOICES: dict[str, tuple[str, ...]] = {"notify": NOTIFY_MODES}


def load_config(path: Path) -> Config:
    """Read `path`; never raises for a bad file (the problems are in `warnings`)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Config(source=str(path))  # named: the reader watches it for ignore rules
    except OSError as exc:
        return Config(
            warnings=(f"Cannot read the config file {path}: {exc.strerror}.",), source=str(path)
        )
    import tomllib  # only when there is a file: most start-ups have none

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return Config(
            warnings=(f"The config file {path} is not valid TOML ({exc}); ignored.",),
            source=str(path),
        )
    return config_from_dict(data, source=str(path))


def apply_to_store(config: Config, store: Store) -> None:
    """Hand the library what the config says about it. The reader and every command
    that writes the library call this, so that both keep the same articles."""
    store.keep_read = config.keep_read_per_feed
    store.command_timeout = float(config.command_timeout_seconds)
    if config.ignore:
        from .killfile import Killfile  # the query language, only for users with rules

        store.hidden.set_rules(Killfile(config.ignore))


def config_from_dict(data: dict[str, Any], source: str = "config") -> Config:
    defaults = Config()
    known = {f.name: f for f in fields(Config) if f.name != "warnings"}
    values: dict[str, Any] = {}
    warnings: list[str] = []
    for key, value in data.items():
        if key == "keys":
            keys, problems = _read_keys(value, source)
            values["keys"] = keys
            warnings.extend(problems)
            continue
        if key == "auth":
            from .feeds.auth import read_auth  # only a config with logins needs it

            values["auth"], problems = read_auth(value, source)
            warnings.extend(problems)
            continue
        if key == "ignore":
            from .killfile import read_ignore

            values["ignore"], problems = read_ignore(value, source)
            warnings.extend(problems)
            continue
        if key not in known:
            warnings.append(f"{source}: unknown key {key!r} ignored.")
            continue
        expected = type(getattr(defaults, key))
        # bool is an int in Python: check it first so `keep_read_per_feed = true` is refused.
        if (expected is not bool and isinstance(value, bool)) or not isinstance(value, expected):
            warnings.append(
                f"{source}: {key!r} should be {expected.__name__}, not {value!r}; "
                "the default is used."
            )
            continue
        if key in _CHOICES and value not in _CHOICES[key]:
            choices = ", ".join(f'"{c}"' for c in _CHOICES[key])
            warnings.append(f"{source}: {key!r} must be one of {choices}; the default is used.")
            continue
        if key in _LIMITS:
            low, high = _LIMITS[key]
            if not low <= value <= high:
                warnings.append(
                    f"{source}: {key!r} must be between {low} and {high}; the default is used."
                )
                continue
        values[key] = value
    return Config(**values, warnings=tuple(warnings), source=source)


_KEY_NAME = re.compile(r"^[A-Za-z0-9_+,\-]+$")


def _read_keys(value: object, source: str) -> tuple[tuple[tuple[str, str], ...], list[str]]:
    if not isinstance(value, dict):
        return (), [f'{source}: [keys] should be a table of binding id = "key"; ignored.']
    # Whether an id names a real binding is checked by `check_config`, given the bindings.
    keys: list[tuple[str, str]] = []
    problems: list[str] = []
    for binding_id, keyspec in value.items():
        if not isinstance(keyspec, str) or not _KEY_NAME.match(keyspec):
            problems.append(
                f'{source}: [keys] {binding_id!r} needs a key like "x" or "ctrl+x"; ignored.'
            )
        else:
            keys.append((binding_id, keyspec))
    return tuple(keys), problems


@dataclass(frozen=True, slots=True)
class KnownBinding:
    """A binding the reader has, as far as checking a config needs to know it."""

    keys: str  # its default key(s), comma-separated Textual key names ("d,delete")
    # Where it works: "" for the whole screen, else the widget that has it. Bindings of
    # two different widgets never clash (only one has the focus); a screen-wide one clashes
    # with every other.
    scope: str = ""


def check_config(
    config: Config,
    *,
    bindings: Mapping[str, KnownBinding],
    themes: Collection[str] | None,
) -> tuple[str, ...]:
    """Every problem with `config`, in plain words: what reading the file found, then
    what takes knowing the reader's names: `bindings` (id -> binding) and `themes` (None:
    not known here, not checked). The reader and `config --check` both call this, so
    that they can never disagree. The core knows neither list: callers pass them."""
    source = config.source
    problems = list(config.warnings)
    if themes is not None and config.theme not in themes:
        problems.append(
            f"{source}: theme {config.theme!r} is not a theme; the default is used. "
            "Themes: " + ", ".join(sorted(themes)) + "."
        )
    remapped = dict(config.keys)
    for binding_id in remapped:
        if binding_id not in bindings:
            problems.append(f"{source}: [keys] {binding_id!r} is not a binding id; ignored.")
    problems.extend(_stolen_keys(source, remapped, bindings))
    problems.extend(_player_problems(config))
    if config.auth:
        from .feeds.auth import check_rules

        problems.extend(check_rules(config.auth, config.allow_insecure_auth, source))
    if config.notify != "none" or config.notify_command or config.bookmark_command:
        from .notify import command_problems  # shlex and shutil: only when there is a command

        commands = [
            ("notify_command", config.notify_command),
            ("bookmark_command", config.bookmark_command),
        ]
        problems.extend(command_problems(source, config.notify, config.notify_command, commands))
    return tuple(problems)


def _player_problems(config: Config) -> list[str]:
    """Podcasts: a `player` that cannot be started is told before E is pressed."""
    if not config.player.strip():
        return []
    import shlex
    import shutil

    try:
        words = shlex.split(config.player)
    except ValueError as exc:
        return [f"{config.source}: player {config.player!r} cannot be read ({exc})."]
    if words and shutil.which(words[0]) is None:
        return [f"{config.source}: player {words[0]!r} is not a program on PATH; E cannot play."]
    return []


def _split_keys(spec: str) -> list[str]:
    return [key.strip() for key in spec.split(",") if key.strip()]


def _stolen_keys(
    source: str, remapped: dict[str, str], bindings: Mapping[str, KnownBinding]
) -> list[str]:
    """A remap that gives a binding a key another binding (in reach at the same time)
    has: the remap takes it, and the other one silently stops working on that key."""
    keys_now = {
        binding_id: _split_keys(remapped.get(binding_id, known.keys))
        for binding_id, known in bindings.items()
    }
    problems: list[str] = []
    told: set[frozenset[str]] = set()
    for binding_id, spec in remapped.items():
        known = bindings.get(binding_id)
        if known is None:
            continue
        for key in _split_keys(spec):
            for other, other_keys in keys_now.items():
                pair = frozenset((binding_id, other))
                if other == binding_id or key not in other_keys or pair in told:
                    continue
                scope = bindings[other].scope
                if known.scope and scope and known.scope != scope:
                    continue  # two widgets: never in reach at the same time
                told.add(pair)
                problems.append(
                    f"{source}: [keys] {binding_id!r} = {spec!r} takes {key!r} from "
                    f"{other!r}; give {other!r} another key or choose another one."
                )
    return problems
