"""Where a line sits in its page, and what its neighbours are.

A line cannot be judged alone ("Here's what you need to know." is a
sentence in an article and a teaser in a list of links), so these features
look at the line's page:

* :class:`PagePosition` – where the line sits in its page;
* :class:`MainTextRun` – where it sits relative to the page's densest run
  of long lines (from word counts, or from any score column);
* :class:`TitleOverlap` – how much of it repeats the page's first lines (a
  headline repeats the title);
* :class:`NeighbourWindow` – given features of the lines before and after,
  and their means over wider windows.
"""

from __future__ import annotations

import operator

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone

from ..words import distinct_lowered_words
from .sections import section_marks
from .statistics import line_word_counts
from .table import (
    StatelessTransformer,
    index_in_page,
    neighbour_window,
    page_bounds,
    takes_line_tables,
    text_lengths,
)

try:
    from . import _lines
except ImportError:  # built without a C compiler: numpy and Python count
    _lines = None

class TitleOverlap(StatelessTransformer):
    """How much of a line repeats the page's first lines (title, breadcrumb).

    The headline of an article usually repeats the page title, which comes
    first when pages are copied as text (and is the first line our HTML
    conversion emits). For each line: the largest share of its words found
    in one of the page's first ``n_first`` lines (other than itself), and
    the share of that first line's words the line covers.
    """

    feature_names_ = ["share_in_first_lines", "covers_first_line"]

    def __init__(self, n_first=3):
        self.n_first = n_first

    def transform(self, X):
        # Each line's distinct lower-cased words, as numbers.
        words, sizes, _ = distinct_lowered_words(X["text"].tolist())
        shares, covers = head_overlaps(words, sizes, page_bounds(X["page"]), self.n_first)
        return np.column_stack([shares, covers]).astype(np.float32)


