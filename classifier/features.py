"""Line features: scikit-learn transformers, one job each.

Every transformer here takes a *line table*: a :class:`pandas.DataFrame` with
one row per non-blank line, columns ``text`` (the line) and ``page`` (any
hashable page key), the lines of a page contiguous and in reading order.
A line cannot be judged alone ("Here's what you need to know." is a sentence
in an article and a teaser in a list of links), so most features here look
at the line's page: its position, its neighbours, and the page's main run of
long text.

* :class:`LineShape` – what the line itself looks like (length, punctuation,
  capitals, digits, bullets, dates, sentence ending, …).
* :class:`PagePosition` – where the line sits in its page.
* :class:`MainTextRun` – where the line sits relative to the page's densest
  run of long lines (computed from word counts, or from any score column).
* :class:`SectionMarkers` – whether a comments or related-links heading
  came before the line, and how far above.
* :class:`TitleOverlap` – how much of the line repeats the page's first
  lines (a headline repeats the title).
* :class:`NeighbourWindow` – the values of given features on the lines
  before and after, and their means over wider windows.
* :func:`line_text_vectorizer` – hashed TF-IDF of the line's words.
"""

from __future__ import annotations

import math
import operator
import re
import string
from collections import Counter

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline

from .words import (WORD_RUN, HashedWords, LastTextsMemo, hashing_transform, lowered,
                    token_ids)

try:
    from . import _lines
except ImportError:  # built without a C compiler: numpy and Python count
    _lines = None

#: Whether the compiled line statistics are available.
COMPILED = _lines is not None

# Function words: running prose is full of them; menus, tags and headlines
# are not. About 150 of the most frequent English ones, and the most
# frequent ones of other languages of the web written in Latin letters
# (German, Spanish, French, Italian, Portuguese, Dutch, Finnish, the
# Scandinavian languages, Polish) that are plain ASCII: the compiled line
# statistics compare ASCII words only (a word such as "für" is left out).
# Kept short on purpose: it measures "is this a sentence", not topic or
# language. Pages in other scripts are covered by PageCommonWords, which
# learns each page's own function words.
_ENGLISH_FUNCTION_WORDS = """
a about above after again against all also am an and any are as at be because
been before being below between both but by can could did do does doing down
during each few for from further had has have having he her here hers herself
him himself his how i if in into is it its itself just me more most my myself
no nor not now of off on once only or other our ours ourselves out over own
said same she should so some such than that the their theirs them themselves
then there these they this those through to too under until up very was we
were what when where which while who whom why will with would you your yours
yourself yourselves one two would could may might must shall its it's that's
"""
_OTHER_FUNCTION_WORDS = """
der die das den dem des ein eine einer eines einem einen und oder aber nicht ist
sind war waren wird werden wurde hat haben hatte sich mit von zu zum zur auf aus
bei nach vor wie als auch noch nur schon sie er es wir ihr ich du sein seine
ihre ihren dass wenn weil denn doch im ins am um man kann muss soll diese
dieser dieses wo was wer
el la los las un una unos unas y o pero de del al en con por para que se es
son fue era ha han su sus lo le les como mas este esta estos estas ese esa muy
ya cuando donde porque sobre entre sin hasta desde tambien
et ou mais sont etait ont dans par sur avec ce cette ces il elle ils elles nous
vous je ne pas plus qui dont sa son ses leur leurs au aux comme tout tous
lo gli di da tra fra e che si sono nel nella della delle dei alla anche questo
questa
os um em na nos nas do dos das ou nao seu sua foi ser tem muito
het een van op te voor werd wordt heeft hebben dat dit deze er aan bij naar om
uit dan wel nog
ja ei se oli kun mutta tai niin ovat joka jotka sen ne jo vain kuin voi nyt ole
jos eli olla koska kanssa mukaan sitten kaikki jossa jonka vaan jotta
och att det som ett med till inte om var jag han hon vi men eller og at er et
af for ikke jeg
w na z nie jest to jak ale po od za
"""
_FUNCTION_WORDS = frozenset((_ENGLISH_FUNCTION_WORDS + _OTHER_FUNCTION_WORDS).split())

# A line ends a sentence when it ends with one of these, then any closing
# marks: Latin, CJK (ideographic full stop, full-width ! and ?), Arabic (?)
# and Devanagari (danda) punctuation.
_SENTENCE_ENDERS = ".!?…\u3002\uff01\uff1f\u061f\u0964"
_SENTENCE_CLOSERS = "\"'”’)]»\u300d\u300f\uff09"
_SENTENCE_BREAK = re.compile(rf"""[{re.escape(_SENTENCE_ENDERS)}][{re.escape(_SENTENCE_CLOSERS)}]*"""
                             r"""\s+[A-Z"“‘(]""")
_BULLET = re.compile(r"^\s*(?:[-–—•·*▪►»>]|\d{1,2}[.)])\s")
_SEPARATOR = re.compile(r"\s[|>»/·•]\s|\s?[|»›]\s?")
# A date, by a month name or by numbers. A line statistic ("date"): the
# compiled statistics find what it finds without running it.
_DATE = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b"
    r"|\b\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b"
    r"|\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b\d{1,2}:\d{2}\b",
    re.IGNORECASE)
_LEGAL_PHRASES = ("©", "(c)", "copyright", "all rights reserved", "privacy policy", "terms of")
# A match of _URL holds "://", "@", or "www." or ".com" in any case (no
# character case-folds to w, c, o or m but their own capitals). All four
# are looked for in the lower-cased line: ":", "/" and "@" are only ever
# their own lower case, so "://" and "@" are found there exactly where
# they are in the line.
_URL_NEEDLES = ("://", "@", "www.", ".com")
# Their bits in what needles_found gives for _LEGAL_PHRASES + _URL_NEEDLES.
_LEGAL_MARKS = (1 << len(_LEGAL_PHRASES)) - 1
_URL_MARKS = ((1 << len(_URL_NEEDLES)) - 1) << len(_LEGAL_PHRASES)
# Every _SEPARATOR match holds one of these (_lines.c looks for one only
# at these characters).
_SEPARATOR_CHARS = "|>»/·•›"
_URL = re.compile(r"https?://|www\.|\.com\b|@\w+\.", re.IGNORECASE)
_LABEL_PREFIX = re.compile(r"^\s*[\w ]{1,20}:\s*\S")
_QUOTE_CHARS = "\"“”«»„「」"
_NUMBER_IN_PARENS = re.compile(r"\(\d+\)\s*$")


def page_bounds(pages) -> np.ndarray:
    """Start offsets of each page's run of lines, plus the total, e.g. [0, 5, 9].

    Lines of a page must be contiguous; a page key that reappears after
    another page is an error because neighbour features would cross pages.
    """
    if isinstance(pages, _Column):
        return pages.page_bounds()
    return _page_bounds(pages)


