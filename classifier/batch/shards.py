"""Classifying and writing one shard of a batch run (in a worker process).

A shard's pages are read, classified with vectorised ``predict_many`` calls
and written ``PAGES_PER_GROUP`` at a time, so a worker holds the rows of
that many pages whatever the shard size; the shard's file (and its errors
file, when there are errors) is written to a temporary name and renamed
when complete. The worker's models are loaded once per process
(``worker_classifier``). :func:`read_output` reads a run's output back.
"""

from __future__ import annotations

import contextlib
import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING

import orjson  # a row's UTF-8 JSON in one C call, ~10x the json module (pyproject.toml)

from ..collector import collector_paused, settle_gc_for_the_run
from ..errors import ClassifierError, InputError
from ..files import BackgroundCommits, atomic_write
from ..limits import Limits
from ..sites import site_of
from ..text import replace_surrogates
from .duplicate_ids import id_keys
from .sources import Record, Unreadable, read_entry

if TYPE_CHECKING:
    from ..api import Classifier

#: The run's settings, in its output folder (``run.run_batch``).
SETTINGS_FILE = "batch.json"


def shard_file(index: int, output_format: str) -> str:
    return f"part-{index:05d}.{output_format}"


def errors_file(index: int) -> str:
    return f"errors-{index:05d}.jsonl"



# -- classifying a shard (runs in a worker) ---------------------------------

@functools.lru_cache(maxsize=4)
def worker_classifier(models, trusted: bool, limits: Limits, topics: bool = True,
                      html_weight: float | None = None) -> Classifier:
    """The worker's classifier, loaded once per worker process and reused for
    every shard it runs. ``html_weight`` as for ``load`` (``None``: its
    default)."""
    from ..api import load

    weight = {} if html_weight is None else {"html_weight": html_weight}
    return load(models, trusted=trusted, limits=limits, topics=topics, **weight)


def models_for_run(models, trusted: bool, limits: Limits, topics: bool,
                   html_weight: float | None = None, *, html: bool) -> None:
    """The worker's classifier loaded, with its HTML line model for an HTML
    run (otherwise loaded on the first HTML page): a bad model (or
    ``html_weight``) fails here."""
    clf = worker_classifier(models, trusted, limits, topics, html_weight)
    if html:
        clf.html_model  # noqa: B018 - loaded by reading it


#: ``worker_classifier`` arguments of a run with the shipped models and
#: default settings: the fork server of local workers loads these before
#: forking them (``classifier/batch/_preload.py``).
PRELOADED = (None, False, Limits(), True, None)


def load_models_in_worker(models, trusted: bool, limits: Limits, topics: bool,
                          html_weight: float | None = None, *, html: bool = False) -> None:
    # Run in a worker: the models stay loaded there for the shards it runs,
    # and a bad model raises its error back in the driver. The worker
    # exists for the run (see run_batch's freeze_loaded; with the shipped
    # models the fork server froze them).
    with collector_paused():
        models_for_run(models, trusted, limits, topics, html_weight, html=html)
        settle_gc_for_the_run()


#: Pages read, classified and written together within a shard, so that a
#: worker holds the rows (every line of every page) of this many pages,
#: not of the whole shard, however big the shard is (``--shard-size`` only
#: sets the size of the files). The models make passes of as many text
#: pages (``api.PAGES_PER_PASS``) and of half as many HTML pages
#: (``api.HTML_PAGES_PER_PASS``): 1,500 shared HTML pages in one process
#: peaked 15 MB higher in groups of 100 than of 50 (2026-11-27).
PAGES_PER_GROUP = 100


def classify_shard(index: int, entries: list, *, models=None, trusted: bool = False,
                   limits: Limits | None = None, site_templates: bool = False,
                   topics: bool = True, html_weight: float | None = None
                   ) -> tuple[int, list[dict], list[dict]]:
    """Classify one shard's pages (``sources.locate_inputs`` entries):
    ``(index, rows, errors)``."""
    rows, errors = [], []
    for group_rows, group_errors in _classified_groups(
            entries, models=models, trusted=trusted, limits=limits,
            site_templates=site_templates, topics=topics, html_weight=html_weight):
        rows += group_rows
        errors += group_errors
    return index, rows, errors


