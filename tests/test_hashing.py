"""HashedWords gives HashingVectorizer's matrix, entry for entry."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.utils import murmurhash3_32

from classifier import hashing
from classifier.hashing import HashedWords

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

text = st.text(alphabet=st.characters(exclude_categories=()), max_size=60)


def test_the_development_install_has_the_compiled_hashing():
    # Without it the other tests here could only check the fallback.
    assert hashing.COMPILED


@pytest.mark.parametrize("parameters", [
    dict(n_features=2 ** 18, ngram_range=(1, 2), alternate_sign=False),
    dict(n_features=2 ** 20, ngram_range=(1, 1)),
    dict(n_features=97, ngram_range=(2, 3), lowercase=False),
    dict(n_features=1, ngram_range=(1, 4)),
])
def test_awkward_texts_give_hashing_vectorizers_matrix(parameters):
    words = HashedWords(**parameters)
    assert_same_matrix(words.transform(AWKWARD), words.reference_vectorizer().transform(AWKWARD))


@settings(max_examples=200, deadline=None)
@given(st.lists(text, min_size=1, max_size=8), st.integers(1, 3), st.integers(0, 2),
       st.booleans(), st.booleans())
def test_any_texts_give_hashing_vectorizers_matrix(texts, min_n, extra_n, lowercase,
                                                   alternate_sign):
    words = HashedWords(n_features=2 ** 10, ngram_range=(min_n, min_n + extra_n),
                        lowercase=lowercase, alternate_sign=alternate_sign)
    assert_same_matrix(words.transform(texts), words.reference_vectorizer().transform(texts))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=40))
def test_the_hash_is_murmurhash3(data):
    assert hashing._hashing.murmurhash3_32(data) == murmurhash3_32(data, seed=0)


def test_the_fallback_gives_the_same_matrix(monkeypatch):
    words = HashedWords(n_features=2 ** 18, ngram_range=(1, 2))
    compiled = words.transform(AWKWARD)
    monkeypatch.setattr(hashing, "_hashing", None)
    assert_same_matrix(words.transform(AWKWARD), compiled)


def test_bad_input_is_refused_clearly():
    words = HashedWords()
    with pytest.raises(ValueError, match="not one text"):
        words.transform("one text")
    with pytest.raises(TypeError, match="must be str, not int"):
        words.transform(["fine", 3])
    with pytest.raises(ValueError, match="ngram_range"):
        HashedWords(ngram_range=(2, 1)).transform(["a b"])
    with pytest.raises(ValueError, match="n_features"):
        HashedWords(n_features=0).fit(["a"])


def test_any_iterable_of_texts_is_taken():
    words = HashedWords(ngram_range=(1, 2))
    assert_same_matrix(words.transform(iter(AWKWARD)), words.transform(AWKWARD))
    assert_same_matrix(words.transform(np.array(AWKWARD, dtype=object)),
                       words.transform(AWKWARD))
    assert words.transform([]).shape == (0, 2 ** 20)


def assert_same_matrix(ours, theirs):
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    assert ours.has_canonical_format
    np.testing.assert_array_equal(ours.indptr, theirs.indptr)
    np.testing.assert_array_equal(ours.indices, theirs.indices)
    np.testing.assert_array_equal(ours.data, theirs.data)
