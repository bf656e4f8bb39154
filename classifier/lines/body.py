"""Which lines of a page are its body, from the lines' P(body).

A line is body when its score reaches the line model's threshold, with
six page-level steps. First, a list is one unit: a run of list items
(lines starting ``"- "``, ``"* "`` or a bullet) is all body or all
boilerplate, by whether its mean score reaches the threshold. A tag list
under an article, whose one item naming the story's subject scores just
over the threshold, goes whole to boilerplate; an ingredient list whose
one short item scores low stays whole in the article.

Next, a page whose lines at the threshold hold almost no words. There
the model found the page's content unlike the articles it learnt from
(a roster or a statistics table, a page of short items, a one-sentence
page), yet it still ranks that content above the page's chrome. The
lines scoring at least ``relative`` times the page's best score (and at
least ``floor``) are then its body, so that such a page comes back with
its best lines instead of empty.

Then, on every page: a line the model doubted between two body lines (a
subheading, a caption, a short line of a list inside the article) is
body too, unless it scores under ``floor``: an article is one run of
lines, and a single line inside it is more often article than chrome.

On a page of two or three lines (a headline and its lead, pasted
alone), a first line scoring at least ``floor`` right above a body line
is its headline, hence body: the models learnt headlines on pages whose
first lines are a site's chrome, and score a short headline near the
threshold. (On every page, the same step lowered the held-out macro
mean of the text model: a page's first line is mostly its <title>.)

From HTML, a page's lines also have their DOM container (same ancestors,
same class and id words: :func:`classifier.lines.dom.container_ids`). A
line scoring at least ``floor`` in a container whose words are at least
``container_share`` body is body too: an article's paragraphs share one
container, and the model doubts some of them (a paragraph between two
"Advertisement" blocks, a short one, a table's cells), while the peers
that read the page by its containers keep them.

And the body ends where the page's comment section begins: a comment
section's heading ("12 Comments", "Leave a Reply", "34 Responses to
“…”"; :func:`classifier.lines.sections.comment_section_headings`) with at
least ``comments_after`` of the page's body words above it, or at least
``comments_after_words`` of them, makes it and every line after it
boilerplate. Reader comments are prose, and without markup the text model
scores a long thread like the article above it; a count of comments under
the headline, with the article still to come, ends nothing, and a thread
ten times as long as the article cannot keep it from ending at its
heading.

Chosen on leave-one-corpus-out line scores (``make eval-generalisation``
keeps them in ``.cache/<report>-line-scores.parquet``): on 2026-12-06,
with the models of that day, at least 10 words, 0.3 of the best score and
a floor of 0.1 raised the macro page F1 of both line models by ~0.004, no
corpus losing; 60 words instead of 10 added 0.0006-0.0023 for each model on
the scores of two sets of models (2026-12-07, gold repaired), no corpus
losing more than 0.0003 (120 words cost L3S-GN1 and Dragnet): a short
article whose body the model doubts in part keeps the lines near its best
score. A page whose best line scores under the floor (a page of menus and
buttons) still comes back without a body. Filling one-line gaps
raised it by another 0.002-0.003 for both models, on the scores of two
sets of models (2026-12-07); gaps of two or three lines gained as much on
four corpora but cost L3S-GN1 more. Voting runs of four or more list
items added 0.0016 (HTML model, no corpus losing) and 0.0003 (text
model) on the scores of 2026-12-07; runs of two or three gained as much
for the HTML model and nothing for the text model, a majority vote of the
items instead of their mean score less, and voting only runs of short
items (tags, links) less again. Ending the body at a comment section's
heading with 0.2 of its words above it added 0.0047 (text model:
Dragnet +0.018, CleanEval -0.0008, whose gold keeps comments) and 0.0007
(HTML model), on the same scores; alone, 0.2 gained most for both
models (0.1 and 0.3 a little less, 0.5 about half as much for the text
model). The heading pattern was narrowed on those scores' errors (no
bare "Comment" or "Discussion", section names of articles). Ending it also
at a heading with 200 body words above it, whatever their share, and
reading a heading behind punctuation ("{ 69 comments… read them below or
add one }", not a list item) added 0.0016 (text model, Dragnet +0.008)
and 0.0003 (HTML model) on the scores of 2026-12-07 08:10, no corpus
losing more than 0.0003 (CleanEval, whose gold keeps comments); 100 words
gained as much, 400 less. Joining a container's lines when 0.4 of its
words are body (floor 0.1) added 0.0055 (HTML model: Readability's pages
+0.012, Google-Trends +0.009, CleanEval +0.006, Dragnet +0.004, L3S-GN1
-0.003) on the scores of 2026-12-07 08:10, and 0.005 on an earlier set of
models' scores; a share of 0.3 gained as much and cost L3S-GN1 more, 0.5
and a floor of 0.2 less; pushing down the lines of containers mostly
boilerplate lost 0.002-0.005.
"""

