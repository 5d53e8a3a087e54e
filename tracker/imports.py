"""Bulk import of designations from a CSV register extract, and the matching export.

The admin's two steps (django-import-export): the upload is read and every row written
in a transaction that is always rolled back (the preview); once the editor confirms, the
same file is written for real in one transaction, all rows or none.

One row is one designation. Its organisation is found by name or alias, or created as a
draft; its source is found by address (`url_key`), or created as an unverified source. A
new designation is a draft citing that source; one already recorded (same organisation,
type and decision date) is skipped. Every record is saved one by one, so its history
names the importer and the reason "CSV import". A published organisation is never
changed by a file, and the confirm step writes nothing unless it does what the preview
showed. The export writes what the import reads back: an exported file matches every row.
"""

import dataclasses
import datetime
import hashlib
import json
import re
from urllib.parse import urlsplit

from anyascii import anyascii
from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.text import slugify
from django_countries import countries
from import_export import resources, widgets
from import_export.fields import Field
from import_export.forms import ConfirmImportForm, ImportForm

from tracker.choices import (
    DatePrecision,
    DesignationKind,
    OrganisationKind,
    Reliability,
    SourceKind,
    State,
)
from tracker.exports import escape_formula, unescape_formula
from tracker.models import Citation, Designation, Organisation, OrganisationAlias, Source
from tracker.models.base import web_address, with_sources
from tracker.models.sources import normalise_url, url_key
from tracker.roles import was_public

# The columns of the file, in the order the export writes them.
COLUMNS = [
    "organisation name",
    "aliases",
    "country",
    "designation type",
    "authority",
    "decision date",
    "register date",
    "source URL",
]
CHANGE_REASON = "CSV import"
NEW_UNDATED = (
    "A new designation needs its decision date, its register date or both: without them it "
    "cannot be told apart from one already recorded with a date. (A row without dates only "
    "matches an undated designation already recorded.)"
)
NEW_UNSOURCED = "Every new designation must cite a source: give its address."
SOURCE_NOTE = (
    "Created by a CSV import from its address alone: title, publisher, date, language "
    "and reliability still need checking."
)

PREVIEW_OUTDATED = (
    "The record changed since the preview, so the file would no longer be imported as the "
    "preview showed."
)

# (pattern, strptime format of its group, precision), tried in this order.
PARTIAL_DATES = [
    (re.compile(r"(\d{4}-\d{2}-\d{2})"), "%Y-%m-%d", DatePrecision.DAY),
    (re.compile(r"(\d{2}\.\d{2}\.\d{4})"), "%d.%m.%Y", DatePrecision.DAY),  # Russian register
    (re.compile(r"(\d{4}-\d{2})"), "%Y-%m", DatePrecision.MONTH),
    (re.compile(r"(\d{4})"), "%Y", DatePrecision.YEAR),
    (re.compile(r"c\.\s*(\d{4})", re.IGNORECASE), "%Y", DatePrecision.APPROXIMATE),  # circa
]


def match_key(name):
    """How names are compared: any case, surrounding and repeated spaces ignored."""
    return " ".join(name.split()).casefold()


def parse_partial_date(text):
    """(date, precision) for "2025-11-13", "13.11.2025", "2025-11", "2025" or "c. 2025";
    None for ""."""
    text = text.strip()
    if not text:
        return None
    for pattern, date_format, precision in PARTIAL_DATES:
        match = pattern.fullmatch(text)
        if match:
            try:
                return datetime.datetime.strptime(match[1], date_format).date(), precision
            except ValueError:
                raise ValueError(f"“{text}” is not a real date.") from None
    raise ValueError(
        f"“{text}” is not a date: write YYYY-MM-DD, YYYY-MM, YYYY, c. YYYY or DD.MM.YYYY."
    )


