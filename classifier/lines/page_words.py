"""Line features from the words a page repeats, in any language.

A list of function words knows only its languages, and a model trained on
English pages learns English words. Two things hold in every language that
separates words:

* running prose is full of the language's function words, and on a page of
  prose they are the page's most frequent words (the, der, ja, de, и …):
  :class:`PageCommonWords` measures a line against its own page's most
  frequent words, with no list;
* an article's headline names what the article is about, and the article
  repeats those words; a menu item, a teaser for another story or a tag
  does so far less: :class:`RunOverlap` measures how much of a line's
  vocabulary the page's main run of text holds (``MainTextRun``'s run).

Both read a line table, as the transformers of :mod:`classifier.lines`.
"""

from __future__ import annotations

import numpy as np

from ..words import distinct_lowered_words, lowered, token_ids
from .layout import MainTextRun
from .table import StatelessTransformer, page_bounds, page_index


def _tokens(texts: list[str], distinct_per_text: bool):
    """Each text's lower-cased words as numbers (and how many per text)."""
    ids, sizes, _ = token_ids(lowered(texts), distinct_per_text=distinct_per_text,
                              strings=False)
    return ids, sizes


def page_word_keys(ids: np.ndarray, sizes: np.ndarray, bounds: np.ndarray):
    """For each token: the line it is in, and a key of (its page, its word)
    that no other page's word shares."""
    line_of_token = np.repeat(np.arange(len(sizes)), sizes)
    page_of_token = page_index(bounds)[line_of_token]
    n_words = int(ids.max()) + 1 if len(ids) else 1
    return line_of_token, page_of_token.astype(np.int64) * n_words + ids


def common_tokens(ids: np.ndarray, sizes: np.ndarray, bounds: np.ndarray, n_common: int,
                  min_count: int) -> np.ndarray:
    """For each token, whether its word is one of its page's ``n_common``
    most frequent words (ties by first appearance) and occurs there at
    least ``min_count`` times."""
    if not len(ids):
        return np.zeros(0, dtype=bool)
    line_of_token, keys = page_word_keys(ids, sizes, bounds)
    distinct, first, inverse, counts = np.unique(keys, return_index=True, return_inverse=True,
                                                 return_counts=True)
    page_of_key = page_index(bounds)[line_of_token[first]]
    # Within each page, most frequent first, then in order of appearance.
    order = np.lexsort((first, -counts, page_of_key))
    starts = np.searchsorted(page_of_key[order], page_of_key[order], side="left")
    rank = np.empty(len(distinct), dtype=np.int64)
    rank[order] = np.arange(len(distinct)) - starts
    common = (rank < n_common) & (counts >= min_count)
    return common[inverse]


class PageCommonWords(StatelessTransformer):
    """How much of a line is its page's most frequent words.

    ``common_share``: the share of the line's words that are among the
    page's ``n_common`` most frequent words (occurring ``min_count`` times
    or more); ``log_common``: log(1 + how many of its words are). Prose
    scores high in any language; names, menus and headlines low.
    """

    feature_names_ = ["common_share", "log_common"]

    def __init__(self, n_common=20, min_count=3):
        self.n_common = n_common
        self.min_count = min_count

    def transform(self, X):
        texts = X["text"].tolist()
        ids, sizes = _tokens(texts, distinct_per_text=False)
        bounds = page_bounds(X["page"])
        common = common_tokens(ids, sizes, bounds, self.n_common, self.min_count)
        line_of_token = np.repeat(np.arange(len(texts)), sizes)
        counts = np.bincount(line_of_token, weights=common, minlength=len(texts))
        out = np.zeros((len(texts), 2), dtype=np.float32)
        out[:, 0] = counts / np.maximum(sizes, 1)
        out[:, 1] = np.log1p(counts)
        return out


class RunOverlap(StatelessTransformer):
    """How much of a line's vocabulary the page's main run of text holds.

    For each line, the share of its distinct content words (of
    ``min_chars`` characters or more: short words are function words in
    most languages) found in the lines of its page's main run (``run``, a
    :class:`~classifier.lines.layout.MainTextRun`) other than itself, and
    whether it has any content word. A headline scores high, above or
    beside its article; a teaser for another story low.
    """

    feature_names_ = ["run_word_share", "has_content_words"]

    def __init__(self, min_chars=4, run=None):
        self.min_chars = min_chars
        self.run = run

    def transform(self, X):
        texts = X["text"].tolist()
        bounds = page_bounds(X["page"])
        run = self.run if self.run is not None else MainTextRun(comment_breaks=True)
        runs = run.runs(X, bounds)
        in_run = np.zeros(len(texts), dtype=bool)
        for (start, stop), page_start in zip(runs, bounds[:-1].tolist()):
            in_run[page_start + start:page_start + stop] = True
        ids, sizes, words = distinct_lowered_words(texts)
        out = np.zeros((len(texts), 2), dtype=np.float32)
        if not len(ids):
            return out
        line_of_token, keys = page_word_keys(ids, sizes, bounds)
        word_chars = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        long_enough = word_chars[ids] >= self.min_chars
        line_of_token, keys = line_of_token[long_enough], keys[long_enough]
        token_in_run = in_run[line_of_token]
        # How many run lines hold each (page, word); a line's own word
        # counts only if another run line holds it too.
        distinct, inverse = np.unique(keys, return_inverse=True)
        run_lines = np.bincount(inverse, weights=token_in_run, minlength=len(distinct))
        elsewhere = run_lines[inverse] - token_in_run > 0
        content = np.bincount(line_of_token, minlength=len(texts))
        found = np.bincount(line_of_token, weights=elsewhere, minlength=len(texts))
        out[:, 0] = found / np.maximum(content, 1)
        out[:, 1] = content > 0
        return out
