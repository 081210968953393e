/* api_case.h: the data-driven API cases of tests/api/ — loading a case (request and
 * expected.json) and checking an answer against it. The same cases run in-process
 * (tests/unit/test_collection.c, through dispatch()) and against the real daemon
 * (tests/integration/test_api.c). The format is described in tests/api/README.md. */
#ifndef PLENARY_API_CASE_H
#define PLENARY_API_CASE_H

#include <jansson.h>
#include <stddef.h>

#define API_CASE_MAX_HEADERS 8

struct api_case {
    char name[128];                            /* the case's folder name */
    char target[4096];                         /* request target: path and query */
    char headers[API_CASE_MAX_HEADERS][256];   /* "Name: value" lines */
    size_t header_count;                       /* entries used in headers */
    json_t *expected;                          /* expected.json (owned) */
};

/* The folder of the cases: $API_CASES, else found from this file's path. */
const char *api_cases_dir(void);

/* Loads every case of dir, sorted by name. Returns 0 with a malloc'd array, or -1. */
int api_cases_load(const char *dir, struct api_case **cases, size_t *count);
void api_cases_free(struct api_case *cases, size_t count);

/* The value of header name in the case's request (case-insensitive), or NULL. */
const char *api_case_header(const struct api_case *c, const char *name);

/* Checks an answer against the case. Returns NULL when it matches, else a malloc'd
 * message saying what differs (caller frees). */
char *api_case_check(const struct api_case *c, long status, const char *content_type,
                     const char *body, size_t len, const char *link);

#endif
