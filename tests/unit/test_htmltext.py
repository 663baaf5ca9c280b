"""The word count's fast paths count exactly what the definition (kept here) counts."""

from __future__ import annotations

import html as html_lib
import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_reader import htmltext
from tui_reader.htmltext import word_count

# Every ASCII character, weighted towards the ones that decide a count.
ascii_text = st.text(
    alphabet=st.sampled_from([chr(i) for i in range(128)] + list("ab1 .-&;<>\n\t") * 4),
    max_size=60,
)

# The definition, as word_count was before its fast paths: tags removed (the scanner
# when a comment, declaration or raw-text element may be there), entities decoded, CJK
# characters counted apart as half words, then whitespace-separated tokens with a letter,
# digit or underscore.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_WORDLESS_TOKEN = re.compile(r"\s[^\s\w]+(?!\S)")


def _general_count(text: str) -> int:
    """Whitespace-separated tokens with a letter, digit or underscore."""
    return len(text.split()) - len(_WORDLESS_TOKEN.findall(" " + text))


def _reference_count(html: str) -> int:
    source = html[: htmltext.MAX_INPUT_CHARS]
    if "<" in source:
        if htmltext._MAY_NEED_SCANNER.search(source) and htmltext._NEEDS_SCANNER.search(source):
            source = htmltext.strip_tags(source)
        else:
            source = htmltext._SIMPLE_TAG.sub(" ", source)
    text = html_lib.unescape(source) if "&" in source else source
    text, cjk = _CJK.subn(" ", text)
    return _general_count(text) + (cjk + 1) // 2


# Characters that decide a count: letters, digits and punctuation from several scripts,
# combining marks, Unicode spaces (U+00A0, U+2003, U+3000, U+0085, U+1680), CJK and
# Hangul, emoji, case variants that regex folding treats specially, a lone surrogate.
_INTERESTING = list(
    "ab1_ .-;!/\n\t\x1c\x00éÉçüß¾£×÷ªµλΛπ;·жЖё«»—–“”„…•™€\u0301\u200b\u00a0\u2003"
    "\u3000\u0085\u1680東京한국어かカ、。！🚀✔⇒𝔸𠀀ſİıK\ud800"
)
_FRAGMENTS = [
    "<p>", "</p>", "<em>", "</em>", "<br/>", "<a href='x y'>", '<img alt="東京 é">',
    "<strong>", "<span title=\u00a0>", "<!-- c -->", "<script>x</script>", "<style>",
    "<tıtle>", "<ſcript>", "<Title>", "<head>", "<header>", "<svg>", "<sv", "< p>", "<3",
    "<", ">", "</", "<>", "&amp;", "&lt;", "&gt;", "&nbsp;", "&eacute;", "&#60;", "&#x3e",
    "&gt", "&lt", "&nvlt;", "&#x6a;", "&", "&#12354;",
]  # fmt: skip
unicode_text = st.text(alphabet=st.sampled_from(_INTERESTING), max_size=80)
any_text = st.text(alphabet=st.characters(blacklist_categories=()), max_size=80)
html_text = st.lists(
    st.sampled_from(_FRAGMENTS) | st.sampled_from(_INTERESTING) | st.characters(),
    max_size=40,
).map("".join)
# More distinct letters than the fast path replaces one by one: the regex path.
many_letters = st.text(
    alphabet=st.characters(whitelist_categories=("Ll", "Lu", "Lo", "Nd", "Zs", "Po", "So")),
    min_size=40,
    max_size=200,
)


@settings(max_examples=400, deadline=None)
@given(ascii_text)
def test_ascii_fast_path_matches_the_general_rule(text: str) -> None:
    plain = text.replace("<", " ").replace("&", " ")  # no tags or entities: text as is
    assert word_count(plain) == _general_count(plain)


@settings(max_examples=500, deadline=None)
@given(unicode_text | any_text | many_letters)
def test_unicode_text_matches_the_definition(text: str) -> None:
    assert word_count(text) == _reference_count(text)


@settings(max_examples=800, deadline=None)
@given(html_text)
def test_html_matches_the_definition(html: str) -> None:
    assert word_count(html) == _reference_count(html)


def test_only_known_characters_fold_onto_raw_text_element_names() -> None:
    """`_NOT_A_PLAIN_TAG` lists the non-ASCII letters that `_NEEDS_SCANNER` folds onto
    the letters of the raw-text elements' names: if a Python release adds one, the fast
    path could count a body the scanner should have read."""
    letters = re.compile(
        "[" + "".join(sorted(set("".join(htmltext._SKIP_CONTENT)))) + "]", re.IGNORECASE
    )
    folded = {
        chr(code)
        for code in range(128, sys.maxunicode + 1)
        if letters.fullmatch(chr(code)) is not None
    }
    assert folded == {"\u017f", "\u0130", "\u0131"}  # ſ, İ, ı


def test_word_count_examples() -> None:
    assert word_count("a - b -- c ... d_e") == 4
    assert word_count("<p>x</p>&nbsp;<p>(y)</p> \x1cz") == 3
    assert word_count("caf\u00e9 \u2014 na\u00efve") == 2  # non-ASCII takes the general path
    assert word_count("<!-- a b --><style>p{}</style>one") == 1
    assert word_count('<a href="x y">\u00e0 la</a> \u2014 \u6771\u4eac') == 3  # 2 + 2 CJK
    assert word_count("<p>a\u00a0b\u2003c</p>") == 3  # Unicode spaces split words
    assert word_count("<img alt='\u6771\u4eac \u00e9t\u00e9'>\u00e9") == 1  # inside a tag
    assert word_count("&lt;p&gt; x") == 2  # decoded "<p>" is text, not a tag


def test_typical_bodies_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bodies that are mostly ASCII, with accents, typographic punctuation, a little CJK
    and entities, are counted without the regex path (the parser's hot path)."""

    def regex_path(text: str) -> tuple[int, int]:
        raise AssertionError(f"regex path taken for {text[:60]!r}")

    monkeypatch.setattr(htmltext, "_regex_count", regex_path)
    body = (
        '<p>Caf\u00e9 \u2014 \u201cna\u00efve\u201d r\u00e9sum\u00e9 &amp; <a href="https://'
        'example.org/a?b=1&amp;c=2">link</a> \u6771\u4eac\u3001\ud55c\uad6d\uc5b4 '
        "\u00be \u03bb \U0001f680 \u2714 \u21d2\u2026</p>\n<pre><code>x := y(2)</code></pre>"
        + "<p>Plain words in <em>a paragraph</em>, as most of a body is.</p>"
        * 8
    ) * 5
    assert word_count(body) == _reference_count(body)
    long_body = body * 12  # longer than the precomputed bit masks
    assert len(long_body.encode()) > htmltext._ONES_LENGTH
    assert word_count(long_body) == _reference_count(long_body)
    assert word_count(body.replace("<", " ")) == _reference_count(body.replace("<", " "))
