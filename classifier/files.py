"""Writing files so that a reader never sees half of one.

Used for model folders (classifier.store) and for batch output shards
(classifier.batch): a file is written to a temporary name in its target
folder, flushed to disk, and renamed over the final name. A rename within
one folder is atomic, so a run killed at any point leaves either the old
file or the complete new one, plus at most a hidden ``.*.tmp`` file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def temporary_file(folder: Path, name: str) -> str:
    """A new empty file ``.<name>.*.tmp`` in ``folder`` with the permissions
    a plain open() would give (mkstemp makes it 0600, which would hide
    models and outputs from other users of a shared folder)."""
    handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    os.close(handle)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)
    return temporary


def atomic_write(folder: Path, name: str, write, final_name=None, commits=None) -> str:
    """Write a file in ``folder`` via a temporary file there + rename.

    ``write(path)`` fills the temporary file; it is flushed to disk and
    renamed to ``name``, or to ``final_name(path)`` when given (a name
    derived from the content). Returns the name written. With ``commits``
    (a :class:`BackgroundCommits`) the flush and rename are left to it.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    temporary = temporary_file(folder, name)
    try:
        write(temporary)
        target = final_name(temporary) if final_name else name
    except BaseException:
        _remove(temporary)
        raise
    if commits is None:
        _commit(temporary, folder / target)
        return target
    try:
        commits.submit(temporary, folder / target)
    except BaseException:  # an earlier commit failed: this one is dropped too
        _remove(temporary)
        raise
    return target


def _commit(temporary: str, target: Path) -> None:
    """Flush the written temporary file to disk and rename it to ``target``
    (removing it if either fails)."""
    try:
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, target)
    finally:
        _remove(temporary)


def _remove(temporary: str) -> None:
    if os.path.exists(temporary):
        os.remove(temporary)


class BackgroundCommits:
    """Finishes atomic writes in a thread of their own, in the order given.

    Flushing a file to disk waits for the disk (~3 ms for a batch shard
    here, far more on network storage) while holding no lock on Python:
    a one-process batch run classifies the next shard meanwhile. Files are
    renamed into place in the order they were submitted, so a shard's
    errors file is in place before its rows file, as without it. Once one
    commit fails, the later ones are dropped (their temporary files
    removed) and ``submit`` or ``wait`` raises its error.
    """

    def __init__(self):
        from concurrent.futures import ThreadPoolExecutor

        self._thread = ThreadPoolExecutor(1, thread_name_prefix="commits")
        self._pending = []
        self._failed = False

    def submit(self, temporary: str, target: Path) -> None:
        self._raise_a_failure()
        self._pending.append(self._thread.submit(self._commit_unless_failed, temporary, target))

    def _commit_unless_failed(self, temporary: str, target: Path) -> None:
        if self._failed:
            _remove(temporary)
            return
        try:
            _commit(temporary, target)
        except BaseException:
            self._failed = True
            raise

    def _raise_a_failure(self) -> None:
        still_pending = []
        for future in self._pending:
            if future.done():
                future.result()  # raises the commit's error, if any
            else:
                still_pending.append(future)
        self._pending = still_pending

    def wait(self) -> None:
        """Return once every file submitted is in place; raise the first
        error of a commit."""
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()

    def close(self) -> None:
        """Finish the commits submitted (their errors are not raised: for a
        run ending on another error) and end the thread."""
        self._thread.shutdown(wait=True)
        self._pending = []


def remove_temporaries(folder: Path, name_glob: str) -> None:
    """Delete the temporary files a killed write of ``name_glob`` left behind."""
    for stale in Path(folder).glob(f".{name_glob}.*.tmp"):
        stale.unlink(missing_ok=True)
