"""``python -m training lines|html|topics|other-sources|search|evaluate ...`` – see ``--help``.

Retraining writes nothing to ``--out`` unless training succeeded: data is
read and validated first, the model is fitted, and only then is the
artifact written (atomically) and recorded in the folder's manifest.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from pathlib import Path

import pandas as pd

from classifier.cli import DefaultsShown
from classifier.errors import ClassifierError
from classifier.files import atomic_write
from classifier.lines.blend import HTML_MODEL_WEIGHT
from classifier.progress import say
from classifier.store import HTML_MODEL, LINE_MODEL, TOPIC_MODEL, save_model
from classifier.topics.abstention import Abstention

from .datasets import load_line_data
from .generalisation import evaluate_generalisation, markdown_table
from .lines import (
    DEFAULT_LINE_FILES_WEIGHT,
    DEFAULT_RELABEL_COMMENTS,
    DEFAULT_SHORT_PAGES,
    DEFAULT_WEIGHTING,
    WEIGHTINGS,
    cross_validate_lines,
    fit_line_model,
    gold_texts,
    label_ceiling,
    model_input,
)
from .other_sources import PER_TOPIC, other_source_documents
from .peers import PEER_NAMES
from .report import (
    print_line_report,
    print_threshold_sweep,
    print_topic_report,
    write_json,
)
from .search import (
    SEARCHABLE,
    add_setting_option,
    parse_grid,
    parse_settings,
    search_topics,
)
from .short_inputs import evaluate_short_inputs
from .topic_data import is_multilabel, load_topic_data
from .topics import (
    ABSTENTION_FOLDS,
    DEFAULT_COVERAGE,
    choose_abstention,
    cross_validate_topics,
    fit_topic_model,
    require_single_label,
)

DEFAULT_CACHE = Path(".cache")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m training",
                                     description="Train and evaluate the line and topic models.")
    commands = parser.add_subparsers(dest="command", required=True)

    lines = commands.add_parser("lines", help="train the line model",
                                formatter_class=DefaultsShown)
    _training_options(lines, data_help="page folders (<id>.html + <id>.txt) and/or labelled-line "
                                       "files (.csv/.jsonl/.parquet with doc_id, text, label)",
                      cv_default=3, cv_help="site-grouped CV folds for the manifest's metrics")
    _cache_option(lines)
    _weighting_option(lines)

    html = commands.add_parser("html", help="train the HTML path's line model (DOM features)",
                               formatter_class=DefaultsShown)
    _training_options(html, data_help="page folders (<id>.html + <id>.txt)",
                      cv_default=3, cv_help="site-grouped CV folds for the manifest's metrics")
    _cache_option(html)
    _weighting_option(html)

    topics = commands.add_parser("topics", help="train the topic model",
                                 formatter_class=DefaultsShown)
    _training_options(topics, data_help="folder-per-topic trees and/or .csv/.jsonl/.parquet "
                                        "files with text, topic",
                      cv_default=5, cv_help="stratified CV folds for the manifest's metrics")
    add_setting_option(topics)
    _extra_training_option(topics)
    _abstention_options(topics)

    sources = commands.add_parser(
        "other-sources", help="write stories from 20 Newsgroups and Reuters for the BBC "
                              "topics, to train on with --extra-training",
        formatter_class=DefaultsShown)
    sources.add_argument("--topics", required=True, metavar="DIR",
                         help="folder holding 20newsgroups/ and reuters21578/ "
                              "(like shared/data/topics)")
    sources.add_argument("--out", required=True, metavar="FILE.jsonl", help="where to write them")
    sources.add_argument("--per-topic", type=int, default=PER_TOPIC,
                         help="documents per topic")
    sources.add_argument("--seed", type=int, default=0, help="sampling seed")

    search = commands.add_parser("search", help="search the topic pipeline's settings by CV",
                                 formatter_class=DefaultsShown)
    search.add_argument("model", choices=["topics"], help="the pipeline to tune")
    search.add_argument("--data", nargs="+", required=True, metavar="PATH",
                        help="topic data, as for 'topics'")
    search.add_argument("--grid", action="append", required=True, metavar="NAME=V1,V2",
                        help=f"values to try for a setting ({', '.join(SEARCHABLE)}); repeat "
                             "for several settings, every combination is tried")
    search.add_argument("--cv", type=int, default=5, help="stratified CV folds")
    search.add_argument("--jobs", type=int, default=2, help="parallel fits (joblib)")
    search.add_argument("--report", metavar="FILE.json", help="write the JSON report here")

    evaluate = commands.add_parser(
        "evaluate", help="cross-validate a model on data, or measure the line models on "
                         "corpora left out of training (generalisation)",
        formatter_class=DefaultsShown)
    evaluate.add_argument("model", choices=["lines", "html", "topics", "generalisation",
                                            "short-inputs"],
                          help="which model to cross-validate (lines: text path, "
                               "html: HTML path), or 'generalisation': both line models, "
                               "leave-one-corpus-out, beside the peers, or 'short-inputs': "
                               "the line model of --models on each story's headline and "
                               "first paragraph, and the topic read from them by the topic "
                               "model's CV folds")
    evaluate.add_argument("--data", nargs="+", required=True, metavar="PATH",
                          help="the same inputs as for training that model; for "
                               "generalisation, page folders of two or more corpora")
    evaluate.add_argument("--cv", type=int, default=5, help="number of folds")
    evaluate.add_argument("--report", metavar="FILE.json",
                          help="write the JSON report here (generalisation: also a "
                               "Markdown table beside it, .md)")
    evaluate.add_argument("--lines", nargs="+", default=[], metavar="FILE",
                          help="generalisation: labelled-line files that join the text "
                               "model's training; those named <lang>-dev are scored per "
                               "language instead")
    evaluate.add_argument("--kinds", nargs="+", default=["text", "html"],
                          choices=["text", "html"], help="generalisation: line models to fit")
    evaluate.add_argument("--html-weight", type=float, default=HTML_MODEL_WEIGHT,
                          metavar="SHARE",
                          help="generalisation: the HTML model's share of an HTML line's "
                               "score, the text model's the rest (1: the HTML model alone)")
    evaluate.add_argument("--peers", nargs="+", default=["all"], metavar="NAME",
                          help=f"generalisation: peers to run (all, none, or names among "
                               f"{', '.join(PEER_NAMES)})")
    _weighting_option(evaluate)
    evaluate.add_argument("--jobs", type=int, default=1,
                          help="generalisation: models fitted at a time, each on one core "
                               "(1: one fit on all cores; on a 2-core machine a fit took 2.8 "
                               "min alone and 15-17 min beside another: the trees' histograms "
                               "contend for memory)")
    evaluate.add_argument("--models", metavar="DIR",
                          help="short-inputs: the models folder whose line model labels the "
                               "lines (default: the shipped models)")
    _cache_option(evaluate)
    add_setting_option(evaluate)
    _extra_training_option(evaluate)
    _abstention_options(evaluate, "short-inputs: ")
    return parser


def _abstention_options(parser, prefix: str = ""):
    """When the topic model gives no topic (classifier/topics/abstention.py)."""
    defaults = Abstention()
    parser.add_argument("--coverage", type=float, default=DEFAULT_COVERAGE,
                        help=prefix + "share of the training documents the model still "
                             "answers, out of fold: sets the 'out of scheme' threshold (1: "
                             "never)")
    parser.add_argument("--min-known-share", type=float, default=defaults.min_known_share,
                        metavar="SHARE",
                        help=prefix + "a body with less of its words in the model's "
                             "vocabulary gets no topic ('language: other')")
    parser.add_argument("--min-words", type=int, default=defaults.min_words, metavar="N",
                        help=prefix + "a body with fewer (known) words gets no topic "
                                      "('too short')")


def _abstention_base(args) -> Abstention:
    return Abstention(min_words=args.min_words, min_known_share=args.min_known_share)


def _extra_training_option(parser):
    parser.add_argument("--extra-training", nargs="+", default=[], metavar="PATH",
                        help="topic data trained on but never scored in cross-validation, "
                             "e.g. stories from other sources (see 'other-sources')")


def _training_options(parser, data_help: str, cv_default: int, cv_help: str):
    """--data, --out and --cv, shared by the 'lines' and 'topics' commands."""
    parser.add_argument("--data", nargs="+", required=True, metavar="PATH", help=data_help)
    parser.add_argument("--out", required=True, metavar="DIR", help="models folder to write")
    parser.add_argument("--cv", type=int, default=cv_default, help=f"{cv_help} (0: skip)")


def _yes_or_no(value: str) -> bool:
    if value.lower() in ("yes", "true", "1"):
        return True
    if value.lower() in ("no", "false", "0"):
        return False
    raise argparse.ArgumentTypeError(f"expected yes or no, not {value!r}")


def _weighting_option(parser):
    parser.add_argument("--short-pages", type=_yes_or_no, default=DEFAULT_SHORT_PAGES,
                        metavar="yes|no",
                        help="add short pages cut from the training pages (a headline "
                             "and its lead, one paragraph, one sentence, a few chrome lines, "
                             "one chrome sentence) to training (training/augment.py)")
    parser.add_argument("--weighting", choices=WEIGHTINGS, default=DEFAULT_WEIGHTING,
                        help="how training lines are weighed by corpus: none (every line "
                             "once), corpus (every corpus the same), sqrt (by the square "
                             "root of its lines)")
    parser.add_argument("--line-files-weight", type=float, default=DEFAULT_LINE_FILES_WEIGHT,
                        metavar="W",
                        help="weight of the labelled-line files' lines (the Turku lines, "
                             "your CSVs) beside a page corpus's: 1 as one more corpus, 0 "
                             "leaves them out")
    parser.add_argument("--relabel-comments", type=_yes_or_no, default=DEFAULT_RELABEL_COMMENTS,
                        metavar="yes|no",
                        help="train on the body lines of comment containers as boilerplate "
                             "(CleanEval's gold keeps reader comments; training/conventions.py)")
    parser.add_argument("--random-state", type=int, default=0, metavar="N",
                        help="the line models' random state (the trees' column sampling, "
                             "the first stage's SGD): runs with several tell how much "
                             "refitting alone moves a score")


def _line_fit_options(args) -> dict:
    """The keywords of training.lines.fit_line_model that the command line sets."""
    return {"weighting": args.weighting, "short_pages": args.short_pages,
            "line_files_weight": args.line_files_weight,
            "relabel_comments": args.relabel_comments, "random_state": args.random_state}


def _cache_option(parser):
    parser.add_argument("--cache", default=str(DEFAULT_CACHE), metavar="DIR",
                        help="where to cache line tables built from HTML "
                             "('none' to disable)")


def _cache_dir(value: str):
    return None if value.lower() == "none" else Path(value)


def _line_data_summary(paths, lines) -> dict:
    return {"paths": [str(p) for p in paths], "pages": int(lines["page"].nunique()),
            "sites": int(lines["site"].nunique()), "lines": int(len(lines)),
            "labels": {k: int(v) for k, v in lines["label"].value_counts().items()},
            "sets": sorted(lines["set"].unique().tolist())}


def train_lines(args, kind: str = "text") -> dict:
    lines = load_line_data(args.data, _cache_dir(args.cache))
    model_input(lines, kind)  # refuse unusable data before any fitting
    say(f"{len(lines)} lines from {lines['page'].nunique()} pages")
    metrics = {"note": "cross-validation skipped (--cv 0)"}
    if args.cv:
        gold = gold_texts(args.data, lines)
        metrics, _ = cross_validate_lines(lines, gold, n_splits=args.cv, kind=kind,
                                          **_line_fit_options(args))
        _show_cv_table(print_line_report, metrics)
    started = time.time()
    model = fit_line_model(lines, kind=kind, **_line_fit_options(args))
    fit_seconds = round(time.time() - started, 1)
    say(f"fitted in {fit_seconds:.0f}s")
    summary = {**_line_data_summary(args.data, lines), "fit_seconds": fit_seconds,
               **_line_fit_options(args)}
    entry = save_model(args.out, HTML_MODEL if kind == "html" else LINE_MODEL, model,
                       summary, metrics, model.get_params(deep=False))
    return entry


def _show_cv_table(print_report, metrics: dict) -> None:
    """The CV table a training command also records in the manifest, on
    stderr: stdout holds the command's JSON result."""
    with contextlib.redirect_stdout(sys.stderr):
        print("cross-validation (recorded in the manifest):")
        print_report(metrics)


