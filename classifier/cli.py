"""Command line.

``python -m classifier predict FILE... [-] [--json] [--html] [--no-topics]``
classifies a few pages and prints them. Plain mode prints each page's body
text and a ``topic: <label> (<p>)`` line (``topic: none (<reason>)`` when
the topic model abstains; no line with ``--no-topics``, which cleans only); ``--json`` prints one JSON object per page (JSON Lines) with
every line's label and score. ``-`` reads a page from standard input. Exit
status is 0 when every page was classified, 1 when some input could not be
read (the others are still printed), 2 for usage errors, 130 when
interrupted.

``python -m classifier batch INPUT... --out OUT`` classifies many pages
(folders, JSONL, WARC/WET) into sharded output; see :mod:`classifier.batch`.
Exit status 0 when every page was classified, 1 when some were reported
unreadable (listed in ``OUT/errors-*.jsonl``), 2 for usage errors (and
bad models or settings), 3 when the machine stopped the run (the output
not writable, the disk full, a worker process killed, memory exhausted;
fix the cause and run it again to resume), 130 when interrupted (Ctrl-C;
run it again to resume).
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import BrokenExecutor

from .batch import DEFAULT_SHARD_SIZE, FORMATS, run_batch
from .errors import ClassifierError, InputError
from .lines.blend_weight import HTML_MODEL_WEIGHT, checked_html_weight
from .page_bytes import decode_text_page


class DefaultsShown(argparse.ArgumentDefaultsHelpFormatter):
    """``--help`` shows each option's default, except where there is none
    to show (no value, a flag off, an empty list)."""

    def _get_help_string(self, action):
        if action.default in (None, False, []) or action.default is argparse.SUPPRESS:
            return action.help
        return super()._get_help_string(action)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m classifier",
                                     description="Clean scraped pages and sort them by topic.")
    commands = parser.add_subparsers(dest="command", required=True)
    predict = commands.add_parser("predict", help="classify the lines and topic of pages",
                                  formatter_class=DefaultsShown)
    predict.add_argument("files", nargs="+", metavar="FILE",
                         help="page files (visible text, one block per line); - for stdin")
    predict.add_argument("--json", action="store_true",
                         help="print JSON Lines: every line with label and score")
    predict.add_argument("--html", action="store_true", help="the files are raw HTML")
    _html_weight_argument(predict)
    _topic_argument(predict)
    _model_arguments(predict)

    batch = commands.add_parser(
        "batch", help="classify many pages into sharded JSONL or Parquet output",
        description="Classify every page of the inputs into OUT/part-NNNNN.<format> shards. "
                    "Run the same command again to resume an interrupted run.",
        formatter_class=DefaultsShown)
    batch.add_argument("inputs", nargs="+", metavar="INPUT",
                       help="folders of .txt/.html pages, .jsonl(.gz) files (one page per "
                            "record: id, text or html, url), .warc/.wet(.gz) files")
    batch.add_argument("--out", required=True, metavar="OUT", help="output folder")
    batch.add_argument("--format", choices=FORMATS, default="jsonl", help="shard file format")
    batch.add_argument("--html", action="store_true",
                       help="read .txt files and JSONL 'text' fields as HTML")
    batch.add_argument("--workers", type=_positive, default=1, metavar="N",
                       help="worker processes")
    batch.add_argument("--shard-size", type=_positive, default=DEFAULT_SHARD_SIZE, metavar="N",
                       help="pages per output shard")
    batch.add_argument("--scheduler", metavar="ADDRESS",
                       help="run on a Dask cluster (tcp://host:8786), or 'local' for a "
                            "LocalCluster of --workers processes")
    batch.add_argument("--site-templates", action="store_true",
                       help="lines a site repeats across its pages in a shard count as "
                            "template (pages need a url: JSONL 'url', WARC target URI)")
    batch.add_argument("--quiet", action="store_true", help="no progress bar")
    _html_weight_argument(batch)
    _topic_argument(batch)
    _model_arguments(batch)
    return parser


def _model_arguments(parser) -> None:
    parser.add_argument("--models", metavar="DIR",
                        help="models folder (without it: the shipped models)")
    parser.add_argument("--trust-models", action="store_true",
                        help="allow loading --models DIR: model files are pickles and can "
                             "run code, so only for folders you made or trust")


def _html_weight_argument(parser) -> None:
    parser.add_argument("--html-weight", type=_share, metavar="W",
                        help="from HTML, the HTML line model's share of a line's score, the "
                             f"rest the text line model's (default {HTML_MODEL_WEIGHT}; 1: the "
                             "HTML model alone, faster)")


def _share(value: str) -> float:
    try:
        share = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    try:
        return checked_html_weight(share)  # (NaN too is refused)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _topic_argument(parser) -> None:
    parser.add_argument("--no-topics", dest="topics", action="store_false",
                        help="clean only: label the lines, no topic model (faster, less "
                             "memory)")


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}")
    return number


def _read(name: str, html: bool, limits):
    """A page file's content, read no further than a page within ``limits``
    can be (+1 byte): a huge file, a sparse one or an endless stdin is
    refused without being held in memory."""
    # UTF-8 takes at most 4 bytes a character.
    most = limits.max_html_bytes if html else 4 * limits.max_page_chars
    if name == "-":
        data = sys.stdin.buffer.read(most + 1)
    else:
        with open(name, "rb") as handle:
            data = handle.read(most + 1)
    if len(data) > most:
        limit = (f"the limit of {limits.max_html_bytes:,} bytes of HTML" if html else
                 f"the {most:,} bytes that {limits.max_page_chars:,} characters can take")
        raise InputError(f"over {limit}; split it, or raise the limit with "
                         "classifier.load(limits=Limits(...))")
    return data if html else decode_text_page(data)


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "batch":
        return _batch(args)
    try:
        return _predict(args)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130


def _predict(args) -> int:
    try:
        from .api import load  # not at the top: batch runs with workers do without it

        weight = {} if args.html_weight is None else {"html_weight": args.html_weight}
        clf = load(args.models, trusted=args.trust_models, topics=args.topics, **weight)
    except ClassifierError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    status = 0
    for name in args.files:
        try:
            data = _read(name, args.html, clf.limits)
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
            if args.topics:
                if page.topic is not None:
                    print(f"topic: {page.topic} ({page.topic_scores[page.topic]:.2f})")
                else:
                    print(f"topic: none ({page.topic_reason})")
    return status


#: Exit status of a batch run stopped by the machine rather than the pages
#: (output not writable, disk full, a worker lost, memory exhausted).
OPERATIONAL_FAILURE = 3


def _operational_failure(error: BaseException) -> str:
    if isinstance(error, BrokenExecutor):
        return "a worker process died (killed, or out of memory)"
    if isinstance(error, MemoryError):
        return "out of memory"
    where = f" ({error.filename})" if getattr(error, "filename", None) else ""
    return f"{error.strerror or error}{where}"


def _batch(args) -> int:
    try:
        summary = run_batch(args.inputs, args.out, html=args.html, output_format=args.format,
                            shard_size=args.shard_size, workers=args.workers,
                            scheduler=args.scheduler, models=args.models,
                            trusted=args.trust_models, progress=not args.quiet,
                            site_templates=args.site_templates, topics=args.topics,
                            html_weight=args.html_weight,
                            freeze_loaded=True)  # this process exists for the run
    except ClassifierError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (OSError, MemoryError, BrokenExecutor) as error:
        # The machine, not the pages: the output cannot be written (read
        # only, disk full), a worker process died (killed, out of memory),
        # memory ran out. Shards finished so far are kept.
        print(f"error: {_operational_failure(error)}; the shards finished so far in "
              f"{args.out} are kept: fix the cause and run the same command again to resume",
              file=sys.stderr)
        return OPERATIONAL_FAILURE
    except KeyboardInterrupt:
        # Finished shards are on disk and shards in progress are temporary
        # files, removed by the next run: nothing to repair.
        print(f"\ninterrupted: run the same command again to resume (the shards finished "
              f"so far in {args.out} are kept)", file=sys.stderr)
        return 130
    print(f"{summary['pages_this_run']:,} pages classified in {summary['seconds']:.1f} s "
          f"({summary['pages_per_second'] or 0:,.1f} pages/s) into {summary['output']}; "
          f"{summary['shards_written']} shards written, {summary['shards_resumed']} already done "
          f"({summary['pages']:,} pages in all)", file=sys.stderr)
    if summary["unreadable"]:
        print(f"{summary['unreadable']:,} pages unreadable or refused: see "
              f"{summary['output']}/errors-*.jsonl", file=sys.stderr)
    if summary["duplicate_ids"]:
        # Every page was written: a warning, not a failure.
        print(f"{summary['duplicate_ids']:,} page ids are on more than one row: see "
              f"{summary['output']}/duplicate-ids.jsonl", file=sys.stderr)
    return 1 if summary["unreadable"] else 0
