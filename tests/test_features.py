import sys

import numpy as np
import pandas as pd
import pytest

from classifier.lines.layout import MainTextRun, NeighbourWindow, PagePosition, densest_run
from classifier.lines.statistics import LineShape
from classifier.lines.table import neighbour_window, page_bounds


def table(pages):
    rows = [(text, key) for key, lines in pages.items() for text in lines]
    return pd.DataFrame(rows, columns=["text", "page"])


def test_page_bounds_and_contiguity():
    assert page_bounds(["a", "a", "b", "c", "c"]).tolist() == [0, 2, 3, 5]
    assert page_bounds([]).tolist() == [0]
    with pytest.raises(ValueError, match="contiguous"):
        page_bounds(["a", "b", "a"])


def test_densest_run_bridges_short_gaps_and_handles_no_text():
    assert densest_run(np.array([-5, 10, -2, 10, -5])) == (1, 4)
    assert densest_run(np.array([-1.0, -2.0])) == (0, 0)
    assert densest_run(np.array([])) == (0, 0)


def test_neighbour_window_never_crosses_pages():
    values = np.array([[1.0], [2.0], [3.0], [10.0], [20.0]])
    out = neighbour_window(values, np.array([0, 3, 5]), offsets=(-1, 1), window_sizes=(3,))
    previous, previous_exists, following, following_exists, mean3 = out.T
    assert previous.tolist() == [0, 1, 2, 0, 10]
    assert previous_exists.tolist() == [0, 1, 1, 0, 1]
    assert following.tolist() == [2, 3, 0, 20, 0]
    assert following_exists.tolist() == [1, 1, 0, 1, 0]
    assert mean3.tolist() == pytest.approx([1.5, 2.0, 2.5, 15.0, 15.0])


def test_line_shape_features():
    X = table({"p": ["- Related story here", "This is a full sentence, with a comma.",
                     "Date: 2024-01-01", "This is a full sentence, with a comma."]})
    shape = LineShape().fit(X)
    values = pd.DataFrame(shape.transform(X), columns=shape.get_feature_names_out())
    assert values["bullet"].tolist() == [1, 0, 0, 0]
    assert values["ends_sentence"].tolist() == [0, 1, 0, 1]
    assert values["date"].tolist() == [0, 0, 1, 0]
    assert values["label_prefix"].tolist() == [0, 0, 1, 0]
    assert values["repeats_in_page"].tolist() == pytest.approx([0, np.log(2), 0, np.log(2)])
    assert values["function_word_ratio"][1] > values["function_word_ratio"][0]


def test_position_and_main_run():
    long = "word " * 40
    X = table({"a": ["Menu", long, long, "Short", long, "Footer"], "b": ["only line"]})
    position = PagePosition().fit_transform(X)
    assert position[:, 0].tolist() == pytest.approx([0, .2, .4, .6, .8, 1, 0])
    run = MainTextRun().fit_transform(X)
    assert run[:, 0].tolist() == [0, 1, 1, 1, 1, 0, 0]  # short line inside the run is bridged
    assert run[0, 1] > 0 and run[5, 2] > 0  # distances before / after the run


def test_neighbour_window_transformer_names_match_columns():
    X = table({"a": ["one two", "three four five.", "six"]})
    window = NeighbourWindow(LineShape(), offsets=(-1, 1), window_sizes=(3,)).fit(X)
    assert window.get_feature_names_out()[0] == "log_chars"
    assert window.transform(X).shape[1] == len(window.get_feature_names_out())


def test_section_markers_count_lines_since_headings():
    from classifier.lines.sections import SectionMarkers

    X = table({"a": ["Article text that is long enough to be prose here.", "12 Comments",
                     "Great post!", "Related", "- Other story"], "b": ["Fresh page line"]})
    out = pd.DataFrame(SectionMarkers().fit_transform(X),
                       columns=SectionMarkers.feature_names_)
    assert out["is_comment_heading"].tolist() == [0, 1, 0, 0, 0, 0]
    assert out["after_comment_heading"].tolist() == [0, 0, 1, 1, 1, 0]
    assert out["lines_since_comment_heading"].tolist() == pytest.approx(
        [0, 0, np.log(2), np.log(3), np.log(4), 0])
    assert out["is_links_heading"].tolist() == [0, 0, 0, 1, 0, 0]
    assert out["after_links_heading"].tolist() == [0, 0, 0, 0, 1, 0]


def test_comment_thread_furniture_density():
    from classifier.lines.sections import SectionMarkers

    X = table({"a": ["Article prose that goes on for a while here.", "Jane says:",
                     "Great post, thanks for writing it.", "July 3, 2012 at 4:15 pm", "Reply"]})
    out = pd.DataFrame(SectionMarkers().fit_transform(X), columns=SectionMarkers.feature_names_)
    assert out["is_comment_meta"].tolist() == [0, 1, 0, 1, 1]
    assert out["log_comment_meta_above"].tolist() == pytest.approx(np.log1p([0, 0, 1, 1, 2]))
    assert out["comment_meta_density"].tolist() == pytest.approx([3 / 5] * 5)


