"""Topic models on the standard benchmarks, with their standard splits.

    python benchmarks/topics.py [--topics FOLDER] [--sets bbc 20newsgroups reuters]
    make bench-topics

* **BBC News**: stratified 5-fold CV (shuffled, seed 0) accuracy and
  macro-F1 of the default topic pipeline; the out-of-fold probabilities
  give the reliability diagram and the expected calibration error.
* **20 Newsgroups bydate**: trained on the training split, accuracy and
  macro-F1 on the test split, with the posts as distributed (headers kept)
  and with headers, signatures and quotes removed (``training/corpora.py``).
* **Reuters-21578 ModApte**, 90 topics, multi-label: micro- and macro-F1
  on the test split of :class:`~classifier.topic_model.MultiLabelTopicModel`.

For every set also: the same data through a plain TF-IDF + linear SVM
(scikit-learn defaults, one-vs-rest for Reuters) as a baseline measured in
the same run, the fit time of our model on the training data, and the size
of its joblib file. Writes ``reports/bench-topics.{json,md}`` and PNGs
(reliability diagrams, confusion matrices) beside them.
"""

from __future__ import annotations

import argparse
import io
import platform
import sys
import time
from pathlib import Path

import joblib
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402
from sklearn.multiclass import OneVsRestClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import MultiLabelBinarizer  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from benchmarks.common import SHARED_DATA, write_report  # noqa: E402
from classifier.progress import say  # noqa: E402
from classifier.topic_model import MultiLabelTopicModel, default_topic_pipeline  # noqa: E402
from training.calibration import reliability  # noqa: E402
from training.corpora import read_20newsgroups, read_bbc, read_reuters_modapte  # noqa: E402

SETS = ("bbc", "20newsgroups", "reuters")


def svm_baseline():
    return make_pipeline(TfidfVectorizer(sublinear_tf=True), LinearSVC())


def model_megabytes(model) -> float:
    buffer = io.BytesIO()
    joblib.dump(model, buffer, compress=3)
    return round(buffer.tell() / 2**20, 2)


def timed_fit(model, texts, targets):
    started = time.perf_counter()
    model.fit(texts, targets)
    return model, round(time.perf_counter() - started, 1)


def single_label_scores(truth, predicted) -> dict:
    return {"accuracy": round(float(accuracy_score(truth, predicted)), 4),
            "macro_f1": round(float(f1_score(truth, predicted, average="macro")), 4)}


def bench_bbc(root: Path, out: Path, folds: int = 5) -> dict:
    data = read_bbc(root)
    texts, topics = data["text"].tolist(), data["topic"].to_numpy()
    classes = np.unique(topics)
    probabilities = np.zeros((len(texts), len(classes)))
    baseline = np.empty(len(texts), dtype=object)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    for fold, (train, test) in enumerate(splitter.split(texts, topics), 1):
        say(f"bbc fold {fold}/{folds}")
        train_texts, test_texts = [texts[i] for i in train], [texts[i] for i in test]
        model = default_topic_pipeline().fit(train_texts, topics[train])
        probabilities[test] = model.predict_proba(test_texts)
        baseline[test] = svm_baseline().fit(train_texts, topics[train]).predict(test_texts)
    predicted = classes[probabilities.argmax(axis=1)]
    model, seconds = timed_fit(default_topic_pipeline(), texts, topics)
    calibration = reliability(probabilities, topics, classes)
    _plots(out, "bbc", calibration, topics, predicted, classes)
    return {"split": f"stratified {folds}-fold CV (shuffled, seed 0)",
            "documents": len(texts), "topics": len(classes),
            "ours": {**single_label_scores(topics, predicted), "fit_seconds": seconds,
                     "model_mb": model_megabytes(model), "ece": calibration["ece"]},
            "tfidf_linear_svm": single_label_scores(topics, baseline.astype(str))}


def bench_20newsgroups(root: Path, out: Path, strip: bool) -> dict:
    train = read_20newsgroups(root, "train", strip=strip)
    test = read_20newsgroups(root, "test", strip=strip)
    name = "20newsgroups" + ("-stripped" if strip else "")
    say(f"{name}: {len(train)} training, {len(test)} test posts")
    model, seconds = timed_fit(default_topic_pipeline(), train["text"].tolist(),
                               train["topic"].to_numpy())
    probabilities = model.predict_proba(test["text"].tolist())
    classes = model.classes_
    predicted = classes[probabilities.argmax(axis=1)]
    truth = test["topic"].to_numpy()
    baseline = svm_baseline().fit(train["text"].tolist(), train["topic"].to_numpy())
    calibration = reliability(probabilities, truth, classes)
    _plots(out, name, calibration, truth, predicted, classes)
    return {"split": "bydate train / test", "headers": "removed with signatures and quotes"
            if strip else "kept (as distributed)",
            "documents": {"train": len(train), "test": len(test)}, "topics": len(classes),
            "ours": {**single_label_scores(truth, predicted), "fit_seconds": seconds,
                     "model_mb": model_megabytes(model), "ece": calibration["ece"]},
            "tfidf_linear_svm": single_label_scores(
                truth, baseline.predict(test["text"].tolist()))}


