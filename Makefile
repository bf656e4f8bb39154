# Quick start: `make run` and `make test`. Everything runs in .venv.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SHARED ?= ../shared/data
PAGES := $(SHARED)/pages/dragnet $(SHARED)/pages/cleaneval-final $(SHARED)/pages/cleaneval-dev
# Every page corpus, for leave-one-corpus-out evaluation (training/generalisation.py).
ALL_PAGES := $(PAGES) $(SHARED)/pages/l3s-gn1 $(SHARED)/pages/readability \
	$(SHARED)/pages/googletrends
TURKU_LANGUAGES := en de es fi
TURKU_TRAIN := $(foreach lang,$(TURKU_LANGUAGES),$(SHARED)/lines/turku/$(lang)-train.jsonl)
TURKU_DEV := $(foreach lang,$(TURKU_LANGUAGES),$(SHARED)/lines/turku/$(lang)-dev.jsonl)
BBC := $(SHARED)/topics/bbc
# Stories from 20 Newsgroups and Reuters for the BBC topics (training/other_sources.py).
OTHER_SOURCES := .cache/other-sources.jsonl
# The shipped news topic model reads the common words besides all words
# (classifier/topics/model.py, topic_features): BBC's names of 2004-05 would
# mislead it on today's news.
NEWS_TOPIC_SETTINGS := --setting common_words=yes
EXAMPLE := examples/000_9194ea2d3ca4e63b.txt

.PHONY: run test docs install data models eval eval-lines eval-topics eval-generalisation eval-short-inputs fuzz bench bench-body-rule bench-extraction bench-throughput bench-budget bench-templates bench-topics bench-topic-sources clean

# Targets that read the shared data check for it first: one line instead of
# a peer install and then a traceback. SHARED=/path/to/data points elsewhere.
data:
	@test -d $(SHARED)/pages -a -d $(SHARED)/topics || { echo "error: no data at \
	$(SHARED) (pages/ and topics/ expected; see README, Data sources); give its place \
	with make ... SHARED=/path/to/data" >&2; exit 2; }

$(VENV)/.installed: pyproject.toml setup.py classifier/_words.c \
		classifier/lines/_trees.c classifier/lines/_lines.c classifier/lines/_html.c
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

run: install
	$(PY) -m classifier predict $(EXAMPLE)

test: install
	$(PY) -m pytest -q

# The documentation site in site/ (mkdocs.yml), warnings as errors: a broken
# link or anchor, or an API name that does not resolve, fails it.
$(VENV)/.docs-installed: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[docs]'
	touch $@

docs: $(VENV)/.docs-installed
	$(VENV)/bin/mkdocs build --strict --quiet

$(OTHER_SOURCES): | data $(VENV)/.installed
	$(PY) -m training other-sources --topics $(SHARED)/topics --out $@

# Retrain the shipped default models from the shared data (~17 minutes): the
# line models on every page corpus, with the default settings (corpus
# weighting, short pages; the Turku lines left out, --line-files-weight 0),
# which the leave-one-corpus-out table chose and make eval-generalisation
# measures. No CV for the manifest: the figures of record are
# make eval-generalisation's.
models: data install $(OTHER_SOURCES)
	$(PY) -m training lines --data $(ALL_PAGES) --cv 0 --out models
	$(PY) -m training html --data $(ALL_PAGES) --cv 0 --out models
	$(PY) -m training topics --data $(BBC) --extra-training $(OTHER_SOURCES) $(NEWS_TOPIC_SETTINGS) \
		--out models

# Cross-validated figures for the README (reports/*.json).
eval: eval-lines eval-topics

eval-lines: data install
	$(PY) -m training evaluate lines --data $(PAGES) --cv 5 --report reports/eval-lines.json

# The line models on corpora they never saw: each page corpus scored by models
# trained on the others, beside the peers; Turku dev lines per language. The
# Turku train lines are given so that --line-files-weight W > 0 can be
# measured (the default, 0, leaves them out). ~50 min on 2 cores; peers'
# outputs cached in .cache.
eval-generalisation: data $(VENV)/.bench-installed
	$(PY) -m training evaluate generalisation --data $(ALL_PAGES) --lines $(TURKU_TRAIN) \
		$(TURKU_DEV) --report reports/eval-generalisation.json

# The page-level body rule's settings replayed on the held-out line scores
# that eval-generalisation keeps in .cache (seconds; no fit).
bench-body-rule: data install
	$(PY) benchmarks/body_rule.py --data $(ALL_PAGES)

# The shipped line model on each BBC story's headline and first paragraph
# alone, and the topic read from what it keeps (the topic model's CV folds).
eval-short-inputs: data install $(OTHER_SOURCES)
	$(PY) -m training evaluate short-inputs --data $(BBC) --extra-training $(OTHER_SOURCES) \
		$(NEWS_TOPIC_SETTINGS) --report reports/eval-short-inputs.json

eval-topics: data install $(OTHER_SOURCES)
	$(PY) -m training evaluate topics --data $(BBC) --extra-training $(OTHER_SOURCES) --cv 5 \
		$(NEWS_TOPIC_SETTINGS) --report reports/eval-topics.json

# Benchmarks against peers (installs them into .venv; they are not package
# dependencies). Results go to reports/bench-*.{json,md} and the README.
$(VENV)/.bench-installed: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[test,bench]'
	touch $@

bench: bench-extraction bench-throughput bench-budget bench-templates bench-topics bench-topic-sources

bench-extraction: data $(VENV)/.bench-installed
	$(PY) benchmarks/extraction.py --data $(PAGES) --cv 5

# Batch pages/s and peak memory, text and HTML input, 1 and 2 processes (and
# one with --no-topics), with trafilatura in the same run; warm predict(),
# model size, fit times (~25 min; ~13 without --fit).
bench-throughput: data $(VENV)/.bench-installed
	$(PY) benchmarks/throughput.py --data $(PAGES) --pages 10000 --fit $(BBC)

# Per-page time against the code and models of BUDGET_REV, in turn in one run
# (~4 min): issue 27's budget is 1.5x the per-page time of ea27a16, the
# last commit before its work (2026-11-27).
BUDGET_REV ?= ea27a16
bench-budget: data $(VENV)/.bench-installed
	$(PY) benchmarks/against_revision.py --rev $(BUDGET_REV) --data $(PAGES)

# Site template signal of batch mode, with and without, by site-grouped CV (~12 min).
bench-templates: data $(VENV)/.bench-installed
	$(PY) benchmarks/site_templates.py --data $(PAGES) --cv 5

# Topic models on BBC, 20 Newsgroups and Reuters-21578, standard splits.
# The standard topic benchmarks, then the open world: abstention on
# out-of-scheme and non-English documents, coverage and accuracy (~10 min).
bench-topics: data $(VENV)/.bench-installed
	$(PY) benchmarks/topics.py --topics $(SHARED)/topics
	$(PY) benchmarks/topics_open_world.py --topics $(SHARED)/topics --lines $(SHARED)/lines/turku

# The BBC topics off BBC: trained with and without other sources (~5 min).
bench-topic-sources: data $(VENV)/.bench-installed
	$(PY) benchmarks/topic_sources.py --topics $(SHARED)/topics $(NEWS_TOPIC_SETTINGS)

clean:
	rm -rf $(VENV) .cache build dist site *.egg-info

# Long fuzz run of the property tests (HTML soup, raw bytes, odd text): many
# thousands of inputs, each under a watchdog; `make test` runs 40 of each.
fuzz: install
	$(PY) -m pytest -q tests/test_properties.py --hypothesis-profile=fuzz --hypothesis-show-statistics
