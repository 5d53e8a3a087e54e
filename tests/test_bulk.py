"""Bulk releases (`manage.py release_data`) and /data/: complete, public only, verifiable."""

import csv
import hashlib
import io
import json
import shutil
import tempfile
from pathlib import Path
from unittest import mock

from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client, TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from followthemoney import model as ftm_model

from tests import factories
from tests.test_leaks import LEAK, World
from tracker import bulk, release_shapes
from tracker.choices import State
from tracker.models import Case, CaseEvent, Designation, Law, Organisation, Person, Source

MODELS = {
    "organisation": Organisation,
    "designation": Designation,
    "law": Law,
    "case": Case,
    "person": Person,
    "source": Source,
    "case_event": CaseEvent,
}
EDITOR_NAME = "zqeditor-anna"


def read_lines(path):
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


class ReleaseDirMixin:
    """Each test class writes its releases into a temporary directory of its own."""

    @classmethod
    def setUpClass(cls):
        cls.root = Path(tempfile.mkdtemp(prefix="releases-"))
        cls.addClassCleanup(shutil.rmtree, cls.root, ignore_errors=True)
        cls.enterClassContext(override_settings(DATA_RELEASES_DIR=cls.root))
        super().setUpClass()


class ReleaseRoundTripTests(ReleaseDirMixin, TestCase):
    """One release of the leak tests' world: the public record and hidden records beside it."""

    @classmethod
    def setUpTestData(cls):
        cls.world = World.build()
        # An editor's identity, in the history of a public record, never reaches a release.
        editor = get_user_model().objects.create_user(EDITOR_NAME, f"{EDITOR_NAME}@example.org")
        organisation = cls.world.public[0]
        organisation._history_user = editor
        organisation.description = "Edited by an editor"
        organisation.save()
        cls.out = io.StringIO()
        call_command("release_data", stdout=cls.out)
        cls.name = bulk.list_releases()[0]
        cls.dir = cls.root / cls.name
        cls.manifest = json.loads((cls.dir / bulk.MANIFEST).read_text())
        cls.records = read_lines(cls.dir / bulk.RECORDS)

    def test_every_public_record_is_in_the_release_exactly_once(self):
        keys = [(record["type"], record["id"]) for record in self.records]
        self.assertEqual(len(keys), len(set(keys)))
        for type_name, model in MODELS.items():
            with self.subTest(type_name):
                published = set(model.objects.published().values_list("pk", flat=True))
                self.assertTrue(published)
                self.assertEqual({pk for kind, pk in keys if kind == type_name}, published)
                self.assertEqual(self.manifest["counts"][type_name], len(published))

    def test_records_have_the_public_shape(self):
        for record in self.records:
            self.assertEqual(list(record)[:3], ["id", "type", "url"])
            page = record["page"] if record["type"] == "source" else record["url"]
            self.assertTrue(page.startswith("http://"), record)

    def test_no_hidden_record_or_editor_appears_in_any_file(self):
        files = sorted(self.dir.iterdir())
        self.assertEqual(len(files), len(self.manifest["files"]) + 2)
        for path in files:
            text = path.read_text(encoding="utf-8")
            with self.subTest(path.name):
                found = LEAK.search(text)
                self.assertIsNone(
                    found, text[max(found.start() - 80, 0) : found.end() + 80] if found else ""
                )
                self.assertNotIn("zqeditor", text.lower())

    def test_manifest_sizes_and_checksums_match_the_files(self):
        names = {entry["name"] for entry in self.manifest["files"]}
        self.assertEqual(
            names | {bulk.MANIFEST, bulk.CHECKSUMS}, {path.name for path in self.dir.iterdir()}
        )
        sums = (self.dir / bulk.CHECKSUMS).read_text().splitlines()
        self.assertEqual(sums, [f"{e['sha256']}  {e['name']}" for e in self.manifest["files"]])
        for entry in self.manifest["files"]:
            data = (self.dir / entry["name"]).read_bytes()
            self.assertEqual(entry["size"], len(data), entry["name"])
            self.assertEqual(entry["sha256"], hashlib.sha256(data).hexdigest(), entry["name"])
        self.assertEqual(self.manifest["name"], self.name)
        self.assertEqual(self.manifest["licence"]["id"], "CC-BY-4.0")
        self.assertIsNone(self.manifest["previous"])
        self.assertEqual(self.manifest["delta"]["added"], len(self.records))

    def test_each_type_csv_parses_with_one_row_per_record(self):
        for kind in release_shapes.record_types():
            with self.subTest(kind.name):
                raw = (self.dir / f"{kind.name}.csv").read_bytes()
                self.assertTrue(raw.startswith("\ufeff".encode()))  # spreadsheets read UTF-8
                rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
                self.assertEqual(len(rows), self.manifest["counts"][kind.name])
                self.assertEqual(list(rows[0]), kind.csv_columns)
                ids = {int(row["id"]) for row in rows}
                self.assertEqual(ids, {r["id"] for r in self.records if r["type"] == kind.name})

    def test_csv_rows_hold_the_records_values(self):
        rows = list(
            csv.DictReader(io.StringIO((self.dir / "designation.csv").read_text("utf-8-sig")))
        )
        records = {r["id"]: r for r in self.records if r["type"] == "designation"}
        for row in rows:
            record = records[int(row["id"])]
            self.assertEqual(row["organisation_name"], record["organisation"]["name"])
            self.assertEqual(row["decision_date"], record["decision_date"]["date"])
            self.assertEqual(row["url"], record["url"])
            self.assertEqual(
                row["source_ids"].split(" | "),
                [str(c["source"]["id"]) for c in record["citations"]],
            )

    def test_data_dictionary_lists_every_file_and_field(self):
        text = (self.dir / bulk.DICTIONARY).read_text(encoding="utf-8")
        sections = {part.split("\n", 1)[0].strip(): part for part in text.split("\n## ")[1:]}
        for entry in self.manifest["files"]:
            self.assertIn(f"`{entry['name']}`", sections["Files"])
        for record in self.records:
            section = sections[record["type"]]
            for key in record:
                self.assertIn(f"| `{key}` |", section, (record["type"], key))

    def test_followthemoney_entities_validate_with_the_package_model(self):
        entities = read_lines(self.dir / bulk.FTM)
        by_id = {}
        for data in entities:
            entity = ftm_model.get_proxy(data, cleaned=False)
            entity.schema.validate(data)  # raises InvalidData on a bad value
            for required in entity.schema.required:
                self.assertTrue(entity.get(required), (entity.id, required))
            self.assertEqual(entity.to_dict(), ftm_model.get_proxy(entity.to_dict()).to_dict())
            by_id[entity.id] = entity
        designations = Designation.objects.published()
        sanctions = {e.id for e in by_id.values() if e.schema.name == "Sanction"}
        self.assertEqual(sanctions, {f"rt-designation-{d.pk}" for d in designations})
        for entity in by_id.values():
            if entity.schema.name == "Sanction":
                (target,) = entity.get("entity")
                self.assertEqual(by_id[target].schema.name, "Organization")
        organisation = by_id[f"rt-organisation-{self.world.public[0].pk}"]
        self.assertEqual(organisation.get("name"), ["Public Organisation"])
        self.assertIn("Public Alias", organisation.get("alias"))

    def test_the_command_says_what_it_wrote(self):
        output = self.out.getvalue()
        self.assertIn(f"Release {self.name} written", output)
        for entry in self.manifest["files"]:
            self.assertIn(
                f"{entry['name']}: {entry['size']:,} bytes, sha256 {entry['sha256']}", output
            )


