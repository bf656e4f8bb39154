"""The topic model: body text → topic with probabilities.

Single-label (one topic per page, the shipped default):

    the first 10,000 characters      (a story's topic is set in its lead; the
                                      rest of a long page only costs time)
    → TF-IDF of words and word pairs   (sublinear tf, so a long article is
                                      not dominated by its most repeated words)
    [+ of the common words and        (the same without proper nouns: what a
       their pairs]                   story is about outweighs who is in it;
                                      on in the shipped news model)
    [+ of character n-grams]
      → NaiveBayesSVM                (a linear SVM per topic on features scaled
                                      by naive Bayes log-count ratios)
      → temperature scaling          (margins → probabilities that sum to one
                                      and can be taken at their word)

It only ever sees the body lines of a page. The settings (word pairs,
C=0.3, words seen in at least two documents) were chosen by 3-fold CV on
the 20 Newsgroups *training* split; the test splits and BBC News were not
used to choose them (docs/benchmarks.md, "Topic benchmarks"). The common-words block
has no setting of its own (its words and pairs are those of the words
block); the shipped model, trained on BBC News of 2004-05 and used on
today's news, has it on so that stories are read by what happens in them
rather than by that year's names (see ``topic_features``).

Multi-label (``MultiLabelTopicModel``, for schemes such as Reuters where a
story has several topics): one logistic regression per topic.
"""

from __future__ import annotations

import re
import sys
from functools import cache

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import strip_accents_unicode
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ..words import WordTfidfVectorizer, _words


def topic_tfidf(ngram_max: int = 1, min_df: int = 1, analyzer: str = "word",
                ngram_min: int = 1) -> WordTfidfVectorizer:
    """TF-IDF of the body, sublinear tf, accents folded; every topic feature
    (words for both topic models, character n-grams optionally) is one.

    A ``WordTfidfVectorizer``: scikit-learn's ``TfidfVectorizer`` with its
    word analysis and counting in C (same matrix; the topic model 0.6
    instead of 2.2 ms per shared page; models trained before 2026-11-26
    hold the plain vectorizer)."""
    return WordTfidfVectorizer(analyzer=analyzer, sublinear_tf=True,
                               ngram_range=(ngram_min, ngram_max), min_df=min_df,
                               strip_accents="unicode", dtype=np.float32)


def _character_class(test) -> str:
    """A regex character class body of every code point passing ``test``,
    as ranges (e.g. ``A-Z``)."""
    parts, start = [], None
    for code in range(sys.maxunicode + 2):
        inside = code <= sys.maxunicode and test(chr(code))
        if inside and start is None:
            start = code
        elif not inside and start is not None:
            parts.append(re.escape(chr(start)) if code - 1 == start
                         else f"{re.escape(chr(start))}-{re.escape(chr(code - 1))}")
            start = None
    return "".join(parts)


@cache
def _proper_noun() -> re.Pattern:
    """A proper noun here: a capitalised word right after a lower-case word,
    a digit or , ; : (so not the first word of a sentence, a line or a
    quote). Any script: "Putin", "Москва", "Ünal"; "U.S." and "Xi's" are
    one word each. Built on first use: listing the cased letters of
    Unicode takes ~0.15 s, which an import should not pay.

    The pattern matches the space before the word too (and the caller puts
    it back): a pattern that opens with a literal lets the regex engine
    skip from space to space, where one that opens with the look-behind
    tried it at every character (0.15 against 0.33 ms per shared page's
    body; the same words found)."""
    return re.compile(rf" (?<=[{_character_class(str.islower)}0-9,;:] )"
                      rf"[{_character_class(str.isupper)}][\w'’.-]*")


def without_proper_nouns(text: str) -> str:
    """``text`` with its proper nouns (see ``_proper_noun``) taken out: each
    with the space before it replaced by one space. Compiled when
    available (``classifier._words``: one pass over the text, ~0.1 ms of a
    shared page's body in the regex), the same string."""
    if _words is not None:
        return _words.without_proper_nouns(text)
    return _proper_noun().sub(" ", text)


class _TextStep(TransformerMixin, BaseEstimator):
    """Base of the topic pipeline's text-to-text steps, which learn nothing:
    a list of texts in, a list of texts out."""

    def fit(self, X, y=None):
        return self

    def __sklearn_is_fitted__(self):
        return True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = False
        return tags


class ProperNounsOut(_TextStep):
    """Each text with its proper nouns taken out (``without_proper_nouns``):
    the first step of the common-words block."""

    def transform(self, X):
        return [without_proper_nouns(text) for text in X]