def _extra_training(args, data):
    """The --extra-training documents, or None; refused for multi-label data."""
    if not args.extra_training:
        return None
    extra = load_topic_data(args.extra_training)
    require_single_label(data, extra)
    say(f"+ {len(extra)} extra training documents (not scored)")
    return extra


def train_topics(args) -> dict:
    data = load_topic_data(args.data)
    say(f"{len(data)} documents, {len(topic_counts(data))} topics"
        + (" (multi-label)" if is_multilabel(data) else ""))
    extra = _extra_training(args, data)
    settings = parse_settings(args.setting, multilabel=is_multilabel(data))
    metrics = cross_validate_topics(data, args.cv, extra=extra, **settings) if args.cv else {
        "note": "cross-validation skipped (--cv 0)"}
    if args.cv:
        _show_cv_table(print_topic_report, metrics)
    started = time.time()
    model = fit_topic_model(data, extra=extra, **settings)
    fit_seconds = round(time.time() - started, 1)
    say(f"choosing when to abstain: {ABSTENTION_FOLDS}-fold out-of-fold evidence, "
        f"coverage {args.coverage:g}")
    abstention = choose_abstention(data, extra, args.coverage, _abstention_base(args),
                                   **settings)
    summary = {"paths": [str(p) for p in args.data], "documents": int(len(data)),
               "fit_seconds": fit_seconds,
               "multilabel": is_multilabel(data), "settings": settings,
               "topics": topic_counts(data)}
    if extra is not None:
        summary["extra_training"] = {"paths": [str(p) for p in args.extra_training],
                                     "documents": int(len(extra)),
                                     "topics": topic_counts(extra)}
    return save_model(args.out, TOPIC_MODEL, model, summary, metrics,
                      {"pipeline": repr(model)}, {"abstention": abstention.to_dict()})


