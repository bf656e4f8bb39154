"""Running fitted pipelines and feature unions with less per-call overhead.

scikit-learn's ``FeatureUnion.transform`` dispatches each part through
joblib and checks metadata routing and output containers on every call,
and ``Pipeline`` checks routing per call: fixed costs of ~0.1 ms per union
that a one-page ``predict()`` pays several times (~0.5 ms of ~8 for the
line model's unions). Its ``TfidfTransformer`` and ``StandardScaler``
validate their input with ``check_array`` (dataframe-library probes
included), ~0.25 ms per call whatever the size: three TF-IDF steps and a
scaler in every ``predict()``; the topic model's calibrated classifier
spends ~0.2 ms per call checking its target type and response method, and
its temperature calibrator ~0.1 ms checking the margins.

:func:`run_transform` does the same joins, steps and arithmetic directly
for plain unions and pipelines (no n_jobs, weights, passthrough parts,
pandas output or metadata routing), TF-IDF on CSR matrices and scaling of
float arrays, and leaves anything else to scikit-learn, so the results are
scikit-learn's (``tests/test_pipelines.py`` compares them).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn import get_config
from sklearn.calibration import CalibratedClassifierCV, _TemperatureScaling
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import StandardScaler, normalize
from sklearn.utils._set_output import _get_output_config
from sklearn.utils.extmath import softmax
from sklearn.utils.sparsefuncs_fast import (
    inplace_csr_row_normalize_l1,
    inplace_csr_row_normalize_l2,
)

_ROW_NORMALIZERS = {"l1": inplace_csr_row_normalize_l1, "l2": inplace_csr_row_normalize_l2}


def run_transform(step, X, known: dict | None = None):
    """``step.transform(X)`` of a fitted step, through the direct paths of
    this module where they apply. ``known`` maps ``id(part)`` of parts of
    ``step`` (a union's parts, nested ones too) to their output on ``X``,
    computed elsewhere: that output is taken instead of computing it again
    (``classifier.lines.blend``: the HTML line model's text layout features
    are the text line model's)."""
    if known and id(step) in known:
        return known[id(step)]
    kind = type(step)
    if kind is FeatureUnion:
        return union_transform(step, X, known)
    if kind is Pipeline:
        return pipeline_transform(step, X)
    if kind is TfidfTransformer:
        return tfidf_transform(step, X)
    if kind is StandardScaler:
        return scaler_transform(step, X)
    return step.transform(X)


def union_transform(features, X, known: dict | None = None):
    """``features.transform(X)``, with plain ``FeatureUnion`` s (nested ones
    too) joined here: sparse parts by scipy's hstack to CSR, dense ones
    concatenated, as scikit-learn joins them. A nested plain union's parts
    are joined with the others in one step (the same columns in the same
    order; dense layout blocks were copied once per level, ~0.05 ms of a
    shared page). ``known`` as for :func:`run_transform` (a union that is
    not plain computes every part)."""
    if not _plain_union(features):
        return features.transform(X)
    blocks = _union_blocks(features, X, known)
    if not blocks:
        return features.transform(X)  # scikit-learn's empty result
    if any(getattr(block, "ndim", 2) != 2 for block in blocks):
        return features.transform(X)  # scikit-learn says what is wrong
    if any(sp.issparse(block) for block in blocks):
        return sp.hstack(blocks).tocsr()
    return np.concatenate(blocks, axis=1)


def _union_blocks(features, X, known: dict | None = None) -> list:
    """The outputs of a plain union's parts in order, a nested plain union's
    parts' outputs in its place (a known output as one block: the same
    columns)."""
    blocks = []
    for _, part in features.transformer_list:
        if isinstance(part, str) and part == "drop":
            continue
        if known and id(part) in known:
            blocks.append(known[id(part)])
            continue
        inner = _union_blocks(part, X, known) if _plain_union(part) else None
        if inner:
            blocks += inner
        else:  # (a union of dropped parts: scikit-learn's empty float64 block)
            blocks.append(run_transform(part, X, known))
    return blocks


def _plain_union(features) -> bool:
    if type(features) is not FeatureUnion:
        return False
    if features.n_jobs not in (None, 1) or features.transformer_weights:
        return False
    if any(isinstance(part, str) and part == "passthrough"
           for _, part in features.transformer_list):
        return False
    return _default_output(features)


def _default_output(estimator) -> bool:
    """Plain arrays out and no metadata routing: what the direct paths give."""
    if _get_output_config("transform", estimator)["dense"] != "default":
        return False
    return not get_config().get("enable_metadata_routing", False)


def _plain_steps(model):
    """The transforming steps of a plain ``Pipeline`` (``None`` if it is not
    one), skipping ``None`` and ``"passthrough"``."""
    if type(model) is not Pipeline or not _default_output(model):
        return None
    return [step for _, step in model.steps
            if not (step is None or (isinstance(step, str) and step == "passthrough"))]


def pipeline_transform(model, X):
    """``model.transform(X)``, a plain ``Pipeline`` 's steps run here."""
    steps = _plain_steps(model)
    if steps is None or model.steps[-1][1] is not steps[-1]:
        return model.transform(X)  # scikit-learn's own end (passthrough, None)
    owned = False  # whether X is a matrix no one else holds
    for step in steps:
        if owned and type(step) is TfidfTransformer:
            # Weighed in place: a copy of the line model's hashed words
            # was a third of its TF-IDF step (~0.14 us a line).
            X = tfidf_transform(step, X, copy=False)
        else:
            X = run_transform(step, X)
        owned = getattr(step, "transform_output_is_new", False) is True
    return X


def pipeline_proba(model, X) -> np.ndarray:
    """``model.predict_proba(X)``, a plain ``Pipeline`` 's steps run here."""
    steps = _plain_steps(model)
    if steps is None or model.steps[-1][1] is not steps[-1]:
        return model.predict_proba(X)
    *steps, final = steps
    for step in steps:
        X = run_transform(step, X)
    if type(final) is CalibratedClassifierCV:
        return calibrated_proba(final, X)
    return final.predict_proba(X)


def calibrated_proba(model, X, margins: np.ndarray | None = None) -> np.ndarray:
    """``model.predict_proba(X)`` of a fitted ``CalibratedClassifierCV``
    with temperature scaling and one calibrated classifier (``ensemble=False``,
    the topic model's) over three or more classes: the classifier's margins
    through scikit-learn's fitted temperature calibrator, then
    scikit-learn's remaining steps (rounding-error overshoots of 1 set to 1,
    the mean over the one classifier). ``margins``: the classifier's
    ``decision_function(X)``, when the caller has them already."""
    if not (model.method == "temperature" and len(model.calibrated_classifiers_) == 1):
        return model.predict_proba(X)
    calibrated = model.calibrated_classifiers_[0]
    estimator = calibrated.estimator
    if (calibrated.method != "temperature" or len(getattr(estimator, "classes_", ())) < 3
            or not hasattr(estimator, "decision_function")):
        return model.predict_proba(X)
    if margins is None:
        margins = estimator.decision_function(X)
    if margins.ndim != 2 or margins.shape[1] != len(calibrated.classes):
        return model.predict_proba(X)
    proba = temperature_scaled(calibrated.calibrators[0], margins)
    proba[(1.0 < proba) & (proba <= 1.0 + 1e-5)] = 1.0
    mean_proba = np.zeros((margins.shape[0], len(model.classes_)))
    mean_proba += proba
    mean_proba /= 1
    return mean_proba


def temperature_scaled(calibrator, margins: np.ndarray) -> np.ndarray:
    """``calibrator.predict(margins)`` of scikit-learn's fitted temperature
    calibrator, for finite float64 margins of three or more classes: its
    steps (margins that look like probabilities, in [0, 1] with rows
    summing to 1, are taken as log-probabilities; then the softmax of the
    scaled logits) without its input checks (~0.1 ms a call)."""
    if not (type(calibrator) is _TemperatureScaling and type(margins) is np.ndarray
            and margins.dtype == np.float64 and margins.ndim == 2 and margins.shape[1] >= 3
            and margins.shape[0] > 0 and np.isfinite(margins).all()):
        return calibrator.predict(margins)
    if (((margins >= 0) & (margins <= 1)).all()
            and np.isclose(margins.sum(axis=1), 1.0).all()):
        logits = np.log(margins + 1e-12)
    else:
        logits = margins
    return softmax(calibrator.beta_ * logits)


def tfidf_transform(transformer, X, copy: bool = True):
    """``transformer.transform(X, copy=copy)`` of a fitted ``TfidfTransformer``:
    for a CSR matrix of finite values, the same operations in the same order
    (log, idf, row norms by scikit-learn's own compiled routine)."""
    if not _direct_tfidf(transformer, X):
        return transformer.transform(X, copy=copy)
    if X.dtype not in (np.float64, np.float32):
        X = X.astype(np.float64)  # check_array's first accepted dtype
    elif copy:
        X = X.copy()
    if transformer.sublinear_tf:
        np.log(X.data, X.data)
        X.data += 1.0
    if hasattr(transformer, "idf_"):
        X.data *= transformer.idf_[X.indices]
    if transformer.norm is not None:
        X = normalize_rows(X, transformer.norm)
    return X


def normalize_rows(X, norm: str):
    """``sklearn.preprocessing.normalize(X, norm=norm, copy=False)``: for a
    float CSR matrix of finite values, scikit-learn's own in-place row
    normalizer without the input checks and parameter validation (~0.1 ms
    a call); anything else through ``normalize``."""
    if (type(X) is sp.csr_matrix and norm in _ROW_NORMALIZERS and X.shape[0] > 0
            and X.dtype in (np.float32, np.float64) and np.isfinite(X.data).all()):
        _ROW_NORMALIZERS[norm](X)
        return X
    return normalize(X, norm=norm, copy=False)  # e.g. an infinite idf: scikit-learn's error


def _direct_tfidf(transformer, X) -> bool:
    return (type(transformer) is TfidfTransformer and type(X) is sp.csr_matrix
            and transformer.norm in (None, *_ROW_NORMALIZERS)
            and X.shape[0] > 0 and X.shape[1] == getattr(transformer, "n_features_in_", None)
            and get_config()["sparse_interface"] == "spmatrix"
            and (X.dtype.kind in "iub" or np.isfinite(X.data).all()))


def scaler_transform(scaler, X):
    """``scaler.transform(X)`` of a fitted ``StandardScaler`` (copying): for a
    2-D float array without infinities, the same subtraction and division."""
    if not _direct_scaling(scaler, X):
        return scaler.transform(X)
    X = X.copy(order="K")  # check_array's copy keeps the memory layout
    if scaler.with_mean:
        X -= scaler.mean_.astype(X.dtype)
    if scaler.with_std:
        X /= scaler.scale_.astype(X.dtype)
    return X


def _direct_scaling(scaler, X) -> bool:
    return plain_scaling(scaler, X) and not np.isinf(X).any()


def plain_scaling(scaler, X) -> bool:
    """Whether ``scaler.transform(X)`` is a subtraction and a division but
    for its check that X holds no infinity."""
    return (type(scaler) is StandardScaler and scaler.copy is not False
            and type(X) is np.ndarray and X.ndim == 2 and X.dtype in (np.float32, np.float64)
            and X.shape[0] > 0 and X.shape[1] == getattr(scaler, "n_features_in_", None)
            and not hasattr(scaler, "feature_names_in_")
            and _get_output_config("transform", scaler)["dense"] == "default")
