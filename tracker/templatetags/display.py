"""How dates, times, money and permalinks are shown: one place for every page and the admin.

- `{% partial_date record "decision_date" %}`: a date no more precise than the sources know it,
  as `<time datetime="2025-03">March 2025</time>` (never a day the record does not have).
- `{{ moment|datetime_tag }}`: a time, in settings.TIME_ZONE and labelled with it
  (`22 November 2025, 01:57 UTC`). The admin shows times through the same DATETIME_FORMAT
  (`tracker/formats/`), so it names the zone too.
- `{{ moment|day_tag }}`: the day of a time, in settings.TIME_ZONE (the same day the change log
  shows for it).
- `{{ amount|money:currency }}`: `15,000 RUB` (grouped in the active language; exports stay raw).
- `{% permalink record %}`: the record's stable absolute address, on its canonical path.
- `{{ case.country|country_name }}` and `{% choice_label case "status" %}`: what
  `case.country.name` and `case.get_status_display` give, each name translated once per
  language and process rather than once per row (lists show fifty rows).

The library is a template builtin (settings.TEMPLATES), so templates need no `{% load %}`.
"""

from django import template
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import DisallowedHost
from django.utils import timezone, translation
from django.utils.formats import date_format
from django_countries import countries

from tracker.models.base import format_partial_date, partial_date_iso
from tracker.safe_html import format_html

register = template.Library()

_country_names = {}  # by language, then country code


@register.filter
def country_name(country):
    """`country.name` (a CountryField's value), from the names translated so far."""
    names = _country_names.setdefault(translation.get_language(), {})
    code = str(country)
    name = names.get(code)
    if name is None:
        name = names[code] = countries.name(code)
    return name


@register.simple_tag
def choice_label(record, name):
    """`record.get_<name>_display()`: the label of the choice stored in the field `name`
    (translated once per field and language: tracker.models.base.DisplayLabelsMixin)."""
    return getattr(record, f"get_{name}_display")()


@register.simple_tag
def partial_date(record, name, empty=""):
    """The partial date `name` of `record` in a `<time>` exactly as precise as it is stored.

    `record.partial_date_parts(name)` says the value, its precision and any prefix
    ("registered"); `empty` is shown when the date is not known.
    """
    value, precision, prefix = record.partial_date_parts(name)
    if value is None:
        return empty
    element = format_html(
        '<time datetime="{}">{}</time>',
        partial_date_iso(value, precision),
        format_partial_date(value, precision),
    )
    return format_html("{} {}", prefix, element) if prefix else element


def site_time(value):
    """`value` (an aware datetime) in the site's one declared timezone, settings.TIME_ZONE."""
    return timezone.localtime(value, timezone.get_default_timezone())


@register.filter
def datetime_tag(value):
    """A time as `<time datetime="…">22 November 2025, 01:57 UTC</time>` in settings.TIME_ZONE."""
    if not value:
        return ""
    local = site_time(value)
    return format_html(
        '<time datetime="{}">{}</time>',
        local.isoformat(timespec="seconds"),
        date_format(local, "DATETIME_FORMAT"),
    )


@register.filter
def day_tag(value):
    """The day of a time, `<time datetime="2025-11-22">22 November 2025</time>`, in
    settings.TIME_ZONE: the same day `datetime_tag` shows for the same time."""
    if not value:
        return ""
    local = site_time(value).date()
    return format_html(
        '<time datetime="{}">{}</time>', local.isoformat(), date_format(local, "j E Y")
    )


@register.filter
def money(amount, currency=""):
    """An amount with its digits grouped for the reader ("15,000 RUB"), currency code kept."""
    if amount is None or amount == "":
        return ""
    grouped = intcomma(amount)
    return f"{grouped} {currency}" if currency else grouped


def host_allowed(request):
    """Whether the request names a host of ALLOWED_HOSTS. A page about a request that does
    not (Django answers it with the 400 page) builds no absolute address: asking the request
    for one raises DisallowedHost again, which would turn the 400 into a 500."""
    try:
        request.get_host()
    except DisallowedHost:
        return False
    return True


def permalink_for(request, record):
    """The record's absolute address on its canonical (default-language) path.

    Reversed in settings.LANGUAGE_CODE so a page read under a language prefix still cites the
    one address every reader shares.
    """
    with translation.override(settings.LANGUAGE_CODE):
        path = record.get_absolute_url()
    return request.build_absolute_uri(path)


@register.simple_tag(takes_context=True)
def permalink(context, record):
    """`permalink_for` the page's request."""
    return permalink_for(context["request"], record)
