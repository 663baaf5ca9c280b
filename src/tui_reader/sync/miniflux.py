"""Miniflux's own REST API (`/v1/`), as a `SyncClient`.

Authentication: an API token (`X-Auth-Token`, preferred: basic auth costs the server a bcrypt
check per call, 80-230 ms measured) or user and password (HTTP basic auth).

Facts this module builds on (Miniflux 2.2.6, measured): `PUT /v1/entries` with a status is
idempotent; `PUT /v1/entries/{id}/bookmark` TOGGLES, so the starred state is read first and
only entries whose state differs are toggled; `GET /v1/entries?changed_after=<unix s>` lists
entries changed (new, or flags changed) since then. Lists are paged by entry id
(`after_entry_id`), not by offset, so entries arriving during a sync cannot shift a page.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import orjson

from .base import FlagCounts, ProtocolError, RemoteCategory, RemoteEntry, RemoteFeed
from .common import batches, body, check_status, expect, host_of, line, load_json, timestamp, url
from .http import HttpClient

PAGE = 250  # entries per list call (with bodies)
STATUS_BATCH = 1000  # ids per PUT /v1/entries
# Up to this many ids, the starred state is read entry by entry; above, the whole list.
_FEW = 20


class MinifluxClient:
    """One Miniflux account over the REST API. Give `token`, or `user` and `password`."""

    kind = "miniflux"

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        user: str | None = None,
        password: str | None = None,
        http: HttpClient | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._host = host_of(self._base)
        if token:
            self._auth = f"X-Auth-Token: {token}"
            self._auth_hint = f"{self._host} refused the API token (wrong or revoked token)"
        elif user and password is not None:
            pair = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
            self._auth = f"Authorization: Basic {pair}"
            self._auth_hint = f"{self._host}: wrong user or password"
        else:
            raise ValueError("an API token, or a user and a password, is needed")
        self._http = http or HttpClient()
        self.server_time: datetime | None = None

    def __repr__(self) -> str:  # never the secret
        return f"MinifluxClient({self._host!r})"

    # ------------------------------------------------------------------ transport

    def _call(self, method: str, path: str, payload: object = None, **query: Any) -> Any:
        target = f"{self._base}/v1/{path}"
        params = {k: v for k, v in query.items() if v is not None}
        if params:
            target += "?" + urlencode(params)
        headers = [self._auth, "Accept: application/json"]
        data = None
        if payload is not None:
            data = orjson.dumps(payload)
            headers.append("Content-Type: application/json")
        response = self._http.request(method, target, headers=headers, body=data)
        self.server_time = response.date or self.server_time
        check_status(response, self._host, self._auth_hint)
        if response.status == 204 or not response.body.strip():
            return None
        return load_json(response, self._host, path.split("/")[0])

    # ------------------------------------------------------------------ reading

    def verify(self) -> None:
        expect(self._call("GET", "me"), dict, self._host, "me")

    def categories(self) -> list[RemoteCategory]:
        data = expect(self._call("GET", "categories"), list, self._host, "categories")
        return [
            RemoteCategory(id=str(item["id"]), title=line(item.get("title")))
            for item in data
            if isinstance(item, dict) and "id" in item
        ]

    def feeds(self) -> list[RemoteFeed]:
        data = expect(self._call("GET", "feeds"), list, self._host, "feeds")
        return [self._feed(item) for item in data if isinstance(item, dict) and "id" in item]

    def _feed(self, item: dict[str, Any]) -> RemoteFeed:
        category = item.get("category") if isinstance(item.get("category"), dict) else {}
        return RemoteFeed(
            id=str(item["id"]),
            title=line(item.get("title")),
            url=url(item.get("feed_url")),
            site_url=url(item.get("site_url")),
            category=line(category.get("title")) if category else "",
        )

    def _entry(self, item: dict[str, Any]) -> RemoteEntry:
        return RemoteEntry(
            id=str(item["id"]),
            feed_id=str(item.get("feed_id", "")),
            title=line(item.get("title")),
            url=url(item.get("url")),
            author=line(item.get("author")),
            content_html=body(item.get("content")),
            published=timestamp(item.get("published_at")),
            read=item.get("status") == "read",
            starred=bool(item.get("starred")),
        )

    def _pages(self, path: str = "entries", **query: Any) -> Iterator[dict[str, Any]]:
        """Every entry of a list, oldest id first, paged by id."""
        after = 0
        while True:
            data = self._call(
                "GET", path, order="id", direction="asc", limit=PAGE,
                after_entry_id=after or None, **query,
            )  # fmt: skip
            data = expect(data, dict, self._host, "entries")
            items = [e for e in data.get("entries") or [] if isinstance(e, dict) and "id" in e]
            yield from items
            if len(items) < PAGE:
                return
            newest = max(int(e["id"]) for e in items)
            if newest <= after:  # a server that ignores after_entry_id: stop, do not loop
                raise ProtocolError(f"{self._host} repeated a page of entries")
            after = newest

    def unread_ids(self) -> frozenset[str]:
        return frozenset(str(e["id"]) for e in self._pages(status="unread"))

    def starred_ids(self) -> frozenset[str]:
        return frozenset(str(e["id"]) for e in self._pages(starred="true"))

    def flag_counts(self) -> FlagCounts | None:
        """Unread entries per feed (`/v1/feeds/counters`) and the starred total (a list
        call of one entry, for its `total`): two cheap calls. `changed_after` reports
        entries whose flags changed, so these only check what it said. None from a
        server that refuses either call (older than 2.0.37, say): the engine then reads
        the full lists."""
        try:
            counters = expect(self._call("GET", "feeds/counters"), dict, self._host, "counters")
            starred = expect(
                self._call("GET", "entries", starred="true", limit=1), dict, self._host, "entries"
            )
        except ProtocolError:
            return None
        unreads = counters.get("unreads")
        total = starred.get("total")
        if not isinstance(unreads, dict) or not isinstance(total, int):
            return None
        return FlagCounts(
            unread_by_feed={str(k): v for k, v in unreads.items() if isinstance(v, int) and v},
            starred=total,
        )

    def entries_since(self, since: int | None) -> Iterator[RemoteEntry]:
        """New entries, and entries whose flags changed, since `since` (unix seconds)."""
        for item in self._pages(changed_after=since if since else None):
            if item.get("status") != "removed":
                yield self._entry(item)

    def entries(self, ids: Sequence[str]) -> Iterator[RemoteEntry]:
        for entry_id in ids:
            try:
                item = self._call("GET", f"entries/{int(entry_id)}")
            except ProtocolError:
                continue  # gone on the server (404)
            if isinstance(item, dict) and "id" in item:
                yield self._entry(item)

    # ------------------------------------------------------------------ flags

    def set_read(self, ids: Sequence[str], read: bool) -> int:
        numbers = [int(i) for i in ids]
        status = "read" if read else "unread"
        for chunk in batches(numbers, STATUS_BATCH):
            self._call("PUT", "entries", {"entry_ids": list(chunk), "status": status})
        return len(numbers)

    def set_starred(self, ids: Sequence[str], starred: bool) -> int:
        # The bookmark call toggles: learn the server's state, toggle only what differs.
        if len(ids) <= _FEW:
            current = {
                str(item["id"])
                for item in (self._call("GET", f"entries/{int(i)}") for i in ids)
                if isinstance(item, dict) and item.get("starred")
            }
        else:
            current = set(self.starred_ids())
        changing = [i for i in ids if (i in current) != starred]
        for entry_id in changing:
            self._call("PUT", f"entries/{int(entry_id)}/bookmark")
        return len(changing)

    def mark_all_read(
        self, *, feed_id: str | None = None, category_id: str | None = None, before: int | None
    ) -> None:
        if before is None:  # the server's own call: everything it has, however new
            if feed_id:
                self._call("PUT", f"feeds/{int(feed_id)}/mark-all-as-read")
            elif category_id:
                self._call("PUT", f"categories/{int(category_id)}/mark-all-as-read")
            else:
                me = expect(self._call("GET", "me"), dict, self._host, "me")
                self._call("PUT", f"users/{int(me['id'])}/mark-all-as-read")
            return
        # Bounded by time: the server's unread ids up to `before`, then one status call.
        path = "entries"
        if feed_id:
            path = f"feeds/{int(feed_id)}/entries"
        elif category_id:
            path = f"categories/{int(category_id)}/entries"
        ids = [str(e["id"]) for e in self._pages(path, status="unread", before=before + 1)]
        if ids:
            self.set_read(ids, True)

    # ------------------------------------------------------------------ subscriptions

    def _category_id(self, title: str) -> int:
        """The id of the category with this title, created when missing; "" means the
        server's first category (Miniflux puts every feed in one)."""
        existing = self.categories()
        if not title:
            if not existing:
                raise ProtocolError(f"{self._host} has no category to put the feed in")
            return int(existing[0].id)
        for category in existing:
            if category.title.casefold() == title.casefold():
                return int(category.id)
        created = expect(
            self._call("POST", "categories", {"title": title}), dict, self._host, "category"
        )
        return int(created["id"])

    def create_category(self, title: str) -> RemoteCategory:
        category_id = self._category_id(title)
        return RemoteCategory(id=str(category_id), title=line(title))

    def subscribe(self, url: str, category: str = "", title: str = "") -> RemoteFeed:
        payload = {"feed_url": url, "category_id": self._category_id(category)}
        created = expect(self._call("POST", "feeds", payload), dict, self._host, "new feed")
        feed_id = int(created["feed_id"])
        if title:
            self.rename_feed(str(feed_id), title)
        feed = expect(self._call("GET", f"feeds/{feed_id}"), dict, self._host, "feed")
        return self._feed(feed)

    def unsubscribe(self, feed_id: str) -> None:
        self._call("DELETE", f"feeds/{int(feed_id)}")

    def rename_feed(self, feed_id: str, title: str) -> None:
        self._call("PUT", f"feeds/{int(feed_id)}", {"title": title})

    def move_feed(self, feed_id: str, category: str) -> None:
        self._call("PUT", f"feeds/{int(feed_id)}", {"category_id": self._category_id(category)})

    def refresh_feed(self, feed_id: str) -> None:
        """Ask the server to fetch the feed now (tests, and `R` on a bound feed)."""
        self._call("PUT", f"feeds/{int(feed_id)}/refresh")

    def cancel(self) -> None:
        self._http.cancel()

    def close(self) -> None:
        self._http.close()
