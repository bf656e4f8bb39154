"""Size limits on one page, so no input can make ``predict`` run for minutes.

A scraped page is untrusted: a crawler can hand us a 50 MB dump, a million
one-word lines or a single 10 MB line of base64. Work grows with the size
of the page, so the size is checked *before* any work starts and a page
over a limit is refused with an :class:`~classifier.errors.InputError`
that names the limit and how to raise it. Nothing is silently truncated:
a refused page is refused whole, an accepted page is classified whole.

The one exception is a very long line: it is kept whole in the result but
*scored* on its first ``scored_line_chars`` characters. A line of 100,000
characters already reads as running text (or as a blob); the rest of it
would only cost time.

The defaults are far above real pages (the largest of the ~2,100 crawled
pages in our training data has 2,360 lines, 0.9 MB of HTML and no line
over 4,100 characters) and keep one page to seconds on one core.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import InputError


@dataclass(frozen=True)
class Limits:
    """Per-page size limits; pass ``Limits(...)`` to :func:`classifier.load`."""

    #: Characters of page text given to ``predict`` (str, or all list items).
    max_page_chars: int = 16_000_000
    #: Size of the HTML given to ``predict_html`` (bytes, or characters of a str).
    max_html_bytes: int = 32_000_000
    #: Non-blank lines of one page (text input, or blocks after HTML conversion).
    max_lines: int = 100_000
    #: A longer line is scored on its first this-many characters (kept whole).
    scored_line_chars: int = 100_000

    def __post_init__(self):
        for name in ("max_page_chars", "max_html_bytes", "max_lines", "scored_line_chars"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Limits.{name} must be a positive int, not {value!r}")

    def check_text_size(self, chars: int, where: str = "page") -> None:
        if chars > self.max_page_chars:
            raise InputError(f"{where} has {chars:,} characters, over the limit of "
                             f"{self.max_page_chars:,}; split it, or raise it with "
                             "classifier.load(limits=Limits(max_page_chars=...))")

    def check_html_size(self, size: int, where: str = "page") -> None:
        if size > self.max_html_bytes:
            raise InputError(f"{where} HTML has {size:,} bytes, over the limit of "
                             f"{self.max_html_bytes:,}; raise it with "
                             "classifier.load(limits=Limits(max_html_bytes=...))")

    def check_line_count(self, lines: int | None, where: str = "page") -> None:
        """Refuse ``lines`` non-blank lines over the limit (``None``: more
        than the limit, counted no further)."""
        if lines is None or lines > self.max_lines:
            count = f"more than {self.max_lines:,}" if lines is None else f"{lines:,}"
            raise InputError(f"{where} has {count} non-blank lines, over the limit of "
                             f"{self.max_lines:,}; split it, or raise it with "
                             "classifier.load(limits=Limits(max_lines=...))")
