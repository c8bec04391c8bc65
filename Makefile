# motcua: `make demo` shows the system working; `make test` runs the tests.
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo run test test-e2e test-faults fuzz bench bench-desk forms screens lint servers system install clean

$(STAMP): pyproject.toml
	python3.11 -m venv $(VENV) 2>/dev/null || python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip 'setuptools<82' wheel
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $(STAMP)

# System packages first (RabbitMQ, PostgreSQL, Kannel, Chromium...): installed when missing.
install: system $(STAMP)

system:
	@bash scripts/system_packages.sh

servers:
	@bash scripts/servers.sh

# The demo stops what it started, servers included: RabbitMQ or PostgreSQL if it had to start them.
demo: install
	@bash scripts/servers.sh --record .run/demo-servers
	@KEEP=$(KEEP) $(PY) -m scripts.demo; status=$$?; bash scripts/servers.sh --stop .run/demo-servers; exit $$status

run: install servers
	@touch .env
	@grep -q '^TOKEN_SECRET=' .env || { echo "TOKEN_SECRET=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(32))')" >> .env; echo "added a new TOKEN_SECRET to .env"; }
	@grep -q '^LOOKUP_PEPPER=' .env || { echo "LOOKUP_PEPPER=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(32))')" >> .env; echo "added a new LOOKUP_PEPPER to .env"; }
	@grep -q '^NOTIFY_SECRET_KEY=' .env || { echo "NOTIFY_SECRET_KEY=$$($(PY) -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" >> .env; echo "added a new NOTIFY_SECRET_KEY to .env"; }
	set -a; source .env; set +a; PATH=$(VENV)/bin:$$PATH motcua migrate && \
	  PATH=$(VENV)/bin:$$PATH motcua docstore test-ca && \
	  PATH=$(VENV)/bin:$$PATH motcua catalogue load services/intake/catalogue/procedures.yml && \
	  PATH=$(VENV)/bin:$$PATH motcua run

# The tests mirror the code: tests/<service>/ for a service, tests/common/ for the kernel,
# tests/tooling/ for the tools; one folder alone: .venv/bin/python -m pytest tests/routing
# (scripts/run_tests.sh: two shards of the tests without a stack at once, then the e2e ones).
test: install servers lint
	PY=$(PY) bash scripts/run_tests.sh

test-e2e: install servers
	$(PY) -m pytest -q -s tests/e2e

# Every fault kind while 5,000 dossiers flow, then the exactly-once audit line.
test-faults: install servers
	MOTCUA_FAULT_DOSSIERS=$${MOTCUA_FAULT_DOSSIERS:-5000} $(PY) -m pytest -q -s -W ignore::DeprecationWarning tests/faults

# The OpenAPI fuzzing at length: 1,000 generated cases per operation (`make test` runs 10) and
# every header swept on every operation (`make test`: on one operation per service).
fuzz: install servers
	MOTCUA_FUZZ_EXAMPLES=$${MOTCUA_FUZZ_EXAMPLES:-1000} MOTCUA_FUZZ_EVERY_HEADER=1 $(PY) -m pytest -q -s -W ignore::DeprecationWarning \
	  tests/security/test_openapi_fuzz.py tests/security/test_citizen_endpoints_alike.py

bench: install servers
	$(PY) -m bench.e2e

# 20 signed-in officers on the desk against 100,000 dossiers (bench/README.md, "The desk").
bench-desk: install servers
	$(PY) -m bench.desk

# The printed forms (Mẫu 01-07, the transfer slip) of one demo dossier, as PDFs in docs/forms/.
forms: install servers
	$(PY) -m scripts.forms_examples

# A screenshot of every screen of the desk at 1366x768 and 360x640, in docs/screens/.
screens: install servers
	$(PY) -m scripts.desk_screens

lint: install
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) .run bench/results
