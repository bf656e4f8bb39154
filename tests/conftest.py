"""Shared fixtures: small synthetic pages and labelled data.

The suite must pass on a fresh clone without ../shared, so training tests
use pages generated here: a site template (menu, breadcrumb, date, tags,
"Related" list, footer) around an article of random sentences. Synthetic
data is enough to test the mechanics (readers, alignment, training,
saving, CLI); model quality is measured by `make eval` on real data.
"""

from __future__ import annotations

import random
import signal
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests (tests/test_properties.py): a quick run in `make test`, a
# long one in `make fuzz` (--hypothesis-profile=fuzz). No deadline: timing
# varies on shared CI machines; hangs are caught by the tests' watchdog.
_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile("default", max_examples=40, deadline=None,
                          suppress_health_check=_SLOW_OK)
settings.register_profile("fuzz", max_examples=5000, deadline=None,
                          suppress_health_check=_SLOW_OK)
settings.load_profile("default")

@contextmanager
def watchdog(seconds: int = 10):
    """Fail (instead of hanging) when the body runs longer than ``seconds``."""
    def expire(signum, frame):
        raise TimeoutError(f"no result after {seconds} s: the input makes it hang")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

_WORDS = ("government minister election policy market shares profit company film music "
          "award match team season player software phone internet users report growth "
          "council vote party leader economy bank prices record league album star game "
          "network data research court law campaign health school city water energy").split()
_FUNCTION = "the a of to and in that it was for on with as by at from".split()


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS if rng.random() < 0.55 else _FUNCTION)
             for _ in range(rng.randint(9, 22))]
    return " ".join(words).capitalize() + "."


def synthetic_page(seed: int) -> tuple[str, str]:
    """(html, gold text) of one page of a templated site."""
    rng = random.Random(seed)
    headline = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(5, 9))).capitalize()
    paragraphs = [" ".join(_sentence(rng) for _ in range(rng.randint(2, 5)))
                  for _ in range(rng.randint(3, 7))]
    related = [" ".join(rng.choice(_WORDS) for _ in range(rng.randint(4, 10))).capitalize()
               for _ in range(rng.randint(4, 8))]
    menu = "".join(f"<li><a href='/{w}'>{w.title()}</a></li>" for w in rng.sample(_WORDS, 6))
    html = f"""<!DOCTYPE html><html><head><title>{headline} - Site</title>
<script>var x = "not text";</script><style>p {{color: red}}</style></head>
<body><div class="header"><ul class="menu">{menu}</ul></div>
<div class="breadcrumb">Home &gt; <a href="/news">News</a></div>
<div class="article"><h1>{headline}</h1><div class="date">Date: 2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}</div>
{''.join(f'<p>{p}</p>' for p in paragraphs)}
<ul class="tags"><li>In:</li><li>{rng.choice(_WORDS)}</li><li>{rng.choice(_WORDS)}</li></ul></div>
<div class="related"><h3>Related</h3><ul>{''.join(f'<li><a href="#">{r}</a></li>' for r in related)}</ul></div>
<div class="footer">Copyright 2024 Site. All rights reserved. | Privacy policy</div></body></html>"""
    gold = "\n".join([headline] + paragraphs)
    return html, gold


def write_page_folder(folder: Path, n_pages: int, set_name: str = "synthetic",
                      seed: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "index.jsonl").open("w", encoding="utf-8") as index:
        for i in range(n_pages):
            html, gold = synthetic_page(seed + i)
            (folder / f"{i}.html").write_text(html, encoding="utf-8")
            (folder / f"{i}.txt").write_text(gold, encoding="utf-8")
            site = f"site{i % 5}.example"
            index.write(f'{{"id": "{i}", "url": "http://{site}/p{i}", "set": "{set_name}"}}\n')
    return folder


@pytest.fixture(scope="session")
def page_folder(tmp_path_factory) -> Path:
    return write_page_folder(tmp_path_factory.mktemp("pages") / "synthetic", 30)


@pytest.fixture(scope="session")
def topic_table(tmp_path_factory) -> Path:
    """A small CSV of documents on three topics with distinct vocabularies."""
    rng = random.Random(1)
    vocab = {"politics": "minister election vote party parliament government campaign".split(),
             "sport": "match team season player league goal coach".split(),
             "tech": "software phone internet users network data chip".split()}
    path = tmp_path_factory.mktemp("topics") / "topics.csv"
    import csv

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "topic"])
        for topic, words in vocab.items():
            for _ in range(15):
                text = " ".join(rng.choice(words + _FUNCTION) for _ in range(40))
                writer.writerow([text, topic])
    return path


@pytest.fixture(scope="session")
def trained_models(tmp_path_factory, page_folder, topic_table) -> Path:
    """A models folder trained by the CLI on the synthetic data. Its topic
    model never says "out of scheme" (``--coverage 1``): the synthetic
    pages mix the words of every topic, and the tests that use it check
    what a page with a topic looks like (tests/test_abstention.py trains
    its own, abstaining, topic model)."""
    return train_models(tmp_path_factory.mktemp("models"), page_folder, topic_table)


def train_models(out: Path, page_folder: Path, topic_table: Path) -> Path:
    """The three models of the synthetic data, trained by the CLI into ``out``."""
    from training.__main__ import main

    assert main(["lines", "--data", str(page_folder), "--out", str(out), "--cv", "0",
                 "--cache", "none"]) == 0
    assert main(["topics", "--data", str(topic_table), "--out", str(out), "--cv", "3",
                 "--coverage", "1"]) == 0
    assert main(["html", "--data", str(page_folder), "--out", str(out), "--cv", "0",
                 "--cache", "none"]) == 0
    return out


def warc_bytes(records, compressed: bool = True) -> bytes:
    """A WARC file of ``records`` ``(kind, url, content_type, payload)``."""
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=compressed)
    for number, (kind, url, content_type, payload) in enumerate(records):
        http = (StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
                if kind == "response" else None)
        # Fixed record ids and dates (warcio draws a random id and takes the
        # clock): the same bytes on every run, so reading from inside a
        # record meets the same garbage. With random ids, one run in ~18
        # read a compressed record's middle as a record of another kind.
        fixed = {"WARC-Record-ID": f"<urn:uuid:00000000-0000-4000-8000-{number:012d}>",
                 "WARC-Date": "2026-01-01T00:00:00Z"}
        record = writer.create_warc_record(url, kind, payload=io.BytesIO(payload),
                                           http_headers=http, warc_headers_dict=fixed,
                                           warc_content_type=None if http else content_type)
        writer.write_record(record)
    return buffer.getvalue()
