"""The compiled tree scorer gives scikit-learn's scores to the last bit."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.special import expit
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from classifier.lines import trees
from classifier.lines.trees import FlatTrees, flat_trees

N_FEATURES = 6


def fitted_trees(seed=0, max_iter=40, **parameters):
    """Trees on data with missing values, so that splits send them both ways."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(600, N_FEATURES))
    y = (X[:, 0] + X[:, 1] * X[:, 2] + rng.normal(scale=0.5, size=600) > 0).astype(int)
    X[rng.random(X.shape) < 0.1] = np.nan
    model = HistGradientBoostingClassifier(max_iter=max_iter, max_leaf_nodes=15,
                                           random_state=seed, **parameters)
    return model.fit(X, y), X


def test_the_development_install_has_the_compiled_scorer():
    # Without it the other tests here could only check the fallback; this
    # machine's compiler (GCC) builds the split tables' scorer too.
    assert trees.COMPILED and trees.SPLIT_TABLES_COMPILED


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scores_equal_scikit_learn_exactly(seed, dtype):
    model, X = fitted_trees(seed)
    X = X.astype(dtype)
    flat = FlatTrees(model)
    assert flat.n_trees == 40
    np.testing.assert_array_equal(flat.proba(X), model.predict_proba(X)[:, 1])
    assert np.isnan(X).any()  # the missing-value branches were taken


def test_trees_grown_on_column_samples_score_as_in_scikit_learn():
    # The shipped second stage (default_second_stage) weighs a random half
    # of the columns at each split: the same node tables, other splits.
    model, X = fitted_trees(seed=4, max_features=0.5, min_samples_leaf=30)
    np.testing.assert_array_equal(flat_trees(model).proba(X), model.predict_proba(X)[:, 1])
    unsampled, _ = fitted_trees(seed=4, min_samples_leaf=30)
    assert not np.array_equal(model.predict_proba(X), unsampled.predict_proba(X))


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 20), st.just(N_FEATURES)),
                  elements=st.floats(allow_nan=True, allow_infinity=True, width=64)))
def test_any_values_score_as_in_scikit_learn(X):
    model, _ = FITTED
    np.testing.assert_array_equal(flat_trees(model).proba(X), model.predict_proba(X)[:, 1])


FITTED = fitted_trees(seed=3)


def scores_by_splits(flat, X, portable):
    """``flat``'s raw scores of float32 rows from its split tables, with the
    baseline instruction set (``portable``) or the best this CPU has."""
    X = np.ascontiguousarray(X, dtype=np.float32)
    out = np.empty(len(X))
    trees._trees.sum_trees_by_splits(flat.nodes, flat.roots, *flat.split_tables, X,
                                     X.shape[1], flat.baseline, out, portable)
    return out


def walked_scores(flat, X):
    X = np.ascontiguousarray(X, dtype=np.float32)
    out = np.empty(len(X))
    trees._trees.sum_trees(flat.nodes, flat.roots, X, X.shape[1], 4, flat.baseline, out)
    return out


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float32, st.tuples(st.integers(1, 20), st.just(N_FEATURES)),
                  elements=st.floats(allow_nan=True, allow_infinity=True, width=32)))
def test_float32_rows_score_as_in_scikit_learn_by_split_tables(X):
    model, _ = FITTED
    flat = flat_trees(model)
    assert flat.split_tables is not None  # 15 leaves a tree: float32 rows take the tables
    expected = model.predict_proba(X)[:, 1]
    np.testing.assert_array_equal(flat.proba(X), expected)
    for portable in (False, True):
        np.testing.assert_array_equal(expit(scores_by_splits(flat, X, portable)), expected)


