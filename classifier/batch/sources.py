"""Reading pages for batch runs: folders, JSON Lines and WARC/WET files.

Every input yields, in a fixed order, either a :class:`Record` (one page to
classify) or an :class:`Unreadable` (one page that could not be read, with
the reason). A damaged file or record never stops the stream: it becomes an
``Unreadable`` and reading goes on with the next one. The order is the same
on every run over the same inputs, which is what lets an interrupted batch
resume by shard number (see :mod:`classifier.batch`).

``locate_inputs`` yields the same stream without reading the pages: for a
page file, a line of a ``.jsonl`` file or a page record of a WARC/WET
file, where it is (a :class:`PageFile`, :class:`JsonlLine` or
:class:`WarcRecord`, a few dozen bytes), to be read later by
``read_entry``, possibly in another process. A batch driver thus holds
the places of the pages in flight, not the pages; the processes that
classify them read them. A ``.jsonl.gz`` file (one gzip stream) cannot be
entered in the middle, nor can a pipe, so their pages are read as they
are located.

What is a page, by input type:

* a folder: every file below it, in sorted path order, read by its suffix
  as below (hidden files are passed over); the id is the path relative to
  the folder;
* ``.html`` / ``.htm``: one HTML page; ``.txt`` (or any other suffix given
  on the command line): one text page, or an HTML page with ``html=True``;
  the id is the path;
* ``.jsonl`` / ``.jsonl.gz``: one page per line, an object with ``"id"``
  and either ``"text"`` (a text page, or HTML with ``html=True``) or
  ``"html"`` (always HTML), optionally ``"url"``;
* ``.warc`` / ``.wet`` (optionally ``.gz``): WET ``conversion`` records are
  text pages; ``response`` and ``resource`` records with an HTML content
  type are HTML pages; the id is the ``WARC-Record-ID`` and the url the
  ``WARC-Target-URI``. Other records (requests, metadata, images, …) are
  not pages and are passed over.
"""

from __future__ import annotations

import gzip
import json
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Union

import orjson  # strict JSON ~1.5x the json module (pyproject.toml)

from ..errors import InputError
from ..page_bytes import decode_text_page
from .warc import Damaged, Found, bounded_records, warc_records

JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
WARC_SUFFIXES = (".warc", ".warc.gz", ".wet", ".wet.gz")
HTML_SUFFIXES = (".html", ".htm")
TEXT_SUFFIXES = (".txt",)


@dataclass(frozen=True)
class Record:
    """One page read from an input: ``content`` is ``str`` text or, for HTML
    pages, ``bytes`` (or ``str``) markup."""

    id: str
    content: Union[str, bytes]
    is_html: bool
    source: str
    url: str | None = None


@dataclass(frozen=True)
class Unreadable:
    """A page (or a whole file) that could not be read, and why."""

    id: str
    reason: str
    source: str


Item = Union[Record, Unreadable]


@dataclass(frozen=True)
class PageFile:
    """A page file, located but not read yet."""

    path: str
    page_id: str
    is_html: bool
    max_bytes: int

    def read(self) -> Item:
        try:
            size = os.stat(self.path).st_size
            if size > self.max_bytes:
                return Unreadable(self.page_id,
                                  f"{size:,} bytes, over the limit of {self.max_bytes:,}",
                                  self.path)
            # No more than the limit allows, whatever the size said: a
            # device (/dev/zero) or a file still growing has no true size.
            with open(self.path, "rb") as handle:
                data = handle.read(self.max_bytes + 1)
            if len(data) > self.max_bytes:
                return Unreadable(self.page_id, f"over the limit of {self.max_bytes:,} bytes",
                                  self.path)
        except OSError as error:
            return Unreadable(self.page_id, f"cannot be read: {error.strerror or error}",
                              self.path)
        if self.is_html:
            return Record(self.page_id, data, True, self.path)
        try:
            return Record(self.page_id, decode_text_page(data), False, self.path)
        except InputError as error:  # an image or archive among the .txt files
            return Unreadable(self.page_id, str(error), self.path)


