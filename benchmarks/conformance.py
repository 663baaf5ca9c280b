"""Titles against feedparser's own well-formed corpus: how often do we store what it finds?

Not part of the test suite (feedparser is a test-only dependency and its corpus is not
ours to commit): the result is recorded in docs/parsing.md. Run with the project's venv
Python, with the test extra installed (`pip install -e .[test]` brings feedparser)::

    .venv/bin/python benchmarks/conformance.py            # summary
    .venv/bin/python benchmarks/conformance.py --list     # and every difference

The corpus is `tests/wellformed/` of feedparser's source distribution: the script runs
`pip download --no-binary :all: feedparser==<installed version>` into `--cache` (default
a folder in the temp dir) the first time, and reads it from there afterwards.

For every document where feedparser finds entries with titles, each such entry's title
is compared with ours, whitespace collapsed. feedparser's titles are HTML unless their
type is text/plain: their tags are stripped and entities decoded, since ours are the plain
text a person reads (an entry whose title is nothing but tags has no title). Entries are
paired by position; where the two parsers keep different numbers of entries they are
paired by id, then link, then in order, and an entry we do not keep counts as a
difference.
"""

from __future__ import annotations

import argparse
import calendar
import html
import re
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from tui_reader.feeds.parse import FeedParseError, parse_feed
from tui_reader.models import NewArticle

FETCHED_AT = datetime(2025, 1, 1, tzinfo=UTC)
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "tui-reader-feedparser-corpus"
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


@dataclass
class Difference:
    path: str
    theirs: str
    ours: str | None  # None: we have no entry to pair with theirs


def corpus_dir(cache: Path) -> Path:
    """The `tests/wellformed` folder, downloading and unpacking the sdist if needed."""
    version = metadata.version("feedparser")
    root = cache / f"feedparser-{version}"
    wellformed = root / "tests" / "wellformed"
    if wellformed.is_dir():
        return wellformed
    cache.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"),
            *("--no-binary", ":all:", f"feedparser=={version}", "-d", str(cache)),
        ],
        check=True,
    )
    (sdist,) = cache.glob(f"feedparser-{version}.tar.gz")
    with tarfile.open(sdist) as archive:
        archive.extractall(cache, filter="data")
    if not wellformed.is_dir():
        raise SystemExit(f"the feedparser {version} sdist has no tests/wellformed folder")
    return wellformed


def _theirs(entry: Any) -> str:
    """feedparser's title as plain text: its value is (sanitised) HTML for every type but
    text/plain, so tags go and entities are decoded there."""
    title = entry.get("title") or ""
    kind = (entry.get("title_detail") or {}).get("type") or ""
    if kind != "text/plain":
        title = html.unescape(_TAG.sub("", title))
    return _SPACE.sub(" ", title).strip()


def _ours(article: NewArticle) -> str:
    """Our title is plain text already (a "<b>" in it is text): whitespace only."""
    return _SPACE.sub(" ", article.title).strip()


def _pair(theirs: list[Any], ours: tuple[NewArticle, ...]) -> list[NewArticle | None]:
    """Our article for each of their entries: by position when both keep the same number,
    else by id, then link, then the rest in order (an entry we dropped pairs with None)."""
    if len(theirs) == len(ours):
        return list(ours)
    by_key = {a.key: a for a in ours} | {a.link: a for a in ours if a.link}
    paired: list[NewArticle | None] = []
    for entry in theirs:
        found = by_key.get((entry.get("id") or "").strip()) or by_key.get(entry.get("link") or "")
        paired.append(found)
    rest = iter([a for a in ours if all(a is not p for p in paired)])
    return [p if p is not None else next(rest, None) for p in paired]


def compare(path: Path) -> tuple[int, list[Difference]]:
    """(titled entries feedparser finds, our differences) for one document."""
    import feedparser

    data = path.read_bytes()
    result = feedparser.parse(data)
    entries = result.entries
    titled = sum(1 for e in entries if _theirs(e))
    if not titled:
        return 0, []
    try:
        ours = parse_feed(data, url="http://example.com/feed.xml", fetched_at=FETCHED_AT).articles
    except FeedParseError as exc:
        return titled, [Difference(str(path), _theirs(e), f"(error: {exc})") for e in entries]
    differences = []
    for entry, article in zip(entries, _pair(entries, ours), strict=True):
        theirs = _theirs(entry)
        if not theirs:
            continue  # feedparser finds no title here (after stripping its tags)
        if article is None:
            differences.append(Difference(str(path), theirs, None))
        elif _ours(article) != theirs:
            differences.append(Difference(str(path), theirs, article.title))
    return titled, differences


def other_fields(path: Path) -> dict[str, tuple[int, int]]:
    """Informational, over the entries both keep: {field: (entries feedparser gives it
    for, entries we agree on)} for
    http(s) links (host case and a trailing "/" aside: we normalise URLs) and dates (ours
    keep the fraction of a second that feedparser drops; a future date is clamped)."""
    import feedparser

    data = path.read_bytes()
    entries = feedparser.parse(data).entries
    counts = {"link": [0, 0], "date": [0, 0]}
    try:
        ours = parse_feed(data, url="http://example.com/feed.xml", fetched_at=FETCHED_AT).articles
    except FeedParseError:
        ours = ()
    for entry, article in zip(entries, _pair(entries, ours), strict=True):
        if article is None:
            continue  # an entry we do not keep (one with only a date, say): titles count it
        link = entry.get("link") or ""
        if link.startswith(("http://", "https://")):
            counts["link"][0] += 1
            if article.link.lower().rstrip("/") == link.lower().rstrip("/"):
                counts["link"][1] += 1
        when = entry.get("published_parsed") or entry.get("updated_parsed")
        if when:
            counts["date"][0] += 1
            theirs = min(datetime.fromtimestamp(calendar.timegm(when), UTC), FETCHED_AT)
            if article.published.replace(microsecond=0) == theirs:
                counts["date"][1] += 1
    return {name: (total, same) for name, (total, same) in counts.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--list", action="store_true", help="print every difference")
    parser.add_argument("--fields", action="store_true", help="also compare links and dates")
    args = parser.parse_args(argv)
    try:
        import feedparser  # noqa: F401
    except ImportError:
        print("feedparser is not installed: pip install -e '.[test]'", file=sys.stderr)
        return 2
    wellformed = corpus_dir(args.cache)
    files = sorted(p for p in wellformed.rglob("*") if p.is_file())
    documents = titled = 0
    differences: list[Difference] = []
    for path in files:
        count, found = compare(path)
        if count:
            documents += 1
            titled += count
            differences.extend(found)
    same = titled - len(differences)
    share = 100 * same / titled if titled else 0.0
    print(
        f"{len(files)} documents, {documents} with titled entries, {titled} titled entries: "
        f"{same} same titles ({share:.1f}%), {len(differences)} different"
    )
    if args.fields:
        totals = {"link": [0, 0], "date": [0, 0]}
        for path in files:
            for name, (total, same) in other_fields(path).items():
                totals[name][0] += total
                totals[name][1] += same
        for name, (total, same) in totals.items():
            print(f"{name}s: {same} of {total} the same ({100 * same / max(total, 1):.1f}%)")
    if args.list:
        for difference in differences:
            relative = Path(difference.path).relative_to(wellformed)
            print(f"{relative}\n    feedparser: {difference.theirs!r}")
            print(f"    ours:       {difference.ours!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
