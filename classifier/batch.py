"""Batch prediction: pages from files in, sharded JSONL or Parquet out.

``run_batch`` locates the pages of the inputs in order
(:func:`classifier.sources.locate_inputs`), cuts that stream into shards
of ``shard_size`` pages, and has each shard classified (in this process,
in worker processes on this machine, or on a Dask cluster) and written as
one file. Memory stays flat: a shard's pages are read, classified with
vectorised ``predict_many`` calls and written ``PAGES_PER_GROUP`` at a
time, and the driver holds only where the pages of the shards in flight
are. Local workers read and write their own shards, so the driver (which
imports neither the models nor their libraries) only locates pages and
counts; for Dask the driver reads the pages and writes the results, as
Dask workers may be machines without the input and output folders.

Nothing is lost, and nothing is done twice:

* each shard is written to a temporary file and renamed when complete
  (``part-00042.jsonl``); its unreadable records, if any, go to
  ``errors-00042.jsonl`` (id, source, reason), written just before;
* the run's settings are recorded in ``batch.json``; running the same
  command again on the same output folder skips the shards already
  written and does the rest (inputs are read in a fixed order, so shard
  42 always holds the same pages);
* a page that cannot be read or classified is reported and skipped; the
  run goes on;
* an id on more than one row (the same page id twice in the inputs) is
  reported in ``duplicate-ids.jsonl`` and the summary
  (:mod:`classifier.duplicate_ids`).

Output rows (one per page): ``id``, ``source`` (input file), ``url``,
``topic``, ``topic_score``, ``topics``, ``topic_scores``, ``body`` and ``lines``
(``index``, ``text``, ``label``, ``score`` per non-blank line, as
:meth:`classifier.Page.to_dict`).
"""

from __future__ import annotations

import contextlib
import functools
import json
import multiprocessing
import os
import signal
import sys
import threading
import time
import types
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, as_completed, wait
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

import orjson  # a row's UTF-8 JSON in one C call, ~10x the json module (pyproject.toml)

from .collector import collector_paused, settle_gc_for_the_run
from .duplicate_ids import IdTally, id_keys, name_duplicates, shard_ids
from .errors import ClassifierError, InputError
from .files import BackgroundCommits, atomic_write, remove_temporaries
from .limits import Limits
from .progress import count_as_done_before, progress_bar
from .sites import site_of
from .sources import Record, Unreadable, locate_inputs, read_entry
from .text import replace_surrogates

if TYPE_CHECKING:
    from .api import Classifier

# This module is also the batch *driver*: it locates pages, hands shards to
# workers and counts their results. It imports the API (numpy, pandas,
# scikit-learn, lxml, the models: ~250 MB) only where pages are classified,
# so that with --workers N the driver stays small and only the workers
# (and the fork server they are forked from) hold the libraries and models.

FORMATS = ("jsonl", "parquet")
SETTINGS_FILE = "batch.json"
SUMMARY_FILE = "summary.json"
DUPLICATES_FILE = "duplicate-ids.jsonl"
DEFAULT_SHARD_SIZE = 500
# Shards in flight on a Dask cluster, per worker thread: the one it runs
# and one waiting, as the driver also writes the results it gets back.
SHARDS_IN_FLIGHT_PER_WORKER = 2
# Shards waiting for local workers, beyond the ones they run: one, so that a
# worker that finishes has the next shard at once. No more: pages that
# cannot be located (.jsonl.gz, pipes) are held by the driver for every
# shard in flight (500 HTML pages are ~35 MB).
SHARDS_WAITING_FOR_LOCAL_WORKERS = 1


