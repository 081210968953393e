/* test_record.c: unit tests of record.c and record_doc.c: validation of one resource (with
 * JSON pointers), import (counts, one revision, unchanged resources left alone, reordering,
 * dropped segments), invalid documents changing nothing, round trips byte for byte on the
 * real fixtures and on tests/unit/data/record-small.json, and upsert/delete for the API.
 * Arguments: the fixtures document, then the small document. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "scratch.h"

#include "db.h"
#include "db_internal.h"
#include "record.h"

static const char *fixtures_path = "fixtures/record.json";
static const char *small_path = "tests/unit/data/record-small.json";

/* A database file of its own per test, and the small document's bytes. */
struct fixture {
    char path[64]; /* the database file */
    struct db *db; /* read-write connection */
    char *small;   /* the small document */
    size_t small_len;
};

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static struct db *fresh_db(char *path, size_t size) {
    snprintf(path, size, "/tmp/plenary-test-record-XXXXXX");
    assert_int_equal(scratch_file(path), 0);
    struct db_error err = {0};
    struct db *db = db_open(path, DB_READ_WRITE, &err);
    assert_non_null(db);
    assert_int_equal(db_migrate(db, &err), 0);
    return db;
}

static void drop_db(struct db *db, const char *path) {
    db_close(db);
    scratch_db_remove(path);
}

static int setup(void **state) {
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->db = fresh_db(f->path, sizeof f->path);
    f->small = read_file(small_path, &f->small_len);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    struct fixture *f = *state;
    drop_db(f->db, f->path);
    free(f->small);
    free(f);
    return 0;
}

static int64_t scalar(struct db *db, const char *sql) {
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db_handle(db), sql, -1, &stmt, NULL), SQLITE_OK);
    int64_t v = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
    sqlite3_finalize(stmt);
    return v;
}

