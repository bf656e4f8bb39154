"""The public API contract, on models trained from synthetic data."""

import math
import threading

import numpy as np
import pandas as pd
import pytest
from conftest import synthetic_page
from hypothesis import given, settings
from hypothesis import strategies as st

import classifier
from classifier import InputError, ModelError


@pytest.fixture(scope="module")
def clf(trained_models):
    return classifier.load(trained_models, trusted=True)


PAGE = """Home > News

Breaking: minister says the election campaign will focus on health and the economy.
The government minister said the vote was a record for the party and the council.
   
- Related
- Team wins league match
"""


def test_non_blank_lines_map_one_to_one_in_order(clf):
    page = clf.predict(PAGE)
    raw = PAGE.split("\n")
    expected = [(i, line.strip()) for i, line in enumerate(raw) if line.strip()]
    assert [(line.index, line.text) for line in page.lines] == expected
    for line in page.lines:
        assert line.label in {"body", "boilerplate"}
        assert 0.0 <= line.score <= 1.0
        assert (line.label == "body") == (line.score >= clf.threshold)
    assert page.body == "\n".join(line.text for line in page.lines if line.label == "body")


def test_list_of_lines_is_the_same_as_text(clf):
    assert clf.predict(PAGE.split("\n")) == clf.predict(PAGE)


def test_crlf_and_cr_newlines_are_line_breaks(clf):
    lf = clf.predict(PAGE)
    assert clf.predict(PAGE.replace("\n", "\r\n")) == lf
    assert clf.predict(PAGE.replace("\n", "\r")) == lf


def test_topic_scores_are_a_distribution_over_known_topics(clf):
    page = clf.predict(synthetic_page(5)[1])
    assert set(page.topic_scores) == set(clf.topics)
    assert sum(page.topic_scores.values()) == pytest.approx(1.0)
    # The most probable topic, unless the model abstains (and says why).
    assert (page.topic is None) == (page.topic_reason is not None)
    if page.topic is not None:
        assert page.topic == max(page.topic_scores, key=page.topic_scores.get)


def test_topic_is_read_from_body_lines_only(clf):
    body_only = clf.predict(synthetic_page(7)[1])
    assert body_only.body
    # Feeding the topic model the body text directly gives the same scores.
    direct = clf.topic_model.predict_proba([body_only.body])[0]
    assert list(body_only.topic_scores.values()) == pytest.approx(list(direct))


def test_empty_and_blank_pages(clf):
    for text in ["", "   ", "\n\n \t\n", []]:
        page = clf.predict(text)
        assert page.lines == [] and page.body == ""
        assert page.topic is None and page.topic_scores == {}


def test_predict_many_equals_predict_page_by_page(clf):
    texts = [PAGE, "", synthetic_page(3)[1], "single line"]
    assert clf.predict_many(texts) == [clf.predict(text) for text in texts]


def test_big_batches_are_scored_in_runs_of_whole_pages(clf, monkeypatch):
    from classifier.lines import model as line_model

    texts = [synthetic_page(seed)[1] for seed in range(12)] + [PAGE * 30]
    in_one_pass = clf.predict_many(texts)
    passes = []
    real = line_model.StackedLineClassifier.pages_body_proba

    def counted(self, X, bounds, layout=None):
        passes.append(len(set(X["page"].tolist())))
        assert bounds[0] == 0 and bounds[-1] == len(X) and len(bounds) == passes[-1] + 1
        return real(self, X, bounds, layout)

    monkeypatch.setattr(line_model, "ROWS_PER_PASS", 15)
    monkeypatch.setattr(line_model.StackedLineClassifier, "pages_body_proba", counted)
    assert clf.predict_many(texts) == in_one_pass
    # Several passes, none splitting a page (the long last page goes alone).
    assert len(passes) > 3 and sum(passes) == len(texts) and passes[-1] == 1


