"""The read-only JSON API under /api/ (tracker/api.py): every endpoint, every filter, cursor
pages, bad input, CORS, rate limits, and every response checked against the OpenAPI schema."""

import base64
import datetime
import json

import pytest
import requests
import schemathesis
from django.conf import settings
from django.core.cache import caches
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test import Client, TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.transport import Response as SchemaResponse

from tests import factories
from tracker.choices import State
from tracker.models import CaseEvent, Organisation, Source
from tracker.shapes import SHAPES

ENDPOINTS = {
    "organisation": "/api/organisations/",
    "designation": "/api/designations/",
    "law": "/api/laws/",
    "case": "/api/cases/",
    "person": "/api/people/",
    "source": "/api/sources/",
    "case_event": "/api/case-events/",
}

_schema = {}


def openapi():
    """The API's OpenAPI schema, as /api/schema/ serves it (loaded once)."""
    if not _schema:
        response = Client().get("/api/schema/?format=json")
        assert response.status_code == 200
        _schema["raw"] = response.json()
        _schema["checked"] = schemathesis.openapi.from_dict(_schema["raw"])
    return _schema["checked"]


def conforms(response, path):
    """Fail unless `response` is what the schema documents for GET `path`."""
    operation = openapi().find_operation_by_path("GET", path)
    assert operation is not None, f"{path} is not in the schema"
    headers = {name: [value] for name, value in response.items()}
    request = requests.Request("GET", f"http://testserver{path}").prepare()
    operation.validate_response(
        SchemaResponse(response.status_code, headers, response.content, request, 0.0, False)
    )


class APITestCase(TestCase):
    """Requests through the test client; every JSON answer is checked against the schema."""

    def get(self, url, status=200, **extra):
        response = self.client.get(url, **extra)
        self.assertEqual(response.status_code, status, response.content[:500])
        self.assertEqual(response["Content-Type"], "application/json")
        conforms(response, url.split("?")[0])
        return response.json()

    def names(self, url):
        """What identifies each record of a list page: its name or title, a designation's
        organisation's name, or else its id."""
        return [
            row.get("name")
            or row.get("title")
            or (row["organisation"]["name"] if "organisation" in row else row["id"])
            for row in self.get(url)["results"]
        ]


def build_record(test):
    """A small record: two of each type that differ in every filtered field, and hidden ones."""
    t = test
    t.report = factories.SourceFactory(title="NGO report", kind="ngo", reliability="established")
    t.register = factories.SourceFactory(
        title="Register extract", kind="official", reliability="primary"
    )
    t.law_a = factories.LawFactory(
        title="Undesirables law", slug="law-a", kind="law", jurisdiction="RU", number="129-FZ"
    )
    t.law_b = factories.LawFactory(
        title="Treason article", slug="law-b", kind="article", jurisdiction="BY", number="275"
    )
    t.hidden_law = factories.LawFactory(title="Hidden law", slug="hidden-law", state=State.DRAFT)
    t.org_a = factories.OrganisationFactory(
        name="Alpha Rights", slug="alpha", kind="ngo", country="RU"
    )
    t.org_b = factories.OrganisationFactory(
        name="Beta Media", slug="beta", kind="media", country="LV"
    )
    t.org_c = factories.OrganisationFactory(name="Gamma Fund", slug="gamma", kind="foundation")
    t.hidden_org = factories.OrganisationFactory(
        name="Hidden Org", slug="hidden-org", state="review"
    )
    t.designation_a = factories.DesignationFactory(
        organisation=t.org_a,
        law=t.law_a,
        kind="undesirable",
        decision_date=datetime.date(2024, 3, 1),
    )
    t.designation_b = factories.DesignationFactory(
        organisation=t.org_b,
        law=t.law_b,
        kind="foreign_agent",
        decision_date=datetime.date(2023, 1, 1),
        decision_date_precision="year",
    )
    factories.DesignationFactory(organisation=t.org_c, law=t.hidden_law, kind="extremist")
    t.person_a = factories.PersonFactory(
        name="Anna Petrova", slug="anna", role="lawyer", country="RU"
    )
    t.person_b = factories.PersonFactory(
        name="Boris Ivanov", slug="boris", role="journalist", country="BY"
    )
    t.hidden_person = factories.PersonFactory(name="Hidden Person", slug="hidden-p", state="draft")
    t.case_a = factories.CaseFactory(
        title="Case of Anna Petrova", slug="case-anna", status="convicted", country="RU",
        people=[t.person_a, t.hidden_person],
    )  # fmt: skip
    t.case_b = factories.CaseFactory(
        title="Case of Boris Ivanov", slug="case-boris", status="trial", country="BY",
        people=[t.person_b],
    )  # fmt: skip
    factories.ChargeFactory(case=t.case_a, law=t.law_a, description="participation")
    factories.ChargeFactory(case=t.case_b, law=t.law_b, description="treason")
    t.event_a = factories.CaseEventFactory(
        case=t.case_a, kind="verdict", date=datetime.date(2024, 6, 1), description="Convicted."
    )
    t.event_b = factories.CaseEventFactory(
        case=t.case_b, kind="arrest", date=datetime.date(2023, 2, 1), description="Arrested."
    )
    for record in (t.org_a, t.designation_a, t.law_a, t.case_a, t.person_a, t.event_a):
        factories.CitationFactory.for_object(record, source=t.report)
    for record in (t.org_b, t.designation_b, t.law_b, t.case_b, t.person_b, t.event_b):
        factories.CitationFactory.for_object(record, source=t.register)
    t.draft_source = factories.SourceFactory(title="Draft source", state=State.DRAFT)


