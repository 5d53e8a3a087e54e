"""Backups that restore: a streamed, versioned snapshot of every table, and loading one back.

A backup is a file of JSON lines (gzip-compressed when its name ends in .gz):

1. a header: format name and version, creation time, the applied migrations per app;
2. per table, a line `{"table": label, "columns": [...]}` and then one JSON array per row,
   ordered by primary key; foreign keys to content types and permissions are written as
   natural keys (`[app_label, model]`, `[codename, app_label, model]`), since their ids
   differ between databases;
3. a trailer with the row count of every table and a SHA-256 of every line before it, so a
   truncated or altered file is refused.

The tables are those of every installed model (many-to-many through tables included) except
what `migrate` creates, what is derived and rebuilt, and what is transient: see EXCLUDED.
"""

import base64
import contextlib
import datetime
import decimal
import gzip
import hashlib
import io
import json
import sys
import uuid
import zlib

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.duration import duration_iso_string

FORMAT = "repression-tracker-backup"
FORMAT_VERSION = 1

# Left out of every backup (app labels or model labels), each rebuilt rather than restored:
EXCLUDED = {
    # created by `migrate`; rows that refer to them carry natural keys instead of ids
    "contenttypes.contenttype",
    "auth.permission",
    # transient: logins end, throttling counters expire
    "sessions.session",
    "axes",
    "tracker.loginfailure",  # failed admin logins of the last hour (tracker.accounts)
    # derived: the search index is rebuilt and the data version bumped by `restore`
    "tracker.searchentry",
    "tracker.searchname",
    "tracker.dataversion",
}
# A model can also leave itself out by saying so (e.g. login-throttling counters):
#     class LoginThrottle(models.Model):
#         transient = True

# Rows per database round trip, when reading and when inserting.
CHUNK = 2000


class BackupError(Exception):
    """The file is not a backup this code can restore, or the database cannot take it."""


class MissingFile(BackupError):
    """The file cannot be opened at all."""


def is_excluded(model):
    """True for a model left out of backups: named in EXCLUDED, or marked `transient`."""
    meta = model._meta
    if meta.auto_created:  # a many-to-many through table goes with the model that owns it
        return is_excluded(meta.auto_created)
    return (
        meta.app_label in EXCLUDED
        or meta.label_lower in EXCLUDED
        or getattr(model, "transient", False) is True
    )


def backed_up_models():
    """Every model whose table a backup holds, in a stable order."""
    models = [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy and not is_excluded(model)
    ]
    return sorted(models, key=lambda model: model._meta.label_lower)


def columns(model):
    """The model's columns, by attribute name (`law_id`), in the order rows are written."""
    return [field.attname for field in model._meta.concrete_fields]


def natural_fields(model):
    """{attname: ContentType or Permission} for the columns written as natural keys."""
    return {
        field.attname: field.related_model
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model in (ContentType, Permission)
    }


def migration_state(connection):
    """The applied migrations per app, as the database records them."""
    state = {}
    for app_label, name in sorted(MigrationRecorder(connection).applied_migrations()):
        state.setdefault(app_label, []).append(name)
    return state


def _json_value(value):
    # Full precision: Django's JSON encoder would cut datetimes to milliseconds.
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return duration_iso_string(value)
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"Cannot write a {type(value).__name__} to a backup")


def _line(data):
    return json.dumps(data, default=_json_value, ensure_ascii=False, separators=(",", ":")) + "\n"


@contextlib.contextmanager
def read_snapshot(connection):
    """Read everything inside one transaction that sees the database as it was when it began.

    The transaction is begun by hand, not with `atomic()`: on SQLite the settings make
    `atomic()` issue BEGIN IMMEDIATE, which takes the write lock and would block every
    editor for the whole backup. A BEGIN DEFERRED takes no lock; in WAL mode its first read
    fixes a snapshot that later commits by editors do not change. PostgreSQL gets a
    REPEATABLE READ, READ ONLY transaction, which is the same guarantee.
    """
    if connection.in_atomic_block:  # already in a transaction (a test): read within it
        yield
        return
    begin = {
        "postgresql": "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        "sqlite": "BEGIN DEFERRED",
    }.get(connection.vendor, "BEGIN")
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute(begin)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ROLLBACK")  # nothing was written


