"""Every set of choices the tracker uses, in one place.

Labels are translated (gettext_lazy) and shown in the language of the page; the stored
values, which the API, exports and imports use, never change with the language.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class State(models.TextChoices):
    """Where a record is in its life: draft → in review → published (→ withdrawn).

    Only published records are public. Editors move records between draft and review;
    any move into or out of "published" needs the publish permission (Publishers).
    """

    DRAFT = "draft", _("Draft")
    REVIEW = "review", _("In review")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class DatePrecision(models.TextChoices):
    """How much of a date the sources actually give."""

    DAY = "day", _("Exact day")
    MONTH = "month", _("Month only")
    YEAR = "year", _("Year only")
    APPROXIMATE = "approximate", _("Approximate year")


class SourceKind(models.TextChoices):
    NEWS = "news", _("News report")
    NGO = "ngo", _("NGO statement or report")
    OFFICIAL = "official", _("Official register or decision")
    COURT = "court", _("Court record")
    OTHER = "other", _("Other")


class Reliability(models.TextChoices):
    PRIMARY = "primary", _("Primary / official")
    ESTABLISHED = "established", _("Established outlet or NGO")
    UNVERIFIED = "unverified", _("Unverified")


class OrganisationKind(models.TextChoices):
    NGO = "ngo", _("NGO")
    MEDIA = "media", _("Media outlet")
    FOUNDATION = "foundation", _("Foundation")
    UNIVERSITY = "university", _("University")
    PROFESSIONAL = "professional", _("Professional body")
    COLLECTIVE = "collective", _("Collective or movement")
    OTHER = "other", _("Other")


class AliasKind(models.TextChoices):
    """Where another name comes from: a document, or the editors.

    Only ORIGINAL claims that a source writes the name so; a TRANSLITERATION is a spelling
    the editors derived (e.g. a Cyrillic name no document gives) and is marked as such on
    public pages.
    """

    ORIGINAL = "original", _("Name in its original script or language, as a source gives it")
    TRANSLITERATION = "transliteration", _("Transliteration, not from a source")
    ACRONYM = "acronym", _("Acronym")
    FORMER = "former", _("Former name")
    OTHER = "other", _("Other name or spelling")


class DesignationKind(models.TextChoices):
    UNDESIRABLE = "undesirable", _("Undesirable organisation")
    FOREIGN_AGENT = "foreign_agent", _("Foreign agent")
    EXTREMIST = "extremist", _("Extremist organisation")
    TERRORIST = "terrorist", _("Terrorist organisation")
    UNSPECIFIED = "unspecified", _("Foreign agent or undesirable (source does not say which)")


class LawKind(models.TextChoices):
    LAW = "law", _("Law or statute")
    ARTICLE = "article", _("Code article")
    OTHER = "other", _("Other measure")


class PenaltyKind(models.TextChoices):
    ADMINISTRATIVE = "administrative", _("Administrative")
    CRIMINAL = "criminal", _("Criminal")


class PersonRole(models.TextChoices):
    LAWYER = "lawyer", _("Lawyer")
    DEFENDER = "defender", _("Human rights defender")
    ACTIVIST = "activist", _("Activist")
    JOURNALIST = "journalist", _("Journalist")
    ARTIST = "artist", _("Artist")
    WRITER = "writer", _("Writer")
    POLITICIAN = "politician", _("Politician")
    OTHER = "other", _("Other")


class CaseStatus(models.TextChoices):
    UNDER_INVESTIGATION = "investigation", _("Under investigation")
    PRETRIAL_DETENTION = "pretrial", _("In pre-trial detention")
    ON_TRIAL = "trial", _("On trial")
    CONVICTED = "convicted", _("Convicted")
    RELEASED = "released", _("Released")
    IN_EXILE = "exile", _("In exile")
    DECEASED = "deceased", _("Deceased")
    CLOSED = "closed", _("Closed")
    UNKNOWN = "unknown", _("Unknown")


class EventKind(models.TextChoices):
    ARREST = "arrest", _("Arrest or detention")
    SEARCH = "search", pgettext_lazy("case event", "Search")
    CHARGE = "charge", _("Charges brought")
    HEARING = "hearing", _("Hearing")
    VERDICT = "verdict", _("Verdict")
    SENTENCE = "sentence", _("Sentence")
    FINE = "fine", _("Fine")
    EXCHANGE = "exchange", _("Prisoner exchange")
    RELEASE = "release", _("Release")
    EXILE = "exile", _("Exile")
    DEATH = "death", _("Death")
    OTHER = "other", _("Other")
