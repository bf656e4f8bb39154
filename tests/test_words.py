"""The compiled word features give scikit-learn's matrices, entry for entry:
HashedWords those of HashingVectorizer, WordTfidfVectorizer those of
TfidfVectorizer."""

import io
import re
import sys
import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer, strip_accents_unicode
from sklearn.utils import murmurhash3_32

from classifier import words
from classifier.words import HashedWords, WordTfidfVectorizer, without_marks

# Texts that exercise what a reimplementation could get wrong: case
# mappings that change length (İ, ß) or depend on context (final sigma),
# digits and "_" inside words, combining marks, characters beyond the
# BMP, a lone surrogate, NUL, many kinds of spaces.
AWKWARD = [
    "", " ", "Hello, World! hello world", "İstanbul ΟΔΟΣ Σίσυφος STRASSE straße",
    "snake_case x2 ４２ ⅷ ½ 3.14 — e\u0301te\u0301 ﬁne", "emoji 😀 ok 𝒜𝒷𝒸 𓀀 word",
    "lone \ud800 surrogate", "nul\0inside", "tab\tnew\nline\u2003em\u00a0nbsp",
    "a b c d e f g", "ÀÉÎÕÜ ǅ ǈ ǋ", "日本語のテキスト 中文 한국어", "عربي עברית",
]

# Any code points, or ASCII only (tokenised by _words.c's own ASCII path;
# any code points rarely make an all-ASCII text).
text = (st.text(alphabet=st.characters(exclude_categories=()), max_size=60)
        | st.text(alphabet=st.characters(max_codepoint=127), max_size=60))


def test_the_development_install_has_the_compiled_words():
    # Without it the other tests here could only check the fallback.
    assert words.COMPILED


@pytest.mark.parametrize("parameters", [
    dict(n_features=2 ** 18, ngram_range=(1, 2), alternate_sign=False),
    dict(n_features=2 ** 20, ngram_range=(1, 1)),
    dict(n_features=97, ngram_range=(2, 3), lowercase=False),
    dict(n_features=1, ngram_range=(1, 4)),
])
def test_awkward_texts_give_words_vectorizers_matrix(parameters):
    hashed = HashedWords(**parameters)
    assert_same_matrix(hashed.transform(AWKWARD), hashed.reference_vectorizer().transform(AWKWARD))


@settings(max_examples=200, deadline=None)
@given(st.lists(text, min_size=1, max_size=8), st.integers(1, 3), st.integers(0, 2),
       st.booleans(), st.booleans())
def test_any_texts_give_words_vectorizers_matrix(texts, min_n, extra_n, lowercase,
                                                   alternate_sign):
    hashed = HashedWords(n_features=2 ** 10, ngram_range=(min_n, min_n + extra_n),
                        lowercase=lowercase, alternate_sign=alternate_sign)
    assert_same_matrix(hashed.transform(texts), hashed.reference_vectorizer().transform(texts))


@pytest.mark.parametrize("alternate_sign", [False, True])
def test_long_rows_with_repeated_words_give_words_vectorizers_matrix(alternate_sign):
    # Rows of 32 entries or more are sorted by radix passes in _words.c,
    # shorter ones by insertion; with alternate_sign some sums are 0 (kept).
    texts = [" ".join(["the cat sat", "on a mat", "the cat"] * 30),
             " ".join(f"w{i % 37}" for i in range(500)), "x y x y x", "",
             "p1 p5"]  # at 7 columns, +1 and -1 in one column: an entry of 0
    for n_features in (7, 2 ** 18):
        hashed = HashedWords(n_features=n_features, ngram_range=(1, 2),
                             alternate_sign=alternate_sign)
        matrix = hashed.transform(texts)
        assert_same_matrix(matrix, hashed.reference_vectorizer().transform(texts))
        if n_features == 7:  # the entry of 0 is there, kept
            assert (matrix[4].data == 0).any() == alternate_sign


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=40))
def test_the_hash_is_murmurhash3(data):
    assert words._words.murmurhash3_32(data) == murmurhash3_32(data, seed=0)


def test_the_fallback_gives_the_same_matrix(monkeypatch):
    hashed = HashedWords(n_features=2 ** 18, ngram_range=(1, 2))
    compiled = hashed.transform(AWKWARD)
    monkeypatch.setattr(words, "_words", None)
    assert_same_matrix(hashed.transform(AWKWARD), compiled)


