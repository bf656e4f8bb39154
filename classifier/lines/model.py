"""The line model: every line of a page → P(body).

Two stages, stacked:

1. **First stage** – a linear model over the line's hashed TF-IDF and its
   scaled layout features (shape, position, main text run, neighbours'
   shapes). It knows *what* a line says and looks like.
2. **Second stage** – gradient-boosted trees over the layout features plus
   the first-stage scores of the line's neighbours (shifted and windowed),
   the page's score profile and the run of high scores. It knows *where*
   the line sits among lines the first stage already judged: a sentence
   inside a run of article paragraphs versus the same sentence in a list of
   teasers.

The second stage is trained on **out-of-fold** first-stage scores (folds
grouped by page), never on in-sample scores, which would be over-confident
and teach the second stage to trust them blindly.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import FeatureUnion
from sklearn.preprocessing import StandardScaler

from ..pipelines import plain_scaling, run_transform, scaler_transform
from .dom import ContainerShare, DomLayout, dom_text_vectorizer
from .layout import MainTextRun, NeighbourWindow, PagePosition, TitleOverlap, densest_run
from .page_words import PageCommonWords, RunOverlap
from .sections import SectionMarkers
from .statistics import LineShape
from .table import (
    LineTable,
    index_in_page,
    line_text_vectorizer,
    neighbour_window,
    page_bounds,
    takes_line_tables,
)
from .trees import flat_trees

try:
    from . import _lines
except ImportError:  # not compiled: numpy does the same
    _lines = None

BODY, BOILERPLATE = "body", "boilerplate"
LABELS = (BODY, BOILERPLATE)


def default_layout_features():
    """Shape, position, main run and neighbours' shapes, as one dense block."""
    return FeatureUnion([
        ("shape_and_neighbours", NeighbourWindow(LineShape())),
        ("position", PagePosition()),
        ("main_run", MainTextRun()),
        ("section_markers", SectionMarkers()),
        # Whether the line *after the headline* or before it: the lines
        # between a headline and its article are bylines, dates, share bars.
        ("title_overlap", NeighbourWindow(TitleOverlap(), offsets=(-2, -1, 1, 2),
                                          window_sizes=())),
        # The article's run, which comment furniture breaks (a long comment
        # thread cannot outweigh the article above it), how much of the
        # line's vocabulary it holds (a headline names its story), and
        # the page's own function words (any language).
        ("article_run", MainTextRun(comment_breaks=True, prefix="article_run")),
        ("run_overlap", NeighbourWindow(RunOverlap(), offsets=(-1, 1), window_sizes=())),
        ("common_words", NeighbourWindow(PageCommonWords(), offsets=(-1, 1),
                                         window_sizes=(5,))),
    ])


def html_text_features():
    """The line's words and its DOM tokens (tag, ancestors, class/id words)."""
    return FeatureUnion([("words", line_text_vectorizer()), ("dom", dom_text_vectorizer())])


def html_layout_features():
    """The text path's layout features plus DOM facts of the line and its
    neighbours (a link-dense line between two link-dense lines is a menu)."""
    return FeatureUnion([
        ("text_layout", default_layout_features()),
        ("dom", NeighbourWindow(DomLayout(), offsets=(-2, -1, 1, 2), window_sizes=(5,))),
        ("container", ContainerShare()),
    ])


def html_line_model(**parameters) -> "StackedLineClassifier":
    """The line model of the HTML path: same stacking, DOM features added.

    It reads a DOM line table (:func:`classifier.lines.dom.dom_line_table`)."""
    return StackedLineClassifier(text_features=html_text_features(),
                                 layout_features=html_layout_features(), **parameters)