/* Checks that every full-text index agrees with its content and none is left paused. */
static void check_fts(struct db *db) {
    static const char *const checks[] = {
        "INSERT INTO assemblies_fts (assemblies_fts) VALUES ('integrity-check')",
        "INSERT INTO topics_fts (topics_fts) VALUES ('integrity-check')",
        "INSERT INTO organizations_fts (organizations_fts) VALUES ('integrity-check')",
        "INSERT INTO people_fts (people_fts) VALUES ('integrity-check')",
        "INSERT INTO documents_fts (documents_fts) VALUES ('integrity-check')",
        "INSERT INTO side_events_fts (side_events_fts) VALUES ('integrity-check')",
        "INSERT INTO interventions_fts (interventions_fts) VALUES ('integrity-check')",
        "INSERT INTO sessions_fts (sessions_fts) VALUES ('integrity-check')",
    };
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++)
        assert_int_equal(sqlite3_exec(db_handle(db), checks[i], NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(scalar(db, "SELECT fts_paused FROM meta"), 0);
}

/* Imports buf and expects success; returns the result. */
static struct record_import_result import_ok(struct db *db, const char *buf, size_t len) {
    struct problem p = {0};
    struct db_error err = {0};
    struct record_import_result r;
    int rc = record_import(db, buf, len, NULL, &r, &p, &err);
    if (rc != 0) {
        for (size_t i = 0; i < p.error_count; i++)
            fprintf(stderr, "%s: %s\n", p.errors[i].where, p.errors[i].detail);
        fprintf(stderr, "%s / %s\n", p.detail, err.message);
    }
    assert_int_equal(rc, 0);
    return r;
}

/* Imports buf, expects failure, and returns the problem. */
static struct problem import_fails(struct db *db, const char *buf, size_t len) {
    struct problem p = {0};
    struct db_error err = {0};
    struct record_import_result r;
    assert_int_equal(record_import(db, buf, len, NULL, &r, &p, &err), -1);
    assert_int_not_equal(p.kind, PROBLEM_NONE);
    return p;
}

/* 1 when p has an error at pointer whose detail contains `text`. */
static int has_error(const struct problem *p, const char *pointer, const char *text) {
    for (size_t i = 0; i < p->error_count; i++)
        if (strcmp(p->errors[i].where, pointer) == 0 && strstr(p->errors[i].detail, text) != NULL)
            return 1;
    for (size_t i = 0; i < p->error_count; i++)
        fprintf(stderr, "  have %s: %s\n", p->errors[i].where, p->errors[i].detail);
    return 0;
}

/* Exports the database into a new buffer (caller frees). */
static char *export(struct db *db, size_t *len) {
    char *buf = NULL;
    FILE *out = open_memstream(&buf, len);
    assert_non_null(out);
    struct db_error err = {0};
    assert_int_equal(record_export(db, out, NULL, &err), 0);
    assert_int_equal(fclose(out), 0);
    return buf;
}

/* The small document with `edit` applied, as new bytes (caller frees). */
static char *edited(const struct fixture *f, void (*edit)(json_t *doc), size_t *len) {
    json_error_t e;
    json_t *doc = json_loadb(f->small, f->small_len, 0, &e);
    assert_non_null(doc);
    edit(doc);
    char *text = json_dumps(doc, JSON_PRESERVE_ORDER);
    assert_non_null(text);
    json_decref(doc);
    *len = strlen(text);
    return text;
}

static json_t *item(json_t *doc, const char *member, size_t index) {
    json_t *v = json_array_get(json_object_get(doc, member), index);
    assert_non_null(v);
    return v;
}

/* ---- validation --------------------------------------------------------------------------- */

static void test_validate_one(void **state) {
    (void)state;
    struct problem p = {0};
    json_t *org = json_pack("{s:i, s:s, s:s, s:s, s:n, s:s, s:n, s:b}", "id", 4, "slug", "redress",
                            "name", "Redress", "kind", "ngo", "acronym", "country_code", "GB",
                            "parent", "coalition_member", 1);
    assert_non_null(org);
    assert_int_equal(record_validate(RECORD_ORGANIZATION, org, 0, &p, ""), -1);
    assert_true(has_error(&p, "/country_code", "only states"));

    memset(&p, 0, sizeof p);
    json_object_set_new(org, "kind", json_string("company"));
    json_object_set_new(org, "country_code", json_string("XX"));
    json_object_set_new(org, "slug", json_string("Redress UK"));
    json_object_set_new(org, "founded", json_integer(1993));
    json_object_del(org, "acronym");
    assert_int_equal(record_validate(RECORD_ORGANIZATION, org, 0, &p, "/organizations/3"), -1);
    assert_int_equal(p.kind, PROBLEM_UNPROCESSABLE);
    assert_true(has_error(&p, "/organizations/3/kind", "state, court"));
    assert_true(has_error(&p, "/organizations/3/country_code", "ISO 3166-1"));
    assert_true(has_error(&p, "/organizations/3/slug", "slug"));
    assert_true(has_error(&p, "/organizations/3/founded", "not a field"));
    assert_true(has_error(&p, "/organizations/3/acronym", "missing"));
    json_decref(org);

    memset(&p, 0, sizeof p);
    json_t *session =
        json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:n, s:s, s:i, s:n, "
                  "s:[{s:i,s:i,s:s,s:n},{s:i,s:i,s:s,s:n}],"
                  " s:[], s:[s,s]}",
                  "id", 1, "slug", "s", "assembly", "asp20", "date", "2021-02-29", "kind",
                  "plenary", "title", "T", "theme", "part_of_day", "noon", "position", 0, "summary",
                  "segments", "id", 1, "position", 1, "title", "A", "summary", "id", 2, "position",
                  1, "title", "B", "summary", "documents", "topics", "cooperation", "cooperation");
    assert_non_null(session);
    assert_int_equal(record_validate(RECORD_SESSION, session, 0, &p, ""), -1);
    assert_true(has_error(&p, "/date", "calendar date"));
    assert_true(has_error(&p, "/part_of_day", "morning, afternoon or evening or null"));
    assert_true(has_error(&p, "/position", "from 1"));
    assert_true(has_error(&p, "/segments/1/position", "also the position of segment 0"));
    assert_true(has_error(&p, "/topics/1", "repeats item 0"));
    json_decref(session);

    memset(&p, 0, sizeof p);
    json_t *iv = json_pack("{s:n, s:s, s:n, s:i, s:n, s:n, s:n, s:[], s:s, s:[], s:[], s:s}", "id",
                           "session", "s", "segment", "position", 1, "speaker", "organization",
                           "role", "on_behalf_of", "summary", " \n ", "topics", "documents",
                           "statement_url", "ftp://example.org/x");
    assert_non_null(iv);
    assert_int_equal(record_validate(RECORD_INTERVENTION, iv, RECORD_ID_OPTIONAL, &p, ""), -1);
    assert_true(has_error(&p, "/summary", "visible text"));
    assert_true(has_error(&p, "/statement_url", "http"));
    memset(&p, 0, sizeof p);
    json_object_set_new(iv, "summary", json_null());
    json_object_set_new(iv, "statement_url", json_null());
    assert_int_equal(record_validate(RECORD_INTERVENTION, iv, RECORD_ID_OPTIONAL, &p, ""), -1);
    assert_true(has_error(&p, "/speaker", "a speaker, an organization, or both"));
    /* without RECORD_ID_OPTIONAL the id is required */
    memset(&p, 0, sizeof p);
    json_object_set_new(iv, "speaker", json_string("jane-doe"));
    assert_int_equal(record_validate(RECORD_INTERVENTION, iv, RECORD_ID_OPTIONAL, &p, ""), 0);
    assert_int_equal(record_validate(RECORD_INTERVENTION, iv, 0, &p, ""), -1);
    assert_true(has_error(&p, "/id", "must not be null"));
    json_decref(iv);

    enum record_type t;
    assert_int_equal(record_type_parse("side_event", &t), 0);
    assert_int_equal(t, RECORD_SIDE_EVENT);
    assert_string_equal(record_type_info(RECORD_PERSON)->member, "people");
    assert_int_equal(record_type_parse("segment", &t), -1);
}