def test_title_overlap_finds_the_headline():
    from classifier.lines.layout import TitleOverlap

    X = table({"a": ["Home > News Xi leaves Russia after visit - Site", "Site Name View",
                     "Xi leaves Russia after visit", "Body text about other things."]})
    out = TitleOverlap().fit_transform(X)
    assert out[2, 0] == 1.0  # every word of the headline is in the title line
    assert out[3, 0] == 0.0
    assert 0 < out[1, 0] < 1  # "site" repeats, "name view" does not


# -- LineShape against a plain per-line reference ----------------------------
# LineShape computes its columns for all lines at once (character tables,
# one regex scan of the joined text). This is the straightforward per-line
# definition it must reproduce exactly.
import math  # noqa: E402
import re  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from classifier.lines import layout, sections, statistics  # noqa: E402
from classifier.lines import table as tables  # noqa: E402

# The sentence enders and closers of every script LineShape knows.
ENDERS = re.escape(statistics._SENTENCE_ENDERS)
CLOSERS = re.escape(statistics._SENTENCE_CLOSERS)


def reference_shape(text: str) -> list:
    text = text.strip()
    n_chars = len(text)
    tokens = re.findall(r"\w+", text)
    n_words = len(tokens)
    letters = sum(ch.isalpha() for ch in text)
    uppers = sum(ch.isupper() for ch in text)
    digits = sum(ch.isdigit() for ch in text)
    punctuation = n_chars - letters - digits - text.count(" ")
    return [
        math.log1p(n_chars), math.log1p(n_words),
        (sum(map(len, tokens)) / n_words) if n_words else 0.0,
        uppers / letters if letters else 0.0,
        (sum(token[0].isupper() for token in tokens) / n_words) if n_words else 0.0,
        digits / n_chars if n_chars else 0.0,
        punctuation / n_chars if n_chars else 0.0,
        (sum(token.lower() in statistics._FUNCTION_WORDS for token in tokens) / n_words)
        if n_words else 0.0,
        float(bool(re.search(rf"[{ENDERS}][{CLOSERS}]*$", text))),
        float(text.endswith(":")),
        float(bool(statistics._BULLET.match(text))),
        float(bool(statistics._SEPARATOR.search(text))),
        math.log1p(len(re.findall(rf"""[{ENDERS}][{CLOSERS}]*\s+[A-Z"“‘(]""", text))),
        (text.count(",") / n_words) if n_words else 0.0,
        float(bool(statistics._DATE.search(text))),
        float(any(phrase in text.lower() for phrase in statistics._LEGAL_PHRASES)),
        float(bool(statistics._URL.search(text))),
        float(bool(statistics._LABEL_PREFIX.match(text))),
        float(bool(re.search(r"[\"“”«»]", text))),
        float(bool(statistics._NUMBER_IN_PARENS.search(text))),
    ]


SHAPE_PIECES = ["www.", ".COM", "://", "@", "(C)", "©", "Copyright", "terms of", "All Rights",
                "Jan", "ſep", "DEC", "5", "12:30", "2024-01-02", "1/2/24", ":", ")", "(3)", " ",
                "\t", "- ", "1. ", "•", "»", "|", " / ", "Label", "ok", "x", ".", "?\"", "K",
                # Lower-cased into two characters, or by its context.
                "İ", "ΑΣ", "Σ",
                # Function words, and what can look like them.
                "the", "About", "ABOUT", "_", "\u212a", "ourselves",
                # Dates by month names.
                "May", " 5", "Sept.", "\u2003", "١"]


def assert_shape_matches_reference(texts):
    X = pd.DataFrame({"text": texts, "page": 0})
    got = LineShape().fit(X).transform(X)[:, :-1]  # repeats_in_page: per page, below
    expected = np.array([reference_shape(text) for text in texts], dtype=np.float32)
    np.testing.assert_array_equal(got, expected.reshape(got.shape))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["Home", "Home ", "News", "- More", "", "İ"]),
                         min_size=1, max_size=6), max_size=5))
def test_repeats_in_page_counts_the_same_text_within_its_page(pages):
    X = table({f"p{number}": texts for number, texts in enumerate(pages)})
    got = LineShape().fit(X).transform(X)[:, -1]
    expected = [np.log(texts.count(text)) for texts in pages for text in texts]
    np.testing.assert_array_equal(got, np.array(expected, dtype=np.float32))


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(["|", "»", "›", ">", "/", "·", "•", " ", "\t", "\u2003", "a",
                                 "5", "12", "123", "2024", "-", ":", "May", "sept", "DEC", "ſep",
                                 "İ", ".", "_", "²", "٣", "x", ")", "*", "–", "—", "▪", "►"]),
                max_size=12).map("".join))
def test_pattern_statistics_answer_as_the_patterns(text):
    """The line statistics LineShape reads instead of running its bullet,
    separator and date patterns find what the patterns find."""
    counts = statistics.character_counts([text], only=("bullet", "separated", "date"))
    assert bool(counts["bullet"][0]) == (statistics._BULLET.match(text) is not None)
    assert bool(counts["separated"][0]) == (statistics._SEPARATOR.search(text) is not None)
    assert bool(counts["date"][0]) == (statistics._DATE.search(text) is not None)


