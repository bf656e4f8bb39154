"""The compiled part of the package; everything else is in pyproject.toml.

``classifier._trees`` scores the line model's trees (classifier/trees.py).
It is optional: where no C compiler is found the install still succeeds and
scikit-learn scores the trees (same scores, ~5x slower on that step;
``classifier.trees.COMPILED`` tells which). Declared here rather than in
pyproject.toml, where setuptools still calls ext-modules experimental.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("classifier._trees", sources=["classifier/_trees.c"],
                             optional=True)])