def default_first_stage(random_state=0):
    """Logistic loss by SGD: on ~3*10^5 lines x 2**18 hashed columns it fits
    in seconds where liblinear and lbfgs take minutes.

    The strong penalty matters: the second stage reads these scores as
    graded evidence. On a site-held-out quarter of Dragnet, alpha=2e-6 gave
    99 % of scores at 0 or 1 (log loss 2.4); 3e-3 gives log loss 0.21 and a
    better AUC (0.963), close to lbfgs logistic regression (0.195, 0.968)
    at a tenth of the time."""
    return SGDClassifier(loss="log_loss", alpha=3e-3, max_iter=15, tol=None,
                         average=True, random_state=random_state)


def default_second_stage(random_state=0):
    """300 gradient-boosted trees of 31 leaves over the layout features and
    the neighbours' first-stage scores.

    Each split weighs a random half of the ~520 (HTML) or ~280 (text)
    columns, and a leaf holds at least 100 lines: the trees must carry
    over to sites no training corpus holds, and a split free to pick any
    column, down to 20 lines, can fit the training corpora's own
    templates. Leave one corpus out (make eval-generalisation, 2026-12-07
    18:33 against 16:12; docs/benchmarks.md), the HTML model scored every
    corpus the same or better than with all columns and 20 lines a leaf
    (macro page F1 +0.0025, Google-Trends +0.009); the text model moved
    within the noise (-0.0008). The trees keep their 31 leaves, hence
    their size and scoring time."""
    return HistGradientBoostingClassifier(
        max_iter=300, learning_rate=0.08, max_leaf_nodes=31, l2_regularization=1.0,
        max_features=0.5, min_samples_leaf=100, early_stopping=False,
        random_state=random_state)


