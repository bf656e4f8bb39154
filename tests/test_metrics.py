import pytest

from training.metrics import line_scores, page_text_scores, shingle_precision_recall


def test_shingle_precision_recall():
    gold = "one two three four five six"
    assert shingle_precision_recall(gold, gold) == (1.0, 1.0)
    # Extra chrome lowers precision only.
    precision, recall = shingle_precision_recall(gold + " menu home login", gold)
    assert recall == 1.0 and precision == pytest.approx(3 / 6)
    assert shingle_precision_recall("", gold) == (0.0, 0.0)
    assert shingle_precision_recall("", "") == (1.0, 1.0)


def test_page_text_scores_average_per_page_then_f1():
    scores = page_text_scores(["a b c d e", ""], ["a b c d e", "f g h i"])
    assert scores["precision"] == pytest.approx(0.5)
    assert scores["recall"] == pytest.approx(0.5)
    assert scores["f1"] == pytest.approx(0.5)


def test_line_scores():
    scores = line_scores(["body", "body", "boilerplate"], ["body", "boilerplate", "body"])
    assert scores["precision"] == 0.5 and scores["recall"] == 0.5