def topic_counts(data) -> dict:
    labels = (pd.Series([t for topics in data["topics"] for t in topics])
              if is_multilabel(data) else data["topic"])
    return {k: int(v) for k, v in labels.value_counts().sort_index().items()}


def _peer_names(parser_names: list) -> tuple:
    if "all" in parser_names:
        return PEER_NAMES
    if "none" in parser_names:
        return ()
    unknown = sorted(set(parser_names) - set(PEER_NAMES))
    if unknown:
        raise ValueError(f"unknown peers {unknown}; choose among {', '.join(PEER_NAMES)}")
    return tuple(parser_names)


def evaluate(args) -> dict:
    if args.model == "generalisation":
        report = evaluate_generalisation(args.data, args.lines, kinds=args.kinds,
                                         peers=_peer_names(args.peers),
                                         cache_dir=_cache_dir(args.cache), jobs=args.jobs,
                                         html_weight=args.html_weight,
                                         **_line_fit_options(args))
        table = markdown_table(report)
        print(table)
        # Each page's F1 per extractor, to look at where we fall short: in
        # the cache, not in the report (3,000 pages x 7 extractors).
        # So are the held-out lines' scores, one row per line and line model.
        page_f1, line_scores = report.pop("page_f1"), report.pop("line_scores")
        if args.cache.lower() != "none":
            stem = Path(args.report).stem if args.report else "generalisation"
            write_json(Path(args.cache) / f"{stem}-page-f1.json", page_f1)
            line_scores.to_parquet(Path(args.cache) / f"{stem}-line-scores.parquet",
                                   index=False)
        if args.report:
            write_json(args.report, report)
            Path(args.report).with_suffix(".md").write_text(table + "\n", encoding="utf-8")
            say(f"report written to {args.report} and {Path(args.report).with_suffix('.md')}")
        return report
    if args.model == "short-inputs":
        return _evaluate_short_inputs(args)
    if args.model in ("lines", "html"):
        kind = "html" if args.model == "html" else "text"
        lines = load_line_data(args.data, _cache_dir(args.cache))
        model_input(lines, kind)
        gold = gold_texts(args.data, lines)
        report, _ = cross_validate_lines(lines, gold, n_splits=args.cv, kind=kind,
                                         **_line_fit_options(args))
        report["label_ceiling"] = label_ceiling(lines, gold)
        report["data"] = _line_data_summary(args.data, lines)
        print_line_report(report)
        print_threshold_sweep(report)
    else:
        data = load_topic_data(args.data)
        extra = _extra_training(args, data)
        settings = parse_settings(args.setting, multilabel=is_multilabel(data))
        report = cross_validate_topics(data, args.cv, extra=extra, **settings)
        report["data"] = {"paths": [str(p) for p in args.data],
                          "extra_training": [str(p) for p in args.extra_training]}
        report["settings"] = settings
        print_topic_report(report)
    return _written(args, report)


