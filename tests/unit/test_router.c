/* test_router.c: the route table — matching, captured {ref}, 404 and 405 with Allow, and the
 * table's own invariants (unique patterns and names, a GET on every route). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "router.h"

#include <stdio.h>
#include <string.h>

static void matches_literal_routes(void **state) {
    (void)state;
    const char *arg;
    size_t len;
    const struct route *r = router_match("/healthz", &arg, &len);
    assert_non_null(r);
    assert_string_equal(r->pattern, "/healthz");
    assert_null(arg);
    assert_null(router_match("/healthz/", &arg, &len));
    assert_null(router_match("/nope", &arg, &len));
    assert_null(router_match("", &arg, &len));
    assert_non_null(router_match("/", &arg, &len));
}

static void captures_the_ref(void **state) {
    (void)state;
    const char *arg;
    size_t len;
    for (const struct route *r = routes; r->pattern; r++) {
        const char *brace = strchr(r->pattern, '{');
        if (brace == NULL)
            continue;
        char path[256];
        const char *close = strchr(brace, '}');
        snprintf(path, sizeof path, "%.*sbelgium%s", (int)(brace - r->pattern), r->pattern,
                 close + 1);
        const struct route *m = router_match(path, &arg, &len);
        assert_ptr_equal(m, r);
        assert_int_equal(len, 7);
        assert_memory_equal(arg, "belgium", 7);
    }
}

static void methods_and_allow(void **state) {
    (void)state;
    const char *arg;
    size_t len;
    const struct route *r = router_match("/healthz", &arg, &len);
    assert_non_null(router_op(r, METHOD_GET));
    assert_non_null(router_op(r, METHOD_HEAD));
    assert_null(router_op(r, METHOD_POST));
    char allow[96];
    router_allow(r, allow, sizeof allow);
    assert_string_equal(allow, "GET, HEAD, OPTIONS");
}

static void table_invariants(void **state) {
    (void)state;
    size_t n = route_count();
    assert_true(n > 0);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(routes[i].name);
        assert_true(routes[i].pattern[0] == '/');
        assert_non_null(routes[i].ops[0].handler);
        for (size_t k = 0; k < ROUTE_MAX_OPS && routes[i].ops[k].method; k++) {
            assert_non_null(routes[i].ops[k].doc.summary);
            assert_non_null(routes[i].ops[k].doc.tag);
        }
        for (size_t j = i + 1; j < n; j++) {
            assert_true(strcmp(routes[i].pattern, routes[j].pattern) != 0);
            assert_true(strcmp(routes[i].name, routes[j].name) != 0);
        }
        assert_int_equal(route_index(&routes[i]), i);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matches_literal_routes),
        cmocka_unit_test(captures_the_ref),
        cmocka_unit_test(methods_and_allow),
        cmocka_unit_test(table_invariants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
