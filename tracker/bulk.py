"""Versioned bulk releases of the whole public record (`manage.py release_data`, `/data/`).

A release is a directory `<YYYY-MM-DD>[-n]` under `DATA_RELEASES_DIR` holding every public
record in the one public shape (`tracker.shapes`) as JSON Lines and one CSV per type, what
changed since the previous release, a data dictionary, the licence, the designations as
FollowTheMoney entities, and a manifest with every file's size and SHA-256.

Records are read type by type in primary-key order, a chunk at a time (a fixed number of
queries per chunk), and written line by line, so memory stays flat at any size. The delta
is a merge of that ordered stream with the previous release's `records.jsonl`, read the
same way. A release is written into a hidden temporary directory and renamed into place
when complete, so `/data/` never lists half a release.
"""

import contextlib
import csv
import hashlib
import itertools
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.utils import timezone

from tracker import exports, release_shapes
from tracker.backup import read_snapshot

CHUNK_SIZE = 500
# A release's name: the day it was made, and a number when there are several that day.
RELEASE_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:-(\d{1,4}))?$")
MANIFEST = "manifest.json"
# The checksums again, in the format of `sha256sum -c SHA256SUMS`.
CHECKSUMS = "SHA256SUMS"
RECORDS = "records.jsonl"
DELTA = "delta.jsonl"
DELTA_CSV = "delta.csv"
DICTIONARY = "data-dictionary.md"
LICENCE_FILE = "LICENSE.txt"
FTM = "followthemoney.jsonl"
FORMAT_VERSION = 1
CHANGES = ("added", "changed", "withdrawn")

# The licence of the data (the code has its own). CC BY 4.0: anyone may reuse and adapt the
# record, commercially too, when they credit it; it is what most open human-rights and
# sanctions data uses. The lead can change it here.
LICENCE_ID = "CC-BY-4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
LICENCE_TEXT = f"""\
Repression Tracker data release
Licence: Creative Commons Attribution 4.0 International (CC BY 4.0)
{LICENCE_URL}

You may copy, redistribute, adapt and build upon these files, for any purpose,
commercially too, provided that you credit "Repression Tracker" with a link to the
record (the "url" of each record) and say whether you changed the data.

Every fact cites its sources; the sources' own texts belong to their authors and are
linked, not licensed, here.
"""

# Content types of the files a release holds, by extension.
CONTENT_TYPES = {
    ".jsonl": "application/x-ndjson; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    "": "text/plain; charset=utf-8",  # SHA256SUMS
}

FILE_DESCRIPTIONS = {
    RECORDS: "Every public record, one JSON object a line, in the public shape, with citations.",
    DELTA: "What was added, changed or withdrawn since the previous release (JSON Lines).",
    DELTA_CSV: "The same changes as a table: change, type, id, url.",
    DICTIONARY: "Every file and field of this release.",
    LICENCE_FILE: f"The licence of the data ({LICENCE_ID}).",
    FTM: "Designations as FollowTheMoney Sanction entities, with their Organization entities.",
}
# The id prefix of every FollowTheMoney entity of this dataset.
FTM_PREFIX = "rt"


class ReleaseError(Exception):
    """A release cannot be written (e.g. the releases directory is not writable)."""


def releases_dir():
    return Path(settings.DATA_RELEASES_DIR)


def release_sort_key(name):
    match = RELEASE_NAME.match(name)
    return (match.group(1), int(match.group(2) or 1)) if match else ("", 0)


def list_releases(root=None):
    """Names of the complete releases (a directory with a manifest), newest first."""
    root = Path(root or releases_dir())
    if not root.is_dir():
        return []
    names = [
        entry.name
        for entry in root.iterdir()
        if RELEASE_NAME.match(entry.name) and (entry / MANIFEST).is_file()
    ]
    return sorted(names, key=release_sort_key, reverse=True)


