# Salver: `make run` opens the workbench on a sample (headless: runs it and writes a plot);
# `make test` runs the whole suite. Both create .venv from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAMPLE ?= samples/sir.salver

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
		$(BIN)/salver gui $(SAMPLE); \
	else \
		mkdir -p artifacts && \
		$(BIN)/salver run $(SAMPLE) --out artifacts/run.csv --plot artifacts/run.png && \
		echo "no display: ran $(SAMPLE) headless, wrote artifacts/run.csv and artifacts/run.png"; \
	fi

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/ruff check .
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/pip install -q pysd
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) artifacts
