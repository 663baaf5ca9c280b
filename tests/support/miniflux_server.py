"""A real Miniflux with PostgreSQL on 127.0.0.1, for the sync tests (issue 17).

Importable (`MinifluxServer`, `install`) and runnable:

    python3 tests/support/miniflux_server.py --install-only   # fetch what is missing, exit
    python3 tests/support/miniflux_server.py                  # start, print details, wait

What it needs and where it comes from (measured on Debian 12, see issue 17):

- PostgreSQL: the newest /usr/lib/postgresql/*/bin, else `initdb`/`pg_ctl` on PATH, else
  `apt-get install -y postgresql` (root only). Packages never start services here, so the
  server is started by us: a private data dir, trust auth, 127.0.0.1 on a free port,
  `fsync=off`. `initdb` refuses root, so as root both run as the `postgres` user.
- Miniflux: `$MINIFLUX_BIN`, else `miniflux` on PATH, else the binary of Debian trixie's
  package (2.2.6, which runs on Debian 12), fetched with a PRIVATE apt configuration (own
  sources list, lists and cache dirs, `Dir::Etc::SourceParts=/dev/null`) and unpacked with
  `dpkg-deb -x` into the cache folder; the system's apt sources are never touched.
  Cache folder: `$TUI_READER_TEST_CACHE`, else `$XDG_CACHE_HOME/tui-reader-tests`, else
  `~/.cache/tui-reader-tests`.
- Miniflux 2.2.6 has no endpoint to enable the Google Reader API or to create an API key,
  so both are written in SQL once the admin user exists.

`Unavailable` carries a reason a user can act on (install X, run as root...).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ADMIN_USERNAME = "admin"
# Test-only credentials for a server that listens on 127.0.0.1 and lives for one session.
ADMIN_PASSWORD = "test-password-1234"
MINIFLUX_PACKAGE = "miniflux"
DEBIAN_SUITE = "trixie"
_READY_TIMEOUT = 60.0


class Unavailable(RuntimeError):
    """The server cannot be provided here; `str(exc)` says what the user can do about it."""


# --------------------------------------------------------------------------- locations


def cache_dir() -> Path:
    explicit = os.environ.get("TUI_READER_TEST_CACHE")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "tui-reader-tests"


def _is_root() -> bool:
    return os.geteuid() == 0


def _run(argv: list[str], *, what: str, timeout: float = 300, **kwargs: object) -> str:
    """Run a command; on failure raise Unavailable naming `what` and the command's last words."""
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, check=False, **kwargs
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Unavailable(f"{what}: {exc}") from exc
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise Unavailable(f"{what} failed ({' '.join(argv[:3])}...): {' / '.join(tail)}")
    return done.stdout


# --------------------------------------------------------------------------- PostgreSQL


