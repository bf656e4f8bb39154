"""The HTML path: DOM features, the HTML line model, predict_html."""

import numpy as np
import pandas as pd
import pytest
from conftest import synthetic_page
from hypothesis import given, settings
from hypothesis import strategies as st

import classifier
from classifier.errors import DataError
from classifier.lines.dom import DomLayout, DomTokens, container_ids, dom_line_table
from classifier.lines.html import html_to_blocks

PAGE = """<html><head><title>Minister wins vote</title></head><body>
<nav class="site-menu"><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li></ul></nav>
<article class="entry-content"><h1>Minister wins vote</h1>
<p>The minister won the vote in parliament on <a href="/x">Tuesday</a> after a long debate.</p>
<p>Opposition leaders said the result would change little.</p></article>
<div id="comments"><h3>3 Comments</h3><p>Great article, thanks!</p></div>
<footer>Copyright 2024</footer></body></html>"""


@pytest.fixture(scope="module")
def clf(trained_models):
    return classifier.load(trained_models, trusted=True)


def table_of(html) -> pd.DataFrame:
    return pd.DataFrame(dom_line_table(html_to_blocks(html)))


def test_dom_line_table_carries_each_blocks_place():
    table = table_of(PAGE)
    assert table["text"].tolist() == [
        "Minister wins vote", "- Home", "- News", "Minister wins vote",
        "The minister won the vote in parliament on Tuesday after a long debate.",
        "Opposition leaders said the result would change little.",
        "3 Comments", "Great article, thanks!", "Copyright 2024"]
    assert table["tag"].tolist()[:4] == ["title", "li", "li", "h1"]
    assert "nav" in table["path"][1].split()
    assert "comments" in table["attributes"][7].split()
    assert table["link_chars"][1] == len("Home")


def test_dom_tokens_and_layout():
    table = table_of(PAGE)
    tokens = DomTokens().transform(table)
    assert "tag=li" in tokens[1].split() and "in=nav" in tokens[1].split()
    assert "class=comments" in tokens[7].split()
    layout = DomLayout().transform(table)
    names = list(DomLayout.feature_names_)
    assert layout.shape == (len(table), len(names))
    column = {name: layout[:, names.index(name)] for name in names}
    # "- Home" is all link text ("- " is the list prefix); the paragraph a little.
    assert column["link_density"][1] == pytest.approx(4 / 6)
    assert 0 < column["link_density"][4] < 0.2
    assert column["in_nav"][1] == 1 and column["in_nav"][4] == 0
    assert column["class_comment"][7] == 1 and column["class_comment"][4] == 0
    assert column["class_navigation"][1] == 1  # "site-menu"
    assert column["tag_headline"][3] == 1 and column["tag_paragraph"][4] == 1
    assert column["text_share"].sum() == pytest.approx(1.0)
    assert np.isfinite(layout).all()


def test_short_keys_match_whole_words_only():
    table = pd.DataFrame({"text": ["a", "b"], "page": [0, 0], "tag": ["p", "p"],
                          "path": ["", ""], "attributes": ["header", "ad"],
                          "link_chars": [0, 0], "depth": [1, 1]})
    layout = DomLayout().transform(table)
    promo = list(DomLayout.feature_names_).index("class_promo")
    assert layout[:, promo].tolist() == [0.0, 1.0]


def _reference_keyword_pattern(keys):
    """The definition of a keyword group as one regex (a long key anywhere,
    a short key as a whole [a-z0-9] word)."""
    import re

    long_keys = "|".join(re.escape(key) for key in keys if len(key) > 3)
    short_keys = "|".join(re.escape(key) for key in keys if len(key) <= 3)
    parts = ([long_keys] if long_keys else []) + (
        [rf"(?<![a-z0-9])(?:{short_keys})(?![a-z0-9])"] if short_keys else [])
    return re.compile("|".join(parts))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["ad", "ads", "header", "nav", "navbar", "x", "comment",
                                 "commentlist", "tags", "tag", "ad2", "2ad", "bad", "dates",
                                 "meta", "more", "text", "foot", "lead", "c0mment"])
                | st.text(alphabet="adsnvtgmeo0129-_ A", max_size=8), max_size=6))
