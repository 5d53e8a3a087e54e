"""Building blocks shared by the tracker's models: publication state, partial dates."""

import datetime

from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Prefetch, Q
from django.utils import timezone

from tracker.choices import AliasKind, DatePrecision, State


class PublishableQuerySet(models.QuerySet):
    def published(self):
        return self.filter(state=State.PUBLISHED)

    def set_state(self, state):
        """Move every record to `state` in one UPDATE; public pages see the change at once."""
        from .changes import DataVersion

        with transaction.atomic():
            count = self.update(state=state)
            DataVersion.bump()
        return count


class TrackedModel(models.Model):
    """A record editors keep: draft until published, with creation and change times."""

    state = models.CharField(
        "publication",
        max_length=20,
        choices=State.choices,
        default=State.DRAFT,
        db_index=True,
        help_text="Drafts are visible only in the admin. Publish when the record is checked.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PublishableQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_published(self):
        return self.state == State.PUBLISHED


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
    """Show a date no more precisely than the sources know it."""
    if value is None:
        return "date unknown"
    if precision == DatePrecision.MONTH:
        return value.strftime("%B %Y")
    if precision == DatePrecision.YEAR:
        return str(value.year)
    if precision == DatePrecision.APPROXIMATE:
        return f"c. {value.year}"
    return f"{value.day} {value.strftime('%B %Y')}"


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

    def partial_date(self, name):
        return format_partial_date(getattr(self, name), getattr(self, f"{name}_precision"))


class CitedModel(models.Model):
    """A record whose facts rest on sources; its citations are listed on its public page."""

    citations = GenericRelation("tracker.Citation")

    class Meta:
        abstract = True


def with_sources(lookup="citations"):
    """Prefetch citations together with their sources (one query for any number)."""
    from .sources import Citation

    return Prefetch(lookup, queryset=Citation.objects.select_related("source"))


class Alias(models.Model):
    """Another name a record is known by: an acronym, a spelling, a name in another script."""

    name = models.CharField(max_length=300)
    kind = models.CharField(max_length=20, choices=AliasKind.choices, default=AliasKind.SPELLING)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name


def date_not_before(later, earlier, message):
    """A check constraint: `later` is empty, `earlier` is empty, or later >= earlier."""
    return models.CheckConstraint(
        condition=Q(**{f"{later}__isnull": True})
        | Q(**{f"{earlier}__isnull": True})
        | Q(**{f"{later}__gte": F(earlier)}),
        name=f"%(class)s_{later}_not_before_{earlier}",
        violation_error_message=message,
    )