def run_batch(inputs, out, *, html: bool = False, output_format: str = "jsonl",
              shard_size: int = DEFAULT_SHARD_SIZE, workers: int = 1,
              scheduler: str | None = None, models=None, trusted: bool = False,
              limits: Limits | None = None, progress: bool = True,
              site_templates: bool = False, topics: bool = True,
              freeze_loaded: bool = False) -> dict:
    """Classify every page of ``inputs`` into shard files in folder ``out``.

    ``site_templates`` uses the lines a site repeats across its pages in
    one shard as evidence of template (see ``Classifier.predict_many``);
    a page's site is its url's host, so pages without a url get none.
    ``topics=False`` cleans only: no topic model is loaded and the rows'
    topic fields are empty.

    ``workers`` > 1 runs shards in that many worker processes, forked from
    a fork server that holds the libraries (and the shipped models) for
    them to share; the fork server stays for later runs of this process;
    ``scheduler`` (a Dask scheduler address, or ``"local"`` for a
    LocalCluster of ``workers`` processes) runs them on Dask instead.
    Returns the run's summary (also written to ``out/summary.json``).

    ``freeze_loaded`` (for a process that exists for the run, as the CLI's
    does) settles the garbage collector for the run once a one-process run
    has loaded the models (``settle_gc_for_the_run``). Objects frozen are
    never collected and the collector's thresholds stay raised, so a
    library caller that keeps working after the run leaves it off (the
    default). Local worker processes always do it once they have the
    models.
    """
    if output_format not in FORMATS:
        raise InputError(f"output format must be one of {FORMATS}, not {output_format!r}")
    if not isinstance(shard_size, int) or shard_size < 1:
        raise InputError(f"shard size must be a positive integer, not {shard_size!r}")
    if not isinstance(workers, int) or workers < 1:
        raise InputError(f"workers must be a positive integer, not {workers!r}")
    inputs = [Path(path) for path in inputs]
    missing = [str(path) for path in inputs if not path.exists()]
    if missing:
        raise InputError(f"no such input: {', '.join(missing)}")
    limits = limits or Limits()
    # An absolute path means the same folder to every worker process.
    models = str(Path(models).resolve()) if models is not None else None
    out = Path(out)
    settings = {"inputs": [str(path.resolve()) for path in inputs], "html": html,
                "format": output_format, "shard_size": shard_size,
                "models": models, "site_templates": site_templates}
    if not topics:
        # Recorded only when off, so that runs started before the setting
        # existed (topics always on) can still be resumed.
        settings["topics"] = False
    options = {"models": models, "trusted": trusted, "limits": limits,
               "site_templates": site_templates, "topics": topics}
    pool = None
    try:
        # Fail on bad models here, before any input is read or output
        # written. They are loaded where the shards will be classified:
        # here for a one-process run, in each worker (which keeps them for
        # its shards) with local workers; a Dask run checks them here, as
        # its workers may be other machines.
        # The HTML line model, loaded when first needed, is loaded here for
        # an --html run (a run of text pages may still meet HTML records).
        if workers > 1 and not scheduler:
            pool = _start_local_workers(workers, (models, trusted, limits, topics), html)
        else:
            # (Settled within the pause: once on again, the collector would
            # first scan everything loaded, ~0.07 s, before it is frozen.)
            with collector_paused():  # the imports and models, kept for the run
                _models_for_run(models, trusted, limits, topics, html)
                if freeze_loaded and not scheduler:
                    settle_gc_for_the_run()
        with _output_folder_lock(out):
            _claim_output_folder(out, settings, inputs)
            # One process: its shard files are flushed to disk while it
            # classifies the next shard.
            commits = BackgroundCommits() if pool is None and not scheduler else None
            run = functools.partial(_run, out=out, output_format=output_format,
                                    options=options, workers=workers, scheduler=scheduler,
                                    pool=pool, commits=commits)
            try:
                return _classify_inputs(inputs, out, html, output_format, shard_size, limits,
                                        progress, run)
            finally:
                if commits is not None:
                    # (Within the lock: no other run may see the files half done.)
                    commits.close()
    finally:
        if pool is not None:
            # Interrupted or failed: the queued shards are not started.
            pool.shutdown(cancel_futures=True)


