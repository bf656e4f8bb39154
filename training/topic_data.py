"""Readers for topic-model training data.

* a **folder per topic**: ``ROOT/<topic>/<any file>``, one document per file
  (BBC News is laid out this way); files are read as UTF-8, undecodable
  bytes replaced, so latin-1 era corpora load too;
* a **table** (``.csv``, ``.jsonl``, ``.parquet``) with columns ``text`` and
  ``topic``, and optionally ``id`` (then unique);
* **multi-label** data: a table with a ``topics`` column instead of
  ``topic`` (a list in JSONL/Parquet, ``|``-separated in CSV), or a
  Reuters-21578 folder (``reut2-*.sgm``; every ModApte story, both splits).

They give a DataFrame with ``text`` and ``topic`` (single-label) or
``topics`` (tuples, multi-label); errors name file and row. Single-label
data given together with multi-label data counts as one topic per document.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from classifier.errors import DataError

from .corpora import read_reuters_modapte, read_topic_folder
from .datasets import read_table, require_columns, row_place


def read_topic_table(path: Path) -> pd.DataFrame:
    path = Path(path)
    table = read_table(path)
    if "topics" in table.columns and "topic" not in table.columns:
        return _read_multilabel_table(table, path)
    require_columns(table, ["text", "topic"], path)
    if table.empty:
        raise DataError(f"{path}: no rows")
    for column in ["text", "topic"]:
        empty = table[column].isna() | (table[column].astype(str).str.strip() == "")
        if empty.any():
            row = int(empty.to_numpy().argmax())
            raise DataError(f"{path}, {row_place(path, row + 1)}: empty {column!r}")
    if "id" in table.columns:
        duplicate = table["id"].astype(str).duplicated()
        if duplicate.any():
            row = int(duplicate.to_numpy().argmax())
            raise DataError(f"{path}, {row_place(path, row + 1)}: duplicate id {table['id'].iloc[row]!r}")
    table = table.assign(text=table["text"].astype(str), topic=table["topic"].astype(str).str.strip(),
                         source=[f"{path.name}:{i + 1}" for i in range(len(table))])
    return table[["text", "topic", "source"]]


def _read_multilabel_table(table: pd.DataFrame, path: Path) -> pd.DataFrame:
    require_columns(table, ["text", "topics"], path)
    if table.empty:
        raise DataError(f"{path}: no rows")
    topics = []
    for row, (text, labels) in enumerate(zip(table["text"], table["topics"]), 1):
        if isinstance(labels, str):
            labels = labels.split("|")
        try:
            labels = tuple(sorted({str(label).strip() for label in labels} - {""}))
        except TypeError:
            raise DataError(f"{path}, {row_place(path, row)}: 'topics' must be a list of topics "
                            "(or 'a|b' in CSV)") from None
        if not labels:
            raise DataError(f"{path}, {row_place(path, row)}: no topics")
        if not isinstance(text, str) or not text.strip():
            raise DataError(f"{path}, {row_place(path, row)}: empty 'text'")
        topics.append(labels)
    return pd.DataFrame({"text": table["text"].astype(str), "topics": topics,
                         "source": [f"{path.name}:{i + 1}" for i in range(len(table))]})


def is_multilabel(data: pd.DataFrame) -> bool:
    return "topics" in data.columns


def load_topic_data(paths) -> pd.DataFrame:
    tables = []
    for path in map(Path, paths):
        if path.is_dir() and any(path.glob("reut2-*.sgm")):
            tables.append(read_reuters_modapte(path).drop(columns="split"))
        elif path.is_dir():
            tables.append(read_topic_folder(path))
        elif path.is_file():
            tables.append(read_topic_table(path))
        else:
            raise DataError(f"{path}: no such file or folder")
    if not tables:
        raise DataError("no topic data given")
    if any("topics" in table.columns for table in tables):
        tables = [table if "topics" in table.columns else
                  table.assign(topics=[(topic,) for topic in table["topic"]]).drop(columns="topic")
                  for table in tables]
        data = pd.concat(tables, ignore_index=True)
        topics = {topic for labels in data["topics"] for topic in labels}
        if len(topics) < 2:
            raise DataError(f"topic data has a single topic ({topics.pop()!r}); need two or more")
        return data
    data = pd.concat(tables, ignore_index=True)
    counts = data["topic"].value_counts()
    if len(counts) < 2:
        raise DataError(f"topic data has a single topic ({counts.index[0]!r}); need two or more")
    return data