class DeltaTests(ReleaseDirMixin, TestCase):
    """Two releases with one record added, one changed and one withdrawn in between."""

    @classmethod
    def setUpTestData(cls):
        cls.kept = factories.LawFactory(title="Kept law")
        cls.changed = factories.LawFactory(title="Changed law")
        cls.withdrawn = factories.LawFactory(title="Withdrawn law")
        call_command("release_data", stdout=io.StringIO())
        cls.added = factories.LawFactory(title="Added law")
        Law.objects.filter(pk=cls.changed.pk).update(summary="A new summary")
        Law.objects.filter(pk=cls.withdrawn.pk).update(state=State.WITHDRAWN)
        call_command("release_data", stdout=io.StringIO())
        cls.first, cls.second = reversed(bulk.list_releases())

    def test_the_delta_is_exactly_what_changed(self):
        delta = read_lines(self.root / self.second / bulk.DELTA)
        by_change = {row["change"]: row for row in delta}
        self.assertEqual(len(delta), 3)
        self.assertEqual(by_change["added"]["id"], self.added.pk)
        self.assertEqual(by_change["added"]["record"]["id"], self.added.pk)
        self.assertEqual(by_change["changed"]["id"], self.changed.pk)
        self.assertEqual(by_change["changed"]["record"]["summary"], "A new summary")
        self.assertEqual(by_change["withdrawn"]["id"], self.withdrawn.pk)
        self.assertIsNone(by_change["withdrawn"]["record"])
        self.assertEqual({row["type"] for row in delta}, {"law"})

    def test_the_delta_csv_and_manifest_agree(self):
        manifest = bulk.read_manifest(self.second)
        self.assertEqual(manifest["previous"], self.first)
        self.assertEqual(manifest["delta"], {"added": 1, "changed": 1, "withdrawn": 1})
        rows = list(
            csv.DictReader(io.StringIO((self.root / self.second / bulk.DELTA_CSV).read_text()))
        )
        self.assertEqual(
            sorted((row["change"], int(row["id"])) for row in rows),
            sorted(
                [
                    ("added", self.added.pk),
                    ("changed", self.changed.pk),
                    ("withdrawn", self.withdrawn.pk),
                ]
            ),
        )

    def test_releases_of_one_day_are_numbered(self):
        self.assertEqual(self.second, f"{self.first}-2")

    def test_a_release_without_changes_has_an_empty_delta(self):
        call_command("release_data", stdout=io.StringIO())
        third = bulk.list_releases()[0]
        self.assertEqual((self.root / third / bulk.DELTA).read_text(), "")
        self.assertEqual(bulk.read_manifest(third)["previous"], self.second)


