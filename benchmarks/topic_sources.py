"""The BBC topics off BBC: what training on other sources too does.

    python benchmarks/topic_sources.py [--topics FOLDER] [--per-topic 100 200 400]
                                       [--setting NAME=VALUE ...]
    make bench-topic-sources        (with the shipped model's settings)

The default topic model has BBC News' five topics. Trained on BBC alone it
learns BBC's newsroom as much as the topics; this measures, for topic
models trained on

* BBC only,
* BBC + ``N`` politics posts from 20 Newsgroups only (one topic gets another
  source: a style shortcut, shown for contrast),
* BBC + ``N`` documents per topic from the other sources
  (``training/other_sources.py``: 20 Newsgroups politics / sport / tech
  groups, Reuters-21578 stories as business), for each ``--per-topic``,

four figures:

* **BBC**: stratified 5-fold CV accuracy on BBC (the extra documents join
  every training fold and are never scored; seed 0, as ``make eval``);
* **20 Newsgroups bydate test split** (headers, signatures and quotes
  removed; posts of 20+ words): the share of ``talk.politics.*`` posts
  classified politics, of ``rec.sport.*`` posts sport, of ``comp.*`` posts
  tech (recall of the mapped groups);
* **Reuters-21578 ModApte test split**: the share of stories classified
  business (all of them are business and economic news wires).

The extra documents come from the *training* splits only. For the rows
with extra documents, the 20 Newsgroups and Reuters figures are on later
documents (test splits) of the sources they were trained on; for "BBC
only" they are on sources never seen. Writes
``reports/bench-topic-sources.{json,md}``.
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

from benchmarks.common import SHARED_DATA, write_report  # noqa: E402
from classifier.progress import say  # noqa: E402
from training.corpora import read_20newsgroups, read_bbc, read_reuters_modapte  # noqa: E402
from training.other_sources import (NEWSGROUP_TOPICS, REUTERS_TOPIC,  # noqa: E402
                                    draw_per_topic, other_source_pool)
from training.search import add_setting_option, parse_settings  # noqa: E402
from training.topics import cross_validate_topics, fit_topic_model  # noqa: E402

MIN_TEST_WORDS = 20


def held_out_sets(root: Path) -> dict:
    """Test-split documents of the other sources, with the BBC topic they
    belong to."""
    posts = read_20newsgroups(root / "20newsgroups", "test", strip=True)
    posts = posts[posts["topic"].isin(NEWSGROUP_TOPICS)]
    posts = posts[posts["text"].str.split().str.len() >= MIN_TEST_WORDS]
    stories = read_reuters_modapte(root / "reuters21578")
    stories = stories[stories["split"] == "test"]
    sets = {f"20newsgroups {topic}": posts.loc[posts["topic"].map(NEWSGROUP_TOPICS) == topic,
                                               "text"].tolist()
            for topic in sorted(set(NEWSGROUP_TOPICS.values()))}
    sets[f"reuters {REUTERS_TOPIC}"] = stories["text"].tolist()
    return sets


def measure(bbc: pd.DataFrame, extra: pd.DataFrame | None, held_out: dict,
            settings: dict) -> dict:
    started = time.perf_counter()
    cv = cross_validate_topics(bbc, 5, seed=0, progress=lambda message: None, extra=extra,
                               **settings)
    model = fit_topic_model(bbc, extra=extra, **settings)
    result = {"bbc_cv_accuracy": round(cv["accuracy"], 4),
              "extra_documents": 0 if extra is None else int(len(extra))}
    for name, texts in held_out.items():
        topic = name.split()[-1]
        result[name] = round(float(np.mean(model.predict(texts) == topic)), 3)
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def markdown(report: dict) -> str:
    names = report["held_out_sizes"]
    settings = " ".join(f"{name}={value}" for name, value in report["settings"].items())
    lines = [f"Measured {report['measured']} ({report['machine']}); topic pipeline settings: "
             f"{settings or 'the defaults'}. BBC: 5-fold CV accuracy; "
             "other columns: share of the held-out documents given their topic.", "",
             "| training data | BBC CV accuracy | " + " | ".join(
                 f"{name} ({size})" for name, size in names.items()) + " |",
             "|---|---:|" + "---:|" * len(names)]
    for row in report["rows"]:
        lines.append(f"| {row['training']} | {row['bbc_cv_accuracy']:.4f} | "
                     + " | ".join(f"{row[name]:.3f}" for name in names) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--topics", default=str(SHARED_DATA / "topics"),
                        help="folder with bbc/, 20newsgroups/, reuters21578/")
    parser.add_argument("--per-topic", type=int, nargs="+", default=[100, 200, 400])
    add_setting_option(parser)  # make passes the shipped model's settings
    parser.add_argument("--out", default=str(ROOT / "reports" / "bench-topic-sources"))
    args = parser.parse_args(argv)
    try:
        settings = parse_settings(args.setting)
    except ValueError as error:
        parser.error(str(error))
    root = Path(args.topics)
    bbc = read_bbc(root / "bbc")
    held_out = held_out_sets(root)
    runs = [("BBC only", None)]
    pool = other_source_pool(root)
    first = draw_per_topic(pool, per_topic=args.per_topic[0])
    runs.append((f"BBC + {args.per_topic[0]} politics posts only",
                 first[first["topic"] == "politics"]))
    for per_topic in args.per_topic:
        runs.append((f"BBC + {per_topic} per topic from other sources",
                     draw_per_topic(pool, per_topic=per_topic)))
    rows = []
    for name, extra in runs:
        say(f"{name}...")
        rows.append({"training": name, **measure(bbc, extra, held_out, settings)})
    report = {"measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "machine": f"{platform.machine()}, Python {platform.python_version()}",
              "settings": settings,
              "held_out_sizes": {name: len(texts) for name, texts in held_out.items()},
              "rows": rows}
    write_report(Path(args.out), report, markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