@contextlib.contextmanager
def open_output(path):
    """A text stream to `path` (gzip when it ends in .gz; "-" for standard output)."""
    if path == "-":
        # UTF-8 whatever the terminal's locale, as in a file.
        stream = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8")
        try:
            yield stream
        finally:
            stream.flush()
            stream.detach()  # leave sys.stdout open
        return
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wt", encoding="utf-8") as stream:
        yield stream


def write_backup(stream, using="default"):
    """Write a backup of the database to a text stream; returns {table label: row count}."""
    connection = connections[using]
    digest = hashlib.sha256()
    counts = {}

    def emit(data):
        line = _line(data)
        digest.update(line.encode())
        stream.write(line)

    with read_snapshot(connection):
        emit(
            {
                "format": FORMAT,
                "version": FORMAT_VERSION,
                "created_at": timezone.now().isoformat(),
                "vendor": connection.vendor,
                "migrations": migration_state(connection),
            }
        )
        keys = {
            ContentType: {
                pk: [app_label, model]
                for pk, app_label, model in ContentType.objects.using(using).values_list(
                    "pk", "app_label", "model"
                )
            },
            Permission: {
                pk: [codename, app_label, model]
                for pk, codename, app_label, model in Permission.objects.using(using).values_list(
                    "pk", "codename", "content_type__app_label", "content_type__model"
                )
            },
        }
        for model in backed_up_models():
            names = columns(model)
            natural = {
                names.index(name): keys[target] for name, target in natural_fields(model).items()
            }
            emit({"table": model._meta.label, "columns": names})
            rows = (
                model._base_manager.using(using)
                .order_by("pk")
                .values_list(*names)
                .iterator(chunk_size=CHUNK)
            )
            count = 0
            for row in rows:
                if natural:
                    row = list(row)
                    for index, key_of in natural.items():
                        # An id that names no row (history keeps dangling ids) stays an id.
                        row[index] = key_of.get(row[index], row[index])
                emit(list(row))
                count += 1
            counts[model._meta.label] = count
    stream.write(_line({"trailer": {"counts": counts, "sha256": digest.hexdigest()}}))
    return counts


# Restoring --------------------------------------------------------------------------------


@contextlib.contextmanager
def open_input(path):
    try:
        with open(path, "rb") as probe:
            gzipped = probe.read(2) == b"\x1f\x8b"
        raw = gzip.open(path, "rb") if gzipped else open(path, "rb")  # noqa: SIM115
    except OSError as error:
        raise MissingFile(f"Cannot read {path}: {error.strerror or error}.") from error
    with raw, io.TextIOWrapper(raw, encoding="utf-8") as stream:
        yield stream


def _lines(path):
    """(raw line, parsed JSON) for every line of the file; a clear error for anything else."""
    with open_input(path) as stream:
        number = 0
        try:
            for number, line in enumerate(stream, start=1):  # noqa: B007
                if not line.endswith("\n"):
                    raise BackupError(f"The backup is truncated (line {number} is cut off).")
                yield line, json.loads(line)
        except (UnicodeDecodeError, ValueError, EOFError, OSError, zlib.error) as error:
            raise BackupError(
                f"This is not a readable backup (line {number + 1}: {error})."
            ) from error


def read_header(path):
    """The header of the backup, checked for format, version and migration state."""
    try:
        _, header = next(_lines(path))
    except StopIteration:
        raise BackupError("The file is empty: it is not a backup.") from None
    except MissingFile:
        raise
    except BackupError as error:
        raise BackupError(f"This is not a backup made by `manage.py backup`. ({error})") from error
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupError("This is not a backup made by `manage.py backup`.")
    if header.get("version") != FORMAT_VERSION:
        raise BackupError(
            f"This backup has format version {header.get('version')!r}; this code reads only "
            f"version {FORMAT_VERSION}."
        )
    check_migrations(header.get("migrations"))
    return header


