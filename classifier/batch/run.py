"""Batch prediction: pages from files in, sharded JSONL or Parquet out.

``run_batch`` locates the pages of the inputs in order
(:func:`classifier.batch.sources.locate_inputs`), cuts that stream into shards
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
  (:mod:`classifier.batch.duplicate_ids`).

Output rows (one per page): ``id``, ``source`` (input file), ``url``,
``topic``, ``topic_score``, ``topic_reason``, ``topics``, ``topic_scores``,
``body`` and ``lines`` (``index``, ``text``, ``label``, ``score`` per non-blank line, as
:meth:`classifier.Page.to_dict`).
"""

from __future__ import annotations

import contextlib
import functools
import json
import time
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

import orjson  # a row's UTF-8 JSON in one C call, ~10x the json module (pyproject.toml)

from ..collector import collector_paused, settle_gc_for_the_run
from ..errors import InputError
from ..files import BackgroundCommits, atomic_write, remove_temporaries
from ..limits import Limits
from ..progress import count_as_done_before, progress_bar
from .duplicate_ids import IdTally, id_keys, name_duplicates, shard_ids
from .sources import locate_inputs
from .shards import SETTINGS_FILE, errors_file, models_for_run, read_jsonl_file, shard_file
from .workers import run_shards, start_local_workers

if TYPE_CHECKING:
    pass

# This module is also the batch *driver*: it locates pages, hands shards to
# workers and counts their results. It imports the API (numpy, pandas,
# scikit-learn, lxml, the models: ~250 MB) only where pages are classified,
# so that with --workers N the driver stays small and only the workers
# (and the fork server they are forked from) hold the libraries and models.

FORMATS = ("jsonl", "parquet")
SUMMARY_FILE = "summary.json"
DUPLICATES_FILE = "duplicate-ids.jsonl"
DEFAULT_SHARD_SIZE = 500


def run_batch(inputs, out, *, html: bool = False, output_format: str = "jsonl",
              shard_size: int = DEFAULT_SHARD_SIZE, workers: int = 1,
              scheduler: str | None = None, models=None, trusted: bool = False,
              limits: Limits | None = None, progress: bool = True,
              site_templates: bool = False, topics: bool = True,
              html_weight: float | None = None, freeze_loaded: bool = False) -> dict:
    """Classify every page of ``inputs`` into shard files in folder ``out``.

    ``site_templates`` uses the lines a site repeats across its pages in
    one shard as evidence of template (see ``Classifier.predict_many``);
    a page's site is its url's host, so pages without a url get none.
    ``topics=False`` cleans only: no topic model is loaded and the rows'
    topic fields are empty. ``html_weight``: from HTML, the HTML line
    model's share of a line's score, as for ``classifier.load`` (``None``:
    its default; 1.0, the HTML model alone, is faster).

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
    if html_weight is not None:
        # (Likewise: recorded only when given.)
        settings["html_weight"] = html_weight
    options = {"models": models, "trusted": trusted, "limits": limits,
               "site_templates": site_templates, "topics": topics, "html_weight": html_weight}
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
            pool = start_local_workers(workers, (models, trusted, limits, topics, html_weight),
                                       html)
        else:
            # (Settled within the pause: once on again, the collector would
            # first scan everything loaded, ~0.07 s, before it is frozen.)
            with collector_paused():  # the imports and models, kept for the run
                models_for_run(models, trusted, limits, topics, html_weight, html=html)
                if freeze_loaded and not scheduler:
                    settle_gc_for_the_run()
        with _output_folder_lock(out):
            _claim_output_folder(out, settings, inputs)
            # One process: its shard files are flushed to disk while it
            # classifies the next shard.
            commits = BackgroundCommits() if pool is None and not scheduler else None
            run = functools.partial(run_shards, out=out, output_format=output_format,
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
                unreadable = len(read_jsonl_file(errors)) if errors.exists() else 0
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
