"""Which lines are body: the threshold, the vote of list runs, the
relative threshold of pages whose lines at the threshold hold almost no
words, one-line gaps, and the end of the body at a comment section."""

import numpy as np
import pytest

from classifier.lines.body import (COMMENTS_AFTER_SHARE, COMMENTS_AFTER_WORDS, CONTAINER_SHARE,
                                   MIN_BODY_WORDS, MIN_LIST_RUN, RELATIVE_SCORE, SCORE_FLOOR,
                                   SHORT_PAGE_LINES, body_mask)
from classifier.lines.sections import comment_section_headings

ROSTER = ["Home", "Scores", "Roster", "75 Scott Alexander 6 ft 2 190 lbs",
          "52 Pedro Baez 6 ft 0 230 lbs", "21 Walker Buehler 6 ft 2 175 lbs", "Privacy"]
ROSTER_SCORES = [0.01, 0.0, 0.02, 0.3, 0.25, 0.12, 0.03]


def test_a_page_with_a_body_keeps_the_threshold():
    paragraph = ("The council approved the budget on Tuesday after a long debate, raising "
                 "spending on schools and roads by four percent and freezing the fees that "
                 "residents pay for parking, libraries and the public swimming pools. ") * 2
    texts = ["Menu", paragraph, "A weak line of the article with several words in it.", "Footer"]
    assert len(paragraph.split()) >= MIN_BODY_WORDS
    assert body_mask([0.1, 0.9, 0.4, 0.05], [0, 4], texts).tolist() == [False, True, False,
                                                                          False]


def test_a_page_without_body_words_takes_its_best_lines():
    mask = body_mask(ROSTER_SCORES, [0, len(ROSTER)], ROSTER)
    # 0.3 of the best score (0.09), the floor (0.1) above it: the three rows.
    assert max(SCORE_FLOOR, RELATIVE_SCORE * 0.3) == SCORE_FLOOR
    assert mask.tolist() == [False, False, False, True, True, True, False]


def test_a_page_of_chrome_only_stays_without_body():
    texts = ["Home", "Log in", "Sign up for our newsletter", "Privacy"]
    assert not body_mask([0.02, 0.05, 0.08, 0.01], [0, 4], texts).any()


def test_lines_at_the_threshold_stay_body_and_few_body_words_count():
    # One short body line (under MIN_BODY_WORDS words): the page's other
    # lines near its best score join it; it stays body however low the cut.
    texts = ["Almost there", "By Jane Doe, 28 May 2010", "Subscribe now", "Menu"]
    scores = [0.6, 0.45, 0.05, 0.0]
    assert sum(len(t.split()) for t in texts[:1]) < MIN_BODY_WORDS
    assert body_mask(scores, [0, 4], texts).tolist() == [True, True, False, False]
    # Relative cut above the threshold is capped at it.
    assert body_mask([0.6, 0.5], [0, 2], ["Almost there", "Yes"], threshold=0.5).all()


def test_each_page_is_judged_on_its_own_and_empty_pages_are_skipped():
    article = ["The council approved the budget on Tuesday after a long debate in the hall."]
    texts = article + ROSTER
    scores = [0.9] + ROSTER_SCORES
    # Pages: [article], [] (no lines), [roster].
    mask = body_mask(scores, [0, 1, 1, len(texts)], texts)
    assert mask.tolist() == [True, False, False, False, True, True, True, False]
    assert body_mask([], [0], []).tolist() == []


def test_no_minimum_and_no_gap_filling_is_the_plain_threshold():
    mask = body_mask(ROSTER_SCORES, [0, len(ROSTER)], ROSTER, min_body_words=0)
    assert not mask.any()
    scores = [0.9, 0.3, 0.8, 0.1, 0.05]
    plain = body_mask(scores, [0, 5], ["a"] * 5, threshold=0.2, min_body_words=0,
                      fill_gaps=False)
    assert np.array_equal(plain, np.array(scores) >= 0.2)


ARTICLE = ["Bridge to close", "The council voted on Tuesday to close the old bridge for good.",
           "Why it matters", "Repairs would have cost more than a new bridge, officers said.",
           "Advertisement", "The new bridge opens in the spring of next year, they added.",
           "Share this story"]


def test_a_doubted_line_inside_the_article_joins_it_unless_under_the_floor():
    scores = [0.7, 0.95, 0.3, 0.9, 0.05, 0.9, 0.2]
    # (The relative cut off, here and in the tests of the other steps: their
    # short pages hold fewer than MIN_BODY_WORDS body words.)
    mask = body_mask(scores, [0, len(ARTICLE)], ARTICLE, min_body_words=0)
    # The subheading (0.3) sits between two body lines; the advertisement
    # does too, but scores under the floor; "Share this story" ends the page.
    assert mask.tolist() == [True, True, True, True, False, True, False]
    assert SCORE_FLOOR == 0.1
    assert body_mask(scores, [0, len(ARTICLE)], ARTICLE, min_body_words=0,
                     fill_gaps=False).tolist() == [
        True, True, False, True, False, True, False]


