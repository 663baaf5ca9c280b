"""The Google Reader API (FreshRSS, Miniflux, The Old Reader, BazQux, Inoreader), as a
`SyncClient`.

Base URL: what the server documents as the API root; `/accounts/ClientLogin` and
`/reader/api/0/...` are appended (FreshRSS: `https://host/api/greader.php`; Miniflux: the
site root).

Server quirks measured here and handled (Miniflux 2.2.6, FreshRSS 1.24.3):
- Miniflux's `edit-tag` TOGGLES (read twice = unread; fixed in 2.3.0): the server's current
  state is read first and only items whose state differs are sent.
- Miniflux reads short decimal ids as hex: items are always sent in the long form
  `tag:google.com,2005:reader/item/<16 hex>`, which is also this client's id for an entry.
- A POST without the `T` token gets 401; `unread-count` and `stream/contents` answer `[]`
  on Miniflux: lists come from `stream/items/ids` + `stream/items/contents`.
- FreshRSS: `n` defaults to 20 (always passed); its continuation is an item id, Miniflux's
  an offset: both are passed back exactly as given. `s=user/-/state/com.google/read` is not
  a stream there: read state is asked with `it=`/`xt=` filters on the reading list.
- Miniflux 2.2.6 answers `[]` to `mark-all-as-read` (not implemented): the client then marks
  the stream's unread items up to `ts` read itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from .base import ProtocolError, RemoteCategory, RemoteEntry, RemoteFeed
from .common import batches, body, check_status, expect, host_of, line, load_json, timestamp, url
from .http import HttpClient, HttpResponse

READING_LIST = "user/-/state/com.google/reading-list"
READ = "user/-/state/com.google/read"
STARRED = "user/-/state/com.google/starred"
LABEL = "user/-/label/"
LONG_ID = "tag:google.com,2005:reader/item/"
IDS_PAGE = 10000  # ids per stream/items/ids call (FreshRSS's own maximum)
CONTENTS_BATCH = 250  # items per stream/items/contents call
EDIT_BATCH = 250  # items per edit-tag call
_MAX_PAGES = 10000  # a guard against a server whose continuation never ends


def long_id(item_id: str) -> str:
    """Any item id form -> the long form. Item refs are decimal (possibly negative:
    Google Reader ids are signed 64-bit); the long form is 16 lower-case hex digits."""
    if item_id.startswith(LONG_ID):
        return LONG_ID + item_id[len(LONG_ID) :].lower().rjust(16, "0")
    return f"{LONG_ID}{int(item_id) & 0xFFFFFFFFFFFFFFFF:016x}"


def _label(stream_id: str) -> str:
    """`user/-/label/Tech` or `user/1/label/Tech` -> "Tech"; "" when not a label."""
    _, found, title = stream_id.partition("/label/")
    return title if found and stream_id.startswith("user/") else ""


class GReaderClient:
    """One account on a Google Reader API server (user and password)."""

    kind = "greader"

    def __init__(
        self, base_url: str, *, user: str, password: str, http: HttpClient | None = None
    ) -> None:
        self._base = base_url.rstrip("/")
        self._host = host_of(self._base)
        self._user = user
        self._password = password
        self._auth: str | None = None  # the ClientLogin token, as a header line
        self._token: str | None = None  # the T token for POSTs
        self._http = http or HttpClient()
        self._auth_hint = f"{self._host}: wrong user or password"
        self.server_time: datetime | None = None

    def __repr__(self) -> str:  # never the secret
        return f"GReaderClient({self._host!r})"

    # ------------------------------------------------------------------ transport

    def _login(self) -> str:
        form = urlencode({"Email": self._user, "Passwd": self._password}).encode()
        response = self._http.request(
            "POST",
            f"{self._base}/accounts/ClientLogin",
            headers=["Content-Type: application/x-www-form-urlencoded"],
            body=form,
        )
        check_status(response, self._host, self._auth_hint)
        for text_line in response.text().splitlines():
            key, _, value = text_line.partition("=")
            if key.strip() == "Auth" and value.strip():
                self._auth = f"Authorization: GoogleLogin auth={value.strip()}"
                return self._auth
        raise ProtocolError(f"{self._host} answered the login without an Auth token")

    def _send(
        self, method: str, path: str, query: list[tuple[str, str]], form: bytes | None
    ) -> HttpResponse:
        target = f"{self._base}/reader/api/0/{path}"
        if query:
            target += "?" + urlencode(query)
        headers = [self._auth or self._login()]
        if form is not None:
            headers.append("Content-Type: application/x-www-form-urlencoded")
        response = self._http.request(method, target, headers=headers, body=form)
        self.server_time = response.date or self.server_time
        return response

    def _call(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]] | None = None,
        form: list[tuple[str, str]] | None = None,
    ) -> HttpResponse:
        """One API call; a 401 logs in again (and fetches a new T token) once."""
        query = [*(query or []), ("output", "json")]
        for attempt in (0, 1):
            data = None
            if form is not None:
                data = urlencode([*form, ("T", self._post_token())]).encode()
            response = self._send(method, path, query, data)
            if response.status != 401 or attempt:
                break
            # An expired session or T token (FreshRSS says X-Reader-Google-Bad-Token).
            self._auth = None
            self._token = None
        check_status(response, self._host, self._auth_hint)
        return response

    def _post_token(self) -> str:
        if self._token is None:
            response = self._send("GET", "token", [], None)
            if response.status == 401:
                self._auth = None
                response = self._send("GET", "token", [], None)
            check_status(response, self._host, self._auth_hint)
            self._token = response.text().strip()
        return self._token

    def _json(self, path: str, query: list[tuple[str, str]] | None = None) -> Any:
        return load_json(self._call("GET", path, query), self._host, path)

    # ------------------------------------------------------------------ reading

    def verify(self) -> None:
        self._auth = None
        self._login()
        self._post_token()

    def categories(self) -> list[RemoteCategory]:
        data = expect(self._json("tag/list"), dict, self._host, "tag/list")
        found = []
        for tag in data.get("tags") or []:
            if isinstance(tag, dict) and isinstance(tag.get("id"), str):
                title = _label(tag["id"])
                if title:
                    found.append(RemoteCategory(id=LABEL + title, title=line(title)))
        return found

    def feeds(self) -> list[RemoteFeed]:
        data = expect(self._json("subscription/list"), dict, self._host, "subscription/list")
        return [
            self._feed(item)
            for item in data.get("subscriptions") or []
            if isinstance(item, dict) and isinstance(item.get("id"), str)
        ]

    def _feed(self, item: dict[str, Any]) -> RemoteFeed:
        category = ""
        for tag in item.get("categories") or []:
            if isinstance(tag, dict):
                category = line(tag.get("label") or _label(str(tag.get("id", ""))))
                if category:
                    break
        return RemoteFeed(
            id=item["id"],
            title=line(item.get("title")),
            url=url(item.get("url")),
            site_url=url(item.get("htmlUrl")),
            category=category,
        )

    def _ids(
        self, stream: str, *, include: str = "", exclude: str = "", since: int = 0
    ) -> list[str]:
        """Every item id of a stream (long form), oldest first where the server obeys."""
        query = [("s", stream), ("n", str(IDS_PAGE)), ("r", "o")]
        if include:
            query.append(("it", include))
        if exclude:
            query.append(("xt", exclude))
        if since:
            query.append(("ot", str(since)))
        found: list[str] = []
        continuation: str | None = None
        for _ in range(_MAX_PAGES):
            page = query + ([("c", continuation)] if continuation else [])
            data = expect(self._json("stream/items/ids", page), dict, self._host, "item ids")
            refs = [r["id"] for r in data.get("itemRefs") or [] if isinstance(r, dict)]
            found.extend(long_id(str(ref)) for ref in refs if str(ref).lstrip("-").isdigit())
            following = data.get("continuation")
            # Miniflux says 0 at the end, FreshRSS leaves it out.
            if not refs or following in (None, "", 0, "0") or str(following) == continuation:
                return found
            continuation = str(following)
        raise ProtocolError(f"{self._host} kept sending more pages of item ids")

    def unread_ids(self) -> frozenset[str]:
        return frozenset(self._ids(READING_LIST, exclude=READ))

    def starred_ids(self) -> frozenset[str]:
        return frozenset(self._ids(STARRED))

    def flag_counts(self) -> None:
        """None: the stream of entries newer than a time says nothing of flag changes,
        so the engine reads the unread and starred id lists (cheap here)."""
        return None

    def entries_since(self, since: int | None) -> Iterator[RemoteEntry]:
        """Entries published after `since` (unix seconds; None: every entry)."""
        return self.entries(self._ids(READING_LIST, since=since or 0))

    def entries(self, ids: Sequence[str]) -> Iterator[RemoteEntry]:
        for chunk in batches([long_id(i) for i in ids], CONTENTS_BATCH):
            response = self._call(
                "POST", "stream/items/contents", form=[("i", item) for item in chunk]
            )
            data = expect(load_json(response, self._host, "contents"), dict, self._host, "items")
            for item in data.get("items") or []:
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    yield self._entry(item)

    def _entry(self, item: dict[str, Any]) -> RemoteEntry:
        tags = [t for t in item.get("categories") or [] if isinstance(t, str)]
        link = ""
        for key in ("canonical", "alternate"):
            for ref in item.get(key) or []:
                if isinstance(ref, dict) and not link:
                    link = url(ref.get("href"))
        origin = item.get("origin") if isinstance(item.get("origin"), dict) else {}
        content = item.get("content") if isinstance(item.get("content"), dict) else None
        content = content or (item.get("summary") if isinstance(item.get("summary"), dict) else {})
        return RemoteEntry(
            id=long_id(item["id"]) if item["id"].startswith(LONG_ID) else item["id"],
            feed_id=str(origin.get("streamId", "")) if origin else "",
            title=line(item.get("title")),
            url=link,
            author=line(item.get("author")),
            content_html=body(content.get("content") if content else ""),
            published=timestamp(item.get("published")),
            read=any(t.endswith("/state/com.google/read") for t in tags),
            starred=any(t.endswith("/state/com.google/starred") for t in tags),
        )

    # ------------------------------------------------------------------ flags

    def _edit_tag(self, ids: Sequence[str], tag: str, add: bool) -> None:
        for chunk in batches(list(ids), EDIT_BATCH):
            form = [("i", item) for item in chunk] + [("a" if add else "r", tag)]
            self._call("POST", "edit-tag", form=form)

    def set_read(self, ids: Sequence[str], read: bool) -> int:
        # Only what differs from the server: Miniflux 2.2.6 toggles whatever it is sent.
        unread = self.unread_ids()
        wanted = [long_id(i) for i in ids]
        # An id the server does not hold counts as "read" here; removing the read tag
        # from it is a no-op on every server.
        changing = [i for i in wanted if (i in unread) == read]
        self._edit_tag(changing, READ, add=read)
        return len(changing)

    def set_starred(self, ids: Sequence[str], starred: bool) -> int:
        current = self.starred_ids()
        changing = [i for i in (long_id(x) for x in ids) if (i in current) != starred]
        self._edit_tag(changing, STARRED, add=starred)
        return len(changing)

    def mark_all_read(
        self, *, feed_id: str | None = None, category_id: str | None = None, before: int | None
    ) -> None:
        stream = feed_id or category_id or READING_LIST
        form = [("s", stream)]
        if before is not None:
            form.append(("ts", str(before * 1_000_000)))  # microseconds, as Google Reader
        response = self._call("POST", "mark-all-as-read", form=form)
        if response.text().strip() == "OK":
            return
        # Not implemented (Miniflux 2.2.6 answers []): mark the unread items ourselves.
        streams = [stream]
        if category_id:  # Miniflux cannot list a label stream: its feeds, one by one
            title = _label(category_id)
            streams = [f.id for f in self.feeds() if f.category == title]
        unread = self.unread_ids()
        for name in streams:
            ids = [i for i in self._ids_before(name, before) if i in unread]
            self._edit_tag(ids, READ, add=True)

    def _ids_before(self, stream: str, before: int | None) -> list[str]:
        if before is None:
            return self._ids(stream, exclude=READ)
        ids = self._ids(stream, exclude=READ)
        # `nt` is not honoured the same way everywhere: filter by the items' own dates.
        return [
            e.id for e in self.entries(ids) if e.published and e.published.timestamp() <= before
        ]

    # ------------------------------------------------------------------ subscriptions

    def _edit(self, form: list[tuple[str, str]]) -> None:
        response = self._call("POST", "subscription/edit", form=form)
        if response.text().strip() not in ("OK", ""):
            raise ProtocolError(f"{self._host} did not confirm the subscription change")

    def subscribe(self, url: str, category: str = "", title: str = "") -> RemoteFeed:
        form = [("ac", "subscribe"), ("s", f"feed/{url}")]
        if category:
            form.append(("a", LABEL + category))
        if title:
            form.append(("t", title))
        self._edit(form)
        feeds = self.feeds()
        for feed in feeds:
            if feed.url.rstrip("/") == url.rstrip("/"):
                return feed
        raise ProtocolError(f"{self._host} accepted the feed but does not list it")

    def unsubscribe(self, feed_id: str) -> None:
        self._edit([("ac", "unsubscribe"), ("s", feed_id)])

    def rename_feed(self, feed_id: str, title: str) -> None:
        self._edit([("ac", "edit"), ("s", feed_id), ("t", title)])

    def move_feed(self, feed_id: str, category: str) -> None:
        form = [("ac", "edit"), ("s", feed_id), ("a", LABEL + category)]
        old = next((f.category for f in self.feeds() if f.id == feed_id), "")
        if old and old != category:
            form.append(("r", LABEL + old))  # FreshRSS moves by remove + add
        self._edit(form)

    def cancel(self) -> None:
        self._http.cancel()

    def close(self) -> None:
        self._http.close()
