"""DOM features of HTML lines: where a block sat in the page's markup.

The text path sees only lines; the HTML path also knows each line's
element, its ancestors and their class/id words, and how much of it was
link text (:class:`classifier.lines.html.Block`). Those are the strongest
boilerplate signals there are: a paragraph inside ``<div id="comments">``
or ``<aside class="related">`` is chrome however well written.

A *DOM line table* is a line table (see :mod:`classifier.lines.table`) with
these extra columns, made by :func:`dom_line_table` (or
:func:`dom_columns` from block rows):

* ``tag`` – the block's element (``p``, ``h2``, ``li``, ``td``, ``title``…);
* ``path`` – its ancestors' tags, space-separated, root first;
* ``attributes`` – class and id words of the block and its ancestors;
* ``link_chars`` – characters of the line that were link text;
* ``depth`` – the element's depth in the DOM.

* :class:`DomTokens` – the tag, ancestor tags and class/id words as tokens
  for a hashed bag-of-words (``tag=p in=nav class=comment``): the linear
  first stage learns which words mark chrome on the sites it was trained on.
* :class:`DomLayout` – dense numbers for the trees: link density, depth
  relative to the page, tag and ancestor groups, class/id keyword groups,
  the line's share of the page's text.
* :func:`dom_text_vectorizer` – :class:`DomTokens` hashed.
"""

from __future__ import annotations

import functools
import re

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.pipeline import make_pipeline

from ..words import or_of_word_values, sorted_words
from .html import ATTRIBUTE_WORD_BREAK, block_rows
from .statistics import line_word_counts
from .table import DistinctRows, StatelessTransformer, factorize, page_bounds, text_lengths

DOM_COLUMNS = ["tag", "path", "attributes", "link_chars", "depth"]

# Tag groups for the block itself.
_TAG_GROUPS = {
    "paragraph": {"p"}, "heading": {"h1", "h2", "h3", "h4", "h5", "h6"},
    "headline": {"h1"}, "list_item": {"li", "dt", "dd"}, "cell": {"td", "th"},
    "division": {"div", "section", "article", "main", "body", "center"},
    "quote": {"blockquote", "pre"}, "title": {"title"},
    "caption": {"figcaption", "caption", "legend"},
}
# Ancestors whose presence says "chrome" or "article" in HTML5 and in forms.
_ANCESTOR_GROUPS = {
    "in_nav": {"nav"}, "in_header": {"header"}, "in_footer": {"footer"},
    "in_aside": {"aside"}, "in_figure": {"figure"}, "in_list": {"ul", "ol", "li", "dl"},
    "in_link": {"a"}, "in_form": {"form", "fieldset", "label"},
    "in_table": {"table"}, "in_article": {"article", "main"},
    "in_quote": {"blockquote"}, "in_heading": {"h1", "h2", "h3", "h4", "h5", "h6"},
}
# Class/id words, grouped by what they usually mean. A word matches a key
# when it contains it (``commentlist`` ⊃ ``comment``); keys of three letters
# or fewer must match the whole word (``ad`` must not match ``header``).
_ATTRIBUTE_GROUPS = {
    "comment": ["comment", "reply", "respond", "discuss", "disqus"],
    "related": ["related", "recommend", "popular", "trending", "more", "also", "teaser",
                "outbrain", "taboola"],
    "share": ["share", "social", "sharing", "facebook", "twitter", "follow", "print", "email"],
    "promo": ["promo", "ad", "ads", "advert", "sponsor", "banner", "subscribe",
              "newsletter", "signup", "paywall"],
    "sidebar": ["sidebar", "widget", "rail", "aside", "column"],
    "byline": ["byline", "author", "meta", "date", "time", "posted", "dateline"],
    "navigation": ["nav", "menu", "breadcrumb", "crumb", "pagination", "pager", "skip",
                   "topbar", "masthead"],
    "footer": ["footer", "foot", "copyright", "legal", "disclaimer"],
    "header": ["header", "head", "logo", "brand", "search", "login"],
    "tags": ["tag", "tags", "category", "categories", "topic", "keywords"],
    "caption": ["caption", "credit", "photo", "image", "img", "figure", "gallery", "video"],
    "article": ["article", "content", "entry", "post", "story", "text", "body", "main",
                "blog", "news"],
    "lead": ["headline", "title", "summary", "lead", "intro", "standfirst", "dek"],
}