def test_only_one_line_gaps_of_one_page_are_filled():
    # Two doubted lines in a row stay out; so does a line whose body
    # neighbours are on two pages.
    scores = [0.9, 0.3, 0.3, 0.9, 0.9, 0.3]
    assert body_mask(scores, [0, 6], ARTICLE[:6], min_body_words=0).tolist() == [
        True, False, False, True, True, False]
    # (Without the short-page headline step, the second page's doubted
    # first line stays out.)
    pages = body_mask([0.9, 0.9, 0.3, 0.9], [0, 2, 4], ARTICLE[:4], min_body_words=0,
                      headline_lines=0)
    assert pages.tolist() == [True, True, False, True]


@pytest.mark.parametrize("relative", [0.3, 0.9])
def test_the_relative_cut_follows_the_page_s_best_score(relative):
    scores = [0.45, 0.4, 0.2]
    mask = body_mask(scores, [0, 3], ["a b", "c d", "e f"], relative=relative)
    assert mask.tolist() == [s >= max(SCORE_FLOOR, relative * 0.45) for s in scores]


TAGGED = ["The council voted on Tuesday to close the old bridge for good, officers said.",
          "Repairs would have cost more than a new bridge, the report found.",
          "- Bridges", "- Council", "- Budget", "- Transport",
          "Related", "- Council to vote on bridge", "- New bridge plans shown",
          "- Residents ask for ferry", "- Ferry fares to rise"]


def test_a_run_of_list_items_takes_one_verdict_by_its_mean_score():
    # The tag list's mean (0.30) is under the threshold: "- Council" (0.55)
    # goes with it. The related list is boilerplate as it was.
    scores = [0.95, 0.9, 0.3, 0.55, 0.2, 0.15, 0.05, 0.3, 0.2, 0.1, 0.1]
    mask = body_mask(scores, [0, len(TAGGED)], TAGGED, min_body_words=0)
    assert MIN_LIST_RUN == 4
    assert mask.tolist() == [True, True] + [False] * 9
    assert body_mask(scores, [0, len(TAGGED)], TAGGED, min_body_words=0, list_runs=0)[3]


def test_a_list_inside_the_article_stays_whole_in_it():
    ingredients = ["Pancakes", "Mix the flour with the eggs and milk until smooth and thick.",
                   "- 200 g flour", "- 2 eggs", "- 300 ml milk", "- a pinch of salt",
                   "\u2022 a knob of butter", "Fry each pancake for a minute on both sides."]
    # "- 300 ml milk" scores low, but the list's mean (0.56) reaches the
    # threshold; a bullet ("\u2022 ") marks an item as "- " does.
    scores = [0.8, 0.9, 0.6, 0.7, 0.3, 0.55, 0.65, 0.9]
    assert body_mask(scores, [0, 8], ingredients, min_body_words=0).all()
    assert not body_mask(scores, [0, 8], ingredients, min_body_words=0, list_runs=0,
                         fill_gaps=False)[4]


def test_short_runs_and_runs_across_pages_are_not_voted():
    texts = ["- Home", "- News", "- Sport", "- Weather", "- Travel", "- Food"]
    scores = [0.2, 0.9, 0.9, 0.9, 0.2, 0.2]
    plain = dict(fill_gaps=False, min_body_words=0, headline_lines=0)
    # Two pages of three items: no run is long enough.
    two_pages = body_mask(scores, [0, 3, 6], texts, **plain)
    assert two_pages.tolist() == [s >= 0.5 for s in scores]
    # (Nor with an empty page between them.)
    assert body_mask(scores, [0, 3, 3, 6], texts, **plain).tolist() == two_pages.tolist()
    # One page: a run of six whose mean (0.55) reaches the threshold.
    assert body_mask(scores, [0, 6], texts, **plain).all()
    # A line that is not an item ends a run.
    broken = texts[:3] + ["Weather"] + texts[4:]
    assert body_mask(scores, [0, 6], broken, **plain).tolist() == [s >= 0.5 for s in scores]


THREAD = ["Bridge to close",
          "The council voted on Tuesday to close the old bridge for good, officers said.",
          "Repairs would have cost more than a new bridge, the report found on Monday.",
          "12 Comments",
          "I drove over that bridge every day for thirty years and never saw a crack in it.",
          "Jane says:",
          "About time the council listened to the people who live by the river, I think."]
THREAD_SCORES = [0.8, 0.95, 0.9, 0.2, 0.75, 0.1, 0.7]


def test_a_comment_section_heading_after_the_article_ends_the_body():
    # The comments read like prose and score over the threshold; the
    # heading comes after all the article's words.
    mask = body_mask(THREAD_SCORES, [0, len(THREAD)], THREAD)
    assert COMMENTS_AFTER_SHARE == 0.2
    assert mask.tolist() == [True, True, True, False, False, False, False]
    # Without the step the thread is body, its heading and "Jane says:"
    # too (one-line gaps between body lines).
    kept = body_mask(THREAD_SCORES, [0, len(THREAD)], THREAD, comments_after=None)
    assert kept.all()


