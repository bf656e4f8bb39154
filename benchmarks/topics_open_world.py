"""The topic model in the open world: which pages it answers, which it
leaves without a topic, and how right it is on those it answers.

    python benchmarks/topics_open_world.py [--topics FOLDER] [--lines FOLDER]
    make bench-topics

The shipped settings (BBC News and the other-source stories,
``training/other_sources.py``; common words on), with abstention chosen on
each model's own training data (``training.topics.choose_abstention``:
its out-of-fold coverage of the BBC stories trained on, 0.95 unless
``--coverage``):

* **in scheme**: BBC News by stratified 5-fold CV (shuffled, seed 0; the
  other-source stories join every training fold), whole stories and each
  held-out story's headline and first paragraph alone; and the 20
  Newsgroups *test* posts of the groups that map to a BBC topic and the
  Reuters ModApte *test* stories (business), of 50 words or more as the
  other-source stories trained on, by the model trained on all
  of BBC and the other-source stories (drawn from the training splits);
* **out of scheme**: the 20 Newsgroups test posts of the groups that map to
  no BBC topic (religion, cars, motorcycles, medicine, space, cryptography,
  electronics, for sale), by the same model;
* **not English**: the Turku lines' documents (``lines/turku``, train and
  dev splits) in Spanish, German and Finnish, their body lines joined.

For each: documents, coverage (share given a topic), accuracy of those
answered (in scheme), and the share abstained by reason. A coverage-accuracy
curve (PNG) sweeps the whole-text out-of-scheme threshold over BBC's
out-of-fold evidence, with the out-of-scheme newsgroup posts' abstention
beside it.
Writes ``reports/bench-topics-open-world.{json,md,png}``.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sklearn.model_selection import StratifiedKFold  # noqa: E402

from benchmarks.common import SHARED_DATA, write_report  # noqa: E402
from classifier.progress import say  # noqa: E402
from classifier.topics.abstention import (OUT_OF_SCHEME, TOO_SHORT,  # noqa: E402
                                          topics_with_reasons, word_vocabulary)
from training.corpora import read_20newsgroups, read_bbc, read_reuters_modapte  # noqa: E402
from training.other_sources import (MIN_WORDS, NEWSGROUP_TOPICS, REUTERS_TOPIC,  # noqa: E402
                                    other_source_documents)
from training.short_inputs import headline_and_lead  # noqa: E402
from training.topics import DEFAULT_COVERAGE, choose_abstention, fit_topic_model  # noqa: E402

#: The shipped news topic model's settings (Makefile, NEWS_TOPIC_SETTINGS).
SHIPPED_SETTINGS = {"common_words": True}
LANGUAGES = ("es", "de", "fi")
REASONS = (TOO_SHORT, "language", OUT_OF_SCHEME)


def answered_scores(reasons, probabilities, classes, truth=None) -> dict:
    """Coverage, accuracy of the answered (with ``truth``), share per reason."""
    reasons = list(reasons)
    answered = np.array([reason is None for reason in reasons])
    entry = {"documents": len(reasons), "coverage": float(answered.mean())}
    if truth is not None:
        predicted = np.asarray(classes)[np.asarray(probabilities).argmax(axis=1)]
        right = predicted == np.asarray(truth)
        entry["accuracy_answered"] = float(right[answered].mean()) if answered.any() else None
        entry["accuracy_all"] = float(right.mean())
    for name in REASONS:
        entry[name] = float(np.mean([reason is not None and reason.startswith(name)
                                     for reason in reasons]))
    return entry


def repaired(text: str) -> str:
    """Undo the commonest damage of the Turku lines: UTF-8 read as
    Windows-1252 ("profecÃ­as"); a line that does not round-trip stays."""
    try:
        return text.encode("cp1252").decode("utf-8")
    except UnicodeError:
        return text


def turku_documents(folder: Path, language: str) -> list[str]:
    """The body lines of each document of a language's train and dev splits."""
    lines = pd.concat([pd.read_json(folder / f"{language}-{split}.jsonl", lines=True)
                       for split in ("train", "dev")], ignore_index=True)
    body = lines[lines["label"] == "body"]
    return body.groupby("doc_id", sort=True)["text"].agg(
        lambda texts: "\n".join(map(repaired, texts))).tolist()


