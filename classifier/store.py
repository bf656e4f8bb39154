"""Saving and loading model folders.

A models folder holds one joblib artifact per model and a ``manifest.json``
describing each: file name, sha256, creation time, library versions, a
summary of the training data and its cross-validated metrics.

* Saving is atomic: an artifact is written to a temporary file in the target
  folder and renamed, when complete, to a name carrying its own sha256
  (``line_model-<sha>.joblib``); then the manifest is replaced the same way
  (temporary file + rename), and only then is the old artifact deleted. The
  manifest rename is the single moment the new model takes over, so a run
  killed at any point leaves a manifest whose files are all present and
  intact: the previous models, or the new ones.
* Loading checks each artifact's sha256 against the manifest before
  unpickling it (a truncated copy or a swapped file is refused), and warns
  when the installed scikit-learn differs from the one that trained it.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import json
import importlib
import platform
import re
import sys
import threading
import types
import warnings
from contextlib import contextmanager
from pathlib import Path

import joblib

from .collector import collector_paused
from .errors import ModelError
from .files import atomic_write, remove_temporaries

MANIFEST = "manifest.json"
LINE_MODEL = "line_model"
TOPIC_MODEL = "topic_model"
HTML_MODEL = "html_model"  # the line model of the HTML path (DOM features)
MODEL_NAMES = (LINE_MODEL, TOPIC_MODEL, HTML_MODEL)


def default_models_dir() -> Path:
    """The shipped models: ``models/`` beside the package in a source checkout,
    ``classifier/_models`` in an installed wheel (see pyproject.toml)."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "_models", package.parent / "models"):
        if (candidate / MANIFEST).exists():
            return candidate
    raise ModelError("the default models are missing: expected a manifest in "
                     f"{package / '_models'} or {package.parent / 'models'}; "
                     "run `make models` to train them")


def library_versions() -> dict:
    import numpy
    import scipy
    import sklearn

    return {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
            "numpy": numpy.__version__, "scipy": scipy.__version__,
            "joblib": joblib.__version__}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(folder: Path) -> dict:
    path = Path(folder) / MANIFEST
    if not path.exists():
        raise ModelError(f"{folder}: no {MANIFEST}; not a models folder")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise ModelError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("models"), dict):
        raise ModelError(f"{path}: expected an object with a 'models' entry")
    return manifest


