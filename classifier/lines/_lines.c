/* Character statistics of lines: the compiled part of classifier/lines/statistics.py
 * (and of table.py's neighbour_window, layout.py's densest_run and head_overlaps).
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
 * needles_found looks for a few substrings (legal phrases, URL marks) in
 * each line's lower case in one pass, without the lower-cased copy.
 * tests/test_features.py compares the result with the Python definitions.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* The statistics, in the order of the output's columns; classifier/
 * features.py names them in _LINE_STATISTICS (same order). */
enum {
    CHARS, LETTERS, UPPERS, DIGITS, WORD_CHARS, QUOTES, SEPARATORS, WORDS, CAPITALISED,
    SPACES, COMMAS, ENDS_SENTENCE, LAST_IS_COLON, LAST_IS_PAREN, BULLET,
    COLON_NEAR_START, DIGIT_MARK_DIGIT, DATE, FUNCTION_WORDS, FIRST_WORD_MARKS,
    SENTENCE_BREAKS, ENDS_WITH_SAYS, SEPARATED, N_STATISTICS
};

/* Three-letter month names; is_month[a][b][c] for letters a, b, c (0-25),
 * filled by the module's init. */
static const char *const MONTHS[] = {
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
};
static unsigned char is_month[26][26][26];

/* A character as a case-insensitive pattern of Python's re reads it, in
 * lower-case ASCII: A-Z as a-z, U+0130 and U+0131 as "i", U+017F as "s",
 * U+212A as "k" (what a case-insensitive [a-z] takes besides a-z, as
 * tests/test_features.py checks over every code point), other ASCII as
 * itself; 0 for any other character (it matches no ASCII letter). */
static inline char any_case_fold(Py_UCS4 ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return (char)(ch + ('a' - 'A'));
    if (ch < 128)
        return (char)ch;
    return ch == 0x130 || ch == 0x131 ? 'i' : ch == 0x17f ? 's' : ch == 0x212a ? 'k' : 0;
}

/* The letter (0-25) a case-insensitive a-z reads the character as, or -1.
 * (Month names have neither "i" nor "k": of the folded characters, only
 * U+017F, as "s", can be part of one.) */
static inline int month_letter(Py_UCS4 ch)
{
    char folded = any_case_fold(ch);
    return folded >= 'a' && folded <= 'z' ? folded - 'a' : -1;
}

static inline int is_word(Py_UCS4 ch) { return Py_UNICODE_ISALNUM(ch) || ch == '_'; }

/* What features.py's _DATE (IGNORECASE) needs, read from the character at
 * i on: the length of the run of decimal digits there (\d is
 * Py_UNICODE_ISDECIMAL); whether no word character follows, as \b does
 * after one (\w is is_word, as in Python's re); the end of the run of
 * letters a case-insensitive [a-z] takes (month_letter). */
static Py_ssize_t decimals_at(int kind, const void *data, Py_ssize_t length, Py_ssize_t i)
{
    Py_ssize_t j = i;
    while (j < length && Py_UNICODE_ISDECIMAL(PyUnicode_READ(kind, data, j)))
        j++;
    return j - i;
}

static int word_ends_at(int kind, const void *data, Py_ssize_t length, Py_ssize_t i)
{
    return i >= length || !is_word(PyUnicode_READ(kind, data, i));
}

static Py_ssize_t letters_end(int kind, const void *data, Py_ssize_t length, Py_ssize_t i)
{
    while (i < length && month_letter(PyUnicode_READ(kind, data, i)) >= 0)
        i++;
    return i;
}

/* Whether _DATE finds a date by a month name whose three letters start the
 * word at position at: \bMONTH[a-z]*\.?\s+\d{1,2}\b (letters, at most one
 * ".", whitespace, then one or two decimal digits and no word character)
 * or \b\d{1,2}\s+MONTH[a-z]*\b (one or two decimal digits after no word
 * character, whitespace, then the name and its letters and no word
 * character). The greedy runs never give anything back: a letter is
 * neither ".", whitespace nor the end of a word. */
static int date_by_month_at(int kind, const void *data, Py_ssize_t length, Py_ssize_t at)
{
    Py_ssize_t letters_stop = letters_end(kind, data, length, at + 3), j = letters_stop;
    if (j < length && PyUnicode_READ(kind, data, j) == '.')
        j++;
    if (j < length && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, j))) {
        while (j < length && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, j)))
            j++;
        Py_ssize_t digits = decimals_at(kind, data, length, j);
        if (digits >= 1 && digits <= 2 && word_ends_at(kind, data, length, j + digits))
            return 1;
    }
    if (!word_ends_at(kind, data, length, letters_stop))
        return 0;
    j = at - 1;
    if (j < 0 || !Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, j)))
        return 0;
    while (j >= 0 && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, j)))
        j--;
    Py_ssize_t digits = 0;
    while (j >= 0 && Py_UNICODE_ISDECIMAL(PyUnicode_READ(kind, data, j))) {
        digits++;
        j--;
    }
    return digits >= 1 && digits <= 2 && (j < 0 || !is_word(PyUnicode_READ(kind, data, j)));
}

/* Whether _DATE finds a date by numbers starting at position at, the start
 * of a word and a decimal digit: \d{4}-\d{1,2}-\d{1,2}\b,
 * \d{1,2}/\d{1,2}/\d{2,4}\b or \d{1,2}:\d{2}\b. Each \d{...} is a whole run
 * of decimal digits: the character after it is a mark or ends the word. */
static int date_by_numbers_at(int kind, const void *data, Py_ssize_t length, Py_ssize_t at)
{
    Py_ssize_t first = decimals_at(kind, data, length, at), mark_at = at + first;
    Py_UCS4 mark = mark_at < length ? PyUnicode_READ(kind, data, mark_at) : 0;
    Py_ssize_t second_at = mark_at + 1;
    Py_ssize_t second = mark == 0 ? 0 : decimals_at(kind, data, length, second_at);
    Py_ssize_t second_end = second_at + second;
    if (mark == ':')
        return first <= 2 && second == 2 && word_ends_at(kind, data, length, second_end);
    if (!((mark == '-' && first == 4) || (mark == '/' && first <= 2)))
        return 0;
    if (second < 1 || second > 2 || second_end >= length
        || PyUnicode_READ(kind, data, second_end) != mark)
        return 0;
    Py_ssize_t third = decimals_at(kind, data, length, second_end + 1);
    Py_ssize_t low = mark == '-' ? 1 : 2, high = mark == '-' ? 2 : 4;
    return third >= low && third <= high
           && word_ends_at(kind, data, length, second_end + 1 + third);
}