def find_postgres_bin() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres (the newest installed major)."""
    root = Path("/usr/lib/postgresql")
    if root.is_dir():
        majors = sorted(
            (p for p in root.iterdir() if p.name.isdigit() and (p / "bin" / "initdb").exists()),
            key=lambda p: int(p.name),
        )
        if majors:
            return majors[-1] / "bin"
    found = shutil.which("initdb")
    if found:
        # /usr/local/bin/initdb may be a symlink into the real bin dir, where postgres is.
        real = Path(found).resolve().parent
        if (real / "postgres").exists():
            return real
    return None


def install_postgres() -> Path:
    found = find_postgres_bin()
    if found:
        return found
    if not _is_root():
        raise Unavailable(
            "PostgreSQL is not installed: install it (e.g. `sudo apt-get install postgresql`)"
            " or run the tests as root so they can install it"
        )
    if not shutil.which("apt-get"):
        raise Unavailable("PostgreSQL is not installed and there is no apt-get to install it")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    _run(["apt-get", "update", "-q"], what="apt-get update", env=env)
    _run(
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", "postgresql"],
        what="installing postgresql",
        env=env,
    )
    found = find_postgres_bin()
    if not found:
        raise Unavailable("postgresql was installed but no initdb was found")
    return found


# --------------------------------------------------------------------------- Miniflux


def _debian_mirror(etc: Path = Path("/etc/apt")) -> str:
    """The machine's Debian mirror URI (deb822 or one-line sources), else deb.debian.org."""
    candidates = [etc / "sources.list"]
    parts = etc / "sources.list.d"
    if parts.is_dir():
        candidates += sorted(parts.glob("*.sources")) + sorted(parts.glob("*.list"))
    for path in candidates:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for match in re.finditer(r"^URIs:\s*(\S+)", text, re.M):
            if match.group(1).rstrip("/").endswith("/debian"):
                return match.group(1)
        for match in re.finditer(r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s", text, re.M):
            if match.group(1).rstrip("/").endswith("/debian"):
                return match.group(1)
    return "http://deb.debian.org/debian"


def _keyring() -> str:
    for name in ("debian-archive-keyring.gpg", "debian-archive-trixie-stable.gpg"):
        path = Path("/usr/share/keyrings") / name
        if path.exists():
            return str(path)
    return ""


def find_miniflux() -> Path | None:
    explicit = os.environ.get("MINIFLUX_BIN")
    if explicit:
        return Path(explicit) if os.access(explicit, os.X_OK) else None
    cached = cache_dir() / "miniflux" / "usr" / "bin" / "miniflux"
    if os.access(cached, os.X_OK):
        return cached
    found = shutil.which("miniflux")
    return Path(found) if found else None


def install_miniflux() -> Path:
    """Fetch Debian trixie's miniflux binary into the cache through a private apt setup."""
    found = find_miniflux()
    if found:
        return found
    if os.environ.get("MINIFLUX_BIN"):
        raise Unavailable(
            f"$MINIFLUX_BIN does not name an executable: {os.environ['MINIFLUX_BIN']}"
        )
    if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
        raise Unavailable(
            "Miniflux is not installed and there is no apt-get/dpkg-deb to fetch it: install"
            " miniflux 2.2.x or set $MINIFLUX_BIN to its binary"
        )
    root = cache_dir()
    apt = root / "apt"
    for sub in ("lists/partial", "cache/archives/partial", "download"):
        (apt / sub).mkdir(parents=True, exist_ok=True)
    keyring = _keyring()
    signed = f"[signed-by={keyring}] " if keyring else ""
    sources = apt / "sources.list"
    sources.write_text(f"deb {signed}{_debian_mirror()} {DEBIAN_SUITE} main\n", encoding="utf-8")
    options = [
        f"-oDir::Etc::SourceList={sources}",
        "-oDir::Etc::SourceParts=/dev/null",
        f"-oDir::State::Lists={apt / 'lists'}",
        f"-oDir::Cache={apt / 'cache'}",
        "-oAPT::Get::List-Cleanup=0",
        # Our private dirs are not readable by apt's _apt user; download as ourselves.
        "-oAPT::Sandbox::User=root" if _is_root() else "-oAPT::Sandbox::User=" + _user(),
        "-q",
    ]
    _run(["apt-get", *options, "update"], what="apt-get update (private trixie sources)")
    download = apt / "download"
    for old in download.glob("*.deb"):
        old.unlink()
    _run(
        ["apt-get", *options, "download", MINIFLUX_PACKAGE],
        what="apt-get download miniflux",
        cwd=download,
    )
    debs = sorted(download.glob(f"{MINIFLUX_PACKAGE}_*.deb"))
    if not debs:
        raise Unavailable("apt-get download miniflux produced no .deb")
    target = root / "miniflux"
    staging = root / "miniflux.partial"
    shutil.rmtree(staging, ignore_errors=True)
    _run(["dpkg-deb", "-x", str(debs[-1]), str(staging)], what="dpkg-deb -x miniflux")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)  # atomic: a half-unpacked tree is never taken for a good one
    binary = target / "usr" / "bin" / "miniflux"
    if not os.access(binary, os.X_OK):
        raise Unavailable(f"the miniflux package holds no usr/bin/miniflux ({debs[-1].name})")
    return binary


def _postgres_user() -> pwd.struct_passwd:
    """The account PostgreSQL runs as when we are root (initdb refuses root)."""
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise Unavailable(
            "there is no 'postgres' user to run PostgreSQL as (initdb refuses root):"
            " install the postgresql package, which creates it"
        ) from None


def _user() -> str:
    return pwd.getpwuid(os.geteuid()).pw_name