def common_words_of(text: str) -> str:
    """What the common-words block read before it was a ``ProperNounsOut``
    step before a standard ``topic_tfidf`` (2026-11-26): its TF-IDF's
    preprocessor, re-doing that TF-IDF's own lower-casing and accent
    folding. Kept so that models pickled with it still load."""
    return strip_accents_unicode(without_proper_nouns(text).lower())


def topic_features(ngram_max: int = 2, min_df: int = 2, char_ngrams: bool = False,
                   common_words: bool = False):
    """Word TF-IDF of the body, optionally with that of its common words
    and that of its character n-grams.

    The common-words block (the words and pairs once proper nouns are taken
    out) gives what a story is about more weight than who is in it. Names
    tie topics to a newsroom's time: in BBC News 2004-05, 14 of the 15
    stories naming Putin are business (Yukos), so a 2023 story of Putin
    and Xi meeting over the war read as business. With the block, BBC
    5-fold CV accuracy rises a little (0.9816 -> 0.9834); on 20 Newsgroups,
    where names (posters, teams, products) stay evidence from the training
    to the test posts, accuracy falls (0.8802 -> 0.8748; 0.7487 -> 0.7400
    without headers) (``make bench-topics``, 2026-11-26). So it is off by
    default and on in the shipped news model (``make models``). It doubles
    the cost of the topic features.

    Character n-grams within words (2-5 characters) catch spelling variants,
    inflections and e-mail/host fragments that whole words split apart: on
    20 Newsgroups they add about half a point of accuracy, but the model
    grows 1.8-2.4x and prediction is 4-8x slower (``make bench-topics``), so
    they are off by default.
    """
    blocks = [("words", topic_tfidf(ngram_max, min_df))]
    if common_words:
        blocks.append(("common_words", Pipeline([("proper_nouns_out", ProperNounsOut()),
                                                 ("tfidf", topic_tfidf(ngram_max, min_df))])))
    if char_ngrams:
        blocks.append(("characters", topic_tfidf(5, min_df, analyzer="char_wb", ngram_min=2)))
    return blocks[0][1] if len(blocks) == 1 else FeatureUnion(blocks)


class LeadingText(_TextStep):
    """The first ``max_chars`` characters of each text (all of a shorter one).

    The topic of a news story is set in its first paragraphs; what follows
    on a long page (a long read, a forum thread) rarely changes it but costs
    time in proportion. 10,000 characters hold a whole BBC story in 99.7 %
    of cases (mean 2,265); of the bodies the shipped models find in the
    2,113 shared crawled pages, a quarter are longer, and the characters
    past the cap are 43 % of all body text.
    """

    def __init__(self, max_chars: int = 10_000):
        self.max_chars = max_chars

    def fit(self, X, y=None):
        if not isinstance(self.max_chars, (int, np.integer)) or self.max_chars < 1:
            raise ValueError(f"max_chars must be a positive integer, not {self.max_chars!r}")
        return self

    def transform(self, X):
        return [text[:self.max_chars] for text in X]


#: Folds of the out-of-fold margins the temperature is fitted on: every
#: topic needs at least this many training documents.
CALIBRATION_FOLDS = 3


def default_topic_pipeline(C: float = 0.3, ngram_max: int = 2, min_df: int = 2,
                           char_ngrams: bool = False, common_words: bool = False,
                           max_chars: int = 10_000) -> Pipeline:
    """The single-label topic pipeline; ``predict_proba`` rows sum to one.

    Probabilities come from temperature scaling (one parameter, fitted on
    3-fold out-of-fold margins of the training data, then the SVM is refitted
    on all of it): the margins are divided by a temperature before a
    softmax. Unlike isotonic or per-class sigmoid calibration it cannot
    change which topic comes first, so accuracy is untouched.
    """
    return Pipeline([
        ("lead", LeadingText(max_chars)),
        ("tfidf", topic_features(ngram_max, min_df, char_ngrams, common_words)),
        ("classifier", CalibratedClassifierCV(NaiveBayesSVM(C=C), method="temperature",
                                              cv=CALIBRATION_FOLDS, ensemble=False)),
    ])


