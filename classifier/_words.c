/* Word n-grams of texts: the compiled part of classifier/words.py.
 *
 * Why: scikit-learn's vectorizers analyse each text in Python (regex
 * tokens, a list of n-gram strings joined one by one; HashingVectorizer
 * then encodes each to UTF-8 and hashes it): ~9 us per line for the line
 * model's hashed words, its biggest feature step, and most of the topic
 * model's time. Here one pass per text does the same in C.
 *
 * Tokens: r"(?u)\b\w+\b" (min_length 1) or scikit-learn's default
 * r"(?u)\b\w\w+\b" (min_length 2) are the maximal runs of \w characters
 * of at least min_length characters; for str patterns \w is
 * Py_UNICODE_ISALNUM or "_" (as in CPython's _sre). hashed_ngrams can also
 * take r"\S+": maximal runs of characters that are not Py_UNICODE_ISSPACE
 * (\s for str patterns). An n-gram is its tokens joined by one space, in
 * scikit-learn's order (all unigrams, then all bigrams, ...).
 *
 * word_ngrams returns the n-gram strings (the analyzer of a word
 * TfidfVectorizer after its preprocessing). hashed_ngrams reproduces,
 * exactly, HashingVectorizer(lowercase=..., token_pattern r"(?u)\b\w+\b",
 * ngram_range=(min_n, max_n), alternate_sign=..., norm=None):
 *  - lower-casing is Python's str.lower() (called on the text);
 *  - an n-gram is its tokens joined by one space, hashed as UTF-8 bytes
 *    with MurmurHash3 (x86, 32-bit, seed 0), written here from the
 *    algorithm's published description;
 *  - column = |h| mod n_features (h = -2**31 as scikit-learn maps it);
 *    value 1, or the sign of h with alternate_sign;
 *  - each text's entries sorted by column and each column's values summed
 *    into one entry (a sum of 0 kept), as its sum_duplicates leaves them.
 * token_ids numbers each text's \w tokens through a hash table of the
 * distinct ones (their strings made once each). without_proper_nouns
 * takes out the words the topic model's common-words block leaves out
 * (one pass where the regex's look-behind ran at every space).
 * tests/test_words.py compares the results with scikit-learn's and
 * Python's.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline uint32_t rotate_left(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

static int32_t murmurhash3_32(const unsigned char *data, Py_ssize_t length)
{
    const uint32_t c1 = 0xcc9e2d51, c2 = 0x1b873593;
    uint32_t h = 0;  /* seed */
    Py_ssize_t blocks = length / 4;
    for (Py_ssize_t i = 0; i < blocks; i++) {
        const unsigned char *p = data + 4 * i;
        uint32_t k = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16
                     | (uint32_t)p[3] << 24;
        k *= c1;
        k = rotate_left(k, 15);
        k *= c2;
        h ^= k;
        h = rotate_left(h, 13);
        h = h * 5 + 0xe6546b64;
    }
    const unsigned char *tail = data + 4 * blocks;
    uint32_t k = 0;
    switch (length & 3) {
    case 3: k ^= (uint32_t)tail[2] << 16; /* fall through */
    case 2: k ^= (uint32_t)tail[1] << 8;  /* fall through */
    case 1:
        k ^= tail[0];
        k *= c1;
        k = rotate_left(k, 15);
        k *= c2;
        h ^= k;
    }
    h ^= (uint32_t)length;
    h ^= h >> 16;
    h *= 0x85ebca6b;
    h ^= h >> 13;
    h *= 0xc2b2ae35;
    h ^= h >> 16;
    return (int32_t)h;
}

/* A growable array of fixed-size items. */
typedef struct { char *data; Py_ssize_t size, capacity, item; } buffer_t;

static int reserve(buffer_t *b, Py_ssize_t more)
{
    if (b->size + more <= b->capacity)
        return 0;
    Py_ssize_t capacity = b->capacity ? b->capacity : 256;
    while (capacity < b->size + more)
        capacity *= 2;
    char *data = PyMem_Realloc(b->data, (size_t)(capacity * b->item));
    if (data == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->data = data;
    b->capacity = capacity;
    return 0;
}

/* Whether each of the first 256 code points is a word character, filled by
 * the module's init with the test below: the Unicode database lookup behind
 * Py_UNICODE_ISALNUM was most of the cost of tokenising Latin text. */
static unsigned char latin1_word[256];

static inline int is_word(Py_UCS4 ch)
{
    if (ch < 256)
        return latin1_word[ch];
    return Py_UNICODE_ISALNUM(ch) || ch == '_';
}

/* A text's tokens: their UTF-8 bytes joined by single spaces in words;
 * token i is words[starts[i]:ends[i]], so tokens i..j joined by spaces are
 * words[starts[i]:ends[j]]. Reused from text to text. */
typedef struct { buffer_t words, starts, ends; } tokens_t;

#define NO_TOKENS {{NULL, 0, 0, 1}, {NULL, 0, 0, sizeof(Py_ssize_t)}, \
                   {NULL, 0, 0, sizeof(Py_ssize_t)}}

static void tokens_free(tokens_t *tokens)
{
    PyMem_Free(tokens->words.data);
    PyMem_Free(tokens->starts.data);
    PyMem_Free(tokens->ends.data);
}

/* Whether ch belongs in a token: a \w character, or with nonspace any
 * character but whitespace (the \S of token pattern r"\S+"). */
static inline int in_token(Py_UCS4 ch, int nonspace)
{
    return nonspace ? !Py_UNICODE_ISSPACE(ch) : is_word(ch);
}

/* ascii_in_token[nonspace][c]: in_token(c, nonspace) for ASCII c, filled by
 * the module's init. */
static unsigned char ascii_in_token[2][128];

/* tokenize for an ASCII text, whose characters are their own UTF-8 bytes:
 * a table lookup per character and one copy per token, with room for all
 * tokens reserved at once (they and the spaces between them are never
 * longer than the text). Most lines of Latin-script pages are ASCII: with
 * this path hashed_ngrams of the cleaneval pages' lines took 0.093 instead
 * of 0.132 ms per page. */
static int tokenize_ascii(PyObject *text, Py_ssize_t min_length, int nonspace,
                          tokens_t *tokens)
{
    buffer_t *words = &tokens->words, *starts = &tokens->starts, *ends = &tokens->ends;
    const unsigned char *chars = PyUnicode_1BYTE_DATA(text);
    const unsigned char *in = ascii_in_token[nonspace ? 1 : 0];
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    words->size = starts->size = ends->size = 0;
    Py_ssize_t most_tokens = length / 2 + 1;
    if (reserve(words, length) < 0 || reserve(starts, most_tokens) < 0
        || reserve(ends, most_tokens) < 0)
        return -1;
    Py_ssize_t *start = (Py_ssize_t *)starts->data, *end = (Py_ssize_t *)ends->data;
    Py_ssize_t i = 0;
    while (i < length) {
        if (!in[chars[i]]) {
            i++;
            continue;
        }
        Py_ssize_t run_end = i + 1;
        while (run_end < length && in[chars[run_end]])
            run_end++;
        if (run_end - i >= min_length) {
            if (words->size > 0)
                words->data[words->size++] = ' ';
            start[starts->size++] = words->size;
            memcpy(words->data + words->size, chars + i, (size_t)(run_end - i));
            words->size += run_end - i;
            end[ends->size++] = words->size;
        }
        i = run_end;
    }
    return 0;
}

