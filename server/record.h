/* record.h: the resources of the record and the one code path that checks and writes them.
 * record.c validates a resource (the document format of fixtures/FORMAT.md, which is also
 * the shape of API write bodies) and upserts or deletes it; record_doc.c imports and
 * exports whole documents through the same functions. */
#ifndef PLENARY_RECORD_H
#define PLENARY_RECORD_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "db.h"
#include "problem.h"

/* The resource types, in the order a document is written (every type only refers to types
 * before it, except an organization to its parent). Segments are part of their session. */
enum record_type {
    RECORD_ASSEMBLY,
    RECORD_TOPIC,
    RECORD_ORGANIZATION,
    RECORD_PERSON,
    RECORD_DOCUMENT,
    RECORD_SESSION,
    RECORD_INTERVENTION,
    RECORD_SIDE_EVENT,
    RECORD_TYPE_COUNT
};

/* What the rest of plenary needs to know of a type. */
struct record_type_info {
    const char *name;   /* singular snake_case, as in the API and the change log: "side_event" */
    const char *member; /* the document's array of this type: "side_events" */
    const char *table;  /* the SQL table: "side_events" */
    int has_slug;       /* 1 when resources of the type have a slug (all but interventions) */
};

/* Limits on a document's values, enforced by validation (so also on API writes). */
#define RECORD_MAX_ID 9007199254740991LL /* 2^53 - 1: every id survives a JavaScript client */
#define RECORD_MAX_POSITION 1000000      /* positions (order in a session, a day, a list) */
#define RECORD_MAX_SLUG 200              /* bytes of a slug */
#define RECORD_MAX_NAME 1000             /* bytes of a name, title, role, place, ... */
#define RECORD_MAX_TEXT 100000           /* bytes of a summary or description */
#define RECORD_MAX_URL 2000              /* bytes of a URL */
#define RECORD_MAX_LIST 1000             /* items in one list (hosts, topics, segments, ...) */

/* The table of types; type must be below RECORD_TYPE_COUNT. */
const struct record_type_info *record_type_info(enum record_type type);
/* Finds a type by its singular name ("person"). Returns 0 and sets *type, or -1. */
int record_type_parse(const char *name, enum record_type *type);

/* Flags of record_validate and record_upsert. */
#define RECORD_ID_OPTIONAL                                                                         \
    0x1u /* `id` (of the resource and of segments) may be absent or                                \
            null: the database assigns one (an API POST) */

/* Checks one resource on its own: every field of the type present and no other, value types,
 * enumerations, real calendar dates, slugs, country codes (states only), lengths, lists
 * without duplicates. References are checked for their shape only (see record_upsert).
 * Each error is added to p as PROBLEM_UNPROCESSABLE with the JSON pointer `pointer` + "/"
 * + field (pointer is "" for a request body, "/people/3" in a document). Returns 0 when
 * valid, -1 when not. */
int record_validate(enum record_type type, const json_t *obj, unsigned flags, struct problem *p,
                    const char *pointer);

/* What an upsert did. */
enum record_outcome {
    RECORD_UNCHANGED, /* the resource was there with the same values: nothing written */
    RECORD_CREATED,   /* it was inserted */
    RECORD_UPDATED,   /* some field or list differed and was written */
};

/* Validates obj (record_validate), resolves its references (slugs or ids) in the database
 * and writes it, inside the caller's write transaction (db_write_begin): inserted when its
 * id is new, updated when a field or list differs, left alone when nothing does. Lists
 * (segments, affiliations, hosts, on_behalf_of, topics, documents) are replaced by obj's;
 * segments are matched by id, and a segment that obj no longer lists is deleted.
 * Returns 0 with *id and *outcome set. Returns -1 on invalid input with p filled
 * (PROBLEM_UNPROCESSABLE; PROBLEM_CONFLICT when a slug or position is taken by another
 * resource), or on a database failure with p PROBLEM_INTERNAL and err filled. After -1 the
 * caller rolls back. obj is borrowed. */
int record_upsert(struct db *db, enum record_type type, const json_t *obj, unsigned flags,
                  int64_t *id, enum record_outcome *outcome, struct problem *p,
                  struct db_error *err);

/* Deletes the resource `id` of `type` with its lists, inside the caller's write transaction;
 * the change log keeps its id and slug. Returns 0, or -1 with p PROBLEM_NOT_FOUND (no such
 * resource), PROBLEM_CONFLICT (other resources still refer to it) or PROBLEM_INTERNAL (and
 * err). Topics are the exception: deleting one also removes it from every list. */
int record_delete(struct db *db, enum record_type type, int64_t id, struct problem *p,
                  struct db_error *err);

/* How many resources of `type` the database holds, or -1 on error. */
int64_t record_count(struct db *db, enum record_type type);

/* Counts of one import. */
struct record_counts {
    uint64_t created;   /* resources inserted */
    uint64_t updated;   /* resources whose fields or lists changed */
    uint64_t unchanged; /* resources already there as the document has them */
};

struct record_import_result {
    struct record_counts types[RECORD_TYPE_COUNT]; /* per type */
    struct record_counts total;                    /* all types */
    int64_t revision;   /* the database revision afterwards (unchanged if nothing changed) */
    size_t error_count; /* errors found; p holds the first PROBLEM_MAX_ERRORS of them */
};

/* Imports a record document (fixtures/FORMAT.md) held in buf[0..len), in a write
 * transaction of its own: every resource is validated before anything is written, then all
 * are written, or none. One revision; a change-log row per created or updated resource.
 * The document is read one resource at a time, so memory does not grow with its size.
 * progress: NULL, or a stream (a terminal) for a progress line. result may be NULL.
 * Returns 0; or -1 with p filled: PROBLEM_UNPROCESSABLE with an entry per error (a JSON
 * pointer, e.g. "/interventions/12/speaker", and what is wrong), or PROBLEM_INTERNAL with
 * err filled on a database failure. On -1 the database is as it was. */
int record_import(struct db *db, const char *buf, size_t len, FILE *progress,
                  struct record_import_result *result, struct problem *p, struct db_error *err);

/* record_import of the file at path (mapped, not copied). An unreadable file is -1 with
 * p PROBLEM_BAD_REQUEST and its reason in p->detail. */
int record_import_file(struct db *db, const char *path, FILE *progress,
                       struct record_import_result *result, struct problem *p,
                       struct db_error *err);

/* Writes the whole record as a document to out, from one consistent snapshot: every array
 * sorted by id, references as slugs (a segment as its position), fields in FORMAT.md order,
 * 2-space indentation, UTF-8 unescaped, a final newline. The same database always gives the
 * same bytes. progress as for record_import. Returns 0, or -1 with err filled. */
int record_export(struct db *db, FILE *out, FILE *progress, struct db_error *err);

#endif
