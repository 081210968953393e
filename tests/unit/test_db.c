/* test_db.c: unit tests of db.c and schema/: migrations, the constraints the schema must
 * refuse with (each its own test), the revision and the change log, the timestamps, FTS kept
 * in sync by triggers, the statement cache, read-only connections to a WAL file and their
 * one-snapshot-per-request reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

#include <cmocka.h>

#include "scratch.h"

#include "db.h"
#include "db_internal.h"

/* A fresh database file per test, migrated, with a read-write connection. */
struct fixture {
    char path[64]; /* the database file */
    struct db *db; /* read-write connection */
};

static int setup(void **state) {
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->path, sizeof f->path, "/tmp/plenary-test-db-XXXXXX");
    assert_int_equal(scratch_file(f->path), 0);
    struct db_error err = {0};
    f->db = db_open(f->path, DB_READ_WRITE, &err);
    assert_non_null(f->db);
    assert_int_equal(db_migrate(f->db, &err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    struct fixture *f = *state;
    db_close(f->db);
    scratch_db_remove(f->path);
    free(f);
    return 0;
}

/* Runs sql; returns SQLite's primary result code (SQLITE_OK, SQLITE_CONSTRAINT, ...). */
static int run(struct db *db, const char *sql) {
    int rc = sqlite3_exec(db_handle(db), sql, NULL, NULL, NULL);
    return rc & 0xff;
}

/* The first column of the first row of sql as an integer (-1 when there is no row). */
static int64_t scalar(struct db *db, const char *sql) {
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db_handle(db), sql, -1, &stmt, NULL), SQLITE_OK);
    int64_t v = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
    sqlite3_finalize(stmt);
    return v;
}

/* A small valid record: an assembly, a state, a person, a session with a segment and an
 * intervention. */
static const char base_sql[] =
    "INSERT INTO assemblies (id, slug, name, short_name, place, start_date, end_date) "
    "VALUES (1, 'asp20', 'Twentieth session', 'ASP20', 'The Hague', '2021-12-06', '2021-12-11');"
    "INSERT INTO organizations (id, slug, name, kind, country_code) "
    "VALUES (1, 'finland', 'Finland', 'state', 'FI');"
    "INSERT INTO people (id, slug, name, honorific) VALUES (1, 'jane-doe', 'Jane Doe', 'Ms');"
    "INSERT INTO sessions (id, slug, assembly_id, date, kind, title, position) "
    "VALUES (1, 'plenary-on-cooperation', 1, '2021-12-08', 'plenary', 'Plenary on Cooperation', 1);"
    "INSERT INTO segments (id, session_id, position, title) VALUES (1, 1, 1, 'High-level');"
    "INSERT INTO interventions (id, session_id, segment_id, position, speaker_id, "
    "organization_id, summary) VALUES (1, 1, 1, 1, 1, 1, 'Stressed cooperation with the Court');";

static void write_base(struct db *db) {
    struct db_error err = {0};
    assert_int_equal(db_write_begin(db, &err), 0);
    assert_int_equal(run(db, base_sql), SQLITE_OK);
    assert_int_equal(db_write_commit(db, &err), 0);
}

/* Runs one statement in a write transaction on top of the base record and returns its
 * result code; the transaction is rolled back. */
static int try_write(struct db *db, const char *sql) {
    struct db_error err = {0};
    if (scalar(db, "SELECT count(*) FROM assemblies") == 0)
        write_base(db);
    assert_int_equal(db_write_begin(db, &err), 0);
    int rc = run(db, sql);
    db_write_rollback(db);
    return rc;
}

static void test_migrate(void **state) {
    struct fixture *f = *state;
    struct db_error err = {0};
    assert_true(db_schema_latest() >= 1);
    assert_int_equal(db_schema_version(f->db), db_schema_latest());
    /* a second run is a no-op */
    assert_int_equal(db_migrate(f->db, &err), 0);
    assert_int_equal(db_schema_version(f->db), db_schema_latest());
    assert_int_equal(db_ping(f->db), 0);
    assert_int_equal(db_revision(f->db), 0);
    assert_int_equal(scalar(f->db, "PRAGMA foreign_keys"), 1);
}

static void test_base_is_valid(void **state) {
    struct fixture *f = *state;
    write_base(f->db);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM interventions"), 1);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
}

