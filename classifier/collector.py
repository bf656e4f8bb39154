"""The garbage collector around work that makes many objects that stay.

Python's collector runs every few hundred new objects and, now and then,
scans every object alive. Importing scikit-learn, SciPy and pandas and
unpickling the models make hundreds of thousands of objects that live as
long as the process, and a batch run then makes a Line and a row per line
of every page, dropped a group of pages later: neither holds the cycles
the collector is for, and its scans of them found almost nothing to free.
"""

from __future__ import annotations

import contextlib
import gc


@contextlib.contextmanager
def collector_paused():
    """The garbage collector off for the block (unless it was off already).

    For imports and model loading: the collections they set off scan the
    new objects again and again, full collections included (~0.07 s of
    the ~0.4 s the three shipped models take to load, ~0.1 s more when
    scikit-learn is imported in the block; 2026-11-27). Process-wide, as
    the collector is: another thread's garbage waits for the next
    collection after the block.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


#: Allocations of objects between two collections of the youngest
#: generation in a process that exists for a batch run (Python's default:
#: 700). A run allocates a Line and a row dict per line and drops them a
#: group later: collections every 700 allocations found almost nothing
#: to free (4,000 text pages: 2,871 young and 23 full collections, 0.31 s
#: of 8.8; at 20,000: 67 and none, 0.14 s; 2026-11-27).
RUN_GC_THRESHOLD = 20_000


def settle_gc_for_the_run() -> None:
    """Settle the garbage collector for the rest of a process that exists
    for a batch run, its models loaded: ``gc.freeze()``, so that full
    passes skip the models and everything else alive now (which they
    otherwise scan again and again: ~0.35 s per 1,000 text pages, ~5 % of
    a run; 2026-11-27), and the youngest generation collected every
    ``RUN_GC_THRESHOLD`` allocations. Neither is undone."""
    gc.freeze()
    youngest, *older = gc.get_threshold()
    gc.set_threshold(max(youngest, RUN_GC_THRESHOLD), *older)