/* The UTF-8 form of a code point (not a surrogate) at out; its length. */
static inline Py_ssize_t put_utf8(unsigned char *out, Py_UCS4 ch)
{
    if (ch < 0x80) {
        out[0] = (unsigned char)ch;
        return 1;
    }
    if (ch < 0x800) {
        out[0] = (unsigned char)(0xc0 | (ch >> 6));
        out[1] = (unsigned char)(0x80 | (ch & 0x3f));
        return 2;
    }
    if (ch < 0x10000) {
        out[0] = (unsigned char)(0xe0 | (ch >> 12));
        out[1] = (unsigned char)(0x80 | ((ch >> 6) & 0x3f));
        out[2] = (unsigned char)(0x80 | (ch & 0x3f));
        return 3;
    }
    out[0] = (unsigned char)(0xf0 | (ch >> 18));
    out[1] = (unsigned char)(0x80 | ((ch >> 12) & 0x3f));
    out[2] = (unsigned char)(0x80 | ((ch >> 6) & 0x3f));
    out[3] = (unsigned char)(0x80 | (ch & 0x3f));
    return 4;
}

/* tokenize for a text of one storage kind (TYPE: Py_UCS1, Py_UCS2 or
 * Py_UCS4), all room reserved first (see tokenize). */
#define DEFINE_TOKENIZE_KIND(NAME, TYPE)                                          \
static int NAME(const TYPE *chars, Py_ssize_t length, Py_ssize_t min_length,      \
                int nonspace, tokens_t *tokens)                                   \
{                                                                                 \
    unsigned char *words = (unsigned char *)tokens->words.data;                   \
    Py_ssize_t *start = (Py_ssize_t *)tokens->starts.data;                        \
    Py_ssize_t *end = (Py_ssize_t *)tokens->ends.data;                            \
    Py_ssize_t size = 0, n_tokens = 0, i = 0;                                     \
    const unsigned char *ascii = ascii_in_token[nonspace ? 1 : 0];                \
    while (i < length) {                                                          \
        Py_UCS4 ch = chars[i];                                                    \
        if (!(ch < 128 ? ascii[ch] : in_token(ch, nonspace))) {                   \
            i++;                                                                  \
            continue;                                                             \
        }                                                                         \
        Py_ssize_t run_end = i + 1;                                               \
        while (run_end < length                                                   \
               && (chars[run_end] < 128 ? ascii[chars[run_end]]                   \
                                        : in_token(chars[run_end], nonspace)))    \
            run_end++;                                                            \
        if (run_end - i < min_length) {  /* too short to be a token */            \
            i = run_end;                                                          \
            continue;                                                             \
        }                                                                         \
        if (size > 0)                                                             \
            words[size++] = ' ';                                                  \
        start[n_tokens] = size;                                                   \
        for (; i < run_end; i++) {                                                \
            ch = chars[i];                                                        \
            if (ch >= 0xd800 && ch <= 0xdfff) {                                   \
                PyErr_SetString(PyExc_ValueError, "a token holds a lone surrogate"); \
                return -1;                                                        \
            }                                                                     \
            size += put_utf8(words + size, ch);                                   \
        }                                                                         \
        end[n_tokens++] = size;                                                   \
    }                                                                             \
    tokens->words.size = size;                                                    \
    tokens->starts.size = tokens->ends.size = n_tokens;                           \
    return 0;                                                                     \
}

DEFINE_TOKENIZE_KIND(tokenize_ucs1, Py_UCS1)
DEFINE_TOKENIZE_KIND(tokenize_ucs2, Py_UCS2)
DEFINE_TOKENIZE_KIND(tokenize_ucs4, Py_UCS4)

/* The text's tokens: runs of \w (with nonspace: of non-whitespace) of at
 * least min_length characters. A lone surrogate in a token is a
 * ValueError: it has no UTF-8 form to hash (scikit-learn fails on it too).
 * Room for every token is reserved at once (each character is at most 4
 * UTF-8 bytes, a space separates tokens, and tokens and the characters
 * between them alternate), then each storage kind has its own loop: the
 * topic model's bodies are mostly Latin text with a few curly quotes or
 * dashes (so not ASCII), where a reserve and a kind switch per character
 * were a fifth of the topic model's time. */
static int tokenize(PyObject *text, Py_ssize_t min_length, int nonspace, tokens_t *tokens)
{
    if (PyUnicode_IS_ASCII(text))
        return tokenize_ascii(text, min_length, nonspace, tokens);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text), most_tokens = length / 2 + 1;
    buffer_t *words = &tokens->words, *starts = &tokens->starts, *ends = &tokens->ends;
    words->size = starts->size = ends->size = 0;
    if (reserve(words, 5 * length) < 0 || reserve(starts, most_tokens) < 0
        || reserve(ends, most_tokens) < 0)
        return -1;
    switch (PyUnicode_KIND(text)) {
    case PyUnicode_1BYTE_KIND:
        return tokenize_ucs1(PyUnicode_1BYTE_DATA(text), length, min_length, nonspace, tokens);
    case PyUnicode_2BYTE_KIND:
        return tokenize_ucs2(PyUnicode_2BYTE_DATA(text), length, min_length, nonspace, tokens);
    default:
        return tokenize_ucs4(PyUnicode_4BYTE_DATA(text), length, min_length, nonspace, tokens);
    }
}

/* Item t of a PySequence_Fast of texts (borrowed), or NULL with a
 * TypeError when it is not a str. */
static PyObject *text_at(PyObject *sequence, Py_ssize_t t)
{
    PyObject *text = PySequence_Fast_GET_ITEM(sequence, t);
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "texts must be str, not %.100s", Py_TYPE(text)->tp_name);
        return NULL;
    }
    return text;
}

/* The used part of three buffers as a tuple of bytearrays. */
static PyObject *bytearrays(const buffer_t *a, const buffer_t *b, const buffer_t *c)
{
    return Py_BuildValue("(NNN)", PyByteArray_FromStringAndSize(a->data, a->size * a->item),
                         PyByteArray_FromStringAndSize(b->data, b->size * b->item),
                         PyByteArray_FromStringAndSize(c->data, c->size * c->item));
}

/* Sorts n indices in [0, 2**32) in ascending order, with scratch space for
 * n more: insertion below 32 indices, otherwise a least-significant-digit
 * radix sort, digit_bits (at most MAX_DIGIT_BITS) a pass, as many passes as
 * the largest index needs. qsort, with a function call per comparison, was
 * most of the time count_ngrams spent on a page's body once the lookups
 * were made (11-bit digits: two passes below 4 million columns); one
 * text's hashed entries (tens to hundreds) are sorted by 8-bit digits,
 * whose 256 counters cost less to clear and scan than 2,048 (~1.7x less
 * time sorting the cleaneval pages' lines, by perf; a quicksort, with its
 * unpredictable branches, took twice as long as 11-bit digits). */
