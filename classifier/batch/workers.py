"""Running a batch's shards: in this process, in local worker processes,
or on a Dask cluster.

Local workers are forked from a fork server that has the models loaded
(``_preload``); each has its share of the cores and ends with the command
that started it, whatever way that command ends.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import os
import signal
import sys
import threading
import time
import types
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, as_completed, wait
from pathlib import Path
from typing import TYPE_CHECKING


from ..errors import InputError
from ..files import BackgroundCommits
from .duplicate_ids import id_keys
from .sources import read_entry
from .shards import (PRELOADED, classify_shard, classify_shard_into, load_models_in_worker,
                     write_shard)

if TYPE_CHECKING:
    pass

# Shards in flight on a Dask cluster, per worker thread: the one it runs
# and one waiting, as the driver also writes the results it gets back.
SHARDS_IN_FLIGHT_PER_WORKER = 2
# Shards waiting for local workers, beyond the ones they run: one, so that a
# worker that finishes has the next shard at once. No more: pages that
# cannot be located (.jsonl.gz, pipes) are held by the driver for every
# shard in flight (500 HTML pages are ~35 MB).
SHARDS_WAITING_FOR_LOCAL_WORKERS = 1


# -- running shards: here, in local workers, or on Dask -------------------------

def run_shards(shards, out: Path, output_format: str, options: dict, workers: int,
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


def start_local_workers(workers: int, settings: tuple, html: bool = False
                         ) -> ProcessPoolExecutor:
    """Start ``workers`` processes on this machine, each with the models of
    ``settings`` (``worker_classifier``'s arguments) loaded.

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
        context.set_forkserver_preload(["classifier.batch._preload"] if settings == PRELOADED
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
            loads = [pool.submit(load_models_in_worker, *settings, html=html)
                     for _ in range(workers)]
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
