import json
import re
import subprocess
import sys

from conftest import EXAMPLES, synthetic_page

from classifier.cli import main


def test_plain_output_prints_body_and_topic(trained_models, capsys, tmp_path):
    html, gold = synthetic_page(11)
    page_file = tmp_path / "page.txt"
    page_file.write_text(gold + "\nCopyright 2024 Site. All rights reserved.\n")
    assert main(["predict", str(page_file), "--models", str(trained_models), "--trust-models"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1].startswith("topic: ") and out[-1].endswith(")")
    assert gold.splitlines()[1] in out


def test_no_topics_prints_the_body_only(trained_models, capsys, tmp_path):
    html, gold = synthetic_page(11)
    page_file = tmp_path / "page.txt"
    page_file.write_text(gold + "\nCopyright 2024 Site. All rights reserved.\n")
    models = ["--models", str(trained_models), "--trust-models"]
    assert main(["predict", str(page_file), *models]) == 0
    with_topic = capsys.readouterr().out.splitlines()
    assert main(["predict", str(page_file), "--no-topics", *models]) == 0
    assert capsys.readouterr().out.splitlines() == with_topic[:-1]
    assert main(["predict", "--json", "--no-topics", str(page_file), *models]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["topic"] is None and record["topics"] == [] and record["lines"]


def test_json_lines_output_and_html_input(trained_models, capsys, tmp_path):
    html_file = tmp_path / "page.html"
    html_file.write_bytes(synthetic_page(12)[0].encode("cp1252"))
    assert main(["predict", "--html", "--json", str(html_file), str(html_file),
                 "--models", str(trained_models), "--trust-models"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(records) == 2 and records[0] == records[1]
    assert records[0]["file"] == str(html_file)
    assert {line["label"] for line in records[0]["lines"]} == {"body", "boilerplate"}


def test_unreadable_file_is_reported_and_the_rest_still_printed(trained_models, capsys, tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("A line of text that is here.\n")
    assert main(["predict", str(tmp_path / "missing.txt"), str(good),
                 "--models", str(trained_models), "--trust-models"]) == 1
    captured = capsys.readouterr()
    assert "missing.txt" in captured.err
    assert "==> " + str(good) in captured.out


def test_a_binary_file_given_as_text_is_refused_and_the_rest_still_printed(
        trained_models, capsys, tmp_path):
    archive = tmp_path / "page.txt"
    archive.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 800)
    good = tmp_path / "good.txt"
    good.write_text("A line of text that is here.\n")
    assert main(["predict", str(archive), str(good),
                 "--models", str(trained_models), "--trust-models"]) == 1
    captured = capsys.readouterr()
    assert f"error: {archive}: not text: a ZIP archive or Office document" in captured.err
    assert "==> " + str(good) in captured.out and "topic:" in captured.out


def test_stdin_and_shipped_models_through_python_m():
    text = (EXAMPLES / "000_9194ea2d3ca4e63b.txt").read_bytes()
    result = subprocess.run([sys.executable, "-m", "classifier", "predict", "-"], input=text,
                            capture_output=True, check=True)
    out = result.stdout.decode()
    # Which topic is right for this page is test_examples' business (a known gap).
    topic_line = out.rstrip().splitlines()[-1]
    assert re.fullmatch(r"topic: (business|entertainment|politics|sport|tech) \(0\.\d\d\)",
                        topic_line)
    assert "Related" not in out


def _batch_args(trained_models, inputs, out):
    return ["batch", *map(str, inputs), "--out", str(out), "--quiet", "--models",
            str(trained_models), "--trust-models"]


def test_batch_stopped_by_the_machine_exits_3_with_one_line_and_resumes(
        trained_models, tmp_path, capsys, monkeypatch):
    import errno

    from classifier.batch import run as batch
    from classifier.cli import OPERATIONAL_FAILURE

    pages = tmp_path / "pages"
    pages.mkdir()
    for seed in range(4):
        (pages / f"p{seed}.txt").write_text(synthetic_page(seed)[1])
    # The output folder cannot be made (its parent is a file).
    (tmp_path / "file").write_text("")
    assert main(_batch_args(trained_models, [pages], tmp_path / "file" / "out")) \
        == OPERATIONAL_FAILURE
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    # The disk fills up while shards are written: exit 3, nothing half done.
    real_write = batch.atomic_write

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(batch, "atomic_write", disk_full)
    monkeypatch.setattr(batch, "BackgroundCommits", lambda: None)
    out = tmp_path / "out"
    assert main(_batch_args(trained_models, [pages], out) + ["--shard-size", "2"]) \
        == OPERATIONAL_FAILURE
    err = capsys.readouterr().err
    assert "No space left on device" in err and "run the same command again" in err
    monkeypatch.setattr(batch, "atomic_write", real_write)
    assert main(_batch_args(trained_models, [pages], out) + ["--shard-size", "2"]) == 0
    assert len(list(out.glob("part-*.jsonl"))) == 2


def test_batch_with_a_lost_worker_exits_3(trained_models, tmp_path, capsys, monkeypatch):
    from concurrent.futures.process import BrokenProcessPool

    from classifier import cli

    def lost_worker(*args, **kwargs):
        raise BrokenProcessPool("A process in the process pool was terminated abruptly")
    monkeypatch.setattr(cli, "run_batch", lost_worker)
    assert main(_batch_args(trained_models, [tmp_path], tmp_path / "out")) \
        == cli.OPERATIONAL_FAILURE
    err = capsys.readouterr().err
    assert "a worker process died" in err and "Traceback" not in err


def test_batch_of_an_endless_device_reports_it_over_the_limit(trained_models, tmp_path):
    from pathlib import Path

    from classifier.batch import run_batch

    summary = run_batch([Path("/dev/zero")], tmp_path / "out", models=trained_models,
                        trusted=True, progress=False)
    assert summary["unreadable"] == 1 and summary["pages"] == 0
    (error,) = [json.loads(line) for path in sorted((tmp_path / "out").glob("errors-*"))
                for line in path.read_text().splitlines()]
    assert "over the limit" in error["reason"]


def test_ctrl_c_ends_predict_with_130_and_one_line(trained_models, capsys, tmp_path,
                                                    monkeypatch):
    import classifier.cli as cli_module

    page_file = tmp_path / "page.txt"
    page_file.write_text(synthetic_page(11)[1])

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_module, "_read", interrupted)
    assert main(["predict", str(page_file), "--models", str(trained_models),
                 "--trust-models"]) == 130
    assert capsys.readouterr().err.strip() == "interrupted"


def test_every_command_shows_its_defaults_in_help():
    import argparse

    from classifier.cli import _parser as classifier_parser
    from training.__main__ import _parser as training_parser

    def commands(parser):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield name, sub
                    yield from commands(sub)

    checked = 0
    for name, sub in [*commands(classifier_parser()), *commands(training_parser())]:
        text = " ".join(sub.format_help().split())
        for action in sub._actions:
            if (action.option_strings and action.default not in (None, False, [])
                    and action.default is not argparse.SUPPRESS):
                assert f"(default: {action.default})" in text, (name, action.dest)
                checked += 1
    assert checked > 20


def test_html_weight_option_scores_html_as_load_does(trained_models, capsys, tmp_path):
    import pytest

    import classifier
    from classifier.lines.blend import HTML_MODEL_WEIGHT

    html_file = tmp_path / "page.html"
    html_file.write_text(synthetic_page(13)[0])
    models = ["--models", str(trained_models), "--trust-models"]
    scores = {}
    for weight in ("1", "0", None):
        option = [] if weight is None else ["--html-weight", weight]
        assert main(["predict", "--html", "--json", str(html_file), *option, *models]) == 0
        record = json.loads(capsys.readouterr().out)
        scores[weight] = [line["score"] for line in record["lines"]]
        clf = classifier.load(trained_models, trusted=True,
                              html_weight=HTML_MODEL_WEIGHT if weight is None else float(weight))
        assert record["lines"] == [line.to_dict()
                                   for line in clf.predict_html(html_file.read_text()).lines]
    assert scores["1"] != scores["0"]  # (else the test tells nothing)
    for bad, message in (("1.5", "must be between 0 and 1"), ("nan", "must be between 0 and 1"),
                         ("a half", "not a number")):
        with pytest.raises(SystemExit) as exit_:
            main(["predict", "--html", str(html_file), "--html-weight", bad, *models])
        assert exit_.value.code == 2 and message in capsys.readouterr().err
    # The help's default is the one load() uses.
    for command in ("predict", "batch"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        help_text = " ".join(capsys.readouterr().out.split())
        assert f"(default {HTML_MODEL_WEIGHT}; 1: the HTML model alone, faster)" in help_text
