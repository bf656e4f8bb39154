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
  agency names, "Tweet" – are ``boilerplate``.

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
# ...that have at most this many words are bylines, not article text.
NAME_MAX_WORDS = 4


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


def label_lines(lines: list[str], gold_text: str) -> list[str]:
    """Return one label per line, aligning against ``gold_text``."""
    gold = GoldText(gold_text)
    labels = [gold.label(line) for line in lines]
    return _header_names_are_chrome(lines, labels)


def _header_names_are_chrome(lines, labels):
    """Between the headline and the article, short lines are metadata.

    Gold texts keep author names ("Laura Beck"), agency names ("The Canadian
    Press") and the odd "Tweet" between headline and article; by our
    convention those are bylines, i.e. chrome. Before the first body line
    of ``ARTICLE_START_WORDS`` words, every body line after the first (the
    headline) with at most ``NAME_MAX_WORDS`` words becomes boilerplate.
    """
    labels = list(labels)
    seen_headline = False
    for i, (line, label) in enumerate(zip(lines, labels)):
        if label != BODY:
            continue
        n_words = len(words(line))
        if n_words >= ARTICLE_START_WORDS:
            break
        if seen_headline and n_words <= NAME_MAX_WORDS:
            labels[i] = BOILERPLATE
        seen_headline = True
    return labels
