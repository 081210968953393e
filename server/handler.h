/* handler.h: what a route handler sees of a request and fills of a response. Handlers never
 * see libmicrohttpd: http.c turns a connection into a struct request and a struct response
 * back into bytes on the wire. */
#ifndef PLENARY_HANDLER_H
#define PLENARY_HANDLER_H

#include "limits.h"
#include "problem.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct config;
struct db;

/* Methods as bits, so a route's allowed methods are one mask. */
enum http_method {
    METHOD_GET = 1 << 0,
    METHOD_HEAD = 1 << 1,
    METHOD_POST = 1 << 2,
    METHOD_PATCH = 1 << 3,
    METHOD_DELETE = 1 << 4,
    METHOD_OPTIONS = 1 << 5,
    METHOD_PUT = 1 << 6,
    METHOD_OTHER = 1 << 7, /* any other token: answered 405 or 501 */
};

/* One query parameter, decoded, in the order the client sent it. */
struct param {
    const char *name;  /* parameter name */
    const char *value; /* its value; "" for a bare `?pretty` */
};

struct request {
    enum http_method method;         /* the request method */
    const char *path;                /* decoded path without the query */
    const char *target;              /* the request target as sent: path and query */
    struct param params[MAX_PARAMS]; /* query parameters in the order sent */
    size_t param_count;              /* entries used in params */
    const char *path_arg;            /* the {ref} segment of the matched route, or NULL */
    const char *body;                /* request body (POST, PATCH) or NULL */
    size_t body_len;                 /* bytes in body */
    struct db *db;                   /* the runner thread's database connection, for this
                                        call only: not to be kept (streams are handed theirs) */
    const struct config *config;     /* the daemon's settings */
    int64_t revision;                /* database revision when the request started */
    int resumed;                     /* 1 when a long poll's wait is over: answer now */
    /* Returns the value of request header `name` (case-insensitive), or NULL. */
    const char *(*header)(const struct request *req, const char *name);
    void *conn; /* the HTTP layer's connection: opaque to handlers */
};

#define RESPONSE_MAX_HEADERS 8

/* One extra response header set by a handler (Link, Location, Allow, ...). */
struct response_header {
    const char *name; /* static string */
    char *value;      /* malloc'd, freed with the response */
};

/* What a stream's read returns besides a byte count. */
#define STREAM_END (-1)   /* the body is complete */
#define STREAM_ERROR (-2) /* abort the answer (the client sees a cut body) */
#define STREAM_WAIT (-3)  /* nothing to send now: the HTTP layer parks the connection
                           * (no thread held) until stream.wait says, then reads again */

/* A body produced piece by piece (NDJSON, SSE): read writes at most max bytes into buf and
 * returns how many (pos: bytes already sent), or STREAM_END / STREAM_ERROR; free releases
 * ctx. read runs on whichever thread serves the connection at the time and reads the
 * database through the connection it is handed (NULL: none could be opened), which need not
 * be the one the request began on: it keeps nothing open on a connection between reads.
 * With NULL it returns STREAM_ERROR: the client sees a cut body. */
struct response_stream {
    ssize_t (*read)(void *ctx, struct db *db, uint64_t pos, char *buf, size_t max);
    void (*free)(void *ctx);
    void *ctx;
    /* After read returned STREAM_WAIT: the revision to wait past and the most milliseconds
     * to wait (for a heartbeat). NULL when read never waits. */
    void (*wait)(void *ctx, int64_t *since, long *ms);
};

struct response {
    int status;                  /* HTTP status; 0 until the handler sets it */
    char *body;                  /* malloc'd body, freed by the HTTP layer; NULL if none */
    size_t body_len;             /* bytes in body */
    const char *content_type;    /* static media type of body */
    struct response_header headers[RESPONSE_MAX_HEADERS]; /* extra headers */
    size_t header_count;         /* entries used in headers */
    struct response_stream stream; /* set instead of body for streamed answers */
    int uncacheable;             /* 1: never keep this answer in the response cache */
    unsigned depends;            /* bit (1u << enum record_type) for every type of resource
                                  * the answer was built from: the response cache and the
                                  * ETag's Last-Modified follow only those types' changes;
                                  * 0 means "depends on the whole record" */
    long wait_ms;                /* > 0: hold the request (long poll) until the revision
                                  * passes wait_since or wait_ms pass, then run the handler
                                  * again with req->resumed set */
    int64_t wait_since;          /* the revision a long poll waits past */
    struct problem problem;      /* set when the answer is an error (last: see http.c's
                                  * exchange_new) */
};

/* A route handler: fills res and returns the HTTP status it set. On error it fills
 * res->problem (see problem.h) and returns its status; http.c renders the body. */
typedef int (*handler_fn)(struct request *req, struct response *res);

/* Returns the value of the first query parameter called name, or NULL. */
const char *request_param(const struct request *req, const char *name);

/* Steps through a parameter's comma-separated list: start with *rest = the value; each call
 * sets *item and *len to the next item (empty between two commas or after a last comma) and
 * returns 1, then 0 when none is left. */
int param_list_next(const char **rest, const char **item, size_t *len);

/* Adds a response header; the value is copied. Returns 0, or -1 when full or out of memory. */
int response_header_add(struct response *res, const char *name, const char *value);

/* Sets a JSON body: takes ownership of the malloc'd text. Returns status. */
int response_json(struct response *res, int status, char *text, size_t len);

/* Checks the query against the parameters an endpoint takes (NULL-terminated list): an
 * unknown or repeated parameter fills res->problem naming it and the allowed ones. Returns
 * 0 when the query is acceptable, else the problem's status. `pretty` is always allowed. */
int request_check_params(const struct request *req, struct response *res,
                         const char *const allowed[]);

/* Is `pretty` asked for (bare, or pretty=true)? A bad value fills res->problem: returns -1. */
int request_pretty(const struct request *req, struct response *res);

/* Sets a JSON body rendered from value (the reference is stolen), indented when the request
 * asks for `pretty`. Returns status, or the problem's status when rendering fails. */
int response_json_value(const struct request *req, struct response *res, int status,
                        json_t *value);

/* Fills res->problem and returns its status (a handler's `return response_problem(...)`). */
#define response_problem(res, kind, ...) problem_set(&(res)->problem, (kind), __VA_ARGS__)

#endif