class ReleaseRunTests(TestCase):
    def setUp(self):
        # A directory per test: these tests write releases, or check that none is written.
        self.root = Path(tempfile.mkdtemp(prefix="releases-"))
        self.addCleanup(shutil.rmtree, self.root, ignore_errors=True)
        self.enterContext(override_settings(DATA_RELEASES_DIR=self.root))

    def test_an_empty_database_gives_a_release_of_empty_files(self):
        out = io.StringIO()
        call_command("release_data", "--dir", str(self.root / "elsewhere"), stdout=out)
        (name,) = bulk.list_releases(self.root / "elsewhere")
        manifest = bulk.read_manifest(name, self.root / "elsewhere")
        self.assertEqual(set(manifest["counts"].values()), {0})
        self.assertEqual((self.root / "elsewhere" / name / bulk.RECORDS).read_text(), "")
        header = (self.root / "elsewhere" / name / "case.csv").read_text(encoding="utf-8-sig")
        self.assertTrue(header.startswith("id,type,url"))
        self.assertIn("0 records", out.getvalue())

    def test_a_failed_release_leaves_nothing_behind(self):
        factories.DesignationFactory()
        failures = [
            ("ftm_entities", RuntimeError("cut while writing records")),
            ("sha256_of", OSError("cut while writing the manifest")),
        ]
        for function, error in failures:
            with self.subTest(function), mock.patch.object(bulk, function, side_effect=error):
                with self.assertRaises(type(error)):
                    bulk.write_release(self.root)
                self.assertEqual(list(self.root.iterdir()), [])
                self.assertEqual(bulk.list_releases(), [])

    def test_record_urls_start_with_the_site_url(self):
        law = factories.LawFactory(slug="a-law")
        with override_settings(SITE_URL="https://tracker.example.org"):
            manifest = bulk.write_release(self.root)
        (record,) = read_lines(self.root / manifest["name"] / bulk.RECORDS)
        self.assertEqual(record["url"], f"https://tracker.example.org{law.get_absolute_url()}")

    def test_without_a_site_url_the_command_says_where_urls_point(self):
        err = io.StringIO()
        with override_settings(SITE_URL=""):
            call_command("release_data", stdout=io.StringIO(), stderr=err)
        self.assertIn(
            "SITE_URL is not set: records' urls start with http://localhost:8000", err.getvalue()
        )

    def test_an_unusable_directory_gives_a_clear_error(self):
        not_a_directory = self.root / "file"
        not_a_directory.write_text("")
        with self.assertRaisesMessage(CommandError, "No release written"):
            call_command("release_data", "--dir", str(not_a_directory), stdout=io.StringIO())

    def test_a_damaged_previous_release_is_refused_not_merged(self):
        law = factories.LawFactory()
        bulk.write_release(self.root)
        (previous,) = bulk.list_releases()
        records = self.root / previous / bulk.RECORDS
        line = records.read_text()
        records.write_text(line + line)  # the same law twice: no longer in id order
        with self.assertRaisesMessage(CommandError, "not in id order"):
            call_command("release_data", stdout=io.StringIO())
        self.assertEqual(bulk.list_releases(), [previous])
        self.assertTrue(law.pk)

    def test_queries_do_not_grow_with_the_number_of_records(self):
        def queries():
            with CaptureQueriesContext(connection) as context:
                bulk.write_release(self.root)
            return len(context)

        factories.CaseEventFactory(case=factories.CaseFactory(people=[factories.PersonFactory()]))
        factories.DesignationFactory()
        small = queries()
        for _ in range(3):
            case = factories.CaseFactory(people=[factories.PersonFactory()])
            factories.CaseEventFactory(case=case)
            factories.DesignationFactory()
        self.assertEqual(queries(), small)


