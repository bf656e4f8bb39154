"""Readers for line-model training data.

Two kinds of input become one *line table* (pandas DataFrame, one row per
non-blank line, in page order) with the columns

    set, doc_id, site, line_no, text, label

* **page folders** laid out like ``shared/data/pages/<set>/``: ``<id>.html``
  (raw bytes) beside ``<id>.txt`` (gold main text) and optionally an
  ``index.jsonl`` with ``id``, ``url``, ``set``. Each page is converted to
  lines by :func:`classifier.lines.html.html_to_blocks` – the conversion used at
  prediction time – and each line is labelled by :mod:`training.align`.
* **labelled-line files** (``.csv``, ``.jsonl``, ``.parquet``) with columns
  ``doc_id``, ``text``, ``label`` (``body`` / ``boilerplate``); line order is
  row order within a ``doc_id``, or the optional ``line_no`` column (unique
  per document); ``site`` is used for grouping when present.

Converting ~2,000 HTML pages takes a minute, so the table built from page
folders is cached as Parquet (outside git) keyed by the files' sizes and
modification times and by this module's conversion version.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from pathlib import Path

import ftfy
import pandas as pd

from classifier.errors import DataError
from classifier.lines.dom import DOM_COLUMNS, dom_line_table
from classifier.lines.html import decode_html, html_to_blocks
from classifier.progress import progress_bar, say
from classifier.sites import site_of

from .align import BODY, BOILERPLATE, label_lines

# Bump when html_to_lines or the alignment rule changes, to invalidate caches.
CONVERSION_VERSION = "16"  # 5: DOM columns; 6: pages without text left out; 7: itemprop,
# role; 8: HTML5 elements libxml2 left in the <head> moved to the body; 9: at most
# MAX_ATTRIBUTE_WORDS attribute words per block; 10, 11: gold cut at COMMENTS_MARKER;
# 12: gold's encoding repaired (repair_gold_encoding), content beside the <body> kept;
# 13: UTF-16 gold that lost NUL bytes decoded whole (_decode_utf16_le); 14: short lines
# after the headline are bylines only when at most align.NAME_MAX_LINES, the <title>
# never the headline; 15: what follows </html> read; 16: <noscript> content hidden
# text up to </noscript>, as in a browser that runs scripts
LINE_COLUMNS = ["set", "doc_id", "site", "line_no", "text", "label"]
# Page folders also give each line its DOM facts (classifier.lines.dom), which the
# HTML line model reads; labelled-line files have none.
PAGE_COLUMNS = LINE_COLUMNS + DOM_COLUMNS
LINE_FILE_SUFFIXES = {".csv", ".jsonl", ".json", ".parquet"}
#: Dragnet's gold files hold the article, then a separator line, then the
#: page's reader comments (419 of its 1,381 files; 38,500 lines). The
#: corpus's convention is the article without comments, as for L3S-GN1, so
#: the separator and what follows are not gold: read as gold, they taught
#: the line models that comment threads are body and scored every extractor
#: that drops comments as missing text.
COMMENTS_MARKER = "!@#$%^&*() COMMENTS"
# Typed by hand, the separator has variants in 14 files ("!@ $%^&*()
# COMMENTS", "#$%^&*() COMMENTS", "!@#$%^&*() COMMNENTS", "... CORRECTED",
# the symbols alone): a line of those symbols holding "%^&*", then one
# upper-case word or none.
_COMMENTS_LINE = re.compile(r"^[ \t]*[!@#$%^&*() ]*%\^&\*[!@#$%^&*() ]*[A-Z]*[ \t]*\r?$",
                            re.MULTILINE)

#: The page corpora of ../shared/data/pages, by the sets each is made of
#: (CleanEval's development and final sets are one corpus: one task, one
#: annotation guideline). Generalisation is measured by leaving one corpus
#: out of training at a time (training/generalisation.py), and training can
#: weigh corpora so that none outweighs the others (training/lines.py).
PAGE_CORPORA = {
    "dragnet": ("dragnet",),
    "cleaneval": ("cleaneval-dev", "cleaneval-final"),
    "l3s-gn1": ("l3s-gn1",),
    "readability": ("readability",),
    "googletrends": ("googletrends",),
}
#: Labelled-line files named <lang>-<split> (../shared/data/lines/turku) are
#: one corpus; any other set is a corpus of its own.
_TURKU_SET = re.compile(r"^[a-z]{2}-(?:train|dev|test)$")
_CORPUS_OF_SET = {name: corpus for corpus, sets in PAGE_CORPORA.items() for name in sets}


def corpus_of(set_name: str) -> str:
    """The corpus a set (a page folder's or a line file's name) belongs to."""
    if set_name in _CORPUS_OF_SET:
        return _CORPUS_OF_SET[set_name]
    return "turku" if _TURKU_SET.match(set_name) else set_name

_CANONICAL = re.compile(
    r"""<link[^>]+rel=["']?canonical["']?[^>]*href=["']([^"']+)"""
    r"""|<link[^>]+href=["']([^"']+)["'][^>]*rel=["']?canonical"""
    r"""|<meta[^>]+property=["']og:url["'][^>]*content=["']([^"']+)""",
    re.IGNORECASE)
_LINK_HOST = re.compile(r"""href=["']https?://([^/"':]+)""", re.IGNORECASE)
# Hosts linked from pages of every kind; they say nothing about the site.
_SHARED_HOSTS = re.compile(
    r"(facebook|twitter|google|doubleclick|addthis|youtube|linkedin|pinterest|"
    r"digg|reddit|stumbleupon|feedburner|w3\.org|adobe|apple|microsoft|yahoo|"
    r"wordpress\.org|creativecommons|amazon)\.", re.IGNORECASE)


def infer_site(html_text: str) -> str:
    """Best guess of the site a page came from, when the index has no URL.

    The canonical link or og:url when present, else the host most pages'
    own links point to (excluding social and ad hosts). Used to group
    cross-validation folds by site, so a site never sits on both sides.
    """
    match = _CANONICAL.search(html_text)
    if match:
        url = next(group for group in match.groups() if group)
        if site_of(url):
            return site_of(url)
    hosts = Counter(site_of("http://" + host) for host in _LINK_HOST.findall(html_text)
                    if not _SHARED_HOSTS.search(host))
    if hosts:
        return hosts.most_common(1)[0][0]
    return ""


def _read_index(folder: Path) -> list[dict]:
    index_path = folder / "index.jsonl"
    if index_path.exists():
        entries, seen = [], {}
        with index_path.open(encoding="utf-8") as handle:
            for number, row in enumerate(handle, 1):
                if not row.strip():
                    continue
                try:
                    entry = json.loads(row)
                    entry["id"] = str(entry["id"])
                except (ValueError, KeyError, TypeError) as error:
                    raise DataError(f"{index_path}, line {number}: expected a JSON object "
                                    f"with an 'id': {error}") from None
                if entry["id"] in seen:
                    raise DataError(f"{index_path}, line {number}: duplicate id {entry['id']!r} "
                                    f"(first on line {seen[entry['id']]})")
                seen[entry["id"]] = number
                entries.append(entry)
        return entries
    return [{"id": path.stem, "url": ""} for path in sorted(folder.glob("*.html"))]


def page_folder_pages(folder: Path):
    """Yield (set name, id, url, html path, gold path) of a page folder."""
    folder = Path(folder)
    for entry in _read_index(folder):
        html_path = folder / f"{entry['id']}.html"
        gold_path = folder / f"{entry['id']}.txt"
        if not html_path.exists() or not gold_path.exists():
            raise DataError(f"{folder}: page {entry['id']!r} needs both "
                            f"{html_path.name} and {gold_path.name}")
        yield folder.name, entry["id"], entry.get("url") or "", html_path, gold_path


def keyed_pages(folder: Path):
    """Yield (page key, set name, html path, gold path) of a page folder,
    the key ``set/id`` being the ``page`` of its line table's rows."""
    for set_name, doc_id, _url, html_path, gold_path in page_folder_pages(folder):
        yield f"{set_name}/{doc_id}", set_name, html_path, gold_path


def read_gold_text(path: Path) -> str:
    """A page's gold main text: the file as UTF-8 (bad bytes replaced), its
    encoding repaired (:func:`repair_gold_encoding`), up to the first line
    that is Dragnet's comments separator (:data:`COMMENTS_MARKER` or a
    variant of it) when there is one."""
    text = repair_gold_encoding(Path(path).read_bytes().decode("utf-8", errors="replace"))
    marker = _COMMENTS_LINE.search(text)
    return text[:marker.start()].rstrip() + "\n" if marker else text


def repair_gold_encoding(text: str) -> str:
    """Undo the encoding damage of a gold file read as UTF-8.

    The benchmarks' gold was saved through wrong decodings: 112 of the 172
    Google-Trends files (and 53 others) hold mojibake, UTF-8 read as
    Windows-1252 once or twice ("WeÃ¢â‚¬â„¢re" for "We’re", "Â£" for "£"),
    and five Dragnet files are UTF-16 read as Latin-1 (a NUL after every
    character). Such words match no extraction:
    every extractor lost recall on them, and the line labels aligned to
    them were wrong. ftfy's fix_encoding undoes the mojibake (only that:
    quotes, widths and normal forms stay as they are); the UTF-16 files are
    re-decoded here."""
    # (A NUL every other character: a stray NUL in a text is not that damage.)
    if text.count("\x00") * 3 > len(text):
        try:
            text = _decode_utf16_le(text.encode("latin-1"))
        except UnicodeEncodeError:
            pass  # characters beyond Latin-1: not that damage either
    return ftfy.fix_encoding(text)


def _decode_utf16_le(data: bytes) -> str:
    """UTF-16 (little-endian) bytes that lost some of their NUL bytes on the
    way (four of those Dragnet files: a strict decode shifts by one byte
    there and reads the rest as CJK characters). A byte followed by a NUL is
    that character; a byte followed by a non-NUL and then a NUL lost its
    own NUL (the next character starts one byte on); otherwise the two bytes
    are one UTF-16 unit (a curly quote, a dash; a lone surrogate of a split
    pair becomes U+FFFD)."""
    if data[:2] == b"\xff\xfe":
        data = data[2:]
    characters, i, size = [], 0, len(data)
    while i < size:
        if i + 1 < size and data[i + 1] == 0:  # an ASCII or Latin-1 character
            characters.append(chr(data[i]))
            i += 2
        elif i + 2 < size and data[i + 2] == 0 and not (i + 3 < size and data[i + 3] == 0):
            characters.append(chr(data[i]))  # its NUL lost
            i += 1
        elif i + 1 < size:
            unit = data[i] | data[i + 1] << 8
            characters.append("\ufffd" if 0xD800 <= unit < 0xE000 else chr(unit))
            i += 2
        else:  # a last odd byte
            i += 1
    return "".join(characters)


def page_folder_lines(folder: Path, show_progress: bool = True) -> pd.DataFrame:
    """Line table of one page folder (HTML converted, lines aligned to gold)."""
    pages = list(page_folder_pages(folder))
    if not pages:
        raise DataError(f"{folder}: no pages (<id>.html with <id>.txt) found")
    tables, without_text = [], []
    for set_name, doc_id, url, html_path, gold_path in progress_bar(
            pages, desc=f"pages {Path(folder).name}", disable=not show_progress):
        html_bytes = html_path.read_bytes()
        blocks = html_to_blocks(html_bytes)
        lines = [block.text for block in blocks]
        gold = read_gold_text(gold_path)
        if not lines:
            # A page our conversion finds no text in teaches the line model
            # nothing; one such page (l3s-gn1 holds one whose <html> tag is
            # mangled) must not stop a folder of hundreds. Evaluations still
            # score it, as an empty extraction.
            without_text.append(html_path)
            continue
        if not gold.strip():
            raise DataError(f"{gold_path}: the gold text is empty (or holds nothing before "
                            "a comments separator line); every line would be labelled "
                            "boilerplate. Remove the page or fill in its main text")
        site = site_of(url) if url else infer_site(decode_html(html_bytes[:200_000]))
        # The <title> is chrome even though it repeats the (body) headline.
        labels = label_lines(lines, gold, chrome=[block.tag == "title" for block in blocks])
        # The DOM columns exactly as predict_html builds them.
        table = pd.DataFrame(dom_line_table(blocks))
        table = table.assign(set=set_name, doc_id=doc_id, site=site or f"page:{set_name}/{doc_id}",
                             line_no=range(len(blocks)), label=labels)
        tables.append(table[PAGE_COLUMNS])
    if not tables:
        raise DataError(f"{folder}: no page has visible text (e.g. {without_text[0].name}); "
                        "are these HTML files?")
    if without_text:
        say(f"warning: {len(without_text)} page(s) of {folder} have no visible text and are "
            f"left out: {', '.join(path.name for path in without_text[:5])}"
            + (" ..." if len(without_text) > 5 else ""))
    return pd.concat(tables, ignore_index=True)


def _folder_fingerprint(folder: Path) -> str:
    # Names and bytes, not mtimes: a data folder copied or provisioned
    # afresh keeps its cached table (reading the bytes takes about a second
    # per 100 MB; converting them again, minutes).
    digest = hashlib.sha256(CONVERSION_VERSION.encode())
    for path in sorted(Path(folder).iterdir()):
        digest.update(f"{path.name}:{path.stat().st_size}:".encode())
        digest.update(hashlib.blake2b(path.read_bytes(), digest_size=16).digest())
    return digest.hexdigest()[:16]


def cached_page_folder_lines(folder: Path, cache_dir: Path | None,
                             show_progress: bool = True) -> pd.DataFrame:
    """:func:`page_folder_lines`, cached as Parquet in ``cache_dir``."""
    if cache_dir is None:
        return page_folder_lines(folder, show_progress)
    cache_dir = Path(cache_dir)
    cache_path = cache_dir / f"lines-{Path(folder).name}-{_folder_fingerprint(folder)}.parquet"
    if cache_path.exists():
        return pd.read_parquet(cache_path)
    table = page_folder_lines(folder, show_progress)
    cache_dir.mkdir(parents=True, exist_ok=True)
    temporary = cache_path.with_suffix(".parquet.tmp")
    table.to_parquet(temporary, index=False)
    temporary.replace(cache_path)  # never leave a half-written cache behind
    return table


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV, JSONL or Parquet file with a clear error when it is not one."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False)
        if suffix in {".jsonl", ".json"}:
            return pd.read_json(path, lines=True, dtype=False)
        if suffix == ".parquet":
            return pd.read_parquet(path)
    except Exception as error:  # pandas raises many types; name the file
        raise DataError(f"{path}: cannot be read as {suffix[1:]}: {error}") from None
    raise DataError(f"{path}: unsupported file type {suffix!r}; "
                    f"use one of {sorted(LINE_FILE_SUFFIXES)}")


def row_place(path, row: int) -> str:
    """Where data row ``row`` (1-based; a CSV header is not a row) of a table
    file is, as its user finds it in an editor: "row 8 (line 9)" for a CSV
    file (exact even when a quoted field spans lines), "line 8" for JSON
    Lines, "row 8" for Parquet. Used for error messages only."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            import csv

            with open(path, encoding="utf-8", errors="replace", newline="") as handle:
                reader = csv.reader(handle)
                ended = 0
                for number, _ in enumerate(reader):  # number 0 is the header
                    if number == row:
                        return f"row {row} (line {ended + 1})"
                    ended = reader.line_num
        elif suffix in {".jsonl", ".json"}:
            with open(path, "rb") as handle:
                records = 0
                for line_number, line in enumerate(handle, 1):
                    records += bool(line.strip())
                    if records == row:
                        return f"line {line_number}"
    except (OSError, ValueError):
        pass
    return f"row {row}"


def require_columns(table: pd.DataFrame, columns, path) -> None:
    """Refuse a table without ``columns``, suggesting near-miss spellings."""
    import difflib

    found = [str(column) for column in table.columns]
    missing = [column for column in columns if column not in found]
    if missing:
        hints = []
        for column in missing:
            close = difflib.get_close_matches(column, found, n=1, cutoff=0.6)
            case = [f for f in found if f.strip().lower() == column]
            if case or close:
                hints.append(f"{(case or close)[0]!r} for {column!r}?")
        hint = f" (did you mean {', '.join(hints)})" if hints else ""
        raise DataError(f"{path}: missing column(s) {missing}{hint}; found {found}")


def labelled_line_file(path: Path) -> pd.DataFrame:
    """Line table from a labelled-line file; errors name the file and row."""
    path = Path(path)
    table = read_table(path)
    require_columns(table, ["doc_id", "text", "label"], path)
    if table.empty:
        raise DataError(f"{path}: no rows")
    for column in ["doc_id", "text", "label"]:
        missing = table[column].isna()
        if missing.any():
            row = int(missing.to_numpy().argmax())
            raise DataError(f"{path}, {row_place(path, row + 1)}: empty {column!r}")
    table["label"] = table["label"].astype(str).str.strip().str.lower()
    bad = ~table["label"].isin([BODY, BOILERPLATE])
    if bad.any():
        row = int(bad.to_numpy().argmax())
        raise DataError(f"{path}, {row_place(path, row + 1)}: label {table['label'].iloc[row]!r} is "
                        f"not one of {BODY!r}, {BOILERPLATE!r}")
    table["text"] = table["text"].astype(str)
    table["doc_id"] = table["doc_id"].astype(str)
    blank = table["text"].str.strip() == ""
    all_blank = blank.groupby(table["doc_id"], sort=False).transform("all")
    if all_blank.any():
        row = int(all_blank.to_numpy().argmax())
        raise DataError(f"{path}, {row_place(path, row + 1)}: document {table['doc_id'].iloc[row]!r} "
                        "has no non-blank line")
    if "line_no" in table.columns:
        order = _order_by_line_no(table, path)
        table, blank = table.iloc[order], blank.iloc[order]
    # Blank lines are not lines to the model (see docs/user-guide.md, "Blank lines").
    table = table[~blank].copy()
    table["set"] = path.stem
    if "site" not in table.columns:
        table["site"] = ""
    table["site"] = table["site"].fillna("").astype(str)
    table.loc[table["site"] == "", "site"] = "page:" + path.stem + "/" + table["doc_id"]
    table["line_no"] = table.groupby("doc_id", sort=False).cumcount()
    # Keep each document's lines together, in file order.
    order = pd.Categorical(table["doc_id"], categories=pd.unique(table["doc_id"]))
    table = table.assign(_order=order.codes).sort_values(["_order", "line_no"], kind="stable")
    return table[LINE_COLUMNS].reset_index(drop=True)


def _order_by_line_no(table: pd.DataFrame, path):
    """Row positions putting each document's lines in ``line_no`` order."""
    numbers = pd.to_numeric(table["line_no"], errors="coerce")
    bad = numbers.isna() | (numbers != numbers.round())
    if bad.any():
        row = int(bad.to_numpy().argmax())
        raise DataError(f"{path}, {row_place(path, row + 1)}: line_no {table['line_no'].iloc[row]!r} "
                        "is not a whole number")
    keys = pd.DataFrame({"doc_id": table["doc_id"].to_numpy(),
                         "line_no": numbers.astype("int64").to_numpy()})
    duplicate = keys.duplicated()
    if duplicate.any():
        row = int(duplicate.to_numpy().argmax())
        raise DataError(f"{path}, {row_place(path, row + 1)}: duplicate line_no {keys['line_no'].iloc[row]} "
                        f"in document {keys['doc_id'].iloc[row]!r}")
    return keys.sort_values("line_no", kind="stable").index.to_numpy()


def load_line_data(paths, cache_dir: Path | None = None,
                   show_progress: bool = True) -> pd.DataFrame:
    """One line table from any mix of page folders and labelled-line files.

    ``doc_id`` is made unique across inputs by prefixing the set name, and a
    ``page`` column (the key the line model groups by) is added.
    """
    tables = []
    for path in map(Path, paths):
        if path.is_dir():
            table = cached_page_folder_lines(path, cache_dir, show_progress)
        elif path.is_file() and path.suffix.lower() in LINE_FILE_SUFFIXES:
            table = labelled_line_file(path)
        elif path.exists():
            raise DataError(f"{path}: expected a page folder or a "
                            f"{'/'.join(sorted(LINE_FILE_SUFFIXES))} file")
        else:
            raise DataError(f"{path}: no such file or folder")
        tables.append(table)
    if not tables:
        raise DataError("no training data given")
    lines = pd.concat(tables, ignore_index=True)
    lines["page"] = lines["set"].astype(str) + "/" + lines["doc_id"].astype(str)
    if lines["label"].nunique() < 2:
        raise DataError("the training lines hold a single label "
                        f"({lines['label'].iloc[0]!r}); both body and boilerplate are needed")
    return lines
