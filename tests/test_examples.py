"""The shipped default models on the two example pages in examples/.

Both are news articles re-published by spam sites: breadcrumb + title,
headline, fake site name, date, article, tag list, author bio, share
counter and Related / Ranking / Recommendation headline lists. Line numbers
below are 1-based, as shown by `cat -n examples/<page>.txt`.
"""

import pytest

import classifier
from conftest import EXAMPLES

FIRST, SECOND = "000_9194ea2d3ca4e63b.txt", "003_95925f034f22290d.txt"
# page: breadcrumb, headline, site name, date, article paragraphs, tag list, first "Related"
LAYOUT = {
    FIRST: dict(breadcrumb=1, headline=2, site_name=3, date=4, article=range(5, 20),
                tags=range(20, 30), related=32),
    SECOND: dict(breadcrumb=1, headline=2, site_name=3, date=4, article=range(5, 13),
                 tags=range(13, 16), related=18),
}


both_pages = pytest.mark.parametrize("name", sorted(LAYOUT))


@pytest.fixture(scope="module")
def clf():
    return classifier.load()


def labels(clf, name):
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    page = clf.predict(text)
    assert len(page.lines) == len(text.splitlines())
    return {line.index + 1: line.label for line in page.lines}, page


@both_pages
def test_headline_and_every_article_paragraph_are_body(clf, name):
    label, _ = labels(clf, name)
    layout = LAYOUT[name]
    assert label[layout["headline"]] == "body"
    assert [n for n in layout["article"] if label[n] != "body"] == []


@both_pages
def test_breadcrumb_and_date_line_are_boilerplate(clf, name):
    label, _ = labels(clf, name)
    assert label[LAYOUT[name]["breadcrumb"]] == "boilerplate"
    assert label[LAYOUT[name]["date"]] == "boilerplate"


@both_pages
def test_site_name_is_boilerplate(clf, name):
    label, _ = labels(clf, name)
    assert label[LAYOUT[name]["site_name"]] == "boilerplate"


# Lines the shipped models get wrong, known and reported (README, Known
# gaps): the test fails on any other wrong line, and when one of these
# comes right (then drop it from here). None since the models of
# 2026-12-07 12:15 (line tables v14): page 003's tag "- China", body at
# 0.58 before, scores 0.37; the body rule's vote on lists (runs of four
# items or more, classifier/lines/body.py) cannot reach a list of three.
KNOWN_WRONG: dict = {}


@both_pages
def test_tag_list_is_boilerplate(clf, name):
    label, _ = labels(clf, name)
    wrong = [n for n in LAYOUT[name]["tags"] if label[n] != "boilerplate"]
    assert wrong == sorted(KNOWN_WRONG.get(name, {}))


@both_pages
def test_related_ranking_recommendation_lists_are_boilerplate(clf, name):
    label, page = labels(clf, name)
    tail = range(LAYOUT[name]["related"], len(page.lines) + 1)
    assert [n for n in tail if label[n] != "boilerplate"] == []


@both_pages
def test_topic_is_read_from_the_body_politics_not_the_chrome_s_finance_or_scams(clf, name):
    _, page = labels(clf, name)
    assert max(page.topic_scores, key=page.topic_scores.get) == "politics"
    if name == FIRST:
        assert (page.topic, page.topic_reason) == ("politics", None)
    else:
        # A Xi-Putin summit of 2023: politics (0.64) against business, with
        # less evidence than 95 % of BBC's own stories hold; the shipped
        # model abstains (README, Known gaps; issue 28's goal not met).
        assert page.topic in ("politics", None)
        assert page.topic == "politics" or page.topic_reason == "out of scheme"


def test_module_level_predict_uses_the_shipped_models():
    text = (EXAMPLES / FIRST).read_text(encoding="utf-8")
    assert classifier.predict(text) == classifier.load().predict(text)


def test_the_shipped_line_models_have_the_default_second_stage(clf):
    # A changed default (classifier.lines.model.default_second_stage) must
    # come with refitted shipped models: the README's figures are theirs.
    from sklearn.base import clone

    from classifier.lines.model import default_second_stage

    for model in (clf.line_model, clf.html_model):
        assert clone(model.second_stage_).get_params() == default_second_stage().get_params()