def _evaluate_short_inputs(args) -> dict:
    from classifier.api import load

    data = load_topic_data(args.data)
    require_single_label(data, None)
    extra = _extra_training(args, data)
    settings = parse_settings(args.setting, multilabel=False)
    classifier = load(args.models, trusted=args.models is not None, topics=False)
    report = evaluate_short_inputs(classifier, data, extra, n_splits=args.cv,
                                   coverage=args.coverage, base=_abstention_base(args),
                                   **settings)
    report["data"] = {"paths": [str(p) for p in args.data],
                      "extra_training": [str(p) for p in args.extra_training],
                      "models": args.models or "shipped"}
    lines, topics = report["lines"], report["topics"]
    print(f"{report['stories']} stories, headline + first paragraph:")
    print(f"  headline body {lines['headline_body']:.4f}, paragraph body {lines['lead_body']:.4f}, "
          f"both body {lines['both_body']:.4f}, no body at all {lines['no_body']:.4f}")
    print(f"  topic: answered {topics['answered']:.4f}, right of those answered "
          f"{topics['accuracy_answered']:.4f} ({topics['cv']['folds']}-fold CV); no topic: "
          + (", ".join(f"{reason} {share:.4f}" for reason, share in topics["reasons"].items())
             or "none"))
    return _written(args, report)