def _classify_inputs(inputs, out: Path, html: bool, output_format: str, shard_size: int,
                     limits: Limits, progress: bool, run) -> dict:
    """Cut the inputs into shards, skip those already written, have ``run``
    classify and write the others, and write the run's summary."""
    started = time.perf_counter()
    # pages and unreadable count the whole output, resumed shards included;
    # pages/s is for the pages classified by this run.
    counts = {"pages": 0, "unreadable": 0, "pages_this_run": 0, "shards_written": 0,
              "shards_resumed": 0}
    ids = IdTally()
    shards_done = []
    bar = progress_bar(None, desc="pages", disable=not progress, unit="page")
    # Where each page is, not the page: the pages are read where they are
    # classified (sources.locate_inputs).
    entries = locate_inputs(inputs, html=html, max_bytes=limits.max_html_bytes,
                            max_chars=(limits.max_page_chars, limits.max_html_bytes))

    def pending_shards():
        for index, shard in enumerate(_chunks(entries, shard_size)):
            if (out / shard_file(index, output_format)).exists():
                errors = out / errors_file(index)
                unreadable = len(_read_jsonl_file(errors)) if errors.exists() else 0
                counts["pages"] += len(shard) - unreadable
                counts["unreadable"] += unreadable
                counts["shards_resumed"] += 1
                ids.add(id_keys(shard_ids(out / shard_file(index, output_format),
                                          output_format)))
                shards_done.append(index)
                count_as_done_before(bar, len(shard))
                continue
            yield index, shard

    for index, n_rows, n_errors, keys in run(pending_shards()):
        ids.add(keys)
        shards_done.append(index)
        counts["pages"] += n_rows
        counts["pages_this_run"] += n_rows
        counts["unreadable"] += n_errors
        counts["shards_written"] += 1
        bar.update(n_rows + n_errors)
        if n_errors:
            bar.set_postfix(unreadable=counts["unreadable"], refresh=False)
    bar.close()
    counts["duplicate_ids"] = _report_duplicates(out, output_format, sorted(shards_done),
                                                 ids.repeated_keys())

    seconds = time.perf_counter() - started
    summary = {**counts, "seconds": round(seconds, 3),
               "pages_per_second": (round(counts["pages_this_run"] / seconds, 1)
                                    if seconds else None),
               "output": str(out), "format": output_format}
    text = json.dumps(summary, indent=2) + "\n"
    atomic_write(out, SUMMARY_FILE, lambda path: Path(path).write_text(text, encoding="utf-8"))
    return summary


def _report_duplicates(out: Path, output_format: str, shards: list[int],
                       repeated_keys: set[int]) -> int:
    """Write ``duplicate-ids.jsonl`` (``id``, ``rows``, ``shards``) for the
    ids on more than one row of the whole output, or remove one an earlier
    run left; return how many ids."""
    duplicates = (name_duplicates([(index, out / shard_file(index, output_format))
                                   for index in shards], output_format, repeated_keys)
                  if repeated_keys else [])
    if not duplicates:
        (out / DUPLICATES_FILE).unlink(missing_ok=True)
        return 0

    def write(path):
        with open(path, "wb") as handle:
            handle.writelines(orjson.dumps(entry, option=orjson.OPT_APPEND_NEWLINE)
                              for entry in duplicates)

    atomic_write(out, DUPLICATES_FILE, write)
    return len(duplicates)


def shard_file(index: int, output_format: str) -> str:
    return f"part-{index:05d}.{output_format}"


def errors_file(index: int) -> str:
    return f"errors-{index:05d}.jsonl"


LOCK_FILE = ".batch.lock"


