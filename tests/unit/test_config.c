/* test_config.c: flags and environment into struct config — defaults, precedence, and a
 * clear refusal (exit code 2) of every bad value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void clear_env(void) {
    const char *vars[] = {"PLENARY_DB", "PLENARY_BIND", "PLENARY_PORT", "PLENARY_THREADS",
                          "PLENARY_CACHE_CONTROL", "PLENARY_CACHE_SIZE", "PLENARY_LOG",
                          "PLENARY_CORS_ORIGIN"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
}

static int parse(struct config *cfg, int argc, char **argv, char *errbuf, size_t size) {
    FILE *out = fopen("/dev/null", "w");
    FILE *err = fmemopen(errbuf, size, "w");
    int rc = config_parse(cfg, argc, argv, out, err);
    fclose(out);
    fclose(err);
    return rc;
}

static void defaults(void **state) {
    (void)state;
    clear_env();
    struct config cfg;
    char err[256] = "";
    assert_int_equal(parse(&cfg, 0, NULL, err, sizeof err), 0);
    assert_string_equal(cfg.db_path, "./plenary.db");
    assert_string_equal(cfg.bind, "127.0.0.1");
    assert_int_equal(cfg.port, 8080);
    assert_true(cfg.threads >= 2);
    assert_string_equal(cfg.cache_control, "no-cache");
    assert_int_equal(cfg.log, LOG_COMMON);
    assert_int_equal(cfg.cors_origin_count, 1);
    assert_string_equal(cfg.cors_origins[0], "*");
}

static void flags_win_over_environment(void **state) {
    (void)state;
    clear_env();
    setenv("PLENARY_PORT", "9000", 1);
    setenv("PLENARY_DB", "/tmp/env.db", 1);
    setenv("PLENARY_CORS_ORIGIN", "https://a.example, https://b.example", 1);
    struct config cfg;
    char err[256] = "";
    char *argv[] = {"--port=9100", "--threads", "4", "--log", "json", "--cache-size", "2m"};
    assert_int_equal(parse(&cfg, 7, argv, err, sizeof err), 0);
    assert_int_equal(cfg.port, 9100);
    assert_string_equal(cfg.db_path, "/tmp/env.db");
    assert_int_equal(cfg.threads, 4);
    assert_int_equal(cfg.log, LOG_JSON);
    assert_int_equal(cfg.cache_bytes, 2 * 1024 * 1024);
    assert_int_equal(cfg.cors_origin_count, 2);
    assert_string_equal(cfg.cors_origins[1], "https://b.example");
    char *argv2[] = {"--cors-origin", "http://c.example:3000"};
    assert_int_equal(parse(&cfg, 2, argv2, err, sizeof err), 0);
    assert_int_equal(cfg.cors_origin_count, 1);
    assert_string_equal(cfg.cors_origins[0], "http://c.example:3000");
    clear_env();
}

static void bad_values_exit_2_with_one_line(void **state) {
    (void)state;
    clear_env();
    char *cases[][2] = {
        {"--port", "0"},         {"--port", "65536"},     {"--port", "80a"},
        {"--threads", "1"},      {"--threads", "65"},     {"--log", "verbose"},
        {"--cache-size", "-1"},  {"--cors-origin", "example.com"}, {"--nope", "1"},
        {"--bind", ""},          {"--cache-control", "a\nb"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct config cfg;
        char err[256] = "";
        assert_int_equal(parse(&cfg, 2, cases[i], err, sizeof err), 2);
        assert_non_null(strstr(err, "plenary serve:"));
        assert_non_null(strchr(err, '\n'));
        assert_null(strchr(strchr(err, '\n') + 1, '\n'));
    }
    struct config cfg;
    char err[256] = "";
    char *missing[] = {"--port"};
    assert_int_equal(parse(&cfg, 1, missing, err, sizeof err), 2);
    setenv("PLENARY_PORT", "http", 1);
    assert_int_equal(parse(&cfg, 0, NULL, err, sizeof err), 2);
    assert_non_null(strstr(err, "PLENARY_PORT"));
    clear_env();
}

static void help_returns_1(void **state) {
    (void)state;
    clear_env();
    struct config cfg;
    char err[256] = "";
    char *argv[] = {"--help"};
    assert_int_equal(parse(&cfg, 1, argv, err, sizeof err), 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(flags_win_over_environment),
        cmocka_unit_test(bad_values_exit_2_with_one_line),
        cmocka_unit_test(help_returns_1),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
