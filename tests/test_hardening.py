"""The admin's protections: login throttling, passwords, idle sessions, a movable admin path,
Content-Security-Policy, and the optional second factor. Logins go through the real form."""

import base64
import datetime
import importlib
import io
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.db.models import F
from django.test import Client, RequestFactory, override_settings
from django.urls import clear_url_caches
from django.utils import timezone
from django.utils.html import escape
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

import tracker.urls
from tests import factories
from tests.conftest import PASSWORD
from tracker.sites import client_ip

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.66"
ELSEWHERE = "198.51.100.7"


def log_in(username, password=PASSWORD, ip="127.0.0.1", client=None, forwarded_for="", **fields):
    """POST the admin login form as a browser would; returns the response."""
    client = client or Client()
    data = {"username": username, "password": password, "next": "/admin/", **fields}
    return client.post("/admin/login/", data, REMOTE_ADDR=ip, HTTP_X_FORWARDED_FOR=forwarded_for)


def lock_out(username, ip=ATTACKER):
    """Fail to log in as `username` from `ip` until django-axes answers 429."""
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = log_in(username, "wrong-password-guess", ip=ip)
        assert response.status_code == 200
        assert "Please enter the correct username and password" in response.content.decode()
    assert log_in(username, "wrong-password-guess", ip=ip).status_code == 429