static void test_refuses_dangling_reference(void **state) {
    struct fixture *f = *state;
    assert_int_equal(try_write(f->db, "INSERT INTO interventions (id, session_id, position, "
                                      "organization_id) VALUES (2, 1, 2, 99)"),
                     SQLITE_CONSTRAINT);
    assert_int_equal(try_write(f->db, "INSERT INTO interventions (id, session_id, position, "
                                      "organization_id) VALUES (3, 42, 1, 1)"),
                     SQLITE_CONSTRAINT);
}

static void test_refuses_dangling_parent_at_commit(void **state) {
    struct fixture *f = *state;
    struct db_error err = {0};
    write_base(f->db);
    /* an organization's parent may come later in the same transaction, but must come */
    assert_int_equal(db_write_begin(f->db, &err), 0);
    assert_int_equal(run(f->db, "INSERT INTO organizations (id, slug, name, kind, parent_id) "
                                "VALUES (2, 'otp', 'Office of the Prosecutor', 'court_organ', 3)"),
                     SQLITE_OK);
    assert_int_equal(db_write_commit(f->db, &err), -1);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM organizations"), 1);
    assert_int_equal(db_revision(f->db), 1);
}

static void test_refuses_unknown_kind(void **state) {
    struct fixture *f = *state;
    assert_int_equal(try_write(f->db, "INSERT INTO organizations (id, slug, name, kind) "
                                      "VALUES (2, 'acme', 'Acme', 'company')"),
                     SQLITE_CONSTRAINT);
    assert_int_equal(try_write(f->db, "UPDATE sessions SET kind = 'party' WHERE id = 1"),
                     SQLITE_CONSTRAINT);
    assert_int_equal(try_write(f->db, "UPDATE sessions SET part_of_day = 'night' WHERE id = 1"),
                     SQLITE_CONSTRAINT);
}

static void test_refuses_duplicate_position(void **state) {
    struct fixture *f = *state;
    assert_int_equal(try_write(f->db, "INSERT INTO interventions (id, session_id, position, "
                                      "organization_id) VALUES (2, 1, 1, 1)"),
                     SQLITE_CONSTRAINT);
    assert_int_equal(try_write(f->db, "INSERT INTO segments (id, session_id, position, title) "
                                      "VALUES (2, 1, 1, 'Again')"),
                     SQLITE_CONSTRAINT);
}

static void test_refuses_bad_country_code(void **state) {
    struct fixture *f = *state;
    assert_int_equal(try_write(f->db, "UPDATE organizations SET country_code = 'fi' WHERE id = 1"),
                     SQLITE_CONSTRAINT);
    assert_int_equal(try_write(f->db, "UPDATE organizations SET country_code = 'FIN' WHERE id = 1"),
                     SQLITE_CONSTRAINT);
}

static void test_refuses_country_code_on_non_state(void **state) {
    struct fixture *f = *state;
    assert_int_equal(try_write(f->db,
                               "INSERT INTO organizations (id, slug, name, kind, "
                               "country_code) VALUES (2, 'redress', 'Redress', 'ngo', 'GB')"),
                     SQLITE_CONSTRAINT);
}

static void test_refuses_bad_date(void **state) {
    struct fixture *f = *state;
    assert_int_equal(try_write(f->db, "UPDATE sessions SET date = '2021-02-30' WHERE id = 1"),
                     SQLITE_CONSTRAINT);
    assert_int_equal(try_write(f->db, "UPDATE sessions SET date = '2021-12-8' WHERE id = 1"),
                     SQLITE_CONSTRAINT);
    assert_int_equal(try_write(f->db, "UPDATE assemblies SET end_date = '2021-12-01' WHERE id = 1"),
                     SQLITE_CONSTRAINT);
}

static void test_refuses_bad_slug(void **state) {
    struct fixture *f = *state;
    static const char *const bad[] = {"Finland",  "fin--land", "-finland", "finland-",
                                      "fin land", "2021",      "",         "finländ"};
    char sql[128];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(sql, sizeof sql, "UPDATE organizations SET slug = '%s' WHERE id = 1", bad[i]);
        assert_int_equal(try_write(f->db, sql), SQLITE_CONSTRAINT);
    }
    /* unique per table */
    assert_int_equal(try_write(f->db, "INSERT INTO organizations (id, slug, name, kind) "
                                      "VALUES (2, 'finland', 'Finland again', 'other')"),
                     SQLITE_CONSTRAINT);
}

