"""The load-and-fault script's browser: what it parses from an admin form is what the admin
accepts back (the script itself runs by `make load`, not in this suite)."""

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