def age_attempts(delta):
    """Move every recorded failure back in time, as if `delta` had passed."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - delta)


class InlineCode(HTMLParser):
    """What a policy without 'unsafe-inline' blocks: inline scripts and styles, on* handlers,
    javascript: URLs. A script that only holds data (json_script) is not code."""

    DATA_TYPES = {"application/json", "application/ld+json"}
    URL_ATTRIBUTES = {"href", "src", "action", "formaction"}

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        blocked = (
            (tag == "script" and "src" not in attrs and attrs.get("type") not in self.DATA_TYPES)
            or tag == "style"
            or any(name.startswith("on") or name == "style" for name in attrs)
            or any(
                (attrs[name] or "").strip().lower().startswith("javascript:")
                for name in self.URL_ATTRIBUTES & attrs.keys()
            )
        )
        if blocked:
            self.found.append(self.get_starttag_text())


def inline_code(html):
    parser = InlineCode()
    parser.feed(html)
    parser.close()
    return parser.found


def policy(response):
    """The Content-Security-Policy header as {directive: {sources}}."""
    directives = (part.split() for part in response["Content-Security-Policy"].split(";"))
    return {name: set(sources) for name, *sources in directives if name}


def current_token(device, drift=0):
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, drift):0{device.digits}d}"


# Login throttling (django-axes)


def test_repeated_failures_lock_that_username_from_that_address(editor):
    lock_out("editor")

    response = log_in("editor", ip=ATTACKER)  # the right password, too late
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed logins" in page
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    assert f"paused for {minutes} minutes" in page
    assert "log in from a browser you have logged in from before" in page  # device cookies
    assert "Repression Tracker — editors" in page
    assert "Content-Security-Policy" in response
    assert inline_code(response.content.decode()) == []
    assert "_auth_user_id" not in response.wsgi_request.session
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address) == ("editor", ATTACKER)
    assert attempt.failures_since_start == settings.AXES_FAILURE_LIMIT + 1


def test_lock_leaves_other_addresses_and_other_usernames_alone(editor, publisher):
    lock_out("editor")

    # The editor, from anywhere else, still gets in: an attacker cannot lock the account itself.
    client = Client()
    assert log_in("editor", ip=ELSEWHERE, client=client)["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    # Another account from the attacker's own address is not locked either.
    assert log_in("publisher", ip=ATTACKER)["Location"] == "/admin/"
    # Logging in elsewhere cleared only that address's record: the attacker's stays locked.
    assert log_in("editor", ip=ATTACKER).status_code == 429


def test_lock_ends_after_the_cool_off_which_each_attempt_restarts(editor):
    cool_off = settings.AXES_COOLOFF_TIME
    lock_out("editor")

    age_attempts(cool_off - datetime.timedelta(minutes=1))
    assert log_in("editor", ip=ATTACKER).status_code == 429  # not yet, and the wait restarts
    age_attempts(cool_off - datetime.timedelta(minutes=1))
    assert log_in("editor", ip=ATTACKER).status_code == 429
    age_attempts(cool_off + datetime.timedelta(seconds=1))
    assert log_in("editor", ip=ATTACKER)["Location"] == "/admin/"
    assert not AccessAttempt.objects.exists()  # a success clears the record


def test_axes_reset_commands_lift_locks_early(editor, publisher):
    lock_out("editor")
    lock_out("publisher")

    out = io.StringIO()
    call_command("axes_reset_username", "editor", stdout=out)
    assert out.getvalue() == "1 attempts removed.\n"
    assert log_in("editor", ip=ATTACKER)["Location"] == "/admin/"
    assert log_in("publisher", ip=ATTACKER).status_code == 429

    call_command("axes_reset", stdout=io.StringIO())
    assert log_in("publisher", ip=ATTACKER)["Location"] == "/admin/"


def test_behind_a_proxy_the_lock_follows_the_client_not_the_proxy(editor):
    def via_proxy(client_address, forged=""):
        return log_in(
            "editor", "wrong-password-guess", ip="10.0.0.2", forwarded_for=forged + client_address
        )

    with override_settings(PROXY_COUNT=1):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert via_proxy(ATTACKER).status_code == 200
        # A forged address in front of the proxy's entry does not start a fresh count.
        assert via_proxy(ATTACKER, forged="192.0.2.1, ").status_code == 429
        response = log_in("editor", ip="10.0.0.2", forwarded_for=ELSEWHERE)
        assert response["Location"] == "/admin/"
    assert AccessAttempt.objects.get().ip_address == ATTACKER


@pytest.mark.parametrize(
    "proxies, forwarded, expected",
    [
        (0, "192.0.2.1", "10.0.0.2"),  # no proxy configured: the header is the client's to forge
        (1, "192.0.2.1, 198.51.100.7", "198.51.100.7"),
        (2, "192.0.2.1, 198.51.100.7, 10.0.0.1", "198.51.100.7"),
        (1, "", "10.0.0.2"),  # no header: the peer's address
        (2, "198.51.100.7", "10.0.0.2"),  # fewer entries than proxies: not to be trusted
    ],
)
def test_client_ip_trusts_only_the_proxies_entries(proxies, forwarded, expected):
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="10.0.0.2")
    with override_settings(PROXY_COUNT=proxies):
        assert client_ip(request) == expected


def test_accounts_from_createsuperuser_and_create_editor_log_in_through_the_form(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "superuser-password-77")
    call_command("createsuperuser", interactive=False, username="root", email="root@example.org")
    monkeypatch.setattr("sys.stdin", io.StringIO("ochre-pylon7\n"))  # exactly 12 characters
    call_command("create_editor", "newbie", "--password-stdin", stdout=io.StringIO())

    for username, password in [("root", "superuser-password-77"), ("newbie", "ochre-pylon7")]:
        client = Client()
        assert log_in(username, password, client=client)["Location"] == "/admin/"
        assert client.get("/admin/").status_code == 200


# Passwords: 12 characters at least


def test_admin_password_change_refuses_eleven_characters(editor, editor_client):
    response = editor_client.post(
        "/admin/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "ochre-pylon",
            "new_password2": "ochre-pylon",
        },
    )
    assert response.status_code == 200
    assert "It must contain at least 12 characters." in response.content.decode()
    editor.refresh_from_db()
    assert editor.check_password(PASSWORD)

    response = editor_client.post(
        "/admin/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "ochre-pylon7",
            "new_password2": "ochre-pylon7",
        },
    )
    assert response["Location"] == "/admin/password_change/done/"
    editor.refresh_from_db()
    assert editor.check_password("ochre-pylon7")


def test_create_editor_refuses_eleven_characters(django_user_model, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("ochre-pylon\n"))
    with pytest.raises(CommandError, match="at least 12 characters"):
        call_command("create_editor", "newbie", "--password-stdin", stdout=io.StringIO())
    assert not django_user_model.objects.filter(username="newbie").exists()


# Sessions end after a period without activity


def test_an_idle_admin_session_is_logged_out(editor_client):
    assert editor_client.get("/admin/").status_code == 200
    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))

    response = editor_client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/"


def test_activity_extends_the_admin_session(editor_client):
    Session.objects.update(expire_date=timezone.now() + datetime.timedelta(minutes=5))

    response = editor_client.get("/admin/")
    assert response.status_code == 200
    age = datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert Session.objects.get().expire_date > timezone.now() + age - datetime.timedelta(minutes=1)
    assert response.cookies["sessionid"]["max-age"] == settings.SESSION_COOKIE_AGE


# The admin's path (ADMIN_PATH)


def reload_urlconf():
    clear_url_caches()
    importlib.reload(tracker.urls)


@pytest.fixture
def admin_at_custom_path():
    with override_settings(ADMIN_PATH="custom-path/"):
        reload_urlconf()
        yield
    reload_urlconf()


def test_admin_moves_to_admin_path(client, admin_at_custom_path, editor):
    response = client.get("/custom-path/")
    assert response["Location"] == "/custom-path/login/?next=/custom-path/"
    response = client.get("/custom-path/login/")
    assert response.status_code == 200
    assert 'id="login-form"' in response.content.decode()
    assert client.get("/admin/").status_code == 404
    assert client.get("/admin/login/").status_code == 404

    response = client.post(
        "/custom-path/login/",
        {"username": "editor", "password": PASSWORD, "next": "/custom-path/"},
    )
    assert response["Location"] == "/custom-path/"
    index = client.get("/custom-path/").content.decode()
    assert 'href="/custom-path/tracker/organisation/"' in index


def test_no_template_or_module_hard_codes_the_admin_path():
    files = [*(settings.BASE_DIR / "templates").rglob("*.html")]
    files += [
        path
        for path in (settings.BASE_DIR / "tracker").rglob("*.py")
        if "migrations" not in path.parts
    ]
    assert [str(path) for path in files if "/admin/" in path.read_text()] == []


# Content-Security-Policy


@pytest.fixture
def memorial():
    """A published organisation with a designation and a citation, and so a history."""
    organisation = factories.OrganisationFactory(name="Memorial", slug="memorial")
    factories.CitationFactory.for_object(organisation)
    factories.DesignationFactory(organisation=organisation)
    return organisation


PAGES = [
    ("client", "/"),
    ("client", "/organisations/"),
    ("client", "/organisations/memorial/"),
    ("client", "/search/?q=x"),
    ("client", "/search/?q=memorial"),
    ("client", "/admin/login/"),
    ("editor_client", "/admin/"),
    ("editor_client", "/admin/tracker/organisation/"),
    ("editor_client", "/admin/tracker/organisation/{pk}/change/"),
    ("editor_client", "/admin/tracker/organisation/{pk}/history/"),
    ("editor_client", "/admin/tracker/organisation/add/"),
    ("editor_client", "/admin/tracker/designation/add/"),
]


def get_page(request, who, url, organisation):
    response = request.getfixturevalue(who).get(url.format(pk=organisation.pk))
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("who, url", PAGES)
def test_every_page_sends_the_content_security_policy(request, memorial, who, url):
    response = get_page(request, who, url, memorial)
    directives = policy(response)
    assert directives["default-src"] == {"'self'"}
    assert directives["script-src"] == {"'self'"}
    assert directives["style-src"] == {"'self'"}
    assert directives["object-src"] == {"'none'"}
    assert directives["frame-ancestors"] == {"'none'"}
    assert "unsafe" not in response["Content-Security-Policy"]


@pytest.mark.parametrize("who, url", PAGES)
def test_no_page_has_inline_code_the_policy_would_block(request, memorial, who, url):
    response = get_page(request, who, url, memorial)
    assert inline_code(response.content.decode()) == []


def test_the_history_page_lists_changes_without_its_inline_style(editor_client, memorial):
    response = editor_client.get(f"/admin/tracker/organisation/{memorial.pk}/history/")
    page = response.content.decode()
    assert "Memorial" in page
    assert '<p class="paginator">' in page
    assert "1 entry" in page


def test_no_project_template_has_inline_code():
    templates = (settings.BASE_DIR / "templates").rglob("*.html")
    found = {str(path): inline_code(path.read_text()) for path in templates}
    assert {path: code for path, code in found.items() if code} == {}


def test_the_inline_code_check_finds_what_the_policy_blocks():
    assert inline_code('<script>alert(1)</script><script type="module">x()</script>') == [
        "<script>",
        '<script type="module">',
    ]
    assert inline_code('<a href="#" onclick="x()">a</a><body onload="x()">') == [
        '<a href="#" onclick="x()">',
        '<body onload="x()">',
    ]
    assert inline_code(
        '<p style="color: red"></p><style>p {}</style><a href=" JavaScript:x()">'
    ) == [
        '<p style="color: red">',
        "<style>",
        '<a href=" JavaScript:x()">',
    ]
    allowed = (
        '<script src="/static/a.js"></script><script type="application/json">{}</script>'
        '<a href="/stylesheet/" data-onclick="x">'
    )
    assert inline_code(allowed) == []


# Second factor (django-otp TOTP), with ADMIN_REQUIRE_OTP


@pytest.fixture
def otp_required():
    with override_settings(ADMIN_REQUIRE_OTP=True):
        yield


@pytest.fixture
def device(editor):
    return TOTPDevice.objects.create(user=editor, name="Authenticator app", confirmed=True)


def test_with_otp_a_password_alone_does_not_open_the_admin(otp_required, editor_client):
    response = editor_client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/"

    page = Client().get("/admin/login/")
    assert 'name="otp_token"' in page.content.decode()
    assert inline_code(page.content.decode()) == []

    # An editor without a device cannot get in, whatever code is typed.
    client = Client()
    response = log_in("editor", client=client, otp_token="123456")
    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302


def test_with_otp_the_right_code_opens_the_admin(otp_required, device):
    client = Client()
    response = log_in("editor", client=client, otp_token=current_token(device))
    assert response["Location"] == "/admin/"
    assert "Waiting for review" in client.get("/admin/").content.decode()
    device.refresh_from_db()
    assert device.last_used_at is not None


def test_with_otp_a_wrong_code_is_refused(otp_required, device):
    valid = {current_token(device, drift) for drift in (-1, 0, 1)}
    wrong = next(token for token in ("123456", "654321", "000000") if token not in valid)
    client = Client()
    response = log_in("editor", client=client, otp_token=wrong)
    assert response.status_code == 200
    assert "Invalid token" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_with_otp_an_editor_with_two_devices_picks_one(otp_required, device, editor):
    TOTPDevice.objects.create(user=editor, name="Spare phone", confirmed=True)
    client = Client()
    response = log_in("editor", client=client, otp_token=current_token(device))
    assert "Please select a device." in response.content.decode()

    response = log_in(
        "editor",
        client=client,
        otp_token=current_token(device),
        otp_device=device.persistent_id,
    )
    assert response["Location"] == "/admin/"


def test_without_otp_the_login_asks_for_no_code(device):
    with override_settings(ADMIN_REQUIRE_OTP=False):
        assert 'name="otp_token"' not in Client().get("/admin/login/").content.decode()
        client = Client()
        assert log_in("editor", client=client)["Location"] == "/admin/"
        assert client.get("/admin/").status_code == 200


def test_create_editor_with_totp_enrols_an_authenticator_app(
    otp_required, django_user_model, monkeypatch
):
    monkeypatch.setattr("sys.stdin", io.StringIO("ochre-pylon7\n"))
    out = io.StringIO()
    call_command("create_editor", "newbie", "--password-stdin", "--totp", stdout=out)

    uri = out.getvalue().splitlines()[-1]
    assert uri.startswith("otpauth://totp/Repression%20Tracker%3Anewbie?")
    query = parse_qs(urlsplit(uri).query)
    assert query["issuer"] == ["Repression Tracker"]
    user = django_user_model.objects.get(username="newbie")
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    # What the authenticator app reads from the URI is the device's key.
    assert base64.b32decode(query["secret"][0]) == device.bin_key

    client = Client()
    response = log_in("newbie", "ochre-pylon7", client=client, otp_token=current_token(device))
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_only_superusers_see_otp_devices_and_login_records(
    editor_client, publisher_client, superuser_client
):
    for url in ["/admin/otp_totp/totpdevice/", "/admin/axes/accessattempt/"]:
        assert editor_client.get(url).status_code == 403
        assert publisher_client.get(url).status_code == 403
        assert superuser_client.get(url).status_code == 200


def test_a_superuser_can_enrol_a_device_in_the_admin(superuser_client, django_user_model):
    assert superuser_client.get("/admin/otp_totp/totpdevice/add/").status_code == 200
    device = TOTPDevice.objects.create(user=django_user_model.objects.get(username="admin"))

    response = superuser_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/")
    assert response.status_code == 200
    assert escape(device.config_url) in response.content.decode()
    assert inline_code(response.content.decode()) == []