static void test_refuses_parent_cycle(void **state) {
    struct fixture *f = *state;
    assert_int_equal(try_write(f->db,
                               "INSERT INTO organizations (id, slug, name, kind, parent_id) "
                               "VALUES (2, 'a', 'A', 'other', 3), (3, 'b', 'B', 'other', 2)"),
                     SQLITE_CONSTRAINT);
}

static void test_refuses_segment_of_other_session(void **state) {
    struct fixture *f = *state;
    assert_int_equal(try_write(f->db,
                               "INSERT INTO sessions (id, slug, assembly_id, date, kind, title, "
                               "position) VALUES (2, 'general-debate', 1, '2021-12-08', "
                               "'general_debate', 'General debate', 2);"
                               "INSERT INTO interventions (id, session_id, segment_id, position, "
                               "organization_id) VALUES (2, 2, 1, 1, 1)"),
                     SQLITE_CONSTRAINT);
}

static void test_revision_and_change_log(void **state) {
    struct fixture *f = *state;
    struct db_error err = {0};
    assert_int_equal(db_revision(f->db), 0);
    write_base(f->db);
    assert_int_equal(db_revision(f->db), 1);
    /* one row per resource, segment and links included in their session's create */
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM changes WHERE revision = 1"), 5);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM changes WHERE op <> 'create'"), 0);
    assert_int_equal(db_type_revision(f->db, "intervention"), 1);
    assert_int_equal(db_type_revision(f->db, "topic"), 0);

    /* an update, then a link change of the same session: one update row */
    assert_int_equal(db_write_begin(f->db, &err), 0);
    assert_int_equal(run(f->db, "UPDATE sessions SET title = 'Plenary on cooperation' "
                                "WHERE id = 1 AND title IS NOT 'Plenary on cooperation';"
                                "UPDATE segments SET title = 'High-level segment' WHERE id = 1"),
                     SQLITE_OK);
    assert_int_equal(db_write_commit(f->db, &err), 0);
    assert_int_equal(db_revision(f->db), 2);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM changes WHERE revision = 2"), 1);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM changes WHERE revision = 2 AND "
                                   "op = 'update' AND type = 'session' AND resource_id = 1"),
                     1);

    /* a transaction that changes nothing gives its revision back */
    assert_int_equal(db_write_begin(f->db, &err), 0);
    assert_int_equal(run(f->db, "UPDATE people SET name = 'Jane Doe' WHERE id = 1 "
                                "AND name IS NOT 'Jane Doe'"),
                     SQLITE_OK);
    assert_int_equal(db_write_commit(f->db, &err), 0);
    assert_int_equal(db_revision(f->db), 2);

    /* created then updated in one revision stays a create; a delete keeps the slug */
    assert_int_equal(db_write_begin(f->db, &err), 0);
    assert_int_equal(run(f->db, "INSERT INTO topics (id, slug, name) VALUES (1, 'coop', 'Coop');"
                                "UPDATE topics SET name = 'Cooperation' WHERE id = 1;"
                                "DELETE FROM interventions WHERE id = 1;"
                                "DELETE FROM people WHERE id = 1"),
                     SQLITE_OK);
    assert_int_equal(db_write_commit(f->db, &err), 0);
    assert_int_equal(db_revision(f->db), 3);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM changes WHERE revision = 3 AND "
                                   "type = 'topic' AND op = 'create'"),
                     1);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM changes WHERE revision = 3"), 3);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM changes WHERE revision = 3 AND "
                                   "type = 'person' AND op = 'delete' AND slug = 'jane-doe'"),
                     1);
    assert_int_equal(db_type_revision(f->db, "topic"), 3);

    /* a rolled-back write leaves no trace */
    assert_int_equal(db_write_begin(f->db, &err), 0);
    assert_int_equal(run(f->db, "DELETE FROM topics"), SQLITE_OK);
    db_write_rollback(f->db);
    assert_int_equal(db_revision(f->db), 3);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM topics"), 1);
}