def test_a_line_table_scores_the_same_whatever_its_row_index(clf):
    # A table indexed 0, 1, ... is scored as given; any other index is
    # re-indexed first (page_runs); the scores are the same.
    from classifier.lines.table import line_table

    texts = [line for line in PAGE.splitlines() if line.strip()]
    table = line_table({"text": texts, "page": np.zeros(len(texts), dtype=np.int64)})
    expected = clf.line_model.body_proba(table)
    for index in (pd.RangeIndex(5, 5 + len(texts)), pd.Index(range(len(texts)))[::-1],
                  pd.Index([f"line {i}" for i in range(len(texts))])):
        np.testing.assert_array_equal(clf.line_model.body_proba(table.set_axis(index)),
                                      expected)


def _both_tables(clf):
    """(model, columns) of a text page and of two HTML pages."""
    from classifier.lines.dom import dom_line_tables
    from classifier.lines.html import html_to_blocks

    texts = [line.strip() for line in PAGE.splitlines() if line.strip()]
    html = ("<html><head><title>Vote</title></head><body><nav><a href='/'>Home</a></nav>"
            "<p>The minister said the vote was a record for the party.</p>"
            "<ul class='related 2024'><li>Team wins league match</li></ul></body></html>")
    return [(clf.line_model, {"text": texts, "page": np.zeros(len(texts), dtype=np.int64)}),
            (clf.html_model, dom_line_tables([html_to_blocks(html)] * 2))]


def test_an_html_page_is_scored_by_both_line_models_blended(clf):
    """From HTML, a line's score is html_weight of the HTML model's score
    and the rest of the text model's score of the same line: 1.0 is the
    HTML model alone, 0.0 the text model alone on the HTML's lines."""
    from classifier.lines.blend import HTML_MODEL_WEIGHT
    from classifier.lines.dom import dom_line_tables
    from classifier.lines.html import html_to_blocks
    from classifier.lines.table import line_table
    from classifier.page import SCORE_DIGITS

    html = synthetic_page(3)[0]
    columns = dom_line_tables([html_to_blocks(html)])
    html_scores = clf.html_model.body_proba(line_table(columns))
    text_scores = clf.line_model.body_proba(line_table({"text": columns["text"],
                                                        "page": columns["page"]}))
    assert not np.allclose(html_scores, text_scores)  # (else the test tells nothing)

    def page_scores(**options):
        mine = classifier.Classifier(clf.line_model, clf.topic_model, clf.manifest,
                                     html_model=clf.html_model, **options)
        page = mine.predict_html(html)
        assert [line.text for line in page.lines] == list(columns["text"])
        return np.array([line.score for line in page.lines])

    tolerance = dict(rtol=0, atol=10.0 ** -SCORE_DIGITS)
    np.testing.assert_allclose(page_scores(html_weight=1.0), html_scores, **tolerance)
    np.testing.assert_allclose(page_scores(html_weight=0.0), text_scores, **tolerance)
    np.testing.assert_allclose(page_scores(), HTML_MODEL_WEIGHT * html_scores
                               + (1 - HTML_MODEL_WEIGHT) * text_scores, **tolerance)
    assert clf.html_weight == HTML_MODEL_WEIGHT
    alone = classifier.load(html_weight=1.0)
    assert alone.html_weight == 1.0
    alone.predict_html(html)
    assert alone._shared_layout is None  # (the two models never hashed)
    for weight in (-0.1, 1.5):
        with pytest.raises(ValueError, match="html_weight must be between 0 and 1"):
            classifier.Classifier(clf.line_model, html_model=clf.html_model,
                                  html_weight=weight)
        with pytest.raises(ValueError, match="html_weight must be between 0 and 1"):
            classifier.load(html_weight=weight)


