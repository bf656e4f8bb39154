"""The page-level body rule's settings, on leave-one-corpus-out line scores.

    python benchmarks/body_rule.py [--scores FILE] [--data FOLDER...]
    make bench-body-rule        (after make eval-generalisation)

``make eval-generalisation`` keeps every held-out line's P(body) in
``.cache/eval-generalisation-line-scores.parquet``: each corpus scored by
models that never saw it. This replays :func:`classifier.lines.body.body_mask`
on those scores for a grid of its relative cut's settings (minimum body
words, share of the page's best score, floor), then with one-line gaps
filled alone, with runs of list items voted alone (several run lengths),
with the body ended at a comment section's heading alone (several shares
of the body's words above it, then the shipped share or several numbers
of words above it), with the lines of mostly-body DOM containers joined
alone (HTML model; several shares), and with the steps added one by one up to
the rule as shipped, and gives each line model's
page text F1 per corpus and as the macro mean, beside the plain
threshold. No model is fitted: the scores do not depend on the rule.

Writes ``reports/bench-body-rule.{json,md}`` and prints the table.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import ALL_PAGE_SETS, add_page_data_argument, write_report  # noqa: E402
from classifier.lines import body  # noqa: E402
from classifier.lines.table import page_bounds  # noqa: E402
from training.generalisation import corpus_scores, page_gold, pages_by_corpus  # noqa: E402
from training.metrics import page_bodies  # noqa: E402

MIN_WORDS = (1, 10, 30, 60, 120)
RELATIVE = (0.3, 0.5, 0.7)
FLOORS = (0.05, 0.1, 0.2)
LIST_RUNS = (2, 3, 4, 6)
COMMENT_SHARES = (0.1, 0.2, 0.3, 0.5)
COMMENT_WORDS = (100, 200, 400)
CONTAINER_SHARES = (0.3, 0.4, 0.5)


def corpus_f1(lines: pd.DataFrame, is_body: np.ndarray, gold: dict,
              keys_by_corpus: dict) -> dict:
    """Page text F1 per corpus (``keys_by_corpus``: :func:`pages_by_corpus`
    of ``gold``) of the bodies ``is_body`` picks."""
    scores = corpus_scores(page_bodies(lines, is_body), gold, keys_by_corpus)
    return {corpus: round(entry["f1"], 4) for corpus, entry in scores.items()}


def held_out_containers(lines: pd.DataFrame) -> np.ndarray | None:
    """The HTML lines' DOM containers, one number per (page, container):
    the run of 2026-12-07 09:54 numbered each corpus's containers from 0,
    so one number names containers of several pages there. None for scores
    of runs before the container step (no such column)."""
    if "container" not in lines.columns:
        return None
    pairs = pd.MultiIndex.from_arrays([lines["page"], lines["container"]])
    return pd.factorize(pairs)[0].astype(np.int64)


def describe(setting: dict, shipped: dict, kind: str) -> str:
    """A setting's name in the table, on the rows of the line model ``kind``
    (the container step is named on the HTML model's rows only: text has no
    containers)."""
    steps = []
    if setting["min_body_words"]:
        steps.append(f"{setting['min_body_words']} words, {setting['relative']:g} of best, "
                     f"floor {setting['floor']:g}")
    if setting["fill_gaps"]:
        steps.append("one-line gaps")
    if setting["list_runs"]:
        steps.append(f"lists of {setting['list_runs']}+ voted")
    if setting["headline_lines"]:
        steps.append("short-page headline")
    if setting.get("container_share") is not None and kind == "html":
        steps.append(f"containers joined at {setting['container_share']:g}")
    if setting["comments_after"] is not None:
        words = setting.get("comments_after_words")
        steps.append(f"comments end it after {setting['comments_after']:g}"
                     + (f" or {words} words" if words is not None else ""))
    name = " + ".join(steps) or "threshold only"
    return name + (" (shipped)" if setting == shipped else "")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scores", type=Path,
                        default=ROOT / ".cache" / "eval-generalisation-line-scores.parquet",
                        help="held-out line scores of evaluate generalisation")
    add_page_data_argument(parser, ALL_PAGE_SETS, help="the page folders of that run "
                                                       "(for the gold)")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "bench-body-rule")
    args = parser.parse_args(argv)
    if not args.scores.exists():
        parser.error(f"{args.scores} not found: run make eval-generalisation first")

    gold = page_gold(args.data)
    keys_by_corpus = pages_by_corpus(gold)
    scores = pd.read_parquet(args.scores)
    shipped = {"min_body_words": body.MIN_BODY_WORDS, "relative": body.RELATIVE_SCORE,
               "floor": body.SCORE_FLOOR, "fill_gaps": True, "list_runs": body.MIN_LIST_RUN,
               "headline_lines": body.SHORT_PAGE_LINES, "comments_after": body.COMMENTS_AFTER_SHARE,
               "comments_after_words": body.COMMENTS_AFTER_WORDS,
               "container_share": body.CONTAINER_SHARE}
    alone = {"min_body_words": 0, "fill_gaps": False, "list_runs": 0, "headline_lines": 0,
             "comments_after": None, "container_share": None}
    settings = [alone]
    settings += [{**alone, "min_body_words": words, "relative": relative, "floor": floor}
                 for words, relative, floor in itertools.product(MIN_WORDS, RELATIVE, FLOORS)]
    settings += [{**alone, "fill_gaps": True}]
    settings += [{**alone, "list_runs": run} for run in LIST_RUNS]
    settings += [{**alone, "comments_after": share, "comments_after_words": None}
                 for share in COMMENT_SHARES]
    settings += [{**alone, "comments_after": body.COMMENTS_AFTER_SHARE,
                  "comments_after_words": words} for words in COMMENT_WORDS]
    html_only = [{**alone, "container_share": share} for share in CONTAINER_SHARES]
    # The steps added one by one; the containers' (HTML model only) before
    # the comment section's.
    added = [{**shipped, "list_runs": 0, "headline_lines": 0, "comments_after": None,
              "container_share": None},
             {**shipped, "headline_lines": 0, "comments_after": None, "container_share": None},
             {**shipped, "comments_after": None, "container_share": None}]
    with_containers = {**shipped, "comments_after": None}
    report = {"measured": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
              "scores": str(args.scores), "shipped": shipped, "kinds": {}}
    rows = []
    for kind, lines in scores.groupby("kind", sort=True):
        lines = lines.reset_index(drop=True)
        bounds = page_bounds(lines["page"])
        texts = lines["text"].tolist()
        containers = held_out_containers(lines) if kind == "html" else None
        entries = []
        for setting in (settings + html_only + added + [with_containers, shipped]
                        if kind == "html" else settings + added + [shipped]):
            mask = body.body_mask(lines["score"], bounds, texts, containers=containers,
                                  **setting)
            per_corpus = corpus_f1(lines, mask, gold, keys_by_corpus)
            entries.append({"setting": setting, "corpora": per_corpus,
                            "macro": round(float(np.mean(list(per_corpus.values()))), 4)})
        report["kinds"][kind] = entries
        plain = entries[0]["macro"]
        for entry in entries:
            rows.append(f"| {kind} | {describe(entry['setting'], shipped, kind)} | "
                        + " | ".join(f"{f1:.4f}" for f1 in entry["corpora"].values())
                        + f" | {entry['macro']:.4f} | {entry['macro'] - plain:+.4f} |")
    corpora = list(next(iter(report["kinds"].values()))[0]["corpora"])
    table = "\n".join([f"| line model | rule | {' | '.join(corpora)} | macro | vs threshold |",
                       "|---|---|" + "---:|" * (len(corpora) + 2), *rows])
    write_report(args.out, report, table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
