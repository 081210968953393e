/* db.h: the database behind an opaque struct db — one SQLite connection with its pragmas,
 * its cache of prepared statements, the schema migrations and write transactions.
 * Only db.c and the db_*.c files include <sqlite3.h>; they share db_internal.h. */
#ifndef PLENARY_DB_H
#define PLENARY_DB_H

#include <stddef.h>
#include <stdint.h>

struct db;

enum db_mode {
    DB_READ_ONLY,  /* a server runner's connection: never writes */
    DB_READ_WRITE, /* init, import, API writes: creates the file when missing */
};

/* The first error of an operation, owned by the caller (first error wins). */
struct db_error {
    int code;          /* 0 while nothing failed; else an SQLite result code or -1 */
    char message[512]; /* what failed, for a log line or stderr; never sent to clients */
};

/* Configures SQLite for the process (memory statistics off, multi-thread mode); call once
 * before any other db_ function. Returns 0. */
int db_global_init(void);

/* Opens a connection (SQLITE_OPEN_NOMUTEX; foreign keys on; WAL; busy timeout). Returns a
 * new connection (close it with db_close) or NULL with err filled. */
struct db *db_open(const char *path, enum db_mode mode, struct db_error *err);

/* Finalizes the cached statements and closes the connection. NULL is a no-op. */
void db_close(struct db *db);

/* Applies the embedded migrations (schema/NNN_*.sql) newer than PRAGMA user_version, each
 * in its own transaction. Returns 0, or -1 with err filled. */
int db_migrate(struct db *db, struct db_error *err);

/* The schema version of the open file (PRAGMA user_version) and the newest the binary has. */
int db_schema_version(struct db *db);
int db_schema_latest(void);

/* Returns 0 when a trivial query answers, -1 otherwise (readiness). */
int db_ping(struct db *db);

/* The database-wide revision: grows by one with every committed write transaction. */
int64_t db_revision(struct db *db);

/* The newest revision that created, updated or deleted a resource of `type` (singular
 * snake_case, e.g. "side_event"), 0 when none ever did, -1 on error. One index seek. */
int64_t db_type_revision(struct db *db, const char *type);

/* One read snapshot for a whole request: every query between db_read_begin and db_read_end
 * sees the same revision (a list's total, facets and page agree even while a writer
 * commits), and the file and WAL locks are taken once instead of once per statement.
 * db_read_begin returns 0, or -1 when the snapshot could not start (the queries then run
 * each in its own snapshot, as without it); db_read_end ends it (a no-op after -1). */
int db_read_begin(struct db *db);
void db_read_end(struct db *db);

/* Copies the WAL's frames back into the database file as far as no reader still needs them
 * (a PASSIVE checkpoint: it never waits for a reader or a writer). Needs a read-write
 * connection. Returns 0, or -1 when it could not run (busy, or not permitted). */
int db_checkpoint(struct db *db);

/* Write transactions: begin (BEGIN IMMEDIATE, then the revision is raised by one so that the
 * change-log rows written by triggers carry it), commit or roll back. Return 0 or -1.
 * A transaction that wrote no change-log row (nothing changed) is rolled back by
 * db_write_commit, which still returns 0: the revision moves only when the record does.
 * Writes are durable once db_write_commit returns (synchronous=FULL). */
int db_write_begin(struct db *db, struct db_error *err);
int db_write_commit(struct db *db, struct db_error *err);
void db_write_rollback(struct db *db);
/* 1 between db_write_begin and db_write_commit / db_write_rollback, else 0. */
int db_in_write(const struct db *db);

#endif