def test_blended_html_scores_weigh_the_two_models_and_refuse_what_does_not_match():
    from classifier.lines.blend import blended_html_scores

    html, text = np.array([0.9, 0.2, 0.5]), np.array([0.1, 0.6, 0.5])
    np.testing.assert_allclose(blended_html_scores(html, text, 0.75), [0.7, 0.3, 0.5])
    np.testing.assert_array_equal(blended_html_scores(html, text, 1.0), html)
    np.testing.assert_array_equal(blended_html_scores(html, text, 0.0), text)
    with pytest.raises(ValueError, match="2 text model scores for 3 lines"):
        blended_html_scores(html, text[:2])
    with pytest.raises(ValueError, match="between 0 and 1"):
        blended_html_scores(html, text, float("nan"))
    for weight in ("0.5", None, True):
        with pytest.raises(TypeError, match="html_weight must be a number"):
            blended_html_scores(html, text, weight)


def test_the_text_layout_features_computed_once_score_the_same(clf, monkeypatch):
    """From HTML the text model's layout block is given to the HTML model,
    whose text_layout part computes the same; the scores are those of the
    two models scoring alone, in one pass and in several."""
    import copy

    from classifier.lines import model as line_model
    from classifier.lines.blend import (
        blended_body_proba,
        blended_html_scores,
        shared_text_layout,
    )
    from classifier.lines.dom import dom_line_tables
    from classifier.lines.html import html_to_blocks
    from classifier.lines.table import LineTable

    shared = shared_text_layout(clf.html_model, clf.line_model)
    assert shared is dict(clf.html_model.layout_features_.transformer_list)["text_layout"]
    table = LineTable(dom_line_tables([html_to_blocks(synthetic_page(seed)[0])
                                       for seed in range(6)]))
    alone = blended_html_scores(
        clf.html_model.body_proba(table),
        clf.line_model.body_proba(LineTable({"text": table["text"].values,
                                             "page": table["page"].values})), 0.65)
    computed = []
    real = line_model.StackedLineClassifier.layout_block

    def counted(self, X, known=None):
        computed.append((self, bool(known)))
        return real(self, X, known)

    monkeypatch.setattr(line_model.StackedLineClassifier, "layout_block", counted)
    np.testing.assert_array_equal(
        blended_body_proba(clf.html_model, clf.line_model, table, 0.65, shared), alone)
    assert computed == [(clf.line_model, False), (clf.html_model, True)]
    monkeypatch.setattr(line_model, "ROWS_PER_PASS", 40)
    np.testing.assert_array_equal(
        blended_body_proba(clf.html_model, clf.line_model, table, 0.65, shared), alone)
    assert len(computed) > 4
    # A text model whose layout features differ shares nothing.
    other = copy.deepcopy(clf.line_model)
    other.layout_features_.transformer_list[0][1].offsets = (-1, 1)
    assert shared_text_layout(clf.html_model, other) is None
    assert shared_text_layout(clf.html_model, object()) is None


def test_a_line_table_scores_as_a_dataframe_in_one_pass_and_in_several(clf, monkeypatch):
    # Prediction gives the models a LineTable, read without pandas; the
    # scores are those of the DataFrame the transformers are written for.
    from classifier.lines import model as line_model
    from classifier.lines.table import LineTable, line_table

    for model, columns in _both_tables(clf):
        expected = model.body_proba(line_table(columns))
        np.testing.assert_array_equal(model.body_proba(LineTable(columns)), expected)
        monkeypatch.setattr(line_model, "ROWS_PER_PASS", 3)  # a pass per page
        np.testing.assert_array_equal(model.body_proba(LineTable(columns)), expected)
        monkeypatch.undo()


def test_a_transformer_that_wants_a_dataframe_gets_one(clf):
    import copy

    from classifier.lines.layout import PagePosition
    from classifier.lines.table import LineTable, line_table

    class FramePosition(PagePosition):  # a user's transformer, reading pandas
        takes_line_tables = False
        seen = []

        def transform(self, X):
            self.seen.append(type(X))
            return super().transform(X)

    model = copy.deepcopy(clf.line_model)
    parts = model.layout_features_.transformer_list
    at = next(i for i, (_, part) in enumerate(parts) if isinstance(part, PagePosition))
    parts[at] = (parts[at][0], FramePosition())
    columns = _both_tables(clf)[0][1]
    np.testing.assert_array_equal(model.body_proba(LineTable(columns)),
                                  clf.line_model.body_proba(line_table(columns)))
    assert FramePosition.seen == [pd.DataFrame]