def test_line_shape_handles_empty_texts_anywhere():
    assert_shape_matches_reference(["", "ab", "", ""])
    assert_shape_matches_reference(["Ab cd.", ""])
    assert_shape_matches_reference(["", ""])
    assert_shape_matches_reference([])


def test_line_shape_equals_per_line_definition_on_real_shapes():
    assert_shape_matches_reference([
        "- Related story here", "This is a full sentence, with a comma.", "Date: 2024-01-01",
        "Home » News » World", "Posted by jane_doe on Jan 5 at 10:30", "Comments (12)",
        "He said: “It's over.” Then he left. The end!)", "© 2012 Site. All Rights Reserved.",
        "Visit www.example.com or mail a@b.org.", "1. First", "ÉCOLE d'été ÀÖ Ünïcode 😀 x²",
        "İstanbul ſtraße K", "a\x00b c\x00 d", "tab\there", "___ 42 _x_", "", " ",
        "Ends with ellipsis…", "Question?'", "tail ) ", "Ⅻ ½ ٣ numbers", ",", "Ⓐ Ⓑ", "-- ,",
        "HTTP://X.COM", "WWW.SITE.ORG", "me@host.net", "x.Com y",
        # Dates found by a month name alone (no "-", "/" or ":" after a digit).
        "Posted Jan 5 by x", "ſept 12", "3 DEC 2020", "١٢ may",
    ])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
                | st.text(alphabet=" .,!?:;-–•»|/()\"'”’“«»©aAbB1209_\x00\téÉİſ😀…",
                          max_size=40)
                # Pieces of what the pattern tests look for, for the cheap
                # exact pre-checks that decide which lines they run on.
                | st.lists(st.sampled_from(SHAPE_PIECES), max_size=10).map("".join),
                max_size=8))
def test_line_shape_equals_per_line_definition(texts):
    assert_shape_matches_reference(texts)


def reference_title_overlap(pages: list[list[str]], n_first: int = 3) -> np.ndarray:
    """TitleOverlap line by line: word sets and their intersections."""
    rows = []
    for texts in pages:
        word_sets = [frozenset(re.findall(r"\w+", text.lower())) for text in texts]
        heads = [(j, words) for j, words in enumerate(word_sets[:n_first]) if words]
        for i, words in enumerate(word_sets):
            share = cover = 0.0
            for j, head in heads:
                if words and j != i:
                    share = max(share, len(words & head) / len(words))
                    cover = max(cover, len(words & head) / len(head))
            rows.append([share, cover])
    return np.array(rows, dtype=np.float32).reshape(-1, 2)


def assert_title_overlap_matches_reference(pages, n_first=3):
    X = pd.DataFrame({"text": [text for texts in pages for text in texts],
                      "page": [number for number, texts in enumerate(pages) for _ in texts]})
    from classifier.lines.layout import TitleOverlap

    got = TitleOverlap(n_first=n_first).fit_transform(X)
    np.testing.assert_array_equal(got, reference_title_overlap(pages, n_first))


def test_title_overlap_equals_per_line_definition_on_awkward_pages():
    assert_title_overlap_matches_reference([
        ["Xi leaves Russia", "", "xi LEAVES", "Russia Russia xi", "other"],
        ["one"], ["", "", "", "words here"], [],
        ["Ὀδυσσεύς ΣΑΣ", "σας ὀδυσσεύς", "İstanbul K", "i̇stanbul k"],
    ])
    assert_title_overlap_matches_reference([["a b", "b c", "c d", "a"]], n_first=1)
    assert_title_overlap_matches_reference([])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.text(alphabet="aAbB xyΣσς_1İı\x00é", max_size=12), max_size=6),
                max_size=4),
       st.integers(min_value=0, max_value=4))
def test_title_overlap_equals_per_line_definition(pages, n_first):
    assert_title_overlap_matches_reference(pages, n_first)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.lists(st.integers(0, 9), max_size=5, unique=True), max_size=6),
                max_size=4),
       st.integers(min_value=-1, max_value=4))
def test_compiled_head_overlaps_give_the_numpy_definition_s_numbers(pages, n_first):
    lines = [line for page in pages for line in page]
    words = np.array([word for line in lines for word in line], dtype=np.int64)
    sizes = np.array([len(line) for line in lines], dtype=np.int64)
    bounds = np.concatenate([[0], np.cumsum([len(page) for page in pages])]).astype(np.int64)
    compiled = layout.head_overlaps(words, sizes, bounds, n_first)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(layout, "_lines", None)
        defined = layout.head_overlaps(words, sizes, bounds, n_first)
    for got, expected in zip(compiled, defined):
        assert got.dtype == expected.dtype == np.float64
        np.testing.assert_array_equal(got, expected)


