"""Every set of choices the tracker uses, in one place."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    """Where a record is in its life: draft → in review → published (→ withdrawn).

    Only published records are public. Editors move records between draft and review;
    any move into or out of "published" needs the publish permission (Publishers).
    """

    DRAFT = "draft", "Draft"
    REVIEW = "review", "In review"
    PUBLISHED = "published", "Published"
    WITHDRAWN = "withdrawn", "Withdrawn"


class DatePrecision(models.TextChoices):
    """How much of a date the sources actually give."""

    DAY = "day", "Exact day"
    MONTH = "month", "Month only"
    YEAR = "year", "Year only"
    APPROXIMATE = "approximate", "Approximate year"


class SourceKind(models.TextChoices):
    NEWS = "news", "News report"
    NGO = "ngo", "NGO statement or report"
    OFFICIAL = "official", "Official register or decision"
    COURT = "court", "Court record"
    OTHER = "other", "Other"


class Reliability(models.TextChoices):
    PRIMARY = "primary", "Primary / official"
    ESTABLISHED = "established", "Established outlet or NGO"
    UNVERIFIED = "unverified", "Unverified"


class OrganisationKind(models.TextChoices):
    NGO = "ngo", "NGO"
    MEDIA = "media", "Media outlet"
    FOUNDATION = "foundation", "Foundation"
    UNIVERSITY = "university", "University"
    PROFESSIONAL = "professional", "Professional body"
    COLLECTIVE = "collective", "Collective or movement"
    OTHER = "other", "Other"


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
    UNDESIRABLE = "undesirable", "Undesirable organisation"
    FOREIGN_AGENT = "foreign_agent", "Foreign agent"
    EXTREMIST = "extremist", "Extremist organisation"
    TERRORIST = "terrorist", "Terrorist organisation"
    UNSPECIFIED = "unspecified", "Foreign agent or undesirable (source does not say which)"


class LawKind(models.TextChoices):
    LAW = "law", "Law or statute"
    ARTICLE = "article", "Code article"
    OTHER = "other", "Other measure"


class PenaltyKind(models.TextChoices):
    ADMINISTRATIVE = "administrative", "Administrative"
    CRIMINAL = "criminal", "Criminal"


class PersonRole(models.TextChoices):
    LAWYER = "lawyer", "Lawyer"
    DEFENDER = "defender", "Human rights defender"
    ACTIVIST = "activist", "Activist"
    JOURNALIST = "journalist", "Journalist"
    ARTIST = "artist", "Artist"
    WRITER = "writer", "Writer"
    POLITICIAN = "politician", "Politician"
    OTHER = "other", "Other"


class CaseStatus(models.TextChoices):
    UNDER_INVESTIGATION = "investigation", "Under investigation"
    PRETRIAL_DETENTION = "pretrial", "In pre-trial detention"
    ON_TRIAL = "trial", "On trial"
    CONVICTED = "convicted", "Convicted"
    RELEASED = "released", "Released"
    IN_EXILE = "exile", "In exile"
    DECEASED = "deceased", "Deceased"
    CLOSED = "closed", "Closed"
    UNKNOWN = "unknown", "Unknown"


class EventKind(models.TextChoices):
    ARREST = "arrest", "Arrest or detention"
    SEARCH = "search", "Search"
    CHARGE = "charge", "Charges brought"
    HEARING = "hearing", "Hearing"
    VERDICT = "verdict", "Verdict"
    SENTENCE = "sentence", "Sentence"
    FINE = "fine", "Fine"
    EXCHANGE = "exchange", "Prisoner exchange"
    RELEASE = "release", "Release"
    EXILE = "exile", "Exile"
    DEATH = "death", "Death"
    OTHER = "other", "Other"