def test_values_at_and_next_to_each_threshold_go_the_same_way():
    # The tables keep each float64 threshold as the largest float32 not above
    # it: float32 values on either side of it and at it must split as the
    # float64 comparison does. Rows of 8 and more, some with missing values
    # (walked) among others without.
    model, _ = FITTED
    flat = flat_trees(model)
    splits = [(int(feature), float(threshold)) for predictors in model._predictors
              for feature, threshold, leaf in zip(predictors[0].nodes["feature_idx"],
                                                  predictors[0].nodes["num_threshold"],
                                                  predictors[0].nodes["is_leaf"]) if not leaf]
    rng = np.random.default_rng(0)
    rows = []
    for feature, threshold in splits:
        near = np.float32(threshold)
        for value in (near, np.nextafter(near, np.float32(np.inf)),
                      np.nextafter(near, np.float32(-np.inf))):
            row = rng.normal(size=N_FEATURES).astype(np.float32)
            row[feature] = value
            rows.append(row)
    X = np.array(rows)
    X[::23, 1] = np.nan
    expected = model.predict_proba(X)[:, 1]
    for portable in (False, True):
        np.testing.assert_array_equal(expit(scores_by_splits(flat, X, portable)), expected)
    np.testing.assert_array_equal(expit(walked_scores(flat, X)), expected)


def test_trees_of_more_than_32_leaves_are_walked():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(3000, N_FEATURES))
    y = (np.sin(3 * X[:, 0]) + X[:, 1] * X[:, 2] > 0).astype(int)
    model = HistGradientBoostingClassifier(max_iter=5, max_leaf_nodes=60, min_samples_leaf=5,
                                           random_state=0).fit(X, y)
    assert max(int(p[0].nodes["is_leaf"].sum()) for p in model._predictors) > 32
    flat = FlatTrees(model)
    assert flat.split_tables is None
    X32 = X[:500].astype(np.float32)
    np.testing.assert_array_equal(flat.proba(X32), model.predict_proba(X32)[:, 1])


def test_the_split_tables_number_leaves_left_to_right():
    # A split's mask clears exactly the leaves of its left subtree.
    model, _ = FITTED
    nodes = model._predictors[0][0].nodes
    first, last = trees._leaf_ranges(nodes)
    leaves = np.flatnonzero(nodes["is_leaf"])
    assert sorted(first[leaves]) == list(range(len(leaves)))
    root = 0
    assert (first[root], last[root]) == (0, len(leaves) - 1)
    left, right = nodes["left"][root], nodes["right"][root]
    assert last[left] + 1 == first[right]


def test_no_rows_no_scores():
    model, _ = FITTED
    assert FlatTrees(model).proba(np.zeros((0, N_FEATURES))).shape == (0,)


def test_rows_of_the_wrong_width_are_refused():
    model, X = FITTED
    with pytest.raises(ValueError, match="6 features per row"):
        FlatTrees(model).proba(X[:, :4])
    with pytest.raises(ValueError, match="6 features per row"):
        FlatTrees(model).proba(X[0])


def test_other_inputs_are_converted():
    model, X = FITTED
    rows = np.nan_to_num(X[:20]).astype(np.int64)
    np.testing.assert_array_equal(FlatTrees(model).proba(rows),
                                  model.predict_proba(rows)[:, 1])
    fortran = np.asfortranarray(X[:20])
    np.testing.assert_array_equal(FlatTrees(model).proba(fortran),
                                  model.predict_proba(fortran)[:, 1])


def test_models_it_cannot_score_are_left_to_scikit_learn():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    three_classes = HistGradientBoostingClassifier(max_iter=5).fit(X, np.arange(300) % 3)
    categories = np.column_stack([rng.integers(0, 4, 300), X[:, 1:]])
    categorical = HistGradientBoostingClassifier(max_iter=5, categorical_features=[0]).fit(
        categories, categories[:, 0] > 1)
    linear = LogisticRegression().fit(X, X[:, 0] > 0)
    for model in (three_classes, categorical, linear, HistGradientBoostingClassifier()):
        assert flat_trees(model) is None
    with pytest.raises(ValueError, match="binary"):
        FlatTrees(three_classes)


