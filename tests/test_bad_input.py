"""Hostile and odd pages: each gets a correct result or a clear InputError.

Everything here runs on the small models trained from synthetic pages; what
is checked is the contract (no crash, no hang, nothing lost, typed errors),
not the quality of the labels.
"""

import pytest
from conftest import watchdog
from hypothesis import given, settings
from hypothesis import strategies as st

import classifier
from classifier import InputError, Limits
from classifier.lines.html import html_to_lines


@pytest.fixture(scope="module")
def clf(trained_models):
    return classifier.load(trained_models, trusted=True)


def assert_one_line_per_non_blank_input_line(page, text):
    import re

    text = re.sub("[\ud800-\udfff]", "\ufffd", text)  # lone surrogates become U+FFFD
    raw = re.split(r"\r\n|\r|\n", text) if text else []
    expected = [(i, line.strip()) for i, line in enumerate(raw) if line.strip()]
    assert [(line.index, line.text) for line in page.lines] == expected
    assert all(0.0 <= line.score <= 1.0 for line in page.lines)


@pytest.mark.parametrize("text", [
    "", " ", "\t\n \r\n\r", "\n" * 1000,
    "NUL\x00inside a line\nbell\x07 and escape\x1b[31m codes\x7f",
    "form\x0cfeed and \x1c file separators \x85 next-line stay inside one line",
    "Windows\r\nline\r\nends", "old Mac\rline\rends", "mixed\r\nends\rand\nmore",
    "العربية من اليمين إلى اليسار\nעברית גם כן",
    "中文新闻正文没有空格。\n日本語のテキストです。\n한국어 문장입니다.",
    "emoji 🎉🔥 in a line 👩‍👩‍👧\n🙂",
    "\ufeffa byte-order mark at the start\n\u200b zero width \u2028 separators",
    "\udcff lone surrogate from surrogateescape",  # becomes U+FFFD
])
def test_odd_text_gets_one_label_per_non_blank_line(clf, text):
    page = clf.predict(text)
    assert_one_line_per_non_blank_input_line(page, text)


def test_invalid_utf8_bytes_are_refused_for_text_and_decoded_for_html(clf):
    data = b"caf\xe9 \xff\xfe broken \xc3( utf-8"
    with pytest.raises(InputError, match="decode it first"):
        clf.predict(data)
    # The CLI decodes text files with errors="replace"; HTML is decoded by
    # its declared or sniffed encoding and never fails.
    assert clf.predict(data.decode("utf-8", errors="replace")).lines
    assert "café" in clf.predict_html(b"<p>" + data + b"</p>").lines[0].text


def test_a_10_mb_line_is_kept_whole_and_scored(clf):
    line = "word " * 2_000_000
    page = clf.predict("Headline\n" + line + "\nfooter")
    assert len(page.lines) == 3
    assert page.lines[1].text == line.strip()  # nothing cut from the result
    assert 0.0 <= page.lines[1].score <= 1.0


def test_a_50_mb_page_is_refused_with_the_limit_named(clf):
    page = "A line of text.\n" * 3_200_000  # 51 MB
    with pytest.raises(InputError, match="max_page_chars"):
        clf.predict(page)
    with pytest.raises(InputError, match="max_page_chars"):
        clf.predict(page.split("\n"))
    with pytest.raises(InputError, match="max_html_bytes"):
        clf.predict_html(("<p>" + "x" * 100 + "</p>") * 500_000)


def test_a_million_lines_are_refused_by_default_and_the_limit_is_configurable(
        clf, trained_models):
    with pytest.raises(InputError, match="more than 100,000 non-blank lines.*max_lines"):
        clf.predict("line\n" * 1_000_000)
    small = classifier.load(trained_models, trusted=True, limits=Limits(max_lines=10))
    assert len(small.predict("line\n" * 10).lines) == 10
    with pytest.raises(InputError, match="max_lines"):
        small.predict("line\n" * 11)
    with pytest.raises(InputError, match="max_lines"):
        small.predict_html("<p>x</p>" * 11)
    # In a batch the error names the page.
    with pytest.raises(InputError, match="page 1 has more than 10"):
        small.predict_many(["line", "line\n" * 11])
    with pytest.raises(InputError, match="page 1 has 11"):  # as a list of lines, counted
        small.predict_many(["line", ["line"] * 11])
    # Blank lines do not count: many of them and few lines of text are a page.
    assert len(small.predict("\n \n\r\n" * 50_000 + "one\ntwo").lines) == 2


def test_a_page_of_millions_of_lines_is_refused_before_it_is_split(clf, monkeypatch):
    from classifier import api

    def split_nothing(text):
        raise AssertionError("the page was split before the line limit refused it")
    monkeypatch.setattr(api, "split_lines", split_nothing)
    with pytest.raises(InputError, match="more than 100,000 non-blank lines"):
        clf.predict("x\n" * 8_000_000)


