"""Progress reporting for long runs: training, evaluation and batch prediction.

tqdm draws the bars (stderr, so JSON on stdout stays clean); when stderr is
not a terminal, as in CI logs, it still prints a line now and then instead
of flooding the log with carriage returns.
"""

from __future__ import annotations

import sys

from tqdm.auto import tqdm


def progress_bar(iterable, desc: str, disable: bool = False, **kwargs):
    interactive = sys.stderr.isatty()
    return tqdm(iterable, desc=desc, disable=disable, file=sys.stderr,
                mininterval=0.5 if interactive else 15.0, **kwargs)


def count_as_done_before(bar, count: int) -> None:
    """Move ``bar`` on by ``count`` items that an earlier run did (a resumed
    batch's finished shards): counted in the total, not in the rate, which
    would otherwise show thousands of pages a second at the start of a
    resumed run."""
    if bar.disable:
        return
    bar.n += count
    # tqdm's average rate is (n - initial) / elapsed, and its smoothed rate
    # is made of the items counted since the last print.
    bar.initial += count
    bar.last_print_n += count


def say(message: str) -> None:
    """One status line on stderr."""
    print(message, file=sys.stderr, flush=True)