def save_model(folder, name: str, model, training_data: dict, metrics: dict,
               parameters: dict | None = None, settings: dict | None = None) -> dict:
    """Save ``model`` in ``folder`` and record it in the manifest (atomically).
    ``settings`` (e.g. the topic model's ``abstention``) join its entry:
    what prediction reads beside the model."""
    if name not in MODEL_NAMES:
        raise ValueError(f"model name must be one of {MODEL_NAMES}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(folder, name)

    digest = ""

    def content_name(path) -> str:
        # A name unique to the content: the old file stays untouched until
        # the manifest no longer points at it.
        nonlocal digest
        digest = sha256_of(Path(path))
        return f"{name}-{digest[:16]}.joblib"

    file_name = atomic_write(folder, name, lambda path: joblib.dump(model, path, compress=3),
                              content_name)
    entry = {
        "file": file_name,
        "sha256": digest,
        "bytes": (folder / file_name).stat().st_size,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": library_versions(),
        "training_data": training_data,
        "metrics": metrics,
        "parameters": parameters or {},
        **(settings or {}),
    }
    try:
        manifest = read_manifest(folder)
    except ModelError:
        manifest = {"models": {}}
    manifest["models"][name] = entry
    text = json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n"
    atomic_write(folder, MANIFEST, lambda path: Path(path).write_text(text, encoding="utf-8"))
    _remove_unlisted_artifacts(folder, name, manifest)
    return entry


def _remove_unlisted_artifacts(folder: Path, name: str, manifest: dict) -> None:
    """Delete ``name``'s artifacts the manifest no longer lists: the model just
    replaced, or the orphan of a save killed before its manifest was written."""
    listed = {entry["file"] for entry in manifest["models"].values()}
    pattern = re.compile(rf"{re.escape(name)}(-[0-9a-f]+)?\.joblib")
    for path in folder.glob(f"{name}*.joblib"):
        if pattern.fullmatch(path.name) and path.name not in listed:
            path.unlink(missing_ok=True)


def _remove_stale_temporaries(folder: Path, name: str) -> None:
    """Delete temporary files a killed save of ``name`` left behind."""
    for pattern in (name, MANIFEST):
        remove_temporaries(folder, pattern)


def manifest_entry(folder, name: str, manifest: dict) -> dict | None:
    """The manifest's entry for model ``name``, or ``None`` if it lists none.

    A malformed entry is a :class:`ModelError` naming the manifest: not an
    object, a ``file`` that is not a plain file name in the folder
    (missing, null, empty, ``.``, ``..`` or a path), a ``sha256`` that is
    not 64 hex digits, ``versions`` that are not an object."""
    where = Path(folder) / MANIFEST
    entry = manifest["models"].get(name)
    if entry is None:
        return None
    if not isinstance(entry, dict):
        raise ModelError(f"{where}: the entry of {name!r} is not an object")
    file_name = entry.get("file")
    if (not isinstance(file_name, str) or file_name in ("", ".", "..")
            or Path(file_name).name != file_name or "\\" in file_name):
        raise ModelError(f"{where}: the entry of {name!r} names no file in the folder "
                         f"('file': {file_name!r})")
    digest = entry.get("sha256")
    if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise ModelError(f"{where}: the entry of {name!r} has no sha256 of 64 hex digits")
    if not isinstance(entry.get("versions", {}), dict):
        raise ModelError(f"{where}: the entry of {name!r} has 'versions' that are not an object")
    return entry


def checked_model_path(folder, name: str, manifest: dict | None = None,
                       check_sha256: bool = True) -> Path | None:
    """The file of the folder's model ``name`` once its sha256 is checked
    (with ``check_sha256``; ``load_model_file`` checks the bytes it
    unpickles in any case) and a different scikit-learn warned about;
    ``None`` if the folder has none."""
    folder = Path(folder)
    manifest = manifest or read_manifest(folder)
    entry = manifest_entry(folder, name, manifest)
    if entry is None:
        return None
    path = folder / entry["file"]
    if not path.is_file():
        raise ModelError(f"{path}: listed in the manifest but missing")
    if check_sha256:
        _check_sha256(path, sha256_of(path), entry["sha256"])
    trained_with = entry.get("versions", {}).get("scikit-learn")
    installed = library_versions()["scikit-learn"]
    if trained_with and trained_with != installed:
        warnings.warn(f"{path} was trained with scikit-learn {trained_with} but "
                      f"{installed} is installed; predictions may differ or fail. "
                      "Retrain with `python -m training lines|topics ...` "
                      "(see docs/training.md) or install the matching version.", stacklevel=3)
    return path


def _check_sha256(path: Path, actual: str, expected: str) -> None:
    if actual != expected:
        raise ModelError(f"{path}: sha256 {actual[:12]}… does not match the manifest "
                         f"({str(expected)[:12]}…); the file is damaged or was "
                         "replaced. Retrain it or restore the folder.")


#: What each model must be able to do, checked once it is unpickled: a
#: trusted pickle of something else is refused at load, not on every page.
MODEL_METHODS = {LINE_MODEL: ("body_proba",), HTML_MODEL: ("body_proba",),
                 TOPIC_MODEL: ("predict_proba", "classes_")}


def load_model_file(path: Path, sha256: str, name: str):
    """Unpickle the model ``name`` from ``path``, reading the file once and
    checking the sha256 of those very bytes: a file swapped after
    ``checked_model_path`` (the HTML model is unpickled on first use) is
    refused, not run."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ModelError(f"{path}: cannot be read ({error.strerror or error})") from None
    _check_sha256(path, hashlib.sha256(data).hexdigest(), sha256)
    model = unpickle_model(io.BytesIO(data), path)
    missing = [method for method in MODEL_METHODS.get(name, ()) if not hasattr(model, method)]
    if missing:
        raise ModelError(f"{path}: holds a {type(model).__name__}, not a {name} "
                         f"(it has no {', '.join(missing)})")
    return model


def unpickle_model(source, path: Path | None = None):
    """The model in ``source`` (a checked file's path, or its bytes as a file
    object read from ``path``)."""
    where = path if path is not None else source
    try:
        with collector_paused(), _former_module_names():
            return joblib.load(source)
    except Exception as error:  # unpickling can fail in many ways; say where
        raise ModelError(f"{where}: cannot be loaded ({type(error).__name__}: {error})") from None


#: Where the classes of model folders saved before the package was regrouped
#: (2026-12-06: classifier/lines/, topics/, batch/) live now. A pickle names
#: the module of each class it holds; a folder a user trained then still
#: loads. A former module split in several is their names together.
FORMER_MODULES = {
    "classifier.line_model": ("classifier.lines.model",),
    "classifier.features": ("classifier.lines.table", "classifier.lines.statistics",
                            "classifier.lines.sections", "classifier.lines.layout"),
    "classifier.dom": ("classifier.lines.dom",),
    "classifier.page_words": ("classifier.lines.page_words",),
    "classifier.trees": ("classifier.lines.trees",),
    "classifier.html": ("classifier.lines.html",),
    "classifier.templates": ("classifier.lines.templates",),
    "classifier.topic_model": ("classifier.topics.model",),
}
_FORMER_NAMES_LOCK = threading.Lock()


@contextmanager
def _former_module_names():
    """The former modules' names in ``sys.modules`` while a pickle loads,
    and only then: ``import classifier.line_model`` stays an error."""
    with _FORMER_NAMES_LOCK:
        added = []
        try:
            for former, modules in FORMER_MODULES.items():
                if former in sys.modules:
                    continue
                alias = types.ModuleType(former, f"the former {former}: {', '.join(modules)}")
                for name in modules:
                    alias.__dict__.update({key: value for key, value
                                           in vars(importlib.import_module(name)).items()
                                           if not key.startswith("__")})
                sys.modules[former] = alias
                added.append(former)
            yield
        finally:
            for former in added:
                sys.modules.pop(former, None)
