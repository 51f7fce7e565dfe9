# Two entry points for newcomers; each installs what it needs (python3, git and make suffice).
.DEFAULT_GOAL := help
SHELL := bash
.SHELLFLAGS := -euo pipefail -c

# uv from PATH, or a private copy installed on first use.
UV ?= $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
NOX := .venv/bin/nox
export UV_COMPILE_BYTECODE ?= 1

.PHONY: help demo test

help: ## Show the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-6s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv

$(NOX): $(UV) pyproject.toml uv.lock
	$(UV) sync --locked
	@touch $@

demo: $(NOX) ## Bake a project and run its loop: set up, reproduce, register, promote, predict
	$(NOX) --session demo

test: $(NOX) ## Run the template's full test suite (the docker session needs a Docker engine)
	$(NOX) --session lint tests e2e docker
