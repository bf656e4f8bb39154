"""HTML → visible text blocks, one block per line.

This is the single conversion used both to build the line model's training
data from crawled pages and to read HTML at prediction time, so the model
always sees lines shaped the same way. The output looks like the text a
browser shows, copied block by block (see ``examples/*.txt``):

* every block-level element (paragraph, heading, list item, table cell,
  ``div``…) starts a new line, inline elements are joined as they are;
* list items get a ``"- "`` prefix, the way copied lists look;
* ``<br>`` breaks a line, ``<pre>`` keeps its own line breaks;
* the ``<title>`` is the first line; scripts, styles, forms' option lists,
  comments and the rest of the ``<head>`` are dropped; whitespace inside a
  block is collapsed to single spaces.

Each block also carries a few facts about where it sat in the DOM (its tag,
the tags and class/id/itemprop/role words of its ancestors, how much of it
was link text),
so a model can use the page structure, not only the words.
"""

from __future__ import annotations

import codecs
import functools
import html as html_entities
import re
from dataclasses import dataclass, field

import lxml.etree

from ..errors import InputError
from ..page_bytes import BOMS
from ..text import replace_surrogates

try:
    from . import _html
except ImportError:  # built without a C compiler: the Python walk
    _html = None

#: Whether the compiled walk is used: built, and for the libxml2 that lxml
#: parses with (it reads libxml2's nodes, laid out as that version's headers
#: say).
COMPILED = (_html is not None
            and _html.LIBXML_VERSION == int("%d%02d%02d" % lxml.etree.LIBXML_COMPILED_VERSION))

# Elements whose content is never visible text.
_DROPPED_TAGS = frozenset(
    """script style noscript template head title meta link svg math iframe
    object embed canvas select option datalist button textarea input audio
    video source track map area""".split()
)

# Elements that start and end a block (a new output line).
_BLOCK_TAGS = frozenset(
    """address article aside blockquote body center dd details dialog dir div
    dl dt fieldset figcaption figure footer form frameset h1 h2 h3 h4 h5 h6
    header hgroup hr html legend li main menu nav noframes ol p pre section
    summary table tbody td tfoot th thead tr ul caption""".split()
)

