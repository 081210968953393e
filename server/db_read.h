/* db_read.h: the read side of the record — every collection's filters, sorts and facets as
 * allowlists, and the queries that page, count, facet and render them. The SQL lives in
 * db_read.c and db_render.c only; callers see names, value kinds and JSON text, never SQL or
 * sqlite3. */
#ifndef PLENARY_DB_READ_H
#define PLENARY_DB_READ_H

#include "db.h"
#include "record.h"

#include <stddef.h>
#include <stdint.h>

#define DB_READ_MAX_FILTERS 12  /* filters one collection takes */
#define DB_READ_MAX_KEYS 2      /* sort keys besides the id tie-breaker */

/* How a filter's value is read and checked (by collection.c) and bound (by db_read.c). */
enum db_filter_kind {
    FILTER_REF,        /* list of refs (id or slug) of `ref`; bound as a JSON array of ids */
    FILTER_SEGMENT,    /* list of segment ids; bound as a JSON array of ids */
    FILTER_ENUM,       /* list of values from `values`; bound as a JSON array of strings */
    FILTER_DATE,       /* list of ISO dates; bound as a JSON array of strings */
    FILTER_DATE_BOUND, /* one ISO date; bound as text */
    FILTER_BOOL,       /* true or false; bound as 1 or 0 */
    FILTER_NAME,       /* one text, matched exactly and case-insensitively (casefold.h) */
    FILTER_CODE,       /* list of ISO 3166-1 alpha-2 codes; bound as a JSON array */
};

/* One filter of a collection. */
struct db_filter {
    const char *name;            /* the query parameter */
    enum db_filter_kind kind;    /* how its value is read */
    enum record_type ref;        /* FILTER_REF: the type named */
    const char *const *values;   /* FILTER_ENUM: allowed values, NULL-terminated */
    const char *sql;             /* db_read.c's WHERE term (one `?`); opaque to callers */
    const char *join;            /* NULL, or the page query's join for one value (alias %1$s,
                                    one `?`); opaque to callers */
    const char *wide;            /* FILTER_NAME: the WHERE term for a value that is not all
                                    ASCII (three `?`, see name_bounds); opaque to callers */
};

/* One sort order of a collection: keys then the id, all ascending or all descending. */
struct db_sort {
    const char *name;                    /* the `sort` value (without `-`) */
    size_t key_count;                    /* keys besides id */
    const char *keys[DB_READ_MAX_KEYS];  /* SQL of each key; opaque to callers */
    int key_is_text[DB_READ_MAX_KEYS];   /* 1: text key, 0: integer key (cursor typing) */
    const char *in_order;                /* opaque: an index in this order, or NULL */
};

/* How a facet's SQL takes the filtered set (db_read.c, FACET_DIRECT / _ROWS / _LINK). */
enum db_facet_form {
    DB_FACET_COLUMN, /* the table and the list's WHERE clause */
    DB_FACET_ROWS,   /* the filtered ids */
    DB_FACET_LINK,   /* a WHERE on the link's owner, or none for the whole collection */
};

/* One facet of a collection. */
struct db_facet {
    const char *name;        /* the `facet` value and the key in meta.facets */
    const char *sql;         /* SELECT value, count over the filtered set; opaque to callers */
    enum db_facet_form form; /* how sql takes the filtered set */
    const char *owner;       /* DB_FACET_LINK: the link's owner column; else NULL */
};

/* A collection's read description: its table, FTS table and allowlists. */
struct db_collection {
    enum record_type type;               /* the resource type */
    const char *table;                   /* opaque: the SQL table */
    const char *fts;                     /* opaque: the FTS5 table */
    const struct db_filter *filters;     /* allowlist of filters, name NULL ends */
    const struct db_sort *sorts;         /* allowlist of sorts, first is the default */
    const struct db_facet *facets;       /* allowlist of facets, name NULL ends */
};

/* The read description of a type. */
const struct db_collection *db_read_collection(enum record_type type);

/* One value bound to a query: an integer or a borrowed text. */
struct db_value {
    int is_text;      /* 1: text, 0: integer */
    int64_t integer;  /* the integer */
    const char *text; /* the text (borrowed) */
};