def test_a_model_fitted_again_is_flattened_again():
    model, X = fitted_trees(seed=4, max_iter=10, warm_start=True)
    first = flat_trees(model)
    assert flat_trees(model) is first  # built once
    model.set_params(max_iter=20).fit(np.nan_to_num(X), (np.nan_to_num(X)[:, 0] > 0))
    second = flat_trees(model)
    assert second is not first and second.n_trees == 20
    np.testing.assert_array_equal(second.proba(X), model.predict_proba(X)[:, 1])


def test_the_split_tables_are_checked_by_the_extension():
    model, X = FITTED
    flat = FlatTrees(model)
    tables = flat.split_tables
    rows = np.ascontiguousarray(X[:3], dtype=np.float32)
    out = np.empty(3)

    def call(**changed):
        given = {**tables._asdict(), **changed}
        trees._trees.sum_trees_by_splits(flat.nodes, flat.roots, *given.values(), rows,
                                         N_FEATURES, 0.0, out, False)

    with pytest.raises(ValueError, match="sizes do not match"):
        call(starts=tables.starts[:-1])
    with pytest.raises(ValueError, match="sizes do not match"):
        call(leaf_values=tables.leaf_values[:-1])
    with pytest.raises(ValueError, match="cover the splits"):
        call(starts=tables.starts - 1)
    features = tables.features.copy()
    features[-1] = N_FEATURES
    with pytest.raises(ValueError, match="feature or its split range"):
        call(features=features)
    splits = tables.splits.copy()
    splits["tree"][0] = flat.n_trees
    with pytest.raises(ValueError, match="tree is out of range"):
        call(splits=splits)
    with pytest.raises(ValueError, match="n_columns"):
        trees._trees.sum_trees_by_splits(flat.nodes, flat.roots, *tables, rows.astype(np.float64),
                                         N_FEATURES, 0.0, out, False)


def test_the_extension_checks_its_buffers():
    model, X = FITTED
    flat = FlatTrees(model)
    rows = np.ascontiguousarray(X[:3], dtype=np.float64)
    out = np.empty(3)
    with pytest.raises(ValueError, match="n_columns"):
        trees._trees.sum_trees(flat.nodes, flat.roots, rows[:2], N_FEATURES, 8, 0.0, out)
    with pytest.raises(ValueError, match="n_columns"):
        trees._trees.sum_trees(flat.nodes, flat.roots, rows, N_FEATURES, 2, 0.0, out)
    with pytest.raises(ValueError, match="root index"):
        trees._trees.sum_trees(flat.nodes, np.array([len(flat.nodes)], np.int32), rows,
                               N_FEATURES, 8, 0.0, out)
    with pytest.raises(ValueError, match="partial record"):
        trees._trees.sum_trees(flat.nodes.tobytes()[:-1], flat.roots, rows, N_FEATURES, 8,
                               0.0, out)


def test_broken_node_links_are_refused():
    model, _ = FITTED
    flat = FlatTrees(model)
    nodes = flat.nodes.copy()
    split = int(np.flatnonzero(nodes["is_leaf"] == 0)[0])
    nodes["left"][split] = split  # a loop: the walk would never end
    with pytest.raises(ValueError, match="do not form a tree"):
        trees._check_nodes(nodes, flat.roots, N_FEATURES)
    nodes = flat.nodes.copy()
    nodes["feature"][split] = N_FEATURES
    with pytest.raises(ValueError, match="outside the model's inputs"):
        trees._check_nodes(nodes, flat.roots, N_FEATURES)
    nodes = flat.nodes.copy()
    leaf = int(np.flatnonzero(nodes["is_leaf"] == 1)[0])
    nodes["right"][leaf] = 0  # a row at this leaf would walk on
    with pytest.raises(ValueError, match="does not link to itself"):
        trees._check_nodes(nodes, flat.roots, N_FEATURES)
