/* The walk of classifier/lines/html.py's html_to_blocks over a parsed page, in C.
 *
 * Why: the conversion of a shared page took ~2.5 ms in that walk, a Python
 * step per element event (iterwalk), its .text and .tail and class/id
 * lookups, against ~1.7 ms for libxml2's parse itself. This reads the tree
 * lxml parsed (libxml2's nodes under lxml's element objects) directly and
 * returns the same blocks. classifier/lines/html.py keeps the Python walk: it is
 * the definition, the fallback without this module, and what runs when a
 * page holds anything this walk does not reproduce, for which it raises
 * Unsupported: a node other than an element or text (a comment, an entity
 * reference, CDATA...), a namespaced element, or an attribute value that is
 * not one plain text node. The tests compare both walks on every page given
 * to them, and the package's scores come out the same.
 *
 * What it reproduces (html.py's _BlockBuilder and walk loop):
 * - elements are visited in document order with lxml's .text (the text
 *   nodes before an element's first child node) and .tail (the text nodes
 *   after it); tags lower-cased as str.lower does; a dropped tag's subtree
 *   is skipped but its tail is read;
 * - class and id words: the values lower-cased, then the runs of [a-z0-9]
 *   (the only characters whose str.lower gives [a-z0-9] are those, A-Z,
 *   U+0130 and U+212A; tests/test_html.py checks every code point);
 * - the block builder: whitespace-only text opening a block is not kept,
 *   whitespace is collapsed as " ".join(text.split()) (Python's own split),
 *   link characters counted as the length of the collapsed link text,
 *   <pre> text split at "\n", "- " before list items, a closing owner
 *   "/tag" reported as its enclosing element's tag.
 *
 * The element object's layout is lxml's public struct LxmlElement (object
 * header, document, libxml2 node, tag); the node layout is libxml2's, from
 * the headers lxml installs for the libxml2 it was built with, whose
 * version html.py compares with lxml's before using this module.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>
#include <libxml/tree.h>
#include <libxml/xmlversion.h>

typedef struct {
    PyObject_HEAD
    void *document;
    xmlNode *node;
    PyObject *tag;
} lxml_element;

static PyObject *Unsupported;
static PyObject *TooManyBlocks;

/* What the walk needs to know of a tag, once per distinct element name. */
typedef struct {
    const xmlChar *name; /* libxml2's name pointer (interned per document) */
    PyObject *tag;       /* lower-cased, new reference */
    int dropped, block, is_a, is_pre, is_br, is_li;
} tag_info;

#define TAG_SLOTS 512 /* a power of two; pages use a few dozen names */

/* A context of the walk (html.py's contexts): for an element's children. */
typedef struct {
    tag_info *tag;       /* NULL for the base context and dropped elements */
    PyObject *ancestors; /* tuple of tags down to this element; built lazily */
    PyObject *words;     /* class/id words, new reference */
    int in_link, in_pre, dropped;
    Py_ssize_t depth;
} frame;

typedef struct {
    PyObject *block_tags, *dropped_tags;
    tag_info tags[TAG_SLOTS];
    frame *frames;
    Py_ssize_t n_frames, frames_size;
    /* the block being collected: its text parts, concatenated (UTF-8) */
    char *parts;
    Py_ssize_t parts_len, parts_size;
    Py_ssize_t link_chars;
    /* its owner */
    PyObject *owner_tag, *owner_ancestors, *owner_words;
    Py_ssize_t owner_depth;
    int owner_closing, owner_li;
    PyObject *rows, *body, *dash;
    Py_ssize_t max_rows; /* refuse the page past this many rows; -1: no limit */
    char *scratch;
    Py_ssize_t scratch_size;
} walker;

static int
unsupported(const char *what)
{
    PyErr_SetString(Unsupported, what);
    return -1;
}

/* ---- UTF-8 and Python's whitespace ------------------------------------ */

/* The code point at s (valid UTF-8 from libxml2; anything else is refused)
 * and its length in bytes. */
static int
next_code_point(const unsigned char *s, Py_ssize_t left, Py_UCS4 *point)
{
    unsigned char c = s[0];
    if (c < 0x80) {
        *point = c;
        return 1;
    }
    int size = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    if (size == 0 || size > left)
        return -1;
    Py_UCS4 value = c & (0x7F >> size);
    for (int i = 1; i < size; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return -1;
        value = (value << 6) | (s[i] & 0x3F);
    }
    *point = value;
    return size;
}