_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.IGNORECASE
)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.\-]+)""")
# Browsers treat these labels as windows-1252; so do we (WHATWG encoding spec).
_ENCODING_ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252",
                     "ascii": "cp1252", "us-ascii": "cp1252", "iso8859-1": "cp1252"}

@dataclass
class Block:
    """One visible text block of an HTML page, in document order."""

    text: str
    tag: str = ""
    # Tags from the root down to the block's element (excluding itself).
    ancestors: tuple = ()
    # Lower-cased words of the WORD_ATTRIBUTES (class, id, itemprop, role) of
    # the block and its ancestors.
    attribute_words: tuple = ()
    # Characters of the block's text that sat inside <a> elements.
    link_chars: int = 0
    depth: int = 0
    extra: dict = field(default_factory=dict)


def decode_html(html: bytes | str) -> str:
    """Decode page bytes the way a browser would, never failing.

    Order: byte-order mark, ``<meta charset>`` / http-equiv / XML declaration
    in the first 4 KB, then strict UTF-8, then windows-1252 (which maps every
    byte, so the page always decodes).
    """
    if isinstance(html, str):
        return replace_surrogates(html)
    if not isinstance(html, (bytes, bytearray, memoryview)):
        raise InputError(f"HTML must be str or bytes, not {type(html).__name__}")
    data = bytes(html)
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace")
    head = data[:4096]
    declared = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    if declared:
        label = declared.group(1).decode("ascii", "ignore").lower()
        label = _ENCODING_ALIASES.get(label, label)
        if _is_text_encoding(label) and not label.startswith(("utf-16", "utf-32")):
            # A page labelled UTF-8 that is not valid UTF-8 is far more often
            # really cp1252 than broken; try the label strictly first.
            try:
                return data.decode(label)
            except UnicodeError:  # (a codec may raise its parent class too)
                pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _is_text_encoding(label: str) -> bool:
    """Whether Python knows ``label`` as a text encoding. A page may name
    any codec: rot13, base64, hex, zlib, bz2, uu or quopri are bytes or
    text transforms, not encodings ("is not a text encoding" on decode),
    and "undefined" fails on every byte; those labels are ignored as
    unknown ones are."""
    try:
        info = codecs.lookup(label)
    except LookupError:
        return False
    return getattr(info, "_is_text_encoding", True) and info.name != "undefined"


def _parse(text: str):
    """Parse a page with libxml2's recovering HTML parser; None if there is nothing."""
    # An XML declaration carries nothing we need (and in a str lxml refuses it).
    text = re.sub(r"^\s*<\?xml[^>]*>", "", text)
    if not text.strip():
        return None
    # Given as UTF-8 bytes (decode_html leaves no lone surrogates), with
    # control characters other than tab/newline/CR, which make libxml2 stop
    # early, turned into spaces by one bytes.translate: the same tree as
    # from the str after a regex substitution, in ~0.7 instead of ~1.0 ms
    # per shared page. (In UTF-8 those bytes are never part of another
    # character.)
    data = text.encode("utf-8").translate(_CONTROLS_TO_SPACES)
    # libxml2 (2.14) stops reading at </html>; a browser goes on and shows
    # what follows as the body's end. 42 of the 3,022 shared pages have
    # text there: a footer, a pasted second page, once a whole article.
    # Without the end tags the parser reads on to the end of the page (and
    # _move_content_beside_body places what lands beside the body).
    data = _HTML_END_TAG.sub(b"", data)
    data = _without_noscript(data)
    # huge_tree lifts libxml2's nesting limit from 256 to 2048 levels.
    # The plain etree parser, not lxml.html's: lxml.html looks up a Python
    # element class for every node, which cost a tenth of the conversion.
    # collect_ids=False: no table of the id attributes, which only serves
    # lookups by id (the same trees; ~0.15 ms less per shared page).
    parser = lxml.etree.HTMLParser(remove_comments=True, remove_pis=True, recover=True,
                                   huge_tree=True, encoding="utf-8", collect_ids=False)
    try:
        root = lxml.etree.fromstring(data, parser=parser)
    except (lxml.etree.ParserError, lxml.etree.XMLSyntaxError, ValueError):
        return None
    if root is None:
        return None
    if any(error.type_name == "ERR_RESOURCE_LIMIT" for error in parser.error_log):
        # Nested deeper than libxml2 allows: it stopped reading there and
        # would silently lose the rest of the page. Rebuild it flat instead.
        return _flat_document(_CONTROL_CHARACTERS.sub(" ", text))
    _move_stray_head_content(root)
    _move_content_beside_body(root)
    return root


_HTML_END_TAG = re.compile(rb"</html\s*>", re.IGNORECASE)

_NOSCRIPT = re.compile(rb"<noscript\b", re.IGNORECASE)
# Comments, and the elements a browser reads as raw text up to their end
# tag: a "<noscript>" inside them is no element.
_COMMENT_RAW_OR_NOSCRIPT = re.compile(
    rb"<!--|<(script|style|textarea|title|xmp|noembed|noframes|noscript)\b", re.IGNORECASE)


