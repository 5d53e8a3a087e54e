"""Two languages: English at every unprefixed address, Russian under /ru/.

The language of a page is its address and nothing else (not Accept-Language, not a cookie),
so a cached page can never be served in the wrong language; the switch and the hreflang
links lead to the same page in the other language, on this site only; the Russian
catalogue is complete, and its placeholders match the English ones.
"""

import datetime
import re
import tempfile
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.pofile import read_po
from django.conf import settings
from django.core.cache import cache
from django.test import SimpleTestCase, TestCase, override_settings
from django.utils import translation

from tests import factories
from tracker.caching import code_fingerprint
from tracker.choices import DatePrecision, DesignationKind
from tracker.models import format_partial_date

LOCALE = Path(settings.BASE_DIR) / "tracker" / "locale"
RU_PO = LOCALE / "ru" / "LC_MESSAGES" / "django.po"
RU_MO = RU_PO.with_suffix(".mo")
ORIGIN = "http://testserver"


class Links(HTMLParser):
    """The page's <html lang>, its hreflang <link>s and the language switch's links."""

    def __init__(self, html):
        super().__init__()
        self.lang = None
        self.alternates = {}  # hreflang -> href
        self.switch = []  # attributes of each <a> in the switch
        self._in_switch = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        elif tag == "link" and attrs.get("rel") == "alternate" and "hreflang" in attrs:
            self.alternates[attrs["hreflang"]] = attrs["href"]
        elif tag == "nav" and "language-switch" in (attrs.get("class") or ""):
            self._in_switch = True
        elif tag == "a" and self._in_switch:
            self.switch.append(attrs)

    def handle_endtag(self, tag):
        if tag == "nav":
            self._in_switch = False

    def switch_to(self, hreflang):
        return next(a for a in self.switch if a.get("lang") == hreflang)


class Record(TestCase):
    """One small published record: an organisation designated in March 2025 (month only)."""

    @classmethod
    def setUpTestData(cls):
        cls.law = factories.LawFactory(title="Undesirable organisations law", slug="undesirable")
        cls.organisation = factories.OrganisationFactory(name="Memorial", slug="memorial")
        cls.designation = factories.DesignationFactory(
            organisation=cls.organisation,
            law=cls.law,
            kind=DesignationKind.UNDESIRABLE,
            decision_date=datetime.date(2025, 3, 1),
            decision_date_precision=DatePrecision.MONTH,
        )
        cls.source = factories.CitationFactory.for_object(cls.designation).source
        cls.person = factories.PersonFactory(name="Anna", slug="anna")
        cls.case = factories.CaseFactory(title="The case", slug="the-case", people=[cls.person])

    def setUp(self):
        cache.clear()

    def tearDown(self):
        cache.clear()
        # LocaleMiddleware leaves the last request's language active in this thread; the
        # next test (of anything) starts in the default language, as a request would.
        translation.activate(settings.LANGUAGE_CODE)

    def page(self, url, **headers):
        response = self.client.get(url, headers=headers)
        self.assertEqual(response.status_code, 200, url)
        return response.content.decode()

    def localised_pages(self):
        return [
            "/",
            "/organisations/",
            "/organisations/memorial/",
            "/designations/",
            "/laws/",
            "/laws/undesirable/",
            "/cases/",
            "/cases/the-case/",
            "/people/",
            "/people/anna/",
            "/sources/",
            f"/sources/{self.source.pk}/",
            "/search/?q=memorial",
            "/about/",
            "/methodology/",
            "/data/",
        ]


