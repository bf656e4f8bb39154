import json
import shutil

import pytest

import classifier
from classifier.errors import ModelError
from classifier.store import read_manifest, save_model


@pytest.fixture
def models_copy(trained_models, tmp_path):
    return shutil.copytree(trained_models, tmp_path / "models")


def test_tampered_artifact_is_refused_before_unpickling(models_copy):
    path = models_copy / "topic_model.joblib"
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(ModelError, match="does not match the manifest"):
        classifier.load(models_copy)


def test_missing_artifact_is_named(models_copy):
    (models_copy / "line_model.joblib").unlink()
    with pytest.raises(ModelError, match="line_model.joblib: listed in the manifest but missing"):
        classifier.load(models_copy)


def test_other_scikit_learn_version_warns_with_the_retrain_command(models_copy):
    manifest = read_manifest(models_copy)
    manifest["models"]["topic_model"]["versions"]["scikit-learn"] = "0.0.1"
    (models_copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.warns(UserWarning, match="python -m training"):
        classifier.load(models_copy)


def test_folder_without_topic_model_gives_lines_but_no_topic(models_copy):
    manifest = read_manifest(models_copy)
    del manifest["models"]["topic_model"]
    (models_copy / "manifest.json").write_text(json.dumps(manifest))
    page = classifier.load(models_copy).predict("Some text line.\nAnother line here.")
    assert len(page.lines) == 2 and page.topic is None


def test_saving_replaces_atomically_and_keeps_other_entries(models_copy):
    before = read_manifest(models_copy)["models"]["line_model"]
    save_model(models_copy, "topic_model", {"not": "a model"}, {"documents": 0}, {})
    after = read_manifest(models_copy)
    assert after["models"]["line_model"] == before
    assert after["models"]["topic_model"]["training_data"] == {"documents": 0}
    # No temporary files are left behind.
    assert sorted(p.name for p in models_copy.iterdir()) == [
        "line_model.joblib", "manifest.json", "topic_model.joblib"]