def format_partial_date(value, precision):
    """The date as the import reads it back: no more precise than it is known."""
    if value is None:
        return ""
    if precision == DatePrecision.MONTH:
        return f"{value.year:04d}-{value.month:02d}"
    if precision == DatePrecision.YEAR:
        return f"{value.year:04d}"
    if precision == DatePrecision.APPROXIMATE:
        return f"c. {value.year:04d}"
    return value.isoformat()


def preview_digest(result):
    """A fingerprint of what a preview shows: every row's number, outcome and values.

    The confirm step compares its own with the preview's, and imports nothing when the
    record changed in between so that the rows would come out otherwise.
    """
    rows = [
        [getattr(row, "number", None), row.import_type, [str(value) for value in row.diff or []]]
        for row in result.rows
    ]
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()


def unique_slug(name):
    """A slug no organisation has yet: "fond-svobody", then "fond-svobody-2", … (one query each)."""
    base = slugify(anyascii(name))[:100].strip("-") or "organisation"
    slug, number = base, 1
    while Organisation.objects.filter(slug=slug).exists():
        number += 1
        slug = f"{base}-{number}"
    return slug


def cited_url(designation):
    """The address of the first source the designation cites that has one."""
    if designation.pk is None:
        return ""
    for citation in designation.citations.all():
        if citation.source.url:
            return citation.source.url
    return ""


class DesignationKindWidget(widgets.Widget):
    """A designation type by its value or its label, in any case."""

    def __init__(self):
        super().__init__()
        self.kinds = {
            key.casefold(): kind
            for kind, label in DesignationKind.choices
            for key in (kind, str(label))
        }

    def clean(self, value, row=None, **kwargs):
        text = str(value or "").strip()
        if not text:
            raise ValueError("Give the designation type.")
        try:
            return self.kinds[text.casefold()]
        except KeyError:
            known = ", ".join(DesignationKind.values)
            raise ValueError(
                f"“{text}” is not a designation type: use one of {known} (or its label)."
            ) from None


class TextWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return str(value or "").strip()


class PartialDateWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return parse_partial_date(str(value or ""))


class CountryWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        code = str(value or "").strip().upper()
        if code and not (len(code) == 2 and countries.alpha2(code)):
            raise ValueError(f"“{code}” is not a two-letter country code (ISO 3166, e.g. RU).")
        return code


class AliasesWidget(widgets.Widget):
    """Several names in one cell, separated by ";"."""

    def clean(self, value, row=None, **kwargs):
        names = {}
        for name in str(value or "").split(";"):
            if name.strip():
                names.setdefault(match_key(name), name.strip())
        return list(names.values())

    def render(self, value, obj=None, **kwargs):
        return "; ".join(alias.name for alias in value.all()) if value is not None else ""


class SourceURLWidget(widgets.Widget):
    """The address of the source, or "" (required for a new designation only, see
    before_import_row); assumed HTTPS without a scheme, as in the admin."""

    def clean(self, value, row=None, **kwargs):
        text = str(value or "").strip()
        if not text:
            return ""
        url = normalise_url(text if "://" in text else f"https://{text}")
        try:
            web_address(url)
        except ValidationError:
            raise ValueError(f"“{text}” is not a web address.") from None
        if len(url) > Source._meta.get_field("url").max_length:
            raise ValueError("The address is longer than 1000 characters.")
        return url


class PartialDateField(Field):
    """A date column that also sets the date's precision: day, month ("2025-11") or year."""

    def __init__(self, attribute, column_name):
        super().__init__(attribute=attribute, column_name=column_name, widget=PartialDateWidget())

    def save(self, instance, row, is_m2m=False, **kwargs):
        value, precision = self.clean(row, **kwargs) or (None, DatePrecision.DAY)
        setattr(instance, self.attribute, value)
        setattr(instance, f"{self.attribute}_precision", precision)

    def export(self, instance, **kwargs):
        return format_partial_date(
            getattr(instance, self.attribute), getattr(instance, f"{self.attribute}_precision")
        )


