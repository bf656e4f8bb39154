"""Retraining from the command line on small synthetic data."""

import json
import os

import pandas as pd
import pytest

import classifier
from classifier.errors import DataError
from training.__main__ import main
from training.datasets import labelled_line_file, load_line_data

from conftest import synthetic_page, write_page_folder


def test_trained_folder_has_manifest_with_hashes_metrics_and_versions(trained_models):
    manifest = json.loads((trained_models / "manifest.json").read_text())
    for name in ("line_model", "topic_model"):
        entry = manifest["models"][name]
        assert (trained_models / entry["file"]).stat().st_size == entry["bytes"]
        assert len(entry["sha256"]) == 64
        assert entry["versions"]["scikit-learn"]
        assert entry["created"]
    topic = manifest["models"]["topic_model"]
    assert topic["metrics"]["accuracy"] > 0.9
    assert topic["training_data"]["topics"] == {"politics": 15, "sport": 15, "tech": 15}
    assert manifest["models"]["line_model"]["training_data"]["pages"] == 30


def test_retrained_models_separate_body_from_template(trained_models):
    clf = classifier.load(trained_models, trusted=True)
    html, gold = synthetic_page(seed=999)  # a page not in the training folder
    page = clf.predict_html(html)
    body_lines = set(gold.splitlines())
    labels = {line.text: line.label for line in page.lines}
    assert all(labels[text] == "body" for text in body_lines)
    assert labels["Related"] == "boilerplate"
    assert any(line.text.startswith("Copyright") and line.label == "boilerplate"
               for line in page.lines)
    assert page.topic in {"politics", "sport", "tech"}


def test_line_cross_validation_reports_every_set(page_folder, tmp_path):
    report_path = tmp_path / "report.json"
    assert main(["evaluate", "lines", "--data", str(page_folder), "--cv", "3",
                 "--report", str(report_path), "--cache", str(tmp_path / "cache")]) == 0
    report = json.loads(report_path.read_text())
    assert set(report["sets"]) == {"synthetic", "all"}
    synthetic = report["sets"]["synthetic"]
    assert synthetic["pages"] == 30 and synthetic["sites"] == 5
    assert synthetic["page_text"]["f1"] > 0.9
    assert report["label_ceiling"]["synthetic"]["f1"] == pytest.approx(1.0)
    assert report["threshold"] == 0.5
    assert set(report["threshold_sweep"]["0.50"]) == {"synthetic", "all"}
    assert report["threshold_sweep"]["0.50"]["synthetic"] == pytest.approx(
        synthetic["page_text"]["f1"], abs=1e-4)
    # The line table was cached as Parquet for the next run.
    assert list((tmp_path / "cache").glob("lines-synthetic-*.parquet"))


def test_topic_cross_validation_prints_confusion(topic_table, capsys):
    assert main(["evaluate", "topics", "--data", str(topic_table), "--cv", "3"]) == 0
    out = capsys.readouterr().out
    assert "accuracy" in out and "confusion" in out and "politics" in out


def test_topic_search_scores_every_combination(topic_table, capsys, tmp_path):
    report_path = tmp_path / "search.json"
    assert main(["search", "topics", "--data", str(topic_table), "--grid", "C=0.01,10",
                 "--grid", "ngram_max=1,2", "--cv", "3", "--jobs", "2",
                 "--report", str(report_path)]) == 0
    report = json.loads(report_path.read_text())
    settings = [result["setting"] for result in report["results"]]
    assert sorted((s["C"], s["ngram_max"]) for s in settings) == [
        ("0.01", "1"), ("0.01", "2"), ("10", "1"), ("10", "2")]
    accuracies = [result["accuracy"] for result in report["results"]]
    assert accuracies == sorted(accuracies, reverse=True) and report["best"] == settings[0]
    assert "C=" in capsys.readouterr().out


@pytest.mark.parametrize("grid, message", [("C", "NAME=VALUE"), ("alpha=1", "unknown setting"),
                                           ("C=abc", "not a valid value")])
def test_topic_search_refuses_a_bad_grid(topic_table, capsys, grid, message):
    assert main(["search", "topics", "--data", str(topic_table), "--grid", grid]) == 2
    assert message in capsys.readouterr().err


