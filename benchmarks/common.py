"""What the benchmark scripts share: where the shared data is, and how a
report is written (JSON for machines, a Markdown table for docs/benchmarks.md)."""

from __future__ import annotations

import json
from pathlib import Path

from classifier.progress import say

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
DEFAULT_PAGE_SETS = ["dragnet", "cleaneval-final", "cleaneval-dev"]
#: Every page corpus (the Makefile's ALL_PAGES), for leave-one-corpus-out.
ALL_PAGE_SETS = DEFAULT_PAGE_SETS + ["l3s-gn1", "readability", "googletrends"]


def add_page_data_argument(parser, sets=DEFAULT_PAGE_SETS, help: str | None = None) -> None:
    """``--data FOLDER...``: page folders, by default the shared ``sets``."""
    parser.add_argument("--data", nargs="+", metavar="FOLDER", help=help,
                        default=[str(SHARED_DATA / "pages" / name) for name in sets])


def write_report(out: Path, report: dict, table: str, json_text: str | None = None) -> None:
    """``out``.json and ``out``.md, and the table on stdout."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    text = json_text if json_text is not None else json.dumps(report, indent=2)
    out.with_suffix(".json").write_text(text + "\n")
    out.with_suffix(".md").write_text(table + "\n")
    print(table)
    say(f"written {out.with_suffix('.json')} and {out.with_suffix('.md')}")