/* The characters of the UTF-8 text that are not whitespace (as str.split
 * and str.isspace see it) and their runs (the words of text.split()); with
 * first_only, stops at the first such character. -1 if not UTF-8. */
static int
count_words(const char *text, Py_ssize_t size, int first_only, Py_ssize_t *characters,
            Py_ssize_t *words)
{
    const unsigned char *s = (const unsigned char *)text;
    Py_ssize_t i = 0;
    int in_word = 0;
    *characters = *words = 0;
    while (i < size) {
        Py_UCS4 point;
        int step = next_code_point(s + i, size - i, &point);
        if (step < 0)
            return unsupported("text that is not UTF-8");
        if (Py_UNICODE_ISSPACE(point)) {
            in_word = 0;
        } else {
            ++*characters;
            *words += !in_word;
            in_word = 1;
            if (first_only)
                return 0;
        }
        i += step;
    }
    return 0;
}

/* text.isspace(): 1, 0, or -1 if not UTF-8. */
static int
all_space(const char *text, Py_ssize_t size)
{
    Py_ssize_t characters, words;
    if (count_words(text, size, 1, &characters, &words) < 0)
        return -1;
    return size > 0 && characters == 0;
}

/* len(" ".join(text.split())), or -1 if not UTF-8. */
static Py_ssize_t
collapsed_length(const char *text, Py_ssize_t size)
{
    Py_ssize_t characters, words;
    if (count_words(text, size, 0, &characters, &words) < 0)
        return -1;
    return characters + (words > 0 ? words - 1 : 0);
}

/* " ".join(text.split()) of the UTF-8 text, as str: whitespace runs (as
 * str.split sees whitespace) collapsed to one space in the UTF-8 bytes and
 * the ends stripped, then one decode. (Decoding, splitting into a str per
 * word and joining them made ~8 % of the conversion's time.) */
static PyObject *
collapsed(const char *text, Py_ssize_t size)
{
    char *out = PyMem_Malloc(size > 0 ? (size_t)size : 1);
    if (out == NULL)
        return PyErr_NoMemory();
    const unsigned char *s = (const unsigned char *)text;
    Py_ssize_t used = 0, i = 0;
    int space_pending = 0;
    while (i < size) {
        Py_UCS4 point;
        int step = next_code_point(s + i, size - i, &point);
        if (step < 0) {
            PyMem_Free(out);
            /* Not UTF-8: the strict decode says so, as it did here before. */
            return PyUnicode_DecodeUTF8(text, size, "strict");
        }
        if (Py_UNICODE_ISSPACE(point)) {
            space_pending = used > 0;
        } else {
            if (space_pending)
                out[used++] = ' ';
            space_pending = 0;
            memcpy(out + used, s + i, (size_t)step);
            used += step;
        }
        i += step;
    }
    PyObject *result = PyUnicode_DecodeUTF8(out, used, "strict");
    PyMem_Free(out);
    return result;
}

/* ---- tags and attributes ---------------------------------------------- */

