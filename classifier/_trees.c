/* Sum of a tree ensemble's leaf values for each row: the compiled part of
 * classifier/trees.py, which flattens a fitted HistGradientBoostingClassifier
 * into the node records read here and checks them (child indices in range
 * and after their parent, leaves linked to themselves, feature indices
 * below the row width).
 *
 * Why: scikit-learn scores one tree at a time over all rows, a Python call
 * and an OpenMP region per tree; with 300 small trees that overhead and the
 * re-reading of every row per tree cost ~16-18 us per line of shared pages.
 * Here eight rows at a time go through all trees while they sit in the
 * CPU cache, a level at a time: each row's next node is chosen without a
 * branch on its data (a leaf links to itself, so a row that reached one
 * stays), until all eight are at leaves. Walked row by row, with a branch
 * per split that the CPU cannot predict, it took ~7.3 us per line of
 * shared pages' second-stage inputs, against ~4.5 now. The traversal is scikit-learn's (a
 * missing value follows missing_left, otherwise x <= threshold goes left)
 * and the leaf values are added in the same order in double precision, so
 * the sums are the same to the last bit.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>

/* One node; must match NODE_DTYPE in classifier/trees.py. */
typedef struct {
    double value;        /* threshold of a split, value of a leaf */
    int32_t feature;
    int32_t left;
    int32_t right;
    uint8_t missing_left;
    uint8_t is_leaf;
} node_t;

/* Rows walked together, a level at a time (8: 4 or 16 at once were slower,
 * ~6.1 and ~8.7 against ~4.5 us per row of shared pages' inputs). */
#define ROWS_AT_ONCE 8

#define DEFINE_SUM_TREES(NAME, ROW_TYPE)                                         \
static void NAME(const node_t *nodes, const int32_t *roots, Py_ssize_t n_trees, \
                 const ROW_TYPE *rows, Py_ssize_t n_rows, Py_ssize_t n_columns,  \
                 double baseline, double *out)                                   \
{                                                                                \
    for (Py_ssize_t first = 0; first < n_rows; first += ROWS_AT_ONCE) {         \
        Py_ssize_t count = n_rows - first < ROWS_AT_ONCE ? n_rows - first       \
                                                         : ROWS_AT_ONCE;        \
        double sums[ROWS_AT_ONCE];                                               \
        const ROW_TYPE *row[ROWS_AT_ONCE];                                       \
        for (Py_ssize_t i = 0; i < count; i++) {                                 \
            sums[i] = baseline;                                                  \
            row[i] = rows + (first + i) * n_columns;                             \
        }                                                                        \
        for (Py_ssize_t tree = 0; tree < n_trees; tree++) {                      \
            int32_t at[ROWS_AT_ONCE];                                            \
            for (Py_ssize_t i = 0; i < count; i++)                               \
                at[i] = roots[tree];                                             \
            /* All rows a level down at a time, without a branch on the    */   \
            /* data (a leaf links to itself), until all are at leaves.     */   \
            int walking = 1;                                                     \
            while (walking) {                                                    \
                walking = 0;                                                     \
                for (Py_ssize_t i = 0; i < count; i++) {                         \
                    const node_t *node = nodes + at[i];                          \
                    double x = (double)row[i][node->feature];                    \
                    int left = (x <= node->value) | (isnan(x) & node->missing_left); \
                    at[i] = left ? node->left : node->right;                     \
                    walking |= !node->is_leaf;                                   \
                }                                                                \
            }                                                                    \
            for (Py_ssize_t i = 0; i < count; i++)                               \
                sums[i] += nodes[at[i]].value;                                   \
        }                                                                        \
        for (Py_ssize_t i = 0; i < count; i++)                                   \
            out[first + i] = sums[i];                                            \
    }                                                                            \
}

DEFINE_SUM_TREES(sum_trees_float32, float)
DEFINE_SUM_TREES(sum_trees_float64, double)

PyDoc_STRVAR(sum_trees_doc,
"sum_trees(nodes, roots, rows, n_columns, row_itemsize, baseline, out)\n\n"
"out[i] = baseline + the leaf value of row i in each tree, for C-contiguous\n"
"rows of n_columns float32 (row_itemsize 4) or float64 (8) values. Buffers:\n"
"nodes (node records), roots (int32 index of each tree's first node), out\n"
"(float64, one per row, written). Node records are trusted: classifier.trees\n"
"checks them when it builds them (children after their split, leaves linked\n"
"to themselves).");

static PyObject *
sum_trees(PyObject *self, PyObject *args)
{
    Py_buffer nodes, roots, rows, out;
    Py_ssize_t n_columns, row_itemsize;
    double baseline;
    PyObject *result = NULL;

    if (!PyArg_ParseTuple(args, "y*y*y*nndw*", &nodes, &roots, &rows, &n_columns,
                          &row_itemsize, &baseline, &out))
        return NULL;
    Py_ssize_t n_nodes = nodes.len / (Py_ssize_t)sizeof(node_t);
    Py_ssize_t n_trees = roots.len / (Py_ssize_t)sizeof(int32_t);
    Py_ssize_t n_rows = out.len / (Py_ssize_t)sizeof(double);
    if (nodes.len % sizeof(node_t) || roots.len % sizeof(int32_t) || out.len % sizeof(double)) {
        PyErr_SetString(PyExc_ValueError, "nodes, roots or out has a partial record");
        goto done;
    }
    if ((row_itemsize != 4 && row_itemsize != 8) || n_columns < 0
        || rows.len != n_rows * n_columns * row_itemsize) {
        PyErr_SetString(PyExc_ValueError, "rows must hold n_columns float32 or float64 "
                                          "values for each value of out");
        goto done;
    }
    const int32_t *root_indices = (const int32_t *)roots.buf;
    for (Py_ssize_t tree = 0; tree < n_trees; tree++) {
        if (root_indices[tree] < 0 || root_indices[tree] >= n_nodes) {
            PyErr_SetString(PyExc_ValueError, "a root index is out of range");
            goto done;
        }
    }
    Py_BEGIN_ALLOW_THREADS
    if (row_itemsize == 4)
        sum_trees_float32((const node_t *)nodes.buf, root_indices, n_trees,
                          (const float *)rows.buf, n_rows, n_columns, baseline,
                          (double *)out.buf);
    else
        sum_trees_float64((const node_t *)nodes.buf, root_indices, n_trees,
                          (const double *)rows.buf, n_rows, n_columns, baseline,
                          (double *)out.buf);
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    PyBuffer_Release(&nodes);
    PyBuffer_Release(&roots);
    PyBuffer_Release(&rows);
    PyBuffer_Release(&out);
    return result;
}

static PyMethodDef methods[] = {
    {"sum_trees", sum_trees, METH_VARARGS, sum_trees_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_trees",
    "Compiled scoring of flattened tree ensembles (see classifier/trees.py).",
    -1, methods,
};

PyMODINIT_FUNC
PyInit__trees(void)
{
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddIntConstant(m, "NODE_SIZE", (long)sizeof(node_t)) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
