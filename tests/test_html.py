import pytest

from classifier.errors import InputError
from classifier.lines.html import decode_html, html_to_blocks, html_to_lines


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


@pytest.mark.parametrize("label", ["rot13", "base64", "hex", "zlib", "bz2", "uu", "quopri",
                                   "undefined", "rot_13", "base64_codec", "no-such-charset"])
def test_a_charset_that_is_no_text_encoding_falls_back(label):
    # Codecs Python knows that are no text encodings raised out of
    # predict_html (LookupError, UnicodeError); they fall back as unknown ones.
    for page in (f"<meta charset='{label}'><p>caf\u00e9 ok</p>",
                 f"<?xml version='1.0' encoding='{label}'?><p>caf\u00e9 ok</p>"):
        assert html_to_lines(page.encode("utf-8")) == ["caf\u00e9 ok"]
        assert html_to_lines(page.encode("cp1252")) == ["caf\u00e9 ok"]


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


# ---- the compiled walk (classifier/lines/_html.c) gives the Python walk's blocks ----

import string  # noqa: E402

import lxml.etree  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from classifier.lines import html as html_module  # noqa: E402


def block_fields(blocks):
    return [(b.text, b.tag, b.ancestors, b.attribute_words, b.link_chars, b.depth, b.extra)
            for b in blocks]


def assert_walks_agree(page):
    """Both walks give the page the same blocks."""
    compiled = block_fields(html_to_blocks(page))
    saved, html_module.COMPILED = html_module.COMPILED, False
    try:
        python = block_fields(html_to_blocks(page))
    finally:
        html_module.COMPILED = saved
    assert compiled == python


def assert_compiled_walk_reads(page):
    """The compiled walk reads the page (the Python walk is not its fallback)."""
    root = html_module._parse(html_module.decode_html(page))
    if root is not None:
        body = root.find("body")
        assert html_module._compiled_walk(body if body is not None else root) is not None


AWKWARD_PAGES = [
    "<html><head><title> The  title </title></head><body><p>One <b>bold</b> word.</p>"
    "<div class='Main-Story K' id='İd'>Text<div>inner</div>tail of inner<p>para</p>"
    " after</div>tail of div</body>after body</html>",
    "<ul class=nav><li>one<li> <a href=/>two   three</a> <li><p>in p</p>after p</ul>",
    "<pre>line one\nline two\n<a href=x>link\nnext</a> tail\n\nend</pre><p>after</p>",
    "<p>a<br>b<br><br>c</p><p>\xa0\u2028 \u3000</p><div>x\x85y\u00a0z</div>",
    "<p>\u2003 lead and trail \u2003</p><p>\u205f\u1680mid\u2000dle\u202f end</p>",
    "<div class=''>empty class</div><div class>no value</div><div id='a&amp;b c_d9'>amp</div>",
    "<div class='a' class='b'>first of two</div><DIV CLASS='UPPER'>upper tags</DIV>",
    "<div role='main' class='x'><p itemprop='articleBody' id='b'>body</p></div>"
    "<nav ROLE='Navigation' itemprop=''>menu</nav><p role='' itemprop=''>none</p>",
    "<p>x<script>var a = '<p>';</script>after script<style>p{}</style>after style</p>",
    "<p>words <select><option>opt</option></select> tail</p><caf\xe9>accented tag</caf\xe9>",
    "<div class='" + "w" * 300 + " " + "X" * 600 + "'>long class words</div>",
    "<a href=1>link one</a><a>link two</a> plain <span><a> inner  link </a></span>",
    "<table><tr><td>c1<td>c2<tr><th>h</table><dl><dt>t<dd>d</dl>",
    "<svg:rect>namespaced prefix</svg:rect><math><mi>x</mi></math>tail of math",
    "<body><p>one</p><!-- comment --><?php echo 1; ?><p>two</p></body>",
    "text before any tag<p>then a paragraph</p>and after",
    "<li>list item outside a list</li><li><ul><li>nested</li></ul>after nested</li>",
]


@pytest.mark.parametrize("page", AWKWARD_PAGES)
def test_the_compiled_walk_gives_the_python_walks_blocks(page):
    assert html_module.COMPILED
    for form in (page, page.encode("utf-8")):
        assert_walks_agree(form)
        assert_compiled_walk_reads(form)


def test_deep_nesting_with_many_class_words_takes_linear_time_and_memory():
    # 1,000 levels of <div class="w0 ... w99">t with words different at
    # every level (0.7 MB): every block carried all its ancestors' words,
    # 156 s and 2.8 GB in predict_html. Now at most MAX_ATTRIBUTE_WORDS,
    # the nearest ones.
    levels = 1000
    page = "".join(f'<div class="{" ".join(f"l{level}w{i}" for i in range(100))}">t'
                   for level in range(levels))
    for form in (page, page.encode("utf-8")):
        blocks = html_module.html_to_blocks(form)
        assert len(blocks) == levels
        deepest = blocks[-1].attribute_words
        assert len(deepest) == html_module.MAX_ATTRIBUTE_WORDS
        assert deepest[-1] == f"l{levels - 1}w99"  # its own words kept, the farthest dropped
        assert blocks[5].attribute_words == tuple(f"l{level}w{i}" for level in range(6)
                                                  for i in range(100))
    assert_walks_agree(page)


