"""Load-and-fault test: readers on the public pages while editors save through the admin.

In a throwaway database (a temporary SQLite file, or `<name>_load_fault` next to the
PostgreSQL database that --database-url names; never that database itself) it builds a small
synthetic record and four editor accounts, serves the app with gunicorn (the sync workers of
gunicorn.conf.py, as `make run`) on a free port of 127.0.0.1, then for --duration seconds:

- reader threads request random public pages: home, lists with random filters and pages,
  detail pages of every kind, search, small CSV/JSON exports, the feed;
- each editor thread logs in through the admin's login form as a browser does (CSRF cookie and
  token), opens the change form of a case (its own cases in turn, and every fourth time one
  case shared by all editors), submits every field the page renders (parsed from the HTML, hidden
  fields included) with the summary ending in a unique marker, and records each acknowledged
  save (the admin's redirect) and each refusal (the form again, with errors);
- with --restart-postgres, PostgreSQL is restarted mid-run (pg_ctlcluster, fast mode).

Then it checks that every acknowledged save is in the database: each editor's own cases hold
the last marker acknowledged for them, and every acknowledged marker has its history row. It
prints a report and exits 1 on any 5xx, failed request or lost write (with --allow-cut-saves,
saves that the restart cut in the middle and that were verifiably not saved are let pass: the
app never runs a POST again).

Run from the repository root with the project's virtualenv:
    .venv/bin/python bench/load_fault.py [--duration 60] [--database-url postgres://...]
"""

import argparse
import contextlib
import dataclasses
import html.parser
import http.client
import http.cookies
import io
import os
import random
import re
import runpy
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # the only address this script ever sends a request to
REQUEST_TIMEOUT = 60  # seconds; longer than the app's wait for a restarting database
EDITORS = 4
OWN_CASES = 3  # per editor; every fourth save goes to the case all editors share
EDITOR_PASSWORD = "load-test-" + secrets.token_urlsafe(12)
# A small record: enough variety for the readers, built in seconds.
SCALE = {"cases": 2000, "organisations": 300, "people": 300, "laws": 30, "sources": 1000}
MARKER = re.compile(r"\s*\[load ([\w-]+)\]$")
MARKER_IN_TEXT = re.compile(r"\[load ([\w-]+)\]")
LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1"}


# ---------------------------------------------------------------- HTTP, as a browser does it


