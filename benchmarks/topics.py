"""Topic models on the standard benchmarks, with their standard splits.

    python benchmarks/topics.py [--topics FOLDER] [--sets bbc 20newsgroups reuters]
    make bench-topics

* **BBC News**: stratified 5-fold CV (shuffled, seed 0) accuracy and
  macro-F1; the out-of-fold probabilities give the reliability diagram and
  the expected calibration error. The same folds' models also classify
  each test article's headline and first paragraph alone (short input).
* **20 Newsgroups bydate**: trained on the training split, accuracy and
  macro-F1 on the test split, with the posts as distributed (headers kept)
  and with headers, signatures and quotes removed (``training/corpora.py``).
* **Reuters-21578 ModApte**, 90 topics, multi-label: micro- and macro-F1
  on the test split of :class:`~classifier.topics.model.MultiLabelTopicModel`.

Single-label sets are measured with the default topic pipeline ("ours") and
with character n-grams added ("ours + char n-grams"). For every set also:
the same data through a plain TF-IDF + linear SVM (scikit-learn defaults,
one-vs-rest for Reuters) as a baseline measured in the same run, the fit
time of our models on the training data, the size of their joblib files
and their prediction time per document. Writes ``reports/bench-topics.{json,md}`` and PNGs
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
from classifier.topics.model import MultiLabelTopicModel, default_topic_pipeline  # noqa: E402
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


# The single-label pipelines measured: the default, the same with the
# common-words block (as the shipped news model) and with character n-grams
# (more accurate on some corpora, slower; docs/benchmarks.md).
VARIANTS = {"ours": {}, "ours + common-words block": {"common_words": True},
            "ours + char n-grams": {"char_ngrams": True}}


def lead(text: str) -> str:
    """Headline and first paragraph: the first two non-blank lines."""
    return "\n".join([line for line in text.split("\n") if line.strip()][:2])


def bench_bbc(root: Path, out: Path, folds: int = 5) -> dict:
    data = read_bbc(root)
    texts, topics = data["text"].tolist(), data["topic"].to_numpy(dtype=object)
    leads = [lead(text) for text in texts]
    classes = np.unique(topics)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    splits = list(splitter.split(texts, topics))
    results = {}
    for variant, settings in VARIANTS.items():
        probabilities = np.zeros((len(texts), len(classes)))
        short = np.empty(len(texts), dtype=object)
        for fold, (train, test) in enumerate(splits, 1):
            say(f"bbc, {variant}: fold {fold}/{folds}")
            model = default_topic_pipeline(**settings).fit([texts[i] for i in train],
                                                           topics[train])
            probabilities[test] = model.predict_proba([texts[i] for i in test])
            short[test] = model.predict([leads[i] for i in test])
        model, seconds = timed_fit(default_topic_pipeline(**settings), texts, topics)
        results[variant] = {
            **variant_scores(probabilities, topics, classes, model, seconds, texts,
                             out, plot_name=None if settings else "bbc"),
            "lead_accuracy": single_label_scores(topics, short.astype(str))["accuracy"]}
    baseline = np.empty(len(texts), dtype=object)
    baseline_short = np.empty(len(texts), dtype=object)
    for train, test in splits:
        svm = svm_baseline().fit([texts[i] for i in train], topics[train])
        baseline[test] = svm.predict([texts[i] for i in test])
        baseline_short[test] = svm.predict([leads[i] for i in test])
    results["TF-IDF + linear SVM"] = {
        **single_label_scores(topics, baseline.astype(str)),
        "lead_accuracy": single_label_scores(topics, baseline_short.astype(str))["accuracy"]}
    return {"split": f"stratified {folds}-fold CV (shuffled, seed 0)",
            "documents": len(texts), "topics": len(classes),
            "lead": "headline + first paragraph of each test article, models trained on "
                    "full articles", "models": results}


def bench_20newsgroups(root: Path, out: Path, strip: bool) -> dict:
    train = read_20newsgroups(root, "train", strip=strip)
    test = read_20newsgroups(root, "test", strip=strip)
    name = "20newsgroups" + ("-stripped" if strip else "")
    say(f"{name}: {len(train)} training, {len(test)} test posts")
    train_texts, test_texts = train["text"].tolist(), test["text"].tolist()
    truth = test["topic"].to_numpy(dtype=object)
    results = {}
    for variant, settings in VARIANTS.items():
        say(f"{name}, {variant}")
        model, seconds = timed_fit(default_topic_pipeline(**settings), train_texts,
                                   train["topic"].to_numpy(dtype=object))
        classes = model.classes_
        results[variant] = variant_scores(model.predict_proba(test_texts), truth, classes,
                                          model, seconds, test_texts, out,
                                          plot_name=None if settings else name)
    baseline = svm_baseline().fit(train_texts, train["topic"].to_numpy(dtype=object))
    results["TF-IDF + linear SVM"] = single_label_scores(truth, baseline.predict(test_texts))
    return {"split": "bydate train / test", "headers": "removed with signatures and quotes"
            if strip else "kept (as distributed)",
            "documents": {"train": len(train), "test": len(test)}, "topics": len(classes),
            "models": results}


def variant_scores(probabilities, truth, classes, model, seconds: float, texts, out: Path,
                   plot_name: str | None = None) -> dict:
    """Scores of one single-label pipeline from its test probabilities, and
    the fitted ``model``'s cost; with ``plot_name``, also its reliability
    diagram and confusion matrix beside the report ``out``."""
    predicted = classes[probabilities.argmax(axis=1)]
    calibration = reliability(probabilities, truth, classes)
    if plot_name is not None:
        _plots(out, plot_name, calibration, truth, predicted, classes)
    return {**single_label_scores(truth, predicted), "ece": calibration["ece"],
            "fit_seconds": seconds, "model_mb": model_megabytes(model),
            "predict_ms_per_doc": predict_milliseconds(model, texts)}


def predict_milliseconds(model, texts, count: int = 500) -> float:
    """Mean time to predict one document's topic probabilities, in batches."""
    sample = texts[:count]
    started = time.perf_counter()
    model.predict_proba(sample)
    return round(1000 * (time.perf_counter() - started) / len(sample), 2)


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
            "models": {"ours (multi-label)": {**scores(predicted), "fit_seconds": seconds,
                                              "model_mb": model_megabytes(model)},
                       "TF-IDF + linear SVM": scores(baseline)}}


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
            "| set | model | accuracy / micro-F1 | macro-F1 | ECE | headline + 1st paragraph "
            "| fit (s) | model (MB) | predict (ms/doc) |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|"]

    def cell(entry, key, form="{:.4f}"):
        return form.format(entry[key]) if key in entry else ""
    for name, entry in report["sets"].items():
        for model, scores in entry["models"].items():
            main_metric = "accuracy" if "accuracy" in scores else "micro_f1"
            rows.append(" | ".join([
                f"| {name}", model, cell(scores, main_metric), cell(scores, "macro_f1"),
                cell(scores, "ece", "{:.3f}"), cell(scores, "lead_accuracy"),
                cell(scores, "fit_seconds", "{}"), cell(scores, "model_mb", "{}"),
                cell(scores, "predict_ms_per_doc", "{}")]) + " |")
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
