"""Topic corpora readers and the multi-label topic model, on small fixtures."""

import functools
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import classifier
from classifier.topics.model import MultiLabelTopicModel
from training.corpora import read_20newsgroups, read_reuters_modapte, strip_newsgroup_post

POST = """From: someone@example.edu (Some One)
Subject: Re: orbit insertion
Organization: A University
Lines: 9

In article <123@example.edu> other@example.edu (Other) writes:
> The probe will reach orbit next year.
| and the launch window closes in June.

The probe's orbit insertion burn lasts forty minutes.
--
Some One, Department of Physics
"""


def test_newsgroup_post_loses_headers_quotes_and_signature():
    assert strip_newsgroup_post(POST) == "The probe's orbit insertion burn lasts forty minutes."
    assert strip_newsgroup_post("Subject: only headers") == ""


def test_20newsgroups_reader_keeps_the_bydate_split(tmp_path):
    for split, group, name in [("train", "sci.space", "1"), ("train", "rec.autos", "2"),
                               ("test", "sci.space", "3")]:
        folder = tmp_path / f"20news-bydate-{split}" / group
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(POST.encode() + b"caf\xe9\n")  # latin-1 byte
    train = read_20newsgroups(tmp_path, "train")
    assert sorted(train["topic"]) == ["rec.autos", "sci.space"]
    assert (train["split"] == "train").all() and "From:" in train["text"].iloc[0]
    stripped = read_20newsgroups(tmp_path, "test", strip=True)
    assert stripped["text"].tolist() == ["The probe's orbit insertion burn lasts forty minutes."]
    with pytest.raises(ValueError):
        read_20newsgroups(tmp_path, "dev")


def _story(newid, split, topics, title, body, has_topics="YES"):
    labels = "".join(f"<D>{t}</D>" for t in topics)
    return (f'<REUTERS TOPICS="{has_topics}" LEWISSPLIT="{split}" CGISPLIT="X" OLDID="1" '
            f'NEWID="{newid}">\n<DATE>26-FEB-1987</DATE>\n<TOPICS>{labels}</TOPICS>\n'
            f"<TEXT>&#2;\n<TITLE>{title}</TITLE>\n<BODY>{body}\n Reuter\n&#3;</BODY></TEXT>\n"
            "</REUTERS>\n")


def test_reuters_modapte_split_and_topic_filter(tmp_path):
    stories = [_story(1, "TRAIN", ["grain", "wheat"], "WHEAT &amp; GRAIN", "Wheat rose."),
               _story(2, "TRAIN", ["cocoa"], "COCOA", "Only in training."),
               _story(3, "TEST", ["wheat"], "WHEAT", "Wheat fell."),
               _story(4, "TEST", ["grain"], "GRAIN", "Grain fell."),
               _story(5, "NOT-USED", ["wheat"], "X", "Not in ModApte."),
               _story(6, "TRAIN", ["wheat"], "Y", "No topics flag.", has_topics="NO")]
    (tmp_path / "reut2-000.sgm").write_bytes(
        ('<!DOCTYPE lewis SYSTEM "lewis.dtd">\n' + "".join(stories)).encode("latin-1"))
    data = read_reuters_modapte(tmp_path)
    # cocoa has no test story, so it is dropped, and story 2 with it.
    assert data["source"].tolist() == ["reut2-000.sgm#1", "reut2-000.sgm#3", "reut2-000.sgm#4"]
    assert data["topics"].tolist() == [("grain", "wheat"), ("wheat",), ("grain",)]
    assert data["split"].tolist() == ["train", "test", "test"]
    assert data["text"].iloc[0].startswith("WHEAT & GRAIN\nWheat rose.")
    assert "\x03" not in data["text"].iloc[0]


DOCS = [("wheat harvest grain prices rise", ("grain", "wheat")),
        ("grain exports corn shipments", ("grain",)),
        ("wheat flour mills wheat", ("wheat",)),
        ("crude oil barrels opec", ("crude",)),
        ("oil prices crude output", ("crude",)),
        ("grain and oil freight rates", ("crude", "grain"))] * 4