/* ---- import -------------------------------------------------------------------------------- */

static void test_import_small(void **state) {
    struct fixture *f = *state;
    struct record_import_result r = import_ok(f->db, f->small, f->small_len);
    assert_int_equal(r.total.created, 26);
    assert_int_equal(r.total.updated, 0);
    assert_int_equal(r.total.unchanged, 0);
    assert_int_equal(r.types[RECORD_INTERVENTION].created, 4);
    assert_int_equal(r.revision, 1);
    assert_int_equal(db_revision(f->db), 1);
    /* one revision, one change-log row per resource, all creates */
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM changes"), 26);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM changes WHERE revision = 1 AND "
                                   "op = 'create'"),
                     26);
    assert_int_equal(record_count(f->db, RECORD_ORGANIZATION), 8);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM segments"), 2);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM side_event_hosts"), 3);
    /* a resource created with its lists is written once */
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM interventions WHERE "
                                   "created_at <> updated_at"),
                     0);
    /* references came in as slugs and ids */
    assert_int_equal(scalar(f->db, "SELECT parent_id FROM organizations WHERE id = 2"), 1);
    assert_int_equal(scalar(f->db, "SELECT parent_id FROM organizations WHERE id = 3"), 2);
    assert_int_equal(scalar(f->db, "SELECT segment_id FROM interventions WHERE id = 3"), 2);
    assert_int_equal(scalar(f->db, "SELECT organization_id FROM intervention_on_behalf_of "
                                   "WHERE intervention_id = 3 AND position = 2"),
                     4);

    /* searchable: the full-text indexes were rebuilt after the bulk write, and each merged
     * into one segment (every segment has an index row for its first leaf) */
    check_fts(f->db);
    static const char *const segments[] = {
        "SELECT count(DISTINCT segid) FROM assemblies_fts_idx",
        "SELECT count(DISTINCT segid) FROM topics_fts_idx",
        "SELECT count(DISTINCT segid) FROM organizations_fts_idx",
        "SELECT count(DISTINCT segid) FROM people_fts_idx",
        "SELECT count(DISTINCT segid) FROM documents_fts_idx",
        "SELECT count(DISTINCT segid) FROM sessions_fts_idx",
        "SELECT count(DISTINCT segid) FROM interventions_fts_idx",
        "SELECT count(DISTINCT segid) FROM side_events_fts_idx",
    };
    for (size_t i = 0; i < sizeof segments / sizeof segments[0]; i++)
        assert_int_equal(scalar(f->db, segments[i]), 1);
    assert_int_equal(scalar(f->db, "SELECT rowid FROM interventions_fts "
                                   "WHERE interventions_fts MATCH 'asset*'"),
                     2);
    assert_int_equal(scalar(f->db, "SELECT rowid FROM people_fts WHERE people_fts MATCH "
                                   "'hofmanski'"),
                     1);
    assert_int_equal(scalar(f->db, "SELECT rowid FROM organizations_fts "
                                   "WHERE organizations_fts MATCH 'cote'"),
                     4);

    /* the same document again changes nothing: no revision, no log */
    r = import_ok(f->db, f->small, f->small_len);
    assert_int_equal(r.total.created, 0);
    assert_int_equal(r.total.updated, 0);
    assert_int_equal(r.total.unchanged, 26);
    assert_int_equal(r.revision, 1);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM changes"), 26);
}