#define MAX_DIGIT_BITS 11
static void sort_indices(Py_ssize_t *indices, Py_ssize_t *scratch, Py_ssize_t n, int digit_bits)
{
    if (n < 32) {  /* insertion sort */
        for (Py_ssize_t i = 1; i < n; i++) {
            Py_ssize_t value = indices[i], j = i;
            for (; j > 0 && indices[j - 1] > value; j--)
                indices[j] = indices[j - 1];
            indices[j] = value;
        }
        return;
    }
    Py_ssize_t largest = 0;
    for (Py_ssize_t i = 0; i < n; i++)
        largest = indices[i] > largest ? indices[i] : largest;
    Py_ssize_t *from = indices, *to = scratch;
    const Py_ssize_t n_digits = (Py_ssize_t)1 << digit_bits, mask = n_digits - 1;
    for (int shift = 0; shift == 0 || (largest >> shift) > 0; shift += digit_bits) {
        Py_ssize_t counts[1 << MAX_DIGIT_BITS];
        memset(counts, 0, (size_t)n_digits * sizeof(Py_ssize_t));
        for (Py_ssize_t i = 0; i < n; i++)
            counts[(from[i] >> shift) & mask]++;
        Py_ssize_t total = 0;
        for (Py_ssize_t digit = 0; digit < n_digits; digit++) {
            Py_ssize_t count = counts[digit];
            counts[digit] = total;
            total += count;
        }
        for (Py_ssize_t i = 0; i < n; i++)
            to[counts[(from[i] >> shift) & mask]++] = from[i];
        Py_ssize_t *swap = from;
        from = to;
        to = swap;
    }
    if (from != indices)
        memcpy(indices, from, (size_t)n * sizeof(Py_ssize_t));
}

/* Sorts one text's entries (those from first on; values 1 or -1) by column
 * and sums each column's values into one entry, in place: what scipy's
 * sum_duplicates makes of them (the sums are small integers, exact in any
 * order). Done here, HashedWords needs no sort_indices, sum_duplicates
 * and prune per call (~2 % of a page's time on shared pages). */
static int sum_row_entries(buffer_t *columns, buffer_t *values, Py_ssize_t first,
                           buffer_t *keys)
{
    Py_ssize_t n = columns->size - first;
    if (n < 2)
        return 0;
    keys->size = 0;
    if (reserve(keys, 2 * n) < 0)
        return -1;
    int32_t *column = (int32_t *)columns->data + first;
    double *value = (double *)values->data + first;
    Py_ssize_t *key = (Py_ssize_t *)keys->data;
    for (Py_ssize_t i = 0; i < n; i++)
        key[i] = (Py_ssize_t)column[i] * 2 + (value[i] < 0);
    sort_indices(key, key + n, n, 8);
    Py_ssize_t kept = 0;
    for (Py_ssize_t i = 0; i < n;) {
        Py_ssize_t at = key[i] / 2;
        double sum = 0.0;
        for (; i < n && key[i] / 2 == at; i++)
            sum += key[i] % 2 ? -1.0 : 1.0;
        column[kept] = (int32_t)at;
        value[kept++] = sum;
    }
    columns->size = values->size = first + kept;
    return 0;
}

PyDoc_STRVAR(hashed_ngrams_doc,
"hashed_ngrams(texts, n_features, min_n, max_n, lowercase, alternate_sign,\n"
"              nonspace=False)\n"
"-> (columns, row_ends, values)\n\n"
"Each text's word n-grams hashed to columns, as bytearrays of int32 column\n"
"indices, int64 end offsets of each text's entries, and float64 values\n"
"(1, or -1 for a negative hash with alternate_sign), each text's entries in\n"
"ascending column order with duplicates summed (scipy's sum_duplicates;\n"
"a sum of 0 is kept, as there). Tokens are runs of \\w, or with nonspace\n"
"runs of non-whitespace (r\"\\S+\").");

static PyObject *
hashed_ngrams(PyObject *self, PyObject *args)
{
    PyObject *texts, *result = NULL, *lower_name = NULL;
    Py_ssize_t n_features, min_n, max_n;
    int lowercase, alternate_sign, nonspace = 0;
    tokens_t tokens = NO_TOKENS;
    buffer_t columns = {NULL, 0, 0, sizeof(int32_t)}, values = {NULL, 0, 0, sizeof(double)},
             row_ends = {NULL, 0, 0, sizeof(int64_t)};
    /* A text's entries as sort keys (column * 2, + 1 for a negative value),
     * and the sort's scratch space after them. */
    buffer_t keys = {NULL, 0, 0, sizeof(Py_ssize_t)};

    if (!PyArg_ParseTuple(args, "Onnnpp|p", &texts, &n_features, &min_n, &max_n, &lowercase,
                          &alternate_sign, &nonspace))
        return NULL;
    if (n_features < 1 || n_features > INT32_MAX || min_n < 1 || max_n < min_n) {
        PyErr_SetString(PyExc_ValueError, "need 1 <= n_features <= 2**31 - 1 and "
                                          "1 <= min_n <= max_n");
        return NULL;
    }
    PyObject *sequence = PySequence_Fast(texts, "texts must be a sequence of str");
    if (sequence == NULL)
        return NULL;
    lower_name = PyUnicode_InternFromString("lower");
    if (lower_name == NULL)
        goto done;
    Py_ssize_t n_texts = PySequence_Fast_GET_SIZE(sequence), row_start = 0;
    if (reserve(&row_ends, n_texts) < 0)
        goto done;
    for (Py_ssize_t t = 0; t < n_texts; t++) {
        PyObject *text = text_at(sequence, t);
        if (text == NULL)
            goto done;
        PyObject *lowered = lowercase ? PyObject_CallMethodNoArgs(text, lower_name)
                                      : Py_NewRef(text);
        if (lowered == NULL)
            goto done;
        int failed = tokenize(lowered, 1, nonspace, &tokens);
        Py_DECREF(lowered);
        if (failed < 0)
            goto done;
        const Py_ssize_t *start = (const Py_ssize_t *)tokens.starts.data;
        const Py_ssize_t *end = (const Py_ssize_t *)tokens.ends.data;
        Py_ssize_t n_tokens = tokens.starts.size;
        for (Py_ssize_t n = min_n; n <= max_n && n <= n_tokens; n++) {
            if (reserve(&columns, n_tokens) < 0 || reserve(&values, n_tokens) < 0)
                goto done;
            for (Py_ssize_t i = 0; i + n <= n_tokens; i++) {
                int32_t h = murmurhash3_32((const unsigned char *)tokens.words.data + start[i],
                                           end[i + n - 1] - start[i]);
                int32_t column = h == INT32_MIN
                    ? (int32_t)((2147483647 - (n_features - 1)) % n_features)
                    : (int32_t)((h < 0 ? -(int64_t)h : (int64_t)h) % n_features);
                ((int32_t *)columns.data)[columns.size++] = column;
                ((double *)values.data)[values.size++] = alternate_sign && h < 0 ? -1.0 : 1.0;
            }
        }
        if (sum_row_entries(&columns, &values, row_start, &keys) < 0)
            goto done;
        row_start = columns.size;
        ((int64_t *)row_ends.data)[row_ends.size++] = (int64_t)columns.size;
    }
    result = bytearrays(&columns, &row_ends, &values);
done:
    Py_DECREF(sequence);
    Py_XDECREF(lower_name);
    tokens_free(&tokens);
    PyMem_Free(columns.data);
    PyMem_Free(values.data);
    PyMem_Free(row_ends.data);
    PyMem_Free(keys.data);
    return result;
}

PyDoc_STRVAR(word_ngrams_doc,
"word_ngrams(text, min_n, max_n, min_length) -> list[str]\n\n"
"The text's word n-grams for min_n <= n <= max_n, in scikit-learn's order:\n"
"what TfidfVectorizer's word analyzer gives after its preprocessing, for\n"
"the token pattern of runs of \\w of at least min_length characters.");