# Characters whose lower case is longer (U+0130), non-ASCII (Σ, final
# sigma) or ASCII from elsewhere (U+212A KELVIN SIGN), and the needles'.
_NEEDLE_TEXT_CHARACTERS = st.sampled_from(list("aciklmoprstwy .:/@()©\u0130\u212aKΣσ\u0307\0ÀÿĀŸẞß"))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=_NEEDLE_TEXT_CHARACTERS | st.characters(), max_size=30),
                max_size=6),
       st.lists(st.text(alphabet=st.sampled_from(list("aciklmoprw.:/@()©ÿ")), min_size=1,
                        max_size=4), min_size=1, max_size=5),
       st.booleans())
def test_compiled_needles_found_gives_the_definition_s_marks(texts, needles, lower):
    needles = tuple(needles)
    compiled = statistics.needles_found(texts, needles, lower)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(statistics, "_lines", None)
        defined = statistics.needles_found(texts, needles, lower)
    assert compiled.dtype == defined.dtype == np.uint32
    np.testing.assert_array_equal(compiled, defined)
    for text, marks in zip(texts, compiled.tolist()):  # and what the definition means
        searched = text.lower() if lower else text
        assert marks == sum(1 << k for k, needle in enumerate(needles) if needle in searched)


def test_needles_found_read_every_cased_character_as_str_lower_does():
    # The compiled search lower-cases through its own tables (made from
    # Py_UNICODE_TOLOWER at import): every character whose lower case
    # differs from it, behind a letter, against every character below
    # U+0100 that some lower case holds, 32 needles at a time.
    cased = [chr(code) for code in range(sys.maxunicode + 1)
             if not 0xD800 <= code < 0xE000 and chr(code).lower() != chr(code)]
    texts = ["x" + character for character in cased]
    targets = sorted({c for character in cased for c in character.lower() if c < "\u0100"})
    for first in range(0, len(targets), 32):
        needles = tuple(targets[first:first + 32])
        marks = statistics.needles_found(texts, needles, lower=True)
        expected = [sum(1 << k for k, needle in enumerate(needles) if needle in text.lower())
                    for text in texts]
        assert marks.tolist() == expected


def test_needles_found_by_a_line_s_lower_case():
    texts = ["Copyright 2024", "PRİVACY POLICY", "see WWW.Example.COM", "no", "a©b", "x://y"]
    marks = statistics.needles_found(texts, ("copyright", "privacy policy", "www.", "©", "://"),
                                   lower=True)
    # "İ" lower-cases to "i" and a combining dot: "privacy" is not in it.
    assert marks.tolist() == [1, 0, 4, 0, 8, 16]
    with pytest.raises(ValueError, match="non-empty needles"):
        statistics.needles_found(texts, ("",))
    with pytest.raises(ValueError, match="non-empty needles"):
        statistics.needles_found(texts, ())


def test_compiled_head_overlaps_refuse_inconsistent_buffers():
    words, sizes, bounds = np.array([0, 1, 2]), np.array([2, 1]), np.array([0, 2])
    assert [part.tolist() for part in layout.head_overlaps(words, sizes, bounds, 3)] == [
        [0.0, 0.0], [0.0, 0.0]]
    with pytest.raises(ValueError, match="sizes do not add up"):
        layout.head_overlaps(words, np.array([2, 2]), bounds, 3)
    with pytest.raises(ValueError, match="wrong sizes"):
        layout.head_overlaps(words, sizes, np.array([0, 1]), 3)
    with pytest.raises(ValueError, match="must not decrease"):
        layout.head_overlaps(words, sizes, np.array([0, 2, 1, 2]), 3)
    with pytest.raises(ValueError, match=">= 0"):
        layout.head_overlaps(np.array([0, -1, 2]), sizes, bounds, 3)


def reference_neighbour_window(values, bounds, offsets, window_sizes):
    """neighbour_window line by line, offset by offset."""
    n, k = values.shape
    page = np.repeat(np.arange(len(bounds) - 1), np.diff(bounds))
    blocks = []
    for offset in offsets:
        shifted = np.zeros_like(values)
        exists = np.zeros((n, 1), dtype=np.float32)
        for i in range(n):
            if 0 <= i + offset < n and page[i + offset] == page[i]:
                shifted[i], exists[i] = values[i + offset], 1
        blocks += [shifted, exists]
    for size in window_sizes:
        means = np.zeros((n, k), dtype=np.float32)
        for i in range(n):
            lo = max(i - size // 2, bounds[page[i]])
            hi = min(i + size // 2 + 1, bounds[page[i] + 1])
            means[i] = values[lo:hi].astype(np.float64).sum(axis=0) / (hi - lo)
        blocks.append(means)
    return np.hstack(blocks) if blocks else np.zeros((n, 0))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=1, max_size=5), st.integers(1, 3),
       st.lists(st.integers(-7, 7), max_size=4), st.lists(st.integers(1, 12), max_size=2),
       st.sampled_from([np.float32, np.float64]), st.integers(0, 2 ** 32 - 1))
