#!/usr/bin/env python3
"""Deterministic feed corpus for tests and benchmarks (standard library only).

`gen` writes N feeds of M items each into a directory::

    feeds/f0001.xml ...   RSS 2.0 or Atom 1.0 (sniff the content; the name does not say)
    feeds/f0008.json ...  JSON Feed 1.1 (every eighth feed; `--no-json` makes them RSS)
    manifest.json         one record per feed: file, format, title, site, category, items
    feeds.opml            OPML 2.0 with one folder per category
    urls                  a newsboat urls file: `<url> "<category>"`

Items average about 3 KiB: an HTML body of paragraphs with links, emphasis, lists,
quotes, code and images, a title, author, categories and a date. The same arguments
always give the same bytes, and each file's mtime is its newest item's date, so a server
that derives Last-Modified and ETag from the file gives stable validators too.

`--epoch E` lets time pass: at each epoch about one feed in five publishes 1-5 new items
(its oldest ones drop off), so `gen --epoch 1` into the same directory, served on the
same port, is a refresh in which only some feeds changed.

`relink DIR --base-url URL` rewrites `urls` and `feeds.opml` for another server address
(after `feedserver.py --port 0`). The feed files never contain the base URL.

    python tests/support/feedcorpus.py gen --out /tmp/corpus -n 200 -m 50 --seed 1
    python tests/support/feedcorpus.py gen --out /tmp/corpus -n 200 -m 50 --seed 1 --epoch 1
    python tests/support/feedcorpus.py relink /tmp/corpus --base-url http://127.0.0.1:9000/
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import sys
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

DEFAULT_BASE_URL = "http://127.0.0.1:8765/"
CATEGORIES = ("World", "Tech", "Science", "Code", "Arts", "Money", "Games", "Personal")
# The newest item of epoch 0 is dated just before this moment.
EPOCH0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
GROWTH_SHARE = 0.2  # feeds that publish something at each epoch
JSON_EVERY = 8  # every eighth feed is a JSON Feed (unless --no-json)

_CONSONANTS = "b c d f g h j k l m n p r s t v w z br cr dr fl gr pl sk sl sp st tr th sh ch"
_VOWELS = "a e i o u a e o ai au ei ia io oa ou"
_ENDINGS = ["", "", "", "n", "s", "t", "r", "l", "x", "nd", "st", "rk", "ng", "ll"]
_PEOPLE = (
    "Aino Bakker",
    "Bruno Castro",
    "Chidi Okafor",
    "Dana Kowalczyk",
    "Elif Şahin",
    "Femi Adeyemi",
    "Greta Lindholm",
    "Hiro Sato",
    "Ines Moreau",
    "Jonas Weiß",
    "Kavya Iyer",
    "Luca Bianchi",
    "Mei Chen",
    "Nils Øvergaard",
    "Olga Ivanova",
    "Pablo Núñez",
    "Ravi Menon",
    "Sofia Costa",
    "Tuomas Virtanen",
    "Yara Haddad",
)
# Real UTF-8 beyond ASCII, now and then, so parsers and terminals see some.
_SPICE = (
    "über",
    "façade",
    "déjà vu",
    "–",
    "„Zitat“",
    "…",
    "東京",
    "한국어",
    "λ",
    "£",
    "¾",
    "✔",
    "⇒",
    "🚀",
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TLDS = ("com", "net", "org", "dev", "blog", "de", "fr")


class Vocabulary:
    """Made-up words with a Zipf-like frequency, fixed by the corpus seed."""

    def __init__(self, seed: str) -> None:
        rng = random.Random(f"words/{seed}")
        onsets, vowels = _CONSONANTS.split(), _VOWELS.split()
        words: dict[str, None] = {}  # ordered and unique
        while len(words) < 2500:
            syllables = rng.choice((1, 1, 2, 2, 2, 3, 3, 4))
            word = "".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(syllables))
            words[word + rng.choice(_ENDINGS)] = None
        # Short words are the common ones, as in real text.
        self.words = sorted(words, key=lambda w: (len(w), rng.random()))
        self.weights = list(itertools.accumulate(1 / (rank + 2) for rank in range(len(words))))

    def pick(self, rng: random.Random, count: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.weights, k=count)

    def sentence(self, rng: random.Random, low: int = 7, high: int = 22) -> str:
        words = self.pick(rng, rng.randint(low, high))
        if rng.random() < 0.1:
            words.insert(rng.randrange(len(words)), rng.choice(_SPICE))
        text = " ".join(words)
        return text[0].upper() + text[1:] + rng.choice("......!?")

    def headline(self, rng: random.Random) -> str:
        words = [w.title() if rng.random() < 0.5 else w for w in self.pick(rng, rng.randint(3, 11))]
        if rng.random() < 0.08:
            words.append(rng.choice(_SPICE))
        if rng.random() < 0.06:
            words.insert(0, "R&D:")  # an ampersand the writer must escape
        if rng.random() < 0.08:
            words.append(f"[{rng.randint(1, 99)}]")  # brackets that are not markup
        return " ".join(words)


def slugify(text: str) -> str:
    kept = "".join(c if c.isascii() and c.isalnum() else " " for c in text.lower())
    return "-".join(kept.split())[:50] or "item"


@dataclass(frozen=True)
class Feed:
    """What a feed is, whatever the epoch."""

    index: int
    file: str
    format: str  # "rss", "atom" or "json"
    title: str
    site: str
    host: str
    category: str
    about: str
    language: str
    every: int  # seconds between posts
    paragraphs: tuple[int, int]
    authors: tuple[str, ...]
    topics: tuple[str, ...]
    summary_too: bool  # RSS: a short description plus content:encoded
    cdata: bool

    def published(self, seed: str, epoch: int) -> int:
        """How many items the feed has published by the end of `epoch`."""
        rng = random.Random(f"growth/{seed}/{self.index}")
        extra = 0
        for _ in range(epoch):
            if rng.random() < GROWTH_SHARE:
                extra += rng.randint(1, 5)
        return extra

    def when(self, seed: str, number: int, newest: int) -> datetime:
        """The date of item `number`; item `newest` is the latest of epoch 0."""
        jitter = random.Random(f"jitter/{seed}/{self.index}/{number}").randrange(
            self.every // 4 + 1
        )
        return EPOCH0 - timedelta(seconds=(newest - number) * self.every + jitter)


def make_feed(words: Vocabulary, seed: str, index: int, json_feeds: bool) -> Feed:
    rng = random.Random(f"feed/{seed}/{index}")
    # Always drawn, so that --no-json changes nothing but the JSON feeds' format.
    fmt, suffix = ("atom" if rng.random() < 0.35 else "rss"), "xml"
    if index % JSON_EVERY == 0:
        fmt, suffix = ("json", "json") if json_feeds else ("rss", "xml")
    name = " ".join(w.title() for w in words.pick(rng, rng.randint(1, 3)))
    kind = rng.choice(("Times", "Log", "Letters", "Dispatch", "Notebook", "Weekly", "Radio", ""))
    host = f"{slugify(name)}.example.{rng.choice(_TLDS)}"
    return Feed(
        index=index,
        file=f"feeds/f{index:04d}.{suffix}",
        format=fmt,
        title=f"{name} {kind}".strip(),
        site=f"https://{host}/",
        host=host,
        category=CATEGORIES[rng.randrange(len(CATEGORIES))],
        about=words.sentence(rng, 4, 12),
        language=rng.choice(("en", "en", "en-gb", "de", "fr", "es", "ja")),
        # From half an hour to a week between posts.
        every=int(1800 * 336 ** rng.random()),
        paragraphs=rng.choice(((2, 4), (3, 7), (5, 9), (7, 13))),
        authors=tuple(rng.sample(_PEOPLE, rng.randint(1, 3))),
        topics=tuple(words.pick(rng, 10)),
        summary_too=fmt == "rss" and rng.random() < 0.3,
        cdata=rng.random() < 0.5,
    )


def body_html(words: Vocabulary, rng: random.Random, feed: Feed, link: str) -> str:
    """A post: paragraphs with inline markup, and now and then a figure, list, quote or code."""
    blocks = []
    for _ in range(rng.randint(*feed.paragraphs)):
        sentences = []
        for _ in range(rng.randint(2, 5)):
            text = words.sentence(rng)
            roll = rng.random()
            if roll < 0.2:
                word = words.pick(rng, 1)[0]
                text += f' See <a href="https://{feed.host}/topics/{word}">{word}</a>.'
            elif roll < 0.28:
                text = f"<strong>{text}</strong>"
            elif roll < 0.33:
                text = f"<em>{text}</em>"
            elif roll < 0.38:
                text += f" Call <code>{words.pick(rng, 1)[0]}()</code> first."
            sentences.append(text)
        blocks.append(f"<p>{' '.join(sentences)}</p>")
        roll = rng.random()
        if roll < 0.15:
            width, height = rng.choice(((640, 480), (1024, 576), (1280, 720), (400, 300)))
            blocks.append(
                f'<figure><img src="https://media.{feed.host}/{rng.getrandbits(40):010x}.png"'
                f' width="{width}" height="{height}" alt={quoteattr(words.headline(rng))}/>'
                f"<figcaption>{escape(words.sentence(rng, 3, 7))}</figcaption></figure>"
            )
        elif roll < 0.23:
            entries = "".join(
                f"<li>{words.sentence(rng, 2, 8)}</li>" for _ in range(rng.randint(2, 5))
            )
            tag = rng.choice(("ul", "ol"))
            blocks.append(f"<{tag}>{entries}</{tag}>")
        elif roll < 0.27:
            blocks.append(f"<blockquote><p>{words.sentence(rng)}</p></blockquote>")
        elif roll < 0.30:
            lines = (
                f"{a} := {b}({rng.randint(0, 9)})"
                for a, b in (words.pick(rng, 2) for _ in range(4))
            )
            blocks.append(f"<pre><code>{escape(chr(10).join(lines))}</code></pre>")
    blocks.append(f'<p><a href="{escape(link)}">Read the rest of this post</a></p>')
    return "\n".join(blocks)


def make_item(words: Vocabulary, seed: str, feed: Feed, number: int, newest: int) -> dict[str, Any]:
    rng = random.Random(f"item/{seed}/{feed.index}/{number}")
    title = words.headline(rng)
    when = feed.when(seed, number, newest)
    link = f"{feed.site}{when:%Y/%m/%d}/{slugify(title)}-{number}"
    body = body_html(words, rng, feed, link)
    guid = link if rng.random() < 0.6 else f"tag:{feed.host},2024:post-{number}"
    return {
        "title": title,
        "link": link,
        "guid": guid,
        "when": when,
        "author": rng.choice(feed.authors),
        "tags": rng.sample(feed.topics, rng.randint(0, 3)),
        "body": body,
        "summary": words.sentence(rng, 12, 30) if feed.summary_too else None,
        "comments": rng.random() < 0.25,
    }


def rfc822(when: datetime) -> str:
    # email.utils.format_datetime would do; spelled out so the output never depends on locale.
    day = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[when.weekday()]
    month = _MONTHS[when.month - 1]
    return f"{day}, {when.day:02d} {month} {when.year} {when:%H:%M:%S} +0000"


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _maybe_cdata(text: str, cdata: bool) -> str:
    return f"<![CDATA[{text}]]>" if cdata and "]]>" not in text else escape(text)


def write_rss(feed: Feed, items: list[dict[str, Any]]) -> str:
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/">',
        "<channel>",
        f"<title>{escape(feed.title)}</title>",
        f"<link>{feed.site}</link>",
        f"<description>{escape(feed.about)}</description>",
        f"<language>{feed.language}</language>",
        f"<lastBuildDate>{rfc822(items[0]['when'])}</lastBuildDate>",
        "<generator>tui-reader feedcorpus</generator>",
    ]
    for item in items:
        permalink = "true" if item["guid"] == item["link"] else "false"
        out += [
            "<item>",
            f"<title>{escape(item['title'])}</title>",
            f"<link>{escape(item['link'])}</link>",
            f'<guid isPermaLink="{permalink}">{escape(item["guid"])}</guid>',
            f"<pubDate>{rfc822(item['when'])}</pubDate>",
            f"<dc:creator>{escape(item['author'])}</dc:creator>",
            *(f"<category>{escape(tag)}</category>" for tag in item["tags"]),
        ]
        if item["comments"]:
            out.append(f"<comments>{escape(item['link'])}#comments</comments>")
        if item["summary"] is None:
            out.append(f"<description>{_maybe_cdata(item['body'], feed.cdata)}</description>")
        else:
            out.append(f"<description>{escape(item['summary'])}</description>")
            out.append(f"<content:encoded>{_maybe_cdata(item['body'], True)}</content:encoded>")
        out.append("</item>")
    out.append("</channel>\n</rss>\n")
    return "\n".join(out)


def write_atom(feed: Feed, items: list[dict[str, Any]]) -> str:
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{feed.language}">',
        f"<title>{escape(feed.title)}</title>",
        f"<subtitle>{escape(feed.about)}</subtitle>",
        f"<id>tag:{feed.host},2024:feed</id>",
        f"<updated>{iso(items[0]['when'])}</updated>",
        f'<link rel="alternate" type="text/html" href="{feed.site}"/>',
        f"<author><name>{escape(feed.authors[0])}</name></author>",
        "<generator>tui-reader feedcorpus</generator>",
    ]
    for item in items:
        out += [
            "<entry>",
            f"<title>{escape(item['title'])}</title>",
            f'<link rel="alternate" href={quoteattr(item["link"])}/>',
            f"<id>{escape(item['guid'])}</id>",
            f"<published>{iso(item['when'])}</published>",
            f"<updated>{iso(item['when'])}</updated>",
            f"<author><name>{escape(item['author'])}</name></author>",
            *(f"<category term={quoteattr(tag)}/>" for tag in item["tags"]),
            f'<content type="html">{escape(item["body"])}</content>',
            "</entry>",
        ]
    out.append("</feed>\n")
    return "\n".join(out)


def write_json(feed: Feed, items: list[dict[str, Any]]) -> str:
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": feed.title,
        "home_page_url": feed.site,
        "description": feed.about,
        "language": feed.language,
        "authors": [{"name": feed.authors[0]}],
        "items": [
            {
                "id": item["guid"],
                "url": item["link"],
                "title": item["title"],
                "content_html": item["body"],
                "date_published": iso(item["when"]),
                "authors": [{"name": item["author"]}],
                "tags": item["tags"],
            }
            for item in items
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


WRITERS = {"rss": write_rss, "atom": write_atom, "json": write_json}


def feed_url(base_url: str, file: str) -> str:
    return base_url.rstrip("/") + "/" + file


def _write(path: Path, text: str, mtime: float | None = None) -> None:
    """Write through a temporary name, so a server never sends half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8", newline="\n")
    if mtime is not None:
        os.utime(tmp, (mtime, mtime))
    os.replace(tmp, path)


