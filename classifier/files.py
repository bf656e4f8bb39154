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


def atomic_write(folder: Path, name: str, write, final_name=None) -> str:
    """Write a file in ``folder`` via a temporary file there + rename.

    ``write(path)`` fills the temporary file; it is renamed to ``name``, or
    to ``final_name(path)`` when given (a name derived from the content).
    Returns the name written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    temporary = temporary_file(folder, name)
    try:
        write(temporary)
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        target = final_name(temporary) if final_name else name
        os.replace(temporary, folder / target)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return target


def remove_temporaries(folder: Path, name_glob: str) -> None:
    """Delete the temporary files a killed write of ``name_glob`` left behind."""
    for stale in Path(folder).glob(f".{name_glob}.*.tmp"):
        stale.unlink(missing_ok=True)
