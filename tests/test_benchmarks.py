"""The extraction benchmark script runs end to end (on synthetic pages).

Only the mechanics are checked here; the figures come from
`make bench-extraction` on the shared data. Peers that are not installed
(the normal case outside `make bench`) are left out with a message.
"""

import json
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, write_page_folder


def test_extraction_benchmark_writes_a_table_and_a_report(tmp_path):
    folder = write_page_folder(tmp_path / "synthetic", 12)
    out = tmp_path / "bench"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "extraction.py"), "--data", str(folder),
         "--cv", "2", "--out", str(out), "--peers", "none", "--cache", "none"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(Path(f"{out}.json").read_text())
    entry = report["sets"]["synthetic"]
    assert set(entry) == {"ours (html)", "ours (text)"}
    for scores in entry.values():
        assert scores["pages"] == 12 and 0.0 <= scores["f1"] <= 1.0
        assert scores["ms_per_page"] > 0 and scores["errors"] == 0
    table = Path(f"{out}.md").read_text()
    assert "| synthetic (12 pages) | ours (html) |" in table
