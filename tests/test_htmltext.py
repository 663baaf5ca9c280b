"""The word count's ASCII fast path counts exactly what its general path counts."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tui_reader import htmltext
from tui_reader.htmltext import word_count

# Every ASCII character, weighted towards the ones that decide a count.
ascii_text = st.text(
    alphabet=st.sampled_from([chr(i) for i in range(128)] + list("ab1 .-&;<>\n\t") * 4),
    max_size=60,
)


def _general_count(text: str) -> int:
    """The definition: whitespace-separated tokens with a letter, digit or underscore."""
    return len(text.split()) - len(htmltext._WORDLESS_TOKEN.findall(" " + text))


@settings(max_examples=400, deadline=None)
@given(ascii_text)
def test_ascii_fast_path_matches_the_general_rule(text: str) -> None:
    plain = text.replace("<", " ").replace("&", " ")  # no tags or entities: text as is
    assert word_count(plain) == _general_count(plain)


def test_word_count_examples() -> None:
    assert word_count("a - b -- c ... d_e") == 4
    assert word_count("<p>x</p>&nbsp;<p>(y)</p> \x1cz") == 3
    assert word_count("caf\u00e9 \u2014 na\u00efve") == 2  # non-ASCII takes the general path
    assert word_count("<!-- a b --><style>p{}</style>one") == 1
