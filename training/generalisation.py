"""How the line models do on corpora they never saw: leave-one-corpus-out.

Cross-validation inside a corpus flatters: its pages share years, site
kinds and an annotation guideline. Users run the models on today's web, in
many languages, on sites no corpus holds. The nearest honest measure we can
compute is to train on all page corpora but one and score the one left out
(``training.datasets.PAGE_CORPORA``: Dragnet, CleanEval, L3S-GN1,
Readability's test pages, Google-Trends pages), for the text path and the
HTML path, side by side with the open-source extractors on the same pages
(``training.peers``), per corpus and as the macro mean over corpora. Every
page of the held-out corpus counts: one our conversion finds no text in
scores as an empty extraction. The HTML path's scores are, as predict_html
gives them, the HTML model's blended with the text model's of the same fold
(``html_weight``: :func:`classifier.lines.blend.blended_html_scores`).

Labelled-line files (the Turku lines) join the text model's training in
every fold and are never scored there; those named ``<lang>-dev`` are
scored separately, by line F1 of the body label: once with every training
file, once with that language's files left out.

Fits can run side by side (``jobs``), each on one core; on a 2-core machine
one at a time on both cores was far faster (a text fit 2.8 min alone,
15-17 min beside another: the second stage's histograms contend for
memory).

``python -m training evaluate generalisation`` / ``make eval-generalisation``.
"""

from __future__ import annotations

import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from threadpoolctl import threadpool_limits

from classifier.lines.blend import HTML_MODEL_WEIGHT, blended_html_scores, checked_html_weight
from classifier.lines.body import body_mask
from classifier.lines.table import page_bounds
from classifier.progress import say

from .align import BODY
from .datasets import corpus_of, keyed_pages, load_line_data, read_gold_text
from .lines import (
    DEFAULT_LINE_FILES_WEIGHT,
    DEFAULT_RELABEL_COMMENTS,
    DEFAULT_SHORT_PAGES,
    DEFAULT_WEIGHTING,
    fit_line_model,
    line_containers,
    model_input,
)
from .metrics import f1, line_scores, page_bodies, page_text_scores, shingle_precision_recall
from .peers import PEER_NAMES, peer_extractors, peer_outputs

OURS = {"html": "ours (html)", "text": "ours (text)"}


def page_gold(folders) -> dict:
    """Every page of the page folders: key -> (corpus, html path, gold text)."""
    return {key: (corpus_of(set_name), html_path, read_gold_text(gold_path))
            for folder in folders
            for key, set_name, html_path, gold_path in keyed_pages(Path(folder))}


def language_of(set_name: str) -> str | None:
    """The language of a ``<lang>-dev`` line file's set, else ``None``."""
    head, _, split = set_name.rpartition("-")
    return head if split == "dev" and head else None


def _fit_and_score(train: pd.DataFrame, test: pd.DataFrame, kind: str, options: dict,
                   one_thread: bool) -> np.ndarray:
    """P(body) of ``test``'s lines by a model of ``kind`` fitted on ``train``
    (``options``: keywords of ``fit_line_model``)."""
    with threadpool_limits(1 if one_thread else None):
        model = fit_line_model(train, progress=lambda message: None, kind=kind, **options)
        return model.body_proba(model_input(test, kind).reset_index(drop=True))


def _tasks(pages: pd.DataFrame, extra: pd.DataFrame | None, kinds, corpora,
           line_files_weight: float = DEFAULT_LINE_FILES_WEIGHT) -> list:
    """(what, kind, training lines, scored lines) of every fit to make.
    With ``line_files_weight`` 0 the line files train nothing, so a
    language left out of them changes nothing: one fit scores every
    language (``_turku_entry`` gives its scores to both columns)."""
    tasks = []
    page_corpus = pages["set"].map(corpus_of)
    for kind in kinds:
        for corpus in corpora:
            held_out = (page_corpus == corpus).to_numpy()
            train = pages[~held_out]
            if kind == "text" and extra is not None:
                train = pd.concat([train, extra[extra["language"].isna()]], ignore_index=True)
            tasks.append(((kind, corpus), kind, train, pages[held_out]))
    if extra is not None:
        scored = extra[extra["language"].notna()]
        if len(scored):
            training = extra[extra["language"].isna()]
            train = pd.concat([pages, training], ignore_index=True)
            tasks.append((("turku", "all"), "text", train, scored))
            for language in sorted(scored["language"].unique()) if line_files_weight else ():
                kept = training[training["train_language"] != language]
                train = pd.concat([pages, kept], ignore_index=True)
                tasks.append((("turku", language), "text", train,
                              scored[scored["language"] == language]))
    return tasks