@dataclass(frozen=True)
class JsonlLine:
    """A record of an uncompressed ``.jsonl`` file (not a pipe), located but
    not read yet: ``length`` bytes at ``offset``; ``where`` is ``path:line``."""

    path: str
    offset: int
    length: int
    where: str
    html: bool
    max_chars: tuple | None = None

    def read(self) -> Item:
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self.offset)
                line = handle.read(self.length)
        except OSError as error:
            return Unreadable(self.where, f"cannot be read: {error.strerror or error}",
                              self.path)
        return _jsonl_record(line, self.where, self.html, self.path, self.max_chars)


@dataclass(frozen=True)
class WarcRecord:
    """A page record of a WARC/WET file (not a pipe), located but not read
    yet: the record starts at ``offset``."""

    path: str
    offset: int
    max_bytes: int

    def read(self) -> Item:
        from warcio.exceptions import ArchiveLoadFailed

        where = f"{self.path}@{self.offset}"
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self.offset)
                records = bounded_records(handle, self.path.lower().endswith(".gz"))
                item = _warc_page(next(records), self.path, self.max_bytes)
        except (StopIteration, ArchiveLoadFailed, OSError, EOFError, ValueError) as error:
            return Unreadable(where, f"damaged WARC data: {error}", self.path)
        if item is None:  # the file has changed since the record was located
            return Unreadable(where, "no page record here any more", self.path)
        return item


#: What ``locate_inputs`` yields: a page located but not read, or already
#: read (or found unreadable) where it cannot be located.
Entry = Union[PageFile, JsonlLine, WarcRecord, Record, Unreadable]


def read_inputs(inputs, *, html: bool = False, max_bytes: int = 32 * 1024 * 1024,
                max_chars: tuple | None = None) -> Iterator[Item]:
    """Pages from each input path in turn (files or folders).

    ``max_bytes`` bounds one page (a file or a record): a bigger one is
    reported as ``Unreadable`` without being read into memory.
    ``max_chars``, ``(text, html)``, bounds the page a JSON Lines record
    holds, in characters (``Limits.max_page_chars``, ``max_html_bytes``):
    a record over them is reported as it is read, and never travels on.
    """
    for entry in locate_inputs(inputs, html=html, max_bytes=max_bytes, max_chars=max_chars):
        yield read_entry(entry)


def locate_inputs(inputs, *, html: bool = False, max_bytes: int = 32 * 1024 * 1024,
                  max_chars: tuple | None = None) -> Iterator[Entry]:
    """The stream of ``read_inputs``, one entry per page, with the pages
    of page files, uncompressed ``.jsonl`` files and WARC/WET files
    located instead of read."""
    for path in map(Path, inputs):
        if path.is_dir():
            for file in sorted(_files_below(path)):
                yield from _locate_file(file, file.relative_to(path).as_posix(), html,
                                        max_bytes, from_folder=True, max_chars=max_chars)
        else:
            yield from _locate_file(path, str(path), html, max_bytes, from_folder=False,
                                    max_chars=max_chars)


def read_entry(entry: Entry) -> Item:
    """The page an entry of ``locate_inputs`` stands for."""
    return entry.read() if isinstance(entry, (PageFile, JsonlLine, WarcRecord)) else entry


def _files_below(folder: Path):
    for path in folder.rglob("*"):
        relative = path.relative_to(folder).parts
        if path.is_file() and not any(part.startswith(".") for part in relative):
            yield path


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suffix in JSONL_SUFFIXES + WARC_SUFFIXES:
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower()


