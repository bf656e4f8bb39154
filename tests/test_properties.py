"""Properties that hold for *any* input, checked with hypothesis.

The same tests are the fuzzer: ``make test`` runs them for a few seconds
(the "default" profile), ``make fuzz`` runs many more examples (the "fuzz"
profile in conftest.py). Each example runs under a watchdog, so a hang is
a failure with the input that caused it, not a stuck test run.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import watchdog
from hypothesis import given
from hypothesis import strategies as st

import classifier
from classifier import InputError
from classifier.lines.body import SCORE_FLOOR, body_mask
from classifier.lines.html import html_to_blocks
from classifier.page_bytes import not_a_page_reason
from classifier.text import replace_surrogates


@pytest.fixture(scope="module")
def clf(trained_models):
    return classifier.load(trained_models, trusted=True)


# Lines mixing words, whitespace of every kind, control characters, scripts
# and emoji; joined by any of the three line breaks (or odd separators that
# are *not* line breaks).
_piece = st.one_of(
    st.text(alphabet=st.one_of(
        st.sampled_from(list("abc XYZ.,;:!?-'\"()0123456789\t\x00\x0b\x0c\x1c\x85\u2028\ufeff")),
        st.characters(codec="utf-8")), max_size=30),
    st.sampled_from(["minister ", "election ", "match ", "Home > ", "Related", "© 2024 "]),
)
_line = st.lists(_piece, max_size=6).map("".join)
page_texts = st.lists(_line, max_size=25).flatmap(
    lambda lines: st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=len(lines),
                           max_size=len(lines)).map(
        lambda breaks: "".join(line + brk for line, brk in zip(lines, breaks))))


def expected_lines(text: str) -> list[tuple[int, str]]:
    raw = re.split(r"\r\n|\r|\n", text) if text else []
    return [(i, line.strip()) for i, line in enumerate(raw) if line.strip()]


@given(text=st.text(alphabet=st.one_of(
    # Any code point (lone surrogates included; a pair of them is two
    # lone ones in a str), and the cases that matter most.
    st.characters(),
    st.sampled_from(["a", " ", "\ud800", "\udfff", "é", "\U0001F600"]))))
def test_replace_surrogates_replaces_exactly_the_lone_surrogates(text):
    expected = re.sub("[\ud800-\udfff]", "\ufffd", text)
    assert replace_surrogates(text) == expected
    expected.encode("utf-8")  # any encoder takes the result


@given(text=page_texts)
def test_one_label_per_non_blank_line_in_order_with_scores_in_0_1(clf, text):
    with watchdog():
        page = clf.predict(text)
    assert [(line.index, line.text) for line in page.lines] == expected_lines(text)
    for line in page.lines:
        assert 0.0 <= line.score <= 1.0
    # Body at the threshold, or at the page's relative cut when the lines at
    # the threshold hold almost no words; never body below the floor.
    scores = [line.score for line in page.lines]
    body = body_mask(scores, [0, len(scores)], [line.text for line in page.lines],
                     clf.threshold)
    assert [line.label for line in page.lines] == ["body" if b else "boilerplate"
                                                   for b in body]
    assert all(line.score >= min(clf.threshold, SCORE_FLOOR)
               for line in page.lines if line.label == "body")
    if page.topic is not None:
        assert page.body and abs(sum(page.topic_scores.values()) - 1.0) < 1e-6


@given(text=page_texts)
def test_prediction_is_deterministic(clf, text):
    assert clf.predict(text) == clf.predict(text)


@given(texts=st.lists(page_texts, max_size=6))
def test_predict_many_equals_predict_page_by_page(clf, texts):
    assert clf.predict_many(texts) == [clf.predict(text) for text in texts]


@given(texts=st.lists(page_texts, min_size=2, max_size=4))
def test_results_are_identical_from_several_threads(clf, texts):
    expected = [clf.predict(text) for text in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(clf.predict, texts * 2)) == expected * 2


# HTML soup: real tags (block, inline, dropped, void), broken ones, attributes
# with class words the model uses, entities, comments, CDATA, declarations,
# encodings declared right or wrong, and raw bytes.
_tags = ["p", "div", "span", "a", "li", "ul", "h1", "br", "table", "tr", "td", "pre",
         "script", "style", "title", "head", "body", "html", "nav", "footer", "svg", "b"]
_fragment = st.one_of(
    st.builds(lambda t, a: f"<{t}{a}>", st.sampled_from(_tags),
              st.sampled_from(["", " class='related'", ' id="comment-1"', " href=x", " =>",
                               " class=\"a b\" style='x'"])),
    st.builds(lambda t: f"</{t}>", st.sampled_from(_tags)),
    st.sampled_from(["&amp;", "&nbsp;", "&#0;", "&#x110000;", "&bogus", "<!-- c -->",
                     "<!--", "<![CDATA[x]]>", "<!DOCTYPE html>", "<?xml version='1.0'?>",
                     "<meta charset='latin-1'>", "<meta charset=nonsense>", "<", ">", "</",
                     "<p", "\x00", "\r\n", "\ufeff"]),
    _line,
)
html_soup = st.lists(_fragment, max_size=60).map("".join)
html_inputs = st.one_of(
    html_soup,
    html_soup.flatmap(lambda s: st.sampled_from(["utf-8", "cp1252", "utf-16"]).map(
        lambda encoding: s.encode(encoding, errors="replace"))),
    st.binary(max_size=2000),
)


@given(html=html_inputs)
def test_any_html_gives_clean_lines_and_a_result(clf, html):
    with watchdog():
        blocks = html_to_blocks(html)  # converting never fails, whatever the bytes
        if not_a_page_reason(html):  # binary data is refused, and says so
            with pytest.raises(InputError, match="is not HTML"):
                clf.predict_html(html)
            return
        page = clf.predict_html(html)
    texts = [block.text for block in blocks]
    assert [line.text for line in page.lines] == [text.strip() for text in texts]
    for text in texts:
        assert text.strip() == text and text and "\n" not in text and "\r" not in text
    assert all(0.0 <= line.score <= 1.0 for line in page.lines)


@given(depth=st.integers(min_value=0, max_value=3000), word=st.sampled_from(["x", "deep text"]))
def test_any_nesting_depth_keeps_the_text(depth, word):
    html = "<div>" * depth + word + "</div>" * depth
    with watchdog():
        assert [block.text for block in html_to_blocks(html)] == [word]


# -- hostile shapes (issue 29): deep nesting with attribute words, charset
# labels, WARC records whose lengths lie ---------------------------------------

@given(depth=st.integers(min_value=0, max_value=1500),
       words=st.integers(min_value=0, max_value=100))
def test_deep_nesting_with_attribute_words_keeps_blocks_bounded(depth, words):
    from classifier.lines.html import MAX_ATTRIBUTE_WORDS

    html = "".join(f'<div class="{" ".join(f"l{level}w{i}" for i in range(words))}">t'
                   for level in range(depth))
    with watchdog():
        blocks = html_to_blocks(html)
    assert len(blocks) == depth
    assert all(len(block.attribute_words) <= MAX_ATTRIBUTE_WORDS for block in blocks)


_CHARSET_LABELS = ["rot13", "base64", "hex", "zlib", "bz2", "uu", "quopri", "undefined",
                   "idna", "punycode", "utf-7", "utf-16", "utf-32", "mbcs", "x-user-defined",
                   "latin-1", "iso-8859-1", "shift_jis", "koi8-r", "ascii", ""]


@given(label=st.one_of(st.sampled_from(_CHARSET_LABELS),
                       st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_:.", max_size=20)),
       where=st.sampled_from(["<meta charset='{}'>", '<meta http-equiv="Content-Type" '
                              'content="text/html; charset={}">', "<?xml version='1.0' "
                              "encoding='{}'?>"]),
       body=_line)
def test_any_charset_label_gives_a_page(clf, label, where, body):
    html = (where.format(label) + "<p>" + body + "</p>").encode("utf-8", "surrogatepass")
    with watchdog():
        blocks = html_to_blocks(html)  # never raises, whatever the label says
        if not_a_page_reason(html):  # (the body drawn was binary data)
            return
        page = clf.predict_html(html)
    assert [line.text for line in page.lines] == [block.text for block in blocks]


_WARC_DAMAGE = st.one_of(
    st.tuples(st.just("length"), st.integers(min_value=-60, max_value=60)),
    st.tuples(st.just("bytes"), st.integers(min_value=0, max_value=10_000)),
    st.tuples(st.just("junk"), st.integers(min_value=1, max_value=200_000)),
)


@given(records=st.integers(min_value=1, max_value=12), compressed=st.booleans(),
       damaged=st.integers(min_value=0, max_value=11), damage=_WARC_DAMAGE)
def test_a_damaged_warc_record_costs_at_most_itself(tmp_path_factory, records, compressed,
                                                    damaged, damage):
    from conftest import warc_bytes

    from classifier.batch.sources import Record, read_inputs

    damaged %= records
    kind, amount = damage
    parts = [warc_bytes([("conversion", f"https://news.example/{n}", "text/plain",
                          f"Page {n}, a line of text.".encode())], compressed=compressed)
             for n in range(records)]
    part = parts[damaged]
    if kind == "length" and not compressed:
        head, _, rest = part.partition(b"Content-Length: ")
        length, _, rest = rest.partition(b"\r\n")
        part = head + b"Content-Length: " + str(max(0, int(length) + amount)).encode() + \
            b"\r\n" + rest
    elif kind == "bytes":
        at = amount % len(part)
        part = part[:at] + bytes([part[at] ^ 0x5A]) + part[at + 1:]
    elif kind == "junk":
        part = part + b"x" * amount  # a record followed by bytes that are none
    parts[damaged] = part
    path = tmp_path_factory.mktemp("warc") / ("crawl.warc.gz" if compressed else "crawl.warc")
    path.write_bytes(b"".join(parts))
    with watchdog():
        items = list(read_inputs([path]))
    # Every record but the damaged one comes back, in order (the damaged
    # one may too, or as an error, or with a damaged header).
    others = [f"https://news.example/{n}" for n in range(records) if n != damaged]
    urls = [item.url for item in items if isinstance(item, Record)]
    assert [url for url in urls if url in others] == others
