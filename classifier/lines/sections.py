"""Sections of a page that are not its article: comments and link lists.

:class:`SectionMarkers` tells whether a comments heading ("12 Comments",
"Leave a reply") or a links heading ("Related", "Most popular") came
before a line, and how far above, and which lines are comment-thread
furniture ("Jane says:", "Reply", "July 3, 2012 at 4:15 pm"). Everything
below such a heading is usually not the article, however sentence-like it
reads (comments are prose; teasers are headlines).
"""

from __future__ import annotations

import re

import numpy as np

from ..words import LastTextsMemo
from .statistics import character_counts
from .table import StatelessTransformer, neighbour_window, page_bounds, page_index

try:
    from . import _lines
except ImportError:  # built without a C compiler: numpy and Python count
    _lines = None

_COMMENT_HEADING = re.compile(
    r"^\W*(?:\d+\s+)?(?:comments?|responses?|replies|reply|discussion|reader comments"
    r"|leave a (?:reply|comment)|post a comment|add (?:a |your )?comment|join the discussion"
    r"|what do you think|trackbacks?|pingbacks?)\b", re.IGNORECASE)
# first_word_marks of a line that can open a comment heading (a number, or
# a comment phrase's first word) or a links heading, or be a _META_WORD line.
_OPENS_COMMENT_HEADING, _OPENS_LINKS_HEADING, _MAY_BE_META_WORD = 1 | 2, 4, 1 | 8
_LINKS_HEADING = re.compile(
    r"^\W*(?:related|ranking|recommend|recommended|recommendations?|popular|most (?:read|popular|viewed|shared)"
    r"|trending|more (?:from|on|stories|news|in)|you (?:may|might) also|read more|see also|further reading"
    r"|top stories|latest (?:news|stories)|editor'?s picks?|also on|around the web|from the web"
    r"|tags?|filed under|categories|share this|follow us|in)\b", re.IGNORECASE)


# A comment section's heading as a whole line, for the body rule's cut
# (classifier.lines.body): "12 Comments", "34 Responses to “Title”",
# "Leave a Reply", "Comments (3)", "Show 119 Comments", "{ 69 comments…
# read them below or add one }" (a WordPress theme's). Stricter than
# _COMMENT_HEADING, which is one feature among many and may match a prefix
# ("Response to criticisms", "Comment becomes unnecessary"): here a match
# ends the body. Bare "Comment" and "Discussion" are left out: an opinion
# column's label and a paper's section; so is a list item ("- Comments" is
# a menu's or a share bar's link, often above the article's end); a count
# goes on only after punctuation ("12 comments on the plan were sent" is
# prose). The other languages' forms are WordPress's default headings (not
# in our corpora: untested there).
_COMMENT_SECTION_HEADING = re.compile(
    r"(?![-\u2022*] )\W*(?:"
    r"\d+\s+(?:comments?|responses?|replies)\s*[^\w\s].{0,40}$"
    r"|\d+\s+(?:comments?|responses?|replies|thoughts|reactions?)"
    r"(?:\s+(?:to|on)\s+[\"\u201c\u2018\u201e\u00ab'].*)?:?$"
    r"|(?:leave|post|add|write)\s+(?:a|your)\s+(?:reply|comment|response)\b.{0,40}$"
    r"|(?:comments|reader comments)(?:\s*\(\d+\))?:?$|comments?\s*\(\d+\):?$"
    r"|(?:show|view|read|load)\s+(?:all\s+)?(?:\d+\s+)?comments?$"
    r"|(?:\d+\s+)?(?:kommentare|commentaires|comentarios|commenti|kommentit|reacties)"
    r"(?:\s*\(\d+\))?:?$"
    r"|(?:schreibe einen kommentar|deja un comentario|laisser un commentaire"
    r"|lascia un commento|kommentoi)\b)", re.IGNORECASE)
#: Longer lines are prose, not a comment section's heading.
_MAX_HEADING_CHARS = 120


def comment_section_headings(texts: list[str]) -> np.ndarray:
    """Whether each text is a comment section's heading, as a whole line
    (``_COMMENT_SECTION_HEADING``; case-insensitive, leading and trailing
    whitespace ignored)."""
    found = [i for i, text in enumerate(texts)
             if len(text) <= _MAX_HEADING_CHARS
             and _COMMENT_SECTION_HEADING.match(text.strip()) is not None]
    marks = np.zeros(len(texts), dtype=bool)
    marks[found] = True
    return marks


# The furniture of a comment thread: "Jane says:", "Reply", "July 3, 2012 at
# 4:15 pm", "12 likes". One such line is weak evidence; a page region dense
# with them is a comment thread, whose prose is not the article.
_COMMENT_META_PARTS = (
    r"\b(?:says|said|wrote|writes)\s*:?\s*$",
    r"^\W*(?:reply|replydelete|report(?: abuse)?|permalink|flag|quote|like|delete|edit"
    r"|\d+\s+(?:likes?|points?|votes?|replies|repl(?:y|ies)))\W*$",
    r"\bat\s+\d{1,2}:\d{2}\s*(?:am|pm)?\b",
)
# The parts one at a time, not as one alternation (a match of the
# alternation is a match of one part): the anchored part is only tried at
# the start, the timestamp only on lines with a colon; a third cheaper.
_SAYS, _META_WORD, _POSTED_AT = (re.compile(part, re.IGNORECASE) for part in _COMMENT_META_PARTS)


