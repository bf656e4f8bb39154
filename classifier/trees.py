"""Fast scoring of a fitted binary ``HistGradientBoostingClassifier``.

The line model's second stage is 300 small trees. scikit-learn scores them
one at a time over all rows (a Python call and an OpenMP region per tree),
which made the trees the line model's biggest step (~16-18 us per line on
shared pages; 2.3 ms of a 60-line page's 15 ms). ``FlatTrees`` copies the
fitted trees into one array of compact node records once, and the compiled
``classifier._trees`` walks eight rows at a time through all of them, a
level at a time without branching on the data (~4.5 us per line of
shared pages' second-stage inputs, from ~7.3 walking row by row; see
_trees.c). The scores are
scikit-learn's to the last bit: same traversal, same order of additions,
same logistic link (``tests/test_trees.py``).

``flat_trees(model)`` returns ``None`` when the model is not one this can
score (not a fitted binary ``HistGradientBoostingClassifier``, categorical
splits) or when the extension was not built (installed from source without
a C compiler): callers then use ``model.predict_proba``, same scores, slower.
"""

from __future__ import annotations

import weakref

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

#: One node record; the layout of ``node_t`` in _trees.c. A leaf keeps its
#: value in ``value``; a split keeps its threshold there.
NODE_DTYPE = np.dtype([("value", np.float64), ("feature", np.int32), ("left", np.int32),
                       ("right", np.int32), ("missing_left", np.uint8),
                       ("is_leaf", np.uint8)], align=True)


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
            raise RuntimeError("classifier._trees was not built (no C compiler at install)")
        if NODE_DTYPE.itemsize != _trees.NODE_SIZE:
            raise RuntimeError("classifier._trees was built for another node layout")
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
        # Read-only: the compiled code trusts these records.
        self.nodes.flags.writeable = False
        self.roots.flags.writeable = False

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
        _trees.sum_trees(self.nodes, self.roots, X, X.shape[1], X.itemsize, self.baseline, out)
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
