"""Per-page time of this checkout against an earlier revision, in one run.

    python benchmarks/against_revision.py --rev REV [--data FOLDER...] [--pages 2000]
    make bench-budget

A budget such as "per-page time at most 1.5x that of revision R" cannot be
judged from two runs of ``benchmarks/throughput.py``: this shared machine's
speed moves between runs (the same text model's step profile took 5.2 µs
a line in one run and 6.7 in another). So both take turns here, on the
same inputs, in the same minutes: R's tree (``git archive``, its compiled
parts built in place, its own shipped models) and this checkout each run
``python -m classifier batch`` on the text input and on the HTML input
(the JSONL inputs of ``throughput.py``), one process pinned to one core
with one OpenMP thread, ``--rounds`` times in turn. Reported: the median
milliseconds per page (wall time, start-up and model loading included) of
each, and this checkout's time over R's.

Writes ``reports/bench-budget.{json,md}``.
"""

from __future__ import annotations

import argparse
import os
import platform
import site
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import add_page_data_argument, write_report  # noqa: E402
from benchmarks.throughput import SHARD_SIZE, count_shard_lines, write_inputs  # noqa: E402
from classifier.progress import say  # noqa: E402

#: The issue's budget: this checkout's per-page time over the revision's.
BUDGET = 1.5
KINDS = ("text", "html")


#: Builds the extensions a revision's setup.py declares, in place, without
#: the rest of its setup: an older pyproject.toml may not pass today's
#: setuptools' checks (its metadata is not needed to build).
_BUILD_IN_PLACE = """
import setuptools
declared = {}
setuptools.setup = lambda **options: declared.update(options)
exec(compile(open("setup.py").read(), "setup.py", "exec"), {"__name__": "__main__"})
build = setuptools.Distribution({"ext_modules": declared.get("ext_modules", []),
                                 "packages": [], "py_modules": [], "script_name": "setup.py",
                                 "script_args": ["-q", "build_ext", "--inplace"]})
build.parse_command_line()
build.run_commands()
"""


def exported_revision(revision: str, into: Path) -> Path:
    """``revision``'s files (this repository's) under ``into``, its compiled
    parts built in place (without them its pure-Python fallbacks would run,
    slower: no fair comparison)."""
    tree = into / "revision"
    tree.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", revision],
                             capture_output=True)
    if archive.returncode != 0:
        raise SystemExit(f"git archive {revision} failed: {archive.stderr.decode().strip()}")
    archive_path = into / "revision.tar"
    archive_path.write_bytes(archive.stdout)
    with tarfile.open(archive_path) as files:
        files.extractall(tree, filter="data")
    archive_path.unlink()
    built = subprocess.run([sys.executable, "-c", _BUILD_IN_PLACE], cwd=tree,
                           capture_output=True, text=True)
    if built.returncode != 0:
        raise SystemExit(f"building {revision}'s compiled parts failed:\n{built.stderr}")
    return tree


def timed_batch(tree: Path, input_path: str, out: Path) -> tuple[float, int]:
    """(seconds, pages written) of one ``classifier batch`` run of the package
    in ``tree`` (run from there, so that its ``classifier`` is imported),
    pinned to one core with one OpenMP thread."""
    # -S: no site initialisation, so no .pth file runs; an editable install
    # of this checkout would otherwise lend the revision any module it lacks.
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(tree), *site.getsitepackages()])}
    command = [sys.executable, "-S", "-m", "classifier", "batch", input_path, "--out", str(out),
               "--workers", "1", "--shard-size", str(SHARD_SIZE), "--quiet"]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True,
                          preexec_fn=lambda: os.sched_setaffinity(
                              0, {min(os.sched_getaffinity(0))}))
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} in {tree} failed ({done.returncode}):\n"
                         f"{done.stderr}")
    return seconds, count_shard_lines(out)


def compare(revision: str, folders, n_pages: int, rounds: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-budget-") as work:
        work = Path(work)
        say(f"exporting {revision} and building its compiled parts")
        trees = {"revision": exported_revision(revision, work), "this checkout": ROOT}
        inputs, distinct = write_inputs(folders, n_pages, work)
        seconds = {(name, kind): [] for name in trees for kind in KINDS}
        for round_number in range(1, rounds + 1):
            for kind in KINDS:
                for name, tree in trees.items():
                    say(f"round {round_number} of {rounds}: {name}, {kind} input")
                    out = work / f"out-{len(seconds[name, kind])}-{kind}-{name.replace(' ', '-')}"
                    took, pages = timed_batch(tree, inputs[kind], out)
                    if pages != n_pages:
                        raise SystemExit(f"{name} wrote {pages} of {n_pages} pages ({kind})")
                    seconds[name, kind].append(took)
    results = {}
    for kind in KINDS:
        per_page = {name: round(statistics.median(seconds[name, kind]) / n_pages * 1000, 3)
                    for name in trees}
        ratio = round(per_page["this checkout"] / per_page["revision"], 2)
        results[kind] = {"ms_per_page": per_page, "ratio": ratio,
                         "budget": BUDGET, "met": ratio <= BUDGET,
                         "seconds": {name: [round(s, 2) for s in seconds[name, kind]]
                                     for name in trees}}
    return {"distinct_pages": distinct, "results": results}


def markdown(report: dict) -> str:
    rows = [f"Measured {report['measured']} ({report['machine']}): {report['pages']:,} pages "
            f"(of {report['distinct_pages']:,} distinct shared pages, repeated if fewer), "
            f"`classifier batch` on one core, median of {report['rounds']} runs each, taken "
            f"in turn; revision {report['revision']} ({report['revision_commit']}) against this "
            f"checkout ({report['commit']}).", "",
            "| input | revision, ms/page | this checkout, ms/page | ratio | budget | met |",
            "|---|---:|---:|---:|---:|:-:|"]
    for kind, entry in report["results"].items():
        times = entry["ms_per_page"]
        rows.append(f"| {kind} | {times['revision']:.2f} | {times['this checkout']:.2f} | "
                    f"{entry['ratio']:.2f}× | ≤ {entry['budget']}× | "
                    f"{'yes' if entry['met'] else 'no'} |")
    return "\n".join(rows)


def _commit(revision: str) -> str:
    done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", revision],
                          capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def _checkout() -> str:
    """This checkout's commit, marked when its files differ from it."""
    changed = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain",
                              "--untracked-files=no"], capture_output=True, text=True)
    return _commit("HEAD") + (" with uncommitted changes" if changed.stdout.strip() else "")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rev", required=True, help="the git revision to compare against")
    add_page_data_argument(parser)
    parser.add_argument("--pages", type=int, default=2_000, help="pages per run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each, in turn")
    parser.add_argument("--out", default=str(ROOT / "reports" / "bench-budget"),
                        help="report path without suffix (.json and .md are written)")
    args = parser.parse_args(argv)
    if args.pages < 1 or args.rounds < 1:
        parser.error("--pages and --rounds must be at least 1")
    report = {"measured": time.strftime("%Y-%m-%d %H:%M %Z"),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                         f"Python {platform.python_version()}",
              "revision": args.rev, "revision_commit": _commit(args.rev),
              "commit": _checkout(), "pages": args.pages, "rounds": args.rounds,
              **compare(args.rev, args.data, args.pages, args.rounds)}
    write_report(Path(args.out), report, markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
