"""Accounts against distributed guessing: at most LOGIN_ACCOUNT_HOURLY_LIMIT failed logins an hour
per account from any number of addresses, and device cookies that keep the editor's own browser
out of every limit. Logins go through the real form."""

import datetime
import io
import time

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.management import CommandError, call_command
from django.db.models import F, Sum
from django.test import Client, override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD
from tests.test_hardening import ATTACKER, ELSEWHERE, current_token, inline_code, lock_out, log_in
from tracker.accounts import DEVICE_COOKIE, DEVICE_COOKIE_AGE, DEVICE_COOKIE_SALT
from tracker.checks import check_second_factor
from tracker.models import DataVersion, LoginFailure

pytestmark = pytest.mark.django_db

WRONG = "wrong-password-guess"
LIMIT_MESSAGE = "too many failed logins in the last hour from browsers it has not logged in from"


def botnet(count, start=0):
    """`count` distinct addresses (198.18.0.0/15 is reserved for benchmarks)."""
    return [f"198.18.{n // 200}.{n % 200 + 1}" for n in range(start, start + count)]


def attack(username, addresses, guesses=1):
    """Guess at `username`'s password from each address; returns the status codes."""
    return [
        log_in(username, WRONG, ip=address).status_code
        for address in addresses
        for _ in range(guesses)
    ]


def fill_account_limit(username):
    """Fail from new addresses, one guess each, until the account's hour is used up."""
    used = LoginFailure.objects.filter(username=username, device="").count()
    remaining = settings.LOGIN_ACCOUNT_HOURLY_LIMIT - used
    assert attack(username, botnet(remaining)) == [200] * remaining
    assert attack(username, botnet(1, start=remaining)) == [429]


def age_failures(delta):
    """Move every recorded failure (ours and django-axes's) back in time, as if `delta` passed."""
    LoginFailure.objects.update(attempt_time=F("attempt_time") - delta)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - delta)


def axes_failures(username):
    return AccessAttempt.objects.filter(username=username).aggregate(n=Sum("failures_since_start"))[
        "n"
    ]


def assert_refused_by_the_account_limit(response):
    assert response.status_code == 429
    page = response.content.decode()
    assert LIMIT_MESSAGE in page
    assert 'id="login-form"' in page
    assert inline_code(page) == []
    assert "_auth_user_id" not in response.wsgi_request.session


def device_cookie(username, client=None, **fields):
    """Log in as `username` and return the device cookie the browser was given."""
    client = client or Client()
    response = log_in(username, ip=ELSEWHERE, client=client, **fields)
    assert response["Location"] == "/admin/"
    return response.cookies[DEVICE_COOKIE]


def browser_with(cookie_value):
    """A fresh browser holding only a device cookie (no session)."""
    client = Client()
    client.cookies[DEVICE_COOKIE] = cookie_value
    return client


def attack_from(browser, guesses):
    """Guess at the editor's password from the attacker's address with `browser`'s cookies."""
    return [
        log_in("editor", WRONG, ip=ATTACKER, client=browser).status_code for _ in range(guesses)
    ]


@pytest.fixture
def small_account_limit(settings):
    """An account limit of 20 failures an hour, for tests of what happens at the limit: filling
    the production one took 100 logins, 15–20 s a test. The first test below keeps the
    production limit (100) and checks it."""
    settings.LOGIN_ACCOUNT_HOURLY_LIMIT = 20
    assert settings.LOGIN_ACCOUNT_HOURLY_LIMIT > settings.LOGIN_DEVICE_HOURLY_LIMIT


@pytest.fixture
def password_checks(monkeypatch):
    """One entry per password checked against a stored hash: the failures then counted for
    its account (the attempt being checked included, if it is counted)."""
    checked = []
    user_model = get_user_model()
    check_password = user_model.check_password

    def counting(user, raw_password):
        checked.append(LoginFailure.objects.filter(username=user.get_username()).count())
        return check_password(user, raw_password)

    monkeypatch.setattr(user_model, "check_password", counting)
    return checked


# At most LOGIN_ACCOUNT_HOURLY_LIMIT failures an hour per account, from any number of addresses


def test_an_account_takes_at_most_the_hourly_limit_of_guesses_from_any_number_of_addresses(
    editor, publisher, password_checks
):
    limit = settings.LOGIN_ACCOUNT_HOURLY_LIMIT
    assert limit == 100
    versions = DataVersion.snapshot()

    # 60 addresses, two guesses each: under django-axes's pause of each (username, address).
    statuses = attack("editor", botnet(60), guesses=2)

    assert statuses == [200] * limit + [429] * (120 - limit)
    assert len(password_checks) == limit  # the refused guesses were never checked
    assert LoginFailure.objects.filter(username="editor", device="").count() == limit
    assert axes_failures("editor") == limit
    assert DataVersion.snapshot() == versions  # failed logins do not change the record

    # The right password, from an address that never failed, is refused too, unchecked.
    response = log_in("editor", ip=ELSEWHERE)
    assert_refused_by_the_account_limit(response)
    assert len(password_checks) == limit
    # Other accounts are not affected.
    assert log_in("publisher", ip=ATTACKER)["Location"] == "/admin/"


