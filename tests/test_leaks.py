"""Nothing unpublished reaches an anonymous reader, by any path.

One rich public record, and beside it unpublished records (draft, in review, withdrawn)
of every kind, attached to the public ones in every way the models allow. Every free-text
field of a hidden record carries a marker ("Zqleak…"), and hidden laws are numbered 999.x.
The tests then request every public URL of the `tracker` namespace (with every export
format, filter and search that could reach a hidden record), crawl every link those pages
offer, and look for a marker anywhere in what comes back.

To extend: a new public model gets hidden rows from `World` (the coverage tests fail until
it does), and a new URL name gets an entry in `SURFACES` (`test_every_public_url_is_covered`
fails until it does).
"""

import itertools
import json
import re
import shutil
import tempfile
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit

from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import models
from django.test import Client, TestCase, override_settings
from django.urls import get_resolver

from tests import factories
from tracker import api, bulk, sitemaps
from tracker.choices import DesignationKind, State
from tracker.exports import EXPORTERS
from tracker.models import (
    Case,
    CaseEvent,
    Charge,
    Citation,
    Designation,
    Law,
    LawAlias,
    LawAmendment,
    Organisation,
    OrganisationAlias,
    Penalty,
    Person,
    PersonAlias,
    Source,
)
from tracker.models.public import (
    cited_models,
    has_state,
    is_public,
    owner_fields,
    public_models,
)

# Every export format, and the Atom feed (lists without one show the page and say so).
FORMATS = [*EXPORTERS, "atom"]
MARKER = "Zqleak"
LEAK = re.compile(rf"{MARKER}|999\.\d", re.IGNORECASE)
HIDDEN_STATES = [State.DRAFT, State.REVIEW, State.WITHDRAWN]
CRAWL_LIMIT = 3000

_numbers = itertools.count(1)


def token():
    return f"{MARKER}{next(_numbers)}"


def marked(model, **values):
    """A saved record of `model` whose every free-text field and URL carries a fresh marker."""
    mark = token()
    for field in model._meta.concrete_fields:
        text = isinstance(field, models.CharField | models.TextField)
        if field.name in values or field.choices or not field.editable or not text:
            continue
        if isinstance(field, models.URLField):
            value = f"https://{mark.lower()}.example.org/{field.name}"
        elif isinstance(field, models.SlugField):
            value = f"{mark.lower()}-{field.name}"
        else:
            value = f"{mark} {field.name}"
        values[field.name] = value[: field.max_length] if field.max_length else value
    return model.objects.create(**values)