def is_comment_meta(text: str) -> bool:
    """Whether one of ``_COMMENT_META_PARTS`` (case-insensitive) finds
    comment-thread furniture in the line: ``re.search`` of their
    alternation."""
    return (_META_WORD.match(text) is not None
            or (":" in text and _POSTED_AT.search(text) is not None)
            or _SAYS.search(text) is not None)


def comment_meta_lines(texts: list[str], lines: np.ndarray, counts: dict) -> np.ndarray:
    """For each text, whether it is one of ``lines`` (indices) and
    ``is_comment_meta``, given the texts' ``character_counts`` (``words``,
    ``first_word_marks``, ``digit_mark_digit``, ``ends_with_says``): each
    part runs only on the lines an exact, cheaper test cannot rule out. The
    line ``_META_WORD`` matches is that word (or "report abuse", or a
    number and a word) between non-word characters: two words at most, the
    first one of its words or a number. What ``_POSTED_AT`` finds holds a
    decimal digit, ":" and a digit. What ``_SAYS`` finds ends the line, but for
    whitespace and one colon (``ends_with_says``: ``_may_end_with_says``)."""
    marks = np.zeros(len(texts), dtype=bool)
    for test, may_match in (
            (_META_WORD.match, lines[(counts["words"][lines] <= 2)
                                     & ((counts["first_word_marks"][lines]
                                         & _MAY_BE_META_WORD) != 0)].tolist()),
            (_POSTED_AT.search, lines[counts["digit_mark_digit"][lines] > 0].tolist()),
            (_SAYS.search, lines[counts["ends_with_says"][lines] > 0].tolist())):
        found = [i for i in may_match if test(texts[i]) is not None]
        marks[found] = True
    return marks



def _section_marks(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each text, whether it is a comment heading, a links heading, and
    comment-thread furniture (see ``section_marks``)."""
    counts = character_counts(texts, only=("words", "digit_mark_digit", "first_word_marks",
                                            "ends_with_says"))
    n_words = counts["words"]
    # The patterns run on the short lines only (lines of 6 words or
    # fewer for headings, 10 for comment furniture), most lines not.
    comment = np.zeros(len(texts), dtype=bool)
    links = np.zeros(len(texts), dtype=bool)
    # (Each pattern only where the first word can open its heading.)
    first_word = counts["first_word_marks"]
    for marks, test, first_word_marks in (
            (comment, _COMMENT_HEADING.match, _OPENS_COMMENT_HEADING),
            (links, _LINKS_HEADING.match, _OPENS_LINKS_HEADING)):
        may_match = np.flatnonzero((n_words <= 6) & ((first_word & first_word_marks) > 0))
        marks[[i for i in may_match.tolist() if test(texts[i])]] = True
    meta = comment_meta_lines(texts, np.flatnonzero(n_words <= 10), counts)
    for marks in (comment, links, meta):
        marks.flags.writeable = False  # shared by the callers: none may change them
    return comment, links, meta


#: Whether each line is a comment heading ("12 Comments", "Leave a reply"),
#: a links heading ("Related", "Most popular") or comment-thread furniture
#: ("Jane says:", "Reply", "July 3, 2012 at 4:15 pm"): three read-only bool
#: arrays. SectionMarkers and the comment-aware MainTextRun read the same
#: lines in a pass: the last texts' marks are given again.
section_marks = LastTextsMemo(_section_marks)


class SectionMarkers(StatelessTransformer):
    """Distance to the nearest comment-section or link-list heading above,
    and how dense comment-thread furniture is around the line.

    A heading is a short line (≤ 6 words) like "12 Comments", "Leave a
    reply", "Related", "Most popular". The feature is log(1 + lines since
    the heading), and 0 with the "seen" indicator off when there is none.
    """

    feature_names_ = ["is_comment_heading", "after_comment_heading", "lines_since_comment_heading",
                      "is_links_heading", "after_links_heading", "lines_since_links_heading",
                      "is_comment_meta", "comment_meta_density", "log_comment_meta_above"]

    def transform(self, X):
        texts = X["text"].tolist()
        comment, links, meta = section_marks(texts)
        meta = meta.astype(np.float32)
        bounds = page_bounds(X["page"])
        out = np.zeros((len(texts), len(self.feature_names_)), dtype=np.float32)
        out[:, 6] = meta
        out[:, 7] = neighbour_window(meta[:, None], bounds, offsets=(), window_sizes=(11,))[:, 0]
        for start, stop in zip(bounds[:-1], bounds[1:]):
            out[start:stop, 8] = np.log1p(np.cumsum(meta[start:stop]) - meta[start:stop])
        page_start = bounds[:-1][page_index(bounds)]
        position = np.arange(len(texts))
        for column, marks in ((0, comment), (3, links)):
            out[:, column] = marks
            # The last heading strictly above each line, if it is on the line's page.
            last_at_or_above = np.maximum.accumulate(np.where(marks, position, -1))
            above = np.concatenate([[-1], last_at_or_above[:-1]])
            seen = above >= page_start
            out[:, column + 1] = seen
            out[seen, column + 2] = np.log1p(position[seen] - above[seen])
        return out