def _without_noscript(data: bytes) -> bytes:
    """The page without its <noscript> elements, read as a browser that runs
    scripts reads them: their content is hidden text up to the first
    </noscript>. libxml2 parses that content as markup, so a tag left open
    in it (``<noscript><div id="x"></noscript>``, an old browser-sniffing
    pattern) kept the element open to the end of the page, and the page's
    content was dropped with it (CleanEval's page 714: 1,452 words). An
    element without an end tag loses only its opening tag (no text is
    dropped on a guess, as in ``_strip_invisible``); a comment or a raw-text
    element (script, style, title, …) without one holds the rest of the
    page, as in a browser. Linear in the page: once a <noscript> has no end
    tag, none further on is searched for."""
    if _NOSCRIPT.search(data) is None:
        return data
    lower = data.lower()
    pieces, kept_from, position, unclosed = [], 0, 0, False
    while (found := _COMMENT_RAW_OR_NOSCRIPT.search(data, position)) is not None:
        if found.group(1) is None:  # a comment
            end = lower.find(b"-->", found.end())
            if end < 0:
                break  # the rest is a comment to libxml2
            position = end + 3
            continue
        tag = found.group(1).lower()
        close = -1 if tag == b"noscript" and unclosed else lower.find(b"</" + tag, found.end())
        if close < 0:
            if tag != b"noscript":
                break  # the rest of the page is that element's text
            unclosed = True  # only this opening tag goes, and any later one's
            end = lower.find(b">", found.end())
            pieces.append(data[kept_from:found.start()])
            kept_from = position = len(data) if end < 0 else end + 1
            continue
        end = lower.find(b">", close)
        end = len(data) if end < 0 else end + 1
        if tag == b"noscript":
            pieces.append(data[kept_from:found.start()])
            kept_from = end
        position = end
    pieces.append(data[kept_from:])
    return b"".join(pieces)

#: What a <head> holds; anything else found there belongs to the body.
_HEAD_TAGS = frozenset("title meta link script style base noscript template".split())


def _move_stray_head_content(root) -> None:
    """Move what libxml2 left in the <head> that a browser shows into the body.

    HTML5 lets a page leave out <body> (``<!doctype html><title>…</title>
    <article>…``). libxml2's parser, which knows HTML 4, opens the body
    for a known body element, but keeps HTML5's (article, section, nav,
    header, main, …) in the head, where nothing is visible: a whole article
    was lost. From the first element that is not a head element, the
    head's children go to the start of the body, in order, as a browser
    places them."""
    head = root.find("head")
    if head is None:
        return
    stray = next((child for child in head if isinstance(child.tag, str)
                  and child.tag.lower() not in _HEAD_TAGS), None)
    if stray is None:
        return
    body = root.find("body")
    if body is None:
        body = lxml.etree.SubElement(root, "body")
    for element in reversed([stray, *stray.itersiblings()]):
        body.insert(0, element)


def _is_tag(element, name: str) -> bool:
    return isinstance(element.tag, str) and element.tag.lower() == name


def _has_text(text: str | None) -> bool:
    return bool(text and not text.isspace())


def _move_content_beside_body(root) -> None:
    """Move what libxml2 left beside the <body> into it, in document order.

    Crawled pages are often cut and pasted together: markup after
    ``</body>`` or ``</html>``, a second ``<html><head>…<body>`` in the
    middle of a page (CleanEval's pages, re-published templates). libxml2
    keeps such content as siblings of the first <body>, under the root,
    and walking the body alone lost it: 85 of the 3,022 shared pages, one
    of them all but its title. A browser shows it as part of the body, so
    it goes there: what came before the body to its start, what came
    after to its end. A later <body> gives up its content; <head>
    elements stay where they are, out of the walk."""
    body = root.find("body")
    if body is None:
        return  # (the walk starts at the root: nothing is beside it)
    # (Most pages: only whitespace around the head and the body; no rewrite.)
    if not (_has_text(root.text) or _has_text(body.tail)
            or any(child is not body and not (_is_tag(child, "head") and not _has_text(child.tail))
                   for child in root)):
        return
    pieces = [root.text]  # text and elements, in document order
    for child in list(root):
        if child is body:
            pieces += [body.text, *body, body.tail]
        elif _is_tag(child, "head"):
            pieces.append(child.tail)
            child.tail = None
        elif _is_tag(child, "body"):
            pieces += [child.text, *child, child.tail]
            root.remove(child)
        else:
            pieces.append(child)  # (with its tail)
    root.text = body.text = body.tail = None
    last = None
    for piece in pieces:
        if piece is None:
            continue
        if isinstance(piece, str):
            if last is None:
                body.text = (body.text or "") + piece
            else:
                last.tail = (last.tail or "") + piece
        else:
            body.append(piece)
            last = piece