class RussianPages(Record):
    def test_russian_pages_are_in_russian(self):
        html = self.page("/ru/organisations/")
        self.assertEqual(Links(html).lang, "ru")
        self.assertIn("Организации</a>", html)  # the navigation
        self.assertIn("Нежелательная организация", html)  # a choice label
        self.assertIn("Март 2025", html)  # a month-only date, month named in Russian
        self.assertNotIn("March 2025", html)
        self.assertNotIn(">Undesirable organisation<", html)

    def test_every_localised_page_exists_in_russian(self):
        for url in self.localised_pages():
            with self.subTest(url=url):
                html = self.page(f"/ru{url}")
                self.assertEqual(Links(html).lang, "ru")
                self.assertIn("Трекер репрессий", html)

    def test_unprefixed_pages_are_english_whatever_the_browser_asks_for(self):
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
        response = self.client.get("/organisations/", headers={"accept-language": "ru"})
        html = response.content.decode()
        self.assertEqual(response["Content-Language"], "en-gb")
        self.assertEqual(Links(html).lang, "en-gb")
        self.assertIn("Organisations</a>", html)
        self.assertIn("Undesirable organisation", html)
        self.assertIn("March 2025", html)
        self.assertNotIn("Организации", html)

    def test_messages_from_views_are_translated(self):
        self.assertIn("Неизвестный формат", self.page("/ru/organisations/?format=xls"))
        self.assertIn("Unknown format", self.page("/organisations/?format=xls"))

    def test_filter_errors_are_translated(self):
        html = self.page("/ru/designations/?as_of=soon")
        self.assertIn("Введите дату в формате ГГГГ-ММ-ДД", html)

    def test_a_russian_list_exports_russian_labels_and_the_same_values(self):
        feed = self.client.get("/ru/designations/?format=atom").content.decode()
        self.assertIn('xml:lang="ru"', feed)
        self.assertIn("Нежелательная организация", feed)
        english = self.client.get("/feeds/designations/").content.decode()
        self.assertIn('xml:lang="en"', english)
        self.assertIn("Undesirable organisation", english)
        csv = self.client.get("/ru/designations/?format=csv").getvalue()
        self.assertIn(",undesirable,Нежелательная организация,", csv.decode())

    def test_the_admin_stays_english(self):
        response = self.client.get("/admin/login/", headers={"accept-language": "ru"})
        self.assertEqual(response.status_code, 200)
        self.assertIn("Username", response.content.decode())

    def test_data_and_machinery_have_one_address(self):
        for url in ["/ru/api/", "/ru/healthz", "/ru/feeds/designations/", "/ru/data/x/y.csv"]:
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 404)
        self.assertEqual(self.client.get("/healthz").status_code, 200)
        self.assertEqual(self.client.get("/feeds/designations/").status_code, 200)

    def test_unknown_language_prefix_is_404(self):
        for url in ["/xx/", "/xx/organisations/", "/de/organisations/", "/en-gb/", "/ru-xx/"]:
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 404)


class VisibleText(HTMLParser):
    """What a reader sees or hears of a page: its text (not scripts or styles) and the
    attributes read out or shown (aria-label, title, placeholder, alt, data-label)."""

    ATTRIBUTES = {"aria-label", "title", "placeholder", "alt", "data-label"}

    def __init__(self, html):
        super().__init__()
        self.parts = []
        self._skip = 0
        self.feed(html)
        self.text = "\n".join(self.parts)

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        self.parts.extend(value for name, value in attrs if name in self.ATTRIBUTES and value)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data.strip())


class NoEnglishLeftOnRussianPages(Record):
    """Every kind of public page under /ru/ says nothing of its interface in English."""

    # Interface phrases of the lists, details, footnotes, cite block, change log, charts and
    # explainer pages; none of them occurs in the test record's own data.
    ENGLISH = [
        "Sources",
        "Designations",
        "Cite this page",
        "Permanent link",
        "Last updated",
        "Change log",
        "Export",
        "Headquarters",
        "Also known as",
        "Official number",
        "Penalties",
        "Amendments",
        "Timeline",
        "Cited by",
        "Publisher",
        "Reliability",
        "No published",
        "Latest designations",
        "The record in numbers",
        "results for",
        "About",
        "Methodology",
    ]

    def test_no_english_interface_phrase_remains(self):
        phrases = "|".join(map(re.escape, self.ENGLISH))
        pattern = re.compile(rf"\b(?:{phrases})\b")
        for url in self.localised_pages():
            with self.subTest(url=url):
                text = VisibleText(self.page(f"/ru{url}")).text
                self.assertEqual(sorted(set(pattern.findall(text))), [], url)

    def test_english_pages_keep_their_wording(self):
        text = VisibleText(self.page("/organisations/memorial/")).text
        for phrase in ["Sources", "Designations", "Cite this page", "Last updated", "Change log"]:
            with self.subTest(phrase=phrase):
                self.assertIn(phrase, text)