@contextlib.contextmanager
def _output_folder_lock(out: Path):
    """Hold the output folder for this run.

    A second run on the same folder at the same time (the same command
    started twice, or again while the first is still going) would delete
    the first's shards in progress and write the same shards twice; it is
    refused instead. The lock is the operating system's (``flock``), so it
    ends with the process, however the process ends.
    """
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # Windows: no flock; runs are not guarded
        yield
        return
    with open(out / LOCK_FILE, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(f"{out} is being written by another batch run; wait for it "
                             "to end (then run again to resume) or use another output "
                             "folder") from None
        yield


def input_files(inputs) -> dict:
    """What each input file was when a run started: ``{path: [size, mtime
    in ns]}`` of every file of the inputs (folders walked as
    ``locate_inputs`` walks them; what cannot be read is left out)."""
    from .sources import _files_below

    files = {}
    for path in map(Path, inputs):
        for file in (sorted(_files_below(path)) if path.is_dir() else [path]):
            try:
                stat = file.stat()
            except OSError:
                continue
            files[str(file.resolve())] = [stat.st_size, stat.st_mtime_ns]
    return files


def _claim_output_folder(out: Path, settings: dict, inputs=()) -> None:
    """Record the run's settings, or check them against an earlier run's.

    Resuming is only sound with the same inputs, shard size and format:
    otherwise shard 42 would hold other pages than the shard 42 on disk.
    An input file that changed (its size or modification time; one line
    deleted from a .jsonl moved every later page a place up) is refused
    the same way. The folder exists and is this run's
    (``_output_folder_lock``).
    """
    remove_temporaries(out, "part-*")
    remove_temporaries(out, "errors-*")
    recorded = out / SETTINGS_FILE
    settings = {**settings, "input_files": input_files(inputs)}
    if recorded.exists():
        try:
            earlier = json.loads(recorded.read_text(encoding="utf-8"))
        except ValueError:
            earlier = None
        if isinstance(earlier, dict) and "input_files" not in earlier:
            # Runs started before inputs were recorded are resumed on
            # their settings alone, as before.
            settings.pop("input_files")
        if earlier != settings:
            changed = sorted(key for key in settings
                             if not isinstance(earlier, dict) or earlier.get(key) != settings[key])
            if changed == ["input_files"]:
                now, then = settings["input_files"], earlier["input_files"]
                names = sorted(name for name in set(now) | set(then)
                               if list(now.get(name, ())) != list(then.get(name, ())))
                raise InputError(
                    f"{out} holds a batch run whose input files have changed since it started "
                    f"({', '.join(names[:3])}{' ...' if len(names) > 3 else ''}: added, removed "
                    "or modified), so its shards cannot be resumed; use a new output folder")
            raise InputError(
                f"{out} holds a batch run with other settings ({', '.join(changed)} differ), "
                "so its shards cannot be resumed; use a new output folder")
        return
    if any(out.glob("part-*")):
        raise InputError(f"{out} holds shard files but no {SETTINGS_FILE}; use a new output folder")
    text = json.dumps(settings, indent=2) + "\n"
    atomic_write(out, SETTINGS_FILE, lambda path: Path(path).write_text(text, encoding="utf-8"))


def _chunks(iterable, size: int):
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


# -- classifying a shard (runs in a worker) ---------------------------------

@functools.lru_cache(maxsize=4)
def _worker_classifier(models, trusted: bool, limits: Limits, topics: bool = True) -> Classifier:
    # Loaded once per worker process and reused for every shard it runs.
    from .api import load

    return load(models, trusted=trusted, limits=limits, topics=topics)


def _models_for_run(models, trusted: bool, limits: Limits, topics: bool, html: bool) -> None:
    """The worker's classifier loaded, with its HTML line model for an HTML
    run (otherwise loaded on the first HTML page): a bad model fails here."""
    clf = _worker_classifier(models, trusted, limits, topics)
    if html:
        clf.html_model  # noqa: B018 - loaded by reading it


#: ``_worker_classifier`` arguments of a run with the shipped models and
#: default settings: the fork server of local workers loads these before
#: forking them (``classifier/_preload.py``).
PRELOADED = (None, False, Limits(), True)


def _loaded(models, trusted: bool, limits: Limits, topics: bool, html: bool = False) -> None:
    # Run in a worker: the models stay loaded there for the shards it runs,
    # and a bad model raises its error back in the driver. The worker
    # exists for the run (see run_batch's freeze_loaded; with the shipped
    # models the fork server froze them).
    with collector_paused():
        _models_for_run(models, trusted, limits, topics, html)
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
                   topics: bool = True) -> tuple[int, list[dict], list[dict]]:
    """Classify one shard's pages (``sources.locate_inputs`` entries):
    ``(index, rows, errors)``."""
    rows, errors = [], []
    for group_rows, group_errors in _classified_groups(
            entries, models=models, trusted=trusted, limits=limits,
            site_templates=site_templates, topics=topics):
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
                       topics: bool = True):
    """A shard's ``(rows, errors)``, read and classified a group of pages at
    a time: each group's rows, and its pages that could not be read or
    classified.

    Site-template evidence compares each page with the other pages of its
    site in the shard, so with ``site_templates`` the shard is one group.
    """
    clf = _worker_classifier(models, trusted, limits or Limits(), topics)
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


