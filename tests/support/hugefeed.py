#!/usr/bin/env python3
"""The volume attack (hostile case v07): one feed with tens of thousands of items.

Written on demand rather than checked in (50,000 items are about 20 MB). Standard library
only and deterministic: item `n` has the id `urn:tui-reader:hv07-<n>`, the link
`https://hv07.example.invalid/items/<n>` and is dated `n` minutes before
2024-06-01 12:00 UTC, newest first.

    python tests/support/hugefeed.py --out /tmp/hv07.rss
    python tests/support/hugefeed.py --out /tmp/hv07.json --format json --items 5000
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

NEWEST = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
SITE = "https://hv07.example.invalid/"
FILLER = "HV07 volume filler, the same words again and again so that the file is big. "


def _item(n: int, body_bytes: int) -> tuple[str, str, str, datetime, str]:
    when = NEWEST - timedelta(minutes=n)
    body = (FILLER * (body_bytes // len(FILLER) + 1))[:body_bytes]
    return f"HV07 item {n}", f"{SITE}items/{n}", f"urn:tui-reader:hv07-{n}", when, body


def _rss(items: int, body_bytes: int) -> Iterator[str]:
    yield '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>\n'
    yield f"<title>HV07 huge feed</title><link>{SITE}</link><description>volume</description>\n"
    for n in range(items):
        title, link, guid, when, body = _item(n, body_bytes)
        date = when.strftime("%a, %d %b %Y %H:%M:%S +0000")
        yield (
            f"<item><title>{title}</title><link>{link}</link>"
            f'<guid isPermaLink="false">{guid}</guid><pubDate>{date}</pubDate>'
            f"<description>&lt;p&gt;{body}&lt;/p&gt;</description></item>\n"
        )
    yield "</channel></rss>\n"


def _atom(items: int, body_bytes: int) -> Iterator[str]:
    yield '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
    yield f'<title>HV07 huge feed</title><id>urn:tui-reader:hv07</id><link href="{SITE}"/>\n'
    yield f"<updated>{NEWEST:%Y-%m-%dT%H:%M:%SZ}</updated>\n"
    for n in range(items):
        title, link, guid, when, body = _item(n, body_bytes)
        yield (
            f'<entry><title>{title}</title><link href="{link}"/><id>{guid}</id>'
            f"<updated>{when:%Y-%m-%dT%H:%M:%SZ}</updated>"
            f'<content type="html">&lt;p&gt;{body}&lt;/p&gt;</content></entry>\n'
        )
    yield "</feed>\n"


def _json(items: int, body_bytes: int) -> Iterator[str]:
    entries = []
    for n in range(items):
        title, link, guid, when, body = _item(n, body_bytes)
        entries.append(
            {
                "id": guid,
                "url": link,
                "title": title,
                "content_html": f"<p>{body}</p>",
                "date_published": f"{when:%Y-%m-%dT%H:%M:%SZ}",
            }
        )
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "HV07 huge feed",
        "home_page_url": SITE,
        "items": entries,
    }
    yield json.dumps(document) + "\n"


FORMATS = {"rss": _rss, "atom": _atom, "json": _json}


def write(out: Path, items: int = 50_000, fmt: str = "rss", body_bytes: int = 300) -> Path:
    with open(out, "w", encoding="utf-8", newline="\n") as stream:
        stream.writelines(FORMATS[fmt](items, body_bytes))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--format", choices=sorted(FORMATS), default="rss")
    parser.add_argument("--body-bytes", type=int, default=300, help="filler text per item")
    args = parser.parse_args(argv)
    write(args.out, args.items, args.format, args.body_bytes)
    print(f"{args.out}: {args.items} items, {args.out.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
