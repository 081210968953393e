/* record_internal.h: what record_doc.c (documents) shares with record.c (resources): the
 * maps a document being imported fills in its first pass, and the context of a validation
 * or write, which counts errors and remembers what is left to do at the end. */
#ifndef PLENARY_RECORD_INTERNAL_H
#define PLENARY_RECORD_INTERNAL_H

#include "map.h"
#include "record.h"

/* What the document being imported holds, for references and uniqueness. Filled by
 * record_collect (first pass), read by record_write (second pass). */
struct record_doc {
    struct imap ids[RECORD_TYPE_COUNT];   /* (id, 0) -> index of the resource in its array */
    struct smap slugs[RECORD_TYPE_COUNT]; /* slug -> id */
    struct imap segment_ids;              /* (segment id, 0) -> id of the session listing it */
    struct imap segments;                 /* (session id, position) -> segment id */
    struct imap keys[RECORD_TYPE_COUNT];  /* second pass: the unique position key of each
                                             session / intervention -> its index */
};

/* A session of the document that existed before the import: its segments that the document
 * no longer lists are deleted once every intervention is written. */
struct record_removal {
    int64_t session_id; /* the session */
    size_t index;       /* its index in the document's sessions, for error pointers */
};

/* One item of a resolved list: a reference with its extra column, or a segment. */
struct record_item {
    int64_t id;        /* the resource referred to; a segment's own id (0: assign one) */
    int64_t position;  /* a segment's position */
    const char *text;  /* affiliation title, host role, segment title (borrowed), or NULL */
    const char *text2; /* a segment's summary (borrowed), or NULL */
};

/* A growable array of items, reused from one resource to the next. */
struct record_list {
    struct record_item *items; /* entries */
    size_t count;              /* entries used */
    size_t cap;                /* entries allocated */
};

/* Most list fields a type has (a session: segments, documents, topics). */
#define RECORD_MAX_LISTS 3

/* The state of one validation or write: one API write, or one whole import. */
struct record_ctx {
    struct db *db;                   /* the connection (NULL while only validating) */
    struct record_doc *doc;          /* the document being imported, or NULL */
    unsigned flags;                  /* RECORD_ID_OPTIONAL, ... */
    struct problem *p;               /* errors for the caller (the first ones) */
    struct db_error *err;            /* a database failure, for the log or stderr */
    size_t errors;                   /* input errors found so far (beyond what p keeps) */
    int failed;                      /* a database call failed: err is set; stop */
    struct record_removal *removals; /* sessions whose dropped segments go at the end */
    size_t removal_count;            /* entries used in removals */
    size_t removal_cap;              /* entries allocated */
    int fresh[RECORD_TYPE_COUNT];    /* import: 1 when the type's table held no row as the
                                        import began, so that nothing there can collide and
                                        every resource is a create (no lookups needed) */
    struct record_list lists[RECORD_MAX_LISTS]; /* scratch: the lists of the resource */
    struct record_list old;                     /* scratch: a list as the database has it */
};

/* Adds an input error at pointer (printf-style detail): counts it, and keeps it in ctx->p
 * while there is room. */
void record_error(struct record_ctx *ctx, enum problem_kind kind, const char *pointer,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Records a database failure (ctx->failed, ctx->err, p as PROBLEM_INTERNAL). */
void record_db_failed(struct record_ctx *ctx, const char *what);

/* First pass: checks obj (record_validate) and adds its id, slug and segments to ctx->doc,
 * reporting duplicates. index is obj's index in its array. */
void record_collect(struct record_ctx *ctx, enum record_type type, const json_t *obj, size_t index);

/* Second pass: resolves and writes obj (which record_collect found valid). Returns 0, or -1
 * after an input error (then the caller goes on checking but writes nothing more: writes
 * stop at the first error) or a database failure (ctx->failed; stop). */
int record_write(struct record_ctx *ctx, enum record_type type, const json_t *obj, size_t index,
                 int64_t *id, enum record_outcome *outcome);

/* After the second pass: deletes the segments that sessions of the document no longer list
 * (ctx->removals). Returns 0 or -1. */
int record_finish(struct record_ctx *ctx);

/* Sets ctx->fresh from the database (inside the import's write transaction). Returns 0 or -1
 * (a database failure, recorded). */
int record_note_fresh(struct record_ctx *ctx);

/* Frees what ctx and its doc hold (not ctx itself). */
void record_ctx_free(struct record_ctx *ctx);

#endif
