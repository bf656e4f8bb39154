/* Hashed word n-grams of texts: the compiled part of classifier/hashing.py.
 *
 * Why: scikit-learn's HashingVectorizer analyses each text in Python
 * (lower-case, regex tokens, a list of n-gram strings joined one by one,
 * each encoded to UTF-8 and hashed): ~9 us per line, the line model's
 * biggest feature step. Here one pass per text does the same in C.
 *
 * What it reproduces, exactly: HashingVectorizer(lowercase=..., token_pattern
 * r"(?u)\b\w+\b", ngram_range=(min_n, max_n), alternate_sign=..., norm=None)
 * before its duplicate entries are summed:
 *  - lower-casing is Python's str.lower() (called on the text);
 *  - a token is a maximal run of \w characters, which for str patterns is
 *    Py_UNICODE_ISALNUM or "_" (as in CPython's _sre);
 *  - an n-gram is its tokens joined by one space, hashed as UTF-8 bytes
 *    with MurmurHash3 (x86, 32-bit, seed 0), written here from the
 *    algorithm's published description;
 *  - column = |h| mod n_features (h = -2**31 as scikit-learn maps it);
 *    value 1, or the sign of h with alternate_sign.
 * tests/test_hashing.py compares the result with HashingVectorizer's.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
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

/* Appends code point ch to b (items of one byte) as UTF-8. Tokens hold only
 * \w characters, never surrogates, so every code point has an encoding. */
static int append_utf8(buffer_t *b, Py_UCS4 ch)
{
    if (reserve(b, 4) < 0)
        return -1;
    unsigned char *out = (unsigned char *)b->data + b->size;
    if (ch < 0x80) {
        out[0] = (unsigned char)ch;
        b->size += 1;
    } else if (ch < 0x800) {
        out[0] = (unsigned char)(0xc0 | (ch >> 6));
        out[1] = (unsigned char)(0x80 | (ch & 0x3f));
        b->size += 2;
    } else if (ch < 0x10000) {
        out[0] = (unsigned char)(0xe0 | (ch >> 12));
        out[1] = (unsigned char)(0x80 | ((ch >> 6) & 0x3f));
        out[2] = (unsigned char)(0x80 | (ch & 0x3f));
        b->size += 3;
    } else {
        out[0] = (unsigned char)(0xf0 | (ch >> 18));
        out[1] = (unsigned char)(0x80 | ((ch >> 12) & 0x3f));
        out[2] = (unsigned char)(0x80 | ((ch >> 6) & 0x3f));
        out[3] = (unsigned char)(0x80 | (ch & 0x3f));
        b->size += 4;
    }
    return 0;
}

static inline int is_word(Py_UCS4 ch) { return Py_UNICODE_ISALNUM(ch) || ch == '_'; }

/* The text's tokens into words (one byte items) joined by single spaces;
 * token i is words[starts[i]:ends[i]], so tokens i..j joined by spaces are
 * words[starts[i]:ends[j]]. */
static int tokenize(PyObject *text, buffer_t *words, buffer_t *starts, buffer_t *ends)
{
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    words->size = starts->size = ends->size = 0;
    Py_ssize_t i = 0;
    while (i < length) {
        if (!is_word(PyUnicode_READ(kind, data, i))) {
            i++;
            continue;
        }
        if (words->size > 0) {
            if (reserve(words, 1) < 0)
                return -1;
            words->data[words->size++] = ' ';
        }
        if (reserve(starts, 1) < 0 || reserve(ends, 1) < 0)
            return -1;
        ((Py_ssize_t *)starts->data)[starts->size++] = words->size;
        for (; i < length; i++) {
            Py_UCS4 ch = PyUnicode_READ(kind, data, i);
            if (!is_word(ch))
                break;
            if (append_utf8(words, ch) < 0)
                return -1;
        }
        ((Py_ssize_t *)ends->data)[ends->size++] = words->size;
    }
    return 0;
}

