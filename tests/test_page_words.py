"""Features that need no language: the page's own common words, the
vocabulary a line shares with the article, and the article run that a
comment thread cannot outweigh."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.lines.layout import MainTextRun
from classifier.lines.page_words import PageCommonWords, RunOverlap, common_tokens
from classifier.lines.sections import section_marks

ARTICLE = [
    "Helsingin kaupunginvaltuusto hyväksyi raitiotien rakentamisen",
    "Kaupunginvaltuusto hyväksyi keskiviikkona raitiotien rakentamisen ja se on suuri "
    "päätös, koska raitiotie on kallis ja se kulkee kaupungin läpi.",
    "Valtuusto äänesti raitiotiestä pitkään ja se oli tiukka äänestys, mutta raitiotie "
    "hyväksyttiin ja se on nyt valmis rakennettavaksi kaupungin keskustaan.",
    "Rakentaminen alkaa ensi vuonna ja se kestää kolme vuotta, ja se on kaupungin "
    "suurin hanke, kun raitiotie valmistuu keskustaan.",
]
CHROME = ["Etusivu", "Urheilu", "Kulttuuri", "Jalkapallon tulokset viikonlopulta"]


def _table(lines, pages=None):
    return pd.DataFrame({"text": lines, "page": pages if pages is not None else 0})


def test_prose_holds_its_page_s_common_words_in_any_language():
    # No word list knows Finnish: the page's own most frequent words ("ja",
    # "se", "on") mark its prose, and not its menu.
    X = _table(CHROME[:3] + ARTICLE[1:])
    share = PageCommonWords(n_common=5, min_count=3).transform(X)[:, 0]
    assert share[:3].max() == 0.0
    assert share[3:].min() > 0.2


def test_common_words_are_each_page_s_own():
    ids = np.array([0, 0, 0, 1, 2, 2, 2, 1], dtype=np.int64)
    sizes = np.array([4, 4], dtype=np.int64)  # two lines, each its own page
    common = common_tokens(ids, sizes, np.array([0, 1, 2]), n_common=1, min_count=2)
    # Page 0: word 0 three times; page 1: word 2 three times, word 1 once.
    assert common.tolist() == [True, True, True, False, True, True, True, False]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(0, 6), min_size=0, max_size=8), min_size=1, max_size=12),
       st.integers(1, 4), st.integers(1, 3), st.integers(1, 3))
def test_common_tokens_match_a_count_per_page(lines, n_pages, n_common, min_count):
    # Each page's words ranked by count (ties: first appearance).
    sizes = np.array([len(line) for line in lines], dtype=np.int64)
    ids = np.array([word for line in lines for word in line], dtype=np.int64)
    cuts = sorted(set(np.linspace(0, len(lines), n_pages + 1).astype(int).tolist()))
    bounds = np.array(cuts, dtype=np.int64)
    got = common_tokens(ids, sizes, bounds, n_common, min_count)
    expected = []
    for start, stop in zip(cuts[:-1], cuts[1:]):
        words = [word for line in lines[start:stop] for word in line]
        counts = {}
        for word in words:
            counts[word] = counts.get(word, 0) + 1
        ranked = sorted(counts, key=lambda w: (-counts[w], words.index(w)))[:n_common]
        expected += [word in ranked and counts[word] >= min_count for word in words]
    assert got.tolist() == expected


def test_a_headline_shares_its_article_s_words_and_a_teaser_does_not():
    X = _table([CHROME[0], ARTICLE[0], *ARTICLE[1:], CHROME[3]])
    overlap = RunOverlap().transform(X)
    assert overlap[1, 0] > 0.5  # the headline
    assert overlap[-1, 0] == 0.0  # a teaser for another story
    assert overlap[:, 1].tolist() == [1.0] * len(X)


def test_a_comment_thread_does_not_outweigh_the_article_above_it():
    article = [f"Article paragraph {i} " + "with many words of the story " * 6 for i in range(4)]
    thread = []
    for i in range(12):
        thread += [f"Reader{i} says:", f"Comment {i} " + "long words of a reader's reply " * 7,
                   "Reply"]
    X = _table(["Headline of the story", *article, "12 Comments", *thread])
    plain = MainTextRun().runs(X, np.array([0, len(X)]))[0]
    breaking = MainTextRun(comment_breaks=True).runs(X, np.array([0, len(X)]))[0]
    assert plain[1] > len(article) + 1  # the thread's words win the plain run
    assert breaking == (1, 1 + len(article))
    comment, links, meta = section_marks(X["text"].tolist())
    # ("Reply" reads as both a comment heading and furniture.)
    assert comment.sum() == 13 and meta.sum() == 24 and not links.any()
