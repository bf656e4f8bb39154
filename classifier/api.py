"""The public entry point: models in, classified pages out."""

from __future__ import annotations

import threading
from itertools import compress
from pathlib import Path

import numpy as np

from .errors import InputError, ModelError
from .limits import Limits
from .lines.blend import (
    HTML_MODEL_WEIGHT,
    blended_body_proba,
    checked_html_weight,
    shared_text_layout,
)
from .lines.body import body_mask
from .lines.dom import container_ids, dom_columns
from .lines.html import TooManyBlocks, html_to_block_rows
from .lines.model import BODY, BOILERPLATE
from .lines.table import LineTable
from .lines.templates import adjust_scores, sibling_shares
from .page import Line, Page, line_dicts, page_dict, rounded_scores
from .page_bytes import not_a_page_reason
from .pipelines import pipeline_proba
from .store import (
    HTML_MODEL,
    LINE_MODEL,
    TOPIC_MODEL,
    checked_model_path,
    default_models_dir,
    load_model_file,
    manifest_entry,
    read_manifest,
)
from .text import more_non_blank_lines_than, split_lines
from .topics.abstention import NO_BODY, Abstention, topics_with_reasons, word_vocabulary
from .topics.model import top_topics

#: A line's label by whether it is body.
_LABELS = (BOILERPLATE, BODY)


class _ModelOnFirstUse:
    """A checked model file, to be unpickled when first needed (its bytes
    checked against ``sha256`` again then)."""

    def __init__(self, path: Path, sha256: str, name: str):
        self.path = path
        self.sha256 = sha256
        self.name = name

    def load(self):
        return load_model_file(self.path, self.sha256, self.name)


#: (One for all classifiers: a lock would make a Classifier unpicklable.)
_html_model_lock = threading.Lock()


