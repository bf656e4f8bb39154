"""When the topic model should give no topic: too little text, a language
it does not read, or text unlike any of its topics.

A topic model trained on five topics of BBC News always ranks those five;
a recipe, a Spanish story or a forum post about cars still comes out
"sport (0.50)" or "tech (0.60)". So a page's topic is ``None`` with a
reason when its body

* holds fewer than ``min_words`` words, or words the model knows
  (``"too short"``);
* has less than ``min_known_share`` of its words in the model's vocabulary:
  it is written in a language the model was not trained on (``"language:
  other"``; with ``name_language`` the language py3langid names, as in
  ``"language: es"``: off by default, as its model holds ~75 MB in every
  process that loads it);
* is claimed by none of the topics (``"out of scheme"``): its *evidence*,
  the strongest single topic's own score before the topics are weighed
  against each other, is under ``min_evidence``. For the single-label
  model that is the largest one-vs-rest margin of the NB-SVM (the
  calibrated probabilities sum to one over the topics, so they cannot say
  "none"); for the multi-label model, the largest topic probability (each
  is independent).

A short text holds less evidence than a whole story (a headline and its
lead score lower margins than the story they open, and the fewer the words
the lower), so bodies of fewer than ``short_words`` words are held to a
threshold that grows with their length: ``short_thresholds``, pairs (words,
threshold) read between in the logarithm of the length (a 55-word text is
held to nearly the 60-word threshold, not to one of 15-word texts). All
thresholds are chosen on the training data (``training/topics.py``,
``choose_abstention``): the out-of-fold evidence of the training documents,
whole and cut to their first 15, 25, 40 and ``short_words`` words, at the
quantile that keeps ``coverage`` of them answered. The settings are
recorded in the models folder's manifest, beside the model. (Folders
trained before ``short_thresholds`` existed hold one threshold for all
short bodies, ``min_evidence_short``; it still applies to them.)
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import cache

import numpy as np
from sklearn.feature_extraction.text import strip_accents_unicode

from ..pipelines import calibrated_proba, pipeline_transform
from ..words import COMPILED, without_marks

#: The reason of a page without body text: the topic is read from the body only.
NO_BODY = "no body"
TOO_SHORT = "too short"
OUT_OF_SCHEME = "out of scheme"
#: How the reason for a language the model does not read starts, and what
#: follows unless the language is named (``Abstention.name_language``).
LANGUAGE = "language: "
OTHER_LANGUAGE = "other"

#: A word for the known-word share: a run of two or more word characters,
#: as the topic model's vectorizers find them (scikit-learn's default
#: token pattern), numbers left out (they are no language's).
_WORD = re.compile(r"(?u)\b\w\w+\b")
#: The characters of a body whose words are counted (known_words), and that
#: py3langid reads: the start is enough.
_KNOWN_CHARS = 3_000
_LANGUAGE_CHARS = 2_000


@dataclass(frozen=True)
class Abstention:
    """The settings of a topic model's abstention (see the module doc)."""

    min_words: int = 5
    min_known_share: float = 0.6
    #: Name the language of a body the vocabulary does not cover
    #: (py3langid: ~75 MB more in each process, loaded on first use).
    name_language: bool = False
    #: ``None``: the model never says "out of scheme".
    min_evidence: float | None = None
    #: Bodies of fewer words are held to ``short_thresholds`` (when set).
    short_words: int = 60
    #: (words, threshold) pairs, by words ascending: the threshold of a
    #: body of that many words, interpolated in log(words) between them.
    short_thresholds: tuple = ()
    #: One threshold for every body under ``short_words`` (the folders of
    #: before ``short_thresholds``).
    min_evidence_short: float | None = None
    #: The share of the training documents left answered when the
    #: thresholds were chosen.
    coverage: float | None = None

    def __post_init__(self):
        if not (isinstance(self.min_words, int) and self.min_words >= 0):
            raise ValueError(f"min_words must be an integer >= 0, not {self.min_words!r}")
        if not 0 <= self.min_known_share <= 1:
            raise ValueError(f"min_known_share must be in [0, 1], not {self.min_known_share!r}")
        # (A manifest gives lists; kept as tuples, as the settings are frozen.)
        try:
            pairs = tuple((int(words), float(threshold))
                          for words, threshold in self.short_thresholds)
        except (TypeError, ValueError):
            pairs = None
        if pairs is None or any(words < 1 for words, _ in pairs) or \
                [words for words, _ in pairs] != sorted({words for words, _ in pairs}):
            raise ValueError("short_thresholds must be (words >= 1, threshold) pairs with words "
                             f"strictly ascending, not {self.short_thresholds!r}")
        object.__setattr__(self, "short_thresholds", pairs)

    def to_dict(self) -> dict:
        settings = asdict(self)
        settings["short_thresholds"] = [list(pair) for pair in self.short_thresholds]
        return settings

    @classmethod
    def from_dict(cls, settings: dict) -> Abstention:
        known = {name: settings[name] for name in cls.__dataclass_fields__ if name in settings}
        return cls(**known)

    def evidence_threshold(self, words: int) -> float | None:
        """The out-of-scheme threshold of a body of ``words`` words."""
        if words < self.short_words:
            if self.short_thresholds:
                lengths, thresholds = zip(*self.short_thresholds)
                return float(np.interp(np.log(max(words, 1)), np.log(lengths), thresholds))
            if self.min_evidence_short is not None:
                return self.min_evidence_short
        return self.min_evidence