def head_overlaps(words: np.ndarray, sizes: np.ndarray, bounds: np.ndarray, n_first: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """TitleOverlap's two values for each line, in float64: over the first
    ``n_first`` lines of its page with words (heads, the line itself not
    counted), the largest share of the line's distinct words found in one
    head, and the largest share of a head's words the line holds. Lines
    without words get 0s.

    ``words``: the lines' distinct word numbers, line after line (int64,
    as :func:`classifier.words.token_ids` with ``distinct_per_text``
    gives them); ``sizes``: how many each line has; ``bounds``: the page
    bounds. In C when compiled (numpy's dozen calls per head and page
    were most of the feature's cost on single pages), the same numbers;
    the numpy code below is the definition.
    """
    n = len(sizes)
    words = np.ascontiguousarray(words, dtype=np.int64)
    sizes = np.ascontiguousarray(sizes, dtype=np.int64)
    bounds = np.ascontiguousarray(bounds, dtype=np.int64)
    shares, covers = np.zeros(n), np.zeros(n)
    if _lines is not None:
        _lines.head_overlaps(words, sizes, bounds, operator.index(n_first), shares, covers)
        return shares, covers
    word_ends = np.cumsum(sizes)
    word_starts = word_ends - sizes
    # in_head[w] == mark: word w is in the head line being compared (a
    # new mark per head, so the array is never cleared).
    in_head = np.zeros(int(words.max()) + 1 if len(words) else 0, dtype=np.int64)
    mark = 0
    for start, stop in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        page_words = words[word_starts[start]:word_ends[stop - 1]] if stop > start else words[:0]
        page_sizes = sizes[start:stop]
        # Which of the page's lines each of its words belongs to.
        owner = np.repeat(np.arange(stop - start), page_sizes)
        has_words = page_sizes > 0
        for head in range(start, min(start + n_first, stop)):
            if sizes[head] == 0:
                continue
            mark += 1
            in_head[words[word_starts[head]:word_ends[head]]] = mark
            common = np.bincount(owner[in_head[page_words] == mark], minlength=stop - start)
            # Lines without words and the head itself keep their values.
            usable = has_words.copy()
            usable[head - start] = False
            rows = np.flatnonzero(usable) + start
            shares[rows] = np.maximum(shares[rows], common[usable] / page_sizes[usable])
            covers[rows] = np.maximum(covers[rows], common[usable] / sizes[head])
    return shares, covers




class PagePosition(StatelessTransformer):
    """Where a line sits in its page, by line count and by share of the text."""

    feature_names_ = [
        "relative_position", "log_lines_before", "log_lines_after", "log_page_lines",
        "text_share_before", "chars_vs_page_max", "chars_vs_page_median",
    ]

    def transform(self, X):
        bounds = page_bounds(X["page"])
        chars = text_lengths(X)
        out = np.zeros((len(X), len(self.feature_names_)), dtype=np.float32)
        if len(X):
            _page_positions(chars, bounds, out)
        return out


def _page_positions(chars: np.ndarray, bounds: np.ndarray, out: np.ndarray) -> None:
    """PagePosition's columns for all pages at once (a dozen numpy calls a
    page, np.median the dearest, were ~0.3 us a line), the same numbers as
    :func:`_page_positions_of_each_page`, the definition: the lengths are
    whole numbers, so their sums in float64 are exact in any order, and a
    page's median is the mean of its middle one or two once sorted."""
    lengths = np.diff(bounds)
    # The medians come from one sort of the lengths keyed by page: exact
    # while page * (longest + 1) + length is below 2**53. (page_bounds
    # never gives an empty page.)
    page_key = chars.max() + 1.0
    if not lengths.all() or len(lengths) * page_key >= 2.0 ** 53:
        _page_positions_of_each_page(chars, bounds, out)
        return
    starts = bounds[:-1]
    n = np.repeat(lengths, lengths)
    index = index_in_page(bounds)
    before = np.cumsum(chars) - chars  # the characters of the lines before, all pages
    before -= np.repeat(before[starts], lengths)
    totals = np.add.reduceat(chars, starts)
    totals[totals == 0] = 1.0
    maxima = np.maximum.reduceat(chars, starts)
    maxima[maxima == 0] = 1.0
    offsets = np.repeat(np.arange(len(lengths)) * page_key, lengths)
    in_order = np.sort(chars + offsets) - offsets
    medians = (in_order[starts + (lengths - 1) // 2] + in_order[starts + lengths // 2]) / 2
    out[:, 0] = index / np.maximum(n - 1, 1)
    out[:, 1] = np.log1p(index)
    out[:, 2] = np.log1p(n - 1 - index)
    out[:, 3] = np.log1p(n)
    out[:, 4] = before / np.repeat(totals, lengths)
    out[:, 5] = chars / np.repeat(maxima, lengths)
    out[:, 6] = np.log1p(chars) - np.repeat(np.log1p(medians), lengths)


def _page_positions_of_each_page(chars: np.ndarray, bounds: np.ndarray, out: np.ndarray) -> None:
    for start, stop in zip(bounds[:-1], bounds[1:]):
        n = stop - start
        index = np.arange(n)
        page_chars = chars[start:stop]
        total = page_chars.sum() or 1.0
        out[start:stop, 0] = index / max(n - 1, 1)
        out[start:stop, 1] = np.log1p(index)
        out[start:stop, 2] = np.log1p(n - 1 - index)
        out[start:stop, 3] = np.log1p(n)
        out[start:stop, 4] = (np.cumsum(page_chars) - page_chars) / total
        out[start:stop, 5] = page_chars / (page_chars.max() or 1.0)
        out[start:stop, 6] = np.log1p(page_chars) - np.log1p(np.median(page_chars))


def densest_run(weights: np.ndarray) -> tuple[int, int]:
    """Half-open [start, stop) of the contiguous run with the largest weight sum.

    Kadane's maximum-subarray: with weights "words minus a threshold", the
    run is the page's main block of long text, short lines inside it (a
    subheading, a photo credit) bridged as long as the text around them pays
    for them. Returns (0, 0) when no weight is positive.

    Float arrays are summed in their own precision (numpy scalars), in C
    when compiled (a Python step per line was ~0.2 us of each line's
    cost, paid twice); anything else by the loop below, the definition.
    """
    if (_lines is not None and isinstance(weights, np.ndarray) and weights.ndim == 1
            and weights.dtype in (np.float32, np.float64)):
        return _lines.densest_run(np.ascontiguousarray(weights), weights.itemsize)
    best, best_start, best_stop = 0.0, 0, 0
    current, current_start = 0.0, 0
    for i, weight in enumerate(weights):
        if current <= 0:
            current, current_start = weight, i
        else:
            current += weight
        if current > best:
            best, best_start, best_stop = current, current_start, i + 1
    return best_start, best_stop


class MainTextRun(StatelessTransformer):
    """Position of a line relative to its page's main run of text.

    The run is :func:`densest_run` over ``weight(line) - threshold``. By
    default the weight is the line's word count (capped so that one huge
    line cannot claim the page); ``score_column`` names a column of X to
    use instead, e.g. first-stage body probabilities.

    With ``comment_breaks``, comment headings and comment-thread furniture
    (``section_marks``: "Jane says:", "Reply", "12 Comments") weigh
    ``-3 * cap``: a run never spans them, so a long thread of comments is
    many short runs, and the article above it stays the page's main run
    however many comments follow.
    """

    # (Models pickled before the parameter existed have no attribute of it.)
    comment_breaks = False

    def __init__(self, threshold=10.0, cap=60.0, score_column=None, prefix="run",
                 comment_breaks=False):
        self.threshold = threshold
        self.cap = cap
        self.score_column = score_column
        self.prefix = prefix
        self.comment_breaks = comment_breaks

    def get_feature_names_out(self, input_features=None):
        names = ["inside", "log_distance_before", "log_distance_after", "page_share"]
        return np.asarray([f"{self.prefix}_{name}" for name in names], dtype=object)

    def transform(self, X):
        bounds = page_bounds(X["page"])
        chars = text_lengths(X)
        out = np.zeros((len(X), 4), dtype=np.float32)
        _main_run_columns(self.runs(X, bounds), chars, bounds, out)
        return out

    def runs(self, X, bounds: np.ndarray) -> list:
        """Each page's main run, as (start, stop) within the page."""
        if self.score_column is None:
            texts = X["text"].tolist()
            words = line_word_counts(texts).astype(np.float32)
            weights = np.minimum(words, self.cap) - self.threshold
            if self.comment_breaks:
                comment, _, meta = section_marks(texts)
                weights[comment | meta] = np.float32(-3 * self.cap)
        else:
            weights = X[self.score_column].to_numpy(dtype=np.float64) - self.threshold
        return [densest_run(weights[start:stop])
                for start, stop in zip(bounds[:-1].tolist(), bounds[1:].tolist())]


def _main_run_columns(runs: list, chars: np.ndarray, bounds: np.ndarray,
                      out: np.ndarray) -> None:
    """MainTextRun's columns given each page's run, for all pages at once
    (~8 numpy calls a page were ~0.15 us a line), the same numbers as
    :func:`_main_run_columns_of_each_page`, the definition: the lengths are
    whole numbers, so the run's and the page's sums in float64 are exact
    in any order."""
    lengths = np.diff(bounds)
    if not len(runs) or not lengths.all():  # (page_bounds never gives an empty page)
        _main_run_columns_of_each_page(runs, chars, bounds, out)
        return
    starts = bounds[:-1]
    run_start = np.array([start for start, _ in runs], dtype=np.int64)
    run_stop = np.array([stop for _, stop in runs], dtype=np.int64)
    index = index_in_page(bounds)
    line_start, line_stop = np.repeat(run_start, lengths), np.repeat(run_stop, lengths)
    has_run = np.repeat(run_stop > run_start, lengths)
    # (No main run: every line is equally far from it.)
    no_run = np.log1p(np.repeat(lengths, lengths))
    out[:, 0] = has_run & (index >= line_start) & (index < line_stop)
    out[:, 1] = np.where(has_run, np.log1p(np.maximum(line_start - index, 0)), no_run)
    out[:, 2] = np.where(has_run, np.log1p(np.maximum(index - line_stop + 1, 0)), no_run)
    before = np.concatenate([[0.0], np.cumsum(chars)])
    in_run = before[starts + run_stop] - before[starts + run_start]
    totals = before[bounds[1:]] - before[starts]
    totals[totals == 0] = 1
    out[:, 3] = np.repeat(np.where(run_stop > run_start, in_run / totals, 0.0), lengths)


def _main_run_columns_of_each_page(runs: list, chars: np.ndarray, bounds: np.ndarray,
                                   out: np.ndarray) -> None:
    for (run_start, run_stop), start, stop in zip(runs, bounds[:-1], bounds[1:]):
        index = np.arange(stop - start)
        if run_stop > run_start:
            out[start:stop, 0] = (index >= run_start) & (index < run_stop)
            out[start:stop, 1] = np.log1p(np.maximum(run_start - index, 0))
            out[start:stop, 2] = np.log1p(np.maximum(index - run_stop + 1, 0))
            page_chars = chars[start:stop]
            out[start:stop, 3] = page_chars[run_start:run_stop].sum() / (page_chars.sum() or 1)
        else:
            # No main run: every line is equally far from it.
            out[start:stop, 1] = out[start:stop, 2] = np.log1p(stop - start)


class NeighbourWindow(TransformerMixin, BaseEstimator):
    """A line's features and their values on neighbouring lines of its page.

    ``transformer`` computes per-line features (output first, unless
    ``include_own=False``); for each feature we add its
    value on the lines ``offsets`` away (0 beyond the page edge, with one
    indicator per offset telling whether the neighbour exists) and its mean
    over centred windows of the given ``window_sizes``.
    """

    def __init__(self, transformer, offsets=(-3, -2, -1, 1, 2, 3), window_sizes=(5, 11),
                 include_own=True):
        self.transformer = transformer
        self.offsets = offsets
        self.window_sizes = window_sizes
        self.include_own = include_own

    def fit(self, X, y=None):
        self.transformer_ = clone(self.transformer).fit(X, y)
        self.base_names_ = list(self.transformer_.get_feature_names_out())
        return self

    @property
    def takes_line_tables(self) -> bool:
        return takes_line_tables(self.transformer)

    def get_feature_names_out(self, input_features=None):
        names = list(self.base_names_) if self.include_own else []
        for offset in self.offsets:
            names += [f"{name}@{offset:+d}" for name in self.base_names_]
            names.append(f"exists@{offset:+d}")
        for size in self.window_sizes:
            names += [f"{name}@mean{size}" for name in self.base_names_]
        return np.asarray(names, dtype=object)

    def transform(self, X):
        values = np.asarray(self.transformer_.transform(X), dtype=np.float32)
        # The line's own values come from the same pass: computing them once
        # halves the cost of the most expensive features.
        return neighbour_window(values, page_bounds(X["page"]), self.offsets, self.window_sizes,
                                include_own=self.include_own)
