from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate


def create_roles(sender, using="default", **kwargs):
    from tracker.roles import ensure_roles

    ensure_roles(using=using)


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Repression Tracker"

    def ready(self):
        from tracker import caching, checks  # noqa: F401 (checks registers the system checks)
        from tracker.search import index

        index.connect()
        caching.install_everywhere(self)  # writes bump their tables' versions
        # The Editor and Publisher groups exist in every migrated database.
        post_migrate.connect(create_roles, sender=self, dispatch_uid="tracker.create_roles")


class TrackerAdminConfig(admin_apps.AdminConfig):
    """Replaces django.contrib.admin in INSTALLED_APPS so that admin.site is ours."""

    default = False  # TrackerConfig stays the default for "tracker"
    default_site = "tracker.sites.TrackerAdminSite"
