import json
import shutil
from pathlib import Path

import pytest

import classifier
from classifier import store
from classifier.errors import ModelError
from classifier.store import read_manifest, save_model


@pytest.fixture
def models_copy(trained_models, tmp_path):
    return shutil.copytree(trained_models, tmp_path / "models")


def test_tampered_artifact_is_refused_before_unpickling(models_copy):
    path = models_copy / read_manifest(models_copy)["models"]["topic_model"]["file"]
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(ModelError, match="does not match the manifest"):
        classifier.load(models_copy, trusted=True)


@pytest.mark.parametrize("name", ["line_model", "topic_model", "html_model"])
def test_a_tampered_artifact_of_any_model_is_refused_at_load(models_copy, name):
    path = models_copy / read_manifest(models_copy)["models"][name]["file"]
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(ModelError, match="does not match the manifest"):
        classifier.load(models_copy, trusted=True)


def test_the_html_model_is_unpickled_when_first_needed(models_copy, monkeypatch):
    from classifier import store

    unpickled = []
    real = store.unpickle_model
    monkeypatch.setattr(store, "unpickle_model", lambda source, path=None:
                        unpickled.append(path.name) or real(source, path))
    clf = classifier.load(models_copy, trusted=True)
    files = read_manifest(models_copy)["models"]
    assert sorted(unpickled) == sorted([files["line_model"]["file"], files["topic_model"]["file"]])
    clf.predict("Home > News\nA sentence of the article, long enough to read.")
    assert len(unpickled) == 2  # text pages never need it
    page = clf.predict_html("<html><body><p>A paragraph of the article.</p></body></html>")
    assert unpickled[-1] == files["html_model"]["file"] and len(unpickled) == 3
    assert clf.html_model is clf.html_model and page.lines
    clf.predict_html("<p>again</p>")
    assert len(unpickled) == 3  # once


def _with_a_broken_html_model(folder):
    """An HTML model file that cannot be unpickled, its sha256 in the
    manifest (as if its author had saved it so)."""
    import hashlib

    manifest = read_manifest(folder)
    entry = manifest["models"]["html_model"]
    (folder / entry["file"]).write_bytes(b"not a pickle")
    entry["sha256"] = hashlib.sha256(b"not a pickle").hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def test_an_html_model_that_cannot_be_loaded_fails_where_it_is_needed(models_copy, tmp_path):
    from classifier.batch import run_batch

    _with_a_broken_html_model(models_copy)
    clf = classifier.load(models_copy, trusted=True)
    assert clf.predict("Home > News\nA sentence of the article.").lines  # text: no need
    with pytest.raises(ModelError, match="cannot be loaded"):
        clf.predict_html("<p>A paragraph.</p>")
    # An --html batch run loads it before reading any input: it fails there.
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "p.html").write_text("<p>A paragraph.</p>")
    with pytest.raises(ModelError, match="cannot be loaded"):
        run_batch([tmp_path / "in"], tmp_path / "out", html=True, models=models_copy,
                  trusted=True, progress=False)
    assert not (tmp_path / "out").exists()


def test_an_html_model_swapped_after_load_is_refused_not_run(models_copy):
    # load() checked the file; the one unpickled later is a pickle of
    # someone else's (here: the topic model's bytes), written in between.
    files = read_manifest(models_copy)["models"]
    clf = classifier.load(models_copy, trusted=True)
    html_file = models_copy / files["html_model"]["file"]
    html_file.write_bytes((models_copy / files["topic_model"]["file"]).read_bytes())
    with pytest.raises(ModelError, match="does not match the manifest"):
        clf.predict_html("<p>A paragraph.</p>")


@pytest.mark.parametrize("change, message", [
    (lambda entry: "a string", "is not an object"),
    (lambda entry: entry.pop("file") and entry, "names no file"),
    (lambda entry: {**entry, "file": None}, "names no file"),
    (lambda entry: {**entry, "file": ""}, "names no file"),
    (lambda entry: {**entry, "file": "."}, "names no file"),
    (lambda entry: {**entry, "file": "../manifest.json"}, "names no file"),
    (lambda entry: {**entry, "sha256": None}, "no sha256"),
    (lambda entry: {**entry, "versions": "1.9"}, "'versions' that are not an object"),
])
@pytest.mark.parametrize("name", ["line_model", "html_model"])
def test_a_malformed_manifest_entry_is_a_model_error(models_copy, change, message, name):
    manifest = read_manifest(models_copy)
    manifest["models"][name] = change(dict(manifest["models"][name]))
    (models_copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ModelError, match=message):
        classifier.load(models_copy, trusted=True)