class ComputedField(Field):
    """A column computed from the designation; the import reads it itself, if at all."""

    def __init__(self, column_name, compute, widget=None):
        super().__init__(column_name=column_name, widget=widget, readonly=True)
        self.compute = compute

    def get_value(self, instance):
        return self.compute(instance)


@dataclasses.dataclass
class RowPlan:
    """What one row of the file asks for, read and checked before anything is written."""

    name: str
    aliases: list
    country: str
    kind: str
    decision_date: datetime.date | None
    source_url: str
    organisation: Organisation | None  # None: a new organisation
    designation: Designation | None = None  # the one already recorded; None: a new one
    new_aliases: list = dataclasses.field(default_factory=list)
    new_country: str = ""  # the country to set on the organisation, if any
    note: str = ""  # what happens to the organisation, for the preview


class DesignationResource(resources.ModelResource):
    """One designation per row, in the shape of an official register extract."""

    organisation_name = Field(
        attribute="organisation__name", column_name="organisation name", readonly=True
    )
    aliases = Field(
        attribute="organisation__aliases",
        column_name="aliases",
        widget=AliasesWidget(),
        readonly=True,
    )
    country = Field(
        attribute="organisation__country",
        column_name="country",
        widget=CountryWidget(),
        readonly=True,
    )
    kind = Field(attribute="kind", column_name="designation type", widget=DesignationKindWidget())
    authority = Field(attribute="authority", column_name="authority", widget=TextWidget())
    decision_date = PartialDateField(attribute="decision_date", column_name="decision date")
    register_date = PartialDateField(attribute="register_date", column_name="register date")
    source_url = ComputedField("source URL", cited_url, widget=SourceURLWidget())
    # Shown in the preview only: what happens to the organisation and to the designation.
    organisation_match = ComputedField(
        "organisation match", lambda designation: getattr(designation, "import_organisation", "")
    )
    designation_match = ComputedField(
        "designation match", lambda designation: getattr(designation, "import_designation", "")
    )

    # Errors from the model's own validation, reported under the file's column names.
    COLUMN_OF = {
        "organisation": "organisation name",
        "kind": "designation type",
        "decision_date": "decision date",
        "register_date": "register date",
    }

    class Meta:
        model = Designation
        name = "Designations (CSV register extract)"
        fields = (
            "organisation_name",
            "aliases",
            "country",
            "kind",
            "authority",
            "decision_date",
            "register_date",
            "source_url",
            "organisation_match",
            "designation_match",
        )
        import_order = fields
        use_transactions = True  # the preview writes everything, then rolls it back
        clean_model_instances = True

    def get_export_order(self):
        return self._meta.fields[: len(COLUMNS)]

    def get_user_visible_fields(self):
        return [self.fields[name] for name in self.get_export_order()]

    def export_resource(self, instance, selected_fields=None, **kwargs):
        """One row of the export, with no cell that a spreadsheet would run as a formula."""
        row = super().export_resource(instance, selected_fields, **kwargs)
        return [escape_formula(value) for value in row]

    def filter_export(self, queryset, **kwargs):
        """Everything the exported columns show, in a fixed number of queries."""
        return queryset.select_related("organisation").prefetch_related(
            "organisation__aliases", with_sources()
        )

    # Reading the file

    def before_import(self, dataset, **kwargs):
        """Checks the header row and loads every organisation name and alias."""
        self.plan = None
        self.created = {}  # organisation id -> the row that created it
        self.created_designations = {}  # designation id -> the row that created it
        headers = [" ".join(str(header or "").split()) for header in dataset.headers or []]
        known = {column.casefold(): column for column in COLUMNS}
        found = [known.get(header.casefold()) for header in headers]
        problems = []
        missing = [column for column in COLUMNS if column not in found]
        if missing:
            problems.append(f"Missing columns: {', '.join(missing)}.")
        unexpected = [
            header or "(blank)" for header, column in zip(headers, found, strict=True) if not column
        ]
        if unexpected:
            problems.append(f"Unexpected columns: {', '.join(unexpected)}.")
        repeated = sorted({column for column in found if column and found.count(column) > 1})
        if repeated:
            problems.append(f"Columns given twice: {', '.join(repeated)}.")
        if len(headers) == 1 and ";" in headers[0]:
            problems.append("The columns seem to be separated by “;”: save the file with commas.")
        if problems:
            dataset.wipe()  # no row is read
            raise ValueError(
                f"{' '.join(problems)} The header row must name these columns: "
                f"{', '.join(COLUMNS)}."
            )
        dataset.headers = found
        self.load_names()

    def load_names(self):
        """Every organisation name and alias by match_key(), read once per import.

        Compared in Python because SQLite ignores case only for ASCII letters, and many
        names are Cyrillic.
        """
        self.names, self.alias_names = {}, {}
        for pk, name in Organisation.objects.values_list("pk", "name"):
            self.names.setdefault(match_key(name), {})[pk] = name
        for pk, name in OrganisationAlias.objects.values_list("organisation_id", "name"):
            self.alias_names.setdefault(match_key(name), {})[pk] = name

    def find_organisation(self, name):
        """(organisation, how it matched) for the organisation with this name or alias."""
        for index, how in ((self.names, "name"), (self.alias_names, "alias")):
            found = index.get(match_key(name), {})
            if len(found) > 1:
                listed = ", ".join(f"#{pk}" for pk in sorted(found))
                raise ValidationError(
                    {
                        "organisation name": f"“{name}” is the {how} of {len(found)} "
                        f"organisations ({listed}): give a name or alias only one of them has."
                    }
                )
            if found:
                ((pk, matched_name),) = found.items()
                return Organisation.objects.prefetch_related("aliases").get(pk=pk), (
                    "by name" if how == "name" else f"by alias “{matched_name}”"
                )
        return None, ""

    def before_import_row(self, row, **kwargs):
        """Reads every column of the row, reporting all its problems at once."""
        self.plan = None
        for column, value in row.items():
            row[column] = unescape_formula(value)
        if not any(str(value or "").strip() for value in row.values()):
            return  # a blank line: skipped
        errors = {}

        def read(name):
            try:
                return self.fields[name].clean(row)
            except ValueError as error:
                errors[self.fields[name].column_name] = [str(error)]

        name = " ".join(str(row["organisation name"] or "").split())
        if not name:
            errors["organisation name"] = ["Give the organisation's name."]
        aliases, country, kind = read("aliases"), read("country"), read("kind")
        decided, registered = read("decision_date"), read("register_date")
        source_url = read("source_url")
        organisation, how = None, ""
        if name:
            try:
                organisation, how = self.find_organisation(name)
            except ValidationError as error:
                errors.update(error.message_dict)
        # Whether the designation is new is known for a new organisation, or once the
        # organisation, type and dates are read.
        designation, known = None, organisation is None
        if organisation is not None and not errors:
            designation, known = (
                self.find_designation(organisation, kind, decided, registered),
                True,
            )
        if known and designation is None:
            dates_read = "decision date" not in errors and "register date" not in errors
            if dates_read and decided is None and registered is None:
                errors["decision date"] = [NEW_UNDATED]
            if not source_url and "source URL" not in errors:
                errors["source URL"] = [NEW_UNSOURCED]
        if designation is not None and designation.pk in self.created_designations:
            errors[NON_FIELD_ERRORS] = [
                f"Row {self.created_designations[designation.pk]} already has this organisation, "
                "designation type and decision date: give each designation once."
            ]
        if errors:
            raise ValidationError(errors)
        self.plan = RowPlan(
            name=name,
            aliases=aliases,
            country=country,
            kind=kind,
            decision_date=decided[0] if decided else None,
            source_url=source_url,
            organisation=organisation,
            designation=designation,
        )
        self.describe_organisation(self.plan, how)

    def find_designation(self, organisation, kind, decided, registered):
        """The designation already recorded for the row: same organisation, type and decision
        date; without a decision date, the same register date (or none, for an undated row).

        The file names no law, so a designation recorded under a law matches as well.
        """
        found = Designation.objects.filter(
            organisation=organisation, kind=kind, decision_date=decided[0] if decided else None
        )
        if decided is None:
            found = found.filter(register_date=registered[0] if registered else None)
        return found.order_by("pk").first()

    def describe_organisation(self, plan, how):
        """Works out what the row changes in its organisation, and says so for the preview.

        A draft gains the aliases it lacks, and a country if it has none. A public
        organisation is left as it is: an editor reviews what the file proposes.
        """
        organisation = plan.organisation
        if organisation is None:
            known = {match_key(plan.name)}
            notes = [f"new organisation “{plan.name}” (draft)"]
        else:
            known = {match_key(organisation.name)}
            known.update(match_key(alias.name) for alias in organisation.aliases.all())
            notes = [f"matched “{organisation.name}” {how}"]
            if organisation.pk in self.created:
                notes[0] += f", new from row {self.created[organisation.pk]}"
        new_aliases = [alias for alias in plan.aliases if match_key(alias) not in known]
        if organisation is not None and was_public(organisation):
            proposed = []
            if plan.country and plan.country != organisation.country:
                proposed.append(f"country {plan.country}")
            if new_aliases:
                proposed.append("aliases " + ", ".join(f"“{a}”" for a in new_aliases))
            if proposed:
                notes.append(
                    f"{organisation.get_state_display().lower()}: country and aliases not "
                    f"changed (the file proposes {' and '.join(proposed)}; left for an editor "
                    "to review)"
                )
            new_aliases = []
        elif organisation is not None and plan.country:
            if not organisation.country:
                plan.new_country = plan.country
                notes.append(f"sets its country to {plan.country}")
            elif plan.country != organisation.country:
                notes.append(
                    f"keeps its country {organisation.country} (the file says {plan.country})"
                )
        plan.new_aliases = new_aliases
        if plan.new_aliases:
            notes.append("adds aliases " + ", ".join(f"“{a}”" for a in plan.new_aliases))
        plan.note = "; ".join(notes)

    def get_instance(self, instance_loader, row):
        """The designation already recorded for the row (see find_designation)."""
        return self.plan.designation if self.plan is not None else None

    def after_import_row(self, row, row_result, **kwargs):
        row_result.number = kwargs["row_number"]  # for the preview

    def init_instance(self, row=None):
        return Designation(state=State.DRAFT)

    def after_init_instance(self, instance, new, row, **kwargs):
        if self.plan is None:
            instance.import_designation = "blank row: skipped"
        elif new:
            instance.import_organisation = self.plan.note
            instance.import_designation = "new (draft)"
        else:
            instance.import_organisation = self.plan.note
            instance.import_designation = f"already recorded (#{instance.pk}): skipped"

    # Writing

    def reason(self, kwargs):
        file_name = kwargs.get("file_name")
        return f"{CHANGE_REASON} ({file_name})" if file_name else CHANGE_REASON

    def save_record(self, record, column, kwargs):
        """Validates and saves one record, with history naming the importer."""
        try:
            record.full_clean()
        except ValidationError as error:
            raise ValidationError({column: error.messages}) from None
        record._history_user = kwargs.get("user")
        record._change_reason = self.reason(kwargs)
        record.save()

    def import_instance(self, instance, row, **kwargs):
        """Sets the row's values, then finds or creates its organisation and adds aliases."""
        if self.plan is None:
            return
        super().import_instance(instance, row, **kwargs)
        instance.organisation = self.save_organisation(kwargs)
        self.add_aliases(instance.organisation, kwargs)

    def save_organisation(self, kwargs):
        """The row's organisation: created as a draft, or (a draft) given the country it lacked."""
        plan = self.plan
        organisation = plan.organisation
        if organisation is None:
            organisation = Organisation(
                name=plan.name,
                slug=unique_slug(plan.name),
                kind=OrganisationKind.OTHER,  # until an editor says which
                country=plan.country,
                state=State.DRAFT,
            )
            # Keyed by the model field, so that the designation's check leaves it out.
            self.save_record(organisation, "organisation", kwargs)
            self.names.setdefault(match_key(plan.name), {})[organisation.pk] = plan.name
            self.created[organisation.pk] = kwargs["row_number"]
        elif plan.new_country:
            organisation.country = plan.new_country
            self.save_record(organisation, "country", kwargs)
        return organisation

    def add_aliases(self, organisation, kwargs):
        plan = self.plan
        for name in plan.new_aliases:
            alias = OrganisationAlias(organisation=organisation, name=name)
            self.save_record(alias, "aliases", kwargs)
            self.alias_names.setdefault(match_key(name), {})[organisation.pk] = name
        if plan.new_aliases:  # the preview lists the aliases as they now are
            getattr(organisation, "_prefetched_objects_cache", {}).pop("aliases", None)
        return organisation

    def skip_row(self, instance, original, row, import_validation_errors=None):
        """Skips blank rows and designations already recorded; never a row with errors."""
        if import_validation_errors:
            return False
        return self.plan is None or instance.pk is not None

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        try:
            super().validate_instance(instance, import_validation_errors, validate_unique)
        except ValidationError as error:
            raise ValidationError(
                {
                    self.COLUMN_OF.get(name, name): errors
                    for name, errors in error.message_dict.items()
                }
            ) from None

    def before_save_instance(self, instance, row, **kwargs):
        instance._history_user = kwargs.get("user")
        instance._change_reason = self.reason(kwargs)

    def after_save_instance(self, instance, row, **kwargs):
        """Cites the row's source: the one recorded under that address, or a new one."""
        self.created_designations[instance.pk] = kwargs["row_number"]
        url = self.plan.source_url
        source = Source.objects.filter(url_key=url_key(url)).first()
        if source is None:
            parts = urlsplit(url)
            source = Source(
                title=f"{parts.netloc.removeprefix('www.')}{parts.path.rstrip('/')}"[:500],
                url=url,
                kind=SourceKind.OTHER,
                reliability=Reliability.UNVERIFIED,
                reliability_note=SOURCE_NOTE,
            )
            self.save_record(source, "source URL", kwargs)
        self.save_record(Citation(source=source, content_object=instance), "source URL", kwargs)

    def after_import(self, dataset, result, **kwargs):
        """At the confirm step, imports nothing unless the rows come out as in the preview."""
        expected = kwargs.get("preview_digest")
        if expected and not kwargs.get("dry_run") and preview_digest(result) != expected:
            raise ValueError(PREVIEW_OUTDATED)


class DesignationImportForm(ImportForm):
    """The upload step: refuses a file too large, binary or not UTF-8 before it is parsed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["import_file"].help_text = (
            f"A CSV file in UTF-8 with a header row, at most "
            f"{filesizeformat(settings.IMPORT_MAX_BYTES)}. Nothing is saved until you confirm "
            "the preview; new records are drafts."
        )

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        limit = settings.IMPORT_MAX_BYTES
        if upload.size > limit:
            raise ValidationError(
                f"The file is too large ({filesizeformat(upload.size)}; the limit is "
                f"{filesizeformat(limit)}): split it into smaller files."
            )
        data = upload.read()
        upload.seek(0)
        if b"\0" in data:
            raise ValidationError(
                "This is not a CSV text file (it holds binary data: a spreadsheet, or UTF-16 "
                "text?). Save it as “CSV UTF-8” and upload that."
            )
        try:
            data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(
                "The file is not UTF-8 text. Save it as “CSV UTF-8” and upload that."
            ) from None
        return upload


class DesignationConfirmForm(ConfirmImportForm):
    """The confirm step, carrying a fingerprint of the preview the editor saw."""

    preview = forms.CharField(widget=forms.HiddenInput())
