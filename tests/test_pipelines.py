"""classifier.pipelines' direct paths give scikit-learn's results exactly,
and leave what they do not reproduce to scikit-learn."""

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.calibration import CalibratedClassifierCV, _TemperatureScaling
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from classifier.lines import model
from classifier.lines.model import scaled_clipped
from classifier.pipelines import (
    calibrated_proba,
    normalize_rows,
    pipeline_transform,
    run_transform,
    scaler_transform,
    temperature_scaled,
    tfidf_transform,
)
from classifier.topics.model import NaiveBayesSVM

TFIDF_SETTINGS = [dict(), dict(sublinear_tf=True), dict(norm="l1"), dict(norm=None),
                  dict(use_idf=False), dict(smooth_idf=False, sublinear_tf=True)]


def fitted_tfidf(n_features: int = 30, **settings_) -> TfidfTransformer:
    """Fitted on counts where every word occurs (finite idf however smoothed)."""
    training = sp.vstack([counts(0, shape=(12, n_features)),
                          sp.csr_matrix(np.ones((1, n_features), dtype=np.int64))])
    return TfidfTransformer(**settings_).fit(training)


def counts(seed: int, shape=(12, 30), dtype=np.int64) -> sp.csr_matrix:
    """Random word counts, some rows empty."""
    rng = np.random.default_rng(seed)
    dense = rng.poisson(0.4, size=shape) * (rng.random(shape) < 0.5)
    dense[::5] = 0
    return sp.csr_matrix(dense.astype(dtype))


def assert_same(ours, theirs):
    assert type(ours) is type(theirs) and ours.dtype == theirs.dtype
    if sp.issparse(ours):
        assert ours.shape == theirs.shape
        np.testing.assert_array_equal(ours.indptr, theirs.indptr)
        np.testing.assert_array_equal(ours.indices, theirs.indices)
        np.testing.assert_array_equal(ours.data, theirs.data)
    else:
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("settings_", TFIDF_SETTINGS)
@pytest.mark.parametrize("dtype", [np.int64, np.float32, np.float64])
def test_tfidf_weights_are_scikit_learns(settings_, dtype):
    transformer = fitted_tfidf(**settings_)
    for seed in range(1, 4):
        X = counts(seed, dtype=dtype)
        before = X.copy()
        assert_same(tfidf_transform(transformer, X), transformer.transform(X))
        assert_same(X, before)  # copy=True leaves the input alone
        assert_same(tfidf_transform(transformer, X.copy(), copy=False),
                    transformer.transform(X.copy(), copy=False))


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float32, (6, 9), elements=st.floats(0, 1e6, width=32)),
       st.sampled_from(TFIDF_SETTINGS))
def test_tfidf_weights_are_scikit_learns_on_any_values(values, settings_):
    transformer = fitted_tfidf(9, **settings_)
    X = sp.csr_matrix(values)
    with np.errstate(all="ignore"):  # log of tiny values: the same in both
        assert_same(tfidf_transform(transformer, X), transformer.transform(X))


def test_tfidf_leaves_what_it_does_not_reproduce_to_scikit_learn():
    transformer = TfidfTransformer().fit(counts(0))
    X = counts(1, dtype=np.float64)
    # Not a CSR matrix: scikit-learn converts (or returns its sparse array).
    for other in (X.tocsc(), sp.csr_array(X), X.toarray()):
        assert_same(tfidf_transform(transformer, other), transformer.transform(other))
    with sklearn.config_context(sparse_interface="sparray"):
        assert_same(tfidf_transform(transformer, X), transformer.transform(X))
    # scikit-learn's own errors: non-finite values, the wrong width, no rows.
    bad = X.copy()
    bad.data[0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        tfidf_transform(transformer, bad)
    with pytest.raises(ValueError, match="features"):
        tfidf_transform(transformer, counts(1, shape=(12, 31)))
    with pytest.raises(ValueError, match="0 sample"):
        tfidf_transform(transformer, sp.csr_matrix((0, 30)))
    # A word no training row holds has an infinite idf without smoothing.
    with np.errstate(divide="ignore"):
        unsmoothed = TfidfTransformer(smooth_idf=False).fit(counts(0))
    assert np.isinf(unsmoothed.idf_).any()
    for function in (unsmoothed.transform, lambda X: tfidf_transform(unsmoothed, X)):
        with pytest.raises(ValueError, match="infinity"), np.errstate(divide="ignore"):
            function(sp.csr_matrix(np.ones((2, 30))))


@pytest.mark.parametrize("settings_", [dict(), dict(with_mean=False), dict(with_std=False)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scaling_is_scikit_learns(settings_, dtype):
    rng = np.random.default_rng(0)
    scaler = StandardScaler(**settings_).fit(rng.normal(3, 2, (40, 7)).astype(dtype))
    X = rng.normal(3, 5, (9, 7)).astype(dtype)
    X[2, 3] = np.nan  # scikit-learn lets NaN through
    for layout in (X, np.asfortranarray(X)):
        before = layout.copy()
        ours, theirs = scaler_transform(scaler, layout), scaler.transform(layout)
        assert_same(ours, theirs)
        assert ours.flags.f_contiguous == theirs.flags.f_contiguous
        assert_same(layout, before)


def test_scaling_leaves_what_it_does_not_reproduce_to_scikit_learn():
    rng = np.random.default_rng(0)
    scaler = StandardScaler().fit(rng.normal(size=(20, 3)))
    X = rng.normal(size=(4, 3))
    bad = X.copy()
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        scaler_transform(scaler, bad)
    with pytest.raises(ValueError, match="features"):
        scaler_transform(scaler, X[:, :2])
    assert_same(scaler_transform(scaler, X.astype(np.int64)),
                scaler.transform(X.astype(np.int64)))
    in_place = StandardScaler(copy=False).fit(rng.normal(size=(20, 3)))
    ours, theirs = X.copy(), X.copy()
    scaler_transform(in_place, ours), in_place.transform(theirs)
    assert_same(ours, theirs)  # scaled in place, as scikit-learn does


def numpy_scaled_clipped(scaler, X, low, high):
    return np.clip(scaler.transform(X), low, high).astype(np.float64)


def same_bits(ours, theirs):
    assert ours.dtype == theirs.dtype == np.float64 and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours.view(np.int64), theirs.view(np.int64))


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.float32, st.tuples(st.integers(1, 6), st.integers(1, 5)),
                  elements=st.floats(width=32, allow_infinity=False)),
       st.sampled_from([dict(), dict(with_mean=False), dict(with_std=False)]))
