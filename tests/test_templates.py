"""Site template evidence: lines repeated across pages of one site."""

import numpy as np
import pytest

from classifier.lines.templates import adjust_scores, normalise, sibling_shares


def test_sibling_shares_count_other_pages_of_the_same_site_only():
    texts = ["Home  News", "Story A", "home news", "Story B", "Home News", "Home News",
             "Home News", "Story C"]
    pages = ["a1", "a1", "a2", "a2", "a3", "a3", "b1", "b1"]
    sites = ["a", "a", "a", "a", "a", "a", "b", "b"]
    shares, site_pages = sibling_shares(texts, pages, sites)
    # "Home News" is on all three pages of site a (twice on a3: counted once);
    # site b's copy is not evidence for site a, and a lone page has no siblings.
    assert shares.tolist() == [1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0]
    assert site_pages.tolist() == [3] * 6 + [1] * 2
    assert normalise("  Home \t News ") == "home news"


def test_adjust_scores_lowers_repeated_lines_of_big_enough_sites():
    scores = np.array([0.9, 0.9, 0.8])
    shares = np.array([0.5, 0.0, 1.0])
    assert adjust_scores(scores, shares, [3, 3, 2], min_site_pages=3).tolist() == [0.45, 0.9, 0.8]
    assert sibling_shares([], [], [])[0].size == 0


def _site_pages():
    from conftest import synthetic_page

    chrome = ["Home > World", "Share this article", "Most read", "- Markets rally on rate hopes"]
    return [[chrome[0]] + synthetic_page(500 + i)[1].split("\n") + chrome[1:] for i in range(4)]


def test_lines_repeated_across_a_sites_pages_lose_body_score(trained_models):
    import classifier

    clf = classifier.load(trained_models, trusted=True)
    pages = _site_pages()
    alone = clf.predict_many(pages)
    together = clf.predict_many(pages, sites=["news.example"] * 4)
    for before, after in zip(alone, together):
        for old, new in zip(before.lines, after.lines):
            repeated = old.text in {"Home > World", "Share this article", "Most read",
                                    "- Markets rally on rate hopes"}
            # Every page repeats the chrome: share 1, so P(body) becomes 0.
            assert new.score == (0.0 if repeated else old.score)
    # Too few pages of a site, or unknown sites: no evidence, no change.
    assert clf.predict_many(pages[:2], sites=["a.example"] * 2) == alone[:2]
    assert clf.predict_many(pages, sites=[None, "", None, ""]) == alone
    assert clf.predict_html_many(["<p>x</p>"] * 3, sites=["s"] * 3)[0].lines[0].score == 0.0


@pytest.mark.parametrize("sites, message", [("news.example", "one site per page"),
                                            (["a"], "1 items for 4 pages"),
                                            ([1, 2, 3, 4], "must be a str")])
def test_bad_sites_are_refused(trained_models, sites, message):
    import classifier

    clf = classifier.load(trained_models, trusted=True)
    with pytest.raises(classifier.InputError, match=message):
        clf.predict_many(_site_pages(), sites=sites)