def dom_line_table(blocks, page=0) -> dict:
    """Columns of a DOM line table for one page's blocks (all non-blank)."""
    return dom_columns([block_rows(blocks)], first_page=page)


def dom_line_tables(pages_blocks) -> dict:
    """Columns of one DOM line table for several pages' blocks, the pages
    keyed 0, 1, … in order (every column present, empty without blocks)."""
    return dom_columns([block_rows(blocks) for blocks in pages_blocks])


def dom_columns(pages_rows, first_page=0) -> dict:
    """Columns of one DOM line table for several pages' block rows
    (:func:`classifier.lines.html.html_to_block_rows`), the pages keyed
    ``first_page``, ``first_page + 1``, … in order (every column present,
    empty without rows)."""
    columns = {name: [] for name in ("text", "page", *DOM_COLUMNS)}
    for page, rows in enumerate(pages_rows, start=first_page):
        if not rows:
            continue
        texts, tags, ancestors, attribute_words, link_chars, depths = zip(*rows)
        columns["text"] += texts
        columns["page"] += [page] * len(rows)
        columns["tag"] += tags
        columns["path"] += map(" ".join, ancestors)
        columns["attributes"] += map(" ".join, attribute_words)
        columns["link_chars"] += link_chars
        columns["depth"] += depths
    return columns


def container_ids(pages, paths, attributes) -> np.ndarray:
    """Each line's container: one integer per distinct (page, ``path``,
    ``attributes``), as a DOM line table has them. The paragraphs of one
    article share their container (same ancestors, same class/id words);
    the body rule (:func:`classifier.lines.body.body_mask`) reads the page's
    body through it."""
    keys = list(zip(pages, paths, attributes))
    index: dict = {}
    setdefault = index.setdefault
    return np.fromiter((setdefault(key, len(index)) for key in keys), dtype=np.int64,
                       count=len(keys))


def _require_dom_columns(X) -> None:
    missing = [column for column in DOM_COLUMNS if column not in X.columns]
    if missing:
        raise ValueError(f"the HTML line model needs a DOM line table; missing {missing} "
                         "(text-only lines go to the text line model)")


class DomTokens(StatelessTransformer):
    """One token string per line: ``tag=p in=div in=nav class=comment …``.

    Ancestor tags and class/id words are sets (order and repeats dropped):
    what matters is *whether* the line sits under a ``nav`` or a
    ``comments`` container, not how many wrappers there are.
    """

    feature_names_ = ["dom_tokens"]

    def transform(self, X):
        _require_dom_columns(X)
        # Lines of one container share tag, path and attributes: build each
        # distinct combination's tokens once.
        memo = {}
        out = []
        for key in zip(X["tag"].tolist(), X["path"].tolist(), X["attributes"].tolist()):
            tokens = memo.get(key)
            if tokens is None:
                tag, path, attributes = key
                tokens = " ".join(part for part in (f"tag={tag}", _ancestor_tokens(path),
                                                    _class_tokens(attributes)) if part)
                memo[key] = tokens
            out.append(tokens)
        return out


# A page run has few distinct ancestor paths (390 in 27,875 lines of 120
# shared pages), repeated across runs of the same sites: kept across calls.
@functools.lru_cache(maxsize=4096)
def _ancestor_tokens(path: str) -> str:
    """``in=TAG`` for each distinct tag of the path, sorted."""
    return sorted_words(path, "in=")


def _class_tokens(attributes: str) -> str:
    """``class=WORD`` for each distinct class/id word that is not a number,
    sorted. (A line's ancestors repeat many words: 27, far fewer distinct,
    per line of shared pages.)"""
    return sorted_words(attributes, "class=", skip_numbers=True)


class _WordMemo(dict):
    """``function(word)`` of each word looked up, kept across calls.

    A dict, read by ``__getitem__`` from C code (``map``): an
    ``lru_cache``'s wrapper call per word cost ~0.4 us more per line of
    shared pages, per use. Emptied when it holds ``max_words`` (ids with
    numbers in them make new words without end): a few MB at most."""

    def __init__(self, function, max_words: int = 2 ** 14):
        super().__init__()
        self.function = function
        self.max_words = max_words

    def __missing__(self, word: str):
        if len(self) >= self.max_words:
            self.clear()
        value = self[word] = self.function(word)
        return value