def evaluate_generalisation(page_folders, line_files=(), kinds=("text", "html"),
                            peers=PEER_NAMES, cache_dir: Path | None = None, jobs: int = 1,
                            weighting: str = DEFAULT_WEIGHTING,
                            short_pages: bool = DEFAULT_SHORT_PAGES,
                            line_files_weight: float = DEFAULT_LINE_FILES_WEIGHT,
                            relabel_comments: bool = DEFAULT_RELABEL_COMMENTS,
                            threshold: float = 0.5, html_weight: float = HTML_MODEL_WEIGHT,
                            progress=say, **parameters) -> dict:
    """The leave-one-corpus-out report (see the module's docstring).
    ``weighting``, ``short_pages``, ``line_files_weight``,
    ``relabel_comments`` and ``parameters`` (the line model's) as for
    ``training.lines.fit_line_model``; ``html_weight`` as for
    ``classifier.Classifier`` (without the text kind, the HTML model
    alone)."""
    checked_html_weight(html_weight)  # (before the hours of fitting, not after)
    started = time.time()
    pages = load_line_data(page_folders, cache_dir)
    gold = page_gold(page_folders)
    keys_by_corpus = pages_by_corpus(gold)
    corpora = list(keys_by_corpus)
    if len(corpora) < 2:
        raise ValueError("leave-one-corpus-out needs page folders of at least two corpora "
                         f"(found {corpora})")
    extra = None
    if line_files:
        extra = load_line_data(line_files, None, show_progress=False)
        extra["language"] = extra["set"].map(language_of)
        extra["train_language"] = extra["set"].str.partition("-")[0]

    bodies = {}
    extractors = peer_extractors(peers)
    missing = sorted(set(peers) - set(extractors))
    if missing:
        progress(f"peers not installed, left out: {', '.join(missing)} (pip install '.[bench]')")
    html_paths = {key: path for key, (_, path, _) in gold.items()}
    errors = {}
    for name, extract in extractors.items():
        outputs = peer_outputs(name, extract, html_paths, cache_dir)
        bodies[name] = {key: text for key, (text, _) in outputs.items()}
        errors[name] = {key for key, (_, failed) in outputs.items() if failed}

    tasks = _tasks(pages, extra, kinds, corpora, line_files_weight)
    progress(f"{len(tasks)} models to fit ({jobs} at a time): "
             + ", ".join(f"{kind} without {what[1]}" if what[0] != "turku"
                         else f"text for turku {what[1]}" for what, kind, _, _ in tasks))
    options = {"weighting": weighting, "short_pages": short_pages,
               "line_files_weight": line_files_weight, "relabel_comments": relabel_comments,
               **parameters}
    # (verbose: joblib says on stderr as each fit ends.)
    results = Parallel(n_jobs=jobs, verbose=10)(
        delayed(_fit_and_score)(train, test, kind, options, jobs > 1)
        for _, kind, train, test in tasks)

    if "text" not in kinds:
        html_weight = 1.0
    text_scores = {what[1]: scores for (what, kind, _, _), scores in zip(tasks, results)
                   if kind == "text" and what[0] != "turku"}
    turku = {}
    held_out = []
    next_container = 0
    for (what, kind, _, test), model_scores in zip(tasks, results):
        if what[0] == "turku":
            _turku_entry(turku, what[1], test, model_scores, threshold,
                         same_left_out=line_files_weight == 0)
            continue
        # (Both kinds score the same held-out lines, in the same order.)
        scores = (blended_html_scores(model_scores, text_scores[what[1]], html_weight)
                  if kind == "html" and html_weight < 1.0 else model_scores)
        containers = line_containers(test) if kind == "html" else None
        held_out.append(test[["page", "line_no", "text", "label"]].assign(
            kind=kind, score=scores.astype(np.float32),
            model_score=model_scores.astype(np.float32),
            container=-1 if containers is None else containers + next_container))
        # (Numbered on from the last fold's: the held-out lines of all folds
        # are replayed as one table, where no two pages may share one.)
        next_container += 0 if containers is None else len(np.unique(containers))
        # The body as predict() gives it (a page's lines in order, pages
        # one after another in the line table).
        is_body = body_mask(scores, page_bounds(test["page"]), test["text"].tolist(), threshold,
                            containers=containers)
        body = page_bodies(test, is_body)
        name = OURS[kind]
        bodies.setdefault(name, {})
        for key in keys_by_corpus[what[1]]:
            bodies[name][key] = body.get(key, "")
        errors.setdefault(name, set())

    report = {"measured": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
              "machine": f"{platform.machine()}, {platform.python_implementation()} "
                         f"{platform.python_version()}",
              "weighting": weighting, "short_pages": short_pages,
              "line_files_weight": line_files_weight, "relabel_comments": relabel_comments,
              "threshold": threshold, "html_weight": html_weight,
              "parameters": {name: repr(value) for name, value in parameters.items()},
              "data": {"page_folders": [str(p) for p in page_folders],
                       "line_files": [str(p) for p in line_files]},
              "corpora": {}, "macro": {}, "turku": turku,
              "seconds": round(time.time() - started, 1)}
    # P(body) of every held-out line (``score`` as predict gives it,
    # ``model_score`` the kind's own model's), to try page-level rules on
    # the scores without refitting (the CLI keeps it in the cache).
    report["line_scores"] = (pd.concat(held_out, ignore_index=True) if held_out
                             else pd.DataFrame(columns=["page", "line_no", "text", "label",
                                                        "kind", "score", "model_score",
                                                        "container"]))
    report["page_f1"] = {key: {name: round(_page_f1(by_page.get(key, ""), gold[key][2]), 4)
                               for name, by_page in bodies.items()} for key in gold}
    for corpus, keys in keys_by_corpus.items():
        report["corpora"][corpus] = {"pages": len(keys), "extractors": {}}
    for name, by_page in bodies.items():
        for corpus, scores in corpus_scores(by_page, gold, keys_by_corpus).items():
            scores["errors"] = len(errors.get(name, set()) & set(keys_by_corpus[corpus]))
            report["corpora"][corpus]["extractors"][name] = scores
    for name in bodies:
        per_corpus = [report["corpora"][c]["extractors"][name] for c in corpora]
        report["macro"][name] = {measure: float(np.mean([s[measure] for s in per_corpus]))
                                 for measure in ("precision", "recall", "f1")}
    report["label_ceiling"] = label_ceilings(pages, gold, keys_by_corpus)
    return report


