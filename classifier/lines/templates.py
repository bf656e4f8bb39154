"""Site template evidence: lines that recur across pages of one site.

A site's menus, footers, "Related" headings and sharing prompts repeat on
every page it serves; its articles do not. In a batch holding several
pages of one site, the share of the site's *other* pages that carry the
very same line is evidence that the line is template, not article.

This is batch-only evidence (one page alone has no siblings), so it is
applied after the line model, as an optional adjustment of its scores:
``adjust_scores`` lowers a line's P(body) by the share of sibling pages
that repeat it. Whether that helps is measured by
``benchmarks/site_templates.py`` under site-grouped cross-validation.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..sites import site_of  # noqa: F401 - its former home; older imports still work

_SPACE = re.compile(r"\s+")
#: A site needs this many pages in one call before its repeats count.
MIN_SITE_PAGES = 3


def normalise(text: str) -> str:
    """Case and spacing do not make a template line different."""
    return _SPACE.sub(" ", text).strip().lower()


def sibling_shares(texts, pages, sites) -> tuple[np.ndarray, np.ndarray]:
    """For each line: the share of the other pages of its site that carry
    the same line, and the number of pages of its site.

    ``texts``, ``pages`` and ``sites`` are aligned per line; ``pages`` are
    page keys (unique across sites), ``sites`` site keys.
    """
    table = pd.DataFrame({"text": [normalise(t) for t in texts], "page": list(pages),
                          "site": list(sites)})
    if table.empty:
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    site_pages = table.groupby("site")["page"].transform("nunique").to_numpy()
    # Pages of the site carrying this line (a line repeated within one page counts once).
    carriers = table.groupby(["site", "text"])["page"].transform("nunique").to_numpy()
    others = np.maximum(site_pages - 1, 1)
    shares = np.where(site_pages > 1, (carriers - 1) / others, 0.0)
    return shares, site_pages


def adjust_scores(scores, shares, site_pages, min_site_pages: int = MIN_SITE_PAGES) -> np.ndarray:
    """P(body) lowered in proportion to how many sibling pages repeat the line.

    Sites with fewer than ``min_site_pages`` pages in the batch are left
    alone: two pages sharing a line say little.
    """
    scores = np.asarray(scores, dtype=float)
    active = np.asarray(site_pages) >= min_site_pages
    return np.where(active, scores * (1.0 - np.asarray(shares)), scores)