def classify_shard_into(out: Path, output_format: str, index: int, entries: list,
                        commits: BackgroundCommits | None = None,
                        **options) -> tuple[int, int, int, bytes]:
    """Classify one shard and write its files: ``(index, pages, unreadable,
    id keys)``, the last the ``duplicate_ids.id_keys`` of its rows' ids.

    Runs where the shard was classified, so that the rows (every line of
    every page) are never sent back to the driver: with workers, the
    driver only locates pages and counts. The pages are read, classified
    and written ``PAGES_PER_GROUP`` at a time. With ``commits``, the files
    are flushed and renamed into place by it (see ``BackgroundCommits``).
    """
    rows_written = 0
    errors: list[dict] = []
    keys = bytearray()

    def write_rows(path):
        nonlocal rows_written
        with _row_writer(path, output_format) as write:
            for rows, group_errors in _classified_groups(entries, **options):
                write(rows)
                rows_written += len(rows)
                keys.extend(id_keys(row["id"] for row in rows))
                errors.extend(group_errors)
        # Before the rows file is renamed into place, which marks the
        # shard done: a resumed run finds both files or neither.
        _write_errors(out, index, errors, commits)

    atomic_write(out, shard_file(index, output_format), write_rows, commits=commits)
    return index, rows_written, len(errors), bytes(keys)


def _classified_groups(entries: list, *, models=None, trusted: bool = False,
                       limits: Limits | None = None, site_templates: bool = False,
                       topics: bool = True, html_weight: float | None = None):
    """A shard's ``(rows, errors)``, read and classified a group of pages at
    a time: each group's rows, and its pages that could not be read or
    classified.

    Site-template evidence compares each page with the other pages of its
    site in the shard, so with ``site_templates`` the shard is one group.
    """
    clf = worker_classifier(models, trusted, limits or Limits(), topics, html_weight)
    size = max(len(entries), 1) if site_templates else PAGES_PER_GROUP
    for start in range(0, len(entries), size):
        items = [read_entry(entry) for entry in entries[start:start + size]]
        errors = [_error_row(item) for item in items if isinstance(item, Unreadable)]
        records = [item for item in items if isinstance(item, Record)]
        rows = []
        for record, result in zip(records, classify_records(clf, records, site_templates)):
            if isinstance(result, str):
                errors.append(_error_row(Unreadable(record.id, result, record.source)))
            else:
                rows.append(page_row(record, result))
        yield rows, errors


def classify_records(clf: Classifier, records: list[Record],
                     site_templates: bool = False) -> list:
    """Each record's page as ``Page.to_dict`` gives it, or the reason it
    failed (``str``).

    Text pages go through one ``predict_many_as_dicts`` call and HTML pages
    through one ``predict_html_many_as_dicts`` call; only if such a call
    fails (one page over the limits, say) are its pages classified one by
    one, so the bad page is named and the others still come out. With
    ``site_templates``, each record's site (its url's host) is passed on as
    ``sites``.
    """
    results: list = [None] * len(records)
    for is_html, many in ((False, clf.predict_many_as_dicts),
                          (True, clf.predict_html_many_as_dicts)):
        chosen = [i for i, record in enumerate(records) if record.is_html == is_html]
        if not chosen:
            continue
        sites = ([site_of(records[i].url or "") for i in chosen] if site_templates else None)
        try:
            pages = many([records[i].content for i in chosen], sites=sites)
        except Exception:  # noqa: BLE001 - found out page by page below
            pages = [_one(lambda content, many=many: many([content])[0], records[i].content)
                     for i in chosen]
        for i, page in zip(chosen, pages):
            results[i] = page
    return results


def _one(predict, content):
    try:
        return predict(content)
    except ClassifierError as error:
        return str(error)
    except Exception as error:  # noqa: BLE001 - one odd page must not end a long run
        return f"classification failed ({type(error).__name__}: {error})"


def page_row(record: Record, page: dict) -> dict:
    """A batch row: the record's names, then its page (as ``Page.to_dict``
    gives it) with the topic's score (rounded, as the topic scores are)."""
    topic = page["topic"]
    return {**_names_of(record.id, record.source, record.url),
            "topic": topic,
            "topic_score": None if topic is None else page["topic_scores"].get(topic),
            "topic_reason": page["topic_reason"],
            "topics": page["topics"], "topic_scores": page["topic_scores"],
            "body": page["body"], "lines": page["lines"]}


def _error_row(item: Unreadable) -> dict:
    return {**_names_of(item.id, item.source), "reason": item.reason}


def _names_of(page_id: str, source: str, *url) -> dict:
    """A row's ``id``, ``source`` (and ``url``) as text any encoder takes:
    lone surrogates (a JSON ``"\\ud800"`` escape, a file name that is not
    valid UTF-8) become U+FFFD, as in the pages' text, where they made the
    whole shard fail to write."""
    names = {"id": page_id, "source": source}
    if url:
        names["url"] = url[0]
    return {key: replace_surrogates(value) if isinstance(value, str) else value
            for key, value in names.items()}


FRAME_COLUMNS = ("topic", "topic_score", "topic_reason", "topics", "body", "lines", "error")


