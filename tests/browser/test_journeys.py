"""Two journeys through the site in a real browser, as people make them.

A reader goes from the home page through search, an organisation's designation, its law, a case
under that law and a footnote to the source, then exports a filtered list. An editor adds a
designation with its source in the admin and sends it to review; a publisher publishes it, and
it shows on the organisation's public page and in the feed.
"""

import csv
import io
import re
from urllib.parse import urlencode, urljoin

from django.conf import settings

from tests import factories
from tests.browser.conftest import DESKTOP, PHONE
from tests.conftest import PASSWORD, staff_member
from tracker.models import Case, Charge, Designation, Law, Organisation, Source
from tracker.roles import EDITOR, PUBLISHER

ADMIN = f"/{settings.ADMIN_PATH}"


def journey_record():
    """A public designation of the seed whose law has a public case under it.

    The seed's designating laws have no case charged under them, so the reader's case is added
    here: a published case charged under the designation's law, citing a seed source.
    """
    designation = (
        Designation.objects.published()
        .filter(law__in=Law.objects.published(), organisation__in=Organisation.objects.published())
        .select_related("organisation", "law")
        .order_by("pk")
        .first()
    )
    assert designation is not None, "the seed has no public designation under a public law"
    charged = Charge.objects.filter(case__in=Case.objects.published(), law=designation.law)
    if not charged.exists():
        case = factories.CaseFactory(title="Prosecution for taking part in an undesirable group")
        factories.ChargeFactory(case=case, law=designation.law, description="participation")
        source = Source.objects.published().order_by("pk").first()
        factories.CitationFactory.for_object(case, source=source, quote="The case was opened.")
    return designation


def test_reader_journey(seeded, new_context):
    designation = journey_record()
    organisation, law = designation.organisation, designation.law
    page = new_context(viewport=PHONE).new_page()

    page.goto("/")
    search = page.get_by_role("search").get_by_role("searchbox")
    search.fill(organisation.name)
    search.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))

    page.get_by_role("main").get_by_role("link", name=organisation.name, exact=True).first.click()
    page.wait_for_url(f"**{organisation.get_absolute_url()}")
    # Its designation, reached by the address the lists and feeds link to.
    page.goto(designation.get_absolute_url())
    card = page.locator(f"#designation-{designation.pk}")
    card.get_by_role("link", name=law.title).click()
    page.wait_for_url(f"**{law.get_absolute_url()}")
    # The heading may add the name in its original script after the English title.
    assert page.get_by_role("heading", level=1).inner_text().startswith(law.title)

    # The law page lists the newest cases brought under it.
    case = Case.objects.published().filter(charges__law=law).order_by("-pk").distinct().first()
    page.get_by_role("main").get_by_role("link", name=case.title, exact=True).first.click()
    page.wait_for_url(f"**{case.get_absolute_url()}")
    assert case.title in page.get_by_role("heading", level=1).inner_text()

    # A footnote: a link from the page's sources to a source page (not to the list of them).
    footnotes = page.get_by_role("main").locator('a[href*="/sources/"]')
    hrefs = footnotes.evaluate_all("links => links.map(link => link.getAttribute('href'))")
    index = next(i for i, href in enumerate(hrefs) if re.search(r"/sources/\d+/$", href))
    footnotes.nth(index).click()
    page.wait_for_url(re.compile(r"/sources/\d+/$"))
    source = Source.objects.published().get(pk=re.search(r"/sources/(\d+)/", page.url)[1])
    assert source.title in page.get_by_role("heading", level=1).inner_text()

    # The cases brought under the law, filtered, and exported as CSV.
    page.goto(f"/cases/?{urlencode({'law': law.slug})}")
    expected = Case.objects.published().filter(charges__law=law).distinct().count()
    assert str(expected) in page.get_by_text(re.compile(r"\bresults?\b")).first.inner_text()
    href = page.get_by_role("link", name="CSV", exact=True).get_attribute("href")
    export = page.request.get(urljoin(page.url, href))
    assert export.status == 200
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.text().lstrip("\ufeff"))))
    assert "title" in rows[0]  # the header row names the columns
    assert len(rows) == expected + 1
    assert case.title in [row[rows[0].index("title")] for row in rows[1:]]


def log_in(context, username):
    page = context.new_page()
    page.goto(ADMIN)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{ADMIN}")
    return page


def choose(page, field_id, record):
    """Pick `record` in one of the admin's autocomplete (select2) fields, by typing a word of
    its name as people do (the admin's search matches words, not curly-quoted phrases)."""
    name = str(record)
    word = max(re.findall(r"\w+", name), key=len)
    page.locator(f"#{field_id} + .select2").click()
    page.locator(".select2-container--open .select2-search__field").fill(word)
    page.locator(".select2-results__option", has_text=name).first.click()


def run_action(page, record_name, action):
    """Select one row of an admin list by its name and run a list action on it."""
    page.get_by_role("checkbox", name=re.compile(re.escape(record_name))).check()
    page.get_by_role("combobox", name="Action").select_option(action)
    # The action is done once the list it redirects to has loaded.
    with page.expect_navigation():
        page.get_by_role("button", name="Go").click()


def test_editor_and_publisher_journey(seeded, new_context, django_user_model):
    staff_member(django_user_model, "edna", EDITOR)
    staff_member(django_user_model, "piotr", PUBLISHER)
    organisation = (
        Organisation.objects.published().filter(designations__isnull=True).order_by("pk").first()
    )
    law = Law.objects.published().order_by("pk").first()
    source = Source.objects.published().order_by("pk").first()
    authority = "Ministry of Browser Testing"

    editor = log_in(new_context(viewport=DESKTOP), "edna")
    editor.goto(f"{ADMIN}tracker/designation/add/")
    choose(editor, "id_organisation", organisation)
    editor.get_by_label("Designation:", exact=True).select_option(index=1)
    choose(editor, "id_law", law)
    editor.get_by_label("Deciding authority:", exact=True).fill(authority)
    editor.get_by_label("Decision date:", exact=True).fill("2025-03-14")
    choose(editor, "id_tracker-citation-content_type-object_id-0-source", source)
    # The citation inline's first row (Django admin names its fields <prefix>-0-<field>).
    quote = editor.locator('textarea[name$="-0-quote"]:not([name*="__prefix__"])')
    quote.fill("The ministry declared the organisation undesirable.")
    editor.get_by_role("button", name="Save", exact=True).first.click()
    editor.wait_for_url(re.compile(rf"{ADMIN}tracker/designation/(\?|$)"))
    designation = Designation.objects.get(authority=authority)
    assert designation.state == "draft"
    assert designation.citations.get().source == source

    editor.goto(f"{ADMIN}tracker/designation/?state__exact=draft")
    run_action(editor, organisation.name, "send_to_review")
    designation.refresh_from_db()
    assert designation.state == "review"

    publisher = log_in(new_context(viewport=DESKTOP), "piotr")
    publisher.goto(f"{ADMIN}tracker/designation/?state__exact=review")
    run_action(publisher, organisation.name, "publish")
    designation.refresh_from_db()
    assert designation.state == "published"

    reader = new_context(viewport=DESKTOP).new_page()
    reader.goto(organisation.get_absolute_url())
    card = reader.locator(f"#designation-{designation.pk}")
    assert authority in card.inner_text()
    assert card.get_by_role("link", name=law.title).is_visible()
    feed = reader.request.get("/feeds/designations/")
    assert feed.status == 200
    assert "atom" in feed.headers["content-type"]
    assert organisation.name in feed.text()
    assert designation.get_absolute_url() in feed.text()