static tag_info *
tag_of(walker *w, xmlNode *node)
{
    if (node->ns != NULL) {
        unsupported("a namespaced element");
        return NULL;
    }
    const xmlChar *name = node->name ? node->name : (const xmlChar *)"";
    size_t slot = ((uintptr_t)name >> 4) & (TAG_SLOTS - 1);
    for (size_t probe = 0; probe < TAG_SLOTS; probe++) {
        tag_info *info = &w->tags[(slot + probe) & (TAG_SLOTS - 1)];
        if (info->name == name)
            return info;
        if (info->name != NULL)
            continue;
        /* First sight of this name: its lower-cased tag and what it is. */
        PyObject *tag;
        size_t length = strlen((const char *)name);
        int ascii = 1;
        for (size_t i = 0; i < length; i++)
            ascii &= name[i] < 0x80;
        if (ascii) {
            tag = PyUnicode_New((Py_ssize_t)length, 127);
            if (tag == NULL)
                return NULL;
            Py_UCS1 *out = PyUnicode_1BYTE_DATA(tag);
            for (size_t i = 0; i < length; i++)
                out[i] = (name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i];
        } else {
            PyObject *raw = PyUnicode_DecodeUTF8((const char *)name, (Py_ssize_t)length,
                                                 "strict");
            if (raw == NULL)
                return NULL;
            tag = PyObject_CallMethod(raw, "lower", NULL);
            Py_DECREF(raw);
            if (tag == NULL)
                return NULL;
        }
        int dropped = PyUnicode_GET_LENGTH(tag) == 0 ? 1 : PySet_Contains(w->dropped_tags, tag);
        int block = PySet_Contains(w->block_tags, tag);
        if (dropped < 0 || block < 0) {
            Py_DECREF(tag);
            return NULL;
        }
        info->name = name;
        info->tag = tag;
        info->dropped = dropped;
        info->block = block;
        info->is_a = PyUnicode_CompareWithASCIIString(tag, "a") == 0;
        info->is_pre = PyUnicode_CompareWithASCIIString(tag, "pre") == 0;
        info->is_br = PyUnicode_CompareWithASCIIString(tag, "br") == 0;
        info->is_li = PyUnicode_CompareWithASCIIString(tag, "li") == 0;
        return info;
    }
    unsupported("more distinct element names than the walk keeps");
    return NULL;
}

/* An attribute's value as lxml's element.get(name) finds it (the first
 * attribute of that name in no namespace): 1 and its UTF-8 text, 0 when
 * absent, -1 on error. */
static int
attribute(xmlNode *node, const char *name, const char **value)
{
    for (xmlAttr *attr = node->properties; attr != NULL; attr = attr->next) {
        if (attr->ns != NULL || strcmp((const char *)attr->name, name) != 0)
            continue;
        xmlNode *child = attr->children;
        if (child == NULL) {
            *value = "";
            return 1;
        }
        if (child->next != NULL || child->type != XML_TEXT_NODE)
            return unsupported("an attribute value of several nodes");
        *value = child->content ? (const char *)child->content : "";
        return 1;
    }
    return 0;
}

/* Append the [a-z0-9] runs of value.lower() to the list of words. */
static int
add_attribute_words(PyObject *words, const char *value)
{
    const unsigned char *s = (const unsigned char *)value;
    Py_ssize_t size = (Py_ssize_t)strlen(value), i = 0;
    char word[256];
    Py_ssize_t length = 0;
    PyObject *long_word = NULL; /* a word longer than the buffer, in pieces */
    for (;;) {
        Py_UCS4 point = 0;
        int step = 0;
        if (i < size) {
            step = next_code_point(s + i, size - i, &point);
            if (step < 0)
                return unsupported("an attribute that is not UTF-8");
        }
        /* The [a-z0-9] character point lowers to (0: none); U+0130 lowers
         * to "i" and a combining dot, which ends the word. */
        char mapped = 0;
        int ends_word = 1;
        if (i < size) {
            if ((point >= 'a' && point <= 'z') || (point >= '0' && point <= '9'))
                mapped = (char)point, ends_word = 0;
            else if (point >= 'A' && point <= 'Z')
                mapped = (char)(point + 32), ends_word = 0;
            else if (point == 0x212A)
                mapped = 'k', ends_word = 0;
            else if (point == 0x130)
                mapped = 'i';
        }
        if (mapped) {
            if (length == (Py_ssize_t)sizeof word) {
                PyObject *piece = PyUnicode_FromStringAndSize(word, length);
                if (piece == NULL)
                    goto error;
                if (long_word == NULL) {
                    long_word = piece;
                } else {
                    PyObject *joined = PyUnicode_Concat(long_word, piece);
                    Py_DECREF(piece);
                    Py_SETREF(long_word, joined);
                    if (long_word == NULL)
                        goto error;
                }
                length = 0;
            }
            word[length++] = mapped;
        }
        if (ends_word && (length > 0 || long_word != NULL)) {
            PyObject *text = PyUnicode_FromStringAndSize(word, length);
            if (text == NULL)
                goto error;
            if (long_word != NULL) {
                PyObject *joined = PyUnicode_Concat(long_word, text);
                Py_DECREF(text);
                Py_CLEAR(long_word);
                text = joined;
                if (text == NULL)
                    goto error;
            }
            int failed = PyList_Append(words, text);
            Py_DECREF(text);
            if (failed)
                return -1;
            length = 0;
        }
        if (i >= size)
            return 0;
        i += step;
    }
error:
    Py_XDECREF(long_word);
    return -1;
}

