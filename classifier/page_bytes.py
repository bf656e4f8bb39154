"""What a page's bytes are before they are read as HTML or text: byte-order
marks, the signatures of files that are not pages, binary data.

Light on purpose (no lxml): the batch driver reads text pages with it.
"""

from __future__ import annotations

import codecs
import re

from .errors import InputError

BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it shares a prefix
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# The first bytes of files often served where a page was expected (a crawl
# of links also fetches documents, images, archives). Whatever text they
# hold is not a web page's, so they are refused rather than classified.
_FILE_SIGNATURE_BYTES = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive or Office document"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"wOFF", "a web font"),
    (b"wOF2", "a web font"),
    (b"OggS", "an Ogg media file"),
    # ID3v2 tag: "ID3", major version 2-4, revision 0 (plain "ID3" could
    # start a text).
    (b"ID3\x02\x00", "an MP3 file"),
    (b"ID3\x03\x00", "an MP3 file"),
    (b"ID3\x04\x00", "an MP3 file"),
    (b"\x7fELF", "an executable"),
)
# As text, one character per byte: compared with the head of a page given
# as bytes (decoded as latin-1) or as str.
_FILE_SIGNATURES = tuple((signature.decode("latin-1"), name)
                         for signature, name in _FILE_SIGNATURE_BYTES)
# Control characters (other than tab, line breaks and form feed) and
# U+FFFD (what a decoder puts for bytes it could not read): HTML and text
# have next to none, compressed or encrypted data ~10 % and more.
_BINARY_CHARACTER = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffd]")
#: Share of such characters in a page's first 4 KB above which it is binary.
MAX_BINARY_SHARE = 0.05


def not_a_page_reason(page) -> str | None:
    """Why ``page`` (HTML or text, ``bytes`` or ``str``) cannot be a web
    page: a known binary file signature, or too many control characters in
    its first 4 KB; else ``None``. Pages with a UTF-16/32 byte-order mark
    are text whatever their zero bytes."""
    if isinstance(page, (bytes, bytearray, memoryview)):
        head = bytes(page[:4096])
        if any(head.startswith(bom) for bom, _ in BOMS):
            return None
        head = head.decode("latin-1")  # one character per byte, never fails
    elif isinstance(page, str):
        head = page[:4096]
    else:
        return None  # not a page at all: the reader says so
    for signature, name in _FILE_SIGNATURES:
        if head.startswith(signature):
            return name
    share = len(_BINARY_CHARACTER.findall(head)) / max(len(head), 1)
    if share > MAX_BINARY_SHARE:
        return f"binary data, {share:.0%} control characters in its first 4 KB"
    return None


def decode_text_page(data: bytes) -> str:
    """A text page's bytes as text: UTF-8 (or the UTF-16/32 of a byte-order
    mark), a stray invalid byte replaced rather than the page lost; a file
    that is not text (an image, an archive, binary data) is an
    ``InputError``, as it is for HTML."""
    reason = not_a_page_reason(data)
    if reason:
        raise InputError(f"not text: {reason}")
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace")
    return data.decode("utf-8", errors="replace")
