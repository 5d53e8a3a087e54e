"""The home page's parts: the record in numbers, the latest records, the charts.

Each part is rendered once per version of the models it shows, and of the models
whose rows decide what of those is public (`public_dependencies`), then taken from
the cache (`tracker.caching.cached_fragment`): a reader who comes after any change
to those models gets the part rendered anew, never a stale one.
"""

from django.db import connections
from django.template.loader import render_to_string

from tracker import charts
from tracker.caching import cached_fragment
from tracker.models import Case, CaseEvent, Designation, Law, Organisation, Person, Source
from tracker.models.evidence import evidence_dependencies
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


def counts():
    """Every number the home page shows, in one query.

    Each count is a `published()` queryset compiled to SQL, so the numbers follow the one
    rule of `tracker.models.public`; designations are split by the rule of
    `tracker.models.evidence` ("unverified" marks), in the same pass.
    """
    designations = Designation.objects.published().with_evidence()
    parts, params = [], []
    for name, model in COUNTED.items():
        sql, part_params = _rows_sql(model.objects.published(), "pk")
        parts.append(f"(SELECT COUNT(*) AS {name} FROM ({sql}) AS rows_{name}) AS {name}")
        params += part_params
    sql, part_params = _rows_sql(designations, "pk", "evidence_confirmed")
    parts.append(
        "(SELECT COUNT(*) AS designations, "
        "COUNT(CASE WHEN rows_d.evidence_confirmed THEN 1 END) AS designations_confirmed "
        f"FROM ({sql}) AS rows_d) AS d"
    )
    params += part_params
    names = [*COUNTED, "designations", "designations_confirmed"]
    with connections[designations.db].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(names)} FROM {' CROSS JOIN '.join(parts)}", params)
        found = dict(zip(names, cursor.fetchone(), strict=True))
    found["designations_unverified"] = found["designations"] - found["designations_confirmed"]
    return found


def numbers():
    """How many public organisations, designations (confirmed or not), laws, cases… there are."""
    models = (*public_dependencies(Designation, *COUNTED.values()), *evidence_dependencies())
    return cached_fragment(
        "home-numbers",
        models,
        lambda: render_to_string("includes/home/numbers.html", {"counts": counts()}),
    )


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
            "latest_designations": Designation.objects.for_list()[:LATEST_SIZE],
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
    )
    statuses = cached_fragment(
        "home-chart-statuses",
        public_dependencies(Case),
        lambda: render_to_string(
            "includes/charts/home_statuses.html", {"chart": charts.home_status_chart()}
        ),
    )
    return designations + statuses
