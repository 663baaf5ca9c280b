"""Feed health: every feed's last status, last error, failures in a row and last success.

Under the table, the highlighted feed's whole last error; for a feed that needs a login,
the config lines that give it one (`feeds/auth_login.config_lines`, never a password).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from ..feeds.auth_login import config_lines, needs_login
from ..models import Feed
from ..ui_text import plain, plain_text
from ..wording import local_time


class FeedHealthScreen(ModalScreen[None]):
    """A table of feeds, failing ones first. Cells are `Text`, never markup."""

    BINDINGS = [Binding("escape,q,H", "close", "Close", id="health.close")]

    DEFAULT_CSS = """
    FeedHealthScreen { align: center middle; }
    FeedHealthScreen > Vertical {
        width: 95%; height: 90%; border: round $accent; background: $panel; padding: 0 1;
    }
    FeedHealthScreen DataTable { height: 1fr; }
    FeedHealthScreen #health-summary { color: $text-muted; height: auto; }
    FeedHealthScreen #health-account { height: auto; max-height: 12; margin-bottom: 1; }
    FeedHealthScreen #health-detail {
        height: auto; max-height: 12; border-top: solid $accent; padding: 0 1;
    }
    """

    def __init__(
        self,
        feeds: Sequence[Feed],
        articles: Mapping[str, int],
        *,
        insecure_auth_allowed: bool = False,
        account: Sequence[str] = (),
    ) -> None:
        """`insecure_auth_allowed`: the config's allow_insecure_auth (the login lines
        shown for a plain-http feed say to set it only when it is not set). `account`: a
        library bound to a server account, its lines (`sync.status.account_lines`)."""
        super().__init__()
        # A library bound to a server account: its lines (sync.status.account_lines).
        self._account = tuple(account)
        self._feeds = sorted(
            feeds, key=lambda f: (f.last_error is None, -f.failures, f.display_title.lower())
        )
        self._by_id = {feed.id: feed for feed in self._feeds}
        self._articles = articles
        self._insecure_auth_allowed = insecure_auth_allowed

    def compose(self) -> ComposeResult:
        failing = sum(1 for f in self._feeds if f.last_error)
        with Vertical() as box:
            box.border_title = "Feed health"
            if self._account:  # the server's words are untrusted: plain text only
                yield Static(plain("\n".join(self._account), multiline=True), id="health-account")
            yield Static(
                plain(f"{len(self._feeds)} feeds, {failing} failing. Esc closes."),
                id="health-summary",
            )
            yield DataTable(cursor_type="row", zebra_stripes=True)
            yield Static(id="health-detail", markup=False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(
            "Feed", "Category", "Status", "Fails", "Last success", "Articles", "Last error"
        )
        for feed in self._feeds:
            if feed.last_error:
                status = Text("failing", style="bold red")
            elif feed.last_success:
                status = Text("ok", style="green")
            else:
                status = Text("not fetched", style="dim")
            table.add_row(
                plain_text(feed.display_title, 40),
                plain_text(feed.category, 24),
                status,
                plain_text(feed.failures),
                plain_text(local_time(feed.last_success)),
                plain_text(self._articles.get(feed.id, 0)),
                plain_text(feed.last_error or "", 120),
                key=feed.id,
            )
        table.focus()

    @on(DataTable.RowHighlighted)
    def _show_detail(self, event: DataTable.RowHighlighted) -> None:
        feed = self._by_id.get(str(event.row_key.value))
        detail = self.query_one("#health-detail", Static)
        if feed is None or not feed.last_error:
            detail.display = False
            return
        lines = [f"Last error: {feed.last_error}"]
        if needs_login(feed.last_error):
            lines.append('Add to the config file (README "Feeds behind a login"):')
            lines.extend(
                config_lines(
                    feed.url, feed.last_error, insecure_allowed=self._insecure_auth_allowed
                )
            )
        detail.update(plain("\n".join(lines), multiline=True))
        detail.display = True

    def action_close(self) -> None:
        self.dismiss(None)
