"""From HTML, both line models score each line; a line's P(body) is a
weighted mean of the two (:func:`blended_html_scores` says why).

The HTML model's layout features include the text model's (its
``text_layout`` part: the same transformers, fitted alike, as they learn
nothing from the lines), so :func:`blended_body_proba` computes them once
for both.
"""

from __future__ import annotations

import joblib
import numpy as np

from .blend_weight import HTML_MODEL_WEIGHT, checked_html_weight
from .model import StackedLineClassifier, page_runs
from .table import LineTable, takes_line_tables


def blended_html_scores(html_scores, text_scores, html_weight: float = HTML_MODEL_WEIGHT):
    """P(body) of an HTML page's lines from both line models: ``html_weight``
    times the HTML model's score plus ``1 - html_weight`` times the text
    model's (1: the HTML model alone).

    The text model reads the same lines without their DOM and errs on
    other lines; the mean of two models that err apart carries over to
    unseen sites better than either. Leave one corpus out, on the held-out
    scores of two sets of models (make eval-generalisation's cache, 2026-12-07
    18:33, and an earlier set), 0.65 raised the HTML path's macro page F1 by
    0.0043 on both (0.75 and 0.5 a little less on their mean). L3S-GN1
    (+0.008, +0.009), CleanEval (+0.006, +0.003) and Google-Trends
    (+0.004, +0.013) gained on both, Readability on one (+0.006, -0.002);
    Dragnet lost (-0.003, -0.001). The full run with the blend (20:53)
    gave what the replay had: 0.9104 against 0.9061."""
    checked_html_weight(html_weight)
    html_scores = np.asarray(html_scores, dtype=np.float64)
    text_scores = np.asarray(text_scores, dtype=np.float64)
    if html_scores.shape != text_scores.shape:
        raise ValueError(f"{len(text_scores)} text model scores for {len(html_scores)} lines")
    if html_weight == 1.0:
        return html_scores
    return html_weight * html_scores + (1.0 - html_weight) * text_scores


def shared_text_layout(html_model, text_model):
    """The part of the HTML model's layout features that computes what the
    text model's layout features compute (equal once pickled: the same
    transformers with the same parameters and fitted state), or ``None``.
    Found once per pair of models (``Classifier`` keeps it)."""
    if not (isinstance(html_model, StackedLineClassifier)
            and isinstance(text_model, StackedLineClassifier)):
        return None
    text_layout = joblib.hash(text_model.layout_features_)
    for _, part in getattr(html_model.layout_features_, "transformer_list", ()):
        if not isinstance(part, str) and joblib.hash(part) == text_layout:
            return part
    return None


def blended_body_proba(html_model, text_model, table, html_weight: float = HTML_MODEL_WEIGHT,
                       shared=None) -> np.ndarray:
    """:func:`blended_html_scores` of the lines of the DOM line table
    ``table``: the HTML model's scores of it and the text model's of its
    ``text`` and ``page`` columns. With ``shared`` (the HTML model's part
    :func:`shared_text_layout` found), the text layout features are
    computed once, by the text model, and given to the HTML model (the same
    scores; ~4 of the two models' ~17 us a line)."""
    checked_html_weight(html_weight)
    if html_weight == 1.0:
        return html_model.body_proba(table)
    if shared is None or not isinstance(table, LineTable) or not takes_line_tables(
            html_model.text_features_, html_model.layout_features_,
            text_model.text_features_, text_model.layout_features_):
        return blended_html_scores(html_model.body_proba(table),
                                   text_model.body_proba(_text_columns(table)), html_weight)
    parts = []
    for run, bounds in page_runs(table):
        text_run = _text_columns(run)
        text_layout = text_model.layout_block(text_run)
        html_layout = html_model.layout_block(run, {id(shared): text_layout})
        parts.append(blended_html_scores(
            html_model.pages_body_proba(run, bounds, html_layout),
            text_model.pages_body_proba(text_run, bounds, text_layout), html_weight))
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _text_columns(table):
    """What the text model reads of a DOM line table: its lines' text and page."""
    if isinstance(table, LineTable):
        return LineTable({"text": table["text"].values, "page": table["page"].values})
    return table[["text", "page"]]
