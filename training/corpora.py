"""Readers for the standard topic benchmarks, with their standard splits.

* **BBC News** (Greene & Cunningham 2006): ``bbc/<topic>/<nnn>.txt``, five
  topics, no official split (stratified cross-validation is the custom).
* **20 Newsgroups, bydate** (Lang 1995; the "bydate" split by Rennie):
  ``20news-bydate-train|test/<group>/<id>``. With ``strip=True`` each post
  loses its headers, its signature and the lines quoting other posts, as
  is standard when measuring topic models rather than header matching.
* **Reuters-21578, ModApte split** (Lewis 1997; Apté et al. 1994):
  ``reut2-0NN.sgm``. Training stories are ``LEWISSPLIT="TRAIN"``, test
  stories ``LEWISSPLIT="TEST"``, both with ``TOPICS="YES"``; only topics
  with at least one training and one test story are kept (90 of them), and
  stories left with none of those topics are dropped: 7,770 training and
  3,019 test stories here (7,769 training is the figure usually quoted).
  Stories are multi-label.

Every reader returns a DataFrame with ``text``, ``topic`` (single-label
sets) or ``topics`` (a tuple, multi-label sets), ``split`` and
``source``. Files are read tolerantly (undecodable bytes replaced): these
corpora hold latin-1 era bytes.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd

from classifier.errors import DataError

NEWSGROUP_SPLITS = {"train": "20news-bydate-train", "test": "20news-bydate-test"}


def read_topic_folder(root: Path) -> pd.DataFrame:
    """A folder per topic, a document per file (``ROOT/<topic>/<file>``, as
    BBC News is laid out), read as UTF-8 with undecodable bytes replaced."""
    root = Path(root)
    rows = []
    for topic_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for path in sorted(p for p in topic_dir.iterdir() if p.is_file() and not p.name.startswith(".")):
            text = path.read_bytes().decode("utf-8", errors="replace")
            if text.strip():
                rows.append((text, topic_dir.name, str(path.relative_to(root))))
    if not rows:
        raise DataError(f"{root}: no documents found; expected {root}/<topic>/<file>")
    return pd.DataFrame(rows, columns=["text", "topic", "source"])


def read_bbc(root) -> pd.DataFrame:
    return read_topic_folder(Path(root)).assign(split="all")


# -- 20 Newsgroups ----------------------------------------------------------------

def read_20newsgroups(root, split: str = "train", strip: bool = False) -> pd.DataFrame:
    """One split (``"train"`` or ``"test"``) of 20 Newsgroups bydate."""
    if split not in NEWSGROUP_SPLITS:
        raise ValueError(f"split must be one of {list(NEWSGROUP_SPLITS)}, not {split!r}")
    folder = Path(root) / NEWSGROUP_SPLITS[split]
    if not folder.is_dir():
        raise DataError(f"{folder}: not found; expected the 20news-bydate layout")
    data = read_topic_folder(folder)
    if strip:
        data["text"] = [strip_newsgroup_post(text) for text in data["text"]]
    return data.assign(split=split)


_QUOTE = re.compile(r"^\s*(>|\|)")
_ATTRIBUTION = re.compile(r"(writes|wrote|said|says)\s*:\s*$", re.IGNORECASE)


def strip_newsgroup_post(post: str) -> str:
    """A post without its headers, its signature and the lines quoting others.

    Headers end at the first blank line. A signature starts at the last
    line that is ``--`` (the Usenet signature separator). Quoted lines start
    with ``>`` or ``|``, and the "So-and-so writes:" line introducing a
    quote goes with them.
    """
    _, blank, body = post.partition("\n\n")
    if not blank:
        body = ""
    lines = body.split("\n")
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].strip() == "--":
            lines = lines[:i]
            break
    kept = [line for line in lines if not _QUOTE.match(line) and not _ATTRIBUTION.search(line)]
    return "\n".join(kept).strip()


# -- Reuters-21578 --------------------------------------------------------------------

_STORY = re.compile(r"<REUTERS(?P<attributes>[^>]*)>(?P<body>.*?)</REUTERS>", re.DOTALL)
_ATTRIBUTE = re.compile(r'(\w+)="([^"]*)"')
_TOPICS = re.compile(r"<TOPICS>(.*?)</TOPICS>", re.DOTALL)
_LABEL = re.compile(r"<D>(.*?)</D>")
_TITLE = re.compile(r"<TITLE>(.*?)</TITLE>", re.DOTALL)
_BODY = re.compile(r"<BODY>(.*?)</BODY>", re.DOTALL)
_TEXT = re.compile(r"<TEXT[^>]*>(.*?)</TEXT>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def read_reuters_modapte(root) -> pd.DataFrame:
    """Reuters-21578 ModApte: ``split`` is ``"train"`` or ``"test"``,
    ``topics`` a sorted tuple of the story's topics among the 90."""
    files = sorted(Path(root).glob("reut2-*.sgm"))
    if not files:
        raise DataError(f"{root}: no reut2-*.sgm files")
    stories = []
    for path in files:
        sgml = path.read_bytes().decode("latin-1")
        for match in _STORY.finditer(sgml):
            attributes = dict(_ATTRIBUTE.findall(match.group("attributes")))
            split = {"TRAIN": "train", "TEST": "test"}.get(attributes.get("LEWISSPLIT"))
            if attributes.get("TOPICS") != "YES" or split is None:
                continue
            body = match.group("body")
            topics_block = _TOPICS.search(body)
            topics = tuple(sorted(set(_LABEL.findall(topics_block.group(1))))) \
                if topics_block else ()
            stories.append({"text": _story_text(body), "topics": topics, "split": split,
                            "source": f"{path.name}#{attributes.get('NEWID')}"})
    if not stories:
        raise DataError(f"{root}: no ModApte stories (TOPICS=\"YES\", LEWISSPLIT TRAIN/TEST)")
    data = pd.DataFrame(stories)
    in_train = {t for topics in data.loc[data["split"] == "train", "topics"] for t in topics}
    in_test = {t for topics in data.loc[data["split"] == "test", "topics"] for t in topics}
    kept = in_train & in_test
    data["topics"] = [tuple(t for t in topics if t in kept) for topics in data["topics"]]
    data = data[data["topics"].map(len) > 0]
    return data.reset_index(drop=True)


def _story_text(body: str) -> str:
    parts = []
    for pattern in (_TITLE, _BODY):
        found = pattern.search(body)
        if found:
            parts.append(found.group(1))
    if not parts:  # TYPE="UNPROC" stories: the text without TITLE/BODY markup
        found = _TEXT.search(body)
        parts.append(_TAG.sub(" ", found.group(1)) if found else "")
    text = html.unescape("\n".join(parts))
    # The stories carry teletype control characters (&#3; ends a body).
    return _CONTROL.sub(" ", text).strip()