class EndpointTests(APITestCase):
    @classmethod
    def setUpTestData(cls):
        build_record(cls)
        cls.public = {
            "organisation": [cls.org_a, cls.org_b, cls.org_c],
            "designation": [cls.designation_a, cls.designation_b],
            "law": [cls.law_a, cls.law_b],
            "case": [cls.case_a, cls.case_b],
            "person": [cls.person_a, cls.person_b],
            "source": [cls.report, cls.register],
            "case_event": [cls.event_a, cls.event_b],
        }

    def test_every_list_gives_its_public_records_in_id_order_in_their_shape(self):
        for kind, path in ENDPOINTS.items():
            with self.subTest(kind):
                page = self.get(path)
                records = self.public[kind]
                self.assertEqual([row["id"] for row in page["results"]], [r.pk for r in records])
                self.assertEqual({row["type"] for row in page["results"]}, {kind})
                self.assertEqual((page["next"], page["previous"]), (None, None))
                shape = SHAPES[kind]
                expected = shape(
                    shape.queryset().order_by("id"),
                    many=True,
                    context={"base_url": "http://testserver"},
                ).data
                self.assertEqual(page["results"], json.loads(json.dumps(expected)))

    def test_every_record_has_its_own_address(self):
        for kind, path in ENDPOINTS.items():
            for record in self.public[kind]:
                with self.subTest(kind, id=record.pk):
                    data = self.get(f"{path}{record.pk}/")
                    self.assertEqual((data["id"], data["type"]), (record.pk, kind))

    def test_records_with_a_slug_are_found_by_it(self):
        for kind, record in [
            ("organisation", self.org_a),
            ("law", self.law_a),
            ("case", self.case_a),
            ("person", self.person_a),
        ]:
            with self.subTest(kind):
                data = self.get(f"{ENDPOINTS[kind]}{record.slug}/")
                self.assertEqual(data["id"], record.pk)

    def test_hidden_records_are_not_found(self):
        for path, record in [
            ("/api/organisations/", self.hidden_org),
            ("/api/laws/", self.hidden_law),
            ("/api/people/", self.hidden_person),
            ("/api/sources/", self.draft_source),
        ]:
            for key in (record.pk, getattr(record, "slug", record.pk)):
                with self.subTest(path, key=key):
                    data = self.get(f"{path}{key}/", status=404)
                    self.assertNotIn(str(key), data["detail"])
        self.get("/api/organisations/999999/", status=404)
        self.get("/api/organisations/no-such-org/", status=404)
        self.get(f"/api/organisations/{'9' * 30}/", status=404)  # no id, yet a possible slug
        self.get("/api/designations/999999/", status=404)

    def test_hidden_related_records_are_left_out(self):
        case = self.get(f"/api/cases/{self.case_a.pk}/")
        self.assertEqual([p["name"] for p in case["people"]], ["Anna Petrova"])
        gamma = self.get("/api/organisations/gamma/")
        self.assertEqual(gamma["designations"], [])  # its designation is under a draft law

    def test_filters_of_each_list(self):
        cases = [
            ("/api/organisations/?kind=media", ["Beta Media"]),
            ("/api/organisations/?country=RU", ["Alpha Rights"]),
            ("/api/organisations/?designation=foreign_agent", ["Beta Media"]),
            ("/api/organisations/?law=law-a", ["Alpha Rights"]),
            ("/api/organisations/?year=2023", ["Beta Media"]),
            ("/api/organisations/?designation=undesirable&year=2023", []),
            ("/api/designations/?type=undesirable", ["Alpha Rights"]),
            ("/api/designations/?law=law-b", ["Beta Media"]),
            ("/api/designations/?organisation=beta", ["Beta Media"]),
            ("/api/designations/?country=LV", ["Beta Media"]),
            ("/api/designations/?year=2024", ["Alpha Rights"]),
            ("/api/designations/?jurisdiction=BY", ["Beta Media"]),
            ("/api/designations/?authority=prosecutor", ["Alpha Rights", "Beta Media"]),
            ("/api/designations/?as_of=2024-01-15", ["Beta Media"]),
            ("/api/laws/?kind=article", ["Treason article"]),
            ("/api/laws/?jurisdiction=RU", ["Undesirables law"]),
            ("/api/cases/?law=law-a", ["Case of Anna Petrova"]),
            ("/api/cases/?status=trial", ["Case of Boris Ivanov"]),
            ("/api/cases/?country=BY", ["Case of Boris Ivanov"]),
            ("/api/cases/?year=2024", ["Case of Anna Petrova"]),
            ("/api/cases/?person=boris", ["Case of Boris Ivanov"]),
            ("/api/cases/?person=ivanov", ["Case of Boris Ivanov"]),
            # The person filter takes names: a hidden person is nobody, by slug or by name.
            ("/api/cases/?person=hidden-p", []),
            ("/api/cases/?person=Hidden+Person", []),
            ("/api/people/?role=journalist", ["Boris Ivanov"]),
            ("/api/people/?country=RU", ["Anna Petrova"]),
            ("/api/sources/?kind=official", ["Register extract"]),
            ("/api/sources/?reliability=established", ["NGO report"]),
            ("/api/case-events/?kind=arrest", [self.event_b.pk]),
            ("/api/case-events/?case=case-anna", [self.event_a.pk]),
            ("/api/case-events/?year=2023", [self.event_b.pk]),
            ("/api/organisations/?kind=", ["Alpha Rights", "Beta Media", "Gamma Fund"]),
            ("/api/organisations/?format=json", ["Alpha Rights", "Beta Media", "Gamma Fund"]),
        ]
        for url, expected in cases:
            with self.subTest(url):
                self.assertEqual(self.names(url), expected)

    def test_search(self):
        for url, expected in [
            ("/api/organisations/?q=alpha", ["Alpha Rights"]),
            ("/api/laws/?q=129-FZ", ["Undesirables law"]),
            ("/api/cases/?q=boris", ["Case of Boris Ivanov"]),
            ("/api/people/?q=petrova", ["Anna Petrova"]),
            ("/api/designations/?q=beta", ["Beta Media"]),
            ("/api/sources/?q=register", ["Register extract"]),
            ("/api/organisations/?q=hidden", []),
            ("/api/organisations/?q=%22%22%20AND%20(", []),
        ]:
            with self.subTest(url):
                self.assertEqual(self.names(url), expected)

    def test_invalid_filter_values_are_refused_naming_the_parameter(self):
        for url, parameter in [
            ("/api/organisations/?year=abc", "year"),
            ("/api/organisations/?year=1066", "year"),
            ("/api/organisations/?kind=bank", "kind"),
            ("/api/organisations/?law=hidden-law", "law"),
            ("/api/organisations/?country=XX", "country"),
            ("/api/cases/?status=free", "status"),
            ("/api/designations/?organisation=hidden-org", "organisation"),
            ("/api/designations/?as_of=13.11.2024", "as_of"),
            ("/api/case-events/?case=nope", "case"),
            ("/api/sources/?reliability=good", "reliability"),
            ("/api/laws/?kidn=law", "kidn"),
            ("/api/laws/?format=csv", "format"),
        ]:
            with self.subTest(url):
                data = self.get(url, status=400)
                self.assertEqual(list(data["errors"]), [parameter])
                self.assertIn(parameter, data["detail"])

    def test_only_reading_is_allowed(self):
        for method in ("post", "put", "patch", "delete"):
            for url in ("/api/organisations/", f"/api/organisations/{self.org_a.pk}/"):
                with self.subTest(method, url=url):
                    response = getattr(self.client, method)(url)
                    self.assertEqual(response.status_code, 405)
                    self.assertIn("not allowed", response.json()["detail"])
        self.assertEqual(self.client.head("/api/organisations/").status_code, 200)
        options = self.client.options("/api/organisations/")
        self.assertEqual(options.status_code, 200)
        self.assertEqual(options.json()["name"], "Organisation List")
        self.assertEqual(Organisation.objects.count(), 4)

    def test_unknown_addresses_under_api_are_json_404(self):
        response = self.client.get("/api/nothing/here/")
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.json(), {"detail": "No such endpoint; see /api/ for the list."})

    def test_cors_lets_any_site_read_the_api_only(self):
        origin = {"HTTP_ORIGIN": "https://elsewhere.example"}
        response = self.client.get("/api/organisations/", **origin)
        self.assertEqual(response["Access-Control-Allow-Origin"], "*")
        self.assertNotIn("Access-Control-Allow-Credentials", response)
        preflight = self.client.options(
            "/api/organisations/", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET", **origin
        )
        self.assertEqual(preflight.status_code, 200)
        self.assertEqual(preflight["Access-Control-Allow-Methods"], "GET, HEAD, OPTIONS")
        page = self.client.get("/organisations/", **origin)
        self.assertNotIn("Access-Control-Allow-Origin", page)

    def test_the_schema_and_the_api_page(self):
        schema = openapi()
        paths = set(_schema["raw"]["paths"])
        for path in ENDPOINTS.values():
            self.assertIn(path, paths)
            self.assertIn(path + "{id}/", paths)
        self.assertTrue(schema)
        yaml = self.client.get("/api/schema/")
        self.assertEqual(yaml.status_code, 200)
        self.assertIn(b"openapi: 3.0.3", yaml.content)
        page = self.client.get("/api/")
        self.assertEqual(page.status_code, 200)
        html = page.content.decode()
        for path in ENDPOINTS.values():
            self.assertIn(f'href="{path}"', html)
        self.assertIn("<code>designation</code>: one of undesirable, foreign_agent", html)
        self.assertIn(f"At most {settings.API_RATE_LIMIT} requests per address", html)


