"""Site template evidence: lines repeated across pages of one site."""

import numpy as np

from classifier.templates import adjust_scores, normalise, sibling_shares


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