/* A list query's shape and values. Text values are borrowed from the caller. */
struct db_query {
    const struct db_collection *coll; /* the collection */
    struct db_value filter[DB_READ_MAX_FILTERS]; /* bound value per filter index */
    unsigned filter_mask;             /* bit i: filter i is used */
    struct db_value one[DB_READ_MAX_FILTERS]; /* a list filter's value when it has only one */
    unsigned one_mask;                /* bit i: filter i has one value, one[i], compared with
                                         `=` (a JSON array needs json_each and an ephemeral
                                         table: a sixth of a filtered page's instructions) */
    const char *match;                /* a safe FTS5 query, or NULL */
    const struct db_sort *sort;       /* the order */
    int descending;                   /* 1: every key descending */
    int after;                        /* 1: keyset: rows after after_keys / after_id */
    struct db_value after_keys[DB_READ_MAX_KEYS]; /* the last row's keys */
    int64_t after_id;                 /* the last row's id */
    int in_order;                     /* 1: walk the sort's in_order index, testing each row
                                         (for filters that keep many rows: no sort of the
                                         whole filtered set); the plan only, never the rows */
};

/* A page of ids in order, with the keys of the last row (for the next cursor). */
struct db_page {
    int64_t *ids;     /* malloc'd, count entries */
    size_t count;     /* rows in the page */
    int more;         /* 1: rows follow the page */
    struct db_value last_keys[DB_READ_MAX_KEYS]; /* keys of the last row; text malloc'd */
    int64_t last_id;  /* id of the last row */
};

/* Releases a page's memory. */
void db_page_free(struct db_page *page);

/* Resolves a ref (an id, or a slug where the type has one) of type to its id.
 * Returns 1 with *id set, 0 when no such resource, -1 on a database error. */
int db_read_resolve(struct db *db, enum record_type type, const char *ref, int64_t *id);
/* The same for a segment id. */
int db_read_segment_exists(struct db *db, int64_t id);

/* Who orders a page whose plan would sort every matching row (see db_read.c). */
enum db_page_order {
    DB_PAGE_ORDER_PLAN,   /* C when SQLite's plan sorts, else SQLite (the default) */
    DB_PAGE_ORDER_SQL,    /* SQLite always (ORDER BY ... LIMIT): for tests */
    DB_PAGE_ORDER_MEMORY, /* C always: for tests */
};
/* Sets it for every connection. */
void db_read_page_order(enum db_page_order mode);
/* 0: page queries test every filter with IN, as counts do (for tests); 1: the default. */
void db_read_filter_joins(int on);
/* Pages ordered by C since the start (tests prove the path ran with it). */
uint64_t db_read_pages_in_memory(void);

/* Reads up to limit rows of q in order. Returns 0, or -1 with err filled. */
int db_read_page(struct db *db, const struct db_query *q, size_t limit, struct db_page *out,
                 struct db_error *err);

/* Counts every row q matches (ignoring the keyset). Returns the count, or -1. */
int64_t db_read_count(struct db *db, const struct db_query *q, struct db_error *err);

/* The counts of facet over every row q matches, as a JSON array text
 * [{"value": ..., "count": n}, ...] ordered by count descending then value (malloc'd; the
 * caller frees). NULL on error. */
char *db_read_facet(struct db *db, const struct db_query *q, const struct db_facet *facet,
                    struct db_error *err);

/* Receives the JSON text of one rendered item: the object with every field, its lists
 * embedded in their recorded order. Returns 0 or -1 (stop). */
typedef int (*db_render_fn)(void *ctx, int64_t id, const char *json, size_t len);

/* Renders the items of ids (count of them), one call of fn per item, in the order of ids:
 * one query for the items and one per embedded list, each over all the ids, from one read
 * snapshot (the caller's, or its own). Items not found are skipped. The text handed to fn
 * is not NUL-terminated and lives until fn returns. Returns 0, or -1 with err filled (or
 * when fn returned -1). (db_render.c) */
int db_read_render(struct db *db, enum record_type type, const int64_t *ids, size_t count,
                   db_render_fn fn, void *ctx, struct db_error *err);

/* Runs EXPLAIN QUERY PLAN on render query `query` of type (0: the items'; then two for each
 * embedded list in key order: by the page's ids, by their range) and writes its detail lines,
 * one a line, into buf. Returns 1, 0 when type has no such query, or -1 on error. For tests. */
int db_read_render_explain(struct db *db, enum record_type type, size_t query, char *buf,
                           size_t size);

/* The SQL of q's page query (for EXPLAIN QUERY PLAN in tests): writes into buf. 0 or -1. */
int db_read_page_sql(const struct db_query *q, char *buf, size_t size);

/* Runs EXPLAIN QUERY PLAN on q's page, count and facet queries with q's values bound and
 * appends the plan's detail lines, one a line, to buf. Returns 0 or -1. */
int db_read_explain(struct db *db, const struct db_query *q, char *buf, size_t size);

#endif
