# The template's own tasks. Every target installs what it needs: Python 3.11+ and make suffice.
.DEFAULT_GOAL := help
SHELL := /bin/bash

# Use uv from PATH, or bootstrap a private copy into .tools/ on a machine without it.
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
export PATH := $(dir $(UV)):$(PATH)
BAKE_DIR := build
# Test workers: one more than the cores, as much of a bake's checks waits on servers and
# subprocesses rather than computing.
WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
PORT ?= 8000

.PHONY: help
help: ## List the tasks
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(CURDIR)/.tools/bin/uv:
	python3 -m venv .tools && .tools/bin/pip install --quiet uv

.venv: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked
	@touch .venv

.PHONY: serve
serve: .venv ## Generate a service with the defaults into build/ and serve it on 127.0.0.1:$(PORT)
	rm -rf $(BAKE_DIR)/orders-service
	$(UV) run cookiecutter --no-input --output-dir $(BAKE_DIR) .
	cd $(BAKE_DIR)/orders-service && $(UV) sync && $(UV) run alembic upgrade head \
		&& $(UV) run fastapi run --host 127.0.0.1 --port $(PORT)

.PHONY: test
test: .venv ## Run the template's whole test suite (bakes every combination, runs its checks)
	$(UV) run pytest -n $(WORKERS) --dist loadgroup

.PHONY: bench
bench: .venv ## Measure the generated service beside a bare FastAPI app (about 5 min; installs wrk)
	$(UV) run python bench/run.py

.PHONY: bench-smoke
bench-smoke: .venv ## The benchmark in one short round, to check that it runs
	$(UV) run python bench/run.py --smoke

.PHONY: lint
lint: .venv ## Lint the template's own code (hooks and tests)
	$(UV) run pre-commit run --all-files

.PHONY: clean
clean: ## Remove baked projects and caches
	rm -rf $(BAKE_DIR) .pytest_cache .ruff_cache
