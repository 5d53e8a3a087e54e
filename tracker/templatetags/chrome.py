"""`{% chrome "name" %}`: a part of every page's frame (templates/includes/chrome/<name>.html)
rendered once per process, language and URL prefix, then reused.

These parts show no record and nothing about the request (no path, query, user or CSRF
token): only links, static files and words, which change with the code (a new process)
and the language. Whatever depends on the request (the search box's query, the language
switcher's addresses, the page's own title) stays in base.html, outside them.
"""

from django import template
from django.core.signals import setting_changed
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

_rendered = {}


def _forget(**kwargs):
    _rendered.clear()  # tests that change settings (URLs, static files) see fresh parts


setting_changed.connect(_forget, dispatch_uid="tracker.templatetags.chrome")


@register.simple_tag
def chrome(name):
    """The part `name` of the page frame, as HTML (see the module docstring)."""
    key = (name, get_language(), get_script_prefix())
    html = _rendered.get(key)
    if html is None:
        html = _rendered[key] = mark_safe(render_to_string(f"includes/chrome/{name}.html"))  # noqa: S308 (rendered by the template engine, escaped there)
    return html