static void edit_updates(json_t *doc) {
    /* a new summary; interventions 1 and 2 swap positions; segment 2 is dropped, so
     * intervention 3 moves to segment 1; hosts change order; a person gets a new name */
    json_object_set_new(item(doc, "interventions", 0), "summary", json_string("Spoke at length."));
    json_object_set_new(item(doc, "interventions", 0), "position", json_integer(1));
    json_object_set_new(item(doc, "interventions", 1), "position", json_integer(2));
    json_object_set_new(item(doc, "interventions", 2), "segment", json_integer(1));
    json_array_remove(json_object_get(item(doc, "sessions", 0), "segments"), 1);
    json_t *hosts = json_object_get(item(doc, "side_events", 0), "hosts");
    json_t *first = json_incref(json_array_get(hosts, 0));
    json_array_remove(hosts, 0);
    json_array_append_new(hosts, first);
    json_object_set_new(item(doc, "people", 1), "name", json_string("Jane Roe"));
}

static void test_import_updates(void **state) {
    struct fixture *f = *state;
    import_ok(f->db, f->small, f->small_len);
    size_t len;
    char *doc = edited(f, edit_updates, &len);
    struct record_import_result r = import_ok(f->db, doc, len);
    free(doc);
    /* interventions 2 (summary, position), 1 (position), 3 (segment); session 1 (segment
     * dropped); side event 1 (hosts); person 2 (name) */
    assert_int_equal(r.total.updated, 6);
    assert_int_equal(r.total.created, 0);
    assert_int_equal(r.total.unchanged, 20);
    assert_int_equal(r.revision, 2);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM changes WHERE revision = 2"), 6);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM changes WHERE revision = 2 AND "
                                   "op = 'update'"),
                     6);
    assert_int_equal(scalar(f->db, "SELECT position FROM interventions WHERE id = 2"), 1);
    assert_int_equal(scalar(f->db, "SELECT position FROM interventions WHERE id = 1"), 2);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM segments"), 1);
    assert_int_equal(scalar(f->db, "SELECT organization_id FROM side_event_hosts "
                                   "WHERE side_event_id = 1 AND position = 2"),
                     6);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM interventions_fts "
                                   "WHERE interventions_fts MATCH 'roe'"),
                     1);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
}

