"""Fast scoring of a fitted binary ``HistGradientBoostingClassifier``.

The line model's second stage is 300 small trees. scikit-learn scores them
one at a time over all rows (a Python call and an OpenMP region per tree),
which made the trees the line model's biggest step (~16-18 us per line on
shared pages; 2.3 ms of a 60-line page's 15 ms). ``FlatTrees`` copies the
fitted trees once into arrays the compiled ``classifier._trees`` reads:

* node records, walked eight rows at a time through all trees, a level at
  a time without branching on the data (~4 us per line of shared pages'
  second-stage inputs, from ~7.3 walking row by row);
* for float32 rows and trees of at most 32 leaves (the line models'),
  split tables (``SplitTables``): every split of every tree sorted by
  feature and threshold, with the leaves it rules out as a bit mask, so
  that a row's leaf in each tree comes from the splits it fails, eight
  rows at a time with vector operations and no walk (~0.9 us per line on
  the same rows with AVX2; see _trees.c).

The scores are scikit-learn's to the last bit either way: same decisions,
same order of additions, same logistic link (``tests/test_trees.py``).

``flat_trees(model)`` returns ``None`` when the model is not one this can
score (not a fitted binary ``HistGradientBoostingClassifier``, categorical
splits) or when the extension was not built (installed from source without
a C compiler): callers then use ``model.predict_proba``, same scores, slower.
"""

from __future__ import annotations

import weakref
from typing import NamedTuple

import numpy as np
from scipy.special import expit
from sklearn.ensemble import HistGradientBoostingClassifier

try:
    from . import _trees
except ImportError:  # built without a C compiler: scikit-learn scores the trees
    _trees = None

#: Whether the compiled scorer is available (``pip install`` compiles it;
#: the test suite checks that a development install has it).
COMPILED = _trees is not None
#: Whether it scores from split tables too (built by GCC or Clang).
SPLIT_TABLES_COMPILED = COMPILED and hasattr(_trees, "sum_trees_by_splits")

#: One node record; the layout of ``node_t`` in _trees.c. A leaf keeps its
#: value in ``value``; a split keeps its threshold there.
NODE_DTYPE = np.dtype([("value", np.float64), ("feature", np.int32), ("left", np.int32),
                       ("right", np.int32), ("missing_left", np.uint8),
                       ("is_leaf", np.uint8)], align=True)

#: One split in the split tables; the layout of ``split_t`` in _trees.c.
#: ``threshold`` is the largest float32 not above the split's threshold (for
#: a float32 x, ``x <= threshold`` holds exactly when x is at most that);
#: ``mask`` has a bit for each leaf of the tree except those of the split's
#: left subtree, which a row failing the split cannot reach.
SPLIT_DTYPE = np.dtype([("threshold", np.float32), ("tree", np.int32), ("mask", np.uint32)])

#: Leaves a tree may have for the split tables: one bit each in a uint32.
MAX_TABLE_LEAVES = 32

#: A split with its feature, as the tables are sorted before the feature
#: moves to ``SplitTables.features``.
_SPLIT_AND_FEATURE = np.dtype([("feature", np.int32), *SPLIT_DTYPE.descr])


class SplitTables(NamedTuple):
    """The trees' splits by feature (see the module doc and _trees.c)."""

    features: np.ndarray     # int32: the features some split reads, ascending
    starts: np.ndarray       # int32: feature u's splits are splits[starts[u]:starts[u + 1]]
    splits: np.ndarray       # SPLIT_DTYPE, by feature, then threshold
    all_leaves: np.ndarray   # uint32 per tree: a bit for each of its leaves
    leaf_values: np.ndarray  # float64, MAX_TABLE_LEAVES per tree, leaves left to right


