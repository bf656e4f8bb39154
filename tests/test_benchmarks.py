"""The benchmark scripts run end to end (on synthetic pages and corpora).

Only the mechanics are checked here; the figures come from `make bench`
on the shared data. Peers that are not installed (the normal case outside
`make bench`) are left out with a message.
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from conftest import ROOT, write_page_folder


def test_extraction_benchmark_writes_a_table_and_a_report(tmp_path):
    folder = write_page_folder(tmp_path / "synthetic", 12)
    out = tmp_path / "bench"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "extraction.py"), "--data", str(folder),
         "--cv", "2", "--out", str(out), "--peers", "none", "--cache", "none"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(Path(f"{out}.json").read_text())
    entry = report["sets"]["synthetic"]
    assert set(entry) == {"ours (html)", "ours (text)"}
    for scores in entry.values():
        assert scores["pages"] == 12 and 0.0 <= scores["f1"] <= 1.0
        assert scores["ms_per_page"] > 0 and scores["errors"] == 0
    table = Path(f"{out}.md").read_text()
    assert "| synthetic (12 pages) | ours (html) |" in table


def _run_script(name, *arguments, cwd):
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / name), *map(str, arguments)],
                          capture_output=True, text=True, cwd=cwd, timeout=300)
    assert done.returncode == 0, done.stderr
    return done


def test_throughput_benchmark_measures_every_run_and_checks_the_goals(tmp_path):
    folder = write_page_folder(tmp_path / "synthetic", 4)
    out = tmp_path / "throughput"
    _run_script("throughput.py", "--data", folder, "--pages", 9, "--workers", 1, "--no-peer",
                "--out", out, cwd=tmp_path)
    report = json.loads(Path(f"{out}.json").read_text())
    assert set(report["runs"]) == {"ours (text), 1w", "ours (html), 1w",
                                   "ours (text, no topics), 1w", "ours (html, no topics), 1w"}
    for run in report["runs"].values():
        assert run["pages"] == 9 and run["pages_per_second"] > 0
        assert run["peak_memory_mb"] > 50 and run["peak_rss_sum_mb"] >= run["peak_memory_mb"]
        # One process: the command's own process is the whole tree.
        assert 0 < run["peak_main_process_mb"] <= run["peak_memory_mb"]
    assert report["warm_predict"]["median_ms"] > 0
    steps = report["steps"]
    assert steps["pages"] == 4 and steps["conversion_ms_per_page"] > 0
    for kind in ("text", "html"):
        assert {"text: words", "first stage", "second stage: trees"} <= set(steps[kind])
        assert all(value > 0 for value in steps[kind].values())
    # From HTML the text model gives the HTML model its text layout block:
    # not timed twice, and the HTML path's total counts both models.
    assert "layout: position" in steps["text"]
    assert not any(step.startswith("layout: text_layout/") for step in steps["html"])
    assert "| HTML path: both models |" in Path(f"{out}.md").read_text()
    assert "| second stage: trees |" in Path(f"{out}.md").read_text()
    assert {goal["what"] for goal in report["goals"]} >= {"shipped model files, MB"}
    assert Path(f"{out}.png").stat().st_size > 10_000
    assert "| ours, text input | 1 |" in Path(f"{out}.md").read_text()
    assert "| ours, html input, no topics | 1 |" in Path(f"{out}.md").read_text()


def _topic_corpora(root: Path) -> Path:
    from test_topics import POST, _story

    words = {"business": "shares profit market bank", "sport": "match goal team league",
             "tech": "software phone chip internet"}
    for topic, vocabulary in words.items():
        for i in range(10):
            (root / "bbc" / topic).mkdir(parents=True, exist_ok=True)
            (root / "bbc" / topic / f"{i:03d}.txt").write_text(f"{vocabulary} story {i}\n")
            for split in ("train", "test"):
                group = root / "20newsgroups" / f"20news-bydate-{split}" / f"news.{topic}"
                group.mkdir(parents=True, exist_ok=True)
                (group / f"{i}").write_text(POST.replace("orbit", vocabulary))
    stories = [_story(n, split, topics, "T", body) for n, (split, topics, body) in enumerate(
        [("TRAIN", ["grain", "wheat"], "wheat grain"), ("TRAIN", ["crude"], "oil crude"),
         ("TEST", ["wheat"], "wheat"), ("TEST", ["crude", "grain"], "oil grain")] * 5)]
    (root / "reuters21578").mkdir()
    (root / "reuters21578" / "reut2-000.sgm").write_text("".join(stories))
    return root


def test_topic_benchmark_reports_every_set_with_plots(tmp_path):
    corpora = _topic_corpora(tmp_path / "topics")
    out = tmp_path / "reports" / "topics"
    _run_script("topics.py", "--topics", corpora, "--out", out, cwd=tmp_path)
    report = json.loads(Path(f"{out}.json").read_text())
    assert list(report["sets"]) == ["bbc", "20newsgroups",
                                    "20newsgroups (no headers, signatures, quotes)",
                                    "reuters-21578 ModApte"]
    bbc = report["sets"]["bbc"]["models"]
    assert set(bbc) == {"ours", "ours + common-words block", "ours + char n-grams",
                        "TF-IDF + linear SVM"}
    assert bbc["ours"]["accuracy"] > 0.9 and 0 <= bbc["ours"]["ece"] <= 1
    assert 0 <= bbc["ours"]["lead_accuracy"] <= 1 and bbc["ours"]["predict_ms_per_doc"] > 0
    reuters = report["sets"]["reuters-21578 ModApte"]
    assert reuters["topics"] == 3 and 0 < reuters["models"]["ours (multi-label)"]["micro_f1"] <= 1
    assert "| bbc | ours + char n-grams |" in Path(f"{out}.md").read_text()
    pngs = sorted(p.name for p in out.parent.glob("*.png"))
    assert pngs == ["topics-20newsgroups-stripped.png", "topics-20newsgroups.png",
                    "topics-bbc.png"]


def test_body_rule_benchmark_replays_the_rule_on_held_out_scores(tmp_path):
    from training.datasets import load_line_data

    folder = write_page_folder(tmp_path / "synthetic", 4)
    lines = load_line_data([folder], cache_dir=None, show_progress=False)
    # Page 0's article scores under the threshold (but above its chrome).
    is_body = (lines["label"] == "body").to_numpy()
    low = (lines["page"] == "synthetic/0").to_numpy()
    score = np.where(is_body, np.where(low, 0.3, 0.9), 0.0)
    text = lines[["page", "line_no", "text", "label"]].assign(kind="text", score=score)
    # From HTML, each page's first article line is doubted (0.2); the
    # article's lines share a container, the chrome's another.
    first = is_body & ~np.r_[False, is_body[:-1]] & ~low
    # (Numbered from 0 on every page, as the run of 2026-12-07 09:54 kept
    # them: the replay tells the pages' containers apart.)
    html = text.assign(kind="html", score=np.where(first, 0.2, score),
                       container=is_body.astype(int))
    scores = pd.concat([text.assign(container=-1), html], ignore_index=True)
    scores.to_parquet(tmp_path / "scores.parquet", index=False)
    out = tmp_path / "rule"
    _run_script("body_rule.py", "--scores", tmp_path / "scores.parquet", "--data", folder,
                "--out", out, cwd=tmp_path)
    report = json.loads(Path(f"{out}.json").read_text())
    entries = report["kinds"]["text"]
    plain, shipped = entries[0], next(e for e in entries if e["setting"] == report["shipped"])
    assert plain["setting"] == {"min_body_words": 0, "fill_gaps": False, "list_runs": 0,
                                "headline_lines": 0, "comments_after": None,
                                "container_share": None}
    assert plain["macro"] < shipped["macro"] == 1.0
    # All off, the relative cut's grid, gaps alone, four list runs alone,
    # four comment shares alone, three numbers of words with the share,
    # then the steps added one by one.
    assert len(entries) == 1 + 45 + 1 + 4 + 4 + 3 + 4
    assert ("| text | 60 words, 0.3 of best, floor 0.1 + one-line gaps + lists of 4+ voted "
            "+ short-page headline + comments end it after 0.2 or 200 words (shipped) |"
            in Path(f"{out}.md").read_text())
    # The HTML model's rows add three container shares alone and the
    # containers' step; joining them brings the doubted lines back.
    entries = report["kinds"]["html"]
    assert len(entries) == 1 + 45 + 1 + 4 + 4 + 3 + 3 + 5
    joined = next(e for e in entries if e["setting"] == {**plain["setting"],
                                                         "container_share": 0.4})
    assert entries[0]["macro"] < joined["macro"]
    assert entries[-1]["setting"] == report["shipped"] and entries[-1]["macro"] == 1.0
    assert ("+ short-page headline + containers joined at 0.4 + comments end it after 0.2 "
            "or 200 words (shipped) |" in Path(f"{out}.md").read_text())


def test_body_rule_benchmark_tells_the_pages_containers_apart(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks.body_rule import held_out_containers

    # (The 09:54 run numbered each corpus's containers from 0.)
    lines = pd.DataFrame({"page": ["a/1", "a/1", "b/1", "b/1", "a/1"],
                          "container": [0, 1, 0, 1, 0]})
    assert held_out_containers(lines).tolist() == [0, 1, 2, 3, 0]
    assert held_out_containers(lines.drop(columns="container")) is None


def test_the_budget_benchmark_times_a_revision_and_this_checkout_in_turn(tmp_path):
    # HEAD against this checkout: the mechanics (export, build, runs in
    # turn, the report), not the figures.
    folder = write_page_folder(tmp_path / "synthetic", 3)
    out = tmp_path / "budget"
    _run_script("against_revision.py", "--rev", "HEAD", "--data", folder, "--pages", 3,
                "--rounds", 2, "--out", out, cwd=tmp_path)
    report = json.loads(Path(f"{out}.json").read_text())
    assert report["revision"] == "HEAD" and report["pages"] == 3
    for kind in ("text", "html"):
        entry = report["results"][kind]
        assert all(len(runs) == 2 and min(runs) > 0 for runs in entry["seconds"].values())
        times = entry["ms_per_page"]
        assert entry["ratio"] == round(times["this checkout"] / times["revision"], 2)
        assert entry["budget"] == 1.5 and entry["met"] == (entry["ratio"] <= 1.5)
    table = Path(f"{out}.md").read_text()
    assert "| text |" in table and "| html |" in table and "median of 2 runs" in table


def test_the_budget_benchmark_refuses_an_unknown_revision(tmp_path):
    folder = write_page_folder(tmp_path / "synthetic", 2)
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "against_revision.py"),
                           "--rev", "no-such-revision", "--data", str(folder),
                           "--out", str(tmp_path / "budget")],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode != 0
    assert "git archive no-such-revision failed" in done.stderr
    assert not (tmp_path / "budget.json").exists()