/* Whether features.py's _BULLET matches at the start of the text:
 * ^\s*(?:[-–—•·*▪►»>]|\d{1,2}[.)])\s, that is, after any whitespace, a
 * bullet mark or a whole run of one or two decimal digits and "." or ")",
 * then whitespace. (Giving back leading whitespace never helps: it is no
 * mark or digit.) */
static int bullet_at_start(int kind, const void *data, Py_ssize_t length)
{
    Py_ssize_t at = 0;
    while (at < length && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, at)))
        at++;
    if (at >= length)
        return 0;
    Py_UCS4 ch = PyUnicode_READ(kind, data, at);
    Py_ssize_t after;
    if (ch == '-' || ch == 0x2013 || ch == 0x2014 || ch == 0x2022 || ch == 0xb7 || ch == '*'
        || ch == 0x25aa || ch == 0x25ba || ch == 0xbb || ch == '>') {
        after = at + 1;
    } else {
        Py_ssize_t digits = decimals_at(kind, data, length, at);
        after = at + digits;
        if (digits < 1 || digits > 2 || after >= length)
            return 0;
        Py_UCS4 mark = PyUnicode_READ(kind, data, after);
        if (mark != '.' && mark != ')')
            return 0;
        after++;
    }
    return after < length && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, after));
}

/* Whether features.py's _SEPARATOR, \s[|>»/·•]\s|\s?[|»›]\s?, finds a
 * separator at position i: one of | » › anywhere (the second
 * alternative), or one of > / · • between whitespace. */
static int separator_at(int kind, const void *data, Py_ssize_t length, Py_ssize_t i)
{
    Py_UCS4 ch = PyUnicode_READ(kind, data, i);
    if (ch == '|' || ch == 0xbb || ch == 0x203a)
        return 1;
    return (ch == '>' || ch == '/' || ch == 0xb7 || ch == 0x2022) && i > 0 && i + 1 < length
           && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i - 1))
           && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i + 1));
}

/* Sets of words a line's words are looked up in (the function words of
 * classifier/lines/statistics.py, and the first words of its section headings):
 * lower-case ASCII words, given to each call as one space-separated str
 * each, kept here in an open-addressing set (at most MAX_SET_WORDS words of
 * at most SET_WORD_LENGTH characters; a longer word is never in one).
 * Function words: a word of a line is one when its str.lower() is; for a
 * word of ASCII characters that is its ASCII lower case, and the only other
 * code point that lower-cases to ASCII is U+212A, the Kelvin sign ("k"),
 * read as "k" here (tests/test_features.py checks every code point). */
#define SET_WORD_LENGTH 15
#define MAX_SET_WORDS 512
#define SET_WORD_SLOTS 1024  /* a power of two, twice the words at least */

typedef struct {
    char words[SET_WORD_SLOTS][SET_WORD_LENGTH + 1];  /* "" for an empty slot */
} word_set_t;

static size_t word_slot(const char *word, size_t length)
{
    size_t hash = 5381;  /* djb2 */
    for (size_t i = 0; i < length; i++)
        hash = hash * 33 + (unsigned char)word[i];
    return hash & (SET_WORD_SLOTS - 1);
}

static int word_set_holds(const word_set_t *set, const char *word, size_t length)
{
    for (size_t slot = word_slot(word, length);; slot = (slot + 1) & (SET_WORD_SLOTS - 1)) {
        const char *entry = set->words[slot];
        if (entry[0] == 0)
            return 0;
        if (strlen(entry) == length && memcmp(entry, word, length) == 0)
            return 1;
    }
}

/* The set of the space-separated words of an ASCII str; -1 with an error
 * set for anything else (a word too long, too many words, not ASCII). */
static int word_set_init(word_set_t *set, PyObject *words)
{
    memset(set, 0, sizeof(*set));
    if (!PyUnicode_IS_ASCII(words)) {
        PyErr_SetString(PyExc_ValueError, "the words of a word set must be ASCII");
        return -1;
    }
    const char *text = (const char *)PyUnicode_DATA(words);
    Py_ssize_t length = PyUnicode_GET_LENGTH(words), count = 0;
    for (Py_ssize_t i = 0; i < length;) {
        while (i < length && text[i] == ' ')
            i++;
        Py_ssize_t start = i;
        while (i < length && text[i] != ' ')
            i++;
        size_t size = (size_t)(i - start);
        if (size == 0 || (size <= SET_WORD_LENGTH && word_set_holds(set, text + start, size)))
            continue;
        if (size > SET_WORD_LENGTH || ++count > MAX_SET_WORDS) {
            PyErr_SetString(PyExc_ValueError, "too many words in a word set, or one too long");
            return -1;
        }
        size_t slot = word_slot(text + start, size);
        while (set->words[slot][0] != 0)
            slot = (slot + 1) & (SET_WORD_SLOTS - 1);
        memcpy(set->words[slot], text + start, size);
    }
    return 0;
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

/* A character's classes, as bits. */
enum { IS_ALPHA = 1, IS_UPPER = 2, IS_DIGIT = 4, IS_WORD = 8, IS_QUOTE = 16, IS_SEPARATOR = 32,
       IS_DECIMAL = 64, IS_ENDER = 128 };

/* Sets the first word of a line is looked up in (the first words of the
 * section headings and comment meta words of features.py), besides being
 * all decimal digits. */
#define N_FIRST_WORD_SETS 3

typedef struct {
    PyObject *quotes, *separators, *enders, *closers;
    unsigned char latin1[256];  /* the classes of the first 256 code points */
    word_set_t function_words;
    word_set_t first_word_sets[N_FIRST_WORD_SETS];
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
                           | (Py_UNICODE_ISDECIMAL(ch) ? IS_DECIMAL : 0)
                           | (holds(c->enders, ch) ? IS_ENDER : 0));
}

/* Whether a match of features.py's _SENTENCE_BREAK starts at the sentence
 * ender at i: the ender, any closers, whitespace (\s: Py_UNICODE_ISSPACE)
 * and one of A-Z " \u201c \u2018 (. Closers, whitespace and those are
 * never enders, so matches never hold another ender and finditer's
 * matches are the enders where one starts. */
static int sentence_break_at(int kind, const void *data, Py_ssize_t length, Py_ssize_t i,
                             const classes_t *c)
{
    Py_ssize_t j = i + 1;
    while (j < length && holds(c->closers, PyUnicode_READ(kind, data, j)))
        j++;
    Py_ssize_t spaces = j;
    while (j < length && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, j)))
        j++;
    if (j == spaces || j == length)
        return 0;
    Py_UCS4 next = PyUnicode_READ(kind, data, j);
    return (next >= 'A' && next <= 'Z') || next == '"' || next == 0x201c || next == 0x2018
           || next == '(';
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