def test_multilabel_model_gives_every_topic_over_threshold_and_at_least_one():
    model = MultiLabelTopicModel(C=10.0, threshold=0.4).fit(
        [text for text, _ in DOCS], [labels for _, labels in DOCS])
    assert list(model.classes_) == ["crude", "grain", "wheat"]
    probabilities = model.predict_proba(["wheat grain harvest", "unrelated words entirely"])
    assert probabilities.shape == (2, 3) and np.all((0 <= probabilities) & (probabilities <= 1))
    predicted = model.predict(["wheat grain harvest", "crude oil", "unrelated words entirely"])
    assert set(predicted[0]) == {"grain", "wheat"} and predicted[1] == ("crude",)
    assert len(predicted[2]) >= 1
    with pytest.raises(ValueError, match="at least one topic"):
        MultiLabelTopicModel().fit(["a", "b"], [("x",), ()])


class EveryLineIsBody:
    """A stand-in line model, so these tests are about topics only."""

    threshold = 0.5

    def body_proba(self, table):
        return np.ones(len(table))


def test_pages_get_all_their_topics_from_a_multilabel_model():
    model = MultiLabelTopicModel(C=10.0, threshold=0.4).fit(
        [text for text, _ in DOCS], [labels for _, labels in DOCS])
    clf = classifier.Classifier(EveryLineIsBody(), model)
    both, oil = clf.predict_many(["wheat harvest grain prices", "crude oil barrels"])
    assert set(both.topics) == {"grain", "wheat"} and both.topics[0] == both.topic
    assert both.topic_scores[both.topics[0]] >= both.topic_scores[both.topics[1]]
    assert oil.topics == ("crude",) and both.to_dict()["topics"] == list(both.topics)
    assert clf.predict("").topics == ()


def test_a_single_label_model_gives_one_topic(trained_models):
    shipped = classifier.load(trained_models, trusted=True)
    page = classifier.Classifier(EveryLineIsBody(), shipped.topic_model).predict(
        "The minister said the election campaign would focus on health.")
    assert page.topics == (page.topic,) and page.topic is not None


def test_reliability_bins_and_expected_calibration_error():
    from training.calibration import reliability

    classes = np.array(["a", "b"])
    probabilities = np.array([[0.95, 0.05], [0.9, 0.1], [0.3, 0.7], [0.4, 0.6]])
    report = reliability(probabilities, ["a", "b", "b", "a"], classes, n_bins=10)
    used = [b for b in report["bins"] if b["count"]]
    assert [(b["lower"], b["count"]) for b in used] == [(0.5, 1), (0.6, 1), (0.8, 1), (0.9, 1)]
    # Bins (0.5-0.6] 0.6 wrong, (0.6-0.7] 0.7 right, (0.8-0.9] 0.9 wrong, (0.9-1] 0.95 right.
    assert report["ece"] == round((0.6 + 0.3 + 0.9 + 0.05) / 4, 4)
    perfect = reliability(np.array([[1.0, 0.0], [0.0, 1.0]]), ["a", "b"], classes)
    assert perfect["ece"] == 0.0


def test_multilabel_training_and_evaluation_from_the_command_line(tmp_path, capsys):
    import json as json_module

    from training.__main__ import main

    table = tmp_path / "stories.jsonl"
    table.write_text("\n".join(json_module.dumps({"text": text, "topics": list(labels)})
                               for text, labels in DOCS) + "\n")
    csv = tmp_path / "more.csv"
    csv.write_text("text,topics\nwheat grain harvest,grain|wheat\ncrude oil,crude\n")
    assert main(["evaluate", "topics", "--data", str(table), str(csv), "--cv", "3"]) == 0
    assert "micro-F1" in capsys.readouterr().out
    assert main(["topics", "--data", str(table), "--out", str(tmp_path / "models"),
                 "--cv", "3"]) == 0
    manifest = json_module.loads((tmp_path / "models" / "manifest.json").read_text())
    entry = manifest["models"]["topic_model"]
    assert entry["training_data"]["multilabel"] is True
    assert entry["training_data"]["topics"] == {"crude": 12, "grain": 12, "wheat": 8}
    assert 0 <= entry["metrics"]["micro_f1"] <= 1

    bad = tmp_path / "bad.csv"
    bad.write_text("text,topics\nsome text,\n")
    assert main(["evaluate", "topics", "--data", str(bad)]) == 2
    assert "no topics" in capsys.readouterr().err


