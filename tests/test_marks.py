"""The row marks drawn in Python (tracker.templatetags.marks) give the HTML the templates they
replaced gave, escaping included."""

from django.template import Context, Template
from django.test import TestCase
from django.utils import translation

from tests import factories
from tracker.models import Designation, Source

ALIASES = (
    "{% load i18n %}{% for alias in aliases %}"
    '<span{% if alias.language %} lang="{{ alias.language }}"{% endif %}>{{ alias.name }}</span>'
    '{% if not alias.from_source %} <span class="alias-mark">('
    '{% translate "transliteration, not from a source" %})</span>{% endif %}'
    "{% if not forloop.last %}, {% endif %}{% endfor %}"
)
EVIDENCE = (
    '{% load i18n citations %}{% if record.is_unverified %}<a class="mark mark-unverified" '
    'href="{% methodology_url \'evidence\' %}" title="{{ record.evidence_explanation }}">'
    '{% translate "unverified" %}<span class="visually-hidden">: {{ record.evidence_explanation }}'
    "</span></a>{% endif %}"
)
RELIABILITY = (
    '<span class="badge badge-{{ source.reliability }}">{% choice_label source "reliability" %}'
    '</span>{% if meaning %} <span class="grade-meaning">{{ source.reliability_meaning }}</span>'
    "{% endif %}"
)


def render(text, **context):
    return Template(text).render(Context(context))


class MarkTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.organisation = factories.OrganisationFactory()
        cls.organisation.aliases.create(name="<Ab> & Co", language="ru", kind="transliteration")
        cls.organisation.aliases.create(name="Плохо", language="", kind="original")
        cited = factories.DesignationFactory()
        factories.CitationFactory.for_object(cited)
        factories.DesignationFactory()
        factories.SourceFactory(reliability="established")
        factories.SourceFactory(reliability="unverified")

    def test_same_html_as_the_templates(self):
        for language in ("en", "ru"):
            with translation.override(language):
                aliases = list(self.organisation.aliases.all())
                for chosen in (aliases, aliases[:1], []):
                    self.assertEqual(
                        render("{% load marks %}{% aliases_inline aliases %}", aliases=chosen),
                        render(ALIASES, aliases=chosen),
                    )
                for record in Designation.objects.with_evidence():
                    self.assertEqual(
                        render("{% load marks %}{% evidence_mark record %}", record=record),
                        render(EVIDENCE, record=record),
                    )
                for source in Source.objects.all():
                    for meaning in (False, True):
                        self.assertEqual(
                            render(
                                "{% load marks %}{% reliability_badge source meaning %}",
                                source=source,
                                meaning=meaning,
                            ),
                            render(RELIABILITY, source=source, meaning=meaning),
                        )
