/* test_problem.c: RFC 9457 bodies — fields, first error wins, per-parameter errors, and
 * request text that is not UTF-8 (in a detail or the instance, even a lead byte last) never
 * breaks the body. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "problem.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static json_t *render(const struct problem *p) {
    size_t len = 0;
    char *text = problem_render(p, "/v1/x", &len);
    assert_non_null(text);
    assert_int_equal(len, strlen(text));
    json_t *doc = json_loads(text, 0, NULL);
    free(text);
    assert_non_null(doc);
    return doc;
}

static void renders_every_field(void **state) {
    (void)state;
    struct problem p = {0};
    assert_int_equal(problem_set(&p, PROBLEM_NOT_FOUND, "no session '%s'", "x"), 404);
    json_t *doc = render(&p);
    assert_string_equal(json_string_value(json_object_get(doc, "type")), "/problems/not-found");
    assert_string_equal(json_string_value(json_object_get(doc, "title")), "Not found");
    assert_int_equal(json_integer_value(json_object_get(doc, "status")), 404);
    assert_string_equal(json_string_value(json_object_get(doc, "detail")), "no session 'x'");
    assert_string_equal(json_string_value(json_object_get(doc, "instance")), "/v1/x");
    assert_null(json_object_get(doc, "errors"));
    json_decref(doc);
}

static void first_error_wins_and_errors_accumulate(void **state) {
    (void)state;
    struct problem p = {0};
    assert_int_equal(problem_parameter(&p, "limit", "limit must be an integer from 1 to 500"),
                     400);
    problem_parameter(&p, "sort", "sort must be one of: name, -name");
    problem_set(&p, PROBLEM_NOT_FOUND, "ignored");
    json_t *doc = render(&p);
    assert_string_equal(json_string_value(json_object_get(doc, "detail")),
                        "limit must be an integer from 1 to 500");
    json_t *errors = json_object_get(doc, "errors");
    assert_int_equal(json_array_size(errors), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(errors, 1), "parameter")),
                        "sort");
    json_decref(doc);
}

static void pointers_for_bodies(void **state) {
    (void)state;
    struct problem p = {0};
    assert_int_equal(problem_pointer(&p, PROBLEM_UNPROCESSABLE, "/hosts/0/role",
                                     "role must be host or co_host"),
                     422);
    json_t *doc = render(&p);
    json_t *e = json_array_get(json_object_get(doc, "errors"), 0);
    assert_string_equal(json_string_value(json_object_get(e, "pointer")), "/hosts/0/role");
    json_decref(doc);
}

static void invalid_utf8_is_replaced(void **state) {
    (void)state;
    struct problem p = {0};
    problem_parameter(&p, "q\xff", "bad value '\xc3\x28\x01' and '\xed\xa0\x80'");
    json_t *doc = render(&p);
    const char *detail = json_string_value(json_object_get(doc, "detail"));
    assert_non_null(strstr(detail, "'?(?'"));
    json_decref(doc);
}

/* The instance is the decoded request path: /v1/organizations/%FF gave an empty body once
 * (jansson refused the string and nothing was rendered). */
static void invalid_utf8_instance_is_replaced(void **state) {
    (void)state;
    struct problem p = {0};
    problem_set(&p, PROBLEM_NOT_FOUND, "no resource here");
    size_t len = 0;
    char *text = problem_render(&p, "/v1/organizations/\xff\xc3", &len);
    assert_non_null(text);
    json_t *doc = json_loads(text, 0, NULL);
    free(text);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "instance")),
                        "/v1/organizations/??");
    json_decref(doc);
    /* a lead byte last: its continuation bytes are not read past the NUL (an exact-size copy:
     * AddressSanitizer would see the overrun) */
    problem_set(&p, PROBLEM_NOT_FOUND, "no resource here");
    static const char *const ends[] = {"/x\xf0", "/x\xf4", "/x\xe0", "/x\xf0\x9f"};
    for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
        char *instance = strdup(ends[i]);
        text = problem_render(&p, instance, &len);
        free(instance);
        assert_non_null(text);
        doc = json_loads(text, 0, NULL);
        free(text);
        assert_non_null(doc);
        json_decref(doc);
    }
}

static void overflow_keeps_first_errors(void **state) {
    (void)state;
    struct problem p = {0};
    for (int i = 0; i < PROBLEM_MAX_ERRORS + 5; i++)
        problem_parameter(&p, "p", "error %d", i);
    assert_int_equal(p.error_count, PROBLEM_MAX_ERRORS);
    assert_string_equal(p.errors[0].detail, "error 0");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(renders_every_field),
        cmocka_unit_test(first_error_wins_and_errors_accumulate),
        cmocka_unit_test(pointers_for_bodies),
        cmocka_unit_test(invalid_utf8_is_replaced),
        cmocka_unit_test(invalid_utf8_instance_is_replaced),
        cmocka_unit_test(overflow_keeps_first_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