def test_multilabel_threshold_is_chosen_on_the_training_data_by_default():
    texts, labels = [t for t, _ in DOCS], [l for _, l in DOCS]
    model = MultiLabelTopicModel(C=10.0).fit(texts, labels)
    assert model.threshold_ in MultiLabelTopicModel.THRESHOLDS
    # Refitting gives the same threshold: the folds are seeded.
    assert MultiLabelTopicModel(C=10.0).fit(texts, labels).threshold_ == model.threshold_
    assert MultiLabelTopicModel(threshold=0.4).fit(texts, labels).threshold_ == 0.4


def test_reuters_folder_without_modapte_stories_is_a_clear_error(tmp_path):
    from classifier.errors import DataError

    (tmp_path / "reut2-000.sgm").write_text(_story(1, "TRAIN", ["x"], "T", "B", has_topics="NO"))
    with pytest.raises(DataError, match="no ModApte stories"):
        read_reuters_modapte(tmp_path)


# -- the single-label pipeline: NB-SVM + temperature scaling ----------------------

SPORT = ["the striker scored a late goal and the team won the match",
         "the coach praised the team after the cup match and the goal"]
POLITICS = ["the minister lost the vote and the party called an election",
            "the election campaign of the party and the minister's vote"]
TECH = ["the new chip makes the computer and its software run faster",
        "the software update for the computer chip fixes a bug"]


def _three_topics(copies=4):
    texts, topics = [], []
    for topic, examples in (("sport", SPORT), ("politics", POLITICS), ("tech", TECH)):
        for i in range(copies):
            texts += [f"{text} story {topic}{i}" for text in examples]
            topics += [topic] * len(examples)
    return texts, np.array(topics)


def test_nbsvm_passes_scikit_learn_estimator_checks():
    from sklearn.utils.estimator_checks import check_estimator

    from classifier.topics.model import NaiveBayesSVM

    # Log-count ratios are built for sparse non-negative counts (TF-IDF), not
    # for the dense Gaussian blobs of this one check.
    check_estimator(NaiveBayesSVM(), expected_failed_checks={
        "check_classifiers_train": "naive Bayes ratios need count-like features"})


def test_nbsvm_weights_fold_the_log_count_ratios_into_one_linear_model():
    from scipy import sparse

    from classifier.topics.model import NaiveBayesSVM

    counts = sparse.csr_matrix(np.array([[2, 0, 1], [1, 0, 1], [0, 3, 1], [0, 1, 1]], float))
    model = NaiveBayesSVM(C=1.0).fit(counts, ["a", "a", "b", "b"])
    assert model.coef_.shape == (1, 3)  # binary: one margin, positive for classes_[1]
    # The third feature is in every document: its ratio is 0, so is its weight.
    assert model.coef_[0, 2] == 0.0 and model.coef_[0, 0] < 0 < model.coef_[0, 1]
    assert list(model.predict(counts)) == ["a", "a", "b", "b"]
    indicators = np.array([[1, 0], [1, 1], [0, 1], [0, 1]])
    multilabel = NaiveBayesSVM().fit(counts, indicators)
    assert multilabel.predict(counts).shape == (4, 2)
    assert multilabel.decision_function(counts).shape == (4, 2)


def test_nbsvm_fits_the_same_model_whatever_the_global_random_state():
    from scipy import sparse

    from classifier.topics.model import NaiveBayesSVM

    # liblinear's dual solver shuffles the rows; unseeded, it drew the order
    # from numpy's global random state and two fits differed.
    counts = sparse.random(300, 2000, density=0.02, random_state=1, format="csr") * 3
    topics = np.random.default_rng(0).integers(0, 3, 300)
    fits = []
    for seed in (1, 2):
        np.random.seed(seed)
        fits.append(NaiveBayesSVM(C=0.3).fit(counts, topics))
    np.testing.assert_array_equal(fits[0].coef_, fits[1].coef_)
    np.testing.assert_array_equal(fits[0].intercept_, fits[1].intercept_)


def test_temperature_scaling_gives_distributions_without_changing_the_ranking():
    from classifier.topics.model import default_topic_pipeline

    texts, topics = _three_topics()
    model = default_topic_pipeline(min_df=1).fit(texts, topics)
    queries = ["a late goal won the match", "the party minister", "software bug", "weather"]
    probabilities = model.predict_proba(queries)
    assert np.allclose(probabilities.sum(axis=1), 1.0) and (probabilities >= 0).all()
    svm = model.named_steps["classifier"].calibrated_classifiers_[0].estimator
    margins = svm.decision_function(model.named_steps["tfidf"].transform(queries))
    assert (probabilities.argmax(axis=1) == margins.argmax(axis=1)).all()
    assert list(model.predict(queries[:3])) == ["sport", "politics", "tech"]


