/* problem.h: RFC 9457 problem details, the one place that builds an error body.
 * A handler fills a struct problem (status, type, detail, per-field errors); the HTTP layer
 * renders it as application/problem+json with the request path as `instance`. */
#ifndef PLENARY_PROBLEM_H
#define PLENARY_PROBLEM_H

#include <stddef.h>

#define PROBLEM_MAX_ERRORS 16

/* The kinds of problem plenary answers; each has one status, type slug and title. */
enum problem_kind {
    PROBLEM_NONE = 0,
    PROBLEM_BAD_REQUEST,        /* 400 malformed request (framing, syntax) */
    PROBLEM_INVALID_PARAMETER,  /* 400 a query parameter is unknown or malformed */
    PROBLEM_UNAUTHORIZED,       /* 401 a write without a token */
    PROBLEM_FORBIDDEN,          /* 403 a write with a wrong token */
    PROBLEM_NOT_FOUND,          /* 404 no such path or resource */
    PROBLEM_METHOD_NOT_ALLOWED, /* 405 the path does not take this method */
    PROBLEM_NOT_ACCEPTABLE,     /* 406 no representation matches Accept */
    PROBLEM_CONFLICT,           /* 409 a uniqueness conflict */
    PROBLEM_PRECONDITION_FAILED, /* 412 If-Match did not match */
    PROBLEM_PAYLOAD_TOO_LARGE,  /* 413 body over MAX_BODY */
    PROBLEM_URI_TOO_LONG,       /* 414 request target over MAX_URL */
    PROBLEM_UNSUPPORTED_MEDIA,  /* 415 body is not JSON */
    PROBLEM_UNPROCESSABLE,      /* 422 body fails validation */
    PROBLEM_INTERNAL,           /* 500 a fault of ours; the detail never shows internals */
    PROBLEM_NOT_IMPLEMENTED,    /* 501 a transfer coding or method plenary does not know */
    PROBLEM_UNAVAILABLE,        /* 503 the database does not answer */
    PROBLEM_KIND_COUNT
};

/* One entry of the `errors` array: which parameter or body field, and what is wrong. */
struct problem_error {
    char where[96];   /* the parameter name, or a JSON pointer into the body */
    int is_pointer;   /* 1: `where` is a JSON pointer ("pointer"), 0: a parameter name */
    char detail[256]; /* what is wrong and what is allowed */
};

/* The small fields come first: a problem that is NONE, with no errors and an empty detail,
 * is valid whatever the rest holds, so the HTTP layer clears only them (6 KB otherwise). */
struct problem {
    enum problem_kind kind;                      /* PROBLEM_NONE while nothing is wrong */
    size_t error_count;                          /* entries used in errors */
    char detail[512];                            /* the sentence a person reads first */
    struct problem_error errors[PROBLEM_MAX_ERRORS]; /* per-field errors, first ones kept */
};

/* The HTTP status of a kind. */
int problem_status(enum problem_kind kind);
/* The title of a kind ("Invalid query parameter"). */
const char *problem_title(enum problem_kind kind);
/* The type slug of a kind ("invalid-parameter"); the type URI is "/problems/<slug>". */
const char *problem_slug(enum problem_kind kind);

/* Sets kind and detail (printf format) unless a problem is already set: first error wins.
 * Returns the kind's HTTP status, so a handler can `return problem_set(...)`. */
int problem_set(struct problem *p, enum problem_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Adds an `errors` entry naming a query parameter; also sets kind and detail (from the
 * entry) if none is set. Returns the kind's status. */
int problem_parameter(struct problem *p, const char *parameter, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Adds an `errors` entry naming a body field by JSON pointer (RFC 6901), for 422. */
int problem_pointer(struct problem *p, enum problem_kind kind, const char *pointer,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Renders the problem as JSON (RFC 9457) with `instance`; returns a new malloc'd string
 * (caller frees) and its length in *len, or NULL when out of memory. */
char *problem_render(const struct problem *p, const char *instance, size_t *len);

#endif