def test_bad_input_is_refused_clearly():
    hashed = HashedWords()
    with pytest.raises(ValueError, match="not one text"):
        hashed.transform("one text")
    with pytest.raises(TypeError, match="must be str, not int"):
        hashed.transform(["fine", 3])
    with pytest.raises(ValueError, match="ngram_range"):
        HashedWords(ngram_range=(2, 1)).transform(["a b"])
    with pytest.raises(ValueError, match="n_features"):
        HashedWords(n_features=0).fit(["a"])


def test_any_iterable_of_texts_is_taken():
    hashed = HashedWords(ngram_range=(1, 2))
    assert_same_matrix(hashed.transform(iter(AWKWARD)), hashed.transform(AWKWARD))
    assert_same_matrix(hashed.transform(np.array(AWKWARD, dtype=object)),
                       hashed.transform(AWKWARD))
    assert hashed.transform([]).shape == (0, 2 ** 20)


TFIDF_SETTINGS = [
    dict(sublinear_tf=True, ngram_range=(1, 2), min_df=1, strip_accents="unicode",
         dtype=np.float32),
    dict(ngram_range=(1, 3), lowercase=False),
    dict(ngram_range=(2, 2), strip_accents="unicode", token_pattern=r"(?u)\b\w+\b"),
    # Settings left to scikit-learn's own code: must still be right.
    dict(strip_accents="ascii", token_pattern=r"\S+"),
    dict(analyzer="char_wb", ngram_range=(2, 4), strip_accents="unicode"),
    dict(stop_words=["the", "a"], ngram_range=(1, 2)),
]


@pytest.mark.parametrize("settings_", TFIDF_SETTINGS)
def test_awkward_texts_give_tfidf_vectorizers_vocabulary_and_matrix(settings_):
    ours, theirs = WordTfidfVectorizer(**settings_), TfidfVectorizer(**settings_)
    assert_same_matrix(ours.fit_transform(AWKWARD), theirs.fit_transform(AWKWARD))
    assert ours.vocabulary_ == theirs.vocabulary_
    others = AWKWARD[::-1] + ["hello world unseen words", "ΟΔΟΣ"]
    assert_same_matrix(ours.transform(others), theirs.transform(others))
    assert ours.build_analyzer()(AWKWARD[3]) == theirs.build_analyzer()(AWKWARD[3])


@settings(max_examples=100, deadline=None)
@given(st.lists(text, min_size=2, max_size=8), st.lists(text, min_size=1, max_size=4),
       st.sampled_from(TFIDF_SETTINGS[:3]))
def test_any_texts_give_tfidf_vectorizers_matrix(training, texts, settings_):
    ours, theirs = WordTfidfVectorizer(**settings_), TfidfVectorizer(**settings_)
    try:
        expected = theirs.fit_transform(training)
    except ValueError:  # empty vocabulary: both refuse the same way
        with pytest.raises(ValueError, match="empty vocabulary"):
            ours.fit(training)
        return
    assert_same_matrix(ours.fit_transform(training), expected)
    assert_same_matrix(ours.transform(texts), theirs.transform(texts))


@settings(max_examples=200, deadline=None)
@given(text)
def test_accents_are_stripped_as_scikit_learn_strips_them(value):
    assert without_marks(value) == strip_accents_unicode(value)


def test_the_combining_marks_table_has_every_mark_and_nothing_else():
    marks = words.combining_marks()
    for code in range(sys.maxunicode + 1):
        has_bit = bool(marks[code >> 3] >> (code & 7) & 1)
        assert has_bit == bool(unicodedata.combining(chr(code))), hex(code)


def test_the_tfidf_fallback_gives_the_same_matrix(monkeypatch):
    settings_ = TFIDF_SETTINGS[0]
    compiled = WordTfidfVectorizer(**settings_).fit(AWKWARD)
    expected = compiled.transform(AWKWARD)
    monkeypatch.setattr(words, "_words", None)
    fallback = WordTfidfVectorizer(**settings_).fit(AWKWARD)
    assert_same_matrix(fallback.transform(AWKWARD), expected)
    assert_same_matrix(compiled.transform(AWKWARD), expected)


def test_a_vectorizer_fitted_again_counts_with_its_new_vocabulary():
    ours, theirs = WordTfidfVectorizer(), TfidfVectorizer()
    ours.fit(["alpha beta gamma"]).transform(["alpha beta"])
    assert_same_matrix(ours.fit(AWKWARD).transform(AWKWARD),
                       theirs.fit(AWKWARD).transform(AWKWARD))


