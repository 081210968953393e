/* db.c: SQLite connections for plenary. The file is divided into: process-wide set-up;
 * errors; opening (pragmas) and closing; the per-connection prepared-statement cache;
 * migrations from the embedded schema/ files; and the revision with write transactions.
 *
 * Durability: read-write connections use WAL with synchronous=FULL. In WAL mode NORMAL
 * keeps the file consistent but may lose the last commits on power loss, and the contract
 * says a write is durable once answered; FULL costs one fsync of the WAL per commit, which
 * an import (one transaction) or an API write (one small transaction) pays once. */
#include "db.h"

#include <assert.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "casefold.h"
#include "db_internal.h"
#include "embedded.h"

/* Milliseconds a connection waits for a lock held by another connection or process. */
#define DB_BUSY_TIMEOUT_MS 5000
/* Page cache of a bulk write, in KiB (negative cache_size), and of ordinary use. */
#define DB_BULK_CACHE_KIB 1048576
#define DB_DEFAULT_CACHE_KIB 8192
/* First size of the statement cache (a power of two); it doubles at half full. */
#define DB_STMT_CACHE_INITIAL 64

/* One slot of the statement cache: open addressing keyed by the SQL string's address. */
struct db_stmt_slot {
    const char *sql;    /* the key: a string with static storage; NULL marks a free slot */
    sqlite3_stmt *stmt; /* the prepared statement, finalized by db_close */
};

struct db {
    sqlite3 *handle;            /* the connection */
    enum db_mode mode;          /* read-only or read-write */
    struct db_stmt_slot *slots; /* the statement cache (capacity slot_cap, a power of 2) */
    size_t slot_cap;            /* slots allocated */
    size_t slot_count;          /* slots used */
    int in_write;               /* 1 between db_write_begin and commit/rollback */
    int in_read;                /* 1 between db_read_begin and db_read_end */
    void *search_state;         /* db_search.c's state (freed by SQLite at close), or NULL */
};

/* ---- Process-wide set-up ------------------------------------------------------------ */

int db_global_init(void) {
    /* Memory statistics take a global mutex on every allocation; multi-thread mode lets
     * each connection be used by one thread at a time without per-call mutexes. Both must
     * be set before SQLite is initialized; if it already is, the calls fail harmlessly. */
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    (void)sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
    /* Mutexes that spin a moment before sleeping (db_mutex.c says why). */
    (void)db_mutex_configure();
    /* No bulk page-cache allocation per cache: every `IN (SELECT ... json_each)` of a query
     * makes an ephemeral table with its own page cache, and the default first allocation
     * (~90 KB) was handed back to the system after every request (page faults and madvise
     * were half the CPU of a filtered list). Pages are then allocated as they are used. */
    (void)sqlite3_config(SQLITE_CONFIG_PAGECACHE, NULL, 0, 0);
    if (sqlite3_initialize() != SQLITE_OK)
        return -1;
    return 0;
}

/* ---- Errors ----------------------------------------------------------------------------- */

