"""One exception family for everything the package refuses.

Callers who clean millions of pages want to catch *our* errors (bad input,
missing or tampered models) without also swallowing genuine bugs, so every
error we raise on purpose derives from :class:`ClassifierError`.
"""


class ClassifierError(Exception):
    """Base class of every error this package raises on purpose."""


class InputError(ClassifierError, ValueError):
    """The page text or HTML given to ``predict`` cannot be used."""


class ModelError(ClassifierError):
    """A models folder is missing, incomplete, or does not match its manifest."""


class DataError(ClassifierError, ValueError):
    """Training or evaluation data is malformed; the message names file and row."""
