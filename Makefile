# render: batch audiobook rendering. `make demo` and `make test` install everything they need into .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# CI and tests pin the CPU build of torch that this kind of machine carries; GPU users install their own.
TORCH_PIN ?= torch==2.13.0
OUT    ?= out
CORPUS ?= ../shared/corpus
BOOK   ?= ../shared/corpus/wodehouse-love-among-the-chickens.epub

.PHONY: help install dev browser demo lint test test-slow test-all fuzz bench bench-pdf bench-quick bench-soprano parity bench-gpu corpus nightly clean

help:
	@echo "make demo      install, build the sample EPUB, render it to out/sample/ (embedded engine)"
	@echo "make lint      ruff (lint, format check) and mypy"
	@echo "make test      install dev dependencies, make lint, run the test suite (book-length tests excluded)"
	@echo "make test-slow the book-length tests"
	@echo "make fuzz      the deep random fuzz campaign (FUZZ_MINUTES=20): ingest, normalize, segment, lexicon, config, cache"
	@echo "make bench     end-to-end vs standalone parts on a corpus book (ratio, peak RSS)"
	@echo "make bench-quick  the same on a 10-chapter slice (a few minutes)"
	@echo "make bench-pdf reading a ~380-page typeset PDF on one core, beside the same books' EPUBs (target <= 10 s / 350 pages)"
	@echo "make bench-soprano  the Soprano engine vs the soprano-tts 0.2.0 reference on CPU (ratio, precision SNRs)"
	@echo "make parity    the Soprano LM and decoder against the soprano-tts 0.2.0 package itself (SNRs)"
	@echo "make bench-gpu the Soprano engine on CUDA: torch and lmdeploy backends, a whole book (x-real-time, memory)"
	@echo "make corpus CORPUS=dir OUT=dir    render a shelf of books"
	@echo "make nightly   re-render what is new or changed (configs/nightly.toml)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml setup.py pipeline/synthesize/soprano/kernels.c pipeline/synthesize/soprano/build_flags.py | $(BIN)/python
	$(BIN)/pip install -q -e .
	@touch $@

# soprano-tts (without its server/UI dependencies): the reference decoder the decoder parity test runs
$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q "$(TORCH_PIN)"
	$(BIN)/pip install -q -e ".[dev,soprano]" "$(TORCH_PIN)"
	$(BIN)/pip install -q --no-deps soprano-tts==0.2.0
	$(BIN)/pip install -q unidecode inflect
	@touch $@

install: $(VENV)/.installed
dev: $(VENV)/.installed-dev

samples/sample.epub: scripts/make_sample.py | $(VENV)/.installed
	$(BIN)/python scripts/make_sample.py $@

demo: $(VENV)/.installed samples/sample.epub
	$(BIN)/render samples/sample.epub --out $(OUT)/sample --engine hibari
	@echo "demo: listen to $(OUT)/sample/*.mp3 (manifest: $(OUT)/sample/manifest.json)"

# report.html is checked in headless Chromium: Debian's package, installed here when apt-get can (as root
# on a fresh machine); without it that one test skips and says why.
browser:
	@command -v chromium >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } ; } || \
	  echo "make: chromium not installed; the report.html screenshot test will skip"

# ruff (lint and format) and mypy, with their settings in pyproject.toml
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check pipeline tests scripts
	$(BIN)/ruff format --check pipeline tests scripts
	$(BIN)/mypy

# lint first: CI (.ci/run is make test) fails on a lint, format or type error before the tests run
test: $(VENV)/.installed-dev browser lint
	$(BIN)/python -m pytest -m "not slow" -q -p no:cacheprovider --durations=25

test-slow: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -m slow -q -p no:cacheprovider

test-all: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q -p no:cacheprovider

FUZZ_MINUTES ?= 20
fuzz: $(VENV)/.installed-dev
	$(BIN)/python scripts/fuzz.py --minutes $(FUZZ_MINUTES)

# The reference package in its own environment: soprano-tts without its server/UI deps, plus what its torch path imports.
BENCH_VENV := .venv-bench
$(BENCH_VENV)/.installed:
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install -q "$(TORCH_PIN)"
	$(BENCH_VENV)/bin/pip install -q --no-deps soprano-tts==0.2.0
	$(BENCH_VENV)/bin/pip install -q "$(TORCH_PIN)" "transformers>=4.51" accelerate unidecode inflect scipy numpy huggingface-hub
	@touch $@

bench-soprano: $(VENV)/.installed-dev $(BENCH_VENV)/.installed
	$(BIN)/python scripts/bench_soprano.py --reference-python $(BENCH_VENV)/bin/python --book $(BOOK)

# the reference package itself, side by side, on a random checkpoint of the published shape: LM and decoder SNRs
parity: $(VENV)/.installed-dev $(BENCH_VENV)/.installed
	$(BIN)/python scripts/parity_soprano.py --reference-python $(BENCH_VENV)/bin/python

# for the day a GPU is lent: torch and lmdeploy backends over a whole book in one pass (x-real-time, memory)
bench-gpu: $(VENV)/.installed-dev
	$(BIN)/pip install -q -e ".[gpu]" || echo "make: lmdeploy did not install; the torch backend only"
	$(BIN)/python scripts/bench_gpu.py --book $(BOOK)
	$(BIN)/python -m pytest -m gpu -q -p no:cacheprovider tests

BENCH_CHAPTERS ?=
bench: $(VENV)/.installed
	$(BIN)/python scripts/bench.py --book $(BOOK) $(if $(BENCH_CHAPTERS),--chapters $(BENCH_CHAPTERS),)

# the corpus typeset once into bench/pdf/ (reportlab, a dev dependency), then read on one core
bench-pdf: $(VENV)/.installed-dev
	$(BIN)/python scripts/bench_pdf.py

bench-quick: $(VENV)/.installed
	$(BIN)/python scripts/bench.py --book $(BOOK) --chapters 1-10

CHAPTERS ?=
FORMATS  ?= mp3,m4b
corpus: $(VENV)/.installed
	$(BIN)/render $(CORPUS) --out $(OUT) --format $(FORMATS) $(if $(CHAPTERS),--chapters $(CHAPTERS),)

nightly: $(VENV)/.installed
	$(BIN)/python scripts/nightly.py configs/nightly.toml

clean:
	rm -rf $(OUT) samples/sample.epub .pytest_cache bench
