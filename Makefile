# Two entry points for newcomers; each installs what it needs (python3, git and make suffice).
.DEFAULT_GOAL := help
SHELL := bash
.SHELLFLAGS := -euo pipefail -c

# uv from PATH, or a private copy installed on first use.
UV ?= $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
NOX := .venv/bin/nox
# Where the test sessions note each test they skipped for lack of a tool, for one list at the end.
SKIPPED := .nox/skipped-tests

# The sessions that run baked projects for many minutes: they run side by side, where a machine
# with cores to spare finishes sooner, each line of their output prefixed with its session's name.
SIDE_BY_SIDE := e2e docker

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

test: $(NOX) ## Run the template's full test suite; list what it skipped for lack of a tool
	rm -f $(SKIPPED)
	SKIPPED_TESTS="$(CURDIR)/$(SKIPPED)" $(NOX) --session lint tests
	$(MAKE) --no-print-directory --jobs $(addprefix session-,$(SIDE_BY_SIDE))
	@if [[ -s $(SKIPPED) ]]; then \
	  echo "Skipped for lack of a tool (tests, reason and the command that installs it):"; \
	  sort $(SKIPPED) | uniq -c; \
	fi

# Without this make's flags: the projects the tests bake must not inherit its --jobs.
session-%: $(NOX)
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL SKIPPED_TESTS="$(CURDIR)/$(SKIPPED)" \
	  $(NOX) --session $* 2>&1 | sed -u 's/^/[$*] /'