/* Attribute words kept per block (html.py's MAX_ATTRIBUTE_WORDS). */
#define MAX_ATTRIBUTE_WORDS 1024

/* The attributes whose words describe an element, in html.py's order
 * (WORD_ATTRIBUTES). */
static const char *const word_attributes[] = {"class", "id", "itemprop", "role"};
#define N_WORD_ATTRIBUTES (sizeof(word_attributes) / sizeof(word_attributes[0]))

/* The context's words and its element's class/id/itemprop/role words, as a
 * new tuple; the context's own tuple when the element has none of them (or
 * all empty). */
static PyObject *
words_of(frame *parent, xmlNode *node)
{
    const char *values[N_WORD_ATTRIBUTES];
    int any = 0;
    for (size_t a = 0; a < N_WORD_ATTRIBUTES; a++) {
        values[a] = NULL;
        int found = attribute(node, word_attributes[a], &values[a]);
        if (found < 0)
            return NULL;
        if (!found)
            values[a] = NULL;
        else if (*values[a])
            any = 1;
    }
    if (!any) {
        Py_INCREF(parent->words);
        return parent->words;
    }
    PyObject *words = PySequence_List(parent->words);
    if (words == NULL)
        return NULL;
    for (size_t a = 0; a < N_WORD_ATTRIBUTES; a++) {
        if (values[a] != NULL && add_attribute_words(words, values[a]) < 0) {
            Py_DECREF(words);
            return NULL;
        }
    }
    /* Only the last MAX_ATTRIBUTE_WORDS (html.py): the nearest ancestors'. */
    Py_ssize_t size = PyList_GET_SIZE(words);
    PyObject *kept = size > MAX_ATTRIBUTE_WORDS
        ? PyList_GetSlice(words, size - MAX_ATTRIBUTE_WORDS, size) : (Py_INCREF(words), words);
    Py_DECREF(words);
    if (kept == NULL)
        return NULL;
    PyObject *result = PyList_AsTuple(kept);
    Py_DECREF(kept);
    return result;
}

/* The tuple of tags from the first element context down to frames[k]. */
static PyObject *
ancestors_of(walker *w, Py_ssize_t k)
{
    frame *f = &w->frames[k];
    if (f->ancestors == NULL) {
        PyObject *tags = PyTuple_New(k);
        if (tags == NULL)
            return NULL;
        for (Py_ssize_t i = 1; i <= k; i++) {
            Py_INCREF(w->frames[i].tag->tag);
            PyTuple_SET_ITEM(tags, i - 1, w->frames[i].tag->tag);
        }
        f->ancestors = tags;
    }
    return f->ancestors;
}

/* ---- the block builder ------------------------------------------------ */

static int
set_owner(walker *w, PyObject *tag, int closing, int li, Py_ssize_t context)
{
    PyObject *ancestors = ancestors_of(w, context);
    if (ancestors == NULL)
        return -1;
    frame *f = &w->frames[context];
    Py_INCREF(tag);
    Py_INCREF(ancestors);
    Py_SETREF(w->owner_tag, tag);
    Py_SETREF(w->owner_ancestors, ancestors);
    w->owner_closing = closing;
    w->owner_li = li;
    w->owner_depth = f->depth;
    return 0;
}

