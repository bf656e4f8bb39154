"""The public entry point: models in, classified pages out."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError, ModelError
from .html import html_to_lines
from .line_model import BODY, BOILERPLATE
from .page import Line, Page
from .store import (LINE_MODEL, TOPIC_MODEL, default_models_dir, load_model,
                    read_manifest)
from .text import split_lines


class Classifier:
    """A line model and a topic model, used together on whole pages.

    Blank lines (empty or whitespace only) are not classified: they carry no
    text, and the line model would learn nothing from them. Every non-blank
    input line maps to exactly one :class:`Line` in ``page.lines``, in input
    order, with ``Line.index`` its position in the input counting blank
    lines. Line text is kept with surrounding whitespace stripped.
    """

    def __init__(self, line_model, topic_model=None, manifest: dict | None = None,
                 threshold: float | None = None):
        if line_model is None:
            raise ModelError("a line model is required")
        self.line_model = line_model
        self.topic_model = topic_model
        self.manifest = manifest or {}
        self.threshold = getattr(line_model, "threshold", 0.5) if threshold is None else threshold

    # -- text input -------------------------------------------------------
    def predict(self, text) -> Page:
        """Classify one page given as text (one block per line) or a list of lines."""
        return self.predict_many([text])[0]

    def predict_many(self, texts) -> list[Page]:
        """Classify many pages with one pass of each model over all their lines."""
        if isinstance(texts, (str, bytes)):
            raise InputError("predict_many() takes a list of pages; use predict() for one page")
        pages_lines = [split_lines(text) for text in texts]
        return self._classify(pages_lines)

    # -- HTML input -------------------------------------------------------
    def predict_html(self, html, url: str | None = None) -> Page:
        """Classify a page given as HTML (``str`` or raw ``bytes``).

        The page is turned into visible-text lines by the same conversion the
        line model's training data went through (:mod:`classifier.html`).
        ``url`` is accepted for future site-aware features and ignored now.
        """
        return self._classify([html_to_lines(html)])[0]

    # -- shared path ------------------------------------------------------
    def _classify(self, pages_lines: list[list[str]]) -> list[Page]:
        texts, page_keys, indices = [], [], []
        for page_number, lines in enumerate(pages_lines):
            for index, line in enumerate(lines):
                stripped = line.strip()
                if stripped:
                    texts.append(stripped)
                    page_keys.append(page_number)
                    indices.append(index)
        table = pd.DataFrame({"text": texts, "page": np.asarray(page_keys, dtype=np.int64)})
        scores = self.line_model.body_proba(table) if texts else np.zeros(0)

        pages_out: list[list[Line]] = [[] for _ in pages_lines]
        for text, page_number, index, score in zip(texts, page_keys, indices, scores.tolist()):
            label = BODY if score >= self.threshold else BOILERPLATE
            pages_out[page_number].append(Line(text=text, label=label, score=score, index=index))

        bodies = ["\n".join(line.text for line in lines if line.is_body) for lines in pages_out]
        topics = self._topics(bodies)
        return [Page(lines=lines, topic=topic, topic_scores=scores_)
                for lines, (topic, scores_) in zip(pages_out, topics)]

    def _topics(self, bodies: list[str]) -> list[tuple]:
        results = [(None, {}) for _ in bodies]
        if self.topic_model is None:
            return results
        # The topic is read from body lines only; a page without body has none.
        wanted = [i for i, body in enumerate(bodies) if body.strip()]
        if not wanted:
            return results
        probabilities = self.topic_model.predict_proba([bodies[i] for i in wanted])
        classes = [str(c) for c in self.topic_model.classes_]
        for i, row in zip(wanted, probabilities):
            scores = dict(zip(classes, map(float, row)))
            results[i] = (classes[int(np.argmax(row))], scores)
        return results

    @property
    def topics(self) -> list[str]:
        return [] if self.topic_model is None else [str(c) for c in self.topic_model.classes_]


def load(path=None) -> Classifier:
    """Load a models folder (default: the shipped models)."""
    folder = Path(path) if path is not None else default_models_dir()
    if not folder.is_dir():
        raise ModelError(f"{folder}: no such models folder")
    manifest = read_manifest(folder)
    line_model = load_model(folder, LINE_MODEL, manifest)
    if line_model is None:
        raise ModelError(f"{folder}: the manifest lists no {LINE_MODEL}")
    return Classifier(line_model, load_model(folder, TOPIC_MODEL, manifest), manifest)


_default = None
_default_lock = threading.Lock()


def default_classifier() -> Classifier:
    """The shipped models, loaded once per process (thread-safe)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = load()
        return _default


def predict(text) -> Page:
    """Classify one page with the shipped models (loaded on first use)."""
    return default_classifier().predict(text)
