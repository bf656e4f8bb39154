"""Short pages cut from the training pages, so the line model knows them.

Every training page is a whole page: a headline sits above a long article,
with chrome around. Given only a headline and its lead, or one paragraph,
a model that learnt only from whole pages calls the headline chrome (it is
short and heads a short page) and often the paragraph too: nothing in its
training looked like that. Users give such inputs (feed items, abstracts,
excerpts), and they are body.

So training adds, for each page, short pages made of its own lines, with
their labels and DOM facts:

* its **lead**: the first body line (usually the headline) and the body
  lines after it, up to and including the first paragraph of
  ``LEAD_WORDS`` words or more (at most ``MAX_SHORT_LINES`` lines);
* one **paragraph** alone: a body line of ``LEAD_WORDS`` words or more;
* a run of 1 to ``MAX_SHORT_LINES`` **chrome** lines alone (a menu, a
  footer), so that a short page is not body merely for being short.

A page yields what it has of these. They go to training only, never to
evaluation; measured by ``python -m training evaluate short-inputs``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from classifier.lines.statistics import line_word_counts
from classifier.lines.table import page_bounds

BODY, BOILERPLATE = "body", "boilerplate"
#: A lead ends at the first body line of at least this many words.
LEAD_WORDS = 15
#: Lines of a short page at most.
MAX_SHORT_LINES = 3


def short_page_rows(labels: np.ndarray, words: np.ndarray, bounds: np.ndarray,
                    seed: int = 0) -> list:
    """(kind, row indices) of the short pages of each page (see the module
    docstring), in page order."""
    rng = np.random.default_rng(seed)
    pages = []
    for start, stop in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        body = np.flatnonzero(labels[start:stop] == BODY) + start
        if len(body):
            lead = body[:MAX_SHORT_LINES]
            long_enough = np.flatnonzero(words[lead] >= LEAD_WORDS)
            if len(long_enough):
                pages.append(("lead", lead[:long_enough[0] + 1]))
            paragraphs = body[words[body] >= LEAD_WORDS]
            if len(paragraphs):
                pages.append(("paragraph", paragraphs[rng.integers(len(paragraphs))][None]))
        chrome = np.flatnonzero(labels[start:stop] == BOILERPLATE) + start
        if len(chrome):
            first = int(chrome[rng.integers(len(chrome))])
            size = int(rng.integers(1, MAX_SHORT_LINES + 1))
            run = [first]
            while len(run) < size and run[-1] + 1 < stop and labels[run[-1] + 1] == BOILERPLATE:
                run.append(run[-1] + 1)
            pages.append(("chrome", np.array(run)))
    return pages


def with_short_pages(lines: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """``lines`` followed by the short pages cut from its pages, each a page
    of its own (``page`` key ``"<page>#<kind>"``, same set and site)."""
    if lines.empty:
        return lines
    texts = lines["text"].tolist()
    pages = short_page_rows(lines["label"].to_numpy(), line_word_counts(texts),
                            page_bounds(lines["page"]), seed)
    if not pages:
        return lines
    rows = np.concatenate([taken for _, taken in pages])
    short = lines.iloc[rows].copy()
    keys = lines["page"].astype(str).to_numpy()[rows]
    kinds = np.repeat([kind for kind, _ in pages], [len(taken) for _, taken in pages])
    short["page"] = [f"{key}#{kind}" for key, kind in zip(keys, kinds)]
    if "line_no" in short.columns:
        short["line_no"] = np.concatenate([np.arange(len(taken)) for _, taken in pages])
    return pd.concat([lines, short], ignore_index=True)
