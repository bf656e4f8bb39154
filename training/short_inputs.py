"""Short inputs: a story's headline and first paragraph, and nothing else.

Users often have no whole page: a feed item, an abstract, a headline and its
lead. Those lines are the article, so the line model must call them body,
and the topic must come from them. Measured on every BBC News story (which
the line models never train on): the page is the story's first line (its
headline) and its first paragraph.

* lines: the share of stories whose headline, lead, and both are body, and
  of stories left with no body at all (hence no topic);
* topics: by the topic model's own cross-validation folds (stratified,
  shuffled, seed 0, as ``training.topics.cross_validate_topics``), the
  topic read from what the line model kept of each held-out story, each
  fold's model abstaining as its training data says
  (``training.topics.choose_abstention``); the share answered (a body to
  read and a topic given), the reasons of the others, and the accuracy of
  those answered.

``python -m training evaluate short-inputs`` / ``make eval-short-inputs``.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold

from classifier.progress import say
from classifier.topics.abstention import NO_BODY, Abstention, topics_with_reasons
from classifier.topics.model import default_topic_pipeline

from .topics import DEFAULT_COVERAGE, choose_abstention


def headline_and_lead(story: str) -> tuple[str, str] | None:
    """The first non-blank line of a story and the paragraph after it (up
    to the next blank line), or ``None`` when there is no such paragraph."""
    lines = story.splitlines()
    at = next((i for i, line in enumerate(lines) if line.strip()), None)
    if at is None:
        return None
    headline = lines[at].strip()
    rest = lines[at + 1:]
    start = next((i for i, line in enumerate(rest) if line.strip()), None)
    if start is None:
        return None
    paragraph = []
    for line in rest[start:]:
        if not line.strip():
            break
        paragraph.append(line.strip())
    return headline, " ".join(paragraph)


def short_pages(data: pd.DataFrame) -> pd.DataFrame:
    """``headline``, ``lead`` and ``topic`` of each story with both."""
    rows = []
    for position, (text, topic) in enumerate(zip(data["text"], data["topic"])):
        parts = headline_and_lead(text)
        if parts is not None:
            rows.append({"position": position, "headline": parts[0], "lead": parts[1],
                         "topic": topic})
    return pd.DataFrame(rows, columns=["position", "headline", "lead", "topic"])


def evaluate_short_inputs(classifier, data: pd.DataFrame, extra: pd.DataFrame | None = None,
                          n_splits: int = 5, seed: int = 0, progress=say,
                          coverage: float = DEFAULT_COVERAGE, base: Abstention | None = None,
                          **settings) -> dict:
    """The report described in the module docstring. ``classifier`` gives
    the line labels (``predict_many``; its topic model is not used);
    ``data`` is single-label topic data whose documents start with a
    headline (BBC News); ``extra`` and ``settings`` as for the topic model's
    training; ``coverage`` and ``base`` as for ``choose_abstention``."""
    started = time.time()
    stories = short_pages(data)
    if stories.empty:
        raise ValueError("no document has a headline followed by a paragraph")
    pages = [f"{headline}\n{lead}" for headline, lead in zip(stories["headline"],
                                                               stories["lead"])]
    results = classifier.predict_many_as_dicts(pages)
    labels = [[line["label"] for line in page["lines"]] for page in results]
    headline_body = np.array([page[0] == "body" for page in labels])
    lead_body = np.array([page[-1] == "body" for page in labels])
    bodies = [page["body"] for page in results]
    answered = np.array([bool(body.strip()) for body in bodies])

    # The topic model's CV folds over all the data; each held-out story's
    # topic read from its short body by the fold's model.
    texts, topics = data["text"].tolist(), data["topic"].to_numpy()
    fold_of = np.empty(len(texts), dtype=np.int64)
    splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    for fold, (_, test) in enumerate(splitter.split(texts, topics)):
        fold_of[test] = fold
    extra_texts = [] if extra is None else extra["text"].tolist()
    extra_topics = [] if extra is None else extra["topic"].tolist()
    predicted = np.full(len(stories), None, dtype=object)
    reasons = np.full(len(stories), NO_BODY, dtype=object)
    story_fold = fold_of[stories["position"].to_numpy()]
    pipeline = default_topic_pipeline(**settings)
    for fold in range(n_splits):
        train = np.flatnonzero(fold_of != fold)
        train_data = data.iloc[train][["text", "topic"]]
        abstention = choose_abstention(train_data, extra, coverage, base, **settings)
        model = clone(pipeline).fit([texts[i] for i in train] + extra_texts,
                                    list(topics[train]) + extra_topics)
        rows = np.flatnonzero((story_fold == fold) & answered)
        if len(rows):
            short = [bodies[i] for i in rows]
            probabilities, _, reasons[rows] = topics_with_reasons(model, abstention, short)
            predicted[rows] = model.classes_[probabilities.argmax(axis=1)]
        progress(f"topic fold {fold + 1}/{n_splits} done")
    right = np.array([p == t for p, t in zip(predicted, stories["topic"])])
    given = np.array([reason is None for reason in reasons])
    return {
        "stories": int(len(stories)),
        "lines": {"headline_body": float(headline_body.mean()),
                  "lead_body": float(lead_body.mean()),
                  "both_body": float((headline_body & lead_body).mean()),
                  "no_body": float((~answered).mean())},
        "topics": {"answered": float(given.mean()),
                   "accuracy_answered": float(right[given].mean()) if given.any()
                   else float("nan"),
                   "accuracy_with_a_body": float(right[answered].mean()) if answered.any()
                   else float("nan"),
                   "reasons": {str(reason): float(np.mean(reasons == reason))
                               for reason in sorted(set(reasons) - {None})},
                   "coverage_setting": coverage,
                   "cv": {"folds": n_splits, "stratified": True, "shuffle_seed": seed,
                          "extra_training_documents": len(extra_texts)},
                   "settings": settings},
        "examples_missed": [{"headline": stories["headline"].iloc[i],
                             "labels": labels[i]}
                            for i in np.flatnonzero(~(headline_body & lead_body))[:10]],
        "seconds": round(time.time() - started, 1),
    }