def test_character_ngrams_recognise_word_forms_never_seen_in_training():
    from classifier.topics.model import default_topic_pipeline

    texts, topics = _three_topics()
    words = default_topic_pipeline(min_df=1).fit(texts, topics)
    both = default_topic_pipeline(min_df=1, char_ngrams=True).fit(texts, topics)
    unseen = ["strikers scoring goals"]  # none of these words is in the training texts
    assert words.named_steps["tfidf"].transform(unseen).nnz == 0
    assert both.predict(unseen)[0] == "sport"


@pytest.mark.parametrize("text, expected", [
    ("China's President Xi Jinping arrived in Moscow for talks.", "China's    arrived in  for talks."),
    ("The visit ended. Officials said, Ünal and Москва too; 3 Bears won",
     "The visit ended. Officials said,  and  too; 3  won"),
    ("Kremlin spokesman Dmitry Peskov said", "Kremlin spokesman   said"),
    ('He said: "We will" and (ICC) stayed', 'He said: "We will" and (ICC) stayed'),
    ("no capitals here at all", "no capitals here at all"),
    # What is left is stored as narrowly as a str made in Python (or it
    # would not compare equal): ASCII once a Latin-1 name is out, Latin-1
    # once a Cyrillic one is.
    ("the mayor Ángel Ruiz spoke", "the mayor   spoke"),
    ("the mayor Сергей spoke at the café", "the mayor  spoke at the café"),
])
def test_proper_nouns_are_capitalised_words_inside_a_sentence(text, expected):
    from classifier.topics.model import without_proper_nouns

    # The first word of a sentence, a line, a quote or a bracket stays: it
    # is capitalised whatever it is.
    assert without_proper_nouns(text) == expected


@given(st.text(alphabet=st.one_of(st.characters(), st.sampled_from(
    list("aZ Éé,;:0.\n'’-ſΣσİıK\u212a\u01c5  ")))))
def test_proper_nouns_are_taken_out_as_the_look_behind_pattern_defines_them(text):
    from classifier.topics.model import _proper_noun, without_proper_nouns

    expected = _proper_noun_definition().sub("", text)
    assert without_proper_nouns(text) == expected  # compiled (tests run with _words)
    assert _proper_noun().sub(" ", text) == expected  # the pattern used without it


@functools.cache
def _proper_noun_definition() -> re.Pattern:
    """The definition: a capitalised word right after a lower-case word, a
    digit or , ; : and one space (the shipped pattern matches the space
    too, for speed, and puts it back)."""
    from classifier.topics.model import _character_class

    return re.compile(rf"(?<=[{_character_class(str.islower)}0-9,;:] )"
                      rf"[{_character_class(str.isupper)}][\w'’.-]*")


def test_the_common_words_block_leaves_names_to_the_words_block():
    from classifier.topics.model import default_topic_pipeline

    texts = ["Talks with Putin stalled as troops crossed the border.",
             "The minister said Putin would meet the envoy.",
             "Envoys and troops waited while Putin spoke.",
             "Shares rose as Gazprom reported profits.",
             "Profits at Gazprom fell and shares slid.",
             "Investors sold shares after Gazprom cut its forecast."]
    topics = ["politics"] * 3 + ["business"] * 3
    model = default_topic_pipeline(min_df=1, common_words=True).fit(texts, topics)
    blocks = dict(model.named_steps["tfidf"].transformer_list)
    assert {"putin", "gazprom", "troops"} <= set(blocks["words"].vocabulary_)
    common = blocks["common_words"].named_steps["tfidf"].vocabulary_
    assert "troops" in common
    assert not {"putin", "gazprom"} & set(common)
    # Word pairs are read across the gap a name leaves: "with stalled".
    assert "with stalled" in common
    plain = default_topic_pipeline(min_df=1).fit(texts, topics)
    assert "putin" in plain.named_steps["tfidf"].vocabulary_


