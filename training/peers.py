"""Open-source main-text extractors we compare with, run on the same pages.

trafilatura, readability-lxml, jusText, boilerpy3 (ArticleExtractor) and
resiliparse (main-content extraction), each with its default settings. They
are not dependencies of the package: ``pip install '.[bench]'`` (or any
``make bench*`` / ``make eval-generalisation``) installs them, and
:func:`peer_extractors` gives the ones installed.

A peer's output depends on the page alone, not on our models, so
:func:`peer_outputs` keeps it on disk (per peer version and page file):
evaluating new settings of our models re-runs no peer.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
from importlib import metadata
from pathlib import Path

from classifier.lines.html import decode_html
from classifier.progress import progress_bar

PEER_NAMES = ("trafilatura", "readability", "justext", "boilerpy3", "resiliparse")
# The distribution whose version names a peer's cached outputs.
_DISTRIBUTIONS = {"trafilatura": "trafilatura", "readability": "readability-lxml",
                  "justext": "jusText", "boilerpy3": "boilerpy3", "resiliparse": "Resiliparse"}


def peer_extractors(names=PEER_NAMES) -> dict:
    """name -> function(html bytes) -> main text, for each of ``names``
    that is installed (the others are left out)."""
    peers = {}
    makers = {"trafilatura": _trafilatura, "readability": _readability, "justext": _justext,
              "boilerpy3": _boilerpy3, "resiliparse": _resiliparse}
    for name in names:
        try:
            peers[name] = makers[name]()
        except ImportError:
            continue
    return peers


def _trafilatura():
    import trafilatura

    return lambda data: trafilatura.extract(data) or ""


def _readability():
    import lxml.html
    from readability import Document

    def readability_text(data):
        summary = Document(decode_html(data)).summary(html_partial=True)
        return "\n".join(lxml.html.fromstring(summary).itertext())
    return readability_text


def _justext():
    import justext

    # jusText's default use is with one language's stop words; English is
    # what its documentation shows (pages in other languages get fewer
    # paragraphs kept).
    stoplist = justext.get_stoplist("English")
    return lambda data: "\n".join(
        p.text for p in justext.justext(data, stoplist) if not p.is_boilerplate)


def _boilerpy3():
    from boilerpy3 import extractors

    article = extractors.ArticleExtractor(raise_on_failure=False)
    return lambda data: article.get_content(decode_html(data)) or ""


def _resiliparse():
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding

    return lambda data: extract_plain_text(bytes_to_str(data, detect_encoding(data)),
                                           main_content=True)


def peer_version(name: str) -> str:
    try:
        return metadata.version(_DISTRIBUTIONS[name])
    except metadata.PackageNotFoundError:
        return "unknown"


def extract_or_empty(extract, data: bytes) -> tuple[str, bool]:
    """(text, failed): a peer that raises on a page extracts nothing from
    it, and the failure is counted, not fatal. What a peer prints (boilerpy3
    warns on stdout) is dropped: stdout carries our reports."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return extract(data), False
    except Exception:  # peers raise many types on broken pages
        return "", True


def peer_outputs(name: str, extract, pages: dict, cache_dir: Path | None,
                 show_progress: bool = True) -> dict:
    """``{page key: (text, failed)}`` of one peer on ``pages`` (page key ->
    HTML path), read from ``cache_dir`` where an earlier run of the same
    peer version on the same bytes left it."""
    cache = _PeerCache(cache_dir, name) if cache_dir is not None else None
    outputs = {}
    for key in progress_bar(list(pages), desc=name, disable=not show_progress):
        data = Path(pages[key]).read_bytes()
        stamp = _content_stamp(data)
        found = cache.get(key, stamp) if cache else None
        if found is None:
            found = extract_or_empty(extract, data)
            if cache:
                cache.put(key, stamp, found)
        outputs[key] = found
    if cache:
        cache.save()
    return outputs


def _content_stamp(data: bytes) -> str:
    # The bytes, not the file's mtime: a data folder copied or provisioned
    # afresh keeps its outputs (the peers took ~10 minutes per run).
    return f"{len(data)}:{hashlib.blake2b(data, digest_size=16).hexdigest()}"


class _PeerCache:
    """One JSON file per peer and version: page key -> [stamp, text, failed]."""

    def __init__(self, folder: Path, name: str):
        version = hashlib.sha256(peer_version(name).encode()).hexdigest()[:8]
        self.path = Path(folder) / f"peer-{name}-{version}.json"
        try:
            self.entries = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.entries = {}
        self.changed = False

    def get(self, key: str, stamp: str):
        entry = self.entries.get(key)
        if entry and entry[0] == stamp:
            return entry[1], bool(entry[2])
        return None

    def put(self, key: str, stamp: str, found: tuple) -> None:
        self.entries[key] = [stamp, found[0], found[1]]
        self.changed = True

    def save(self) -> None:
        if not self.changed:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.entries), encoding="utf-8")
        temporary.replace(self.path)
        self.changed = False
