"""Word n-grams computed in C, for both models' word features.

``HashedWords`` gives the matrix scikit-learn's ``HashingVectorizer`` gives
with word tokens (``\\b\\w+\\b``), lower-casing and no normalisation, the
settings of the line model's word features, at a fraction of the cost:
scikit-learn analyses each text in Python (~9 us per line of shared pages,
the line model's biggest feature step before this); the compiled
``classifier._words`` tokenises, joins and hashes in one pass (see
_words.c for what it reproduces). ``tests/test_words.py`` checks the
matrices are equal on any text (hypothesis).

``WordTfidfVectorizer`` is scikit-learn's ``TfidfVectorizer`` whose word
analysis (accent stripping, tokens and their n-grams) and counting run in
``classifier._words``: the topic model's vectorizers. Same vocabulary, same
matrices.

``hashing_transform`` gives a fitted ``HashingVectorizer``'s matrix the
same way when its settings allow (the HTML model's DOM tokens), and
``token_ids`` numbers the words of texts (title overlap, function words).

Without the compiled module (installed without a C compiler) they use
scikit-learn's or plain Python code: same results, slower.
"""

from __future__ import annotations

import functools
import operator
import re
import sys
import unicodedata
import weakref

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer, TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

from .pipelines import normalize_rows, tfidf_transform

try:
    from . import _words
except ImportError:  # built without a C compiler: scikit-learn hashes the words
    _words = None

#: Whether the compiled module is available (the test suite checks that a
#: development install has it).
COMPILED = _words is not None

