"""How forms draw their fields (the FORM_RENDERER setting)."""

from django.forms.renderers import DjangoTemplates, Jinja2
from django.utils.functional import cached_property

# Django ships each of its own form templates twice, under the same name: for its template
# engine and for Jinja2.
DJANGO_FORMS = "django/forms/"


class FormRenderer(DjangoTemplates):
    """Django's own form and widget templates (`django/forms/…`) drawn by Jinja2; any other
    (the admin's widgets) by Django's template engine, as before.

    Both versions of Django's templates write the same HTML (Django's widget tests check
    each widget with both renderers), and Jinja2 draws them several times faster. A case's
    change form in the admin draws about 80 fields, a select of 250 countries among them:
    most of its time went to widget templates. The admin's own widget templates exist only
    for Django's engine, and they include Django's by name, so that engine keeps them."""

    @cached_property
    def jinja2(self):
        return Jinja2()

    def get_template(self, template_name):
        if template_name.startswith(DJANGO_FORMS):
            return self.jinja2.get_template(template_name)
        return super().get_template(template_name)
