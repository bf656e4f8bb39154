"""Leave-one-corpus-out evaluation, corpus weights, short training pages,
peers' cached outputs and the short-input measure, on synthetic data."""

from __future__ import annotations

import json
import os
import random
import re

import numpy as np
import pandas as pd
import pytest
from conftest import synthetic_page, write_page_folder

from training import generalisation, peers
from training.augment import LEAD_WORDS, MAX_SHORT_LINES, SENTENCE_WORDS, with_short_pages
from training.datasets import corpus_of, load_line_data
from training.lines import corpus_weights, fit_line_model
from training.short_inputs import evaluate_short_inputs, headline_and_lead


@pytest.fixture(scope="module")
def two_corpora(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpora")
    return [write_page_folder(root / "corpus-a", 10, seed=0),
            write_page_folder(root / "corpus-b", 10, seed=100)]


@pytest.fixture(scope="module")
def line_files(tmp_path_factory):
    """Labelled-line files named as the Turku lines are: xx-train, xx-dev, yy-train."""
    root = tmp_path_factory.mktemp("turku")
    rng = random.Random(3)
    paths = []
    for name in ("xx-train", "xx-dev", "yy-train"):
        rows = []
        for doc in range(6):
            _, gold = synthetic_page(rng.randint(0, 10 ** 6))
            for number, line in enumerate(["Home | Login", *gold.splitlines(), "Share this"]):
                label = "boilerplate" if number == 0 or "|" in line or line == "Share this" \
                    else "body"
                rows.append({"doc_id": f"{name}-{doc}", "line_no": number, "text": line,
                             "label": label})
        path = root / f"{name}.jsonl"
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
        paths.append(path)
    return paths


def test_corpora_are_named_by_their_sets():
    assert corpus_of("cleaneval-dev") == corpus_of("cleaneval-final") == "cleaneval"
    assert corpus_of("dragnet") == "dragnet"
    assert corpus_of("fi-train") == corpus_of("en-dev") == "turku"
    assert corpus_of("my-pages") == "my-pages"


def test_corpus_weights_give_every_corpus_its_share():
    lines = pd.DataFrame({"set": ["dragnet"] * 90 + ["cleaneval-dev"] * 6 + ["cleaneval-final"] * 4})
    assert corpus_weights(lines, "none") is None
    weights = corpus_weights(lines, "corpus")
    assert weights.mean() == pytest.approx(1.0)
    assert weights[:90].sum() == pytest.approx(weights[90:].sum())
    root = corpus_weights(lines, "sqrt")
    assert root[:90].sum() / root[90:].sum() == pytest.approx(np.sqrt(90 / 10))
    with pytest.raises(ValueError, match="weighting must be one of"):
        corpus_weights(lines, "pages")


def test_line_files_weigh_as_asked_beside_the_page_corpora():
    # Page-folder lines carry DOM facts; labelled-line files' lines do not.
    lines = pd.DataFrame({"set": ["dragnet"] * 60 + ["l3s-gn1"] * 20 + ["en-train"] * 20,
                          "tag": ["p"] * 80 + [None] * 20})
    as_a_corpus = corpus_weights(lines, "corpus", line_files_weight=1)
    assert as_a_corpus[80:].sum() == pytest.approx(as_a_corpus[60:80].sum())
    halved = corpus_weights(lines, "corpus", line_files_weight=0.5)
    assert halved.mean() == pytest.approx(1.0)
    assert halved[80:].sum() == pytest.approx(0.5 * halved[60:80].sum())
    assert halved[:60].sum() == pytest.approx(halved[60:80].sum())
    left_out = corpus_weights(lines, "none", line_files_weight=0)
    assert (left_out[80:] == 0).all() and left_out[:80] == pytest.approx(np.full(80, 100 / 80))
    assert corpus_weights(lines, "none", line_files_weight=1) is None
    # The default leaves them out beside page corpora (training/lines.py).
    assert (corpus_weights(lines, "corpus")[80:] == 0).all()
    # Line files alone (a model trained on CSVs only) weigh as any corpus.
    alone = corpus_weights(lines[80:], "corpus", line_files_weight=0)
    assert alone == pytest.approx(np.ones(20))
    with pytest.raises(ValueError, match="line_files_weight must be"):
        corpus_weights(lines, "corpus", line_files_weight=-1)


def test_short_pages_are_cut_from_each_page_with_their_labels(page_folder):
    lines = load_line_data([page_folder], cache_dir=None, show_progress=False)
    augmented = with_short_pages(lines)
    assert augmented.iloc[:len(lines)].equals(lines)  # the pages themselves, unchanged
    short = augmented.iloc[len(lines):]
    kinds = short["page"].str.rpartition("#")[2]
    assert {"lead", "paragraph", "chrome"} <= set(kinds) <= {"lead", "paragraph", "sentence",
                                                              "chrome", "chrome-sentence"}
    for key, page in short.groupby("page", sort=False):
        source = lines[lines["page"] == key.rpartition("#")[0]]
        assert 1 <= len(page) <= MAX_SHORT_LINES
        # Every line is a line of its page, with its label.
        labelled = dict(zip(source["text"], source["label"]))
        assert all(labelled[text] == label for text, label in zip(page["text"], page["label"]))
        kind = key.rpartition("#")[2]
        last = page["text"].iloc[-1].strip()
        if kind == "chrome":
            assert set(page["label"]) == {"boilerplate"}
        elif kind in ("sentence", "chrome-sentence"):
            assert list(page["label"]) == ["body" if kind == "sentence" else "boilerplate"]
            assert SENTENCE_WORDS <= len(re.findall(r"\w+", last)) < LEAD_WORDS
            assert last.rstrip("\"'”’)]»")[-1] in ".!?…"
        else:
            assert set(page["label"]) == {"body"}
            assert (len(last.split()) >= LEAD_WORDS
                    or (len(page) > 1 and last.rstrip("\"'”’)]»")[-1] in ".!?…"))
    # Each short page's lines are together (the line model's page runs).
    keys = augmented["page"].to_numpy()
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    assert len(starts) == len(set(keys))


def test_a_short_sentence_ends_a_lead_and_is_a_short_page_of_its_own():
    from training.augment import short_page_rows

    page = pd.DataFrame({"page": "p",
                         "label": ["boilerplate", "body", "body", "body", "body", "boilerplate"],
                         "text": ["Home | News",
                                  "Children's tsar appointed.",  # a headline, ending a sentence
                                  "The first children's commissioner has been appointed.",
                                  " ".join(["word"] * 20) + ".",
                                  "Too short.",
                                  "Sign up for our newsletter today."]})
    augmented = with_short_pages(page)
    short = {key.rpartition("#")[2]: rows["text"].tolist()
             for key, rows in augmented.iloc[len(page):].groupby("page", sort=False)}
    assert short["lead"] == page["text"][1:3].tolist()  # the headline, then the sentence
    assert short["sentence"] == [page["text"][2]]
    assert short["paragraph"] == [page["text"][3]]
    assert short["chrome-sentence"] == [page["text"][5]]  # lone sentences are not all body
    # Without sentence marks, a lead still ends at the first long line.
    rows = short_page_rows(page["label"].to_numpy(), np.array([2, 3, 7, 20, 2, 6]),
                           np.array([0, 6]))
    assert [kind for kind, _ in rows] == ["lead", "paragraph", "chrome"]
    assert rows[0][1].tolist() == [1, 2, 3]


def test_each_corpus_is_scored_by_models_that_never_saw_it(two_corpora, line_files):
    pages = load_line_data(two_corpora, cache_dir=None, show_progress=False)
    extra = load_line_data(line_files, cache_dir=None, show_progress=False)
    extra["language"] = extra["set"].map(generalisation.language_of)
    extra["train_language"] = extra["set"].str.partition("-")[0]
    tasks = generalisation._tasks(pages, extra, ("text", "html"), ["corpus-a", "corpus-b"],
                                  line_files_weight=1)
    named = {what: (kind, train, test) for what, kind, train, test in tasks}
    for kind in ("text", "html"):
        for corpus, other in (("corpus-a", "corpus-b"), ("corpus-b", "corpus-a")):
            _, train, test = named[(kind, corpus)]
            assert set(test["set"]) == {corpus}
            assert corpus not in set(train["set"]) and other in set(train["set"])
            # Line files train the text model only, and dev files are never trained on.
            assert ("xx-train" in set(train["set"])) == (kind == "text")
            assert "xx-dev" not in set(train["set"])
    _, train, test = named[("turku", "xx")]
    assert set(test["set"]) == {"xx-dev"} and "xx-train" not in set(train["set"])
    assert {"yy-train", "corpus-a", "corpus-b"} <= set(train["set"])
    _, train, test = named[("turku", "all")]
    assert {"xx-train", "yy-train"} <= set(train["set"]) and set(test["set"]) == {"xx-dev"}
    # Line files that weigh nothing: one model scores every language.
    weightless = generalisation._tasks(pages, extra, ("text",), ["corpus-a", "corpus-b"],
                                       line_files_weight=0)
    assert [what for what, *_ in weightless if what[0] == "turku"] == [("turku", "all")]


def test_the_generalisation_report_scores_every_corpus_and_language(two_corpora, line_files,
                                                                   monkeypatch):
    # A peer that copies the gold text scores 1.0 everywhere; its outputs
    # are the same on every run.
    gold = generalisation.page_gold(two_corpora)
    by_path = {str(path): text for _, path, text in gold.values()}
    monkeypatch.setattr(generalisation, "peer_extractors",
                        lambda names: {"oracle": lambda data: "", "gold": None})

    def fake_outputs(name, extract, pages, cache_dir, show_progress=True):
        text = (lambda key: by_path[str(pages[key])]) if name == "gold" else (lambda key: "")
        return {key: (text(key), False) for key in pages}
    monkeypatch.setattr(generalisation, "peer_outputs", fake_outputs)
    report = generalisation.evaluate_generalisation(two_corpora, line_files, kinds=("text",),
                                                    peers=("gold",), jobs=1, short_pages=True)
    assert set(report["corpora"]) == {"corpus-a", "corpus-b"}
    for entry in report["corpora"].values():
        assert entry["pages"] == 10
        assert entry["extractors"]["gold"]["f1"] == pytest.approx(1.0)
        assert entry["extractors"]["oracle"]["f1"] == 0.0
        assert 0.5 < entry["extractors"]["ours (text)"]["f1"] <= 1.0
    ours = [report["corpora"][c]["extractors"]["ours (text)"]["f1"] for c in report["corpora"]]
    assert report["macro"]["ours (text)"]["f1"] == pytest.approx(np.mean(ours))
    assert set(report["turku"]) == {"xx"}
    # (With the default weight, 0, the line files train nothing: one model.)
    assert report["turku"]["xx"]["left_out"] == report["turku"]["xx"]["all"]
    # The labels' own score: the body lines by label, per corpus, against
    # the gold (the fixtures' labels are exact, so nearly 1).
    ceiling = report["label_ceiling"]
    assert set(ceiling) == {"corpus-a", "corpus-b", "macro"}
    assert ceiling["macro"] == pytest.approx(np.mean([ceiling["corpus-a"], ceiling["corpus-b"]]))
    for corpus in ("corpus-a", "corpus-b"):
        assert ceiling[corpus] >= report["corpora"][corpus]["extractors"]["ours (text)"]["f1"]
    table = generalisation.markdown_table(report)
    assert "| ours (text) |" in table and "| xx | " in table
    assert f"| {ceiling['corpus-a']:.3f} | {ceiling['corpus-b']:.3f} |" in table
    # Every held-out page line's score is kept, and is what the page F1 read.
    scores = report["line_scores"]
    pages = load_line_data(two_corpora, cache_dir=None, show_progress=False)
    assert len(scores) == len(pages) and set(scores["kind"]) == {"text"}
    assert sorted(zip(scores["page"], scores["line_no"])) == sorted(zip(pages["page"],
                                                                         pages["line_no"]))
    assert scores["score"].between(0, 1).all()
    for page, lines in scores.groupby("page"):
        body = "\n".join(lines.sort_values("line_no").query("score >= 0.5")["text"])
        assert report["page_f1"][page]["ours (text)"] == pytest.approx(
            generalisation._page_f1(body, gold[page][2]), abs=1e-4)


def test_held_out_html_lines_keep_containers_no_two_pages_share(two_corpora, monkeypatch):
    # (No fit: every line scores 0.9; what is checked is the bookkeeping.)
    monkeypatch.setattr(generalisation, "_fit_and_score",
                        lambda train, test, kind, options, one_thread: np.full(len(test), 0.9))
    report = generalisation.evaluate_generalisation(two_corpora, kinds=("text", "html"),
                                                    peers=(), jobs=1)
    scores = report["line_scores"]
    html = scores[scores["kind"] == "html"]
    assert (scores.loc[scores["kind"] == "text", "container"] == -1).all()
    assert (html["container"] >= 0).all()
    assert html.groupby("container")["page"].nunique().max() == 1
    # Both corpora's pages have containers, numbered on across the folds.
    assert html.groupby(html["page"].str.split("/").str[0])["container"].min().nunique() == 2


def test_held_out_html_scores_are_blended_with_the_text_models_of_the_same_fold(
        two_corpora, monkeypatch):
    # (No fit: the text model scores 0.2 and the HTML model 0.9 in the fold
    # leaving out corpus-a, 0.4 and 0.6 in the other; what is checked is
    # which scores meet.)
    fold_scores = {("text", "corpus-a"): 0.2, ("html", "corpus-a"): 0.9,
                   ("text", "corpus-b"): 0.4, ("html", "corpus-b"): 0.6}

    def fake_fit(train, test, kind, options, one_thread):
        corpus = test["page"].iloc[0].split("/")[0]
        return np.full(len(test), fold_scores[kind, corpus])

    monkeypatch.setattr(generalisation, "_fit_and_score", fake_fit)
    report = generalisation.evaluate_generalisation(two_corpora, kinds=("text", "html"),
                                                    peers=(), jobs=1, html_weight=0.75)
    assert report["html_weight"] == 0.75
    assert "HTML model's scores weighing 0.75" in generalisation.markdown_table(report)
    scores = report["line_scores"]
    corpus = scores["page"].str.split("/").str[0]
    for (kind, name), score in fold_scores.items():
        rows = scores[(scores["kind"] == kind) & (corpus == name)]
        assert len(rows) and np.allclose(rows["model_score"], score)
        blended = 0.75 * score + 0.25 * fold_scores["text", name] if kind == "html" else score
        assert np.allclose(rows["score"], blended)
    # Without the text kind, the HTML model alone.
    report = generalisation.evaluate_generalisation(two_corpora, kinds=("html",), peers=(),
                                                    jobs=1)
    assert report["html_weight"] == 1.0
    assert np.allclose(report["line_scores"]["score"], report["line_scores"]["model_score"])
    fits = []
    monkeypatch.setattr(generalisation, "_fit_and_score", lambda *args: fits.append(args))
    with pytest.raises(ValueError, match="between 0 and 1"):
        generalisation.evaluate_generalisation(two_corpora, peers=(), html_weight=1.5)
    assert fits == []  # refused before any fit


def test_peer_outputs_are_kept_per_file_and_failures_counted(tmp_path, capsys):
    pages = {}
    for number in range(3):
        path = tmp_path / f"{number}.html"
        path.write_bytes(f"<p>page {number}</p>".encode())
        pages[f"s/{number}"] = path
    calls = []

    def extract(data):
        calls.append(data)
        print("a peer's chatter on stdout")
        if b"page 2" in data:
            raise RuntimeError("broken page")
        return data.decode().upper()

    first = peers.peer_outputs("trafilatura", extract, pages, tmp_path / "cache",
                               show_progress=False)
    assert first["s/0"] == ("<P>PAGE 0</P>", False) and first["s/2"] == ("", True)
    assert "chatter" not in capsys.readouterr().out
    again = peers.peer_outputs("trafilatura", extract, pages, tmp_path / "cache",
                               show_progress=False)
    assert again == first and len(calls) == 3  # nothing run twice
    os.utime(pages["s/1"], (0, 0))  # the same bytes, copied afresh
    assert peers.peer_outputs("trafilatura", extract, pages, tmp_path / "cache",
                              show_progress=False) == first and len(calls) == 3
    pages["s/0"].write_bytes(b"<p>changed page</p>")
    changed = peers.peer_outputs("trafilatura", extract, pages, tmp_path / "cache",
                                 show_progress=False)
    assert changed["s/0"] == ("<P>CHANGED PAGE</P>", False) and len(calls) == 4


def test_headline_and_lead_are_the_first_line_and_paragraph():
    story = "Council votes on tram line\n\nThe city council voted on Tuesday\nto build it.\n\nMore."
    assert headline_and_lead(story) == ("Council votes on tram line",
                                        "The city council voted on Tuesday to build it.")
    assert headline_and_lead("Only a headline\n\n") is None
    assert headline_and_lead("   \n") is None


def test_short_inputs_report_lines_and_topics(trained_models):
    import classifier

    clf = classifier.load(trained_models, trusted=True, topics=False)
    rng = random.Random(5)
    rows = []
    for topic, words in (("politics", "minister election vote party".split()),
                         ("sport", "match team season player".split())):
        for _ in range(10):
            headline = " ".join(rng.choice(words) for _ in range(5)).capitalize()
            lead = " ".join(rng.choice(words + ["the", "of", "and"]) for _ in range(30))
            rows.append({"text": f"{headline}\n\n{lead.capitalize()}.\n\nMore text.",
                         "topic": topic})
    report = evaluate_short_inputs(clf, pd.DataFrame(rows), n_splits=2, min_df=1,
                                   progress=lambda message: None)
    assert report["stories"] == 20
    for value in (*report["lines"].values(), report["topics"]["answered"]):
        assert 0.0 <= value <= 1.0
    # Every story is answered, or has no body, or the topic model abstained.
    topics = report["topics"]
    assert topics["answered"] + sum(topics["reasons"].values()) == pytest.approx(1.0)
    assert topics["reasons"].get("no body", 0.0) == pytest.approx(report["lines"]["no_body"])


def test_corpus_weighted_training_fits(page_folder):
    lines = load_line_data([page_folder], cache_dir=None, show_progress=False)
    lines.loc[lines.index[:600], "set"] = "other"
    model = fit_line_model(lines, progress=lambda message: None, weighting="corpus",
                           short_pages=True)
    scores = model.body_proba(lines[["text", "page"]])
    assert ((scores >= 0.5) == (lines["label"] == "body")).mean() > 0.9


def test_line_files_that_weigh_nothing_are_not_trained_on(page_folder, line_files):
    pages = load_line_data([page_folder], cache_dir=None, show_progress=False)
    both = load_line_data([page_folder, *line_files], cache_dir=None, show_progress=False)
    quiet = {"progress": lambda message: None, "short_pages": False}
    alone = fit_line_model(pages, **quiet)
    beside = fit_line_model(both, line_files_weight=0, **quiet)
    weighed = fit_line_model(both, line_files_weight=1, **quiet)
    probe = pages[["text", "page"]]
    assert np.array_equal(alone.body_proba(probe), beside.body_proba(probe))
    assert not np.array_equal(alone.body_proba(probe), weighed.body_proba(probe))


def test_the_generalisation_command_keeps_page_f1_and_line_scores_in_the_cache(two_corpora,
                                                                               tmp_path):
    from training.__main__ import main

    report, cache = tmp_path / "loco.json", tmp_path / "cache"
    assert main(["evaluate", "generalisation", "--data", *map(str, two_corpora),
                 "--kinds", "html", "--peers", "none", "--report", str(report),
                 "--cache", str(cache)]) == 0
    assert set(json.loads(report.read_text())["corpora"]) == {"corpus-a", "corpus-b"}
    assert "| ours (html) |" in report.with_suffix(".md").read_text()
    page_f1 = json.loads((cache / "loco-page-f1.json").read_text())
    scores = pd.read_parquet(cache / "loco-line-scores.parquet")
    assert set(scores["page"]) == set(page_f1) and set(scores["kind"]) == {"html"}


def test_the_random_state_of_the_fits_is_an_option_and_changes_the_scores(two_corpora,
                                                                           tmp_path):
    # (Runs with several random states tell what refitting alone moves.)
    from training.__main__ import main

    scores = {}
    for state in ("0", "7"):
        report, cache = tmp_path / f"loco-{state}.json", tmp_path / "cache"
        assert main(["evaluate", "generalisation", "--data", *map(str, two_corpora),
                     "--kinds", "text", "--peers", "none", "--random-state", state,
                     "--report", str(report), "--cache", str(cache)]) == 0
        assert json.loads(report.read_text())["parameters"]["random_state"] == state
        assert "ours (html)" not in report.with_suffix(".md").read_text()  # (text only)
        scores[state] = pd.read_parquet(cache / f"loco-{state}-line-scores.parquet")["score"]
    assert not np.allclose(scores["0"], scores["7"])