def classify_frame(frame, column: str = "text", *, html: bool = False, models=None,
                   trusted: bool = False, limits: Limits | None = None, topics: bool = True,
                   html_weight: float | None = None):
    """Classify the pages in ``frame[column]``: a frame with the same index and
    the columns ``topic``, ``topic_score``, ``topic_reason``, ``topics``,
    ``body``, ``lines`` and ``error``
    (the reason a page failed, else ``None``).

    Made for Dask DataFrames, one partition at a time::

        ddf.map_partitions(classify_frame, "text", meta=classify_frame(ddf._meta, "text"))

    The models are loaded once per worker process and kept; ``topics=False``
    cleans only (no topic model, empty topic columns); ``html_weight`` as
    for ``classifier.load`` (``None``: its default).
    """
    import pandas as pd

    if column not in frame.columns:
        raise InputError(f"no column {column!r} in the frame (columns: {list(frame.columns)})")
    clf = worker_classifier(models, trusted, limits or Limits(), topics, html_weight)
    records = [Record(str(key), content, html, column) for key, content in frame[column].items()]
    out = {name: [] for name in FRAME_COLUMNS}
    for record, result in zip(records, classify_records(clf, records)):
        row = {"error": result} if isinstance(result, str) else page_row(record, result)
        for name in FRAME_COLUMNS:
            out[name].append(row.get(name))
    # Fixed dtypes, so every partition (and Dask's meta) agrees whatever
    # pandas would infer from the values at hand.
    return pd.DataFrame({name: pd.Series(values, index=frame.index,
                                         dtype="float64" if name == "topic_score" else object)
                         for name, values in out.items()})


# -- writing ------------------------------------------------------------------

def write_shard(out: Path, index: int, rows: list[dict], errors: list[dict],
                output_format: str) -> None:
    """Write a shard's errors, then its rows; the rows file marks it done."""
    _write_errors(out, index, errors)

    def write_rows(path):
        with _row_writer(path, output_format) as write:
            write(rows)

    atomic_write(out, shard_file(index, output_format), write_rows)


def _write_errors(out: Path, index: int, errors: list[dict],
                  commits: BackgroundCommits | None = None) -> None:
    """A shard's errors file, written only if it has errors (one left by an
    earlier, interrupted attempt at the shard is removed): no file means
    none, for a resumed run too."""
    if not errors:
        (out / errors_file(index)).unlink(missing_ok=True)
        return

    def write(path):
        with open(path, "w", encoding="utf-8") as handle:
            for error in errors:
                handle.write(json.dumps(error, ensure_ascii=False) + "\n")

    atomic_write(out, errors_file(index), write, commits=commits)


@contextlib.contextmanager
def _row_writer(path, output_format: str):
    """``write(rows)``, called any number of times, appends rows to the
    file at ``path`` (a Parquet file gets a row group per call)."""
    if output_format == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = parquet_schema()

        def write(rows):
            if rows:  # no empty row groups; a file without any is valid
                writer.write_table(pa.Table.from_pylist(rows, schema=schema))

        with pq.ParquetWriter(path, schema) as writer:
            yield write
        return
    with open(path, "wb") as handle:
        yield lambda rows: handle.writelines(orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE)
                                             for row in rows)


def parquet_schema():
    import pyarrow as pa

    line = pa.struct([("index", pa.int64()), ("text", pa.string()), ("label", pa.string()),
                      ("score", pa.float64())])
    return pa.schema([("id", pa.string()), ("source", pa.string()), ("url", pa.string()),
                      ("topic", pa.string()), ("topic_score", pa.float64()),
                      ("topic_reason", pa.string()), ("topics", pa.list_(pa.string())),
                      ("topic_scores", pa.map_(pa.string(), pa.float64())),
                      ("body", pa.string()), ("lines", pa.list_(line))])


def read_output(out, output_format: str | None = None) -> tuple[list[dict], list[dict]]:
    """All rows and all errors of a batch output folder, in shard order.

    A convenience for tests and small outputs; for big ones read the shard
    files directly: ``pandas.read_parquet(sorted(out.glob("part-*.parquet")))``
    reads a Parquet run as one frame (the folder also holds JSON files,
    so ``pandas.read_parquet(out)`` does not).
    """
    out = Path(out)
    if output_format is None:
        output_format = json.loads((out / SETTINGS_FILE).read_text(encoding="utf-8"))["format"]
    rows, errors = [], []
    for path in sorted(out.glob(f"part-*.{output_format}")):
        if output_format == "parquet":
            import pyarrow.parquet as pq

            table = pq.read_table(path).to_pylist()
            for row in table:
                row["topic_scores"] = dict(row["topic_scores"] or [])
            rows.extend(table)
        else:
            rows.extend(read_jsonl_file(path))
    for path in sorted(out.glob("errors-*.jsonl")):
        errors.extend(read_jsonl_file(path))
    return rows, errors


def read_jsonl_file(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
