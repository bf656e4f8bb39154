"""Many pages from files in, sharded JSONL or Parquet out.

* ``run`` — the run: the output folder, resuming, shards in order, the
  summary (:func:`run_batch`);
* ``shards`` — one shard classified and written, in a worker
  (:func:`classify_frame` for a DataFrame; :func:`read_output` reads a
  run's output back);
* ``workers`` — where shards run: this process, local worker processes,
  or a Dask cluster;
* ``sources`` — where the pages come from: folders, JSON Lines, WARC/WET
  (``warc``: records read within bounds, damage reported);
* ``duplicate_ids`` — page ids that come out twice;
* ``_preload`` — what the workers' fork server imports before forking.

Importing this package loads neither the models nor numpy: a batch driver
only locates pages and counts.
"""

from .run import DEFAULT_SHARD_SIZE, FORMATS, run_batch
from .shards import classify_frame, read_output

__all__ = ["DEFAULT_SHARD_SIZE", "FORMATS", "classify_frame", "read_output", "run_batch"]