def _page_bounds(pages) -> np.ndarray:
    # Called by every feature on every pass: no new Series and a set, not
    # pandas' unique, whose fixed costs (~20 us a call) added ~0.15 ms to
    # every predict().
    keys = (pages.to_numpy() if isinstance(pages, (pd.Series, _Column))
            else pd.Series(pages).to_numpy())
    if len(keys) == 0:
        return np.array([0])
    change = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    starts = np.concatenate([[0], change])
    if len(set(keys[starts].tolist())) != len(starts):
        raise ValueError("the lines of each page must be contiguous in the line table")
    return np.concatenate([starts, [len(keys)]])


def line_table(columns: dict) -> pd.DataFrame:
    """A line table from its columns (name -> one value per line), the text
    columns (``text``, and the DOM line table's ``tag``, ``path`` and
    ``attributes``) kept as the Python strings given (object dtype).

    pandas 3 would copy strings into Arrow buffers, and then every
    transformer that reads ``X["text"].tolist()`` builds a new Python
    string per line again, while Arrow's allocator holds on to the memory
    it freed. Kept as given, the same pages score the same, a little
    faster, and a two-worker HTML batch's workers each peaked ~25 MB lower
    (measured 2026-11-26 on 500 shared pages).
    """
    return pd.DataFrame({name: pd.Series(values, dtype=object) if name in _TEXT_COLUMNS
                         else values for name, values in columns.items()})


_TEXT_COLUMNS = frozenset({"text", "tag", "path", "attributes"})


class LineTable:
    """A line table as prediction builds it, read by the package's own
    transformers as they read a DataFrame's columns (``X["text"].tolist()``,
    ``X["page"].to_numpy()``, ``X.columns``, ``len(X)``).

    ``columns`` maps each name to one value per line: the text columns
    lists of ``str``, the others anything ``numpy.asarray`` takes. A
    DataFrame costs ~0.2 ms to build and ~10 us per column read (a pass
    reads ~25, and every feature finds the page bounds again): ~15 % of a
    one-page ``predict()``. Here a column read is a list or array as
    given, and the page bounds are found once. Models with other
    transformers get ``to_frame()`` (``LineModel.body_proba``).
    """

    def __init__(self, columns: dict):
        self._columns = {name: _Column(values if name in _TEXT_COLUMNS else np.asarray(values))
                         for name, values in columns.items()}
        lengths = {len(column.values) for column in self._columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"the columns of a line table differ in length: {sorted(lengths)}")
        self._length = lengths.pop() if lengths else 0

    def __getitem__(self, name: str) -> _Column:
        try:
            return self._columns[name]
        except KeyError:
            raise KeyError(name) from None

    def __len__(self) -> int:
        return self._length

    @property
    def columns(self) -> list:
        return list(self._columns)

    def rows(self, start: int, stop: int) -> LineTable:
        """The lines ``start:stop`` as a table of their own."""
        return LineTable({name: column.values[start:stop]
                          for name, column in self._columns.items()})

    def to_frame(self) -> pd.DataFrame:
        return line_table({name: column.values for name, column in self._columns.items()})


class _Column:
    """One column of a LineTable: its values, read as a Series' are."""

    __slots__ = ("values", "_bounds")

    def __init__(self, values):
        self.values = values
        self._bounds = None

    def tolist(self) -> list:
        return list(self.values) if isinstance(self.values, list) else self.values.tolist()

    def to_numpy(self, dtype=None) -> np.ndarray:
        if isinstance(self.values, list):
            return np.array(self.values, dtype=object if dtype is None else dtype)
        return np.asarray(self.values, dtype=dtype)

    def page_bounds(self) -> np.ndarray:
        """``page_bounds`` of this (page) column, found once (read-only)."""
        if self._bounds is None:
            bounds = _page_bounds(self)
            bounds.flags.writeable = False
            self._bounds = bounds
        return self._bounds


def text_lengths(X, dtype=np.float64) -> np.ndarray:
    """Characters of each line's text (pandas' ``str.len``, without its
    ~70 us of fixed cost per call)."""
    texts = X["text"].tolist()
    return np.fromiter(map(len, texts), dtype=dtype, count=len(texts))


def page_index(bounds: np.ndarray) -> np.ndarray:
    """For each line, the number of its page (0, 1, …) given ``page_bounds``."""
    return np.repeat(np.arange(len(bounds) - 1), np.diff(bounds))


def index_in_page(bounds: np.ndarray) -> np.ndarray:
    """For each line, its position in its page (0, 1, …) given ``page_bounds``."""
    return np.arange(bounds[-1]) - np.repeat(bounds[:-1], np.diff(bounds))


def takes_line_tables(*steps) -> bool:
    """Whether each step (a transformer, or a FeatureUnion or Pipeline of
    them) reads its input only as the package's own line-table transformers
    do, so that a ``LineTable`` can stand for a DataFrame: each part of a
    union, and each pipeline's first step, says so (``takes_line_tables``)."""
    for step in steps:
        if isinstance(step, FeatureUnion):
            parts = [part for _, part in step.transformer_list
                     if not (isinstance(part, str) and part == "drop")]
            if not takes_line_tables(*parts):
                return False
        elif isinstance(step, Pipeline):
            first = [part for _, part in step.steps
                     if not (part is None or (isinstance(part, str) and part == "passthrough"))]
            if not first or not takes_line_tables(first[0]):
                return False
        elif getattr(step, "takes_line_tables", False) is not True:
            return False
    return True


class _StatelessTransformer(TransformerMixin, BaseEstimator):
    """Base for transformers that learn nothing in ``fit``. Those of this
    package read line tables through ``X[name].tolist()``,
    ``.to_numpy()``, ``X.columns`` and ``len(X)`` only."""

    takes_line_tables = True

    def fit(self, X, y=None):
        return self

    def get_feature_names_out(self, input_features=None):
        return np.asarray(self.feature_names_, dtype=object)