#: The word tokens of the line model: maximal runs of \w characters.
WORD_PATTERN = r"(?u)\b\w+\b"
#: Token patterns the compiled analysis reproduces, with their shortest
#: token: every run of \w, and scikit-learn's default (two characters or more).
_COMPILED_PATTERNS = {WORD_PATTERN: 1, r"(?u)\b\w\w+\b": 2}


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

    #: ``transform`` always returns a matrix of its own, which the next step
    #: of a pipeline may change in place (``pipelines.pipeline_transform``).
    transform_output_is_new = True

    def __init__(self, n_features: int = 2 ** 20, ngram_range=(1, 1), lowercase: bool = True,
                 alternate_sign: bool = True):
        self.n_features = n_features
        self.ngram_range = ngram_range
        self.lowercase = lowercase
        self.alternate_sign = alternate_sign

    def fit(self, X, y=None):
        self._check_parameters()
        return self

    def transform(self, X, nonspace: bool = False) -> sp.csr_matrix:
        """``X``: a list (or other sequence) of str, one per row. With
        ``nonspace``, tokens are runs of non-whitespace (token pattern
        ``\\S+``; see :func:`hashing_transform`)."""
        self._check_parameters()
        if isinstance(X, (str, bytes)):
            raise ValueError("HashedWords takes a sequence of texts, not one text")
        texts = X if isinstance(X, (list, tuple)) else list(X)
        if _words is None:
            return self.reference_vectorizer(nonspace).transform(texts)
        min_n, max_n = self.ngram_range
        columns, row_ends, values = _words.hashed_ngrams(
            lowered(texts) if self.lowercase else texts, self.n_features, min_n, max_n, False,
            self.alternate_sign, nonspace)
        indptr = np.concatenate([[0], np.frombuffer(row_ends, dtype=np.int64)])
        # Each row's columns come sorted with duplicates summed, as
        # HashingVectorizer gives them (its sum_duplicates).
        return sp.csr_matrix(
            (np.frombuffer(values, dtype=np.float64), np.frombuffer(columns, dtype=np.int32),
             indptr.astype(np.int32) if indptr[-1] <= np.iinfo(np.int32).max else indptr),
            shape=(len(texts), self.n_features))

    def reference_vectorizer(self, nonspace: bool = False) -> HashingVectorizer:
        """The scikit-learn vectorizer whose matrix this transformer gives."""
        return HashingVectorizer(n_features=self.n_features, ngram_range=tuple(self.ngram_range),
                                 lowercase=self.lowercase,
                                 token_pattern=r"\S+" if nonspace else WORD_PATTERN,
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


def or_of_word_values(texts: list[str], values: dict) -> np.ndarray:
    """For each text, the bitwise OR of ``values[word]`` over the words of
    ``text.split()`` (0 without words), as int64: ``values`` may be a dict
    whose ``__missing__`` computes a new word's value. (The DOM layout's
    class/id keyword flags: a reduce over a map per text cost ~5 % of the
    HTML path; compiled, one call for all texts.)"""
    if _words is not None:
        return np.frombuffer(_words.or_of_word_values(texts, values), dtype=np.int64)
    return np.fromiter((functools.reduce(operator.or_, map(values.__getitem__, text.split()), 0)
                        for text in texts), dtype=np.int64, count=len(texts))


class LastTextsMemo:
    """``function(texts)``, kept for the last list of texts and given again
    for an equal list (a pointer comparison per string, ~1/100 of most
    work on the texts): the features of one pass read the same lines, each
    from its own list. Callers must not change what it returns."""

    def __init__(self, function):
        self.function = function
        self._last: tuple = ((), None)

    def __call__(self, texts):
        given, result = self._last
        if not (result is not None and type(texts) is list and len(given) == len(texts)
                and given == texts):
            result = self.function(texts)
            self._last = (list(texts), result)
        return result


def _lower_each(texts) -> list[str]:
    try:
        return [text.lower() for text in texts]
    except AttributeError:
        odd = next(text for text in texts if not hasattr(text, "lower"))
        raise TypeError(f"texts must be str, not {type(odd).__name__}") from None


_lower_kept = LastTextsMemo(_lower_each)


def lowered(texts: list[str]) -> list[str]:
    """``[text.lower() for text in texts]``. The line model lower-cases the
    same lines for its words and for the title overlap: the last list's
    lower case is kept (``LastTextsMemo``)."""
    return list(_lower_kept(texts))  # (a copy: the kept list must stay as it is)


def _distinct_words_of_each(texts) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    ids, counts, distinct = token_ids(lowered(texts), distinct_per_text=True)
    # (Read-only, as they are given to more than one caller.)
    ids.flags.writeable = False
    counts.flags.writeable = False
    return ids, counts, tuple(distinct)


_distinct_words_kept = LastTextsMemo(_distinct_words_of_each)


def distinct_lowered_words(texts: list[str]) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """``token_ids(lowered(texts), distinct_per_text=True)``, the arrays
    read-only and the distinct words a tuple. The line model's title overlap
    and run overlap number the same lines' distinct words: the last list's
    are kept (``LastTextsMemo``; one tokenisation of ~0.3 us a line fewer)."""
    return _distinct_words_kept(texts)


#: Token patterns of a HashingVectorizer that the compiled hashing
#: reproduces: runs of \\w, or runs of non-whitespace (the DOM tokens).
_HASHED_TOKEN_PATTERNS = {WORD_PATTERN: False, r"\S+": True}


def hashing_transform(vectorizer, texts: list):
    """``vectorizer.transform(texts)``, computed in C when ``vectorizer`` is a
    scikit-learn ``HashingVectorizer`` whose analysis the compiled module
    reproduces (word or non-space tokens, no preprocessing but
    lower-casing, float64); the same matrix. Anything else is left to
    ``vectorizer.transform``.

    A fitted model keeps the vectorizer it was trained with; this computes
    its matrix faster without changing the model (~3 us per distinct DOM
    token string of shared pages in scikit-learn's Python analysis).
    """
    nonspace = _HASHED_TOKEN_PATTERNS.get(getattr(vectorizer, "token_pattern", None))
    if (_words is None or not texts or type(vectorizer) is not HashingVectorizer
            or nonspace is None
            or vectorizer.input != "content" or vectorizer.analyzer != "word"
            or vectorizer.preprocessor is not None or vectorizer.tokenizer is not None
            or vectorizer.stop_words is not None or vectorizer.strip_accents is not None
            or np.dtype(vectorizer.dtype) != np.float64
            or not all(isinstance(text, str) for text in texts)):
        return vectorizer.transform(texts)
    hashed = HashedWords(n_features=vectorizer.n_features, ngram_range=vectorizer.ngram_range,
                         lowercase=vectorizer.lowercase,
                         alternate_sign=vectorizer.alternate_sign)
    try:
        matrix = hashed.transform(texts, nonspace=nonspace)
    except ValueError:  # e.g. a lone surrogate: scikit-learn says what is wrong
        return vectorizer.transform(texts)
    if vectorizer.binary:
        matrix.data.fill(1)
    if vectorizer.norm is not None:
        matrix = normalize_rows(matrix, vectorizer.norm)
    return matrix


class WordTfidfVectorizer(TfidfVectorizer):
    """``TfidfVectorizer`` whose word analysis and counting run in C.

    Same parameters, same vocabulary, same matrices (tests/test_words.py):

    * accent stripping (``strip_accents="unicode"``) drops the combining
      marks of the NFKD form through a table of them (scikit-learn tests
      each character in Python);
    * tokens and their n-grams come from ``classifier._words`` instead of
      a regex and a Python loop;
    * ``transform`` counts the n-grams found in the vocabulary in C,
      through a hash table of the vocabulary's UTF-8 keys, with no Python
      string per n-gram (scikit-learn's ``_count_vocab`` loops over them in
      Python).

    Settings it does not reproduce (a character analyzer, a custom
    preprocessor, tokenizer or token pattern, stop words) use
    scikit-learn's code unchanged.
    """

    def build_preprocessor(self):
        if (_words is None or self.preprocessor is not None
                or self.strip_accents != "unicode"):
            return super().build_preprocessor()
        lowercase = self.lowercase

        def preprocess(document):
            if lowercase:
                document = document.lower()
            return document if document.isascii() else without_marks(document)

        return preprocess

    def build_analyzer(self):
        if not self._compiled_analysis():
            return super().build_analyzer()
        decode, preprocess = self.decode, self.build_preprocessor()
        min_n, max_n = self.ngram_range
        min_length = _COMPILED_PATTERNS[self.token_pattern]
        word_ngrams = _words.word_ngrams

        def analyze(document):
            return word_ngrams(preprocess(decode(document)), min_n, max_n, min_length)

        return analyze

    def transform(self, raw_documents):
        # scikit-learn's steps (counts, then its TF-IDF transformer on them
        # in place), the TF-IDF weights by pipelines.tfidf_transform, which
        # skips the per-call input validation (~0.25 ms a call).
        check_is_fitted(self, msg="The TF-IDF vectorizer is not fitted")
        counts = CountVectorizer.transform(self, raw_documents)
        return tfidf_transform(self._tfidf, counts, copy=False)

    def _count_vocab(self, raw_documents, fixed_vocab):
        # scikit-learn's own counting (a private method, whose contract is
        # pinned by the scikit-learn minor release in pyproject.toml and
        # checked by tests/test_words.py) for fitting; with the fitted
        # vocabulary, the n-grams are counted in C.
        if (not fixed_vocab or not self._compiled_analysis()
                or type(self.vocabulary_) is not dict):
            return super()._count_vocab(raw_documents, fixed_vocab)
        decode, preprocess = self.decode, self.build_preprocessor()
        texts = [preprocess(decode(document)) for document in raw_documents]
        min_n, max_n = self.ngram_range
        columns, row_ends, counts = _words.count_ngrams(
            texts, min_n, max_n, _COMPILED_PATTERNS[self.token_pattern],
            *_vocabulary_table(self))
        indptr = np.concatenate([[0], np.frombuffer(row_ends, dtype=np.int64)])
        index_dtype = np.int32 if indptr[-1] <= np.iinfo(np.int32).max else np.int64
        counts = sp.csr_matrix(
            (np.frombuffer(counts, dtype=np.intc),
             np.frombuffer(columns, dtype=np.int64).astype(index_dtype),
             indptr.astype(index_dtype)),
            shape=(len(texts), len(self.vocabulary_)), dtype=self.dtype)
        return self.vocabulary_, counts

    def _compiled_analysis(self) -> bool:
        return (_words is not None and self.analyzer == "word" and self.tokenizer is None
                and self.stop_words is None and self.token_pattern in _COMPILED_PATTERNS)

    # -- pickling --------------------------------------------------------
    # A fitted vocabulary is pickled packed: its terms as one string with
    # their lengths, their columns as an array. joblib unpickles in Python,
    # an item at a time: the shipped topic model's two vocabularies of
    # ~120,000 n-grams took ~0.6 s of every start-up as dicts, ~0.05 s
    # packed. Files pickled with the dict load as before.
    def __getstate__(self):
        state = dict(super().__getstate__())  # (may be the instance's own dict)
        vocabulary = state.get("vocabulary_")
        if type(vocabulary) is dict and all(type(term) is str for term in vocabulary):
            state["vocabulary_"] = _PackedVocabulary(vocabulary)
        return state

    def __setstate__(self, state):
        if isinstance(state.get("vocabulary_"), _PackedVocabulary):
            state = {**state, "vocabulary_": state["vocabulary_"].unpacked()}
        super().__setstate__(state)


class _PackedVocabulary:
    """A vocabulary (term -> column) as pickled by WordTfidfVectorizer."""

    def __init__(self, vocabulary: dict):
        self.terms = "".join(vocabulary)
        self.lengths = np.fromiter(map(len, vocabulary), dtype=np.int64, count=len(vocabulary))
        self.columns = np.fromiter(vocabulary.values(), dtype=np.int64, count=len(vocabulary))

    def unpacked(self) -> dict:
        ends = np.cumsum(self.lengths).tolist()
        terms, starts = self.terms, [0, *ends[:-1]]
        return dict(zip([terms[start:end] for start, end in zip(starts, ends)],
                        self.columns.tolist()))


#: Each fitted vectorizer's vocabulary hash table, with the vocabulary it
#: was built from (see _vocabulary_table).
_tables: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _vocabulary_table(vectorizer) -> tuple:
    """The vectorizer's vocabulary as the hash table ``_words.count_ngrams``
    reads: built on first use (~15 ms and ~3 MB for each of the shipped
    topic model's two vocabularies of ~100,000 n-grams; the batch fork
    server builds them before forking) and kept while the vectorizer lives.
    Rebuilt when ``vocabulary_`` is another dict (fitted again); a fitted
    vocabulary is never changed in place."""
    cached = _tables.get(vectorizer)
    if cached is None or cached[0] is not vectorizer.vocabulary_:
        cached = (vectorizer.vocabulary_, _words.vocabulary_table(vectorizer.vocabulary_))
        _tables[vectorizer] = cached
    return cached[1]


def without_marks(text: str) -> str:
    """scikit-learn's ``strip_accents_unicode`` of a non-ASCII text: its
    NFKD form without combining characters, as ``unicodedata.combining``
    tells them."""
    return _words.drop_marks(unicodedata.normalize("NFKD", text), combining_marks())


@functools.cache
def combining_marks() -> bytes:
    """A bit per code point: set where ``unicodedata.combining`` is not 0.

    Built once per process on first use (~50 ms; the batch fork server
    builds it before forking workers). filter and map keep the loop over
    the 1.1 M code points in C: a Python loop took ~130 ms."""
    marks = bytearray((sys.maxunicode + 1) // 8)
    for mark in filter(unicodedata.combining, map(chr, range(sys.maxunicode + 1))):
        code = ord(mark)
        marks[code >> 3] |= 1 << (code & 7)
    return bytes(marks)


def sorted_words(text: str, prefix: str = "", skip_numbers: bool = False) -> str:
    """The distinct whitespace-separated words of ``text``, in code-point
    order, each after ``prefix``, joined by spaces; with ``skip_numbers``
    without the words ``str.isdigit`` says are numbers. (The DOM token
    strings: compiled, ~8x faster on a line's ~24 class/id words.)"""
    if _words is not None:
        return _words.sorted_words(text, prefix, skip_numbers)
    return " ".join(sorted({prefix + word for word in text.split()
                            if not (skip_numbers and word.isdigit())}))


#: A word as the line features count them: a run of regex \w characters.
WORD_RUN = re.compile(r"\w+")


def token_ids(texts: list[str], distinct_per_text: bool = False, strings: bool = True
              ) -> tuple[np.ndarray, np.ndarray, list[str] | int]:
    """Each text's words (runs of \\w, ``re.findall(r"\\w+", text)``) as
    numbers, for features that compare or look up words; with
    ``distinct_per_text``, each text's distinct words (a word's first time).

    Returns ``(ids, counts, distinct)``: the token numbers of all texts,
    text after text (int64); how many tokens each text has; and the
    distinct tokens, ``distinct[k]`` being number k, numbered in order of
    first appearance (with ``strings=False`` only their number, for
    callers that compare numbers: no Python string is made). In C one
    Python string is made per distinct token, not per token (shared
    pages' lines hold ~10 words each, and repeat most of them).
    """
    if _words is not None:
        ids, row_ends, distinct = _words.token_ids(texts, distinct_per_text, strings)
        ends = np.frombuffer(row_ends, dtype=np.int64)
        return (np.frombuffer(ids, dtype=np.int64),
                np.diff(ends, prepend=np.int64(0)), distinct)
    numbers: dict = {}
    ids, counts = [], []
    for text in texts:
        tokens = WORD_RUN.findall(text)
        if distinct_per_text:
            tokens = list(dict.fromkeys(tokens))
        ids += [numbers.setdefault(token, len(numbers)) for token in tokens]
        counts.append(len(tokens))
    if not strings:
        return np.array(ids, dtype=np.int64), np.array(counts, dtype=np.int64), len(numbers)
    return (np.array(ids, dtype=np.int64), np.array(counts, dtype=np.int64), list(numbers))
