"""Command line: ``python -m classifier predict FILE... [-] [--json] [--html]``.

Plain mode prints each page's body text and a ``topic: <label> (<p>)`` line;
``--json`` prints one JSON object per page (JSON Lines) with every line's
label and score. ``-`` reads a page from standard input. Exit status is 0
when every page was classified, 1 when some input could not be read (the
others are still printed), 2 for usage errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .api import load
from .errors import ClassifierError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m classifier",
                                     description="Clean scraped pages and sort them by topic.")
    commands = parser.add_subparsers(dest="command", required=True)
    predict = commands.add_parser("predict", help="classify the lines and topic of pages")
    predict.add_argument("files", nargs="+", metavar="FILE",
                         help="page files (visible text, one block per line); - for stdin")
    predict.add_argument("--json", action="store_true",
                         help="print JSON Lines: every line with label and score")
    predict.add_argument("--html", action="store_true", help="the files are raw HTML")
    predict.add_argument("--models", metavar="DIR", help="models folder (default: shipped)")
    predict.add_argument("--trust-models", action="store_true",
                         help="allow loading --models DIR: model files are pickles and can "
                              "run code, so only for folders you made or trust")
    return parser


def _read(name: str, html: bool):
    if name == "-":
        data = sys.stdin.buffer.read()
    else:
        data = Path(name).read_bytes()
    # Text pages are decoded tolerantly: a stray invalid byte must not lose the page.
    return data if html else data.decode("utf-8", errors="replace")


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        clf = load(args.models, trusted=args.trust_models)
    except ClassifierError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    status = 0
    for name in args.files:
        try:
            data = _read(name, args.html)
            page = clf.predict_html(data) if args.html else clf.predict(data)
        except (OSError, ClassifierError) as error:
            print(f"error: {name}: {error}", file=sys.stderr)
            status = 1
            continue
        if args.json:
            print(json.dumps({"file": name, **page.to_dict()}, ensure_ascii=False))
        else:
            if len(args.files) > 1:
                print(f"==> {name} <==")
            print(page.body)
            if page.topic is None:
                print("topic: none (no body text)")
            else:
                print(f"topic: {page.topic} ({page.topic_scores[page.topic]:.2f})")
    return status
