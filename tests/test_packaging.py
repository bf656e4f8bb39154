"""The shipped models, and the compiled parts, must be found after a
normal, non-editable install."""

import json
import subprocess
import sys
import zipfile

from conftest import ROOT


def test_wheel_ships_the_models_inside_the_package(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                    "-w", str(tmp_path), str(ROOT)], check=True, cwd=tmp_path)
    (wheel,) = tmp_path.glob("pageclassifier-*.whl")
    archive = zipfile.ZipFile(wheel)
    names = set(archive.namelist())
    # Every artifact the shipped manifest points at (their names carry a
    # content hash, so they are read from the manifest, not hard-coded).
    manifest = json.loads(archive.read("classifier/_models/manifest.json"))
    assert set(manifest["models"]) == {"line_model", "html_model", "topic_model"}
    for entry in manifest["models"].values():
        assert f"classifier/_models/{entry['file']}" in names
    assert "training/__main__.py" in names
    assert not any(name.startswith(("tests/", "models/")) for name in names)
    # The subpackages, and the compiled parts (tree scorer, words, line
    # statistics, HTML walk) beside the Python they speed up, built for
    # this Python.
    for package in ("lines", "topics", "batch"):
        assert f"classifier/{package}/__init__.py" in names, package
    for module in ("lines/_trees", "_words", "lines/_lines", "lines/_html"):
        assert any(name.startswith(f"classifier/{module}.") and name.endswith((".so", ".pyd"))
                   for name in names), module


def test_make_targets_that_need_the_data_say_so_in_one_line_without_it(tmp_path):
    # Before, `make bench-*` installed the peers for 18 s, then failed with
    # tracebacks. The check comes first, so nothing is installed or run.
    for target in ("bench-topics", "eval-generalisation", "models"):
        result = subprocess.run(["make", "-s", "-C", str(ROOT), target,
                                 f"SHARED={tmp_path / 'nowhere'}", f"VENV={tmp_path / 'venv'}"],
                                capture_output=True, text=True)
        assert result.returncode == 2
        assert result.stderr.startswith(f"error: no data at {tmp_path / 'nowhere'}")
        assert not (tmp_path / "venv").exists()