@pytest.mark.parametrize("depth", [10, 3000])
def test_the_compiled_walk_reads_deep_and_flattened_pages(depth):
    page = "<p>before</p>" + "<div class=d>" * depth + "deep" + "</div>" * depth + "<p>after</p>"
    assert_walks_agree(page)
    assert_compiled_walk_reads(page)


def test_trees_the_compiled_walk_does_not_reproduce_go_to_the_python_walk(monkeypatch):
    # A comment, an entity reference or a namespaced element: only lxml's
    # own API puts them in a tree here, and the Python walk reads those.
    with_comment = lxml.etree.fromstring("<body><p>a<!-- c -->b</p></body>")
    entity = lxml.etree.fromstring("<body><p>a</p></body>")
    entity[0].append(lxml.etree.Entity("amp"))
    namespaced = lxml.etree.fromstring("<body xmlns:x='urn:x'><x:p>a</x:p></body>")
    for tree in (with_comment, entity, namespaced):
        assert html_module._compiled_walk(tree) is None
    assert html_module._compiled_walk("not an element") is None


@pytest.mark.parametrize("page, expected", [
    # HTML5 lets a page leave out <body>; libxml2 keeps HTML5 elements in the head.
    ("<!doctype html><title>T</title><article><h1>Head</h1><p>Story text.</p></article>",
     ["T", "Head", "Story text."]),
    ("<title>T</title><header>Site</header><main><p>Story</p></main><div>after</div>",
     ["T", "Site", "Story", "after"]),
    ("<meta charset=utf-8><title>T</title><section><p>First</p></section><p>Second</p>",
     ["T", "First", "Second"]),
    ("<html><head><title>T</title><style>p{}</style></head><body><p>x</p></body></html>",
     ["T", "x"]),
])
def test_html5_elements_before_an_implied_body_are_read(page, expected):
    assert [block.text for block in html_module.html_to_blocks(page)] == expected
    assert_walks_agree(page)


@pytest.mark.parametrize("page, expected", [
    # Markup after </body> (libxml2 keeps it beside the body).
    ("<html><head><title>T</title></head><body><p>in</p></body><p>after</p>tail<div>more</div>"
     "</html>", ["T", "in", "after", "tail", "more"]),
    # A pasted page: a fragment, then a second <html><head><body> (CleanEval's pages).
    ("<table><tr><td>cell one</td></tr></table></body><table><tr><td>cell two</td></tr></table>"
     "<html><head><title>T</title></head><body><p>inner</p></body></html>",
     ["T", "cell one", "cell two", "inner"]),
    # Markup and text after </html> (libxml2 stops there; a browser reads on).
    ("<html><body><p>in</p></body></html><p>after</p>tail</HTML >more<div>last</div>",
     ["in", "after", "tailmore", "last"]),
    # "</html>" in a script's string is no end: the script stays unseen.
    ("<html><body><p>in</p><script>w.write('<p>x</p></html>')</script><p>on</p></body></html>",
     ["in", "on"]),
    # Text right after </body> runs on from the body's last text, as a browser shows it.
    ("<html><head><title>T</title></head><body>one<p>two</p>three</body>four<p>five</p></html>",
     ["T", "one", "two", "threefour", "five"]),
])
def test_content_beside_the_body_is_read_in_document_order(page, expected):
    blocks = html_module.html_to_blocks(page)
    assert [block.text for block in blocks] == expected
    assert all(block.ancestors[:1] in ((), ("body",)) for block in blocks[1:])
    assert_walks_agree(page)


def test_itemprop_and_role_words_describe_a_block_like_class_and_id_words():
    blocks = html_module.html_to_blocks(
        "<div role='main' class='page'><article itemprop='articleBody' id='story-1'>"
        "<p>Article text.</p></article></div><nav role='navigation'><p>Menu</p></nav>")
    words = {block.text: block.attribute_words for block in blocks}
    assert words["Article text."] == ("page", "main", "story", "1", "articlebody")
    assert words["Menu"] == ("navigation",)


def test_the_only_characters_lowered_to_attribute_word_characters_are_known_ones():
    # _html.c maps A-Z, a-z, 0-9, U+0130 (lowers to "i" and a combining dot)
    # and U+212A (Kelvin sign, lowers to "k"); str.lower gives [a-z0-9] for
    # no other code point.
    word_characters = set(string.ascii_lowercase + string.digits)
    known = {chr(c): chr(c).lower() for c in range(128) if chr(c).lower() in word_characters}
    known.update({"\u0130": "i", "\u212a": "k"})
    for code in range(0x110000):
        character = chr(code)
        kept = "".join(c for c in character.lower() if c in word_characters)
        assert kept == known.get(character, ""), hex(code)


_TAGS = ["p", "div", "li", "pre", "a", "br", "span", "b", "td", "script", "option", "h1",
         "custom", "UL", "Section"]