class PaginationTests(APITestCase):
    @classmethod
    def setUpTestData(cls):
        cls.sources = [
            factories.SourceFactory(title=f"Source {n:03}", state=State.PUBLISHED)
            for n in range(12)
        ]

    def test_following_next_gives_every_record_once(self):
        seen, url, pages = [], "/api/sources/?page_size=5", 0
        while url:
            page = self.get(url)
            seen += [row["id"] for row in page["results"]]
            url = page["next"] and page["next"].removeprefix("http://testserver")
            pages += 1
        self.assertEqual(seen, [source.pk for source in self.sources])
        self.assertEqual(pages, 3)

    def test_previous_goes_back(self):
        first = self.get("/api/sources/?page_size=5")
        second = self.get(first["next"].removeprefix("http://testserver"))
        self.assertIn("page_size=5", second["previous"])
        back = self.get(second["previous"].removeprefix("http://testserver"))
        self.assertEqual(back["results"], first["results"])

    def test_records_added_while_paging_are_neither_repeated_nor_skipped(self):
        first = self.get("/api/sources/?page_size=5")
        newer = factories.SourceFactory(title="Added meanwhile", state=State.PUBLISHED)
        Source.objects.filter(pk=self.sources[0].pk).update(state=State.WITHDRAWN)
        rest, url = [], first["next"].removeprefix("http://testserver")
        while url:
            page = self.get(url)
            rest += [row["id"] for row in page["results"]]
            url = page["next"] and page["next"].removeprefix("http://testserver")
        ids = [row["id"] for row in first["results"]] + rest
        self.assertEqual(ids, [source.pk for source in self.sources] + [newer.pk])

    def test_page_size_is_capped(self):
        Source.objects.bulk_create(
            Source(title=f"Bulk {n}", state=State.PUBLISHED, url_key="") for n in range(100)
        )
        self.assertEqual(len(self.get("/api/sources/?page_size=1000")["results"]), 100)
        self.assertEqual(len(self.get("/api/sources/")["results"]), 50)

    def test_a_malformed_page_size_or_cursor_is_refused(self):
        def cursor(text):
            return base64.b64encode(text.encode()).decode()

        for query, parameter in [
            ("page_size=0", "page_size"),
            ("page_size=-3", "page_size"),
            ("page_size=ten", "page_size"),
            ("page_size=%EF%BC%95", "page_size"),  # a full-width digit
            ("cursor=not-a-cursor", "cursor"),
            (f"cursor={cursor('p=abc')}", "cursor"),
            (f"cursor={cursor('p=1e5')}", "cursor"),
            (f"cursor={cursor('p=' + '9' * 30)}", "cursor"),
            (f"cursor={cursor('o=-1')}", "cursor"),
            ("cursor=%C3%A9", "cursor"),
        ]:
            with self.subTest(query):
                data = self.get(f"/api/sources/?{query}", status=400)
                self.assertEqual(list(data["errors"]), [parameter])

    def test_a_page_costs_the_same_queries_whatever_its_size(self):
        build_record(self)
        for path in ENDPOINTS.values():
            self.get(path)  # once first: content types are looked up once per process
            counts = []
            for size in (1, 2):
                with self.subTest(path, size=size), CaptureQueriesContext(connection) as queries:
                    self.get(f"{path}?page_size={size}")
                counts.append(len(queries))
            self.assertEqual(counts[0], counts[1], path)
            self.assertFalse([q["sql"] for q in queries if "COUNT(" in q["sql"].upper()], path)