def check_migrations(state):
    """Refuse a backup whose schema this code cannot recreate exactly."""
    if not isinstance(state, dict):
        raise BackupError("The backup does not say which migrations it was made at.")
    loader = MigrationLoader(None, ignore_no_migrations=True)
    recorded = {(app, name) for app, names in state.items() for name in names}
    unknown = sorted(recorded - set(loader.disk_migrations))
    if unknown:
        names = ", ".join(f"{app}.{name}" for app, name in unknown[:5])
        raise BackupError(
            f"This backup was made at a migration state this code does not have ({names}): "
            "restore it with the version of the code that made it."
        )
    missing = sorted(set(loader.graph.nodes) - recorded)
    if missing:
        names = ", ".join(f"{app}.{name}" for app, name in missing[:5])
        raise BackupError(
            f"This backup was made before migrations this code has ({names}): restore it with "
            "the version of the code that made it, then upgrade that database with `migrate`."
        )


def check_file(path):
    """Read the whole backup once; returns its header and row counts, or raises BackupError.

    Catches a truncated, altered or incomplete file before anything touches the database.
    """
    header = read_header(path)
    digest = hashlib.sha256()
    counts, table, trailer = {}, None, None
    lines = _lines(path)
    digest.update(next(lines)[0].encode())  # the header, read above
    for line, data in lines:
        if trailer is not None:
            raise BackupError("The backup has data after its trailer.")
        if isinstance(data, dict) and "trailer" in data:
            trailer = data["trailer"]
            continue
        digest.update(line.encode())
        if isinstance(data, list):
            if table is None:
                raise BackupError("The backup has rows outside any table.")
            counts[table] += 1
        elif isinstance(data, dict) and isinstance(data.get("table"), str):
            table = data["table"]
            counts[table] = 0
        else:
            raise BackupError(
                "The backup is damaged: it holds a line that is neither a row nor a table."
            )
    if trailer is None:
        raise BackupError("The backup is truncated: it has no trailer.")
    if not isinstance(trailer, dict) or trailer.get("sha256") != digest.hexdigest():
        raise BackupError("The backup is damaged: its contents do not match its checksum.")
    if trailer.get("counts") != counts:
        raise BackupError("The backup is damaged: its row counts do not match its trailer.")
    return header, counts


def migrate_if_needed(using="default", stdout=None):
    """Migrate a new database; refuse one that is migrated only in part."""
    from django.core.management import call_command

    connection = connections[using]
    recorder = MigrationRecorder(connection)
    applied = recorder.applied_migrations() if recorder.has_table() else {}
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    pending = set(loader.graph.nodes) - set(loader.applied_migrations)
    if pending and applied:
        raise BackupError(
            "This database is migrated only in part; restore into a new, empty database."
        )
    if pending:
        call_command("migrate", database=using, interactive=False, verbosity=0, stdout=stdout)


def check_empty(using="default"):
    """Refuse a database that holds anything but what `migrate` creates."""
    from tracker.roles import EDITOR, PUBLISHER

    for model in backed_up_models():
        rows = model._base_manager.using(using)
        if model is Group:
            rows = rows.exclude(name__in=[EDITOR, PUBLISHER])
        elif model is Group.permissions.through:
            continue  # the roles' permissions, replaced with the backed-up ones
        if rows.exists():
            raise BackupError(
                f"This database already holds data ({model._meta.verbose_name_plural}); "
                "restore only into a new, empty database."
            )


