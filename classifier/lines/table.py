"""The line table the line features read, and its plain columns.

A *line table* is a :class:`pandas.DataFrame` (or the lighter
:class:`LineTable` that ``predict`` builds) with one row per non-blank
line, columns ``text`` (the line) and ``page`` (any hashable page key),
the lines of a page contiguous and in reading order. Here: page bounds and
indexes, the base of the stateless transformers, the text column and its
hashed TF-IDF (:func:`line_text_vectorizer`), rows made distinct.
"""

from __future__ import annotations

import operator

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline

from ..words import HashedWords, hashing_transform

try:
    from . import _lines
except ImportError:  # built without a C compiler: numpy and Python count
    _lines = None

def page_bounds(pages) -> np.ndarray:
    """Start offsets of each page's run of lines, plus the total, e.g. [0, 5, 9].

    Lines of a page must be contiguous; a page key that reappears after
    another page is an error because neighbour features would cross pages.
    """
    if isinstance(pages, _Column):
        return pages.page_bounds()
    return _page_bounds(pages)


def _page_bounds(pages) -> np.ndarray:
    # Called by every feature on every pass: no new Series and a set, not
    # pandas' unique, whose fixed costs (~20 us a call) added ~0.15 ms to
    # every predict().
    keys = (pages.to_numpy() if isinstance(pages, (pd.Series, _Column))
            else pd.Series(pages).to_numpy())
    if len(keys) == 0:
        return np.array([0])
    change = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    starts = np.concatenate([[0], change])
    if len(set(keys[starts].tolist())) != len(starts):
        raise ValueError("the lines of each page must be contiguous in the line table")
    return np.concatenate([starts, [len(keys)]])


def line_table(columns: dict) -> pd.DataFrame:
    """A line table from its columns (name -> one value per line), the text
    columns (``text``, and the DOM line table's ``tag``, ``path`` and
    ``attributes``) kept as the Python strings given (object dtype).

    pandas 3 would copy strings into Arrow buffers, and then every
    transformer that reads ``X["text"].tolist()`` builds a new Python
    string per line again, while Arrow's allocator holds on to the memory
    it freed. Kept as given, the same pages score the same, a little
    faster, and a two-worker HTML batch's workers each peaked ~25 MB lower
    (measured 2026-11-26 on 500 shared pages).
    """
    return pd.DataFrame({name: pd.Series(values, dtype=object) if name in _TEXT_COLUMNS
                         else values for name, values in columns.items()})


_TEXT_COLUMNS = frozenset({"text", "tag", "path", "attributes"})


class LineTable:
    """A line table as prediction builds it, read by the package's own
    transformers as they read a DataFrame's columns (``X["text"].tolist()``,
    ``X["page"].to_numpy()``, ``X.columns``, ``len(X)``).

    ``columns`` maps each name to one value per line: the text columns
    lists of ``str``, the others anything ``numpy.asarray`` takes. A
    DataFrame costs ~0.2 ms to build and ~10 us per column read (a pass
    reads ~25, and every feature finds the page bounds again): ~15 % of a
    one-page ``predict()``. Here a column read is a list or array as
    given, and the page bounds are found once. Models with other
    transformers get ``to_frame()`` (``LineModel.body_proba``).
    """

    def __init__(self, columns: dict):
        self._columns = {name: _Column(values if name in _TEXT_COLUMNS else np.asarray(values))
                         for name, values in columns.items()}
        lengths = {len(column.values) for column in self._columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"the columns of a line table differ in length: {sorted(lengths)}")
        self._length = lengths.pop() if lengths else 0

    def __getitem__(self, name: str) -> _Column:
        try:
            return self._columns[name]
        except KeyError:
            raise KeyError(name) from None

    def __len__(self) -> int:
        return self._length

    @property
    def columns(self) -> list:
        return list(self._columns)

    def rows(self, start: int, stop: int) -> LineTable:
        """The lines ``start:stop`` as a table of their own."""
        return LineTable({name: column.values[start:stop]
                          for name, column in self._columns.items()})

    def to_frame(self) -> pd.DataFrame:
        return line_table({name: column.values for name, column in self._columns.items()})


class _Column:
    """One column of a LineTable: its values, read as a Series' are."""

    __slots__ = ("values", "_bounds")

    def __init__(self, values):
        self.values = values
        self._bounds = None

    def tolist(self) -> list:
        return list(self.values) if isinstance(self.values, list) else self.values.tolist()

    def to_numpy(self, dtype=None) -> np.ndarray:
        if isinstance(self.values, list):
            return np.array(self.values, dtype=object if dtype is None else dtype)
        return np.asarray(self.values, dtype=dtype)

    def page_bounds(self) -> np.ndarray:
        """``page_bounds`` of this (page) column, found once (read-only)."""
        if self._bounds is None:
            bounds = _page_bounds(self)
            bounds.flags.writeable = False
            self._bounds = bounds
        return self._bounds


