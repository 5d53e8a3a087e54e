"""What the public may see: one rule, derived from what each model declares.

A record is public when

- it has a publication state (`TrackedModel`) and that state is "published";
- the record it is part of (`part_of`: an alias's organisation, a charge's case,
  a citation's cited record…) is public;
- every record it shows (`shows`: a designation's organisation and law, a
  charge's law) is public, or the field is empty;
- or, for a source (`public_when_cited`): whatever its own state, a public
  citation cites it.

The rule exists twice, derived from the same declarations: as a query condition
(`public_condition`, behind every `published()` queryset) and evaluated on an
instance in memory (`is_public`, for a form about to be saved). A test checks
that the two agree on every record of a rich data set.

`published()` filters by `PublicRule`: `public_condition` compiled to SQL once per model and
database, then written into each query with the query's own name for the row. Building and
compiling the nested conditions anew cost more than running most public queries.
"""

import functools
import re

from django.apps import apps
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Exists, Expression, OuterRef, Q
from django.db.models.lookups import Exact

from tracker.choices import State


def has_state(model):
    return any(field.name == "state" for field in model._meta.concrete_fields)


def owner_fields(model):
    """The fields naming the records this one's visibility rests on: `part_of`, then `shows`."""
    names = [model.part_of] if getattr(model, "part_of", None) else []
    return [*names, *getattr(model, "shows", ())]


def is_public_model(model):
    """Models whose records can appear on the public site (each has a `published()`)."""
    from simple_history.models import HistoricalChanges

    return (
        model._meta.app_label == "tracker"
        and not model._meta.auto_created
        and not issubclass(model, HistoricalChanges)  # an edit history is never public
        and (has_state(model) or bool(owner_fields(model)) or _cited_rule(model))
    )


def public_models():
    return [
        model for model in apps.get_app_config("tracker").get_models() if is_public_model(model)
    ]


def _cited_rule(model):
    return getattr(model, "public_when_cited", False)


@functools.cache
def cited_models():
    """Models that sources can be cited for (they have a `citations` generic relation)."""
    from .base import CitedModel

    return tuple(
        model
        for model in apps.get_app_config("tracker").get_models()
        if issubclass(model, CitedModel)
    )


def public_dependencies(*models):
    """`models` and every model whose rows decide which of their rows are public, by the
    rule above: the records each is part of or shows (any cited model for a citation), and
    the citations that make a source public. A part of a page cached per version of what
    it shows is keyed by these, so that publishing an organisation reaches its designations.
    """
    found, pending = [], list(models)
    while pending:
        model = pending.pop(0)
        if model in found:
            continue
        found.append(model)
        for name in owner_fields(model):
            field = model._meta.get_field(name)
            if isinstance(field, GenericForeignKey):
                pending.extend(cited_models())
            else:
                pending.append(field.related_model)
        if _cited_rule(model):
            from .sources import Citation

            pending.append(Citation)
    return tuple(found)


def public_condition(model, cited=None, part_of_public=False):
    """A Q matching the public rows of `model` (see the module docstring).

    Owners are tested with EXISTS on their primary key rather than joins, so that the
    database can walk the index of whatever the page orders by and test each row.

    `cited` (a cited model) narrows a generic owner (a citation's cited record) to records of
    that model: the rows of `model` that are public *and* part of a `cited` record. The
    condition then names only the tables that decide whether such a record is public, so a
    page reading the citations of laws does not depend on the tables of cases.

    `part_of_public`: the rows are read for records already known to be public (the parts of
    a chunk of an export's own records, filtered by their ids), so the record each is part of
    is not tested again; what else it shows still is (a charge's law). PostgreSQL otherwise
    hashed every public case to test the charges of a few.
    """
    if cited is not None and not _names_generic_owner(model):
        raise ValueError(f"{model.__name__} is not part of a record of any model")
    if part_of_public and not getattr(model, "part_of", None):
        raise ValueError(f"{model.__name__} is not part of a record")
    condition = Q()
    if has_state(model):
        condition &= Q(state=State.PUBLISHED)
    for name in owner_fields(model):
        if part_of_public and name == model.part_of:
            continue
        field = model._meta.get_field(name)
        if isinstance(field, GenericForeignKey):
            condition &= _generic_public_condition(field, cited)
            continue
        related = field.related_model
        public = Exists(_public_rows(related).filter(pk=OuterRef(field.attname)))
        condition &= Q(**{f"{field.attname}__isnull": True}) | public if field.null else public
    if _cited_rule(model):
        from .sources import Citation

        cites = _public_rows(Citation).filter(source=OuterRef("pk"))
        if has_state(model):
            # Only a row not published itself needs a citation: said inside the EXISTS, it
            # makes PostgreSQL test the few such rows one by one (by the citations' index)
            # instead of first hashing every public citation to test each row against.
            cites = cites.filter(~Q(Exact(OuterRef("state"), State.PUBLISHED)))
        condition |= Exists(cites)
    return condition


def _public_rows(model):
    """The public rows of `model` by the condition itself (not the compiled `PublicRule`):
    what `public_condition` nests, so that a rule is compiled in one piece."""
    return model.objects.filter(public_condition(model))