def read_manifest(name, root=None):
    """The manifest of release `name`, or None when there is no such complete release."""
    root = Path(root or releases_dir())
    if not RELEASE_NAME.match(name or ""):
        return None
    try:
        return json.loads((root / name / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def next_release_name(root, today):
    """`today`, or `today-2`, `today-3`… when releases of that day exist already."""
    taken = {entry.name for entry in root.iterdir()} if root.is_dir() else set()
    name, number = today.isoformat(), 1
    while name in taken:
        number += 1
        name = f"{today.isoformat()}-{number}"
    return name


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def dumps(record):
    """One record as written: compact, UTF-8, keys in the shape's order (deterministic)."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


# ---------------------------------------------------------------------------------------
# CSV: each type flattened to one row per record, exactly as the list exports do.


class CsvWriter:
    """Writes one type's records as CSV, with the list exports' columns (`csv_columns`, from
    the shape's fields, so that a null in the first record cannot change the header)."""

    def __init__(self, stream, shape):
        self.columns = exports.csv_columns(shape)
        self.writer = csv.writer(stream)
        stream.write(exports.BOM)  # so that spreadsheet programs read UTF-8
        self.writer.writerow([header for header, _ in self.columns])

    def write(self, record):
        self.writer.writerow([exports._safe_cell(cell(record)) for _, cell in self.columns])


# ---------------------------------------------------------------------------------------
# FollowTheMoney


def ftm_entities(organisation):
    """FollowTheMoney entities for one organisation record (in the public shape): the
    Organization and a Sanction per public designation, with stable ids."""
    from followthemoney import model

    designations = organisation.get("designations") or []
    if not designations:
        return []
    org = model.make_entity("Organization")
    org.id = f"{FTM_PREFIX}-organisation-{organisation['id']}"
    org.add("name", organisation.get("name"))
    org.add("abbreviation", organisation.get("short_name") or None)
    org.add("alias", [alias["name"] for alias in organisation.get("aliases") or []])
    if organisation.get("country"):
        org.add("country", organisation["country"]["code"])
    org.add("website", organisation.get("website") or None)
    org.add("description", organisation.get("description") or None)
    org.add("sourceUrl", organisation.get("url"))
    entities = [org]
    for designation in designations:
        sanction = model.make_entity("Sanction")
        sanction.id = f"{FTM_PREFIX}-designation-{designation['id']}"
        sanction.add("entity", org.id)
        sanction.add("program", designation.get("kind_label") or designation.get("kind"))
        sanction.add("authority", designation.get("authority") or None)
        sanction.add("reason", designation.get("stated_reasons") or None)
        law = designation.get("law")
        if law:
            sanction.add("provisions", law.get("title") or law.get("name"))
        for key, prop in (
            ("decision_date", "startDate"),
            ("register_date", "listingDate"),
            ("revoked_date", "endDate"),
        ):
            value = designation.get(key)
            if value:
                sanction.add(prop, value["date"])
        sanction.add("status", "revoked" if designation.get("revoked_date") else "active")
        sanction.add("sourceUrl", designation.get("url"))
        for citation in designation.get("citations") or []:
            source = citation.get("source") or {}
            sanction.add("sourceUrl", source.get("url") or None)
        entities.append(sanction)
    return [entity.to_dict() for entity in entities]


# ---------------------------------------------------------------------------------------
# The delta: a merge of two id-ordered streams of (id, line) per type.

_LINE_HEAD = re.compile(r'^\{"id":(\d+),"type":"([a-z_]+)"')


def _line_key(line):
    match = _LINE_HEAD.match(line)
    if match:
        return match.group(2), int(match.group(1))
    record = json.loads(line)
    return record["type"], int(record["id"])


def previous_digests(path, type_name):
    """(id, digest) of the records of `type_name` in a previous records.jsonl, in id order.

    One pass over the file per type keeps memory flat; only each line's head is parsed.
    """
    if path is None:
        return
    last = None
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            line = line.rstrip("\n")
            if not line:
                continue
            kind, pk = _line_key(line)
            if kind != type_name:
                continue
            if last is not None and pk <= last:
                raise ReleaseError(f"{path}: {type_name} records are not in id order")
            last = pk
            yield pk, hashlib.sha256(line.encode()).digest()


@dataclass
class DeltaWriter:
    """Writes delta.jsonl and delta.csv as the new records stream past the previous ones."""

    jsonl: object
    csv_writer: object
    counts: dict = field(default_factory=lambda: dict.fromkeys(CHANGES, 0))

    def emit(self, change, type_name, pk, record):
        self.counts[change] += 1
        self.jsonl.write(
            dumps({"change": change, "type": type_name, "id": pk, "record": record}) + "\n"
        )
        # A source's "url" is its document's address; its page here is "page".
        page = (record or {}).get("page") or (record or {}).get("url") or ""
        self.csv_writer.writerow([change, type_name, pk, page])

    def merge(self, type_name, records, previous):
        """Yield each new (record, line) while writing what differs from `previous`."""
        old = next(previous, None)
        for record, line in records:
            pk = record["id"]
            while old is not None and old[0] < pk:
                self.emit("withdrawn", type_name, old[0], None)
                old = next(previous, None)
            if old is not None and old[0] == pk:
                if old[1] != hashlib.sha256(line.encode()).digest():
                    self.emit("changed", type_name, pk, record)
                old = next(previous, None)
            else:
                self.emit("added", type_name, pk, record)
            yield record, line
        while old is not None:
            self.emit("withdrawn", type_name, old[0], None)
            old = next(previous, None)


# ---------------------------------------------------------------------------------------
# The data dictionary


def data_dictionary(types, name):
    """The data dictionary, in Markdown, from the shapes' own field descriptions."""
    lines = [
        f"# Data dictionary of release {name}",
        "",
        f"Licence: [{LICENCE_ID}]({LICENCE_URL}). Format version {FORMAT_VERSION}.",
        "",
        "## Files",
        "",
        "| file | content |",
        "| --- | --- |",
        f"| `{MANIFEST}` | Release name, time, code version, counts per type, and every "
        "other file's size and SHA-256. |",
        f"| `{CHECKSUMS}` | The same checksums, for `sha256sum -c {CHECKSUMS}`. |",
        *(f"| `{file}` | {text} |" for file, text in FILE_DESCRIPTIONS.items()),
        *(
            f"| `{kind.name}.csv` | Every public {kind.label}, one row each (columns below). |"
            for kind in types
        ),
        "",
        "## Conventions",
        "",
        "- Every record has `id` (stable database id), `type` and `url` (its public page).",
        '- A partial date is `{"date": "2024" | "2024-11" | "2024-11-13", "precision", '
        '"approximate", "display"}` or null when unknown; in CSV, `<field>` holds the date '
        "and `<field>_precision` its precision.",
        '- A related record is `{"id", "name" or "title", "url"}`; a choice is its code, with '
        '`<field>_label` for the text; a country `{"code", "name"}` or null.',
        "- CSV (the same columns as the site's list exports): a partial date gives `<field>` "
        "and `<field>_precision`; a country `<field>` (code) and `<field>_name`; a related "
        "record `<field>_id` and `<field>_name`; several `<field>_ids` and `<field>_names`; "
        "citations `source_ids` and `source_urls`; other lists one cell of labels (with "
        f"`<field>_ids` when their items have ids). Several values are joined by "
        f"`{exports.LIST_SEPARATOR.strip()}`.",
        '- `delta.jsonl`: `{"change": "added" | "changed" | "withdrawn", "type", "id", '
        '"record"}`; `record` is the new record, or null when withdrawn (no longer public).',
        "- CSV cells starting with `=`, `+`, `-`, `@` get a leading `'` (spreadsheet formulas).",
        "",
    ]
    for kind in types:
        lines += [
            f"## {kind.name}",
            "",
            f"CSV columns: {', '.join(f'`{column}`' for column in kind.csv_columns)}.",
            "",
            "| field | type | meaning |",
            "| --- | --- | --- |",
        ]
        for field_name, field_type, meaning in kind.describe():
            meaning = " ".join(str(meaning).split()).replace("|", "\\|")
            lines.append(f"| `{field_name}` | {field_type} | {meaning} |")
        lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# Writing a release


@contextlib.contextmanager
def _staging(root):
    """A hidden temporary directory under `root`, removed unless renamed away."""
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".partial-", dir=root))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _records(kind, context):
    """(record, line) for every public record of `kind`, in id order, a chunk at a time:
    each chunk is read with the shape's prefetches (a fixed number of queries) and
    serialized together."""
    rows = kind.queryset().order_by("pk").iterator(chunk_size=CHUNK_SIZE)
    while chunk := list(itertools.islice(rows, CHUNK_SIZE)):
        for record in kind.serializer(chunk, context).data:
            yield record, dumps(record)


def write_release(root=None, now=None, using="default", stdout=None):
    """Write a new release under `root` and return its manifest."""
    root = Path(root or releases_dir())
    now = now or timezone.now()
    started = time.perf_counter()
    previous = list_releases(root)
    previous_name = previous[0] if previous else None
    previous_records = root / previous_name / RECORDS if previous_name else None
    types = release_shapes.record_types()
    context = release_shapes.context()
    counts = {}
    with _staging(root) as staging:

        def opened(name):
            return open(staging / name, "w", encoding="utf-8", newline="")  # noqa: SIM115

        with (
            read_snapshot(connections[using]),
            opened(RECORDS) as records_file,
            opened(DELTA) as delta_file,
            opened(DELTA_CSV) as delta_csv,
            opened(FTM) as ftm_file,
        ):
            delta_table = csv.writer(delta_csv)
            delta_table.writerow(["change", "type", "id", "url"])
            delta = DeltaWriter(delta_file, delta_table)
            for kind in types:
                counts[kind.name] = 0
                with opened(f"{kind.name}.csv") as table_file:
                    table = CsvWriter(table_file, kind.shape_class)
                    old = previous_digests(previous_records, kind.name)
                    for record, line in delta.merge(kind.name, _records(kind, context), old):
                        records_file.write(line + "\n")
                        table.write(record)
                        counts[kind.name] += 1
                        if kind.name == "organisation":
                            for entity in ftm_entities(record):
                                ftm_file.write(dumps(entity) + "\n")
                if stdout:
                    stdout.write(f"  {kind.name}: {counts[kind.name]} records")
        # Named at the end, so that a release finished meanwhile by another run is seen.
        name = next_release_name(root, now.date())
        (staging / DICTIONARY).write_text(data_dictionary(types, name), encoding="utf-8")
        (staging / LICENCE_FILE).write_text(LICENCE_TEXT, encoding="utf-8")
        files = [
            *(f"{kind.name}.csv" for kind in types),
            RECORDS,
            DELTA,
            DELTA_CSV,
            FTM,
            DICTIONARY,
            LICENCE_FILE,
        ]
        manifest = {
            "name": name,
            "created": now.isoformat(timespec="seconds"),
            "format_version": FORMAT_VERSION,
            "code_version": settings.RELEASE or None,
            "previous": previous_name,
            "licence": {"id": LICENCE_ID, "url": LICENCE_URL},
            "counts": counts,
            "delta": delta.counts,
            "checksums": CHECKSUMS,
            "files": [
                {
                    "name": file,
                    "size": (staging / file).stat().st_size,
                    "sha256": sha256_of(staging / file),
                    "description": FILE_DESCRIPTIONS.get(file)
                    or f"Every public {file.removesuffix('.csv')} as CSV.",
                }
                for file in files
            ],
            "seconds": round(time.perf_counter() - started, 1),
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        (staging / CHECKSUMS).write_text(
            "".join(f"{entry['sha256']}  {entry['name']}\n" for entry in manifest["files"]),
            encoding="utf-8",
        )
        # mkdtemp made it private (0700); a release is public, read by the web server.
        os.chmod(staging, 0o755)  # noqa: S103
        try:
            os.rename(staging, root / name)  # atomic: the release appears complete or not at all
        except OSError as error:
            raise ReleaseError(f"cannot create {root / name}: {error}") from error
    return manifest


def release_file(name, file_name, root=None):
    """The path of a file listed in release `name`'s manifest, or None.

    Only names the manifest lists (and the manifest itself) are ever served, so nothing
    else under the releases directory can be reached, whatever the address holds.
    """
    root = Path(root or releases_dir())
    manifest = read_manifest(name, root)
    if manifest is None:
        return None
    listed = {entry["name"] for entry in manifest.get("files", [])} | {MANIFEST, CHECKSUMS}
    if file_name not in listed or "/" in file_name or file_name.startswith("."):
        return None
    path = root / name / file_name
    return path if path.is_file() else None


def content_type(file_name):
    return CONTENT_TYPES.get(Path(file_name).suffix, "application/octet-stream")
