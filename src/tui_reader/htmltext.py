"""Plain text out of HTML without building a tree: the linear tag scanner and the word count.

Kept apart from `render.py` (which builds on it) because it imports nothing heavy: the
feed parser, in its worker processes, counts every article's words with `word_count`,
and must not load bs4 and markdown for that.
"""

from __future__ import annotations

import html as html_lib
import re

MAX_INPUT_CHARS = 200_000

# Tags that start a new block when text is extracted without markdownify.
BLOCK_TAGS = frozenset(
    {
        "p", "div", "article", "section", "blockquote", "br", "hr", "h1", "h2", "h3",
        "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "table", "tr", "td", "th",
        "caption", "pre", "figure", "figcaption", "header", "footer", "aside", "nav",
        "main", "address", "details", "summary", "body",
    }
)  # fmt: skip


# Elements whose content is not text a reader sees (raw-text elements, mostly).
_SKIP_CONTENT = ("script", "style", "noscript", "template", "title", "textarea", "svg", "head")
_TAG_START = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)|<[!?]")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
# A token (whitespace-separated) with no letter or digit, after a space: counted out.
# Cheap because such tokens are rare and the scan is in C; the caller puts a space first.
_WORDLESS_TOKEN = re.compile(r"\s[^\s\w]+(?!\S)")
# A tag with no "<" inside: linear (a scan from one "<" stops at the next). Used when the
# body has no comment, declaration or raw-text element, the only cases that need the
# scanner (sanitised bodies never have them).
_SIMPLE_TAG = re.compile(r"<(?:/?[A-Za-z][^<>]*)>")
_NEEDS_SCANNER = re.compile(r"<[!?]|<(?:" + "|".join(_SKIP_CONTENT) + r")\b", re.IGNORECASE)
# A cheap first look for `_NEEDS_SCANNER` (1 us against 7 on a typical body): what can
# start a comment, a declaration or one of the raw-text elements' tags.
_MAY_NEED_SCANNER = re.compile(r"<[!?sStTnNhH]")
_ASCII_BYTES = bytes(range(128))
# Every "<" that does not open a plain tag: one `_SIMPLE_TAG` would not match (comments
# and declarations among them), or one that may open a raw-text element (a prefix of one
# of `_SKIP_CONTENT`, with the non-ASCII letters that `_NEEDS_SCANNER` folds onto their
# letters: "\u017f" is not ASCII, so only "\u0130" and "\u0131" after "t"). Bodies
# without one (most) are counted with their tags in place (`_tagged_count`).
_NOT_A_PLAIN_TAG = re.compile(
    rb"<(?![A-Za-z]|/[A-Za-z])"
    rb"|<(?:[sS](?:[cC]|[tT][yY]|[vV])|[tT](?:[eEiI]|\xc4[\xb0\xb1])|[nN][oO]|[hH][eE][aA])"
)
_NOT_ANGLE = bytes(i for i in range(256) if i not in b"<>")


# Never in UTF-8: what a CJK character replaced one by one becomes, before the table.
_CJK_MARK = 0xFF


def _word_shape(keep_angles: bool) -> tuple[bytes, bytes]:
    """A `bytes.translate` table and delete set that turn UTF-8 text into its shape.

    ASCII letters, digits and "_" (what `\\w` matches) become "a", whitespace (what
    `str.split` splits on) " ", and everything else is deleted, non-ASCII bytes too: the
    caller maps or replaces the non-ASCII letters, digits and spaces (and CJK characters,
    as "c"). What is left has one run of "a"s per word. With `keep_angles`, "<" and ">"
    stay, to find the words inside tags.
    """
    table = bytearray(b"." * 256)
    for i in range(128):
        char = chr(i)
        if char.isalnum() or char == "_":
            table[i] = ord("a")
        elif char.isspace():
            table[i] = ord(" ")
        elif keep_angles and char in "<>":
            table[i] = i
    table[_CJK_MARK] = ord("c")
    return bytes(table), bytes(i for i in range(256) if table[i] == ord("."))


