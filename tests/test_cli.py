import json
import re
import subprocess
import sys

from classifier.cli import main
from conftest import EXAMPLES, synthetic_page


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
