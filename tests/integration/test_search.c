/* test_search.c: /v1/search against the real daemon and the fixtures — highlighted hits of
 * several types, diacritics folded, prefix type-ahead, type restriction, strict parameters,
 * adversarial q never a 500, and paging that visits every hit exactly once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "harness.h"

#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
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

/* GETs path, checks the status, returns the JSON body (caller decrefs). */
static json_t *get_json(const char *path, long status) {
    struct reply r;
    assert_int_equal(http_get(&d, path, &r), 0);
    if (r.status != status)
        fail_msg("%s: status %ld, want %ld: %s", path, r.status, status, r.body);
    json_t *doc = json_loads(r.body, 0, NULL);
    reply_free(&r);
    assert_non_null(doc);
    return doc;
}

/* Does some hit of doc have this type (and, when name is not NULL, this ref name)? */
static int has_hit(const json_t *doc, const char *type, const char *name) {
    size_t i;
    const json_t *hit;
    json_array_foreach(json_object_get(doc, "data"), i, hit) {
        if (strcmp(json_string_value(json_object_get(hit, "type")), type) != 0)
            continue;
        const char *n = json_string_value(json_object_get(json_object_get(hit, "ref"), "name"));
        if (name == NULL || (n != NULL && strcmp(n, name) == 0))
            return 1;
    }
    return 0;
}

static void cooperation_finds_interventions_and_sessions(void **state) {
    (void)state;
    json_t *doc = get_json("/v1/search?q=cooperation&limit=500", 200);
    assert_true(has_hit(doc, "intervention", NULL));
    assert_true(has_hit(doc, "session", NULL));
    size_t i;
    const json_t *hit;
    json_array_foreach(json_object_get(doc, "data"), i, hit) {
        const char *snippet = json_string_value(json_object_get(hit, "snippet"));
        assert_non_null(snippet);
        assert_non_null(strstr(snippet, "<mark>"));
        assert_non_null(strstr(snippet, "</mark>"));
        const json_t *ref = json_object_get(hit, "ref");
        assert_true(json_is_integer(json_object_get(ref, "id")));
        assert_true(json_is_string(json_object_get(ref, "name")));
    }
    const json_t *meta = json_object_get(doc, "meta");
    assert_int_equal(json_integer_value(json_object_get(meta, "total")),
                     json_array_size(json_object_get(doc, "data")));
    assert_int_equal(json_integer_value(json_object_get(meta, "limit")), 500);
    assert_true(json_is_null(json_object_get(json_object_get(doc, "links"), "next")));
    json_decref(doc);
}

static void diacritics_are_folded(void **state) {
    (void)state;
    json_t *doc = get_json("/v1/search?q=Gueye", 200);
    assert_true(has_hit(doc, "person", "Momar Guèye"));
    json_decref(doc);
    doc = get_json("/v1/search?q=hofmanski&type=person", 200);
    assert_true(has_hit(doc, "person", "Piotr Hofmański"));
    json_decref(doc);
}

static void prefix_for_type_ahead(void **state) {
    (void)state;
    json_t *doc = get_json("/v1/search?q=coop&type=topic", 200);
    assert_true(has_hit(doc, "topic", "Cooperation"));
    const json_t *hit = json_array_get(json_object_get(doc, "data"), 0);
    assert_non_null(
        strstr(json_string_value(json_object_get(hit, "snippet")), "<mark>Cooperation</mark>"));
    json_decref(doc);
}

static void type_restricts(void **state) {
    (void)state;
    json_t *doc = get_json("/v1/search?q=cooperation&type=person,session&limit=500", 200);
    size_t i;
    const json_t *hit;
    assert_true(json_array_size(json_object_get(doc, "data")) > 0);
    json_array_foreach(json_object_get(doc, "data"), i, hit) {
        const char *t = json_string_value(json_object_get(hit, "type"));
        assert_true(strcmp(t, "person") == 0 || strcmp(t, "session") == 0);
    }
    json_decref(doc);
    doc = get_json("/v1/search?q=gueye&type=person", 200);
    hit = json_array_get(json_object_get(doc, "data"), 0);
    const json_t *ref = json_object_get(hit, "ref");
    assert_string_equal(json_string_value(json_object_get(ref, "slug")), "momar-gueye");
    assert_non_null(json_object_get(ref, "honorific"));
    json_decref(doc);
}