def test_which_steps_take_line_tables():
    from sklearn.pipeline import FeatureUnion, make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    from classifier.lines.layout import NeighbourWindow, PagePosition
    from classifier.lines.table import TextColumn, takes_line_tables

    ours, theirs = PagePosition(), FunctionTransformer()
    assert takes_line_tables(ours, NeighbourWindow(ours), make_pipeline(TextColumn(), theirs))
    assert takes_line_tables(FeatureUnion([("a", ours), ("b", "drop")]))
    for step in (theirs, NeighbourWindow(theirs), make_pipeline(theirs, ours),
                 make_pipeline("passthrough"),
                 FeatureUnion([("a", ours), ("b", "passthrough")]),
                 FeatureUnion([("a", ours), ("b", theirs)])):
        assert not takes_line_tables(step), step


def test_a_line_table_holds_equal_columns_and_finds_the_page_bounds_once():
    from classifier.lines.table import LineTable, page_bounds

    table = LineTable({"text": ["a", "b", "c", "d"], "page": [3, 3, 7, 7]})
    assert len(table) == 4 and table.columns == ["text", "page"]
    assert table["text"].tolist() == ["a", "b", "c", "d"]
    assert table["page"].to_numpy(dtype=np.float32).dtype == np.float32
    bounds = page_bounds(table["page"])
    assert bounds.tolist() == [0, 2, 4] and page_bounds(table["page"]) is bounds
    with pytest.raises(ValueError):
        bounds[0] = 1  # shared by every feature of the pass: read-only
    part = table.rows(2, 4)
    assert part["text"].tolist() == ["c", "d"] and page_bounds(part["page"]).tolist() == [0, 2]
    assert table.to_frame()["text"].tolist() == ["a", "b", "c", "d"]
    with pytest.raises(ValueError, match="differ in length"):
        LineTable({"text": ["a"], "page": [0, 0]})
    with pytest.raises(KeyError, match="tag"):
        table["tag"]
    with pytest.raises(ValueError, match="contiguous"):
        page_bounds(LineTable({"page": [0, 1, 0]})["page"])


@pytest.mark.parametrize("threshold", [None, 0.3, 0.7])
def test_pages_as_dicts_are_the_pages_to_dict(clf, threshold):
    """predict_many_as_dicts and predict_html_many_as_dicts make no Page
    objects: what they give is what the pages' to_dict() gives, whatever
    the threshold (0.3 and 0.7 are not float32 numbers), for pages without
    lines or body too, and with sites."""
    clf = classifier.Classifier(clf.line_model, clf.topic_model, clf.manifest,
                                threshold=threshold, html_model=clf.html_model)
    texts = [synthetic_page(seed)[1] for seed in range(5)] + ["", " \n\t", "one line", PAGE]
    htmls = [synthetic_page(seed)[0] for seed in range(3)] + ["", "<p>alone</p>"]
    sites = ["a.example", None, "a.example", "b.example", "a.example", None, None, "b.example",
             "a.example"]
    assert clf.predict_many_as_dicts(texts) == [page.to_dict() for page in
                                                 clf.predict_many(texts)]
    assert clf.predict_many_as_dicts(texts, sites=sites) == [
        page.to_dict() for page in clf.predict_many(texts, sites=sites)]
    assert clf.predict_html_many_as_dicts(htmls) == [page.to_dict() for page in
                                                      clf.predict_html_many(htmls)]
    assert clf.predict_many_as_dicts([]) == []
    with pytest.raises(InputError, match=r"predict_many_as_dicts\(\) takes a list"):
        clf.predict_many_as_dicts("one page")
    with pytest.raises(InputError, match=r"predict_html_many_as_dicts\(\) takes a list"):
        clf.predict_html_many_as_dicts(b"<p>one page</p>")


