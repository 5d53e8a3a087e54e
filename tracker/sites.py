"""The editors' admin site: the review queue on its index page; optional second factor;
the client address that login throttling counts; the account and device limits on logins."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Count
from django.urls import reverse
from django_otp import devices_for_user
from django_otp.admin import OTPAdminAuthenticationForm

from tracker import accounts
from tracker.choices import State
from tracker.roles import published_models


def client_ip(request):
    """The address django-axes counts failed logins against (AXES_CLIENT_IP_CALLABLE).

    REMOTE_ADDR, or behind PROXY_COUNT reverse proxies the entry the outermost of them added to
    X-Forwarded-For; entries further left were written by the client and prove nothing.
    """
    if settings.PROXY_COUNT:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        forwarded = [address.strip() for address in forwarded if address.strip()]
        if len(forwarded) >= settings.PROXY_COUNT:
            return forwarded[-settings.PROXY_COUNT]
    return request.META.get("REMOTE_ADDR")


LOGIN_LIMIT = "login_limit"
LOGIN_LIMIT_MESSAGE = (
    "This account has had too many failed logins in the last hour from browsers it has not "
    "logged in from before, so logins from this browser are refused for now, without checking "
    "the password. Log in from a browser you have used here before, try again in an hour, or "
    "ask whoever runs the site to lift the limit."
)


class ThrottledLoginMixin:
    """Counts each login against its account's or device's hourly limit (tracker.accounts), and
    refuses it past the limit before the password is checked."""

    def clean(self):
        username = self.cleaned_data.get("username")
        if username is None or not self.cleaned_data.get("password"):
            return super().clean()  # no password is checked
        failure = accounts.reserve_attempt(self.request, username)
        if failure is None:
            raise ValidationError(LOGIN_LIMIT_MESSAGE, code=LOGIN_LIMIT)
        cleaned_data = super().clean()  # a wrong password or code raises: the failure stays
        failure.delete()
        return cleaned_data


class LoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The admin login with a password alone."""


class OTPLoginForm(ThrottledLoginMixin, OTPAdminAuthenticationForm):
    """The admin login with a code from an authenticator app (django-otp's TOTP)."""

    otp_token = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def _chosen_device(self, user):
        # django-otp makes the user pick a device rather than try the code on each (a miss would
        # count against the others); an editor with a single authenticator app has nothing to pick.
        device = super()._chosen_device(user)
        if device is None:
            devices = list(devices_for_user(user, for_verify=True))
            if len(devices) == 1:
                device = devices[0]
        return device


class TrackerAdminSite(admin.AdminSite):
    site_header = "Repression Tracker — editors"
    site_title = "Repression Tracker admin"
    index_title = "The record"

    # Read per request rather than fixed at start-up, so that tests can switch the setting.
    @property
    def login_form(self):
        return OTPLoginForm if settings.ADMIN_REQUIRE_OTP else LoginForm

    @property
    def login_template(self):
        return "otp/admin111/login.html" if settings.ADMIN_REQUIRE_OTP else None

    def login(self, request, extra_context=None):
        """A successful login gives the browser a device cookie; one refused by the hourly limit
        answers 429 Too Many Requests."""
        response = super().login(request, extra_context)
        if request.method == "POST":
            form = getattr(response, "context_data", {}).get("form")  # none after a success
            if response.status_code == 302 and request.user.is_authenticated:
                accounts.set_device_cookie(response, request, request.user.get_username())
            elif form is not None and form.has_error(NON_FIELD_ERRORS, LOGIN_LIMIT):
                response.status_code = 429
        return response

    def has_permission(self, request):
        """Staff only; with ADMIN_REQUIRE_OTP, only after a second factor (django-otp)."""
        if not super().has_permission(request):
            return False
        return not settings.ADMIN_REQUIRE_OTP or request.user.is_verified()

    def review_queue(self, request):
        """[(label, count, changelist URL)] of the records waiting for review, for this user."""
        queue = []
        for model in published_models():
            model_admin = self._registry.get(model)
            if model_admin is None or not model_admin.has_view_or_change_permission(request):
                continue
            count = model.objects.filter(state=State.REVIEW).aggregate(n=Count("pk"))["n"]
            if count:
                url = reverse(
                    f"{self.name}:tracker_{model._meta.model_name}_changelist",
                    current_app=self.name,
                )
                queue.append(
                    (model._meta.verbose_name_plural, count, f"{url}?state__exact={State.REVIEW}")
                )
        return queue

    def index(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "review_queue": self.review_queue(request)}
        return super().index(request, extra_context)