/* Each bad request answers 400 naming the parameter. */
static void bad_parameters(void **state) {
    (void)state;
    static const struct {
        const char *path;
        const char *parameter;
    } cases[] = {
        {"/v1/search", "q"},
        {"/v1/search?q=", "q"},
        {"/v1/search?q=%20%20", "q"},
        {"/v1/search?q=x&type=people", "type"},
        {"/v1/search?q=x&type=", "type"},
        {"/v1/search?q=x&type=person,", "type"},
        {"/v1/search?q=x&limit=0", "limit"},
        {"/v1/search?q=x&limit=501", "limit"},
        {"/v1/search?q=x&limit=ten", "limit"},
        {"/v1/search?q=x&cursor=abc", "cursor"},
        {"/v1/search?q=x&cursor=o0h0000000000000000", "cursor"},
        {"/v1/search?q=x&sort=name", "sort"},
        {"/v1/search?q=x&q=y", "q"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *doc = get_json(cases[i].path, 400);
        const json_t *err = json_array_get(json_object_get(doc, "errors"), 0);
        const char *where = json_string_value(json_object_get(err, "parameter"));
        if (where == NULL || strcmp(where, cases[i].parameter) != 0)
            fail_msg("%s: names %s, want %s", cases[i].path, where ? where : "nothing",
                     cases[i].parameter);
        json_decref(doc);
    }
}

/* A cursor as res_search.c makes it: "o<offset>h<hash>", the hash a SipHash (key
 * "plenary-search-1") of the FTS5 expression of q, the type mask (two bytes), three zero bytes
 * and the offset (eight bytes, little-endian). Here q is "x" (one character: no prefix star)
 * and every type is searched. */
static void cursor_for_x(int64_t offset, char *out, size_t size) {
    static const unsigned char key[crypto_shorthash_KEYBYTES] = "plenary-search-1";
    unsigned char msg[] = {'"', 'x', '"', 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    for (int i = 0; i < 8; i++)
        msg[8 + i] = (unsigned char)((uint64_t)offset >> (8 * i) & 0xFF);
    unsigned char h[crypto_shorthash_BYTES];
    crypto_shorthash(h, msg, sizeof msg, key);
    uint64_t v = 0;
    for (size_t i = 0; i < sizeof h; i++)
        v = v << 8 | h[i];
    snprintf(out, size, "o%" PRId64 "h%016" PRIx64, offset, v);
}

/* A well-formed cursor past every rankable hit was not made by links.next: 400, not a scan
 * of every candidate to show nothing. One just inside is an empty page. */
static void cursor_past_candidates(void **state) {
    (void)state;
    char cursor[64], path[128];
    cursor_for_x(0, cursor, sizeof cursor);
    snprintf(path, sizeof path, "/v1/search?q=x&cursor=%s", cursor);
    json_t *doc = get_json(path, 200); /* the test's cursor is the server's */
    json_decref(doc);
    cursor_for_x(15999, cursor, sizeof cursor);
    snprintf(path, sizeof path, "/v1/search?q=x&cursor=%s", cursor);
    doc = get_json(path, 200);
    assert_int_equal(json_array_size(json_object_get(doc, "data")), 0);
    json_decref(doc);
    cursor_for_x(16000, cursor, sizeof cursor);
    snprintf(path, sizeof path, "/v1/search?q=x&cursor=%s", cursor);
    doc = get_json(path, 400);
    const json_t *err = json_array_get(json_object_get(doc, "errors"), 0);
    assert_string_equal(json_string_value(json_object_get(err, "parameter")), "cursor");
    json_decref(doc);
}

/* Whatever q holds, the answer is 200 or 400, with a JSON body. */
static void adversarial_q_never_fails(void **state) {
    (void)state;
    static const char *const qs[] = {
        "%22",
        "*",
        "(",
        ")",
        "NEAR",
        "NEAR(a%20b)",
        "-",
        "-cooperation",
        "AND",
        "a%20AND%20b",
        "a%20OR",
        "NOT",
        "col:x",
        "title:cooperation",
        "%5Ex",
        "%22a%22*",
        "a*b",
        "%7B%7D",
        "C%C3%B4te%20d%E2%80%99Ivoire",
        "%E2%80%94",
        "%F0%9F%98%80",
        "%FF%FE",
        "%C3",
        "%2B",
        "%27%3B%20DROP%20TABLE%20people%3B--",
        "%5C",
        "%00x",
    };
    char path[4096];
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        snprintf(path, sizeof path, "/v1/search?q=%s", qs[i]);
        struct reply r;
        assert_int_equal(http_get(&d, path, &r), 0);
        if (r.status != 200 && r.status != 400)
            fail_msg("%s: status %ld: %s", path, r.status, r.body);
        json_t *doc = json_loads(r.body, 0, NULL);
        assert_non_null(doc);
        json_decref(doc);
        reply_free(&r);
    }
    /* a 1000-character q */
    size_t n = (size_t)snprintf(path, sizeof path, "/v1/search?q=");
    for (int i = 0; i < 1000; i++)
        path[n++] = i % 7 == 6 ? '+' : 'a';
    path[n] = '\0';
    struct reply r;
    assert_int_equal(http_get(&d, path, &r), 0);
    assert_true(r.status == 200 || r.status == 400);
    reply_free(&r);
    /* q with characters that HTML and JSON care about comes back escaped */
    json_t *doc = get_json("/v1/search?q=%3Cscript%3Ecooperation&type=topic", 200);
    json_decref(doc);
}

/* links.next's cursor with its offset edited (o3 -> o4) is refused: the hash covers it. */
static void edited_cursor_offset_is_400(void **state) {
    (void)state;
    json_t *doc = get_json("/v1/search?q=coop&limit=3", 200);
    const char *next = json_string_value(json_object_get(json_object_get(doc, "links"), "next"));
    assert_non_null(next);
    char path[1024];
    snprintf(path, sizeof path, "%s", next);
    json_decref(doc);
    doc = get_json(path, 200); /* as given */
    json_decref(doc);
    char *offset = strstr(path, "cursor=o3h");
    assert_non_null(offset);
    offset[strlen("cursor=o")] = '4';
    doc = get_json(path, 400);
    const json_t *err = json_array_get(json_object_get(doc, "errors"), 0);
    assert_string_equal(json_string_value(json_object_get(err, "parameter")), "cursor");
    json_decref(doc);
}

/* Walks "coop" in pages of 3 following links.next; every hit of the one-page answer is seen
 * once, in the same order, and every page but the last sends a Link header. */
static void paging_walks_every_hit_once(void **state) {
    (void)state;
    json_t *all = get_json("/v1/search?q=coop&limit=500", 200);
    const json_t *want = json_object_get(all, "data");
    assert_true(json_array_size(want) > 3);
    char path[1024] = "/v1/search?q=coop&limit=3";
    size_t seen = 0;
    for (int pages = 0; pages < 1000; pages++) {
        struct reply r;
        assert_int_equal(http_get(&d, path, &r), 0);
        assert_int_equal(r.status, 200);
        json_t *doc = json_loads(r.body, 0, NULL);
        assert_non_null(doc);
        size_t i;
        const json_t *hit;
        json_array_foreach(json_object_get(doc, "data"), i, hit) {
            const json_t *w = json_array_get(want, seen++);
            assert_non_null(w);
            assert_true(json_equal(json_object_get(hit, "ref"), json_object_get(w, "ref")));
            assert_true(json_equal(json_object_get(hit, "type"), json_object_get(w, "type")));
        }
        const json_t *next = json_object_get(json_object_get(doc, "links"), "next");
        char link[1100];
        const char *header = reply_header(&r, "Link", link, sizeof link);
        reply_free(&r);
        if (json_is_null(next)) {
            assert_null(header);
            json_decref(doc);
            break;
        }
        assert_non_null(header);
        assert_non_null(strstr(header, json_string_value(next)));
        assert_non_null(strstr(header, "rel=\"next\""));
        snprintf(path, sizeof path, "%s", json_string_value(next));
        json_decref(doc);
    }
    assert_int_equal(seen, json_array_size(want));
    /* the fixtures are far below the count's cap and the ranking's bound: total is exact */
    const json_t *meta = json_object_get(all, "meta");
    assert_int_equal(json_integer_value(json_object_get(meta, "total")), seen);
    assert_null(json_object_get(meta, "total_is_lower_bound"));
    json_decref(all);
}

/* The data and meta of a 200 answer to path, as one JSON text (caller frees). */
static char *answer_of(const char *path) {
    json_t *doc = get_json(path, 200);
    json_t *part = json_pack("{s:O,s:O}", "data", json_object_get(doc, "data"), "meta",
                             json_object_get(doc, "meta"));
    assert_non_null(part);
    char *text = json_dumps(part, JSON_SORT_KEYS);
    assert_non_null(text);
    json_decref(part);
    json_decref(doc);
    return text;
}

/* A long type-ahead prefix is searched as the exact terms of each table's vocabulary that it
 * covers, read from the index's own pages; a q whose first word holds no ASCII letter keeps
 * FTS5's own prefix query (and FTS5 drops that tokenless word). Both must find, rank,
 * count and highlight alike. */
static void expanded_prefix_answers_as_fts5_prefix(void **state) {
    (void)state;
    static const char *const qs[] = {
        "coop",
        "coope",
        "cooperatio",
        "cooperation",
        "Coop",
        "COOPERAT",
        "crim",
        "crime",
        "inte",
        "inter",
        "international",
        "stat",
        "asse",
        "cont",
        "pros",
        "high",
        "hofm",
        "gurm",
        "plen",
        "zzzz",
        "rome",
        "vict",
        "comp",
        "comm",
        "international%20crim",
        "court%20inte",
        "the%20stat",
        "states%20parties%20coop",
    };
    char path[512];
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        for (int type = 0; type < 2; type++) {
            const char *types = type ? "&type=intervention,topic" : "";
            snprintf(path, sizeof path, "/v1/search?q=%s&limit=500%s", qs[i], types);
            char *expanded = answer_of(path);
            snprintf(path, sizeof path, "/v1/search?q=%%E2%%80%%94%%20%s&limit=500%s", qs[i],
                     types);
            char *plain = answer_of(path);
            if (strcmp(expanded, plain) != 0)
                fail_msg("q=%s%s: %s\nwith FTS5's prefix: %s", qs[i], types, expanded, plain);
            free(expanded);
            free(plain);
        }
    }
}