@override_settings(API_RATE_LIMIT="3/minute")
class ThrottleTests(APITestCase):
    def setUp(self):
        caches["throttle"].clear()

    def test_too_many_requests_get_429_with_retry_after(self):
        for _ in range(3):
            self.get("/api/laws/")
        data = self.get("/api/laws/", status=429)
        response = self.client.get("/api/laws/")
        self.assertEqual(response.status_code, 429)
        self.assertTrue(1 <= int(response["Retry-After"]) <= 60)
        self.assertIn("3/minute", data["detail"])
        # Another address is not held back.
        self.get("/api/laws/", REMOTE_ADDR="192.0.2.7")

    @override_settings(PROXY_COUNT=1)
    def test_behind_a_proxy_the_address_it_saw_is_counted(self):
        """What a client writes into X-Forwarded-For before the proxy's entry changes nothing."""
        for n in range(3):
            self.get("/api/laws/", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, 198.51.100.1")
        self.get("/api/laws/", status=429, HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.1")
        self.get("/api/laws/", HTTP_X_FORWARDED_FOR="198.51.100.2")

    @override_settings(
        CACHES={
            **settings.CACHES,
            "throttle": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            },
        }
    )
    def test_an_unreachable_throttle_cache_does_not_take_the_api_down(self):
        with self.assertLogs("tracker.api", "ERROR"):
            for _ in range(4):
                self.get("/api/laws/")


# Schemathesis: requests generated from the schema to every operation, valid and invalid (its
# pytest plugin does not run under pytest 9, so Hypothesis drives each operation here).


@pytest.mark.django_db
def test_generated_requests_get_documented_answers():
    from tracker.wsgi import application

    build_record(type("Record", (), {}))
    # As Django's test client does: a request's end must not close the test's connection
    # (it is inside the test's transaction).
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        run_schemathesis(application)
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


def run_schemathesis(application):
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        response_schema_conformance,
        status_code_conformance,
    )

    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    checks = [not_a_server_error, response_schema_conformance, status_code_conformance]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 2 * len(ENDPOINTS) + 1  # list and detail of each, and match
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(operation.as_strategy(generation_mode=mode))
            @hypothesis_settings(
                max_examples=10,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            def run(case):
                case.call_and_validate(checks=checks)

            try:
                run()
            except Unsatisfiable:
                # No invalid request exists (a slug path parameter takes any text).
                assert mode == GenerationMode.NEGATIVE, operation.label


def test_case_events_of_hidden_cases_are_not_listed(db):
    hidden = factories.CaseFactory(state=State.DRAFT)
    CaseEvent.objects.create(case=hidden, kind="arrest", description="x")
    response = Client().get("/api/case-events/")
    assert response.status_code == 200
    assert response.json()["results"] == []