def test_a_login_counts_as_a_failure_while_its_password_is_checked(editor, password_checks):
    # So that logins checked at the same time in several workers cannot all slip under the limit.
    assert log_in("editor", WRONG).status_code == 200
    assert log_in("editor")["Location"] == "/admin/"
    assert password_checks == [1, 2]
    assert LoginFailure.objects.count() == 1  # the success is no longer counted


@pytest.mark.usefixtures("small_account_limit")
def test_the_account_limit_lifts_as_the_hour_passes(editor):
    fill_account_limit("editor")
    assert_refused_by_the_account_limit(log_in("editor", ip=ELSEWHERE))

    age_failures(datetime.timedelta(minutes=59))
    assert_refused_by_the_account_limit(log_in("editor", ip=ELSEWHERE))
    age_failures(datetime.timedelta(minutes=1, seconds=1))
    client = Client()
    assert log_in("editor", ip=ELSEWHERE, client=client)["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert not LoginFailure.objects.exists()  # the old failures were pruned


def test_a_success_is_not_counted_as_a_failure(editor):
    for address in botnet(3):
        assert log_in("editor", ip=address)["Location"] == "/admin/"
    assert not LoginFailure.objects.exists()


@pytest.mark.usefixtures("small_account_limit")
def test_reset_login_limit_lifts_the_account_limit(editor, publisher):
    fill_account_limit("editor")
    fill_account_limit("publisher")

    out = io.StringIO()
    call_command("reset_login_limit", "editor", stdout=out)
    assert out.getvalue() == f"{settings.LOGIN_ACCOUNT_HOURLY_LIMIT} failed logins forgotten.\n"
    assert log_in("editor", ip=ELSEWHERE)["Location"] == "/admin/"
    assert_refused_by_the_account_limit(log_in("publisher", ip=ELSEWHERE))

    call_command("reset_login_limit", "--all", stdout=io.StringIO())
    assert log_in("publisher", ip=ELSEWHERE)["Location"] == "/admin/"
    with pytest.raises(CommandError, match="Name one or more accounts, or pass --all"):
        call_command("reset_login_limit", stdout=io.StringIO())


# Device cookies


def test_a_login_gives_the_browser_a_device_cookie_for_that_account(editor):
    cookie = device_cookie("editor")

    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/admin/"
    assert cookie["max-age"] == 365 * 24 * 60 * 60
    assert not cookie["secure"]  # plain HTTP in tests; see below
    device = signing.loads(cookie.value, salt=DEVICE_COOKIE_SALT)
    assert device["user"] == "editor"
    assert len(device["nonce"]) >= 20
    # Each login a new nonce; a failed login gets no cookie.
    assert signing.loads(device_cookie("editor").value, salt=DEVICE_COOKIE_SALT) != device
    assert DEVICE_COOKIE not in log_in("editor", WRONG).cookies


def test_the_device_cookie_is_secure_over_https(editor):
    client = Client()
    data = {"username": "editor", "password": PASSWORD, "next": "/admin/"}
    response = client.post("/admin/login/", data, secure=True)
    assert response["Location"] == "/admin/"
    assert response.cookies[DEVICE_COOKIE]["secure"] is True


@pytest.mark.usefixtures("small_account_limit")
def test_the_editors_browser_gets_in_during_an_attack_even_from_the_attackers_address(editor):
    cookie = device_cookie("editor")
    lock_out("editor", ip=ATTACKER)  # the shared office address is paused for "editor"
    fill_account_limit("editor")
    assert log_in("editor", ip=ATTACKER).status_code == 429

    browser = browser_with(cookie.value)
    # A typo from the trusted browser: an ordinary error, not a pause, and not counted by axes.
    failures_before = axes_failures("editor")
    response = log_in("editor", WRONG, ip=ATTACKER, client=browser)
    assert response.status_code == 200
    assert "Please enter the correct username and password" in response.content.decode()
    assert axes_failures("editor") == failures_before
    assert LoginFailure.objects.exclude(device="").count() == 1

    response = log_in("editor", ip=ATTACKER, client=browser)
    assert response["Location"] == "/admin/"
    assert browser.get("/admin/").status_code == 200
    # The attacker, at the same address without the cookie, is still refused.
    assert_refused_by_the_account_limit(log_in("editor", ip=ATTACKER))


def test_a_stolen_device_cookie_buys_only_a_few_unpaused_guesses(editor):
    browser = browser_with(device_cookie("editor").value)
    limit = settings.LOGIN_DEVICE_HOURLY_LIMIT
    assert limit == 10

    # The device's own allowance, beyond axes's pause of five: none recorded by axes.
    assert attack_from(browser, limit) == [200] * limit
    assert not AccessAttempt.objects.exists()
    assert LoginFailure.objects.filter(device="").count() == 0
    # Then the device is untrusted again: axes pauses (username, address) as for anyone.
    pause = settings.AXES_FAILURE_LIMIT
    assert attack_from(browser, pause) == [200] * (pause - 1) + [429]
    assert axes_failures("editor") == pause
    assert LoginFailure.objects.filter(device="").count() == pause
    # A new hour, a new allowance.
    age_failures(datetime.timedelta(hours=1, seconds=1))
    assert log_in("editor", ip=ATTACKER, client=browser)["Location"] == "/admin/"


def expired(cookie_value):
    """The same device cookie, signed a day longer ago than it lives."""
    device = signing.loads(cookie_value, salt=DEVICE_COOKIE_SALT)
    then = int(time.time() - (DEVICE_COOKIE_AGE + datetime.timedelta(days=1)).total_seconds())
    signer = signing.TimestampSigner(salt=DEVICE_COOKIE_SALT)
    signer.timestamp = lambda: signing.b62_encode(then)
    return signer.sign_object(device)


def tampered(cookie_value):
    """The editor's cookie with its payload rewritten, keeping the old signature."""
    _payload, timestamp, signature = cookie_value.split(":")
    forged = signing.dumps({"user": "editor", "nonce": "x" * 22}, salt=DEVICE_COOKIE_SALT)
    return f"{forged.split(':')[0]}:{timestamp}:{signature}"


UNTRUSTED_COOKIES = {
    "signed with another key": lambda editors, publishers: signing.dumps(
        signing.loads(editors, salt=DEVICE_COOKIE_SALT), key="guessed-key", salt=DEVICE_COOKIE_SALT
    ),
    "signed for another purpose": lambda editors, publishers: signing.dumps(
        signing.loads(editors, salt=DEVICE_COOKIE_SALT)
    ),
    "tampered with": lambda editors, publishers: tampered(editors),
    "expired": lambda editors, publishers: expired(editors),
    "another user's": lambda editors, publishers: publishers,
    "garbage": lambda editors, publishers: "not:a:device-cookie\u00e9",
}


@pytest.mark.usefixtures("small_account_limit")
@pytest.mark.parametrize("kind", UNTRUSTED_COOKIES)
def test_a_cookie_that_is_not_the_accounts_own_gives_no_trust(editor, publisher, kind):
    editors, publishers = device_cookie("editor").value, device_cookie("publisher").value
    value = UNTRUSTED_COOKIES[kind](editors, publishers)
    assert value != editors
    fill_account_limit("editor")

    assert_refused_by_the_account_limit(log_in("editor", client=browser_with(value)))
    # The genuine cookie still works.
    assert log_in("editor", client=browser_with(editors))["Location"] == "/admin/"


@pytest.mark.usefixtures("small_account_limit")
def test_a_cookie_over_its_hourly_failures_gives_no_trust(editor):
    browser = browser_with(device_cookie("editor").value)
    fill_account_limit("editor")
    limit = settings.LOGIN_DEVICE_HOURLY_LIMIT
    assert attack_from(browser, limit) == [200] * limit

    assert_refused_by_the_account_limit(log_in("editor", ip=ATTACKER, client=browser))


# With the second factor (ADMIN_REQUIRE_OTP)


@pytest.fixture
def totp_device(editor):
    return TOTPDevice.objects.create(user=editor, name="Authenticator app", confirmed=True)


@pytest.mark.usefixtures("small_account_limit")
def test_with_otp_the_editors_browser_gets_in_during_an_attack(totp_device):
    with override_settings(ADMIN_REQUIRE_OTP=True):
        cookie = device_cookie("editor", otp_token=current_token(totp_device))
        TOTPDevice.objects.filter(pk=totp_device.pk).update(last_t=-1)  # the code may be reused
        lock_out("editor", ip=ATTACKER)
        fill_account_limit("editor")

        browser = browser_with(cookie.value)
        # The cookie does not stand in for the code.
        response = log_in("editor", ip=ATTACKER, client=browser, otp_token="")
        assert response.status_code == 200
        assert browser.get("/admin/").status_code == 302
        response = log_in(
            "editor", ip=ATTACKER, client=browser, otp_token=current_token(totp_device)
        )
        assert response["Location"] == "/admin/"
        assert "Waiting for review" in browser.get("/admin/").content.decode()
        assert_refused_by_the_account_limit(
            log_in("editor", ip=ELSEWHERE, otp_token=current_token(totp_device))
        )


def test_with_otp_a_password_alone_gets_no_device_cookie(totp_device):
    with override_settings(ADMIN_REQUIRE_OTP=True):
        response = log_in("editor", ip=ELSEWHERE, otp_token="")
    assert response.status_code == 200
    assert DEVICE_COOKIE not in response.cookies
    assert LoginFailure.objects.get().username == "editor"  # counted as a failure


# The deployment check for the second factor (check --deploy itself: tests/test_deploy.py)


def test_the_deploy_check_warns_without_a_second_factor():
    with override_settings(ADMIN_REQUIRE_OTP=False):
        [warning] = check_second_factor(None)
    assert warning.id == "tracker.W001"
    assert "ADMIN_REQUIRE_OTP" in warning.msg
    with override_settings(ADMIN_REQUIRE_OTP=True):
        assert check_second_factor(None) == []