def test_the_cli_reports_a_malformed_manifest_in_one_line(models_copy, tmp_path, capsys):
    from classifier.cli import main

    manifest = read_manifest(models_copy)
    manifest["models"]["topic_model"]["file"] = None
    (models_copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    page = tmp_path / "page.txt"
    page.write_text("A sentence of an article.\n")
    assert main(["predict", str(page), "--models", str(models_copy), "--trust-models"]) == 2
    err = capsys.readouterr().err
    assert "names no file" in err and "Traceback" not in err


def test_a_trusted_pickle_that_is_not_a_model_is_refused_at_load(models_copy):
    import hashlib

    import joblib

    manifest = read_manifest(models_copy)
    entry = manifest["models"]["line_model"]
    joblib.dump({"not": "a model"}, models_copy / entry["file"])
    entry["sha256"] = hashlib.sha256((models_copy / entry["file"]).read_bytes()).hexdigest()
    (models_copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ModelError, match="holds a dict, not a line_model"):
        classifier.load(models_copy, trusted=True)


def test_missing_artifact_is_named(models_copy):
    (models_copy / read_manifest(models_copy)["models"]["line_model"]["file"]).unlink()
    with pytest.raises(ModelError, match=r"line_model-\w+\.joblib: listed in the manifest but missing"):
        classifier.load(models_copy, trusted=True)


def test_other_scikit_learn_version_warns_with_the_retrain_command(models_copy):
    manifest = read_manifest(models_copy)
    manifest["models"]["topic_model"]["versions"]["scikit-learn"] = "0.0.1"
    (models_copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.warns(UserWarning, match="python -m training"):
        classifier.load(models_copy, trusted=True)


def test_folder_without_topic_model_gives_lines_but_no_topic(models_copy):
    manifest = read_manifest(models_copy)
    del manifest["models"]["topic_model"]
    (models_copy / "manifest.json").write_text(json.dumps(manifest))
    page = classifier.load(models_copy, trusted=True).predict("Some text line.\nAnother line here.")
    assert len(page.lines) == 2 and page.topic is None


def test_saving_replaces_atomically_and_keeps_other_entries(models_copy):
    before = read_manifest(models_copy)["models"]["line_model"]
    save_model(models_copy, "topic_model", {"not": "a model"}, {"documents": 0}, {})
    after = read_manifest(models_copy)
    assert after["models"]["line_model"] == before
    assert after["models"]["topic_model"]["training_data"] == {"documents": 0}
    # The replaced artifact and every temporary file are gone.
    assert sorted(p.name for p in models_copy.iterdir()) == sorted(
        [entry["file"] for entry in after["models"].values()] + ["manifest.json"])
    assert after["models"]["topic_model"]["file"].startswith("topic_model-")


# A save killed by SIGKILL at each step: during the artifact write, before its
# rename, after it (manifest not yet replaced), after the manifest rename.
_KILLED_SAVE = r"""
import os, signal, sys
import joblib
from classifier import store

folder, when = sys.argv[1], sys.argv[2]
die = lambda: os.kill(os.getpid(), signal.SIGKILL)
real_replace, renames = os.replace, []

def replace(source, target):
    renames.append(target)
    if when == "before-artifact-rename" and len(renames) == 1:
        die()
    real_replace(source, target)
    if when == "after-artifact-rename" and len(renames) == 1:
        die()
    if when == "after-manifest-rename" and len(renames) == 2:
        die()

def half_dump(model, path, **kwargs):
    with open(path, "wb") as handle:
        handle.write(b"half a pickle")
        handle.flush()
        die()

os.replace = replace
if when == "during-dump":
    store.joblib.dump = half_dump
from sklearn.dummy import DummyClassifier
new_model = DummyClassifier().fit([[0], [1]], ["a", "b"])
store.save_model(folder, "topic_model", new_model, {"documents": 1}, {})
"""


@pytest.mark.parametrize("when", ["during-dump", "before-artifact-rename",
                                  "after-artifact-rename", "after-manifest-rename"])
def test_a_save_killed_at_any_point_leaves_usable_models(models_copy, when, tmp_path):
    import subprocess
    import sys

    old_topic_model = classifier.load(models_copy, trusted=True).topic_model
    script = tmp_path / "killed_save.py"
    script.write_text(_KILLED_SAVE)
    done = subprocess.run([sys.executable, str(script), str(models_copy), when])
    assert done.returncode == -9  # it really was killed midway

    clf = classifier.load(models_copy, trusted=True)  # no ModelError: files match manifest
    if when == "after-manifest-rename":
        assert type(clf.topic_model).__name__ == "DummyClassifier"
    else:
        assert type(clf.topic_model) is type(old_topic_model)
        assert clf.topic_model.predict_proba(["minister election vote"]).shape == (1, 3)
    # The next save cleans up whatever the killed one left behind.
    save_model(models_copy, "topic_model", {"newer": "model"}, {"documents": 2}, {})
    manifest = read_manifest(models_copy)
    assert {p.name for p in models_copy.iterdir()} == (
        {entry["file"] for entry in manifest["models"].values()} | {"manifest.json"})


def test_a_folder_other_than_the_shipped_one_needs_trust(models_copy):
    with pytest.raises(ModelError, match="trusted=True"):
        classifier.load(models_copy)
    assert classifier.load(models_copy, trusted=True).topics == ["politics", "sport", "tech"]
    classifier.load()  # the shipped models need no opt-in


def test_the_cli_asks_for_trust_models(models_copy, tmp_path, capsys):
    from classifier.cli import main

    page = tmp_path / "page.txt"
    page.write_text("A line of text.\n")
    assert main(["predict", str(page), "--models", str(models_copy)]) == 2
    assert "--trust-models" in capsys.readouterr().err
    assert main(["predict", str(page), "--models", str(models_copy), "--trust-models"]) == 0


def test_saved_files_get_ordinary_permissions(models_copy):
    import os
    import stat

    umask = os.umask(0o022)
    try:
        entry = save_model(models_copy, "topic_model", {"m": 1}, {}, {})
    finally:
        os.umask(umask)
    for name in (entry["file"], "manifest.json"):
        assert stat.S_IMODE((models_copy / name).stat().st_mode) == 0o644


def test_models_load_with_the_collector_paused_and_leave_it_as_it_was(models_copy, monkeypatch):
    import gc

    from classifier import store
    from classifier.collector import collector_paused

    seen = []
    real_load = store.joblib.load

    def load_noting_the_collector(path):
        seen.append(gc.isenabled())
        return real_load(path)

    monkeypatch.setattr(store.joblib, "load", load_noting_the_collector)
    assert gc.isenabled()
    classifier.load(models_copy, trusted=True)
    assert seen and not any(seen) and gc.isenabled()
    # Off already (a caller's choice): still off after, even on an error.
    gc.disable()
    try:
        with pytest.raises(ValueError), collector_paused():
            raise ValueError
        assert not gc.isenabled()
    finally:
        gc.enable()


# A models folder trained on the synthetic data of tests/conftest.py
# (trained_models) before the package was regrouped (2026-12-06): its
# pickles name the flat layout's modules (classifier.line_model,
# classifier.features, classifier.topic_model, ...).
FLAT_LAYOUT_MODELS = Path(__file__).parent / "fixtures" / "models-flat-layout"


def test_a_folder_saved_in_the_former_flat_layout_loads_and_scores_as_a_new_one(
        tmp_path, page_folder, topic_table, monkeypatch):
    import sys
    import zlib

    from sklearn.base import clone

    from classifier.lines import model as line_model_module

    from conftest import train_models

    pickled = zlib.decompress(next(FLAT_LAYOUT_MODELS.glob("line_model-*")).read_bytes())
    assert b"classifier.line_model" in pickled and b"classifier.features" in pickled
    former = classifier.load(FLAT_LAYOUT_MODELS, trusted=True)
    # The same data and settings through today's code. The line models'
    # default second stage has changed since (default_second_stage): the
    # former one's trees are grown again as they were.
    former_trees = former.line_model.second_stage_
    assert clone(former.html_model.second_stage_).get_params() == clone(former_trees).get_params()
    monkeypatch.setattr(line_model_module, "default_second_stage",
                        lambda random_state=0: clone(former_trees))
    current = classifier.load(train_models(tmp_path, page_folder, topic_table), trusted=True)
    assert type(former.line_model).__module__ == "classifier.lines.model"
    assert not [name for name in store.FORMER_MODULES if name in sys.modules]
    html = next(page_folder.glob("*.html")).read_bytes()
    text = "Minister wins the election vote in parliament after a long campaign.\nHome | About"
    for predict in (lambda clf: clf.predict(text)), (lambda clf: clf.predict_html(html)):
        old, new = predict(former), predict(current)
        assert [line.score for line in old.lines] == pytest.approx(
            [line.score for line in new.lines], abs=1e-9)
        assert old.topic_scores == pytest.approx(new.topic_scores, abs=1e-9)
