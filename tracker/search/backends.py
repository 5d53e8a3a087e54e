"""The full-text engines under the search: SQLite FTS5, or PostgreSQL full text with pg_trgm.

Both see the same normalised tokens (lower-case ASCII letters and digits, see
`tracker.search.text`), so a query is always built from safe tokens: nothing a
reader types is ever passed to the engine as syntax.

Each backend answers four questions:

- `matching_sql(kind, terms)`: SQL selecting the ids of every record of a kind
  that matches, for `pk__in` filters on list pages and exports.
- `counts(models, terms, cap)`: how many published records of each kind match,
  counted up to `cap` (one query for all kinds).
- `ranked(wanted, terms, limit)`: the best published matches of each wanted
  kind, in order, in one query (on PostgreSQL, up to two more per very common
  kind). Matches in names come first (an exact name, alias or number before
  the rest, then by relevance); then matches only in other text, by relevance.
  Past `cap` matches, where relevance would mean scoring every one, recency
  replaces it: for text matches on SQLite (most recently indexed first; FTS5
  scores names fast enough), for name and text matches on PostgreSQL (newest
  record first, exact names still leading). On SQLite only the best-scored
  RANKED_CANDIDATES of a tier are read from the entries (see `SQLiteBackend.ranked`);
  exact names are looked up by form (`SearchName`), so they lead however they score.
- `similar(words, kinds, limit)`: (kind, id) of records whose names are close to
  the words, for "did you mean".
"""

import difflib
import functools

from django.db import connection
from django.db.models.expressions import RawSQL

from tracker.models.public import public_dependencies
from tracker.models.search import SUGGESTED_KINDS

from . import text

SUGGEST_CANDIDATES = 50
# Matches of one tier scored by relevance that are read further (see SQLiteBackend.ranked).
RANKED_CANDIDATES = 200
# Past the count cap on PostgreSQL, name matches are first looked for among this many of the
# newest entries of a kind (see PostgresBackend._newest).
RECENT_ENTRIES = 2000
SUGGEST_MIN_SIMILARITY = 0.6


def _public(model):
    """SQL (and its parameters) true when the entry `e` is a public record of `model`.

    Compiled from `model.objects.published()`, so search follows the one rule of
    `tracker.models.public` rather than a copy of it; compiled once per database for rules
    that name no content type (compiling cost more than running the search's queries).
    """
    if _names_content_types(model):
        return _compile_public(model, connection.alias)
    return _compiled_public(model, connection.alias)


def _names_content_types(model):
    """Whether the rule reaches a citation, whose SQL holds content type ids (which a
    database that is flushed and filled again may number anew)."""
    from tracker.models import Citation

    return Citation in public_dependencies(model)


def _compile_public(model, alias):
    query = model.objects.published().filter(pk=RawSQL("e.object_id", ())).order_by().values("pk")
    sql, params = query.query.get_compiler(using=alias).as_sql()
    return f"EXISTS ({sql})", list(params)


_compiled_public = functools.lru_cache(maxsize=None)(_compile_public)


# Where exact names sort among the scored name matches: after every scored one (scores are
# negative on both databases), so an exact name that was also scored keeps its place.
EXACT_SCORE = 1e9


def _exact_sql(kind, terms, alias="n"):
    """SQL (and its parameters) after FROM: the `SearchName` rows (as `alias`) of records of
    `kind` one of whose names is, as a whole, the query (one lookup in the (kind, form) index).
    """
    forms = text.exact_forms(terms) or [""]
    placeholders = ", ".join(["%s"] * len(forms))
    sql = (
        f"tracker_searchname {alias} "
        f"WHERE {alias}.kind = '{kind}' AND {alias}.form IN ({placeholders})"
    )
    return sql, list(forms)


def _is_exact(kind, terms):
    """Whether the entry `e` is a record one of whose names is, as a whole, the query."""
    names, params = _exact_sql(kind, terms)
    return f"e.object_id IN (SELECT n.object_id FROM {names})", params


