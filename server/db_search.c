/* db_search.c: the SQL of /v1/search.
 *
 * Ranking is one UNION ALL over the eight FTS5 tables ordered by bm25, rather than eight
 * queries merged in C: SQLite sorts the union once, offset paging over one total order is
 * exact, and a type left out by `type=` costs nothing (its branch's constant guard on the
 * type mask is false, so its FTS table is never opened). bm25 scores of different tables
 * are computed over different corpora and so are only roughly comparable; titles and names
 * weigh more than running text, which is what a reader expects of a type-ahead box.
 *
 * The ranked set is bounded: each branch takes at most DB_SEARCH_MAX_CANDIDATES matches of
 * its table in index (rowid) order, and only those are scored and sorted. A word found in
 * most of a million interventions would otherwise be scored, sorted and counted in full
 * (seconds) to show twenty hits. When a type has fewer matches than the bound — every rare
 * word, every type of a small record — its ranking is exact; beyond it, the candidates are
 * the type's oldest matches, ranked. The candidate set depends only on the record, the
 * match and the type mask, so offset paging over it still visits every candidate once.
 * The count behind meta.total stops likewise at a cap (DB_SEARCH_COUNT_CAP + 1 rows).
 *
 * Snippets and references are read afterwards for the page only, one query per type with
 * the page's ids, so a common word costs one snippet per hit shown, not per hit found. */
#include "db_search.h"

#include "db_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The SQL below writes each type as its enum record_type value. */
_Static_assert(RECORD_ASSEMBLY == 0 && RECORD_TOPIC == 1 && RECORD_ORGANIZATION == 2 &&
                   RECORD_PERSON == 3 && RECORD_DOCUMENT == 4 && RECORD_SESSION == 5 &&
                   RECORD_INTERVENTION == 6 && RECORD_SIDE_EVENT == 7,
               "db_search.c's SQL numbers the types as enum record_type does");

/* ?1 match, ?2 type mask, ?5 the candidates per type. Each branch: type, id, score, over at
 * most ?5 matches of its table taken in rowid order (the LIMIT inside the branch stops the
 * FTS5 scan, so bm25 runs on those rows only). */
#define BRANCH(t, tbl, bit, score)                                                                 \
    "SELECT * FROM (SELECT " #t " AS t, rowid AS id, " score " AS score FROM " tbl                 \
    " WHERE (?2 & " #bit ") != 0 AND " tbl " MATCH ?1 LIMIT ?5)"
#define SEARCH_UNION                                                                               \
    BRANCH(0, "assemblies_fts", 1, "bm25(assemblies_fts, 5.0, 5.0, 1.0)") \
    " UNION ALL " BRANCH(1, "topics_fts", 2, "bm25(topics_fts)") \
    " UNION ALL " BRANCH(2, "organizations_fts", 4, "bm25(organizations_fts, 5.0, 5.0)") \
    " UNION ALL " BRANCH(3, "people_fts", 8, "bm25(people_fts)") \
    " UNION ALL " BRANCH(4, "documents_fts", 16, "bm25(documents_fts)") \
    " UNION ALL " BRANCH(5, "sessions_fts", 32, "bm25(sessions_fts, 5.0, 3.0, 1.0, 1.0)") \
    " UNION ALL " BRANCH(6, "interventions_fts", 64, "bm25(interventions_fts, 1.0, 1.0, 2.0, 2.0)") \
    " UNION ALL " BRANCH(7, "side_events_fts", 128, "bm25(side_events_fts, 5.0, 1.0)")

/* ?1 match, ?2 type mask. Each branch: one row per match, no score. */
#define MATCHES(tbl, bit) "SELECT 1 FROM " tbl " WHERE (?2 & " #bit ") != 0 AND " tbl " MATCH ?1"
#define SEARCH_MATCHES                                                                             \
    MATCHES("assemblies_fts", 1) \
    " UNION ALL " MATCHES("topics_fts", 2) \
    " UNION ALL " MATCHES("organizations_fts", 4) \
    " UNION ALL " MATCHES("people_fts", 8) \
    " UNION ALL " MATCHES("documents_fts", 16) \
    " UNION ALL " MATCHES("sessions_fts", 32) \
    " UNION ALL " MATCHES("interventions_fts", 64) \
    " UNION ALL " MATCHES("side_events_fts", 128)

/* ?3 limit, ?4 offset, ?5 candidates per type. */
static const char sql_page[] =
    "SELECT t, id FROM (" SEARCH_UNION ") ORDER BY score, t, id LIMIT ?3 OFFSET ?4";

