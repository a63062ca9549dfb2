# Salver: `make run` opens the workbench on a sample (headless: runs it and writes a plot);
# `make test` runs the whole suite. Both create .venv from nothing and install it from
# requirements.lock (exact versions and hashes); `make lock` refreshes the lock from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAMPLE ?= samples/sir.salver
UV_VERSION := 0.13.9
LOCK := requirements.lock
LOCK_EXTRAS := --extra all --extra test --extra dev

.PHONY: run test test-xcb lint bench lock protos clean

$(STAMP): $(LOCK) pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/uv || $(BIN)/pip install -q "uv==$(UV_VERSION)"
	$(BIN)/uv pip sync -q --python $(BIN)/python --require-hashes $(LOCK)
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps --no-build-isolation -e .
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
	$(BIN)/ruff check .
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest
	$(MAKE) --no-print-directory test-xcb

# One workbench smoke test on a real X server (xcb platform), when xvfb-run is installed.
# REQUIRE_XVFB=1 (set by .ci/run) makes a missing xvfb-run an error instead of a notice.
test-xcb: $(STAMP)
	@if command -v xvfb-run >/dev/null 2>&1; then \
		QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1600x1000x24" \
			$(BIN)/python -m pytest -p no:cacheprovider tests/gui/xcb_smoke.py; \
	elif [ "$${REQUIRE_XVFB:-0}" = 1 ]; then \
		echo "xvfb-run is missing: apt-get install xvfb (see README)"; exit 1; \
	else \
		echo "notice: xvfb-run not installed, the xcb smoke test did not run (apt-get install xvfb)"; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/uv pip install -q --python $(BIN)/python pysd
	$(BIN)/python benchmarks/run_all.py

# The gRPC messages of app/server/proto/*.proto, compiled with grpcio-tools into the *_pb2.py beside them.
protos: $(STAMP)
	$(BIN)/python -c "from app.server.proto import generate; generate()"

lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/uv || $(BIN)/pip install -q "uv==$(UV_VERSION)"
	$(BIN)/uv pip compile -q pyproject.toml $(LOCK_EXTRAS) --universal --generate-hashes \
		--python-version 3.11 -o $(LOCK)

clean:
	rm -rf $(VENV) artifacts