def test_neighbour_window_equals_line_by_line_definition(page_sizes, k, offsets, windows,
                                                          dtype, seed):
    values = np.random.default_rng(seed).normal(size=(sum(page_sizes), k)).astype(dtype)
    bounds = np.concatenate([[0], np.cumsum(page_sizes)])
    got = neighbour_window(values, bounds, tuple(offsets), tuple(windows))
    expected = reference_neighbour_window(values, bounds, offsets, windows)
    assert got.dtype == np.result_type(dtype, np.float32)
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    # Shifted values are copies: exactly equal.
    width = len(offsets) * (k + 1)
    np.testing.assert_array_equal(got[:, :width], expected[:, :width])
    # With the values themselves first: the same columns after them.
    with_own = neighbour_window(values, bounds, tuple(offsets), tuple(windows), include_own=True)
    np.testing.assert_array_equal(with_own, np.hstack([values, got]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["a", "b", "a ", "", "é", "😀", "\ud800", "x" * 40])
                         | st.text(max_size=3), max_size=8), max_size=5))
def test_page_repeats_counts_as_a_counter_per_page(pages):
    # Equal strings that are other objects, of every storage kind, across
    # page ends, and empty pages.
    texts = ["".join(list(text)) for page in pages for text in page]
    bounds = np.concatenate([[0], np.cumsum([len(page) for page in pages])]).astype(np.int64)
    compiled = statistics.page_repeats(texts, bounds)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(statistics, "_lines", None)
        counted = statistics.page_repeats(texts, bounds)
    assert compiled.dtype == counted.dtype == np.float32
    np.testing.assert_array_equal(compiled, counted)


def test_page_repeats_refuses_what_is_not_text():
    with pytest.raises(TypeError, match="must be str"):
        statistics.page_repeats(["a", 3], np.array([0, 2]))
    with pytest.raises(ValueError, match="page_repeats"):
        statistics.page_repeats(["a", "b"], np.array([0, 3]))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=1, max_size=5), st.integers(1, 3),
       st.lists(st.integers(-7, 7), max_size=4), st.lists(st.integers(1, 12), max_size=2),
       st.integers(0, 2 ** 32 - 1), st.booleans())
def test_compiled_neighbour_window_gives_numpy_s_numbers(page_sizes, k, offsets, windows, seed,
                                                         odd_values):
    values = np.random.default_rng(seed).normal(size=(sum(page_sizes), k)).astype(np.float32)
    if odd_values and len(values):
        values[0, 0], values[-1, -1] = np.inf, np.nan
    bounds = np.concatenate([[0], np.cumsum(page_sizes)])  # empty pages too
    for include_own in (False, True):
        compiled = neighbour_window(values, bounds, offsets, windows, include_own)
        with pytest.MonkeyPatch.context() as patch, np.errstate(invalid="ignore"):  # inf - inf
            patch.setattr(tables, "_lines", None)
            python = neighbour_window(values, bounds, offsets, windows, include_own)
        assert compiled.dtype == python.dtype == np.float32
        np.testing.assert_array_equal(compiled, python)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-50, 50, width=32) | st.sampled_from([0.0, -0.0, np.inf, np.nan]),
                max_size=30), st.sampled_from([np.float32, np.float64]))
def test_compiled_densest_run_is_the_loop_s(weights, dtype):
    weights = np.array(weights, dtype=dtype)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(layout, "_lines", None)
        expected = densest_run(weights)
    assert densest_run(weights) == expected


def test_the_development_install_has_the_compiled_line_statistics():
    assert statistics.COMPILED


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 10_000), max_size=30))
def test_log_counts_are_math_log1p_of_each(counts):
    values = np.array(counts + [0, 4095, 4096, 2 ** 40], dtype=np.int64)
    assert statistics.log1p_of_counts(values).tolist() == [math.log1p(v) for v in values.tolist()]


def test_line_statistics_are_given_again_only_for_the_same_texts():
    texts = ["Two words", "three more words"]
    first = statistics.character_counts(texts)
    assert first["words"].tolist() == [2, 3]
    # The same strings in another list: the kept rows, unchangeable.
    again = statistics.character_counts(list(texts))
    assert again["words"].base is first["words"].base
    assert not again["words"].flags.writeable
    texts[1] = "one"  # the list the rows were counted from, changed since
    assert statistics.character_counts(texts)["words"].tolist() == [2, 1]
    assert statistics.character_counts(["Two words"])["words"].tolist() == [2]
    assert statistics.character_counts(np.array(["a b c"], dtype=object))["words"].tolist() == [3]


def assert_compiled_statistics_equal_python(texts, monkeypatch):
    compiled = statistics.character_counts(texts)
    with monkeypatch.context() as patch:
        patch.setattr(statistics, "_lines", None)
        python = statistics.character_counts(texts)
        only = statistics.character_counts(texts, only=("words", "commas"))
    assert list(compiled) == list(statistics.LINE_STATISTICS) == list(python)
    for name in statistics.LINE_STATISTICS:
        assert compiled[name].tolist() == python[name].tolist(), name
    assert set(only) == {"chars", "words", "commas"}
    assert only["words"].tolist() == compiled["words"].tolist()