class StackedLineClassifier(ClassifierMixin, BaseEstimator):
    """Body/boilerplate classifier for the lines of whole pages.

    ``X`` is a line table (DataFrame with ``text`` and ``page`` columns, see
    :mod:`classifier.lines.table`); ``y`` holds ``"body"`` / ``"boilerplate"``.

    Parameters
    ----------
    text_features, layout_features : transformers
        Sparse text features and dense layout features of each line.
    first_stage, second_stage : classifiers
        ``None`` selects the defaults (:func:`default_first_stage`, a
        logistic model; :func:`default_second_stage`, boosted trees).
    n_splits : int
        Page-grouped folds used to produce out-of-fold first-stage scores.
    score_offsets, score_windows :
        Which neighbours' first-stage scores the second stage sees.
    threshold : float
        P(body) at or above which ``predict`` says ``"body"``.
    """

    def __init__(self, text_features=None, layout_features=None, first_stage=None,
                 second_stage=None, n_splits=4, score_offsets=(-4, -3, -2, -1, 1, 2, 3, 4),
                 score_windows=(3, 5, 11, 21), threshold=0.5, random_state=0):
        self.text_features = text_features
        self.layout_features = layout_features
        self.first_stage = first_stage
        self.second_stage = second_stage
        self.n_splits = n_splits
        self.score_offsets = score_offsets
        self.score_windows = score_windows
        self.threshold = threshold
        self.random_state = random_state

    # -- fitting ---------------------------------------------------------
    def fit(self, X, y, progress=None, sample_weight=None):
        """Fit both stages. ``progress(message)`` is called between steps.

        ``sample_weight`` (one per line) weighs lines in both stages, e.g.
        so that no training corpus outweighs the others
        (``training.lines.corpus_weights``)."""
        say = progress or (lambda message: None)
        y = np.asarray(y)
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=np.float64)
            if sample_weight.shape != y.shape or not np.all(np.isfinite(sample_weight)) \
                    or (sample_weight < 0).any():
                raise ValueError("sample_weight must hold one finite weight >= 0 per line")
        unknown = set(np.unique(y)) - set(LABELS)
        if unknown:
            raise ValueError(f"labels must be {LABELS}, got {sorted(unknown)}")
        target = (y == BODY).astype(np.int8)
        if len(np.unique(target)) < 2:
            raise ValueError("training lines must include both body and boilerplate")
        self.classes_ = np.array(LABELS)
        pages = X["page"].to_numpy()
        bounds = page_bounds(pages)

        say("line features")
        self.text_features_ = clone(self.text_features or line_text_vectorizer())
        self.layout_features_ = clone(self.layout_features or default_layout_features())
        text = self.text_features_.fit_transform(X)
        layout = self.layout_features_.fit_transform(X).astype(np.float32)
        self.scaler_ = StandardScaler().fit(layout)
        first_inputs = self._first_stage_inputs(text, layout)

        first = self.first_stage or default_first_stage(self.random_state)
        n_pages = len(bounds) - 1
        n_splits = min(self.n_splits, n_pages)
        if n_splits < 2:
            raise ValueError("at least two pages are needed to train the line model")
        say(f"first stage, {n_splits} out-of-fold fits")
        out_of_fold = np.zeros(len(y), dtype=np.float64)
        for train, held_out in GroupKFold(n_splits=n_splits).split(first_inputs, target, pages):
            if len(np.unique(target[train])) < 2:
                # A fold with a single class (tiny data sets): use the prior.
                out_of_fold[held_out] = target[train].mean()
                continue
            model = clone(first).fit(first_inputs[train], target[train],
                                     **_weights(sample_weight, train))
            out_of_fold[held_out] = model.predict_proba(first_inputs[held_out])[:, 1]
        self.first_stage_ = clone(first).fit(first_inputs, target, **_weights(sample_weight))

        say("second stage")
        second = self.second_stage or default_second_stage(self.random_state)
        second_inputs = self._second_stage_inputs(layout, out_of_fold, bounds)
        self.second_stage_ = clone(second).fit(second_inputs, target,
                                               **_weights(sample_weight))
        self.n_features_in_ = 2  # text and page columns
        return self

    # -- prediction ------------------------------------------------------
    def predict_proba(self, X):
        """Columns follow ``classes_``: P(body), P(boilerplate)."""
        body = self.body_proba(X)
        return np.column_stack([body, 1.0 - body])

    def body_proba(self, X) -> np.ndarray:
        if len(X) == 0:
            return np.zeros(0)
        if isinstance(X, LineTable) and not takes_line_tables(self.text_features_,
                                                              self.layout_features_):
            X = X.to_frame()  # a transformer of the user's may want a DataFrame
        # Big inputs are scored a run of whole pages at a time: the feature
        # matrices cost ~10 MB per 1,000 lines, and no feature looks past
        # its own page, so the scores are the same as in one pass.
        parts = [self.pages_body_proba(run, run_bounds) for run, run_bounds in page_runs(X)]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def pages_body_proba(self, X, bounds: np.ndarray, layout=None) -> np.ndarray:
        """P(body) of the lines of ``X`` in one pass (``body_proba`` cuts big
        inputs into such passes): whole pages, rows from 0, their page
        ``bounds``; ``layout`` their layout block if already computed
        (``layout_block``)."""
        text = run_transform(self.text_features_, X)
        if layout is None:
            layout = self.layout_block(X)
        first = self._first_stage_proba(text, layout)
        second_inputs = self._second_stage_inputs(layout, first, bounds)
        return self._second_stage_proba(second_inputs)

    def layout_block(self, X, known: dict | None = None) -> np.ndarray:
        """The layout features of ``X``'s lines, as float32. ``known``: outputs
        of layout steps computed elsewhere (``run_transform``)."""
        # (No copy when the union already gives float32, as the default
        # features do: a page's layout block is ~470 columns.)
        return run_transform(self.layout_features_, X, known).astype(np.float32, copy=False)

    def _second_stage_proba(self, inputs: np.ndarray) -> np.ndarray:
        """Second-stage P(body).

        The default trees are scored by the compiled scorer of
        ``classifier.lines.trees`` (same scores; ~0.9 against ~20 us per line of
        shared pages through ``predict_proba``). Other second stages,
        or an install without the compiled scorer, go through
        ``predict_proba`` in blocks of rows on one OpenMP thread: trees are
        scored one after another over all rows given, so each tree re-reads
        the whole input; in blocks of ~1,000 rows (~2 MB as float64) the
        rows stay in the CPU cache from tree to tree, which made the 300
        trees 3x faster than one pass over 50,000 rows (20 against 64
        us/line, measured on 250 shared pages). Rows are scored
        independently, so the scores do not depend on the block size.

        One thread: a block is too small to share among OpenMP threads, and
        when other processes keep the cores busy the threads' spin-waits
        made each tree 100x slower (1.6 s instead of 25 ms per page).
        Batch runs use worker processes for the other cores.
        """
        flat = flat_trees(self.second_stage_)
        if flat is not None:
            return flat.proba(inputs)
        with _single_openmp_thread():
            return np.concatenate([self.second_stage_.predict_proba(block)[:, 1]
                                   for block in _row_blocks(inputs, SECOND_STAGE_BLOCK)])

    def predict(self, X):
        return np.where(self.body_proba(X) >= self.threshold, BODY, BOILERPLATE)

    # -- stage inputs ----------------------------------------------------
    def _scaled_layout(self, layout):
        # Clipped z-scores: a rare extreme value (a 3,000-word line) must not
        # dominate a linear model's decision. A copying scaler's output is
        # clipped in place (no second array of the block's size).
        scaled = run_transform(self.scaler_, layout)
        in_place = getattr(self.scaler_, "copy", False) is True
        return np.clip(scaled, -LAYOUT_CLIP, LAYOUT_CLIP, out=scaled if in_place else None)

    def _scaled_layout_float64(self, layout):
        """``self._scaled_layout(layout).astype(np.float64)``, in one pass
        where it can be (``scaled_clipped``)."""
        if type(self.scaler_) is StandardScaler:
            return scaled_clipped(self.scaler_, layout, -LAYOUT_CLIP, LAYOUT_CLIP)
        return self._scaled_layout(layout).astype(np.float64)

    def _first_stage_inputs(self, text, layout):
        return sp.hstack([text, _dense_to_csr(self._scaled_layout(layout))], format="csr")

    def _first_stage_proba(self, text, layout) -> np.ndarray:
        """First-stage P(body) of each line.

        A logistic first stage (the default) is scored as the sum of its
        text and layout parts, without building the joined sparse matrix:
        stacking the dense layout block into it cost more than every other
        step of the first stage together (~20 us/line). Same scores.
        """
        first = self.first_stage_
        if not _is_binary_logistic(first):
            return first.predict_proba(self._first_stage_inputs(text, layout))[:, 1]
        weights = first.coef_[0]
        n_text = text.shape[1]
        # In float64, as the joined matrix was (the text block is float64),
        # a block of rows at a time: scaled, clipped and as float64, the
        # whole layout block was a pass's biggest arrays (HTML: ~470
        # columns, 3.8 MB per 1,000 lines as float64, with two float32
        # copies beside it). Each row's sum is the same either way.
        layout_margin = np.concatenate([
            self._scaled_layout_float64(block) @ weights[n_text:]
            for block in _row_blocks(layout, FIRST_STAGE_BLOCK)])
        margin = text @ weights[:n_text] + layout_margin + first.intercept_[0]
        # Column 1 of predict_proba is classes_[1]; classes_ are (0, 1).
        return expit(np.asarray(margin, dtype=np.float64))

    def _second_stage_inputs(self, layout, scores, bounds):
        return np.hstack([layout, score_context(scores, bounds, self.score_offsets,
                                                self.score_windows)])


