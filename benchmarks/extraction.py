"""Main-text extraction, side by side: our HTML and text paths vs open-source peers.

    python benchmarks/extraction.py [--data FOLDER...] [--cv 5] [--limit N]
    make bench-extraction

On the shared page sets (HTML + gold main text), in one run, on one core:

* **ours (html)** – ``predict_html`` with the HTML line model (DOM features);
* **ours (text)** – ``predict_html`` with only the text line model (the
  page converted to lines, then judged on the lines alone);
* trafilatura, readability-lxml, jusText, boilerpy3 (ArticleExtractor) and
  resiliparse (main-content extraction), each with its default settings.

Our two models are trained by **site-grouped cross-validation** (the same
folds as ``python -m training evaluate``): every page is scored by models
that never saw a page of its site. The peers need no training; they run on
every page.

Measures per set (``training/metrics.py``): page text precision, recall
and F1 over word 4-gram shingles (per-page precision and recall averaged,
F1 of the means), and milliseconds per page from raw bytes to main text
(decoding and parsing included; our topic model is not run, the peers have
none). Every extractor runs single-threaded (OpenMP/BLAS limited to one
thread), after one warm-up page. A peer that raises on a page scores an
empty extraction for it; the errors are counted.

Writes ``reports/bench-extraction.json`` and ``reports/bench-extraction.md``
(the table in docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import GroupKFold
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classifier.api import Classifier  # noqa: E402
from training.datasets import keyed_pages, load_line_data, read_gold_text  # noqa: E402
from training.lines import fit_line_model  # noqa: E402
from training.metrics import page_text_scores  # noqa: E402
from training.peers import PEER_NAMES, extract_or_empty, peer_extractors  # noqa: E402
from benchmarks.common import add_page_data_argument, write_report  # noqa: E402
from classifier.progress import progress_bar, say  # noqa: E402

OURS = ["ours (html)", "ours (text)"]


def run_timed(extract, data: bytes) -> tuple[str, float, bool]:
    started = time.perf_counter()
    text, failed = extract_or_empty(extract, data)
    return text, (time.perf_counter() - started) * 1000.0, failed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_page_data_argument(parser)
    parser.add_argument("--cv", type=int, default=5, help="site-grouped folds for our models")
    parser.add_argument("--limit", type=int, default=0,
                        help="use only the first N pages of each set (quick runs)")
    parser.add_argument("--cache", default=str(ROOT / ".cache"),
                        help="cache of line tables built from HTML ('none' to disable)")
    parser.add_argument("--peers", nargs="+", default=["all"], metavar="NAME",
                        help="peers to run: all (default), none, or names among "
                             f"{', '.join(PEER_NAMES)}")
    parser.add_argument("--out", default=str(ROOT / "reports" / "bench-extraction"),
                        help="report path without suffix (.json and .md are written)")
    args = parser.parse_args(argv)

    lines = load_line_data(args.data, None if args.cache == "none" else Path(args.cache))
    pages = {}  # page key -> (set, html path, gold path)
    for folder in args.data:
        listed = list(keyed_pages(Path(folder)))
        for key, set_name, html_path, gold_path in listed[:args.limit or None]:
            pages[key] = (set_name, html_path, gold_path)
    lines = lines[lines["page"].isin(pages)].reset_index(drop=True)
    say(f"{len(pages)} pages, {lines['site'].nunique()} sites, {len(lines)} lines")

    wanted = (set(PEER_NAMES) if "all" in args.peers
              else set() if "none" in args.peers else set(args.peers))
    unknown = wanted - set(PEER_NAMES)
    if unknown:
        parser.error(f"unknown peers {sorted(unknown)}; choose among {', '.join(PEER_NAMES)}")
    extractors = peer_extractors(sorted(wanted, key=PEER_NAMES.index))
    missing = sorted(wanted - set(extractors))
    if missing:
        say(f"peers not installed, left out: {', '.join(missing)} (pip install '.[bench]')")
    results = {name: {} for name in OURS + list(extractors)}  # name -> page -> (text, ms, failed)

    # Training uses every core; everything timed runs on one thread.
    folds = GroupKFold(n_splits=args.cv).split(lines, groups=lines["site"])
    for fold, (train, test) in enumerate(folds, 1):
        train_lines = lines.iloc[train]
        say(f"fold {fold}/{args.cv}: fitting the text and HTML line models")
        text_model = fit_line_model(train_lines, progress=lambda m: None, kind="text")
        html_model = fit_line_model(train_lines, progress=lambda m: None, kind="html")
        ours = {"ours (html)": Classifier(text_model, html_model=html_model),
                "ours (text)": Classifier(text_model)}
        test_pages = lines.iloc[test]["page"].unique()
        with threadpool_limits(1):
            for name, clf in ours.items():
                clf.predict_html(pages[test_pages[0]][1].read_bytes())  # warm-up
                for key in progress_bar(test_pages, desc=f"{name} fold {fold}"):
                    data = pages[key][1].read_bytes()
                    results[name][key] = run_timed(lambda d: clf.predict_html(d).body, data)
    keys = list(lines["page"].unique())
    with threadpool_limits(1):
        for name, extract in extractors.items():
            run_timed(extract, pages[keys[0]][1].read_bytes())  # warm-up
            for key in progress_bar(keys, desc=name):
                results[name][key] = run_timed(extract, pages[key][1].read_bytes())

    gold = {key: read_gold_text(pages[key][2]) for key in keys}
    report = {"measured": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
              "machine": f"{platform.machine()}, {platform.python_implementation()} "
                         f"{platform.python_version()}, 1 thread",
              "cv": {"folds": args.cv, "grouped_by": "site"},
              "sets": {}}
    set_names = sorted({pages[key][0] for key in keys}) + ["all"]
    for set_name in set_names:
        chosen = [key for key in keys if set_name == "all" or pages[key][0] == set_name]
        entry = {}
        for name, by_page in results.items():
            scores = page_text_scores([by_page[key][0] for key in chosen],
                                      [gold[key] for key in chosen])
            milliseconds = [by_page[key][1] for key in chosen]
            entry[name] = {**scores, "ms_per_page": float(np.mean(milliseconds)),
                           "errors": int(sum(by_page[key][2] for key in chosen))}
        report["sets"][set_name] = entry

    write_report(Path(args.out), report, markdown_table(report))
    return 0


def markdown_table(report: dict) -> str:
    rows = [f"Measured {report['measured']} ({report['machine']}); our models by "
            f"{report['cv']['folds']}-fold site-grouped CV. Speed ratio = trafilatura's "
            "ms/page ÷ the extractor's (higher is faster).", "",
            "| set | extractor | F1 | precision | recall | ms/page | speed vs trafilatura |",
            "|---|---|---:|---:|---:|---:|---:|"]
    for set_name, entry in report["sets"].items():
        reference = entry.get("trafilatura", {}).get("ms_per_page")
        ranked = sorted(entry.items(), key=lambda item: -item[1]["f1"])
        for name, scores in ranked:
            ratio = f"{reference / scores['ms_per_page']:.2f}×" if reference else "–"
            errors = f" ({scores['errors']} errors)" if scores["errors"] else ""
            rows.append(f"| {set_name} ({scores['pages']} pages) | {name}{errors} | "
                        f"{scores['f1']:.3f} | {scores['precision']:.3f} | "
                        f"{scores['recall']:.3f} | {scores['ms_per_page']:.1f} | {ratio} |")
    return "\n".join(rows)


if __name__ == "__main__":
    raise SystemExit(main())
