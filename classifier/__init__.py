"""Clean scraped web pages and sort them by topic.

    import classifier
    clf = classifier.load()              # shipped models
    clf = classifier.load(path, trusted=True)   # your own models folder (pickles: trust it)
    page = clf.predict(text)             # one block per line, or a list of lines
    page.lines, page.body, page.topic, page.topic_scores
    pages = clf.predict_many(texts)
    page = clf.predict_html(html_bytes)
    pages = clf.predict_html_many(htmls)
    classifier.predict(text)             # shortcut with cached default models

Many pages from files (folders, JSONL, WARC/WET) to sharded output:
``python -m classifier batch`` or :func:`classifier.batch.run_batch`.
"""

from .errors import ClassifierError, DataError, InputError, ModelError
from .limits import Limits
from .page import Line, Page

# The API (numpy, pandas, scikit-learn, lxml: ~180 MB and ~2 s) is imported
# on first use, not with the package: a batch driver that only locates
# pages and counts what its workers wrote, or `python -m classifier --help`,
# does without it.
_FROM_API = ("Classifier", "load", "predict")


def __getattr__(name):  # PEP 562: called only for names not found above
    if name in _FROM_API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_FROM_API))


__all__ = ["Classifier", "load", "predict", "Limits", "Line", "Page", "ClassifierError",
           "InputError", "ModelError", "DataError"]
__version__ = "0.1.0"
