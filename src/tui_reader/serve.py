"""`tui-reader serve`: the reader in a browser tab, through textual-serve.

Each browser connection starts its own reader process (`tui-reader --db PATH --served`);
the library's writer lock (`store/lock.py`) keeps it to one writer. A tab that finds the
library taken waits a moment (a reloaded tab's old process may still be saving), then
shows a plain notice instead of an error (`show_open_failure`). Closing a tab makes
textual-serve ask the app to quit, so the library is saved and released as on `q`.

textual-serve has no login, so what it is bound to matters: loopback by default; any
other address needs `--public` and gets a warning (`check_host`). `ReaderServer` adds what
the stock server lacks: the websocket is refused to other sites' pages (a page on any
site could otherwise open `ws://127.0.0.1:8000/ws` and drive the reader) and, on
loopback, to requests for other host names (DNS rebinding); the page's URLs follow the
address the browser used; and the web font comes from the package's own copy, so the page
works offline.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import re
import shlex
import shutil
import socket
import sys
import time
from pathlib import Path
from typing import Any

# The stock page loads Roboto Mono from Google Fonts; this serves the copy textual-serve
# ships in its static folder instead (fonts.googleapis.com is unreachable offline).
_GOOGLE_FONT = re.compile(r"<link[^>]*fonts\.googleapis\.com[^>]*>")
_LOCAL_FONT = (
    "<style>@font-face { font-family: 'Roboto Mono'; "
    "src: url('{static}fonts/RobotoMono-VariableFont_wght.ttf') format('truetype'); }</style>"
)
# Keys reach the reader only while xterm's hidden input has the focus, and a served app
# starts out told it has none (Textual's web driver), which leaves the footer empty until
# the first key. So once the reader has drawn, the page focuses the input and says so
# (textual.js reports a focus of `.xterm-screen` to the app), as a terminal window would.
_FOCUS_TERMINAL = """<script>
(function () {
  var tries = 0;
  var timer = setInterval(function () {
    var input = document.querySelector("textarea.xterm-helper-textarea");
    var drawn = document.body.classList.contains("-first-byte");
    if ((input && drawn) || ++tries > 300) {
      clearInterval(timer);
      var screen = document.querySelector(".xterm-screen");
      if (input && screen) {
        input.focus();
        screen.dispatchEvent(new FocusEvent("focus"));
      }
    }
  }, 50);
})();
</script>
</body>"""
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost"})
# How long a new tab waits for the library before saying it is taken: a reloaded tab's
# old reader saves and quits in well under a second.
LOCK_WAIT = 3.0


def is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def check_host(host: str, public: bool) -> tuple[str | None, str | None]:
    """(error, warning) for serving on `host`: a non-loopback address without `--public`
    is an error; with it, a warning."""
    if is_loopback(host):
        return None, None
    if not public:
        return (
            f"{host} is not a loopback address: anyone who can reach it could read and "
            "change your library (there is no login). Add --public if that is what you "
            "want, or leave --host out to serve on 127.0.0.1 only.",
            None,
        )
    return None, (
        f"WARNING: serving on {host} with --public. There is no login: anyone who can "
        "reach this port can read and change your library. Use it only on a network "
        "you trust, or behind a proxy that asks for a password."
    )


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _cannot_listen(host: str, port: int) -> str | None:
    """Why `host:port` cannot be listened on (in use, no such address), or None."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        for family, kind, proto, _name, address in infos:
            with socket.socket(family, kind, proto) as probe:
                # As aiohttp binds: a port in TIME_WAIT after a restart is free.
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind(address)
    except (OSError, OverflowError) as exc:
        return getattr(exc, "strerror", None) or str(exc)
    return None


def reader_command(directory: Path, config: str | None) -> str:
    """The shell command textual-serve runs for each tab (it starts it with a shell)."""
    argv = [sys.executable, "-m", "tui_reader", "--db", str(directory), "--served"]
    if config:
        argv[4:4] = ["--config", config]
    return shlex.join(argv)


