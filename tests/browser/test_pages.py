"""Every public page in a real browser: no sideways scrolling on a phone, no serious or critical
axe-core violations, and full-page screenshots of the main kinds of page for CI's artifacts.

Each test visits every page and reports every failing one at once, so a run says all that is
wrong rather than the first thing.
"""

from django.conf import settings

from tests.browser.conftest import AXE, DESKTOP, PHONE, save_screenshot
from tests.browser.pages import pages_named, public_pages
from tests.conftest import PASSWORD, staff_member
from tracker.models import Designation, Organisation
from tracker.roles import PUBLISHER

# The pages readers land on most, screenshotted and audited in every language.
MAIN_KINDS = ["home", "organisation-detail", "law-detail", "case-detail"]
# axe-core impacts that fail the audit.
FAILING_IMPACTS = {"serious", "critical"}

# How far the page reaches past the viewport, and the elements that reach furthest.
OVERFLOW_JS = """() => {
  const root = document.documentElement;
  const width = root.clientWidth;
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (el.classList.length ? '.' + [...el.classList].join('.') : '');
  const wide = [...document.body.querySelectorAll('*')]
    .filter((el) => el.getBoundingClientRect().right > width + 1)
    .filter((el) => !el.parentElement
      || el.parentElement.getBoundingClientRect().right <= width + 1)
    .slice(0, 5)
    .map((el) => `${describe(el)} (${Math.round(el.getBoundingClientRect().right)} px)`);
  return {scrollWidth: root.scrollWidth, clientWidth: width, wide};
}"""


def html_response(page, path):
    """Open `path` if it is an HTML page and return the response; None if it is not (a feed,
    JSON, a download), asked first without navigating, since a download cannot be opened."""
    answer = page.request.get(path)
    assert answer.status == 200, f"{path}: {answer.status}"
    if "text/html" not in answer.headers.get("content-type", ""):
        return None
    response = page.goto(path)
    assert response is not None and response.ok, f"{path}: {response and response.status}"
    return response


def overflow(page):
    """A description of the sideways scroll, or None if the page fits its viewport."""
    measured = page.evaluate(OVERFLOW_JS)
    if measured["scrollWidth"] <= measured["clientWidth"]:
        return None
    return (
        f"{measured['scrollWidth']} px wide in {measured['clientWidth']} px; "
        f"widest: {', '.join(measured['wide']) or '?'}"
    )


def test_nothing_scrolls_sideways(seeded, new_context, django_user_model):
    """Every public page at 390 px, and the admin's widest forms at 1,280 px (one test, since
    each test pays for loading the seed and emptying the database)."""
    page = new_context(viewport=PHONE).new_page()
    checked, problems = [], []
    for target in public_pages():
        if html_response(page, target.path) is None:
            continue
        checked.append(target.name)
        if problem := overflow(page):
            problems.append(f"{target.label} at 390 px: {problem}")
    # The pages a reader meets must have been found, or the check would pass vacuously.
    assert {"home", "organisation-list", "case-detail", "search"} <= set(checked)

    staff_member(django_user_model, "wide", PUBLISHER)
    admin = new_context(viewport=DESKTOP).new_page()
    log_in(admin, "wide")
    for record in (Designation.objects.order_by("pk").first(), Organisation.objects.first()):
        path = f"/{settings.ADMIN_PATH}tracker/{record._meta.model_name}/{record.pk}/change/"
        admin.goto(path)
        assert admin.get_by_role("button", name="Save", exact=True).first.is_visible()
        if problem := overflow(admin):
            problems.append(f"{path} at 1,280 px: {problem}")
    assert not problems, "Pages that scroll sideways:\n" + "\n".join(problems)


def log_in(page, username):
    """Log in through the admin's real login form."""
    page.goto(f"/{settings.ADMIN_PATH}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**/{settings.ADMIN_PATH}")


def axe_violations(page):
    """The serious and critical axe-core violations of the page open in `page`."""
    page.add_script_tag(path=str(AXE))
    # Injection must have worked, or an audit that never ran would pass.
    assert page.evaluate("() => typeof window.axe"), "axe-core was not injected"
    result = page.evaluate(
        "async () => await window.axe.run(document, {resultTypes: ['violations']})"
    )
    return [v for v in result["violations"] if v["impact"] in FAILING_IMPACTS]


def describe_violation(violation):
    selectors = [", ".join(node["target"]) for node in violation["nodes"][:5]]
    more = len(violation["nodes"]) - len(selectors)
    return (
        f"  {violation['id']} ({violation['impact']}): {violation['help']}\n"
        f"    {violation['helpUrl']}\n"
        + "".join(f"    at {selector}\n" for selector in selectors)
        + (f"    and {more} more\n" if more > 0 else "")
    )


def test_axe_finds_no_serious_violations(seeded, new_context):
    # The CSP forbids the injected script; bypassing it changes nothing else about the page.
    page = new_context(bypass_csp=True).new_page()
    audited, report = [], []
    for target in public_pages():
        if not (target.name in MAIN_KINDS or target.is_list):
            continue
        if html_response(page, target.path) is None:
            continue
        audited.append(target.name)
        violations = axe_violations(page)
        if violations:
            report.append(f"{target.label}:\n" + "".join(map(describe_violation, violations)))
    assert set(MAIN_KINDS) | {"organisation-list", "law-list", "case-list"} <= set(audited)
    # The audit can fail: an image without a text alternative on the last page is reported.
    page.evaluate("() => document.querySelector('main').append(document.createElement('img'))")
    assert "image-alt" in {violation["id"] for violation in axe_violations(page)}
    assert not report, "axe-core found serious or critical violations:\n" + "\n".join(report)


def test_screenshots_of_the_main_pages(seeded, new_context):
    targets = pages_named(public_pages(), *MAIN_KINDS)
    assert {target.name for target in targets} == set(MAIN_KINDS)
    # Both widths in one test: the seed is loaded once.
    for viewport in (PHONE, DESKTOP):
        page = new_context(viewport=viewport).new_page()
        for target in targets:
            assert html_response(page, target.path) is not None
            path = save_screenshot(page, f"{target.language}-{target.name}-{viewport['width']}px")
            assert path.stat().st_size > 1000
