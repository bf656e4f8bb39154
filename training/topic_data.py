"""Readers for topic-model training data.

* a **folder per topic**: ``ROOT/<topic>/<any file>``, one document per file
  (BBC News is laid out this way); files are read as UTF-8, undecodable
  bytes replaced, so latin-1 era corpora load too;
* a **table** (``.csv``, ``.jsonl``, ``.parquet``) with columns ``text`` and
  ``topic``, and optionally ``id`` (then unique).

Both give a DataFrame with ``text`` and ``topic``; errors name file and row.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from classifier.errors import DataError

from .datasets import read_table, require_columns


def read_topic_folder(root: Path) -> pd.DataFrame:
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


def read_topic_table(path: Path) -> pd.DataFrame:
    path = Path(path)
    table = read_table(path)
    require_columns(table, ["text", "topic"], path)
    if table.empty:
        raise DataError(f"{path}: no rows")
    for column in ["text", "topic"]:
        empty = table[column].isna() | (table[column].astype(str).str.strip() == "")
        if empty.any():
            row = int(empty.to_numpy().argmax())
            raise DataError(f"{path}, row {row + 1}: empty {column!r}")
    if "id" in table.columns:
        duplicate = table["id"].astype(str).duplicated()
        if duplicate.any():
            row = int(duplicate.to_numpy().argmax())
            raise DataError(f"{path}, row {row + 1}: duplicate id {table['id'].iloc[row]!r}")
    table = table.assign(text=table["text"].astype(str), topic=table["topic"].astype(str).str.strip(),
                         source=[f"{path.name}:{i + 1}" for i in range(len(table))])
    return table[["text", "topic", "source"]]


def load_topic_data(paths) -> pd.DataFrame:
    tables = []
    for path in map(Path, paths):
        if path.is_dir():
            tables.append(read_topic_folder(path))
        elif path.is_file():
            tables.append(read_topic_table(path))
        else:
            raise DataError(f"{path}: no such file or folder")
    if not tables:
        raise DataError("no topic data given")
    data = pd.concat(tables, ignore_index=True)
    counts = data["topic"].value_counts()
    if len(counts) < 2:
        raise DataError(f"topic data has a single topic ({counts.index[0]!r}); need two or more")
    return data