def _written(args, report: dict) -> dict:
    """``report``, dated, and written to ``--report`` if given."""
    report.setdefault("measured", time.strftime("%Y-%m-%d %H:%M:%S %Z"))
    if args.report:
        write_json(args.report, report)
        say(f"report written to {args.report}")
    return report


def write_other_sources(args) -> None:
    documents = other_source_documents(args.topics, per_topic=args.per_topic, seed=args.seed)
    out = Path(args.out)
    # Never a half-written file under the final name.
    atomic_write(out.parent, out.name, lambda path: documents.to_json(
        path, orient="records", lines=True, force_ascii=False))
    counts = documents["topic"].value_counts().sort_index()
    say(f"{len(documents)} documents written to {out} "
        f"({', '.join(f'{topic} {count}' for topic, count in counts.items())})")


def search(args) -> dict:
    grid = parse_grid(args.grid)
    data = load_topic_data(args.data)
    combinations = 1
    for values in grid.values():
        combinations *= len(values)
    say(f"{len(data)} documents; {combinations} settings x {args.cv} folds, "
        f"{args.jobs} in parallel")
    report = search_topics(data, grid, n_splits=args.cv, jobs=args.jobs)
    report["data"] = {"paths": [str(p) for p in args.data]}
    print(f"{'accuracy':>9} {'± std':>7} {'macro-F1':>9}  setting")
    for result in report["results"]:
        setting = " ".join(f"{k}={v}" for k, v in result["setting"].items())
        print(f"{result['accuracy']:9.4f} {result['accuracy_std']:7.4f} "
              f"{result['macro_f1']:9.4f}  {setting}")
    return _written(args, report)


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command in ("lines", "html"):
            entry = train_lines(args, kind="html" if args.command == "html" else "text")
        elif args.command == "topics":
            entry = train_topics(args)
        elif args.command == "other-sources":
            write_other_sources(args)
            return 0
        elif args.command == "search":
            search(args)
            return 0
        else:
            evaluate(args)
            return 0
    except (ClassifierError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        if "no terms remain" in str(error):  # scikit-learn's words for an empty vocabulary
            print("hint: the topic pipeline keeps words found in at least 2 training "
                  "documents; on very small data use --setting min_df=1", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        # Models and reports are written atomically: nothing half-written.
        print("\ninterrupted: nothing was written", file=sys.stderr)
        return 130
    print(json.dumps({"saved": str(Path(args.out) / entry["file"]), "sha256": entry["sha256"],
                      "bytes": entry["bytes"]}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
