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
