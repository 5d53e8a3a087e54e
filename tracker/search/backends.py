"""The full-text engines under the search: SQLite FTS5, or PostgreSQL full text with pg_trgm.

Both see the same normalised tokens (lower-case ASCII letters and digits, see
`tracker.search.text`), so a query is always built from safe tokens: nothing a
reader types is ever passed to the engine as syntax.

Each backend answers three questions:

- `matching_sql(kind, terms)`: SQL selecting the ids of every record of a kind
  that matches, for `pk__in` filters on list pages and exports.
- `ranked(kind, terms, table, limit)`: the best published matches, in order —
  exact name/alias/number first, then matches in names, then matches in other
  text, each by the engine's relevance — and how many published records match.
- `similar(words, kinds, limit)`: (kind, id) of records whose names are close to
  the words, for "did you mean".
"""

import difflib

from django.db import connection

from tracker.choices import State
from tracker.models.search import SUGGESTED_KINDS

from . import text

NAME_COLUMNS = "{names keys}"  # FTS5 column filter: the name columns only
SUGGEST_CANDIDATES = 50
SUGGEST_MIN_SIMILARITY = 0.6


def _published_join(table, public):
    if not public:
        return "", []
    return f"JOIN {table} m ON m.id = e.object_id AND m.state = %s", [State.PUBLISHED]


def _exact_sql(terms):
    """Whether the query is, as a whole, one of the record's names (forms hold only a-z0-9 )."""
    forms = text.exact_forms(terms)
    sql = " OR ".join(["e.exact LIKE %s"] * len(forms)) or "1 = 0"
    return sql, [f"%|{form}|%" for form in forms]


class SQLiteBackend:
    """FTS5 tables per kind (created by migration 0002), kept in step by triggers."""

    @staticmethod
    def table(kind):
        return f"tracker_fts_{kind}"

    @staticmethod
    def _term(term):
        if term.phrase:
            return '"' + " ".join(term.parts) + '"'
        options = ['"' + " ".join(term.parts) + '"' + ("*" if term.prefix else "")]
        if len(term.parts) > 1:
            options.append(f'"{term.joined}"*')
        if term.prefix and term.key != term.joined:
            options.append(f'"{term.key}"*')
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

    def ranked(self, kind, terms, table, limit, public=True):
        fts = self.table(kind)
        expression = self.expression(terms)
        exact, exact_params = _exact_sql(terms)
        join, join_params = _published_join(table, public)
        # FTS5's bm25() cannot be used next to a window function, hence the inner query.
        sql = f"""
            SELECT object_id, COUNT(*) OVER () FROM (
                SELECT e.object_id AS object_id,
                    CASE WHEN {exact} THEN 0
                         WHEN f.rowid IN (SELECT rowid FROM {fts} WHERE {fts} MATCH %s) THEN 1
                         ELSE 2 END AS tier,
                    bm25({fts}, 10.0, 4.0, 1.0) AS score
                FROM {fts} f
                JOIN tracker_searchentry e ON e.id = f.rowid
                {join}
                WHERE {fts} MATCH %s
            )
            ORDER BY tier, score, object_id
            LIMIT %s
        """
        params = [*exact_params, f"{NAME_COLUMNS} : ({expression})", *join_params, expression]
        params.append(limit)
        return _ids_and_count(sql, params)

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
    """A generated, weighted tsvector with a partial GIN index per kind; pg_trgm for names."""

    @staticmethod
    def _term(term, weights=""):
        if term.phrase:
            return " <-> ".join(f"{part}:{weights}" if weights else part for part in term.parts)
        star = ":*" + weights if term.prefix else (":" + weights if weights else "")
        options = [" <-> ".join(term.parts[:-1] + (term.parts[-1] + star,))]
        if len(term.parts) > 1:
            options.append(f"{term.joined}:*{weights}")
        if term.prefix and term.key != term.joined:
            options.append(f"{term.key}:*{weights}")
        return "(" + " | ".join(dict.fromkeys(options)) + ")"

    def expression(self, terms, weights=""):
        return " & ".join(self._term(term, weights) for term in terms)

    def matching_sql(self, kind, terms):
        sql = (
            "SELECT e.object_id FROM tracker_searchentry e "
            f"WHERE e.kind = '{kind}' AND e.document @@ to_tsquery('simple', %s)"
        )
        return sql, [self.expression(terms)]

    def ranked(self, kind, terms, table, limit, public=True):
        expression = self.expression(terms)
        exact, exact_params = _exact_sql(terms)
        join, join_params = _published_join(table, public)
        sql = f"""
            SELECT e.object_id, COUNT(*) OVER () FROM tracker_searchentry e
            {join}
            WHERE e.kind = '{kind}' AND e.document @@ to_tsquery('simple', %s)
            ORDER BY
                CASE WHEN {exact} THEN 0
                     WHEN e.document @@ to_tsquery('simple', %s) THEN 1
                     ELSE 2 END,
                ts_rank(e.document, to_tsquery('simple', %s)) DESC, e.object_id
            LIMIT %s
        """
        params = [*join_params, expression, *exact_params]
        params += [self.expression(terms, weights="AB"), expression, limit]
        return _ids_and_count(sql, params)

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


def _ids_and_count(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [row[0] for row in rows], (rows[0][1] if rows else 0)


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
    """How close the query is to the closest of the names, or to a run of words in one (0..1)."""
    best = 0.0
    size = len(query.split())
    for name in names.split(" | "):
        words = name.split()
        candidates = [name] + [
            " ".join(words[i : i + size]) for i in range(max(len(words) - size + 1, 0))
        ]
        for candidate in candidates:
            best = max(best, difflib.SequenceMatcher(None, query, candidate).ratio())
    return best


def backend():
    return PostgresBackend() if connection.vendor == "postgresql" else SQLiteBackend()
