# OTWB Suite — the two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export TRYTOND_DATABASE__PATH ?= $(CURDIR)/var/db
SERVE ?= 1
DB ?= otwb_demo
CONFIG ?= config/trytond.conf
SIZE ?= 1

.PHONY: office demo test venv sao browser serve lint clean

$(VENV)/.installed: pyproject.toml setup.py constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

venv: $(VENV)/.installed

web/node_modules/tryton-sao/.installed: web/package.json
	cd web && npm install --no-audit --no-fund --omit=dev --loglevel=error
	# sao's index.html loads node_modules/... relative to its own folder
	ln -sfn .. web/node_modules/tryton-sao/node_modules
	touch $@

sao: web/node_modules/tryton-sao/.installed

# Debian's headless Chromium for the browser tests (Playwright drives it;
# no browser is downloaded).  Skipped when it is there already.
browser:
	@test -x /usr/bin/chromium || { apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		chromium chromium-driver; }

# LibreOffice (Debian's, without GUI) renders the documents (pick list,
# packing slip, trip manifest, customer statement) to PDF; without it
# they are given as ODT.  Skipped when it is there already.
office:
	@test -x /usr/bin/soffice || { apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		libreoffice-writer-nogui; }

demo: venv sao
	$(PY) -m otwb_tools.demo -c $(CONFIG) -d $(DB) --size $(SIZE)
ifeq ($(SERVE),1)
	@echo "Serving the web client and XML-RPC/JSON-RPC on http://127.0.0.1:8000/"
	@echo "Open http://127.0.0.1:8000/ — database $(DB), login admin (password above)"
	$(VENV)/bin/trytond -c $(CONFIG) -d $(DB)
endif

serve: venv sao
	$(VENV)/bin/trytond -c $(CONFIG) -d $(DB)

test: venv sao browser office
	$(PY) -m otwb_tools.runtests

lint: venv
	$(VENV)/bin/ruff check addons otwb_tools tests bench

clean:
	rm -rf var .venv web/node_modules