class Classifier:
    """A line model and a topic model, used together on whole pages.

    Blank lines (empty or whitespace only) are not classified: they carry no
    text, and the line model would learn nothing from them. Every non-blank
    input line maps to exactly one :class:`Line` in ``page.lines``, in input
    order, with ``Line.index`` its position in the input counting blank
    lines. Line text is kept with surrounding whitespace stripped.

    Pages over the size ``limits`` (:class:`~classifier.limits.Limits`) are
    refused with :class:`InputError` before any work is done.

    From HTML with an ``html_model``, a line's score is ``html_weight`` of
    the HTML model's plus the rest of the text line model's
    (:func:`~classifier.lines.blend.blended_html_scores`; 1.0: the HTML
    model alone).
    """

    def __init__(self, line_model, topic_model=None, manifest: dict | None = None,
                 threshold: float | None = None, limits: Limits | None = None,
                 html_model=None, abstention: Abstention | None = None,
                 html_weight: float = HTML_MODEL_WEIGHT):
        if line_model is None:
            raise ModelError("a line model is required")
        if limits is not None and not isinstance(limits, Limits):
            raise TypeError(f"limits must be a classifier.Limits, not {type(limits).__name__}")
        self.line_model = line_model
        self.topic_model = topic_model
        self._html_model = html_model
        self.manifest = manifest or {}
        self.threshold = getattr(line_model, "threshold", 0.5) if threshold is None else threshold
        self.html_weight = checked_html_weight(html_weight)
        self.limits = limits or Limits()
        #: When the topic model gives no topic (``None``: it always does).
        self.abstention = abstention
        self._vocabulary = None
        self._shared_layout = None  # (HTML model, text model, their shared part)

    @property
    def html_model(self):
        """The line model of HTML pages (DOM features), or ``None``.

        Loaded from its folder (``load``) when first needed: a run that
        reads only text never unpickles it (~0.1 s and ~13 MB RSS for the
        shipped one); its file's sha256 was checked at ``load``."""
        model = self._html_model
        if isinstance(model, _ModelOnFirstUse):
            with _html_model_lock:
                model = self._html_model
                if isinstance(model, _ModelOnFirstUse):
                    model = self._html_model = model.load()
        return model

    @html_model.setter
    def html_model(self, model):
        self._html_model = model

    # -- text input -------------------------------------------------------
    def predict(self, text) -> Page:
        """Classify one page given as text (one block per line) or a list of lines."""
        return self.predict_many([text])[0]

    def predict_many(self, texts, sites=None) -> list[Page]:
        """Classify many pages, each model making one pass over the lines of
        ``PAGES_PER_PASS`` pages at a time (vectorised across pages; the
        groups only bound the memory a big list needs).

        ``sites``, optional, gives each page's site (e.g. ``site_of(url)``
        from :mod:`classifier.lines.templates`; ``None`` or ``""`` when unknown).
        Then a line that recurs on other pages of its site in this call is
        taken as site template: its P(body) is lowered by the share of the
        site's other pages that repeat it (for sites with at least
        ``MIN_SITE_PAGES`` pages here). Under site-grouped CV this raised
        Dragnet page text F1 from 0.872 to 0.889 (``make bench-templates``,
        run while Dragnet's gold still held reader comments).
        With ``sites``, each site's pages are scored in the same pass (in
        input order within it), so a pass can exceed ``PAGES_PER_PASS``
        pages when one site has more.
        """
        return self._predict_many(texts, sites, as_dicts=False)

    def predict_many_as_dicts(self, texts, sites=None) -> list[dict]:
        """``[page.to_dict() for page in self.predict_many(texts, sites)]``,
        without making the Page and Line objects (a Line per line, read back
        into a dict, was ~4 % of a batch run, which writes the dicts;
        ``classifier.batch``)."""
        return self._predict_many(texts, sites, as_dicts=True)

    def _predict_many(self, texts, sites, as_dicts: bool) -> list:
        method = "predict_many_as_dicts" if as_dicts else "predict_many"
        texts = self._page_list(texts, method, "predict")
        sites = self._site_list(sites, len(texts))
        pages_lines = []
        for number, text in enumerate(texts):
            where = _page_name(number, len(texts))
            if isinstance(text, str):
                self.limits.check_text_size(len(text), where)
                if more_non_blank_lines_than(text, self.limits.max_lines):
                    self.limits.check_line_count(None, where)
            lines = split_lines(text)
            if not isinstance(text, str):
                self.limits.check_text_size(sum(map(len, lines)), where)
            pages_lines.append(lines)
        return _in_groups(len(texts), sites, lambda group, group_sites: self._classify(
            [pages_lines[number] for number in group], group, len(texts), group_sites,
            as_dicts), PAGES_PER_PASS)

    # -- HTML input -------------------------------------------------------
    def predict_html(self, html, url: str | None = None) -> Page:
        """Classify a page given as HTML (``str`` or raw ``bytes``).

        The page is turned into visible-text blocks by the same conversion
        the line models' training data went through (:mod:`classifier.lines.html`),
        one ``Line`` per block in document order (``Line.index`` counts
        blocks). With an HTML line model (``html_model``) each block is
        judged by its text *and* its place in the DOM, that score blended
        with the text line model's (``html_weight``); without one, by the
        text line model alone. Binary data (a PDF, an image, an archive, or bytes
        that are mostly control characters) raises :class:`InputError`
        saying what it looks like. ``url`` is accepted for future
        site-aware features and ignored now.
        """
        return self.predict_html_many([html])[0]

    def predict_html_many(self, htmls, sites=None) -> list[Page]:
        """Classify many HTML pages, converted and scored
        ``HTML_PAGES_PER_PASS`` at a time as in :meth:`predict_many`;
        ``sites`` as there."""
        return self._predict_html_many(htmls, sites, as_dicts=False)

    def predict_html_many_as_dicts(self, htmls, sites=None) -> list[dict]:
        """``[page.to_dict() for page in self.predict_html_many(htmls, sites)]``,
        without making the Page and Line objects (see
        :meth:`predict_many_as_dicts`)."""
        return self._predict_html_many(htmls, sites, as_dicts=True)

    def _predict_html_many(self, htmls, sites, as_dicts: bool) -> list:
        method = "predict_html_many_as_dicts" if as_dicts else "predict_html_many"
        htmls = self._page_list(htmls, method, "predict_html")
        sites = self._site_list(sites, len(htmls))
        for number, html in enumerate(htmls):
            if isinstance(html, (str, bytes, bytearray, memoryview)):
                self.limits.check_html_size(len(html), _page_name(number, len(htmls)))
            reason = not_a_page_reason(html)
            if reason:
                raise InputError(f"{_page_name(number, len(htmls))} is not HTML: {reason}")
        return _in_groups(len(htmls), sites, lambda group, group_sites: self._classify_html(
            [self._block_rows(htmls[number], number, len(htmls)) for number in group], group,
            len(htmls), group_sites, as_dicts), HTML_PAGES_PER_PASS)

    def _block_rows(self, html, number: int, total: int) -> list[tuple]:
        """A page's blocks, the conversion stopped (and the page refused) at
        one block over the line limit."""
        try:
            return html_to_block_rows(html, max_blocks=self.limits.max_lines)
        except TooManyBlocks:
            self.limits.check_line_count(None, _page_name(number, total))
            raise  # (check_line_count(None, ...) always raises)

    def _classify_html(self, pages_rows: list, numbers: list, total: int,
                       sites=None, as_dicts: bool = False) -> list:
        """Pages of one group (``numbers`` of ``total`` pages in the call) from
        their visible-text blocks (as ``html_to_block_rows`` gives them)."""
        if self.html_model is None:
            return self._classify([[row[0] for row in rows] for rows in pages_rows], numbers,
                                  total, sites, as_dicts)
        for number, rows in zip(numbers, pages_rows):
            self.limits.check_line_count(len(rows), _page_name(number, total))
        columns = dom_columns(pages_rows)
        if not columns["text"]:  # no page has any visible text
            return self._pages(len(pages_rows), [], [], [], [], as_dicts)
        texts = columns["text"]
        columns["text"] = self._scored_texts(texts)
        # (The HTML model alone needs no shared part: no hashing of the models.)
        shared = self._shared_text_layout() if self.html_weight < 1.0 else None
        scores = blended_body_proba(self.html_model, self.line_model, LineTable(columns),
                                    self.html_weight, shared)
        scores = self._with_site_templates(texts, columns["page"], sites, scores)
        indices = [index for rows in pages_rows for index in range(len(rows))]
        containers = container_ids(columns["page"], columns["path"], columns["attributes"])
        return self._pages(len(pages_rows), texts, columns["page"], indices, scores, as_dicts,
                           containers)

    def _shared_text_layout(self):
        """The HTML model's part that computes the text model's layout
        features (``shared_text_layout``), found once per pair of models."""
        html_model, line_model = self.html_model, self.line_model
        known = self._shared_layout
        if known is None or known[0] is not html_model or known[1] is not line_model:
            known = self._shared_layout = (html_model, line_model,
                                           shared_text_layout(html_model, line_model))
        return known[2]

    # -- shared path ------------------------------------------------------
    @staticmethod
    def _site_list(sites, count: int):
        if sites is None:
            return None
        if isinstance(sites, (str, bytes)):
            raise InputError("sites must be a list with one site per page, not a single string")
        sites = list(sites)
        if len(sites) != count:
            raise InputError(f"sites has {len(sites)} items for {count} pages")
        if not all(site is None or isinstance(site, str) for site in sites):
            raise InputError("each site must be a str (or None when unknown)")
        return sites

    @staticmethod
    def _with_site_templates(texts, page_keys, sites, scores):
        if sites is None or not len(texts):
            return scores
        # A page of unknown site is a site of its own: no siblings, no evidence.
        line_sites = [sites[page] or f"\0page {page}" for page in page_keys]
        shares, site_pages = sibling_shares(texts, page_keys, line_sites)
        return adjust_scores(scores, shares, site_pages)

    @staticmethod
    def _page_list(pages, method: str, single: str) -> list:
        if isinstance(pages, (str, bytes, bytearray)):
            raise InputError(f"{method}() takes a list of pages; use {single}() for one page")
        try:
            return list(pages)
        except TypeError:
            raise InputError(f"{method}() takes a list of pages, not "
                             f"{type(pages).__name__}") from None

    def _classify(self, pages_lines: list[list[str]], numbers: list, total: int,
                  sites=None, as_dicts: bool = False) -> list:
        """Pages of one group (``numbers`` of ``total`` pages in the call) from
        their lines."""
        texts, page_keys, indices = [], [], []
        for page_number, (number, lines) in enumerate(zip(numbers, pages_lines)):
            first = len(texts)
            for index, line in enumerate(lines):
                stripped = line.strip()
                if stripped:
                    texts.append(stripped)
                    page_keys.append(page_number)
                    indices.append(index)
            self.limits.check_line_count(len(texts) - first, _page_name(number, total))
        table = LineTable({"text": self._scored_texts(texts),
                           "page": np.asarray(page_keys, dtype=np.int64)})
        scores = self.line_model.body_proba(table) if texts else np.zeros(0)
        scores = self._with_site_templates(texts, page_keys, sites, scores)
        return self._pages(len(pages_lines), texts, page_keys, indices, scores, as_dicts)

    def _scored_texts(self, texts: list[str]) -> list[str]:
        # Very long lines are scored on their head (see Limits.scored_line_chars).
        cap = self.limits.scored_line_chars
        return [text if len(text) <= cap else text[:cap] for text in texts]

    def _pages(self, n_pages, texts, page_keys, indices, scores, as_dicts: bool = False,
               containers=None) -> list:
        """The group's results from its lines (page after page: ``page_keys``
        ascending): a Page per page, or with ``as_dicts`` what the Page's
        ``to_dict()`` would give. ``containers``: from HTML, each line's DOM
        container (see ``body_mask``)."""
        scores = np.asarray(scores, dtype=np.float64)
        line_scores = scores.tolist()
        bounds = np.searchsorted(np.asarray(page_keys, dtype=np.int64),
                                 np.arange(n_pages + 1)).tolist()
        # (In float64, as a Python float compares: the threshold need not be
        # a float32.)
        is_body = body_mask(scores, bounds, texts, self.threshold,
                            containers=containers).tolist()
        labels = list(map(_LABELS.__getitem__, is_body))
        pages = list(zip(bounds[:-1], bounds[1:]))
        bodies = ["\n".join(compress(texts[start:stop], is_body[start:stop]))
                  for start, stop in pages]
        topics = self._topics(bodies)
        if as_dicts:
            rounded = rounded_scores(line_scores)  # for the whole group at once
            return [page_dict(topic, labels_, topic_scores, body,
                              line_dicts(indices[start:stop], texts[start:stop],
                                         labels[start:stop], rounded[start:stop]), reason)
                    for (start, stop), body, (topic, topic_scores, labels_, reason)
                    in zip(pages, bodies, topics)]
        return [Page(lines=list(map(Line, texts[start:stop], labels[start:stop],
                                    line_scores[start:stop], indices[start:stop])),
                     topic=topic, topic_scores=topic_scores, topics=labels_, topic_reason=reason)
                for (start, stop), (topic, topic_scores, labels_, reason) in zip(pages, topics)]

    def _topics(self, bodies: list[str]) -> list[tuple]:
        """(topic, topic_scores, topics, reason for no topic) per body."""
        if self.topic_model is None:
            return [(None, {}, (), None) for _ in bodies]
        results = [(None, {}, (), NO_BODY) for _ in bodies]
        # The topic is read from body lines only; a page without body has none.
        wanted = [i for i, body in enumerate(bodies) if body.strip()]
        if not wanted:
            return results
        texts = [bodies[i] for i in wanted]
        if self.abstention is None:
            probabilities = pipeline_proba(self.topic_model, texts)
            reasons = [None] * len(texts)
        else:
            probabilities, _, reasons = topics_with_reasons(self.topic_model, self.abstention,
                                                            texts, self.vocabulary)
        classes = [str(c) for c in self.topic_model.classes_]
        if getattr(self.topic_model, "multilabel", False):
            chosen = self.topic_model.indicators(probabilities)
        else:  # one topic per page: the most probable
            chosen = top_topics(probabilities)
        for i, row, marks, reason in zip(wanted, probabilities, chosen, reasons):
            scores = dict(zip(classes, map(float, row)))
            if reason is not None:  # no topic: the scores stay, to look at
                results[i] = (None, scores, (), reason)
                continue
            labels = tuple(sorted((c for c, mark in zip(classes, marks) if mark),
                                  key=lambda c: -scores[c]))
            results[i] = (classes[int(np.argmax(row))], scores, labels, None)
        return results

    @property
    def vocabulary(self):
        """The topic model's word vocabulary (for the known-word share of
        ``abstention``), or ``None``."""
        if self._vocabulary is None and self.topic_model is not None:
            self._vocabulary = word_vocabulary(self.topic_model)
        return self._vocabulary

    @property
    def topics(self) -> list[str]:
        return [] if self.topic_model is None else [str(c) for c in self.topic_model.classes_]


