"""The HTML path's blend weight: its default and its check.

From HTML, a line's P(body) is ``html_weight`` of the HTML line model's
score plus the rest of the text line model's (``classifier.lines.blend``).
Kept apart from the models' libraries: the command line and the batch
driver read the default and check a weight without importing them.
"""

from __future__ import annotations

import numbers

#: From HTML, a line's P(body) is this share of the HTML model's score, the
#: rest the text line model's score of the same line (see
#: ``classifier.lines.blend.blended_html_scores``).
HTML_MODEL_WEIGHT = 0.65


def checked_html_weight(html_weight: float) -> float:
    """``html_weight`` if it is a share (0 to 1), else TypeError (not a
    number) or ValueError: said where the weight is given, before any page
    or fit."""
    if isinstance(html_weight, bool) or not isinstance(html_weight, numbers.Real):
        raise TypeError(f"html_weight must be a number, not {type(html_weight).__name__}")
    if not 0.0 <= html_weight <= 1.0:
        raise ValueError(f"html_weight must be between 0 and 1, not {html_weight!r}")
    return html_weight