/* ?3 the most rows counted: the union stops there. */
static const char sql_count[] = "SELECT count(*) FROM (" SEARCH_MATCHES " LIMIT ?3)";

/* The snippet's arguments: the best column, the match markers, an ellipsis, ~12 tokens. */
#define SNIP(tbl) "snippet(" tbl ", -1, char(1), char(2), '…', 12)"
/* ?1 match, ?2 the page's ids of the type (a JSON array). */
#define ON_PAGE(tbl)                                                                               \
    " WHERE " tbl " MATCH ?1 AND " tbl ".rowid IN (SELECT value FROM json_each(?2))"

/* Per type: id, slug, name, kind, honorific, snippet. */
static const char *const sql_refs[RECORD_TYPE_COUNT] = {
    [RECORD_ASSEMBLY] = "SELECT a.id, a.slug, a.name, NULL, NULL, " SNIP(
        "assemblies_fts") " FROM assemblies_fts JOIN assemblies a ON a.id = "
                          "assemblies_fts.rowid" ON_PAGE("assemblies_fts"),
    [RECORD_TOPIC] = "SELECT x.id, x.slug, x.name, NULL, NULL, " SNIP(
        "topics_fts") " FROM topics_fts JOIN topics x ON x.id = topics_fts.rowid" ON_PAGE("topics_"
                                                                                          "fts"),
    [RECORD_ORGANIZATION] = "SELECT o.id, o.slug, o.name, o.kind, NULL, " SNIP(
        "organizations_fts") " FROM organizations_fts JOIN organizations o"
                             " ON o.id = organizations_fts.rowid" ON_PAGE("organizations_fts"),
    [RECORD_PERSON] = "SELECT p.id, p.slug, p.name, NULL, p.honorific, " SNIP(
        "people_fts") " FROM people_fts JOIN people p ON p.id = people_fts.rowid" ON_PAGE("people_"
                                                                                          "fts"),
    [RECORD_DOCUMENT] = "SELECT d.id, d.slug, d.title, d.kind, NULL, " SNIP(
        "documents_fts") " FROM documents_fts JOIN documents d ON d.id = "
                         "documents_fts.rowid" ON_PAGE("documents_fts"),
    [RECORD_SESSION] = "SELECT s.id, s.slug, s.title, s.kind, NULL, " SNIP(
        "sessions_fts") " FROM sessions_fts JOIN sessions s ON s.id = "
                        "sessions_fts.rowid" ON_PAGE("sessions_fts"),
    /* The label matches the compact reference other answers give an intervention. */
    [RECORD_INTERVENTION] =
        "SELECT i.id, NULL, coalesce(p.name, o.name, '') || ' — ' || s.title || ', ' || "
        "i.position, NULL, NULL, " SNIP(
            "interventions_fts") " FROM interventions_fts JOIN interventions i ON i.id = "
                                 "interventions_fts.rowid"
                                 " JOIN sessions s ON s.id = i.session_id"
                                 " LEFT JOIN people p ON p.id = i.speaker_id"
                                 " LEFT JOIN organizations o ON o.id = i.organization_id" ON_PAGE(
                                     "interventions_fts"),
    [RECORD_SIDE_EVENT] = "SELECT e.id, e.slug, e.title, NULL, NULL, " SNIP(
        "side_events_fts") " FROM side_events_fts JOIN side_events e"
                           " ON e.id = side_events_fts.rowid" ON_PAGE("side_events_fts"),
};

void db_search_hits_free(struct db_search_hit *hits, size_t count) {
    for (size_t i = 0; i < count; i++) {
        free(hits[i].slug);
        free(hits[i].name);
        free(hits[i].kind);
        free(hits[i].honorific);
        free(hits[i].snippet);
        hits[i].slug = hits[i].name = hits[i].kind = hits[i].honorific = hits[i].snippet = NULL;
    }
}

