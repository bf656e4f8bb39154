"""Evaluation measures for both models.

Page text F1 is the measure of the extraction literature (e.g. the
trafilatura and Dragnet benchmarks): the predicted body and the gold text
are each turned into the set of their word 4-gram shingles; per page,
precision = |pred ∩ gold| / |pred| and recall = |pred ∩ gold| / |gold|;
both are averaged over pages, and F1 is the harmonic mean of the two means.
An empty prediction has precision 0 against a non-empty gold text (and 1
against an empty one), so a model cannot score by saying nothing.
"""

from __future__ import annotations

import numpy as np

from classifier.text import shingles, words


def shingle_precision_recall(predicted: str, gold: str, size: int = 4) -> tuple[float, float]:
    predicted_set = shingles(words(predicted), size)
    gold_set = shingles(words(gold), size)
    if not gold_set:
        return (1.0, 1.0) if not predicted_set else (0.0, 1.0)
    if not predicted_set:
        return 0.0, 0.0
    common = len(predicted_set & gold_set)
    return common / len(predicted_set), common / len(gold_set)


def f1(precision: float, recall: float) -> float:
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def page_text_scores(predicted_bodies, gold_texts) -> dict:
    """Mean per-page shingle precision and recall, and F1 of the means."""
    pairs = np.array([shingle_precision_recall(p, g) for p, g in zip(predicted_bodies, gold_texts)])
    if len(pairs) == 0:
        return {"pages": 0, "precision": float("nan"), "recall": float("nan"), "f1": float("nan")}
    precision, recall = pairs.mean(axis=0)
    return {"pages": len(pairs), "precision": float(precision), "recall": float(recall),
            "f1": f1(precision, recall)}


def page_bodies(lines, is_body):
    """Each page's body lines of a line table joined by newlines, in line
    order (a ``pandas.Series`` keyed by page; pages without a body line are
    missing): the body the page text measures score."""
    return lines[is_body].groupby("page", sort=False)["text"].agg("\n".join)


def line_scores(y_true, y_pred, positive: str = "body") -> dict:
    """Precision, recall and F1 of the ``positive`` label over lines."""
    y_true = np.asarray(y_true) == positive
    y_pred = np.asarray(y_pred) == positive
    true_positive = int((y_true & y_pred).sum())
    precision = true_positive / max(int(y_pred.sum()), 1)
    recall = true_positive / max(int(y_true.sum()), 1)
    return {"lines": int(len(y_true)), "precision": precision, "recall": recall,
            "f1": f1(precision, recall), "accuracy": float((y_true == y_pred).mean())}
