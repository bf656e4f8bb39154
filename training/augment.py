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
  lines after it, up to and including the first paragraph: a line of
  ``LEAD_WORDS`` words or more, or a sentence of ``SENTENCE_WORDS`` or
  more (at most ``MAX_SHORT_LINES`` lines);
* one **paragraph** alone: a body line of ``LEAD_WORDS`` words or more;
* one **sentence** alone: a body line of ``SENTENCE_WORDS`` to
  ``LEAD_WORDS - 1`` words that ends a sentence ("The first children's
  commissioner for England has been appointed.": without these, a lone
  line of 5-9 words was never body, as short chrome lines are);
* a run of 1 to ``MAX_SHORT_LINES`` **chrome** lines alone (a menu, a
  footer), so that a short page is not body merely for being short;
* one **chrome sentence** alone: a boilerplate line shaped like a lone
  sentence ("Sign up for our newsletter to get the latest news."), so that
  the sentence pages do not teach that every lone sentence is body.

A page yields what it has of these. They go to training only, never to
evaluation; measured by ``python -m training evaluate short-inputs``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from classifier.lines.statistics import character_counts
from classifier.lines.table import page_bounds

BODY, BOILERPLATE = "body", "boilerplate"
#: A lead ends at the first body line of at least this many words.
LEAD_WORDS = 15
#: A line of this many words or more that ends a sentence is a sentence
#: (a lead may end with it; one alone is a short page).
SENTENCE_WORDS = 5
#: Lines of a short page at most.
MAX_SHORT_LINES = 3


def short_page_rows(labels: np.ndarray, words: np.ndarray, bounds: np.ndarray,
                    seed: int = 0, ends_sentence: np.ndarray | None = None) -> list:
    """(kind, row indices) of the short pages of each page (see the module
    docstring), in page order. ``ends_sentence`` (per line; none if not
    given) marks the sentences."""
    rng = np.random.default_rng(seed)
    if ends_sentence is None:
        ends_sentence = np.zeros(len(labels), dtype=bool)
    sentence = ends_sentence.astype(bool) & (words >= SENTENCE_WORDS) & (words < LEAD_WORDS)
    pages = []
    for start, stop in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        body = np.flatnonzero(labels[start:stop] == BODY) + start
        if len(body):
            lead = body[:MAX_SHORT_LINES]
            # (Not the first line alone: a headline that ends a sentence.)
            ends_lead = (words[lead] >= LEAD_WORDS) | (sentence[lead] & (np.arange(len(lead)) > 0))
            if ends_lead.any():
                pages.append(("lead", lead[:int(np.argmax(ends_lead)) + 1]))
            paragraphs = body[words[body] >= LEAD_WORDS]
            if len(paragraphs):
                pages.append(("paragraph", paragraphs[rng.integers(len(paragraphs))][None]))
            sentences = body[sentence[body]]
            if len(sentences):
                pages.append(("sentence", sentences[rng.integers(len(sentences))][None]))
        chrome = np.flatnonzero(labels[start:stop] == BOILERPLATE) + start
        chrome_sentences = chrome[sentence[chrome]]
        if len(chrome_sentences):
            pages.append(("chrome-sentence",
                          chrome_sentences[rng.integers(len(chrome_sentences))][None]))
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
    texts = [text.strip() for text in lines["text"].tolist()]
    counts = character_counts(texts, only=("words", "ends_sentence"))
    pages = short_page_rows(lines["label"].to_numpy(), counts["words"],
                            page_bounds(lines["page"]), seed,
                            ends_sentence=counts["ends_sentence"] > 0)
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