def _fetch(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _counts(parts, params):
    return dict(_fetch(" UNION ALL ".join(parts), params))


def _ranked_by_kind(parts, limit):
    """Run per-kind ranking SQL as one query; rows are (kind, object_id, tier, sub, score)."""
    if not parts:
        return {}
    sql = " UNION ALL ".join(part for part, _ in parts)
    params = [param for _, part_params in parts for param in part_params]
    rows = sorted(_fetch(sql, params), key=lambda row: (row[2], row[3], row[4]))
    found = {}
    for kind, object_id, *_ in rows:
        ids = found.setdefault(kind, [])
        if object_id not in ids and len(ids) < limit:
            ids.append(object_id)
    return found


class SQLiteBackend:
    """FTS5 tables per kind (created by migration 0002), kept in step by triggers."""

    @staticmethod
    def table(kind):
        return f"tracker_fts_{kind}"

    @staticmethod
    def _term(term):
        phrase = '"' + " ".join(term.parts) + '"'
        if term.phrase:
            return phrase
        star = "*" if term.prefix else ""
        options = [phrase + star] if len(term.parts) == 1 else [phrase, f'"{term.joined}"{star}']
        options.append(f'"{term.key}"{star}')
        return "(" + " OR ".join(dict.fromkeys(options)) + ")"

    def expression(self, terms):
        return " AND ".join(self._term(term) for term in terms)

    def matching_sql(self, kind, terms):
        fts = self.table(kind)
        sql = (
            f"SELECT e.object_id FROM {fts} f JOIN tracker_searchentry e ON e.id = f.rowid "
            f"WHERE {fts} MATCH %s"
        )
        return sql, [self.expression(terms)]

    def counts(self, models, terms, cap):
        parts, params, expression = [], [], self.expression(terms)
        for kind, model in models.items():
            fts = self.table(kind)
            public, public_params = _public(model)
            parts.append(
                f"SELECT '{kind}', COUNT(*) FROM (SELECT 1 FROM {fts} f "
                f"JOIN tracker_searchentry e ON e.id = f.rowid "
                f"WHERE {fts} MATCH %s AND {public} LIMIT {int(cap)})"
            )
            params += [expression, *public_params]
        return _counts(parts, params)

    def ranked(self, wanted, terms, limit, exhaustive=False):
        """{kind: ids} for `wanted` = {kind: (model, by_relevance)}, in one query.

        Relevance is scored by FTS5 alone, and only the best RANKED_CANDIDATES of a tier are
        then read from the entries (reading an entry costs more than scoring it) to be checked
        for an exact name and for being public. `exhaustive` reads every match instead, for
        when those candidates left a tier short (see `find`).
        """
        expression = self.expression(terms)
        names = f"{{names keys}} : ({expression})"
        candidates = "" if exhaustive else f"LIMIT {int(RANKED_CANDIDATES)}"
        parts = []
        for kind, (model, by_relevance) in wanted.items():
            fts = self.table(kind)
            public, public_params = _public(model)
            exact, exact_params = _is_exact(kind, terms)
            exact_names, exact_names_params = _exact_sql(kind, terms, alias="e")
            weights = f"bm25({fts}, 10.0, 4.0, 1.0)"

            # The best-scored matches, from the full-text index alone; then the entries.
            best = (
                f"FROM (SELECT rowid, {weights} AS score FROM {fts} WHERE {fts} MATCH %s "
                f"ORDER BY score, rowid {candidates}) best "
                f"JOIN tracker_searchentry e ON e.id = best.rowid WHERE"
            )
            names_sql = f"""
                SELECT e.object_id AS object_id, 0 AS tier,
                    CASE WHEN {exact} THEN 0 ELSE 1 END AS sub, best.score AS score
                {best} {public} ORDER BY sub, score, best.rowid LIMIT %s
            """
            if by_relevance:
                # Scored as matches of the whole query: a row matching in other text only
                # scores the same as for the query "not in names", which FTS5 scores slower.
                other_sql = f"""
                    SELECT e.object_id, 1, 0, best.score {best}
                    best.rowid NOT IN (SELECT rowid FROM {fts} WHERE {fts} MATCH %s)
                    AND {public} ORDER BY score, best.rowid LIMIT %s
                """
                other_params = [expression, names, *public_params, limit]
            else:
                # Ordering by rowid lets FTS5 stop after `limit` rows; bm25 must score every match.
                other_sql = f"""
                    SELECT e.object_id, 1, 0, -f.rowid
                    FROM {fts} f JOIN tracker_searchentry e ON e.id = f.rowid
                    WHERE {fts} MATCH %s AND {public} ORDER BY f.rowid DESC LIMIT %s
                """
                other_params = [f"({expression}) NOT {names}", *public_params, limit]
            # Exact names however they scored (found again among the candidates, they keep
            # their score). The unary + keeps SQLite on the (kind, form) index rather than
            # walking every name of the kind in object_id order.
            exact_sql = f"""
                SELECT e.object_id AS object_id, 0 AS tier, 0 AS sub, {EXACT_SCORE} AS score
                FROM {exact_names} AND {public}
                ORDER BY +e.object_id LIMIT %s
            """
            sql = f"""
                SELECT '{kind}', object_id, tier, sub, score FROM (
                    SELECT * FROM ({exact_sql})
                    UNION ALL
                    SELECT * FROM ({names_sql})
                    UNION ALL
                    SELECT * FROM ({other_sql})
                )
            """
            params = [*exact_names_params, *public_params, limit]
            params += [*exact_params, names, *public_params, limit, *other_params]
            parts.append((sql, params))
        return _ranked_by_kind(parts, limit)

    def similar(self, words, kinds=SUGGESTED_KINDS, limit=5):
        grams = list(dict.fromkeys(_trigrams(words)))[:40]
        if not grams:
            return []
        wanted = ",".join(f"'{kind}'" for kind in kinds)
        sql = f"""
            SELECT e.kind, e.object_id, e.names FROM tracker_fts_trigram t
            JOIN tracker_searchentry e ON e.id = t.rowid
            WHERE tracker_fts_trigram MATCH %s AND e.kind IN ({wanted})
            ORDER BY bm25(tracker_fts_trigram), e.id
            LIMIT %s
        """
        expression = " OR ".join(f'"{gram}"' for gram in grams)
        return _closest(words, sql, [expression, SUGGEST_CANDIDATES], limit)


class PostgresBackend:
    """Generated tsvectors (all text, weighted; names alone) with partial GIN indexes per kind."""

    @staticmethod
    def _term(term):
        phrase = " <-> ".join(term.parts)
        if term.phrase:
            return phrase
        star = ":*" if term.prefix else ""
        options = [phrase + star] if len(term.parts) == 1 else [phrase, term.joined + star]
        options.append(term.key + star)
        return "(" + " | ".join(dict.fromkeys(options)) + ")"

    def expression(self, terms):
        return " & ".join(self._term(term) for term in terms)

    def matching_sql(self, kind, terms):
        sql = (
            "SELECT e.object_id FROM tracker_searchentry e "
            f"WHERE e.kind = '{kind}' AND e.document @@ to_tsquery('simple', %s)"
        )
        return sql, [self.expression(terms)]

    def counts(self, models, terms, cap):
        parts, params, expression = [], [], self.expression(terms)
        for kind, model in models.items():
            public, public_params = _public(model)
            parts.append(
                f"(SELECT '{kind}', COUNT(*) FROM (SELECT 1 FROM tracker_searchentry e "
                f"WHERE e.kind = '{kind}' AND {public} "
                f"AND e.document @@ to_tsquery('simple', %s) LIMIT {int(cap)}) found)"
            )
            params += [*public_params, expression]
        return _counts(parts, params)

    def ranked(self, wanted, terms, limit, exhaustive=False):
        """{kind: ids} for `wanted` = {kind: (model, by_relevance)}, in one query.

        Every match is considered (`exhaustive` is for the SQLite backend's candidates)."""
        query = "to_tsquery('simple', %s)"
        expression = self.expression(terms)
        parts = []
        for kind, (model, by_relevance) in wanted.items():
            if not by_relevance:
                parts.append(self._newest(kind, terms, model, limit))
                continue
            public, public_params = _public(model)
            exact, exact_params = _is_exact(kind, terms)
            # Ranked by relevance only under the count cap, so the matches are few: they are
            # found first, through the full-text indexes, and only they are checked and scored.
            # Left to itself, the planner could walk every entry of the kind in id order to
            # join it to the public records, testing each (about 5 ms for a name's text tier).
            sql = f"""
                SELECT '{kind}', object_id, tier, sub, score FROM (
                    WITH matches AS MATERIALIZED (
                        SELECT e.id, e.object_id, e.document, e.names_document
                        FROM tracker_searchentry e WHERE e.kind = '{kind}'
                        AND (e.names_document @@ {query} OR e.document @@ {query})
                    )
                    (SELECT e.object_id, 0 AS tier, CASE WHEN {exact} THEN 0 ELSE 1 END AS sub,
                        -ts_rank(e.names_document, {query}) AS score
                     FROM matches e WHERE e.names_document @@ {query} AND {public}
                     ORDER BY sub, score, e.id LIMIT %s)
                    UNION ALL
                    (SELECT e.object_id, 1, 0, -ts_rank(e.document, {query})
                     FROM matches e
                     WHERE e.document @@ {query} AND NOT e.names_document @@ {query} AND {public}
                     ORDER BY 4, e.id DESC LIMIT %s)
                ) ranked_{kind}
            """
            params = [expression, expression]
            params += [*exact_params, expression, expression, *public_params, limit]
            params += [expression, expression, expression, *public_params, limit]
            parts.append((sql, params))
        return _ranked_by_kind(parts, limit)

    def _newest(self, kind, terms, model, limit):
        """SQL (and parameters) ranking exact names, then other name matches, then text
        matches, newest records first: a part of `ranked`'s query.

        For words so common that scoring every match would cost more than the page:
        exact names come from the index over their forms (`SearchName`); name matches are
        looked for among the RECENT_ENTRIES newest entries of the kind (walking the
        (kind, object_id) index backwards), and only when those hold too few, among every
        match through the full-text index (fast then: matches are few). Text matches are
        looked for only when names leave room, walking the index backwards until `limit`
        are found (past the count cap they are many). PostgreSQL checks each "only when"
        once, before the scan it guards.
        """
        public, public_params = _public(model)
        rows = f"FROM tracker_searchentry e WHERE e.kind = '{kind}' AND {public}"
        query = "to_tsquery('simple', %s)"
        expression = self.expression(terms)
        exact_names, exact_params = _exact_sql(kind, terms, alias="e")
        sql = f"""
            SELECT '{kind}', object_id, tier, sub, score FROM (
                WITH recent AS MATERIALIZED (
                    SELECT e.object_id FROM (
                        SELECT object_id, names_document FROM tracker_searchentry
                        WHERE kind = '{kind}' ORDER BY object_id DESC LIMIT {RECENT_ENTRIES}
                    ) e WHERE e.names_document @@ {query} AND {public}
                    ORDER BY e.object_id DESC LIMIT %s
                ), names AS MATERIALIZED (
                    (SELECT e.object_id, 0 AS tier, 0 AS sub, -e.object_id AS score
                     FROM {exact_names} AND {public} ORDER BY e.object_id DESC LIMIT %s)
                    UNION ALL
                    SELECT object_id, 0, 1, -object_id FROM recent
                    UNION ALL
                    (SELECT e.object_id, 0, 1, -e.object_id {rows}
                     AND (SELECT COUNT(*) FROM recent) < %s AND e.names_document @@ {query}
                     ORDER BY e.object_id + 0 DESC LIMIT %s)
                )
                SELECT * FROM names
                UNION ALL
                (SELECT e.object_id, 1, 0, -e.object_id {rows}
                 AND (SELECT COUNT(DISTINCT object_id) FROM names) < %s
                 AND e.document @@ {query} AND NOT e.names_document @@ {query}
                 ORDER BY e.object_id DESC LIMIT %s)
            ) newest_{kind}
        """
        params = [expression, *public_params, limit]
        params += [*exact_params, *public_params, limit]
        params += [*public_params, limit, expression, limit]
        params += [*public_params, limit, expression, expression, limit]
        return sql, params

    def similar(self, words, kinds=SUGGESTED_KINDS, limit=5):
        # Any one word close to a name makes a candidate (through the trigram index); the
        # candidates are then scored on the whole query, as on SQLite.
        words = [word for word in words if len(word) >= 3]
        if not words:
            return []
        wanted = ",".join(f"'{kind}'" for kind in kinds)
        close = " OR ".join(["%s <%% e.names"] * len(words))
        sql = f"""
            SELECT e.kind, e.object_id, e.names FROM tracker_searchentry e
            WHERE e.kind IN ({wanted}) AND ({close})
            ORDER BY word_similarity(%s, e.names) DESC, e.id
            LIMIT %s
        """
        params = [*words, " ".join(words), SUGGEST_CANDIDATES]
        return _closest(words, sql, params, limit)


def _closest(words, sql, params, limit):
    """(kind, id) of the candidates the SQL finds whose names are close enough, closest first."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    query = " ".join(words)
    scored = [(_closeness(query, names), kind, pk) for kind, pk, names in rows]
    scored = [row for row in scored if row[0] >= SUGGEST_MIN_SIMILARITY]
    scored.sort(key=lambda row: -row[0])
    return [(kind, pk) for _, kind, pk in scored[:limit]]


def _trigrams(words):
    for word in words:
        for start in range(len(word) - 2):
            yield word[start : start + 3]


def _closeness(query, names):
    """How close the query is to the closest of the names, or to a run of words in one (0..1).

    Below SUGGEST_MIN_SIMILARITY the value only says "not close": candidates whose upper
    bounds (lengths, then letters) cannot beat the best so far or reach that are not compared.
    """
    best = 0.0
    size = len(query.split())
    matcher = difflib.SequenceMatcher(None, query)
    for name in names.split(" | "):
        words = name.split()
        candidates = [name] + [
            " ".join(words[i : i + size]) for i in range(max(len(words) - size + 1, 0))
        ]
        for candidate in candidates:
            floor = max(best, SUGGEST_MIN_SIMILARITY)
            lengths = len(query) + len(candidate)
            if not lengths or 2 * min(len(query), len(candidate)) / lengths < floor:
                continue
            matcher.set_seq2(candidate)
            if matcher.quick_ratio() >= floor:
                best = max(best, matcher.ratio())
    return best


def backend():
    return PostgresBackend() if connection.vendor == "postgresql" else SQLiteBackend()