def _key_maps(using):
    """Natural key → id in this database, creating content types a backup names but
    `migrate` did not (models since removed, still named by history and the admin log)."""
    content_types = {
        (app_label, model): pk
        for pk, app_label, model in ContentType.objects.using(using).values_list(
            "pk", "app_label", "model"
        )
    }
    permissions = {
        (codename, app_label, model): pk
        for pk, codename, app_label, model in Permission.objects.using(using).values_list(
            "pk", "codename", "content_type__app_label", "content_type__model"
        )
    }

    def content_type(key):
        if tuple(key) not in content_types:
            created = ContentType.objects.using(using).create(app_label=key[0], model=key[1])
            content_types[tuple(key)] = created.pk
        return content_types[tuple(key)]

    def permission(key):
        if tuple(key) not in permissions:
            created = Permission.objects.using(using).create(
                codename=key[0], name=key[0], content_type_id=content_type(key[1:])
            )
            permissions[tuple(key)] = created.pk
        return permissions[tuple(key)]

    return {ContentType: content_type, Permission: permission}


def _insert(connection, model, names, rows):
    """INSERT rows as they are: raw SQL, so no signal, history or auto_now sees them."""
    quote = connection.ops.quote_name
    column = {field.attname: field.column for field in model._meta.concrete_fields}
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (names come from the models)
        quote(model._meta.db_table),
        ", ".join(quote(column[name]) for name in names),
        ", ".join(["%s"] * len(names)),
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def load_backup(path, using="default"):
    """Load a checked backup into an empty, migrated database, all or nothing.

    Returns {table label: rows loaded}. Then rebuilds the search index and bumps the data
    version; writes no history and calls no signal handler.
    """
    from tracker.models import DataVersion
    from tracker.search import index

    connection = connections[using]
    loaded = {}
    with transaction.atomic(using=using):
        check_empty(using)
        # The roles `migrate` created give way to the backed-up groups, ids and all.
        Group.permissions.through.objects.using(using).all().delete()
        Group.objects.using(using).all().delete()
        maps = _key_maps(using)
        model, names, prepare, batch = None, None, None, []
        lines = _lines(path)
        next(lines)  # the header, checked already
        for _, data in lines:
            if isinstance(data, list):
                if prepare is not None:
                    batch.append(_convert(model, prepare, data))
                    if len(batch) >= CHUNK:
                        _insert(connection, model, names, batch)
                        loaded[model._meta.label] += len(batch)
                        batch = []
                continue
            if batch:
                _insert(connection, model, names, batch)
                loaded[model._meta.label] += len(batch)
                batch = []
            if "trailer" in data:
                break
            model, names, prepare = _section(data, maps, connection)
            if model is not None:
                loaded[model._meta.label] = 0
        if connection.vendor == "postgresql":
            models = [apps.get_model(label) for label in loaded]
            statements = connection.ops.sequence_reset_sql(no_style(), models)
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
        index.rebuild()
        DataVersion.bump()
    return loaded


def _convert(model, prepare, row):
    try:
        return [convert(value) for convert, value in zip(prepare, row, strict=True)]
    except (ValueError, TypeError, ValidationError) as error:
        raise BackupError(f"A row of {model._meta.label} cannot be read: {row!r:.200}") from error


def _section(data, maps, connection):
    """The model, column names and one value converter per column for a table's rows."""
    try:
        model = apps.get_model(data["table"])
    except (LookupError, ValueError) as error:
        raise BackupError(
            f"The backup holds a table this code does not know: {data['table']}."
        ) from error
    if is_excluded(model):  # derived or transient in this code: rebuilt, not restored
        return None, None, None
    names = data["columns"]
    if sorted(names) != sorted(columns(model)):
        raise BackupError(
            f"The columns of {model._meta.label} in the backup differ from the code's."
        )
    natural = natural_fields(model)
    fields = {field.attname: field for field in model._meta.concrete_fields}

    def converter(name):
        field = fields[name]
        if name in natural:
            to_id = maps[natural[name]]
            return lambda value: to_id(value) if isinstance(value, list) else value
        return lambda value: field.get_db_prep_save(field.to_python(value), connection)

    return model, names, [converter(name) for name in names]