def _locate_file(path: Path, page_id: str, html: bool, max_bytes: int,
                 from_folder: bool, max_chars: tuple | None = None) -> Iterator[Entry]:
    suffix = _suffix(path)
    source = str(path)
    try:
        if suffix in JSONL_SUFFIXES:
            # A line can be read again from its offset in an uncompressed
            # file, not in a gzip stream or a pipe.
            rereadable = suffix == ".jsonl" and path.is_file()
            for found in _jsonl_lines(path, max_bytes):
                if isinstance(found, Unreadable):
                    yield found
                    continue
                where, offset, line = found
                yield (JsonlLine(source, offset, len(line), where, html, max_chars)
                       if rereadable else _jsonl_record(line, where, html, source, max_chars))
            return
        if suffix in WARC_SUFFIXES:
            yield from (_locate_warc if path.is_file() else _read_warc)(path, max_bytes)
            return
    except OSError as error:
        yield Unreadable(page_id, f"cannot be read: {error.strerror or error}", source)
        return
    if from_folder and suffix not in HTML_SUFFIXES + TEXT_SUFFIXES:
        # Inside a folder only known page files are pages; anything else
        # is reported rather than guessed at or silently dropped.
        yield Unreadable(page_id, f"not a page file (suffix {suffix or 'none'!r}; "
                         "expected .txt, .html, .htm, .jsonl or .warc/.wet)", source)
        return
    yield PageFile(source, page_id, html or suffix in HTML_SUFFIXES, max_bytes)


def _jsonl_lines(path: Path, max_bytes: int):
    """Each non-blank line of a JSONL file as ``(where, offset, line)``, or
    an ``Unreadable`` for a line over ``max_bytes`` (skipped without being
    held) and for a file that cannot be read further (the last item)."""
    source = str(path)
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as handle:
        line_no = offset = 0  # counted, not asked: a pipe cannot tell()
        while True:
            line_no += 1
            where = f"{path}:{line_no}"
            try:
                line = handle.readline(max_bytes + 1)
            except (OSError, EOFError, zlib.error) as error:  # e.g. a damaged .gz
                yield Unreadable(where, f"file cannot be read further: {error}", source)
                return
            if not line:
                return
            start, offset = offset, offset + len(line)
            if len(line) > max_bytes:
                # Skip the rest of the over-long line without holding it.
                while line and not line.endswith(b"\n"):
                    line = handle.readline(max_bytes + 1)
                    offset += len(line)
                yield Unreadable(where, f"record over the limit of {max_bytes:,} bytes", source)
                continue
            if line.strip():
                yield where, start, line


def _jsonl_record(line: bytes, where: str, html: bool, source: str,
                  max_chars: tuple | None = None) -> Item:
    """The page of one JSON Lines record; one over ``max_chars`` (``(text,
    html)`` characters) is refused here, where it is read: a .jsonl.gz
    record travels from the reading process to a worker, and 60 records of
    30 MB each, under the record limit and over the page limits, took the
    run to 7.6 GB before the workers refused them."""
    record = _jsonl_page(line, where, html, source)
    if max_chars is not None and isinstance(record, Record):
        limit = max_chars[1] if record.is_html else max_chars[0]
        if len(record.content) > limit:
            kind = "HTML" if record.is_html else "text"
            return Unreadable(record.id, f"{kind} of {len(record.content):,} characters, over "
                              f"the limit of {limit:,}", source)
    return record


def _jsonl_page(line: bytes, where: str, html: bool, source: str) -> Item:
    try:
        record = _parsed_json(line)
    except ValueError as error:
        return Unreadable(where, f"not valid JSON ({error})", source)
    if not isinstance(record, dict):
        return Unreadable(where, f"expected a JSON object, got {type(record).__name__}", source)
    page_id = record.get("id")
    if not isinstance(page_id, (str, int)) or isinstance(page_id, bool) or page_id == "":
        return Unreadable(where, 'no "id" (a string or integer)', source)
    page_id = str(page_id)
    url = record.get("url") if isinstance(record.get("url"), str) else None
    if isinstance(record.get("html"), str):
        return Record(page_id, record["html"], True, source, url)
    if isinstance(record.get("text"), str):
        return Record(page_id, record["text"], html, source, url)
    return Unreadable(page_id, 'no "text" or "html" string in the record', source)