def text_lengths(X, dtype=np.float64) -> np.ndarray:
    """Characters of each line's text (pandas' ``str.len``, without its
    ~70 us of fixed cost per call)."""
    texts = X["text"].tolist()
    return np.fromiter(map(len, texts), dtype=dtype, count=len(texts))


def page_index(bounds: np.ndarray) -> np.ndarray:
    """For each line, the number of its page (0, 1, …) given ``page_bounds``."""
    return np.repeat(np.arange(len(bounds) - 1), np.diff(bounds))


def index_in_page(bounds: np.ndarray) -> np.ndarray:
    """For each line, its position in its page (0, 1, …) given ``page_bounds``."""
    return np.arange(bounds[-1]) - np.repeat(bounds[:-1], np.diff(bounds))


def takes_line_tables(*steps) -> bool:
    """Whether each step (a transformer, or a FeatureUnion or Pipeline of
    them) reads its input only as the package's own line-table transformers
    do, so that a ``LineTable`` can stand for a DataFrame: each part of a
    union, and each pipeline's first step, says so (``takes_line_tables``)."""
    for step in steps:
        if isinstance(step, FeatureUnion):
            parts = [part for _, part in step.transformer_list
                     if not (isinstance(part, str) and part == "drop")]
            if not takes_line_tables(*parts):
                return False
        elif isinstance(step, Pipeline):
            first = [part for _, part in step.steps
                     if not (part is None or (isinstance(part, str) and part == "passthrough"))]
            if not first or not takes_line_tables(first[0]):
                return False
        elif getattr(step, "takes_line_tables", False) is not True:
            return False
    return True


class StatelessTransformer(TransformerMixin, BaseEstimator):
    """Base for transformers that learn nothing in ``fit``. Those of this
    package read line tables through ``X[name].tolist()``,
    ``.to_numpy()``, ``X.columns`` and ``len(X)`` only."""

    takes_line_tables = True

    def fit(self, X, y=None):
        return self

    def get_feature_names_out(self, input_features=None):
        return np.asarray(self.feature_names_, dtype=object)




class TextColumn(StatelessTransformer):
    """Selects the ``text`` column as a list of strings (for vectorizers)."""

    feature_names_ = ["text"]

    def transform(self, X):
        return X["text"].tolist()


def factorize(values, use_na_sentinel: bool = True) -> tuple[np.ndarray, list]:
    """``pandas.factorize(values)`` (codes in order of first appearance, and
    the distinct values) of a list: by a dict when every value is a
    ``str``, ~3x faster than pandas on the long class/id and DOM token
    strings of a page's lines; by pandas otherwise (its handling of
    missing values)."""
    values = values if isinstance(values, list) else list(values)
    index: dict = {}
    setdefault = index.setdefault
    codes = [setdefault(value, len(index)) for value in values]
    if not all(type(value) is str for value in index):
        documents = np.empty(len(values), dtype=object)  # (no Series: ~20 us a call)
        documents[:] = values
        codes, distinct = pd.factorize(documents, use_na_sentinel=use_na_sentinel)
        return codes, list(distinct)
    return np.array(codes, dtype=np.intp), list(index)


class DistinctRows(TransformerMixin, BaseEstimator):
    """Applies a stateless ``transformer`` (e.g. a HashingVectorizer) to each
    distinct document once; repeated documents get a copy of its row.

    DOM token strings repeat heavily (a page's blocks share few containers:
    5,617 distinct strings in 52,819 lines of 250 shared pages), so this
    hashes a tenth of them. The output equals ``transformer.transform``.
    """

    def __init__(self, transformer):
        self.transformer = transformer

    def fit(self, X, y=None):
        self.transformer_ = clone(self.transformer).fit(X, y)
        return self

    def transform(self, X):
        codes, distinct = factorize(X, use_na_sentinel=False)
        # (A HashingVectorizer's matrix is computed in C where it can be.)
        rows = hashing_transform(self.transformer_, distinct)
        if len(distinct) == len(codes):  # no repeats: codes are 0, 1, 2, ...
            return rows
        return take_rows(rows, codes) if type(rows) is sp.csr_matrix else rows[codes]