def test_a_comment_count_above_the_article_does_not_end_it():
    # "3 Comments" under the headline: no body words above it yet, but the
    # headline's (3 of the page's 46 body words: under 0.2 of them).
    page = ["Bridge to close", "3 Comments"] + THREAD[1:3] + [
        "The new bridge opens in the spring of next year, officers added in a statement."]
    scores = [0.8, 0.05, 0.95, 0.9, 0.9]
    assert body_mask(scores, [0, 5], page).tolist() == [True, False, True, True, True]
    # Each page ends at its own heading only.
    two = body_mask(scores + THREAD_SCORES, [0, 5, 5 + len(THREAD)], page + THREAD)
    assert two.tolist() == [True, False, True, True, True,
                            True, True, True, False, False, False, False]


@pytest.mark.parametrize("heading", ["12 Comments", "34 Responses to \u201cBridge to close\u201d",
                                     "Leave a Reply", "Comments (3)", "Show 119 comments",
                                     "  Kommentare  ", "Post a comment",
                                     "{ 69 comments\u2026 read them below or add one }",
                                     "\u00bb 12 Comments", "52 comments | Add yours"])
def test_comment_section_headings(heading):
    # Not headings: prose, a column's label, a paper's section, a notice,
    # and a menu's or share bar's link (a list item).
    texts = [heading, "12 comments on the plan were sent to the council", "Comment",
             "Discussion", "Response to criticisms", "Comments are closed.", "- Comments",
             "- 12 comments", "\u2022 Leave a reply"]
    assert comment_section_headings(texts).tolist() == [True] + [False] * 8


def test_a_long_thread_does_not_keep_the_article_from_ending_at_its_heading():
    # A 213-word article, then a thread of ten times its words: the
    # heading has under 0.2 of the page's body words above it, yet 200.
    sentence = "The council voted on Tuesday to close the old bridge for good, officers said."
    comment = "I drove over that bridge every day for thirty years and never saw a crack in it."
    article = ["Bridge to close"] + [sentence] * 15
    page = article + ["199 Comments"] + [comment] * 120
    scores = [0.8] + [0.95] * 15 + [0.2] + [0.75] * 120
    words = sum(len(line.split()) for line in article)
    assert words >= COMMENTS_AFTER_WORDS == 200
    assert words < COMMENTS_AFTER_SHARE * (words + 120 * len(comment.split()))
    mask = body_mask(scores, [0, len(page)], page)
    assert mask.tolist() == [True] * len(article) + [False] * 121
    # By the share alone, the thread outweighs the article and stays body.
    kept = body_mask(scores, [0, len(page)], page, comments_after_words=None)
    assert kept[len(article) + 1:].all()


def test_the_first_line_above_the_body_of_a_short_page_is_its_headline():
    page = ["Minister backs budget plan",
            "The council approved plans for a new tram line on Tuesday after a long debate."]
    assert SHORT_PAGE_LINES == 3
    assert body_mask([0.45, 0.95], [0, 2], page).all()
    assert body_mask([0.05, 0.95], [0, 2], page).tolist() == [False, True]  # under the floor
    # On a longer page the first line is often the site's <title>: left alone.
    # (The relative cut off: it would take the first line, at 0.3 of the best.)
    longer = page + ["Share this story", "Privacy policy"]
    assert body_mask([0.45, 0.95, 0.05, 0.02], [0, 4], longer,
                     min_body_words=0).tolist() == [False, True, False, False]


# From HTML: a page's chrome, then its story's container (a doubted last
# paragraph in it), then an advertisement's container.
CONTAINED = ["Home", "Council closes the old bridge",
             "The council voted on Tuesday to close the old bridge for good, officers said.",
             "Repairs would have cost more than a new bridge, the report found on Monday.",
             "Drivers will take the ring road until the new bridge opens next spring.",
             "Advertisement"]
CONTAINERS = [0, 1, 1, 1, 1, 2]
CONTAINED_SCORES = [0.01, 0.9, 0.95, 0.9, 0.15, 0.02]


def test_a_doubted_line_of_a_mostly_body_container_is_body():
    assert CONTAINER_SHARE == 0.4
    mask = body_mask(CONTAINED_SCORES, [0, 6], CONTAINED, containers=CONTAINERS)
    assert mask.tolist() == [False, True, True, True, True, False]
    # From text (no containers) the doubted paragraph stays out.
    assert not body_mask(CONTAINED_SCORES, [0, 6], CONTAINED)[4]
    # Under the floor it stays out too.
    scores = CONTAINED_SCORES[:4] + [SCORE_FLOOR / 2, 0.02]
    assert not body_mask(scores, [0, 6], CONTAINED, containers=CONTAINERS)[4]
    # A container under 0.4 body by its words joins nothing: only the
    # headline (5 of 46 words) is body there.
    scores = [0.01, 0.9, 0.3, 0.3, 0.15, 0.02]
    assert body_mask(scores, [0, 6], CONTAINED, containers=CONTAINERS,
                     min_body_words=0).tolist() == [False, True] + [False] * 4


def test_containers_are_one_per_line():
    with pytest.raises(ValueError, match="5 containers for 6 lines"):
        body_mask(CONTAINED_SCORES, [0, 6], CONTAINED, containers=CONTAINERS[:5])