class LineShape(_StatelessTransformer):
    """What a line looks like on its own: length, punctuation, casing, shapes."""

    feature_names_ = [
        "log_chars", "log_words", "mean_word_length", "upper_ratio",
        "capitalised_word_ratio", "digit_ratio", "punctuation_ratio",
        "function_word_ratio", "ends_sentence", "ends_colon", "bullet",
        "separator", "log_sentence_breaks", "comma_per_word", "date", "legal",
        "url", "label_prefix", "quote", "count_in_parens", "repeats_in_page",
    ]

    def transform(self, X):
        raw_texts = X["text"].tolist()
        texts = [text.strip() for text in raw_texts]
        n = len(texts)
        chars = character_counts(texts)
        n_chars = chars["chars"]
        n_words = chars["words"]
        # Ratios are 0 for a line without words / characters / letters.
        per_word = np.maximum(n_words, 1)
        per_char = np.maximum(n_chars, 1)
        punctuation = n_chars - chars["letters"] - chars["digits"] - chars["spaces"]
        out = np.zeros((n, len(self.feature_names_)), dtype=np.float64)
        out[:, 0] = log1p_of_counts(n_chars)
        out[:, 1] = log1p_of_counts(n_words)
        out[:, 2] = chars["word_chars"] / per_word
        # (Some upper-case characters are not letters, e.g. circled Ⓐ.)
        out[:, 3] = np.where(chars["letters"] > 0, chars["uppers"], 0) / np.maximum(
            chars["letters"], 1)
        out[:, 4] = chars["capitalised"] / per_word
        out[:, 5] = chars["digits"] / per_char
        out[:, 6] = punctuation / per_char
        out[:, 7] = chars["function_words"] / per_word
        out[:, 12] = log1p_of_counts(chars["sentence_breaks"])
        out[:, 18] = chars["quotes"] > 0
        out[:, 8] = chars["ends_sentence"]
        out[:, 9] = chars["last_is_colon"]
        out[:, 13] = chars["commas"]
        # Pattern tests: the bullet, separator and date patterns are line
        # statistics (what the patterns find, found in the same pass);
        # the others run only on the lines an exact, cheaper test cannot
        # rule out. A pattern call per line cost most of this step.
        out[:, 10] = chars["bullet"]
        out[:, 11] = chars["separated"]
        out[:, 14] = chars["date"]
        found = needles_found(texts, _LEGAL_PHRASES + _URL_NEEDLES, lower=True)
        out[:, 15] = (found & _LEGAL_MARKS) != 0
        may_hold_url = (found & _URL_MARKS) != 0
        candidates = (
            (16, _URL.search, may_hold_url),
            # "Label: value": the colon comes within the first 21 characters.
            (17, _LABEL_PREFIX.match, chars["colon_near_start"] > 0),
            (19, _NUMBER_IN_PARENS.search, chars["last_is_paren"] > 0),
        )
        for column, test, may_match in candidates:
            out[[i for i in np.flatnonzero(may_match).tolist() if test(texts[i]) is not None],
                column] = 1.0
        out[:, 13] = np.where(n_words > 0, out[:, 13], 0.0) / per_word
        out = out.astype(np.float32)
        # The same line twice in a page (teasers, repeated menus) is chrome.
        out[:, -1] = np.log(page_repeats(raw_texts, page_bounds(X["page"])))
        return out


def page_repeats(texts: list[str], bounds: np.ndarray) -> np.ndarray:
    """For each text, how many texts of its page equal it (itself
    included), as float32. Compiled when it can be (a table per page by
    the strings' own hashes, ~3x the Counters), the same counts; the
    Counter per page below is the definition (a tenth of a pandas
    groupby's time, and no tuple per line as one Counter of (page, text)
    keys would build)."""
    repeats = np.empty(len(texts), dtype=np.float32)
    bounds = np.ascontiguousarray(bounds, dtype=np.int64)
    if _lines is not None:
        _lines.page_repeats(texts, bounds, repeats)
        return repeats
    for start, stop in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        page_texts = texts[start:stop]
        repeats[start:stop] = list(map(Counter(page_texts).__getitem__, page_texts))
    return repeats


#: math.log1p of the counts 0, 1, ... (4,096 values, 32 KB): LineShape's
#: log-counts (characters, words, sentence breaks) are looked up instead of
#: a math.log1p call per line and count (~0.5 us per line); the same
#: function's values, so the same features.
_LOG1P_OF_COUNT = np.array([math.log1p(count) for count in range(4096)])


def log1p_of_counts(counts: np.ndarray) -> np.ndarray:
    """``math.log1p`` of each count (integers ≥ 0), as float64."""
    counts = np.asarray(counts)
    in_table = (counts >= 0) & (counts < len(_LOG1P_OF_COUNT))
    if in_table.all():
        return _LOG1P_OF_COUNT[counts]
    out = np.empty(len(counts))
    out[in_table] = _LOG1P_OF_COUNT[counts[in_table]]
    out[~in_table] = [math.log1p(count) for count in counts[~in_table].tolist()]
    return out


def needles_found(texts: list[str], needles, lower: bool = False) -> np.ndarray:
    """For each text, a uint32 with bit k set when ``needles[k]`` occurs in
    it (in ``text.lower()`` with ``lower``). At most 32 non-empty needles
    without NUL.

    Compiled for needles of characters below U+0100 (one pass per line
    for all needles: the line shape's legal-phrase and URL tests were ten
    ``str.find`` scans of the joined lines and a lower-cased copy of them,
    ~0.8 us per line of shared pages); the code below is the definition."""
    needles = tuple(needles)
    if not 0 < len(needles) <= 32 or not all(needles) or any("\0" in n for n in needles):
        raise ValueError("needles_found takes 1 to 32 non-empty needles without NUL")
    if _lines is not None and all(len(n) <= 64 and max(n) < "\u0100" for n in needles):
        return np.frombuffer(_lines.needles_found(texts, needles, lower), dtype=np.uint32)
    joined, starts = _joined(texts)
    if lower:
        joined, starts = _lowered(joined, starts, texts)
    found = np.zeros(len(texts), dtype=np.uint32)
    for bit, needle in enumerate(needles):
        found[_texts_holding(joined, starts, (needle,))] |= np.uint32(1 << bit)
    return found


def _texts_holding(joined: str, starts: np.ndarray, needles) -> np.ndarray:
    """For each of the texts joined by ``_joined``: whether it holds one of
    ``needles`` (strings without NUL, so that none spans two texts). One
    ``str.find`` scan of the joined text per needle."""
    positions = []
    for needle in needles:
        at = joined.find(needle)
        while at >= 0:
            positions.append(at)
            at = joined.find(needle, at + 1)
    holding = np.zeros(len(starts), dtype=bool)
    holding[np.searchsorted(starts, positions, side="right") - 1] = True
    return holding


# Bit flags of a character. _IS_WORD is what the regex \w matches
# (str.isalnum() or "_", checked for every code point).
_IS_ALPHA, _IS_UPPER, _IS_DIGIT, _IS_WORD, _IS_QUOTE, _IS_SEPARATOR = 1, 2, 4, 8, 16, 32
_BMP_CLASSES = None


