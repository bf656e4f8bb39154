"""Training, retraining and cross-validated evaluation of the models.

Run ``python -m training --help``. Everything here reads data and writes
models; the runtime package :mod:`classifier` never imports this package.
"""