class World:
    """The public record and the hidden records around it (built once per test class)."""

    @classmethod
    def build(cls):
        world = cls()
        source = factories.SourceFactory(title="Public report", state=State.PUBLISHED)
        world.source = source
        org = factories.OrganisationFactory(name="Public Organisation", slug="public-org")
        law = factories.LawFactory(title="Public Law", slug="public-law", number="100.1")
        person = factories.PersonFactory(name="Public Person", slug="public-person")
        case = factories.CaseFactory(title="Public Case", slug="public-case", people=[person])
        case.organisations.add(org)
        designation = factories.DesignationFactory(organisation=org, law=law)
        public = [
            org,
            law,
            person,
            case,
            designation,
            factories.CaseEventFactory(case=case),
            LawAmendment.objects.create(law=law, summary="Public amendment"),
            Penalty.objects.create(law=law, kind="criminal", applies_to="Public penalty", note="-"),
        ]
        factories.ChargeFactory(case=case, law=law, description="public charge")
        OrganisationAlias.objects.create(organisation=org, name="Public Alias")
        LawAlias.objects.create(law=law, name="Public Law Alias")
        PersonAlias.objects.create(person=person, name="Public Person Alias")
        for record in public:
            factories.CitationFactory.for_object(record, source=source, quote="Public quote")
        world.public = public
        world.public_names = [
            "Public Organisation",
            "Public Law",
            "Public Person",
            "Public Case",
            "public-org",
            "public-law",
            "public-person",
            "public-case",
        ]

        world.hidden = []
        for number, state in enumerate(HIDDEN_STATES, start=1):
            hidden_org = marked(Organisation, state=state)
            hidden_law = marked(Law, state=state, number=f"999.{number}")
            hidden_person = marked(Person, state=state)
            hidden_case = marked(Case, state=state, status="convicted", country="RU")
            hidden_case.people.add(person, hidden_person)
            hidden_case.organisations.add(org, hidden_org)
            kinds = list(DesignationKind.values)
            hidden = [
                hidden_org,
                hidden_law,
                hidden_person,
                hidden_case,
                marked(OrganisationAlias, organisation=hidden_org),
                marked(LawAlias, law=hidden_law),
                marked(PersonAlias, person=hidden_person),
                marked(LawAmendment, law=hidden_law),
                marked(Penalty, law=hidden_law, kind="criminal", max_prison_months=12),
                marked(Charge, case=hidden_case, law=law),
                marked(CaseEvent, case=hidden_case, kind="arrest"),
                # Hidden records attached to public ones:
                marked(Charge, case=case, law=hidden_law),  # a public case charged under it
                marked(Designation, state=state, organisation=org, law=law, kind=kinds[number]),
                marked(Designation, state=State.PUBLISHED, organisation=org, law=hidden_law),
                marked(Designation, state=State.PUBLISHED, organisation=hidden_org, law=law),
            ]
            case.people.add(hidden_person)
            case.organisations.add(hidden_org)
            hidden_source = marked(Source, state=state)
            for record in hidden:
                if hasattr(record, "citations"):
                    marked(Citation, source=source, content_object=record)
                    marked(Citation, source=hidden_source, content_object=record)
            world.hidden += [*hidden, hidden_source]
        world.hidden_names = {
            getattr(record, "name", None) or getattr(record, "title", None) or str(record)
            for record in world.hidden
        }
        return world


def body(response):
    return response.getvalue().decode()


def without_echo_of(text, values):
    """The answer without the names that were asked about (echoed back as each "query")."""
    for value in values:
        text = text.replace(json.dumps(value, ensure_ascii=False)[1:-1], "")
    return text


def without_echo(text, url):
    """The page without what the reader typed into its address (a search box shows the query
    back, a filter form the value it refused): only what the site adds can leak."""
    for _, value in parse_qsl(urlsplit(url).query):
        for form in {value, quote(value), quote_plus(value), value.lower(), value.capitalize()}:
            text = re.sub(re.escape(form), "", text, flags=re.IGNORECASE)
    return text


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.found.append(value)


def internal_links(html):
    parser = Links()
    parser.feed(html)
    for link in parser.found:
        parts = urlsplit(link)
        if parts.netloc or not parts.path.startswith("/"):
            continue
        if parts.path.startswith(("/admin", "/static")):
            continue
        yield parts.path + (f"?{parts.query}" if parts.query else "")


def json_links(text):
    """The paths of this site's addresses in a JSON answer (records' pages, `next` pages)."""
    for match in re.finditer(r'"http://testserver(/[^"#]*)', text):
        yield match.group(1).replace("\\u0026", "&")


def list_urls(path, world, **filters):
    """A list page: plain, paged, each filter, every hidden marker as a search, every export."""
    queries = [""]
    queries += [urlencode({name: value}) for name, values in filters.items() for value in values]
    queries += [urlencode({"q": value}) for value in world.list_search_terms]
    queries += ["page=2", "page=999"]
    urls = [f"{path}?{query}" if query else path for query in queries]
    return urls + [
        f"{url}{'&' if '?' in url else '?'}format={name}" for url in urls for name in FORMATS
    ]


def hidden_slugs(world, model):
    return [record.slug for record in world.hidden if isinstance(record, model)]


def api_list(path, world, **filters):
    """An API list: plain, a page of one, each filter, every hidden marker as a search."""
    queries = ["", "page_size=1"]
    queries += [urlencode({name: value}) for name, values in filters.items() for value in values]
    queries += [urlencode({"q": value}) for value in world.list_search_terms]
    return [f"{path}?{query}" if query else path for query in queries]