class FlatTrees:
    """A fitted binary ``HistGradientBoostingClassifier``'s trees as one
    array of node records, scored by the compiled ``classifier._trees``.

    Parameters
    ----------
    model : HistGradientBoostingClassifier
        Fitted, two classes, no categorical splits.
    """

    def __init__(self, model: HistGradientBoostingClassifier):
        if _trees is None:
            raise RuntimeError("classifier.lines._trees was not built (no C compiler at install)")
        if NODE_DTYPE.itemsize != _trees.NODE_SIZE or (SPLIT_TABLES_COMPILED and (
                SPLIT_DTYPE.itemsize != _trees.SPLIT_SIZE
                or MAX_TABLE_LEAVES != _trees.LEAF_SLOTS)):
            raise RuntimeError("classifier.lines._trees was built for another node layout")
        if not _can_flatten(model):
            raise ValueError("FlatTrees scores fitted binary HistGradientBoostingClassifiers "
                             "without categorical splits")
        self._source = model._predictors  # to tell a refit model (see flat_trees)
        self.n_features = int(model.n_features_in_)
        self.baseline = float(np.ravel(model._baseline_prediction)[0])
        trees = [predictors[0].nodes for predictors in model._predictors]
        if any(nodes["is_categorical"].any() for nodes in trees):  # walked as numeric here
            raise ValueError("FlatTrees cannot score categorical splits")
        self.n_trees = len(trees)
        self.roots = np.cumsum([0] + [len(nodes) for nodes in trees[:-1]]).astype(np.int32)
        self.nodes = np.concatenate([_node_records(nodes, int(offset))
                                     for nodes, offset in zip(trees, self.roots)])
        _check_nodes(self.nodes, self.roots, self.n_features)
        #: ``None`` when a tree has more leaves than a uint32 has bits, or
        #: the compiler that built _trees had no vector types.
        self.split_tables = split_tables(trees) if SPLIT_TABLES_COMPILED else None
        # Read-only: the compiled code trusts these records.
        for array in (self.nodes, self.roots, *(self.split_tables or ())):
            array.flags.writeable = False

    def raw_scores(self, X) -> np.ndarray:
        """The ensemble's raw score (log-odds of class 1) of each row."""
        X = np.asarray(X)
        if X.dtype not in (np.float32, np.float64):
            X = X.astype(np.float64)
        X = np.ascontiguousarray(X)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"X has shape {X.shape}; the trees read {self.n_features} "
                             "features per row")
        out = np.empty(len(X), dtype=np.float64)
        if X.dtype == np.float32 and self.split_tables is not None:
            _trees.sum_trees_by_splits(self.nodes, self.roots, *self.split_tables, X,
                                       X.shape[1], self.baseline, out, False)
        else:
            _trees.sum_trees(self.nodes, self.roots, X, X.shape[1], X.itemsize,
                             self.baseline, out)
        return out

    def proba(self, X) -> np.ndarray:
        """P(class 1) of each row: ``predict_proba(X)[:, 1]`` of the model."""
        return expit(self.raw_scores(X))


def _can_flatten(model) -> bool:
    # A fitted model's is_categorical_ is None when no feature is
    # categorical (then no split is): an O(1) test where scanning every
    # tree's nodes cost ~0.3 ms per call, paid on every pass by a model
    # that cannot be flattened (flat_trees keeps no negative answer).
    return (isinstance(model, HistGradientBoostingClassifier)
            and hasattr(model, "_predictors") and len(model.classes_) == 2
            and all(len(predictors) == 1 for predictors in model._predictors)
            and getattr(model, "is_categorical_", None) is None)


def _node_records(nodes: np.ndarray, offset: int) -> np.ndarray:
    """One tree's scikit-learn nodes as node records, indices made global."""
    records = np.zeros(len(nodes), dtype=NODE_DTYPE)
    leaf = nodes["is_leaf"].astype(bool)
    records["value"] = np.where(leaf, nodes["value"], nodes["num_threshold"])
    records["feature"] = np.where(leaf, 0, nodes["feature_idx"])
    # A leaf links to itself: the compiled walk moves every row a level
    # down at a time, and a row at a leaf stays there.
    own = np.arange(len(nodes), dtype=np.int64) + offset
    records["left"] = np.where(leaf, own, nodes["left"] + offset)
    records["right"] = np.where(leaf, own, nodes["right"] + offset)
    records["missing_left"] = nodes["missing_go_to_left"]
    records["is_leaf"] = leaf
    return records


