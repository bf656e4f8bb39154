"""Fit and cross-validate the line model on a line table."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold

from classifier.errors import DataError
from classifier.lines.body import body_mask
from classifier.lines.dom import DOM_COLUMNS, container_ids
from classifier.lines.model import BODY, BOILERPLATE, StackedLineClassifier, html_line_model
from classifier.lines.table import page_bounds
from classifier.progress import say

from .augment import with_short_pages
from .conventions import comments_as_boilerplate
from .datasets import corpus_of, keyed_pages, read_gold_text
from .metrics import line_scores, page_bodies, page_text_scores


def gold_texts(paths, lines: pd.DataFrame) -> dict:
    """Gold main text of each page: the gold file for page folders, the
    body-labelled lines for labelled-line files."""
    gold = {}
    for path in map(Path, paths):
        if path.is_dir():
            for key, _set, _html, gold_path in keyed_pages(path):
                gold[key] = read_gold_text(gold_path)
    missing = ~lines["page"].isin(gold.keys())
    if missing.any():
        body = lines[missing & (lines["label"] == BODY)]
        from_labels = body.groupby("page", sort=False)["text"].agg("\n".join).to_dict()
        for page in lines.loc[missing, "page"].unique():
            gold[page] = from_labels.get(page, "")
    return gold


# The two line models: "text" reads lines only (any training data); "html"
# also reads each line's DOM facts, which only page folders provide.
KINDS = ("text", "html")


def model_input(lines: pd.DataFrame, kind: str = "text") -> pd.DataFrame:
    """The columns the line model of ``kind`` reads (a view, not a copy)."""
    if kind == "html":
        missing = [c for c in DOM_COLUMNS if c not in lines.columns]
        if missing or lines[DOM_COLUMNS].isna().any().any():
            raise DataError("the HTML line model trains on page folders (HTML + gold text) "
                            "only: labelled-line files carry no DOM facts")
        return lines[["text", "page", *DOM_COLUMNS]]
    return lines[["text", "page"]]


def line_containers(lines: pd.DataFrame) -> np.ndarray:
    """Each line's DOM container (:func:`classifier.lines.dom.container_ids`)
    of a DOM line table: what the body rule reads from HTML input."""
    return container_ids(lines["page"].tolist(), lines["path"].tolist(),
                         lines["attributes"].tolist())


def new_line_model(kind: str = "text", **parameters) -> StackedLineClassifier:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    return html_line_model(**parameters) if kind == "html" else StackedLineClassifier(**parameters)


#: How training lines are weighed by corpus (``corpus_weights``).
WEIGHTINGS = ("none", "corpus", "sqrt")
# Chosen by the leave-one-corpus-out mean of the text model (2026-12-06, on
# the five page corpora): none 0.859, corpus 0.864.
DEFAULT_WEIGHTING = "corpus"
#: Whether training adds short pages cut from the training pages: one to
#: three lines of prose are body (training/augment.py); on whole pages the
#: leave-one-corpus-out mean did not drop (text model, with the new page
#: features: 0.856 before both, 0.859 after).
DEFAULT_SHORT_PAGES = True
#: How much the lines of labelled-line files (no DOM facts: the Turku lines,
#: a user's CSVs) weigh beside a page corpus's: 1 weighs them as one more
#: corpus, 0 leaves them out. They are lines without their page around them,
#: judged by another guideline than the page corpora's gold text. Chosen by
#: the leave-one-corpus-out mean of the text model (2026-12-06, the Turku
#: train lines as the line files): 1 -> 0.854, 0.3 -> 0.859, 0 -> 0.862,
#: better on every corpus but Dragnet and L3S-GN1 at 0.3.
DEFAULT_LINE_FILES_WEIGHT = 0.0
#: Whether training relabels the body lines of comment containers as
#: boilerplate (training/conventions.py: CleanEval's gold keeps comments).
DEFAULT_RELABEL_COMMENTS = True


def corpus_weights(lines: pd.DataFrame, weighting: str = DEFAULT_WEIGHTING,
                   line_files_weight: float = DEFAULT_LINE_FILES_WEIGHT):
    """One weight per line (mean 1), or ``None`` for equal weights.

    * ``none``: every line counts once, so the corpus with most lines
      (Dragnet: half the shared pages' lines) sets the model's habits;
    * ``corpus``: every corpus (``training.datasets.corpus_of`` the line's
      set) weighs the same in all;
    * ``sqrt``: a corpus weighs as the square root of its line count, a
      middle way.

    Lines of labelled-line files (those without DOM facts) are then scaled
    by ``line_files_weight``, when there are page-folder lines beside them:
    a model trained on line files alone weighs them as any corpus.
    """
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {WEIGHTINGS}, not {weighting!r}")
    if not line_files_weight >= 0:
        raise ValueError(f"line_files_weight must be 0 or more, not {line_files_weight!r}")
    from_line_files = _from_line_files(lines)
    if from_line_files.all():  # nothing to weigh them against
        line_files_weight = 1.0
    if weighting == "none" and (line_files_weight == 1 or not from_line_files.any()):
        return None
    if weighting == "none":
        weights = np.ones(len(lines))
    else:
        corpora = lines["set"].astype(str).map(corpus_of).to_numpy()
        names, codes, sizes = np.unique(corpora, return_inverse=True, return_counts=True)
        totals = np.sqrt(sizes) if weighting == "sqrt" else np.ones(len(names))
        weights = (totals / sizes)[codes]
    weights = np.where(from_line_files, weights * line_files_weight, weights)
    return weights * (len(weights) / weights.sum())


def _from_line_files(lines: pd.DataFrame) -> np.ndarray:
    """Whether each line comes from a labelled-line file: those carry no
    DOM facts (training/datasets.py)."""
    if DOM_COLUMNS[0] not in lines.columns:
        return np.ones(len(lines), dtype=bool)
    return lines[DOM_COLUMNS[0]].isna().to_numpy()


def fit_line_model(lines: pd.DataFrame, progress=say, kind: str = "text",
                   weighting: str = DEFAULT_WEIGHTING, short_pages: bool = DEFAULT_SHORT_PAGES,
                   line_files_weight: float = DEFAULT_LINE_FILES_WEIGHT,
                   relabel_comments: bool = DEFAULT_RELABEL_COMMENTS,
                   **parameters) -> StackedLineClassifier:
    """A line model of ``kind`` fitted on ``lines`` (a line table with
    labels), weighed by corpus as ``weighting`` says and the labelled-line
    files' lines by ``line_files_weight``, with reader comments as
    boilerplate when ``relabel_comments`` (training/conventions.py) and
    short pages cut from the training pages added when ``short_pages``
    (training/augment.py)."""
    if relabel_comments:
        lines = comments_as_boilerplate(lines)
    if short_pages:
        lines = with_short_pages(lines)
    weights = corpus_weights(lines, weighting, line_files_weight)
    if weights is not None and not weights.all():
        # Lines that weigh nothing are left out, not kept at weight 0: they
        # would still move the TF-IDF's document frequencies and the trees'
        # bins.
        kept = weights > 0
        lines, weights = lines[kept].reset_index(drop=True), weights[kept]
        weights = weights * (len(weights) / weights.sum())  # mean 1 again
    model = new_line_model(kind, **parameters)
    return model.fit(model_input(lines, kind), lines["label"].to_numpy(), progress=progress,
                     sample_weight=weights)


def cross_validate_lines(lines: pd.DataFrame, gold: dict, n_splits: int = 5,
                         progress=say, kind: str = "text", weighting: str = DEFAULT_WEIGHTING,
                         short_pages: bool = DEFAULT_SHORT_PAGES,
                         line_files_weight: float = DEFAULT_LINE_FILES_WEIGHT,
                         relabel_comments: bool = DEFAULT_RELABEL_COMMENTS,
                         **parameters) -> tuple[dict, np.ndarray]:
    """Site-grouped cross-validation; returns (report, out-of-fold P(body)).

    Folds are grouped by ``site`` (which falls back to the page when the
    site is unknown), so no site has pages on both sides of a split and the
    figures estimate accuracy on sites the model has never seen.
    """
    n_groups = lines["site"].nunique()
    if n_groups < n_splits:
        raise ValueError(f"{n_splits}-fold CV needs at least {n_splits} sites/pages, "
                         f"the data has {n_groups}")
    scores = np.zeros(len(lines))
    started = time.time()
    folds = GroupKFold(n_splits=n_splits).split(lines, groups=lines["site"])
    for fold, (train, test) in enumerate(folds, 1):
        progress(f"fold {fold}/{n_splits}: training on {len(train)} lines")
        train_lines = lines.iloc[train]
        model = fit_line_model(train_lines, progress=lambda message: None, kind=kind,
                               weighting=weighting, short_pages=short_pages,
                               line_files_weight=line_files_weight,
                               relabel_comments=relabel_comments, **parameters)
        scores[test] = model.body_proba(model_input(lines.iloc[test], kind))
        progress(f"fold {fold}/{n_splits} done, {time.time() - started:.0f}s elapsed")
    threshold = new_line_model(kind, **parameters).threshold
    containers = line_containers(lines) if kind == "html" else None
    report = line_report(lines, scores, gold, threshold, containers)
    report["threshold"] = threshold
    report["threshold_sweep"] = threshold_sweep(lines, scores, gold, containers=containers)
    report["model"] = kind
    report["weighting"] = weighting
    report["short_pages"] = short_pages
    report["line_files_weight"] = line_files_weight
    report["relabel_comments"] = relabel_comments
    report["cv"] = {"folds": n_splits, "grouped_by": "site (page when unknown)",
                    "seconds": round(time.time() - started, 1)}
    return report, scores


def line_report(lines: pd.DataFrame, scores: np.ndarray, gold: dict, threshold: float,
                containers=None) -> dict:
    """Line and page-text scores per data set and over all pages
    (``containers``: of HTML lines, see :func:`line_containers`)."""
    # The labels predict() gives (pages without body words get the
    # relative threshold of classifier.lines.body).
    predicted = np.where(body_mask(scores, page_bounds(lines["page"]), lines["text"].tolist(),
                                   threshold, containers=containers), BODY, BOILERPLATE)
    frame = lines.assign(predicted=predicted)
    per_set = {}
    for name, group in list(frame.groupby("set", sort=True)) + [("all", frame)]:
        pages = group["page"].unique()
        body = page_bodies(group, group["predicted"] == BODY)
        per_set[name] = {
            "pages": int(len(pages)),
            "sites": int(group["site"].nunique()),
            "line": line_scores(group["label"], group["predicted"]),
            "page_text": page_text_scores([body.get(p, "") for p in pages],
                                          [gold.get(p, "") for p in pages]),
        }
    return {"sets": per_set}


SWEEP_THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)


def threshold_sweep(lines: pd.DataFrame, scores: np.ndarray, gold: dict,
                    thresholds=SWEEP_THRESHOLDS, containers=None) -> dict:
    """Page text F1 per set at other body thresholds, from the same
    out-of-fold scores: how a user's precision/recall trade-off would move."""
    sweep = {}
    for threshold in thresholds:
        report = line_report(lines, scores, gold, threshold, containers)
        sweep[f"{threshold:.2f}"] = {name: round(entry["page_text"]["f1"], 4)
                                     for name, entry in report["sets"].items()}
    return sweep


def label_ceiling(lines: pd.DataFrame, gold: dict) -> dict:
    """Page text scores of the aligned labels themselves, per set.

    This is the best a perfect line classifier could score against the gold
    text: lines merge gold and non-gold words, and the alignment is noisy.
    """
    truth = np.where(lines["label"] == BODY, 1.0, 0.0)
    report = line_report(lines, truth, gold, 0.5)
    return {name: entry["page_text"] for name, entry in report["sets"].items()}