def _character_flags(ch: str) -> int:
    return ((_IS_ALPHA if ch.isalpha() else 0) | (_IS_UPPER if ch.isupper() else 0)
            | (_IS_DIGIT if ch.isdigit() else 0)
            | (_IS_WORD if ch.isalnum() or ch == "_" else 0)
            | (_IS_QUOTE if ch in _QUOTE_CHARS else 0)
            | (_IS_SEPARATOR if ch in _SEPARATOR_CHARS else 0))


def _bmp_classes() -> np.ndarray:
    """Bit flags of every code point below 65536, as Python's str methods
    define them; built once, on first use (~15 ms)."""
    global _BMP_CLASSES
    if _BMP_CLASSES is None:
        table = np.zeros(65536, dtype=np.uint8)
        for code in range(65536):
            table[code] = _character_flags(chr(code))
        _BMP_CLASSES = table
    return _BMP_CLASSES


#: What character_counts gives per text, in the order _lines.c writes them:
#: characters, letters, upper-case characters, digits, word characters
#: (\\w), quote and separator marks, words (runs of \\w, as
#: ``re.findall(r"\\w+")`` finds them), words starting with an upper-case
#: character, spaces, commas; 0/1 string tests: ends a sentence (one of
#: _SENTENCE_ENDERS, then any _SENTENCE_CLOSERS), last character ":", last
#: character ")", a bullet at the start (what _BULLET matches), a ":" in the
#: first 22 characters,
#: a decimal digit then "-", "/" or ":" then a decimal digit, a date (what
#: _DATE finds: its regex ran on a line in ten and was ~3 % of the text
#: path); the words that lower-cased are _FUNCTION_WORDS; and marks of
#: the first word: 1 when it is a number (decimal digits), 2 and 4 when it
#: can open a comment or a links heading, 8 when it can be a comment
#: thread's meta word (_FIRST_WORDS); and the
#: matches of _SENTENCE_BREAK (whose scan of the joined texts was ~2 % of
#: the text path's instructions); whether _SEPARATOR finds a separator.
LINE_STATISTICS = ("chars", "letters", "uppers", "digits", "word_chars", "quotes", "separators",
                   "words", "capitalised", "spaces", "commas", "ends_sentence", "last_is_colon",
                   "last_is_paren", "bullet", "colon_near_start", "digit_mark_digit",
                   "date", "function_words", "first_word_marks", "sentence_breaks",
                   "ends_with_says", "separated")
_STRING_TESTS = LINE_STATISTICS[9:]


def character_counts(texts: list[str], only=None) -> dict:
    """The :data:`LINE_STATISTICS` of each text (name -> int64 array); with
    ``only`` (names), just those and ``chars``.

    Compiled (classifier/_lines.c), one pass per text; without it, one
    numpy pass over the code points of all texts and a Python loop per
    string test. (A Python loop over characters, or a regex call per line,
    cost a third of prediction.) Same numbers either way.
    """
    if _lines is not None:
        rows = _compiled_statistics(texts)
        return {name: rows[:, column] for column, name in enumerate(LINE_STATISTICS)
                if only is None or name in only or name == "chars"}
    counts = _numpy_character_counts(texts, only)
    for name in _STRING_TESTS:
        if only is None or name in only:
            counts[name] = np.fromiter(map(_STRING_TEST_OF[name], texts), dtype=np.int64,
                                       count=len(texts))
    return {name: counts[name] for name in LINE_STATISTICS if name in counts}


def _count_lines(texts: list[str]) -> np.ndarray:
    """``line_statistics`` of the texts, one row per text (read-only)."""
    rows = np.frombuffer(_lines.line_statistics(texts, _QUOTE_CHARS, _SEPARATOR_CHARS,
                                                _SENTENCE_ENDERS, _SENTENCE_CLOSERS,
                                                _FUNCTION_WORDS_TEXT, _FIRST_WORDS),
                         dtype=np.int64).reshape(-1, len(LINE_STATISTICS))
    rows.flags.writeable = False  # shared by the callers: none may change it
    return rows


#: Three features of a pass count the same lines (LineShape, and the word
#: counts of SectionMarkers and MainTextRun), each from its own list of the
#: same strings: the last texts' rows are given again.
_compiled_statistics = LastTextsMemo(_count_lines)


# The string tests of LINE_STATISTICS, one text at a time (texts already
# stripped where it matters: LineShape strips them).
_STRING_TEST_OF = {
    "spaces": lambda text: text.count(" "),
    "commas": lambda text: text.count(","),
    "ends_sentence": lambda text: (text.rstrip(_SENTENCE_CLOSERS)[-1:] or "\0") in _SENTENCE_ENDERS,
    "last_is_colon": lambda text: text.endswith(":"),
    "last_is_paren": lambda text: text.endswith(")"),
    "bullet": lambda text: _BULLET.match(text) is not None,
    "colon_near_start": lambda text: ":" in text[:22],
    "digit_mark_digit": lambda text: _DIGIT_MARK_DIGIT.search(text) is not None,
    "date": lambda text: _DATE.search(text) is not None,
    "function_words": lambda text: sum(word.lower() in _FUNCTION_WORDS
                                       for word in WORD_RUN.findall(text)),
    "first_word_marks": lambda text: _first_word_marks(WORD_RUN.search(text)),
    "sentence_breaks": lambda text: len(_SENTENCE_BREAK.findall(text)),
    "ends_with_says": lambda text: _may_end_with_says(text),
    "separated": lambda text: _SEPARATOR.search(text) is not None,
}


def _first_word_marks(first_word) -> int:
    """The ``first_word_marks`` of a text whose first word (a match of
    WORD_RUN) is ``first_word``, or that has none (``None``)."""
    if first_word is None:
        return 0
    word = first_word.group()
    folded = any_case(word)
    return (int(word.isdecimal())
            | sum(2 << number for number, words in enumerate(_FIRST_WORD_SETS)
                  if folded in words))


def any_case(text: str) -> str:
    """``text`` lower-cased as a case-insensitive pattern reads it: where it
    reads an ASCII letter, that letter in lower case (str.lower alone would
    keep U+0131 and U+017F, and make U+0130 two characters; see _lines.c,
    any_case_fold). Other characters as str.lower gives them."""
    return text.translate(_ANY_CASE_FOLD).lower()


_ANY_CASE_FOLD = str.maketrans("\u0130\u0131\u017f\u212a", "iisk")
_DIGIT_MARK_DIGIT = re.compile(r"\d[-/:]\d")
_FUNCTION_WORDS_TEXT = " ".join(sorted(_FUNCTION_WORDS))


