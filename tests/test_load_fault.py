"""The load-and-fault script's browser: what it parses from an admin form is what the admin
accepts back (the script itself runs by `make load`, not in this suite)."""

import datetime
from types import SimpleNamespace

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from bench.load_fault import MARKER_IN_TEXT, parse_form
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_admin_form_as_parsed_saves_with_only_the_changed_field(editor_client):
    people = [factories.PersonFactory(), factories.PersonFactory()]
    case = factories.CaseFactory(summary="Line one.\nLine two & more.", people=people)
    factories.ChargeFactory(case=case)
    factories.CaseEventFactory(case=case)
    before = model_to_dict(case)
    path = reverse("admin:tracker_case_change", args=[case.pk])

    form = parse_form(editor_client.get(path).content, "case_form")
    submitted = {}
    for name, value in form.fields:
        submitted.setdefault(name, []).append(value)
    assert submitted["_save"] == ["Save"]
    assert submitted["csrfmiddlewaretoken"]
    assert sorted(submitted["people"]) == sorted(str(person.pk) for person in people)
    assert submitted["summary"] == ["Line one.\r\nLine two & more."]  # as a browser sends it
    submitted["summary"] = ["Line one. [load editor-00001-abc123]"]
    response = editor_client.post(path, submitted)

    assert response.status_code == 302
    case.refresh_from_db()
    after = model_to_dict(case)
    assert after.pop("summary") == "Line one. [load editor-00001-abc123]"
    before.pop("summary")
    assert after == before
    assert case.charges.count() == 1 and case.events.count() == 1
    latest = case.history.order_by("-history_date").first()
    assert MARKER_IN_TEXT.findall(latest.summary) == ["editor-00001-abc123"]


def test_gunicorn_runs_two_workers_per_core_and_one_more(monkeypatch):
    """gunicorn.conf.py, which `make run` and the load test read: an export holding one
    sync worker leaves others free for readers."""
    from bench.load_fault import gunicorn_workers

    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert gunicorn_workers() == 5
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert gunicorn_workers() == 3


def access_line(method, path, query, ms):
    """A line of gunicorn's access log in the script's format, as gunicorn writes it."""
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    from bench.load_fault import ACCESS_LOG_FORMAT

    environ = {
        "REQUEST_METHOD": method,
        "RAW_URI": f"{path}?{query}" if query else path,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": path,
        "QUERY_STRING": query,
    }
    response = SimpleNamespace(status="200 OK", headers=[], sent=10)
    atoms = Logger(Config()).atoms(response, [], environ, datetime.timedelta(milliseconds=ms))
    return ACCESS_LOG_FORMAT % atoms


def test_the_workers_time_is_told_by_kind_of_request():
    """From gunicorn's access log: readers' requests by the kind they were asked as, the
    editors' by what they did in the admin, the largest share first."""
    from bench.load_fault import worker_share, worker_time

    log = "\n".join(
        [
            "[2026-12-07 18:00:00 +0000] [12] [INFO] Booting worker with pid: 12",
            access_line("GET", "/healthz/", "", 3),
            access_line("GET", "/cases/", "status=detained&page=2", 40),
            access_line("GET", "/cases/", "", 20),
            access_line("GET", "/cases/", "", 30),
            access_line("GET", "/admin/login/", "next=/admin/", 600),
            access_line("POST", "/admin/login/", "next=/admin/", 1000),
            access_line("GET", "/admin/tracker/case/7/change/", "", 150),
            access_line("POST", "/admin/tracker/case/7/change/", "", 90),
            access_line("POST", "/admin/tracker/case/8/change/", "", 110),
        ]
    )
    kinds = {"/cases/?status=detained&page=2": "filtered list", "/cases/": "list"}

    spent = worker_time(log, kinds, "admin/")

    assert spent == {
        "other": [3],
        "filtered list": [40],
        "list": [20, 30],
        "editors: log in": [600, 1000],
        "editors: open a form": [150],
        "editors: save": [90, 110],
    }
    lines = worker_share(spent, duration=2)
    assert lines[0].startswith("gunicorn's workers were in requests for 2.0 s in 2 s (1.0 at")
    assert [line.split()[0:2] for line in lines[2:]] == [
        ["editors:", "log"],
        ["editors:", "save"],
        ["editors:", "open"],
        ["list", "2"],
        ["filtered", "list"],
        ["other", "1"],
    ]
    assert lines[2].split()[-4:] == ["1.6", "78", "%", "800"]
