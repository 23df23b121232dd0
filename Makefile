# warcast: two commands on a fresh machine.
#   make demo   installs warcast, then transcribes, links, tags and publishes the sample show
#   make test   installs what the tests need (system packages too), then runs every test
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
SYSTEM_TOOLS := espeak-ng sox ffmpeg ffprobe chromium chromedriver /usr/sbin/sshd ssh ssh-keygen rsync
SYSTEM_PACKAGES := espeak-ng sox ffmpeg chromium chromium-driver openssh-server openssh-client rsync

.PHONY: demo test install install-test system-packages sample lint clean screenshot

demo: install
	$(BIN)/warcast --show episodes transcribe
	$(BIN)/warcast --show episodes articles import episodes/articles.jsonl
	$(BIN)/warcast --show episodes link
	$(BIN)/warcast --show episodes tag
	$(BIN)/warcast --show episodes publish --out public
	$(BIN)/warcast validate public/feed.xml
	@echo "Feed written to public/feed.xml. Browse the site and search: $(BIN)/warcast --show episodes serve"

test: install-test
	$(BIN)/python -m pytest

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "warcast needs Python 3.11 or newer (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

install-test: $(TEST_STAMP) system-packages tests/js/node_modules

$(TEST_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

tests/js/node_modules: tests/js/package.json tests/js/package-lock.json
	npm ci --prefix tests/js --no-audit --no-fund --loglevel=error
	touch $@

# Tools for the tests (speech synthesis, encoding, ffprobe; Chromium and its driver for the
# page tests; sshd, ssh and rsync for the deploy tests). Installed with apt-get
# when missing: directly as root, through sudo otherwise.
system-packages:
	@missing=; for tool in $(SYSTEM_TOOLS); do command -v $$tool >/dev/null || missing=1; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then sudo=; elif command -v sudo >/dev/null; then sudo=sudo; \
		else echo "Please install: $(SYSTEM_PACKAGES)"; exit 1; fi; \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends \
			$(SYSTEM_PACKAGES) >/dev/null; \
	fi

# Re-render the sample show's speech from episodes/*/script.txt, then tag it.
sample: install system-packages
	scripts/render_sample.sh
	$(BIN)/warcast --show episodes tag

# Transcription and speaker benchmarks (bench/README.md): results in bench/results/.
# Needs espeak-ng and ffmpeg (make system-packages); BENCH_ARGS=--quick for a 2-minute run.
.PHONY: bench
bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)
	$(BIN)/python bench/diarization.py $(BENCH_ARGS)
	$(BIN)/python bench/diarization_real.py

# The README's screenshot of an episode page, made by headless Chromium from the sample show.
screenshot: install-test
	$(BIN)/python scripts/screenshot.py

lint: install-test
	$(BIN)/ruff check warcast tests

clean:
	rm -rf $(VENV) public tests/js/node_modules .pytest_cache
