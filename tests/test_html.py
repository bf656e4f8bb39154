import pytest

from classifier.errors import InputError
from classifier.html import decode_html, html_to_blocks, html_to_lines


def test_blocks_become_lines_in_document_order():
    html = """<html><body><h1>Title here</h1><p>First <b>bold</b> paragraph.</p>
    <div>Second block<br>after a break</div><p>Last.</p></body></html>"""
    assert html_to_lines(html) == ["Title here", "First bold paragraph.", "Second block",
                                   "after a break", "Last."]


def test_list_items_get_a_dash_and_inline_text_is_joined_as_is():
    html = "<ul><li><a href='/'>Home</a> &gt; <a>Finance</a>China's Xi</li><li>Two</li></ul>"
    assert html_to_lines(html) == ["- Home > FinanceChina's Xi", "- Two"]


def test_title_comes_first_and_other_invisible_content_is_dropped():
    html = """<html><head><title>The  title</title><style>.a{}</style></head><body>
    <script>var a = "<p>no</p>";</script><noscript>no</noscript><!-- comment -->
    <p>Visible</p><select><option>Choice</option></select><template><p>no</p></template>
    </body></html>"""
    assert html_to_lines(html) == ["The title", "Visible"]
    assert html_to_blocks(html)[0].tag == "title"


def test_text_after_a_nested_block_stays_in_its_parent():
    html = "<div>before<p>inside</p>after</div>"
    blocks = html_to_blocks(html)
    assert [b.text for b in blocks] == ["before", "inside", "after"]
    assert blocks[2].tag == "div"


def test_pre_keeps_its_line_breaks():
    html = "<pre>line one\nline two\n\nline four</pre>"
    assert html_to_lines(html) == ["line one", "line two", "line four"]


def test_block_records_dom_facts():
    html = "<nav class='site-nav'><ul><li><a href='/'>Home page</a></li></ul></nav>"
    (block,) = html_to_blocks(html)
    assert block.tag == "li"
    assert "nav" in block.ancestors
    assert {"site", "nav"} <= set(block.attribute_words)
    assert block.link_chars == len("Home page")


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1", "utf-8"])
def test_declared_encodings_are_honoured(encoding):
    text = "Café déjà vu – naïve"
    if encoding == "latin-1":
        text = "Café déjà vu naïve"  # latin-1 has no en dash
    html = f'<html><head><meta charset="{encoding}"></head><body><p>{text}</p></body></html>'
    assert html_to_lines(html.encode(encoding)) == [text]


def test_undeclared_cp1252_falls_back_without_crashing():
    data = "<p>Caf\u00e9 \u201cquoted\u201d</p>".encode("cp1252")
    assert html_to_lines(data) == ["Caf\u00e9 \u201cquoted\u201d"]


def test_utf8_with_and_without_bom():
    html = "<p>Ünïcödé ✓</p>"
    assert html_to_lines(html.encode("utf-8")) == ["Ünïcödé ✓"]
    assert html_to_lines(b"\xef\xbb\xbf" + html.encode("utf-8")) == ["Ünïcödé ✓"]


def test_utf16_with_bom():
    html = "<p>wide text</p>"
    assert html_to_lines(b"\xff\xfe" + html.encode("utf-16-le")) == ["wide text"]


def test_mislabelled_page_still_decodes():
    # Declared UTF-8 but really cp1252: strict UTF-8 fails, the fallback reads it.
    data = '<meta charset="utf-8"><p>caf\xe9</p>'.encode("latin-1")
    assert html_to_lines(data) == ["café"]


@pytest.mark.parametrize("html", [
    "", "   ", "<html><head><meta charset='utf-8'></head></html>",
    "<html><body></body></html>", "<<<>>>", "\x00\x01\x02", "<p>unclosed <b>bold <i>italic",
    "<?xml version='1.0' encoding='utf-8'?><root><p>xml</p></root>",
    "<table><tr><td>cell one<td>cell two</table></div></span>",
])
def test_malformed_or_empty_pages_never_crash(html):
    lines = html_to_lines(html)
    assert isinstance(lines, list)
    assert all(line.strip() and "\n" not in line for line in lines)


def test_page_without_body_element_keeps_text():
    assert html_to_lines("<p>just a fragment</p>") == ["just a fragment"]


@pytest.mark.parametrize("depth", [1000, 5000, 100_000])
def test_deeply_nested_markup_keeps_all_text(depth):
    # libxml2 gives up below 2048 levels; nothing may be lost either way.
    html = ("<p>before</p>" + "<div>" * depth + "deep &amp; text" + "</div>" * depth
            + "<p>after</p>")
    assert html_to_lines(html) == ["before", "deep & text", "after"]


@pytest.mark.parametrize("depth", [10, 5000])
def test_control_characters_become_spaces_at_any_depth(depth):
    # Shallow pages are parsed from bytes, too deep ones rebuilt flat from
    # the text: control characters (which stop libxml2) become spaces in both.
    html = ("<p>be\x00fore</p>" + "<div>" * depth + "deep\x01\x1ftext\ttab" + "</div>" * depth
            + "<p>after\x0b</p>")
    assert html_to_lines(html) == ["be fore", "deep text tab", "after"]


def test_decode_rejects_other_types():
    with pytest.raises(InputError):
        decode_html(12)
