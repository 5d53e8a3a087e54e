"""Building blocks shared by the tracker's models: publication state, partial dates."""

import datetime
import functools
import operator
import re
import unicodedata

from django.contrib.contenttypes.fields import GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.signals import setting_changed
from django.core.validators import URLValidator
from django.db import models, transaction
from django.db.models import F, Func, Prefetch, Q
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.formats import date_format
from django.utils.hashable import make_hashable
from django.utils.translation import get_language, gettext, pgettext

from tracker.choices import AliasKind, DatePrecision, State

from .evidence import EvidenceMixin

# The only addresses stored and linked to: a javascript: or data: URL in a link runs or
# shows whatever it holds when a reader clicks it.
WEB_SCHEMES = ("http", "https")
web_address = URLValidator(
    schemes=list(WEB_SCHEMES), message="Enter a web address starting with http:// or https://."
)


def is_web_address(url):
    """True for an address starting with http:// or https:// (any case), the only ones
    shown as links."""
    return isinstance(url, str) and url.lower().startswith(
        tuple(f"{scheme}://" for scheme in WEB_SCHEMES)
    )


# Keys that reverse() puts in an address as they are (a slug or a number needs no quoting).
PLAIN_KEY = re.compile(r"[-a-zA-Z0-9_]+")
_PLACEHOLDER = "987654321987654321"  # a key every pattern takes: slugs and ids
_address_parts = {}

# What a link to a named record (an organisation, a person) reads: its address and its name.
NAMED_LINK_FIELDS = ("id", "slug", "name")


def detail_url(view_name, key):
    """`reverse(view_name, args=[key])` for a record's slug or id, from the address reversed
    once per view, language, script prefix and URLconf: a list of fifty rows links each row
    (and its people, laws…) without running reverse() each time."""
    key = str(key)
    if not PLAIN_KEY.fullmatch(key):
        return reverse(view_name, args=[key])
    context = (view_name, get_language(), get_script_prefix(), get_urlconf())
    parts = _address_parts.get(context)
    if parts is None:
        parts = _address_parts[context] = reverse(view_name, args=[_PLACEHOLDER]).split(
            _PLACEHOLDER
        )
    return f"{parts[0]}{key}{parts[1]}"


def page_url(view_name):
    """`reverse(view_name)` for a page that takes no key, reversed once per view, language,
    script prefix and URLconf as `detail_url` is (a footnote list links to the methodology
    page from every mark)."""
    context = (view_name, get_language(), get_script_prefix(), get_urlconf(), None)
    url = _address_parts.get(context)
    if url is None:
        url = _address_parts[context] = reverse(view_name)
    return url


@receiver(setting_changed)
def _forget_addresses(setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _address_parts.clear()


@functools.cache
def _choice_labels(field, language):
    """{value: label} of a field with choices, the labels in `language` (the active one)."""
    return {
        make_hashable(value): force_str(label, strings_only=True)
        for value, label in field.flatchoices
    }


class QuickLoad(models.Model):
    """Instances read from the database built without `Model.__init__()`.

    Django's `from_db()` calls `__init__()`, which walks every field of the model and sends
    `pre_init` and `post_init`. Here the loaded columns are set as `__init__()` would leave
    them, and the columns not loaded stay deferred. `from_db()` is Django's documented hook
    for this ("Customizing model loading").

    Once any receiver of `pre_init` or `post_init` is connected (none is), instances are
    loaded by Django's own `from_db()`, which sends them. (Asking whether this model has
    receivers costs as much as building the instance.)
    """

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values):
        if pre_init.receivers or post_init.receivers:
            return super().from_db(db, field_names, values)
        new = cls.__new__(cls)
        new.__dict__.update(zip(field_names, values, strict=True))
        state = new._state = ModelState()
        state.adding = False
        state.db = db
        return new


class DisplayLabelsMixin(QuickLoad):
    """`get_<field>_display()` as Django's, with each field's labels translated once per
    language rather than at every call (pages show hundreds of them)."""

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        label = _choice_labels(field, get_language()).get(make_hashable(value), value)
        return force_str(label, strings_only=True)


# Tracked models add "publish" to Django's default permissions: tracker.publish_case, …
PUBLISHING_PERMISSIONS = ("add", "change", "delete", "view", "publish")