# Control characters other than tab, line feed and carriage return: as a
# pattern for text, and as a bytes.translate table turning them into spaces.
_CONTROL_CODES = frozenset(code for code in range(32) if code not in (9, 10, 13))
_CONTROL_CHARACTERS = re.compile("[" + "".join(map(chr, sorted(_CONTROL_CODES))) + "]")
_CONTROLS_TO_SPACES = bytes(32 if code in _CONTROL_CODES else code for code in range(256))


# [^<>] (not [^>]): an unclosed "<a x" must not make each tag scan to the end.
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^<>]*>")
_INVISIBLE_OPEN = re.compile(r"<(script|style|noscript|template|head)\b", re.IGNORECASE)


def _strip_invisible(text: str) -> str:
    """Remove script/style/head… elements, in time linear in the page size.

    (A lazy ``<script>.*?</script>`` regex rescans to the end of the page for
    every unclosed opener: 32,000 of them took a minute.) An element without
    a closing tag loses only its opening tag, so no text is dropped on a guess.
    """
    lower = text.lower()
    pieces, position, unclosed = [], 0, set()
    for opening in _INVISIBLE_OPEN.finditer(text):
        if opening.start() < position:
            continue  # inside an element already removed
        tag = opening.group(1).lower()
        close = -1 if tag in unclosed else lower.find("</" + tag, opening.end())
        if close < 0:
            unclosed.add(tag)  # no closer further on either: never search again
            continue
        end = lower.find(">", close)
        pieces.append(text[position:opening.start()])
        position = len(text) if end < 0 else end + 1
    pieces.append(text[position:])
    return " ".join(pieces)


def _flat_document(text: str):
    """A document with one <p> per block of ``text``, for pathological nesting.

    Keeps every visible word and the block boundaries; loses the DOM
    structure, which is meaningless at that depth anyway.
    """
    text = _strip_invisible(text)
    text = _TAG.sub(lambda m: "\n" if m.group(2).lower() in _BLOCK_TAGS or
                    m.group(2).lower() == "br" else "", text)
    body = lxml.etree.Element("body")
    for line in text.split("\n"):
        if line.strip():
            lxml.etree.SubElement(body, "p").text = html_entities.unescape(line)
    root = lxml.etree.Element("html")
    root.append(body)
    return root


class _BlockBuilder:
    """Accumulates inline text until a block boundary, then emits a Block."""

    def __init__(self, max_blocks: int | None = None):
        self.max_blocks = max_blocks
        self.blocks: list[Block] = []
        self.parts: list[str] = []
        self.link_chars = 0
        self.owner = None  # (tag, ancestors, attribute words, depth) of the open block

    def add(self, text: str, in_link: bool):
        # Whitespace opening a block is dropped by the collapse in flush()
        # and is no link text: not keeping it spares most flushes (pages
        # are full of whitespace between block tags).
        if text and (self.parts or not text.isspace()):
            self.parts.append(text)
            if in_link:
                self.link_chars += len(_collapse_whitespace(text))

    def flush(self):
        if not self.parts:
            self.link_chars = 0
            return
        text = _collapse_whitespace("".join(self.parts))
        if text and self.owner is not None:
            tag, ancestors, words, depth = self.owner
            if tag == "li":
                text = "- " + text
            self.blocks.append(Block(text=text, tag=tag, ancestors=ancestors,
                                     attribute_words=words,
                                     link_chars=min(self.link_chars, len(text)),
                                     depth=depth))
            if self.max_blocks is not None and len(self.blocks) > self.max_blocks:
                raise TooManyBlocks(f"more than {self.max_blocks} blocks")
        self.parts.clear()
        self.link_chars = 0


def _collapse_whitespace(text: str) -> str:
    # Collapses runs of whitespace (str.isspace, the same set as regex \s)
    # to one space and strips the ends; faster than a regex substitution.
    return " ".join(text.split())