class DataPageTests(ReleaseDirMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        factories.DesignationFactory(organisation=factories.OrganisationFactory(name="Listed Org"))
        call_command("release_data", stdout=io.StringIO())
        call_command("release_data", stdout=io.StringIO())
        cls.older, cls.newest = reversed(bulk.list_releases())
        cls.manifest = bulk.read_manifest(cls.newest)
        # Beside the release: a stray file and a half-written release, neither ever served.
        (cls.root / cls.newest / "secret.txt").write_text("not listed")
        (cls.root / ".partial-x").mkdir()
        (cls.root / "secret.txt").write_text("not a release")

    def setUp(self):
        self.client = Client()

    def test_the_page_lists_releases_newest_first_with_checksums(self):
        response = self.client.get("/data/")
        self.assertEqual(response.status_code, 200)
        text = response.content.decode()
        self.assertLess(
            text.index(f'<h2 id="release-{self.newest}"'),
            text.index(f'<h2 id="release-{self.older}"'),
        )
        for entry in self.manifest["files"]:
            self.assertIn(entry["sha256"], text)
            self.assertIn(f"/data/{self.newest}/{entry['name']}", text)
        self.assertIn("CC-BY-4.0", text)
        self.assertNotIn(".partial", text)

    def test_a_file_is_served_as_a_download_with_its_content_type(self):
        for name, content_type in [
            ("records.jsonl", "application/x-ndjson"),
            ("organisation.csv", "text/csv"),
            ("manifest.json", "application/json"),
            ("data-dictionary.md", "text/markdown"),
            ("SHA256SUMS", "text/plain"),
        ]:
            with self.subTest(name):
                response = self.client.get(f"/data/{self.newest}/{name}")
                self.assertEqual(response.status_code, 200)
                self.assertTrue(response["Content-Type"].startswith(content_type))
                self.assertIn("attachment", response["Content-Disposition"])
                body = b"".join(response.streaming_content)
                self.assertEqual(body, (self.root / self.newest / name).read_bytes())
        records = self.client.get(f"/data/{self.newest}/records.jsonl")
        self.assertIn(b"Listed Org", b"".join(records.streaming_content))

    def test_latest_redirects_to_the_newest_release(self):
        response = self.client.get("/data/latest/records.jsonl")
        self.assertRedirects(
            response, f"/data/{self.newest}/records.jsonl", fetch_redirect_response=False
        )
        self.assertEqual(self.client.get("/data/latest/secret.txt").status_code, 404)

    def test_only_files_listed_in_a_manifest_are_served(self):
        for url in [
            f"/data/{self.newest}/secret.txt",  # in the release's directory, not in its manifest
            f"/data/{self.newest}/nothing.csv",
            "/data/2001-01-01/records.jsonl",
            "/data/.partial-x/records.jsonl",
            f"/data/{self.newest}/..%2Fsecret.txt",
            f"/data/{self.newest}/%2E%2E%2Fsecret.txt",
            "/data/../secret.txt",
            "/data/%2E%2E/secret.txt",
            f"/data/{self.newest}/%2Fetc%2Fpasswd",
            f"/data/{self.newest}/.",
        ]:
            with self.subTest(url):
                self.assertEqual(self.client.get(url).status_code, 404)

    def test_files_are_not_posted_to(self):
        self.assertEqual(self.client.post("/data/").status_code, 405)

    def test_the_page_without_releases_says_so(self):
        with override_settings(DATA_RELEASES_DIR=self.root / "none"):
            response = self.client.get("/data/")
            self.assertContains(response, "No release has been published yet.")
            self.assertEqual(self.client.get("/data/latest/records.jsonl").status_code, 404)