def api_detail(path, world, model):
    """An API record: every public one of its type, and every hidden one by id and by slug."""
    public = [record for record in [*world.public, world.source] if isinstance(record, model)]
    hidden = [record for record in world.hidden if isinstance(record, model)]
    keys = [record.pk for record in [*public, *hidden]]
    keys += [record.slug for record in hidden if hasattr(record, "slug")]
    return [f"{path}{key}/" for key in keys]


def api_surfaces(name, path, model, **filters):
    return {
        f"api-{name}-list": lambda world: api_list(
            path, world, **{key: value(world) for key, value in filters.items()}
        ),
        f"api-{name}-detail": lambda world: api_detail(path, world, model),
    }


# Each URL name of the public namespace, with the addresses that exercise it.
SURFACES = {
    "home": lambda world: ["/"],
    "organisation-list": lambda world: list_urls(
        "/organisations/",
        world,
        law=["public-law", *hidden_slugs(world, Law)],
        designation=DesignationKind.values,
        year=["2025"],
        kind=["ngo", "other"],
    ),
    "organisation-detail": lambda world: [
        "/organisations/public-org/",
        *(f"/organisations/{slug}/" for slug in hidden_slugs(world, Organisation)),
    ],
    "designation-list": lambda world: list_urls(
        "/designations/",
        world,
        law=["public-law", *hidden_slugs(world, Law)],
        organisation=["public-org", *hidden_slugs(world, Organisation)],
        type=DesignationKind.values,
        authority=["Prosecutor", MARKER],
        country=["RU"],
        jurisdiction=["RU"],
        year=["2025"],
        as_of=["2025-06-01", "2030-01-01"],
    ),
    "law-list": lambda world: list_urls("/laws/", world, jurisdiction=["RU"], kind=["law"]),
    "law-detail": lambda world: [
        "/laws/public-law/",
        *(f"/laws/{slug}/" for slug in hidden_slugs(world, Law)),
    ],
    "case-list": lambda world: list_urls(
        "/cases/",
        world,
        law=["public-law", *hidden_slugs(world, Law)],
        person=["public-person", *hidden_slugs(world, Person)],
        status=["convicted"],
        country=["RU"],
        year=["2025"],
    ),
    "case-detail": lambda world: [
        "/cases/public-case/",
        *(f"/cases/{slug}/" for slug in hidden_slugs(world, Case)),
    ],
    "person-list": lambda world: list_urls("/people/", world, country=["RU"], role=["defender"]),
    "person-detail": lambda world: [
        "/people/public-person/",
        *(f"/people/{slug}/" for slug in hidden_slugs(world, Person)),
    ],
    "source-list": lambda world: list_urls("/sources/", world, reliability=["established"]),
    "source-detail": lambda world: [
        f"/sources/{record.pk}/" for record in [world.source, *world.hidden_sources]
    ],
    "search": lambda world: [f"/search/?{urlencode({'q': term})}" for term in world.search_terms],
    "designation-feed": lambda world: ["/feeds/designations/"],
    "healthz": lambda world: ["/healthz"],
    "api": lambda world: ["/api/"],
    "api-schema": lambda world: ["/api/schema/", "/api/schema/?format=json"],
    # A GET is refused (405); the names are posted by test_matching_finds_nothing_hidden.
    "api-match": lambda world: ["/api/match/"],
    **api_surfaces(
        "organisation",
        "/api/organisations/",
        Organisation,
        law=lambda world: ["public-law", *hidden_slugs(world, Law)],
        designation=lambda world: DesignationKind.values,
        year=lambda world: ["2025"],
        country=lambda world: ["RU"],
    ),
    **api_surfaces(
        "designation",
        "/api/designations/",
        Designation,
        law=lambda world: ["public-law", *hidden_slugs(world, Law)],
        organisation=lambda world: ["public-org", *hidden_slugs(world, Organisation)],
        type=lambda world: DesignationKind.values,
        as_of=lambda world: ["2025-12-31"],
        year=lambda world: ["2025"],
    ),
    **api_surfaces("law", "/api/laws/", Law, jurisdiction=lambda world: ["RU"]),
    **api_surfaces(
        "case",
        "/api/cases/",
        Case,
        law=lambda world: ["public-law", *hidden_slugs(world, Law)],
        person=lambda world: ["public-person", *hidden_slugs(world, Person)],
        status=lambda world: ["convicted"],
        year=lambda world: ["2025"],
    ),
    **api_surfaces("person", "/api/people/", Person, country=lambda world: ["RU"]),
    **api_surfaces("source", "/api/sources/", Source, reliability=lambda world: ["established"]),
    **api_surfaces(
        "case-event",
        "/api/case-events/",
        CaseEvent,
        case=lambda world: ["public-case", *hidden_slugs(world, Case)],
        kind=lambda world: ["arrest"],
    ),
    "data": lambda world: ["/data/"],
    "data-file": lambda world: world.release_files,
    "about": lambda world: ["/about/"],
    "methodology": lambda world: ["/methodology/"],
    "sitemap": lambda world: ["/sitemap.xml"],
    "sitemap-section": lambda world: [f"/sitemap-{name}.xml" for name in sitemaps.sections()],
    "robots": lambda world: ["/robots.txt"],
    "favicon": lambda world: ["/favicon.ico"],
}


