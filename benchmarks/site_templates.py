"""Does the site template signal help? Site-grouped CV, with and without it.

    python benchmarks/site_templates.py [--data FOLDER...] [--cv 5] [--kind text]
    make bench-templates

Out-of-fold P(body) of every line comes from the same site-grouped
cross-validation as ``make eval`` (every page scored by a model that never
saw its site). Since folds are grouped by site, all pages of a site are
scored together, as in a batch run over a site's pages. The scores are
then adjusted by :func:`classifier.lines.templates.adjust_scores` (P(body)
lowered by the share of the site's other pages repeating the line) for a
few values of its one setting, and page text F1 is compared per set.

Writes ``reports/site-templates.json`` and prints a table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import add_page_data_argument  # noqa: E402
from classifier.lines.templates import adjust_scores, sibling_shares  # noqa: E402
from classifier.progress import say  # noqa: E402
from training.datasets import load_line_data  # noqa: E402
from training.lines import cross_validate_lines, gold_texts, line_report  # noqa: E402

MIN_SITE_PAGES = (2, 3, 5)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_page_data_argument(parser)
    parser.add_argument("--cv", type=int, default=5)
    parser.add_argument("--kind", choices=["text", "html"], default="text")
    parser.add_argument("--scores", metavar="FILE.npy",
                        help="reuse (or save) the out-of-fold scores here")
    parser.add_argument("--out", default=str(ROOT / "reports" / "site-templates.json"))
    args = parser.parse_args(argv)

    lines = load_line_data(args.data, ROOT / ".cache")
    gold = gold_texts(args.data, lines)
    saved = Path(args.scores) if args.scores else None
    if saved and saved.exists():
        scores = np.load(saved)
    else:
        _, scores = cross_validate_lines(lines, gold, n_splits=args.cv, kind=args.kind)
        if saved:
            np.save(saved, scores)
    shares, site_pages = sibling_shares(lines["text"], lines["page"], lines["site"])

    def text_f1(adjusted):
        report = line_report(lines, adjusted, gold, 0.5)
        return {name: round(entry["page_text"]["f1"], 4) for name, entry in report["sets"].items()}

    results = {"without": text_f1(scores)}
    for minimum in MIN_SITE_PAGES:
        adjusted = adjust_scores(scores, shares, site_pages, min_site_pages=minimum)
        results[f"with, sites of >= {minimum} pages"] = text_f1(adjusted)
    pages_per_site = lines.groupby("site")["page"].nunique()
    report = {"measured": time.strftime("%Y-%m-%d %H:%M %Z"), "model": args.kind,
              "cv": {"folds": args.cv, "grouped_by": "site"},
              "lines_repeated_on_other_pages_of_their_site": int((shares > 0).sum()),
              "lines": int(len(lines)),
              "sites_with_3_or_more_pages": int((pages_per_site >= 3).sum()),
              "page_text_f1": results}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    sets = list(results["without"])
    print("| scores | " + " | ".join(sets) + " |")
    print("|---|" + "---:|" * len(sets))
    for name, by_set in results.items():
        print(f"| {name} | " + " | ".join(f"{by_set[s]:.4f}" for s in sets) + " |")
    say(f"written {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