_TEXT_SHAPE = _word_shape(keep_angles=False)
_TAGGED_SHAPE = _word_shape(keep_angles=True)
_WORD_FLAGS = bytes(int(i == ord("a")) for i in range(256))
# A shape's "a", "<", ">" and "c" as bits 0 to 3 of each byte, to make four bit masks of
# one big integer.
_SHAPE_FLAGS = bytes(
    {ord("a"): 1, ord("<"): 2, ord(">"): 4, ord("c"): 8}.get(i, 0) for i in range(256)
)
# A 1 in each byte: a mask for one bit of each of a shape's bytes (longer shapes make theirs).
_ONES_LENGTH = 16 * 1024
_ONES = int.from_bytes(b"\x01" * _ONES_LENGTH, "little")
# Past this many non-ASCII letters, digits, spaces and CJK characters to replace one by
# one in a text, the regex path costs less.
_MAX_REPLACED_CHARS = 24
# Past this many distinct non-ASCII characters (Chinese, Japanese, Korean text), looking
# at each costs more than the regex path.
_MAX_DISTINCT_CHARS = 160
_NOT_WORD, _WORD, _SPACE, _CJK_CHAR, _MIXED = 0, 1, 2, 3, 4
# What a character of each kind becomes in the shape, and what it is replaced with in
# the UTF-8 text before the translation when its first byte cannot say.
_SHAPE_BYTE = {_WORD: ord("a"), _SPACE: ord(" "), _CJK_CHAR: ord("c")}
_REPLACEMENT = {_WORD: b"a", _SPACE: b" ", _CJK_CHAR: bytes((_CJK_MARK,))}
# Kinds of the non-ASCII characters seen so far (a text repeats few); bounded.
_KINDS: dict[str, int] = {}


def strip_tags(html: str, stop_after: int | None = None) -> str:
    """Text of `html` without building a tree: one linear pass, blocks become blank lines.

    A regex such as ``<!--.*?-->`` is quadratic on many unclosed comments; this scanner
    only ever moves forward. Attribute values containing ``>`` may leak a little text,
    which is fine for word counts and summaries. `stop_after` ends the scan once that many
    characters of text were collected.
    """
    out: list[str] = []
    collected = 0
    lower = html.lower()
    position, end = 0, len(html)
    while position < end:
        lt = html.find("<", position)
        if lt < 0:
            out.append(html[position:])
            break
        if lt > position:
            out.append(html[position:lt])
            collected += lt - position
            if stop_after is not None and collected >= stop_after:
                break
        match = _TAG_START.match(html, lt)
        if match is None:
            out.append("<")  # a lone "<" in text
            position = lt + 1
            continue
        if html.startswith("<!--", lt):
            close = html.find("-->", lt + 4)
            position = end if close < 0 else close + 3
            continue
        gt = html.find(">", lt)
        if gt < 0:
            break  # an unterminated tag swallows the rest, as in a browser
        position = gt + 1
        name = (match.group(2) or "").lower()
        if name in _SKIP_CONTENT and not match.group(1):
            close = lower.find("</" + name, position)
            if close < 0:
                break
            gt = html.find(">", close)
            position = end if gt < 0 else gt + 1
        out.append("\n\n" if name in BLOCK_TAGS else " ")
    return "".join(out)


