/* changes.h: the change log as the server reads it — per-type newest changes (what the
 * response cache and Last-Modified follow) and pages of the feed of /v1/changes. */
#ifndef PLENARY_CHANGES_H
#define PLENARY_CHANGES_H

#include "db.h"
#include "record.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The most rows one page of the feed holds. */
#define CHANGES_MAX_PAGE 500

/* The newest change of one type. */
struct type_latest {
    int64_t revision; /* its revision, 0 when the type never changed */
    time_t at;        /* when it was committed */
};

/* One row of the change log, with the resource's current name when it still exists. */
struct change_row {
    int64_t seq;           /* position in the log: the feed's keyset */
    int64_t revision;      /* the revision that made the change */
    char at[40];           /* RFC 3339 UTC time of the change */
    char op[8];            /* create, update or delete */
    enum record_type type; /* the resource's type */
    int64_t id;            /* the resource's id */
    int has_slug;          /* 1 when slug holds the resource's slug */
    char slug[256];        /* its slug (kept after deletion) */
    char name[1024];       /* its current name or label; "" when deleted */
};

/* Fills out[type] with each type's newest change. Returns 0 or -1. */
int db_changes_latest(struct db *db, struct type_latest out[RECORD_TYPE_COUNT]);

/* Calls each(ctx, row) for the rows with revision > since and seq > after_seq, of the types
 * in types_json (a JSON array of type names, or NULL for all), in log order, at most limit
 * rows (limit <= CHANGES_MAX_PAGE + 1). each returns non-zero to stop. Returns 0 or -1. */
int db_changes_page(struct db *db, int64_t since, const char *types_json, int64_t after_seq,
                    size_t limit, int (*each)(void *ctx, const struct change_row *row),
                    void *ctx);

/* The number of rows with revision > since of those types; -1 on failure. */
int64_t db_changes_count(struct db *db, int64_t since, const char *types_json);

#endif
