/* test_generate.c: `plenary generate` (generate.c): the same seed gives the same bytes and
 * another seed other bytes; a generated record parses, every reference resolves, ids and
 * slugs are unique, positions run from 1 without gaps, dates fall within their assembly;
 * and the import (the full validation and the schema's constraints) accepts it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "scratch.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "db.h"
#include "record.h"

/* Runs `plenary generate --scale N --seed S --out <temp>` and returns the temp file's path
 * (caller unlinks and frees). */
static char *generate_to_file(const char *scale, const char *seed) {
    char *path = strdup("/tmp/plenary-test-generate-XXXXXX");
    assert_non_null(path);
    assert_int_equal(scratch_file(path), 0);
    char *argv[] = {"--scale", (char *)scale, "--seed", (char *)seed, "--out", path, NULL};
    assert_int_equal(cmd_generate(6, argv), 0);
    return path;
}

/* The whole file (caller frees); *len its size. */
static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void same_seed_same_bytes(void **state) {
    (void)state;
    char *a = generate_to_file("300", "42"), *b = generate_to_file("300", "42");
    size_t la, lb;
    char *x = slurp(a, &la), *y = slurp(b, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(x, y, la);
    free(x);
    free(y);
    unlink(a);
    unlink(b);
    free(a);
    free(b);
}

static void other_seed_other_bytes(void **state) {
    (void)state;
    char *a = generate_to_file("300", "42"), *b = generate_to_file("300", "43");
    size_t la, lb;
    char *x = slurp(a, &la), *y = slurp(b, &lb);
    assert_true(la != lb || memcmp(x, y, la) != 0);
    free(x);
    free(y);
    unlink(a);
    unlink(b);
    free(a);
    free(b);
}

static void bad_flags_are_usage_errors(void **state) {
    (void)state;
    char *unknown[] = {"--scale", "10", "--seed", "1", "--bogus", NULL};
    char *no_seed[] = {"--scale", "10", NULL};
    char *bad_scale[] = {"--scale", "ten", "--seed", "1", NULL};
    char *zero[] = {"--scale=0", "--seed=1", NULL};
    char *no_value[] = {"--seed", "1", "--scale", NULL};
    assert_int_equal(cmd_generate(5, unknown), 2);
    assert_int_equal(cmd_generate(2, no_seed), 2);
    assert_int_equal(cmd_generate(4, bad_scale), 2);
    assert_int_equal(cmd_generate(2, zero), 2);
    assert_int_equal(cmd_generate(3, no_value), 2);
}

/* 1 when s is a well-formed slug with at least one letter. */
static int good_slug(const char *s) {
    size_t n = strlen(s);
    int letter = 0;
    if (n == 0 || n > RECORD_MAX_SLUG || s[0] == '-' || s[n - 1] == '-')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'a' && c <= 'z')
            letter = 1;
        else if (!((c >= '0' && c <= '9') || (c == '-' && s[i + 1] != '-')))
            return 0;
    }
    return letter;
}

/* Indexes the array `member` of doc by slug (or id when the type has none) into an object
 * slug -> resource; checks ids and slugs unique and slugs well formed. Returns a new
 * reference. */
static json_t *index_of(json_t *doc, const char *member, int has_slug) {
    json_t *arr = json_object_get(doc, member), *by = json_object(), *ids = json_object();
    json_t *item;
    size_t i;
    char key[32];
    assert_true(json_is_array(arr));
    json_int_t last = 0;
    json_array_foreach(arr, i, item) {
        json_int_t id = json_integer_value(json_object_get(item, "id"));
        assert_true(id > last); /* sorted by id, hence unique */
        last = id;
        snprintf(key, sizeof key, "%lld", (long long)id);
        assert_int_equal(json_object_set(ids, key, item), 0);
        if (has_slug) {
            const char *slug = json_string_value(json_object_get(item, "slug"));
            assert_non_null(slug);
            if (!good_slug(slug))
                fail_msg("bad slug '%s' in %s", slug, member);
            if (json_object_get(by, slug) != NULL)
                fail_msg("duplicate slug '%s' in %s", slug, member);
            assert_int_equal(json_object_set(by, slug, item), 0);
        }
    }
    json_decref(ids);
    if (!has_slug) {
        json_decref(by);
        return json_incref(arr);
    }
    return by;
}