def _passes_of_three(monkeypatch) -> list:
    """Make passes 3 pages long; the returned list fills with each pass's
    page numbers."""
    from classifier import api

    groups = []
    real = api.Classifier._classify

    def recorded(self, pages_lines, numbers, total, sites=None, as_dicts=False):
        groups.append(list(numbers))
        return real(self, pages_lines, numbers, total, sites, as_dicts)

    monkeypatch.setattr(api, "PAGES_PER_PASS", 3)
    monkeypatch.setattr(api.Classifier, "_classify", recorded)
    return groups


def test_pages_are_classified_in_groups_with_the_same_results(clf, monkeypatch):
    texts = [synthetic_page(seed)[1] for seed in range(7)]
    in_one_group = clf.predict_many(texts)
    groups = _passes_of_three(monkeypatch)
    assert clf.predict_many(texts) == in_one_group
    assert groups == [[0, 1, 2], [3, 4, 5], [6]]


def test_with_sites_each_site_s_pages_share_a_group_and_results_keep_input_order(
        clf, monkeypatch):
    # Every page ends with the same two lines: on a site of >= 3 pages here
    # they are template evidence.
    texts = [synthetic_page(seed)[1] + "\nShare this article\nMore from the site"
             for seed in range(9)]
    sites = ["a.example", "b.example", "a.example", None, "a.example", "b.example",
             "a.example", "", "b.example"]
    in_one_group = clf.predict_many(texts, sites=sites)
    groups = _passes_of_three(monkeypatch)
    assert clf.predict_many(texts, sites=sites) == in_one_group
    # a.example (4 pages) alone; b.example's 3; the two unknown-site pages.
    assert groups == [[0, 2, 4, 6], [1, 5, 8], [3, 7]]
    # The evidence did apply: scores differ from those without sites.
    assert in_one_group != clf.predict_many(texts)


def test_an_error_in_a_later_group_names_the_page_by_its_place_in_the_call(
        trained_models, monkeypatch):
    from classifier import api

    small = classifier.load(trained_models, trusted=True, limits=classifier.Limits(max_lines=3))
    monkeypatch.setattr(api, "PAGES_PER_PASS", 2)
    with pytest.raises(InputError, match="page 4 has more than 3 non-blank lines"):
        small.predict_many(["line"] * 4 + ["a\nb\nc\nd"])


def test_line_tables_hold_the_strings_given_and_score_as_pandas_default_tables(clf):
    # predict() keeps line texts as Python objects (classifier.lines.table.line_table)
    # to spare Arrow copies; the models must score them exactly as the
    # Arrow-backed tables pandas 3 builds by default (as training may).
    from classifier.lines.dom import dom_line_tables
    from classifier.lines.html import html_to_blocks
    from classifier.lines.table import line_table

    texts = [line.strip() for line in PAGE.splitlines() if line.strip()]
    text_columns = {"text": texts, "page": [0] * len(texts)}
    html = ("<html><head><title>Vote</title></head><body><nav><a href='/'>Home</a></nav>"
            "<p>The minister said the vote was a record for the party.</p>"
            "<ul class='related'><li>Team wins league match</li></ul></body></html>")
    html_columns = dom_line_tables([html_to_blocks(html)] * 2)
    for model, columns in ((clf.line_model, text_columns), (clf.html_model, html_columns)):
        table = line_table(columns)
        assert table["text"].dtype == object and table["text"].tolist() == columns["text"]
        arrow = pd.DataFrame(columns).astype(
            {name: pd.StringDtype("pyarrow") for name in ("text", "tag", "path", "attributes")
             if name in columns})
        np.testing.assert_array_equal(model.body_proba(table), model.body_proba(arrow))