def test_the_common_words_block_equals_its_former_preprocessor_form():
    # Models pickled before the block was a ProperNounsOut step used
    # common_words_of as their TF-IDF's preprocessor: same features.
    from classifier.topics.model import common_words_of, topic_features, topic_tfidf

    texts = ["Talks with Putin stalled; Café owners in Zürich said Müller left.",
             "The minister said Putin would meet the envoy… “Naïve” Élysée aides waited.",
             "Shares rose as Gazprom reported profits, ÉDF and Łódź too."] * 2
    former = topic_tfidf(2, 1).set_params(preprocessor=common_words_of).fit(texts)
    block = dict(topic_features(2, 1, common_words=True).fit(texts).transformer_list)
    current = block["common_words"]
    assert former.vocabulary_ == current.named_steps["tfidf"].vocabulary_
    assert (former.transform(texts) != current.transform(texts)).nnz == 0


def test_the_topic_is_read_from_the_first_max_chars_characters():
    from classifier.topics.model import LeadingText, default_topic_pipeline

    assert LeadingText(5).fit(["x"]).transform(["abcdefgh", "abc"]) == ["abcde", "abc"]
    texts, topics = _three_topics()
    capped = default_topic_pipeline(min_df=1, max_chars=40).fit(texts, topics)
    whole = default_topic_pipeline(min_df=1).fit(texts, topics)
    # Words past the cap are not read, whatever they say.
    tail = " election minister vote parliament" * 50
    heads = [text.ljust(40)[:40] for text in texts[:3]]
    assert np.allclose(capped.predict_proba([head + tail for head in heads]),
                       capped.predict_proba(heads))
    assert not np.allclose(whole.predict_proba([head + tail for head in heads]),
                           whole.predict_proba(heads))


def test_training_takes_the_settings_a_search_reports(tmp_path, topic_table):
    import json as json_module

    from training.__main__ import main

    out = tmp_path / "models"
    assert main(["topics", "--data", str(topic_table), "--out", str(out), "--cv", "0",
                 "--setting", "C=1", "--setting", "char_ngrams=yes",
                 "--setting", "common_words=yes"]) == 0
    manifest = json_module.loads((out / "manifest.json").read_text())
    entry = manifest["models"]["topic_model"]
    assert entry["training_data"]["settings"] == {"C": 1.0, "char_ngrams": True,
                                                  "common_words": True}
    assert "characters" in entry["parameters"]["pipeline"]
    assert "common_words" in entry["parameters"]["pipeline"]


@pytest.mark.parametrize("setting, message", [("C", "NAME=VALUE"), ("alpha=1", "unknown setting"),
                                              ("char_ngrams=maybe", "not a valid value"),
                                              ("max_chars=0", "max_chars must be a positive")])
def test_training_refuses_a_bad_setting(tmp_path, topic_table, capsys, setting, message):
    from training.__main__ import main

    assert main(["topics", "--data", str(topic_table), "--out", str(tmp_path),
                 "--setting", setting]) == 2
    assert message in capsys.readouterr().err


def test_data_too_small_for_the_word_threshold_gets_a_hint(tmp_path, capsys):
    from training.__main__ import main

    table = tmp_path / "tiny.csv"
    rows = [("alpha beta", "a"), ("gamma delta", "b"), ("epsilon zeta", "a"),
            ("eta theta", "b"), ("iota kappa", "a"), ("lambda mu", "b")]
    table.write_text("text,topic\n" + "".join(f"{text},{topic}\n" for text, topic in rows))
    assert main(["topics", "--data", str(table), "--out", str(tmp_path / "m"), "--cv", "0"]) == 2
    assert "--setting min_df=1" in capsys.readouterr().err
    assert main(["topics", "--data", str(table), "--out", str(tmp_path / "m"), "--cv", "0",
                 "--setting", "min_df=1"]) == 0
    # Two documents of a topic: too few for the calibration's 3 folds, said
    # so instead of scikit-learn's "Requesting 3-fold cross-validation ...".
    table.write_text("text,topic\n" + "".join(f"{text},{topic}\n" for text, topic in rows[:4]))
    assert main(["topics", "--data", str(table), "--out", str(tmp_path / "m2"), "--cv", "0",
                 "--setting", "min_df=1"]) == 2
    assert "topic 'a' has 2 training document(s); every topic needs at least 3" in \
        capsys.readouterr().err
