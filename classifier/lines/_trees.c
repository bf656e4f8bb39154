/* Sum of a tree ensemble's leaf values for each row: the compiled part of
 * classifier/lines/trees.py, which flattens a fitted HistGradientBoostingClassifier
 * into the records read here and checks them (child indices in range and
 * after their parent, leaves linked to themselves, feature indices below
 * the row width; for the split tables, leaf masks that leave each tree's
 * exit leaf standing).
 *
 * Why: scikit-learn scores one tree at a time over all rows, a Python call
 * and an OpenMP region per tree; with 300 small trees that overhead and the
 * re-reading of every row per tree cost ~16-18 us per line of shared pages.
 *
 * Two ways through the trees, the same sums to the last bit:
 *
 * - sum_trees walks eight rows at a time through all trees, a level at a
 *   time: each row's next node is chosen without a branch on its data (a
 *   leaf links to itself, so a row that reached one stays), until all
 *   eight are at leaves (~4.5 us per line of shared pages' second-stage
 *   inputs, against ~7.3 walking row by row with a branch per split that
 *   the CPU cannot predict).
 *
 * - sum_trees_by_splits does not walk (float32 rows, trees of at most 32
 *   leaves). A tree's leaves are numbered left to right and a row's state
 *   in a tree is a bit mask of the leaves it can still reach. A split the
 *   row does not take to the left (x > threshold) rules out the leaves of
 *   its left subtree; once every such split has cleared its bits, the
 *   lowest bit left is the row's leaf (the leftmost leaf no split ruled
 *   out is the one the walk reaches). The splits of all trees are sorted
 *   by feature and threshold, so for each feature the splits a row fails
 *   are a prefix of that feature's list, read in order and for eight rows
 *   at once with vector operations (Lucchese et al., "QuickScorer", SIGIR
 *   2015, and its vectorised form). No data-dependent branch, no chain of
 *   dependent loads: ~0.9 us against ~4.3 for the walk on the same rows
 *   (this machine, AVX2). A block of rows with a missing value among the
 *   features the splits read is walked instead.
 *
 * The traversal is scikit-learn's (a missing value follows missing_left,
 * otherwise x <= threshold goes left) and the leaf values are added in the
 * same order in double precision, so the sums are the same to the last
 * bit. (For float32 rows a split's threshold is kept as the largest
 * float32 not above it: for a float32 x, x <= t exactly when x is at most
 * that float.)
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>

/* One node; must match NODE_DTYPE in classifier/lines/trees.py. */
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

/* -- scoring by split tables (see the top of this file) ------------------ */

/* GCC's and Clang's vector types and builtins: another compiler builds the
 * walk alone (classifier/lines/trees.py then uses it for every row). */
#if defined(__GNUC__) || defined(__clang__)
#define SPLIT_TABLES 1

/* One split in the tables: sorted by feature, then threshold. Must match
 * SPLIT_DTYPE in classifier/lines/trees.py. */
typedef struct {
    float threshold;     /* the largest float32 not above the split's threshold */
    int32_t tree;
    uint32_t mask;       /* the tree's leaves, less those of the left subtree */
} split_t;

/* Leaf values per tree, in leaf order: at most 32 leaves (one bit each). */
#define LEAF_SLOTS 32

typedef struct {
    const int32_t *features;   /* the features splits read, one entry each */
    const int32_t *starts;     /* their splits: [starts[u], starts[u + 1]) */
    Py_ssize_t n_features;
    const split_t *splits;
    const uint32_t *all_leaves;   /* per tree: a bit per leaf */
    const double *leaf_values;    /* per tree, LEAF_SLOTS values */
    Py_ssize_t n_trees;
} split_tables_t;

/* Rows scored together, one vector lane each. */
#define LANES 8
typedef float lane_floats __attribute__((vector_size(4 * LANES)));
typedef int32_t lane_ints __attribute__((vector_size(4 * LANES)));
typedef uint32_t lane_masks __attribute__((vector_size(4 * LANES)));

