# Two commands matter: `make run` (serve on the embedded defaults) and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint fuzz bench bench-impact bench-instructions bench-request-instructions bench-rego-costs bench-rego-costs-wall bench-engines clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Local development: plain-HTTP cookies and the built-in secret key are allowed (GATEKEEPER_DEV).
run: $(STAMP)
	GATEKEEPER_DEV=1 $(BIN)/gatekeeper serve

# OPA in process (tests/test_opa_bundle_inprocess.py) is a test tool, never a dependency: the
# wheel declares Python >= 3.14 but runs on 3.11; if it cannot be installed, that test skips.
test: $(STAMP)
	-$(BIN)/pip install --quiet --ignore-requires-python '$(OPA_WHEEL)'
	$(BIN)/gatekeeper check --min-coverage 90
	$(BIN)/pytest

# The OpenAPI document against the served API, deeper than the test suite's bounded run.
fuzz: $(STAMP)
	GATEKEEPER_FUZZ_EXAMPLES=$${GATEKEEPER_FUZZ_EXAMPLES:-500} $(BIN)/pytest -q tests/test_openapi_conformance.py

lint: $(STAMP)
	$(BIN)/ruff check gatekeeper tests bench
	$(BIN)/mypy gatekeeper

bench: $(STAMP)
	$(BIN)/python bench/decisions.py

clean:
	rm -rf $(VENV) instance .pytest_cache

# Issue 18's figures side by side (engines alone with OPA itself, HTTP vs the echo, start-up,
# memory, impact). OPA's wheel is a benchmark tool only, never a dependency: it declares
# Python >= 3.14 but runs here, hence --ignore-requires-python.
OPA_WHEEL := opa-golib-python-bindings==0.4.4
bench-engines: $(STAMP)
	$(BIN)/pip install --quiet --ignore-requires-python '$(OPA_WHEEL)'
	$(BIN)/python bench/engines.py $(ARGS)

bench-impact: $(STAMP)
	$(BIN)/python bench/impact_replay.py

# Instructions per decision under valgrind: figures that do not drift with the machine's load.
bench-instructions: $(STAMP)
	$(BIN)/python bench/engine_instructions.py

# The same for a whole POST /v1/decisions in one process (WSGI, auth, validation, engine, JSON).
bench-request-instructions: $(STAMP)
	$(BIN)/python bench/request_instructions.py

# What single Rego constructs cost on both regorus engines (docs/policy-contract.md).
bench-rego-costs: $(STAMP)
	$(BIN)/python bench/rego_costs.py

# The same in µs of CPU on all four engines, OPA itself in process included (its wheel as above).
bench-rego-costs-wall: $(STAMP)
	$(BIN)/pip install --quiet --ignore-requires-python '$(OPA_WHEEL)'
	$(BIN)/python bench/rego_costs.py --wall $(ARGS)