def needs_publish_permission(old_state, new_state):
    """True when a move between states makes a record public or takes it off the site."""
    return old_state != new_state and State.PUBLISHED in (old_state, new_state)


class PublicQuerySet(models.QuerySet):
    """Any model that can appear publicly: `published()` is what the public may see."""

    def published(self, cited=None, part_of_public=False):
        """The rows the public may see, by the one rule of `tracker.models.public` (compiled
        once: `PublicRule`). `cited` (citations only): the public citations of records of
        that model, tested against that model's rule alone. `part_of_public` (parts only):
        for parts read by the ids of public records, whose test is left out. See
        `public_condition`."""
        from .public import PublicRule

        return self.filter(PublicRule(self.model, cited=cited, part_of_public=part_of_public))

    def with_evidence(self):
        """Annotate `evidence_confirmed` on a cited model's rows: the rule of
        `tracker.models.evidence`, read through the record's `evidence`."""
        from .evidence import confirmed_condition

        return self.annotate(evidence_confirmed=confirmed_condition(self.model))

    def published_with_evidence(self):
        """`published().with_evidence()`, with the evidence test written for public rows (whose
        citations are all public): the same marks, from a much simpler query."""
        from .evidence import confirmed_condition

        return self.published().annotate(
            evidence_confirmed=confirmed_condition(self.model, rows_are_public=True)
        )


class PublishableQuerySet(PublicQuerySet):
    def unpublishable(self):
        """The records that may not be published yet (see Designation: uncited ones)."""
        return self.none()

    def set_state(self, state, user=None, reason=""):
        """Move every record to `state`, recording each move in its history.

        One bulk UPDATE and one bulk INSERT into the history per 500 records; public
        pages see the change at once. Returns the number of records moved.
        """
        from simple_history.utils import bulk_update_with_history

        if state == State.PUBLISHED:
            blocked = list(self.unpublishable()[:5])
            if blocked:
                names = "; ".join(str(record) for record in blocked)
                raise ValidationError(f"Not published: {names}. {self.model.unpublishable_reason}")
        from tracker.search import index

        with transaction.atomic():
            records = list(self.exclude(state=state).order_by("pk"))
            now = timezone.now()
            for record in records:
                record.state = state
                record.updated_at = now
            bulk_update_with_history(
                records,
                self.model,
                ["state", "updated_at"],
                batch_size=500,
                default_user=user,
                default_change_reason=reason or f"Moved to {State(state).label.lower()}",
            )
            # A bulk UPDATE sends no signals: re-index the records and what mentions them.
            index.refresh(self.model, [record.pk for record in records])
        return len(records)