/* The loop over rows, defined twice: for the baseline instruction set and
 * for AVX2 (chosen at run time). The AVX2 build of the same code was ~3x
 * faster (0.9 against 2.8 us per line of shared pages' inputs): eight
 * lanes are one register there, and its encoding avoids the penalty of
 * mixing legacy SSE code with the AVX state numpy's own loops leave.
 * (Sixteen lanes with AVX-512: 0.8; not worth a third build.) */
#define DEFINE_SUM_BY_SPLITS(NAME, TARGET)                                       \
TARGET static void NAME(const split_tables_t *t, const node_t *nodes,             \
                        const int32_t *roots, const float *rows, Py_ssize_t n_rows, \
                        Py_ssize_t n_columns, double baseline, void *scratch,   \
                        double *out)                                             \
{                                                                                \
    lane_masks *bits = (lane_masks *)scratch; /* one per tree */                 \
    for (Py_ssize_t first = 0; first < n_rows; first += LANES) {                \
        Py_ssize_t count = n_rows - first < LANES ? n_rows - first : LANES;     \
        const float *row[LANES];                                                 \
        /* A short last block repeats its last row in the spare lanes. */       \
        for (int lane = 0; lane < LANES; lane++)                                 \
            row[lane] = rows + (first + (lane < count ? lane : count - 1)) * n_columns; \
        const lane_masks none = {0};                                             \
        for (Py_ssize_t tree = 0; tree < t->n_trees; tree++)                     \
            bits[tree] = none | t->all_leaves[tree];                             \
        int missing = 0;                                                         \
        for (Py_ssize_t u = 0; u < t->n_features && !missing; u++) {            \
            int32_t feature = t->features[u];                                    \
            lane_floats x;                                                       \
            float highest = -INFINITY;                                           \
            for (int lane = 0; lane < LANES; lane++) {                           \
                x[lane] = row[lane][feature];                                    \
                missing |= isnan(x[lane]);                                       \
                highest = x[lane] > highest ? x[lane] : highest;                 \
            }                                                                    \
            /* The splits some lane fails (threshold < x) come first. */        \
            for (int32_t k = t->starts[u], end = t->starts[u + 1];              \
                 k < end && t->splits[k].threshold < highest; k++) {             \
                /* (A scalar operand is one value in every lane.) */             \
                const split_t *split = t->splits + k;                            \
                lane_ints fails = split->threshold < x;                          \
                bits[split->tree] &= split->mask | ~(lane_masks)fails;           \
            }                                                                    \
        }                                                                        \
        if (missing) { /* walked: the missing value's side is per split */      \
            sum_trees_float32(nodes, roots, t->n_trees, rows + first * n_columns, \
                              count, n_columns, baseline, out + first);          \
            continue;                                                            \
        }                                                                        \
        double sums[LANES];                                                      \
        for (int lane = 0; lane < LANES; lane++)                                 \
            sums[lane] = baseline;                                               \
        for (Py_ssize_t tree = 0; tree < t->n_trees; tree++) {                   \
            const double *values = t->leaf_values + tree * LEAF_SLOTS;           \
            lane_masks left = bits[tree];                                        \
            /* (The top bit keeps the index in range even for broken masks.) */ \
            for (int lane = 0; lane < LANES; lane++)                             \
                sums[lane] += values[__builtin_ctz(left[lane] | 0x80000000u)];   \
        }                                                                        \
        for (Py_ssize_t lane = 0; lane < count; lane++)                          \
            out[first + lane] = sums[lane];                                      \
    }                                                                            \
}

DEFINE_SUM_BY_SPLITS(sum_by_splits_baseline, )
#if defined(__x86_64__) || defined(__i386__)
#define HAVE_AVX2_BUILD 1
DEFINE_SUM_BY_SPLITS(sum_by_splits_avx2, __attribute__((target("avx2"))))
#endif
#endif  /* SPLIT_TABLES */