static void test_timestamps(void **state) {
    struct fixture *f = *state;
    struct db_error err = {0};
    write_base(f->db);
    assert_int_equal(scalar(f->db, "SELECT count(*) FROM people WHERE created_at = updated_at "
                                   "AND created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
                                   "T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'"),
                     1);
    assert_int_equal(run(f->db, "UPDATE people SET updated_at = '2000-01-01T00:00:00.000Z', "
                                "created_at = '2000-01-01T00:00:00.000Z'"),
                     SQLITE_OK);
    assert_int_equal(db_write_begin(f->db, &err), 0);
    assert_int_equal(run(f->db, "UPDATE people SET honorific = 'Dr' WHERE id = 1"), SQLITE_OK);
    assert_int_equal(db_write_commit(f->db, &err), 0);
    assert_int_equal(scalar(f->db, "SELECT updated_at > '2021' AND created_at < '2001' "
                                   "FROM people WHERE id = 1"),
                     1);
}

/* The ids that match q in an FTS table, as a number: the sum of 1 << id. */
static int64_t match(struct db *db, const char *table, const char *q) {
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT coalesce(sum(1 << rowid), 0) FROM %s WHERE %s MATCH '%s'",
             table, table, q);
    return scalar(db, sql);
}

static void test_fts_in_sync(void **state) {
    struct fixture *f = *state;
    struct db_error err = {0};
    write_base(f->db);
    assert_int_equal(match(f->db, "interventions_fts", "cooperation"), 1 << 1);
    assert_int_equal(match(f->db, "interventions_fts", "coop*"), 1 << 1);
    assert_int_equal(match(f->db, "interventions_fts", "finland"), 1 << 1);
    assert_int_equal(match(f->db, "interventions_fts", "jane"), 1 << 1);
    assert_int_equal(match(f->db, "sessions_fts", "high"), 1 << 1);
    assert_int_equal(match(f->db, "organizations_fts", "finland"), 1 << 1);

    assert_int_equal(db_write_begin(f->db, &err), 0);
    assert_int_equal(run(f->db, "UPDATE interventions SET summary = 'Spoke of reparations' "
                                "WHERE id = 1;"
                                "UPDATE people SET name = 'Jane Roe' WHERE id = 1;"
                                "UPDATE organizations SET name = 'Suomi' WHERE id = 1;"
                                "UPDATE segments SET title = 'Opening' WHERE id = 1;"
                                "INSERT INTO organizations (id, slug, name, kind) "
                                "VALUES (2, 'cote-d-ivoire', 'Côte d’Ivoire', 'state')"),
                     SQLITE_OK);
    assert_int_equal(db_write_commit(f->db, &err), 0);
    assert_int_equal(match(f->db, "interventions_fts", "cooperation"), 0);
    assert_int_equal(match(f->db, "interventions_fts", "reparations"), 1 << 1);
    assert_int_equal(match(f->db, "interventions_fts", "doe"), 0);
    assert_int_equal(match(f->db, "interventions_fts", "roe"), 1 << 1);
    assert_int_equal(match(f->db, "interventions_fts", "finland"), 0);
    assert_int_equal(match(f->db, "interventions_fts", "suomi"), 1 << 1);
    assert_int_equal(match(f->db, "sessions_fts", "high"), 0);
    assert_int_equal(match(f->db, "sessions_fts", "opening"), 1 << 1);
    /* diacritics folded */
    assert_int_equal(match(f->db, "organizations_fts", "cote"), 1 << 2);

    assert_int_equal(db_write_begin(f->db, &err), 0);
    assert_int_equal(run(f->db, "DELETE FROM interventions WHERE id = 1;"
                                "DELETE FROM organizations WHERE id = 2"),
                     SQLITE_OK);
    assert_int_equal(db_write_commit(f->db, &err), 0);
    assert_int_equal(match(f->db, "interventions_fts", "reparations"), 0);
    assert_int_equal(match(f->db, "organizations_fts", "cote"), 0);
    /* the external-content indexes agree with their content */
    static const char *const tables[] = {"assemblies_fts",    "topics_fts",    "organizations_fts",
                                         "people_fts",        "documents_fts", "side_events_fts",
                                         "interventions_fts", "sessions_fts"};
    char sql[128];
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        snprintf(sql, sizeof sql, "INSERT INTO %s (%s) VALUES ('integrity-check')", tables[i],
                 tables[i]);
        assert_int_equal(run(f->db, sql), SQLITE_OK);
    }
}