def dom_text_vectorizer(n_features: int = 2 ** 16):
    """Hashed presence of DOM tokens (binary: a token is there or not)."""
    return make_pipeline(
        DomTokens(),
        DistinctRows(HashingVectorizer(n_features=n_features, token_pattern=r"\S+",
                                       lowercase=False, binary=True, norm="l2",
                                       alternate_sign=False)),
    )


class _KeywordGroup:
    """Whether space-joined class/id words hold one of a group's keys: a key
    of four letters or more anywhere in a word, a shorter key as a whole
    word (a run of [a-z0-9] characters).

    Plain substring and set tests: on a page's long ancestor word strings
    they are ~10x faster than one regex alternation per group.
    """

    def __init__(self, keys):
        self.long_keys = tuple(key for key in keys if len(key) > 3)
        self.short_keys = frozenset(key for key in keys if len(key) <= 3)

    def search(self, attributes: str) -> bool:
        if any(key in attributes for key in self.long_keys):
            return True
        return bool(self.short_keys) and not self.short_keys.isdisjoint(
            ATTRIBUTE_WORD_BREAK.split(attributes))


_KEYWORD_GROUPS = {name: _KeywordGroup(keys) for name, keys in _ATTRIBUTE_GROUPS.items()}


class DomLayout(StatelessTransformer):
    """Dense DOM facts of each line, for the second stage's trees."""

    feature_names_ = (
        ["link_density", "all_link", "depth", "relative_depth", "text_share", "log_chars"]
        + [f"tag_{name}" for name in _TAG_GROUPS]
        + list(_ANCESTOR_GROUPS)
        + [f"class_{name}" for name in _ATTRIBUTE_GROUPS]
    )

    def transform(self, X):
        _require_dom_columns(X)
        n = len(X)
        out = np.zeros((n, len(self.feature_names_)), dtype=np.float32)
        chars = text_lengths(X, np.float32)
        links = X["link_chars"].to_numpy(dtype=np.float32)
        depth = X["depth"].to_numpy(dtype=np.float32)
        out[:, 0] = links / np.maximum(chars, 1.0)
        out[:, 1] = links >= chars * 0.95
        out[:, 2] = depth
        out[:, 5] = np.log1p(chars)
        bounds = page_bounds(X["page"])
        for start, stop in zip(bounds[:-1], bounds[1:]):
            # Depth relative to the page's text-weighted median: templates
            # differ in how deep they nest, an article's blocks share a level.
            page_depth, page_chars = depth[start:stop], chars[start:stop]
            order = np.argsort(page_depth, kind="stable")
            cumulative = np.cumsum(page_chars[order])
            median = page_depth[order][np.searchsorted(cumulative, cumulative[-1] / 2)]
            out[start:stop, 3] = page_depth - median
            out[start:stop, 4] = page_chars / max(cumulative[-1], 1.0)
        # Group flags depend on the tag, path or attribute string alone, and
        # a page repeats few distinct ones: compute each distinct value once.
        column = 6
        for name, flags_table in (("tag", _tag_flags), ("path", _path_flags),
                                  ("attributes", attribute_flags)):
            codes, distinct = factorize(X[name].tolist())
            table = flags_table(distinct)
            if len(distinct):
                out[:, column:column + table.shape[1]] = table[codes]
            column += table.shape[1]
        return out


class ContainerShare(StatelessTransformer):
    """How much of its page's text sits in the line's container.

    A page's article is many blocks in one container (the same ancestors
    and class words: ``div.story > p``), which holds most of the page's
    words; a menu, a footer or a teaser list is a container of few words,
    however the site names its classes. For each line: the share of the
    page's words in blocks of the same tag, ancestor path and class/id
    words as the line's, whether that container holds the most words of
    the page, and log(1 + its blocks).
    """

    feature_names_ = ["container_word_share", "largest_container", "log_container_blocks"]

    def transform(self, X):
        _require_dom_columns(X)
        n = len(X)
        out = np.zeros((n, 3), dtype=np.float32)
        if not n:
            return out
        bounds = page_bounds(X["page"])
        page = np.repeat(np.arange(len(bounds) - 1), np.diff(bounds))
        # (Container keys as numbers, then one number per page and container.)
        paths, _ = factorize(X["path"].tolist())
        attributes, _ = factorize(X["attributes"].tolist())
        tags, _ = factorize(X["tag"].tolist())
        keys = ((page.astype(np.int64) * (tags.max() + 1) + tags) * (paths.max() + 1)
                + paths) * (attributes.max() + 1) + attributes
        containers, container = np.unique(keys, return_inverse=True)
        words = line_word_counts(X["text"].tolist()).astype(np.float64)
        container_words = np.bincount(container, weights=words, minlength=len(containers))
        container_blocks = np.bincount(container, minlength=len(containers))
        page_words = np.bincount(page, weights=words, minlength=len(bounds) - 1)
        page_of_container = page[np.unique(container, return_index=True)[1]]
        largest = np.zeros(len(bounds) - 1)
        np.maximum.at(largest, page_of_container, container_words)
        out[:, 0] = container_words[container] / np.maximum(page_words[page], 1.0)
        out[:, 1] = (container_words[container] >= largest[page]) & (words > 0)
        out[:, 2] = np.log1p(container_blocks[container])
        return out