def bench_bbc(bbc: pd.DataFrame, extra: pd.DataFrame, coverage: float, folds: int = 5):
    """Out-of-fold probabilities, evidence and reasons of the stories and of
    their headline + first paragraph."""
    texts, topics = bbc["text"].tolist(), bbc["topic"].to_numpy()
    leads = []
    for text in texts:
        parts = headline_and_lead(text)
        leads.append("\n".join(parts) if parts else None)
    n, classes = len(texts), np.unique(topics)
    out = {"probabilities": np.zeros((n, len(classes))), "evidence": np.zeros(n),
           "reasons": [None] * n, "lead_probabilities": np.zeros((n, len(classes))),
           "lead_reasons": [None] * n}
    splits = StratifiedKFold(folds, shuffle=True, random_state=0).split(texts, topics)
    for fold, (train, test) in enumerate(splits, 1):
        say(f"bbc fold {fold}/{folds}: fitting, choosing the abstention on the training part")
        train_data = bbc.iloc[train]
        abstention = choose_abstention(train_data, extra, coverage, **SHIPPED_SETTINGS)
        model = fit_topic_model(train_data, extra, **SHIPPED_SETTINGS)
        vocabulary = word_vocabulary(model)
        held_out = [texts[i] for i in test]
        probabilities, evidence, reasons = topics_with_reasons(model, abstention, held_out,
                                                               vocabulary)
        out["probabilities"][test], out["evidence"][test] = probabilities, evidence
        for i, reason in zip(test, reasons):
            out["reasons"][i] = reason
        with_lead = [i for i in test if leads[i] is not None]
        probabilities, _, reasons = topics_with_reasons(
            model, abstention, [leads[i] for i in with_lead], vocabulary)
        out["lead_probabilities"][with_lead] = probabilities
        for i, reason in zip(with_lead, reasons):
            out["lead_reasons"][i] = reason
        out.setdefault("thresholds", []).append(abstention.min_evidence)
    out["has_lead"] = np.array([lead is not None for lead in leads])
    return out, classes


def coverage_curve(evidence, probabilities, truth, classes, outside_evidence) -> list:
    """Points (coverage, accuracy of answered, out-of-scheme abstained) as
    the evidence threshold sweeps BBC's out-of-fold evidence."""
    right = np.asarray(classes)[probabilities.argmax(axis=1)] == truth
    points = []
    for share in np.linspace(0.5, 1.0, 26):
        threshold = np.quantile(evidence, 1 - share) if share < 1 else -np.inf
        kept = evidence >= threshold
        points.append({"coverage": float(kept.mean()),
                       "accuracy_answered": float(right[kept].mean()),
                       "out_of_scheme_abstained": float((outside_evidence < threshold).mean()),
                       "threshold": float(threshold)})
    return points