static void edit_dangling_speaker(json_t *doc) {
    /* the assembly changes too, so something is written before the failure is found */
    json_object_set_new(item(doc, "assemblies", 0), "place", json_string("Elsewhere"));
    json_object_set_new(item(doc, "interventions", 1), "speaker", json_string("jon-doe"));
    json_object_set_new(item(doc, "side_events", 1), "assembly", json_integer(99));
}

static void edit_bad_fields(json_t *doc) {
    json_object_set_new(item(doc, "sessions", 1), "date", json_string("2021-02-30"));
    json_object_set_new(item(doc, "organizations", 0), "kind", json_string("section"));
    json_object_set_new(item(doc, "topics", 2), "id", json_integer(1));
    json_object_set_new(item(doc, "interventions", 3), "segment", json_integer(1));
    json_object_del(item(doc, "people", 2), "honorific");
}

static void edit_duplicate_position(json_t *doc) {
    json_object_set_new(item(doc, "interventions", 2), "position", json_integer(1));
    json_object_set_new(item(doc, "interventions", 1), "segment", json_integer(7));
}

static void test_invalid_changes_nothing(void **state) {
    struct fixture *f = *state;
    import_ok(f->db, f->small, f->small_len);
    int64_t changes = scalar(f->db, "SELECT count(*) FROM changes");
    void (*edits[])(json_t *) = {edit_dangling_speaker, edit_bad_fields, edit_duplicate_position};
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        size_t len;
        char *doc = edited(f, edits[i], &len);
        struct problem p = import_fails(f->db, doc, len);
        free(doc);
        assert_int_equal(p.kind, PROBLEM_UNPROCESSABLE);
        if (edits[i] == edit_dangling_speaker) {
            assert_true(has_error(&p, "/interventions/1/speaker", "no person with slug 'jon-doe'"));
            assert_true(has_error(&p, "/side_events/1/assembly", "no assembly with id 99"));
        } else if (edits[i] == edit_bad_fields) {
            assert_true(has_error(&p, "/sessions/1/date", "calendar date"));
            assert_true(has_error(&p, "/organizations/0/kind", "must be state"));
            assert_true(has_error(&p, "/topics/2/id", "also the id of /topics/0"));
            assert_true(has_error(&p, "/people/2/honorific", "missing"));
        } else {
            assert_true(has_error(&p, "/interventions/2/position",
                                  "also the position of /interventions/1"));
            assert_true(has_error(&p, "/interventions/1/segment", "no segment at position 7"));
        }
        /* nothing changed */
        assert_int_equal(db_revision(f->db), 1);
        assert_int_equal(scalar(f->db, "SELECT count(*) FROM changes"), changes);
        assert_int_equal(scalar(f->db, "SELECT count(*) FROM assemblies WHERE place = "
                                       "'Elsewhere'"),
                         0);
        assert_int_equal(record_count(f->db, RECORD_INTERVENTION), 4);
        check_fts(f->db);
    }
}

/* A document with one intervention and nothing else: its references resolve in the database,
 * and the full-text index follows through its triggers (one resource is no bulk write). */
