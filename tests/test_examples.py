"""The shipped default models on the two example pages in examples/.

Both are news articles re-published by spam sites: breadcrumb, fake site
name, date, article, tag list, author bio, share counter and
Related / Ranking / Recommendation headline lists. Line numbers below are
1-based, as shown by `cat -n examples/<page>.txt`.
"""

import pytest

import classifier
from conftest import EXAMPLES

# page: (headline line, article paragraph lines, tag lines, first "Related" line)
PAGES = {
    "000_9194ea2d3ca4e63b.txt": (2, range(5, 20), range(20, 30), 32),
    "003_95925f034f22290d.txt": (2, range(5, 13), range(13, 16), 18),
}


@pytest.fixture(scope="module")
def clf():
    return classifier.load()


@pytest.mark.parametrize("name", sorted(PAGES))
def test_example_page_lines_and_topic(clf, name):
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    page = clf.predict(text)
    assert len(page.lines) == len(text.splitlines())
    label = {line.index + 1: line.label for line in page.lines}
    headline, article, tags, related = PAGES[name]

    assert label[headline] == "body"
    assert [n for n in article if label[n] != "body"] == []
    # Breadcrumb, site name, date line.
    assert [label[1], label[3], label[4]] == ["boilerplate"] * 3
    assert [n for n in tags if label[n] != "boilerplate"] == []
    # "Related", "Ranking", "Recommendation" and every headline under them.
    assert [n for n in range(related, len(page.lines) + 1) if label[n] != "boilerplate"] == []

    # The chrome says Finance / Scams; the topic must come from the article.
    assert page.topic == "politics"


def test_module_level_predict_uses_the_shipped_models():
    text = (EXAMPLES / "000_9194ea2d3ca4e63b.txt").read_text(encoding="utf-8")
    assert classifier.predict(text) == classifier.load().predict(text)
