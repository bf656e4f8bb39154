"""One gold convention for every training corpus: reader comments are chrome.

The page corpora disagree on reader comments. Dragnet's and L3S-GN1's gold
leave the comments under an article out; CleanEval's keeps them ("15
Comments:", every reply) on the pages that have them. Our product's body
is the article (README), so CleanEval's comment lines teach the wrong
answer, and where Dragnet is not in training (a user's retraining, or
leave-one-corpus-out) they were enough to make comment threads look like
body: held out, Dragnet's comments scored 0.5-0.8.

:func:`comments_as_boilerplate` relabels, for training only, a page's body
lines that sit in a comment container (an element whose class or id word
starts with ``comment`` or ``disqus``) as boilerplate, unless every body
line of the page is so marked: then the mark sits on an element around
the whole page (WordPress's ``<body class="comments-open">``; three
Readability test pages, five others), or the page is all discussion, and
the page keeps its labels. A blog post under 35 replies (CleanEval's 563:
214 words of post, 6,346 of replies) is relabelled: its body is the post.
Evaluation never relabels: every corpus is scored against its own gold.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from classifier.lines.model import BODY, BOILERPLATE

#: A class or id word that names a comment container. Not "commentary",
#: which news sites use for opinion articles. Narrower on purpose than the
#: line model's "comment" feature group (classifier/lines/dom.py, which
#: also takes reply/respond/discuss anywhere in a word): this one rewrites
#: gold labels, so it takes only words that name the thread itself.
COMMENT_WORD = re.compile(r"(?:^| )(?:comment(?!ar)|disqus)[a-z]*(?= |$)")


def in_comment_container(attributes: pd.Series) -> np.ndarray:
    """Whether each line's class/id words (the ``attributes`` column of a
    DOM line table) name a comment container."""
    return attributes.fillna("").str.contains(COMMENT_WORD).to_numpy()


def comments_as_boilerplate(lines: pd.DataFrame) -> pd.DataFrame:
    """``lines`` with the body lines of comment containers relabelled
    boilerplate (see the module's docstring); lines without DOM facts
    (labelled-line files) are left as they are. A copy if anything
    changed, else ``lines`` itself."""
    if "attributes" not in lines.columns or not len(lines):
        return lines
    body = (lines["label"] == BODY).to_numpy()
    marked = body & in_comment_container(lines["attributes"])
    if not marked.any():
        return lines
    # Pages with a body line outside every comment container.
    page = lines["page"].to_numpy()
    unmarked_body = pd.Series(body & ~marked).groupby(page).transform("any").to_numpy()
    relabel = marked & unmarked_body
    if not relabel.any():
        return lines
    lines = lines.copy()
    lines.loc[relabel, "label"] = BOILERPLATE
    return lines