static void test_import_partial(void **state) {
    struct fixture *f = *state;
    import_ok(f->db, f->small, f->small_len);
    static const char doc[] =
        "{\"format\": \"plenary-record/1\", \"assemblies\": [], \"topics\": [], "
        "\"organizations\": [], \"people\": [], \"documents\": [], \"sessions\": [], "
        "\"side_events\": [], \"interventions\": [{\"id\": 3, \"session\": 1, \"segment\": 2, "
        "\"position\": 3, \"speaker\": null, \"organization\": \"cote-d-ivoire\", "
        "\"role\": null, \"on_behalf_of\": [5], \"summary\": \"Welcomed the complementarity "
        "agenda.\", \"topics\": [\"review-mechanism\"], \"documents\": [], "
        "\"statement_url\": null}]}";
    struct record_import_result r = import_ok(f->db, doc, strlen(doc));
    assert_int_equal(r.total.updated, 1);
    assert_int_equal(r.total.unchanged, 0);
    assert_int_equal(r.revision, 2);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM changes WHERE revision = 2"), 1);
    assert_int_equal(scalar(f->db, "SELECT rowid FROM interventions_fts "
                                   "WHERE interventions_fts MATCH 'complementarity'"),
                     3);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM intervention_on_behalf_of "
                                   "WHERE intervention_id = 3"),
                     1);
    check_fts(f->db);
    /* one resource is not a bulk import: its index keeps the segment the write added */
    assert_int_equal(scalar(f->db, "SELECT count(DISTINCT segid) FROM interventions_fts_idx"),
                     2);
    /* a reference the database cannot resolve either */
    static const char bad[] =
        "{\"format\": \"plenary-record/1\", \"assemblies\": [], \"topics\": [], "
        "\"organizations\": [], \"people\": [], \"documents\": [], \"sessions\": [], "
        "\"side_events\": [], \"interventions\": [{\"id\": 9, \"session\": 1, \"segment\": 3, "
        "\"position\": 9, \"speaker\": \"nobody\", \"organization\": null, "
        "\"role\": null, \"on_behalf_of\": [], \"summary\": null, \"topics\": [], "
        "\"documents\": [], \"statement_url\": null}]}";
    struct problem p = import_fails(f->db, bad, strlen(bad));
    assert_true(has_error(&p, "/interventions/0/speaker", "no person with slug 'nobody'"));
    assert_true(has_error(&p, "/interventions/0/segment", "no segment at position 3"));
    assert_int_equal(db_revision(f->db), 2);
}

static void test_invalid_syntax(void **state) {
    struct fixture *f = *state;
    static const char *const docs[] = {
        "",
        "[]",
        "{\"format\": \"plenary-record/1\", \"assemblies\": [{\"id\": 1,}]}",
        "{\"format\": \"plenary-record/2\", \"assemblies\": [], \"topics\": []}",
        "{\"assemblies\": [], \"assemblies\": []}",
        "{} trailing",
    };
    static const char *const where[] = {"", "", "/assemblies/0", "/format", "/assemblies", ""};
    static const char *const what[] = {"JSON object",      "JSON object", "invalid JSON at line 1",
                                       "plenary-record/1", "twice",       "nothing may follow"};
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        struct problem p = import_fails(f->db, docs[i], strlen(docs[i]));
        assert_true(has_error(&p, where[i], what[i]));
    }
    struct problem p = import_fails(f->db, "{\"format\": \"plenary-record/1\"}", 30);
    assert_true(has_error(&p, "/interventions", "missing"));
    assert_int_equal(db_revision(f->db), 0);
}

/* ---- round trips ---------------------------------------------------------------------------- */

/* import -> export -> import (into a fresh database) -> export: the two exports are the same
 * bytes, and they are what json_dumps gives the whole document. */
static void round_trip(const char *buf, size_t len, size_t *resources) {
    char path1[64], path2[64];
    struct db *db1 = fresh_db(path1, sizeof path1);
    struct record_import_result r = import_ok(db1, buf, len);
    *resources = r.total.created;
    size_t len1, len2;
    char *out1 = export(db1, &len1);
    struct db *db2 = fresh_db(path2, sizeof path2);
    r = import_ok(db2, out1, len1);
    assert_int_equal(r.total.created, *resources);
    char *out2 = export(db2, &len2);
    assert_int_equal(len1, len2);
    assert_memory_equal(out1, out2, len1);
    /* importing its own export into the first database changes nothing */
    r = import_ok(db1, out1, len1);
    assert_int_equal(r.total.unchanged, *resources);
    assert_int_equal(r.revision, 1);
    /* the bytes are json_dumps's, indent 2, with a final newline, UTF-8 unescaped */
    json_error_t e;
    json_t *doc = json_loadb(out1, len1, JSON_REJECT_DUPLICATES, &e);
    assert_non_null(doc);
    char *again = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    assert_non_null(again);
    assert_int_equal(strlen(again) + 1, len1);
    assert_memory_equal(again, out1, len1 - 1);
    assert_int_equal(out1[len1 - 1], '\n');
    assert_null(strstr(out1, "\\u"));
    /* every array sorted by id */
    const char *key;
    json_t *arr;
    json_object_foreach(doc, key, arr) {
        for (size_t i = 1; json_is_array(arr) && i < json_array_size(arr); i++)
            assert_true(json_integer_value(json_object_get(json_array_get(arr, i - 1), "id")) <
                        json_integer_value(json_object_get(json_array_get(arr, i), "id")));
    }
    free(again);
    json_decref(doc);
    free(out1);
    free(out2);
    drop_db(db1, path1);
    drop_db(db2, path2);
}