class NaiveBayesSVM(ClassifierMixin, BaseEstimator):
    """Linear SVM on features scaled by naive Bayes log-count ratios (NB-SVM).

    For each topic, every feature is first multiplied by its naive Bayes
    log-count ratio: how much more often (``alpha``-smoothed) documents of
    that topic contain it than the other documents. A linear SVM then
    separates the topic from the rest on the scaled features. The scaling
    tells the SVM up front which words are topical, which a plain SVM must
    learn from few examples (Wang & Manning, "Baselines and Bigrams", ACL
    2012). It folds into the SVM's weights, so the fitted model is a plain
    linear model: one weight per feature and topic.

    ``y`` is a vector of labels (one-vs-rest over ``classes_``) or a 0/1
    indicator matrix (one binary problem per column; ``predict`` then gives
    an indicator matrix too). ``decision_function``
    gives one margin per topic (with two classes, scikit-learn's convention:
    one margin, positive for ``classes_[1]``); see
    ``default_topic_pipeline`` for probabilities.
    """

    def __init__(self, C: float = 1.0, alpha: float = 1.0):
        self.C = C
        self.alpha = alpha

    def fit(self, X, y):
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=(np.float64, np.float32),
                             multi_output=True)
        X = sparse.csr_matrix(X)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        self.multilabel_ = y.ndim == 2
        if self.multilabel_:  # indicator matrix: one binary problem per column
            self.classes_ = np.arange(y.shape[1])
            targets = y.astype(bool)
        else:
            self.classes_, codes = np.unique(y, return_inverse=True)
            if len(self.classes_) < 2:
                raise ValueError("NaiveBayesSVM needs at least two classes; the data has one class")
            targets = codes[:, None] == np.arange(len(self.classes_))
            if len(self.classes_) == 2:  # one problem, as scikit-learn's binary models do
                targets = targets[:, 1:]
        present = X.copy()
        present.data = (present.data != 0).astype(np.float32)
        self.coef_ = np.zeros((targets.shape[1], X.shape[1]), dtype=np.float32)
        self.intercept_ = np.zeros(targets.shape[1])
        for k in range(targets.shape[1]):
            inside = targets[:, k]
            if inside.all() or not inside.any():  # one side empty: a constant answer
                self.intercept_[k] = 1.0 if inside.all() else -1.0
                continue
            ratio = self._log_count_ratio(present, inside)
            # liblinear's dual solver visits the rows in a random order: a
            # fixed seed makes two fits on the same data the same model
            # (unseeded, two fits of the shipped model differed by up to
            # 1e-8 in BBC probabilities, 6e-6 on long shared bodies).
            svm = LinearSVC(C=self.C, random_state=0).fit(X @ sparse.diags(ratio), inside)
            self.coef_[k] = svm.coef_[0] * ratio
            self.intercept_[k] = svm.intercept_[0]
        return self

    def _log_count_ratio(self, present, inside) -> np.ndarray:
        within = self.alpha + np.asarray(present[inside].sum(axis=0)).ravel()
        outside = self.alpha + np.asarray(present[~inside].sum(axis=0)).ravel()
        return (np.log(within / within.sum()) - np.log(outside / outside.sum())).astype(np.float32)

    def decision_function(self, X) -> np.ndarray:
        check_is_fitted(self, "coef_")
        if not _checked_features(X, self.coef_.shape[1]):
            X = validate_data(self, X, accept_sparse="csr", dtype=(np.float64, np.float32),
                              reset=False)
        # One product per topic with its contiguous weight row: X @ coef_.T
        # made scipy copy the whole transposed weight matrix on every call
        # (~0.6 ms per warm predict() with the shipped model). Same sums.
        margins = np.column_stack([X @ weights for weights in self.coef_]) + self.intercept_
        return margins.ravel() if self._binary else margins

    def predict(self, X) -> np.ndarray:
        margins = self.decision_function(X)
        if self.multilabel_:
            return (margins > 0).astype(int)
        if self._binary:
            return self.classes_[(margins > 0).astype(int)]
        return self.classes_[margins.argmax(axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_label = True
        return tags

    @property
    def _binary(self) -> bool:
        return not self.multilabel_ and len(self.classes_) == 2


def _checked_features(X, n_features: int) -> bool:
    """Whether ``X`` is already what ``validate_data`` would pass on unchanged
    for ``decision_function``: a finite float CSR matrix of ``n_features``
    columns (the TF-IDF step's output). Its checks cost ~0.08 ms a call."""
    return (type(X) is sparse.csr_matrix and X.dtype in (np.float64, np.float32)
            and X.shape[0] > 0 and X.shape[1] == n_features and np.isfinite(X.data).all())


class MultiLabelTopicModel(ClassifierMixin, BaseEstimator):
    """Body text → any number of topics, each with its own probability.

    For topic schemes where a story can be about several things at once
    (Reuters: *grain* and *wheat* and *trade*). One binary classifier per
    topic over shared TF-IDF features (one-vs-rest); ``predict_proba`` gives
    each topic's probability independently (rows do not sum to one), and a
    page's topics are those at or over ``threshold_``. Every document is
    given at least its most probable topic, since every training document
    had at least one.

    Defaults (C=100, unigrams) were chosen by 3-fold CV on the Reuters
    ModApte *training* split (micro-F1 0.895 against 0.890 for C=30 and
    0.885 for C=10; word bigrams scored lower), never on its test split.

    ``threshold="cv"`` (the default) chooses the threshold on the training
    data alone: the one of ``THRESHOLDS`` with the best micro-F1 over a
    3-fold cross-validation; a number fixes it.

    Fit with ``fit(texts, label_lists)`` where each item of ``label_lists``
    is the list (or tuple) of that document's topics.
    """

    multilabel = True
    THRESHOLDS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6)

    def __init__(self, C: float = 100.0, ngram_max: int = 1, threshold="cv",
                 class_weight=None):
        self.C = C
        self.ngram_max = ngram_max
        self.threshold = threshold
        self.class_weight = class_weight

    def fit(self, texts, label_lists):
        from sklearn.preprocessing import MultiLabelBinarizer

        texts = list(texts)
        label_lists = [tuple(labels) for labels in label_lists]
        if any(not labels for labels in label_lists):
            raise ValueError("every document needs at least one topic")
        if self.threshold == "cv":
            self.threshold_ = self._threshold_by_cv(texts, label_lists)
        else:
            self.threshold_ = float(self.threshold)
        self.binarizer_ = MultiLabelBinarizer()
        targets = self.binarizer_.fit_transform(label_lists)
        self.classes_ = self.binarizer_.classes_
        self.vectorizer_, self.classifier_ = self._fit_parts(texts, targets)
        return self

    def _fit_parts(self, texts, targets):
        from sklearn.multiclass import OneVsRestClassifier

        vectorizer = topic_tfidf(self.ngram_max)
        classifier = OneVsRestClassifier(
            LogisticRegression(C=self.C, max_iter=2000, class_weight=self.class_weight))
        classifier.fit(vectorizer.fit_transform(texts), targets)
        return vectorizer, classifier

    def _threshold_by_cv(self, texts, label_lists) -> float:
        from sklearn.metrics import f1_score
        from sklearn.model_selection import KFold
        from sklearn.preprocessing import MultiLabelBinarizer

        if len(texts) < 6:  # too few to split; the usual default
            return 0.5
        binarizer = MultiLabelBinarizer()
        truth = binarizer.fit_transform(label_lists)
        probabilities = np.zeros(truth.shape)
        for train, test in KFold(3, shuffle=True, random_state=0).split(texts):
            fold_targets = truth[train]
            present = fold_targets.any(axis=0)  # a topic needs examples to be learnt
            if present.sum() < 2:
                continue
            vectorizer, classifier = self._fit_parts([texts[i] for i in train],
                                                     fold_targets[:, present])
            probabilities[np.ix_(test, np.flatnonzero(present))] = classifier.predict_proba(
                vectorizer.transform([texts[i] for i in test]))
        scores = [f1_score(truth, top_topics(probabilities, threshold), average="micro")
                  for threshold in self.THRESHOLDS]
        return float(self.THRESHOLDS[int(np.argmax(scores))])

    def predict_proba(self, texts) -> np.ndarray:
        return self.classifier_.predict_proba(self.vectorizer_.transform(list(texts)))

    def predict_indicators(self, texts) -> np.ndarray:
        """0/1 matrix (documents × ``classes_``) of the predicted topics."""
        return self.indicators(self.predict_proba(texts))

    def indicators(self, probabilities: np.ndarray) -> np.ndarray:
        return top_topics(probabilities, self.threshold_)

    def predict(self, texts) -> list[tuple]:
        return [tuple(self.classes_[row.astype(bool)])
                for row in self.predict_indicators(texts)]


def top_topics(probabilities: np.ndarray, threshold: float = np.inf) -> np.ndarray:
    """0/1 marks of the topics at or over ``threshold``, and of each row's most
    probable one (only that one with the default threshold)."""
    chosen = probabilities >= threshold
    chosen[np.arange(len(probabilities)), probabilities.argmax(axis=1)] = True
    return chosen.astype(np.int8)