def split_tables(trees: list) -> SplitTables | None:
    """The split tables of scikit-learn trees (``predictor.nodes`` arrays),
    or ``None`` if a tree has more than ``MAX_TABLE_LEAVES`` leaves."""
    if any(int(nodes["is_leaf"].sum()) > MAX_TABLE_LEAVES
           # (No fitted tree has a NaN threshold; the tables could not say
           # where one sends a row, so such trees are walked.)
           or np.isnan(nodes["num_threshold"][nodes["is_leaf"] == 0]).any() for nodes in trees):
        return None
    all_leaves = np.zeros(len(trees), dtype=np.uint32)
    leaf_values = np.zeros((len(trees), MAX_TABLE_LEAVES), dtype=np.float64)
    parts = []
    for tree, nodes in enumerate(trees):
        first, last = _leaf_ranges(nodes)
        leaf = nodes["is_leaf"].astype(bool)
        leaf_values[tree, first[leaf]] = nodes["value"][leaf]
        every = (1 << int(leaf.sum())) - 1
        all_leaves[tree] = every
        split = np.flatnonzero(~leaf)
        left = nodes["left"][split]
        # The bits of the left subtree's leaves, first[left] to last[left].
        left_leaves = [(1 << (int(b) + 1)) - (1 << int(a))
                       for a, b in zip(first[left], last[left])]
        part = np.zeros(len(split), dtype=_SPLIT_AND_FEATURE)
        part["feature"] = nodes["feature_idx"][split]
        part["threshold"] = _float32_at_most(nodes["num_threshold"][split])
        part["tree"] = tree
        part["mask"] = [every & ~bits for bits in left_leaves]
        parts.append(part)
    every_split = np.concatenate(parts) if parts else np.zeros(0, dtype=_SPLIT_AND_FEATURE)
    every_split = every_split[np.lexsort((every_split["threshold"], every_split["feature"]))]
    features, counts = np.unique(every_split["feature"], return_counts=True)
    splits = np.zeros(len(every_split), dtype=SPLIT_DTYPE)
    for name in SPLIT_DTYPE.names:
        splits[name] = every_split[name]
    return SplitTables(features=features.astype(np.int32),
                       starts=np.concatenate([[0], np.cumsum(counts)]).astype(np.int32),
                       splits=splits, all_leaves=all_leaves, leaf_values=leaf_values.ravel())


def _leaf_ranges(nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each node of a scikit-learn tree, the first and last of its
    leaves, the tree's leaves numbered from 0 left to right."""
    left, right = nodes["left"].tolist(), nodes["right"].tolist()
    is_leaf = nodes["is_leaf"].tolist()
    first, last = [0] * len(nodes), [0] * len(nodes)
    count = 0
    stack = [(0, False)]  # (node, children done)
    while stack:
        node, children_done = stack.pop()
        if is_leaf[node]:
            first[node] = last[node] = count
            count += 1
        elif children_done:
            first[node], last[node] = first[left[node]], last[right[node]]
        else:
            stack += [(node, True), (right[node], False), (left[node], False)]
    return np.array(first), np.array(last)


def _float32_at_most(values: np.ndarray) -> np.ndarray:
    """The largest float32 not above each float64 value."""
    with np.errstate(over="ignore"):  # beyond float32's range: +-inf, then stepped
        rounded = values.astype(np.float32)
    above = rounded.astype(np.float64) > values
    rounded[above] = np.nextafter(rounded[above], np.float32(-np.inf))
    return rounded


def _check_nodes(nodes: np.ndarray, roots: np.ndarray, n_features: int) -> None:
    """What the compiled code relies on: every split's children come after
    it (so a walk ends at a leaf) and inside the array, every leaf links to
    itself (rows wait there while others walk on), every split reads a
    column the rows have."""
    leaves = np.flatnonzero(nodes["is_leaf"] != 0)
    if (nodes["left"][leaves] != leaves).any() or (nodes["right"][leaves] != leaves).any():
        raise ValueError("a leaf does not link to itself")
    splits = np.flatnonzero(nodes["is_leaf"] == 0)
    for child in ("left", "right"):
        targets = nodes[child][splits]
        if (targets <= splits).any() or (targets >= len(nodes)).any():
            raise ValueError("a tree's node links do not form a tree")
    features = nodes["feature"][splits]
    if len(features) and (features.min() < 0 or features.max() >= n_features):
        raise ValueError("a split reads a feature outside the model's inputs")
    if len(roots) and (roots.min() < 0 or roots.max() >= len(nodes)):
        raise ValueError("a root index is out of range")


_flattened: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def flat_trees(model) -> FlatTrees | None:
    """The model's ``FlatTrees``, built on first use and kept while the model
    lives; ``None`` when it cannot be scored this way (see module doc)."""
    if _trees is None:
        return None
    try:
        flat = _flattened.get(model)
    except TypeError:  # not weakly referable: not a scikit-learn estimator
        return None
    if (flat is not None and flat._source is model._predictors
            and flat.n_trees == len(model._predictors)):
        return flat
    # New, fitted again, or given more trees (warm start).
    if not _can_flatten(model):
        return None
    flat = _flattened[model] = FlatTrees(model)
    return flat