def test_keyword_groups_match_their_regex_definition(words):
    from classifier.lines.dom import _ATTRIBUTE_GROUPS, _KEYWORD_GROUPS

    attributes = " ".join(words)
    for name, keys in _ATTRIBUTE_GROUPS.items():
        expected = _reference_keyword_pattern(keys).search(attributes) is not None
        assert _KEYWORD_GROUPS[name].search(attributes) == expected, (name, attributes)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["ad", "header", "nav", "navbar", "commentlist", "tags",
                                          "2ad", "bad", "foot", "lead", "x"])
                         | st.text(alphabet="adsnvtgmeo0129-_ A\t", max_size=8), max_size=6)
                .map(" ".join), max_size=5))
def test_attribute_flags_per_word_equal_the_whole_string_search(strings):
    from classifier.lines.dom import _KEYWORD_GROUPS, attribute_flags

    expected = [[group.search(attributes) for group in _KEYWORD_GROUPS.values()]
                for attributes in strings]
    assert attribute_flags(strings).tolist() == np.array(
        expected, dtype=np.float32).reshape(len(strings), len(_KEYWORD_GROUPS)).tolist()


# Every class/id key of the DOM layout's groups.
_ALL_KEYS = sorted({key for keys in classifier.lines.dom._ATTRIBUTE_GROUPS.values() for key in keys})


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_ALL_KEYS) | st.text(alphabet="adehilmnorstx0-_ ", max_size=4),
                max_size=5).map("".join))
def test_word_masks_are_the_groups_searches(word):
    """The one-pass mask of a class/id word (overlapping keys, keys inside
    longer keys: "headline" holds "head") is what each group's search says."""
    from classifier.lines.dom import _KEYWORD_GROUPS, _word_mask

    expected = sum(1 << bit for bit, group in enumerate(_KEYWORD_GROUPS.values())
                   if group.search(word))
    assert _word_mask(word) == expected, word


def test_word_masks_of_every_key_and_pair_of_keys():
    from classifier.lines.dom import _KEYWORD_GROUPS, _word_mask

    words = _ALL_KEYS + [a + b for a in _ALL_KEYS for b in _ALL_KEYS]
    for word in words + [a + "-" + b for a in _ALL_KEYS for b in _ALL_KEYS[:10]]:
        expected = sum(1 << bit for bit, group in enumerate(_KEYWORD_GROUPS.values())
                       if group.search(word))
        assert _word_mask(word) == expected, word


def test_dom_line_tables_number_the_pages_and_keep_every_column():
    from classifier.lines.dom import DOM_COLUMNS, dom_line_tables

    first, second = html_to_blocks(synthetic_page(11)[0]), html_to_blocks(synthetic_page(12)[0])
    columns = dom_line_tables([first, [], second])
    assert columns["page"] == [0] * len(first) + [2] * len(second)
    assert columns["text"] == [b.text for b in first] + [b.text for b in second]
    empty = dom_line_tables([[], []])
    assert set(empty) == {"text", "page", *DOM_COLUMNS} == set(columns)
    assert all(values == [] for values in empty.values())


def test_prediction_s_block_rows_make_the_same_table_as_blocks():
    from classifier.lines.dom import dom_columns, dom_line_tables
    from classifier.lines.html import html_to_block_rows

    pages = [synthetic_page(11)[0], "<p></p>", PAGE, synthetic_page(12)[0]]
    rows = [html_to_block_rows(page) for page in pages]
    assert dom_columns(rows) == dom_line_tables([html_to_blocks(page) for page in pages])
    assert dom_columns(rows[2:3], first_page=5) == dom_line_table(html_to_blocks(PAGE), page=5)


def test_dom_features_need_dom_columns():
    with pytest.raises(ValueError, match="DOM line table"):
        DomLayout().transform(pd.DataFrame({"text": ["x"], "page": [0]}))