def _parsed_json(line: bytes):
    """``json.loads(line)``, by orjson where it gives the same record (~1.5x
    faster on page records). orjson refuses what the json module reads
    beyond strict JSON (NaN, an escaped lone surrogate, a byte-order mark,
    UTF-16), which json then reads (or refuses) as before; and it reads an
    integer beyond 64 bits as a float, so a record whose id came out a
    float is read by json again (no other number of a record is read)."""
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        return json.loads(line)
    if isinstance(record, dict) and isinstance(record.get("id"), float):
        return json.loads(line)
    return record


def _read_warc(path: Path, max_bytes: int) -> Iterator[Item]:
    source = str(path)

    def page(record):  # read before the record is read to its end
        return _warc_page(record, source, max_bytes)

    for found in warc_records(path, page):
        if isinstance(found, Damaged):
            yield Unreadable(f"{path}@{found.offset}", found.reason, source)
        elif found.content is not None or _damaged_page(found):
            yield _unless_damaged(found, found.content, source)


def _locate_warc(path: Path, max_bytes: int) -> Iterator[Entry]:
    """``_read_warc``'s stream with each page record located, not read.

    A record starts a gzip member of its own in a .gz file (warcio reads no
    other kind), so it can be read again from its offset alone.
    """
    source = str(path)

    def refusal(record):  # a page record's, or (not a page) None
        if _warc_page_kind(record) is None:
            return None
        return _warc_refusal(record, source, max_bytes) or "page"

    for found in warc_records(path, refusal):
        if isinstance(found, Damaged):
            yield Unreadable(f"{path}@{found.offset}", found.reason, source)
        elif found.content is not None or _damaged_page(found):
            item = (WarcRecord(source, found.offset, max_bytes) if found.content == "page"
                    else found.content)
            yield _unless_damaged(found, item, source)


def _damaged_page(found: Found) -> bool:
    # A page record too damaged to be read at all (no length): reported.
    return found.damaged and _warc_page_kind(found.record) is not None


def _unless_damaged(found: Found, item, source: str):
    """``item``, or an ``Unreadable`` if the record's length was wrong: its
    content is then not what its writer put there."""
    if found.damaged:
        return Unreadable(_warc_id(found.record, source),
                          "damaged WARC record: its Content-Length does not end where the "
                          "next record starts", source)
    return item


def _warc_id(record, source: str) -> str:
    return record.rec_headers.get_header("WARC-Record-ID") or f"{source}@?"


def _warc_page_kind(record) -> bool | None:
    """``True`` for an HTML page record, ``False`` for a text page (WET),
    ``None`` for a record that is not a page."""
    if record.rec_type == "conversion":
        return False
    if record.rec_type in ("response", "resource"):
        content_type = (record.http_headers.get_header("Content-Type")
                        if record.http_headers is not None else record.content_type) or ""
        return True if "html" in content_type.lower() else None
    return None


def _warc_refusal(record, source: str, max_bytes: int) -> Unreadable | None:
    length = int(record.rec_headers.get_header("Content-Length") or 0)
    if length > max_bytes:
        return Unreadable(_warc_id(record, source),
                          f"{length:,} bytes, over the limit of {max_bytes:,}", source)
    return None


def _warc_page(record, source: str, max_bytes: int) -> Item | None:
    is_html = _warc_page_kind(record)
    if is_html is None:
        return None
    page_id = _warc_id(record, source)
    refused = _warc_refusal(record, source, max_bytes)
    if refused is not None:
        return refused
    try:
        # No more than the limit, whatever the headers said.
        data = record.content_stream().read(max_bytes + 1)
    except Exception as error:  # decompression and chunking errors of one record
        return Unreadable(page_id, f"record content cannot be read: {error}", source)
    if len(data) > max_bytes:
        return Unreadable(page_id, f"over the limit of {max_bytes:,} bytes", source)
    url = record.rec_headers.get_header("WARC-Target-URI")
    if is_html:
        return Record(page_id, data, True, source, url)
    return Record(page_id, data.decode("utf-8", errors="replace"), False, source, url)