@dataclasses.dataclass
class Response:
    status: int
    headers: list
    body: bytes

    def header(self, name):
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def send(port, method, path, headers=None, body=None):
    """One request to 127.0.0.1:port on a new connection (gunicorn's sync workers close it)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Response(response.status, response.getheaders(), response.read())
    finally:
        connection.close()


class Browser:
    """Cookies, CSRF and forms for one editor: just enough of a browser for the admin."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}

    def request(self, method, path, body=None, content_type=None):
        headers = {"Host": f"{HOST}:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            headers["Origin"] = f"http://{HOST}:{self.port}"
            headers["Referer"] = f"http://{HOST}:{self.port}{path}"
            headers["Content-Type"] = content_type
        response = send(self.port, method, path, headers, body)
        for name, value in response.headers:
            if name.lower() == "set-cookie":
                self.keep_cookie(value)
        return response

    def keep_cookie(self, header):
        jar = http.cookies.SimpleCookie()
        jar.load(header)
        for name, morsel in jar.items():
            if morsel["max-age"] == "0" or not morsel.value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value

    def submit(self, path, form, changes):
        """POST `form` (as parsed) back to `path`, with `changes` ({name: value}) applied."""
        fields = [(name, changes.get(name, value)) for name, value in form.fields]
        if form.enctype == "multipart/form-data":
            boundary = uuid.uuid4().hex
            body = multipart(fields, boundary)
            content_type = f"multipart/form-data; boundary={boundary}"
        else:
            body = urlencode(fields).encode()
            content_type = "application/x-www-form-urlencoded"
        return self.request("POST", form.action or path, body, content_type)


def multipart(fields, boundary):
    out = io.BytesIO()
    for name, value in fields:
        out.write(f"--{boundary}\r\n".encode())
        out.write(f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(value.encode() + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue()


@dataclasses.dataclass
class Form:
    action: str = ""
    enctype: str = "application/x-www-form-urlencoded"
    fields: list = dataclasses.field(default_factory=list)


class FormParser(html.parser.HTMLParser):
    """The fields a browser would submit from the form with id `form_id`, pressing the submit
    button named `button`: inputs (checked boxes only), selects, textareas, hidden fields;
    disabled controls and other buttons left out."""

    def __init__(self, form_id, button):
        super().__init__(convert_charrefs=True)
        self.form_id, self.button = form_id, button
        self.form = None
        self.inside = False
        self.pressed = False
        self.select = None  # (name, multiple, [(value, selected)])
        self.option = None  # [value or None, text, selected]
        self.textarea = None  # [name, text]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.inside = True
            self.form = Form(attrs.get("action") or "", attrs.get("enctype") or Form.enctype)
        if not self.inside or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in {"checkbox", "radio"}:
                if "checked" in attrs:
                    self.form.fields.append((name, attrs.get("value", "on")))
            elif kind in {"submit", "image", "button"}:
                if name == self.button and not self.pressed:  # one button is pressed
                    self.form.fields.append((name, attrs.get("value", "")))
                    self.pressed = True
            elif kind not in {"reset", "file"}:
                self.form.fields.append((name, attrs.get("value", "")))
        elif tag == "select" and name:
            self.select = (name, "multiple" in attrs, [])
        elif tag == "option" and self.select:
            self.option = [attrs.get("value"), "", "selected" in attrs]
        elif tag == "textarea" and name:
            self.textarea = [name, ""]

    def handle_data(self, data):
        if self.option is not None:
            self.option[1] += data
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "option" and self.option is not None:
            value, text, selected = self.option
            self.select[2].append((text.strip() if value is None else value, selected))
            self.option = None
        elif tag == "select" and self.select is not None:
            name, multiple, options = self.select
            chosen = [value for value, selected in options if selected]
            if not multiple:  # one value: the last selected, or else the first option
                chosen = chosen[-1:] or [value for value, _ in options[:1]]
            self.form.fields.extend((name, value) for value in chosen)
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            name, text = self.textarea
            # Browsers drop the newline right after <textarea> and send line breaks as CRLF.
            text = text.removeprefix("\n").replace("\r\n", "\n").replace("\n", "\r\n")
            self.form.fields.append((name, text))
            self.textarea = None
        elif tag == "form" and self.inside:
            self.inside = False


def parse_form(page, form_id, button="_save"):
    parser = FormParser(form_id, button)
    parser.feed(page.decode("utf-8", "replace"))
    return parser.form


# ---------------------------------------------------------------- what happened


class Tally:
    """Counts and latencies from every thread, and the times of failures."""

    def __init__(self, started):
        self.lock = threading.Lock()
        self.started = started
        self.requests = {"reader": 0, "editor": 0}
        self.server_errors = {"reader": 0, "editor": 0}
        self.failures = {"reader": 0, "editor": 0}  # no response, or one not expected
        self.latencies = []  # readers', in seconds
        self.latencies_by_kind = {}  # {kind of page: [seconds]}
        self.kinds = {}  # {address asked by a reader: its kind of page}
        self.failure_times = []
        self.examples = []
        self.attempts = []  # (case pk, marker, own) of every save sent, in order
        self.acknowledged = []  # (editor, case pk, marker, own) in order of acknowledgement
        self.refused = 0
        self.failed_saves = []  # (case pk, marker, status, seconds into the run)

    def count(self, role, status=None, elapsed=None, problem=None, kind=None, address=None):
        with self.lock:
            self.requests[role] += 1
            if address is not None:
                self.kinds[address] = kind
            if status is not None and status >= 500:
                self.server_errors[role] += 1
            if problem:
                self.failures[role] += 1
                self.failure_times.append(time.monotonic() - self.started)
                if len(self.examples) < 10:
                    self.examples.append(problem)
            elif role == "reader" and elapsed is not None:
                self.latencies.append(elapsed)
                self.latencies_by_kind.setdefault(kind, []).append(elapsed)


def reader(port, pages, deadline, tally, seed, pause=0.0):
    """Ask for random public pages until the end, waiting `pause` seconds between two (a
    reader reading; 0: one request after another, which keeps the server saturated)."""
    rng = random.Random(seed)  # noqa: S311 (which page to ask for, not a secret)
    while time.monotonic() < deadline:
        if pause:  # drawn only then: without a pause, the same pages as before for a seed
            time.sleep(pause * rng.uniform(0.5, 1.5))
        kind, page = rng.choice(pages)
        path = page()
        started = time.monotonic()
        try:
            response = send(port, "GET", path, {"Host": f"{HOST}:{port}"})
        except (OSError, http.client.HTTPException) as error:
            tally.count("reader", problem=f"GET {path}: {type(error).__name__}: {error}")
            continue
        problem = None if response.status == 200 else f"GET {path}: {response.status}"
        elapsed = time.monotonic() - started
        tally.count("reader", response.status, elapsed, problem, kind, address=path)


def editor(port, admin, username, own, shared, deadline, tally, pause):
    """Log in, then edit own cases in turn (and every fourth time the shared one) until the end.

    A request that gets no answer is counted; the editor then logs in again with a new session.
    """
    number = 0
    while time.monotonic() < deadline:
        browser = Browser(port)
        try:
            if not log_in(browser, admin, username, tally):
                return
            while time.monotonic() < deadline:
                case = shared if number % 4 == 3 else own[number % len(own)]
                edit(browser, admin, username, case, case != shared, number, tally)
                number += 1
                time.sleep(pause)
        except (OSError, http.client.HTTPException) as error:
            tally.count("editor", problem=f"{username}: {type(error).__name__}: {error}")
            number += 1


def log_in(browser, admin, username, tally):
    login = f"/{admin}login/?next=/{admin}"
    page = browser.request("GET", login)
    tally.count("editor", page.status, problem=None if page.status == 200 else "login page")
    form = parse_form(page.body, "login-form", button=None)
    if form is None:
        tally.count("editor", problem=f"{username}: no login form")
        return False
    changes = {"username": username, "password": EDITOR_PASSWORD}
    response = browser.submit(login, form, changes)
    ok = response.status == 302 and "sessionid" in browser.cookies
    tally.count("editor", response.status, problem=None if ok else f"{username}: login refused")
    return ok


def edit(browser, admin, username, case, own, number, tally):
    path = f"/{admin}tracker/case/{case}/change/"
    page = browser.request("GET", path)
    form = parse_form(page.body, "case_form") if page.status == 200 else None
    problem = None if form else f"GET {path} as {username}: {page.status}, no form"
    tally.count("editor", page.status, problem=problem)
    if form is None:
        return
    fields = dict(form.fields)
    marker = f"{username}-{number:05d}-{secrets.token_hex(3)}"
    summary = MARKER.sub("", fields.get("summary", "")) + f" [load {marker}]"
    with tally.lock:
        tally.attempts.append((case, marker, own))
    response = browser.submit(path, form, {"summary": summary})
    location = response.header("Location") or ""
    if response.status == 302 and "/login/" not in location:
        tally.count("editor", response.status)
        with tally.lock:
            tally.acknowledged.append((username, case, marker, own))
    elif response.status == 200 and b"errornote" in response.body:
        tally.count("editor", response.status)  # refused with a message: not a lost write
        with tally.lock:
            tally.refused += 1
    else:
        tally.count("editor", response.status, problem=f"POST {path}: {response.status}")
        with tally.lock:
            tally.failed_saves.append(
                (case, marker, response.status, time.monotonic() - tally.started)
            )


# ---------------------------------------------------------------- the database and the server


def throwaway_url(database_url, workdir):
    """The URL of the database this run may create and drop, never `database_url` itself."""
    if not database_url or database_url.startswith("sqlite"):
        return f"sqlite:///{workdir / 'load_fault.sqlite3'}"
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/") or "tracker"
    return urlunsplit(parts._replace(path=f"/{name}_load_fault"))


def postgres_admin(url, statements):
    """Run statements (outside a transaction) in the server's `postgres` database."""
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as db:
        for statement in statements:
            db.execute(statement)


def recreate_postgres(url, template=None):
    """Create the throwaway database anew: empty, or a copy of `template`'s database."""
    name = urlsplit(url).path.lstrip("/")
    copy = f' TEMPLATE "{urlsplit(template).path.lstrip("/")}"' if template else ""
    postgres_admin(
        url, [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"{copy}']
    )


def copy_sqlite(source_url, url):
    """Copy the SQLite database of `source_url` into the throwaway one of `url`."""
    import sqlite3

    source = source_url.removeprefix("sqlite:///")
    if not Path(source).is_file():
        raise SystemExit(f"No SQLite database at {source} to copy")
    target = url.removeprefix("sqlite:///")
    with sqlite3.connect(source) as original, sqlite3.connect(target) as copy:
        original.backup(copy)


def drop_postgres(url):
    name = urlsplit(url).path.lstrip("/")
    postgres_admin(url, [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'])


def prepare(url, log, build=True):
    """Migrate, build the synthetic record (unless `build` is false: the throwaway database
    is a copy of one) and the editors; return what the threads need."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    log("Migrating ...")
    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    if build:
        log(f"Building a synthetic record ({', '.join(f'{k} {v}' for k, v in SCALE.items())}) ...")
        call_command("generate_synthetic", stdout=io.StringIO(), **SCALE)
    editors = [f"load-editor-{n}" for n in range(1, EDITORS + 1)]
    for username in editors:
        stdin, sys.stdin = sys.stdin, io.StringIO(EDITOR_PASSWORD + "\n")
        try:
            call_command("create_editor", username, password_stdin=True, stdout=io.StringIO())
        finally:
            sys.stdin = stdin
    rng = random.Random(1)  # noqa: S311 (which pages the readers ask for, not a secret)
    return editors, reader_pages(rng), editable_cases(len(editors))


def editable_cases(editors):
    from tracker.models import Case

    pks = list(Case.objects.order_by("pk").values_list("pk", flat=True)[: editors * OWN_CASES + 1])
    own = [pks[n * OWN_CASES : (n + 1) * OWN_CASES] for n in range(editors)]
    return own, pks[-1]


def reader_pages(rng):
    """Callables that each return a random public address of one kind."""
    from django.conf import settings

    from tracker.models import Case, Charge, Designation, Law, Organisation, Person, Source

    def sample(queryset, count=200):
        return list(queryset.order_by("?")[:count])

    organisations = sample(Organisation.objects.published())
    laws = sample(Law.objects.published())
    cases = sample(Case.objects.published())
    people = sample(Person.objects.published())
    sources = sample(Source.objects.published())
    designations = sample(Designation.objects.published().select_related("law"))
    # Published laws only, as the filter offers: another is refused and ignored, so its export
    # would be every published case (seconds at 100,000 cases), not the small one meant here.
    charged = Charge.objects.filter(law__in=Law.objects.published()).select_related("law")
    charge_laws = sorted({c.law.slug for c in charged[:500]})
    words = [w for o in organisations + people for w in o.name.split() if len(w) > 3]
    size = settings.PAGE_SIZE

    def listed(path, count, **filters):
        page = rng.randint(1, max(1, min(count // size, 20)))
        return f"{path}?{urlencode({**filters, 'page': page})}" if filters or page > 1 else path

    counts = {
        "/organisations/": Organisation.objects.published().count(),
        "/laws/": Law.objects.published().count(),
        "/cases/": Case.objects.published().count(),
        "/people/": Person.objects.published().count(),
        "/sources/": Source.objects.published().count(),
    }

    def a_list():
        return listed(*rng.choice(list(counts.items())))

    def a_filtered_list():
        d, c, p = rng.choice(designations), rng.choice(cases), rng.choice(people)
        return rng.choice(
            [
                f"/organisations/?{urlencode({'designation': d.kind})}",
                f"/organisations/?{urlencode({'law': d.law.slug})}" if d.law else "/organisations/",
                f"/organisations/?{urlencode({'country': rng.choice(organisations).country})}",
                f"/cases/?{urlencode({'status': c.status})}",
                f"/cases/?{urlencode({'law': rng.choice(charge_laws)})}",
                f"/cases/?{urlencode({'country': c.country, 'status': c.status})}",
                f"/people/?{urlencode({'role': p.role})}",
                f"/laws/?{urlencode({'jurisdiction': 'RU'})}",
                f"/sources/?{urlencode({'reliability': rng.choice(sources).reliability})}",
            ]
        )

    def a_detail():
        return rng.choice(organisations + laws + cases + people + sources).get_absolute_url()

    def a_search():
        return f"/search/?{urlencode({'q': rng.choice(words)})}"

    def an_export():
        return rng.choice(
            [
                f"/cases/?{urlencode({'law': rng.choice(charge_laws), 'format': 'csv'})}",
                f"/people/?{urlencode({'role': rng.choice(people).role, 'format': 'json'})}",
                f"/laws/?{urlencode({'format': 'csv'})}",
            ]
        )

    # (kind, address) weighted as readers might be: mostly lists and detail pages.
    return [
        ("home", lambda: "/"),
        ("list", a_list),
        ("list", a_list),
        ("filtered list", a_filtered_list),
        ("filtered list", a_filtered_list),
        ("detail", a_detail),
        ("detail", a_detail),
        ("detail", a_detail),
        ("search", a_search),
        ("export", an_export),
        ("feed", lambda: "/feeds/designations/"),
    ]


def free_port():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def gunicorn_workers():
    """The number of workers gunicorn.conf.py gives gunicorn on this machine."""
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    return settings["workers"]


# gunicorn's access log: per request, the milliseconds from its arrival in a worker to its
# answer, then the method, path and query (never with a space: the query is encoded).
ACCESS_LOG_FORMAT = "%(M)s %(m)s %(U)s %(q)s"


def start_gunicorn(url, port, page_cache, log_file, access_log):
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PAGE_CACHE": "1" if page_cache else "0",
        "DEBUG": "0",
    }
    # gunicorn.conf.py (its workers, as `make run`) is read from the working directory.
    command = [sys.executable, "-m", "gunicorn", "tracker.wsgi", "--bind", f"{HOST}:{port}"]
    command += ["--log-level", "warning", "--access-logfile", str(access_log)]
    command += ["--access-logformat", ACCESS_LOG_FORMAT]
    return subprocess.Popen(  # noqa: S603 (our own interpreter, arguments built here)
        command, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT
    )


def wait_until_up(gunicorn, port, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if gunicorn.poll() is not None:
            raise SystemExit(f"gunicorn exited with status {gunicorn.returncode}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if send(port, "GET", "/healthz", {"Host": f"{HOST}:{port}"}).status == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer within {timeout} s")


def stop(gunicorn):
    gunicorn.terminate()
    try:
        gunicorn.wait(timeout=30)
    except subprocess.TimeoutExpired:
        gunicorn.kill()
        gunicorn.wait()


# ---------------------------------------------------------------- restarting PostgreSQL


def restart_command(url):
    """`pg_ctlcluster VERSION NAME restart` for the local cluster listening on the URL's port."""
    parts = urlsplit(url)
    if (parts.hostname or "") not in LOCAL_HOSTS:
        raise SystemExit(f"Refusing to restart a PostgreSQL server on {parts.hostname}.")
    lsclusters, ctlcluster = shutil.which("pg_lsclusters"), shutil.which("pg_ctlcluster")
    if not (lsclusters and ctlcluster):
        raise SystemExit("pg_lsclusters not found: give the restart as --restart-command.")
    listing = subprocess.run(  # noqa: S603 (Debian's postgresql-common)
        [lsclusters, "--no-header"], capture_output=True, text=True, check=True
    )
    port = str(parts.port or 5432)
    for line in listing.stdout.splitlines():
        version, name, cluster_port = line.split()[:3]
        if cluster_port == port:
            return [ctlcluster, "--mode", "fast", version, name, "restart"]
    raise SystemExit(f"No local PostgreSQL cluster listens on port {port} (pg_lsclusters).")


@dataclasses.dataclass
class Restart:
    command: list
    at: float  # seconds into the run
    began: float = 0.0
    down_seconds: float = 0.0
    error: str = ""


def restart_postgres(restart, url, started, deadline):
    """Restart the server `restart.at` s into the run; time until it accepts connections."""
    import psycopg

    time.sleep(max(0.0, started + restart.at - time.monotonic()))
    restart.began = time.monotonic() - started
    begin = time.monotonic()
    completed = subprocess.run(  # noqa: S603 (pg_ctlcluster, or the user's own command)
        restart.command, capture_output=True, text=True, timeout=120
    )
    if completed.returncode:
        restart.error = (completed.stderr or completed.stdout).strip()
        return
    while time.monotonic() < deadline + 60:
        try:
            psycopg.connect(url, connect_timeout=2).close()
            break
        except psycopg.OperationalError:
            time.sleep(0.05)
    restart.down_seconds = time.monotonic() - begin


# ---------------------------------------------------------------- checking and reporting


def verify(attempts, acknowledged):
    """Lost writes: an own case that holds neither its last acknowledged marker nor one sent
    after it (a save that went through although its answer was lost), and any acknowledged
    marker without its history row. Also every marker found in the record or its history."""
    from tracker.models import Case

    pks = {case for case, _, _ in attempts}
    summaries = dict(Case.objects.filter(pk__in=pks).values_list("pk", "summary"))
    history = Case.history.filter(id__in=pks).values_list("summary", flat=True)
    recorded = {marker for text in history for marker in MARKER_IN_TEXT.findall(text or "")}
    acked = {marker for _, _, marker, _ in acknowledged}
    lost = []
    for case in {case for case, _, own in attempts if own}:
        sent = [marker for pk, marker, _ in attempts if pk == case]  # one editor: in order
        last = max((n for n, marker in enumerate(sent) if marker in acked), default=None)
        if last is None:
            continue
        held = MARKER_IN_TEXT.findall(summaries.get(case) or "")
        if not held or held[-1] not in sent[last:]:
            lost.append(f"case {case} lacks {sent[last]} (holds {held[-1] if held else None})")
    lost += [
        f"no history row for {marker} (case {case})"
        for _, case, marker, _ in acknowledged
        if marker not in recorded
    ]
    held = {marker for text in summaries.values() for marker in MARKER_IN_TEXT.findall(text or "")}
    return lost, recorded | held


def cut_writes(tally, restart, present):
    """Saves the restart cut: answered 500 from its start until the server was back, and
    verifiably not saved (their marker is neither in the record nor in its history)."""
    if not restart or restart.error:
        return []
    start, end = restart.began - 1, restart.began + restart.down_seconds + 2
    return [
        (case, marker)
        for case, marker, status, when in tally.failed_saves
        if status == 500 and start <= when <= end and marker not in present
    ]


def traceback_errors(log_text):
    """The last line (the error) of every traceback in a log."""
    errors = []
    for block in log_text.split("Traceback (most recent call last):")[1:]:
        body = [line for line in block.splitlines() if line.strip()]
        tail = next((line for line in body if not line.startswith((" ", "\t"))), "")
        errors.append(tail.strip()[:300])
    return errors


def percentile(values, fraction):
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def aligned(rows):
    """Rows of cells as text lines, the first column left-aligned, the others right-aligned
    (also the tables of `site_benchmark`)."""
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            str(cell).ljust(width) if i == 0 else str(cell).rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


def per_kind(latencies_by_kind):
    """Reader latencies by kind of page: requests, p50 and p95 in ms, aligned."""
    rows = [("  reader page", "requests", "p50 ms", "p95 ms")]
    for kind, seconds in sorted(latencies_by_kind.items()):
        ms = [value * 1000 for value in seconds]
        rows.append(
            (
                f"  {kind}",
                len(ms),
                f"{statistics.median(ms):.1f}",
                f"{percentile(ms, 0.95):.1f}",
            )
        )
    return aligned(rows)


def worker_time(access_log, kinds, admin):
    """{kind of request: [ms in a worker]} from gunicorn's access log (ACCESS_LOG_FORMAT).

    A reader's address is of the kind it was asked as (`kinds`); the admin's requests are the
    editors' (logging in, opening a change form, saving it); anything else (the check that the
    server is up) is "other"."""
    spent = {}
    for line in access_log.splitlines():
        fields = line.split(" ")
        if len(fields) != 4 or not fields[0].isdigit():
            continue
        ms, method, path, query = fields
        address = f"{path}?{query}" if query else path
        if address in kinds:
            kind = kinds[address]
        elif not path.startswith(f"/{admin}"):
            kind = "other"
        elif path.endswith("/login/"):
            kind = "editors: log in"
        else:
            kind = "editors: save" if method == "POST" else "editors: open a form"
        spent.setdefault(kind, []).append(int(ms))
    return spent


def worker_share(spent, duration):
    """Where the workers' time went (`worker_time`), the largest share first, aligned."""
    total = sum(map(sum, spent.values()))
    if not total:
        return []
    rows = [("  in the workers", "requests", "seconds", "share", "p50 ms")]
    for kind, ms in sorted(spent.items(), key=lambda item: -sum(item[1])):
        share = f"{100 * sum(ms) / total:.0f} %"
        median = f"{statistics.median(ms):.0f}"
        rows.append((f"  {kind}", len(ms), f"{sum(ms) / 1000:.1f}", share, median))
    busy = total / 1000 / duration
    return [
        f"gunicorn's workers were in requests for {total / 1000:.1f} s in {duration:.0f} s "
        f"({busy:.1f} at a time on average, on {os.cpu_count()} cores):",
        *aligned(rows),
    ]


def report(tally, lost, cut, restart, options, vendor, duration):
    lat = [seconds * 1000 for seconds in tally.latencies]
    rows = [
        ("", "requests", "5xx", "failed", "p50 ms", "p95 ms"),
        (
            "readers",
            tally.requests["reader"],
            tally.server_errors["reader"],
            tally.failures["reader"],
            f"{statistics.median(lat):.1f}" if lat else "-",
            f"{percentile(lat, 0.95):.1f}" if lat else "-",
        ),
        (
            "editors",
            tally.requests["editor"],
            tally.server_errors["editor"],
            tally.failures["editor"],
            "",
            "",
        ),
    ]
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    cache = "on" if options.page_cache else "off"
    lines = [
        f"\nLoad and fault test on {vendor}: {duration:.0f} s, {options.readers} readers and "
        f"{EDITORS} editors, gunicorn {gunicorn_workers()} sync workers, page cache {cache}",
        *(
            "  ".join(str(cell).rjust(width) for cell, width in zip(row, widths, strict=True))
            for row in rows
        ),
        f"reader requests per second: {tally.requests['reader'] / duration:.1f}",
        f"editor saves: {len(tally.acknowledged)} acknowledged, {tally.refused} refused "
        f"(form errors), lost writes: {len(lost)}",
    ]
    if restart:
        if restart.error:
            lines.append(f"PostgreSQL restart FAILED: {restart.error}")
        else:
            window = [
                t
                for t in tally.failure_times
                if restart.began - 1 <= t <= restart.began + restart.down_seconds + 30
            ]
            lines.append(
                f"PostgreSQL restart at {restart.began:.1f} s ({' '.join(restart.command)}): "
                f"accepting connections again after {restart.down_seconds:.2f} s; failed "
                f"requests around it: {len(window)}, of which saves cut in the middle "
                f"(answered 500, verified not saved): {len(cut)}"
            )
    lines += per_kind(tally.latencies_by_kind)
    lines += [f"  lost: {item}" for item in lost[:10]]
    lines += [f"  failed: {item}" for item in tally.examples]
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (60)")
    parser.add_argument("--readers", type=int, default=8, help="reader threads (8)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("LOAD_DATABASE_URL", os.environ.get("DATABASE_URL", "")),
        help="a PostgreSQL URL: the run uses <its database>_load_fault on that server; "
        "default SQLite in a temporary directory",
    )
    parser.add_argument(
        "--page-cache",
        choices=["on", "off"],
        default="on",
        help="as shipped (on), or off to render every page",
    )
    parser.add_argument(
        "--editor-pause",
        type=float,
        default=0.1,
        help="seconds an editor waits between saves (0.1)",
    )
    parser.add_argument(
        "--restart-postgres", action="store_true", help="restart the PostgreSQL server mid-run"
    )
    parser.add_argument(
        "--restart-at", type=float, default=0.5, help="when, as a fraction of the duration (0.5)"
    )
    parser.add_argument(
        "--restart-command", help="how to restart it (default: pg_ctlcluster for its port)"
    )
    parser.add_argument(
        "--allow-cut-saves",
        action="store_true",
        help="exit 0 despite saves the restart cut in the middle, if none of them was saved "
        "(the app never runs a POST again; they are reported all the same)",
    )
    parser.add_argument(
        "--copy",
        action="store_true",
        help="run on a copy of the --database-url database (e.g. the 100,000-case synthetic "
        "record: SQLite file copied, PostgreSQL database used as a template) instead of a "
        "small record built for the run",
    )
    parser.add_argument(
        "--without-exports",
        action="store_true",
        help="readers ask for no exports (at 100,000 cases one holds a sync worker for seconds)",
    )
    parser.add_argument(
        "--reader-pause",
        type=float,
        default=0.0,
        help="seconds a reader waits between pages, on average (0: none, the server saturated)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and the log")
    options = parser.parse_args(argv)
    options.page_cache = options.page_cache == "on"
    # This process and gunicorn share it; a throwaway one unless the caller gives one.
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    if not 1 <= options.duration <= 3600 or not 1 <= options.readers <= 64:
        parser.error("--duration must be 1 to 3600 s and --readers 1 to 64")

    postgres = options.database_url.startswith(("postgres://", "postgresql://"))
    if options.restart_postgres and not postgres:
        parser.error("--restart-postgres needs a PostgreSQL --database-url")
    workdir = Path(tempfile.mkdtemp(prefix="load_fault_"))
    url = throwaway_url(options.database_url, workdir)
    restart = None
    if options.restart_postgres:
        command = options.restart_command.split() if options.restart_command else None
        restart = Restart(command or restart_command(url), options.duration * options.restart_at)

    def log(text):
        print(text, flush=True)

    if options.copy and not options.database_url:
        parser.error("--copy needs a --database-url to copy")
    source = options.database_url if options.copy else None
    if postgres:
        log(f"Creating the throwaway database {urlsplit(url).path.lstrip('/')} ...")
        recreate_postgres(url, template=source)
    elif source:
        log(f"Copying {source} ...")
        copy_sqlite(source, url)
    gunicorn = None
    try:
        editors, pages, (own, shared) = prepare(url, log, build=not options.copy)
        if options.without_exports:
            pages = [(kind, page) for kind, page in pages if kind != "export"]
        from django.conf import settings
        from django.db import connection, connections

        vendor, admin = connection.vendor, settings.ADMIN_PATH
        connections.close_all()  # the server may restart; this process reconnects to verify
        port = free_port()
        log_path, access_path = workdir / "gunicorn.log", workdir / "access.log"
        with open(log_path, "wb") as log_file:
            gunicorn = start_gunicorn(url, port, options.page_cache, log_file, access_path)
            wait_until_up(gunicorn, port)
            log(f"Serving on http://{HOST}:{port}/; {options.duration:.0f} s of load ...")
            started = time.monotonic()
            deadline = started + options.duration
            tally = Tally(started)
            threads = [
                threading.Thread(
                    target=reader, args=(port, pages, deadline, tally, n, options.reader_pause)
                )
                for n in range(options.readers)
            ]
            threads += [
                threading.Thread(
                    target=editor,
                    args=(
                        port,
                        admin,
                        username,
                        own[n],
                        shared,
                        deadline,
                        tally,
                        options.editor_pause,
                    ),
                )
                for n, username in enumerate(editors)
            ]
            if restart:
                threads.append(
                    threading.Thread(
                        target=restart_postgres, args=(restart, url, started, deadline)
                    )
                )
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            duration = time.monotonic() - started
            stop(gunicorn)
            gunicorn = None
        lost, present = verify(tally.attempts, tally.acknowledged)
        cut = cut_writes(tally, restart, present)
        lines = report(tally, lost, cut, restart, options, vendor, duration)
        served = log_path.read_text(errors="replace")
        lines.append(
            f"in gunicorn's log: {served.count('running it again')} reads run again after a cut "
            f"connection, {served.count('Database connection attempt')} connection attempts "
            f"retried, {served.count('Traceback')} tracebacks"
        )
        # The error each traceback ends with, so that a failure can be told apart in CI's log.
        lines += [f"  traceback: {error}" for error in traceback_errors(served)[:5]]
        spent = worker_time(access_path.read_text(errors="replace"), tally.kinds, admin)
        lines += worker_share(spent, duration)
        for line in lines:
            log(line)
        # Every 5xx is also a failure; saves cut by the restart pass only when allowed.
        tolerated = len(cut) if options.allow_cut_saves else 0
        failed = (
            sum(tally.failures.values()) - tolerated + len(lost)
            or not tally.acknowledged
            or not tally.latencies
            or (restart and restart.error)
        )
        if failed:
            log(f"FAILED; gunicorn's log: {log_path}")
            options.keep = True
        else:
            log("OK")
        return 1 if failed else 0
    finally:
        if gunicorn is not None:
            stop(gunicorn)
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        if options.keep:
            print(f"Kept the database {url} and {workdir}", flush=True)
        else:
            if postgres:
                drop_postgres(url)
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