def pages_by_corpus(gold: dict) -> dict:
    """Corpus -> the keys of its pages in ``gold`` (:func:`page_gold`), the
    corpora sorted, each corpus's pages in gold's order."""
    keys_by_corpus = {corpus: [] for corpus in sorted({corpus for corpus, _, _ in gold.values()})}
    for key, (corpus, _, _) in gold.items():
        keys_by_corpus[corpus].append(key)
    return keys_by_corpus


def corpus_scores(bodies, gold: dict, keys_by_corpus: dict) -> dict:
    """Page text scores (:func:`training.metrics.page_text_scores`) of each
    corpus's pages: ``bodies`` maps a page's key to its extracted body (a
    page missing has none) against its gold text."""
    return {corpus: page_text_scores([bodies.get(key, "") for key in keys],
                                     [gold[key][2] for key in keys])
            for corpus, keys in keys_by_corpus.items()}


def label_ceilings(pages: pd.DataFrame, gold: dict, keys_by_corpus: dict) -> dict:
    """Page text F1 of the labels aligned from the gold (before comment
    threads are relabelled for training), per corpus (``keys_by_corpus``:
    corpus -> its pages' keys in ``gold``) and the macro mean: what a line
    model that learnt them perfectly would score (a line can mix article
    words and chrome; the alignment errs)."""
    labelled = page_bodies(pages, pages["label"] == BODY)
    ceilings = {corpus: scores["f1"]
                for corpus, scores in corpus_scores(labelled, gold, keys_by_corpus).items()}
    ceilings["macro"] = float(np.mean(list(ceilings.values())))
    return ceilings


def _page_f1(predicted: str, gold: str) -> float:
    precision, recall = shingle_precision_recall(predicted, gold)
    return f1(precision, recall)


