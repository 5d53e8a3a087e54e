"""The home page's parts: the record in numbers, the latest records, the charts.

Each part is rendered once per version of the models it shows, and of the models
whose rows decide what of those is public (`public_dependencies`), then taken from
the cache (`tracker.caching.cached_fragment`): a reader who comes after any change
to those models gets the part rendered anew, never a stale one. The numbers and the
charts count rows and never show a text: they are kept by the versions of those
models' keys (`by_keys`), and an edit of a title or a summary leaves them as they are.
"""

from django.db import connections
from django.template.loader import render_to_string

from tracker import charts
from tracker.caching import cached_fragment
from tracker.models import Case, CaseEvent, Designation, Law, Organisation, Person, Source
from tracker.models.evidence import evidence_dependencies, mark_evidence
from tracker.models.public import public_dependencies

LATEST_SIZE = 8

# The models whose public records are counted, by the name the page gives the number
# (designations, split by evidence, are counted apart).
COUNTED = {
    "organisations": Organisation,
    "laws": Law,
    "cases": Case,
    "people": Person,
    "sources": Source,
}


def _rows_sql(queryset, *fields):
    query = queryset.order_by().values(*fields).query
    return query.get_compiler(using=queryset.db).as_sql()


# The numbers in two parts, each counted in one query and kept by what decides its own
# visibility: a source is public when anything public cites it, so the sources' number (and
# the cases') changes with an edit to a case; the others do not.
COUNT_PARTS = {
    "records": ("organisations", "laws", "people", "designations"),
    "cited": ("cases", "sources"),
}


def counts(names=(*COUNTED, "designations")):
    """The numbers `names` of the home page (of COUNTED, and "designations", split by
    evidence), in one query.

    Each count is a `published()` queryset compiled to SQL, so the numbers follow the one
    rule of `tracker.models.public`; designations are split by the rule of
    `tracker.models.evidence` ("unverified" marks), in the same pass.
    """
    parts, params, columns = [], [], []
    for name in [name for name in names if name in COUNTED]:
        sql, part_params = _rows_sql(COUNTED[name].objects.published(), "pk")
        parts.append(f"(SELECT COUNT(*) AS {name} FROM ({sql}) AS rows_{name}) AS {name}")
        params += part_params
        columns.append(name)
    if "designations" in names:
        sql, part_params = _rows_sql(
            Designation.objects.published_with_evidence(), "pk", "evidence_confirmed"
        )
        parts.append(
            "(SELECT COUNT(*) AS designations, "
            "COUNT(CASE WHEN rows_d.evidence_confirmed THEN 1 END) AS designations_confirmed "
            f"FROM ({sql}) AS rows_d) AS d"
        )
        params += part_params
        columns += ["designations", "designations_confirmed"]
    with connections[Designation.objects.db].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM {' CROSS JOIN '.join(parts)}", params)
        found = dict(zip(columns, cursor.fetchone(), strict=True))
    if "designations" in names:
        found["designations_unverified"] = found["designations"] - found["designations_confirmed"]
    return found


def _counted_models(names):
    """The models whose rows decide the numbers `names`: those counted, and what decides
    their visibility (and a public designation's evidence: its citations and their sources)."""
    models = [COUNTED[name] for name in names if name in COUNTED]
    if "designations" not in names:
        return public_dependencies(*models)
    # Counted by published_with_evidence: the evidence of public rows.
    return {*public_dependencies(*models, Designation), *evidence_dependencies(True)}


def numbers():
    """How many public organisations, designations (confirmed or not), laws, cases… there are."""

    def render():
        found = {}
        for part, names in COUNT_PARTS.items():
            found |= cached_fragment(
                f"home-counts-{part}",
                _counted_models(names),
                lambda names=names: counts(names),
                by_keys=True,
            )
        return render_to_string("includes/home/numbers.html", {"counts": found})

    models = _counted_models([*COUNTED, "designations"])
    return cached_fragment("home-numbers", models, render, by_keys=True)


def latest():
    """The newest designations and the latest case events."""

    def render():
        events = (
            CaseEvent.objects.published()
            .filter(date__isnull=False)
            .select_related("case")
            .order_by("-date", "-id")
        )
        context = {
            "latest_designations": mark_evidence(
                Designation.objects.for_list().newest_first()[:LATEST_SIZE]
            ),
            # EXISTS rather than a join on the case's state, so the (date, id) index drives.
            "latest_events": events[:LATEST_SIZE],
        }
        return render_to_string("includes/home/latest.html", context)

    models = (*public_dependencies(Designation, CaseEvent), *evidence_dependencies())
    return cached_fragment("home-latest", models, render)


def pictures():
    """Designations per year by kind, and cases by status: two parts, so that a change to a
    case leaves the designations' chart kept (and a designation's, the cases')."""
    designations = cached_fragment(
        "home-chart-designations",
        public_dependencies(Designation),
        lambda: render_to_string(
            "includes/charts/home_designations.html",
            {"chart": charts.home_designations_chart()},
        ),
        by_keys=True,
    )
    statuses = cached_fragment(
        "home-chart-statuses",
        public_dependencies(Case),
        lambda: render_to_string(
            "includes/charts/home_statuses.html", {"chart": charts.home_status_chart()}
        ),
        by_keys=True,
    )
    return designations + statuses
