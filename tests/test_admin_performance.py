"""The admin stays fast on a large record: fixed queries per page, autocomplete widgets."""

import re

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.auth import get_user_model
from django.db import models
from django.forms.renderers import get_default_renderer
from django.template.backends.jinja2 import Template as Jinja2Template
from django.test import TestCase
from django.test.html import parse_html
from django_countries.fields import CountryField

from tests.conftest import logged_in, staff_member
from tests.test_admin import ADMIN_MODELS
from tests.test_query_counts import cold_queries_for, populate
from tracker.filters import CachedOptionsSelect
from tracker.models import Case, CaseEvent, Designation, Law, Organisation, Person, Source
from tracker.roles import PUBLISHER

pytestmark = pytest.mark.django_db

# Tables that grow to thousands of rows: a <select> listing them all would be unusable.
LARGE = {Organisation, Designation, Law, Person, Case, CaseEvent, Source}


ADMIN_PAGES = [
    *(f"/admin/tracker/{model}/" for model in ADMIN_MODELS),
    "/admin/tracker/organisation/?q=alpha&state__exact=published",
    "/admin/tracker/designation/?q=org&kind__exact=undesirable",
    "/admin/tracker/case/?q=alpha&status__exact=convicted",
    "/admin/",
]
CHANGE_FORMS = [Organisation, Designation, Case, Law, Person]


def change_form(model):
    """The change form of the model's first record."""
    return change_form_of(model.objects.order_by("pk").first())


def change_form_of(record):
    return f"/admin/tracker/{record._meta.model_name}/{record.pk}/change/"


class GrowthTests(TestCase):
    """Counted with two records of every kind, then with ten: one record set, built once."""

    @classmethod
    def setUpTestData(cls):
        cls.publisher = staff_member(get_user_model(), "publisher", PUBLISHER)
        populate(2)
        client = logged_in(cls.publisher)
        cls.pages = [*ADMIN_PAGES, *map(change_form, CHANGE_FORMS)]
        cls.small = {url: cold_queries_for(client, url) for url in cls.pages}
        populate(8, start=2)

    def test_admin_page_queries_do_not_grow_with_rows(self):
        client = logged_in(self.publisher)
        for url in self.pages:
            with self.subTest(url):
                self.assertEqual(cold_queries_for(client, url), self.small[url])


def shown_fields(admin_class, model):
    """The fields an admin class's form shows (all editable ones unless it lists them)."""
    if admin_class.fieldsets:
        return set(flatten_fieldsets(admin_class.fieldsets))
    if admin_class.fields:
        return set(flatten_fieldsets([(None, {"fields": admin_class.fields})]))
    return {field.name for field in model._meta.get_fields() if getattr(field, "editable", False)}


def test_every_foreign_key_to_a_large_table_uses_autocomplete():
    missing = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label != "tracker":
            continue
        forms = [(type(model_admin), model, None)]
        forms += [(inline, inline.model, model) for inline in model_admin.inlines]
        for admin_class, form_model, parent in forms:
            for field in form_model._meta.get_fields():
                if not isinstance(field, models.ForeignKey | models.ManyToManyField):
                    continue
                if field.related_model not in LARGE or field.related_model is parent:
                    continue  # a small table, or the inline's own parent
                if field.name not in shown_fields(admin_class, form_model):
                    continue
                if field.name not in (*admin_class.autocomplete_fields, *admin_class.raw_id_fields):
                    missing.append(f"{admin_class.__name__}.{field.name}")
    assert missing == []


@pytest.mark.parametrize("model", [Organisation, Designation, Case, Law, Person, Source])
def test_change_forms_read_the_same_with_django_widgets_drawn_by_jinja2(
    publisher_client, settings, model
):
    """tracker.renderers.FormRenderer draws Django's own widget templates with Jinja2: each
    change form, inlines included, is the same HTML as with Django's engine alone (compared
    as parsed HTML: the CSRF token is new on every page, and Jinja2 writes an apostrophe as
    &#39; where Django writes &#x27;)."""
    populate(1)
    record = model.objects.order_by("pk").first()
    Organisation.objects.update(description='Anna\'s <b>text</b> & more "quoted"')
    Case.objects.update(summary='Anna\'s <b>text</b> & more "quoted"')
    url = f"/admin/tracker/{model._meta.model_name}/{record.pk}/change/"
    assert isinstance(get_default_renderer().get_template(SELECT), Jinja2Template)

    drawn = normalised(publisher_client.get(url))
    settings.FORM_RENDERER = "django.forms.renderers.DjangoTemplates"
    assert not isinstance(get_default_renderer().get_template(SELECT), Jinja2Template)
    assert drawn == normalised(publisher_client.get(url))


