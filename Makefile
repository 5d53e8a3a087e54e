# Two commands: `make run` serves the app with the seed record, `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2

.PHONY: run test lint browser-setup serve-setup messages compile-messages bench-search bench load clean

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# A random secret key for this checkout, kept out of git.
.secret_key:
	$(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $@
	chmod 600 $@

# Translations (README "Languages"): every tracker/locale/<lang>/LC_MESSAGES/django.po is
# compiled to its .mo (generated, not in git) with Babel, pure Python, so a fresh machine
# needs no GNU gettext to run or test the site.
LOCALE_MO := $(patsubst %.po,%.mo,$(wildcard tracker/locale/*/LC_MESSAGES/django.po))

tracker/locale/%/LC_MESSAGES/django.mo: tracker/locale/%/LC_MESSAGES/django.po | $(VENV)/.runtime
	$(VENV)/bin/pybabel compile --domain django --locale $* --input-file $< --output-file $@

compile-messages: $(LOCALE_MO)

# Collects new and changed strings into every catalogue; needs GNU gettext (xgettext,
# msgmerge: apt-get install gettext). Then translate the new entries in the .po files.
messages: $(VENV)/.runtime .secret_key
	@command -v xgettext >/dev/null || { echo "make messages needs GNU gettext: apt-get install gettext"; exit 1; }
	SECRET_KEY="$$(cat .secret_key)" $(PY) manage.py makemessages --all --no-location --no-obsolete \
		--ignore=.venv --ignore=staticfiles --ignore=tests --ignore=bench

serve-setup: $(VENV)/.runtime .secret_key $(LOCALE_MO)
	SECRET_KEY="$$(cat .secret_key)" $(PY) manage.py migrate --noinput
	SECRET_KEY="$$(cat .secret_key)" $(PY) manage.py load_seed
	SECRET_KEY="$$(cat .secret_key)" $(PY) manage.py collectstatic --noinput --verbosity 0

run: serve-setup
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl-C to stop)"
	SECRET_KEY="$$(cat .secret_key)" $(VENV)/bin/gunicorn tracker.wsgi \
		--bind $(HOST):$(PORT) --workers $(WORKERS) --timeout 120 --access-logfile -

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# What the browser tests (tests/browser/) need: Debian's Chromium and axe-core from npm.
CHROMIUM ?= /usr/bin/chromium
browser-setup:
	test -x $(CHROMIUM) || apt-get install -y chromium
	npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error

test: lint browser-setup $(LOCALE_MO)
	$(PY) -m pytest --numprocesses auto

# Search benchmark: builds 100,000 synthetic cases once in its own database, then times /search/.
# On PostgreSQL: make bench-search BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracker_bench
BENCH_DATABASE_URL ?= sqlite:///bench.sqlite3
bench-search: $(VENV)/.runtime .secret_key
	SECRET_KEY="$$(cat .secret_key)" $(PY) manage.py collectstatic --noinput --verbosity 0
	SECRET_KEY="$$(cat .secret_key)" DATABASE_URL="$(BENCH_DATABASE_URL)" $(PY) manage.py migrate --noinput --verbosity 0
	SECRET_KEY="$$(cat .secret_key)" DATABASE_URL="$(BENCH_DATABASE_URL)" $(PY) manage.py search_benchmark

# Site benchmark: every kind of public page under gunicorn, loaded with wrk (installed if missing),
# against a bare view; queries per page and the CSV export's memory. Same database as bench-search.
bench: $(VENV)/.runtime .secret_key
	command -v wrk >/dev/null || apt-get install -y wrk
	SECRET_KEY="$$(cat .secret_key)" $(PY) manage.py collectstatic --noinput --verbosity 0
	SECRET_KEY="$$(cat .secret_key)" DATABASE_URL="$(BENCH_DATABASE_URL)" $(PY) manage.py migrate --noinput --verbosity 0
	SECRET_KEY="$$(cat .secret_key)" DATABASE_URL="$(BENCH_DATABASE_URL)" $(PY) manage.py site_benchmark

# Load-and-fault test (bench/load_fault.py): readers and 4 editors under gunicorn for 60 s, in a
# throwaway database (SQLite, or <name>_load_fault beside LOAD_DATABASE_URL's database); then every
# acknowledged save is checked. On PostgreSQL, LOAD_ARGS=--restart-postgres restarts the server mid-run.
LOAD_DATABASE_URL ?=
LOAD_ARGS ?=
load: $(VENV)/.runtime
	$(PY) bench/load_fault.py --database-url "$(LOAD_DATABASE_URL)" $(LOAD_ARGS)

clean:
	rm -rf $(VENV) staticfiles $(LOCALE_MO)