PyDoc_STRVAR(hashed_ngrams_doc,
"hashed_ngrams(texts, n_features, min_n, max_n, lowercase, alternate_sign)\n"
"-> (columns, row_ends, values)\n\n"
"Each text's word n-grams hashed to columns, as bytearrays of int32 column\n"
"indices, int64 end offsets of each text's entries, and float64 values\n"
"(1, or -1 for a negative hash with alternate_sign); duplicates not summed.");

static PyObject *
hashed_ngrams(PyObject *self, PyObject *args)
{
    PyObject *texts, *result = NULL, *lower_name = NULL;
    Py_ssize_t n_features, min_n, max_n;
    int lowercase, alternate_sign;
    buffer_t words = {NULL, 0, 0, 1}, starts = {NULL, 0, 0, sizeof(Py_ssize_t)},
             ends = {NULL, 0, 0, sizeof(Py_ssize_t)}, columns = {NULL, 0, 0, sizeof(int32_t)},
             values = {NULL, 0, 0, sizeof(double)}, row_ends = {NULL, 0, 0, sizeof(int64_t)};

    if (!PyArg_ParseTuple(args, "Onnnpp", &texts, &n_features, &min_n, &max_n, &lowercase,
                          &alternate_sign))
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
    Py_ssize_t n_texts = PySequence_Fast_GET_SIZE(sequence);
    if (reserve(&row_ends, n_texts) < 0)
        goto done;
    for (Py_ssize_t t = 0; t < n_texts; t++) {
        PyObject *text = PySequence_Fast_GET_ITEM(sequence, t);
        if (!PyUnicode_Check(text)) {
            PyErr_Format(PyExc_TypeError, "texts must be str, not %.100s",
                         Py_TYPE(text)->tp_name);
            goto done;
        }
        PyObject *lowered = lowercase ? PyObject_CallMethodNoArgs(text, lower_name)
                                      : Py_NewRef(text);
        if (lowered == NULL)
            goto done;
        int failed = tokenize(lowered, &words, &starts, &ends);
        Py_DECREF(lowered);
        if (failed < 0)
            goto done;
        const Py_ssize_t *start = (const Py_ssize_t *)starts.data;
        const Py_ssize_t *end = (const Py_ssize_t *)ends.data;
        Py_ssize_t n_tokens = starts.size;
        for (Py_ssize_t n = min_n; n <= max_n && n <= n_tokens; n++) {
            if (reserve(&columns, n_tokens) < 0 || reserve(&values, n_tokens) < 0)
                goto done;
            for (Py_ssize_t i = 0; i + n <= n_tokens; i++) {
                int32_t h = murmurhash3_32((const unsigned char *)words.data + start[i],
                                           end[i + n - 1] - start[i]);
                int32_t column = h == INT32_MIN
                    ? (int32_t)((2147483647 - (n_features - 1)) % n_features)
                    : (int32_t)((h < 0 ? -(int64_t)h : (int64_t)h) % n_features);
                ((int32_t *)columns.data)[columns.size++] = column;
                ((double *)values.data)[values.size++] = alternate_sign && h < 0 ? -1.0 : 1.0;
            }
        }
        ((int64_t *)row_ends.data)[row_ends.size++] = (int64_t)columns.size;
    }
    result = Py_BuildValue(
        "(NNN)",
        PyByteArray_FromStringAndSize(columns.data, columns.size * columns.item),
        PyByteArray_FromStringAndSize(row_ends.data, row_ends.size * row_ends.item),
        PyByteArray_FromStringAndSize(values.data, values.size * values.item));
done:
    Py_DECREF(sequence);
    Py_XDECREF(lower_name);
    PyMem_Free(words.data);
    PyMem_Free(starts.data);
    PyMem_Free(ends.data);
    PyMem_Free(columns.data);
    PyMem_Free(values.data);
    PyMem_Free(row_ends.data);
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

static PyMethodDef methods[] = {
    {"hashed_ngrams", hashed_ngrams, METH_VARARGS, hashed_ngrams_doc},
    {"murmurhash3_32", murmurhash, METH_VARARGS, murmurhash_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_hashing",
    "Compiled hashed word n-grams (see classifier/hashing.py).", -1, methods,
};

PyMODINIT_FUNC
PyInit__hashing(void) { return PyModule_Create(&module); }
