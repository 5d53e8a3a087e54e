"""Backups restore exactly: every table round-trips, history included; bad files are refused."""

import gzip
import hashlib
import io
import json

import pytest
from axes.models import AccessAttempt
from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.management.sql import emit_post_migrate_signal
from django.db import transaction
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests import factories
from tests.test_editors import change_form
from tracker import backup
from tracker.choices import State
from tracker.history import change_log, recorded_models
from tracker.models import DataVersion, Organisation, SearchEntry
from tracker.roles import EDITOR, PUBLISHER

pytestmark = pytest.mark.django_db

# What a backup leaves out, written out here rather than taken from tracker.backup.
NOT_BACKED_UP = {
    "contenttypes.contenttype",
    "auth.permission",
    "sessions.session",
    "tracker.loginfailure",
    "tracker.searchentry",
    "tracker.searchname",
    "tracker.dataversion",
}


def expected_tables():
    return {
        model._meta.label
        for model in apps.get_models(include_auto_created=True)
        if model._meta.label_lower not in NOT_BACKED_UP
        and model._meta.app_label != "axes"
        and not getattr(model, "transient", False)  # a model may mark itself (login throttling)
    }


def snapshot():
    """Every backed-up table's rows by primary key; content types and permissions by name."""
    content_types = {
        pk: (app_label, model)
        for pk, app_label, model in ContentType.objects.values_list("pk", "app_label", "model")
    }
    permissions = {
        pk: (codename, content_types[content_type])
        for pk, codename, content_type in Permission.objects.values_list(
            "pk", "codename", "content_type"
        )
    }
    tables = {}
    for label in expected_tables():
        model = apps.get_model(label)
        fields = model._meta.concrete_fields
        names = {ContentType: content_types, Permission: permissions}
        by_name = {
            field.attname: names[field.related_model]
            for field in fields
            if field.is_relation and field.related_model in names
        }
        rows = model._base_manager.order_by("pk").values_list(*(f.attname for f in fields))
        tables[label] = [
            tuple(
                by_name[field.attname][value] if field.attname in by_name else value
                for field, value in zip(fields, row, strict=True)
            )
            for row in rows
        ]
    return tables


def change_logs():
    return {
        (model._meta.label, record.pk): change_log(record)
        for model in recorded_models()
        if hasattr(model, "state")
        for record in model.objects.all()
    }


def read_lines(path):
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        return stream.readlines()


def write_lines(path, lines):
    with gzip.open(path, "wt", encoding="utf-8") as stream:
        stream.writelines(lines)


