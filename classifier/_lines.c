/* Character statistics of lines: the compiled part of classifier/features.py.
 *
 * Why: the line shape features count letters, capitals, digits, words, ...
 * of every line. In numpy that is a UTF-32 copy of all the text, a table
 * lookup per code point and a reduction per statistic; the string tests
 * beside it (last character, commas, ...) a Python loop each: together
 * ~3 us per line of shared pages, and the word counts alone were computed
 * again by two other features. Here one pass per line does all of it.
 *
 * Every test is the one Python's str methods make for a single character,
 * through the same CPython macros: isalpha is Py_UNICODE_ISALPHA, isupper
 * Py_UNICODE_ISUPPER, isdigit Py_UNICODE_ISDIGIT, and a word character
 * (the regex \w for str patterns) Py_UNICODE_ISALNUM or "_". A word is a
 * maximal run of word characters (re.findall(r"\w+")).
 * tests/test_features.py compares the result with the Python definitions.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* The statistics, in the order of the output's columns; classifier/
 * features.py names them in _LINE_STATISTICS (same order). */
enum {
    CHARS, LETTERS, UPPERS, DIGITS, WORD_CHARS, QUOTES, SEPARATORS, WORDS, CAPITALISED,
    SPACES, COMMAS, ENDS_SENTENCE, LAST_IS_COLON, LAST_IS_PAREN, STARTS_WITH_LETTER,
    COLON_NEAR_START, DIGIT_THEN_MARK, MONTH_NAME, N_STATISTICS
};

/* Three-letter month names; is_month[a][b][c] for letters a, b, c (0-25),
 * filled by the module's init. */
static const char *const MONTHS[] = {
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
};
static unsigned char is_month[26][26][26];

/* A character as month names are matched: A-Z and a-z as 0-25, U+017F
 * (long s, which a case-insensitive "s" matches in Python's re) as "s";
 * any other character as -1. */
static inline int month_letter(Py_UCS4 ch)
{
    if (ch >= 'a' && ch <= 'z')
        return (int)(ch - 'a');
    if (ch >= 'A' && ch <= 'Z')
        return (int)(ch - 'A');
    return ch == 0x17f ? 's' - 'a' : -1;
}

/* How far into a line a colon counts as "near the start" (text[:22]). */
#define NEAR_START 22

static int holds(PyObject *set, Py_UCS4 ch)
{
    /* The sets are a few characters long: a linear scan. */
    int kind = PyUnicode_KIND(set);
    const void *data = PyUnicode_DATA(set);
    Py_ssize_t length = PyUnicode_GET_LENGTH(set);
    for (Py_ssize_t i = 0; i < length; i++) {
        if (PyUnicode_READ(kind, data, i) == ch)
            return 1;
    }
    return 0;
}

static inline int is_word(Py_UCS4 ch) { return Py_UNICODE_ISALNUM(ch) || ch == '_'; }

/* A character's classes, as bits. */
enum { IS_ALPHA = 1, IS_UPPER = 2, IS_DIGIT = 4, IS_WORD = 8, IS_QUOTE = 16, IS_SEPARATOR = 32,
       IS_DECIMAL = 64 };

typedef struct {
    PyObject *quotes, *separators, *enders, *closers;
    unsigned char latin1[256];  /* the classes of the first 256 code points */
} classes_t;

/* A character's classes by the tests themselves. */
static unsigned char tested_classes(const classes_t *c, Py_UCS4 ch)
{
    return (unsigned char)((Py_UNICODE_ISALPHA(ch) ? IS_ALPHA : 0)
                           | (Py_UNICODE_ISUPPER(ch) ? IS_UPPER : 0)
                           | (Py_UNICODE_ISDIGIT(ch) ? IS_DIGIT : 0)
                           | (is_word(ch) ? IS_WORD : 0)
                           | (holds(c->quotes, ch) ? IS_QUOTE : 0)
                           | (holds(c->separators, ch) ? IS_SEPARATOR : 0)
                           | (Py_UNICODE_ISDECIMAL(ch) ? IS_DECIMAL : 0));
}

/* The first 256 code points' classes are looked up in a table made by the
 * same tests (the Unicode database lookups behind the macros cost more
 * than the rest of a character's work; most text is in this range). */
static void classes_init(classes_t *c)
{
    for (Py_UCS4 ch = 0; ch < 256; ch++)
        c->latin1[ch] = tested_classes(c, ch);
}

static inline unsigned char classes_of(const classes_t *c, Py_UCS4 ch)
{
    return ch < 256 ? c->latin1[ch] : tested_classes(c, ch);
}