def run_serve(args: argparse.Namespace) -> int:
    error, warning = check_host(args.host, args.public)
    if error:
        print(f"tui-reader serve: {error}", file=sys.stderr)
        return 2
    if not 1 <= args.port <= 65535:
        print(f"tui-reader serve: --port must be 1-65535, not {args.port}", file=sys.stderr)
        return 2
    problem = _cannot_listen(args.host, args.port)
    if problem:  # said before anything is made or printed (aiohttp would say it late)
        print(
            f"tui-reader serve: cannot listen on {args.host}:{args.port}: {problem}",
            file=sys.stderr,
        )
        return 1
    from textual_serve.server import Server

    from .paths import library_dir

    scratch: Path | None = None
    if args.demo:
        from .demo_library import make_demo_library, remove_stale_demos

        remove_stale_demos()
        # One scratch copy for the server's life: every tab sees the same demo library.
        directory = scratch = make_demo_library()
    else:
        directory = library_dir(getattr(args, "db", None))

    class ReaderServer(Server):
        # The tabs' websocket handlers, so that stopping the server can close them.
        tabs: set[asyncio.Task[Any]] = set()

        async def on_shutdown(self, app: Any) -> None:
            # aiohttp would wait a minute for open tabs before cancelling them. Cancelled
            # now, each handler still tells its reader to quit and waits: every open
            # library is saved and released before the server exits.
            for task in self.tabs:
                task.cancel()
            await asyncio.gather(*self.tabs, return_exceptions=True)

        async def handle_index(self, request: Any) -> Any:
            from aiohttp import web

            if not self._host_allowed(request):
                return web.Response(status=403, text="tui-reader: unknown host name")
            # URLs in the page follow the address the browser used (with --host 0.0.0.0
            # the stock page would point the websocket at 0.0.0.0). No await lies between
            # this and the page's rendering, so tabs cannot see each other's value.
            origin = f"{request.scheme}://{request.host}"
            self.public_url = origin
            response = await super().handle_index(request)
            static = f"{origin}/static/"
            page = _GOOGLE_FONT.sub(_LOCAL_FONT.replace("{static}", static), response.text)
            response.text = page.replace("</body>", _FOCUS_TERMINAL, 1)
            return response

        async def handle_websocket(self, request: Any) -> Any:
            from aiohttp import web

            origin = request.headers.get("Origin")
            # Browsers always send Origin on a websocket handshake: one from another
            # site's page is refused (no cookies here, so nothing else would stop it).
            if not self._host_allowed(request) or (
                origin is not None and origin != f"{request.scheme}://{request.host}"
            ):
                return web.Response(status=403, text="tui-reader: not this page's socket")
            task = asyncio.current_task()
            assert task is not None
            self.tabs.add(task)
            try:
                return await super().handle_websocket(request)
            finally:
                self.tabs.discard(task)

        def _host_allowed(self, request: Any) -> bool:
            if args.public:
                return True
            return is_loopback(request.url.host or "")  # the Host header, port dropped

    port = args.port
    shown_host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else _url_host(args.host)
    url = f"http://{shown_host}:{port}/"
    server = ReaderServer(
        reader_command(directory, getattr(args, "config", None)),
        host=args.host,
        port=port,
        title="tui-reader",
    )
    if warning:
        print(warning, file=sys.stderr)
    print(f"tui-reader: serving the library at {directory}")
    print(f"Open {url} in your browser (Ctrl+C stops the server).", flush=True)
    try:
        server.serve()
    except OSError as exc:
        print(f"tui-reader serve: cannot listen on {args.host}:{port}: {exc}", file=sys.stderr)
        return 1
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


def prepare_served_reader() -> None:
    """Set up the reader process of one tab. Ctrl+C in the server's terminal reaches the
    whole process group: the readers leave it to the server, which tells each to quit
    (and so to save) before it exits."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def wait_for_library(directory: Path, opener: Any, wait: float = LOCK_WAIT) -> Any:
    """`opener(directory)`, retried while the library is locked, for up to `wait` seconds;
    the last `LibraryLocked` is raised."""
    from .store import LibraryLocked

    deadline = time.monotonic() + wait
    while True:
        try:
            return opener(directory)
        except LibraryLocked:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.1)


def show_open_failure(directory: Path, exc: Exception, locked: bool) -> int:
    """In a browser tab, say why the library could not be opened (a page, not a crash);
    returns the exit status."""
    from textual.app import App, ComposeResult
    from textual.content import Content
    from textual.widgets import Static

    if locked:
        headline = "This library is open in another tab."
        advice = (
            "One library has one writer at a time, so this tab did not open it and "
            "nothing was changed. Close the other tab (or the tui-reader using it), "
            "then reload this page."
        )
    else:
        headline = "The library could not be opened."
        advice = "Nothing was changed. Fix what is said below, then reload this page."

    class OpenFailure(App[None]):
        CSS = "Screen { align: center middle; } #notice { width: 72; padding: 1 2; }"
        BINDINGS = [("q", "quit", "Close")]

        def compose(self) -> ComposeResult:
            # The lock's own message advises --db, which means nothing in a browser.
            detail = "" if locked else f"{exc}\n\n"
            text = Content.assemble(
                (headline, "bold"), "\n\n", advice, "\n\n", detail, f"Library: {directory}"
            )
            yield Static(text, id="notice")

    OpenFailure().run()
    return 2