static PyObject *
word_ngrams(PyObject *self, PyObject *args)
{
    PyObject *text, *result = NULL;
    Py_ssize_t min_n, max_n, min_length;
    tokens_t tokens = NO_TOKENS;

    if (!PyArg_ParseTuple(args, "Unnn", &text, &min_n, &max_n, &min_length))
        return NULL;
    if (min_n < 1 || max_n < min_n || min_length < 1) {
        PyErr_SetString(PyExc_ValueError, "need 1 <= min_n <= max_n and min_length >= 1");
        return NULL;
    }
    if (tokenize(text, min_length, 0, &tokens) < 0)
        goto done;
    const Py_ssize_t *start = (const Py_ssize_t *)tokens.starts.data;
    const Py_ssize_t *end = (const Py_ssize_t *)tokens.ends.data;
    Py_ssize_t n_tokens = tokens.starts.size;
    result = PyList_New(0);
    if (result == NULL)
        goto done;
    for (Py_ssize_t n = min_n; n <= max_n && n <= n_tokens; n++) {
        for (Py_ssize_t i = 0; i + n <= n_tokens; i++) {
            /* Decoding picks the string's compact form, as Python's own
             * strings have (equal strings must compare and hash equal). */
            PyObject *gram = PyUnicode_DecodeUTF8(tokens.words.data + start[i],
                                                  end[i + n - 1] - start[i], "strict");
            if (gram == NULL || PyList_Append(result, gram) < 0) {
                Py_XDECREF(gram);
                Py_CLEAR(result);
                goto done;
            }
            Py_DECREF(gram);
        }
    }
done:
    tokens_free(&tokens);
    return result;
}

/* A set of byte strings as an open-addressing hash table, so that words
 * are looked up without a Python string per word (for the vocabulary,
 * making the strings and looking them up in the dict took ~60 % of the
 * counting). Entry e: key bytes keys[key_ends[e-1]:key_ends[e]] (from 0 for
 * e = 0), with a vocabulary column columns[e]; slots hold entry numbers or
 * -1, their count a power of two at least twice the entries; a key's first
 * slot is its MurmurHash3 masked to the table, then the following ones in
 * turn. count_ngrams reads one made by vocabulary_table from Python
 * buffers; token_ids grows one (keyset_t). */
typedef struct {
    const char *keys;
    const int32_t *key_ends, *columns, *slots;
    Py_ssize_t n_entries, n_slots, keys_length;
} table_t;

static inline Py_ssize_t key_start(const int32_t *key_ends, Py_ssize_t entry)
{
    return entry ? key_ends[entry - 1] : 0;
}

/* The key's entry, or -1 when it is not in the table, with *empty set to
 * the empty slot where it would go (left as is if there is none, or the
 * table is inconsistent there: an entry or key range outside the arrays). */
static Py_ssize_t table_probe_from(const table_t *table, const char *key, Py_ssize_t length,
                                   uint32_t hash, size_t *empty)
{
    size_t mask = (size_t)table->n_slots - 1;
    size_t slot = hash & mask;
    for (Py_ssize_t probes = 0; probes < table->n_slots; probes++) {
        int32_t entry = table->slots[slot];
        if (entry < 0) {
            *empty = slot;
            return -1;
        }
        if (entry >= table->n_entries)
            return -1;
        Py_ssize_t begin = key_start(table->key_ends, entry), end = table->key_ends[entry];
        if (end - begin == length && begin >= 0 && end <= table->keys_length
            && memcmp(table->keys + begin, key, (size_t)length) == 0)
            return entry;
        slot = (slot + 1) & mask;
    }
    return -1;
}

static inline uint32_t key_hash(const char *key, Py_ssize_t length)
{
    return (uint32_t)murmurhash3_32((const unsigned char *)key, length);
}

static Py_ssize_t table_probe(const table_t *table, const char *key, Py_ssize_t length,
                              size_t *empty)
{
    return table_probe_from(table, key, length, key_hash(key, length), empty);
}

/* Lookups ahead whose slots count_ngrams asks the CPU to fetch (see there). */
#define LOOKAHEAD 16
#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(address) __builtin_prefetch(address)
#else
#define PREFETCH(address) ((void)0)
#endif

/* A table being built: keys (bytes), key_ends and slots (int32). */
typedef struct { buffer_t keys, key_ends, slots; } keyset_t;

#define NO_KEYS {{NULL, 0, 0, 1}, {NULL, 0, 0, sizeof(int32_t)}, {NULL, 0, 0, sizeof(int32_t)}}

static table_t keyset_table(const keyset_t *set)
{
    return (table_t){set->keys.data, (const int32_t *)set->key_ends.data, NULL,
                     (const int32_t *)set->slots.data, set->key_ends.size, set->slots.size,
                     set->keys.size};
}

static void keyset_free(keyset_t *set)
{
    PyMem_Free(set->keys.data);
    PyMem_Free(set->key_ends.data);
    PyMem_Free(set->slots.data);
}

/* Gives the table at least min_slots slots (a power of two, 1,024 or
 * more), its entries placed again. */
static int keyset_grow(keyset_t *set, Py_ssize_t min_slots)
{
    Py_ssize_t n_slots = 1024;
    while (n_slots < min_slots)
        n_slots *= 2;
    if (n_slots > INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "too many distinct words for the table");
        return -1;
    }
    set->slots.size = 0;
    if (reserve(&set->slots, n_slots) < 0)
        return -1;
    memset(set->slots.data, 0xff, (size_t)n_slots * sizeof(int32_t));  /* every slot -1 */
    set->slots.size = n_slots;
    table_t table = keyset_table(set);
    int32_t *slots = (int32_t *)set->slots.data;
    for (Py_ssize_t entry = 0; entry < table.n_entries; entry++) {
        Py_ssize_t begin = key_start(table.key_ends, entry);
        /* (Always set: the new table has more slots than entries, so the
         * probe ends at an empty one. Initialised for the compiler.) */
        size_t empty = 0;
        table_probe(&table, table.keys + begin, table.key_ends[entry] - begin, &empty);
        slots[empty] = (int32_t)entry;
    }
    return 0;
}

/* The key's entry, added if new; -1 on error. */
static Py_ssize_t keyset_add(keyset_t *set, const char *key, Py_ssize_t length)
{
    if (2 * (set->key_ends.size + 1) > set->slots.size
        && keyset_grow(set, 2 * set->slots.size) < 0)
        return -1;
    table_t table = keyset_table(set);
    size_t empty;
    Py_ssize_t entry = table_probe(&table, key, length, &empty);
    if (entry >= 0)
        return entry;
    entry = set->key_ends.size;
    if (set->keys.size + length > INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "too many distinct words for the table");
        return -1;
    }
    if (reserve(&set->keys, length) < 0 || reserve(&set->key_ends, 1) < 0)
        return -1;
    memcpy(set->keys.data + set->keys.size, key, (size_t)length);
    set->keys.size += length;
    ((int32_t *)set->key_ends.data)[set->key_ends.size++] = (int32_t)set->keys.size;
    ((int32_t *)set->slots.data)[empty] = (int32_t)entry;
    return entry;
}

PyDoc_STRVAR(vocabulary_table_doc,
"vocabulary_table(vocabulary: dict[str, int]) -> (keys, key_ends, columns, slots)\n\n"
"The vocabulary as the hash table count_ngrams reads (bytearrays: UTF-8 keys\n"
"one after another, int32 end of each key, int32 column of each, int32 slots).");

