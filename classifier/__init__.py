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

from .api import Classifier, load, predict
from .errors import ClassifierError, DataError, InputError, ModelError
from .limits import Limits
from .page import Line, Page

__all__ = ["Classifier", "load", "predict", "Limits", "Line", "Page", "ClassifierError",
           "InputError", "ModelError", "DataError"]
__version__ = "0.1.0"
