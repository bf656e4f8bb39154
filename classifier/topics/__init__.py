"""The topic model: a page's body text in, topics with probabilities out.

* ``model`` — the word features, the classifiers (single- and multi-label)
  and their calibration.
"""