def take_rows(matrix: sp.csr_matrix, rows: np.ndarray) -> sp.csr_matrix:
    """``matrix[rows]`` of a CSR matrix (rows: integers in range): the same
    arrays, gathered by numpy; scipy's fancy indexing has ~45 us of fixed
    cost per call, paid on every page."""
    rows = np.asarray(rows, dtype=np.intp)
    counts = np.diff(matrix.indptr)[rows]
    indptr = np.zeros(len(rows) + 1, dtype=matrix.indptr.dtype)
    np.cumsum(counts, out=indptr[1:])
    # Where each taken entry is in matrix: its row's start, then onwards.
    starts = matrix.indptr[:-1][rows]
    at = np.repeat(starts - indptr[:-1], counts) + np.arange(indptr[-1], dtype=starts.dtype)
    return sp.csr_matrix((matrix.data[at], matrix.indices[at], indptr),
                         shape=(len(rows), matrix.shape[1]))


def line_text_vectorizer(n_features: int = 2 ** 18):
    """Hashed word uni- and bigram TF-IDF of the line.

    Hashing keeps the model file small and fitting memory flat whatever the
    vocabulary of the user's pages; collisions at 2**18 cost nothing we
    could measure on this task. ``HashedWords`` is scikit-learn's
    ``HashingVectorizer`` with these settings, computed in C (same matrix;
    with the TF-IDF step 2.4 instead of 10.9 us per line of shared pages;
    models trained before 2026-11-26 hold the vectorizer itself).
    """
    return make_pipeline(
        TextColumn(),
        HashedWords(n_features=n_features, ngram_range=(1, 2), alternate_sign=False,
                    lowercase=True),
        TfidfTransformer(sublinear_tf=True),
    )


def neighbour_window(values: np.ndarray, bounds: np.ndarray, offsets, window_sizes,
                     include_own: bool = False) -> np.ndarray:
    """Shifted copies and windowed means of ``values`` within each page.

    Columns: with ``include_own``, the values themselves; for each offset,
    the values on the line that far away (0 when it is on another page or
    beyond the table) and a 0/1 "exists" column; then, for each window
    size, the mean over the centred window clipped to the page (rounded to
    float32). The dtype is that of ``values`` promoted with float32.

    Float32 values are done in C when compiled (one pass writing each row;
    numpy's passes per offset and window cost ~0.4-0.7 us per line, per
    call), the same numbers; the numpy code below is the definition.
    """
    n, k = values.shape
    offsets, window_sizes = tuple(map(operator.index, offsets)), tuple(window_sizes)
    own = k if include_own else 0
    if (_lines is not None and values.dtype == np.float32 and k > 0
            and all(size >= 1 for size in window_sizes)):
        out = np.empty((n, own + len(offsets) * (k + 1) + len(window_sizes) * k),
                       dtype=np.float32)
        _lines.neighbour_window(np.ascontiguousarray(values), k,
                                np.ascontiguousarray(bounds, dtype=np.int64), offsets,
                                window_sizes, out, include_own)
        return out
    page = page_index(bounds)
    width = own + len(offsets) * (k + 1) + len(window_sizes) * k
    # One output array written in place, and shifts as slices: boolean-mask
    # copies per offset and an hstack of the blocks cost more than the
    # values themselves.
    out = np.zeros((n, width), dtype=np.result_type(values.dtype, np.float32))
    out[:, :own] = values[:, :own]
    column = own
    for offset in offsets:
        # Row i takes row i + offset: rows [lo, hi) from [lo + offset, hi + offset).
        lo, hi = max(0, -offset), min(n, n - offset)
        if lo < hi:
            same_page = page[lo:hi] == page[lo + offset:hi + offset]
            out[lo:hi, column:column + k] = values[lo + offset:hi + offset]
            out[lo:hi, column:column + k][~same_page] = 0
            out[lo:hi, column + k] = same_page
        column += k + 1
    if window_sizes:
        # Windowed means via per-page cumulative sums: O(n) for any window.
        cumulative = np.zeros((n + 1, k), dtype=np.float64)
        np.cumsum(values, axis=0, out=cumulative[1:])
        position = np.arange(n)
        page_start = bounds[:-1][page]
        page_stop = bounds[1:][page]
        for size in window_sizes:
            half = size // 2
            lo = np.maximum(position - half, page_start)
            hi = np.minimum(position + half + 1, page_stop)
            out[:, column:column + k] = ((cumulative[hi] - cumulative[lo])
                                         / (hi - lo)[:, None]).astype(np.float32)
            column += k
    return out