def test_the_cli_reads_no_further_than_a_page_can_be(tmp_path, monkeypatch):
    import io
    import sys

    from classifier.cli import _read

    limits = Limits(max_page_chars=100, max_html_bytes=1_000)
    big = tmp_path / "big.html"
    big.write_bytes(b"<p>x</p>" * 1_000_000)  # 8 MB

    class Endless(io.RawIOBase):  # `yes | predict -`: never ends
        taken = 0

        def readable(self):
            return True

        def readinto(self, buffer):
            buffer[:] = b"y\n" * (len(buffer) // 2) + b"y" * (len(buffer) % 2)
            Endless.taken += len(buffer)
            return len(buffer)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(Endless())))
    with pytest.raises(InputError, match="over the limit of 1,000 bytes of HTML"):
        _read(str(big), True, limits)
    with pytest.raises(InputError, match="over the 400 bytes that 100 characters can take"):
        _read("-", False, limits)
    assert Endless.taken < 10_000  # read the limit (+ a buffer), not the stream
    assert _read(str(big), False, Limits()).startswith("<p>x</p>")


def test_limits_are_validated():
    with pytest.raises(ValueError, match="max_lines"):
        Limits(max_lines=0)
    with pytest.raises(TypeError):
        classifier.Classifier(line_model=object(), limits={"max_lines": 5})


@pytest.mark.parametrize("html", [
    b"",
    b"<html><head><title>only a head</title></head></html>",
    b"<p>truncated <b>mid-tag <a href='x",
    b"</p></div></body></html> closing tags only",
    b"<div>" * 100_000 + b"deep text" + b"</div>" * 100_000,
    b'{"json": "not html", "list": [1, 2, 3]}',
    b"plain text, no markup at all\nsecond line\x0cafter a form feed",
    b"ID3 tags explained: a plain text that starts like an MP3 file",
    "<p>utf-8 \u00e9\u4e2d\U0001f600</p>".encode("utf-8"),
    "<p>utf-16 with BOM</p>".encode("utf-16"),
])
def test_html_that_is_broken_or_not_html_never_crashes(clf, html):
    page = clf.predict_html(html)
    for line in page.lines:
        assert line.text.strip() and "\n" not in line.text and "\r" not in line.text
        assert 0.0 <= line.score <= 1.0


@pytest.mark.parametrize("data, named", [
    (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj", "PDF"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "JPEG"),
    (b"\x1f\x8b\x08\x00" + b"<html>compressed, really</html>", "gzip"),
    (bytes(range(256)) * 64, "control characters"),
    ("\ufffd\ufffd<p>decoded with errors</p>\ufffd\ufffd\x00\x01", "control characters"),
])
def test_binary_data_is_refused_as_not_html_with_what_it_looks_like(clf, data, named):
    with pytest.raises(InputError, match=f"page is not HTML: .*{named}"):
        clf.predict_html(data)
    # In a list, the page is named by its place.
    with pytest.raises(InputError, match="page 1 is not HTML"):
        clf.predict_html_many(["<p>fine</p>", data])


def test_text_with_a_byte_order_mark_is_not_taken_for_binary(clf):
    page = clf.predict_html("<p>utf-16 without a meta charset</p>".encode("utf-16"))
    assert [line.text for line in page.lines] == ["utf-16 without a meta charset"]


@pytest.mark.parametrize("bad", [None, 3.5, object(), {"text": "x"}])
def test_wrong_types_are_input_errors_with_the_type_named(clf, bad):
    with pytest.raises(InputError, match=type(bad).__name__):
        clf.predict(bad)
    with pytest.raises(InputError, match=type(bad).__name__):
        clf.predict_html(bad)


def test_every_refusal_is_a_classifier_error(clf):
    for call in (lambda: clf.predict(None), lambda: clf.predict_many("x"),
                 lambda: clf.predict_many(None), lambda: clf.predict_many(5),
                 lambda: clf.predict_html(12), lambda: clf.predict(["a\nb"])):
        with pytest.raises(classifier.ClassifierError):
            call()


@pytest.mark.parametrize("html", [
    # Past libxml2's nesting limit the page is read by the flat fallback, whose
    # regexes once rescanned the page per unclosed tag (a minute for these).
    "<div>" * 3000 + "<script>x " * 32_000,
    "<div>" * 3000 + "<a x" * 32_000,
    "<div>" * 3000 + "<style>" * 32_000 + "</style>visible",
    "<p>" + "<a " * 100_000,
    "<meta " * 100_000,
])
def test_pathological_markup_takes_linear_time(html):
    with watchdog(5):
        lines = html_to_lines(html)
    assert all(line.strip() == line and line for line in lines)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["\r", "\n", "\r\n", "\n\r", "a", " ", "\x85", "\u2028",
                                 "\x0b", "\x0c"]), max_size=12).map("".join))
def test_lines_break_at_crlf_cr_and_lf_only(text):
    import re

    from classifier.text import split_lines

    assert split_lines(text) == (re.split(r"\r\n|\r|\n", text) if text else [])