/* What both entry points check of the walk's buffers; sets ValueError. */
static int
check_walk_buffers(const Py_buffer *nodes, const Py_buffer *roots, const Py_buffer *rows,
                   const Py_buffer *out, Py_ssize_t n_columns, Py_ssize_t row_itemsize)
{
    Py_ssize_t n_nodes = nodes->len / (Py_ssize_t)sizeof(node_t);
    Py_ssize_t n_trees = roots->len / (Py_ssize_t)sizeof(int32_t);
    Py_ssize_t n_rows = out->len / (Py_ssize_t)sizeof(double);
    if (nodes->len % sizeof(node_t) || roots->len % sizeof(int32_t)
        || out->len % sizeof(double)) {
        PyErr_SetString(PyExc_ValueError, "nodes, roots or out has a partial record");
        return 0;
    }
    if ((row_itemsize != 4 && row_itemsize != 8) || n_columns < 0
        || rows->len != n_rows * n_columns * row_itemsize) {
        PyErr_SetString(PyExc_ValueError, "rows must hold n_columns float32 or float64 "
                                          "values for each value of out");
        return 0;
    }
    const int32_t *root_indices = (const int32_t *)roots->buf;
    for (Py_ssize_t tree = 0; tree < n_trees; tree++) {
        if (root_indices[tree] < 0 || root_indices[tree] >= n_nodes) {
            PyErr_SetString(PyExc_ValueError, "a root index is out of range");
            return 0;
        }
    }
    return 1;
}