/* The resource that ref names in idx, failing the test when there is none. */
static json_t *resolve(json_t *idx, json_t *ref, const char *what) {
    const char *slug = json_string_value(ref);
    if (slug == NULL || json_object_get(idx, slug) == NULL)
        fail_msg("%s: reference '%s' does not resolve", what, slug ? slug : "(not a string)");
    return json_object_get(idx, slug);
}

static void resolve_list(json_t *idx, json_t *list, const char *what) {
    json_t *ref;
    size_t i, j;
    assert_true(json_is_array(list));
    json_array_foreach(list, i, ref) {
        resolve(idx, ref, what);
        for (j = 0; j < i; j++)
            assert_false(json_equal(ref, json_array_get(list, j)));
    }
}

/* The day of an ISO date is between the assembly's dates. */
static void within(json_t *assembly, json_t *date, const char *what) {
    const char *d = json_string_value(date);
    assert_non_null(d);
    if (strcmp(d, json_string_value(json_object_get(assembly, "start_date"))) < 0 ||
        strcmp(d, json_string_value(json_object_get(assembly, "end_date"))) > 0)
        fail_msg("%s: %s is outside its assembly", what, d);
}

static void record_is_coherent(void **state) {
    (void)state;
    char *path = generate_to_file("2000", "7");
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    if (doc == NULL)
        fail_msg("generated JSON does not parse: %s (line %d)", jerr.text, jerr.line);
    assert_string_equal(json_string_value(json_object_get(doc, "format")), "plenary-record/1");

    json_t *assemblies = index_of(doc, "assemblies", 1);
    json_t *topics = index_of(doc, "topics", 1);
    json_t *orgs = index_of(doc, "organizations", 1);
    json_t *people = index_of(doc, "people", 1);
    json_t *docs = index_of(doc, "documents", 1);
    json_t *sessions = index_of(doc, "sessions", 1);
    json_t *ivs = index_of(doc, "interventions", 0);
    json_t *events = index_of(doc, "side_events", 1);
    assert_int_equal(json_array_size(ivs), 2000);
    json_t *item;
    size_t i;

    json_t *codes = json_object();
    json_array_foreach(json_object_get(doc, "organizations"), i, item) {
        json_t *parent = json_object_get(item, "parent");
        if (!json_is_null(parent))
            resolve(orgs, parent, "organization parent");
        json_t *cc = json_object_get(item, "country_code");
        if (!json_is_null(cc)) {
            assert_string_equal(json_string_value(json_object_get(item, "kind")), "state");
            assert_null(json_object_get(codes, json_string_value(cc)));
            json_object_set(codes, json_string_value(cc), json_true());
        }
    }
    assert_true(json_object_size(codes) >= 10);
    json_decref(codes);

    json_array_foreach(json_object_get(doc, "people"), i, item) {
        json_t *aff;
        size_t j;
        size_t n = json_array_size(json_object_get(item, "affiliations"));
        assert_true(n >= 1 && n <= 2);
        json_array_foreach(json_object_get(item, "affiliations"), j, aff)
            resolve(orgs, json_object_get(aff, "organization"), "affiliation");
    }
    json_array_foreach(json_object_get(doc, "documents"), i, item) {
        json_t *as = resolve(assemblies, json_object_get(item, "assembly"), "document");
        if (!json_is_null(json_object_get(item, "date")))
            within(as, json_object_get(item, "date"), "document");
        if (!json_is_null(json_object_get(item, "author")))
            resolve(orgs, json_object_get(item, "author"), "document author");
    }
    /* sessions: a day's positions are distinct, segments numbered 1.. in order */
    json_t *day_pos = json_object();
    json_array_foreach(json_object_get(doc, "sessions"), i, item) {
        json_t *as = resolve(assemblies, json_object_get(item, "assembly"), "session");
        within(as, json_object_get(item, "date"), "session");
        char key[96];
        snprintf(key, sizeof key, "%s/%s/%lld",
                 json_string_value(json_object_get(item, "assembly")),
                 json_string_value(json_object_get(item, "date")),
                 (long long)json_integer_value(json_object_get(item, "position")));
        assert_null(json_object_get(day_pos, key));
        json_object_set(day_pos, key, json_true());
        json_t *seg;
        size_t j;
        json_array_foreach(json_object_get(item, "segments"), j, seg)
            assert_int_equal(json_integer_value(json_object_get(seg, "position")), j + 1);
        assert_true(json_array_size(json_object_get(item, "segments")) <= 3);
        resolve_list(docs, json_object_get(item, "documents"), "session document");
        resolve_list(topics, json_object_get(item, "topics"), "session topic");
    }
    json_decref(day_pos);

    /* interventions: positions 1, 2, ... within each session; segments of that session */
    json_t *next_pos = json_object();
    size_t no_speaker = 0, behalf = 0;
    json_array_foreach(ivs, i, item) {
        const char *sslug = json_string_value(json_object_get(item, "session"));
        json_t *s = resolve(sessions, json_object_get(item, "session"), "intervention");
        json_int_t expect = json_integer_value(json_object_get(next_pos, sslug)) + 1;
        assert_int_equal(json_integer_value(json_object_get(item, "position")), expect);
        json_object_set_new(next_pos, sslug, json_integer(expect));
        json_t *seg = json_object_get(item, "segment");
        if (!json_is_null(seg)) {
            json_int_t p = json_integer_value(seg);
            assert_true(p >= 1 && (size_t)p <= json_array_size(json_object_get(s, "segments")));
        }
        json_t *speaker = json_object_get(item, "speaker");
        json_t *org = json_object_get(item, "organization");
        assert_false(json_is_null(speaker) && json_is_null(org));
        if (json_is_null(speaker))
            no_speaker++;
        else
            resolve(people, speaker, "speaker");
        if (!json_is_null(org))
            resolve(orgs, org, "intervention organization");
        if (json_array_size(json_object_get(item, "on_behalf_of")) > 0)
            behalf++;
        resolve_list(orgs, json_object_get(item, "on_behalf_of"), "on_behalf_of");
        resolve_list(topics, json_object_get(item, "topics"), "intervention topic");
        resolve_list(docs, json_object_get(item, "documents"), "intervention document");
        json_t *summary = json_object_get(item, "summary");
        if (!json_is_null(summary))
            assert_true(json_string_length(summary) >= 200 && json_string_length(summary) <= 800);
    }
    assert_true(no_speaker > 400 && no_speaker < 800); /* ~30% */
    assert_true(behalf > 100 && behalf < 300);         /* ~10% */
    json_decref(next_pos);

    json_array_foreach(json_object_get(doc, "side_events"), i, item) {
        json_t *as = resolve(assemblies, json_object_get(item, "assembly"), "side event");
        within(as, json_object_get(item, "date"), "side event");
        json_t *host, *hosts = json_object_get(item, "hosts");
        size_t j;
        assert_true(json_array_size(hosts) >= 1 && json_array_size(hosts) <= 5);
        json_array_foreach(hosts, j, host) {
            const char *role = json_string_value(json_object_get(host, "role"));
            assert_true(strcmp(role, "host") == 0 || strcmp(role, "co_host") == 0);
            resolve(orgs, json_object_get(host, "organization"), "host");
        }
        resolve_list(topics, json_object_get(item, "topics"), "side event topic");
    }

    json_decref(assemblies);
    json_decref(topics);
    json_decref(orgs);
    json_decref(people);
    json_decref(docs);
    json_decref(sessions);
    json_decref(ivs);
    json_decref(events);
    json_decref(doc);

    /* and the import, which checks everything against the schema, accepts it */
    char dbpath[64];
    snprintf(dbpath, sizeof dbpath, "/tmp/plenary-test-generate-db-XXXXXX");
    assert_int_equal(scratch_file(dbpath), 0);
    struct db_error err = {0};
    struct db *db = db_open(dbpath, DB_READ_WRITE, &err);
    assert_non_null(db);
    assert_int_equal(db_migrate(db, &err), 0);
    struct problem p;
    memset(&p, 0, sizeof p);
    struct record_import_result result;
    int rc = record_import_file(db, path, NULL, &result, &p, &err);
    if (rc != 0)
        fail_msg("import refused the generated record: %s %s: %s", p.detail,
                 p.error_count ? p.errors[0].where : "", p.error_count ? p.errors[0].detail : "");
    assert_int_equal(result.types[RECORD_INTERVENTION].created, 2000);
    db_close(db);
    scratch_db_remove(dbpath);
    unlink(path);
    free(path);
}

int main(void) {
    db_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_seed_same_bytes),
        cmocka_unit_test(other_seed_other_bytes),
        cmocka_unit_test(bad_flags_are_usage_errors),
        cmocka_unit_test(record_is_coherent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