from __future__ import annotations

import numpy as np

from .sections import comment_section_headings
from .statistics import line_word_counts

#: A page whose body lines hold fewer words gets the relative threshold.
MIN_BODY_WORDS = 60
#: ... under which its lines scoring this share of its best score are body,
RELATIVE_SCORE = 0.3
#: ... if they score at least this.
SCORE_FLOOR = 0.1
#: A run of at least this many list items is all body or all boilerplate
#: by its mean score (0: no such step).
MIN_LIST_RUN = 4
#: How a list item's line starts (``"- "`` is how the HTML reader writes them).
LIST_MARKERS = ("- ", "\u2022 ", "* ")
#: On a page of at most this many lines (a headline and a lead, pasted
#: alone), a first line right above a body line is its headline.
SHORT_PAGE_LINES = 3
#: A comment section's heading ends the body when at least this share of
#: the page's body words came before it (None: no such step).
COMMENTS_AFTER_SHARE = 0.2
#: ... or at least this many of its body words, whatever their share (None:
#: the share alone).
COMMENTS_AFTER_WORDS = 200
#: A line in a DOM container whose words are at least this share body is
#: body too, if it scores ``floor`` (None: no such step).
CONTAINER_SHARE = 0.4


def body_mask(scores, bounds, texts, threshold: float = 0.5,
              min_body_words: int = MIN_BODY_WORDS, relative: float = RELATIVE_SCORE,
              floor: float = SCORE_FLOOR, fill_gaps: bool = True,
              list_runs: int = MIN_LIST_RUN, headline_lines: int = SHORT_PAGE_LINES,
              comments_after: float | None = COMMENTS_AFTER_SHARE,
              comments_after_words: int | None = COMMENTS_AFTER_WORDS,
              containers=None,
              container_share: float | None = CONTAINER_SHARE) -> np.ndarray:
    """Whether each line is body (see the module's docstring).

    ``scores``: P(body) per line, pages one after another; ``bounds``: page
    ``i``'s lines are ``bounds[i]:bounds[i + 1]``; ``texts``: the lines;
    ``containers``: from HTML, each line's DOM container as a non-negative
    integer, never shared by two pages (:func:`classifier.lines.dom.container_ids`;
    None from text).
    ``min_body_words=0``, ``fill_gaps=False``, ``list_runs=0``,
    ``headline_lines=0`` and ``comments_after=None``: the threshold alone.
    """
    scores = np.asarray(scores, dtype=np.float64)
    bounds = np.asarray(bounds, dtype=np.int64)
    texts = texts if isinstance(texts, list) else list(texts)  # (a Series, a tuple)
    is_body = scores >= threshold
    if len(scores) and list_runs:
        _vote_list_runs(is_body, scores, bounds, texts, threshold, list_runs)
    if len(scores) and min_body_words:
        _relative_cut(is_body, scores, bounds, texts, threshold, min_body_words, relative,
                      floor)
    if len(scores) and fill_gaps:
        _fill_one_line_gaps(is_body, scores, bounds, floor)
    if len(scores) and headline_lines:
        _headline_of_short_page(is_body, scores, bounds, floor, headline_lines)
    if len(scores) and containers is not None and container_share is not None:
        _join_containers(is_body, scores, texts, containers, container_share, floor)
    if len(scores) and comments_after is not None:
        _end_at_comments(is_body, bounds, texts, comments_after, comments_after_words)
    return is_body


def _body_line_words(is_body, texts) -> np.ndarray:
    """Each body line's word count, 0 for the other lines. Only the body
    lines are counted: on predict()'s path most lines of a page are chrome,
    and only the body's words decide."""
    words = np.zeros(len(texts), dtype=np.int64)
    body_rows = np.flatnonzero(is_body)
    words[body_rows] = line_word_counts([texts[row] for row in body_rows])
    return words