static void test_statement_cache(void **state) {
    struct fixture *f = *state;
    static const char sql[] = "SELECT revision FROM meta";
    sqlite3_stmt *a = db_prepare(f->db, sql);
    assert_non_null(a);
    assert_int_equal(sqlite3_step(a), SQLITE_ROW);
    /* the same text at the same address is the same statement, handed back reset */
    sqlite3_stmt *b = db_prepare(f->db, sql);
    assert_ptr_equal(a, b);
    assert_int_equal(sqlite3_step(b), SQLITE_ROW);
    db_done(b);
    assert_null(db_prepare(f->db, "SELECT nonsense FROM nowhere"));
    /* many statements grow the cache */
    static const char *const many[] = {"SELECT 1", "SELECT 2", "SELECT 3", "SELECT 4", "SELECT 5",
                                       "SELECT 6", "SELECT 7", "SELECT 8", "SELECT 9", "SELECT 10"};
    for (int round = 0; round < 2; round++)
        for (size_t i = 0; i < sizeof many / sizeof many[0]; i++) {
            sqlite3_stmt *s = db_prepare(f->db, many[i]);
            assert_non_null(s);
            assert_int_equal(sqlite3_step(s), SQLITE_ROW);
            assert_int_equal(sqlite3_column_int(s, 0), (int)i + 1);
            db_done(s);
        }
}

static void test_read_only_wal(void **state) {
    struct fixture *f = *state;
    struct db_error err = {0};
    write_base(f->db);
    /* while the writer is open (the -wal and -shm files exist) */
    struct db *ro = db_open(f->path, DB_READ_ONLY, &err);
    assert_non_null(ro);
    assert_int_equal(db_revision(ro), 1);
    assert_int_equal(db_ping(ro), 0);
    /* a read-only connection refuses to write */
    assert_int_equal(db_write_begin(ro, &err), -1);
    assert_int_not_equal(run(ro, "DELETE FROM topics"), SQLITE_OK);
    /* it sees a commit made after it opened */
    assert_int_equal(db_write_begin(f->db, &err), 0);
    assert_int_equal(run(f->db, "INSERT INTO topics (id, slug, name) VALUES (1, 'coop', 'Coop')"),
                     SQLITE_OK);
    assert_int_equal(db_write_commit(f->db, &err), 0);
    assert_int_equal(db_revision(ro), 2);
    db_close(ro);
    /* after the writer closed (SQLite removes -wal and -shm): still opens */
    db_close(f->db);
    f->db = NULL;
    ro = db_open(f->path, DB_READ_ONLY, &err);
    assert_non_null(ro);
    assert_int_equal(db_revision(ro), 2);
    db_close(ro);
    f->db = db_open(f->path, DB_READ_WRITE, &err);
    assert_non_null(f->db);
}

/* Inside db_read_begin / db_read_end every query sees one snapshot: a commit made meanwhile
 * by another connection shows only after db_read_end. */
static void test_read_snapshot(void **state) {
    struct fixture *f = *state;
    struct db_error err = {0};
    write_base(f->db);
    struct db *ro = db_open(f->path, DB_READ_ONLY, &err);
    assert_non_null(ro);
    assert_int_equal(db_read_begin(ro), 0);
    assert_int_equal(db_revision(ro), 1);
    int64_t topics = scalar(ro, "SELECT count(*) FROM topics");
    assert_int_equal(db_write_begin(f->db, &err), 0);
    assert_int_equal(run(f->db, "INSERT INTO topics (id, slug, name) VALUES (1, 'coop', 'Coop')"),
                     SQLITE_OK);
    assert_int_equal(db_write_commit(f->db, &err), 0);
    /* still the snapshot taken at the first read */
    assert_int_equal(db_revision(ro), 1);
    assert_int_equal(scalar(ro, "SELECT count(*) FROM topics"), topics);
    db_read_end(ro);
    assert_int_equal(db_revision(ro), 2);
    assert_int_equal(scalar(ro, "SELECT count(*) FROM topics"), topics + 1);
    /* a second snapshot starts fresh, and ending twice is harmless */
    assert_int_equal(db_read_begin(ro), 0);
    assert_int_equal(db_revision(ro), 2);
    db_read_end(ro);
    db_read_end(ro);
    db_close(ro);
}

/* db_global_init gives SQLite the mutexes of db_mutex.c: they are the ones in use, a
 * recursive one nests, a static one is the same every time and is not re-initialized under
 * its holder, and two threads that take a fast one a million times between them lose no
 * increment. */
struct mutex_race {
    sqlite3_mutex *lock; /* the shared mutex */
    long counter;        /* incremented under lock */
};

