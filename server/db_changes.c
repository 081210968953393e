/* db_changes.c: the SQL of the change log — the newest change of each type (for the
 * response cache and Last-Modified) and pages of the feed behind /v1/changes. */
#include "changes.h"

#include "db_internal.h"
#include "record.h"

#include <stdio.h>
#include <string.h>

static const char sql_type_latest[] =
    "SELECT revision, CAST(strftime('%s', at) AS INTEGER) FROM changes WHERE type = ?1 "
    "ORDER BY revision DESC LIMIT 1";

int db_changes_latest(struct db *db, struct type_latest out[RECORD_TYPE_COUNT]) {
    sqlite3_stmt *st = db_prepare(db, sql_type_latest);
    if (st == NULL)
        return -1;
    for (int t = 0; t < RECORD_TYPE_COUNT; t++) {
        out[t].revision = 0;
        out[t].at = 0;
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, record_type_info((enum record_type)t)->name, -1,
                          SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            out[t].revision = sqlite3_column_int64(st, 0);
            out[t].at = (time_t)sqlite3_column_int64(st, 1);
        } else if (rc != SQLITE_DONE) {
            db_done(st);
            return -1;
        }
    }
    db_done(st);
    return 0;
}

/* The feed: rows after a sequence number, of the types in a JSON array (or all when NULL). */
static const char sql_changes_page[] =
    "SELECT seq, revision, at, op, type, resource_id, slug FROM changes "
    "WHERE revision > ?1 AND seq > ?2 "
    "AND (?3 IS NULL OR type IN (SELECT value FROM json_each(?3))) "
    "ORDER BY seq LIMIT ?4";

static const char sql_changes_count[] =
    "SELECT count(*) FROM changes WHERE revision > ?1 "
    "AND (?2 IS NULL OR type IN (SELECT value FROM json_each(?2)))";

/* The current name of a resource, for its compact reference (NULL once deleted). */
static const char *const sql_name[RECORD_TYPE_COUNT] = {
    [RECORD_ASSEMBLY] = "SELECT name FROM assemblies WHERE id = ?1",
    [RECORD_TOPIC] = "SELECT name FROM topics WHERE id = ?1",
    [RECORD_ORGANIZATION] = "SELECT name FROM organizations WHERE id = ?1",
    [RECORD_PERSON] = "SELECT name FROM people WHERE id = ?1",
    [RECORD_DOCUMENT] = "SELECT title FROM documents WHERE id = ?1",
    [RECORD_SESSION] = "SELECT title FROM sessions WHERE id = ?1",
    [RECORD_INTERVENTION] =
        "SELECT coalesce(p.name, o.name, '') || ' — ' || s.title || ', ' || i.position "
        "FROM interventions i JOIN sessions s ON s.id = i.session_id "
        "LEFT JOIN people p ON p.id = i.speaker_id "
        "LEFT JOIN organizations o ON o.id = i.organization_id WHERE i.id = ?1",
    [RECORD_SIDE_EVENT] = "SELECT title FROM side_events WHERE id = ?1",
};

static void current_name(struct db *db, enum record_type type, int64_t id, char *buf,
                         size_t size) {
    buf[0] = '\0';
    sqlite3_stmt *st = db_prepare(db, sql_name[type]);
    if (st == NULL)
        return;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(buf, size, "%s", (const char *)sqlite3_column_text(st, 0));
    db_done(st);
}

int db_changes_page(struct db *db, int64_t since, const char *types_json, int64_t after_seq,
                    size_t limit, int (*each)(void *ctx, const struct change_row *row),
                    void *ctx) {
    sqlite3_stmt *st = db_prepare(db, sql_changes_page);
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, since);
    sqlite3_bind_int64(st, 2, after_seq);
    if (types_json)
        sqlite3_bind_text(st, 3, types_json, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)limit);
    /* rows are copied out first: the name lookups below use other statements */
    static _Thread_local struct change_row rows[CHANGES_MAX_PAGE + 1];
    size_t n = 0;
    int rc;
    while (n < CHANGES_MAX_PAGE + 1 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct change_row *r = &rows[n++];
        memset(r, 0, sizeof *r);
        r->seq = sqlite3_column_int64(st, 0);
        r->revision = sqlite3_column_int64(st, 1);
        snprintf(r->at, sizeof r->at, "%s", (const char *)sqlite3_column_text(st, 2));
        snprintf(r->op, sizeof r->op, "%s", (const char *)sqlite3_column_text(st, 3));
        enum record_type type = RECORD_TYPE_COUNT;
        record_type_parse((const char *)sqlite3_column_text(st, 4), &type);
        r->type = type;
        r->id = sqlite3_column_int64(st, 5);
        r->has_slug = sqlite3_column_type(st, 6) != SQLITE_NULL;
        if (r->has_slug)
            snprintf(r->slug, sizeof r->slug, "%s", (const char *)sqlite3_column_text(st, 6));
    }
    db_done(st);
    for (size_t i = 0; i < n; i++) {
        if (rows[i].type < RECORD_TYPE_COUNT && strcmp(rows[i].op, "delete") != 0)
            current_name(db, rows[i].type, rows[i].id, rows[i].name, sizeof rows[i].name);
        if (each(ctx, &rows[i]) != 0)
            break;
    }
    return 0;
}

int64_t db_changes_count(struct db *db, int64_t since, const char *types_json) {
    sqlite3_stmt *st = db_prepare(db, sql_changes_count);
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, since);
    if (types_json)
        sqlite3_bind_text(st, 2, types_json, -1, SQLITE_TRANSIENT);
    int64_t count = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    db_done(st);
    return count;
}
