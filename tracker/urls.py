"""URL contract: see DESIGN.md. These paths are public and must stay stable.

The pages people read are in English at their unprefixed addresses and in Russian under
`/ru/` (`tracker.public_urls`); the admin, the API, the feeds, the bulk files and the
health check have one address each, outside any language prefix (README "Languages").
"""

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import path

from tracker import public_urls

urlpatterns = [
    path(settings.ADMIN_PATH, admin.site.urls),
    # The whole `tracker` namespace in one resolver, so that every `tracker:…` name reverses,
    # with the language prefix inside it (public_urls.urlpatterns). This is what include()
    # returns; include() itself refuses a language prefix inside, for the reason just below.
    path("", (public_urls.urlpatterns, public_urls.app_name, public_urls.app_name)),
    # LocaleMiddleware reads the language from the path only when the root URLconf has a
    # language prefix, so it gets one; it holds no URLs (the real one is in public_urls).
    # With prefix_default_language=False, every unprefixed path is English whatever the
    # browser asks for, and nothing redirects by Accept-Language.
    *i18n_patterns(prefix_default_language=False),
]
