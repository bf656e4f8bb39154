"""Hyperparameter search for the topic pipeline, on the user's own data.

    python -m training search topics --data PATH... --grid C=0.1,0.3,1 --grid ngram_max=1,2

Every combination of the grid is scored by stratified k-fold
cross-validation (the same folds for all), the fits running in parallel
joblib workers (``--jobs``). Grid names are the settings of
``default_topic_pipeline`` (``SEARCHABLE``); the report lists every
combination, best first, and ``python -m training topics`` takes the
winner's settings as options.
"""

from __future__ import annotations

import itertools
import time

import pandas as pd
from joblib import Parallel, delayed
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold

from classifier.topics.model import default_topic_pipeline


def _yes_or_no(value: str) -> bool:
    if value.lower() in ("1", "true", "yes"):
        return True
    if value.lower() in ("0", "false", "no"):
        return False
    raise ValueError(value)


# default_topic_pipeline keyword -> how a value is read from the command line
SEARCHABLE = {
    "C": float,
    "ngram_max": int,
    "min_df": int,
    "char_ngrams": _yes_or_no,
    "common_words": _yes_or_no,
    "max_chars": int,
}


def _name_and_value(entry: str, what: str, form: str, known) -> tuple[str, str]:
    """Split a ``NAME=VALUE`` command-line entry, refusing an unknown name."""
    name, equals, value = (part.strip() for part in entry.partition("="))
    if not equals or not value:
        raise ValueError(f"{what} {entry!r}: expected {form}")
    if name not in known:
        raise ValueError(f"{what} {entry!r}: unknown setting {name!r}; "
                         f"choose among {', '.join(known)}")
    return name, value


def parse_grid(entries: list[str]) -> dict:
    """``["C=1,10", "ngram_max=1,2"]`` -> ``{"C": ["1", "10"], "ngram_max": ["1", "2"]}``."""
    grid = {}
    for entry in entries:
        name, values = _name_and_value(entry, "grid entry", "NAME=VALUE[,VALUE...]", SEARCHABLE)
        grid[name] = [value.strip() for value in values.split(",") if value.strip()]
    if not grid:
        raise ValueError("give at least one --grid NAME=VALUE[,VALUE...]")
    return grid


# The multi-label model (classifier.topics.model.MultiLabelTopicModel) has these.
MULTILABEL_SEARCHABLE = ("C", "ngram_max")


def add_setting_option(parser) -> None:
    """``--setting NAME=VALUE`` (repeatable), read by ``parse_settings``."""
    parser.add_argument("--setting", action="append", default=[], metavar="NAME=VALUE",
                        help="a topic pipeline setting other than the default "
                             f"({', '.join(SEARCHABLE)}; e.g. the best of 'search topics'); "
                             "repeat for several")


def parse_settings(entries: list[str], multilabel: bool = False) -> dict:
    """``["C=1", "char_ngrams=yes"]`` -> ``{"C": 1.0, "char_ngrams": True}``."""
    what = f"setting for a {'multi' if multilabel else 'single'}-label topic model"
    known = MULTILABEL_SEARCHABLE if multilabel else tuple(SEARCHABLE)
    settings = {}
    for entry in entries:
        name, value = _name_and_value(entry, what, "NAME=VALUE", known)
        settings.update(_pipeline_parameters({name: value}))
    return settings


def _pipeline_parameters(setting: dict) -> dict:
    parameters = {}
    for name, value in setting.items():
        try:
            parameters[name] = SEARCHABLE[name](value)
        except ValueError:
            raise ValueError(f"{name}={value!r} is not a valid value") from None
    return parameters


def _score_one(texts, topics, train, test, parameters):
    model = default_topic_pipeline(**parameters)
    model.fit([texts[i] for i in train], topics[train])
    predicted = model.predict([texts[i] for i in test])
    return (accuracy_score(topics[test], predicted),
            f1_score(topics[test], predicted, average="macro"))


def search_topics(data: pd.DataFrame, grid: dict, n_splits: int = 5, jobs: int = 2,
                  seed: int = 0) -> dict:
    """Cross-validated accuracy and macro-F1 of every combination in ``grid``."""
    if "topic" not in data.columns:
        raise ValueError("search works on single-label topic data (a 'topic' per document); "
                         "multi-label data is not supported yet")
    names = list(grid)
    settings = [dict(zip(names, values)) for values in itertools.product(*grid.values())]
    for setting in settings:  # refuse a bad value before any fitting
        _pipeline_parameters(setting)
    texts, topics = data["text"].tolist(), data["topic"].to_numpy()
    folds = list(StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
                 .split(texts, topics))
    started = time.time()
    tasks = [(s, fold) for s in range(len(settings)) for fold in range(n_splits)]
    scores = Parallel(n_jobs=jobs)(
        delayed(_score_one)(texts, topics, *folds[fold], _pipeline_parameters(settings[s]))
        for s, fold in tasks)
    results = []
    for s, setting in enumerate(settings):
        mine = [scores[i] for i, (owner, _) in enumerate(tasks) if owner == s]
        accuracy = [a for a, _ in mine]
        results.append({"setting": setting,
                        "accuracy": float(pd.Series(accuracy).mean()),
                        "accuracy_std": float(pd.Series(accuracy).std(ddof=0)),
                        "macro_f1": float(pd.Series([f for _, f in mine]).mean())})
    results.sort(key=lambda r: -r["accuracy"])
    return {"documents": len(texts), "cv": {"folds": n_splits, "stratified": True,
                                            "shuffle_seed": seed},
            "seconds": round(time.time() - started, 1), "best": results[0]["setting"],
            "results": results}