static void test_round_trip_small(void **state) {
    struct fixture *f = *state;
    size_t n;
    round_trip(f->small, f->small_len, &n);
    assert_int_equal(n, 26);
}

static void test_round_trip_fixtures(void **state) {
    (void)state;
    size_t len, n;
    char *buf = read_file(fixtures_path, &len);
    round_trip(buf, len, &n);
    /* every resource of the document was created */
    json_error_t e;
    json_t *doc = json_loadb(buf, len, 0, &e);
    assert_non_null(doc);
    size_t total = 0;
    for (int t = 0; t < RECORD_TYPE_COUNT; t++)
        total +=
            json_array_size(json_object_get(doc, record_type_info((enum record_type)t)->member));
    assert_int_equal(n, total);
    json_decref(doc);
    free(buf);
}

static void test_export_empty(void **state) {
    struct fixture *f = *state;
    size_t len;
    char *out = export(f->db, &len);
    static const char empty[] = "{\n  \"format\": \"plenary-record/1\",\n  \"assemblies\": [],\n"
                                "  \"topics\": [],\n  \"organizations\": [],\n  \"people\": [],\n"
                                "  \"documents\": [],\n  \"sessions\": [],\n"
                                "  \"interventions\": [],\n  \"side_events\": []\n}\n";
    assert_string_equal(out, empty);
    free(out);
    /* an empty record imports */
    struct record_import_result r = import_ok(f->db, empty, strlen(empty));
    assert_int_equal(r.total.created, 0);
    assert_int_equal(r.revision, 0);
}

/* ---- upsert and delete (API writes) ---------------------------------------------------------- */

