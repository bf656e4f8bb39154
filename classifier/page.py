"""Result types: a classified page and its lines."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Line:
    """One non-blank input line with its label.

    ``index`` is the line's position in the input (counting blank lines
    too), so a result can always be mapped back to the original text.
    """

    text: str
    label: str  # "body" or "boilerplate"
    score: float  # P(body)
    index: int

    def __init__(self, text: str, label: str, score: float, index: int):
        # The generated __init__ of a frozen dataclass sets each field
        # through object.__setattr__ (~0.7 us a line; a result has a Line
        # per non-blank line of the page); written straight into the
        # instance's dict, ~0.25 us. Same fields, still frozen after.
        fields = self.__dict__
        fields["text"] = text
        fields["label"] = label
        fields["score"] = score
        fields["index"] = index

    @property
    def is_body(self) -> bool:
        return self.label == "body"

    def to_dict(self) -> dict:
        return {"index": self.index, "text": self.text, "label": self.label,
                "score": round(self.score, 6)}


@dataclass(frozen=True)
class Page:
    """A classified page: labelled lines, body text and topic.

    ``topic`` is ``None`` (and ``topic_scores`` empty) when no line of the
    page is body (the topic is read from the body only, never from chrome),
    or when the classifier has no topic model (``load(topics=False)``).
    ``topics`` holds every topic the page is given, most probable first:
    ``(topic,)`` with a single-label topic model, all topics at or over the
    model's threshold (at least the most probable) with a multi-label one,
    whose ``topic_scores`` are then independent probabilities.
    """

    lines: list = field(default_factory=list)
    topic: str | None = None
    topic_scores: dict = field(default_factory=dict)
    topics: tuple = ()

    @property
    def body(self) -> str:
        """The body lines joined with ``"\\n"``."""
        return "\n".join(line.text for line in self.lines if line.is_body)

    @property
    def boilerplate(self) -> str:
        return "\n".join(line.text for line in self.lines if not line.is_body)

    def to_dict(self) -> dict:
        return {"topic": self.topic, "topics": list(self.topics),
                "topic_scores": {k: round(v, 6) for k, v in self.topic_scores.items()},
                "body": self.body, "lines": [line.to_dict() for line in self.lines]}
