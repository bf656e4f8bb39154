"""WARC/WET files record by record, so that a damaged record costs that
record, not the rest of the file, and no record costs more memory than
its own size allows.

warcio (the Webrecorder project's reader) parses the records: gzip
members, chunked transfer encoding, the record formats of real crawls
(Common Crawl WARC and WET), which a hand-written parser would not. Around
it, this module

* reads every header or separator line no longer than ``MAX_LINE`` bytes:
  a record whose Content-Length understates its content, followed by a
  gigabyte without a line break, was read as one line (and printed to
  stderr by warcio);
* checks that each record ends where its Content-Length says, by what
  follows it (blank lines, then the next record or the end), so that a
  record of the wrong length is reported as damaged instead of being
  taken as a page;
* where the framing is lost (a corrupted gzip member, a record that is
  not one), reports the damaged stretch once and goes on at the next
  record it can find: the next gzip member for a ``.gz`` file (each
  record is one), the next ``WARC/1.`` otherwise, searched for in blocks
  of ``SCAN_BLOCK`` bytes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

#: Longest header or separator line read; a longer one is cut there (and
#: then fails to parse as what it should be).
MAX_LINE = 64 * 1024
#: Bytes read at a time while looking for the next record after damage.
SCAN_BLOCK = 1 << 20
#: Bytes of a file decompressed at a time: deflate expands at most ~1,000
#: times, so one block never holds more than ~4 MB (warcio's 16 KB blocks
#: held 16 MB of a gzip member of repeated bytes).
COMPRESSED_BLOCK = 4096
_GZIP_MEMBER_START = b"\x1f\x8b\x08"
# Anywhere, not only at a line's start: junk without a line break may run
# into the next record's first line. A false find inside junk fails to
# parse, and the search goes on after it.
_WARC_RECORD_START = b"WARC/1."
# What warcio and zlib raise for data that is not what it should be.
_DAMAGE = (OSError, EOFError, ValueError)


@dataclass
class Found:
    """A record: warcio's record (its headers), where it starts, whether
    its length is wrong (what follows it is not a record boundary), and
    what the ``read`` function given to :func:`warc_records` returned for
    it (called before the record was read to its end)."""

    record: object
    offset: int
    damaged: bool
    content: object


@dataclass
class Damaged:
    """A stretch of the file where no record could be read."""

    offset: int
    reason: str


def warc_records(path: Path, read: Callable = lambda record: None
                 ) -> Iterator[Found | Damaged]:
    """Each record of a WARC/WET file in order, and a :class:`Damaged`
    for each stretch where the framing was lost, reading going on at the
    next record found after it."""
    from warcio.exceptions import ArchiveLoadFailed

    compressed = path.name.lower().endswith(".gz")
    with open(path, "rb") as handle:
        start = 0
        reported = False  # the current damaged stretch is reported once
        while start is not None:
            handle.seek(start)
            records = bounded_records(handle, compressed)
            last = None  # where the last record found starts
            try:
                for record in records:
                    if not _has_a_length(record):
                        # Its end is unknown (warcio would read to the end of
                        # the file): reported, and the search for the next
                        # record starts just after its start.
                        yield Found(record, records.offset, True, None)
                        reported = True
                        raise _NoLength(records.offset)
                    content = read(record)
                    offset, damaged = _finish(records)
                    # (A damaged record reports the damage that follows it.)
                    last, reported = offset, damaged
                    yield Found(record, offset, damaged, content)
                return
            except _NoLength as error:
                start = _next_record_start(handle, error.offset + 1, compressed)
            except (ArchiveLoadFailed, *_DAMAGE) as error:
                # The search for the next record starts just after the
                # start of the last record found (its length may have been
                # wrong and swallowed the next record's first line; warcio's
                # offsets within a gzip member are no byte positions),
                # else where this try began.
                at = (records.damaged_at if records.damaged_at is not None
                      else last if last is not None else start)
                if not reported:
                    yield Damaged(at, f"damaged WARC data: {_first_line(error)}")
                    reported = True
                start = _next_record_start(handle, at + 1, compressed)


class _NoLength(Exception):
    def __init__(self, offset: int):
        super().__init__(offset)
        self.offset = offset


def _has_a_length(record) -> bool:
    length = record.rec_headers.get_header("Content-Length")
    return length is not None and length.strip().isdigit()


def bounded_records(handle, compressed: bool):
    """warcio's record iterator over ``handle`` from where it is, reading lines
    of at most ``MAX_LINE`` bytes and ``COMPRESSED_BLOCK`` bytes at a time."""
    return _record_iterator_class()(handle, compressed)


@functools.lru_cache(maxsize=1)
def _record_iterator_class():
    # Made once, on first use: warcio is imported only by runs that read
    # WARC files (and a worker reads one record per page it is sent).
    from warcio.archiveiterator import ArchiveIterator
    from warcio.bufferedreaders import DecompressingBufferedReader

    class BoundedLines(DecompressingBufferedReader):
        def readline(self, length=None):
            return super().readline(MAX_LINE if not length or length > MAX_LINE else length)

    class Records(ArchiveIterator):
        """warcio's iterator with bounded lines, recording a record of the
        wrong length (``damaged_at``) instead of printing a warning."""

        damaged_at = None

        def __init__(self, fileobj, compressed: bool):
            super().__init__(fileobj)
            self.one_record_per_member = compressed
            self.reader = BoundedLines(self.fh, block_size=COMPRESSED_BLOCK)

        def _consume_blanklines(self):
            # After a record come two blank lines, then the next record's
            # first line or the end. A first line that is not blank, or a
            # line that starts no record after other than two blank lines,
            # means the record's length was wrong: counted (err_count); the
            # first is skipped, as warcio does. (After exactly two, a line
            # that starts no record is the next record's damage.)
            skipped, blank_lines, first = 0, 0, True
            while True:
                line = self.reader.readline()
                if not line:
                    return None, skipped
                if line.strip():
                    if not first:
                        if not line.startswith(b"WARC/") and blank_lines != 2:
                            self.err_count += 1
                        return line, skipped
                    self.err_count += 1
                else:
                    blank_lines += 1
                skipped += len(line)
                first = False

    return Records


def _finish(records) -> tuple[int, bool]:
    """Read the current record to its end: ``(its offset, whether its
    length was wrong)``. In a .gz file the record's gzip member must end
    after its blank lines: more in it means the length understated it."""
    errors = records.err_count
    records.read_to_end()
    offset = records.get_record_offset()
    damaged = records.err_count > errors or (records.one_record_per_member
                                             and records.next_line is not None)
    records.damaged_at = offset if damaged else None
    return offset, damaged


def _next_record_start(handle, position: int, compressed: bool) -> int | None:
    """Where the next record may start at or after ``position``: a gzip
    member's first bytes, or ``WARC/1.``; ``None`` at the end of the file.
    Reads ``SCAN_BLOCK`` bytes at a time."""
    marker = _GZIP_MEMBER_START if compressed else _WARC_RECORD_START
    at = position
    handle.seek(at)
    carry = b""
    while True:
        block = handle.read(SCAN_BLOCK)
        if not block:
            return None
        data = carry + block
        found = data.find(marker)
        if found >= 0:
            return at - len(carry) + found
        carry = data[-(len(marker) - 1):]
        at += len(block)


def _first_line(error) -> str:
    text = str(error).strip()
    line = text.splitlines()[0] if text else type(error).__name__
    return line[:200]
