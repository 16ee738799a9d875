# Two entry points: `make run` (install and start the app) and `make test` (install and run every check).
# Elsewhere than this project's machines, get the CPU build of torch with
#   make run TORCH_INDEX=https://download.pytorch.org/whl/cpu
VENV ?= .venv
PY := $(VENV)/bin/python
TORCH_INDEX ?=
TORCH_PIN := torch==2.13.0
PIP := $(PY) -m pip install --quiet

.PHONY: run test install install-dev system-packages

$(PY):
	python3 -m venv $(VENV)

# torch goes in first, pinned, so that nothing after it can pull the multi-GB CUDA build.
$(VENV)/.installed-app: pyproject.toml | $(PY)
	$(PIP) $(TORCH_PIN) $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(PIP) -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed-app
	$(PIP) -e '.[dev,real]'
	touch $@

install: $(VENV)/.installed-app
install-dev: $(VENV)/.installed-dev

run: install
	$(VENV)/bin/studyapp $(ARGS)

# Browser tests drive Debian's Chromium; code exercises run inside bubblewrap. Install them when
# we may (root with apt), else those tests skip (and fail under CI=true).
SYSTEM_PACKAGES := chromium fonts-noto-cjk bubblewrap
system-packages:
	@if [ ! -x /usr/bin/chromium ] || ! command -v bwrap >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
		fi; \
	fi

test: install-dev system-packages
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/studyapp validate
	$(VENV)/bin/studyapp bank similar --check
	$(VENV)/bin/pytest $(ARGS)