def as_text(value: object) -> str:
    """Be forgiving about the type: bytes are decoded as UTF-8, None is empty."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray):
        return bytes(value[: MAX_INPUT_CHARS * 4]).decode("utf-8", errors="replace")
    return "" if value is None else str(value)


def _char_kind(char: str) -> int:
    """What one non-ASCII character is to the count, as the regex path sees it."""
    kind = _KINDS.get(char)
    if kind is None:
        if _CJK.match(char):
            kind = _CJK_CHAR
        elif char.isspace():
            kind = _SPACE
        elif char.isalnum() or char == "_":  # what `\\w` matches
            kind = _WORD
        else:
            kind = _NOT_WORD
        if len(_KINDS) > 4096:
            _KINDS.clear()
        _KINDS[char] = kind
    return kind


def _few_non_ascii(non_ascii_bytes: int, total_bytes: int) -> bool:
    """Whether a text has few enough non-ASCII characters for `_shape_utf8`.

    It looks at each distinct one (a Python object each): mostly non-ASCII text
    (Cyrillic, Greek, Chinese...) is counted faster by the regex path.
    """
    return non_ascii_bytes <= 256 or non_ascii_bytes * 4 <= total_bytes


def _mostly_ascii(source: str) -> bool:
    """`_few_non_ascii` for a str, before its tags are set aside."""
    size = len(source.encode("utf-8", "surrogatepass"))
    # Each non-ASCII character takes 2 to 4 bytes: the extra bytes bound their number.
    return _few_non_ascii((size - len(source)) * 2, size)


def _utf8_lead(char: str) -> int:
    """The first byte of `char` in UTF-8."""
    code = ord(char)
    if code < 0x800:
        return 0xC0 | code >> 6
    return 0xE0 | code >> 12 if code < 0x10000 else 0xF0 | code >> 18


def _shape_utf8(data: bytes, shape: tuple[bytes, bytes]) -> tuple[bytes, int] | None:
    """The shape of UTF-8 `data` (see `_word_shape`) and its number of CJK characters.

    In C but for a look at each distinct non-ASCII character: one becomes what it is to
    the count ("a", " ", "c" or nothing) through its first byte when the text's other
    characters with that first byte are the same kind (the usual case: accented
    letters, Cyrillic, Greek, punctuation, CJK); the others are replaced one by one.
    None when the text is mostly non-ASCII or has too many distinct characters, or too
    many to replace: the regex path is faster there.
    """
    rest = data.translate(None, _ASCII_BYTES)  # the non-ASCII characters, in order
    if not rest:
        return data.translate(*shape), 0
    if not _few_non_ascii(len(rest), len(data)):
        return None
    chars = rest.decode("utf-8")
    cjk = False
    found: list[tuple[str, int, int]] = []
    lead_kinds: dict[int, int] = {}
    distinct = set(chars)
    if len(distinct) > _MAX_DISTINCT_CHARS:
        return None
    for char in distinct:
        kind = _char_kind(char)
        cjk = cjk or kind == _CJK_CHAR
        lead = _utf8_lead(char)
        found.append((char, kind, lead))
        lead_kinds[lead] = kind if lead_kinds.get(lead, kind) == kind else _MIXED
    table, delete = shape
    replaced = 0
    for char, kind, lead in found:
        if kind == _NOT_WORD:
            continue  # its lead and continuation bytes are deleted, like punctuation
        if lead_kinds[lead] == _MIXED:
            replaced += 1
            if replaced > _MAX_REPLACED_CHARS:
                return None
            # UTF-8 is self-synchronising: a character's bytes only match where it is.
            data = data.replace(char.encode("utf-8"), _REPLACEMENT[kind])
        elif table[lead] != _SHAPE_BYTE[kind]:
            # Every character here starting with this byte is this kind: map the byte
            # itself (its continuation bytes stay deleted).
            if isinstance(table, bytes):
                table = bytearray(table)
            table[lead] = _SHAPE_BYTE[kind]
            delete = delete.replace(bytes((lead,)), b"")
    shaped = data.translate(table, delete)
    # Each CJK character became one "c" (letters are "a"): count them there, in C.
    return shaped, shaped.count(b"c") if cjk else 0


def _word_starts(shape: bytes) -> int:
    """A big integer with a 1 bit at each byte of `shape` that starts a run of "a"s.

    Counting bits in C is faster than `split()` (which makes an object per word) or
    `count(b" a")` (slow on a two-letter alphabet).
    """
    words = int.from_bytes(shape.translate(_WORD_FLAGS), "little")
    return words & ~(words << 8)  # a word byte whose previous byte is not one


def _regex_count(text: str) -> tuple[int, int]:
    """Words and CJK characters in plain text, by the definition (slower)."""
    text, cjk = _CJK.subn(" ", text)
    # split() and the regex scan run in C: 4x faster than testing each token in Python.
    return len(text.split()) - len(_WORDLESS_TOKEN.findall(" " + text)), cjk


def _text_count(text: str) -> tuple[int, int]:
    """Words and CJK characters in plain text (no tags; "<" is punctuation)."""
    try:
        shaped = _shape_utf8(text.encode("utf-8"), _TEXT_SHAPE)
    except UnicodeEncodeError:  # a lone surrogate
        shaped = None
    if shaped is None:
        return _regex_count(text)
    shape, cjk = shaped
    return _word_starts(shape).bit_count(), cjk


def _tagged_count(source: str) -> tuple[int, int] | None:
    """Words and CJK characters of `source` without its tags, without removing them.

    Only when every "<" opens a plain tag (see `_NOT_A_PLAIN_TAG`) and "<" and ">"
    alternate, so that `_SIMPLE_TAG` would remove exactly the bytes from each "<" to the
    next ">"; None otherwise. Then, with bit masks of the "<"s and ">"s as big integers,
    `gt - lt` covers the tags, and the words (and CJK characters) found there are
    subtracted. Removing 40 tags one regex match at a time costs several times more.
    """
    try:
        raw = source.encode("utf-8")
    except UnicodeEncodeError:
        return None
    if _NOT_A_PLAIN_TAG.search(raw):
        return None
    angles = raw.translate(None, _NOT_ANGLE)
    if angles != b"<>" * (len(angles) // 2):
        return None
    data = raw
    if "&" in source:
        # Decoding entities inside tags changes only what is subtracted, unless it makes
        # a "<" or ">" (the tags' bounds would move).
        data = html_lib.unescape(source).encode("utf-8")
        if data.translate(None, _NOT_ANGLE) != angles:
            return None
    shaped = _shape_utf8(data, _TAGGED_SHAPE)
    if shaped is None:
        return None
    shape, cjk = shaped
    flags = int.from_bytes(shape.translate(_SHAPE_FLAGS), "little")
    ones = _ONES if len(shape) <= _ONES_LENGTH else int.from_bytes(b"\x01" * len(shape), "little")
    # 2**(8*gt) - 2**(8*lt) has all bits of the bytes from lt to gt - 1 set; the pairs'
    # ranges do not overlap, so the sum of those is `gt_mask - lt_mask`, without carries.
    inside = ((flags >> 2) & ones) - ((flags >> 1) & ones)
    if cjk:
        cjk -= ((flags >> 3) & ones & inside).bit_count()
    words = flags & ones & ~inside  # the word bytes outside tags
    return (words ^ (words & (words << 8))).bit_count(), cjk  # those after a non-word


def word_count(html: str) -> int:
    """Approximate number of words in an HTML body, cheaply (no tree is built).

    Counts whitespace-separated tokens that contain a letter or digit, in the text
    without its tags (nor what raw-text elements and comments hold) and with entities
    decoded; CJK and Hangul characters, which are not separated by spaces, count as half
    a word each (about 2 characters per English-word-equivalent of reading time).
    Linear in the input, which is capped at `MAX_INPUT_CHARS`.
    """
    source = as_text(html)[:MAX_INPUT_CHARS]
    counted: tuple[int, int] | None = None
    fast = source.isascii() or _mostly_ascii(source)
    if "<" in source:
        counted = _tagged_count(source) if fast else None
        if counted is None:
            if _MAY_NEED_SCANNER.search(source) and _NEEDS_SCANNER.search(source):
                source = strip_tags(source)
            else:
                # Several times faster than the scanner on a typical body; the same words.
                source = _SIMPLE_TAG.sub(" ", source)
    if counted is None:
        text = html_lib.unescape(source) if "&" in source else source
        counted = _text_count(text) if fast else _regex_count(text)
    words, cjk = counted
    return words + (cjk + 1) // 2
