"""Label page lines as body/boilerplate by aligning them with gold main text.

The gold text of the benchmark sets is not a verbatim copy of the HTML
(whitespace, entities, quotes, line wrapping and annotator slips differ), so
lines are matched on word tokens, never on strings:

* a line of **3 or more words** is ``body`` when at least
  ``LONG_LINE_COVERAGE`` (50 %) of its word trigrams occur in the gold text;
  trigrams rather than single words, because function words occur
  everywhere, and half rather than all, because gold and page often split
  and punctuate a paragraph differently;
* a line of **1 or 2 words** ("Introduction", "July 24, 2012") cannot be
  judged by n-grams: it is ``body`` when its words form a whole gold line,
  or make up most of a short gold line (``len(gold) <= 2 * len(line) + 1``),
  as with a heading the annotator extended by a word;
* a line with no words at all ("|", "- ", "»") is ``boilerplate``;
* a **date or byline line** ("Date: 2025-04-06 01:26", "By Jane Doe",
  "Posted on July 24, 2012") is ``boilerplate`` even when the gold text has
  it. Dragnet's annotators kept dates and bylines shown with the headline,
  CleanEval's mostly did not; our product's body is the headline and the
  article text, with page metadata left to the chrome, so the labels follow
  one convention. Such lines are a few words per page, so the page text
  scores against the gold barely move;
* for the same reason, short lines (≤ 4 words) between the headline (the
  first body line) and the article's first long paragraph – author and
  agency names, "Tweet" – are ``boilerplate``, when there are at most three
  of them: more are a list or a table (ingredients, a roster, a fact box)
  that the gold keeps, and a page with no long paragraph has no byline
  area at all;
* a line the caller knows to be chrome (the page ``<title>``) is
  ``boilerplate``, and is never the headline of the rule above.

The rule errs towards the gold annotators' choices; a headline repeated in a
"related articles" list will also be labelled body, which is rare and is
part of the label noise reported in docs/benchmarks.md.
"""

from __future__ import annotations

import re

from classifier.text import words

BODY, BOILERPLATE = "body", "boilerplate"
LONG_LINE_COVERAGE = 0.5


_DATE_OR_TIME = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b"
    r"|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b"
    r"|\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b|\b\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}\b"
    r"|\b\d{1,2}:\d{2}\b", re.IGNORECASE)
_BYLINE = re.compile(r"^\W*(?:by|posted by|written by|author|reported by)\b[:\s]", re.IGNORECASE)
METADATA_MAX_WORDS = 10
# Lines between the headline and the first paragraph of this many words...
ARTICLE_START_WORDS = 20
# ...that have at most this many words are bylines, not article text...
NAME_MAX_WORDS = 4
# ...when there are at most this many of them. Before 2026-12-07 every such
# line was, which labelled the cells of a table and the items of a list
# boilerplate on pages without a long paragraph (a roster, a recipe's
# ingredients) against their gold: the labels' own page text F1 (the best
# a perfect line model can reach) rose from 0.954 to 0.969 macro over the
# five corpora with the limit, Google-Trends 0.924 -> 0.956, Readability's
# 0.959 -> 0.991 (2, 3 or 5 names: within 0.0002 of each other; the
# leave-one-corpus-out report prints the labels' score per corpus).
NAME_MAX_LINES = 3


def is_metadata(line: str) -> bool:
    """A short date/time or byline line: page metadata, not article text."""
    if len(words(line)) > METADATA_MAX_WORDS:
        return False
    return bool(_DATE_OR_TIME.search(line) or _BYLINE.match(line))


def _ngrams(tokens, size):
    return {tuple(tokens[i:i + size]) for i in range(len(tokens) - size + 1)}


class GoldText:
    """Pre-computed token views of one page's gold text."""

    def __init__(self, gold_text: str):
        self.lines = [tuple(words(line)) for line in gold_text.splitlines()]
        self.lines = [line for line in self.lines if line]
        # Trigrams may span gold line breaks: annotators often split paragraphs
        # where the page did not.
        all_tokens = [token for line in self.lines for token in line]
        self.trigrams = _ngrams(all_tokens, 3)
        self.whole_lines = set(self.lines)
        self.short_lines = [line for line in self.lines if len(line) <= 5]

    def label(self, line: str) -> str:
        tokens = words(line)
        if not tokens or is_metadata(line):
            return BOILERPLATE
        if len(tokens) >= 3:
            grams = [tuple(tokens[i:i + 3]) for i in range(len(tokens) - 2)]
            covered = sum(gram in self.trigrams for gram in grams)
            return BODY if covered >= LONG_LINE_COVERAGE * len(grams) else BOILERPLATE
        key = tuple(tokens)
        if key in self.whole_lines:
            return BODY
        for gold in self.short_lines:
            if len(gold) <= 2 * len(key) + 1 and _contains(gold, key):
                return BODY
        return BOILERPLATE


def _contains(sequence, part) -> bool:
    size = len(part)
    return any(tuple(sequence[i:i + size]) == part for i in range(len(sequence) - size + 1))


def label_lines(lines: list[str], gold_text: str, chrome=None) -> list[str]:
    """Return one label per line, aligning against ``gold_text``.

    ``chrome``: optional, one bool per line, True for lines that are
    boilerplate whatever the gold says (the page ``<title>``, which repeats
    the headline)."""
    gold = GoldText(gold_text)
    chrome = [False] * len(lines) if chrome is None else list(chrome)
    if len(chrome) != len(lines):
        raise ValueError(f"chrome has {len(chrome)} values for {len(lines)} lines")
    labels = [BOILERPLATE if is_chrome else gold.label(line)
              for line, is_chrome in zip(lines, chrome)]
    return _header_names_are_chrome(lines, labels)


def _header_names_are_chrome(lines, labels):
    """Between the headline and the article, a few short lines are bylines.

    Gold texts keep author names ("Laura Beck"), agency names ("The Canadian
    Press") and the odd "Tweet" between headline and article; by our
    convention those are bylines, i.e. chrome. Between the first body line
    (the headline) and the first body line of ``ARTICLE_START_WORDS``
    words, the body lines of at most ``NAME_MAX_WORDS`` words become
    boilerplate if there are at most ``NAME_MAX_LINES`` of them. With no
    such article line, or more short lines, the labels stay as the gold
    has them: those are a list or a table, not a byline.
    """
    labels = list(labels)
    body_lines = [i for i, label in enumerate(labels) if label == BODY]
    if not body_lines or len(words(lines[body_lines[0]])) >= ARTICLE_START_WORDS:
        return labels  # the page opens with its article: no headline above it
    names = []
    for i in body_lines[1:]:
        n_words = len(words(lines[i]))
        if n_words >= ARTICLE_START_WORDS:
            break
        if n_words <= NAME_MAX_WORDS:
            names.append(i)
    else:
        return labels  # no article paragraph: no byline area
    if len(names) <= NAME_MAX_LINES:
        for i in names:
            labels[i] = BOILERPLATE
    return labels
