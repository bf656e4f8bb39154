"""The topic model: body text → topic with probabilities.

TF-IDF of words (sublinear term frequency, so a long article is not
dominated by its most repeated words) into a multinomial logistic
regression, which gives probabilities that sum to one. It only ever sees
the body lines of a page. Weak regularisation (C=100) because topic words
are many and each weak; on BBC News it beat C=5..50 and word bigrams in
5-fold CV (see README, "Topic model").
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline


def default_topic_pipeline(C: float = 100.0, ngram_max: int = 1) -> Pipeline:
    return Pipeline([
        ("tfidf", TfidfVectorizer(sublinear_tf=True, ngram_range=(1, ngram_max),
                                  strip_accents="unicode", dtype=np.float32)),
        ("classifier", LogisticRegression(C=C, max_iter=2000)),
    ])


class MultiLabelTopicModel(ClassifierMixin, BaseEstimator):
    """Body text → any number of topics, each with its own probability.

    For topic schemes where a story can be about several things at once
    (Reuters: *grain* and *wheat* and *trade*). One binary classifier per
    topic over shared TF-IDF features (one-vs-rest); ``predict_proba`` gives
    each topic's probability independently (rows do not sum to one), and a
    page's topics are those at or over ``threshold``. Every document is
    given at least its most probable topic, since every training document
    had at least one.

    Fit with ``fit(texts, label_lists)`` where each item of ``label_lists``
    is the list (or tuple) of that document's topics.
    """

    multilabel = True

    def __init__(self, C: float = 10.0, ngram_max: int = 2, threshold: float = 0.3,
                 class_weight=None):
        self.C = C
        self.ngram_max = ngram_max
        self.threshold = threshold
        self.class_weight = class_weight

    def fit(self, texts, label_lists):
        from sklearn.multiclass import OneVsRestClassifier
        from sklearn.preprocessing import MultiLabelBinarizer

        label_lists = [tuple(labels) for labels in label_lists]
        if any(not labels for labels in label_lists):
            raise ValueError("every document needs at least one topic")
        self.binarizer_ = MultiLabelBinarizer()
        targets = self.binarizer_.fit_transform(label_lists)
        self.classes_ = self.binarizer_.classes_
        self.vectorizer_ = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, self.ngram_max),
                                           strip_accents="unicode", dtype=np.float32)
        features = self.vectorizer_.fit_transform(list(texts))
        self.classifier_ = OneVsRestClassifier(
            LogisticRegression(C=self.C, max_iter=2000, class_weight=self.class_weight))
        self.classifier_.fit(features, targets)
        return self

    def predict_proba(self, texts) -> np.ndarray:
        return self.classifier_.predict_proba(self.vectorizer_.transform(list(texts)))

    def predict_indicators(self, texts) -> np.ndarray:
        """0/1 matrix (documents × ``classes_``) of the predicted topics."""
        return self.indicators(self.predict_proba(texts))

    def indicators(self, probabilities: np.ndarray) -> np.ndarray:
        chosen = probabilities >= self.threshold
        chosen[np.arange(len(probabilities)), probabilities.argmax(axis=1)] = True
        return chosen.astype(np.int8)

    def predict(self, texts) -> list[tuple]:
        return [tuple(self.classes_[row.astype(bool)])
                for row in self.predict_indicators(texts)]