class Switch(Record):
    def test_switch_links_to_the_same_page_and_query_in_the_other_language(self):
        query = "?kind=ngo&q=memorial"
        english = Links(self.page(f"/organisations/{query}"))
        russian = Links(self.page(f"/ru/organisations/{query}"))
        self.assertEqual(english.switch_to("ru")["href"], f"/ru/organisations/{query}")
        self.assertEqual(russian.switch_to("en")["href"], f"/organisations/{query}")
        # Marked up for assistive technology and search engines; the current one says so.
        self.assertEqual(english.switch_to("ru")["hreflang"], "ru")
        self.assertEqual(english.switch_to("en").get("aria-current"), "true")
        self.assertEqual(russian.switch_to("ru").get("aria-current"), "true")

    def test_switch_on_a_detail_page(self):
        links = Links(self.page("/ru/organisations/memorial/"))
        self.assertEqual(links.switch_to("en")["href"], "/organisations/memorial/")

    def test_switch_never_leads_off_site(self):
        urls = [
            "/organisations/?next=https://evil.example/",
            "/ru/organisations/?next=//evil.example",
            "//evil.example/organisations/",
            "/ru//evil.example/",
            "/organisations/%2F%2Fevil.example/",
        ]
        for url in urls:
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertIn(response.status_code, (200, 404))
                links = Links(response.content.decode())
                self.assertEqual(len(links.switch), len(settings.LANGUAGES))
                for attrs in links.switch:
                    # A path on this site: "/x", never "//host" or "scheme:".
                    self.assertRegex(attrs["href"], r"^/(?!/)")
                    self.assertNotIn("evil.example", attrs["href"].split("?")[0])
        # No view that redirects to a `next` parameter.
        self.assertEqual(self.client.post("/i18n/setlang/", {"language": "ru"}).status_code, 404)

    def test_switch_on_a_missing_page_leads_home(self):
        for url in ["/ru/no-such-page/", "/ru/organisations/no-such-organisation/"]:
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 404)
                links = Links(response.content.decode())
                self.assertEqual(links.switch_to("en")["href"], "/")
                self.assertEqual(links.switch_to("ru")["href"], "/ru/")
                self.assertEqual(links.alternates, {})


class Hreflang(Record):
    def test_every_page_links_its_versions_with_absolute_addresses(self):
        for url in self.localised_pages():
            for prefix in ["", "/ru"]:
                with self.subTest(url=prefix + url):
                    links = Links(self.page(prefix + url))
                    self.assertEqual(
                        links.alternates,
                        {"en": ORIGIN + url, "ru": f"{ORIGIN}/ru{url}", "x-default": ORIGIN + url},
                    )


