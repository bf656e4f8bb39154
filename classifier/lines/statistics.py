"""What a line looks like on its own: character statistics and LineShape.

:func:`character_counts` counts, per line, the characters, letters,
capitals, digits, words, function words, punctuation and a few string
tests in one compiled pass (``_lines.c``; numpy and Python do the same
without it), and :class:`LineShape` turns them into features: length,
punctuation, casing, bullets, dates, sentence ending, repeats in the page.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter

import numpy as np

from ..words import WORD_RUN, LastTextsMemo
from .table import StatelessTransformer, page_bounds

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


class LineShape(StatelessTransformer):
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

    Compiled (classifier/lines/_lines.c), one pass per text; without it, one
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


def line_word_counts(texts: list[str]) -> np.ndarray:
    """Words (runs of \\w) per text: ``len(re.findall(r"\\w+", text))``, from
    one numpy pass (:func:`character_counts`) instead of a regex call per
    line, whose fixed costs were ~1 ms of every predict()."""
    return character_counts(texts, only=("words",))["words"]


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
