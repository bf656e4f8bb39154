"""Extra training documents from other sources for the BBC topics, and
training / cross-validation with documents that are never scored."""

import json
import random
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT
from test_topics import _story
from training.__main__ import main
from training.other_sources import MIN_WORDS, other_source_documents
from training.topics import cross_validate_topics, fit_topic_model

VOCABULARY = {"talk.politics.misc": "senate vote congress bill", "rec.sport.hockey": "goal puck ice rink",
              "comp.graphics": "pixel render image shader", "sci.space": "orbit probe launch moon"}


def _post(words: str, rng: random.Random) -> str:
    body = " ".join(rng.choice(words.split() + ["the", "and", "of"]) for _ in range(MIN_WORDS + 5))
    return f"From: a@b.edu\nSubject: x\n\n{body}\n"


def write_sources(root: Path, posts_per_group: int = 6, stories: int = 6) -> Path:
    rng = random.Random(0)
    for split in ("train", "test"):
        for group, words in VOCABULARY.items():
            folder = root / "20newsgroups" / f"20news-bydate-{split}" / group
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(posts_per_group):
                (folder / str(i)).write_text(_post(words, rng))
            (folder / "short").write_text("From: a@b.edu\n\ntoo short to count\n")
    body = " ".join(["wheat prices rose as exports grew"] * 10)
    sgml = "".join(_story(n, split, ["wheat"], "WHEAT", body)
                   for n, split in enumerate(["TRAIN"] * stories + ["TEST"] * 2))
    (root / "reuters21578").mkdir(parents=True)
    (root / "reuters21578" / "reut2-000.sgm").write_text(sgml)
    return root


def test_other_sources_give_the_same_number_of_documents_per_topic(tmp_path):
    root = write_sources(tmp_path)
    documents = other_source_documents(root, per_topic=4)
    assert documents["topic"].value_counts().to_dict() == {
        "business": 4, "politics": 4, "sport": 4, "tech": 4}  # sci.space maps to none
    assert (documents["text"].str.split().str.len() >= MIN_WORDS).all()
    politics = documents[documents["topic"] == "politics"]
    assert politics["source"].eq("20newsgroups/talk.politics.misc").all()
    assert "From:" not in politics["text"].iloc[0]  # headers stripped
    assert documents["source"].str.startswith("reuters21578/").sum() == 4
    # Seeded: the same documents every time; another seed draws others.
    assert documents.equals(other_source_documents(root, per_topic=4))
    assert not documents.equals(other_source_documents(root, per_topic=4, seed=1))


def test_other_sources_refuse_what_they_cannot_give(tmp_path):
    root = write_sources(tmp_path)
    with pytest.raises(ValueError, match="only 6 business documents"):
        other_source_documents(root, per_topic=7)
    with pytest.raises(ValueError, match="no such folder"):
        other_source_documents(tmp_path / "nowhere")
    # A bad count is refused before any corpus is read (none exists here).
    for bad in (0, -3, 2.5):
        with pytest.raises(ValueError, match="per_topic must be a positive integer"):
            other_source_documents(tmp_path / "nowhere", per_topic=bad)


def _documents(topics: dict, copies: int) -> pd.DataFrame:
    rng = random.Random(1)
    rows = [(" ".join(rng.choice(words.split()) for _ in range(12)), topic)
            for topic, words in topics.items() for _ in range(copies)]
    return pd.DataFrame(rows, columns=["text", "topic"])


def test_extra_documents_are_trained_on_but_never_scored():
    data = _documents({"sport": "match team goal coach", "tech": "software chip phone data"}, 10)
    extra = _documents({"politics": "senate vote minister party"}, 6)
    report = cross_validate_topics(data, 5, progress=lambda message: None, extra=extra)
    assert report["documents"] == len(data) and set(report["topics"]) == {"sport", "tech"}
    assert report["cv"]["extra_training_documents"] == 6
    assert fit_topic_model(data, extra=extra).predict(["senate vote party"])[0] == "politics"
    with pytest.raises(ValueError, match="single-label"):
        cross_validate_topics(data.assign(topics=[("sport",)] * len(data)).drop(columns="topic"),
                              extra=extra)


def test_training_with_extra_documents_from_the_command_line(tmp_path, topic_table, capsys):
    sources = write_sources(tmp_path / "topics")
    extra = tmp_path / "other-sources.jsonl"
    assert main(["other-sources", "--topics", str(sources), "--out", str(extra),
                 "--per-topic", "3"]) == 0
    written = pd.read_json(extra, lines=True)
    assert len(written) == 12 and set(written.columns) == {"text", "topic", "source"}

    models = tmp_path / "models"
    assert main(["topics", "--data", str(topic_table), "--extra-training", str(extra),
                 "--out", str(models), "--cv", "3"]) == 0
    entry = json.loads((models / "manifest.json").read_text())["models"]["topic_model"]
    assert entry["training_data"]["extra_training"]["documents"] == 12
    assert entry["metrics"]["documents"] == 45  # the table's documents only are scored
    assert entry["metrics"]["cv"]["extra_training_documents"] == 12

    report = tmp_path / "eval.json"
    assert main(["evaluate", "topics", "--data", str(topic_table), "--extra-training", str(extra),
                 "--cv", "3", "--report", str(report)]) == 0
    assert json.loads(report.read_text())["data"]["extra_training"] == [str(extra)]

    multilabel = tmp_path / "multilabel.csv"  # refused, nothing written
    pd.DataFrame({"text": ["oil prices", "wheat crop", "oil and wheat"] * 4,
                  "topics": ["crude", "grain", "crude|grain"] * 4}).to_csv(multilabel, index=False)
    assert main(["topics", "--data", str(multilabel), "--extra-training", str(extra),
                 "--out", str(tmp_path / "refused")]) == 2
    assert "single-label" in capsys.readouterr().err
    assert not (tmp_path / "refused").exists()


def test_topic_sources_benchmark_writes_its_table(tmp_path):
    root = write_sources(tmp_path / "topics", posts_per_group=8, stories=8)
    rng = random.Random(2)
    for topic, words in {"politics": "minister party election", "sport": "match team league",
                         "tech": "software phone internet", "business": "shares profit bank",
                         "entertainment": "film music actor"}.items():
        (root / "bbc" / topic).mkdir(parents=True)
        for i in range(6):
            (root / "bbc" / topic / f"{i}.txt").write_text(
                " ".join(rng.choice(words.split()) for _ in range(30)))
    out = tmp_path / "sources"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "topic_sources.py"),
                           "--topics", str(root), "--per-topic", "2", "4", "--out", str(out),
                           "--setting", "common_words=yes"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(Path(f"{out}.json").read_text())
    assert [row["training"] for row in report["rows"]] == [
        "BBC only", "BBC + 2 politics posts only", "BBC + 2 per topic from other sources",
        "BBC + 4 per topic from other sources"]
    assert [row["extra_documents"] for row in report["rows"]] == [0, 2, 8, 16]
    for row in report["rows"]:
        assert 0 <= row["bbc_cv_accuracy"] <= 1 and 0 <= row["reuters business"] <= 1
    assert report["held_out_sizes"]["reuters business"] == 2
    assert report["settings"] == {"common_words": True}
    table = Path(f"{out}.md").read_text()
    assert "| BBC only |" in table and "settings: common_words=True" in table
