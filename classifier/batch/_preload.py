"""Imported once by the batch runs' fork server, before it forks the workers.

It loads the libraries and the shipped models in the fork server, so that
every worker forked from it starts with them already in memory, shared
copy-on-write with the fork server and the other workers instead of each
holding its own copy (docs/benchmarks.md, "Throughput and memory"). Only the shipped
models with default settings are loaded (``classifier.batch.PRELOADED``):
the fork server is one per process and may serve several runs.
"""

import gc

from ..collector import collector_paused
from .shards import PRELOADED, models_for_run, worker_classifier

#: Classified once here, so that what the models build on first use (the
#: topic model's proper-noun pattern, ~0.15 s, without the compiled
#: _words; the line features' character table, without the compiled
#: _lines; the line model's
#: flattened trees; the topic model's vocabulary tables and table of
#: combining marks, ~0.06 s, for the accented word in the page) is built
#: once and shared, not again in every worker: a freshly forked worker's first 10 pages took 0.4 s against
#: 0.16 s for the next 10 (2026-11-26).
WARM_UP_PAGE = (
    "Home > News\n"
    "Ministers met in London on Monday to agree the budget, the Treasury said.\n"
    "The talks, which lasted six hours at the Café Royal, ended with a deal on spending.\n"
    "Officials said the plan would be published in full next week.\n"
    "- Related stories\n")

# The libraries and models are kept for every worker: no collection while
# they load (see classifier.collector).
with collector_paused():
    try:
        # With the HTML line model (otherwise loaded when first needed), for
        # every worker to share.
        models_for_run(*PRELOADED, html=True)
        clf = worker_classifier(*PRELOADED)
        clf.predict(WARM_UP_PAGE)
        # (Also finds, once for every worker, the text layout features the
        # two line models share on HTML: classifier.lines.blend.)
        clf.predict_html("".join(f"<p>{line}</p>" for line in WARM_UP_PAGE.splitlines()))
    except Exception:  # noqa: BLE001 - a worker that needs them reports the error itself
        pass
    # Objects alive now are never scanned by the garbage collector again,
    # which would write to their pages and so copy them into every worker.
    gc.freeze()