def test_predict_html_uses_the_html_model_one_line_per_block_in_order(clf):
    assert clf.html_model is not None
    html, gold = synthetic_page(11)
    page = clf.predict_html(html)
    blocks = html_to_blocks(html)
    assert [line.text for line in page.lines] == [block.text for block in blocks]
    assert [line.index for line in page.lines] == list(range(len(blocks)))
    assert all(0.0 <= line.score <= 1.0 for line in page.lines)
    # Scores come from the HTML model, blended with the text model's
    # (test_api checks the blend); with html_weight 1.0, the HTML model's alone.
    table = pd.DataFrame(dom_line_table(blocks))
    html_only = classifier.Classifier(clf.line_model, html_model=clf.html_model,
                                      html_weight=1.0)
    assert [line.score for line in html_only.predict_html(html).lines] == pytest.approx(
        clf.html_model.body_proba(table).tolist())
    # On the synthetic template it separates article from chrome.
    body = set(page.body.split("\n"))
    assert set(gold.split("\n")) <= body
    assert not any("Copyright" in line or line.startswith("- ") for line in body)


def test_html_pages_are_converted_and_scored_in_groups_with_the_same_results(
        clf, monkeypatch):
    from classifier import api

    htmls = [synthetic_page(seed)[0] for seed in range(5)] + ["", "<p>alone</p>"]
    in_one_group = clf.predict_html_many(htmls)
    monkeypatch.setattr(api, "HTML_PAGES_PER_PASS", 2)
    assert clf.predict_html_many(htmls) == in_one_group
    assert [page.body for page in in_one_group[:5]] != [""] * 5


def test_predict_html_many_equals_predict_html_page_by_page(clf):
    htmls = [synthetic_page(20)[0], "", PAGE.encode(), "<p>one block</p>", synthetic_page(21)[0]]
    assert clf.predict_html_many(htmls) == [clf.predict_html(html) for html in htmls]
    no_body = classifier.Page(topic_reason="no body")
    assert clf.predict_html_many(["", "<html></html>"]) == [no_body, no_body]
    with pytest.raises(classifier.InputError, match="page 1 HTML"):
        classifier.load(limits=classifier.Limits(max_html_bytes=100)).predict_html_many(
            ["<p>x</p>", "<p>" + "y" * 200 + "</p>"])
    with pytest.raises(classifier.InputError, match="predict_html()"):
        clf.predict_html_many(PAGE)


def test_without_an_html_model_predict_html_uses_the_text_model(clf):
    text_only = classifier.Classifier(clf.line_model, clf.topic_model)
    html, _ = synthetic_page(12)
    lines = [block.text for block in html_to_blocks(html)]
    assert text_only.predict_html(html) == text_only.predict("\n".join(lines))


@pytest.mark.parametrize("encoding, bom", [("cp1252", b""), ("latin-1", b""),
                                           ("utf-8", b""), ("utf-8", b"\xef\xbb\xbf")])
def test_predict_html_reads_every_encoding(clf, encoding, bom):
    text = "Café society – “quotes” and naïve résumés"
    if encoding == "latin-1":
        text = "Café society and naïve résumés"  # no curly quotes in latin-1
    declared = "" if bom else f'<meta charset="{encoding}">'
    html = (f"<html><head>{declared}</head><body><p>{text}</p></body></html>")
    page = clf.predict_html(bom + html.encode(encoding))
    assert [line.text for line in page.lines] == [text]


@pytest.mark.parametrize("html", ["<p>fragment without html or body</p>",
                                  "<html><head><title>Only a title</title></head></html>",
                                  "<div><p>unclosed <b>tags <i>everywhere", ""])
def test_predict_html_on_pages_without_body_or_with_broken_markup(clf, html):
    page = clf.predict_html(html)
    assert [line.text for line in page.lines] == [b.text for b in html_to_blocks(html)]


def test_html_model_refuses_labelled_line_files(tmp_path, capsys):
    from training.__main__ import main

    lines = tmp_path / "lines.csv"
    lines.write_text("doc_id,text,label\n1,Menu,boilerplate\n1,Body text here.,body\n")
    assert main(["html", "--data", str(lines), "--out", str(tmp_path / "m"), "--cv", "0"]) == 2
    assert "page folders" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()
    with pytest.raises(DataError):
        from training.lines import model_input

        model_input(pd.read_csv(lines), "html")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["p", "li", "td", "h1"]),
                          st.lists(st.sampled_from(["div", "nav", "ul", "article"]), max_size=6)
                          .map(" ".join),
                          st.lists(st.sampled_from(["menu", "nav", "12", "x", "content", "0",
                                                    "a1", "²"]), max_size=8).map(" ".join)),
                max_size=6))