def test_the_only_code_point_past_ascii_lower_cased_to_ascii_is_the_kelvin_sign():
    # _lines.c reads a word as a function word by its ASCII lower case, and
    # U+212A as "k": str.lower() gives ASCII for no other code point.
    lowered_to_ascii = [code for code in range(128, 0x110000) if chr(code).lower().isascii()]
    assert lowered_to_ascii == [0x212A] and "\u212a".lower() == "k"
    assert all(word.isascii() and word == word.lower() for word in statistics._FUNCTION_WORDS)


def test_a_case_insensitive_a_to_z_takes_the_letters_the_month_test_reads():
    # _lines.c's any_case_fold: what [a-z] takes under re.IGNORECASE.
    any_case = re.compile("[a-z]", re.IGNORECASE)
    taken = {code for code in range(0x110000) if any_case.fullmatch(chr(code))}
    assert taken == set(range(ord("a"), ord("z") + 1)) | set(range(ord("A"), ord("Z") + 1)) | {
        0x130, 0x131, 0x17F, 0x212A}
    # statistics.any_case reads each as its ASCII letter, as the pattern does.
    lower_case = set("abcdefghijklmnopqrstuvwxyz")
    assert all(statistics.any_case(chr(code)) in lower_case for code in taken)


def test_compiled_line_statistics_equal_python_on_awkward_texts(monkeypatch):
    from test_words import AWKWARD

    # (The colon at index 21 counts as near the start, at 22 not.)
    assert_compiled_statistics_equal_python(
        AWKWARD + ["", "a:", "x)", "Ⓐ b", "end.”)", ".", "ÀB ſ _x", "0123456789012345678901:",
                   "012345678901234567890:", "ſep", "xJANx", "ja-n", "Ja n", "1-", "١/", "²:",
                   "aUG", "Oct", "no v", "-jan", "_jan", "1jan", "éjan", "ſſep", " mAy", "Ⓐjan",
                   # Month names with a number after or before them, or not quite.
                   "May 5", "5 May", "may \t 12", "Sept. 3", "mayday 5", "xMay 5", "May.5",
                   "May. 5", "5\u2003May", "٣ may", "May ٣", "ſep 1", "Mayİ 4", "aprK 3",
                   "May.. 5", "May 5x", "5May", "1-2", "1-", "-2", "1:x", "١/٢",
                   "May 2024", "May 5th", "5th May", "12 Mayday", "123 May", "x5 May",
                   "5 May_", "5 may.", "May 5.", "Mayİ 5", "05 ſept", "May\t05\u3000",
                   # Dates by numbers: whole runs of digits, word ends after.
                   "2024-01-05", "2024-1-5x", "12024-01-05", "2024-01-005", "2024-01-05_",
                   "12/05/2024", "1/2/3", "1/2/34", "1/2/12345", "123/1/12", "12:30",
                   "12:305", "a12:30", "_12:30", "²12:30", "12:30²", "1:30:45", "١٢:٣٠",
                   "٢٠٢٤-٠١-٠٥", "12:3", "2024-01-", "12/05/", "2024-01-05-", "-12:30-",
                   # First words of the comment meta words, in any case.
                   "permalınk", "ReplyDelete!", "lİ\u212ae", "EDIT —", "12 likes", "Flagged",
                   # Bullets and separators: the marks, the spaces they need.
                   "- a", "-a", " \t• x", "1. x", "12) x", "123. x", "1.x", "٣) x", "² . x",
                   "» ", "»", "▪\u2003x", "►", "a | b", "a|b", "a › b", "a / b", "a/b",
                   " / ", "/ ", " /", "a\t·\tb", "a • b", "a >b", "x\u3000>\u3000y",
                   # Function words: any case, the Kelvin sign as "k", never a part of a word.
                   "The THE tHe", "theirs,their", "it's", "abouts", "_the the_", "İt it",
                   "ourselves1 yourselves", "\u212aust", "a\u212a", "x" * 20 + " the",
                   # Says-endings: whitespace and one colon after, any case, ſ for s.
                   "He says:", "she SAID  ", "wrote :", "writes: :", "ſays", "ſaid\u2003:",
                   "says x", "Wrote:\t", "awrites", ":", "  :  ", "says::", "SAYS\u3000",
                   "ays", "rote:"],
        monkeypatch)
    assert_compiled_statistics_equal_python([], monkeypatch)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(exclude_categories=()), max_size=40)
                | st.lists(st.sampled_from(SHAPE_PIECES), max_size=10).map("".join),
                max_size=8))
def test_compiled_line_statistics_equal_python(texts):
    import pytest

    with pytest.MonkeyPatch.context() as monkeypatch:
        assert_compiled_statistics_equal_python(texts, monkeypatch)


def test_distinct_rows_equals_transforming_every_row():
    from sklearn.feature_extraction.text import HashingVectorizer

    from classifier.lines.table import DistinctRows

    documents = ["tag=p in=div", "tag=li in=nav", "tag=p in=div", "", "tag=li in=nav", "x"]
    hashing = HashingVectorizer(n_features=2 ** 10, token_pattern=r"\S+", binary=True)
    once = DistinctRows(hashing).fit(documents)
    assert (once.transform(documents) != hashing.transform(documents)).nnz == 0
    # Every row distinct: the matrix of the distinct documents as it is.
    assert (once.transform(documents[:2]) != hashing.transform(documents[:2])).nnz == 0


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 6), st.integers(1, 9), st.lists(st.integers(0, 5), max_size=12),
       st.integers(0, 2 ** 32 - 1), st.booleans())