int64_t db_search_count(struct db *db, const char *match, unsigned type_mask, int64_t cap,
                        struct db_error *err) {
    sqlite3_stmt *st = db_prepare(db, sql_count);
    if (st == NULL) {
        db_fail(db, err, "search count: prepare");
        return -1;
    }
    int64_t n = -1;
    if (sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_bind_int64(st, 2, type_mask) == SQLITE_OK &&
        sqlite3_bind_int64(st, 3, cap < INT64_MAX ? cap + 1 : cap) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    else
        db_fail(db, err, "search count");
    db_done(st);
    return n;
}

/* A column's text copied (NULL for SQL NULL); *oom set when the copy fails. */
static char *column_dup(sqlite3_stmt *st, int col, int *oom) {
    const unsigned char *text = sqlite3_column_text(st, col);
    if (text == NULL)
        return NULL;
    char *copy = strdup((const char *)text);
    if (copy == NULL)
        *oom = 1;
    return copy;
}

/* Fills the references and snippets of the page's hits of one type. Returns 0 or -1. */
static int fill_type(struct db *db, const char *match, enum record_type type,
                     struct db_search_hit *hits, size_t count, struct db_error *err) {
    /* the page's ids of this type as a JSON array: at most 500 ids of 20 digits */
    size_t cap = count * 22 + 3;
    char *ids = malloc(cap);
    if (ids == NULL) {
        db_error_set(err, -1, "search: out of memory");
        return -1;
    }
    size_t used = 0;
    ids[used++] = '[';
    for (size_t i = 0; i < count; i++) {
        if (hits[i].type != type)
            continue;
        int n =
            snprintf(ids + used, cap - used, "%s%lld", used > 1 ? "," : "", (long long)hits[i].id);
        if (n < 0 || (size_t)n >= cap - used) {
            free(ids);
            db_error_set(err, -1, "search: id list overflow");
            return -1;
        }
        used += (size_t)n;
    }
    ids[used++] = ']';
    ids[used] = '\0';

    int rc = -1;
    sqlite3_stmt *st = db_prepare(db, sql_refs[type]);
    if (st == NULL) {
        db_fail(db, err, "search refs: prepare");
        goto done;
    }
    if (sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(st, 2, ids, (int)used, SQLITE_STATIC) != SQLITE_OK) {
        db_fail(db, err, "search refs: bind");
        goto done;
    }
    int step;
    int oom = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        for (size_t i = 0; i < count; i++) {
            struct db_search_hit *h = &hits[i];
            if (h->type != type || h->id != id || h->name != NULL)
                continue;
            h->slug = column_dup(st, 1, &oom);
            h->name = column_dup(st, 2, &oom);
            h->kind = column_dup(st, 3, &oom);
            h->honorific = column_dup(st, 4, &oom);
            h->snippet = column_dup(st, 5, &oom);
            break;
        }
    }
    if (step != SQLITE_DONE) {
        db_fail(db, err, "search refs");
        goto done;
    }
    if (oom) {
        db_error_set(err, -1, "search: out of memory");
        goto done;
    }
    rc = 0;
done:
    db_done(st);
    free(ids);
    return rc;
}

int db_search_page(struct db *db, const char *match, unsigned type_mask, size_t limit,
                   int64_t offset, struct db_search_hit *hits, size_t *count,
                   struct db_error *err) {
    assert(match != NULL && hits != NULL && count != NULL);
    *count = 0;
    sqlite3_stmt *st = db_prepare(db, sql_page);
    if (st == NULL) {
        db_fail(db, err, "search: prepare");
        return -1;
    }
    if (sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int64(st, 2, type_mask) != SQLITE_OK ||
        sqlite3_bind_int64(st, 3, (sqlite3_int64)limit) != SQLITE_OK ||
        sqlite3_bind_int64(st, 4, offset) != SQLITE_OK ||
        sqlite3_bind_int64(st, 5, DB_SEARCH_MAX_CANDIDATES) != SQLITE_OK) {
        db_fail(db, err, "search: bind");
        db_done(st);
        return -1;
    }
    int step = SQLITE_DONE;
    size_t n = 0;
    while (n < limit && (step = sqlite3_step(st)) == SQLITE_ROW) {
        int t = sqlite3_column_int(st, 0);
        if (t < 0 || t >= RECORD_TYPE_COUNT)
            continue;
        memset(&hits[n], 0, sizeof hits[n]);
        hits[n].type = (enum record_type)t;
        hits[n].id = sqlite3_column_int64(st, 1);
        n++;
    }
    if (n < limit && step != SQLITE_DONE) {
        db_fail(db, err, "search");
        db_done(st);
        return -1;
    }
    db_done(st);
    *count = n;

    for (int t = 0; t < RECORD_TYPE_COUNT; t++) {
        int present = 0;
        for (size_t i = 0; i < n && !present; i++)
            present = hits[i].type == (enum record_type)t;
        if (present && fill_type(db, match, (enum record_type)t, hits, n, err) != 0) {
            db_search_hits_free(hits, n);
            *count = 0;
            return -1;
        }
    }
    return 0;
}