def test_feature_unions_are_joined_as_scikit_learn_joins_them(clf):
    # union_transform joins the models' FeatureUnions (nested too) itself;
    # anything it does not reproduce is left to scikit-learn.
    from sklearn.pipeline import FeatureUnion

    from classifier.lines.dom import dom_line_tables
    from classifier.lines.html import html_to_blocks
    from classifier.lines.layout import PagePosition
    from classifier.lines.statistics import LineShape
    from classifier.lines.table import line_table, line_text_vectorizer
    from classifier.pipelines import union_transform

    html = ("<html><head><title>Vote</title></head><body><nav><a href='/'>Home</a></nav>"
            "<p>The minister said the vote was a record for the party.</p></body></html>")
    text_table = line_table({"text": [line for line in PAGE.splitlines() if line.strip()],
                             "page": 0})
    html_table = line_table(dom_line_tables([html_to_blocks(html)] * 2))
    for model, table in ((clf.line_model, text_table), (clf.html_model, html_table)):
        for union in (model.text_features_, model.layout_features_):
            ours, theirs = union_transform(union, table), union.transform(table)
            assert type(ours) is type(theirs) and ours.dtype == theirs.dtype
            if hasattr(ours, "toarray"):
                assert (ours != theirs).nnz == 0 and ours.format == theirs.format
            else:
                np.testing.assert_array_equal(ours, theirs)
    weighted = FeatureUnion([("shape", LineShape()), ("position", PagePosition())],
                            transformer_weights={"shape": 2.0}).fit(text_table)
    np.testing.assert_array_equal(union_transform(weighted, text_table),
                                  weighted.transform(text_table))
    as_pandas = FeatureUnion([("shape", LineShape())]).set_output(transform="pandas")
    assert isinstance(union_transform(as_pandas.fit(text_table), text_table), pd.DataFrame)
    dropped = FeatureUnion([("shape", "drop"), ("position", PagePosition())]).fit(text_table)
    np.testing.assert_array_equal(union_transform(dropped, text_table),
                                  dropped.transform(text_table))
    # Nested unions' parts are joined in one step: a plain one, one whose
    # parts are all dropped, a weighted one (left to scikit-learn), and
    # dense parts beside sparse ones.
    nested = FeatureUnion([
        ("plain", FeatureUnion([("shape", LineShape()), ("gone", "drop")])),
        ("empty", FeatureUnion([("gone", "drop")])),
        ("weighted", FeatureUnion([("shape", LineShape()), ("position", PagePosition())],
                                  transformer_weights={"shape": 2.0})),
        ("position", PagePosition())]).fit(text_table)
    ours, theirs = union_transform(nested, text_table), nested.transform(text_table)
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)
    mixed = FeatureUnion([("words", line_text_vectorizer()),
                          ("layout", FeatureUnion([("shape", LineShape()),
                                                   ("position", PagePosition())]))]
                         ).fit(text_table)
    ours, theirs = union_transform(mixed, text_table), mixed.transform(text_table)
    assert ours.format == theirs.format and ours.dtype == theirs.dtype
    assert ours.shape == theirs.shape and (ours != theirs).nnz == 0


def test_topic_pipeline_is_run_as_scikit_learn_runs_it(clf):
    from sklearn.pipeline import Pipeline

    from classifier.pipelines import pipeline_proba

    assert type(clf.topic_model) is Pipeline
    bodies = [PAGE, "The match ended in a draw after extra time.", "x"]
    np.testing.assert_array_equal(pipeline_proba(clf.topic_model, bodies),
                                  clf.topic_model.predict_proba(bodies))