def test_take_rows_is_scipy_s_row_indexing(n_rows, n_columns, rows, seed, wide_indices):
    import scipy.sparse as sp

    from classifier.lines.table import take_rows

    rng = np.random.default_rng(seed)
    dense = rng.normal(size=(n_rows, n_columns)) * (rng.random((n_rows, n_columns)) < 0.4)
    matrix = sp.csr_matrix(dense)
    if wide_indices:
        matrix.indptr, matrix.indices = (matrix.indptr.astype(np.int64),
                                         matrix.indices.astype(np.int64))
    rows = np.array([row for row in rows if row < n_rows], dtype=np.intp)
    ours, theirs = take_rows(matrix, rows), matrix[rows]
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    for name in ("indptr", "indices", "data"):
        assert getattr(ours, name).dtype == getattr(theirs, name).dtype
        np.testing.assert_array_equal(getattr(ours, name), getattr(theirs, name))


META_PIECES = ["Jane", " says", "SAID", ":", " ", "\t", "reply", "Report abuse", "12", " likes",
               "at ", "4:15", " pm", "ſays", "wrote", "—", "!", "x", "\n", "Edit",
               # What a case-insensitive "s" or "i" also matches; other digits.
               "ſaid", "wrıtes", "WRİTES", "writeſ", "\u212a", "٣:٤٥", "\u2003", "3 replies",
               # The meta words, in any case a case-insensitive pattern takes.
               "ReplyDelete", "REPORT", " abuse", "permalınk", "FLAG", "Quote", "lİ\u212ae",
               "dELETE", "edıt", "Permalink", "12 votes", "1 point", "²", "like"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(META_PIECES), max_size=8).map("".join)
       | st.text(alphabet="aAtT sSyY:1245pm\n—_", max_size=20))
def test_comment_meta_a_part_at_a_time_equals_the_whole_pattern(text):
    whole = re.compile("|".join(sections._COMMENT_META_PARTS), re.IGNORECASE)
    assert sections.is_comment_meta(text) == (whole.search(text) is not None)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.lists(st.sampled_from(META_PIECES), max_size=8).map("".join)
                | st.text(alphabet="aAtT sSyYıİſ:1245pm\n—_", max_size=20)
                | st.from_regex(sections._META_WORD), max_size=6))
def test_comment_meta_lines_are_the_lines_is_comment_meta_finds(texts):
    counts = statistics.character_counts(texts)
    some = np.arange(0, len(texts), 2)  # every other line
    expected = [sections.is_comment_meta(text) and i % 2 == 0 for i, text in enumerate(texts)]
    assert sections.comment_meta_lines(texts, some, counts).tolist() == expected


def test_the_says_test_maps_every_character_a_case_insensitive_pattern_takes_for_its_letters():
    letters = "".join(sorted(set("".join(statistics._SAYS_WORDS))))
    any_case = re.compile(f"[{letters}]", re.IGNORECASE)
    taken = {chr(code) for code in range(0x110000) if any_case.fullmatch(chr(code))}
    mapped = {character for character in taken if statistics.any_case(character) in letters}
    assert mapped == taken


_HEADING_LINES = (st.from_regex(sections._COMMENT_HEADING) | st.from_regex(sections._LINKS_HEADING)
                  | st.lists(st.sampled_from(["12", " ", "Comments", "RELATED", "ſhare", "İn",
                                              "\u212a", "Most", "read", "—", "x", "_", "in"]),
                             max_size=5).map("".join))


@settings(max_examples=300, deadline=None)
@given(st.lists(_HEADING_LINES, min_size=1, max_size=6))
def test_section_headings_are_the_short_lines_the_heading_patterns_match(texts):
    texts = [text.replace("\n", " ").replace("\r", " ") for text in texts]
    X = pd.DataFrame({"text": texts, "page": 0})
    out = sections.SectionMarkers().fit(X).transform(X)
    short = [len(re.findall(r"\w+", text)) <= 6 for text in texts]
    for column, pattern in ((0, sections._COMMENT_HEADING), (3, sections._LINKS_HEADING)):
        expected = [float(is_short and pattern.match(text) is not None)
                    for text, is_short in zip(texts, short)]
        assert out[:, column].tolist() == expected


def test_neighbour_window_offsets_past_every_page_find_no_neighbour():
    values = np.arange(12, dtype=np.float32).reshape(6, 2)
    bounds = np.array([0, 4, 6])
    out = neighbour_window(values, bounds, (10 ** 15, -(10 ** 15), 6, -6), (3,))
    assert (out[:, :12] == 0).all()  # values and "exists" of the four offsets
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tables, "_lines", None)
        np.testing.assert_array_equal(
            out, neighbour_window(values, bounds, (10 ** 15, -(10 ** 15), 6, -6), (3,)))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "tag=p in=div", "", "é", "a "]) | st.text(max_size=3),
                max_size=12),
       st.booleans())