def _weights(sample_weight, rows=None) -> dict:
    """The ``sample_weight`` keyword of a stage's fit (none when unweighted)."""
    if sample_weight is None:
        return {}
    return {"sample_weight": sample_weight if rows is None else sample_weight[rows]}


def _is_binary_logistic(model) -> bool:
    """Whether ``predict_proba`` is the logistic function of X @ coef_ + b."""
    if isinstance(model, SGDClassifier):
        logistic = model.loss == "log_loss"
    else:
        logistic = isinstance(model, LogisticRegression)
    return (logistic and getattr(model, "coef_", None) is not None
            and model.coef_.shape[0] == 1 and list(model.classes_) == [0, 1])


def _row_blocks(rows: np.ndarray, size: int) -> list:
    """``rows`` in consecutive blocks of at most ``size`` rows (views)."""
    return [rows[start:start + size] for start in range(0, len(rows), size)]


def _dense_to_csr(values: np.ndarray) -> sp.csr_matrix:
    """A dense block as CSR, every entry stored (explicit zeros included):
    building it from the row layout directly is much faster than scanning
    the block for non-zeros, and the products it takes part in are the same."""
    n_rows, n_columns = values.shape
    return sp.csr_matrix(
        (np.ascontiguousarray(values).ravel(), np.tile(np.arange(n_columns), n_rows),
         np.arange(0, n_rows * n_columns + 1, n_columns)), shape=(n_rows, n_columns))