@pytest.mark.django_db(transaction=True)  # flush, as a new database would be
def test_a_backup_restores_every_table_exactly_with_no_new_history(tmp_path):
    call_command("load_seed", verbosity=0)
    editor = User.objects.create_user("editor", password="a-long-test-password", is_staff=True)
    editor.groups.add(Group.objects.get(name=EDITOR))
    publisher = User.objects.create_user("publisher", password="a-long-test-password")
    publisher.is_staff = True
    publisher.save()
    publisher.groups.add(Group.objects.get(name=PUBLISHER))
    publisher.user_permissions.add(Permission.objects.get(codename="view_logentry"))
    TOTPDevice.objects.create(user=publisher, name="phone", confirmed=True)
    # Edits through the admin: history rows by the publisher and admin log entries.
    client = Client()
    client.force_login(publisher)
    memorial = Organisation.objects.get(slug="memorial")
    for text in ("Corrected once.", "Corrected twice."):
        assert change_form(client, memorial, description=text).status_code == 302
    Organisation.objects.filter(pk=memorial.pk).set_state(State.WITHDRAWN, user=publisher)
    Organisation.objects.filter(pk=memorial.pk).set_state(State.PUBLISHED, user=publisher)
    factories.CitationFactory.for_object(memorial, quote="Added after the seed.")
    SessionStore().create()
    AccessAttempt.objects.create(username="someone", ip_address="192.0.2.1", failures_since_start=1)
    assert memorial.history.count() >= 5
    assert LogEntry.objects.filter(user=publisher).count() == 2
    before, logs, page = snapshot(), change_logs(), Client().get("/organisations/memorial/")
    old_type = ContentType.objects.get_for_model(Organisation).pk

    path = tmp_path / "site.jsonl.gz"
    call_command("backup", str(path), stdout=io.StringIO())

    # A new database: flushed, with content types and permissions made again under new ids.
    call_command("flush", interactive=False, verbosity=0)
    ContentType.objects.all().delete()
    ContentType.objects.create(app_label="tests", model="shifts every id")
    ContentType.objects.clear_cache()
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert ContentType.objects.get_for_model(Organisation).pk != old_type
    assert not User.objects.exists()

    out = io.StringIO()
    call_command("restore", str(path), stdout=out)

    after = snapshot()
    assert after.keys() == before.keys()
    for table in before:
        assert after[table] == before[table], table
    assert len(after["tracker.HistoricalOrganisation"]) == len(
        before["tracker.HistoricalOrganisation"]
    )
    assert change_logs() == logs
    assert "tracker.HistoricalCitation" in out.getvalue()
    assert "Restored" in out.getvalue()
    # Derived and transient tables are rebuilt, not restored.
    assert SearchEntry.objects.filter(kind="organisation", object_id=memorial.pk).exists()
    assert DataVersion.objects.exists()
    assert not AccessAttempt.objects.exists()
    reader = Client()
    restored_page = reader.get("/organisations/memorial/")
    assert restored_page.status_code == 200
    assert restored_page.content == page.content
    search = reader.get("/search/?q=Memorial")
    assert search.status_code == 200
    assert 'href="/organisations/memorial/"' in search.content.decode()
    # The sequences continue after the restored ids.
    new = factories.OrganisationFactory()
    assert new.pk > max(row[0] for row in before["tracker.Organisation"])
    assert new.history.count() == 1


def test_backup_holds_every_table_but_derived_and_transient_ones(tmp_path):
    factories.CitationFactory.for_object(factories.OrganisationFactory())
    SessionStore().create()
    AccessAttempt.objects.create(username="someone", ip_address="192.0.2.1", failures_since_start=1)
    assert SearchEntry.objects.exists() and DataVersion.objects.exists()
    path = tmp_path / "site.jsonl.gz"
    call_command("backup", str(path), stdout=io.StringIO())

    sections = [json.loads(line) for line in read_lines(path) if line.startswith('{"table"')]
    assert {section["table"] for section in sections} == expected_tables()
    assert {"tracker.HistoricalCase_people", "otp_totp.TOTPDevice", "admin.LogEntry"} <= {
        section["table"] for section in sections
    }
    header, counts = backup.check_file(path)
    assert header["migrations"]["tracker"][0] == "0001_initial"
    assert counts["tracker.Organisation"] == 1
    assert counts["tracker.Citation"] == 1


def test_citations_name_their_content_type_rather_than_its_id(tmp_path):
    organisation = factories.OrganisationFactory()
    factories.CitationFactory.for_object(organisation)
    path = tmp_path / "site.jsonl"
    call_command("backup", str(path), stdout=io.StringIO())
    lines = path.read_text().splitlines()
    start = lines.index(next(line for line in lines if '"table":"tracker.Citation"' in line))
    columns = json.loads(lines[start])["columns"]
    row = json.loads(lines[start + 1])
    assert row[columns.index("content_type_id")] == ["tracker", "organisation"]
    assert row[columns.index("object_id")] == organisation.pk


def test_a_model_marked_transient_is_left_out(monkeypatch):
    # How a login-throttling model leaves itself out, without touching tracker.backup.
    monkeypatch.setattr(Organisation, "transient", True, raising=False)
    labels = {model._meta.label for model in backup.backed_up_models()}
    assert "tracker.Organisation" not in labels
    assert "tracker.Case_organisations" in labels  # a through table goes with its owner, Case
    assert "tracker.HistoricalOrganisation" in labels


