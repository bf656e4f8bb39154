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
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline


def default_topic_pipeline(C: float = 100.0, ngram_max: int = 1) -> Pipeline:
    return Pipeline([
        ("tfidf", TfidfVectorizer(sublinear_tf=True, ngram_range=(1, ngram_max),
                                  strip_accents="unicode", dtype=np.float32)),
        ("classifier", LogisticRegression(C=C, max_iter=2000)),
    ])
