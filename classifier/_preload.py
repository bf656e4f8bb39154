"""Imported once by the batch runs' fork server, before it forks the workers.

It loads the libraries and the shipped models in the fork server, so that
every worker forked from it starts with them already in memory, shared
copy-on-write with the fork server and the other workers instead of each
holding its own copy (README, "Throughput and memory"). Only the shipped
models with default settings are loaded (``classifier.batch.PRELOADED``):
the fork server is one per process and may serve several runs.
"""

import gc

from .batch import PRELOADED, _worker_classifier

try:
    _worker_classifier(*PRELOADED)
except Exception:  # noqa: BLE001 - a worker that needs them reports the error itself
    pass
# Objects alive now are never scanned by the garbage collector again, which
# would write to their pages and so copy them into every worker.
gc.freeze()
