/* collection.h: the generic collection engine behind every read endpoint. A resource file
 * (res_*.c) describes its collection — type, path, fields, what it depends on — and calls
 * collection_list or collection_item; the engine validates the query (filters, sort, limit,
 * cursor, fields, facet, q, format), reads through db_read.h and shapes the answer. */
#ifndef PLENARY_COLLECTION_H
#define PLENARY_COLLECTION_H

#include "format.h"
#include "handler.h"
#include "record.h"

#include <stddef.h>

/* One top-level field of a representation, in the order the contract gives. */
struct collection_field {
    const char *name; /* snake_case name */
    int ref;          /* 1: a compact reference (CSV: <name>_id and <name>_name columns) */
};

#define COLLECTION_MAX_FIELDS 32

struct collection {
    enum record_type type;                 /* the resource type */
    const char *path;                      /* the collection's path, e.g. "/v1/side-events" */
    const struct collection_field *fields; /* every field in order; name NULL ends */
    unsigned depends;                      /* bit (1u << type) of every type items show */
};

/* GET of a collection: JSON page, CSV page or the whole set as NDJSON. Returns the status. */
int collection_list(const struct collection *c, struct request *req, struct response *res);

/* GET of the collection's iCalendar feed (<path>.ics): the same filters and q as the list,
 * the whole filtered set in the default order as one VCALENDAR (format_ics_*), text/calendar.
 * Returns the status. */
int collection_ics(const struct collection *c, struct request *req, struct response *res,
                   enum ics_kind kind, const char *calendar_name);

/* GET of one item by {ref} (id, or slug where the type has one). Returns the status. */
int collection_item(const struct collection *c, struct request *req, struct response *res);

/* Renders plain JSON answers (no fields, no pretty) as text spliced from SQLite (on = 1, the
 * default) or through jansson values (0), which give the same bytes; for tests that compare
 * the two. Not thread-safe: set it before serving. */
void collection_text_render(int on);

/* Turns a user's text into a safe FTS5 query: every whitespace-separated term that holds a
 * letter or digit quoted (inner quotes doubled), so no input is FTS syntax; the others ("*",
 * "-") dropped, as /v1/search does. Returns 0, -1 when it does not fit in size, -2 when it
 * has no such term. */
int collection_fts_query(const char *text, char *out, size_t size);

#endif