def test_scikit_learn_scores_the_trees_as_the_compiled_scorer_in_any_block_size(
        clf, monkeypatch):
    # Without classifier._trees (an install without a C compiler) the second
    # stage's own predict_proba scores the trees, in blocks of rows.
    from classifier.lines import model as line_model
    from classifier.lines import trees

    assert trees.COMPILED
    texts = [synthetic_page(seed)[1] for seed in range(6)]
    expected = clf.predict_many(texts)
    second_stage = clf.line_model.second_stage_
    blocks = []

    def recorded(X):
        blocks.append(len(X))
        return type(second_stage).predict_proba(second_stage, X)

    monkeypatch.setattr(line_model, "flat_trees", lambda model: None)
    monkeypatch.setattr(line_model, "SECOND_STAGE_BLOCK", 7)
    monkeypatch.setattr(second_stage, "predict_proba", recorded)
    assert clf.predict_many(texts) == expected
    n_lines = sum(len(page.lines) for page in expected)
    assert sum(blocks) == n_lines and max(blocks) == 7 and len(blocks) >= n_lines // 7


def test_first_stage_block_size_does_not_change_scores(clf, monkeypatch):
    from classifier.lines import model as line_model

    texts = [synthetic_page(seed)[1] for seed in range(6)]
    expected = clf.predict_many(texts)
    scaled_rows = []
    scale = type(clf.line_model)._scaled_layout_float64

    def recorded(model, layout):
        scaled_rows.append(len(layout))
        return scale(model, layout)

    monkeypatch.setattr(line_model, "FIRST_STAGE_BLOCK", 7)
    monkeypatch.setattr(type(clf.line_model), "_scaled_layout_float64", recorded)
    assert clf.predict_many(texts) == expected
    n_lines = sum(len(page.lines) for page in expected)
    assert sum(scaled_rows) == n_lines and max(scaled_rows) == 7


def test_predictions_are_deterministic_across_threads(clf):
    expected = clf.predict(PAGE)
    results = []

    def work():
        results.append(clf.predict(PAGE))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 4


@pytest.mark.parametrize("bad", [None, 12, b"bytes", ["ok", 3], ["two\nlines"]])
def test_bad_input_raises_input_error(clf, bad):
    with pytest.raises(InputError):
        clf.predict(bad)


def test_predict_many_rejects_a_single_string(clf):
    with pytest.raises(InputError, match="list of pages"):
        clf.predict_many("one page")


def test_page_to_dict_is_json_ready(clf):
    import json

    data = json.loads(json.dumps(clf.predict(PAGE).to_dict()))
    assert {"topic", "topic_scores", "body", "lines"} <= set(data)
    assert {"index", "text", "label", "score"} == set(data["lines"][0])


def test_a_line_is_a_frozen_dataclass_of_its_four_fields():
    import dataclasses

    from classifier.page import Line

    line = Line("Headline", "body", 0.75, 2)
    assert line == Line(text="Headline", label="body", score=0.75, index=2)
    assert hash(line) == hash(Line("Headline", "body", 0.75, 2))
    assert dataclasses.asdict(line) == {"text": "Headline", "label": "body", "score": 0.75,
                                        "index": 2}
    assert dataclasses.replace(line, score=0.25).score == 0.25 and line.is_body
    with pytest.raises(dataclasses.FrozenInstanceError):
        line.label = "boilerplate"
    with pytest.raises(TypeError):
        Line("Headline", "body")


#: A Page of one Line as pickle.dumps(page, protocol=4) wrote it before Line
#: had slots: the Line's state is its __dict__.
PAGE_PICKLED_WITHOUT_SLOTS = (
    b"\x80\x04\x95\xb4\x00\x00\x00\x00\x00\x00\x00\x8c\x0fclassifier.page\x94\x8c\x04Page"
    b"\x94\x93\x94)\x81\x94}\x94(\x8c\x05lines\x94]\x94h\x00\x8c\x04Line\x94\x93\x94)\x81"
    b"\x94}\x94(\x8c\x04text\x94\x8c\x08Headline\x94\x8c\x05label\x94\x8c\x04body\x94\x8c"
    b"\x05score\x94G?\xe8\x00\x00\x00\x00\x00\x00\x8c\x05index\x94K\x02uba\x8c\x05topic"
    b"\x94\x8c\x01x\x94\x8c\x0ctopic_scores\x94}\x94h\x12G?\xf0\x00\x00\x00\x00\x00\x00s"
    b"\x8c\x06topics\x94h\x12\x85\x94ub.")