def _turku_entry(turku: dict, what: str, test: pd.DataFrame, scores: np.ndarray,
                 threshold: float, same_left_out: bool = False) -> None:
    """Line scores of the scored line files: per language, trained with all
    training files (``what == "all"``) or with the language left out
    (``same_left_out``: the same model, the line files weighing nothing)."""
    predicted = np.where(body_mask(scores, page_bounds(test["page"]), test["text"].tolist(),
                                   threshold), "body", "boilerplate")
    for language, rows in test.groupby("language", sort=True).indices.items():
        if what not in ("all", language):
            continue
        entry = turku.setdefault(language, {"lines": int(len(rows))})
        measured = line_scores(test["label"].to_numpy()[rows], predicted[rows])
        entry["all" if what == "all" else "left_out"] = measured
        if same_left_out:
            entry["left_out"] = measured


def ranked_extractors(report: dict) -> list:
    return sorted(report["macro"], key=lambda name: -report["macro"][name]["f1"])


def markdown_table(report: dict) -> str:
    """The headline table: page text F1 per held-out corpus and the macro
    mean, every extractor; then precision/recall; then the Turku lines."""
    corpora = list(report["corpora"])
    names = ranked_extractors(report)
    lines = [f"Measured {report['measured']} ({report['machine']}); each corpus scored by "
             f"our models trained on the other corpora"
             + (" and the labelled-line files" if report["data"]["line_files"] else "")
             + f" (weighting: {report['weighting']}, short pages: "
             f"{'yes' if report.get('short_pages') else 'no'}, comments relabelled "
             f"boilerplate: {'yes' if report.get('relabel_comments') else 'no'}"
             + (f", labelled-line files weighing {report['line_files_weight']:g} of a corpus"
                if report["data"]["line_files"] and "line_files_weight" in report else "")
             + (f"; ours (html): the HTML model's scores weighing {report['html_weight']:g}, "
                "the text model's the rest"
                if report.get("html_weight", 1.0) < 1.0 and OURS["html"] in report["macro"]
                else "")
             + "); peers with default settings.",
             "",
             "| extractor | " + " | ".join(f"{c} ({report['corpora'][c]['pages']})"
                                         for c in corpora) + " | macro mean |",
             "|---|" + "---:|" * (len(corpora) + 1)]
    for name in names:
        cells = []
        for corpus in corpora:
            scores = report["corpora"][corpus]["extractors"][name]
            errors = f" ({scores['errors']} err.)" if scores["errors"] else ""
            cells.append(f"{scores['f1']:.3f}{errors}")
        lines.append(f"| {name} | " + " | ".join(cells)
                     + f" | **{report['macro'][name]['f1']:.3f}** |")
    lines += ["", "Precision / recall:", "",
              "| extractor | " + " | ".join(corpora) + " | macro mean |",
              "|---|" + "---:|" * (len(corpora) + 1)]
    for name in names:
        cells = [f"{report['corpora'][c]['extractors'][name]['precision']:.3f} / "
                 f"{report['corpora'][c]['extractors'][name]['recall']:.3f}" for c in corpora]
        macro = report["macro"][name]
        lines.append(f"| {name} | " + " | ".join(cells)
                     + f" | {macro['precision']:.3f} / {macro['recall']:.3f} |")
    if "label_ceiling" in report:
        ceiling = report["label_ceiling"]
        lines += ["", "The labels aligned from the gold, scored as an extraction (the best a "
                  "line model that learnt them perfectly could do):", "",
                  "| " + " | ".join(corpora) + " | macro mean |",
                  "|" + "---:|" * (len(corpora) + 1),
                  "| " + " | ".join(f"{ceiling[c]:.3f}" for c in corpora)
                  + f" | {ceiling['macro']:.3f} |"]
    if report["turku"]:
        lines += ["", "Turku lines, dev splits, line F1 of the body label (text model):", "",
                  "| language | lines | trained with every language | language left out |",
                  "|---|---:|---:|---:|"]
        for language, entry in report["turku"].items():
            left_out = entry.get("left_out", {}).get("f1", float("nan"))
            lines.append(f"| {language} | {entry['lines']} | {entry['all']['f1']:.3f} | "
                         f"{left_out:.3f} |")
    return "\n".join(lines)