class PublicRule(Expression):
    """`public_condition(model)` as a WHERE condition on the query's row of `model`, compiled
    once per model, database and content type ids (`compiled_public_condition`).

    The compiled SQL names the row by a marker, replaced by the query's alias for it; the
    aliases of its own subqueries are renamed apart from any Django gives (see
    `_rename_subquery_aliases`), so that the condition can sit in any query or subquery.
    """

    conditional = True
    output_field = models.BooleanField()

    def __init__(self, model, alias=None, cited=None, part_of_public=False):
        super().__init__()
        self.model = model
        self.alias = alias
        self.cited = cited  # see public_condition
        self.part_of_public = part_of_public

    def __repr__(self):
        cited = f", cited={self.cited.__name__}" if self.cited else ""
        part = ", part_of_public=True" if self.part_of_public else ""
        return f"{type(self).__name__}({self.model.__name__}, {self.alias!r}{cited}{part})"

    def resolve_expression(self, query=None, *args, **kwargs):
        resolved = self.copy()
        resolved.alias = query.get_initial_alias()
        return resolved

    def relabeled_clone(self, change_map):
        clone = self.copy()
        clone.alias = change_map.get(self.alias, self.alias)
        return clone

    def get_group_by_cols(self):
        return []

    def as_sql(self, compiler, connection):
        sql, params = compiled_public_condition(
            self.model, connection, self.cited, self.part_of_public
        )
        return sql.replace(_ROW, compiler.quote_name_unless_alias(self.alias)), list(params)


_ROW = "__public_row__"
# An alias Django gives a table of a subquery: a prefix of capitals and a number (U0, V1, AA2),
# written unquoted; names of tables and columns are quoted.
_SUBQUERY_ALIAS = re.compile(r'(?<![\w"])([A-Z]+[0-9]+)(?![\w"])')
_compiled = {}


def compiled_public_condition(model, connection, cited=None, part_of_public=False):
    """(sql, params) of `public_condition(model, cited, part_of_public)`, with the row named
    `_ROW`.

    Kept per model (and its options) and database connection, and per the content type ids it
    names (a database that is flushed and filled again may number them anew)."""
    types = _content_type_ids(model, connection)
    key = (model, cited, part_of_public, connection.alias, connection.vendor, types)
    found = _compiled.get(key)
    if found is None:
        query = model.objects.filter(public_condition(model, cited, part_of_public)).query
        compiler = query.get_compiler(connection=connection)
        sql, params = compiler.compile(query.where)
        table = compiler.quote_name_unless_alias(model._meta.db_table)
        sql = _rename_subquery_aliases(sql).replace(f"{table}.", f"{_ROW}.")
        found = _compiled[key] = (sql, tuple(params))
    return found


def _rename_subquery_aliases(sql):
    """`U0` → `public_U0`…: the rule's subqueries then never hide an alias of the query
    around them (such as the row itself, when a subquery of Django's is named `U0` too)."""
    return _SUBQUERY_ALIAS.sub(r"public_\1", sql)


def _content_type_ids(model, connection):
    if not _names_content_types(model):
        return ()
    manager = ContentType.objects.db_manager(connection.alias)
    return tuple(manager.get_for_model(cited).pk for cited in cited_models())


class ContentTypeId(Expression):
    """The id of a model's content type, looked up (once, then cached by Django) when the query
    is compiled rather than when it is built: querysets are built at import time."""

    output_field = models.PositiveIntegerField()

    def __init__(self, model):
        super().__init__()
        self.model = model

    def as_sql(self, compiler, connection):
        manager = ContentType.objects.db_manager(connection.alias)
        return "%s", [manager.get_for_model(self.model).pk]


def _generic_public_condition(field, cited=None):
    """Public when the object the generic key points at is public, whatever its model (or, with
    `cited`, when it is a public record of that model)."""
    if cited is not None and cited not in cited_models():
        raise ValueError(f"{cited.__name__} records cite no sources")
    condition = Q(pk__in=[])
    for model in cited_models() if cited is None else (cited,):
        ct_column = field.model._meta.get_field(field.ct_field).attname
        condition |= Q(**{ct_column: ContentTypeId(model)}) & Exists(
            _public_rows(model).filter(pk=OuterRef(field.fk_field))
        )
    return condition


def is_public(record, ignoring=()):
    """Whether `record`, as it is in memory (e.g. a form's unsaved instance), is public.

    `ignoring` names owner fields to leave out, e.g. a charge's case when indexing the
    case itself. Related records are read through their attributes (a query each, unless
    loaded); a source asks the database whether a public citation cites it.
    """
    model = type(record)
    if _cited_rule(model) and record.pk is not None and record.state != State.PUBLISHED:
        from .sources import Citation

        return Citation.objects.published().filter(source=record.pk).exists()
    if has_state(model) and record.state != State.PUBLISHED:
        return False
    for name in owner_fields(model):
        if name in ignoring:
            continue
        field = model._meta.get_field(name)
        owner = getattr(record, name)
        if owner is None:
            if isinstance(field, GenericForeignKey) or not field.null:
                return False
            continue
        if not is_public(owner):
            return False
    return True


def public_without(source, citation):
    """Whether `source` stays public once `citation` no longer cites it."""
    from .sources import Citation

    if source.state == State.PUBLISHED:
        return True
    others = Citation.objects.published().filter(source=source).exclude(pk=citation.pk)
    return others.exists()


def _names_generic_owner(model):
    return any(
        isinstance(model._meta.get_field(name), GenericForeignKey) for name in owner_fields(model)
    )


@functools.cache
def _names_content_types(model):
    """Whether the rule of `model` reaches a citation, whose condition names content types."""
    from .sources import Citation

    return Citation in public_dependencies(model)