def topic_probabilities_and_evidence(model, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities, evidence) of ``texts`` by a fitted topic model: the
    single-label pipeline or a ``MultiLabelTopicModel``; any other model
    gives its largest probability as evidence."""
    if getattr(model, "multilabel", False) or not hasattr(model, "steps"):
        probabilities = model.predict_proba(texts)
        return probabilities, probabilities.max(axis=1)
    features = pipeline_transform(model[:-1], texts)
    final = model.steps[-1][1]
    svm = _one_vs_rest_scorer(final)
    if svm is None:
        probabilities = final.predict_proba(features)
        return probabilities, probabilities.max(axis=1)
    # The margins once: the calibrated probabilities are made from them.
    margins = np.asarray(svm.decision_function(features))
    return calibrated_proba(final, features, margins), margins.max(axis=1)


def topics_with_reasons(model, abstention: Abstention, texts: list[str],
                        vocabulary=None) -> tuple[np.ndarray, np.ndarray, list]:
    """(probabilities, evidence, reason for no topic or ``None``) of each
    text: what the API, the evaluation and the benchmark all ask of a
    model. ``vocabulary``: the model's ``word_vocabulary`` when the caller
    keeps it (found here otherwise)."""
    probabilities, evidence = topic_probabilities_and_evidence(model, texts)
    if vocabulary is None:
        vocabulary = word_vocabulary(model)
    return probabilities, evidence, abstention_reasons(abstention, texts, evidence, vocabulary)


def _one_vs_rest_scorer(final):
    """The margin scorer (a margin per topic) under a temperature-calibrated
    classifier of one fold (``ensemble=False``, the shipped pipeline's),
    else ``None``."""
    calibrated = getattr(final, "calibrated_classifiers_", None)
    if calibrated is None or len(calibrated) != 1 or final.method != "temperature":
        return None
    estimator = calibrated[0].estimator
    classes = getattr(estimator, "classes_", ())
    return estimator if hasattr(estimator, "decision_function") and len(classes) > 2 else None


def word_vocabulary(model):
    """The vocabulary (term -> column) of the model's word features, or
    ``None`` when it has none that can be read."""
    vectorizer = getattr(model, "vectorizer_", None)  # MultiLabelTopicModel
    if vectorizer is None and hasattr(model, "steps"):
        features = model.steps[-2][1] if len(model.steps) > 1 else None
        blocks = getattr(features, "transformer_list", None)
        vectorizer = blocks[0][1] if blocks else features
    vocabulary = getattr(vectorizer, "vocabulary_", None)
    return vocabulary if isinstance(vocabulary, dict) else None


def known_words(texts: list[str], vocabulary) -> tuple[np.ndarray, np.ndarray]:
    """(words known to ``vocabulary``, words) of each text's first
    ``_KNOWN_CHARS`` characters, lower-cased with accents folded as the
    vectorizers do: the share is the language test, and the start of a
    body tells it as well as the whole (whose words cost ~1 ms a page)."""
    known = np.zeros(len(texts), dtype=np.int64)
    total = np.zeros(len(texts), dtype=np.int64)
    for i, text in enumerate(texts):
        start = text[:_KNOWN_CHARS].lower()
        if not start.isascii():
            start = without_marks(start) if COMPILED else strip_accents_unicode(start)
        words = [word for word in _WORD.findall(start) if not word.isdigit()]
        total[i] = len(words)
        known[i] = sum(word in vocabulary for word in words) if vocabulary is not None else 0
    return known, total


def abstention_reasons(abstention: Abstention, texts: list[str], evidence: np.ndarray,
                       vocabulary) -> list[str | None]:
    """Why each text gets no topic, or ``None`` where it gets one."""
    known, total = known_words(texts, vocabulary)
    reasons = []
    for text, known_, total_, evidence_ in zip(texts, known.tolist(), total.tolist(),
                                               np.asarray(evidence).tolist()):
        if vocabulary is not None and total_ < abstention.min_words:
            reasons.append(TOO_SHORT)
        elif vocabulary is not None and known_ < abstention.min_known_share * total_:
            reasons.append(LANGUAGE + (language_of(text) if abstention.name_language
                                       else OTHER_LANGUAGE))
        elif vocabulary is not None and known_ < abstention.min_words:
            reasons.append(TOO_SHORT)
        elif (threshold := abstention.evidence_threshold(total_)) is not None \
                and evidence_ < threshold:
            reasons.append(OUT_OF_SCHEME)
        else:
            reasons.append(None)
    return reasons


def language_of(text: str) -> str:
    """The ISO 639-1 code py3langid gives the text's start, or ``"unknown"``
    (py3langid not installed). Asked only of bodies the model's vocabulary
    does not cover: its model loads in ~1.6 s, once, on first use."""
    identify = _language_identifier()
    if identify is None:
        return "unknown"
    return identify(text[:_LANGUAGE_CHARS])[0]


@cache
def _language_identifier():
    try:
        import py3langid
    except ImportError:
        return None
    return py3langid.classify