FRAME_COLUMNS = ("topic", "topic_score", "topics", "body", "lines", "error")


def classify_frame(frame, column: str = "text", *, html: bool = False, models=None,
                   trusted: bool = False, limits: Limits | None = None, topics: bool = True):
    """Classify the pages in ``frame[column]``: a frame with the same index and
    the columns ``topic``, ``topic_score``, ``topics``, ``body``, ``lines`` and ``error``
    (the reason a page failed, else ``None``).

    Made for Dask DataFrames, one partition at a time::

        ddf.map_partitions(classify_frame, "text", meta=classify_frame(ddf._meta, "text"))

    The models are loaded once per worker process and kept; ``topics=False``
    cleans only (no topic model, empty topic columns).
    """
    import pandas as pd

    if column not in frame.columns:
        raise InputError(f"no column {column!r} in the frame (columns: {list(frame.columns)})")
    clf = _worker_classifier(models, trusted, limits or Limits(), topics)
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
                      ("topics", pa.list_(pa.string())),
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
            rows.extend(_read_jsonl_file(path))
    for path in sorted(out.glob("errors-*.jsonl")):
        errors.extend(_read_jsonl_file(path))
    return rows, errors


def _read_jsonl_file(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


# -- running shards: here, in local workers, or on Dask -------------------------

def _run(shards, out: Path, output_format: str, options: dict, workers: int,
         scheduler: str | None, pool=None, commits: BackgroundCommits | None = None):
    """Classify and write each shard: yield ``(index, pages, unreadable,
    id keys)`` for each, as each completes. With ``commits`` (a one-process run's), a
    shard is yielded once its files are handed to it; all are in place
    when the generator ends."""
    if scheduler:
        # Dask workers may be other machines, without the output folder:
        # their rows come back here to be written.
        task = functools.partial(classify_shard, **options)
        shards = ((index, [read_entry(entry) for entry in entries])
                  for index, entries in shards)
        for index, rows, errors in _run_on_dask(task, shards, workers, scheduler):
            write_shard(out, index, rows, errors, output_format)
            yield index, len(rows), len(errors), id_keys(row["id"] for row in rows)
        return
    if pool is None:
        task = functools.partial(classify_shard_into, out, output_format, commits=commits,
                                 **options)
        for index, entries in shards:
            yield task(index, entries)
        if commits is not None:
            commits.wait()
        return
    task = functools.partial(classify_shard_into, out, output_format, **options)
    running = set()
    for index, entries in shards:
        running.add(pool.submit(task, index, entries))
        while len(running) >= workers + SHARDS_WAITING_FOR_LOCAL_WORKERS:
            done, running = wait(running, return_when=FIRST_COMPLETED)
            yield from (future.result() for future in done)
    for future in as_completed(running):
        yield future.result()


def _start_local_workers(workers: int, settings: tuple, html: bool = False
                         ) -> ProcessPoolExecutor:
    """Start ``workers`` processes on this machine, each with the models of
    ``settings`` (``_worker_classifier``'s arguments) loaded.

    They are forked from a fork server that has the libraries (and, with
    the shipped models, the models) loaded, so that the workers share that
    memory instead of each loading its own. A fork server, not plain fork:
    the caller may have run OpenMP code (scikit-learn's trees), after which
    a forked child can hang; the fork server is a fresh process. It is one
    per process, and its preloading is fixed when it starts (by the first
    run that needs it).
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():  # Windows
        context = multiprocessing.get_context("spawn")
    else:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["classifier._preload"] if settings == PRELOADED
                                       else ["classifier.api"])
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    # The workers follow this process's Ctrl-C (ignored when it was started
    # in the background by a shell) and end when it is gone.
    ignores_sigint = signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_set_up_worker,
                               initargs=(max(1, (cores or 1) // workers), os.getpid(),
                                         ignores_sigint))
    try:
        # The pool starts a process for each task submitted while none is
        # idle: one model load per worker, submitted at once, starts them
        # all here, and a bad model raises its error here.
        with _callers_script_hidden():
            loads = [pool.submit(_loaded, *settings, html) for _ in range(workers)]
        for load in loads:
            load.result()
    except BaseException:
        pool.shutdown(cancel_futures=True)
        raise
    return pool


@contextlib.contextmanager
def _callers_script_hidden():
    """Processes started in this block do not run the caller's script.

    The standard library starts a fork server or spawn child by importing
    the parent's ``__main__`` script again, so that functions defined there
    can be unpickled; a script that calls ``run_batch`` without an
    ``if __name__ == "__main__":`` guard would start its batch again in
    every worker. Our workers only run functions of this package.
    """
    script = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = script


#: Seconds between a worker's checks that the command that started it lives.
PARENT_CHECK_SECONDS = 1.0


def _set_up_worker(threads: int, command_pid: int | None = None,
                   ignores_sigint: bool = False) -> None:
    # Ctrl-C reaches the workers too. As a KeyboardInterrupt, the pool would
    # report it as the shard's result and go on with the queued shards, so
    # the driver would wait for them; ended at once, the shards in progress
    # are simply redone by the next run. A command that ignores SIGINT (one
    # started with & by a non-interactive shell) keeps its workers: they
    # ignore it too, or they would die under a command that goes on.
    signal.signal(signal.SIGINT, signal.SIG_IGN if ignores_sigint else signal.SIG_DFL)
    if command_pid is not None:
        _end_with(command_pid)
    # N workers on C cores: C // N threads each for scikit-learn's OpenMP
    # (the trees) and BLAS, as joblib gives its workers; by default each
    # worker would run as many threads as there are cores, and N workers
    # would fight over them.
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads)


def _end_with(command_pid: int) -> None:
    """End this worker once the command process ``command_pid`` is gone.

    A worker's parent is the fork server, not the command; a command killed
    by SIGKILL or by SIGTERM to itself alone (not its process group) left
    its workers waiting for shards that never came, with the fork server
    and resource tracker (~740 MB) until killed by hand. The workers
    now check every ``PARENT_CHECK_SECONDS`` and exit; the fork server
    and resource tracker then end with them.
    """
    def watch():
        while _alive(command_pid):
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)  # nothing to clean: shards in progress are temporary files

    threading.Thread(target=watch, name="end-with-the-command", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):  # gone, or its pid another user's now
        return False
    try:  # a killed process not yet reaped by its parent is a zombie: gone
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):  # no /proc (macOS): os.kill's answer
        return True


def _run_on_dask(task, shards, workers: int, scheduler: str):
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise InputError("--scheduler needs Dask: pip install 'pageclassifier[dask]'") from None

    if scheduler == "local":
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    else:
        cluster, client = None, Client(scheduler)
    try:
        window = SHARDS_IN_FLIGHT_PER_WORKER * max(1, sum(client.nthreads().values()))
        running = as_completed()
        for index, items in shards:
            running.add(client.submit(task, index, items, pure=False))
            while running.count() >= window:
                yield next(running).result()
        for future in running:
            yield future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