#: Rows per predict_proba call of a second stage not scored by classifier.lines.trees
#: (see _second_stage_proba).
SECOND_STAGE_BLOCK = 1_000
#: Rows of the layout block scaled and weighed at a time (see _first_stage_proba).
FIRST_STAGE_BLOCK = 500
#: The first stage's layout z-scores are clipped to [-LAYOUT_CLIP, LAYOUT_CLIP].
LAYOUT_CLIP = 5.0
#: Lines scored in one pass (a longer page is scored whole, alone). On 250
#: Dragnet pages, 4,000 peaked at 465 MB against 605 MB for 10,000, at the
#: same speed. 2,000 (2026-11-26): a two-worker HTML batch of 2,000 shared
#: pages peaked at 483-486 MB PSS against 503-515, one process 20 MB lower
#: (HTML; 10 MB text), pages/s the same or a few % higher; the HTML
#: model's layout block alone is ~470 columns, 15 MB per 4,000 lines as
#: float64.
ROWS_PER_PASS = 2_000


def page_runs(X):
    """The line table ``X`` in runs of consecutive whole pages of at most
    ``ROWS_PER_PASS`` lines (see ``_runs_of_pages``): ``(run, bounds)`` per
    run, the run's rows re-indexed from 0 and its page bounds
    (``page_bounds``) with them."""
    bounds = page_bounds(X["page"])
    runs = list(_runs_of_pages(bounds, ROWS_PER_PASS))
    if len(runs) == 1 and _indexed_from_zero(X):  # the usual case: no copy
        yield X, bounds
        return
    for start, stop in runs:
        run = (X.rows(start, stop) if isinstance(X, LineTable)
               else X.iloc[start:stop].reset_index(drop=True))
        yield run, bounds[(bounds >= start) & (bounds <= stop)] - start


def _indexed_from_zero(X) -> bool:
    """Whether ``X``'s rows are indexed 0, 1, … as ``reset_index`` makes them
    (a LineTable's always are)."""
    if isinstance(X, LineTable):
        return True
    index = X.index
    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1


def _runs_of_pages(bounds: np.ndarray, max_rows: int):
    """(start, stop) row ranges of consecutive whole pages, each at most
    ``max_rows`` rows unless a single page is longer."""
    start = 0
    for page_start, page_stop in zip(bounds[:-1], bounds[1:]):
        if page_stop - start > max_rows and page_start > start:
            yield start, int(page_start)
            start = int(page_start)
    yield start, int(bounds[-1])


_controller = None
_limit_lock = threading.Lock()
_limit_users = 0
_limiter = None