static PyObject *
vocabulary_table(PyObject *self, PyObject *args)
{
    PyObject *vocabulary, *key, *value, *result = NULL;
    keyset_t set = NO_KEYS;
    buffer_t columns = {NULL, 0, 0, sizeof(int32_t)};

    if (!PyArg_ParseTuple(args, "O!", &PyDict_Type, &vocabulary))
        return NULL;
    Py_ssize_t n_entries = PyDict_Size(vocabulary), position = 0;
    if (keyset_grow(&set, 2 * n_entries + 1) < 0 || reserve(&columns, n_entries) < 0)
        goto done;
    while (PyDict_Next(vocabulary, &position, &key, &value)) {
        Py_ssize_t length;
        const char *utf8 = PyUnicode_Check(key) ? PyUnicode_AsUTF8AndSize(key, &length) : NULL;
        if (utf8 == NULL) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "vocabulary keys must be str");
            goto done;
        }
        Py_ssize_t column = PyLong_AsSsize_t(value);
        if (column == -1 && PyErr_Occurred())
            goto done;
        if (column < 0 || column > INT32_MAX) {
            PyErr_SetString(PyExc_ValueError, "a vocabulary index is negative, or the "
                                              "vocabulary too large for the table");
            goto done;
        }
        /* Dict keys are distinct: entry e is the e-th key, column e its column. */
        if (keyset_add(&set, utf8, length) < 0)
            goto done;
        ((int32_t *)columns.data)[columns.size++] = (int32_t)column;
    }
    result = Py_BuildValue(
        "(NNNN)", PyByteArray_FromStringAndSize(set.keys.data, set.keys.size),
        PyByteArray_FromStringAndSize(set.key_ends.data, set.key_ends.size * set.key_ends.item),
        PyByteArray_FromStringAndSize(columns.data, columns.size * columns.item),
        PyByteArray_FromStringAndSize(set.slots.data, set.slots.size * set.slots.item));
done:
    keyset_free(&set);
    PyMem_Free(columns.data);
    return result;
}

PyDoc_STRVAR(count_ngrams_doc,
"count_ngrams(texts, min_n, max_n, min_length, keys, key_ends, columns, slots)\n"
"-> (found_columns, row_ends, counts)\n\n"
"Counts of each text's word n-grams (as word_ngrams finds them) that are in\n"
"the vocabulary table (vocabulary_table); others are skipped. Bytearrays:\n"
"int64 columns, ascending within each text; int64 end offsets of each\n"
"text's entries; C int counts. CountVectorizer's counting with a fixed\n"
"vocabulary, without a Python string or loop step per n-gram.");

static PyObject *
count_ngrams(PyObject *self, PyObject *args)
{
    PyObject *texts, *result = NULL, *sequence = NULL;
    Py_ssize_t min_n, max_n, min_length;
    Py_buffer keys = {0}, key_ends = {0}, columns_in = {0}, slots = {0};
    tokens_t tokens = NO_TOKENS;
    buffer_t found = {NULL, 0, 0, sizeof(Py_ssize_t)}, columns = {NULL, 0, 0, sizeof(int64_t)},
             counts = {NULL, 0, 0, sizeof(int)}, row_ends = {NULL, 0, 0, sizeof(int64_t)};

    if (!PyArg_ParseTuple(args, "Onnny*y*y*y*", &texts, &min_n, &max_n, &min_length, &keys,
                          &key_ends, &columns_in, &slots))
        return NULL;
    table_t table = {keys.buf, key_ends.buf, columns_in.buf, slots.buf,
                     key_ends.len / (Py_ssize_t)sizeof(int32_t),
                     slots.len / (Py_ssize_t)sizeof(int32_t), keys.len};
    if (min_n < 1 || max_n < min_n || min_length < 1) {
        PyErr_SetString(PyExc_ValueError, "need 1 <= min_n <= max_n and min_length >= 1");
        goto done;
    }
    /* The table comes from vocabulary_table; the sizes are checked here,
     * each entry's bounds where a lookup reads it (table_find). */
    if (columns_in.len != key_ends.len || table.n_slots <= table.n_entries
        || (table.n_slots & (table.n_slots - 1)) != 0) {
        PyErr_SetString(PyExc_ValueError, "not a table made by vocabulary_table");
        goto done;
    }
    sequence = PySequence_Fast(texts, "texts must be a sequence of str");
    if (sequence == NULL)
        goto done;
    Py_ssize_t n_texts = PySequence_Fast_GET_SIZE(sequence);
    if (reserve(&row_ends, n_texts) < 0)
        goto done;
    for (Py_ssize_t t = 0; t < n_texts; t++) {
        PyObject *text = text_at(sequence, t);
        if (text == NULL || tokenize(text, min_length, 0, &tokens) < 0)
            goto done;
        const Py_ssize_t *start = (const Py_ssize_t *)tokens.starts.data;
        const Py_ssize_t *end = (const Py_ssize_t *)tokens.ends.data;
        Py_ssize_t n_tokens = tokens.starts.size;
        found.size = 0;
        for (Py_ssize_t n = min_n; n <= max_n && n <= n_tokens; n++) {
            if (reserve(&found, n_tokens) < 0)
                goto done;
            /* A vocabulary table is megabytes, and each lookup reads a slot,
             * then the entry's key end, key and column, each a likely cache
             * miss: the slot of the lookup LOOKAHEAD n-grams ahead is
             * fetched while this one is made (hashes kept in a ring), and
             * that of LOOKAHEAD / 2 ahead has its entry's key end and
             * column fetched. */
            const char *words = tokens.words.data;
            Py_ssize_t n_lookups = n_tokens - n + 1;
            uint32_t ring[LOOKAHEAD];
            const size_t mask = (size_t)table.n_slots - 1;
            for (Py_ssize_t i = 0; i < n_lookups && i < LOOKAHEAD; i++) {
                ring[i] = key_hash(words + start[i], end[i + n - 1] - start[i]);
                PREFETCH(table.slots + (ring[i] & mask));
            }
            for (Py_ssize_t i = 0; i < n_lookups; i++) {
                uint32_t hash = ring[i % LOOKAHEAD];
                Py_ssize_t ahead = i + LOOKAHEAD;
                if (ahead < n_lookups) {
                    uint32_t later = key_hash(words + start[ahead],
                                              end[ahead + n - 1] - start[ahead]);
                    ring[ahead % LOOKAHEAD] = later;
                    PREFETCH(table.slots + (later & mask));
                }
                Py_ssize_t half = i + LOOKAHEAD / 2;
                if (half < n_lookups) {
                    int32_t entry = table.slots[ring[half % LOOKAHEAD] & mask];
                    if (entry >= 0 && entry < table.n_entries) {
                        PREFETCH(table.key_ends + entry);
                        PREFETCH(table.columns + entry);
                    }
                }
                size_t empty;
                Py_ssize_t entry = table_probe_from(&table, words + start[i],
                                                    end[i + n - 1] - start[i], hash, &empty);
                if (entry >= 0)
                    ((Py_ssize_t *)found.data)[found.size++] = (Py_ssize_t)table.columns[entry];
            }
        }
        /* Distinct columns in ascending order with their counts. */
        if (reserve(&found, found.size) < 0)  /* room for the sort's scratch space */
            goto done;
        Py_ssize_t *indices = (Py_ssize_t *)found.data;
        sort_indices(indices, indices + found.size, found.size, MAX_DIGIT_BITS);
        for (Py_ssize_t i = 0; i < found.size;) {
            Py_ssize_t j = i + 1;
            while (j < found.size && indices[j] == indices[i])
                j++;
            if (reserve(&columns, 1) < 0 || reserve(&counts, 1) < 0)
                goto done;
            ((int64_t *)columns.data)[columns.size++] = (int64_t)indices[i];
            ((int *)counts.data)[counts.size++] = (int)(j - i);
            i = j;
        }
        ((int64_t *)row_ends.data)[row_ends.size++] = (int64_t)columns.size;
    }
    result = bytearrays(&columns, &row_ends, &counts);
done:
    Py_XDECREF(sequence);
    PyBuffer_Release(&keys);
    PyBuffer_Release(&key_ends);
    PyBuffer_Release(&columns_in);
    PyBuffer_Release(&slots);
    tokens_free(&tokens);
    PyMem_Free(found.data);
    PyMem_Free(columns.data);
    PyMem_Free(counts.data);
    PyMem_Free(row_ends.data);
    return result;
}

