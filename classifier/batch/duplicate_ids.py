"""Page ids that come out on more than one row of a batch run.

An input may hold the same id twice (a crawl that fetched a page again, two
``.jsonl`` files that overlap): both pages are classified and written, and
the run reports the id, so a user joining the output on ``id`` is warned.

The driver of a batch run may see millions of pages, so it does not keep
their ids: each shard sends back an 8-byte key per row (a BLAKE2b digest of
the id, ``id_keys``), 80 MB for ten million pages. At the end, the keys seen
twice are looked up in the shard files to name the ids (``name_duplicates``),
which also drops the rare two ids that share a key.
"""

from __future__ import annotations

import hashlib
from array import array
from pathlib import Path

import orjson


def id_keys(ids) -> bytes:
    """The 8-byte keys of ``ids``, as the bytes of an ``array("Q")``
    (cheap to send from a worker process)."""
    keys = array("Q", (_key(page_id) for page_id in ids))
    return keys.tobytes()


def _key(page_id) -> int:
    text = page_id if isinstance(page_id, str) else str(page_id)
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


class IdTally:
    """The keys of every row of a run, to find those seen more than once.

    Kept in 256 arrays by the key's last byte, so that finding the repeated
    ones needs a set of one array's keys at a time (40,000 of ten million),
    not of all of them; and without numpy, which the driver of a run with
    workers does not import.
    """

    def __init__(self):
        self._buckets = [array("Q") for _ in range(256)]

    def add(self, keys: bytes) -> None:
        incoming = array("Q")
        incoming.frombytes(keys)
        buckets = self._buckets
        for key in incoming:
            buckets[key & 0xFF].append(key)

    def repeated_keys(self) -> set[int]:
        repeated = set()
        for bucket in self._buckets:
            seen = set()
            for key in bucket:
                if key in seen:
                    repeated.add(key)
                else:
                    seen.add(key)
        return repeated


def shard_ids(path: Path, output_format: str) -> list[str]:
    """The ``id`` of each row of a shard file, in order."""
    if output_format == "parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path, columns=["id"]).column("id").to_pylist()
    with open(path, "rb") as handle:
        return [orjson.loads(line)["id"] for line in handle if line.strip()]


def name_duplicates(shard_paths: list[tuple[int, Path]], output_format: str,
                    keys: set[int]) -> list[dict]:
    """``{"id", "rows", "shards"}`` for each id of ``keys`` found on more
    than one row of the shard files ``(index, path)``, in the order first
    met."""
    found: dict[str, dict] = {}
    for index, path in shard_paths:
        for page_id in shard_ids(path, output_format):
            if _key(page_id) not in keys:
                continue
            entry = found.setdefault(page_id, {"id": page_id, "rows": 0, "shards": []})
            entry["rows"] += 1
            if not entry["shards"] or entry["shards"][-1] != index:
                entry["shards"].append(index)
    return [entry for entry in found.values() if entry["rows"] > 1]