def bench_reuters(root: Path) -> dict:
    data = read_reuters_modapte(root)
    train, test = data[data["split"] == "train"], data[data["split"] == "test"]
    say(f"reuters: {len(train)} training, {len(test)} test stories")
    model, seconds = timed_fit(MultiLabelTopicModel(), train["text"].tolist(),
                               train["topics"].tolist())
    binarizer = MultiLabelBinarizer(classes=model.classes_)
    truth = binarizer.fit_transform(test["topics"].tolist())
    predicted = model.predict_indicators(test["text"].tolist())
    svm = make_pipeline(TfidfVectorizer(sublinear_tf=True), OneVsRestClassifier(LinearSVC()))
    svm.fit(train["text"].tolist(), binarizer.transform(train["topics"].tolist()))
    baseline = svm.predict(test["text"].tolist())

    def scores(predicted_matrix) -> dict:
        return {"micro_f1": round(float(f1_score(truth, predicted_matrix, average="micro")), 4),
                "macro_f1": round(float(f1_score(truth, predicted_matrix, average="macro",
                                                 zero_division=0)), 4)}
    return {"split": "ModApte (LEWISSPLIT, TOPICS=YES), topics with a training and a test story",
            "documents": {"train": len(train), "test": len(test)},
            "topics": len(model.classes_),
            "ours": {**scores(predicted), "fit_seconds": seconds,
                     "model_mb": model_megabytes(model)},
            "tfidf_linear_svm": scores(baseline)}


def _plots(out: Path, name: str, calibration: dict, truth, predicted, classes) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (diagram, confusion) = plt.subplots(
        1, 2, figsize=(12, 5.2), gridspec_kw={"width_ratios": [1, 1.3]})
    bins = [b for b in calibration["bins"] if b["count"]]
    diagram.plot([0, 1], [0, 1], linestyle=":", color="grey", label="perfectly calibrated")
    diagram.plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], marker="o",
                 label=f"ours (ECE {calibration['ece']:.3f})")
    diagram.set(xlabel="predicted probability of the chosen topic", ylabel="accuracy",
                title=f"{name}: reliability", xlim=(0, 1), ylim=(0, 1))
    diagram.legend(loc="upper left", fontsize=8)
    matrix = confusion_matrix(truth, predicted, labels=classes)
    confusion.imshow(matrix, cmap="Blues")
    confusion.set(title=f"{name}: confusion (rows true)", xticks=range(len(classes)),
                  yticks=range(len(classes)))
    small = len(classes) > 8
    confusion.set_xticklabels(classes, rotation=90, fontsize=6 if small else 8)
    confusion.set_yticklabels(classes, fontsize=6 if small else 8)
    if not small:
        for (row, column), count in np.ndenumerate(matrix):
            confusion.text(column, row, str(count), ha="center", va="center", fontsize=8,
                           color="white" if count > matrix.max() / 2 else "black")
    figure.tight_layout()
    figure.savefig(out.parent / f"{out.name}-{name}.png", dpi=100)
    plt.close(figure)


def markdown(report: dict) -> str:
    rows = [f"Measured {report['measured']} ({report['machine']}).", "",
            "| set | split | metric | ours | TF-IDF + linear SVM (same run) | fit (s) | "
            "model (MB) |", "|---|---|---|---:|---:|---:|---:|"]
    for name, entry in report["sets"].items():
        ours, svm = entry["ours"], entry["tfidf_linear_svm"]
        for metric in [m for m in ("accuracy", "micro_f1", "macro_f1") if m in ours]:
            first = metric == next(m for m in ("accuracy", "micro_f1") if m in ours)
            rows.append(f"| {name} | {entry['split'] if first else ''} | {metric} | "
                        f"{ours[metric]:.4f} | {svm[metric]:.4f} | "
                        f"{ours['fit_seconds'] if first else ''} | "
                        f"{ours['model_mb'] if first else ''} |")
    return "\n".join(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--topics", default=str(SHARED_DATA / "topics"),
                        help="folder holding bbc/, 20newsgroups/ and reuters21578/")
    parser.add_argument("--sets", nargs="+", choices=SETS, default=list(SETS))
    parser.add_argument("--out", default=str(ROOT / "reports" / "bench-topics"),
                        help="report path without suffix")
    args = parser.parse_args(argv)
    topics, out = Path(args.topics), Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {"measured": time.strftime("%Y-%m-%d %H:%M %Z"),
              "machine": f"{platform.machine()}, Python {platform.python_version()}",
              "sets": {}}
    if "bbc" in args.sets:
        report["sets"]["bbc"] = bench_bbc(topics / "bbc", out)
    if "20newsgroups" in args.sets:
        for strip in (False, True):
            name = "20newsgroups" + (" (no headers, signatures, quotes)" if strip else "")
            report["sets"][name] = bench_20newsgroups(topics / "20newsgroups", out, strip)
    if "reuters" in args.sets:
        report["sets"]["reuters-21578 ModApte"] = bench_reuters(topics / "reuters21578")
    write_report(out, report, markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
