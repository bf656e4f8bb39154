"""Result types: a classified page and its lines."""

from __future__ import annotations

from dataclasses import dataclass, field

#: Decimals a result's scores are rounded to in ``to_dict`` (``round(x, 6)``).
SCORE_DIGITS = 6


@dataclass(frozen=True, slots=True)
class Line:
    """One non-blank input line with its label.

    ``index`` is the line's position in the input (counting blank lines
    too), so a result can always be mapped back to the original text.
    """

    text: str
    # "body" when score >= the threshold, or at a page's relative cut when its
    # lines at the threshold hold almost no words (classifier.lines.body).
    label: str
    score: float  # P(body)
    index: int

    def __init__(self, text: str, label: str, score: float, index: int):
        # A result has a Line per non-blank line of its page. The generated
        # __init__ of a frozen dataclass sets each field through
        # object.__setattr__ (~0.7 us a line); the slots' own setters, ~0.5
        # us for the whole call. Same fields, still frozen after.
        _set_text(self, text)
        _set_label(self, label)
        _set_score(self, score)
        _set_index(self, index)

    def __setstate__(self, state):
        # A Line pickled before Lines had slots carries its __dict__; one
        # pickled since, its field values in order.
        if isinstance(state, dict):
            state = [state[name] for name in _LINE_FIELDS]
        for set_field, value in zip(_LINE_SETTERS, state):
            set_field(self, value)

    @property
    def is_body(self) -> bool:
        return self.label == "body"

    def to_dict(self) -> dict:
        return {"index": self.index, "text": self.text, "label": self.label,
                "score": round(self.score, SCORE_DIGITS)}


_LINE_FIELDS = ("text", "label", "score", "index")
_LINE_SETTERS = tuple(getattr(Line, name).__set__ for name in _LINE_FIELDS)
_set_text, _set_label, _set_score, _set_index = _LINE_SETTERS


@dataclass(frozen=True)
class Page:
    """A classified page: labelled lines, body text and topic.

    ``topic`` is ``None`` (and ``topic_scores`` empty) when no line of the
    page is body (``topic_reason`` ``"no body"``: the topic is read from the
    body only, never from chrome), or when the classifier has no topic
    model (``load(topics=False)``; no reason). It is ``None`` too, with
    ``topic_scores`` kept, when the model abstains: ``topic_reason`` then
    says why (``"too short"``, ``"language: other"``, ``"out of scheme"``;
    classifier/topics/abstention.py).
    ``topics`` holds every topic the page is given, most probable first:
    ``(topic,)`` with a single-label topic model, all topics at or over the
    model's threshold (at least the most probable) with a multi-label one,
    whose ``topic_scores`` are then independent probabilities.
    """

    lines: list = field(default_factory=list)
    topic: str | None = None
    topic_scores: dict = field(default_factory=dict)
    topics: tuple = ()
    topic_reason: str | None = None

    @property
    def body(self) -> str:
        """The body lines joined with ``"\\n"``."""
        return "\n".join([line.text for line in self.lines if line.label == "body"])

    @property
    def boilerplate(self) -> str:
        return "\n".join([line.text for line in self.lines if line.label != "body"])

    def to_dict(self) -> dict:
        lines = self.lines
        scores = rounded_scores([line.score for line in lines])
        return page_dict(self.topic, self.topics, self.topic_scores, self.body,
                         line_dicts([line.index for line in lines], [line.text for line in lines],
                                    [line.label for line in lines], scores),
                         self.topic_reason)


def page_dict(topic, topics, topic_scores: dict, body: str, lines: list,
              topic_reason: str | None = None) -> dict:
    """What ``Page.to_dict`` gives for a page of these fields and line dicts
    (``line_dicts``): also made without a Page
    (``Classifier.predict_many_as_dicts``)."""
    return {"topic": topic, "topic_reason": topic_reason, "topics": list(topics),
            "topic_scores": {k: round(v, SCORE_DIGITS) for k, v in topic_scores.items()},
            "body": body, "lines": lines}


def line_dicts(indices, texts, labels, rounded_scores_) -> list[dict]:
    """What ``Line.to_dict`` gives for lines of these fields, their scores
    already rounded (``rounded_scores``), made in one comprehension: a
    call per line was a fifth of turning a page into a batch row."""
    return [{"index": index, "text": text, "label": label, "score": score}
            for index, text, label, score in zip(indices, texts, labels, rounded_scores_)]


#: How far from a rounding tie (in units of the last decimal kept) a
#: score's scaled value must be for numpy's rounding to be Python's: the
#: product ``x * 10**6`` of a score in [0, 1] is within 6e-11 of the exact
#: one (half an ulp of 10**6), so farther from the tie than this it rounds
#: the same way; nearer, or on it, Python's ``round`` decides.
_TIE_MARGIN = 1e-9


def rounded_scores(scores: list[float]) -> list[float]:
    """``[round(score, SCORE_DIGITS) for score in scores]``, vectorised: the
    same floats. Rounding each score in Python was a third of turning a
    page into a batch row (~0.3 us a line). For a score in [0, 1] away
    from a tie, rounding ``score * 10**6`` to an integer n is rounding the
    exact product (see ``_TIE_MARGIN``), and n / 10**6 is, like the string
    Python's ``round`` parses, the double nearest to n * 10**-6; other
    scores (ties, near ties, outside [0, 1], not finite) go to ``round``."""
    # (Imported here: a batch run's command process imports this module
    # and, holding no models, has no other use for numpy.)
    import numpy as np

    values = np.asarray(scores, dtype=np.float64)
    scale = 10.0 ** SCORE_DIGITS
    # (Overflow, inf - inf: only for scores outside [0, 1], which go to round.)
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = values * scale
        out = np.rint(scaled) / scale
        by_python = ~((values >= 0.0) & (values <= 1.0)
                      & (np.abs(scaled - np.floor(scaled) - 0.5) > _TIE_MARGIN))
    rounded = out.tolist()
    for i in np.flatnonzero(by_python).tolist():
        rounded[i] = round(scores[i], SCORE_DIGITS)
    return rounded
