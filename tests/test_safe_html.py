"""tracker.safe_html gives what Django's format_html and format_html_join give."""

import datetime

from django.test import SimpleTestCase
from django.utils import html as django_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy, override

from tracker import safe_html


class Markup:
    """An object that renders itself as HTML (as forms and widgets do)."""

    def __html__(self):
        return "<b>bold</b>"

    def __str__(self):
        return "<not used>"


VALUES = [
    "plain",
    "<script>alert('x')</script> & \"quotes\"",
    mark_safe("<em>kept</em>"),  # noqa: S308 - the point of the test
    gettext_lazy("Status"),
    Markup(),
    None,
    42,
    3.5,
    datetime.date(2025, 3, 1),
    "",
    "Мемориал «Права» <и> 'кавычки'",
]


class FormatHtmlTests(SimpleTestCase):
    def test_each_value_as_django_escapes_it(self):
        for value in VALUES:
            with self.subTest(value=value):
                markup = '<a title="{}">{}</a>'
                ours = safe_html.format_html(markup, value, value)
                self.assertEqual(ours, django_html.format_html(markup, value, value))
                self.assertIsInstance(ours, SafeString)

    def test_many_values_in_one_string(self):
        markup = "<td>{}</td>" * len(VALUES)
        self.assertEqual(
            safe_html.format_html(markup, *VALUES), django_html.format_html(markup, *VALUES)
        )

    def test_lazy_text_in_the_active_language(self):
        with override("ru"):
            self.assertEqual(
                safe_html.format_html("{}", gettext_lazy("Status")),
                django_html.format_html("{}", gettext_lazy("Status")),
            )

    def test_join(self):
        rows = [(value, index) for index, value in enumerate(VALUES)]
        ours = safe_html.format_html_join(", ", "<li>{} {}</li>", rows)
        self.assertEqual(ours, django_html.format_html_join(", ", "<li>{} {}</li>", rows))
        self.assertIsInstance(ours, SafeString)
        self.assertEqual(safe_html.format_html_join(", ", "{}", []), "")
