"""The editors' admin site: the review queue on its index page; optional second factor."""

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.db.models import Count
from django.urls import reverse

from tracker.choices import State
from tracker.roles import PUBLISHED_MODELS


class TrackerAdminSite(admin.AdminSite):
    site_header = "Repression Tracker — editors"
    site_title = "Repression Tracker admin"
    index_title = "The record"

    def has_permission(self, request):
        """Staff only; with ADMIN_REQUIRE_OTP, only after a second factor (django-otp)."""
        if not super().has_permission(request):
            return False
        return not settings.ADMIN_REQUIRE_OTP or request.user.is_verified()

    def review_queue(self, request):
        """[(label, count, changelist URL)] of the records waiting for review, for this user."""
        queue = []
        for model_name in PUBLISHED_MODELS:
            model = apps.get_model("tracker", model_name)
            model_admin = self._registry.get(model)
            if model_admin is None or not model_admin.has_view_or_change_permission(request):
                continue
            count = model.objects.filter(state=State.REVIEW).aggregate(n=Count("pk"))["n"]
            if count:
                url = reverse(f"{self.name}:tracker_{model_name}_changelist", current_app=self.name)
                queue.append(
                    (model._meta.verbose_name_plural, count, f"{url}?state__exact={State.REVIEW}")
                )
        return queue

    def index(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "review_queue": self.review_queue(request)}
        return super().index(request, extra_context)
