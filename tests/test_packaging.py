"""The shipped models must be found after a normal, non-editable install."""

import subprocess
import sys
import zipfile

from conftest import ROOT


def test_wheel_ships_the_models_inside_the_package(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                    "-w", str(tmp_path), str(ROOT)], check=True, cwd=tmp_path)
    (wheel,) = tmp_path.glob("pageclassifier-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("manifest.json", "line_model.joblib", "topic_model.joblib"):
        assert f"classifier/_models/{name}" in names
    assert "training/__main__.py" in names
    assert not any(name.startswith(("tests/", "models/")) for name in names)