/* The term statistics a search leaves behind (document frequencies, a prefix's terms) and
 * the tables it then need not score change nothing: asked again, every answer is the same. */
static void answers_repeat(void **state) {
    (void)state;
    static const char *const qs[] = {
        "cooperation",          "cooperation%20", "coop", "international%20criminal",
        "international%20crim", "zzzz",           "the",  "court%20of%20the",
    };
    static const char *const tails[] = {"", "&limit=1", "&limit=3&type=intervention",
                                        "&type=session,document,topic"};
    char path[256];
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
        for (size_t k = 0; k < sizeof tails / sizeof tails[0]; k++) {
            snprintf(path, sizeof path, "/v1/search?q=%s%s", qs[i], tails[k]);
            char *first = answer_of(path);
            for (int again = 0; again < 2; again++) {
                char *next = answer_of(path);
                if (strcmp(first, next) != 0)
                    fail_msg("%s: %s\nthen: %s", path, first, next);
                free(next);
            }
            free(first);
        }
}

/* Interventions alone: every hit highlighted, the count exact. */
static void intervention_snippets(void **state) {
    (void)state;
    json_t *doc = get_json("/v1/search?q=cooperation&type=intervention&limit=500", 200);
    size_t i;
    const json_t *hit;
    const json_t *data = json_object_get(doc, "data");
    assert_true(json_array_size(data) > 3);
    json_array_foreach(data, i, hit) {
        assert_string_equal(json_string_value(json_object_get(hit, "type")), "intervention");
        assert_non_null(strstr(json_string_value(json_object_get(hit, "snippet")), "<mark>"));
    }
    assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "meta"), "total")),
                     json_array_size(data));
    json_decref(doc);
    doc = get_json("/v1/search?q=zzzz", 200);
    assert_int_equal(json_array_size(json_object_get(doc, "data")), 0);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "meta"), "total")), 0);
    json_decref(doc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cooperation_finds_interventions_and_sessions),
        cmocka_unit_test(diacritics_are_folded),
        cmocka_unit_test(prefix_for_type_ahead),
        cmocka_unit_test(type_restricts),
        cmocka_unit_test(bad_parameters),
        cmocka_unit_test(cursor_past_candidates),
        cmocka_unit_test(edited_cursor_offset_is_400),
        cmocka_unit_test(adversarial_q_never_fails),
        cmocka_unit_test(paging_walks_every_hit_once),
        cmocka_unit_test(expanded_prefix_answers_as_fts5_prefix),
        cmocka_unit_test(answers_repeat),
        cmocka_unit_test(intervention_snippets),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