def _relative_cut(is_body, scores, bounds, texts, threshold, min_body_words, relative,
                  floor) -> None:
    """The pages with under ``min_body_words`` body words take their lines
    scoring ``relative`` of their best (and ``floor``) as body, in place."""
    words = _body_line_words(is_body, texts)
    starts, stops = bounds[:-1], bounds[1:]
    filled = stops > starts
    body_words = np.add.reduceat(words, starts[filled])
    for start, stop in zip(starts[filled][body_words < min_body_words],
                           stops[filled][body_words < min_body_words]):
        page = scores[start:stop]
        # (Never above the threshold: the lines that reach it stay body.)
        cut = min(max(floor, relative * page.max()), threshold)
        is_body[start:stop] = page >= cut


def _fill_one_line_gaps(is_body, scores, bounds, floor) -> None:
    """A line scoring ``floor`` or more between two body lines of its page
    becomes body, in place."""
    inner = np.ones(len(scores), dtype=bool)  # has a line before and after on its page
    starts, stops = bounds[:-1], bounds[1:]
    filled = stops > starts
    inner[starts[filled]] = False
    inner[stops[filled] - 1] = False
    before = np.r_[False, is_body[:-1]]
    after = np.r_[is_body[1:], False]
    is_body |= inner & before & after & (scores >= floor)


def _vote_list_runs(is_body, scores, bounds, texts, threshold, min_run) -> None:
    """Each run of ``min_run`` or more list items in a row on one page
    becomes body if its mean score reaches ``threshold``, else boilerplate,
    in place."""
    is_item = np.fromiter((text.startswith(LIST_MARKERS) for text in texts), dtype=bool,
                          count=len(texts))
    # A run starts at an item that follows a non-item or opens a page;
    # numbering the runs 1, 2, ... (0: not an item) gives each run's length
    # and mean score in one pass, however long the page.
    page_start = np.zeros(len(scores), dtype=bool)
    page_start[bounds[:-1][bounds[:-1] < len(scores)]] = True
    run_start = is_item & (page_start | ~np.r_[False, is_item[:-1]])
    run = np.where(is_item, np.cumsum(run_start), 0)
    lengths = np.bincount(run)
    means = np.bincount(run, weights=scores) / np.maximum(lengths, 1)
    voted = is_item & (lengths[run] >= min_run)
    is_body[voted] = means[run[voted]] >= threshold


def _headline_of_short_page(is_body, scores, bounds, floor, max_lines) -> None:
    """On each page of 2 to ``max_lines`` lines, a first line scoring
    ``floor`` or more right above a body line becomes body, in place."""
    starts, stops = bounds[:-1], bounds[1:]
    first = starts[(stops - starts >= 2) & (stops - starts <= max_lines)]
    headline = ~is_body[first] & is_body[first + 1] & (scores[first] >= floor)
    is_body[first[headline]] = True


def _join_containers(is_body, scores, texts, containers, share, floor) -> None:
    """Each line scoring ``floor`` or more in a container whose words are at
    least ``share`` body becomes body, in place."""
    containers = np.asarray(containers, dtype=np.int64)
    if containers.shape != is_body.shape:
        raise ValueError(f"{len(containers)} containers for {len(is_body)} lines")
    words = line_word_counts(texts)
    body_words = np.bincount(containers, weights=words * is_body)
    all_words = np.bincount(containers, weights=words)
    body_share = body_words / np.maximum(all_words, 1)
    is_body |= (body_share[containers] >= share) & (scores >= floor)


def _end_at_comments(is_body, bounds, texts, share, min_words) -> None:
    """On each page, the lines from the first comment section heading that
    has at least ``share`` of the page's body words above it (its own
    included), or at least ``min_words`` of them, on become boilerplate, in
    place."""
    headings = np.flatnonzero(comment_section_headings(texts))
    if not len(headings):
        return
    words = _body_line_words(is_body, texts)
    # Body words up to each line, counted from its page's start.
    upto = np.r_[0, np.cumsum(words)]
    pages = np.searchsorted(bounds, headings, side="right") - 1
    starts, stops = bounds[pages], bounds[pages + 1]
    before = upto[headings + 1] - upto[starts]
    total = upto[stops] - upto[starts]
    ends = (total > 0) & (before >= share * total)
    if min_words is not None:
        # (A long thread would otherwise outweigh the article above it.)
        ends |= (total > 0) & (before >= min_words)
    # (Headings are in page order: np.unique's first index is the page's first.)
    _, first = np.unique(pages[ends], return_index=True)
    for heading, stop in zip(headings[ends][first].tolist(), stops[ends][first].tolist()):
        is_body[heading:stop] = False