PyDoc_STRVAR(token_ids_doc,
"token_ids(texts, distinct_per_text, strings=True) -> (ids, row_ends, distinct)\n\n"
"Each text's tokens (maximal runs of \\w, as re.findall(r\"\\w+\") finds them)\n"
"as numbers: bytearrays of int64 token numbers, text after text, and int64\n"
"end offsets of each text's tokens; distinct[k] is token number k, numbered\n"
"in order of first appearance. With distinct_per_text, a token repeated in\n"
"a text is kept once (its first time). No Python string per token, one per\n"
"distinct token; with strings false, distinct is only their number.");

static PyObject *
token_ids(PyObject *self, PyObject *args)
{
    PyObject *texts, *result = NULL, *sequence = NULL, *distinct_list = NULL;
    tokens_t tokens = NO_TOKENS;
    keyset_t distinct = NO_KEYS;
    buffer_t ids = {NULL, 0, 0, sizeof(int64_t)}, row_ends = {NULL, 0, 0, sizeof(int64_t)};
    /* The last text each token number was met in (with distinct_per_text). */
    buffer_t last_text = {NULL, 0, 0, sizeof(Py_ssize_t)};
    int distinct_per_text, strings = 1;

    if (!PyArg_ParseTuple(args, "Op|p", &texts, &distinct_per_text, &strings))
        return NULL;
    sequence = PySequence_Fast(texts, "texts must be a sequence of str");
    if (sequence == NULL)
        return NULL;
    Py_ssize_t n_texts = PySequence_Fast_GET_SIZE(sequence);
    if (reserve(&row_ends, n_texts) < 0)
        goto done;
    for (Py_ssize_t t = 0; t < n_texts; t++) {
        PyObject *text = text_at(sequence, t);
        if (text == NULL || tokenize(text, 1, 0, &tokens) < 0)
            goto done;
        const Py_ssize_t *start = (const Py_ssize_t *)tokens.starts.data;
        const Py_ssize_t *end = (const Py_ssize_t *)tokens.ends.data;
        Py_ssize_t n_tokens = tokens.starts.size;
        if (reserve(&ids, n_tokens) < 0)
            goto done;
        for (Py_ssize_t i = 0; i < n_tokens; i++) {
            Py_ssize_t id = keyset_add(&distinct, tokens.words.data + start[i], end[i] - start[i]);
            if (id < 0)
                goto done;
            if (distinct_per_text) {
                if (id == last_text.size) {  /* a new token number */
                    if (reserve(&last_text, 1) < 0)
                        goto done;
                    ((Py_ssize_t *)last_text.data)[last_text.size++] = -1;
                }
                Py_ssize_t *seen_in = (Py_ssize_t *)last_text.data + id;
                if (*seen_in == t)
                    continue;
                *seen_in = t;
            }
            ((int64_t *)ids.data)[ids.size++] = (int64_t)id;
        }
        ((int64_t *)row_ends.data)[row_ends.size++] = (int64_t)ids.size;
    }
    /* The distinct tokens: their strings, or only their number. */
    if (!strings)
        distinct_list = PyLong_FromSsize_t(distinct.key_ends.size);
    else if ((distinct_list = PyList_New(distinct.key_ends.size)) != NULL) {
        const int32_t *ends = (const int32_t *)distinct.key_ends.data;
        for (Py_ssize_t token = 0; token < distinct.key_ends.size; token++) {
            Py_ssize_t begin = key_start(ends, token);
            PyObject *word = PyUnicode_DecodeUTF8(distinct.keys.data + begin,
                                                  ends[token] - begin, "strict");
            if (word == NULL)
                goto done;
            PyList_SET_ITEM(distinct_list, token, word);
        }
    }
    if (distinct_list == NULL)
        goto done;
    result = Py_BuildValue("(NNO)", PyByteArray_FromStringAndSize(ids.data, ids.size * ids.item),
                           PyByteArray_FromStringAndSize(row_ends.data,
                                                         row_ends.size * row_ends.item),
                           distinct_list);
done:
    Py_XDECREF(sequence);
    Py_XDECREF(distinct_list);
    tokens_free(&tokens);
    keyset_free(&distinct);
    PyMem_Free(ids.data);
    PyMem_Free(row_ends.data);
    PyMem_Free(last_text.data);
    return result;
}

PyDoc_STRVAR(drop_marks_doc,
"drop_marks(text, marks: bytes) -> str\n\n"
"text without the code points whose bit is set in marks (bit c % 8 of\n"
"byte c // 8; code points beyond the table are kept).");

static PyObject *
drop_marks(PyObject *self, PyObject *args)
{
    PyObject *text;
    Py_buffer marks;
    if (!PyArg_ParseTuple(args, "Uy*", &text, &marks))
        return NULL;
    const unsigned char *bits = (const unsigned char *)marks.buf;
    Py_ssize_t limit = marks.len * 8;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text), kept = 0;
    Py_UCS4 max_char = 0;
#define IS_MARK(ch) ((Py_ssize_t)(ch) < limit && (bits[(ch) >> 3] >> ((ch) & 7)) & 1)
    for (Py_ssize_t i = 0; i < length; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (!IS_MARK(ch)) {
            kept++;
            if (ch > max_char)
                max_char = ch;
        }
    }
    /* Sized for the kept characters' largest code point: Python strings
     * must be in their most compact form to compare and hash equal. */
    PyObject *result = PyUnicode_New(kept, max_char);
    if (result != NULL) {
        int out_kind = PyUnicode_KIND(result);
        void *out = PyUnicode_DATA(result);
        Py_ssize_t j = 0;
        for (Py_ssize_t i = 0; i < length; i++) {
            Py_UCS4 ch = PyUnicode_READ(kind, data, i);
            if (!IS_MARK(ch))
                PyUnicode_WRITE(out_kind, out, j++, ch);
        }
    }
#undef IS_MARK
    PyBuffer_Release(&marks);
    return result;
}

PyDoc_STRVAR(sorted_words_doc,
"sorted_words(text, prefix, skip_numbers) -> str\n\n"
"\" \".join(sorted({prefix + word for word in text.split()\n"
"                 if not (skip_numbers and word.isdigit())})): the distinct\n"
"whitespace-separated words, in code-point order, each after prefix.");

/* A word of a text: where it starts and how many code points it has. */
typedef struct {
    Py_ssize_t start, length;
} word_span;

typedef struct {
    int kind;
    const void *data;
} text_view;

/* The next word of str.split() (a run of characters that are not
 * Py_UNICODE_ISSPACE) at or after *at: 1 with it in *word and *at past it,
 * 0 when there is none. */
