"""Hashed word n-grams of lines, computed in C.

``HashedWords`` gives the matrix scikit-learn's ``HashingVectorizer`` gives
with word tokens (``\\b\\w+\\b``), lower-casing and no normalisation, the
settings of the line model's word features, at a fraction of the cost:
scikit-learn analyses each text in Python (~9 us per line of shared pages,
the line model's biggest feature step before this); the compiled
``classifier._hashing`` tokenises, joins and hashes in one pass (see
_hashing.c for what it reproduces). ``tests/test_hashing.py`` checks the
matrices are equal on any text (hypothesis).

Without the compiled module (installed without a C compiler) the
transformer uses ``HashingVectorizer`` itself: same matrix, slower.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import HashingVectorizer

try:
    from . import _hashing
except ImportError:  # built without a C compiler: scikit-learn hashes the words
    _hashing = None

#: Whether the compiled hashing is available (the test suite checks that a
#: development install has it).
COMPILED = _hashing is not None

#: The word tokens: maximal runs of \w characters (HashingVectorizer's
#: token_pattern for them).
WORD_PATTERN = r"(?u)\b\w+\b"


class HashedWords(TransformerMixin, BaseEstimator):
    """Counts of a text's words and word n-grams, hashed to ``n_features``
    columns: ``HashingVectorizer(token_pattern=r"(?u)\\b\\w+\\b", norm=None)``
    with the same other parameters, computed in C.

    Stateless: ``fit`` learns nothing.

    Parameters
    ----------
    n_features : int
        Number of columns.
    ngram_range : (int, int)
        Smallest and largest n of the word n-grams.
    lowercase : bool
        Lower-case the text (``str.lower``) before tokenising.
    alternate_sign : bool
        Add -1 instead of 1 for n-grams whose hash is negative.
    """

    def __init__(self, n_features: int = 2 ** 20, ngram_range=(1, 1), lowercase: bool = True,
                 alternate_sign: bool = True):
        self.n_features = n_features
        self.ngram_range = ngram_range
        self.lowercase = lowercase
        self.alternate_sign = alternate_sign

    def fit(self, X, y=None):
        self._check_parameters()
        return self

    def transform(self, X) -> sp.csr_matrix:
        """``X``: a list (or other sequence) of str, one per row."""
        self._check_parameters()
        if isinstance(X, (str, bytes)):
            raise ValueError("HashedWords takes a sequence of texts, not one text")
        texts = X if isinstance(X, (list, tuple)) else list(X)
        if _hashing is None:
            return self.reference_vectorizer().transform(texts)
        min_n, max_n = self.ngram_range
        columns, row_ends, values = _hashing.hashed_ngrams(
            texts, self.n_features, min_n, max_n, self.lowercase, self.alternate_sign)
        indptr = np.concatenate([[0], np.frombuffer(row_ends, dtype=np.int64)])
        matrix = sp.csr_matrix(
            (np.frombuffer(values, dtype=np.float64), np.frombuffer(columns, dtype=np.int32),
             indptr.astype(np.int32) if indptr[-1] <= np.iinfo(np.int32).max else indptr),
            shape=(len(texts), self.n_features))
        matrix.sum_duplicates()  # also sorts each row's columns, as HashingVectorizer does
        return matrix

    def reference_vectorizer(self) -> HashingVectorizer:
        """The scikit-learn vectorizer whose matrix this transformer gives."""
        return HashingVectorizer(n_features=self.n_features, ngram_range=tuple(self.ngram_range),
                                 lowercase=self.lowercase, token_pattern=WORD_PATTERN,
                                 alternate_sign=self.alternate_sign, norm=None)

    def _check_parameters(self):
        min_n, max_n = self.ngram_range
        if not 1 <= min_n <= max_n:
            raise ValueError(f"ngram_range must be (min_n, max_n) with 1 <= min_n <= max_n, "
                             f"got {self.ngram_range!r}")
        if not 1 <= self.n_features <= np.iinfo(np.int32).max:
            raise ValueError(f"n_features must be in [1, 2**31 - 1], got {self.n_features!r}")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.requires_fit = False
        return tags