def test_backup_to_standard_output(capsys):
    factories.OrganisationFactory(name="Written to stdout")
    call_command("backup", "-")
    output = capsys.readouterr().out
    assert output.startswith('{"format":"repression-tracker-backup","version":1,')
    assert "Written to stdout" in output
    assert output.splitlines()[-1].startswith('{"trailer":')


def test_a_content_type_the_new_database_lacks_is_made_again(tmp_path):
    path = tmp_path / "site.jsonl.gz"
    with transaction.atomic():
        gone = ContentType.objects.create(app_label="gone", model="removedmodel")
        user = User.objects.create_user("admin")
        LogEntry.objects.create(
            user=user, content_type=gone, object_id="7", object_repr="Old", action_flag=3
        )
        call_command("backup", str(path), stdout=io.StringIO())
        transaction.set_rollback(True)
    assert not ContentType.objects.filter(app_label="gone").exists()

    call_command("restore", str(path), stdout=io.StringIO())
    entry = LogEntry.objects.get()
    assert (entry.content_type.app_label, entry.content_type.model) == ("gone", "removedmodel")
    assert (entry.user.username, entry.object_id) == ("admin", "7")


# Refusals: a clear error, and nothing written --------------------------------------------


@pytest.fixture
def backup_file(tmp_path):
    """A valid backup of a small record; the record itself is rolled back, so the database
    is empty again, as a new one is."""
    path = tmp_path / "site.jsonl.gz"
    with transaction.atomic():
        factories.CitationFactory.for_object(factories.DesignationFactory())
        call_command("backup", str(path), stdout=io.StringIO())
        transaction.set_rollback(True)
    return path


def refused(path, message):
    groups = list(Group.objects.values_list("pk", "name"))
    with pytest.raises(CommandError, match=message) as error:
        call_command("restore", str(path), stdout=io.StringIO())
    assert "Nothing was restored" in str(error.value)
    assert list(Group.objects.values_list("pk", "name")) == groups
    for model in recorded_models():
        assert not model.objects.exists()
        assert not model.history.exists()
    return error


def test_the_backup_file_restores_into_this_empty_database(backup_file):
    call_command("restore", str(backup_file), stdout=io.StringIO())
    assert Organisation.objects.count() == 1
    assert Group.objects.filter(name__in=[EDITOR, PUBLISHER]).count() == 2


@pytest.mark.parametrize(
    "content",
    [b"", b"hello\n", b"\x00\x01\x02binary", b"name,kind\nMemorial,ngo\n", b'{"format":"x"}\n'],
    ids=["empty", "text", "binary", "csv", "other-json"],
)
def test_a_file_that_is_not_a_backup_is_refused(tmp_path, content):
    path = tmp_path / "not-a-backup"
    path.write_bytes(content)
    refused(path, "not a backup")


def test_a_missing_file_is_refused(tmp_path):
    error = refused(tmp_path / "nowhere.jsonl", "Cannot read")
    assert "not a backup" not in str(error.value)


def test_another_format_version_is_refused(backup_file):
    lines = read_lines(backup_file)
    header = json.loads(lines[0])
    header["version"] = 2
    write_lines(backup_file, [json.dumps(header) + "\n", *lines[1:]])
    refused(backup_file, "format version 2")


def test_a_backup_without_its_trailer_is_refused(backup_file):
    write_lines(backup_file, read_lines(backup_file)[:-1])
    refused(backup_file, "truncated: it has no trailer")


