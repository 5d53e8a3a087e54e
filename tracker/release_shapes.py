"""The record types of a bulk release, and how each is read and shaped.

PROVISIONAL: a minimal shape until `tracker.shapes` (the one public shape) lands; then each
type here becomes its serializer and queryset.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Prefetch

from tracker.models import Case, CaseEvent, Citation, Designation, Law, Organisation, Person, Source


def base_url():
    return settings.SITE_URL.rstrip("/")


def context():
    return {"base_url": base_url()}


def _citations():
    return Prefetch("citations", queryset=Citation.objects.published().select_related("source"))


def _shape(obj, ctx, type_name, fields):
    record = {"id": obj.pk, "type": type_name, "url": ctx["base_url"] + obj.get_absolute_url()}
    for name in ("name", "title"):
        if hasattr(obj, name):
            record[name] = getattr(obj, name)
    if "citations" in fields:
        record["citations"] = [
            {
                "source": {"id": c.source_id, "title": c.source.title, "url": c.source.url or None},
                "quote": c.quote,
                "note": c.note,
                "conflicting": c.conflicting,
            }
            for c in obj.citations.all()
        ]
    return record


@dataclass
class RecordType:
    name: str
    label: str
    queryset: Callable
    fields: tuple

    def shape(self, obj, ctx):
        return _shape(obj, ctx, self.name, self.fields)

    def describe(self):
        return [(name, "", "") for name in self.fields]

    @property
    def csv_columns(self):
        columns = []
        for name in self.fields:
            if name == "citations":
                columns += ["citations", "citation_source_ids"]
            else:
                columns.append(name)
        return columns


def record_types():
    return [
        RecordType(
            "organisation",
            "organisation",
            lambda: Organisation.objects.published().prefetch_related(_citations()),
            ("id", "type", "url", "name", "citations"),
        ),
        RecordType(
            "designation",
            "designation",
            lambda: (
                Designation.objects.published()
                .select_related("organisation")
                .prefetch_related(_citations())
            ),
            ("id", "type", "url", "citations"),
        ),
        RecordType(
            "law",
            "law",
            lambda: Law.objects.published().prefetch_related(_citations()),
            ("id", "type", "url", "title", "citations"),
        ),
        RecordType(
            "case",
            "case",
            lambda: Case.objects.published().prefetch_related(_citations()),
            ("id", "type", "url", "title", "citations"),
        ),
        RecordType(
            "person",
            "person",
            lambda: Person.objects.published().prefetch_related(_citations()),
            ("id", "type", "url", "name", "citations"),
        ),
        RecordType(
            "source",
            "source",
            lambda: Source.objects.published(),
            ("id", "type", "url", "title"),
        ),
        RecordType(
            "case_event",
            "case event",
            lambda: (
                CaseEvent.objects.published().select_related("case").prefetch_related(_citations())
            ),
            ("id", "type", "url", "citations"),
        ),
    ]