static void *mutex_racer(void *arg) {
    struct mutex_race *race = arg;
    for (int i = 0; i < 500000; i++) {
        sqlite3_mutex_enter(race->lock);
        race->counter++;
        sqlite3_mutex_leave(race->lock);
    }
    return NULL;
}

static void test_mutexes(void **state) {
    (void)state;
    sqlite3_mutex_methods in_use;
    /* SQLite answers SQLITE_CONFIG_GETMUTEX only while shut down (no connection is open) */
    assert_int_equal(sqlite3_shutdown(), SQLITE_OK);
    assert_int_equal(sqlite3_config(SQLITE_CONFIG_GETMUTEX, &in_use), SQLITE_OK);
    assert_int_equal(sqlite3_initialize(), SQLITE_OK);
    sqlite3_mutex *fast = sqlite3_mutex_alloc(SQLITE_MUTEX_FAST);
    assert_non_null(fast);
    sqlite3_mutex *recursive = sqlite3_mutex_alloc(SQLITE_MUTEX_RECURSIVE);
    assert_non_null(recursive);
    sqlite3_mutex_enter(recursive);
    assert_int_equal(sqlite3_mutex_try(recursive), SQLITE_OK);
    sqlite3_mutex_leave(recursive);
    sqlite3_mutex_leave(recursive);
    assert_ptr_equal(sqlite3_mutex_alloc(SQLITE_MUTEX_STATIC_VFS1),
                     sqlite3_mutex_alloc(SQLITE_MUTEX_STATIC_VFS1));
    assert_ptr_not_equal(sqlite3_mutex_alloc(SQLITE_MUTEX_STATIC_MAIN),
                         sqlite3_mutex_alloc(SQLITE_MUTEX_STATIC_VFS1));
    assert_null(sqlite3_mutex_alloc(SQLITE_MUTEX_STATIC_VFS3 + 1));
    /* ours: SQLite's own answer "held?" only in debugging builds (NULL otherwise) */
    assert_non_null(in_use.xMutexHeld);
    assert_true(in_use.xMutexHeld(fast) && in_use.xMutexNotheld(fast));
    /* a held fast mutex is busy to a try, even from its holder */
    sqlite3_mutex_enter(fast);
    assert_int_equal(sqlite3_mutex_try(fast), SQLITE_BUSY);
    sqlite3_mutex_leave(fast);
    /* a held static mutex stays held when SQLite initializes its mutexes again, as it does
     * on every sqlite3_mutex_alloc of a static one */
    sqlite3_mutex *vfs = sqlite3_mutex_alloc(SQLITE_MUTEX_STATIC_VFS1);
    sqlite3_mutex_enter(vfs);
    assert_non_null(sqlite3_mutex_alloc(SQLITE_MUTEX_STATIC_APP1));
    assert_int_equal(sqlite3_mutex_try(vfs), SQLITE_BUSY);
    sqlite3_mutex_leave(vfs);
    struct mutex_race race = {fast, 0};
    pthread_t a, b;
    assert_int_equal(pthread_create(&a, NULL, mutex_racer, &race), 0);
    assert_int_equal(pthread_create(&b, NULL, mutex_racer, &race), 0);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    assert_int_equal(race.counter, 1000000);
    sqlite3_mutex_free(fast);
    sqlite3_mutex_free(recursive);
}

static void test_open_failures(void **state) {
    (void)state;
    struct db_error err = {0};
    assert_null(db_open("/nonexistent-dir/x.db", DB_READ_ONLY, &err));
    assert_int_not_equal(err.code, 0);
    assert_true(strlen(err.message) > 0);
    char path[] = "/tmp/plenary-test-junk-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "this is not a database, not at all, no no no no no.......", 56),
                     56);
    close(fd);
    struct db_error err2 = {0};
    assert_null(db_open(path, DB_READ_ONLY, &err2));
    assert_int_not_equal(err2.code, 0);
    unlink(path);
}

int main(void) {
    db_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_migrate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_base_is_valid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_dangling_reference, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_dangling_parent_at_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_unknown_kind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_duplicate_position, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_bad_country_code, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_country_code_on_non_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_bad_date, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_bad_slug, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_parent_cycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_segment_of_other_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revision_and_change_log, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timestamps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fts_in_sync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_statement_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_only_wal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_snapshot, setup, teardown),
        cmocka_unit_test(test_open_failures),
        cmocka_unit_test(test_mutexes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