@contextmanager
def _single_openmp_thread():
    """Limit OpenMP to one thread while any caller is inside.

    The limit is process-wide, so concurrent callers share one: the first
    sets it, the last restores it (nested per-thread limits would restore
    each other's values and could leave the process at one thread).
    """
    global _controller, _limit_users, _limiter
    with _limit_lock:
        if _controller is None:
            # Created once: inspecting the loaded libraries costs ~3 ms.
            from threadpoolctl import ThreadpoolController

            _controller = ThreadpoolController()
        if _limit_users == 0:
            _limiter = _controller.limit(limits=1, user_api="openmp")
        _limit_users += 1
    try:
        yield
    finally:
        with _limit_lock:
            _limit_users -= 1
            if _limit_users == 0:
                _limiter.restore_original_limits()
                _limiter = None


def score_context(scores: np.ndarray, bounds: np.ndarray, offsets, windows) -> np.ndarray:
    """Features of a line from first-stage scores of itself and its page."""
    scores = np.asarray(scores, dtype=np.float32)
    bounds = np.asarray(bounds, dtype=np.int64)
    # The score itself, then its neighbours' (one array).
    own_and_shifted = neighbour_window(scores[:, None], bounds, offsets, windows,
                                       include_own=True)
    page_stats = np.zeros((len(scores), 5), dtype=np.float32)
    # Per page only what numpy cannot do for all pages at once with the
    # same numbers (a float32 mean's summation order, a sort's ties, the
    # densest run); the rest for all lines together (the per-page numpy
    # calls were ~30 us a page).
    starts, stops = bounds[:-1].tolist(), bounds[1:].tolist()
    means, run_starts, run_stops = [], [], []
    # Rank within the page: the page's best lines are its body, whatever
    # the absolute calibration on an unfamiliar site. (The inverse of the
    # page's argsort, which argsort().argsort() is, made by one scatter.)
    ranks = np.empty(len(scores), dtype=np.int64)
    for start, stop in zip(starts, stops):
        page = scores[start:stop]
        run_start, run_stop = densest_run(page - 0.5)
        means.append(page.mean())
        run_starts.append(run_start)
        run_stops.append(run_stop)
        ranks[start + page.argsort()] = np.arange(stop - start)
    if starts:
        lengths = np.diff(bounds)
        page_stats[:, 0] = np.repeat(np.array(means, dtype=np.float32), lengths)
        page_stats[:, 1] = np.repeat(np.maximum.reduceat(scores, bounds[:-1]), lengths)
        page_stats[:, 2] = ranks / np.repeat(np.maximum(lengths - 1, 1), lengths)
        index = index_in_page(bounds)
        run_start = np.repeat(np.array(run_starts, dtype=np.int64), lengths)
        run_stop = np.repeat(np.array(run_stops, dtype=np.int64), lengths)
        page_stats[:, 3] = (index >= run_start) & (index < run_stop)
        page_stats[:, 4] = np.log1p(np.maximum(run_start - index, 0)
                                    + np.maximum(index - run_stop + 1, 0))
    return np.hstack([own_and_shifted, page_stats])


def scaled_clipped(scaler, X, low: float, high: float) -> np.ndarray:
    """``np.clip(scaler_transform(scaler, X), low, high).astype(np.float64)``
    (a copying ``StandardScaler``): for C-order float32 rows, one compiled
    pass (``_lines.scaled_clipped``, ~5x numpy's five), the same numbers."""
    if (_lines is not None and plain_scaling(scaler, X) and X.dtype == np.float32
            and X.flags.c_contiguous):
        k = X.shape[1]
        means = (scaler.mean_ if scaler.with_mean else np.zeros(k)).astype(np.float32)
        scales = (scaler.scale_ if scaler.with_std else np.ones(k)).astype(np.float32)
        out = np.empty(X.shape, dtype=np.float64)
        if _lines.scaled_clipped(X, np.ascontiguousarray(means), np.ascontiguousarray(scales),
                                 low, high, out):
            return out
    return np.clip(scaler_transform(scaler, X), low, high).astype(np.float64)