SELECT = "django/forms/widgets/select.html"


def normalised(response):
    assert response.status_code == 200
    # The CSRF token and a list's time of reading are new on every page.
    text = re.sub(
        r'(name="(?:csrfmiddlewaretoken|loaded_at)" value=")[^"]*', r"\1", response.content.decode()
    )
    return parse_html(text)


COUNTRY_FORMS = [
    model
    for model in CHANGE_FORMS
    if any(isinstance(field, CountryField) for field in model._meta.fields)
]


@pytest.mark.parametrize("model", COUNTRY_FORMS)
def test_a_country_select_is_drawn_once_and_reads_as_djangos(publisher_client, monkeypatch, model):
    """A change form's country select (about 250 options) is drawn once per language and code,
    then only the chosen country marked: the page is the same HTML as with Django's Select,
    for a second record with another country too."""
    populate(2)
    field = next(f for f in model._meta.fields if isinstance(f, CountryField))
    first, second = model.objects.order_by("pk")[:2]
    model.objects.filter(pk=first.pk).update(**{field.name: "BY"})
    model.objects.filter(pk=second.pk).update(**{field.name: "RU"})
    CachedOptionsSelect._static.clear()
    drawn = [normalised(publisher_client.get(change_form_of(record))) for record in (first, second)]
    assert [key[0].split(":")[1] for key in CachedOptionsSelect._static] == [
        f"{model._meta.label}.{field.name}"
    ]

    monkeypatch.setattr("tracker.admin.CachedOptionsSelect", lambda label: forms.Select())
    plain = [normalised(publisher_client.get(change_form_of(record))) for record in (first, second)]
    assert drawn == plain
    selected = '<option value="RU" selected>'
    assert selected in publisher_client.get(change_form_of(second)).content.decode()


COUNTRY_LISTS = [
    model
    for model, model_admin in admin.site._registry.items()
    if any(
        isinstance(field, CountryField) and field.name in model_admin.list_display
        for field in model._meta.fields
    )
]


def test_lists_with_a_country_column_are_found():
    assert {Organisation, Person, Case} <= set(COUNTRY_LISTS)


@pytest.mark.parametrize("model", COUNTRY_LISTS)
def test_a_list_shows_countries_by_name_without_their_choices(publisher_client, monkeypatch, model):
    """A list's country column (`tracker.admin.list_column`) reads as Django's own, header,
    cells and sort alike, without looking each row's country up in the field's 250 choices."""
    populate(3)
    field = next(f for f in model._meta.fields if isinstance(f, CountryField))
    first, second, third = model.objects.order_by("pk")
    model.objects.filter(pk=first.pk).update(**{field.name: "BY"})
    model.objects.filter(pk=second.pk).update(**{field.name: "RU"})
    model.objects.filter(pk=third.pk).update(**{field.name: ""})
    column = 1 + admin.site._registry[model].list_display.index(field.name)
    base = f"/admin/tracker/{model._meta.model_name}/"
    urls = [base, f"{base}?o={column}", f"{base}?o=-{column}"]
    looked_up = []
    flatchoices = CountryField.flatchoices

    def counted(self):
        looked_up.append(self)
        return flatchoices.fget(self)

    monkeypatch.setattr(CountryField, "flatchoices", property(counted))
    drawn = [normalised(publisher_client.get(url)) for url in urls]
    quick = len(looked_up)

    monkeypatch.setattr("tracker.admin.list_column", lambda model, name: name)
    assert drawn == [normalised(publisher_client.get(url)) for url in urls]
    # Django's cells look up every row's country (twice each), on each of the three lists.
    assert len(looked_up) - 2 * quick >= 3 * 3
    text = publisher_client.get(urls[1]).content.decode()
    assert text.index("Belarus") < text.index("Russia")