def test_labelled_line_files_in_every_format(tmp_path):
    rows = pd.DataFrame({"doc_id": ["a", "a", "b", "a", "b"],
                         "text": ["Menu", "Body text of a.", "Body of b.", "Footer", "   "],
                         "label": ["boilerplate", "body", "Body", "boilerplate", "body"]})
    paths = [tmp_path / "lines.csv", tmp_path / "lines.jsonl", tmp_path / "lines.parquet"]
    rows.to_csv(paths[0], index=False)
    rows.to_json(paths[1], orient="records", lines=True)
    rows.to_parquet(paths[2])
    for path in paths:
        table = labelled_line_file(path)
        # Row order within a document is kept; documents stay together; blank lines go.
        assert table["text"].tolist() == ["Menu", "Body text of a.", "Footer", "Body of b."]
        assert table["label"].tolist() == ["boilerplate", "body", "boilerplate", "body"]
        assert table["line_no"].tolist() == [0, 1, 2, 0]


LINE_DATA_ERRORS = [
    ("doc_id,text\n1,hello\n", "missing column"),
    ("doc_id,text,label\n1,hello,body\n1,bye,junk\n", "row 2 \\(line 3\\): label 'junk'"),
    ("doc_id,text,label\n", "no rows"),
    ("doc_id,text,label\n1,hello,body\n1,bye,body\n", "single label"),
    ("doc_id,txt,label\n1,hello,body\n", r"did you mean 'txt' for 'text'"),
    ("Doc_ID,text,Label\n1,hello,body\n", r"did you mean 'Doc_ID' for 'doc_id'"),
    ("doc_id,text,label\n1,hello,body\n2,  ,body\n2,,boilerplate\n",
     r"row 2 \(line 3\): empty 'text'|row 2 \(line 3\): document '2' has no non-blank line"),
    ("doc_id,text,label\n1,hello,body\n2,   ,body\n",
     r"row 2 \(line 3\): document '2' has no non-blank"),
    ("doc_id,line_no,text,label\n1,0,a,body\n1,1,b,boilerplate\n1,1,c,body\n",
     r"row 3 \(line 4\): duplicate line_no 1 in document '1'"),
    ("doc_id,line_no,text,label\n1,0,a,body\n1,x,b,boilerplate\n",
     r"row 2 \(line 3\): line_no 'x'"),
]
TOPIC_DATA_ERRORS = [
    ("text,topc\nhello,sport\n", r"did you mean 'topc' for 'topic'"),
    ("id,text,topic\n1,a,x\n2,b,y\n1,c,x\n", r"row 3 \(line 4\): duplicate id '1'"),
    ("text,topic\na,x\n ,y\n", r"row 2 \(line 3\): empty 'text'"),
    ("text,topic\na,x\nb,x\n", r"single topic \('x'\)"),
    # A quoted field over two lines: the bad row starts on line 4.
    ('text,topic\n"a\nb",x\n ,y\n', r"row 2 \(line 4\): empty 'text'"),
]


@pytest.mark.parametrize("kind, content, message",
                         [("lines", *case) for case in LINE_DATA_ERRORS]
                         + [("topics", *case) for case in TOPIC_DATA_ERRORS])
def test_invalid_data_is_refused_naming_file_and_row(tmp_path, kind, content, message):
    from training.topic_data import load_topic_data

    load = load_line_data if kind == "lines" else load_topic_data
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(DataError, match=message):
        load([path])


def test_errors_in_json_lines_name_the_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"doc_id": 1, "text": "a", "label": "body"}\n\n'
                    '{"doc_id": 1, "text": "b", "label": "junk"}\n')
    with pytest.raises(DataError, match=r"bad.jsonl, line 3: label 'junk'"):
        load_line_data([path])


def test_failed_training_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("doc_id,text,label\n1,hello,maybe\n")
    out = tmp_path / "models"
    assert main(["lines", "--data", str(bad), "--out", str(out), "--cv", "0"]) == 2
    assert "bad.csv, row 1 (line 2)" in capsys.readouterr().err
    assert not out.exists()


def test_ctrl_c_ends_training_with_130_and_nothing_written(topic_table, tmp_path, capsys,
                                                          monkeypatch):
    import training.__main__ as training_main

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(training_main, "fit_topic_model", interrupted)
    out = tmp_path / "models"
    assert main(["topics", "--data", str(topic_table), "--out", str(out), "--cv", "0"]) == 130
    assert capsys.readouterr().err.strip().endswith("interrupted: nothing was written")
    assert not out.exists()