def test_long_texts_over_a_big_vocabulary_are_counted_as_scikit_learn_counts_them():
    # Thousands of columns (the sort of each text's columns takes two
    # passes over 11-bit digits), texts of hundreds of n-grams (the lookups
    # fetch slots ahead), words repeated (counts above 1).
    rng = np.random.default_rng(5)
    vocabulary = [f"w{number}" for number in range(3000)]
    training = [" ".join(rng.choice(vocabulary, size=300)) for _ in range(40)]
    texts = [" ".join(rng.choice(vocabulary[:500] + ["unseen"], size=size))
             for size in (0, 1, 17, 31, 33, 400, 2000)]
    ours = WordTfidfVectorizer(ngram_range=(1, 2)).fit(training)
    theirs = TfidfVectorizer(ngram_range=(1, 2)).fit(training)
    assert len(ours.vocabulary_) > 2 ** 11
    assert_same_matrix(ours.transform(texts), theirs.transform(texts))


def test_the_vocabulary_table_is_checked_where_it_is_read():
    keys, key_ends, columns, slots = words._words.vocabulary_table({"alpha": 0, "beta": 1})
    count = words._words.count_ngrams
    assert count(["beta alpha beta"], 1, 1, 2, keys, key_ends, columns, slots)[2] == \
        np.array([1, 2], dtype=np.intc).tobytes()
    with pytest.raises(ValueError, match="not a table"):
        count(["alpha"], 1, 1, 2, keys, key_ends, columns, slots[:-4])
    # Entries and key ranges outside the arrays find nothing; they never read there.
    broken = np.frombuffer(slots, dtype=np.int32).copy()
    broken[broken >= 0] = 7
    assert count(["alpha beta"], 1, 1, 2, keys, key_ends, columns, broken.tobytes())[0] == b""
    with pytest.raises(TypeError, match="keys must be str"):
        words._words.vocabulary_table({b"alpha": 0})


def assert_same_matrix(ours, theirs):
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours.indptr, theirs.indptr)
    np.testing.assert_array_equal(ours.indices, theirs.indices)
    np.testing.assert_array_equal(ours.data, theirs.data)


def assert_token_ids_are_the_words(texts):
    for distinct_per_text in (False, True):
        expected = [re.findall(r"\w+", text) for text in texts]
        if distinct_per_text:
            expected = [list(dict.fromkeys(tokens)) for tokens in expected]
        ids, counts, distinct = words.token_ids(texts, distinct_per_text)
        assert counts.tolist() == [len(tokens) for tokens in expected]
        assert [distinct[i] for i in ids.tolist()] == [w for tokens in expected for w in tokens]
        assert len(set(distinct)) == len(distinct)  # one number per distinct word
        # Without the strings: the same numbers, and how many there are.
        bare_ids, bare_counts, n_distinct = words.token_ids(texts, distinct_per_text,
                                                            strings=False)
        assert bare_ids.tolist() == ids.tolist() and bare_counts.tolist() == counts.tolist()
        assert n_distinct == len(distinct)


def test_token_ids_number_the_words_of_awkward_texts():
    assert_token_ids_are_the_words(AWKWARD)
    assert_token_ids_are_the_words([])
    # Many distinct words: the C table grows several times.
    assert_token_ids_are_the_words([" ".join(f"w{i}x{j}" for j in range(50)) for i in range(400)])


@settings(max_examples=200, deadline=None)
@given(st.lists(text, max_size=8))
def test_token_ids_number_the_words_of_any_texts(texts):
    assert_token_ids_are_the_words(texts)


@pytest.mark.parametrize("distinct_per_text", [False, True])
def test_token_ids_fallback_numbers_them_the_same(monkeypatch, distinct_per_text):
    texts = AWKWARD + ["a b a c b", "c a"]
    compiled = words.token_ids(texts, distinct_per_text)
    monkeypatch.setattr(words, "_words", None)
    fallback = words.token_ids(texts, distinct_per_text)
    assert [part.tolist() for part in fallback[:2]] == [part.tolist() for part in compiled[:2]]
    assert fallback[2] == compiled[2]
    assert words.token_ids(texts, distinct_per_text, strings=False)[2] == len(compiled[2])