PyDoc_STRVAR(sum_trees_doc,
"sum_trees(nodes, roots, rows, n_columns, row_itemsize, baseline, out)\n\n"
"out[i] = baseline + the leaf value of row i in each tree, for C-contiguous\n"
"rows of n_columns float32 (row_itemsize 4) or float64 (8) values. Buffers:\n"
"nodes (node records), roots (int32 index of each tree's first node), out\n"
"(float64, one per row, written). Node records are trusted: classifier.lines.trees\n"
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
    Py_ssize_t n_trees = roots.len / (Py_ssize_t)sizeof(int32_t);
    Py_ssize_t n_rows = out.len / (Py_ssize_t)sizeof(double);
    if (!check_walk_buffers(&nodes, &roots, &rows, &out, n_columns, row_itemsize))
        goto done;
    const int32_t *root_indices = (const int32_t *)roots.buf;
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

#ifdef SPLIT_TABLES
PyDoc_STRVAR(sum_trees_by_splits_doc,
"sum_trees_by_splits(nodes, roots, features, starts, splits, all_leaves,\n"
"                    leaf_values, rows, n_columns, baseline, out, portable)\n\n"
"What sum_trees gives for float32 rows, from the trees' split tables (see\n"
"classifier/lines/trees.py, SplitTables): features (int32, the features splits\n"
"read), starts (int32, one more: feature u's splits are\n"
"splits[starts[u]:starts[u + 1]]), splits (split records sorted by\n"
"feature and threshold), all_leaves (uint32 per tree, a bit per leaf),\n"
"leaf_values (float64, 32 per tree in leaf order). nodes and roots score\n"
"the blocks of rows with a missing value. portable=True uses the baseline\n"
"instruction set even where AVX2 is available (for tests).");

static PyObject *
sum_trees_by_splits(PyObject *self, PyObject *args)
{
    Py_buffer nodes, roots, features, starts, splits, all_leaves, leaf_values, rows, out;
    Py_ssize_t n_columns;
    double baseline;
    int portable;
    PyObject *result = NULL;
    void *block = NULL;

    if (!PyArg_ParseTuple(args, "y*y*y*y*y*y*y*y*ndw*p", &nodes, &roots, &features, &starts,
                          &splits, &all_leaves, &leaf_values, &rows, &n_columns, &baseline,
                          &out, &portable))
        return NULL;
    split_tables_t t;
    t.n_trees = roots.len / (Py_ssize_t)sizeof(int32_t);
    t.n_features = features.len / (Py_ssize_t)sizeof(int32_t);
    Py_ssize_t n_splits = splits.len / (Py_ssize_t)sizeof(split_t);
    Py_ssize_t n_rows = out.len / (Py_ssize_t)sizeof(double);
    if (!check_walk_buffers(&nodes, &roots, &rows, &out, n_columns, 4))
        goto done;
    if (features.len % sizeof(int32_t) || splits.len % sizeof(split_t)
        || starts.len != (t.n_features + 1) * (Py_ssize_t)sizeof(int32_t)
        || all_leaves.len != t.n_trees * (Py_ssize_t)sizeof(uint32_t)
        || leaf_values.len != t.n_trees * LEAF_SLOTS * (Py_ssize_t)sizeof(double)) {
        PyErr_SetString(PyExc_ValueError, "the split tables' sizes do not match");
        goto done;
    }
    t.features = (const int32_t *)features.buf;
    t.starts = (const int32_t *)starts.buf;
    t.splits = (const split_t *)splits.buf;
    t.all_leaves = (const uint32_t *)all_leaves.buf;
    t.leaf_values = (const double *)leaf_values.buf;
    /* Indices the loops follow are checked (the masks cannot send them
     * out of range, see the leaf sum). */
    if (t.starts[0] != 0 || t.starts[t.n_features] != n_splits) {
        PyErr_SetString(PyExc_ValueError, "starts do not cover the splits");
        goto done;
    }
    for (Py_ssize_t u = 0; u < t.n_features; u++) {
        if (t.starts[u + 1] < t.starts[u] || t.features[u] < 0 || t.features[u] >= n_columns) {
            PyErr_SetString(PyExc_ValueError, "a feature or its split range is out of range");
            goto done;
        }
    }
    for (Py_ssize_t k = 0; k < n_splits; k++) {
        if (t.splits[k].tree < 0 || t.splits[k].tree >= t.n_trees) {
            PyErr_SetString(PyExc_ValueError, "a split's tree is out of range");
            goto done;
        }
    }
    /* A bit mask of LANES lanes per tree, aligned for vector loads. */
    size_t alignment = sizeof(lane_masks);
    block = PyMem_RawMalloc((size_t)t.n_trees * sizeof(lane_masks) + alignment);
    if (block == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    void *scratch = (void *)(((uintptr_t)block + alignment - 1) & ~(uintptr_t)(alignment - 1));
    Py_BEGIN_ALLOW_THREADS
#ifdef HAVE_AVX2_BUILD
    if (!portable && __builtin_cpu_supports("avx2"))
        sum_by_splits_avx2(&t, (const node_t *)nodes.buf, (const int32_t *)roots.buf,
                           (const float *)rows.buf, n_rows, n_columns, baseline, scratch,
                           (double *)out.buf);
    else
#endif
        sum_by_splits_baseline(&t, (const node_t *)nodes.buf, (const int32_t *)roots.buf,
                               (const float *)rows.buf, n_rows, n_columns, baseline, scratch,
                               (double *)out.buf);
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    PyMem_RawFree(block);
    PyBuffer_Release(&nodes);
    PyBuffer_Release(&roots);
    PyBuffer_Release(&features);
    PyBuffer_Release(&starts);
    PyBuffer_Release(&splits);
    PyBuffer_Release(&all_leaves);
    PyBuffer_Release(&leaf_values);
    PyBuffer_Release(&rows);
    PyBuffer_Release(&out);
    return result;
}
#endif  /* SPLIT_TABLES */

static PyMethodDef methods[] = {
    {"sum_trees", sum_trees, METH_VARARGS, sum_trees_doc},
#ifdef SPLIT_TABLES
    {"sum_trees_by_splits", sum_trees_by_splits, METH_VARARGS, sum_trees_by_splits_doc},
#endif
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_trees",
    "Compiled scoring of flattened tree ensembles (see classifier/lines/trees.py).",
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
#ifdef SPLIT_TABLES
    if (m != NULL && (PyModule_AddIntConstant(m, "SPLIT_SIZE", (long)sizeof(split_t)) < 0
                      || PyModule_AddIntConstant(m, "LEAF_SLOTS", LEAF_SLOTS) < 0)) {
        Py_DECREF(m);
        return NULL;
    }
#endif
    return m;
}