void db_error_set(struct db_error *err, int code, const char *fmt, ...) {
    if (err == NULL || err->code != 0)
        return;
    err->code = code != 0 ? code : -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

void db_fail(struct db *db, struct db_error *err, const char *what) {
    assert(db != NULL && what != NULL);
    db_error_set(err, sqlite3_extended_errcode(db->handle), "%s: %s", what,
                 sqlite3_errmsg(db->handle));
}

/* ---- Opening and closing -------------------------------------------------------------- */

sqlite3 *db_handle(struct db *db) {
    assert(db != NULL && db->handle != NULL);
    return db->handle;
}

void **db_search_state(struct db *db) {
    assert(db != NULL);
    return &db->search_state;
}

int db_exec(struct db *db, const char *sql, struct db_error *err) {
    assert(db != NULL && sql != NULL);
    char *msg = NULL;
    int rc = sqlite3_exec(db->handle, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        db_error_set(err, sqlite3_extended_errcode(db->handle), "%s",
                     msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* Runs a pragma that answers one text value and checks that it is `want` (case-insensitive):
 * e.g. journal_mode answers the mode it ended in, which need not be the one asked for. */
static int pragma_expect(struct db *db, const char *sql, const char *want, struct db_error *err) {
    sqlite3_stmt *stmt = NULL;
    int ok = 0;
    if (sqlite3_prepare_v2(db->handle, sql, -1, &stmt, NULL) != SQLITE_OK) {
        db_fail(db, err, sql);
        return -1;
    }
    if (sqlite3_step(stmt) == SQLITE_ROW) {
        const unsigned char *v = sqlite3_column_text(stmt, 0);
        ok = v != NULL && strcasecmp((const char *)v, want) == 0;
    }
    if (!ok)
        db_error_set(err, -1, "%s did not answer %s", sql, want);
    sqlite3_finalize(stmt);
    return ok ? 0 : -1;
}

/* plenary_casefold(text): the text's Unicode simple case folding (casefold.h), for the name
 * filters (db_read.c); NULL stays NULL. Registered on every connection. */
static void casefold_function(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    assert(argc == 1);
    (void)argc;
    const char *text = (const char *)sqlite3_value_text(argv[0]);
    if (text == NULL) {
        if (sqlite3_value_type(argv[0]) != SQLITE_NULL)
            sqlite3_result_error_nomem(ctx);
        return;
    }
    size_t len = (size_t)sqlite3_value_bytes(argv[0]);
    char small[256];
    size_t need = casefold_utf8(text, len, small, sizeof small);
    if (need < sizeof small) {
        sqlite3_result_text(ctx, small, (int)need, SQLITE_TRANSIENT);
        return;
    }
    char *folded = sqlite3_malloc64(need + 1);
    if (folded == NULL) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    casefold_utf8(text, len, folded, need + 1);
    sqlite3_result_text(ctx, folded, (int)need, sqlite3_free);
}

struct db *db_open(const char *path, enum db_mode mode, struct db_error *err) {
    assert(path != NULL);
    struct db *db = calloc(1, sizeof *db);
    if (db == NULL) {
        db_error_set(err, SQLITE_NOMEM, "out of memory");
        return NULL;
    }
    db->mode = mode;
    int flags =
        SQLITE_OPEN_NOMUTEX |
        (mode == DB_READ_ONLY ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    int rc = sqlite3_open_v2(path, &db->handle, flags, NULL);
    if (rc != SQLITE_OK) {
        if (db->handle != NULL)
            db_fail(db, err, path);
        else
            db_error_set(err, rc, "%s: %s", path, sqlite3_errstr(rc));
        goto fail;
    }
    if (sqlite3_extended_result_codes(db->handle, 1) != SQLITE_OK ||
        sqlite3_busy_timeout(db->handle, DB_BUSY_TIMEOUT_MS) != SQLITE_OK) {
        db_fail(db, err, path);
        goto fail;
    }
    if (sqlite3_create_function_v2(db->handle, "plenary_casefold", 1,
                                   SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                   casefold_function, NULL, NULL, NULL) != SQLITE_OK) {
        db_fail(db, err, "plenary_casefold");
        goto fail;
    }
    if (db_exec(db, "PRAGMA foreign_keys = ON", err) != 0 ||
        pragma_expect(db, "PRAGMA foreign_keys", "1", err) != 0)
        goto fail;
    if (mode == DB_READ_WRITE) {
        /* A new file gets 8 KiB pages (an existing one keeps its own: the pragma is then a
         * no-op). Measured on a million interventions, 8 KiB pages cut an import's CPU time
         * by about a quarter against 4 KiB: fewer, fuller pages for the text and FTS data. */
        if (db_exec(db, "PRAGMA page_size = 8192", err) != 0 ||
            pragma_expect(db, "PRAGMA journal_mode = WAL", "wal", err) != 0 ||
            db_exec(db, "PRAGMA synchronous = FULL", err) != 0)
            goto fail;
    } else {
        /* Belt and braces: even a statement that would write fails on this connection. */
        if (db_exec(db, "PRAGMA query_only = ON", err) != 0)
            goto fail;
    }
    if (db_bulk(db, 0) != 0) {
        db_fail(db, err, "cache_size");
        goto fail;
    }
    /* A read-only connection reads the file here, so that a missing or foreign file fails
     * at open, not at the first request. */
    if (db_exec(db, "SELECT count(*) FROM sqlite_schema", err) != 0)
        goto fail;
    return db;
fail:
    db_close(db);
    return NULL;
}

int db_bulk(struct db *db, int bulk) {
    assert(db != NULL);
    /* A bulk write runs millions of statements that fire triggers inside one transaction:
     * each gets a statement journal, which temp_store=MEMORY keeps out of temporary files
     * (on disk it cost one pwrite per page touched: 90% of an import's time). */
    char sql[96];
    int n = snprintf(sql, sizeof sql, "PRAGMA cache_size = -%d; PRAGMA temp_store = %s",
                     bulk ? DB_BULK_CACHE_KIB : DB_DEFAULT_CACHE_KIB, bulk ? "MEMORY" : "DEFAULT");
    assert(n > 0 && (size_t)n < sizeof sql);
    (void)n;
    return db_exec(db, sql, NULL);
}

void db_close(struct db *db) {
    if (db == NULL)
        return;
    for (size_t i = 0; i < db->slot_cap; i++)
        if (db->slots[i].sql != NULL)
            sqlite3_finalize(db->slots[i].stmt);
    free(db->slots);
    if (db->handle != NULL) {
        if (db->in_write)
            (void)sqlite3_exec(db->handle, "ROLLBACK", NULL, NULL, NULL);
        /* sqlite3_close_v2 would defer the close if a statement were left unfinalized; all
         * of ours are finalized above, so this closes now (and checkpoints the WAL). */
        sqlite3_close_v2(db->handle);
    }
    free(db);
}

/* ---- Statement cache ------------------------------------------------------------------ */

static size_t slot_index(const char *sql, size_t cap) {
    uint64_t h = (uint64_t)(uintptr_t)sql;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return (size_t)h & (cap - 1);
}

/* Doubles the cache (or makes its first table). Returns 0 or -1 when out of memory. */
static int cache_grow(struct db *db) {
    size_t cap = db->slot_cap ? db->slot_cap * 2 : DB_STMT_CACHE_INITIAL;
    struct db_stmt_slot *slots = calloc(cap, sizeof *slots);
    if (slots == NULL)
        return -1;
    for (size_t i = 0; i < db->slot_cap; i++) {
        if (db->slots[i].sql == NULL)
            continue;
        size_t j = slot_index(db->slots[i].sql, cap);
        while (slots[j].sql != NULL)
            j = (j + 1) & (cap - 1);
        slots[j] = db->slots[i];
    }
    free(db->slots);
    db->slots = slots;
    db->slot_cap = cap;
    return 0;
}

sqlite3_stmt *db_prepare(struct db *db, const char *sql) {
    assert(db != NULL && sql != NULL);
    if (db->slot_cap > 0) {
        size_t i = slot_index(sql, db->slot_cap);
        while (db->slots[i].sql != NULL) {
            if (db->slots[i].sql == sql) {
                sqlite3_stmt *stmt = db->slots[i].stmt;
                /* two literals at one address are one literal; this catches a caller that
                 * passed a buffer whose address was reused for other text */
                assert(strcmp(sqlite3_sql(stmt), sql) == 0);
                sqlite3_reset(stmt);
                sqlite3_clear_bindings(stmt);
                return stmt;
            }
            i = (i + 1) & (db->slot_cap - 1);
        }
    }
    if ((db->slot_count + 1) * 2 > db->slot_cap && cache_grow(db) != 0)
        return NULL;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v3(db->handle, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) !=
        SQLITE_OK)
        return NULL;
    size_t i = slot_index(sql, db->slot_cap);
    while (db->slots[i].sql != NULL)
        i = (i + 1) & (db->slot_cap - 1);
    db->slots[i].sql = sql;
    db->slots[i].stmt = stmt;
    db->slot_count++;
    return stmt;
}

void db_done(sqlite3_stmt *stmt) {
    if (stmt != NULL)
        sqlite3_reset(stmt);
}

/* ---- Migrations ----------------------------------------------------------------------- */

/* The number a migration file's name starts with ("001_init.sql" -> 1), or -1 when the name
 * is not NNN_*.sql. */
static int migration_number(const char *name) {
    int n = 0;
    size_t i = 0;
    while (i < 6 && isdigit((unsigned char)name[i]))
        n = n * 10 + (name[i++] - '0');
    size_t len = strlen(name);
    if (i == 0 || name[i] != '_' || len < 5 || strcmp(name + len - 4, ".sql") != 0)
        return -1;
    return n;
}

int db_schema_latest(void) {
    int latest = 0;
    for (const struct embedded_file *f = embedded_migrations; f->name != NULL; f++) {
        /* the build embeds them sorted by name, so numbers must run 1, 2, 3, ... */
        if (migration_number(f->name) != latest + 1)
            return -1;
        latest++;
    }
    return latest;
}

int db_schema_version(struct db *db) {
    assert(db != NULL);
    sqlite3_stmt *stmt = db_prepare(db, "PRAGMA user_version");
    int version = -1;
    if (stmt != NULL && sqlite3_step(stmt) == SQLITE_ROW)
        version = sqlite3_column_int(stmt, 0);
    db_done(stmt);
    return version;
}

int db_migrate(struct db *db, struct db_error *err) {
    assert(db != NULL);
    if (db->mode != DB_READ_WRITE) {
        db_error_set(err, -1, "migrations need a read-write connection");
        return -1;
    }
    int latest = db_schema_latest();
    if (latest < 0) {
        db_error_set(err, -1, "embedded migrations are not numbered 001, 002, ... in order");
        return -1;
    }
    int version = db_schema_version(db);
    if (version < 0) {
        db_fail(db, err, "PRAGMA user_version");
        return -1;
    }
    if (version > latest) {
        db_error_set(err, -1, "the database has schema version %d, newer than this binary's %d",
                     version, latest);
        return -1;
    }
    for (int n = version + 1; n <= latest; n++) {
        const struct embedded_file *f = &embedded_migrations[n - 1];
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", n);
        /* each migration and its version number commit together, or neither does */
        if (db_exec(db, "BEGIN IMMEDIATE", err) != 0)
            return -1;
        if (db_exec(db, f->data, err) != 0 || db_exec(db, pragma, err) != 0 ||
            db_exec(db, "COMMIT", err) != 0) {
            if (err != NULL) {
                /* name the migration in front of SQLite's message, cutting the message */
                char what[sizeof err->message];
                memcpy(what, err->message, sizeof what);
                int n = snprintf(err->message, sizeof err->message, "migration %s: %.400s", f->name,
                                 what);
                if (n < 0)
                    err->message[0] = '\0';
            }
            (void)sqlite3_exec(db->handle, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
    }
    return 0;
}

/* ---- Health, revision, write transactions --------------------------------------------- */

int db_ping(struct db *db) {
    if (db == NULL)
        return -1;
    sqlite3_stmt *stmt = db_prepare(db, "SELECT revision FROM meta");
    int ok = stmt != NULL && sqlite3_step(stmt) == SQLITE_ROW;
    db_done(stmt);
    return ok ? 0 : -1;
}

int64_t db_revision(struct db *db) {
    assert(db != NULL);
    sqlite3_stmt *stmt = db_prepare(db, "SELECT revision FROM meta");
    int64_t rev = -1;
    if (stmt != NULL && sqlite3_step(stmt) == SQLITE_ROW)
        rev = sqlite3_column_int64(stmt, 0);
    db_done(stmt);
    return rev;
}

int64_t db_type_revision(struct db *db, const char *type) {
    assert(db != NULL && type != NULL);
    sqlite3_stmt *stmt =
        db_prepare(db, "SELECT coalesce(max(revision), 0) FROM changes WHERE type = ?1");
    int64_t rev = -1;
    if (stmt != NULL && sqlite3_bind_text(stmt, 1, type, -1, SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        rev = sqlite3_column_int64(stmt, 0);
    db_done(stmt);
    return rev;
}

int db_in_write(const struct db *db) {
    assert(db != NULL);
    return db->in_write;
}

int db_read_begin(struct db *db) {
    assert(db != NULL && !db->in_write && !db->in_read);
    /* BEGIN is deferred: the snapshot starts at the first statement that reads. */
    sqlite3_stmt *stmt = db_prepare(db, "BEGIN");
    if (stmt == NULL || sqlite3_step(stmt) != SQLITE_DONE) {
        db_done(stmt);
        return -1;
    }
    db_done(stmt);
    db->in_read = 1;
    return 0;
}

void db_read_end(struct db *db) {
    assert(db != NULL);
    if (!db->in_read)
        return;
    db->in_read = 0;
    sqlite3_stmt *stmt = db_prepare(db, "COMMIT");
    int rc = stmt != NULL ? sqlite3_step(stmt) : SQLITE_ERROR;
    db_done(stmt);
    if (rc != SQLITE_DONE && sqlite3_get_autocommit(db->handle) == 0)
        (void)sqlite3_exec(db->handle, "ROLLBACK", NULL, NULL, NULL);
}

int db_checkpoint(struct db *db) {
    assert(db != NULL);
    return sqlite3_wal_checkpoint_v2(db->handle, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL) ==
                   SQLITE_OK
               ? 0
               : -1;
}

int db_write_begin(struct db *db, struct db_error *err) {
    assert(db != NULL && !db->in_write);
    if (db->mode != DB_READ_WRITE) {
        db_error_set(err, SQLITE_READONLY, "write on a read-only connection");
        return -1;
    }
    /* IMMEDIATE takes the write lock now, so the revision read-and-raise below cannot race
     * another writer (another process importing, for one). */
    if (db_exec(db, "BEGIN IMMEDIATE", err) != 0)
        return -1;
    db->in_write = 1;
    sqlite3_stmt *stmt = db_prepare(db, "UPDATE meta SET revision = revision + 1");
    if (stmt == NULL || sqlite3_step(stmt) != SQLITE_DONE) {
        db_fail(db, err, "raising the revision");
        db_done(stmt);
        db_write_rollback(db);
        return -1;
    }
    db_done(stmt);
    return 0;
}

int db_write_commit(struct db *db, struct db_error *err) {
    assert(db != NULL && db->in_write);
    sqlite3_stmt *stmt = db_prepare(
        db, "SELECT EXISTS (SELECT 1 FROM changes WHERE revision = (SELECT revision FROM meta))");
    int changed = -1;
    if (stmt != NULL && sqlite3_step(stmt) == SQLITE_ROW)
        changed = sqlite3_column_int(stmt, 0);
    db_done(stmt);
    if (changed < 0) {
        db_fail(db, err, "reading the change log");
        db_write_rollback(db);
        return -1;
    }
    if (!changed) {
        /* nothing changed: give the revision back */
        db_write_rollback(db);
        return 0;
    }
    if (db_exec(db, "COMMIT", err) != 0) {
        /* a deferred foreign key fails here and leaves the transaction open */
        db_write_rollback(db);
        return -1;
    }
    db->in_write = 0;
    return 0;
}

void db_write_rollback(struct db *db) {
    assert(db != NULL);
    if (!db->in_write)
        return;
    /* Statements still stepping would make ROLLBACK fail with SQLITE_BUSY in old versions;
     * in 3.40 it aborts them. Reset ours anyway so none keeps a stale snapshot. */
    for (size_t i = 0; i < db->slot_cap; i++)
        if (db->slots[i].sql != NULL)
            sqlite3_reset(db->slots[i].stmt);
    if (sqlite3_get_autocommit(db->handle) == 0)
        (void)sqlite3_exec(db->handle, "ROLLBACK", NULL, NULL, NULL);
    db->in_write = 0;
}