#: Text pages classified together, one pass of the models over all their
#: lines. No feature looks past its own page, so the grouping does not change
#: any score; bigger groups hold more intermediate data at once (line
#: tables, feature matrices) and spread each pass's fixed costs over more
#: pages: a one-process batch of 4,000 shared text pages took 8.2 s at 100
#: pages a pass and 8.5 s at 50, peaking 11 MB higher (2026-11-27).
PAGES_PER_PASS = 100
#: HTML pages classified together. Their DOM blocks and DOM features are a
#: pass's biggest arrays: a one-process batch of 1,500 shared HTML pages in
#: 500-page shards peaked at 610 MB RSS with one group per shard and at 536
#: MB with groups of 100, at the same pages/s; groups of 50 (with
#: ``batch.PAGES_PER_GROUP`` 50) took a two-worker HTML run of 2,000 pages
#: from ~540 to ~500 MB PSS, again at the same pages/s (2026-11-26).
HTML_PAGES_PER_PASS = 50


def _groups_of_pages(count: int, sites, per_pass: int):
    """Lists of page numbers classified together, ``per_pass`` pages each.
    Site-template evidence compares a page with the other pages of its site
    in the same pass, so with ``sites`` every site's pages stay in one group
    (a site with more pages than that is a group of its own)."""
    if sites is None:
        for start in range(0, count, per_pass):
            yield list(range(start, min(start + per_pass, count)))
        return
    by_site = {}
    for number, site in enumerate(sites):
        # A page of unknown site has no siblings: a site of its own.
        by_site.setdefault(site or ("unknown", number), []).append(number)
    group = []
    for numbers in by_site.values():
        if group and len(group) + len(numbers) > per_pass:
            yield group
            group = []
        group += numbers
    if group:
        yield group


