/* test_api.c: every data-driven case of tests/api/ against the real daemon — the same cases
 * test_collection.c runs in-process through dispatch(), here over HTTP through the whole
 * spine (parsing, caching, headers). The folder comes from $API_CASES, set by meson. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../api/api_case.h"
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct daemon d;

static int setup(void **state) {
    (void)state;
    return daemon_start(&d, 1, NULL);
}

static int teardown(void **state) {
    (void)state;
    return daemon_stop(&d) == 0 ? 0 : -1;
}

/* Runs one case over HTTP. Returns NULL when the answer matches, else a malloc'd message. */
static char *run_case(const struct api_case *c) {
    const char *headers[API_CASE_MAX_HEADERS + 1];
    for (size_t i = 0; i < c->header_count; i++)
        headers[i] = c->headers[i];
    headers[c->header_count] = NULL;
    struct reply r;
    if (http_request(&d, NULL, c->target, headers, NULL, &r) != 0)
        return strdup("the request failed (no answer)");
    char type[256], link[8192];
    const char *content_type = reply_header(&r, "Content-Type", type, sizeof type);
    const char *link_value = reply_header(&r, "Link", link, sizeof link);
    char *why = api_case_check(c, r.status, content_type, r.body, r.body_len, link_value);
    reply_free(&r);
    return why;
}

static void every_case_over_http(void **state) {
    (void)state;
    const char *dir = getenv("API_CASES");
    assert_non_null(dir); /* set by tests/integration/meson.build */
    struct api_case *cases;
    size_t count;
    assert_int_equal(api_cases_load(dir, &cases, &count), 0);
    assert_true(count > 40);
    int failed = 0;
    for (size_t i = 0; i < count; i++) {
        char *why = run_case(&cases[i]);
        if (why) {
            fprintf(stderr, "FAIL %s (%s): %s\n", cases[i].name, cases[i].target, why);
            failed++;
            free(why);
        }
    }
    /* a second round is answered from the response cache: it must say the same */
    for (size_t i = 0; i < count; i++) {
        char *why = run_case(&cases[i]);
        if (why) {
            fprintf(stderr, "FAIL (cached) %s (%s): %s\n", cases[i].name, cases[i].target, why);
            failed++;
            free(why);
        }
    }
    fprintf(stderr, "%zu cases, twice each, %d failures\n", count, failed);
    api_cases_free(cases, count);
    assert_int_equal(failed, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_case_over_http),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