class Caching(Record):
    @override_settings(PAGE_CACHE=True)
    def test_page_cache_keeps_languages_apart(self):
        russian = self.page("/ru/organisations/")
        english = self.page("/organisations/", accept_language="ru")
        self.assertIn("Организации</a>", russian)
        self.assertIn("Organisations</a>", english)
        self.assertNotIn("Организации", english)
        # Both now come from the page cache, each still in its own language.
        self.assertEqual(self.page("/ru/organisations/"), russian)
        self.assertEqual(self.page("/organisations/", accept_language="ru"), english)

    def test_etag_changes_when_the_translations_change(self):
        # In a copy of the tree's layout, so the real catalogue is never touched while
        # other test processes read it.
        with tempfile.TemporaryDirectory() as root:
            catalogue = Path(root) / "tracker" / "locale" / "ru" / "LC_MESSAGES"
            catalogue.mkdir(parents=True)
            for name in ["django.po", "django.mo"]:
                (catalogue / name).write_text("1")
            # STATIC_ROOT too: the checkout's staticfiles/ (after collectstatic) is not in it.
            with override_settings(BASE_DIR=root, STATIC_ROOT=str(Path(root) / "staticfiles")):
                code_fingerprint.cache_clear()
                before = code_fingerprint()
                (catalogue / "django.mo").write_text("2, a new translation")
                code_fingerprint.cache_clear()
                self.assertNotEqual(code_fingerprint(), before)
        code_fingerprint.cache_clear()


class PartialDates(SimpleTestCase):
    DAY = datetime.date(2025, 3, 1)

    def test_english(self):
        with translation.override("en-gb"):
            self.assertEqual(format_partial_date(self.DAY, DatePrecision.DAY), "1 March 2025")
            self.assertEqual(format_partial_date(self.DAY, DatePrecision.MONTH), "March 2025")
            self.assertEqual(format_partial_date(self.DAY, DatePrecision.YEAR), "2025")
            self.assertEqual(format_partial_date(self.DAY, DatePrecision.APPROXIMATE), "c. 2025")
            self.assertEqual(format_partial_date(None, DatePrecision.DAY), "date unknown")

    def test_russian(self):
        with translation.override("ru"):
            # After a day the month is in the genitive, alone in the nominative.
            self.assertEqual(format_partial_date(self.DAY, DatePrecision.DAY), "1 марта 2025")
            self.assertEqual(format_partial_date(self.DAY, DatePrecision.MONTH), "Март 2025")
            self.assertEqual(format_partial_date(self.DAY, DatePrecision.YEAR), "2025")
            self.assertEqual(format_partial_date(self.DAY, DatePrecision.APPROXIMATE), "ок. 2025")
            self.assertEqual(format_partial_date(None, DatePrecision.DAY), "дата неизвестна")


PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")


class Catalogue(TestCase):
    """tracker/locale/*/LC_MESSAGES/django.po: complete, and placeholders kept."""

    @classmethod
    def setUpTestData(cls):
        cls.catalogues = {}
        for code, _ in settings.LANGUAGES:
            if code == settings.LANGUAGE_CODE:
                continue
            path = LOCALE / translation.to_locale(code) / "LC_MESSAGES" / "django.po"
            with path.open("rb") as po:
                cls.catalogues[code] = (path, list(read_po(po)))

    def test_every_language_has_a_catalogue(self):
        self.assertEqual(set(self.catalogues), {"ru"})

    def test_no_untranslated_or_fuzzy_entries(self):
        for code, (_, messages) in self.catalogues.items():
            entries = [message for message in messages if message.id]
            self.assertGreater(len(entries), 50)
            for message in entries:
                with self.subTest(language=code, msgid=message.id):
                    self.assertFalse(message.fuzzy)
                    strings = message.string if message.pluralizable else (message.string,)
                    self.assertTrue(all(strings), "untranslated")

    def test_placeholders_match(self):
        for code, (_, messages) in self.catalogues.items():
            for message in messages:
                if not message.id:
                    continue
                ids = message.id if message.pluralizable else (message.id,)
                strings = message.string if message.pluralizable else (message.string,)
                expected = sorted(PLACEHOLDER.findall(ids[-1]))
                for string in strings:
                    with self.subTest(language=code, msgid=message.id):
                        self.assertEqual(sorted(PLACEHOLDER.findall(string)), expected)

    def test_compiled_catalogue_is_current(self):
        # The .mo is generated (not in git): `make compile-messages`, run by `make test`.
        self.assertTrue(RU_MO.exists(), "run `make compile-messages`")
        self.assertGreaterEqual(RU_MO.stat().st_mtime, RU_PO.stat().st_mtime)