def test_missing_data_path_is_a_clear_error(tmp_path, capsys):
    assert main(["topics", "--data", str(tmp_path / "nope"), "--out", str(tmp_path)]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_line_no_column_orders_a_documents_lines(tmp_path):
    path = tmp_path / "lines.csv"
    path.write_text("doc_id,line_no,text,label\n"
                    "a,2,Footer,boilerplate\na,0,Menu,boilerplate\na,1,Body text.,body\n")
    assert labelled_line_file(path)["text"].tolist() == ["Menu", "Body text.", "Footer"]


def test_training_with_cv_shows_the_cv_table_and_keeps_stdout_for_its_result(
        page_folder, topic_table, tmp_path, capsys):
    # Before, `training lines` printed only "fold k/3 done".
    assert main(["lines", "--data", str(page_folder), "--out", str(tmp_path / "m"),
                 "--cv", "2", "--cache", "none"]) == 0
    captured = capsys.readouterr()
    assert "cross-validation (recorded in the manifest):" in captured.err
    assert "text F1" in captured.err and "\nsynthetic " in captured.err
    assert json.loads(captured.out)["saved"].endswith(".joblib")
    assert main(["topics", "--data", str(topic_table), "--out", str(tmp_path / "m"),
                 "--cv", "3"]) == 0
    captured = capsys.readouterr()
    assert "3-fold stratified CV" in captured.err and "confusion" in captured.err
    assert json.loads(captured.out)["saved"].endswith(".joblib")


def test_page_folder_errors_name_the_file(tmp_path, capsys):
    from conftest import write_page_folder

    folder = write_page_folder(tmp_path / "pages", 3)
    index = folder / "index.jsonl"
    index.write_text(index.read_text() + '{"id": "1", "url": "http://x.example/"}\n')
    with pytest.raises(DataError, match=r"index.jsonl, line 4: duplicate id '1' \(first on line 2\)"):
        load_line_data([folder], cache_dir=None, show_progress=False)
    write_page_folder(folder, 3)  # rewrites a clean index
    (folder / "2.txt").write_text("  \n")
    with pytest.raises(DataError, match=r"2.txt: the gold text is empty"):
        load_line_data([folder], cache_dir=None, show_progress=False)
    (folder / "2.txt").write_text("gold")
    (folder / "2.html").write_text("<html><script>x()</script></html>")
    lines = load_line_data([folder], cache_dir=None, show_progress=False)
    assert sorted(lines["doc_id"].unique()) == ["0", "1"]  # the page without text left out
    assert "1 page(s) of" in capsys.readouterr().err
    for number in range(3):
        (folder / f"{number}.html").write_text("<html><script>x()</script></html>")
    with pytest.raises(DataError, match=r"no page has visible text"):
        load_line_data([folder], cache_dir=None, show_progress=False)


@pytest.mark.parametrize("separator", ["!@#$%^&*() COMMENTS", "!!@#$%^&*() COMMENTS",
                                       "!@ $%^&*() COMMENTS", "#$%^&*() COMMENTS",
                                       "!@#$%^&*() COMMNENTS", "!@#$%^&*()"])
def test_dragnet_comments_after_the_separator_are_not_gold(tmp_path, separator):
    from training.datasets import read_gold_text
    from training.generalisation import page_gold
    from training.lines import gold_texts

    article = ("Council approves the new budget after a long debate\n"
               "The city council voted on Tuesday to approve a budget that raises "
               "spending on schools and roads by four percent next year.")
    comment = "Great article, I completely agree with the council on the budget for schools."
    html = ("<html><body><article><h1>Council approves the new budget after a long debate</h1>"
            "<p>The city council voted on Tuesday to approve a budget that raises spending on "
            f"schools and roads by four percent next year.</p></article>"
            f"<div class='comments'><p>Jane says:</p><p>{comment}</p></div></body></html>")
    folder = tmp_path / "dragnet"
    folder.mkdir()
    (folder / "1.html").write_text(html, encoding="utf-8")
    (folder / "1.txt").write_text(f"{article}\n{separator}\nJane says:\n{comment}\n",
                                  encoding="utf-8")

    assert read_gold_text(folder / "1.txt") == article + "\n"
    lines = load_line_data([folder], cache_dir=None, show_progress=False)
    labels = dict(zip(lines["text"], lines["label"]))
    assert labels[comment] == "boilerplate" and labels["Jane says:"] == "boilerplate"
    assert labels["Council approves the new budget after a long debate"] == "body"
    assert gold_texts([folder], lines)["dragnet/1"] == article + "\n"
    assert page_gold([folder])["dragnet/1"][2] == article + "\n"


def test_keyed_pages_keys_are_the_line_table_s_pages(tmp_path):
    from conftest import write_page_folder
    from training.datasets import keyed_pages

    folder = write_page_folder(tmp_path / "pages", 3)
    listed = list(keyed_pages(folder))
    lines = load_line_data([folder], cache_dir=None, show_progress=False)
    assert [key for key, *_ in listed] == list(lines["page"].unique())
    key, set_name, html_path, gold_path = listed[0]
    assert key == f"{set_name}/{html_path.stem}" and gold_path == html_path.with_suffix(".txt")


def test_a_gold_file_with_nothing_before_the_separator_is_refused(tmp_path):
    from conftest import write_page_folder

    folder = write_page_folder(tmp_path / "pages", 3)
    (folder / "2.txt").write_text("!@#$%^&*() COMMENTS\nJane says:\nGreat post!\n")
    with pytest.raises(DataError, match=r"2.txt: the gold text is empty \(or holds nothing "
                                        r"before a comments separator line\)"):
        load_line_data([folder], cache_dir=None, show_progress=False)


def test_gold_without_the_separator_is_read_whole(tmp_path):
    from training.datasets import read_gold_text

    gold = tmp_path / "1.txt"
    gold.write_bytes(b"Headline\nA line that mentions !@#$%^&*() COMMENTS in its text.\n\xff\n")
    assert read_gold_text(gold) == ("Headline\nA line that mentions !@#$%^&*() COMMENTS "
                                    "in its text.\n\ufffd\n")


def _read_as_windows_1252(text: str) -> str:
    """``text``'s UTF-8 bytes read as Windows-1252, as browsers and editors
    do (its five unassigned bytes as Latin-1)."""
    return "".join(bytes([byte]).decode("cp1252", errors="ignore") or chr(byte)
                   for byte in text.encode("utf-8"))


def test_gold_saved_through_wrong_decodings_is_repaired(tmp_path):
    from training.datasets import read_gold_text

    gold = "We\u2019re paying \u00a3125 for the caf\u00e9\u2019s \u201cbest\u201d table.\n"
    once = tmp_path / "once.txt"  # UTF-8 read as Windows-1252, saved as UTF-8
    once.write_text(_read_as_windows_1252(gold), encoding="utf-8")
    twice = tmp_path / "twice.txt"
    twice.write_text(_read_as_windows_1252(_read_as_windows_1252(gold)), encoding="utf-8")
    utf16 = tmp_path / "utf16.txt"  # UTF-16 read as Latin-1, saved as UTF-8
    utf16.write_text(gold.encode("utf-16").decode("latin-1"), encoding="utf-8")
    # ... and some of its NULs lost on the way (a strict decode turns the
    # rest of the file into CJK characters).
    short = tmp_path / "utf16-short.txt"
    damaged = gold.encode("utf-16").replace(b"p\x00a\x00y", b"pa\x00y").replace(b" \x00f", b" f")
    short.write_text(damaged.decode("latin-1"), encoding="utf-8")
    assert "\u00c3" in twice.read_text(encoding="utf-8")  # (the damage is there to mend)
    for path in (once, twice, utf16, short):
        assert read_gold_text(path) == gold, path.name
    clean = tmp_path / "clean.txt"  # right text that looks a little like mojibake stays
    clean.write_text("Ren\u00e9e \u00c2ngstr\u00f6m, \u00a9 2018, \u00bd price\n", encoding="utf-8")
    assert read_gold_text(clean) == clean.read_text(encoding="utf-8")
    stray = tmp_path / "stray.txt"  # one stray NUL is not UTF-16
    stray.write_text("A line with a stray \x00 in it, and another line.\n", encoding="utf-8")
    assert read_gold_text(stray) == stray.read_text(encoding="utf-8")


def test_line_tables_are_cached_by_the_folder_s_bytes(tmp_path, monkeypatch):
    from training import datasets

    folder = write_page_folder(tmp_path / "pages", 3)
    first = datasets.cached_page_folder_lines(folder, tmp_path / "cache", show_progress=False)
    converted = []
    monkeypatch.setattr(datasets, "page_folder_lines",
                        lambda *args: converted.append(args) or first.iloc[:0])
    for path in folder.iterdir():  # the same bytes, copied afresh
        os.utime(path, (0, 0))
    again = datasets.cached_page_folder_lines(folder, tmp_path / "cache", show_progress=False)
    assert again.equals(first) and not converted
    (folder / "0.txt").write_text("A changed gold text.", encoding="utf-8")
    datasets.cached_page_folder_lines(folder, tmp_path / "cache", show_progress=False)
    assert len(converted) == 1
