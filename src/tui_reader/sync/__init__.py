"""Two-way sync with feed servers (issue 17): clients for Miniflux's REST API and the
Google Reader API behind one interface (`base.SyncClient`). Core code: no Textual, no Rich."""

# Here, not in account.py: the CLI's parser (built at every start) needs only these.
KINDS = ("miniflux", "greader")
SECRET_ENV = "TUI_READER_SECRET"