#: The attributes whose words describe an element: its class and id, and the
#: schema.org property and ARIA role that today's sites mark their article,
#: comments and navigation with (itemprop="articleBody", role="main",
#: role="navigation"), read as the C walk reads them, in this order.
WORD_ATTRIBUTES = ("class", "id", "itemprop", "role")

#: Attribute words kept per block: its own and its nearest ancestors', the
#: last ones. Every block carries its ancestors' words, so a page nested
#: 1,000 levels deep with 100 class words a level made each block carry up
#: to 100,000 words (minutes and gigabytes for a 0.7 MB page); the most any
#: block of the 3,022 shared pages has is 686.
MAX_ATTRIBUTE_WORDS = 1024

#: What separates the words of class and id values: a word is a run of
#: [a-z0-9] (the DOM features' keyword groups match on the same words).
ATTRIBUTE_WORD_BREAK = re.compile(r"[^a-z0-9]+")


@functools.lru_cache(maxsize=4096)
def _attribute_words(values: str) -> tuple:
    """Lower-cased words of an element's WORD_ATTRIBUTES values, joined by
    spaces (pages repeat the same few values many times, hence the cache)."""
    return tuple(w for w in ATTRIBUTE_WORD_BREAK.split(values.lower()) if w)


def html_to_blocks(html: bytes | str) -> list[Block]:
    """Return the page's title and visible text blocks, in document order.

    The ``<title>`` (whitespace collapsed) comes first, as the block with tag
    ``"title"``: browsers show it, copied and re-published pages often carry
    it as their first line (see ``examples/``), and the line model uses it
    to recognise the headline, which usually repeats it. The title itself is
    page chrome and is labelled boilerplate in training.
    """
    return [Block(*row) for row in html_to_block_rows(html)]


class TooManyBlocks(Exception):
    """A page has more blocks than the ``max_blocks`` it was converted with."""


def html_to_block_rows(html: bytes | str, max_blocks: int | None = None) -> list[tuple]:
    """:func:`html_to_blocks` as rows: a tuple of the first six fields of
    each :class:`Block` (text, tag, ancestors, attribute_words, link_chars,
    depth), which is all the HTML line model reads. Prediction takes these:
    an object per block cost ~1-2 us of the ~25 per line of the HTML path.

    With ``max_blocks``, a page of more blocks raises :class:`TooManyBlocks`
    as soon as the walk has made one more: a 31 MB page of ``<p>x</p>``
    was converted whole (1.9 GB) before the line limit refused it.
    """
    root = _parse(decode_html(html))
    if root is None:
        return []
    title = root.find("head/title")
    if title is None:
        title = root.find(".//title")
    title_text = _collapse_whitespace("".join(title.itertext())) if title is not None else ""
    rows = [(title_text, "title", ("html", "head"), (), 0, 0)] if title_text else []
    body = root.find("body")
    start = body if body is not None else root
    # (The title row counts: it is a line of the page.)
    room = None if max_blocks is None else max(max_blocks - len(rows), -1)
    try:
        walked = _compiled_walk(start, room)
        return rows + (block_rows(_python_walk(start, room)) if walked is None else walked)
    except TooManyBlocks:
        raise TooManyBlocks(f"more than {max_blocks} blocks") from None


def block_rows(blocks: list[Block]) -> list[tuple]:
    """Each block's row (see :func:`html_to_block_rows`)."""
    return [(block.text, block.tag, block.ancestors, block.attribute_words, block.link_chars,
             block.depth) for block in blocks]