def test_lines_and_pages_pickle_now_and_as_pickled_before_slots():
    import pickle

    from classifier.page import Line, Page

    line = Line("Headline", "body", 0.75, 2)
    page = Page(lines=[line], topic="x", topic_scores={"x": 1.0}, topics=("x",))
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(page, protocol=protocol)) == page
    assert pickle.loads(PAGE_PICKLED_WITHOUT_SLOTS) == page


def test_load_without_topics_labels_the_same_lines(clf, trained_models):
    clean = classifier.load(trained_models, trusted=True, topics=False)
    assert clean.topic_model is None and clean.topics == []
    page, clean_page = clf.predict(PAGE), clean.predict(PAGE)
    assert page.topic is not None
    assert clean_page.lines == page.lines
    assert (clean_page.topic, clean_page.topic_scores, clean_page.topics) == (None, {}, ())


def test_a_folder_of_a_topic_model_alone_is_loaded_beside_the_shipped_line_models(
        topic_table, tmp_path, capsys):
    from classifier.cli import main as cli
    from training.__main__ import main as train

    topics_only = tmp_path / "my-topics"
    assert train(["topics", "--data", str(topic_table), "--out", str(topics_only),
                  "--cv", "0"]) == 0
    mine, shipped = classifier.load(topics_only, trusted=True), classifier.load()
    text = ("Minister wins election vote\nThe party won the vote in parliament after a long "
            "campaign, and the minister said the government would now form a new cabinet.\n")
    page, reference = mine.predict(text), shipped.predict(text)
    assert page.lines == reference.lines  # the shipped line model's labels and scores
    assert set(page.topic_scores) == {"politics", "sport", "tech"}  # the user's topics
    assert mine.manifest["line_models_from"] == "shipped"
    assert mine.predict_html("<p>The party won the vote in parliament.</p>").lines == \
        shipped.predict_html("<p>The party won the vote in parliament.</p>").lines
    page_file = tmp_path / "page.txt"
    page_file.write_text(text)
    assert cli(["predict", str(page_file), "--models", str(topics_only), "--trust-models"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("topic: politics")
    # A folder of neither model is still refused.
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "manifest.json").write_text('{"models": {}}')
    with pytest.raises(ModelError, match="lists no line_model"):
        classifier.load(tmp_path / "empty", trusted=True)


def test_loading_a_missing_folder_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="no such models folder"):
        classifier.load(tmp_path / "missing", trusted=True)
    with pytest.raises(ModelError, match="manifest"):
        classifier.load(tmp_path, trusted=True)
    (tmp_path / "pages.csv").write_text("text,label\n")  # a data file given by mistake
    with pytest.raises(ModelError, match="pages.csv: a file, not a models folder"):
        classifier.load(tmp_path / "pages.csv", trusted=True)


_SCORE_TIES = [(k + 0.5) / 10**6 for k in range(0, 10**6, 997)] + [k / 128 for k in range(129)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(0, 1) | st.floats(allow_nan=True, allow_infinity=True)
                | st.sampled_from(_SCORE_TIES).flatmap(
                    lambda tie: st.sampled_from([tie, math.nextafter(tie, 0),
                                                 math.nextafter(tie, 1)])),
                max_size=40))
def test_scores_are_rounded_as_python_rounds_them(scores):
    from classifier.page import rounded_scores

    got = rounded_scores(scores)
    expected = [round(score, 6) for score in scores]
    assert [repr(value) for value in got] == [repr(value) for value in expected]  # -0.0, nan


def test_a_page_dict_rounds_each_line_score_as_the_line_dict_does(clf):
    page = clf.predict(PAGE)
    assert page.to_dict()["lines"] == [line.to_dict() for line in page.lines]