static int
flush(walker *w)
{
    if (w->parts_len == 0) {
        w->link_chars = 0;
        return 0;
    }
    PyObject *text = collapsed(w->parts, w->parts_len);
    if (text == NULL)
        return -1;
    if (PyUnicode_GET_LENGTH(text) > 0) {
        PyObject *tag = w->owner_tag;
        if (w->owner_closing) {
            Py_ssize_t n = PyTuple_GET_SIZE(w->owner_ancestors);
            tag = n ? PyTuple_GET_ITEM(w->owner_ancestors, n - 1) : w->body;
        }
        if (w->owner_li)
            Py_SETREF(text, PyUnicode_Concat(w->dash, text));
        if (text == NULL)
            return -1;
        Py_ssize_t length = PyUnicode_GET_LENGTH(text);
        PyObject *row = Py_BuildValue("(OOOOnn)", text, tag, w->owner_ancestors,
                                      w->owner_words, w->link_chars < length ? w->link_chars
                                                                             : length,
                                      w->owner_depth);
        if (row == NULL || PyList_Append(w->rows, row) < 0) {
            Py_XDECREF(row);
            Py_DECREF(text);
            return -1;
        }
        Py_DECREF(row);
        if (w->max_rows >= 0 && PyList_GET_SIZE(w->rows) > w->max_rows) {
            /* html.py: _BlockBuilder.flush, "more than max_blocks" */
            PyErr_Format(TooManyBlocks, "more than %zd blocks", w->max_rows);
            Py_DECREF(text);
            return -1;
        }
    }
    Py_DECREF(text);
    w->parts_len = 0;
    w->link_chars = 0;
    return 0;
}

/* Whether text is not kept: empty, or whitespace opening a block
 * (html.py: "if text and (parts or not text.isspace())"); -1 on error. */
static int
not_kept(walker *w, const char *text, Py_ssize_t size)
{
    return size == 0 ? 1 : w->parts_len == 0 ? all_space(text, size) : 0;
}

/* html.py's _BlockBuilder.add */
static int
add(walker *w, const char *text, Py_ssize_t size, int in_link)
{
    int skip = not_kept(w, text, size);
    if (skip)
        return skip < 0 ? -1 : 0;
    if (w->parts_len + size > w->parts_size) {
        Py_ssize_t wanted = (w->parts_len + size) * 2;
        char *grown = PyMem_Realloc(w->parts, wanted);
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        w->parts = grown;
        w->parts_size = wanted;
    }
    memcpy(w->parts + w->parts_len, text, size);
    w->parts_len += size;
    if (in_link) {
        Py_ssize_t length = collapsed_length(text, size);
        if (length < 0)
            return -1;
        w->link_chars += length;
    }
    return 0;
}

/* A .text or .tail: html.py's walk-loop test, then _text and add. */
static int
add_text(walker *w, const char *text, Py_ssize_t size, int in_link, int in_pre)
{
    int skip = not_kept(w, text, size);
    if (skip)
        return skip < 0 ? -1 : 0;
    if (in_pre) {
        /* Inside <pre> each source line is a line of its own. */
        const char *newline;
        while ((newline = memchr(text, '\n', size)) != NULL) {
            if (add(w, text, newline - text, 0) < 0 || flush(w) < 0)
                return -1;
            size -= newline + 1 - text;
            text = newline + 1;
        }
    }
    return add(w, text, size, in_link);
}

/* lxml's .text / .tail: the text nodes from node on, joined (UTF-8, in
 * the walker's scratch buffer when there are several). */
static int
text_run(walker *w, xmlNode *node, const char **text, Py_ssize_t *size)
{
    *text = "";
    *size = 0;
    Py_ssize_t used = 0;
    int pieces = 0;
    for (; node != NULL && node->type != XML_ELEMENT_NODE; node = node->next) {
        if (node->type != XML_TEXT_NODE)
            return unsupported("a node other than an element or text");
        const char *content = node->content ? (const char *)node->content : "";
        Py_ssize_t length = (Py_ssize_t)strlen(content);
        if (length == 0)
            continue;
        if (pieces++ == 0) {
            *text = content;
            *size = length;
            continue;
        }
        if (pieces == 2) { /* a second piece: copy the first out */
            used = 0;
            if (*size > w->scratch_size) {
                char *grown = PyMem_Realloc(w->scratch, *size * 2);
                if (grown == NULL)
                    goto no_memory;
                w->scratch = grown;
                w->scratch_size = *size * 2;
            }
            memcpy(w->scratch, *text, *size);
            used = *size;
        }
        if (used + length > w->scratch_size) {
            char *grown = PyMem_Realloc(w->scratch, (used + length) * 2);
            if (grown == NULL)
                goto no_memory;
            w->scratch = grown;
            w->scratch_size = (used + length) * 2;
        }
        memcpy(w->scratch + used, content, length);
        used += length;
        *text = w->scratch;
        *size = used;
    }
    return 0;
no_memory:
    PyErr_NoMemory();
    return -1;
}