static int next_split_word(const text_view *text, Py_ssize_t length, Py_ssize_t *at,
                           word_span *word)
{
    Py_ssize_t i = *at;
    while (i < length && Py_UNICODE_ISSPACE(PyUnicode_READ(text->kind, text->data, i)))
        i++;
    if (i == length) {
        *at = i;
        return 0;
    }
    Py_ssize_t start = i;
    while (i < length && !Py_UNICODE_ISSPACE(PyUnicode_READ(text->kind, text->data, i)))
        i++;
    *word = (word_span){start, i - start};
    *at = i;
    return 1;
}

/* str comparison of two words of one text: code point by code point, a
 * word before the longer words it begins. */
static int
compare_words(const text_view *text, word_span a, word_span b)
{
    Py_ssize_t shorter = a.length < b.length ? a.length : b.length;
    if (text->kind == PyUnicode_1BYTE_KIND) {  /* bytes in code-point order */
        const unsigned char *data = (const unsigned char *)text->data;
        int order = memcmp(data + a.start, data + b.start, (size_t)shorter);
        if (order != 0)
            return order < 0 ? -1 : 1;
        return (a.length > b.length) - (a.length < b.length);
    }
    for (Py_ssize_t i = 0; i < shorter; i++) {
        Py_UCS4 x = PyUnicode_READ(text->kind, text->data, a.start + i);
        Py_UCS4 y = PyUnicode_READ(text->kind, text->data, b.start + i);
        if (x != y)
            return x < y ? -1 : 1;
    }
    return (a.length > b.length) - (a.length < b.length);
}

/* Merge sort (insertion sort for short runs); scratch holds n spans. */
static void
sort_words(const text_view *text, word_span *words, word_span *scratch, Py_ssize_t n)
{
    if (n < 16) {
        for (Py_ssize_t i = 1; i < n; i++) {
            word_span word = words[i];
            Py_ssize_t j = i;
            for (; j > 0 && compare_words(text, words[j - 1], word) > 0; j--)
                words[j] = words[j - 1];
            words[j] = word;
        }
        return;
    }
    Py_ssize_t half = n / 2, i = 0, j = half, k = 0;
    sort_words(text, words, scratch, half);
    sort_words(text, words + half, scratch, n - half);
    while (i < half && j < n)
        scratch[k++] = compare_words(text, words[j], words[i]) < 0 ? words[j++] : words[i++];
    while (i < half)
        scratch[k++] = words[i++];
    while (j < n)
        scratch[k++] = words[j++];
    memcpy(words, scratch, (size_t)n * sizeof *words);
}

static PyObject *
sorted_words(PyObject *self, PyObject *args)
{
    PyObject *text, *prefix;
    int skip_numbers;
    if (!PyArg_ParseTuple(args, "UUp", &text, &prefix, &skip_numbers))
        return NULL;
    text_view view = {PyUnicode_KIND(text), PyUnicode_DATA(text)};
    Py_ssize_t length = PyUnicode_GET_LENGTH(text), n_words = 0, at = 0;
    word_span word;
    while (next_split_word(&view, length, &at, &word))
        n_words++;
    word_span *words = PyMem_Malloc((size_t)(2 * n_words + 1) * sizeof *words);
    if (words == NULL)
        return PyErr_NoMemory();
    Py_ssize_t kept = 0;
    for (at = 0; next_split_word(&view, length, &at, &word);) {
        int number = 1; /* str.isdigit() of the word */
        for (Py_ssize_t i = word.start; number && i < word.start + word.length; i++)
            number = Py_UNICODE_ISDIGIT(PyUnicode_READ(view.kind, view.data, i));
        if (!(skip_numbers && number))
            words[kept++] = word;
    }
    sort_words(&view, words, words + n_words, kept);
    Py_ssize_t distinct = 0;
    for (Py_ssize_t i = 0; i < kept; i++)
        if (distinct == 0 || compare_words(&view, words[distinct - 1], words[i]) != 0)
            words[distinct++] = words[i];
    /* Sized for the largest code point written: Python strings must be in
     * their most compact form to compare and hash equal. */
    Py_ssize_t prefix_length = PyUnicode_GET_LENGTH(prefix);
    int prefix_kind = PyUnicode_KIND(prefix);
    const void *prefix_data = PyUnicode_DATA(prefix);
    Py_UCS4 max_char = 0;
    for (Py_ssize_t i = 0; distinct && i < prefix_length; i++) {
        Py_UCS4 ch = PyUnicode_READ(prefix_kind, prefix_data, i);
        if (ch > max_char)
            max_char = ch;
    }
    Py_ssize_t out_length = distinct ? distinct - 1 : 0;
    for (Py_ssize_t w = 0; w < distinct; w++) {
        out_length += prefix_length + words[w].length;
        for (Py_ssize_t i = 0; i < words[w].length; i++) {
            Py_UCS4 ch = PyUnicode_READ(view.kind, view.data, words[w].start + i);
            if (ch > max_char)
                max_char = ch;
        }
    }
    PyObject *result = PyUnicode_New(out_length, max_char);
    if (result != NULL && PyUnicode_KIND(result) == PyUnicode_1BYTE_KIND
        && view.kind == PyUnicode_1BYTE_KIND && prefix_kind == PyUnicode_1BYTE_KIND) {
        /* All one byte per character (the usual class/id words): copied. */
        unsigned char *out = PyUnicode_1BYTE_DATA(result);
        const unsigned char *data = (const unsigned char *)view.data;
        for (Py_ssize_t w = 0; w < distinct; w++) {
            if (w > 0)
                *out++ = ' ';
            memcpy(out, prefix_data, (size_t)prefix_length);
            out += prefix_length;
            memcpy(out, data + words[w].start, (size_t)words[w].length);
            out += words[w].length;
        }
    } else if (result != NULL) {
        int out_kind = PyUnicode_KIND(result);
        void *out = PyUnicode_DATA(result);
        Py_ssize_t j = 0;
        for (Py_ssize_t w = 0; w < distinct; w++) {
            if (w > 0)
                PyUnicode_WRITE(out_kind, out, j++, ' ');
            for (Py_ssize_t i = 0; i < prefix_length; i++)
                PyUnicode_WRITE(out_kind, out, j++, PyUnicode_READ(prefix_kind, prefix_data, i));
            for (Py_ssize_t i = 0; i < words[w].length; i++)
                PyUnicode_WRITE(out_kind, out, j++,
                                PyUnicode_READ(view.kind, view.data, words[w].start + i));
        }
    }
    PyMem_Free(words);
    return result;
}

PyDoc_STRVAR(or_of_word_values_doc,
"or_of_word_values(texts, values) -> bytes\n\n"
"For each text, the bitwise OR of values[word] over the words of\n"
"text.split() (0 for a text without words), as int64 values, text after\n"
"text. values is read as values[word] (a dict subclass's __missing__ runs\n"
"for a word it lacks); each value must be an int that fits in int64.");