def _numpy_character_counts(texts: list[str], only=None) -> dict:
    """character_counts' counts (up to ``capitalised``) in numpy."""
    n = len(texts)
    lengths = np.fromiter((len(text) for text in texts), dtype=np.int64, count=n)
    codes = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    table = _bmp_classes()
    beyond_bmp = np.flatnonzero(codes >= 65536)  # emoji, historic scripts: rare
    flags = table[np.minimum(codes, 65535)]
    for index in beyond_bmp:
        flags[index] = _character_flags(chr(codes[index]))
    ends = np.cumsum(lengths)
    starts = ends - lengths
    word = (flags & _IS_WORD) != 0
    # A word starts at a word character whose predecessor is not one, or
    # that opens its text (texts are concatenated without a separator).
    word_start = word.copy()
    word_start[1:] &= ~word[:-1]
    opening = starts[lengths > 0]
    word_start[opening] = word[opening]
    # Sums over each text's slice, one 1-byte mask at a time (a wider
    # layout cost tens of MB on a 4,000-line pass of long lines). A zero
    # appended to each mask keeps every start in range for reduceat, which
    # gives a wrong sum for an empty slice: empty texts are zeroed after.
    empty = lengths == 0

    def per_text(mask):
        padded = np.concatenate([mask.view(np.uint8), np.zeros(1, dtype=np.uint8)])
        sums = np.add.reduceat(padded, starts, dtype=np.int64)
        sums[empty] = 0
        return sums

    # Each mask is made only if asked for: a sum over all code points each.
    masks = {"letters": lambda: (flags & _IS_ALPHA) != 0,
             "uppers": lambda: (flags & _IS_UPPER) != 0,
             "digits": lambda: (flags & _IS_DIGIT) != 0, "word_chars": lambda: word,
             "quotes": lambda: (flags & _IS_QUOTE) != 0,
             "separators": lambda: (flags & _IS_SEPARATOR) != 0,
             "words": lambda: word_start,
             "capitalised": lambda: word_start & ((flags & _IS_UPPER) != 0)}
    counts = {name: per_text(mask()) for name, mask in masks.items()
              if only is None or name in only}
    counts["chars"] = lengths
    return counts


def _lowered(joined: str, starts: np.ndarray, texts: list[str]) -> tuple[str, np.ndarray]:
    """``_joined`` of the texts lower-cased, from their joined text: one
    ``str.lower`` call, not one per text. Lower-casing looks across
    characters only for a final sigma, and never past a NUL (neither cased
    nor case-ignorable), so the joined lower-cased text is the lower-cased
    texts joined. Where lower-casing changed lengths (U+0130 "İ" becomes two
    characters) the texts' starts moved: those texts are joined anew."""
    lowered = joined.lower()
    if len(lowered) == len(joined):
        return lowered, starts
    return _joined([text.lower() for text in texts])


def _joined(texts: list[str]) -> tuple[str, np.ndarray]:
    """The texts joined by NUL, and where each starts. No pattern used on it
    matches NUL, so no match spans two texts (a NUL inside a text splits
    matches just as it does there)."""
    sizes = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + 1
    return "\0".join(texts), np.cumsum(sizes) - sizes


# Short lines that open a section of comments or of links to other pages.
# Everything below such a heading is usually not the article, however
# sentence-like it reads (comments are prose; teasers are headlines).
_COMMENT_HEADING = re.compile(
    r"^\W*(?:\d+\s+)?(?:comments?|responses?|replies|reply|discussion|reader comments"
    r"|leave a (?:reply|comment)|post a comment|add (?:a |your )?comment|join the discussion"
    r"|what do you think|trackbacks?|pingbacks?)\b", re.IGNORECASE)
#: The first words of _COMMENT_HEADING's and _LINKS_HEADING's phrases, and
#: of _META_WORD's words, in lower case: a line can open such a heading, or
#: be such a word, only if its first word (a run of \\w) is one of them, or,
#: for comment headings and _META_WORD's counts, a number. line_statistics
#: marks those lines, and the patterns run on them only (tests/test_features.py
#: checks the words against lines the patterns find).
_FIRST_WORDS = (
    "comment comments response responses replies reply discussion reader leave post add join "
    "what trackback trackbacks pingback pingbacks",
    "related ranking recommend recommended recommendation recommendations popular most "
    "trending more you read see further top latest editor editors also around from tag tags "
    "filed categories share follow in",
    "reply replydelete report permalink flag quote like delete edit",
)
_FIRST_WORD_SETS = tuple(frozenset(words.split()) for words in _FIRST_WORDS)
# first_word_marks of a line that can open a comment heading (a number, or
# a comment phrase's first word) or a links heading, or be a _META_WORD line.
_OPENS_COMMENT_HEADING, _OPENS_LINKS_HEADING, _MAY_BE_META_WORD = 1 | 2, 4, 1 | 8
_LINKS_HEADING = re.compile(
    r"^\W*(?:related|ranking|recommend|recommended|recommendations?|popular|most (?:read|popular|viewed|shared)"
    r"|trending|more (?:from|on|stories|news|in)|you (?:may|might) also|read more|see also|further reading"
    r"|top stories|latest (?:news|stories)|editor'?s picks?|also on|around the web|from the web"
    r"|tags?|filed under|categories|share this|follow us|in)\b", re.IGNORECASE)


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


_SAYS_WORDS = ("says", "said", "wrote", "writes")


def _may_end_with_says(text: str) -> bool:
    """Whether the text, without its trailing whitespace and at most one
    colon between, ends with one of ``_SAYS_WORDS`` in any case: true of
    every text ``_SAYS`` finds something in."""
    tail = text.rstrip()
    if tail.endswith(":"):
        tail = tail[:-1].rstrip()
    # (The last character first: one set lookup rules out most lines.)
    return tail[-1:] in _SAYS_LAST_LETTERS and any_case(tail[-6:]).endswith(_SAYS_WORDS)


_SAYS_LAST_LETTERS = frozenset(
    character for character in string.ascii_letters + "\u0130\u0131\u017f\u212a"
    if any_case(character) in {word[-1] for word in _SAYS_WORDS})


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


class SectionMarkers(_StatelessTransformer):
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


class TitleOverlap(_StatelessTransformer):
    """How much of a line repeats the page's first lines (title, breadcrumb).

    The headline of an article usually repeats the page title, which comes
    first when pages are copied as text (and is the first line our HTML
    conversion emits). For each line: the largest share of its words found
    in one of the page's first ``n_first`` lines (other than itself), and
    the share of that first line's words the line covers.
    """

    feature_names_ = ["share_in_first_lines", "covers_first_line"]

    def __init__(self, n_first=3):
        self.n_first = n_first

    def transform(self, X):
        # Each line's distinct lower-cased words, as numbers.
        words, sizes, _ = token_ids(lowered(X["text"].tolist()), distinct_per_text=True,
                                    strings=False)
        shares, covers = head_overlaps(words, sizes, page_bounds(X["page"]), self.n_first)
        return np.column_stack([shares, covers]).astype(np.float32)