def test_scaled_and_clipped_layout_is_numpys_bit_for_bit(X, settings_):
    # Any float32 values (NaN, -0.0, subnormals, the extremes), scaled by
    # means and scales fitted on other values, some at the clip bounds.
    rng = np.random.default_rng(X.shape[0] * 7 + X.shape[1])
    scaler = StandardScaler(**settings_).fit(rng.normal(0, 3, (30, X.shape[1]))
                                             .astype(np.float32))
    X = X.copy()
    X[0, 0] = scaler.mean_[0] + 5 * scaler.scale_[0] if scaler.with_std else X[0, 0]
    same_bits(scaled_clipped(scaler, X, -5.0, 5.0), numpy_scaled_clipped(scaler, X, -5.0, 5.0))


def test_scaled_and_clipped_layout_leaves_the_rest_to_numpy_and_scikit_learn(monkeypatch):
    rng = np.random.default_rng(1)
    scaler = StandardScaler().fit(rng.normal(size=(20, 4)).astype(np.float32))
    X = rng.normal(0, 9, (6, 4)).astype(np.float32)
    expected = numpy_scaled_clipped(scaler, X, -5.0, 5.0)
    assert model._lines is not None  # the development install compiles it
    # Not C-ordered float32 rows, or not compiled: numpy's answer.
    same_bits(scaled_clipped(scaler, np.asfortranarray(X), -5.0, 5.0), expected)
    same_bits(scaled_clipped(scaler, X.astype(np.float64), -5.0, 5.0),
              numpy_scaled_clipped(scaler, X.astype(np.float64), -5.0, 5.0))
    with monkeypatch.context() as patch:
        patch.setattr(model, "_lines", None)
        same_bits(scaled_clipped(scaler, X, -5.0, 5.0), expected)
    # An infinity: the scaler refuses it, as scikit-learn's does.
    X[3, 2] = -np.inf
    with pytest.raises(ValueError, match="infinity"):
        scaled_clipped(scaler, X, -5.0, 5.0)


def test_pipelines_and_their_steps_run_as_scikit_learn_runs_them():
    X = counts(1, dtype=np.float64)
    pipeline = make_pipeline(TfidfTransformer(sublinear_tf=True), "passthrough",
                             TfidfTransformer(norm="l1")).fit(counts(0))
    assert_same(pipeline_transform(pipeline, X), pipeline.transform(X))
    assert_same(run_transform(pipeline, X), pipeline.transform(X))
    ends_in_passthrough = make_pipeline(TfidfTransformer(), "passthrough").fit(counts(0))
    assert_same(pipeline_transform(ends_in_passthrough, X), ends_in_passthrough.transform(X))


def test_a_known_part_of_a_union_is_taken_not_computed():
    # (classifier.lines.blend gives the HTML line model the text model's
    # layout block for its nested text_layout union.)
    from sklearn.pipeline import FeatureUnion

    X = np.arange(12, dtype=np.float64).reshape(4, 3)
    inner = FeatureUnion([("a", StandardScaler()), ("b", StandardScaler(with_mean=False))])
    union = FeatureUnion([("inner", inner), ("c", StandardScaler())]).fit(X)
    fitted_inner = union.transformer_list[0][1]
    expected = union.transform(X)
    assert_same(run_transform(union, X, {id(fitted_inner): fitted_inner.transform(X)}),
                expected)
    marked = np.full((4, 6), -1.0)
    joined = run_transform(union, X, {id(fitted_inner): marked})
    np.testing.assert_array_equal(joined[:, :6], marked)
    np.testing.assert_array_equal(joined[:, 6:], expected[:, 6:])
    assert run_transform(union, X, {id(union): marked}) is marked


