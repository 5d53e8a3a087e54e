"""Every set of choices the tracker uses, in one place."""

from django.db import models


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
    ACRONYM = "acronym", "Acronym"
    SPELLING = "spelling", "Other spelling or transliteration"
    NATIVE = "native", "Name in another language or script"
    FORMER = "former", "Former name"


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