static void test_upsert_and_delete(void **state) {
    struct fixture *f = *state;
    struct db_error err = {0};
    import_ok(f->db, f->small, f->small_len);

    assert_int_equal(db_write_begin(f->db, &err), 0);
    struct problem p = {0};
    int64_t id = 0;
    enum record_outcome out;
    json_t *topic =
        json_pack("{s:n, s:s, s:s}", "id", "slug", "complementarity", "name", "Complementarity");
    assert_int_equal(
        record_upsert(f->db, RECORD_TOPIC, topic, RECORD_ID_OPTIONAL, &id, &out, &p, &err), 0);
    assert_int_equal(out, RECORD_CREATED);
    assert_int_equal(id, 4);
    json_object_set_new(topic, "id", json_integer(id));
    assert_int_equal(record_upsert(f->db, RECORD_TOPIC, topic, 0, &id, &out, &p, &err), 0);
    assert_int_equal(out, RECORD_UNCHANGED);
    /* a slug taken by another resource is a conflict */
    json_object_set_new(topic, "slug", json_string("cooperation"));
    assert_int_equal(record_upsert(f->db, RECORD_TOPIC, topic, 0, &id, &out, &p, &err), -1);
    assert_int_equal(p.kind, PROBLEM_CONFLICT);
    assert_true(has_error(&p, "/slug", "slug of the topic with id 1"));
    json_decref(topic);
    db_write_rollback(f->db);

    /* a new intervention at a taken position is a conflict; at a free one it is created */
    assert_int_equal(db_write_begin(f->db, &err), 0);
    memset(&p, 0, sizeof p);
    json_t *iv = json_pack("{s:n, s:s, s:n, s:i, s:n, s:i, s:n, s:[s], s:n, s:[], s:[], s:n}", "id",
                           "session", "asp20-general-debate", "segment", "position", 1, "speaker",
                           "organization", 7, "role", "on_behalf_of", "african-group", "summary",
                           "topics", "documents", "statement_url");
    assert_int_equal(
        record_upsert(f->db, RECORD_INTERVENTION, iv, RECORD_ID_OPTIONAL, &id, &out, &p, &err), -1);
    assert_int_equal(p.kind, PROBLEM_CONFLICT);
    assert_true(has_error(&p, "/position", "taken by the intervention with id 4"));
    memset(&p, 0, sizeof p);
    json_object_set_new(iv, "position", json_integer(2));
    assert_int_equal(
        record_upsert(f->db, RECORD_INTERVENTION, iv, RECORD_ID_OPTIONAL, &id, &out, &p, &err), 0);
    assert_int_equal(out, RECORD_CREATED);
    assert_int_equal(id, 5);
    json_decref(iv);
    assert_int_equal(db_write_commit(f->db, &err), 0);
    assert_int_equal(db_revision(f->db), 2);

    /* a session edited through the API: a segment dropped while an intervention belongs to it
     * is a conflict */
    assert_int_equal(db_write_begin(f->db, &err), 0);
    memset(&p, 0, sizeof p);
    json_error_t e;
    json_t *doc = json_loadb(f->small, f->small_len, 0, &e);
    json_t *session = json_incref(item(doc, "sessions", 0));
    json_decref(doc);
    json_array_remove(json_object_get(session, "segments"), 1);
    assert_int_equal(record_upsert(f->db, RECORD_SESSION, session, 0, &id, &out, &p, &err), -1);
    assert_true(has_error(&p, "/segments", "intervention with id 3"));
    json_decref(session);
    db_write_rollback(f->db);

    /* deletes */
    assert_int_equal(db_write_begin(f->db, &err), 0);
    memset(&p, 0, sizeof p);
    assert_int_equal(record_delete(f->db, RECORD_TOPIC, 99, &p, &err), -1);
    assert_int_equal(p.kind, PROBLEM_NOT_FOUND);
    memset(&p, 0, sizeof p);
    assert_int_equal(record_delete(f->db, RECORD_ORGANIZATION, 1, &p, &err), -1);
    assert_int_equal(p.kind, PROBLEM_CONFLICT);
    memset(&p, 0, sizeof p);
    assert_int_equal(record_delete(f->db, RECORD_ORGANIZATION, 5, &p, &err), -1);
    assert_int_equal(p.kind, PROBLEM_CONFLICT);
    memset(&p, 0, sizeof p);
    /* a topic goes, and leaves every list it was in */
    assert_int_equal(record_delete(f->db, RECORD_TOPIC, 1, &p, &err), 0);
    assert_int_equal(record_delete(f->db, RECORD_INTERVENTION, 5, &p, &err), 0);
    assert_int_equal(db_write_commit(f->db, &err), 0);
    assert_int_equal(db_revision(f->db), 3);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM changes WHERE revision = 3 AND "
                                   "type = 'topic' AND op = 'delete' AND slug = 'cooperation'"),
                     1);
    /* the session, the side event? no: interventions 1, 2 and session 1 listed the topic */
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM changes WHERE revision = 3 AND "
                                   "op = 'update'"),
                     3);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM changes WHERE revision = 3 AND "
                                   "type = 'intervention' AND op = 'delete'"),
                     1);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM intervention_topics WHERE topic_id = 1"),
                     0);
}

int main(int argc, char **argv) {
    if (argc > 1)
        fixtures_path = argv[1];
    if (argc > 2)
        small_path = argv[2];
    db_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_one),
        cmocka_unit_test_setup_teardown(test_import_small, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_updates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_syntax, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_partial, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip_small, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip_fixtures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upsert_and_delete, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