def test_tfidf_weighs_in_place_only_a_matrix_its_pipeline_made():
    from sklearn.preprocessing import FunctionTransformer

    from classifier.words import HashedWords

    texts = ["a b c", "b c d e", "a a b"]
    hashed = make_pipeline(HashedWords(n_features=64, ngram_range=(1, 2), alternate_sign=False),
                           TfidfTransformer(sublinear_tf=True)).fit(texts)
    assert_same(pipeline_transform(hashed, texts), hashed.transform(texts))
    # A step that may give back what it was given: the caller's matrix stays as it was.
    X = counts(1, dtype=np.float64)
    before = X.copy()
    passing = make_pipeline(FunctionTransformer(accept_sparse=True),
                            TfidfTransformer(sublinear_tf=True)).fit(counts(0))
    assert_same(pipeline_transform(passing, X), passing.transform(before))
    assert_same(X, before)


def _calibrated(n_classes: int, **parameters):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 6))
    y = np.arange(90) % n_classes
    X[np.arange(90), y] += 2.0
    return CalibratedClassifierCV(LogisticRegression(), **parameters).fit(X, y), X[:7]


@pytest.mark.parametrize("parameters", [
    dict(method="temperature", ensemble=False),
    # Left to scikit-learn: other methods, several calibrated classifiers.
    dict(method="sigmoid", ensemble=False), dict(method="temperature", ensemble=True)])
@pytest.mark.parametrize("n_classes", [2, 4])
def test_calibrated_probabilities_are_scikit_learns(parameters, n_classes):
    model, X = _calibrated(n_classes, **parameters)
    assert_same(calibrated_proba(model, X), model.predict_proba(X))


def test_calibrated_topic_model_probabilities_are_scikit_learns():
    rng = np.random.default_rng(1)
    X = sp.csr_matrix(rng.poisson(0.5, size=(60, 25)).astype(np.float64))
    y = np.arange(60) % 3
    model = CalibratedClassifierCV(NaiveBayesSVM(), method="temperature", cv=3,
                                   ensemble=False).fit(X, y)
    assert_same(calibrated_proba(model, X[:9]), model.predict_proba(X[:9]))


@pytest.mark.parametrize("margins", [
    np.random.default_rng(3).normal(scale=4.0, size=(8, 5)),  # decision values
    np.random.default_rng(4).dirichlet(np.ones(5), size=8),  # probabilities: read as logs
    np.eye(5)[[0, 2, 4]],  # probabilities at the edges
    np.full((2, 3), 1.0 / 3.0),
])
def test_temperature_scaling_is_scikit_learns(margins):
    n_classes = margins.shape[1]
    y = np.arange(10 * n_classes) % n_classes
    calibrator = _TemperatureScaling().fit(np.eye(n_classes)[y] * 2.0 + 0.1 * np.sin(y)[:, None], y)
    assert_same(temperature_scaled(calibrator, margins), calibrator.predict(margins))
    with pytest.raises(ValueError):  # not finite: left to scikit-learn's check
        temperature_scaled(calibrator, np.where(margins == margins.max(), np.nan, margins))


def test_margins_skip_no_check_scikit_learn_would_make():
    rng = np.random.default_rng(2)
    X = sp.csr_matrix(rng.poisson(0.5, size=(40, 10)).astype(np.float32))
    model = NaiveBayesSVM().fit(X, np.arange(40) % 3)
    # A CSC matrix is checked and turned into this CSR matrix by scikit-learn.
    np.testing.assert_array_equal(model.decision_function(X), model.decision_function(X.tocsc()))
    bad = X.copy()
    bad.data[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.decision_function(bad)
    with pytest.raises(ValueError, match="features"):
        model.decision_function(X[:, :9])


@pytest.mark.parametrize("norm", ["l1", "l2", "max"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_row_normalization_is_scikit_learns(norm, dtype):
    from sklearn.preprocessing import normalize

    matrix = sp.random(7, 11, density=0.4, format="csr", random_state=3, dtype=np.float64)
    matrix.data = matrix.data * 10 - 5
    matrix = sp.csr_matrix(matrix, dtype=dtype)  # all-zero rows among them
    for rows in (matrix, matrix.tocsc()):
        ours, theirs = normalize_rows(rows.copy(), norm), normalize(rows.copy(), norm=norm)
        assert ours.dtype == theirs.dtype and ours.format == theirs.format
        assert np.array_equal(ours.toarray(), theirs.toarray())
    # What scikit-learn refuses is refused with its words.
    infinite = matrix.astype(np.float64)
    infinite.data[0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        normalize_rows(infinite, norm)
    with pytest.raises(ValueError, match="0 sample"):
        normalize_rows(sp.csr_matrix((0, 11), dtype=dtype), norm)