def write_lists(out: Path, manifest: dict[str, Any], base_url: str) -> None:
    """feeds.opml (a folder per category) and newsboat's urls (category as the tag)."""
    records = manifest["feeds"]
    urls = [f'{feed_url(base_url, r["file"])} "{r["category"]}"' for r in records]
    _write(out / "urls", "\n".join(urls) + "\n")
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        f"<head><title>feedcorpus seed {escape(str(manifest['seed']))}</title></head>",
        "<body>",
    ]
    for category in CATEGORIES:
        members = [r for r in records if r["category"] == category]
        if not members:
            continue
        lines.append(f"  <outline text={quoteattr(category)}>")
        for r in members:
            kind = "json" if r["format"] == "json" else "rss"
            lines.append(
                f"    <outline type={quoteattr(kind)} text={quoteattr(r['title'])}"
                f" title={quoteattr(r['title'])} xmlUrl={quoteattr(feed_url(base_url, r['file']))}"
                f" htmlUrl={quoteattr(r['site'])}/>"
            )
        lines.append("  </outline>")
    lines += ["</body>", "</opml>"]
    _write(out / "feeds.opml", "\n".join(lines) + "\n")


def generate(
    out: Path,
    feeds: int,
    items: int,
    seed: str = "1",
    epoch: int = 0,
    base_url: str = DEFAULT_BASE_URL,
    json_feeds: bool = True,
) -> dict[str, Any]:
    """Write the corpus into `out` and return its manifest."""
    out = Path(out)
    (out / "feeds").mkdir(parents=True, exist_ok=True)
    words = Vocabulary(seed)
    records = []
    hosts: set[str] = set()
    for index in range(1, feeds + 1):
        feed = make_feed(words, seed, index, json_feeds)
        if feed.host in hosts:
            # Two sites never share a host: their tag: guids and links would name the
            # same stories (the reader groups copies of a story across feeds). Only the
            # rare later twin changes; every other feed keeps its bytes.
            host = feed.host.replace(".example.", f"-{index}.example.", 1)
            feed = replace(feed, host=host, site=f"https://{host}/")
        hosts.add(feed.host)
        newest = items - 1  # epoch 0: items are numbered 0 .. items-1
        last = newest + feed.published(seed, epoch)
        chosen = [make_item(words, seed, feed, n, newest) for n in range(last, last - items, -1)]
        text = WRITERS[feed.format](feed, chosen)
        _write(out / feed.file, text, chosen[0]["when"].timestamp())
        records.append(
            {
                "index": index,
                "file": feed.file,
                "format": feed.format,
                "title": feed.title,
                "site": feed.site,
                "category": feed.category,
                "items": items,
                "published": last + 1,
                "bytes": len(text.encode("utf-8")),
            }
        )
    manifest = {
        "generator": "tui-reader feedcorpus",
        "seed": seed,
        "epoch": epoch,
        "feeds_count": feeds,
        "items_per_feed": items,
        "total_bytes": sum(r["bytes"] for r in records),
        "feeds": records,
    }
    _write(out / "manifest.json", json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    write_lists(out, manifest, base_url)
    return manifest


def relink(directory: Path, base_url: str) -> None:
    manifest = json.loads((Path(directory) / "manifest.json").read_text(encoding="utf-8"))
    write_lists(Path(directory), manifest, base_url)


def main(argv: list[str] | None = None) -> int:
    doc = __doc__ or ""
    parser = argparse.ArgumentParser(
        description=doc.split("\n\n")[0],
        epilog=doc.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    gen = commands.add_parser("gen", help="write a corpus")
    gen.add_argument("--out", required=True, type=Path)
    gen.add_argument("-n", "--feeds", type=int, default=200)
    gen.add_argument("-m", "--items", type=int, default=50, help="items per feed")
    gen.add_argument("--seed", default="1")
    gen.add_argument("--epoch", type=int, default=0, help="> 0: some feeds have new items")
    gen.add_argument("--base-url", default=DEFAULT_BASE_URL, help="where it will be served")
    gen.add_argument("--no-json", action="store_true", help="RSS instead of JSON Feed")
    gen.add_argument("-q", "--quiet", action="store_true")
    again = commands.add_parser("relink", help="point urls and feeds.opml at another server")
    again.add_argument("dir", type=Path)
    again.add_argument("--base-url", required=True)
    args = parser.parse_args(argv)
    if args.command == "relink":
        relink(args.dir, args.base_url)
        print(f"{args.dir}: urls and feeds.opml point at {args.base_url}")
        return 0
    if args.feeds < 1 or args.items < 1:
        parser.error("--feeds and --items must be at least 1")
    manifest = generate(
        args.out, args.feeds, args.items, args.seed, args.epoch, args.base_url, not args.no_json
    )
    if not args.quiet:
        count = args.feeds * args.items
        formats = {f: sum(r["format"] == f for r in manifest["feeds"]) for f in WRITERS}
        print(
            f"{args.out}: {args.feeds} feeds ({formats}), {count} items, "
            f"{manifest['total_bytes'] / 1e6:.1f} MB, "
            f"{manifest['total_bytes'] / count / 1024:.1f} KiB an item"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