def test_token_ids_refuse_what_is_not_text():
    with pytest.raises(TypeError, match="must be str, not int"):
        words.token_ids(["fine", 3])


HASHING_SETTINGS = [
    dict(token_pattern=r"\S+", lowercase=False, binary=True, norm="l2", alternate_sign=False,
         n_features=2 ** 16),  # the HTML model's DOM tokens
    dict(token_pattern=r"\S+", ngram_range=(1, 2), norm="l1", n_features=97),
    dict(token_pattern=r"(?u)\b\w+\b", norm=None, binary=False, n_features=2 ** 10),
]


@pytest.mark.parametrize("settings_", HASHING_SETTINGS)
def test_hashing_transform_gives_hashing_vectorizers_matrix(settings_):
    from sklearn.feature_extraction.text import HashingVectorizer

    vectorizer = HashingVectorizer(**settings_)
    texts = AWKWARD[:6] + AWKWARD[7:] + ["tag=p in=div class=x", "tag=p tag=p", "\x00 a\x00"]
    assert_same_matrix(words.hashing_transform(vectorizer, texts), vectorizer.transform(texts))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40)
                | st.text(alphabet=st.characters(max_codepoint=127), max_size=40),
                min_size=1, max_size=8), st.sampled_from(HASHING_SETTINGS))
def test_hashing_transform_gives_hashing_vectorizers_matrix_on_any_texts(texts, settings_):
    from sklearn.feature_extraction.text import HashingVectorizer

    vectorizer = HashingVectorizer(**settings_)
    assert_same_matrix(words.hashing_transform(vectorizer, texts), vectorizer.transform(texts))


def test_hashing_transform_leaves_other_settings_to_scikit_learn(monkeypatch):
    from sklearn.feature_extraction.text import HashingVectorizer

    calls = []
    monkeypatch.setattr(HashingVectorizer, "transform",
                        lambda self, texts: calls.append(self.token_pattern) or "sklearn")
    for vectorizer in (HashingVectorizer(), HashingVectorizer(token_pattern=r"\S+",
                                                              stop_words=["a"]),
                       HashingVectorizer(token_pattern=r"\S+", dtype=np.float32)):
        assert words.hashing_transform(vectorizer, ["a b"]) == "sklearn"
    assert words.hashing_transform(HashingVectorizer(token_pattern=r"\S+"), []) == "sklearn"
    assert len(calls) == 4
    # A lone surrogate has no UTF-8 form: scikit-learn's own error, not ours.
    assert words.hashing_transform(HashingVectorizer(token_pattern=r"\S+"),
                                   ["ok \ud800"]) == "sklearn"


def python_sorted_words(text, prefix, skip_numbers):
    """The definition sorted_words reproduces."""
    return " ".join(sorted({prefix + word for word in text.split()
                            if not (skip_numbers and word.isdigit())}))


# Words that sort, repeat and count as numbers in awkward ways: digits of
# other scripts and superscripts (str.isdigit), every kind of space
# str.split() breaks on (U+001C-001F, U+0085, U+3000, ...), a word that
# begins another, code points of every string width.
SORTED_WORDS_ALPHABET = "ab1²٣ \t\n\x1c\x1f\x85\xa0\u2003\u3000é€😀_"


@pytest.mark.parametrize("prefix", ["", "in=", "class=", "é€😀="])
@pytest.mark.parametrize("skip_numbers", [False, True])
def test_sorted_words_of_awkward_texts(prefix, skip_numbers):
    for text in AWKWARD + ["b a b ab a 12 1² ٣ x", " ".join(f"w{i % 37}" for i in range(500))]:
        got = words.sorted_words(text, prefix, skip_numbers)
        expected = python_sorted_words(text, prefix, skip_numbers)
        # Equal, and in the same (most compact) form as Python makes it: a
        # wider form would hash differently and be missed as a dict key.
        assert got == expected and {expected: True}.get(got), text


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=SORTED_WORDS_ALPHABET, max_size=40) | text,
       st.sampled_from(["", "in=", "class=", "€"]), st.booleans())
def test_sorted_words_of_any_text(value, prefix, skip_numbers):
    got = words.sorted_words(value, prefix, skip_numbers)
    expected = python_sorted_words(value, prefix, skip_numbers)
    assert got == expected and {expected: True}.get(got)


def test_sorted_words_fallback_is_the_definition(monkeypatch):
    monkeypatch.setattr(words, "_words", None)
    for text in AWKWARD:
        assert words.sorted_words(text, "class=", True) == python_sorted_words(text, "class=", True)


