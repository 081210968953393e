/* test_cache.c: the response cache — hits and misses, freshness by the revision of the types
 * an entry depends on, replacement of a key, the byte budget (least recently used out first),
 * references outliving eviction, and gzip made once and only when it pays. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static int64_t revisions[32]; /* per type bit, as the revision watcher would report */
static int64_t global_revision;

static int64_t current(unsigned depends) {
    if (depends == 0)
        return global_revision;
    int64_t newest = 0;
    for (int t = 0; t < 32; t++)
        if ((depends & (1u << t)) && revisions[t] > newest)
            newest = revisions[t];
    return newest;
}

static struct cache_entry *make(const char *key, const char *body, int64_t revision,
                                unsigned depends) {
    struct cache_header headers[1] = {{"Link", strdup("</v1/x?cursor=a>; rel=\"next\"")}};
    struct cache_entry *e =
        cache_entry_new(key, strlen(key), 200, "application/json", strdup(body), strlen(body),
                        headers, 1, 3, revision, depends, 1638950400);
    assert_non_null(e);
    return e;
}

static void reset(void) {
    memset(revisions, 0, sizeof revisions);
    global_revision = 0;
}

static void hit_miss_and_etag(void **state) {
    (void)state;
    reset();
    struct cache *c = cache_new(1 << 20);
    assert_null(cache_get(c, "/a", 2, current));
    struct cache_entry *e = make("/a", "{\"data\":[]}", 0, 1u << 2);
    cache_put(c, e);
    cache_release(e);
    struct cache_entry *hit = cache_get(c, "/a", 2, current);
    assert_non_null(hit);
    assert_string_equal(hit->body, "{\"data\":[]}");
    assert_int_equal(hit->etag[0], '"');
    assert_int_equal(strlen(hit->etag), 18);
    assert_string_equal(hit->headers[0].name, "Link");
    assert_int_equal(hit->route, 3);
    cache_release(hit);
    /* another key of the same length is another entry */
    assert_null(cache_get(c, "/b", 2, current));
    cache_free(c);
}

static void fresh_until_a_dependency_changes(void **state) {
    (void)state;
    reset();
    struct cache *c = cache_new(1 << 20);
    global_revision = 5;
    struct cache_entry *e = make("/topics", "[1]", 5, 1u << 1);
    cache_put(c, e);
    cache_release(e);
    revisions[4] = 6; /* a write to another type */
    global_revision = 6;
    struct cache_entry *hit = cache_get(c, "/topics", 7, current);
    assert_non_null(hit);
    cache_release(hit);
    revisions[1] = 7; /* a write to the type it was built from */
    global_revision = 7;
    assert_null(cache_get(c, "/topics", 7, current));
    size_t entries, bytes;
    cache_stats(c, &entries, &bytes);
    assert_int_equal(entries, 0); /* the stale entry is dropped */
    assert_int_equal(bytes, 0);
    cache_free(c);
}

static void same_key_replaces(void **state) {
    (void)state;
    reset();
    struct cache *c = cache_new(1 << 20);
    struct cache_entry *a = make("/k", "old", 0, 1);
    cache_put(c, a);
    struct cache_entry *b = make("/k", "new", 0, 1);
    cache_put(c, b);
    cache_release(b);
    struct cache_entry *hit = cache_get(c, "/k", 2, current);
    assert_string_equal(hit->body, "new");
    cache_release(hit);
    /* the replaced entry lives while its holder keeps a reference */
    assert_string_equal(a->body, "old");
    cache_release(a);
    size_t entries, bytes;
    cache_stats(c, &entries, &bytes);
    assert_int_equal(entries, 1);
    cache_free(c);
}