/* Whether the text, without its trailing whitespace and at most one ":"
 * before it (and the whitespace before that), ends with "says", "said",
 * "wrote" or "writes", each letter read as a case-insensitive pattern reads
 * it (any_case_fold): features.py's _may_end_with_says. */
static int ends_with_says(int kind, const void *data, Py_ssize_t length)
{
    static const char *const words[] = {"says", "said", "wrote", "writes"};
    Py_ssize_t end = length;
    while (end > 0 && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, end - 1)))
        end--;
    if (end > 0 && PyUnicode_READ(kind, data, end - 1) == ':') {
        end--;
        while (end > 0 && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, end - 1)))
            end--;
    }
    for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
        Py_ssize_t n = (Py_ssize_t)strlen(words[w]), i = 0;
        while (i < n && n <= end
               && any_case_fold(PyUnicode_READ(kind, data, end - n + i)) == words[w][i])
            i++;
        if (i == n && n <= end)
            return 1;
    }
    return 0;
}

static void line_statistics_of(PyObject *text, const classes_t *c, int64_t *row)
{
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    int previous_is_word = 0, previous_is_decimal = 0, mark_after_digit = 0;
    int letter_2_back = -1, letter_1_back = -1;  /* as month_letter gives them */
    int word_start_2_back = 0, word_start_1_back = 0;  /* a word started there */
    /* The current word's lower case while it can be a function word
     * (word_length -1 once it cannot: too long, or not lower-cased to ASCII). */
    char word_lower[SET_WORD_LENGTH];
    Py_ssize_t word_length = 0;
    /* The first word, folded as any_case_fold does (first_length -1 once
     * it cannot be in a set), and whether it is all decimal digits. */
    char first_fold[SET_WORD_LENGTH];
    Py_ssize_t first_length = 0;
    int in_first_word = 0, first_all_decimal = 1;
    memset(row, 0, N_STATISTICS * sizeof(int64_t));
    row[CHARS] = length;
    for (Py_ssize_t i = 0; i <= length; i++) {
        /* A step past the end (no character, no classes) ends the last word. */
        Py_UCS4 ch = i < length ? PyUnicode_READ(kind, data, i) : 0;
        unsigned char classes = i < length ? classes_of(c, ch) : 0;
        int word = (classes & IS_WORD) != 0, upper = (classes & IS_UPPER) != 0;
        if (!word && previous_is_word && word_length > 0
            && word_set_holds(&c->function_words, word_lower, (size_t)word_length))
            row[FUNCTION_WORDS]++;
        if (in_first_word && !word) {  /* the first word ends here */
            in_first_word = 0;
            row[FIRST_WORD_MARKS] = first_all_decimal;
            for (int set = 0; set < N_FIRST_WORD_SETS && first_length > 0; set++)
                if (word_set_holds(&c->first_word_sets[set], first_fold, (size_t)first_length))
                    row[FIRST_WORD_MARKS] |= 2 << set;
        }
        if (i == length)
            break;
        row[LETTERS] += (classes & IS_ALPHA) != 0;
        row[UPPERS] += upper;
        row[DIGITS] += (classes & IS_DIGIT) != 0;
        row[WORD_CHARS] += word;
        row[QUOTES] += (classes & IS_QUOTE) != 0;
        if (classes & IS_SEPARATOR) {
            row[SEPARATORS]++;
            /* (Every character _SEPARATOR needs is a separator mark.) */
            if (!row[SEPARATED])
                row[SEPARATED] = separator_at(kind, data, length, i);
        }
        int word_start = word && !previous_is_word;
        if (word_start) {
            row[WORDS]++;
            row[CAPITALISED] += upper;
            word_length = 0;
            in_first_word = row[WORDS] == 1;
        }
        if (in_first_word) {
            char folded = any_case_fold(ch);
            first_all_decimal &= (classes & IS_DECIMAL) != 0;
            if (first_length >= 0 && first_length < SET_WORD_LENGTH && folded)
                first_fold[first_length++] = folded;
            else
                first_length = -1;
        }
        if (word && word_length >= 0) {
            Py_UCS4 lower = ch == 0x212a ? 'k' : (ch >= 'A' && ch <= 'Z') ? ch + ('a' - 'A') : ch;
            if (word_length < SET_WORD_LENGTH && lower < 128)
                word_lower[word_length++] = (char)lower;
            else
                word_length = -1;
        }
        previous_is_word = word;
        if (classes & IS_ENDER)
            row[SENTENCE_BREAKS] += sentence_break_at(kind, data, length, i, c);
        row[SPACES] += ch == ' ';
        row[COMMAS] += ch == ',';
        if (ch == ':' && i < NEAR_START)
            row[COLON_NEAR_START] = 1;
        int decimal = (classes & IS_DECIMAL) != 0;
        if (mark_after_digit && decimal)
            row[DIGIT_MARK_DIGIT] = 1;
        mark_after_digit = previous_is_decimal && (ch == '-' || ch == '/' || ch == ':');
        previous_is_decimal = decimal;
        /* A date starts a word: by numbers at its first digit, by a month
         * name at its third letter (the name's start was a word start). */
        if (word_start && decimal && !row[DATE])
            row[DATE] = date_by_numbers_at(kind, data, length, i);
        int letter = month_letter(ch);
        if (letter >= 0 && letter_2_back >= 0 && word_start_2_back && !row[DATE]
            && is_month[letter_2_back][letter_1_back][letter])
            row[DATE] = date_by_month_at(kind, data, length, i - 2);
        letter_2_back = letter >= 0 ? letter_1_back : -1;
        letter_1_back = letter;
        word_start_2_back = word_start_1_back;
        word_start_1_back = word_start;
    }
    if (length == 0)
        return;
    Py_UCS4 last = PyUnicode_READ(kind, data, length - 1);
    row[LAST_IS_COLON] = last == ':';
    row[LAST_IS_PAREN] = last == ')';
    row[BULLET] = bullet_at_start(kind, data, length);
    /* text.rstrip(closers)[-1:] in enders */
    Py_ssize_t end = length;
    while (end > 0 && holds(c->closers, PyUnicode_READ(kind, data, end - 1)))
        end--;
    row[ENDS_SENTENCE] = end > 0 && holds(c->enders, PyUnicode_READ(kind, data, end - 1));
    row[ENDS_WITH_SAYS] = ends_with_says(kind, data, length);
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

PyDoc_STRVAR(line_statistics_doc,
"line_statistics(texts, quote_chars, separator_chars, sentence_enders,\n"
"                sentence_closers, function_words, first_word_sets)\n"
"-> bytearray\n\n"
"Per text, int64 statistics in this order: characters, letters, upper-case\n"
"characters, digits, word characters, quote characters, separator\n"
"characters, words, words starting with an upper-case character, spaces,\n"
"commas, ends a sentence (the text without trailing closers ends with an\n"
"ender), ends with ':', ends with ')', starts with a bullet (what\n"
"features.py's _BULLET matches), has a ':' in\n"
"its first 22 characters, has a decimal digit, then '-', '/' or ':', then\n"
"a decimal digit, has a date as features.py's _DATE finds one (by a\n"
"three-letter month name in any case, or by numbers),\n"
"function words (words whose str.lower() is one of the space-separated\n"
"function_words), and marks of the first word (a run of \\w): 1 when all\n"
"its characters are decimal digits, 2 << i when, read as a case-insensitive\n"
"pattern reads it, it is one of the space-separated words of\n"
"first_word_sets[i]; sentence breaks (an ender, any closers,\n"
"whitespace, then one of A-Z \" \u201c \u2018 ( ); and whether, without\n"
"trailing whitespace and at most one ':' before it, it ends with says,\n"
"said, wrote or writes in any case; whether it holds a separator (what\n"
"features.py's _SEPARATOR finds; separator_chars must hold all of its\n"
"marks). Row after row, as one bytearray.");

static PyObject *
line_statistics(PyObject *self, PyObject *args)
{
    PyObject *texts, *function_words, *first_word_sets, *result = NULL, *sequence = NULL;
    /* On the heap, one per call (the word sets are 16 KB each). */
    classes_t *classes = PyMem_Calloc(1, sizeof(classes_t));
    if (classes == NULL)
        return PyErr_NoMemory();
    if (!PyArg_ParseTuple(args, "OUUUUUO!", &texts, &classes->quotes, &classes->separators,
                          &classes->enders, &classes->closers, &function_words, &PyTuple_Type,
                          &first_word_sets))
        goto done;
    if (PyTuple_GET_SIZE(first_word_sets) != N_FIRST_WORD_SETS) {
        PyErr_Format(PyExc_ValueError, "first_word_sets must be %d str", N_FIRST_WORD_SETS);
        goto done;
    }
    if (word_set_init(&classes->function_words, function_words) < 0)
        goto done;
    for (int set = 0; set < N_FIRST_WORD_SETS; set++) {
        PyObject *words = PyTuple_GET_ITEM(first_word_sets, set);
        if (!PyUnicode_Check(words)) {
            PyErr_SetString(PyExc_TypeError, "first_word_sets must be str");
            goto done;
        }
        if (word_set_init(&classes->first_word_sets[set], words) < 0)
            goto done;
    }
    classes_init(classes);
    sequence = PySequence_Fast(texts, "texts must be a sequence of str");
    if (sequence == NULL)
        goto done;
    Py_ssize_t n_texts = PySequence_Fast_GET_SIZE(sequence);
    result = PyByteArray_FromStringAndSize(
        NULL, n_texts * N_STATISTICS * (Py_ssize_t)sizeof(int64_t));
    if (result == NULL)
        goto done;
    int64_t *rows = (int64_t *)PyByteArray_AS_STRING(result);
    for (Py_ssize_t t = 0; t < n_texts; t++) {
        PyObject *text = text_at(sequence, t);
        if (text == NULL) {
            Py_CLEAR(result);
            goto done;
        }
        line_statistics_of(text, classes, rows + t * N_STATISTICS);
    }
done:
    Py_XDECREF(sequence);
    PyMem_Free(classes);
    return result;
}

/* -- Neighbours' values, page runs and head overlaps: the compiled parts of
 * classifier/lines/table.py's neighbour_window, layout.py's densest_run and
 * head_overlaps. */

/* Page bounds as features.page_bounds gives them for n rows: 0 first, n
 * last, never decreasing. -1 with a ValueError naming the caller if not. */
static int
check_page_bounds(const char *caller, const int64_t *bound, Py_ssize_t n_bounds, Py_ssize_t n)
{
    if (n_bounds < 1 || bound[0] != 0 || bound[n_bounds - 1] != n) {
        PyErr_Format(PyExc_ValueError, "%s: buffers of the wrong sizes", caller);
        return -1;
    }
    for (Py_ssize_t b = 1; b < n_bounds; b++) {
        if (bound[b] < bound[b - 1]) {
            PyErr_Format(PyExc_ValueError, "%s: bounds must not decrease", caller);
            return -1;
        }
    }
    return 0;
}

PyDoc_STRVAR(neighbour_window_doc,
"neighbour_window(values, n_columns, bounds, offsets, window_sizes, out, own=False)\n\n"
"features.neighbour_window for float32 values: out (float32, C order, one\n"
"row per row of values, len(offsets) * (n_columns + 1) + len(window_sizes)\n"
"* n_columns columns, after the row's own n_columns values with own) is\n"
"written whole. values: C-order float32 rows of\n"
"n_columns; bounds: int64 start of each page and the total (page_bounds);\n"
"offsets and window_sizes: tuples of int. The windows' means come from\n"
"float64 running sums over all rows, as numpy's cumsum makes them, so the\n"
"numbers are numpy's.");

static PyObject *
neighbour_window(PyObject *self, PyObject *args)
{
    Py_buffer values, bounds, out;
    Py_ssize_t k;
    PyObject *offsets, *sizes, *result = NULL;
    double *sums = NULL;
    Py_ssize_t *offset = NULL, *size = NULL;
    int own = 0;
    if (!PyArg_ParseTuple(args, "y*ny*O!O!w*|p", &values, &k, &bounds, &PyTuple_Type, &offsets,
                          &PyTuple_Type, &sizes, &out, &own))
        return NULL;
    Py_ssize_t n_offsets = PyTuple_GET_SIZE(offsets), n_sizes = PyTuple_GET_SIZE(sizes);
    Py_ssize_t n_bounds = bounds.len / (Py_ssize_t)sizeof(int64_t);
    Py_ssize_t n = k > 0 ? values.len / (Py_ssize_t)sizeof(float) / k : 0;
    Py_ssize_t width = (own ? k : 0) + n_offsets * (k + 1) + n_sizes * k;
    const int64_t *bound = (const int64_t *)bounds.buf;
    if (k < 1 || values.len != n * k * (Py_ssize_t)sizeof(float)
        || out.len != n * width * (Py_ssize_t)sizeof(float)) {
        PyErr_SetString(PyExc_ValueError, "neighbour_window: buffers of the wrong sizes");
        goto done;
    }
    if (check_page_bounds("neighbour_window", bound, n_bounds, n) < 0)
        goto done;
    offset = PyMem_New(Py_ssize_t, n_offsets + 1);
    size = PyMem_New(Py_ssize_t, n_sizes + 1);
    if (offset == NULL || size == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t o = 0; o < n_offsets; o++) {
        offset[o] = PyLong_AsSsize_t(PyTuple_GET_ITEM(offsets, o));
        if (offset[o] == -1 && PyErr_Occurred())
            goto done;
        /* No row has a neighbour further than n rows away: clamped, i +
         * offset cannot overflow. */
        offset[o] = offset[o] > n ? n + 1 : offset[o] < -n ? -n - 1 : offset[o];
    }
    for (Py_ssize_t w = 0; w < n_sizes; w++) {
        size[w] = PyLong_AsSsize_t(PyTuple_GET_ITEM(sizes, w));
        if (size[w] == -1 && PyErr_Occurred())
            goto done;
        if (size[w] < 1) {
            PyErr_SetString(PyExc_ValueError, "neighbour_window: window sizes must be >= 1");
            goto done;
        }
    }
    const float *value = (const float *)values.buf;
    float *row_out = (float *)out.buf;
    if (n_sizes > 0) {
        /* sums[r][c]: column c summed over rows 0 .. r-1, in float64. */
        sums = PyMem_New(double, (size_t)(n + 1) * (size_t)k);
        if (sums == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        for (Py_ssize_t c = 0; c < k; c++)
            sums[c] = 0.0;
        for (Py_ssize_t r = 0; r < n; r++)
            for (Py_ssize_t c = 0; c < k; c++)
                sums[(r + 1) * k + c] = sums[r * k + c] + (double)value[r * k + c];
    }
    Py_ssize_t page = 0;
    for (Py_ssize_t i = 0; i < n; i++, row_out += width) {
        while (bound[page + 1] <= i)  /* the row's page (empty pages skipped) */
            page++;
        Py_ssize_t start = bound[page], stop = bound[page + 1], column = 0;
        if (own) {
            memcpy(row_out, value + i * k, (size_t)k * sizeof(float));
            column = k;
        }
        for (Py_ssize_t o = 0; o < n_offsets; o++, column += k + 1) {
            Py_ssize_t j = i + offset[o];
            if (j >= start && j < stop) {
                memcpy(row_out + column, value + j * k, (size_t)k * sizeof(float));
                row_out[column + k] = 1.0f;
            } else {
                memset(row_out + column, 0, (size_t)(k + 1) * sizeof(float));
            }
        }
        for (Py_ssize_t w = 0; w < n_sizes; w++, column += k) {
            Py_ssize_t half = size[w] / 2;
            Py_ssize_t lo = i - half > start ? i - half : start;
            Py_ssize_t hi = i + half + 1 < stop ? i + half + 1 : stop;
            for (Py_ssize_t c = 0; c < k; c++)
                row_out[column + c] = (float)((sums[hi * k + c] - sums[lo * k + c])
                                              / (double)(hi - lo));
        }
    }
    result = Py_None;
    Py_INCREF(result);
done:
    PyMem_Free(sums);
    PyMem_Free(offset);
    PyMem_Free(size);
    PyBuffer_Release(&values);
    PyBuffer_Release(&bounds);
    PyBuffer_Release(&out);
    return result;
}

PyDoc_STRVAR(densest_run_doc,
"densest_run(weights, itemsize) -> (start, stop)\n\n"
"features.densest_run of float32 (itemsize 4) or float64 (8) weights, in\n"
"that precision as numpy scalars add them.");

#define DEFINE_DENSEST_RUN(NAME, TYPE)                                            \
static void NAME(const TYPE *weight, Py_ssize_t n, Py_ssize_t *best_start,        \
                 Py_ssize_t *best_stop)                                           \
{                                                                                 \
    TYPE best = 0, current = 0;                                                   \
    Py_ssize_t current_start = 0;                                                 \
    *best_start = *best_stop = 0;                                                 \
    for (Py_ssize_t i = 0; i < n; i++) {                                          \
        if (current <= 0) {                                                       \
            current = weight[i];                                                  \
            current_start = i;                                                    \
        } else {                                                                  \
            current += weight[i];                                                 \
        }                                                                         \
        if (current > best) {                                                     \
            best = current;                                                       \
            *best_start = current_start;                                          \
            *best_stop = i + 1;                                                   \
        }                                                                         \
    }                                                                             \
}

DEFINE_DENSEST_RUN(densest_run_float32, float)
DEFINE_DENSEST_RUN(densest_run_float64, double)

static PyObject *
densest_run(PyObject *self, PyObject *args)
{
    Py_buffer weights;
    Py_ssize_t itemsize, start = 0, stop = 0;
    if (!PyArg_ParseTuple(args, "y*n", &weights, &itemsize))
        return NULL;
    if ((itemsize != 4 && itemsize != 8) || weights.len % itemsize) {
        PyBuffer_Release(&weights);
        PyErr_SetString(PyExc_ValueError, "densest_run: float32 or float64 weights");
        return NULL;
    }
    if (itemsize == 4)
        densest_run_float32((const float *)weights.buf, weights.len / 4, &start, &stop);
    else
        densest_run_float64((const double *)weights.buf, weights.len / 8, &start, &stop);
    PyBuffer_Release(&weights);
    return Py_BuildValue("(nn)", start, stop);
}

PyDoc_STRVAR(head_overlaps_doc,
"head_overlaps(words, sizes, bounds, n_first, shares, covers)\n\n"
"features.head_overlaps: words (int64 word numbers, >= 0, line after line),\n"
"sizes (int64 count of each line's words), bounds (int64 page bounds);\n"
"shares and covers (float64, one per line, zeros) are written.");

static PyObject *
head_overlaps(PyObject *self, PyObject *args)
{
    Py_buffer words, sizes, bounds, shares, covers;
    Py_ssize_t n_first;
    PyObject *result = NULL;
    int64_t *in_head = NULL, *word_start = NULL;
    if (!PyArg_ParseTuple(args, "y*y*y*nw*w*", &words, &sizes, &bounds, &n_first, &shares,
                          &covers))
        return NULL;
    Py_ssize_t n = sizes.len / (Py_ssize_t)sizeof(int64_t);
    Py_ssize_t n_words = words.len / (Py_ssize_t)sizeof(int64_t);
    Py_ssize_t n_bounds = bounds.len / (Py_ssize_t)sizeof(int64_t);
    const int64_t *word = (const int64_t *)words.buf, *size = (const int64_t *)sizes.buf;
    const int64_t *bound = (const int64_t *)bounds.buf;
    double *share = (double *)shares.buf, *cover = (double *)covers.buf;
    if (shares.len != n * (Py_ssize_t)sizeof(double) || covers.len != shares.len) {
        PyErr_SetString(PyExc_ValueError, "head_overlaps: buffers of the wrong sizes");
        goto done;
    }
    if (check_page_bounds("head_overlaps", bound, n_bounds, n) < 0)
        goto done;
    /* word_start[i]: where line i's words begin; word_start[n] the total. */
    word_start = PyMem_New(int64_t, n + 1);
    if (word_start == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    word_start[0] = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (size[i] < 0 || size[i] > n_words - word_start[i]) {
            PyErr_SetString(PyExc_ValueError, "head_overlaps: sizes do not add up to the words");
            goto done;
        }
        word_start[i + 1] = word_start[i] + size[i];
    }
    if (word_start[n] != n_words) {
        PyErr_SetString(PyExc_ValueError, "head_overlaps: sizes do not add up to the words");
        goto done;
    }
    int64_t n_distinct = 0;
    for (Py_ssize_t w = 0; w < n_words; w++) {
        if (word[w] < 0) {
            PyErr_SetString(PyExc_ValueError, "head_overlaps: word numbers must be >= 0");
            goto done;
        }
        if (word[w] >= n_distinct)
            n_distinct = word[w] + 1;
    }
    /* in_head[w] == mark: word w is in the head being compared (a new mark
     * per head, so it is never cleared). */
    in_head = PyMem_Calloc((size_t)n_distinct + 1, sizeof(int64_t));
    if (in_head == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    int64_t mark = 0;
    for (Py_ssize_t page = 0; page + 1 < n_bounds; page++) {
        Py_ssize_t start = bound[page], stop = bound[page + 1];
        Py_ssize_t last_head = n_first < stop - start ? start + n_first : stop;
        for (Py_ssize_t head = start; head < last_head; head++) {
            if (size[head] == 0)
                continue;
            mark++;
            for (int64_t w = word_start[head]; w < word_start[head + 1]; w++)
                in_head[word[w]] = mark;
            for (Py_ssize_t i = start; i < stop; i++) {
                if (size[i] == 0 || i == head)
                    continue;
                int64_t common = 0;
                for (int64_t w = word_start[i]; w < word_start[i + 1]; w++)
                    common += in_head[word[w]] == mark;
                /* As numpy divides int64 by int64, and np.maximum. */
                double line_share = (double)common / (double)size[i];
                double head_share = (double)common / (double)size[head];
                if (line_share > share[i])
                    share[i] = line_share;
                if (head_share > cover[i])
                    cover[i] = head_share;
            }
        }
    }
    result = Py_None;
    Py_INCREF(result);
done:
    PyMem_Free(in_head);
    PyMem_Free(word_start);
    PyBuffer_Release(&words);
    PyBuffer_Release(&sizes);
    PyBuffer_Release(&bounds);
    PyBuffer_Release(&shares);
    PyBuffer_Release(&covers);
    return result;
}

/* -- Substrings of lines, lower-cased or not: the compiled part of
 * features.py's needles_found. */

/* Needles one call looks for: a bit each in a text's result. */
#define MAX_NEEDLES 32
/* What a character that no needle holds becomes in the stream searched. */
#define NO_NEEDLE_CHAR 0x100

/* Lower case as needles_found reads it, made by the module's init from
 * Py_UNICODE_TOLOWER: of U+0000-U+00FF (their lower case is one character
 * below U+0100 too), and the few characters above whose lower case is
 * below U+0100 (U+0178, U+1E9E, U+212A, U+212B in Unicode 14; U+0130 is
 * handled apart). A lookup per character: the database lookup behind the
 * macro was most of the pass. */
static uint16_t latin1_lower[256];
#define MAX_WIDE_TO_LATIN1 16
static Py_UCS4 wide_to_latin1[MAX_WIDE_TO_LATIN1][2];
static int n_wide_to_latin1, wide_to_latin1_overflow;

static void lower_tables_init(void)
{
    for (Py_UCS4 ch = 0; ch < 256; ch++) {
        Py_UCS4 lower = Py_UNICODE_TOLOWER(ch);
        latin1_lower[ch] = (uint16_t)(lower < NO_NEEDLE_CHAR ? lower : NO_NEEDLE_CHAR);
    }
    for (Py_UCS4 ch = 256; ch <= 0x10ffff; ch++) {
        Py_UCS4 lower = ch == 0x130 ? ch : Py_UNICODE_TOLOWER(ch);
        if (lower >= 256)
            continue;
        if (n_wide_to_latin1 == MAX_WIDE_TO_LATIN1) {  /* (a future Unicode) */
            wide_to_latin1_overflow = 1;
            break;
        }
        wide_to_latin1[n_wide_to_latin1][0] = ch;
        wide_to_latin1[n_wide_to_latin1++][1] = lower;
    }
}

/* The lower case of ch (not U+0130) in a needle search: the character if it
 * is below U+0100, NO_NEEDLE_CHAR if not. */
static inline uint16_t needle_lower(Py_UCS4 ch)
{
    if (ch < 256)
        return latin1_lower[ch];
    if (wide_to_latin1_overflow) {
        Py_UCS4 lower = Py_UNICODE_TOLOWER(ch);
        return (uint16_t)(lower < NO_NEEDLE_CHAR ? lower : NO_NEEDLE_CHAR);
    }
    for (int i = 0; i < n_wide_to_latin1; i++)
        if (wide_to_latin1[i][0] == ch)
            return (uint16_t)wide_to_latin1[i][1];
    return NO_NEEDLE_CHAR;
}

PyDoc_STRVAR(needles_found_doc,
"needles_found(texts, needles, lower) -> bytearray\n\n"
"Per text, a uint32 with bit k set when needles[k] occurs in the text, or,\n"
"with lower, in text.lower(). Needles: at most 32 non-empty str of 1 to 64\n"
"characters below U+0100. str.lower() is Py_UNICODE_TOLOWER character by\n"
"character but for U+0130, which becomes \"i\" and U+0307: no other\n"
"character's full lower case is more than one character, and a final\n"
"sigma (the one mapping that looks at neighbours) is no needle's character\n"
"either way.");

static PyObject *
needles_found(PyObject *self, PyObject *args)
{
    PyObject *texts, *needles, *sequence = NULL, *result = NULL;
    int lower;
    uint16_t *stream = NULL;
    Py_ssize_t stream_size = 0;
    /* Needle k's characters, and the needles that start with each character. */
    uint16_t needle_chars[MAX_NEEDLES][64];
    Py_ssize_t needle_length[MAX_NEEDLES];
    uint32_t starting_with[NO_NEEDLE_CHAR] = {0};
    /* One-character needles by their character; for the others, a bit per
     * pair of characters that starts one (most characters that start a
     * needle, "a", "c", "t", ..., are not followed by its second). */
    uint32_t whole[NO_NEEDLE_CHAR] = {0};
    unsigned char opening_pairs[NO_NEEDLE_CHAR * NO_NEEDLE_CHAR / 8] = {0};

    if (!PyArg_ParseTuple(args, "OO!p", &texts, &PyTuple_Type, &needles, &lower))
        return NULL;
    Py_ssize_t n_needles = PyTuple_GET_SIZE(needles);
    if (n_needles > MAX_NEEDLES) {
        PyErr_Format(PyExc_ValueError, "at most %d needles", MAX_NEEDLES);
        return NULL;
    }
    for (Py_ssize_t k = 0; k < n_needles; k++) {
        PyObject *needle = PyTuple_GET_ITEM(needles, k);
        if (!PyUnicode_Check(needle) || PyUnicode_GET_LENGTH(needle) == 0
            || PyUnicode_GET_LENGTH(needle) > 64 || PyUnicode_MAX_CHAR_VALUE(needle) > 0xff) {
            PyErr_SetString(PyExc_ValueError, "needles must be str of 1 to 64 characters "
                                              "below U+0100");
            return NULL;
        }
        needle_length[k] = PyUnicode_GET_LENGTH(needle);
        for (Py_ssize_t i = 0; i < needle_length[k]; i++)
            needle_chars[k][i] = (uint16_t)PyUnicode_READ_CHAR(needle, i);
        if (needle_length[k] == 1) {
            whole[needle_chars[k][0]] |= (uint32_t)1 << k;
        }
        else {
            unsigned pair = (unsigned)needle_chars[k][0] << 8 | needle_chars[k][1];
            starting_with[needle_chars[k][0]] |= (uint32_t)1 << k;
            opening_pairs[pair >> 3] |= (unsigned char)(1 << (pair & 7));
        }
    }
    sequence = PySequence_Fast(texts, "texts must be a sequence of str");
    if (sequence == NULL)
        return NULL;
    Py_ssize_t n_texts = PySequence_Fast_GET_SIZE(sequence);
    result = PyByteArray_FromStringAndSize(NULL, n_texts * (Py_ssize_t)sizeof(uint32_t));
    if (result == NULL)
        goto done;
    uint32_t *found = (uint32_t *)PyByteArray_AS_STRING(result);
    for (Py_ssize_t t = 0; t < n_texts; t++) {
        PyObject *text = text_at(sequence, t);
        if (text == NULL) {
            Py_CLEAR(result);
            goto done;
        }
        int kind = PyUnicode_KIND(text);
        const void *data = PyUnicode_DATA(text);
        Py_ssize_t length = PyUnicode_GET_LENGTH(text);
        /* (U+0130 lower-cases to two characters; one more for the end.) */
        if (2 * length + 1 > stream_size) {
            uint16_t *grown = PyMem_Realloc(stream, (size_t)(2 * length + 1) * sizeof(uint16_t));
            if (grown == NULL) {
                PyErr_NoMemory();
                Py_CLEAR(result);
                goto done;
            }
            stream = grown;
            stream_size = 2 * length + 1;
        }
        /* The text (lower-cased) with every character no needle can hold
         * (U+0100 and up) as NO_NEEDLE_CHAR. */
        Py_ssize_t m = 0;
        if (kind == PyUnicode_1BYTE_KIND) {  /* most lines: a table lookup each */
            const Py_UCS1 *chars = (const Py_UCS1 *)data;
            for (Py_ssize_t i = 0; i < length; i++)
                stream[m++] = lower ? latin1_lower[chars[i]] : chars[i];
        }
        else {
            for (Py_ssize_t i = 0; i < length; i++) {
                Py_UCS4 ch = PyUnicode_READ(kind, data, i);
                if (!lower)
                    stream[m++] = (uint16_t)(ch < NO_NEEDLE_CHAR ? ch : NO_NEEDLE_CHAR);
                else if (ch == 0x130) {  /* "i" and U+0307 */
                    stream[m++] = 'i';
                    stream[m++] = NO_NEEDLE_CHAR;
                }
                else
                    stream[m++] = needle_lower(ch);
            }
        }
        stream[m] = NO_NEEDLE_CHAR;  /* the end: no pair starts at the last character */
        uint32_t marks = 0;
        for (Py_ssize_t i = 0; i < m; i++) {
            unsigned ch = stream[i], next = stream[i + 1];
            if (ch == NO_NEEDLE_CHAR)
                continue;
            marks |= whole[ch];
            unsigned pair = ch << 8 | next;
            if (next == NO_NEEDLE_CHAR || !(opening_pairs[pair >> 3] >> (pair & 7) & 1))
                continue;
            uint32_t candidates = starting_with[ch] & ~marks;
            for (Py_ssize_t k = 0; candidates; k++) {
                if (!(candidates >> k & 1))
                    continue;
                candidates &= ~((uint32_t)1 << k);
                Py_ssize_t j = 1;
                while (j < needle_length[k] && i + j < m && stream[i + j] == needle_chars[k][j])
                    j++;
                if (j == needle_length[k])
                    marks |= (uint32_t)1 << k;
            }
        }
        found[t] = marks;
    }
done:
    Py_XDECREF(sequence);
    PyMem_Free(stream);
    return result;
}

PyDoc_STRVAR(page_repeats_doc,
"page_repeats(texts, bounds, out)\n\n"
"features.page_repeats: for each str of texts, how many texts of its page\n"
"(bounds: int64 page starts and the total, as page_bounds gives them) are\n"
"equal to it, itself included, written to out (float32, one per text).\n"
"Equal as a Counter finds them: by the strings' hashes, then equality.");

static PyObject *
page_repeats(PyObject *self, PyObject *args)
{
    PyObject *texts, *sequence = NULL, *result = NULL;
    Py_buffer bounds, out;
    Py_ssize_t *slots = NULL, *first = NULL, *counts = NULL;
    Py_hash_t *hashes = NULL;
    if (!PyArg_ParseTuple(args, "Oy*w*", &texts, &bounds, &out))
        return NULL;
    sequence = PySequence_Fast(texts, "texts must be a sequence of str");
    if (sequence == NULL)
        goto done;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(sequence);
    Py_ssize_t n_bounds = bounds.len / (Py_ssize_t)sizeof(int64_t);
    const int64_t *bound = (const int64_t *)bounds.buf;
    if (out.len != n * (Py_ssize_t)sizeof(float)) {
        PyErr_SetString(PyExc_ValueError, "page_repeats: buffers of the wrong sizes");
        goto done;
    }
    if (check_page_bounds("page_repeats", bound, n_bounds, n) < 0)
        goto done;
    /* An open-addressing table per page (slots: -1 or the number of the
     * first text of a kind), sized for the longest page. */
    Py_ssize_t longest = 0;
    for (Py_ssize_t b = 1; b < n_bounds; b++)
        longest = bound[b] - bound[b - 1] > longest ? bound[b] - bound[b - 1] : longest;
    Py_ssize_t table = 8;
    while (table < 2 * longest)
        table *= 2;
    slots = PyMem_New(Py_ssize_t, table);
    first = PyMem_New(Py_ssize_t, n + 1);
    counts = PyMem_New(Py_ssize_t, n + 1);
    hashes = PyMem_New(Py_hash_t, n + 1);
    if (slots == NULL || first == NULL || counts == NULL || hashes == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    float *repeats = (float *)out.buf;
    for (Py_ssize_t b = 1; b < n_bounds; b++) {
        Py_ssize_t start = bound[b - 1], stop = bound[b];
        if (start == stop)
            continue;
        Py_ssize_t size = 8;
        while (size < 2 * (stop - start))
            size *= 2;
        for (Py_ssize_t slot = 0; slot < size; slot++)
            slots[slot] = -1;
        for (Py_ssize_t i = start; i < stop; i++) {
            PyObject *text = text_at(sequence, i);
            if (text == NULL)
                goto done;
            Py_hash_t hash = PyObject_Hash(text);
            if (hash == -1)
                goto done;
            hashes[i] = hash;
            size_t slot = (size_t)hash & (size_t)(size - 1);
            first[i] = i;
            while (slots[slot] >= 0) {
                Py_ssize_t j = slots[slot];
                if (hashes[j] == hash) {
                    int equal = PyUnicode_Compare(PySequence_Fast_GET_ITEM(sequence, j), text);
                    if (equal == -1 && PyErr_Occurred())
                        goto done;
                    if (equal == 0) {
                        first[i] = j;
                        break;
                    }
                }
                slot = (slot + 1) & (size_t)(size - 1);
            }
            if (first[i] == i) {
                slots[slot] = i;
                counts[i] = 1;
            } else {
                counts[first[i]]++;
            }
        }
        for (Py_ssize_t i = start; i < stop; i++)
            repeats[i] = (float)counts[first[i]];
    }
    result = Py_NewRef(Py_None);
done:
    Py_XDECREF(sequence);
    PyMem_Free(slots);
    PyMem_Free(first);
    PyMem_Free(counts);
    PyMem_Free(hashes);
    PyBuffer_Release(&bounds);
    PyBuffer_Release(&out);
    return result;
}

/* -- The line model's first stage: its layout block scaled and clipped. */

PyDoc_STRVAR(scaled_clipped_doc,
"scaled_clipped(values, means, scales, low, high, out) -> bool\n\n"
"out[i, j] = clip((values[i, j] - means[j]) / scales[j], low, high) as\n"
"float64, for C-order float32 rows values and float32 means and scales (one\n"
"per column): each step in float32, as numpy's in-place subtraction,\n"
"division and clip of a float32 array take them (NaN kept), then widened.\n"
"One pass instead of numpy's five (copy, subtract, divide, clip, astype).\n"
"False, out left part written, when a value is infinite (a StandardScaler\n"
"refuses those: the caller lets it say so).");

static PyObject *
scaled_clipped(PyObject *self, PyObject *args)
{
    Py_buffer values, means, scales, out;
    float low, high;
    if (!PyArg_ParseTuple(args, "y*y*y*ffw*", &values, &means, &scales, &low, &high, &out))
        return NULL;
    PyObject *result = NULL;
    Py_ssize_t k = means.len / (Py_ssize_t)sizeof(float);
    Py_ssize_t n = k > 0 ? values.len / (Py_ssize_t)sizeof(float) / k : 0;
    if (k < 1 || scales.len != means.len || values.len != n * k * (Py_ssize_t)sizeof(float)
        || out.len != n * k * (Py_ssize_t)sizeof(double)) {
        PyErr_SetString(PyExc_ValueError, "scaled_clipped: buffers of the wrong sizes");
        goto done;
    }
    const float *value = (const float *)values.buf, *mean = (const float *)means.buf,
                *scale = (const float *)scales.buf;
    double *row_out = (double *)out.buf;
    int infinite = 0;
    /* Written so that the compiler can take several columns at a time
     * (no branch, no early exit): ~4x faster. */
    for (Py_ssize_t i = 0; i < n; i++, value += k, row_out += k) {
        for (Py_ssize_t j = 0; j < k; j++) {
            float x = value[j];
            infinite |= (x == INFINITY) | (x == -INFINITY);
            /* (Two float32 roundings, as numpy's -= then /=; a NaN fails
             * both comparisons and stays, as np.clip keeps it.) */
            float scaled = (x - mean[j]) / scale[j];
            scaled = scaled < low ? low : scaled;
            scaled = scaled > high ? high : scaled;
            row_out[j] = (double)scaled;
        }
    }
    result = PyBool_FromLong(!infinite);
done:
    PyBuffer_Release(&values);
    PyBuffer_Release(&means);
    PyBuffer_Release(&scales);
    PyBuffer_Release(&out);
    return result;
}

static PyMethodDef methods[] = {
    {"line_statistics", line_statistics, METH_VARARGS, line_statistics_doc},
    {"neighbour_window", neighbour_window, METH_VARARGS, neighbour_window_doc},
    {"densest_run", densest_run, METH_VARARGS, densest_run_doc},
    {"head_overlaps", head_overlaps, METH_VARARGS, head_overlaps_doc},
    {"needles_found", needles_found, METH_VARARGS, needles_found_doc},
    {"scaled_clipped", scaled_clipped, METH_VARARGS, scaled_clipped_doc},
    {"page_repeats", page_repeats, METH_VARARGS, page_repeats_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_lines",
    "Compiled character statistics of lines (see classifier/lines/statistics.py).", -1, methods,
};

PyMODINIT_FUNC
PyInit__lines(void)
{
    for (size_t m = 0; m < sizeof(MONTHS) / sizeof(MONTHS[0]); m++)
        is_month[MONTHS[m][0] - 'a'][MONTHS[m][1] - 'a'][MONTHS[m][2] - 'a'] = 1;
    lower_tables_init();
    return PyModule_Create(&module);
}