class LeakTests(TestCase):
    @classmethod
    def setUpClass(cls):
        # A bulk release of the world, in a directory of this class's own.
        releases = tempfile.mkdtemp(prefix="releases-")
        cls.addClassCleanup(shutil.rmtree, releases, ignore_errors=True)
        cls.enterClassContext(override_settings(DATA_RELEASES_DIR=releases))
        super().setUpClass()

    @classmethod
    def setUpTestData(cls):
        cls.world = World.build()
        world = cls.world
        manifest = bulk.write_release()
        files = [bulk.MANIFEST, bulk.CHECKSUMS, *(entry["name"] for entry in manifest["files"])]
        world.release_files = [f"/data/{manifest['name']}/{name}" for name in files]
        world.release_files += [f"/data/latest/{name}" for name in files]
        world.hidden_sources = [record for record in world.hidden if isinstance(record, Source)]
        # Every marker, prefixes of them, and the hidden laws' numbers, as a reader would type.
        numbers = [f"999.{number}" for number in range(1, len(HIDDEN_STATES) + 1)]
        world.search_terms = [
            *(f"{MARKER}{number}" for number in range(1, next(_numbers))),
            MARKER[:-1],  # a prefix of every marker
            *numbers,
        ]
        # The lists search the names of the hidden records that public ones link to.
        linked = [
            record for record in world.hidden if isinstance(record, Law | Person | Organisation)
        ]
        world.list_search_terms = [
            MARKER[:-1],
            *numbers,
            *(record.name if hasattr(record, "name") else record.title for record in linked),
        ]

    def setUp(self):
        cache.clear()
        self.client = Client()

    def asks_for_hidden(self, url):
        terms = {*self.world.search_terms, *self.world.list_search_terms}
        return any(key == "q" and value in terms for key, value in parse_qsl(urlsplit(url).query))

    def fetch(self, url):
        response = self.client.get(url)
        self.assertLess(response.status_code, 500, url)
        return response

    def test_every_public_url_is_covered(self):
        _, public = get_resolver().namespace_dict["tracker"]
        names = {name for name in public.reverse_dict if isinstance(name, str)}
        self.assertEqual(names, set(SURFACES))

    def test_every_public_model_has_hidden_records(self):
        for model in public_models():
            public = model.objects.published().values("pk")
            hidden = model.objects.exclude(pk__in=public)
            self.assertTrue(hidden.exists(), f"no hidden {model.__name__}")
            if has_state(model):
                for state in HIDDEN_STATES:
                    self.assertTrue(hidden.filter(state=state).exists(), (model, state))

    def test_every_link_to_a_public_model_reaches_a_hidden_record(self):
        """For each relation a public model has to another, some record that would be public
        but for that relation points at a hidden record: the fixture covers every path."""
        models_ = public_models()
        for model in models_:
            for field in model._meta.get_fields():
                if (
                    not field.is_relation
                    or field.auto_created
                    or isinstance(field, GenericRelation)
                ):
                    continue  # reverse relations are covered from the other side
                target = field.related_model
                if isinstance(field, GenericForeignKey):
                    target = None
                elif target not in models_ or getattr(target, "public_when_cited", False):
                    continue  # a source cited by a public record is public by definition
                with self.subTest(model=model.__name__, field=field.name):
                    self.assertTrue(self.reaches_hidden(model, field, target))

    def reaches_hidden(self, model, field, target):
        for record in model.objects.all():
            if field.many_to_many:
                if not is_public(record):
                    continue
                related = getattr(record, field.name).all()
                if any(not is_public(other) for other in related):
                    return True
                continue
            linked = getattr(record, field.name)
            others = [name for name in owner_fields(model) if name != field.name]
            if (
                linked is not None
                and not is_public(linked)
                and all(
                    is_public(getattr(record, name)) for name in others if getattr(record, name)
                )
            ):
                return True
        return False

    def test_the_query_rule_and_the_instance_rule_agree(self):
        for model in public_models():
            public = set(model.objects.published().values_list("pk", flat=True))
            for record in model.objects.all():
                self.assertEqual(is_public(record), record.pk in public, (model, record.pk))

    def test_the_rule_for_citations_of_one_kind_is_the_rule_for_those_citations(self):
        """`published(cited=M)` tests only M's rule: the same rows as the whole rule keeps of
        the citations of M's records, hidden ones among them left out."""
        for model in cited_models():
            of_model = Citation.objects.filter(
                content_type=ContentType.objects.get_for_model(model)
            )
            with self.subTest(model=model.__name__):
                public = set(Citation.objects.published().values_list("pk", flat=True))
                expected = set(of_model.filter(pk__in=public).values_list("pk", flat=True))
                found = set(Citation.objects.published(cited=model).values_list("pk", flat=True))
                self.assertEqual(found, expected)
                self.assertTrue(of_model.exclude(pk__in=public).exists())  # something to hide

    def test_hidden_record_pages_are_not_found(self):
        for record in self.world.hidden:
            if isinstance(record, Organisation | Law | Case | Person | Source):
                url = record.get_absolute_url()
                self.assertEqual(self.client.get(url).status_code, 404, url)

    def test_matching_finds_nothing_hidden(self):
        names = [str(record) for record in self.world.hidden] + self.world.search_terms
        for start in range(0, len(names), 50):
            payload = {"names": names[start : start + 50], "types": api.MATCH_TYPES, "limit": 10}
            response = self.client.post(
                "/api/match/", json.dumps(payload), content_type="application/json"
            )
            self.assertEqual(response.status_code, 200)
            text = without_echo_of(response.content.decode(), payload["names"])
            self.assertIsNone(LEAK.search(text), text[:300])
            for result in response.json()["results"]:
                for hit in result["matches"]:
                    self.assertNotIn(hit["name"], self.world.hidden_names, result["query"])

    def test_nothing_hidden_appears_on_any_public_surface(self):
        seen, queue, leaks = set(), [], []
        for surface in SURFACES.values():
            queue += surface(self.world)
        while queue and len(seen) < CRAWL_LIMIT:
            url = queue.pop(0)
            if url in seen:
                continue
            seen.add(url)
            response = self.fetch(url)
            text = without_echo(body(response), url)
            found = LEAK.search(text)
            if found:
                leaks.append((url, text[max(found.start() - 60, 0) : found.end() + 60]))
            if self.asks_for_hidden(url):
                # Only hidden records match: a public one listed here is linked to them.
                # (Forms are left out: a filter's select offers every public law.)
                results = re.sub(r"<form.*?</form>", "", text, flags=re.DOTALL)
                named = [name for name in self.world.public_names if name in results]
                if named:
                    leaks.append((url, f"lists {named} for a hidden record's name or number"))
            if response.get("Content-Type", "").startswith("text/html"):
                queue += [link for link in internal_links(text) if link not in seen]
            if response.get("Content-Type", "").startswith("application/json"):
                # The API's records link their pages, and its lists their next pages.
                queue += [link for link in json_links(text) if link not in seen]
        self.assertEqual(leaks, [])
        self.assertGreater(len(seen), 100)  # the crawl really went through the site
        self.assertLess(len(seen), CRAWL_LIMIT, "raise CRAWL_LIMIT: the crawl did not finish")
