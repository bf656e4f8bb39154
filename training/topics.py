"""Fit and cross-validate the topic model."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from sklearn.model_selection import StratifiedKFold

from classifier.errors import DataError
from classifier.progress import say
from classifier.topics.abstention import Abstention, topic_probabilities_and_evidence
from classifier.topics.model import CALIBRATION_FOLDS, MultiLabelTopicModel, default_topic_pipeline


def require_single_label(data: pd.DataFrame, extra: pd.DataFrame | None) -> None:
    """Extra training documents go with single-label data only."""
    if extra is not None and ("topics" in data.columns or "topics" in extra.columns):
        raise ValueError("extra training documents are for single-label topic data")


def fit_topic_model(data: pd.DataFrame, extra: pd.DataFrame | None = None, **parameters):
    """The single-label pipeline for ``topic`` data, the multi-label model
    for ``topics`` data (see training/topic_data.py); ``extra`` documents
    (single-label) are trained on too."""
    require_single_label(data, extra)
    if extra is not None:
        data = pd.concat([data[["text", "topic"]], extra[["text", "topic"]]], ignore_index=True)
    if "topics" in data.columns:
        return MultiLabelTopicModel(**parameters).fit(data["text"].tolist(),
                                                       data["topics"].tolist())
    counts = data["topic"].value_counts()
    if counts.min() < CALIBRATION_FOLDS:
        # Else scikit-learn's "Requesting 3-fold cross-validation but ..."
        # from deep inside the calibration.
        raise DataError(f"topic {counts.idxmin()!r} has {counts.min()} training document(s); "
                        f"every topic needs at least {CALIBRATION_FOLDS}, as the model's "
                        f"probabilities are calibrated by {CALIBRATION_FOLDS}-fold CV on its "
                        "training data")
    return default_topic_pipeline(**parameters).fit(data["text"].tolist(), data["topic"].to_numpy())


#: The share of in-scheme documents the topic model still answers: the
#: out-of-scheme thresholds are the out-of-fold evidence at 1 - this.
DEFAULT_COVERAGE = 0.95
#: Folds of the out-of-fold evidence. Each fold's model has seen less than
#: the shipped one and scores unseen texts lower: with 3 folds (models of
#: two thirds of the data) the thresholds came out low, and held-out BBC
#: coverage 0.960 for a 0.95 setting; 5 folds are closer.
ABSTENTION_FOLDS = 5
#: The cuts of the training documents (first words) that set the
#: short-text thresholds, with ``Abstention.short_words`` itself.
SHORT_CUTS = (15, 25, 40)


def short_cut_lengths(short_words: int) -> list[int]:
    """The cut lengths for bodies under ``short_words`` words."""
    return [words for words in SHORT_CUTS if words < short_words] + [short_words]


def out_of_fold_evidence(data: pd.DataFrame, extra: pd.DataFrame | None = None,
                         folds: int = ABSTENTION_FOLDS, seed: int = 0,
                         short_words: int = Abstention.short_words,
                         **parameters) -> tuple[np.ndarray, dict]:
    """The evidence (classifier/topics/abstention.py) of each document of
    ``data`` by a model fitted on the other folds (and on all of
    ``extra``, as in cross-validation: those documents are never scored):
    of the whole document, and (cut length -> evidence) of its first
    words at each of ``short_cut_lengths`` (of the documents longer than
    the cut): what unseen in-scheme texts, long and short, score."""
    from sklearn.model_selection import KFold

    require_single_label(data, extra)
    texts = data["text"].tolist()
    words = [text.split() for text in texts]
    whole = np.empty(len(texts))
    cuts = {length: np.full(len(texts), np.nan) for length in short_cut_lengths(short_words)}
    if "topics" in data.columns:
        splits = KFold(folds, shuffle=True, random_state=seed).split(texts)
    else:
        splits = StratifiedKFold(folds, shuffle=True, random_state=seed).split(
            texts, data["topic"].to_numpy())
    for train, test in splits:
        model = fit_topic_model(data.iloc[train], extra, **parameters)
        _, whole[test] = topic_probabilities_and_evidence(model, [texts[i] for i in test])
        for length, evidence in cuts.items():
            longer = [i for i in test if len(words[i]) > length]
            if longer:
                _, evidence[longer] = topic_probabilities_and_evidence(
                    model, [" ".join(words[i][:length]) for i in longer])
    return whole, {length: evidence[~np.isnan(evidence)] for length, evidence in cuts.items()}


def choose_abstention(data: pd.DataFrame, extra: pd.DataFrame | None = None,
                      coverage: float = DEFAULT_COVERAGE, base: Abstention | None = None,
                      **parameters) -> Abstention:
    """``base``'s settings with the out-of-scheme thresholds, for whole
    texts and for short ones of each cut length, that leave ``coverage``
    of ``data``'s documents answered, out of fold. ``extra`` documents are
    trained on, not counted: they widen what the model reads, they do not
    say what its topics are."""
    if not 0 < coverage <= 1:
        raise ValueError(f"coverage must be in (0, 1], not {coverage!r}")
    base = base or Abstention()
    settings = {**base.to_dict(), "coverage": coverage}
    never = Abstention(**{**settings, "min_evidence": None, "min_evidence_short": None,
                          "short_thresholds": ()})
    if coverage == 1:
        return never
    try:
        whole, cuts = out_of_fold_evidence(data, extra, short_words=base.short_words,
                                           **parameters)
    except (DataError, ValueError) as error:  # a fold's part too small to fit on
        say(f"warning: no 'out of scheme' threshold: {ABSTENTION_FOLDS}-fold out-of-fold "
            f"evidence needs more documents per topic ({error})")
        return never

    def threshold(evidence):
        # (An observed value, so that at least ``coverage`` of them are at or over it.)
        return float(np.quantile(evidence, 1 - coverage, method="lower"))

    # A cut length no document is longer than has no threshold of its own.
    short = [(length, threshold(evidence)) for length, evidence in cuts.items() if len(evidence)]
    return Abstention(**{**settings, "min_evidence": threshold(whole),
                         "min_evidence_short": None, "short_thresholds": tuple(short)})


def cross_validate_topics(data: pd.DataFrame, n_splits: int = 5, seed: int = 0,
                          progress=say, extra: pd.DataFrame | None = None,
                          **parameters) -> dict:
    """Stratified k-fold accuracy, macro-F1 and the pooled confusion matrix
    (single-label); k-fold micro- and macro-F1 (multi-label).

    ``extra`` documents (single-label) join every training fold and are
    never scored: the figures stay those of ``data``.
    """
    require_single_label(data, extra)
    if "topics" in data.columns:
        return cross_validate_multilabel_topics(data, n_splits, seed, progress, **parameters)
    extra_texts = [] if extra is None else extra["text"].tolist()
    extra_topics = [] if extra is None else extra["topic"].tolist()
    counts = data["topic"].value_counts()
    if counts.min() < n_splits:
        raise ValueError(f"{n_splits}-fold stratified CV needs {n_splits} documents per topic; "
                         f"{counts.idxmin()!r} has {counts.min()}")
    texts = data["text"].tolist()
    topics = data["topic"].to_numpy()
    predicted = np.empty(len(topics), dtype=object)
    fold_accuracy = []
    started = time.time()
    splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    pipeline = default_topic_pipeline(**parameters)
    for fold, (train, test) in enumerate(splitter.split(texts, topics), 1):
        model = clone(pipeline).fit([texts[i] for i in train] + extra_texts,
                                    list(topics[train]) + extra_topics)
        predicted[test] = model.predict([texts[i] for i in test])
        fold_accuracy.append(accuracy_score(topics[test], predicted[test].astype(str)))
        progress(f"fold {fold}/{n_splits}: accuracy {fold_accuracy[-1]:.4f}")
    labels = sorted(counts.index)
    predicted = predicted.astype(str)
    return {
        "documents": int(len(topics)),
        "topics": {label: int(counts[label]) for label in labels},
        "accuracy": float(accuracy_score(topics, predicted)),
        "accuracy_fold_std": float(np.std(fold_accuracy)),
        "macro_f1": float(f1_score(topics, predicted, average="macro")),
        "confusion_matrix": {"labels": labels,
                             "rows_true_columns_predicted":
                                 confusion_matrix(topics, predicted, labels=labels).tolist()},
        "cv": {"folds": n_splits, "stratified": True, "shuffle_seed": seed,
               "extra_training_documents": len(extra_texts),
               "seconds": round(time.time() - started, 1)},
    }


def cross_validate_multilabel_topics(data: pd.DataFrame, n_splits: int = 5, seed: int = 0,
                                     progress=say, **parameters) -> dict:
    """Shuffled k-fold micro- and macro-F1 over all topics of the data.

    A topic absent from a fold's training part is simply never predicted
    in that fold (and counts against recall).
    """
    from sklearn.model_selection import KFold
    from sklearn.preprocessing import MultiLabelBinarizer

    binarizer = MultiLabelBinarizer()
    truth = binarizer.fit_transform(data["topics"].tolist())
    classes = list(binarizer.classes_)
    if len(data) < n_splits:
        raise ValueError(f"{n_splits}-fold CV needs {n_splits} documents, the data has {len(data)}")
    texts, label_lists = data["text"].tolist(), data["topics"].tolist()
    predicted = np.zeros_like(truth)
    started = time.time()
    splitter = KFold(n_splits=n_splits, shuffle=True, random_state=seed)
    for fold, (train, test) in enumerate(splitter.split(texts), 1):
        model = MultiLabelTopicModel(**parameters).fit([texts[i] for i in train],
                                                       [label_lists[i] for i in train])
        columns = [classes.index(c) for c in model.classes_]
        predicted[np.ix_(test, columns)] = model.predict_indicators([texts[i] for i in test])
        progress(f"fold {fold}/{n_splits}: micro-F1 "
                 f"{f1_score(truth[test], predicted[test], average='micro'):.4f}")
    return {
        "documents": int(len(texts)),
        "multilabel": True,
        "topics": dict(zip(classes, map(int, truth.sum(axis=0)))),
        "micro_f1": float(f1_score(truth, predicted, average="micro")),
        "macro_f1": float(f1_score(truth, predicted, average="macro", zero_division=0)),
        "cv": {"folds": n_splits, "stratified": False, "shuffle_seed": seed,
               "seconds": round(time.time() - started, 1)},
    }
