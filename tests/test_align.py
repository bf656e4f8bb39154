import pytest

from training.align import BODY, BOILERPLATE, label_lines

GOLD = """Latest Amelia Earhart search falls short
July 24, 2012
A $2.2 million expedition that hoped to find wreckage from famed aviator Amelia Earhart's final flight is on its way back.
Introduction"""


def test_long_lines_match_on_trigram_coverage_despite_punctuation_and_case():
    lines = ["A $2.2 MILLION expedition -- that hoped to find wreckage from famed aviator",
             "Amelia Earhart fans say the search for her final flight is not over."]
    assert label_lines(lines, GOLD) == [BODY, BOILERPLATE]


def test_short_lines_need_a_whole_or_nearly_whole_gold_line():
    lines = ["Introduction", "Related", "search", "Amelia Earhart"]
    assert label_lines(lines, GOLD) == [BODY, BOILERPLATE, BOILERPLATE, BOILERPLATE]


def test_dates_and_bylines_are_boilerplate_even_when_gold_has_them():
    gold = GOLD + "\nBy Jane Doe, Associated Press"
    lines = ["July 24, 2012", "By Jane Doe, Associated Press", "Date:2025-04-06 01:26:47",
             "Latest Amelia Earhart search falls short"]
    assert label_lines(lines, gold) == [BOILERPLATE, BOILERPLATE, BOILERPLATE, BODY]


def test_lines_without_words_are_boilerplate():
    assert label_lines(["|", "- ", "»"], GOLD) == [BOILERPLATE] * 3


def test_trigrams_may_span_gold_line_breaks():
    gold = "one two three\nfour five six"
    assert label_lines(["two three four five"], gold) == [BODY]


def test_short_lines_between_headline_and_article_are_chrome():
    article = " ".join(["word"] * 25)
    gold = "Short headline here\nLaura Beck\nA longer standfirst of more than four words\n" + article + "\nSubhead"
    lines = ["Short headline here", "Laura Beck", "A longer standfirst of more than four words",
             article, "Subhead"]
    assert label_lines(lines, gold) == [BODY, BOILERPLATE, BODY, BODY, BODY]


def test_a_list_between_headline_and_article_keeps_its_gold_labels():
    # Four short lines or more are a list (ingredients), not a byline.
    article = " ".join(["word"] * 25)
    items = ["2 eggs", "1 cup flour", "a pinch of salt", "100 g butter"]
    gold = "\n".join(["Pancakes for a crowd"] + items + [article])
    lines = ["Pancakes for a crowd"] + items + [article]
    assert label_lines(lines, gold) == [BODY] * 6


def test_a_page_without_a_long_paragraph_has_no_byline_area():
    # A roster: every cell is short, and the gold keeps the table.
    cells = ["Pitchers", "Name", "Ht", "Scott Alexander", "6'2\"", "Pedro Baez", "6'0\""]
    assert label_lines(cells, "\n".join(cells)) == [BODY] * len(cells)


def test_chrome_lines_are_boilerplate_and_never_the_headline():
    article = " ".join(["word"] * 25)
    gold = f"Short headline here\nLaura Beck\n{article}"
    lines = ["Short headline here", "Short headline here", "Laura Beck", article]
    labels = label_lines(lines, gold, chrome=[True, False, False, False])
    # The <title> (first) repeats the headline: chrome. The headline is the
    # next line, so the author's name under it is still a byline.
    assert labels == [BOILERPLATE, BODY, BOILERPLATE, BODY]


def test_chrome_must_name_every_line():
    with pytest.raises(ValueError, match="2 values for 1 lines"):
        label_lines(["one line"], "one line", chrome=[True, False])