def test_a_backup_cut_off_mid_line_is_refused(backup_file):
    content = "".join(read_lines(backup_file))
    write_lines(backup_file, [content[: len(content) // 2]])
    refused(backup_file, "truncated")


def test_a_gzip_stream_cut_short_is_refused(backup_file):
    data = backup_file.read_bytes()
    backup_file.write_bytes(data[: len(data) - 40])
    refused(backup_file, "not a readable backup")


def test_a_backup_missing_rows_is_refused(backup_file):
    lines = read_lines(backup_file)
    row = 1 + next(i for i, line in enumerate(lines) if '"table":"tracker.Organisation"' in line)
    write_lines(backup_file, lines[:row] + lines[row + 1 :])
    refused(backup_file, "damaged")


def test_an_altered_backup_is_refused(backup_file):
    lines = read_lines(backup_file)
    write_lines(
        backup_file, [line.replace("General's Office", "General's Offices") for line in lines]
    )
    refused(backup_file, "damaged: its contents do not match its checksum")


def test_a_damaged_gzip_stream_is_refused(backup_file):
    data = bytearray(backup_file.read_bytes())
    start = 10  # after the gzip header and the file name it holds, the first deflate block
    if data[3] & 0x08:
        start = data.index(0, start) + 1
    data[start] = 0b111  # a block type deflate reserves: zlib stops with an error
    backup_file.write_bytes(bytes(data))
    refused(backup_file, "not a readable backup")


def sealed(lines):
    """The lines with a trailer made again for them, as a forger would."""
    digest = hashlib.sha256("".join(lines[:-1]).encode()).hexdigest()
    trailer = json.loads(lines[-1])
    trailer["trailer"]["sha256"] = digest
    return [*lines[:-1], json.dumps(trailer) + "\n"]


def test_a_row_that_cannot_be_read_is_refused_even_with_a_matching_checksum(backup_file):
    lines = read_lines(backup_file)
    start = next(i for i, line in enumerate(lines) if '"table":"tracker.Organisation"' in line)
    columns = json.loads(lines[start])["columns"]
    row = json.loads(lines[start + 1])
    row[columns.index("created_at")] = "not a date"
    lines[start + 1] = json.dumps(row) + "\n"
    write_lines(backup_file, sealed(lines))
    refused(backup_file, "A row of tracker.Organisation cannot be read")


def test_a_backup_from_a_migration_state_this_code_lacks_is_refused(backup_file):
    lines = read_lines(backup_file)
    header = json.loads(lines[0])
    header["migrations"]["tracker"].append("0099_from_the_future")
    write_lines(backup_file, [json.dumps(header) + "\n", *lines[1:]])
    refused(backup_file, r"migration state this code does not have \(tracker.0099_from_the_future")


def test_a_backup_from_before_this_codes_migrations_is_refused(backup_file):
    lines = read_lines(backup_file)
    header = json.loads(lines[0])
    latest = header["migrations"]["tracker"].pop()
    write_lines(backup_file, [json.dumps(header) + "\n", *lines[1:]])
    refused(backup_file, f"made before migrations this code has \\(tracker.{latest}")


def test_a_database_holding_records_is_refused(backup_file):
    factories.SourceFactory(title="Already here")
    with pytest.raises(CommandError, match="already holds data"):
        call_command("restore", str(backup_file), stdout=io.StringIO())
    assert list(Organisation.objects.values_list("name", flat=True)) == []
    assert Group.objects.filter(name__in=[EDITOR, PUBLISHER]).count() == 2


def test_a_database_holding_users_is_refused(backup_file):
    User.objects.create_user("admin")
    groups = list(Group.objects.values_list("pk", flat=True))
    with pytest.raises(CommandError, match="already holds data"):
        call_command("restore", str(backup_file), stdout=io.StringIO())
    assert not Organisation.objects.exists()
    assert list(Group.objects.values_list("pk", flat=True)) == groups


def test_check_reads_the_file_and_writes_nothing(backup_file):
    out = io.StringIO()
    call_command("restore", str(backup_file), "--check", stdout=out)
    assert "is a complete backup" in out.getvalue()
    assert "tracker.Organisation" in out.getvalue()
    assert not Organisation.objects.exists()
