"""Batch throughput and memory, side by side with trafilatura in the same run.

    python benchmarks/throughput.py [--data FOLDER...] [--pages 10000] [--workers 1 2]
    make bench-throughput

The shared crawled pages are repeated, in order, until there are
``--pages`` of them, and written once as two JSONL inputs: the raw HTML,
and the visible-text form of each page (one block per line, as
``classifier.lines.html`` makes it). Then, one after the other, each as its own
process:

* ``python -m classifier batch`` on the text input and on the HTML input,
  with 1 and 2 worker processes, writing JSONL shards (the real command a
  user runs: reading, classifying with both models, writing); and with one
  process and ``--no-topics`` (cleaning only: what trafilatura does);
* trafilatura on the HTML input (``trafilatura.extract``, default
  settings), 1 and 2 processes, reading the same JSONL and writing the
  extracted text as JSONL.

"1 worker" runs are pinned to one CPU with one OpenMP thread. While each
process runs, its total resident memory (with its children) and the pages
written so far are sampled every 0.2 s: peak memory (the processes'
summed PSS, which counts pages shared by workers once, and their summed
RSS, which counts them once per process), and the curves of
throughput and memory against pages done (the PNG). Pages/s is pages over
wall time from process start to exit, model loading included.

Also measured: one warm ``predict()`` on the example page (median of 200
calls, one thread), the time each step of the models takes on the lines of
250 distinct shared pages (``step_times``), the shipped model files' size,
and with ``--fit`` the time to fit the default line, HTML and topic models
on the shared data.

Writes ``reports/bench-throughput.{json,md,png}``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import add_page_data_argument, write_report  # noqa: E402
from classifier.progress import say  # noqa: E402

EXAMPLE = ROOT / "examples" / "000_9194ea2d3ca4e63b.txt"
SAMPLE_SECONDS = 0.2
SHARD_SIZE = 250
# What issue 4 asks of the product; the report says met / not met for each.
GOALS = {"text_pages_per_second_1_core": 500, "warm_predict_ms": 5.0, "peak_memory_mb": 500,
         "model_files_mb": 30, "fit_seconds": 300}


def write_inputs(folders, n_pages: int, work: Path) -> dict:
    """The two JSONL inputs (HTML and visible text) of ``n_pages`` pages."""
    from classifier.lines.html import decode_html, html_to_blocks
    from training.datasets import page_folder_pages

    sources = [html for folder in folders for _, _, _, html, _ in page_folder_pages(Path(folder))]
    if not sources:
        raise SystemExit("no pages found in --data")
    converted = []
    for path in sources:
        data = path.read_bytes()
        text = "\n".join(block.text for block in html_to_blocks(data))
        converted.append((decode_html(data), text))
    paths = {"html": work / "pages-html.jsonl", "text": work / "pages-text.jsonl"}
    with open(paths["html"], "w") as html_out, open(paths["text"], "w") as text_out:
        for i in range(n_pages):
            html, text = converted[i % len(converted)]
            html_out.write(json.dumps({"id": str(i), "html": html}) + "\n")
            text_out.write(json.dumps({"id": str(i), "text": text}) + "\n")
    say(f"{n_pages} pages written from {len(sources)} distinct pages")
    return {name: str(path) for name, path in paths.items()}, len(sources)


def monitored(command: list[str], workers: int, out: Path, count_pages) -> dict:
    """Run ``command`` to completion, sampling its memory and progress."""
    import psutil

    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1"}
    pin = (lambda: os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})) if workers == 1 \
        else None
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, preexec_fn=pin, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    watched = psutil.Process(process.pid)
    samples = []
    main_peak = 0
    while process.poll() is None:
        pss, rss, main_pss = _tree_memory(watched, psutil)
        samples.append((time.perf_counter() - started, count_pages(out), pss / 2**20,
                        rss / 2**20))
        main_peak = max(main_peak, main_pss)
        time.sleep(SAMPLE_SECONDS)
    seconds = time.perf_counter() - started
    stderr = process.stderr.read()
    if process.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{stderr}")
    pages = count_pages(out)
    return {"pages": pages, "seconds": round(seconds, 2),
            "pages_per_second": round(pages / seconds, 1),
            "peak_memory_mb": round(max(s[2] for s in samples), 1) if samples else None,
            "peak_rss_sum_mb": round(max(s[3] for s in samples), 1) if samples else None,
            # The command's own process: with workers, the driver.
            "peak_main_process_mb": round(main_peak / 2**20, 1) if samples else None,
            "samples": thinned([[round(t, 2), p, round(m, 1), round(r, 1)]
                                for t, p, m, r in samples])}


#: Samples kept per run in the report: enough for the plot, not 5 a second.
KEPT_SAMPLES = 300


def thinned(samples: list, keep: int = KEPT_SAMPLES) -> list:
    """At most ``keep`` samples, evenly spaced, always with the first and last."""
    if len(samples) <= keep:
        return samples
    positions = np.linspace(0, len(samples) - 1, keep).round().astype(int)
    return [samples[i] for i in sorted(set(positions))]


def report_json(report: dict) -> str:
    """Indented JSON with each innermost list (a sample) on one line."""
    text = json.dumps(report, indent=2)
    return re.sub(r"\[\s*([^\[\]{}]*?)\s*\]",
                  lambda match: "[" + re.sub(r"\s+", " ", match.group(1)) + "]", text)


def _tree_memory(process, psutil) -> tuple[int, int, int]:
    """Memory of a process and its children, in bytes: the sum of their
    proportional set sizes (PSS: libraries and pages shared by several
    workers counted once), the sum of their RSS (shared pages counted
    once per process, so an overstatement for several workers), and the
    PSS of ``process`` alone."""
    pss = rss = main_pss = 0
    try:
        tree = [process] + process.children(recursive=True)
    except psutil.Error:
        return 0, 0, 0
    for member in tree:
        try:
            info = member.memory_full_info()
        except psutil.Error:  # a worker that just exited
            continue
        pss += getattr(info, "pss", info.rss)
        rss += info.rss
        if member is process:
            main_pss = getattr(info, "pss", info.rss)
    return pss, rss, main_pss


def count_shard_lines(out: Path) -> int:
    # Shards are renamed into place when complete, so counting their lines
    # counts pages written.
    total = 0
    for path in out.glob("part-*.jsonl"):
        with open(path, "rb") as handle:
            total += sum(1 for _ in handle)
    return total


def run_ours(inputs: dict, kind: str, workers: int, work: Path, topics: bool = True) -> dict:
    out = work / f"ours-{kind}-{workers}{'' if topics else '-no-topics'}"
    command = [sys.executable, "-m", "classifier", "batch", inputs[kind], "--out", str(out),
               "--workers", str(workers), "--shard-size", str(SHARD_SIZE), "--quiet"]
    if not topics:
        command.append("--no-topics")
    say(f"ours ({kind}{'' if topics else ', no topics'}), {workers} worker(s)")
    return monitored(command, workers, out, count_shard_lines)


def run_trafilatura(inputs: dict, workers: int, work: Path) -> dict:
    out = work / f"trafilatura-{workers}"
    command = [sys.executable, __file__, "--peer-worker", inputs["html"], str(out),
               str(workers)]
    say(f"trafilatura, {workers} process(es)")
    return monitored(command, workers, out, count_shard_lines)


def trafilatura_worker(input_path: str, out: str, workers: int) -> int:
    """The peer's batch: read the JSONL, extract, write JSONL in shards."""
    from multiprocessing import Pool

    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)

    def records():
        with open(input_path) as handle:
            for line in handle:
                record = json.loads(line)
                yield record["id"], record["html"]

    def shards():
        batch = []
        for record in records():
            batch.append(record)
            if len(batch) == SHARD_SIZE:
                yield batch
                batch = []
        if batch:
            yield batch

    with Pool(workers) as pool:
        for index, shard in enumerate(shards()):
            texts = pool.map(_extract, [html for _, html in shard], chunksize=16)
            temporary = out_dir / f".part-{index:05d}.tmp"
            with open(temporary, "w") as handle:
                for (page_id, _), text in zip(shard, texts):
                    handle.write(json.dumps({"id": page_id, "body": text}) + "\n")
            os.replace(temporary, out_dir / f"part-{index:05d}.jsonl")
    return 0


