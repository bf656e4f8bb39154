"""Small text helpers shared by the runtime and the training scripts."""

from __future__ import annotations

import re

from .errors import InputError

# Only \n, \r\n and \r end a line. str.splitlines() would also split on form
# feeds, \x1c-\x1e, \x85 and U+2028/2029, which occur inside scraped blocks.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_WORD = re.compile(r"\w+", re.UNICODE)
# Lone surrogates (e.g. from bytes decoded with errors="surrogateescape") are
# not characters: no encoder accepts them, so they would fail deep inside
# pandas/pyarrow or when the result is written out. They become U+FFFD, the
# replacement character, as a UTF-8 decoder would have made them.
_SURROGATE = re.compile("[\ud800-\udfff]")


def replace_surrogates(text: str) -> str:
    # UTF-8 encodes every code point but a surrogate, so a text it encodes
    # has none: that test is ~8x faster than searching for them (0.03
    # against 0.27 ms for a shared HTML page, which is searched whole), and
    # isascii() answers in constant time for the rest.
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


def split_lines(text) -> list[str]:
    """Split page text (``str``) or accept a list of lines; never drops a line.

    Lone surrogates become U+FFFD (see ``replace_surrogates``). A list is
    taken as the lines themselves (each item one line; an item that
    itself contains line breaks is an error, since it would break the
    one-label-per-line contract).
    """
    if isinstance(text, str):
        return _break_lines(replace_surrogates(text)) if text else []
    if isinstance(text, (list, tuple)):
        lines = []
        for number, line in enumerate(text):
            if not isinstance(line, str):
                raise InputError(
                    f"line {number} is {type(line).__name__}, expected str")
            if _LINE_BREAK.search(line):
                raise InputError(f"line {number} contains a line break; pass one "
                                 "block per list item or pass the whole text as a str")
            lines.append(replace_surrogates(line))
        return lines
    if isinstance(text, (bytes, bytearray)):
        raise InputError("page text must be str, not bytes: decode it first, "
                         "or use predict_html() for raw HTML bytes")
    raise InputError(f"page text must be a str or a list of str, "
                     f"not {type(text).__name__}")


# A line holding a character that is not whitespace (str.isspace, as
# str.strip reads it): a line the models classify. Matches never span a
# line break.
_NON_BLANK_LINE = re.compile(r"[^\r\n]*?\S[^\r\n]*")


def more_non_blank_lines_than(text: str, limit: int) -> bool:
    """Whether ``text`` has more than ``limit`` non-blank lines, found
    without splitting it: a page of millions of short lines is refused by
    the line limit before millions of strings are made, reading no further
    than its line ``limit + 1``. A text with at most ``limit`` lines in all
    is not scanned."""
    if text.count("\n") + text.count("\r") < limit:
        return False
    for count, _ in enumerate(_NON_BLANK_LINE.finditer(text), 1):
        if count > limit:
            return True
    return False


def _break_lines(text: str) -> list[str]:
    """``_LINE_BREAK.split(text)`` by ``str`` methods: the pattern scanned
    the page a character at a time (~60 instructions each, ~2 % of the
    text path)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


def words(text: str) -> list[str]:
    """Lower-cased word tokens (letters, digits, underscore; any script)."""
    return _WORD.findall(text.lower())


def shingles(tokens: list[str], size: int = 4) -> set:
    """Set of word n-grams; a text shorter than ``size`` is one shingle."""
    if not tokens:
        return set()
    if len(tokens) < size:
        return {tuple(tokens)}
    return {tuple(tokens[i:i + size]) for i in range(len(tokens) - size + 1)}