def test_a_pickled_tfidf_vectorizer_keeps_its_vocabulary_and_matrix():
    import copy
    import pickle

    import joblib

    fitted = WordTfidfVectorizer(ngram_range=(1, 2), strip_accents="unicode").fit(AWKWARD * 2)
    expected = fitted.transform(AWKWARD)
    for restored in (pickle.loads(pickle.dumps(fitted)), copy.deepcopy(fitted)):
        assert type(restored.vocabulary_) is dict
        assert list(restored.vocabulary_.items()) == list(fitted.vocabulary_.items())
        assert (restored.transform(AWKWARD) != expected).nnz == 0
    # Packed in the file: the terms as one string, the columns as an array.
    assert type(fitted.__getstate__()["vocabulary_"]).__name__ == "_PackedVocabulary"
    assert type(fitted.vocabulary_) is dict  # the live vectorizer keeps its dict
    # A file written with the dict itself (before packing) loads as before.
    old_state = dict(fitted.__dict__)
    old = WordTfidfVectorizer.__new__(WordTfidfVectorizer)
    old.__setstate__(old_state)
    assert old.vocabulary_ is fitted.vocabulary_
    buffer = io.BytesIO()
    joblib.dump(fitted, buffer)
    buffer.seek(0)
    assert (joblib.load(buffer).transform(AWKWARD) != expected).nnz == 0
    unfitted = pickle.loads(pickle.dumps(WordTfidfVectorizer(min_df=2)))
    assert not hasattr(unfitted, "vocabulary_") and unfitted.min_df == 2


def test_lowered_texts_are_each_texts_lower_case_even_when_kept():
    texts = ["Hello World", "İSTANBUL", "ΟΔΟΣ", ""]
    first = words.lowered(texts)
    assert first == [text.lower() for text in texts]
    first.append("changed by a caller")
    again = words.lowered(list(texts))  # an equal list: the kept result, unchanged
    assert again == [text.lower() for text in texts]
    assert words.lowered(["Other"]) == ["other"]
    with pytest.raises(TypeError, match="must be str, not int"):
        words.lowered(["fine", 3])


def test_distinct_lowered_words_are_kept_read_only_for_the_next_equal_list():
    texts = ["The Vote, the vote", "ΟΔΟΣ οδος", "", "vote"]
    ids, counts, distinct = words.distinct_lowered_words(texts)
    expected = words.token_ids(words.lowered(texts), distinct_per_text=True)
    np.testing.assert_array_equal(ids, expected[0])
    np.testing.assert_array_equal(counts, expected[1])
    assert list(distinct) == expected[2] == ["the", "vote", "οδος"]
    # Shared by the features of a pass: the same objects, which no caller
    # can change.
    again = words.distinct_lowered_words(list(texts))
    assert again[0] is ids and again[1] is counts and again[2] is distinct
    with pytest.raises(ValueError, match="read-only"):
        ids[0] = 5
    with pytest.raises(ValueError, match="read-only"):
        counts[0] = 5
    assert list(words.distinct_lowered_words(["Other"])[2]) == ["other"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="ab \t\u3000\x1cé😀", max_size=12), max_size=6))
def test_or_of_word_values_is_the_reduce_over_the_words(texts):
    import functools
    import operator

    class Values(dict):  # a new word's value computed on first use
        def __missing__(self, word):
            value = self[word] = sum(map(ord, word)) % 64
            return value

    expected = [functools.reduce(operator.or_, map(Values().__getitem__, text.split()), 0)
                for text in texts]
    assert words.or_of_word_values(texts, Values()).tolist() == expected


def test_or_of_word_values_fallback_and_bad_values(monkeypatch):
    values = {"a": 1, "b": 4, "c": 2 ** 40}
    assert words.or_of_word_values(["a b", "", "c a"], values).tolist() == [5, 0, 2 ** 40 + 1]
    with pytest.raises(KeyError):
        words.or_of_word_values(["a z"], values)
    with pytest.raises(TypeError, match="must be str"):
        words.or_of_word_values(["a", 3], values)
    with pytest.raises(TypeError):
        words.or_of_word_values(["x"], {"x": "not a number"})
    monkeypatch.setattr(words, "_words", None)
    assert words.or_of_word_values(["a b", "", "c a"], values).tolist() == [5, 0, 2 ** 40 + 1]
