"""The search index: one row of normalised text per searchable record.

Rows are written only by `tracker.search.index` (from signals and the
`rebuild_search_index` command), never edited by hand. On SQLite, triggers copy
each row into an FTS5 table per kind; on PostgreSQL a generated `tsvector`
column with partial GIN indexes does the same job (see migration 0002).
`SearchName` holds each record's whole names in the form the query is folded to, so
an exact name is one indexed lookup on either database.
"""

from django.db import models


class SearchKind(models.TextChoices):
    ORGANISATION = "organisation", "Organisation"
    LAW = "law", "Law"
    CASE = "case", "Case"
    PERSON = "person", "Person"
    SOURCE = "source", "Source"


# Kinds whose names are offered as "did you mean" suggestions.
SUGGESTED_KINDS = (SearchKind.ORGANISATION, SearchKind.LAW, SearchKind.PERSON)


class SearchEntry(models.Model):
    kind = models.CharField(max_length=20, choices=SearchKind.choices)
    object_id = models.PositiveBigIntegerField()
    names = models.TextField(help_text="Plain tokens of every name, title, acronym and number.")
    keys = models.TextField(help_text="Spelling-tolerant keys and initials of the names.")
    body = models.TextField(help_text="Plain tokens (and keys) of the rest of the record's text.")
    exact = models.TextField(help_text="|-separated whole-name forms, for exact-match ranking.")

    class Meta:
        verbose_name_plural = "search entries"
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="search_entry_unique"),
        ]

    def __str__(self):
        return f"{self.kind} {self.object_id}"


class SearchName(models.Model):
    """One whole-name form of a searchable record (`tracker.search.text.name_forms`).

    A name typed in full finds its record through the (kind, form) index, however many
    other records match its words better.
    """

    kind = models.CharField(max_length=20, choices=SearchKind.choices)
    object_id = models.PositiveBigIntegerField()
    form = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "form", "object_id"], name="search_name_unique"
            ),
        ]
        indexes = [models.Index(fields=["kind", "object_id"], name="search_name_record")]

    def __str__(self):
        return f"{self.kind} {self.object_id}: {self.form}"
