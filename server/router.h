/* router.h: the route table (data) and matching. One table drives dispatch, the 404 and 405
 * answers (with Allow), the metrics labels and the `paths` of /openapi.json. */
#ifndef PLENARY_ROUTER_H
#define PLENARY_ROUTER_H

#include "handler.h"

#include <stddef.h>

#define ROUTE_MAX_PARAMS 24

/* What /openapi.json says of one operation; the parameter and schema names refer to
 * entries of the embedded OpenAPI components (server/openapi_components.json). */
struct route_doc {
    const char *tag;     /* OpenAPI tag grouping the operation */
    const char *summary; /* one line */
    const char *params[ROUTE_MAX_PARAMS]; /* component parameter names, NULL-terminated */
    const char *schema;  /* component schema of the 200/201 body, or NULL */
    const char *media;   /* media type of that body; NULL means application/json */
    int status;          /* success status: 200, 201 or 204 */
};

/* One operation of a route: a method, its handler and its documentation. */
struct route_op {
    enum http_method method; /* METHOD_GET, METHOD_POST, ...; HEAD follows GET */
    handler_fn handler;      /* the handler */
    struct route_doc doc;    /* documentation */
};

#define ROUTE_MAX_OPS 4

struct route {
    const char *pattern; /* "/v1/sessions/{ref}": literal segments and at most one {name} */
    const char *name;    /* short label for metrics ("sessions.item") */
    struct route_op ops[ROUTE_MAX_OPS]; /* operations; method 0 ends the list */
    int hidden;          /* 1: left out of /openapi.json */
    int nocache;         /* 1: never answered from the response cache (long polls, streams) */
};

/* The table, in routes.c, terminated by an entry whose pattern is NULL. */
extern const struct route routes[];
/* Entries in routes (without the terminator). */
size_t route_count(void);

/* Matches a decoded path against the table. Returns the route, and in *arg_start and *arg_len
 * the captured {name} segment (or NULL/0); NULL when no pattern matches (404). */
const struct route *router_match(const char *path, const char **arg_start, size_t *arg_len);

/* The operation of route for method (HEAD finds GET), or NULL (405). */
const struct route_op *router_op(const struct route *route, enum http_method method);

/* Writes the route's Allow header value ("GET, HEAD, OPTIONS") into buf; for route NULL,
 * every method some route takes (OPTIONS *). */
void router_allow(const struct route *route, char *buf, size_t size);

/* The index of route in the table, for per-route metrics. */
size_t route_index(const struct route *route);

#endif
