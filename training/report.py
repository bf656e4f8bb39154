"""Printing and writing evaluation reports."""

from __future__ import annotations

import json
from pathlib import Path

from classifier.files import atomic_write


def print_line_report(report: dict) -> None:
    ceiling = report.get("label_ceiling", {})
    print(f"{'set':<18}{'pages':>6}{'sites':>6} | {'line P':>7}{'line R':>7}{'line F1':>8} | "
          f"{'text P':>7}{'text R':>7}{'text F1':>8} | {'ceiling F1':>10}")
    for name, entry in report["sets"].items():
        line, text = entry["line"], entry["page_text"]
        ceil = ceiling.get(name, {}).get("f1", float("nan"))
        print(f"{name:<18}{entry['pages']:>6}{entry['sites']:>6} | {line['precision']:>7.3f}"
              f"{line['recall']:>7.3f}{line['f1']:>8.3f} | {text['precision']:>7.3f}"
              f"{text['recall']:>7.3f}{text['f1']:>8.3f} | {ceil:>10.3f}")


def print_threshold_sweep(report: dict) -> None:
    sweep = report.get("threshold_sweep")
    if not sweep:
        return
    sets = list(next(iter(sweep.values())))
    print(f"\npage text F1 by body threshold (same out-of-fold scores; model uses "
          f"{report.get('threshold')}):")
    print(f"{'threshold':<10}" + "".join(f"{name:>17}" for name in sets))
    for threshold, row in sweep.items():
        print(f"{threshold:<10}" + "".join(f"{row[name]:>17.3f}" for name in sets))


def print_topic_report(report: dict) -> None:
    if report.get("multilabel"):
        print(f"documents {report['documents']}, {len(report['topics'])} topics (multi-label), "
              f"{report['cv']['folds']}-fold CV")
        print(f"micro-F1 {report['micro_f1']:.4f}, macro-F1 {report['macro_f1']:.4f}")
        return
    print(f"documents {report['documents']}, {report['cv']['folds']}-fold stratified CV")
    print(f"accuracy {report['accuracy']:.4f} (fold std {report['accuracy_fold_std']:.4f}), "
          f"macro-F1 {report['macro_f1']:.4f}")
    labels = report["confusion_matrix"]["labels"]
    width = max(len(label) for label in labels) + 2
    print("confusion (rows true, columns predicted):")
    print(" " * width + "".join(f"{label[:8]:>9}" for label in labels))
    for label, row in zip(labels, report["confusion_matrix"]["rows_true_columns_predicted"]):
        print(f"{label:<{width}}" + "".join(f"{value:>9}" for value in row))


def write_json(path, report: dict) -> None:
    path = Path(path)
    text = json.dumps(report, indent=2, sort_keys=True, default=str) + "\n"
    atomic_write(path.parent, path.name, lambda temporary: Path(temporary).write_text(
        text, encoding="utf-8"))