class TrackedModel(DisplayLabelsMixin, models.Model):
    """A record editors keep: draft until published, with creation and change times."""

    state = models.CharField(
        "publication",
        max_length=20,
        choices=State.choices,
        default=State.DRAFT,
        db_index=True,
        help_text=(
            "Only published records are public. Editors send a checked draft to review; "
            "a publisher publishes it, or withdraws it from the site later."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PublishableQuerySet.as_manager()

    class Meta:
        abstract = True

    # Why `unpublishable()` holds a record back; shown to the editor.
    unpublishable_reason = ""


def precision_field(date_label):
    return models.CharField(
        max_length=12,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        help_text=(
            f"How much of the {date_label} the source gives. For a month, enter the 1st of "
            "that month; for a year, enter 1 January."
        ),
    )


def format_partial_date(value, precision):
    """Show a date no more precisely than the sources know it, in the active language.

    Month names come from Django's date formatting, so a Russian page reads "1 марта 2025"
    (the genitive, format "E", after a day) and "Март 2025" (the nominative, "F", alone).
    Each text is made once per date, precision and language (a page shows dozens of dates).
    """
    if value is None:
        return gettext("date unknown")
    return _partial_date_text(value, precision, get_language())


@functools.lru_cache(maxsize=4096)
def _partial_date_text(value, precision, language):
    """`format_partial_date` of a known date in `language` (the active one)."""
    if precision == DatePrecision.MONTH:
        return date_format(value, "F Y")
    if precision == DatePrecision.YEAR:
        return str(value.year)
    if precision == DatePrecision.APPROXIMATE:
        # Translators: an approximate year, e.g. "c. 2014" (circa).
        return pgettext("approximate year", "c. %(year)s") % {"year": value.year}
    return date_format(value, "j E Y")


def partial_date_iso(value, precision):
    """The date in ISO 8601 exactly as precise as known (for `<time datetime>`): "2025-03-14",
    "2025-03", or "2025" for a year and for an approximate year (whose text says "c.")."""
    if value is None:
        return ""
    if precision == DatePrecision.MONTH:
        return f"{value.year:04d}-{value.month:02d}"
    if precision in (DatePrecision.YEAR, DatePrecision.APPROXIMATE):
        return f"{value.year:04d}"
    return value.isoformat()


def partial_date_errors(value, precision, label):
    """Errors for a date that claims more than its precision, or lies in the future."""
    if value is None:
        return []
    errors = []
    if value > timezone.now().date() + datetime.timedelta(days=1):
        errors.append(f"The {label} is in the future.")
    if precision == DatePrecision.MONTH and value.day != 1:
        errors.append(
            f"The {label} is known only to the month: enter the 1st of the month "
            "(or choose 'Exact day')."
        )
    if precision in (DatePrecision.YEAR, DatePrecision.APPROXIMATE) and (
        value.month,
        value.day,
    ) != (
        1,
        1,
    ):
        errors.append(
            f"The {label} is known only to the year: enter 1 January of that year "
            "(or choose a finer precision)."
        )
    return errors


class PartialDatesMixin:
    """Validates each (date, date_precision) pair listed in `partial_dates`."""

    partial_dates = ()

    def clean(self):
        super().clean()
        errors = {}
        for name in self.partial_dates:
            field = self._meta.get_field(name)
            problems = partial_date_errors(
                getattr(self, name), getattr(self, f"{name}_precision"), field.verbose_name
            )
            if problems:
                errors[name] = problems
        if errors:
            raise ValidationError(errors)

    def partial_date_parts(self, name):
        """(value, precision, prefix) of the partial date `name`; a model may add names of its
        own that choose between its dates (Designation's "date")."""
        return getattr(self, name), getattr(self, f"{name}_precision"), ""

    def partial_date(self, name):
        """The partial date `name` as text (the `{% partial_date %}` tag marks it up)."""
        value, precision, prefix = self.partial_date_parts(name)
        text = format_partial_date(value, precision)
        return f"{prefix} {text}" if prefix else text


class CitedModel(EvidenceMixin, DisplayLabelsMixin, models.Model):
    """A record whose facts rest on sources; its citations are listed on its public page.

    `evidence` ("confirmed" / "unverified") needs a queryset with `with_evidence()`.
    """

    citations = GenericRelation("tracker.Citation")

    class Meta:
        abstract = True


def with_sources(lookup="citations"):
    """Prefetch citations together with their sources (one query for any number)."""
    from .sources import Citation

    return Prefetch(lookup, queryset=Citation.objects.select_related("source"))


# What a public page shows of a citation and its source: the footnote (tracker.footnotes,
# tracker/templatetags/citations.py) and the evidence mark (`confirmed_by`). Never the
# citation's editorial note.
FOOTNOTE_FIELDS = (
    "id",
    "content_type_id",
    "object_id",
    "source_id",
    "quote",
    "conflicting",
    "source__id",
    "source__title",
    "source__url",
    "source__publisher",
    "source__published_date",
    "source__published_date_precision",
    "source__kind",
    "source__reliability",
)


def footnote_citations(records):
    """The citations of `records` with what a footnote shows of their sources, in one query
    for all of them (whatever their kinds): a list per record, in the order of `records`."""
    from .sources import Citation

    keys = [(ContentType.objects.get_for_model(type(r)).pk, r.pk) for r in records]  # cached
    pks_by_type = {}
    for type_id, pk in keys:
        pks_by_type.setdefault(type_id, set()).add(pk)
    found = {}
    if pks_by_type:
        condition = functools.reduce(
            operator.or_,
            (Q(content_type_id=type_id, object_id__in=pks) for type_id, pks in pks_by_type.items()),
        )
        citations = Citation.objects.filter(condition).select_related("source")
        for citation in citations.only(*FOOTNOTE_FIELDS):
            found.setdefault((citation.content_type_id, citation.object_id), []).append(citation)
    return [found.get(key, []) for key in keys]


def is_latin(name):
    """True when every letter of the name is a Latin one ("Amnesty", "Alcántara")."""
    return all(unicodedata.name(ch, "").startswith("LATIN") for ch in name if ch.isalpha())


class Alias(DisplayLabelsMixin, models.Model):
    """Another name a record is known by: an acronym, a spelling, a name in another script.

    `kind` says whether a source gives the name (ORIGINAL) or editors derived it
    (TRANSLITERATION); public pages mark the latter.
    """

    name = models.CharField(max_length=300)
    # OTHER claims nothing about where a name comes from; an editor says "original" only
    # after finding the name written so in a source.
    kind = models.CharField(max_length=20, choices=AliasKind.choices, default=AliasKind.OTHER)
    language = models.CharField(
        max_length=8,
        blank=True,
        help_text="ISO 639-1 code of the name's language (e.g. ru, uk), for names in another "
        "script; pages mark the name up in that language.",
    )

    objects = PublicQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def from_source(self):
        """False for a spelling editors derived, which pages mark as not from a source."""
        return self.kind != AliasKind.TRANSLITERATION


class AliasedMixin:
    """A record with `aliases`; its name in another script is read from the loaded aliases."""

    @property
    def original_script_alias(self):
        """The record's name in a non-Latin script, for headings: one a source gives first,
        else an editors' transliteration (marked as such), else None.

        Reads `aliases.all()`, so it costs no query where the page prefetched the aliases
        (every detail and list queryset does).
        """
        candidates = [
            alias
            for alias in self.aliases.all()
            if alias.kind in (AliasKind.ORIGINAL, AliasKind.TRANSLITERATION)
            and not is_latin(alias.name)
        ]
        candidates.sort(key=lambda alias: alias.kind != AliasKind.ORIGINAL)
        return candidates[0] if candidates else None


class PeriodStart(Func):
    """The first day of a date's month or year, in SQL each database runs by itself.

    Django's TruncMonth/TruncYear call a Python function on SQLite, and a CHECK constraint
    that needs one could not be written by anything but Django (the sqlite3 shell, a restore).
    """

    arity = 1
    output_field = models.DateField()
    UNITS = ("month", "year")

    def __init__(self, expression, unit):
        if unit not in self.UNITS:
            raise ValueError(f"unit must be one of {self.UNITS}, not {unit!r}")
        self.unit = unit
        super().__init__(expression)

    def as_sql(self, compiler, connection, **extra_context):
        template = f"CAST(DATE_TRUNC('{self.unit}', %(expressions)s) AS date)"
        return super().as_sql(compiler, connection, template=template, **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        template = f"date(%(expressions)s, 'start of {self.unit}')"
        return super().as_sql(compiler, connection, template=template, **extra_context)


def date_not_before(later, earlier, message):
    """A check constraint: `later` (a partial date) does not lie wholly before `earlier`.

    A partial date covers its whole month or year, and is stored as its first day. `later`
    passes when its range can end on or after `earlier` begins: when it is not before
    `earlier` cut to `later`'s precision (an exact 13 November and "November" agree). An
    approximate year ("c. 2024") may be off by a year or more, so it is never held against
    the other date. Either date empty passes.
    """
    precision = f"{later}_precision"
    return models.CheckConstraint(
        condition=Q(**{f"{later}__isnull": True})
        | Q(**{f"{earlier}__isnull": True})
        | Q(**{precision: DatePrecision.APPROXIMATE})
        | Q(**{f"{earlier}_precision": DatePrecision.APPROXIMATE})
        | Q(**{precision: DatePrecision.DAY, f"{later}__gte": F(earlier)})
        | Q(**{precision: DatePrecision.MONTH, f"{later}__gte": PeriodStart(earlier, "month")})
        | Q(**{precision: DatePrecision.YEAR, f"{later}__gte": PeriodStart(earlier, "year")}),
        name=f"%(class)s_{later}_not_before_{earlier}",
        violation_error_message=message,
    )


def web_address_only(field):
    """A check constraint: `field` is empty or starts with http:// or https:// (any case).

    The database's own guard, for saves that skip validation: save(), bulk_create(),
    fixtures and imports.
    """
    return models.CheckConstraint(
        condition=Q(**{field: ""})
        | Q(**{f"{field}__istartswith": "http://"})
        | Q(**{f"{field}__istartswith": "https://"}),
        name=f"%(class)s_{field}_web_address",
        violation_error_message="Enter a web address starting with http:// or https://.",
    )