/* The next sibling element from node on (NULL at the end). */
static int
element_from(xmlNode *node, xmlNode **element)
{
    for (; node != NULL; node = node->next) {
        if (node->type == XML_ELEMENT_NODE) {
            *element = node;
            return 0;
        }
        if (node->type != XML_TEXT_NODE)
            return unsupported("a node other than an element or text");
    }
    *element = NULL;
    return 0;
}

/* ---- the walk --------------------------------------------------------- */

static int
push(walker *w, tag_info *tag, PyObject *words, int in_link, int in_pre, int dropped,
     Py_ssize_t depth)
{
    if (w->n_frames == w->frames_size) {
        Py_ssize_t wanted = w->frames_size * 2;
        frame *grown = PyMem_Realloc(w->frames, wanted * sizeof(frame));
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        w->frames = grown;
        w->frames_size = wanted;
    }
    frame *f = &w->frames[w->n_frames++];
    f->tag = tag;
    f->ancestors = NULL;
    f->words = words; /* a new reference, given */
    f->in_link = in_link;
    f->in_pre = in_pre;
    f->dropped = dropped;
    f->depth = depth;
    return 0;
}

static void
pop(walker *w)
{
    frame *f = &w->frames[--w->n_frames];
    Py_XDECREF(f->ancestors);
    Py_XDECREF(f->words);
}

/* The start event of an element: html.py's walk loop, start branch. */
static int
start(walker *w, xmlNode *node)
{
    Py_ssize_t context = w->n_frames - 1;
    frame *parent = &w->frames[context];
    tag_info *tag = tag_of(w, node);
    if (tag == NULL)
        return -1;
    if (tag->dropped) {
        Py_INCREF(parent->words);
        return push(w, NULL, parent->words, parent->in_link, parent->in_pre, 1, parent->depth);
    }
    PyObject *words = words_of(parent, node);
    if (words == NULL)
        return -1;
    if (tag->block) {
        if (flush(w) < 0 || set_owner(w, tag->tag, 0, tag->is_li, context) < 0) {
            Py_DECREF(words);
            return -1;
        }
        Py_INCREF(words);
        Py_SETREF(w->owner_words, words);
        parent = &w->frames[context];
    } else if (tag->is_br && flush(w) < 0) {
        Py_DECREF(words);
        return -1;
    }
    int in_link = parent->in_link || tag->is_a;
    int in_pre = parent->in_pre || tag->is_pre;
    Py_ssize_t depth = parent->depth + 1;
    const char *text;
    Py_ssize_t size;
    if (text_run(w, node->children, &text, &size) < 0
        || add_text(w, text, size, in_link, in_pre) < 0) {
        Py_DECREF(words);
        return -1;
    }
    return push(w, tag, words, in_link, in_pre, 0, depth);
}

/* The end event of an element: the end branch. */
static int
end(walker *w, xmlNode *node)
{
    frame closed = w->frames[w->n_frames - 1];
    int block = !closed.dropped && closed.tag->block;
    PyObject *closed_tag = block ? closed.tag->tag : NULL;
    pop(w);
    Py_ssize_t context = w->n_frames - 1;
    if (block) {
        if (flush(w) < 0 || set_owner(w, closed_tag, 1, 0, context) < 0)
            return -1;
        PyObject *words = w->frames[context].words;
        Py_INCREF(words);
        Py_SETREF(w->owner_words, words);
    }
    frame *parent = &w->frames[context];
    const char *text;
    Py_ssize_t size;
    if (text_run(w, node->next, &text, &size) < 0)
        return -1;
    return add_text(w, text, size, parent->in_link, parent->in_pre);
}

static int
walk(walker *w, xmlNode *root)
{
    xmlNode *node = root;
    if (start(w, node) < 0)
        return -1;
    for (;;) {
        xmlNode *child = NULL;
        if (!w->frames[w->n_frames - 1].dropped && element_from(node->children, &child) < 0)
            return -1;
        if (child != NULL) {
            node = child;
            if (start(w, node) < 0)
                return -1;
            continue;
        }
        for (;;) {
            if (end(w, node) < 0)
                return -1;
            if (node == root)
                return flush(w);
            xmlNode *next;
            if (element_from(node->next, &next) < 0)
                return -1;
            if (next != NULL) {
                node = next;
                if (start(w, node) < 0)
                    return -1;
                break;
            }
            node = node->parent;
        }
    }
}

