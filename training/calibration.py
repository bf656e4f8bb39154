"""How far a topic model's probabilities can be taken at their word.

A model is calibrated when, of the documents given a topic with
probability about 0.8, about 80% really are that topic. ``reliability``
bins documents by the probability of the topic chosen for them and
compares each bin's mean probability (confidence) with its accuracy; the
expected calibration error (ECE) is the gap averaged over documents.
"""

from __future__ import annotations

import numpy as np


def reliability(probabilities, truth, classes, n_bins: int = 10) -> dict:
    """Reliability bins and ECE of the top-topic probabilities."""
    probabilities = np.asarray(probabilities, dtype=float)
    classes = np.asarray(classes)
    confidence = probabilities.max(axis=1)
    correct = classes[probabilities.argmax(axis=1)] == np.asarray(truth)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # Bin i holds confidences in (edges[i], edges[i+1]]; 0 goes in the first.
    which = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, n_bins - 1)
    bins, gap = [], 0.0
    for i in range(n_bins):
        members = which == i
        count = int(members.sum())
        entry = {"lower": round(float(edges[i]), 2), "upper": round(float(edges[i + 1]), 2),
                 "count": count}
        if count:
            entry["confidence"] = float(confidence[members].mean())
            entry["accuracy"] = float(correct[members].mean())
            gap += count * abs(entry["confidence"] - entry["accuracy"])
        bins.append(entry)
    return {"ece": round(gap / max(len(confidence), 1), 4), "bins": bins}