def head_overlaps(words: np.ndarray, sizes: np.ndarray, bounds: np.ndarray, n_first: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """TitleOverlap's two values for each line, in float64: over the first
    ``n_first`` lines of its page with words (heads, the line itself not
    counted), the largest share of the line's distinct words found in one
    head, and the largest share of a head's words the line holds. Lines
    without words get 0s.

    ``words``: the lines' distinct word numbers, line after line (int64,
    as :func:`classifier.words.token_ids` with ``distinct_per_text``
    gives them); ``sizes``: how many each line has; ``bounds``: the page
    bounds. In C when compiled (numpy's dozen calls per head and page
    were most of the feature's cost on single pages), the same numbers;
    the numpy code below is the definition.
    """
    n = len(sizes)
    words = np.ascontiguousarray(words, dtype=np.int64)
    sizes = np.ascontiguousarray(sizes, dtype=np.int64)
    bounds = np.ascontiguousarray(bounds, dtype=np.int64)
    shares, covers = np.zeros(n), np.zeros(n)
    if _lines is not None:
        _lines.head_overlaps(words, sizes, bounds, operator.index(n_first), shares, covers)
        return shares, covers
    word_ends = np.cumsum(sizes)
    word_starts = word_ends - sizes
    # in_head[w] == mark: word w is in the head line being compared (a
    # new mark per head, so the array is never cleared).
    in_head = np.zeros(int(words.max()) + 1 if len(words) else 0, dtype=np.int64)
    mark = 0
    for start, stop in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        page_words = words[word_starts[start]:word_ends[stop - 1]] if stop > start else words[:0]
        page_sizes = sizes[start:stop]
        # Which of the page's lines each of its words belongs to.
        owner = np.repeat(np.arange(stop - start), page_sizes)
        has_words = page_sizes > 0
        for head in range(start, min(start + n_first, stop)):
            if sizes[head] == 0:
                continue
            mark += 1
            in_head[words[word_starts[head]:word_ends[head]]] = mark
            common = np.bincount(owner[in_head[page_words] == mark], minlength=stop - start)
            # Lines without words and the head itself keep their values.
            usable = has_words.copy()
            usable[head - start] = False
            rows = np.flatnonzero(usable) + start
            shares[rows] = np.maximum(shares[rows], common[usable] / page_sizes[usable])
            covers[rows] = np.maximum(covers[rows], common[usable] / sizes[head])
    return shares, covers


def line_word_counts(texts: list[str]) -> np.ndarray:
    """Words (runs of \\w) per text: ``len(re.findall(r"\\w+", text))``, from
    one numpy pass (:func:`character_counts`) instead of a regex call per
    line, whose fixed costs were ~1 ms of every predict()."""
    return character_counts(texts, only=("words",))["words"]


class PagePosition(_StatelessTransformer):
    """Where a line sits in its page, by line count and by share of the text."""

    feature_names_ = [
        "relative_position", "log_lines_before", "log_lines_after", "log_page_lines",
        "text_share_before", "chars_vs_page_max", "chars_vs_page_median",
    ]

    def transform(self, X):
        bounds = page_bounds(X["page"])
        chars = text_lengths(X)
        out = np.zeros((len(X), len(self.feature_names_)), dtype=np.float32)
        if len(X):
            _page_positions(chars, bounds, out)
        return out


def _page_positions(chars: np.ndarray, bounds: np.ndarray, out: np.ndarray) -> None:
    """PagePosition's columns for all pages at once (a dozen numpy calls a
    page, np.median the dearest, were ~0.3 us a line), the same numbers as
    :func:`_page_positions_of_each_page`, the definition: the lengths are
    whole numbers, so their sums in float64 are exact in any order, and a
    page's median is the mean of its middle one or two once sorted."""
    lengths = np.diff(bounds)
    # The medians come from one sort of the lengths keyed by page: exact
    # while page * (longest + 1) + length is below 2**53. (page_bounds
    # never gives an empty page.)
    page_key = chars.max() + 1.0
    if not lengths.all() or len(lengths) * page_key >= 2.0 ** 53:
        _page_positions_of_each_page(chars, bounds, out)
        return
    starts = bounds[:-1]
    n = np.repeat(lengths, lengths)
    index = index_in_page(bounds)
    before = np.cumsum(chars) - chars  # the characters of the lines before, all pages
    before -= np.repeat(before[starts], lengths)
    totals = np.add.reduceat(chars, starts)
    totals[totals == 0] = 1.0
    maxima = np.maximum.reduceat(chars, starts)
    maxima[maxima == 0] = 1.0
    offsets = np.repeat(np.arange(len(lengths)) * page_key, lengths)
    in_order = np.sort(chars + offsets) - offsets
    medians = (in_order[starts + (lengths - 1) // 2] + in_order[starts + lengths // 2]) / 2
    out[:, 0] = index / np.maximum(n - 1, 1)
    out[:, 1] = np.log1p(index)
    out[:, 2] = np.log1p(n - 1 - index)
    out[:, 3] = np.log1p(n)
    out[:, 4] = before / np.repeat(totals, lengths)
    out[:, 5] = chars / np.repeat(maxima, lengths)
    out[:, 6] = np.log1p(chars) - np.repeat(np.log1p(medians), lengths)


def _page_positions_of_each_page(chars: np.ndarray, bounds: np.ndarray, out: np.ndarray) -> None:
    for start, stop in zip(bounds[:-1], bounds[1:]):
        n = stop - start
        index = np.arange(n)
        page_chars = chars[start:stop]
        total = page_chars.sum() or 1.0
        out[start:stop, 0] = index / max(n - 1, 1)
        out[start:stop, 1] = np.log1p(index)
        out[start:stop, 2] = np.log1p(n - 1 - index)
        out[start:stop, 3] = np.log1p(n)
        out[start:stop, 4] = (np.cumsum(page_chars) - page_chars) / total
        out[start:stop, 5] = page_chars / (page_chars.max() or 1.0)
        out[start:stop, 6] = np.log1p(page_chars) - np.log1p(np.median(page_chars))


def densest_run(weights: np.ndarray) -> tuple[int, int]:
    """Half-open [start, stop) of the contiguous run with the largest weight sum.

    Kadane's maximum-subarray: with weights "words minus a threshold", the
    run is the page's main block of long text, short lines inside it (a
    subheading, a photo credit) bridged as long as the text around them pays
    for them. Returns (0, 0) when no weight is positive.

    Float arrays are summed in their own precision (numpy scalars), in C
    when compiled (a Python step per line was ~0.2 us of each line's
    cost, paid twice); anything else by the loop below, the definition.
    """
    if (_lines is not None and isinstance(weights, np.ndarray) and weights.ndim == 1
            and weights.dtype in (np.float32, np.float64)):
        return _lines.densest_run(np.ascontiguousarray(weights), weights.itemsize)
    best, best_start, best_stop = 0.0, 0, 0
    current, current_start = 0.0, 0
    for i, weight in enumerate(weights):
        if current <= 0:
            current, current_start = weight, i
        else:
            current += weight
        if current > best:
            best, best_start, best_stop = current, current_start, i + 1
    return best_start, best_stop


class MainTextRun(_StatelessTransformer):
    """Position of a line relative to its page's main run of text.

    The run is :func:`densest_run` over ``weight(line) - threshold``. By
    default the weight is the line's word count (capped so that one huge
    line cannot claim the page); ``score_column`` names a column of X to
    use instead, e.g. first-stage body probabilities.

    With ``comment_breaks``, comment headings and comment-thread furniture
    (``section_marks``: "Jane says:", "Reply", "12 Comments") weigh
    ``-3 * cap``: a run never spans them, so a long thread of comments is
    many short runs, and the article above it stays the page's main run
    however many comments follow.
    """

    # (Models pickled before the parameter existed have no attribute of it.)
    comment_breaks = False

    def __init__(self, threshold=10.0, cap=60.0, score_column=None, prefix="run",
                 comment_breaks=False):
        self.threshold = threshold
        self.cap = cap
        self.score_column = score_column
        self.prefix = prefix
        self.comment_breaks = comment_breaks

    def get_feature_names_out(self, input_features=None):
        names = ["inside", "log_distance_before", "log_distance_after", "page_share"]
        return np.asarray([f"{self.prefix}_{name}" for name in names], dtype=object)

    def transform(self, X):
        bounds = page_bounds(X["page"])
        chars = text_lengths(X)
        out = np.zeros((len(X), 4), dtype=np.float32)
        _main_run_columns(self.runs(X, bounds), chars, bounds, out)
        return out

    def runs(self, X, bounds: np.ndarray) -> list:
        """Each page's main run, as (start, stop) within the page."""
        if self.score_column is None:
            texts = X["text"].tolist()
            words = line_word_counts(texts).astype(np.float32)
            weights = np.minimum(words, self.cap) - self.threshold
            if self.comment_breaks:
                comment, _, meta = section_marks(texts)
                weights[comment | meta] = np.float32(-3 * self.cap)
        else:
            weights = X[self.score_column].to_numpy(dtype=np.float64) - self.threshold
        return [densest_run(weights[start:stop])
                for start, stop in zip(bounds[:-1].tolist(), bounds[1:].tolist())]


def _main_run_columns(runs: list, chars: np.ndarray, bounds: np.ndarray,
                      out: np.ndarray) -> None:
    """MainTextRun's columns given each page's run, for all pages at once
    (~8 numpy calls a page were ~0.15 us a line), the same numbers as
    :func:`_main_run_columns_of_each_page`, the definition: the lengths are
    whole numbers, so the run's and the page's sums in float64 are exact
    in any order."""
    lengths = np.diff(bounds)
    if not len(runs) or not lengths.all():  # (page_bounds never gives an empty page)
        _main_run_columns_of_each_page(runs, chars, bounds, out)
        return
    starts = bounds[:-1]
    run_start = np.array([start for start, _ in runs], dtype=np.int64)
    run_stop = np.array([stop for _, stop in runs], dtype=np.int64)
    index = index_in_page(bounds)
    line_start, line_stop = np.repeat(run_start, lengths), np.repeat(run_stop, lengths)
    has_run = np.repeat(run_stop > run_start, lengths)
    # (No main run: every line is equally far from it.)
    no_run = np.log1p(np.repeat(lengths, lengths))
    out[:, 0] = has_run & (index >= line_start) & (index < line_stop)
    out[:, 1] = np.where(has_run, np.log1p(np.maximum(line_start - index, 0)), no_run)
    out[:, 2] = np.where(has_run, np.log1p(np.maximum(index - line_stop + 1, 0)), no_run)
    before = np.concatenate([[0.0], np.cumsum(chars)])
    in_run = before[starts + run_stop] - before[starts + run_start]
    totals = before[bounds[1:]] - before[starts]
    totals[totals == 0] = 1
    out[:, 3] = np.repeat(np.where(run_stop > run_start, in_run / totals, 0.0), lengths)


def _main_run_columns_of_each_page(runs: list, chars: np.ndarray, bounds: np.ndarray,
                                   out: np.ndarray) -> None:
    for (run_start, run_stop), start, stop in zip(runs, bounds[:-1], bounds[1:]):
        index = np.arange(stop - start)
        if run_stop > run_start:
            out[start:stop, 0] = (index >= run_start) & (index < run_stop)
            out[start:stop, 1] = np.log1p(np.maximum(run_start - index, 0))
            out[start:stop, 2] = np.log1p(np.maximum(index - run_stop + 1, 0))
            page_chars = chars[start:stop]
            out[start:stop, 3] = page_chars[run_start:run_stop].sum() / (page_chars.sum() or 1)
        else:
            # No main run: every line is equally far from it.
            out[start:stop, 1] = out[start:stop, 2] = np.log1p(stop - start)


class NeighbourWindow(TransformerMixin, BaseEstimator):
    """A line's features and their values on neighbouring lines of its page.

    ``transformer`` computes per-line features (output first, unless
    ``include_own=False``); for each feature we add its
    value on the lines ``offsets`` away (0 beyond the page edge, with one
    indicator per offset telling whether the neighbour exists) and its mean
    over centred windows of the given ``window_sizes``.
    """

    def __init__(self, transformer, offsets=(-3, -2, -1, 1, 2, 3), window_sizes=(5, 11),
                 include_own=True):
        self.transformer = transformer
        self.offsets = offsets
        self.window_sizes = window_sizes
        self.include_own = include_own

    def fit(self, X, y=None):
        self.transformer_ = clone(self.transformer).fit(X, y)
        self.base_names_ = list(self.transformer_.get_feature_names_out())
        return self

    @property
    def takes_line_tables(self) -> bool:
        return takes_line_tables(self.transformer)

    def get_feature_names_out(self, input_features=None):
        names = list(self.base_names_) if self.include_own else []
        for offset in self.offsets:
            names += [f"{name}@{offset:+d}" for name in self.base_names_]
            names.append(f"exists@{offset:+d}")
        for size in self.window_sizes:
            names += [f"{name}@mean{size}" for name in self.base_names_]
        return np.asarray(names, dtype=object)

    def transform(self, X):
        values = np.asarray(self.transformer_.transform(X), dtype=np.float32)
        # The line's own values come from the same pass: computing them once
        # halves the cost of the most expensive features.
        return neighbour_window(values, page_bounds(X["page"]), self.offsets, self.window_sizes,
                                include_own=self.include_own)


def neighbour_window(values: np.ndarray, bounds: np.ndarray, offsets, window_sizes,
                     include_own: bool = False) -> np.ndarray:
    """Shifted copies and windowed means of ``values`` within each page.

    Columns: with ``include_own``, the values themselves; for each offset,
    the values on the line that far away (0 when it is on another page or
    beyond the table) and a 0/1 "exists" column; then, for each window
    size, the mean over the centred window clipped to the page (rounded to
    float32). The dtype is that of ``values`` promoted with float32.

    Float32 values are done in C when compiled (one pass writing each row;
    numpy's passes per offset and window cost ~0.4-0.7 us per line, per
    call), the same numbers; the numpy code below is the definition.
    """
    n, k = values.shape
    offsets, window_sizes = tuple(map(operator.index, offsets)), tuple(window_sizes)
    own = k if include_own else 0
    if (_lines is not None and values.dtype == np.float32 and k > 0
            and all(size >= 1 for size in window_sizes)):
        out = np.empty((n, own + len(offsets) * (k + 1) + len(window_sizes) * k),
                       dtype=np.float32)
        _lines.neighbour_window(np.ascontiguousarray(values), k,
                                np.ascontiguousarray(bounds, dtype=np.int64), offsets,
                                window_sizes, out, include_own)
        return out
    page = page_index(bounds)
    width = own + len(offsets) * (k + 1) + len(window_sizes) * k
    # One output array written in place, and shifts as slices: boolean-mask
    # copies per offset and an hstack of the blocks cost more than the
    # values themselves.
    out = np.zeros((n, width), dtype=np.result_type(values.dtype, np.float32))
    out[:, :own] = values[:, :own]
    column = own
    for offset in offsets:
        # Row i takes row i + offset: rows [lo, hi) from [lo + offset, hi + offset).
        lo, hi = max(0, -offset), min(n, n - offset)
        if lo < hi:
            same_page = page[lo:hi] == page[lo + offset:hi + offset]
            out[lo:hi, column:column + k] = values[lo + offset:hi + offset]
            out[lo:hi, column:column + k][~same_page] = 0
            out[lo:hi, column + k] = same_page
        column += k + 1
    if window_sizes:
        # Windowed means via per-page cumulative sums: O(n) for any window.
        cumulative = np.zeros((n + 1, k), dtype=np.float64)
        np.cumsum(values, axis=0, out=cumulative[1:])
        position = np.arange(n)
        page_start = bounds[:-1][page]
        page_stop = bounds[1:][page]
        for size in window_sizes:
            half = size // 2
            lo = np.maximum(position - half, page_start)
            hi = np.minimum(position + half + 1, page_stop)
            out[:, column:column + k] = ((cumulative[hi] - cumulative[lo])
                                         / (hi - lo)[:, None]).astype(np.float32)
            column += k
    return out


class TextColumn(_StatelessTransformer):
    """Selects the ``text`` column as a list of strings (for vectorizers)."""

    feature_names_ = ["text"]

    def transform(self, X):
        return X["text"].tolist()


def factorize(values, use_na_sentinel: bool = True) -> tuple[np.ndarray, list]:
    """``pandas.factorize(values)`` (codes in order of first appearance, and
    the distinct values) of a list: by a dict when every value is a
    ``str``, ~3x faster than pandas on the long class/id and DOM token
    strings of a page's lines; by pandas otherwise (its handling of
    missing values)."""
    values = values if isinstance(values, list) else list(values)
    index: dict = {}
    setdefault = index.setdefault
    codes = [setdefault(value, len(index)) for value in values]
    if not all(type(value) is str for value in index):
        documents = np.empty(len(values), dtype=object)  # (no Series: ~20 us a call)
        documents[:] = values
        codes, distinct = pd.factorize(documents, use_na_sentinel=use_na_sentinel)
        return codes, list(distinct)
    return np.array(codes, dtype=np.intp), list(index)


class DistinctRows(TransformerMixin, BaseEstimator):
    """Applies a stateless ``transformer`` (e.g. a HashingVectorizer) to each
    distinct document once; repeated documents get a copy of its row.

    DOM token strings repeat heavily (a page's blocks share few containers:
    5,617 distinct strings in 52,819 lines of 250 shared pages), so this
    hashes a tenth of them. The output equals ``transformer.transform``.
    """

    def __init__(self, transformer):
        self.transformer = transformer

    def fit(self, X, y=None):
        self.transformer_ = clone(self.transformer).fit(X, y)
        return self

    def transform(self, X):
        codes, distinct = factorize(X, use_na_sentinel=False)
        # (A HashingVectorizer's matrix is computed in C where it can be.)
        rows = hashing_transform(self.transformer_, distinct)
        if len(distinct) == len(codes):  # no repeats: codes are 0, 1, 2, ...
            return rows
        return take_rows(rows, codes) if type(rows) is sp.csr_matrix else rows[codes]


def take_rows(matrix: sp.csr_matrix, rows: np.ndarray) -> sp.csr_matrix:
    """``matrix[rows]`` of a CSR matrix (rows: integers in range): the same
    arrays, gathered by numpy; scipy's fancy indexing has ~45 us of fixed
    cost per call, paid on every page."""
    rows = np.asarray(rows, dtype=np.intp)
    counts = np.diff(matrix.indptr)[rows]
    indptr = np.zeros(len(rows) + 1, dtype=matrix.indptr.dtype)
    np.cumsum(counts, out=indptr[1:])
    # Where each taken entry is in matrix: its row's start, then onwards.
    starts = matrix.indptr[:-1][rows]
    at = np.repeat(starts - indptr[:-1], counts) + np.arange(indptr[-1], dtype=starts.dtype)
    return sp.csr_matrix((matrix.data[at], matrix.indices[at], indptr),
                         shape=(len(rows), matrix.shape[1]))


def line_text_vectorizer(n_features: int = 2 ** 18):
    """Hashed word uni- and bigram TF-IDF of the line.

    Hashing keeps the model file small and fitting memory flat whatever the
    vocabulary of the user's pages; collisions at 2**18 cost nothing we
    could measure on this task. ``HashedWords`` is scikit-learn's
    ``HashingVectorizer`` with these settings, computed in C (same matrix;
    with the TF-IDF step 2.4 instead of 10.9 us per line of shared pages;
    models trained before 2026-11-26 hold the vectorizer itself).
    """
    return make_pipeline(
        TextColumn(),
        HashedWords(n_features=n_features, ngram_range=(1, 2), alternate_sign=False,
                    lowercase=True),
        TfidfTransformer(sublinear_tf=True),
    )
