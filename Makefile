# The one test command (README, .ci/run): install what the tests need, run them all.
PYTHON ?= python3
export PIP_ROOT_USER_ACTION := ignore
export PIP_DISABLE_PIP_VERSION_CHECK := 1
PIP := $(PYTHON) -m pip

.PHONY: test install deps browser bench clean

test: deps browser
	$(PYTHON) -m pytest -q --hypothesis-profile=ci

install:
	$(PIP) install -e .

deps:
	$(PIP) install -q -e '.[test]'

# Debian's chromium, driven by Playwright through executable_path (no browser download);
# poppler-utils (pdftoppm) and Pango for the PDF briefing pack tests (WeasyPrint).
browser:
	@{ command -v chromium && command -v pdftoppm && ldconfig -p | grep -q libpangoft2; } >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium poppler-utils \
	    libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core; }

bench:
	$(PYTHON) bench/run.py

clean:
	rm -rf site .briefgen-cache .pytest_cache .hypothesis