static void budget_evicts_least_recently_used(void **state) {
    (void)state;
    reset();
    static char body[2000];
    memset(body, 'x', sizeof body - 1);
    /* each entry costs a little over 4 KB (identity and the gzip allowance): 4 fit */
    struct cache *c = cache_new(18 * 1024);
    char key[16];
    for (int i = 0; i < 4; i++) {
        snprintf(key, sizeof key, "/e%d", i);
        struct cache_entry *e = make(key, body, 0, 1);
        cache_put(c, e);
        cache_release(e);
    }
    size_t entries, bytes;
    cache_stats(c, &entries, &bytes);
    assert_int_equal(entries, 4);
    struct cache_entry *hit = cache_get(c, "/e0", 3, current); /* /e1 is now the oldest */
    assert_non_null(hit);
    cache_release(hit);
    struct cache_entry *e = make("/e4", body, 0, 1);
    cache_put(c, e);
    cache_release(e);
    cache_stats(c, &entries, &bytes);
    assert_int_equal(entries, 4);
    assert_true(bytes <= 18 * 1024);
    const char *kept[] = {"/e0", "/e2", "/e3", "/e4"};
    for (size_t i = 0; i < 4; i++) {
        hit = cache_get(c, kept[i], 3, current);
        assert_non_null(hit);
        cache_release(hit);
    }
    assert_null(cache_get(c, "/e1", 3, current));
    cache_free(c);
}

static void zero_budget_keeps_nothing(void **state) {
    (void)state;
    reset();
    struct cache *c = cache_new(0);
    struct cache_entry *e = make("/z", "{}", 0, 1);
    cache_put(c, e);
    assert_null(cache_get(c, "/z", 2, current));
    struct cache_entry *twin = make("/y", "{}", 0, 1);
    assert_string_equal(e->etag, twin->etag); /* same bytes, same ETag */
    cache_release(twin);
    cache_release(e);
    cache_free(c);
}

static void gzip_once_and_only_when_it_pays(void **state) {
    (void)state;
    reset();
    static char body[4096];
    for (size_t i = 0; i < sizeof body - 1; i++)
        body[i] = "cooperation "[i % 12];
    struct cache_entry *big = make("/big", body, 0, 1);
    assert_int_equal(cache_entry_gzip(big), 1);
    char *first = big->gzip;
    assert_int_equal(cache_entry_gzip(big), 1);
    assert_ptr_equal(big->gzip, first); /* made once */
    assert_true(big->gzip_len < big->body_len);
    assert_string_not_equal(big->gzip_etag, big->etag);
    char out[4096];
    uLongf out_len = sizeof out;
    z_stream z = {0};
    assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
    z.next_in = (Bytef *)big->gzip;
    z.avail_in = (uInt)big->gzip_len;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)out_len;
    assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
    assert_int_equal(z.total_out, big->body_len);
    assert_memory_equal(out, body, big->body_len);
    inflateEnd(&z);
    cache_release(big);
    struct cache_entry *small = make("/small", "{\"status\":\"ok\"}", 0, 1);
    assert_int_equal(cache_entry_gzip(small), 0);
    assert_null(small->gzip);
    cache_release(small);
}

/* The hash behind ETags: the same bytes give the same value; a page changed in any one byte,
 * or cut short by one, gives another (a collision would answer 304 to changed text). */
static void hash_tells_every_one_byte_change(void **state) {
    (void)state;
    static char page[12500];
    for (size_t i = 0; i < sizeof page; i++)
        page[i] = (char)('a' + i * 7 % 26);
    uint64_t base = cache_hash(page, sizeof page);
    assert_true(base == cache_hash(page, sizeof page));
    assert_true(base != cache_hash(page, sizeof page - 1));
    assert_true(cache_hash("", 0) != cache_hash("\0", 1));
    for (size_t i = 0; i < sizeof page; i++) {
        page[i] ^= 1;
        assert_true(cache_hash(page, sizeof page) != base);
        page[i] ^= 1;
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hash_tells_every_one_byte_change),
        cmocka_unit_test(hit_miss_and_etag),
        cmocka_unit_test(fresh_until_a_dependency_changes),
        cmocka_unit_test(same_key_replaces),
        cmocka_unit_test(budget_evicts_least_recently_used),
        cmocka_unit_test(zero_budget_keeps_nothing),
        cmocka_unit_test(gzip_once_and_only_when_it_pays),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