def test_dom_tokens_are_the_sorted_distinct_tokens(rows):
    table = pd.DataFrame(rows or [("p", "", "")], columns=["tag", "path", "attributes"])
    for column in ("text", "page", "link_chars", "depth"):
        table[column] = "x" if column == "text" else 0
    expected = [" ".join([f"tag={tag}"] + sorted({f"in={t}" for t in path.split()})
                         + sorted({f"class={w}" for w in attributes.split() if not w.isdigit()}))
                for tag, path, attributes in zip(table["tag"], table["path"], table["attributes"])]
    assert DomTokens().transform(table) == expected


def test_word_memos_give_their_function_s_values_and_stay_bounded():
    from classifier.lines.dom import _WordMemo

    calls = []
    memo = _WordMemo(lambda word: calls.append(word) or word.upper(), max_words=3)
    assert list(map(memo.__getitem__, ["a", "b", "a", "c"])) == ["A", "B", "A", "C"]
    assert calls == ["a", "b", "c"]  # each word computed once
    assert memo["d"] == "D" and len(memo) == 1  # full: emptied before keeping "d"


def test_container_share_finds_the_container_holding_the_page_s_text():
    from classifier.lines.dom import ContainerShare

    page = ("<title>T</title><body><nav><ul><li>Home</li><li>News</li></ul></nav>"
            "<div class=story><p>One two three four five six.</p><p>Seven eight nine ten.</p>"
            "</div><footer><p>Copyright me</p></footer></body>")
    other = "<body><p>Alone on its page with five words.</p></body>"
    X = pd.concat([pd.DataFrame(dom_line_table(html_to_blocks(page), page=0)),
                   pd.DataFrame(dom_line_table(html_to_blocks(other), page=1))],
                  ignore_index=True)
    out = ContainerShare().transform(X)
    texts = X["text"].tolist()
    story = [texts.index("One two three four five six."), texts.index("Seven eight nine ten.")]
    assert out[story, 0].tolist() == pytest.approx([10 / 15, 10 / 15])
    assert out[story, 1].tolist() == [1.0, 1.0]
    assert out[texts.index("- Home"), 1] == 0.0
    assert out[texts.index("Copyright me"), 0] == pytest.approx(2 / 15)
    assert out[-1].tolist() == pytest.approx([1.0, 1.0, np.log(2)])  # a page of its own


def test_container_ids_share_a_page_path_and_attribute_words():
    ids = container_ids([0, 0, 0, 0, 1], ["body div", "body div", "body div", "body", "body div"],
                        ["story", "story", "ad", "story", "story"])
    assert ids.tolist() == [0, 0, 1, 2, 3]  # (the second page's div is its own)


class _ScoresByText:
    """A stand-in line model: each line's P(body) by its text."""

    threshold = 0.5

    def __init__(self, scores: dict):
        self.scores = scores

    def body_proba(self, table):
        return np.array([self.scores.get(text, 0.0) for text in table["text"].tolist()])


def test_predict_html_joins_a_doubted_paragraph_of_the_article_container():
    paragraphs = ["The council voted on Tuesday to close the old bridge for good.",
                  "Repairs would have cost more than a new bridge, the report found.",
                  "Drivers will take the ring road until the new bridge opens."]
    html = ("<html><body><nav><p>Home</p></nav><div class='story'>"
            + "".join(f"<p>{text}</p>" for text in paragraphs)
            + "</div><div class='ad'><p>Advertisement</p></div></body></html>")
    model = _ScoresByText({paragraphs[0]: 0.9, paragraphs[1]: 0.9, paragraphs[2]: 0.2})
    clf = classifier.Classifier(model, html_model=model)
    assert clf.predict_html(html).body == "\n".join(paragraphs)
    # The same lines as text have no containers: the doubted one stays out.
    assert clf.predict("\n".join(["Home", *paragraphs, "Advertisement"])).body == "\n".join(
        paragraphs[:2])