def _extract(html: str) -> str:
    import trafilatura

    try:
        return trafilatura.extract(html) or ""
    except Exception:  # a failure on one page is an empty extraction, as in extraction.py
        return ""


def warm_predict_ms() -> dict:
    from threadpoolctl import threadpool_limits

    import classifier

    clf = classifier.load()
    text = EXAMPLE.read_text()
    with threadpool_limits(1):
        for _ in range(10):
            clf.predict(text)
        timings = []
        for _ in range(200):
            started = time.perf_counter()
            clf.predict(text)
            timings.append((time.perf_counter() - started) * 1000)
    lines = sum(1 for line in text.splitlines() if line.strip())
    return {"page": EXAMPLE.name, "lines": lines, "median_ms": round(statistics.median(timings), 2),
            "p90_ms": round(sorted(timings)[int(0.9 * len(timings))], 2)}


#: Distinct shared pages whose lines are timed step by step (spread over the sets).
STEP_PAGES = 250


def step_times(folders, n_pages: int = STEP_PAGES) -> dict:
    """Where the time goes: each step of the shipped models on the lines of
    ``n_pages`` distinct shared pages, one thread, in the model's own passes
    of whole pages (``page_runs``), best of three.

    Line-model steps in µs per line: each feature block (text features and
    layout features, nested unions one level down), the first stage, the
    second stage's inputs and its trees; the HTML model's without the text
    layout features that the text model, which scores an HTML page's lines
    too, gives it (``classifier.lines.blend``). Per page: the HTML conversion and
    the topic model on the page's body (as the HTML model finds it).
    """
    from sklearn.pipeline import FeatureUnion
    from threadpoolctl import threadpool_limits

    import classifier
    from classifier.lines.blend import shared_text_layout
    from classifier.lines.dom import dom_columns
    from classifier.lines.html import html_to_block_rows
    from classifier.lines.model import page_runs
    from classifier.lines.table import line_table
    from training.datasets import page_folder_pages

    sources = [html for folder in folders for _, _, _, html, _ in page_folder_pages(Path(folder))]
    pages = [path.read_bytes() for path in sources[::max(1, len(sources) // n_pages)][:n_pages]]
    clf = classifier.load()

    def best_of_three(function) -> float:
        seconds = []
        for _ in range(3):
            started = time.perf_counter()
            function()
            seconds.append(time.perf_counter() - started)
        return min(seconds)

    def blocks_of(features, whole_name: str, prefix: str = "", shared=None) -> list:
        """(name, block) of each feature block: a FeatureUnion's parts, named
        by their path in nested unions, or the features whole; not the
        ``shared`` part (computed by the other model)."""
        if not isinstance(features, FeatureUnion):
            return [(whole_name, features)]
        found = []
        for name, part in features.transformer_list:
            if part is shared:
                continue
            found += (blocks_of(part, whole_name, f"{prefix}{name}/")
                      if isinstance(part, FeatureUnion) else [(f"{prefix}{name}", part)])
        return found

    def line_model_steps(model, table, shared=None) -> dict:
        runs = list(page_runs(table))
        totals = {}

        def add(step, function):
            totals[step] = totals.get(step, 0.0) + best_of_three(function)

        for run, run_bounds in runs:
            for kind, union in (("text", model.text_features_), ("layout", model.layout_features_)):
                for name, block in blocks_of(union, "words" if kind == "text" else "all",
                                             shared=shared):
                    add(f"{kind}: {name}", lambda: block.transform(run))
            text = model.text_features_.transform(run)
            layout = model.layout_features_.transform(run).astype(np.float32)
            first = model._first_stage_proba(text, layout)
            inputs = model._second_stage_inputs(layout, first, run_bounds)
            add("first stage", lambda: model._first_stage_proba(text, layout))
            add("second stage: inputs", lambda: model._second_stage_inputs(layout, first,
                                                                          run_bounds))
            add("second stage: trees", lambda: model._second_stage_proba(inputs))
        return {step: round(seconds / len(table) * 1e6, 2) for step, seconds in totals.items()}

    with threadpool_limits(1):
        conversion = best_of_three(lambda: [html_to_block_rows(page) for page in pages])
        # As predict builds them: Python strings, not pandas' Arrow strings.
        html_table = line_table(dom_columns([html_to_block_rows(page) for page in pages]))
        text_table = html_table[["text", "page"]]
        bodies = ["\n".join(line.text for line in page.lines if line.is_body)
                  for page in clf.predict_html_many(pages)]
        bodies = [body for body in bodies if body.strip()]
        topic = (best_of_three(lambda: clf.topic_model.predict_proba(bodies))
                 if clf.topic_model is not None and bodies else None)
        return {"pages": len(pages), "lines": len(html_table),
                "conversion_ms_per_page": round(conversion / len(pages) * 1000, 2),
                "topic_ms_per_page": (round(topic / len(bodies) * 1000, 2)
                                      if topic is not None else None),
                "text": line_model_steps(clf.line_model, text_table),
                "html": (line_model_steps(clf.html_model, html_table,
                                          shared_text_layout(clf.html_model, clf.line_model)
                                          if clf.html_weight < 1.0 else None)
                         if clf.html_model is not None else {}),
                "html_weight": clf.html_weight}


def model_files_mb() -> float:
    from classifier.store import default_models_dir, read_manifest

    folder = default_models_dir()
    manifest = read_manifest(folder)
    return round(sum((folder / e["file"]).stat().st_size for e in manifest["models"].values())
                 / 2**20, 1)


def fit_seconds(folders, bbc: str) -> dict:
    """Time to fit each default model on the shared data (line tables cached)."""
    from training.datasets import load_line_data
    from training.lines import fit_line_model
    from training.topic_data import load_topic_data
    from training.topics import fit_topic_model

    lines = load_line_data(folders, ROOT / ".cache")
    times = {}
    for kind, name in (("text", "line_model"), ("html", "html_model")):
        started = time.perf_counter()
        fit_line_model(lines, progress=lambda message: None, kind=kind)
        times[name] = round(time.perf_counter() - started, 1)
    data = load_topic_data([bbc])
    started = time.perf_counter()
    fit_topic_model(data)
    times["topic_model"] = round(time.perf_counter() - started, 1)
    return times


def plot(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (speed, memory) = plt.subplots(1, 2, figsize=(11, 4.2))
    for name, run in report["runs"].items():
        points = [(p, p / t, m) for t, p, m, _ in run["samples"] if p and t]
        if not points:
            continue
        pages, rates, rss = zip(*points)
        speed.plot(pages, rates, label=name)
        memory.plot(pages, rss, label=name)
    speed.set(xlabel="pages done", ylabel="pages/s (since start)", title="Throughput")
    memory.set(xlabel="pages done", ylabel="memory, MB (PSS of the process tree)",
               title="Memory")
    speed.legend(fontsize=8)
    figure.suptitle(f"{report['pages']} pages, {report['measured']}", fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def markdown(report: dict) -> str:
    rows = [f"Measured {report['measured']} ({report['machine']}) on {report['pages']:,} pages "
            f"(the {report['distinct_pages']:,} shared pages repeated). Ratio = our pages/s ÷ "
            "trafilatura's with the same number of processes (higher is faster).", "",
            "| run | processes | pages/s | vs trafilatura | peak memory, PSS (MB) | "
            "peak RSS, summed (MB) | of which the command's process, PSS (MB) |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    for name, run in report["runs"].items():
        peer = report["runs"].get(f"trafilatura, {run['workers']}w")
        ratio = (f"{run['pages_per_second'] / peer['pages_per_second']:.2f}×"
                 if peer and not name.startswith("trafilatura") else "–")
        rows.append(f"| {run['label']} | {run['workers']} | {run['pages_per_second']:,.1f} | "
                    f"{ratio} | {run['peak_memory_mb']:,.0f} | {run['peak_rss_sum_mb']:,.0f} | "
                    f"{_mb(run.get('peak_main_process_mb'))} |")
    steps = report.get("steps")
    if steps:
        rows += ["", f"Where the time goes (one thread, the {steps['lines']:,} lines of "
                 f"{steps['pages']} distinct shared pages): HTML conversion "
                 f"{steps['conversion_ms_per_page']} ms/page, topic model "
                 f"{steps['topic_ms_per_page']} ms/page (on the body), and per line:", "",
                 "| line model step | text model, µs/line | HTML model, µs/line |",
                 "|---|---:|---:|"]
        for step in dict.fromkeys([*steps["text"], *steps["html"]]):
            cells = [f"{steps[kind][step]:.1f}" if step in steps[kind] else "–"
                     for kind in ("text", "html")]
            rows.append(f"| {step} | {cells[0]} | {cells[1]} |")
        rows.append(f"| total | {sum(steps['text'].values()):.1f} | "
                    f"{sum(steps['html'].values()):.1f} |")
        if steps.get("html_weight", 1.0) < 1.0:  # (both models score an HTML page)
            rows.append(f"| HTML path: both models | – | "
                        f"{sum(steps['text'].values()) + sum(steps['html'].values()):.1f} |")
    rows += ["", "| goal | target | measured | met |", "|---|---:|---:|:-:|"]
    for goal in report["goals"]:
        rows.append(f"| {goal['what']} | {goal['target']} | {goal['measured']} | "
                    f"{'yes' if goal['met'] else 'no'} |")
    return "\n".join(rows)


def _mb(value) -> str:
    # Reports written before the column existed have no value for it.
    return "–" if value is None else f"{value:,.0f}"


def goals(report: dict) -> list[dict]:
    text_1 = report["runs"].get("ours (text), 1w", {}).get("pages_per_second")
    peak = max(run["peak_memory_mb"] for name, run in report["runs"].items()
               if name.startswith("ours"))
    one_process = max((run["peak_rss_sum_mb"] for name, run in report["runs"].items()
                       if name.startswith("ours") and run["workers"] == 1), default=None)
    checks = [("text path, pages/s on one core", f"≥ {GOALS['text_pages_per_second_1_core']}",
               text_1, text_1 is not None and text_1 >= GOALS["text_pages_per_second_1_core"]),
              ("one warm predict(), ms", f"< {GOALS['warm_predict_ms']}",
               report["warm_predict"]["median_ms"],
               report["warm_predict"]["median_ms"] < GOALS["warm_predict_ms"]),
              ("peak RSS of a one-process batch run, MB", f"< {GOALS['peak_memory_mb']}",
               one_process, one_process is not None and one_process < GOALS["peak_memory_mb"]),
              ("peak memory (PSS) of any batch run, MB", f"< {GOALS['peak_memory_mb']}", peak,
               peak < GOALS["peak_memory_mb"]),
              ("shipped model files, MB", f"< {GOALS['model_files_mb']}",
               report["model_files_mb"], report["model_files_mb"] < GOALS["model_files_mb"])]
    if report.get("fit_seconds"):
        total = round(report["fit_seconds"]["line_model"] + report["fit_seconds"]["topic_model"],
                      1)
        checks.append(("fit line + topic models, s", f"< {GOALS['fit_seconds']}", total,
                       total < GOALS["fit_seconds"]))
    return [{"what": w, "target": t, "measured": m, "met": bool(ok)} for w, t, m, ok in checks]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_page_data_argument(parser)
    parser.add_argument("--pages", type=int, default=10_000, help="pages per run")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--no-peer", action="store_true", help="skip trafilatura")
    parser.add_argument("--fit", metavar="BBC_FOLDER",
                        help="also time fitting the default models (topic data: BBC folder)")
    parser.add_argument("--out", default=str(ROOT / "reports" / "bench-throughput"),
                        help="report path without suffix (.json, .md, .png are written)")
    parser.add_argument("--peer-worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.peer_worker:
        input_path, out, workers = args.peer_worker
        return trafilatura_worker(input_path, out, int(workers))

    report = {"measured": time.strftime("%Y-%m-%d %H:%M %Z"),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                         f"Python {platform.python_version()}",
              "pages": args.pages, "runs": {}}
    with tempfile.TemporaryDirectory(prefix="bench-throughput-") as work:
        work = Path(work)
        inputs, report["distinct_pages"] = write_inputs(args.data, args.pages, work)
        for workers in args.workers:
            for kind in ("text", "html"):
                run = run_ours(inputs, kind, workers, work)
                report["runs"][f"ours ({kind}), {workers}w"] = {
                    **run, "label": f"ours, {kind} input", "workers": workers}
            if workers == 1:  # cleaning only, as trafilatura: one process is enough
                for kind in ("text", "html"):
                    run = run_ours(inputs, kind, workers, work, topics=False)
                    report["runs"][f"ours ({kind}, no topics), {workers}w"] = {
                        **run, "label": f"ours, {kind} input, no topics", "workers": workers}
            if not args.no_peer:
                run = run_trafilatura(inputs, workers, work)
                report["runs"][f"trafilatura, {workers}w"] = {
                    **run, "label": "trafilatura, HTML input", "workers": workers}
    report["warm_predict"] = warm_predict_ms()
    say("timing each step of the models")
    report["steps"] = step_times(args.data)
    report["model_files_mb"] = model_files_mb()
    if args.fit:
        say("fitting the default models")
        report["fit_seconds"] = fit_seconds(args.data, args.fit)
    report["goals"] = goals(report)

    out = Path(args.out)
    write_report(out, report, markdown(report), json_text=report_json(report))
    plot(report, out.with_suffix(".png"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
