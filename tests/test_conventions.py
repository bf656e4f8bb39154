"""Training relabels reader comments as boilerplate (training/conventions.py)."""

from __future__ import annotations

import pandas as pd
from conftest import synthetic_page

from training.conventions import comments_as_boilerplate, in_comment_container
from training.datasets import load_line_data
from training.lines import fit_line_model, model_input

ARTICLE = "wrapper content post entry"
THREAD = "wrapper content post comments commentlist comment 42 comment body"


def table(rows) -> pd.DataFrame:
    """A line table of (page, text, label, attributes) rows."""
    return pd.DataFrame(rows, columns=["page", "text", "label", "attributes"])


def test_class_words_that_name_a_comment_container():
    attributes = pd.Series(["post comments", "commentlist", "disqus thread", "x comment-body",
                            "commentary opinion", "post entry", "recommended", None])
    # (Word breaks split "comment-body"; "commentary" is an opinion column,
    # "recommended" only contains the letters.)
    assert in_comment_container(attributes.str.replace("-", " ")).tolist() == [
        True, True, True, True, False, False, False, False]


def test_comments_under_an_article_become_boilerplate_and_nothing_else_moves():
    lines = table([
        ("a", "The council voted on Tuesday to close the old bridge.", "body", ARTICLE),
        ("a", "Repairs would have cost more than a new one.", "body", ARTICLE),
        ("a", "3 Comments:", "body", THREAD),
        ("a", "I drove over it every day for twenty years.", "body", THREAD),
        ("a", "Reply", "boilerplate", THREAD),
        ("b", "Another page entirely, without comments.", "body", ARTICLE),
    ])
    relabelled = comments_as_boilerplate(lines)
    assert relabelled["label"].tolist() == ["body", "body", "boilerplate", "boilerplate",
                                            "boilerplate", "body"]
    assert lines["label"].tolist()[2:4] == ["body", "body"]  # the input is not changed
    assert relabelled.drop(columns="label").equals(lines.drop(columns="label"))


def test_a_page_whose_every_body_line_is_marked_keeps_its_labels():
    # <body class="comments-open">: every line of the page carries the word.
    everywhere = "comments open single post"
    lines = table([
        ("a", "Menu", "boilerplate", everywhere),
        ("a", "The article's first paragraph, all of it.", "body", everywhere + " entry"),
        ("a", "Its second paragraph.", "body", everywhere + " entry"),
    ])
    assert comments_as_boilerplate(lines) is lines


def test_lines_without_dom_facts_are_left_as_they_are():
    lines = pd.DataFrame({"page": ["a"], "text": ["Some comment text."], "label": ["body"]})
    assert comments_as_boilerplate(lines) is lines
    with_missing = table([("a", "A labelled line from a CSV.", "body", None),
                          ("a", "Another one.", "body", None)])
    assert comments_as_boilerplate(with_missing) is with_missing


def test_training_learns_comments_as_boilerplate_only_when_asked(tmp_path):
    # Pages whose gold keeps the comment thread under the article, as
    # CleanEval's does.
    folder = tmp_path / "pages"
    folder.mkdir()
    with (folder / "index.jsonl").open("w", encoding="utf-8") as index:
        for number in range(24):
            html, gold = synthetic_page(number)
            replies = [f"Reader {number}-{reply} says: great post, I agree with most of it "
                       f"but not with point {reply}." for reply in range(3)]
            thread = ('<div id="comments" class="comments">'
                      + "".join(f'<div class="comment"><p>{r}</p></div>' for r in replies)
                      + "</div>")
            (folder / f"{number}.html").write_text(
                html.replace('<div class="related">', thread + '<div class="related">'),
                encoding="utf-8")
            (folder / f"{number}.txt").write_text(gold + "\n" + "\n".join(replies),
                                                  encoding="utf-8")
            index.write(f'{{"id": "{number}", "url": "http://site{number % 4}.example/'
                        f'{number}", "set": "synthetic"}}\n')
    lines = load_line_data([folder], cache_dir=None, show_progress=False)
    thread = lines["text"].str.contains(" says: great post").to_numpy()
    assert (lines.loc[thread, "label"] == "body").all()
    quiet = {"progress": lambda message: None, "short_pages": False, "kind": "html"}
    scores = {}
    for relabel in (True, False):
        model = fit_line_model(lines, relabel_comments=relabel, **quiet)
        scores[relabel] = model.body_proba(model_input(lines, "html"))
    assert scores[True][thread].max() < 0.5 < scores[False][thread].min()
    # The articles stay body either way.
    article = (lines["label"] == "body").to_numpy() & ~thread
    assert (scores[True][article] >= 0.5).mean() > 0.9
