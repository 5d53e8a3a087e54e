"""The other-language versions of the page being shown, for the switch and hreflang links.

`{% page_languages as versions %}` gives one entry per language of settings.LANGUAGES,
each with the address of this page (same path and query) in that language, absolute.
Addresses come from `translate_url`, that is from the URL resolver: only this site's own
paths, never a parameter a visitor could point elsewhere, so the switch cannot lead off-site.
"""

from dataclasses import dataclass

from django import template
from django.conf import settings
from django.urls import Resolver404, resolve, reverse, translate_url
from django.utils import translation

register = template.Library()


@dataclass(frozen=True)
class Version:
    code: str  # Django's language code, e.g. "en-gb"
    hreflang: str  # BCP 47, for lang/hreflang attributes, e.g. "en"
    name: str  # the language's name in that language, e.g. "Русский"
    url: str  # absolute
    current: bool
    same_page: bool  # False: the page has one address for all languages; url is a home page


def hreflang(code):
    """The BCP 47 tag search engines expect: the primary language, as the site has one
    version per language (British spelling is not a separate version for British readers)."""
    return code.split("-")[0]


def _has_versions(path):
    """True if `path` is one of the pages that exist in every language."""
    try:
        match = resolve(path)
    except Resolver404:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        unprefixed = reverse(match.view_name, args=match.args, kwargs=match.kwargs)
    with translation.override(_other_language()):
        return reverse(match.view_name, args=match.args, kwargs=match.kwargs) != unprefixed


def _other_language():
    return next(code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE)


@register.simple_tag(takes_context=True)
def page_languages(context):
    """This page in every language, or [] for a page with one address for all (an error
    page, the admin): there the switch links to each language's home page instead."""
    request = context.get("request")
    if request is None:
        return []
    current = translation.get_language()
    translated = _has_versions(request.path_info)
    versions = []
    for code, _ in settings.LANGUAGES:
        if translated:
            url = translate_url(request.get_full_path(), code)
        else:
            with translation.override(code):
                url = reverse("tracker:home")
        versions.append(
            Version(
                code=code,
                hreflang=hreflang(code),
                name=translation.get_language_info(code)["name_local"],
                url=request.build_absolute_uri(url),
                current=code == current,
                same_page=translated,
            )
        )
    return versions