_TEXT = st.lists(st.sampled_from(list("ab İK\n\t\xa0\u2028\u3000.,-") + ["word "]),
                max_size=12).map("".join)


@st.composite
def html_pages(draw, depth=0):
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        if depth < 4 and draw(st.booleans()):
            tag = draw(st.sampled_from(_TAGS))
            attributes = ""
            for name in draw(st.lists(st.sampled_from(["class", "id", "href", "itemprop",
                                                       "role"]), max_size=3)):
                attributes += f' {name}="{draw(_TEXT)}"'
            parts.append(f"<{tag}{attributes}>{draw(html_pages(depth + 1))}"
                         + (f"</{tag}>" if draw(st.booleans()) else ""))
        else:
            parts.append(draw(_TEXT).replace("<", " ").replace("&", " "))
    return "".join(parts)


@settings(max_examples=300, deadline=None)
@given(html_pages())
def test_the_compiled_walk_gives_the_python_walks_blocks_on_any_page(page):
    assert_walks_agree(page)


@pytest.mark.parametrize("compiled", [True, False])
def test_the_conversion_stops_one_block_past_max_blocks(compiled, monkeypatch):
    # A 31 MB page of <p>x</p> was converted whole (1.9 GB) before the line
    # limit refused it; now the walk stops one block over it.
    import tracemalloc

    monkeypatch.setattr(html_module, "COMPILED", compiled and html_module.COMPILED)
    page = b"<html><head><title>T</title></head><body>" + b"<p>x</p>" * 100_000 + b"</body>"
    assert len(html_module.html_to_block_rows(page[:2000], max_blocks=1000)) < 1000
    tracemalloc.start()
    with pytest.raises(html_module.TooManyBlocks, match="more than 1000 blocks"):
        html_module.html_to_block_rows(page, max_blocks=1000)
    stopped = tracemalloc.get_traced_memory()[1]  # mostly the page decoded
    tracemalloc.reset_peak()
    rows = html_module.html_to_block_rows(page)
    assert len(rows) == 100_001  # the title and every block
    assert tracemalloc.get_traced_memory()[1] > 4 * stopped
    tracemalloc.stop()
    # Exactly at the limit is allowed (the title is a block).
    small = b"<title>T</title><body>" + b"<p>x</p>" * 9 + b"</body>"
    assert len(html_module.html_to_block_rows(small, max_blocks=10)) == 10
    with pytest.raises(html_module.TooManyBlocks):
        html_module.html_to_block_rows(small, max_blocks=9)


def test_predict_html_refuses_a_page_over_the_line_limit_during_conversion(trained_models):
    import classifier

    clf = classifier.load(trained_models, trusted=True, limits=classifier.Limits(max_lines=50))
    with pytest.raises(InputError, match="page has more than 50 non-blank lines"):
        clf.predict_html(b"<p>x</p>" * 10_000)
    with pytest.raises(InputError, match="page 1 has more than 50 non-blank lines"):
        clf.predict_html_many([b"<p>fine</p>", b"<p>x</p>" * 10_000])
    assert len(clf.predict_html(b"<p>x</p>" * 50).lines) == 50


@pytest.mark.parametrize("page, expected", [
    # A tag left open in a <noscript> (an old browser-sniffing pattern) kept
    # libxml2's noscript open to the end: the whole article was dropped.
    ("<html><body><noscript><div id='left'></noscript><h1>Vote</h1><p>The council voted.</p>"
     "</body></html>", ["Vote", "The council voted."]),
    ("<html><head><title>T</title><noscript><img src=x></noscript></head>"
     "<body><p>one</p><noscript>Enable JavaScript</noscript><p>two</p></body></html>",
     ["T", "one", "two"]),
    # A <noscript> in a comment or in a script's text is no element ...
    ("<body><!-- <noscript> --><p>one</p><script>w('<noscript>')</script><p>two</p>"
     "<noscript>hidden</noscript><p>three</p></body>", ["one", "two", "three"]),
    # ... nor in a <title> without an end, whose text holds the rest, as
    # libxml2 reads it.
    ("<html><head><title>T <noscript>x</noscript> more", ["T <noscript>x</noscript> more"]),
    # Without an end tag only the opening tag goes: no text dropped on a guess.
    ("<body><p>one</p><noscript><p>two</p><noscript><p>three</p></body>",
     ["one", "two", "three"]),
    ("<body><p>one</p><NoScript class='x'>gone</NOSCRIPT ><p>two</p></body>", ["one", "two"]),
])
def test_noscript_content_is_hidden_text_as_in_a_browser_that_runs_scripts(page, expected):
    assert html_to_lines(page) == expected
    assert_walks_agree(page)


def test_many_noscripts_without_end_tags_are_read_in_linear_time():
    from conftest import watchdog

    page = "<p>start</p>" + "<noscript><p>x</p>" * 50_000 + "<p>end</p>"
    with watchdog(20):
        lines = html_to_lines(page)
    assert lines[0] == "start" and lines[-1] == "end" and len(lines) == 50_002
