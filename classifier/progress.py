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


def say(message: str) -> None:
    """One status line on stderr."""
    print(message, file=sys.stderr, flush=True)