def test_factorize_is_pandas_factorize(values, use_na_sentinel):
    codes, distinct = tables.factorize(values, use_na_sentinel)
    expected_codes, expected_distinct = pd.factorize(np.array(values + [None], dtype=object)[:-1],
                                                      use_na_sentinel=use_na_sentinel)
    assert codes.tolist() == expected_codes.tolist() and distinct == list(expected_distinct)


def test_factorize_leaves_missing_values_to_pandas():
    for values in (["a", None, "a", np.nan], [np.nan, "b", np.nan]):
        for sentinel in (True, False):
            codes, distinct = tables.factorize(values, sentinel)
            expected_codes, expected_distinct = pd.factorize(np.array(values, dtype=object),
                                                             use_na_sentinel=sentinel)
            assert codes.tolist() == expected_codes.tolist()
            assert len(distinct) == len(expected_distinct)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.text(alphabet=".!?…\"'”’)] \t\u00a0\u2003\u3000\x1cAZaz“‘(«1", max_size=16),
                max_size=6))
def test_sentence_breaks_are_the_patterns_matches(texts):
    counts = statistics.character_counts(texts, only=("sentence_breaks",))["sentence_breaks"]
    assert counts.tolist() == [len(statistics._SENTENCE_BREAK.findall(text)) for text in texts]


def reference_score_context(scores, bounds, offsets, windows):
    """The second stage's score features, page by page (the definition)."""
    scores = np.asarray(scores, dtype=np.float32)
    column = scores[:, None]
    shifted = neighbour_window(column, bounds, offsets, windows)
    page_stats = np.zeros((len(scores), 5), dtype=np.float32)
    for start, stop in zip(bounds[:-1], bounds[1:]):
        page = scores[start:stop]
        run_start, run_stop = layout.densest_run(page - 0.5)
        index = np.arange(stop - start)
        page_stats[start:stop, 0] = page.mean()
        page_stats[start:stop, 1] = page.max()
        page_stats[start:stop, 2] = page.argsort().argsort() / max(stop - start - 1, 1)
        page_stats[start:stop, 3] = (index >= run_start) & (index < run_stop)
        page_stats[start:stop, 4] = np.log1p(np.maximum(run_start - index, 0)
                                             + np.maximum(index - run_stop + 1, 0))
    return np.hstack([column, shifted, page_stats])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0])
                         | st.floats(0, 1, width=32), min_size=1, max_size=40),
                min_size=1, max_size=6))
def test_score_context_is_computed_as_page_by_page(pages):
    # Ties in every page (the ranks follow argsort's order), pages of one line.
    from classifier.lines.model import score_context

    scores = np.array([score for page in pages for score in page], dtype=np.float32)
    bounds = np.concatenate([[0], np.cumsum([len(page) for page in pages])]).astype(np.int64)
    got = score_context(scores, bounds, (-2, -1, 1, 2), (3, 5))
    expected = reference_score_context(scores, bounds, (-2, -1, 1, 2), (3, 5))
    assert got.dtype == expected.dtype == np.float32
    np.testing.assert_array_equal(got.view(np.int32), expected.view(np.int32))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.integers(0, 300) | st.sampled_from([0, 1, 5]), min_size=1,
                         max_size=30), min_size=1, max_size=8))
def test_page_positions_for_all_pages_at_once_are_those_page_by_page(pages):
    # Lengths as text_lengths gives them (whole numbers in float64), ties,
    # empty lines, pages of one line, odd and even page lengths (medians).
    chars = np.array([length for page in pages for length in page], dtype=np.float64)
    bounds = np.concatenate([[0], np.cumsum([len(page) for page in pages])]).astype(np.int64)
    together, each = (np.zeros((len(chars), 7), dtype=np.float32) for _ in range(2))
    layout._page_positions(chars, bounds, together)
    layout._page_positions_of_each_page(chars, bounds, each)
    np.testing.assert_array_equal(together.view(np.int32), each.view(np.int32))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.integers(0, 300), min_size=1, max_size=30).flatmap(
    lambda page: st.tuples(st.just(page), st.integers(0, len(page)), st.integers(0, len(page)))),
    min_size=1, max_size=8))
def test_main_run_columns_for_all_pages_at_once_are_those_page_by_page(pages):
    # Any run of each page, none (start >= stop) included; lengths as
    # text_lengths gives them, all-empty pages (a zero total) too.
    chars = np.array([length for page, _, _ in pages for length in page], dtype=np.float64)
    bounds = np.concatenate([[0], np.cumsum([len(page) for page, _, _ in pages])])
    runs = [(min(a, b), max(a, b)) if a != b else (a, a) for _, a, b in pages]
    together, each = (np.zeros((len(chars), 4), dtype=np.float32) for _ in range(2))
    layout._main_run_columns(runs, chars, bounds.astype(np.int64), together)
    layout._main_run_columns_of_each_page(runs, chars, bounds.astype(np.int64), each)
    np.testing.assert_array_equal(together.view(np.int32), each.view(np.int32))