def _tag_flags(tags: list) -> np.ndarray:
    """Per tag, whether it is in each of ``_TAG_GROUPS``."""
    return np.array([[tag in members for members in _TAG_GROUPS.values()] for tag in tags],
                    dtype=np.float32).reshape(len(tags), len(_TAG_GROUPS))


def _path_flags(paths: list) -> np.ndarray:
    """Per ancestor path, whether it holds a tag of each of ``_ANCESTOR_GROUPS``."""
    rows = []
    for path in paths:
        tags = set(path.split())
        rows.append([not members.isdisjoint(tags) for members in _ANCESTOR_GROUPS.values()])
    return np.array(rows, dtype=np.float32).reshape(len(paths), len(_ANCESTOR_GROUPS))


def _word_mask(word: str) -> int:
    """Bit i set when ``word`` holds a key of the i-th of ``_KEYWORD_GROUPS``
    (the answers of their ``search``).

    One regex pass finds, at each position, the longest long key starting
    there; its mask covers every key it contains, so the keys starting at
    the same place (the "head" of "headline") count too. Testing each
    group's keys one by one was ~16 us per new word, and a batch meets ~20
    new class/id words per page (~0.4 ms of ~7.5 per HTML page).
    """
    mask = 0
    for key in _LONG_KEY.findall(word):
        mask |= _LONG_KEY_MASKS[key]
    for part in ATTRIBUTE_WORD_BREAK.split(word):
        mask |= _SHORT_KEY_MASKS.get(part, 0)
    return mask


def _group_bits(holds) -> int:
    """Bits of the ``_KEYWORD_GROUPS`` for which ``holds(group)``."""
    return sum(1 << bit for bit, group in enumerate(_KEYWORD_GROUPS.values()) if holds(group))


# Each long key -> the groups with a long key inside it (itself included).
_LONG_KEY_MASKS = {key: _group_bits(lambda group, key=key: any(other in key
                                                                for other in group.long_keys))
                   for group in _KEYWORD_GROUPS.values() for key in group.long_keys}
# A zero-width lookahead finds overlapping keys; longest first, so that at
# each position the alternation takes the longest key starting there.
_LONG_KEY = re.compile("(?=(" + "|".join(map(re.escape, sorted(_LONG_KEY_MASKS, key=len,
                                                                 reverse=True))) + "))")
# Short keys count as whole [a-z0-9] runs: only a key itself holds a key.
_SHORT_KEY_MASKS = {key: _group_bits(lambda group, key=key: key in group.short_keys)
                    for group in _KEYWORD_GROUPS.values() for key in group.short_keys}


#: Each class/id word's mask, kept across calls: sites share most class/id
#: words ("content", "nav", "wrapper"), and testing each word against every
#: group's keys again on every page was ~7 % of the HTML path.
_WORD_MASKS = _WordMemo(_word_mask)


def attribute_flags(attribute_strings: list) -> np.ndarray:
    """Per string of class/id words, whether it holds a key of each of
    ``_KEYWORD_GROUPS`` (the same answers as ``_KeywordGroup.search``).

    Each distinct *word* is tested once, as a bit mask over the groups,
    and a string's flags are the OR of its words' masks. A page's ancestor
    strings are long and mostly the same words, so testing each string
    whole cost a quarter of the HTML model's time. Per word is the same
    test: no key holds a space, and every space breaks words for the short
    keys too.
    """
    masks = or_of_word_values(attribute_strings, _WORD_MASKS)
    return ((masks[:, None] >> np.arange(len(_KEYWORD_GROUPS))) & 1).astype(np.float32)
