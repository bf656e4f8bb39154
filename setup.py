"""The compiled parts of the package; everything else is in pyproject.toml.

``classifier.lines._trees`` scores the line model's trees (classifier/lines/trees.py),
``classifier._words`` computes both models' word features (classifier/words.py),
``classifier.lines._lines`` the character statistics of lines
(classifier/lines/statistics.py), ``classifier.lines._html`` the walk of the
HTML conversion (classifier/lines/html.py). Each sits beside the Python it
speeds up.
All are optional: where no C compiler is found the install still succeeds
and scikit-learn does their work (same results, slower; ``COMPILED`` in
each wrapper module tells which). Declared here rather than in
pyproject.toml, where setuptools still calls ext-modules experimental.
"""

from setuptools import Extension, setup


def lxml_includes() -> list[str]:
    """The C headers lxml installs (libxml2's among them): _html.c reads the
    nodes of the trees lxml parses. Without lxml at build time the module is
    not built."""
    try:
        import lxml
    except ImportError:
        return []
    return lxml.get_include()


html_includes = lxml_includes()
setup(ext_modules=[
    Extension("classifier.lines._trees", sources=["classifier/lines/_trees.c"], optional=True),
    Extension("classifier._words", sources=["classifier/_words.c"], optional=True),
    Extension("classifier.lines._lines", sources=["classifier/lines/_lines.c"], optional=True),
    *([Extension("classifier.lines._html", sources=["classifier/lines/_html.c"],
                 include_dirs=html_includes, optional=True)] if html_includes else []),
])