def plot_curve(points: list, chosen: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6.4, 4.2))
    coverage = [p["coverage"] for p in points]
    axis.plot(coverage, [p["accuracy_answered"] for p in points], "o-", markersize=3,
              label="BBC accuracy of the answered (5-fold CV)")
    axis.plot(coverage, [p["out_of_scheme_abstained"] for p in points], "s-", markersize=3,
              label="out-of-scheme newsgroup posts abstained")
    axis.axvline(chosen["coverage"], color="grey", linestyle=":",
                 label=f"shipped setting (coverage {chosen['coverage']:.3f})")
    axis.set_xlabel("BBC coverage (share of held-out stories given a topic)")
    axis.set_ylim(0, 1.01)
    axis.grid(alpha=0.3)
    axis.legend(loc="lower left", fontsize=8)
    axis.set_title("Topic abstention: coverage against accuracy and rejection")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def markdown(report: dict) -> str:
    lines = [f"Measured {report['measured']} ({report['machine']}); shipped topic settings, "
             f"abstention chosen on each model's training data at coverage "
             f"{report['coverage_setting']:g}.", "",
             "| documents | kind | n | coverage | accuracy of answered | too short | "
             "language | out of scheme |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for name, entry in report["sets"].items():
        accuracy = entry.get("accuracy_answered")
        lines.append(f"| {name} | {entry['kind']} | {entry['documents']} | "
                     f"{entry['coverage']:.3f} | "
                     + (f"{accuracy:.4f}" if accuracy is not None else "–")
                     + f" | {entry[TOO_SHORT]:.3f} | {entry['language']:.3f} | "
                       f"{entry[OUT_OF_SCHEME]:.3f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--topics", default=str(SHARED_DATA / "topics"),
                        help="folder holding bbc/, 20newsgroups/ and reuters21578/")
    parser.add_argument("--lines", default=str(SHARED_DATA / "lines" / "turku"),
                        help="folder holding the Turku lines (<lang>-train/dev.jsonl)")
    parser.add_argument("--coverage", type=float, default=DEFAULT_COVERAGE)
    parser.add_argument("--out", default=str(ROOT / "reports" / "bench-topics-open-world"))
    args = parser.parse_args(argv)
    started = time.time()
    root, out = Path(args.topics), Path(args.out)
    bbc = read_bbc(root / "bbc")
    extra = other_source_documents(root)
    oof, classes = bench_bbc(bbc, extra, args.coverage)
    truth = bbc["topic"].to_numpy()
    sets = {"BBC News, whole stories (CV)": {
                "kind": "in scheme", **answered_scores(oof["reasons"], oof["probabilities"],
                                                       classes, truth)},
            "BBC News, headline + first paragraph (CV)": {
                "kind": "in scheme, short",
                **answered_scores([r for r, has in zip(oof["lead_reasons"], oof["has_lead"])
                                   if has], oof["lead_probabilities"][oof["has_lead"]],
                                  classes, truth[oof["has_lead"]])}}

    say("the model of all BBC stories and the other-source stories")
    abstention = choose_abstention(bbc, extra, args.coverage, **SHIPPED_SETTINGS)
    model = fit_topic_model(bbc, extra, **SHIPPED_SETTINGS)
    vocabulary = word_vocabulary(model)

    def scored(texts, truth=None):
        probabilities, evidence, reasons = topics_with_reasons(model, abstention, texts,
                                                               vocabulary)
        return answered_scores(reasons, probabilities, model.classes_, truth), evidence

    posts = read_20newsgroups(root / "20newsgroups", "test", strip=True)
    # As the other-source stories trained on: MIN_WORDS words or more.
    posts = posts[posts["text"].str.split().str.len() >= MIN_WORDS]
    inside = posts[posts["topic"].isin(NEWSGROUP_TOPICS)]
    stories = read_reuters_modapte(root / "reuters21578")
    stories = stories[(stories["split"] == "test")
                      & (stories["text"].str.split().str.len() >= MIN_WORDS)]
    in_texts = inside["text"].tolist() + stories["text"].tolist()
    in_truth = inside["topic"].map(NEWSGROUP_TOPICS).tolist() + [REUTERS_TOPIC] * len(stories)
    sets["20 Newsgroups (mapped groups) + Reuters, test splits"] = {
        "kind": "in scheme, other sources", **scored(in_texts, np.array(in_truth))[0]}
    outside = posts[~posts["topic"].isin(NEWSGROUP_TOPICS)]
    entry, outside_evidence = scored(outside["text"].tolist())
    sets["20 Newsgroups, other groups, test split"] = {"kind": "out of scheme", **entry,
                                                       "groups": sorted(outside["topic"].unique())}
    for language in LANGUAGES:
        documents = turku_documents(Path(args.lines), language)
        sets[f"Turku lines, {language}"] = {"kind": "not English", **scored(documents)[0]}

    curve = coverage_curve(oof["evidence"], oof["probabilities"], truth, classes,
                           outside_evidence)
    report = {"measured": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
              "machine": f"{platform.machine()}, {platform.python_implementation()} "
                         f"{platform.python_version()}",
              "coverage_setting": args.coverage, "settings": SHIPPED_SETTINGS,
              "abstention": abstention.to_dict(),
              "bbc_fold_thresholds": oof["thresholds"],
              "sets": sets, "curve": curve, "seconds": round(time.time() - started, 1)}
    out.parent.mkdir(parents=True, exist_ok=True)
    plot_curve(curve, sets["BBC News, whole stories (CV)"], out.with_suffix(".png"))
    write_report(out, report, markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