static PyObject *
or_of_word_values(PyObject *self, PyObject *args)
{
    PyObject *texts, *values, *sequence, *result = NULL;
    if (!PyArg_ParseTuple(args, "OO!", &texts, &PyDict_Type, &values))
        return NULL;
    sequence = PySequence_Fast(texts, "texts must be a sequence of str");
    if (sequence == NULL)
        return NULL;
    Py_ssize_t n_texts = PySequence_Fast_GET_SIZE(sequence);
    result = PyBytes_FromStringAndSize(NULL, n_texts * (Py_ssize_t)sizeof(int64_t));
    if (result == NULL)
        goto done;
    int64_t *out = (int64_t *)PyBytes_AS_STRING(result);
    for (Py_ssize_t t = 0; t < n_texts; t++) {
        PyObject *text = text_at(sequence, t);
        if (text == NULL)
            goto error;
        text_view view = {PyUnicode_KIND(text), PyUnicode_DATA(text)};
        Py_ssize_t length = PyUnicode_GET_LENGTH(text), at = 0;
        word_span span;
        int64_t mask = 0;
        while (next_split_word(&view, length, &at, &span)) {
            PyObject *word = PyUnicode_Substring(text, span.start, span.start + span.length);
            if (word == NULL)
                goto error;
            /* The dict's own lookup first; values[word] (and __missing__)
             * for a word it does not hold. */
            PyObject *value = PyDict_GetItemWithError(values, word);
            if (value != NULL)
                Py_INCREF(value);
            else if (!PyErr_Occurred())
                value = PyObject_GetItem(values, word);
            Py_DECREF(word);
            if (value == NULL)
                goto error;
            long long bits = PyLong_AsLongLong(value);
            Py_DECREF(value);
            if (bits == -1 && PyErr_Occurred())
                goto error;
            mask |= (int64_t)bits;
        }
        out[t] = mask;
    }
    goto done;
error:
    Py_CLEAR(result);
done:
    Py_DECREF(sequence);
    return result;
}

PyDoc_STRVAR(murmurhash_doc,
"murmurhash3_32(data: bytes) -> int\n\nMurmurHash3 (x86, 32-bit, seed 0) of data, signed.");

static PyObject *
murmurhash(PyObject *self, PyObject *args)
{
    Py_buffer data;
    if (!PyArg_ParseTuple(args, "y*", &data))
        return NULL;
    int32_t h = murmurhash3_32((const unsigned char *)data.buf, data.len);
    PyBuffer_Release(&data);
    return PyLong_FromLong(h);
}

PyDoc_STRVAR(without_proper_nouns_doc,
"without_proper_nouns(text) -> str\n\n"
"classifier.topics.model.without_proper_nouns: each match of\n"
"\" (?<=[lower0-9,;:] )[upper][\\w'\\u2019.-]*\" replaced by one space, where\n"
"lower and upper are the characters for which str.islower() and\n"
"str.isupper() hold (Py_UNICODE_ISLOWER and Py_UNICODE_ISUPPER, as for a\n"
"one-character str) and \\w is _sre's (Py_UNICODE_ISALNUM or \"_\").\n"
"Matches are found left to right on the original text, as re.sub finds\n"
"them (the look-behind reads the text before a removed word).");

/* Whether a proper noun may follow "ch ": a lower-case letter, a digit, , ; : */
static inline int opens_proper_noun(Py_UCS4 ch)
{
    return Py_UNICODE_ISLOWER(ch) || (ch >= '0' && ch <= '9') || ch == ',' || ch == ';'
           || ch == ':';
}

static inline int in_proper_noun(Py_UCS4 ch)
{
    return is_word(ch) || ch == '\'' || ch == 0x2019 || ch == '.' || ch == '-';
}

/* Appends the span [start, stop) to spans (items of two Py_ssize_t). */
static int add_span(buffer_t *spans, Py_ssize_t start, Py_ssize_t stop)
{
    if (reserve(spans, 1) < 0)
        return -1;
    Py_ssize_t *span = (Py_ssize_t *)spans->data + 2 * spans->size++;
    span[0] = start;
    span[1] = stop;
    return 0;
}

static PyObject *
without_proper_nouns(PyObject *self, PyObject *args)
{
    PyObject *text;
    if (!PyArg_ParseTuple(args, "U", &text))
        return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    /* The kept parts: [spans[2 s], spans[2 s + 1]) of text, a space between
     * two (in a removed word's place). Found first, then copied: the
     * result's size and widest character are known before it is made. */
    buffer_t spans = {NULL, 0, 0, 2 * sizeof(Py_ssize_t)};
    Py_ssize_t kept = 0, from = 0;
    PyObject *result = NULL;
    for (Py_ssize_t i = 1; i + 1 < length; i++) {
        if (PyUnicode_READ(kind, data, i) != ' '
            || !Py_UNICODE_ISUPPER(PyUnicode_READ(kind, data, i + 1))
            || !opens_proper_noun(PyUnicode_READ(kind, data, i - 1)))
            continue;
        Py_ssize_t end = i + 2;
        while (end < length && in_proper_noun(PyUnicode_READ(kind, data, end)))
            end++;
        if (add_span(&spans, from, i) < 0)
            goto done;
        kept += i - from + 1;  /* and the space in the word's place */
        from = end;
        i = end - 1;  /* (the loop's i++: the next search starts at end) */
    }
    if (spans.size == 0) {  /* nothing to take out */
        result = Py_NewRef(text);
        goto done;
    }
    if (add_span(&spans, from, length) < 0)
        goto done;
    kept += length - from;
    const Py_ssize_t *span = (const Py_ssize_t *)spans.data;
    /* Sized for the kept characters' widest code point: Python strings
     * must be in their most compact form to compare and hash equal. */
    Py_UCS4 widest = ' ';
    for (Py_ssize_t s = 0; s < spans.size; s++) {
        for (Py_ssize_t j = span[2 * s];
             j < span[2 * s + 1] && widest < PyUnicode_MAX_CHAR_VALUE(text); j++) {
            Py_UCS4 ch = PyUnicode_READ(kind, data, j);
            if (ch > widest)
                widest = ch;
        }
    }
    result = PyUnicode_New(kept, widest);
    if (result != NULL) {
        int out_kind = PyUnicode_KIND(result);
        void *out = PyUnicode_DATA(result);
        Py_ssize_t at = 0;
        for (Py_ssize_t s = 0; s < spans.size; s++) {
            if (s > 0)
                PyUnicode_WRITE(out_kind, out, at++, ' ');
            for (Py_ssize_t j = span[2 * s]; j < span[2 * s + 1]; j++)
                PyUnicode_WRITE(out_kind, out, at++, PyUnicode_READ(kind, data, j));
        }
    }
done:
    PyMem_Free(spans.data);
    return result;
}

static PyMethodDef methods[] = {
    {"hashed_ngrams", hashed_ngrams, METH_VARARGS, hashed_ngrams_doc},
    {"word_ngrams", word_ngrams, METH_VARARGS, word_ngrams_doc},
    {"vocabulary_table", vocabulary_table, METH_VARARGS, vocabulary_table_doc},
    {"count_ngrams", count_ngrams, METH_VARARGS, count_ngrams_doc},
    {"token_ids", token_ids, METH_VARARGS, token_ids_doc},
    {"drop_marks", drop_marks, METH_VARARGS, drop_marks_doc},
    {"sorted_words", sorted_words, METH_VARARGS, sorted_words_doc},
    {"or_of_word_values", or_of_word_values, METH_VARARGS, or_of_word_values_doc},
    {"without_proper_nouns", without_proper_nouns, METH_VARARGS, without_proper_nouns_doc},
    {"murmurhash3_32", murmurhash, METH_VARARGS, murmurhash_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_words",
    "Compiled word n-grams (see classifier/words.py).", -1, methods,
};

PyMODINIT_FUNC
PyInit__words(void)
{
    for (Py_UCS4 ch = 0; ch < 256; ch++)
        latin1_word[ch] = Py_UNICODE_ISALNUM(ch) || ch == '_';
    for (Py_UCS4 ch = 0; ch < 128; ch++) {
        ascii_in_token[0][ch] = (unsigned char)in_token(ch, 0);
        ascii_in_token[1][ch] = (unsigned char)in_token(ch, 1);
    }
    return PyModule_Create(&module);
}