PyDoc_STRVAR(walk_doc,
"walk(element, block_tags, dropped_tags, max_rows=-1) -> list\n\n"
"The blocks of html.py's walk from an lxml element (the page's <body>, or\n"
"its root), as (text, tag, ancestors, attribute_words, link_chars, depth)\n"
"tuples. Raises Unsupported for a tree the Python walk must read, and\n"
"TooManyBlocks as soon as there are more than max_rows (if >= 0).");

static PyObject *
walk_blocks(PyObject *self, PyObject *args)
{
    PyObject *element, *block_tags, *dropped_tags;
    Py_ssize_t max_rows = -1;
    if (!PyArg_ParseTuple(args, "OO!O!|n", &element, &PyFrozenSet_Type, &block_tags,
                          &PyFrozenSet_Type, &dropped_tags, &max_rows))
        return NULL;
    xmlNode *root = ((lxml_element *)element)->node;
    if (root == NULL || root->type != XML_ELEMENT_NODE) {
        PyErr_SetString(PyExc_TypeError, "walk() needs an lxml element");
        return NULL;
    }
    walker w;
    memset(&w, 0, sizeof w);
    w.block_tags = block_tags;
    w.dropped_tags = dropped_tags;
    w.max_rows = max_rows;
    w.frames_size = 64;
    w.frames = PyMem_Malloc(w.frames_size * sizeof(frame));
    w.rows = PyList_New(0);
    w.body = PyUnicode_FromString("body");
    w.dash = PyUnicode_FromString("- ");
    PyObject *empty = PyTuple_New(0);
    PyObject *result = NULL;
    if (w.frames == NULL || w.rows == NULL || w.body == NULL || w.dash == NULL
        || empty == NULL)
        goto done;
    /* html.py: contexts = [((), (), False, False, 0)], owner ("body", (), (), 0) */
    Py_INCREF(empty);
    if (push(&w, NULL, empty, 0, 0, 0, 0) < 0)
        goto done;
    w.frames[0].ancestors = empty;
    Py_INCREF(empty);
    w.owner_ancestors = empty;
    Py_INCREF(empty);
    w.owner_words = empty;
    Py_INCREF(w.body);
    w.owner_tag = w.body;
    empty = NULL;
    if (walk(&w, root) == 0) {
        result = w.rows;
        w.rows = NULL;
    }
done:
    Py_XDECREF(empty);
    while (w.n_frames > 0)
        pop(&w);
    PyMem_Free(w.frames);
    PyMem_Free(w.parts);
    PyMem_Free(w.scratch);
    for (int i = 0; i < TAG_SLOTS; i++)
        Py_XDECREF(w.tags[i].tag);
    Py_XDECREF(w.owner_tag);
    Py_XDECREF(w.owner_ancestors);
    Py_XDECREF(w.owner_words);
    Py_XDECREF(w.rows);
    Py_XDECREF(w.body);
    Py_XDECREF(w.dash);
    if (result == NULL && !PyErr_Occurred())
        PyErr_NoMemory();
    return result;
}

static PyMethodDef methods[] = {
    {"walk", walk_blocks, METH_VARARGS, walk_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_html",
    "The HTML walk of classifier.lines.html in C (see _html.c).", -1, methods,
};

PyMODINIT_FUNC
PyInit__html(void)
{
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    Unsupported = PyErr_NewException("classifier.lines._html.Unsupported", PyExc_ValueError, NULL);
    /* Not a ValueError: that would send the page to the Python walk. */
    TooManyBlocks = PyErr_NewException("classifier.lines._html.TooManyBlocks", PyExc_Exception, NULL);
    if (Unsupported == NULL || TooManyBlocks == NULL) {
        Py_XDECREF(Unsupported);
        Py_XDECREF(TooManyBlocks);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(Unsupported);
    Py_INCREF(TooManyBlocks);
    if (PyModule_AddObject(m, "Unsupported", Unsupported) < 0
        || PyModule_AddObject(m, "TooManyBlocks", TooManyBlocks) < 0
        || PyModule_AddIntConstant(m, "LIBXML_VERSION", LIBXML_VERSION) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