static void line_statistics_of(PyObject *text, const classes_t *c, int64_t *row)
{
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    int previous_is_word = 0, previous_is_decimal = 0;
    int letter_2_back = -1, letter_1_back = -1;  /* as month_letter gives them */
    memset(row, 0, N_STATISTICS * sizeof(int64_t));
    row[CHARS] = length;
    for (Py_ssize_t i = 0; i < length; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        unsigned char classes = classes_of(c, ch);
        int word = (classes & IS_WORD) != 0, upper = (classes & IS_UPPER) != 0;
        row[LETTERS] += (classes & IS_ALPHA) != 0;
        row[UPPERS] += upper;
        row[DIGITS] += (classes & IS_DIGIT) != 0;
        row[WORD_CHARS] += word;
        row[QUOTES] += (classes & IS_QUOTE) != 0;
        row[SEPARATORS] += (classes & IS_SEPARATOR) != 0;
        if (word && !previous_is_word) {
            row[WORDS]++;
            row[CAPITALISED] += upper;
        }
        previous_is_word = word;
        row[SPACES] += ch == ' ';
        row[COMMAS] += ch == ',';
        if (ch == ':' && i < NEAR_START)
            row[COLON_NEAR_START] = 1;
        if (previous_is_decimal && (ch == '-' || ch == '/' || ch == ':'))
            row[DIGIT_THEN_MARK] = 1;
        previous_is_decimal = (classes & IS_DECIMAL) != 0;
        int letter = month_letter(ch);
        if (letter >= 0 && letter_2_back >= 0 && is_month[letter_2_back][letter_1_back][letter])
            row[MONTH_NAME] = 1;
        letter_2_back = letter >= 0 ? letter_1_back : -1;
        letter_1_back = letter;
    }
    if (length == 0)
        return;
    Py_UCS4 last = PyUnicode_READ(kind, data, length - 1);
    row[LAST_IS_COLON] = last == ':';
    row[LAST_IS_PAREN] = last == ')';
    row[STARTS_WITH_LETTER] = (classes_of(c, PyUnicode_READ(kind, data, 0)) & IS_ALPHA) != 0;
    /* text.rstrip(closers)[-1:] in enders */
    Py_ssize_t end = length;
    while (end > 0 && holds(c->closers, PyUnicode_READ(kind, data, end - 1)))
        end--;
    row[ENDS_SENTENCE] = end > 0 && holds(c->enders, PyUnicode_READ(kind, data, end - 1));
}

PyDoc_STRVAR(line_statistics_doc,
"line_statistics(texts, quote_chars, separator_chars, sentence_enders,\n"
"                sentence_closers) -> bytearray\n\n"
"Per text, int64 statistics in this order: characters, letters, upper-case\n"
"characters, digits, word characters, quote characters, separator\n"
"characters, words, words starting with an upper-case character, spaces,\n"
"commas, ends a sentence (the text without trailing closers ends with an\n"
"ender), ends with ':', ends with ')', starts with a letter, has a ':' in\n"
"its first 22 characters, has a decimal digit followed by '-', '/' or ':',\n"
"has a three-letter month name (A-Z in any case, long s as s). Row after\n"
"row, as one bytearray.");

static PyObject *
line_statistics(PyObject *self, PyObject *args)
{
    PyObject *texts;
    classes_t classes;
    if (!PyArg_ParseTuple(args, "OUUUU", &texts, &classes.quotes, &classes.separators,
                          &classes.enders, &classes.closers))
        return NULL;
    classes_init(&classes);
    PyObject *sequence = PySequence_Fast(texts, "texts must be a sequence of str");
    if (sequence == NULL)
        return NULL;
    Py_ssize_t n_texts = PySequence_Fast_GET_SIZE(sequence);
    PyObject *result = PyByteArray_FromStringAndSize(
        NULL, n_texts * N_STATISTICS * (Py_ssize_t)sizeof(int64_t));
    if (result == NULL)
        goto done;
    int64_t *rows = (int64_t *)PyByteArray_AS_STRING(result);
    for (Py_ssize_t t = 0; t < n_texts; t++) {
        PyObject *text = PySequence_Fast_GET_ITEM(sequence, t);
        if (!PyUnicode_Check(text)) {
            PyErr_Format(PyExc_TypeError, "texts must be str, not %.100s",
                         Py_TYPE(text)->tp_name);
            Py_CLEAR(result);
            goto done;
        }
        line_statistics_of(text, &classes, rows + t * N_STATISTICS);
    }
done:
    Py_DECREF(sequence);
    return result;
}

static PyMethodDef methods[] = {
    {"line_statistics", line_statistics, METH_VARARGS, line_statistics_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_lines",
    "Compiled character statistics of lines (see classifier/features.py).", -1, methods,
};

PyMODINIT_FUNC
PyInit__lines(void)
{
    for (size_t m = 0; m < sizeof(MONTHS) / sizeof(MONTHS[0]); m++)
        is_month[MONTHS[m][0] - 'a'][MONTHS[m][1] - 'a'][MONTHS[m][2] - 'a'] = 1;
    return PyModule_Create(&module);
}
