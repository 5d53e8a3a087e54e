# Two commands: `make run` serves the app with the seed record, `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint browser-setup serve-setup messages compile-messages bench-data bench-search \
	bench bench-editors load clean

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
		--ignore=.venv --ignore=.venv-datasette --ignore=staticfiles --ignore=tests --ignore=bench

serve-setup: $(VENV)/.runtime .secret_key $(LOCALE_MO)
	SECRET_KEY="$$(cat .secret_key)" $(PY) manage.py migrate --noinput
	SECRET_KEY="$$(cat .secret_key)" $(PY) manage.py load_seed
	SECRET_KEY="$$(cat .secret_key)" $(PY) manage.py collectstatic --noinput --verbosity 0

run: serve-setup
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl-C to stop)"
	SECRET_KEY="$$(cat .secret_key)" $(VENV)/bin/gunicorn tracker.wsgi \
		--bind $(HOST):$(PORT) --access-logfile -

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

# Benchmarks (README "Benchmarks", docs/performance.md): tools in bench/, run with bench.settings.
# The synthetic record goes into BENCH_DATABASE_URL: DATABASE_URL if set, else bench.sqlite3.
BENCH_DATABASE_URL ?= $(if $(DATABASE_URL),$(DATABASE_URL),sqlite:///bench.sqlite3)
BENCH_DATA_ARGS ?=
BENCH_ARGS ?=
BENCH_ENV = SECRET_KEY="$$(cat .secret_key)" DJANGO_SETTINGS_MODULE=bench.settings \
	DATABASE_URL="$(BENCH_DATABASE_URL)"
# On PostgreSQL, two gunicorn processes of one worker each, as two servers.
BENCH_SERVERS = $(if $(filter postgres%,$(BENCH_DATABASE_URL)),--servers 2 --workers 1,)

# The synthetic record (100,000 cases by default; BENCH_DATA_ARGS="--cases 5000" for fewer);
# refuses a database that holds real records or a synthetic set already.
bench-data: $(VENV)/.runtime .secret_key
	$(BENCH_ENV) $(PY) manage.py migrate --noinput --verbosity 0
	$(BENCH_ENV) $(PY) manage.py generate_synthetic $(BENCH_DATA_ARGS)

# Datasette, the comparison of `make bench`, in its own virtualenv. Its Python needs ssl:
# DATASETTE_PYTHON=/usr/bin/python3 where the default one was built without it.
DATASETTE_PYTHON ?= $(PYTHON)
.venv-datasette/.installed: bench/requirements-datasette.txt
	$(DATASETTE_PYTHON) -m venv .venv-datasette
	.venv-datasette/bin/pip install --quiet --disable-pip-version-check -r $<
	touch $@

# Search benchmark: times /search/ over the synthetic record (built first if the database is empty).
bench-search: $(VENV)/.runtime .secret_key
	$(BENCH_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	$(BENCH_ENV) $(PY) manage.py migrate --noinput --verbosity 0
	$(BENCH_ENV) $(PY) manage.py search_benchmark

# Site benchmark: this project (page cache off and on) against Datasette on a copy of the same
# SQLite file, wrk over random addresses; the CSV export; in-process render times; targets.
# BENCH_ARGS=--quick for 3 s per run. PostgreSQL: BENCH_DATABASE_URL=postgres://… (and
# REDIS_URL=redis://…), with BENCH_SQLITE=<a copy of the set in SQLite> for Datasette.
bench: $(VENV)/.runtime .secret_key .venv-datasette/.installed
	command -v wrk >/dev/null || apt-get install -y wrk
	$(BENCH_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	$(BENCH_ENV) $(PY) manage.py migrate --noinput --verbosity 0
	$(BENCH_ENV) BENCH_SQLITE="$(BENCH_SQLITE)" $(PY) manage.py site_benchmark $(BENCH_SERVERS) $(BENCH_ARGS)

# Load-and-fault test (bench/load_fault.py): readers and 4 editors under gunicorn for 60 s, in a
# throwaway database (SQLite, or <name>_load_fault beside LOAD_DATABASE_URL's database); then every
# acknowledged save is checked. On PostgreSQL, LOAD_ARGS=--restart-postgres restarts the server mid-run.
LOAD_DATABASE_URL ?=
LOAD_ARGS ?=
load: $(VENV)/.runtime
	$(PY) bench/load_fault.py --database-url "$(LOAD_DATABASE_URL)" $(LOAD_ARGS)

# Readers during edits: 4 editors save through the admin while readers ask for random public
# pages, on a copy of the synthetic record of BENCH_DATABASE_URL (make bench-data) with the page
# cache off; prints the readers' p50/p95 per kind of page. EDITORS_ARGS="--page-cache on" etc.
EDITORS_ARGS ?=
bench-editors: $(VENV)/.runtime .secret_key
	SECRET_KEY="$$(cat .secret_key)" DJANGO_SETTINGS_MODULE=bench.settings $(PY) bench/load_fault.py \
		--database-url "$(BENCH_DATABASE_URL)" --copy --page-cache off $(EDITORS_ARGS)

clean:
	rm -rf $(VENV) .venv-datasette staticfiles $(LOCALE_MO)
