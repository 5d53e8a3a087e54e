"""The tracker's data model; see DESIGN.md for the domain."""

from .accounts import LoginFailure
from .base import format_partial_date
from .cases import Case, CaseEvent, Charge, Person, PersonAlias
from .changes import DataVersion
from .laws import Law, LawAlias, LawAmendment, Penalty
from .organisations import Designation, Organisation, OrganisationAlias
from .search import SearchEntry, SearchKind, SearchName
from .sources import Citation, Source

__all__ = [
    "Case",
    "CaseEvent",
    "Charge",
    "Citation",
    "DataVersion",
    "Designation",
    "Law",
    "LawAlias",
    "LawAmendment",
    "LoginFailure",
    "Organisation",
    "OrganisationAlias",
    "Penalty",
    "Person",
    "PersonAlias",
    "SearchEntry",
    "SearchKind",
    "SearchName",
    "Source",
    "format_partial_date",
]