def _in_groups(count: int, sites, classify_group, per_pass: int) -> list:
    """The pages of a call, classified group by group (``_groups_of_pages``)
    by ``classify_group(page_numbers, their_sites)``, in input order."""
    pages = [None] * count
    for group in _groups_of_pages(count, sites, per_pass):
        group_sites = None if sites is None else [sites[number] for number in group]
        for number, page in zip(group, classify_group(group, group_sites)):
            pages[number] = page
    return pages


def _page_name(number: int, count: int) -> str:
    """How an error names a page: by its position only in a batch."""
    return "page" if count == 1 else f"page {number}"


def load(path=None, *, trusted: bool = False, limits: Limits | None = None,
         topics: bool = True, abstain: bool = True,
         html_weight: float = HTML_MODEL_WEIGHT) -> Classifier:
    """Load a models folder (default: the shipped models).

    ``html_weight``: from HTML, the HTML line model's share of a line's
    score, the text line model's the rest (1.0: the HTML model alone; see
    :class:`Classifier`).

    The topic model abstains (``page.topic`` is ``None``, ``page.topic_reason``
    says why) as its manifest entry's ``abstention`` settings say
    (classifier/topics/abstention.py); ``abstain=False`` gives every page
    with a body its most probable topic.

    ``topics=False`` leaves the topic model out, for cleaning only: pages
    come out with their lines labelled and no topic (``page.topic`` is
    ``None``), without the time and memory the topic model takes
    (docs/benchmarks.md, "Throughput and memory").

    A folder holding a topic model alone (trained with ``python -m training
    topics``) is loaded beside the shipped line models: your topics, read
    from the body the shipped models find.

    Model files are joblib pickles, and unpickling a file can run any code
    its author put in it. The shipped models are always loaded; a folder
    anywhere else is loaded only with ``trusted=True``, which says "I made
    these models, or I trust whoever did". Trust is about *who wrote* the
    folder: the sha256 check against the manifest catches damaged or
    swapped files, but whoever can write a folder can also write its
    manifest.
    """
    checked_html_weight(html_weight)
    folder = Path(path) if path is not None else default_models_dir()
    if folder.exists() and not folder.is_dir():
        raise ModelError(f"{folder}: a file, not a models folder (a folder of model files "
                         "and their manifest.json, as `python -m training ... --out` writes)")
    if not folder.is_dir():
        raise ModelError(f"{folder}: no such models folder")
    if not trusted and not _is_shipped(folder):
        raise ModelError(
            f"{folder}: not the shipped models folder. Model files are pickles and can run "
            "code when loaded; load a folder only if you made it or trust its author, with "
            "classifier.load(path, trusted=True) (CLI: --models DIR --trust-models)")
    manifest = read_manifest(folder)
    # Every model is unpickled from bytes whose sha256 is checked as they
    # are read; the HTML line model when first needed (Classifier.html_model),
    # its file checked here too, so that a damaged one is refused at once.
    models = _models_on_first_use(folder, manifest, (LINE_MODEL, TOPIC_MODEL, HTML_MODEL)
                                  if topics else (LINE_MODEL, HTML_MODEL))
    if LINE_MODEL not in models:
        if manifest_entry(folder, TOPIC_MODEL, manifest) is None or _is_shipped(folder):
            raise ModelError(f"{folder}: the manifest lists no {LINE_MODEL}")
        # A folder of a topic model alone (`python -m training topics --out
        # DIR`): its topics, read from what the shipped line models keep.
        manifest = {**manifest, "line_models_from": "shipped"}
        shipped = default_models_dir()
        models.update(_models_on_first_use(shipped, read_manifest(shipped),
                                           (LINE_MODEL, HTML_MODEL)))
    topic_model = models.get(TOPIC_MODEL)
    settings = (manifest_entry(folder, TOPIC_MODEL, manifest) or {}).get("abstention")
    abstention = None
    if abstain and settings:
        try:
            abstention = Abstention.from_dict(settings)
        except (TypeError, ValueError) as error:  # a hand-edited or damaged manifest
            raise ModelError(f"{folder}: the manifest's {TOPIC_MODEL} abstention settings: "
                             f"{error}") from None
    return Classifier(models[LINE_MODEL].load(),
                      None if topic_model is None else topic_model.load(), manifest,
                      limits=limits, html_model=models.get(HTML_MODEL), abstention=abstention,
                      html_weight=html_weight)


def _models_on_first_use(folder: Path, manifest: dict, names) -> dict:
    """``{name: _ModelOnFirstUse}`` of each of ``names`` the folder's
    manifest lists, its file checked (the HTML model's sha256 at once, the
    others' as they are unpickled)."""
    models = {}
    for name in names:
        path = checked_model_path(folder, name, manifest, check_sha256=name == HTML_MODEL)
        if path is not None:
            models[name] = _ModelOnFirstUse(path, manifest_entry(folder, name, manifest)["sha256"],
                                            name)
    return models


def _is_shipped(folder: Path) -> bool:
    try:
        return folder.resolve() == default_models_dir().resolve()
    except ModelError:  # no shipped models at all
        return False


_default = None
_default_lock = threading.Lock()


def default_classifier() -> Classifier:
    """The shipped models, loaded once per process (thread-safe)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = load()
        return _default


def predict(text) -> Page:
    """Classify one page with the shipped models (loaded on first use)."""
    return default_classifier().predict(text)
