"""The record types of a bulk release: each read and written through its one public shape
(`tracker.shapes`), with its CSV columns and data-dictionary entries derived from the shape's
own fields, so that neither can drift from the JSON."""

from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from rest_framework import serializers

from tracker import exports, shapes

# What the shapes' own field classes hold, for the data dictionary.
FIELD_KINDS = {
    shapes.PartialDateField: ("partial date", "A date as precise as the sources know it."),
    shapes.CountryField: ("country", "ISO 3166 code and English name, or null."),
    shapes.PageField: ("URL", "Absolute address of the record's public page on this site."),
    shapes.AddressField: ("URL", "A web address, or null."),
    shapes.TypeField: ("text", "The record's type."),
    shapes.NamedLink: ("record", "A related record: id, name, url."),
    shapes.TitledLink: ("record", "A related record: id, title, url."),
}
MEANINGS = {
    "id": "Stable database id of the record.",
    "citations": "The sources behind the record: source (id, title, publisher, url, page, "
    "published, kind, reliability), quote, note, conflicting.",
    "aliases": "Other names: name, kind (original: as a source gives it; transliteration: "
    "derived by editors, not from a source; acronym; former; other), kind_label, language "
    "(ISO 639-1, or empty).",
}


# Where records' URLs point when SITE_URL is not set (a local run).
DEFAULT_SITE_URL = "http://localhost:8000"


def site_url():
    return settings.SITE_URL or DEFAULT_SITE_URL


def context():
    """The serializer context of a release: absolute URLs start with SITE_URL."""
    return {"base_url": site_url()}


def _kind(field):
    if isinstance(field, serializers.ListSerializer):
        child = field.child
        kind = FIELD_KINDS.get(type(child), (type(child).__name__.removesuffix("Shape"), ""))[0]
        return f"list of {kind}", child
    for cls, (kind, _) in FIELD_KINDS.items():
        if isinstance(field, cls):
            return kind, None
    if isinstance(field, serializers.Serializer):
        return type(field).__name__.removesuffix("Shape"), None
    if isinstance(field, serializers.BooleanField):
        return "boolean", None
    if isinstance(field, serializers.IntegerField):
        return "integer", None
    if isinstance(field, serializers.ChoiceField):
        return "code (" + ", ".join(str(choice) for choice in field.choices) + ")", None
    return "text", None


@dataclass
class RecordType:
    """One type of record in a release: its name, shape and queryset."""

    name: str
    shape_class: type

    @property
    def label(self):
        return self.name.replace("_", " ")

    def queryset(self):
        return self.shape_class.queryset()

    def serializer(self, records, ctx):
        return self.shape_class(records, many=True, context=ctx)

    @cached_property
    def fields(self):
        return self.shape_class(context=context()).fields

    def describe(self):
        """(field, type, meaning) for every field of the shape."""
        model = self.shape_class.Meta.model
        rows = []
        for name, field in self.fields.items():
            kind, child = _kind(field)
            meaning = MEANINGS.get(name) or str(field.help_text or "")
            if isinstance(field, shapes.PartialDateField):
                date_field = field.date_field or name
                meaning = f"{_model_meaning(model, date_field)} A partial date, or null."
            if not meaning and name in FIELD_KINDS_BY_NAME:
                meaning = FIELD_KINDS_BY_NAME[name]
            if not meaning:
                meaning = FIELD_KINDS.get(type(field), ("", ""))[1]
            if not meaning:
                meaning = _model_meaning(model, field.source if field.source != "*" else name)
            if name.endswith("_label"):
                meaning = f"Display text of `{name.removesuffix('_label')}`."
            if child is not None and not meaning:
                parts = ", ".join(child.fields) if hasattr(child, "fields") else ""
                meaning = f"Each with {parts}." if parts else ""
            rows.append((name, kind, meaning))
        return rows

    @cached_property
    def csv_columns(self):
        """The CSV headers: the list exports' columns of this shape."""
        return [header for header, _ in exports.csv_columns(self.shape_class)]


FIELD_KINDS_BY_NAME = {
    "type": "The record's type.",
    "slug": "The last part of the record's page address.",
}


def _model_meaning(model, name):
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return ""
    text = str(field.help_text or "")
    verbose = str(getattr(field, "verbose_name", "") or "")
    return f"{verbose.capitalize()}. {text}".strip() if text else verbose.capitalize() + "."


def record_types():
    """Every public record type, in the order a release writes them."""
    return [RecordType(name, shape) for name, shape in shapes.SHAPES.items()]