def _python_walk(start, max_blocks: int | None = None) -> list[Block]:
    """The visible text blocks of the element ``start`` and its subtree
    (and of its tail), in document order: the definition of the walk, which
    ``_compiled_walk`` reproduces."""
    builder = _BlockBuilder(max_blocks)
    # lxml's iterwalk visits the tree without recursion (deeply nested pages
    # must not overflow the stack) and in C: a Python stack of elements to
    # visit cost a third more. contexts[-1] is the context of the element
    # whose children are being visited: (ancestors, class/id words, in_link,
    # in_pre, depth), ancestors ending with that element's tag; None for a
    # dropped element. An element's tail belongs to its parent's flow, so
    # it is handled at the element's end, in the context it was opened in.
    # (This loop runs for every element of every page: the builder's cheap
    # cases are inline, and whitespace opening a block is not kept.)
    contexts = [((), (), False, False, 0)]
    builder.owner = ("body", (), (), 0)
    parts = builder.parts  # flush() empties it in place
    walk = lxml.etree.iterwalk(start, events=("start", "end"))
    for event, element in walk:
        if event == "end":
            closed = contexts.pop()
            ancestors, words, in_link, in_pre, depth = contexts[-1]
            if closed is not None and closed[0][-1] in _BLOCK_TAGS:
                if parts:
                    builder.flush()
                builder.owner = ("/" + closed[0][-1], ancestors, words, depth)
            tail = element.tail
            if tail and (parts or not tail.isspace()):
                builder.add(_text(tail, in_pre, builder) if in_pre else tail, in_link)
            continue
        tag = element.tag
        tag = tag.lower() if isinstance(tag, str) else ""
        if not tag or tag in _DROPPED_TAGS:
            walk.skip_subtree()  # its end event still comes, for the tail
            contexts.append(None)
            continue
        ancestors, words, in_link, in_pre, depth = contexts[-1]
        # Most elements have none of these: skip the split for them.
        values = [element.get(name) for name in WORD_ATTRIBUTES]
        if any(values):
            words = (words + _attribute_words(" ".join(value or "" for value in values))
                     )[-MAX_ATTRIBUTE_WORDS:]
        if tag in _BLOCK_TAGS:
            if parts:
                builder.flush()
            builder.owner = (tag, ancestors, words, depth)
        elif tag == "br" and parts:
            builder.flush()
        in_link = in_link or tag == "a"
        in_pre = in_pre or tag == "pre"
        text = element.text
        if text and (parts or not text.isspace()):
            builder.add(_text(text, in_pre, builder) if in_pre else text, in_link)
        contexts.append((ancestors + (tag,), words, in_link, in_pre, depth + 1))
    builder.flush()
    return _drop_closing_owner_tags(builder.blocks)


def _compiled_walk(start, max_blocks: int | None = None) -> list | None:
    """``_python_walk`` in C (classifier/lines/_html.c): the blocks as tuples of
    Block's fields, or None where the Python walk must run (no compiled
    module, another libxml2 than the one it was built for, or a tree it
    does not reproduce: a comment, an entity, a namespaced element...)."""
    if not COMPILED or not isinstance(start, lxml.etree._Element):
        return None
    try:
        return _html.walk(start, _BLOCK_TAGS, _DROPPED_TAGS,
                          -1 if max_blocks is None else max_blocks)
    except ValueError:  # _html.Unsupported (or text that is not UTF-8)
        return None
    except _html.TooManyBlocks as error:
        raise TooManyBlocks(str(error)) from None


def _text(text, in_pre: bool, builder: _BlockBuilder) -> str:
    if not text:
        return ""
    if in_pre and "\n" in text:
        # Inside <pre> each source line is a line of its own.
        pieces = text.split("\n")
        for piece in pieces[:-1]:
            builder.add(piece, False)
            builder.flush()
        return pieces[-1]
    return text


def _drop_closing_owner_tags(blocks: list[Block]) -> list[Block]:
    # Text after a block's end tag belongs to the enclosing block; we mark such
    # runs with "/tag" while walking and report the enclosing element's tag.
    for block in blocks:
        if block.tag.startswith("/"):
            block.tag = block.ancestors[-1] if block.ancestors else "body"
    return blocks


def html_to_lines(html: bytes | str) -> list[str]:
    """Return the page's title and visible text, one block per line (no blank lines)."""
    return [block.text for block in html_to_blocks(html)]
