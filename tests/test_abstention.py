"""The topic model says when no topic fits (classifier/topics/abstention.py)."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest

import classifier
from classifier.topics.abstention import (LANGUAGE, NO_BODY, OUT_OF_SCHEME, TOO_SHORT,
                                          Abstention,
                                          abstention_reasons, known_words,
                                          topic_probabilities_and_evidence)
from training.topics import choose_abstention, fit_topic_model, out_of_fold_evidence

# The topics of tests/conftest.py's topic_table, and its function words.
POLITICS = ("The minister and the party won the vote in parliament; the government "
            "and the campaign of the election went to the minister.")
SPANISH = ("El Gobierno aprobó este martes la subida del salario mínimo, que llegará a "
           "los trabajadores con contratos temporales durante el próximo año.")
# Words of the training table, but of no topic: its function words.
NO_TOPIC = "the a of to and in that it was for on with as by at from " * 3


@pytest.fixture(scope="module")
def abstaining_models(trained_models, topic_table, tmp_path_factory):
    """The test models with a topic model trained as by default (the
    shared fixture's never says "out of scheme")."""
    from training.__main__ import main

    out = tmp_path_factory.mktemp("abstaining") / "models"
    shutil.copytree(trained_models, out)
    assert main(["topics", "--data", str(topic_table), "--out", str(out), "--cv", "0"]) == 0
    return out


@pytest.fixture(scope="module")
def clf(abstaining_models):
    return classifier.load(abstaining_models, trusted=True)


def test_training_records_the_abstention_settings_in_the_manifest(abstaining_models, clf):
    entry = json.loads((abstaining_models / "manifest.json").read_text())["models"]["topic_model"]
    settings = entry["abstention"]
    assert settings["coverage"] == 0.95 and isinstance(settings["min_evidence"], float)
    lengths = [words for words, _ in settings["short_thresholds"]]
    # (The cut lengths the table's documents are longer than.)
    assert lengths and lengths == [15, 25, 40, 60][:len(lengths)]
    assert settings["min_evidence_short"] is None
    assert clf.abstention == Abstention.from_dict(settings)


def test_a_body_of_the_model_s_topics_gets_its_topic(clf):
    page = clf.predict(POLITICS)
    assert (page.topic, page.topic_reason, page.topics) == ("politics", None, ("politics",))


@pytest.mark.parametrize("body, reason", [
    (SPANISH, LANGUAGE + "other"),
    (NO_TOPIC, OUT_OF_SCHEME),
    ("Home | About | Contact", NO_BODY),
])
def test_a_body_no_topic_fits_gets_none_with_the_reason_and_keeps_its_scores(clf, body, reason):
    page = clf.predict(body)
    assert page.topic is None and page.topics == ()
    assert page.topic_reason == reason
    if reason != NO_BODY:
        assert set(page.topic_scores) == {"politics", "sport", "tech"}
        assert sum(page.topic_scores.values()) == pytest.approx(1.0)
    as_dict = page.to_dict()
    assert (as_dict["topic"], as_dict["topic_reason"]) == (None, reason)


def test_a_body_of_two_words_is_too_short(clf):
    # (The test line model keeps no two-word page: the body is given.)
    (topic, scores, topics, reason), = clf._topics(["Minister vote"])
    assert (topic, topics, reason) == (None, (), TOO_SHORT) and scores


def test_without_a_topic_model_there_is_no_topic_and_no_reason(abstaining_models):
    page = classifier.load(abstaining_models, trusted=True, topics=False).predict(POLITICS)
    assert (page.topic, page.topic_reason) == (None, None)


def test_abstention_can_be_turned_off(abstaining_models):
    page = classifier.load(abstaining_models, trusted=True, abstain=False).predict(NO_TOPIC)
    assert page.topic in {"politics", "sport", "tech"} and page.topic_reason is None


def test_predict_many_and_the_dicts_agree_with_predict(clf):
    texts = [POLITICS, SPANISH, NO_TOPIC, "Home | About"]
    pages = clf.predict_many(texts)
    assert [page.to_dict() for page in pages] == [clf.predict(text).to_dict() for text in texts]
    assert [page.to_dict() for page in pages] == clf.predict_many_as_dicts(texts)


def test_the_reasons_in_order_of_precedence():
    vocabulary = {word: i for i, word in enumerate("minister vote party the of".split())}
    settings = Abstention(min_words=3, min_known_share=0.6, min_evidence=0.0)
    texts = ["minister vote",                      # two words: too short
             "minister vote party unknown words here and more",  # 3 of 8 known
             "minister vote party the of", "minister vote party the of"]
    reasons = abstention_reasons(settings, texts, np.array([1.0, 1.0, -1.0, 1.0]), vocabulary)
    assert reasons[0] == TOO_SHORT
    assert reasons[1].startswith(LANGUAGE)
    assert reasons[2:] == [OUT_OF_SCHEME, None]
    # Numbers are no language's words; accents fold as the vectorizers fold them.
    assert known_words(["Ministér 2024 vote"], vocabulary) == (np.array([2]), np.array([2]))


def test_settings_are_checked():
    with pytest.raises(ValueError, match="min_known_share"):
        Abstention(min_known_share=1.5)
    with pytest.raises(ValueError, match="min_words"):
        Abstention(min_words=-1)
    assert Abstention.from_dict({"min_words": 2, "later_setting": 1}) == Abstention(min_words=2)


def _table(rows_per_topic=12, seed=0):
    rng = np.random.default_rng(seed)
    vocab = {"politics": "minister election vote party parliament".split(),
             "sport": "match team season player league".split(),
             "tech": "software phone internet users network".split()}
    rows = [{"text": " ".join(rng.choice(words, 30)), "topic": topic}
            for topic, words in vocab.items() for _ in range(rows_per_topic)]
    return pd.DataFrame(rows)


def test_the_threshold_keeps_the_asked_share_of_training_documents_answered():
    data = _table()
    whole, cuts = out_of_fold_evidence(data)
    chosen = choose_abstention(data, coverage=0.9)
    assert chosen.coverage == 0.9
    assert (whole >= chosen.min_evidence).mean() >= 0.9
    assert list(cuts) == [15, 25, 40, 60]
    # The documents hold 30 words: no cut of 40 or 60, so no threshold of theirs.
    assert [length for length, _ in chosen.short_thresholds] == [15, 25]
    for length, threshold in chosen.short_thresholds:
        assert (cuts[length] >= threshold).mean() >= 0.9
    # A short text holds less evidence than the whole one it opens.
    assert np.median(cuts[15]) < np.median(whole)
    assert choose_abstention(data, coverage=1.0).min_evidence is None
    with pytest.raises(ValueError, match="coverage"):
        choose_abstention(data, coverage=0)


def test_a_short_body_is_held_to_the_threshold_of_its_length():
    settings = Abstention(min_evidence=0.0, short_words=60,
                          short_thresholds=[[15, -0.6], [60, -0.3]])
    assert settings.short_thresholds == ((15, -0.6), (60, -0.3))  # as read from a manifest
    assert settings.evidence_threshold(5) == settings.evidence_threshold(15) == -0.6
    halfway = settings.evidence_threshold(30)  # 30 is halfway from 15 to 60 in log(words)
    assert halfway == pytest.approx(-0.45)
    assert settings.evidence_threshold(59) > halfway
    assert settings.evidence_threshold(60) == settings.evidence_threshold(600) == 0.0
    assert Abstention.from_dict(settings.to_dict()) == settings
    assert json.loads(json.dumps(settings.to_dict()))["short_thresholds"] == [[15, -0.6],
                                                                              [60, -0.3]]
    # A folder of before: one threshold under short_words.
    old = Abstention(min_evidence=0.0, min_evidence_short=-0.5)
    assert old.evidence_threshold(10) == old.evidence_threshold(59) == -0.5
    for bad in ([(60, -0.3), (15, -0.6)], [[15]], [["a", -0.6]], 5, [(0, -0.6)]):
        with pytest.raises(ValueError, match="ascending"):
            Abstention(short_thresholds=bad)


def test_a_manifest_with_broken_abstention_settings_is_refused_clearly(abstaining_models,
                                                                       tmp_path):
    broken = tmp_path / "models"
    shutil.copytree(abstaining_models, broken)
    manifest = json.loads((broken / "manifest.json").read_text())
    manifest["models"]["topic_model"]["abstention"]["short_thresholds"] = [[15]]
    (broken / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(classifier.ModelError, match="abstention settings.*short_thresholds"):
        classifier.load(broken, trusted=True)
    assert classifier.load(broken, trusted=True, abstain=False).abstention is None


def test_a_multi_label_model_abstains_by_its_largest_topic_probability():
    data = _table(10)
    data = pd.DataFrame({"text": data["text"], "topics": [(topic,) for topic in data["topic"]]})
    chosen = choose_abstention(data, coverage=0.9)
    model = fit_topic_model(data)
    assert model.multilabel and chosen.min_evidence is not None
    texts = ["minister vote party parliament election", "minister match phone"]
    probabilities, evidence = topic_probabilities_and_evidence(model, texts)
    assert (evidence == probabilities.max(axis=1)).all()
    settings = Abstention(min_words=1, min_evidence=float(evidence.mean()))
    reasons = abstention_reasons(settings, texts, evidence, model.vectorizer_.vocabulary_)
    assert reasons == [None, OUT_OF_SCHEME]


def test_a_folder_saved_before_abstention_gives_every_page_a_topic():
    from test_store import FLAT_LAYOUT_MODELS

    clf = classifier.load(FLAT_LAYOUT_MODELS, trusted=True)
    assert clf.abstention is None
    page = clf.predict(SPANISH)
    assert page.topic is not None and page.topic_reason is None


def test_too_few_documents_to_choose_a_threshold_give_none_and_say_so(capsys):
    data = _table(rows_per_topic=3)  # each fold's training part: 2 per topic
    chosen = choose_abstention(data, coverage=0.95)
    assert chosen.min_evidence is None and not chosen.short_thresholds
    assert "no 'out of scheme' threshold" in capsys.readouterr().err


def test_the_probabilities_are_the_model_s_own_whether_it_abstains_or_not(clf):
    from classifier.pipelines import pipeline_proba

    texts = [POLITICS, SPANISH, NO_TOPIC]
    probabilities, evidence = topic_probabilities_and_evidence(clf.topic_model, texts)
    assert np.array_equal(probabilities, pipeline_proba(clf.topic_model, texts))
    assert np.array_equal(probabilities, clf.topic_model.predict_proba(texts))
    margins = clf.topic_model[-1].calibrated_classifiers_[0].estimator.decision_function(
        clf.topic_model[:-1].transform(texts))
    assert np.array_equal(evidence, margins.max(axis=1))


def test_the_language_is_named_when_asked(clf):
    from dataclasses import replace

    named = classifier.Classifier(clf.line_model, clf.topic_model, clf.manifest,
                                  abstention=replace(clf.abstention, name_language=True))
    assert named.predict(SPANISH).topic_reason == LANGUAGE + "es"