def install() -> tuple[Path, Path]:
    """Everything the server needs: (PostgreSQL bin dir, miniflux binary)."""
    return install_postgres(), install_miniflux()


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# Loaded here, not in the child: dlopen after fork in a threaded process can deadlock.
try:
    _LIBC: ctypes.CDLL | None = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover - no libc to load (not Linux)
    _LIBC = None
_PR_SET_PDEATHSIG = 1


def _die_with_parent(sig: int) -> None:
    """In the child, after any change of user: get `sig` when the test process dies, so
    a killed pytest leaves no server behind (Linux only; elsewhere stop() must run)."""
    if _LIBC is not None:
        with contextlib.suppress(AttributeError):
            _LIBC.prctl(_PR_SET_PDEATHSIG, sig)


_WORKDIR_PREFIX = "tui-reader-miniflux-"


def _remove_stale_workdirs() -> None:
    """Data dirs left by a test process that was killed (its servers died with it)."""
    for path in Path(tempfile.gettempdir()).glob(_WORKDIR_PREFIX + "*"):
        try:
            owner = int((path / "owner.pid").read_text(encoding="ascii"))
            os.kill(owner, 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except (OSError, ValueError):
            continue  # another user's, or being created right now


@dataclass
class MinifluxServer:
    """One PostgreSQL + one Miniflux, both on 127.0.0.1; `start()` then `stop()`."""

    pg_bin: Path
    miniflux_bin: Path
    username: str = ADMIN_USERNAME
    password: str = ADMIN_PASSWORD
    url: str = ""  # http://127.0.0.1:PORT (no trailing slash) once started
    api_key: str = ""
    pg_port: int = 0
    workdir: Path | None = None
    _procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _logs: list[object] = field(default_factory=list)

    # -- helpers

    def _as_postgres(self) -> dict[str, object]:
        if not _is_root():
            return {}
        entry = _postgres_user()
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    def psql(self, sql: str, database: str = "miniflux") -> str:
        """Run SQL as the postgres superuser; returns unaligned, tuples-only output."""
        argv = [
            str(self.pg_bin / "psql"),
            "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
            "-h", "127.0.0.1", "-p", str(self.pg_port), "-U", "postgres", "-d", database,
            "-c", sql,
        ]  # fmt: skip
        return _run(argv, what="psql", timeout=30).strip()

    def _spawn(
        self, argv: list[str], log: Path, env: dict[str, str], sig: int, *, as_postgres: bool
    ) -> None:
        """Start a server process; it gets `sig` if we die (PostgreSQL: SIGQUIT, its
        immediate shutdown; Miniflux: SIGTERM)."""
        out = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self._logs.append(out)
        # Python runs preexec_fn after the change of user, so the death signal survives it.
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            preexec_fn=lambda: _die_with_parent(sig),
            **(self._as_postgres() if as_postgres else {}),  # type: ignore[arg-type]
        )
        self._procs.append(proc)

    def _log_tail(self, name: str) -> str:
        assert self.workdir is not None
        try:
            lines = (self.workdir / name).read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return " / ".join(lines[-4:])

    # -- lifecycle

    def start(self) -> MinifluxServer:
        try:
            self._start_postgres()
            self._start_miniflux()
            self._enable_apis()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_postgres(self) -> None:
        # Not under pytest's tmp dirs: those are mode 0700 and the postgres user must get in.
        _remove_stale_workdirs()
        self.workdir = Path(tempfile.mkdtemp(prefix=_WORKDIR_PREFIX))
        os.chmod(self.workdir, 0o755)
        (self.workdir / "owner.pid").write_text(str(os.getpid()), encoding="ascii")
        data = self.workdir / "pg"
        data.mkdir(mode=0o700)
        if _is_root():
            entry = _postgres_user()
            os.chown(data, entry.pw_uid, entry.pw_gid)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
        }
        _run(
            [str(self.pg_bin / "initdb"), "-D", str(data), "-U", "postgres",
             "--auth=trust", "-E", "UTF8", "--no-sync"],
            what="initdb", env=env, timeout=120, **self._as_postgres(),
        )  # fmt: skip
        self.pg_port = free_port()
        self._spawn(
            [str(self.pg_bin / "postgres"), "-D", str(data),
             "-c", "listen_addresses=127.0.0.1", "-p", str(self.pg_port),
             "-c", f"unix_socket_directories={data}",
             "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
            self.workdir / "postgres.log", env, signal.SIGQUIT, as_postgres=True,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            ready = subprocess.run(
                [str(self.pg_bin / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.pg_port)],
                check=False,
            )
            if ready.returncode == 0:
                break
            if self._procs[0].poll() is not None or time.monotonic() > deadline:
                raise Unavailable(f"PostgreSQL did not start: {self._log_tail('postgres.log')}")
            time.sleep(0.1)
        self.psql("CREATE DATABASE miniflux", database="postgres")

    def _start_miniflux(self) -> None:
        assert self.workdir is not None
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.workdir),
            # The URL form: a key=value string with spaces breaks shell env files.
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{self.pg_port}/miniflux?sslmode=disable",
            "RUN_MIGRATIONS": "1",
            "CREATE_ADMIN": "1",
            "ADMIN_USERNAME": self.username,
            "ADMIN_PASSWORD": self.password,
            "LISTEN_ADDR": f"127.0.0.1:{port}",  # and no PORT: it would bind 0.0.0.0
            "BASE_URL": self.url,
            "FETCHER_ALLOW_PRIVATE_NETWORKS": "1",  # the tests' feeds are on loopback
            "POLLING_FREQUENCY": "1440",  # tests refresh feeds explicitly
            "BATCH_SIZE": "1",
            "WORKER_POOL_SIZE": "2",
            "LOG_LEVEL": "info",
        }
        log = self.workdir / "miniflux.log"
        self._spawn([str(self.miniflux_bin)], log, env, signal.SIGTERM, as_postgres=False)
        deadline = time.monotonic() + _READY_TIMEOUT
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/healthcheck", timeout=2) as answer:
                    if answer.read().strip() == b"OK":
                        return
            except (urllib.error.URLError, OSError):
                pass
            if self._procs[-1].poll() is not None or time.monotonic() > deadline:
                raise Unavailable(f"Miniflux did not start: {self._log_tail('miniflux.log')}")
            time.sleep(0.1)

    def _enable_apis(self) -> None:
        """2.2.6 has no endpoint for these: turn on the Google Reader API (its password is
        the user's own bcrypt hash, so the same password works) and add an API key."""
        user = self.username.replace("'", "''")
        self.api_key = secrets.token_urlsafe(32)
        self.psql(
            "UPDATE integrations SET googlereader_enabled = true,"
            f" googlereader_username = '{user}',"
            " googlereader_password = users.password"
            f" FROM users WHERE integrations.user_id = users.id AND users.username = '{user}';"
            " INSERT INTO api_keys (user_id, token, description)"
            f" SELECT id, '{self.api_key}', 'tui-reader tests' FROM users"
            f" WHERE username = '{user}';"
        )

    def stop(self) -> None:
        for proc in reversed(self._procs):  # Miniflux first, then PostgreSQL
            if proc.poll() is None:
                # SIGQUIT is PostgreSQL's immediate shutdown: nothing to keep.
                proc.send_signal(signal.SIGTERM if proc is not self._procs[0] else signal.SIGQUIT)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self._procs.clear()
        for out in self._logs:
            with contextlib.suppress(Exception):
                out.close()  # type: ignore[attr-defined]
        self._logs.clear()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self) -> MinifluxServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_server() -> MinifluxServer:
    """Install what is missing, then start a server (the caller stops it)."""
    pg_bin, binary = install()
    return MinifluxServer(pg_bin=pg_bin, miniflux_bin=binary).start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--install-only", action="store_true", help="fetch PostgreSQL and Miniflux, then exit"
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        pg_bin, binary = install()
    except Unavailable as exc:
        print(f"miniflux_server: cannot provide Miniflux: {exc}", file=sys.stderr)
        return 1
    print(f"PostgreSQL: {pg_bin}\nMiniflux: {binary}  ({time.monotonic() - started:.1f} s)")
    if args.install_only:
        return 0
    try:
        server = MinifluxServer(pg_bin=pg_bin, miniflux_bin=binary).start()
    except Unavailable as exc:
        print(f"miniflux_server: {exc}", file=sys.stderr)
        return 1
    print(f"Miniflux at {server.url} (user {server.username}); ready in "
          f"{time.monotonic() - started:.1f} s. Ctrl+C stops it.")  # fmt: skip
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # `kill` cleans up too
    with contextlib.suppress(KeyboardInterrupt):
        signal.pause()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
