/* test_http.c: HTTP for dashboards, browsers and terminals, against the real daemon —
 * validators and 304s, the response cache (key normalisation, invalidation by a write of
 * another process), gzip, CORS, 406, long polls and Server-Sent Events. Writes go through
 * `plenary import` of a changed document, as another process would make them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

static struct daemon d;

static int setup(void **state) {
    (void)state;
    const char *args[] = {"--cors-origin", "https://app.example", NULL};
    return daemon_start(&d, 1, args);
}

static int teardown(void **state) {
    (void)state;
    return daemon_stop(&d) == 0 ? 0 : -1;
}

static void sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static long get_status(const char *path, const char *const headers[], char *etag,
                       size_t etag_size) {
    struct reply r;
    assert_int_equal(http_request(&d, NULL, path, headers, NULL, &r), 0);
    long status = r.status;
    if (etag && !reply_header(&r, "ETag", etag, etag_size))
        etag[0] = '\0';
    reply_free(&r);
    return status;
}

/* Changes one field of one resource of the exported record and imports it back: a write
 * by another process. Waits until the server has seen the new revision. */
static void write_through_import(const char *array, const char *slug, const char *field,
                                 const char *value) {
    char doc[400];
    snprintf(doc, sizeof doc, "%s/doc.json", d.dir);
    const char *export_args[] = {"export", "--out", doc, NULL};
    assert_int_equal(harness_run(&d, export_args), 0);
    json_error_t error;
    json_t *record = json_load_file(doc, 0, &error);
    assert_non_null(record);
    json_t *items = json_object_get(record, array);
    size_t i;
    json_t *item;
    int changed = 0;
    json_array_foreach(items, i, item) {
        if (strcmp(json_string_value(json_object_get(item, "slug")), slug) == 0) {
            json_object_set_new(item, field, json_string(value));
            changed = 1;
        }
    }
    assert_true(changed);
    assert_int_equal(json_dump_file(record, doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER), 0);
    json_decref(record);
    struct reply r;
    assert_int_equal(http_get(&d, "/", &r), 0);
    char before[32];
    reply_header(&r, "X-Revision", before, sizeof before);
    reply_free(&r);
    const char *import_args[] = {"import", doc, NULL};
    assert_int_equal(harness_run(&d, import_args), 0);
    for (int tries = 0; tries < 100; tries++) {
        char now[32];
        assert_int_equal(http_get(&d, "/", &r), 0);
        reply_header(&r, "X-Revision", now, sizeof now);
        reply_free(&r);
        if (strcmp(now, before) != 0)
            return; /* seen within one second, without a query per request */
        sleep_ms(20);
    }
    fail_msg("the server did not see the import's revision within 2 s");
}

static void etag_and_date_give_304(void **state) {
    (void)state;
    struct reply r;
    assert_int_equal(http_get(&d, "/v1/topics", &r), 0);
    assert_int_equal(r.status, 200);
    char etag[64], modified[64], header[128];
    assert_non_null(reply_header(&r, "ETag", etag, sizeof etag));
    assert_non_null(reply_header(&r, "Last-Modified", modified, sizeof modified));
    assert_non_null(reply_header(&r, "X-Revision", header, sizeof header));
    assert_string_equal(reply_header(&r, "Cache-Control", header, sizeof header), "no-cache");
    reply_free(&r);
    snprintf(header, sizeof header, "If-None-Match: %s", etag);
    const char *inm[] = {header, NULL};
    assert_int_equal(http_request(&d, NULL, "/v1/topics", inm, NULL, &r), 0);
    assert_int_equal(r.status, 304);
    assert_int_equal(r.body_len, 0);
    char etag2[64];
    assert_string_equal(reply_header(&r, "ETag", etag2, sizeof etag2), etag);
    reply_free(&r);
    char ims[128];
    snprintf(ims, sizeof ims, "If-Modified-Since: %s", modified);
    const char *by_date[] = {ims, NULL};
    assert_int_equal(get_status("/v1/topics", by_date, NULL, 0), 304);
    /* If-None-Match takes precedence over If-Modified-Since */
    const char *both[] = {"If-None-Match: \"other\"", ims, NULL};
    assert_int_equal(get_status("/v1/topics", both, NULL, 0), 200);
    const char *old[] = {"If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT", NULL};
    assert_int_equal(get_status("/v1/topics", old, NULL, 0), 200);
}

static void cache_key_is_normalised(void **state) {
    (void)state;
    struct reply r;
    assert_int_equal(http_get(&d, "/metrics", &r), 0);
    const char *hits = strstr(r.body, "plenary_cache_lookups_total{result=\"hit\"} ");
    assert_non_null(hits);
    long before = atol(hits + strlen("plenary_cache_lookups_total{result=\"hit\"} "));
    reply_free(&r);
    char e1[64], e2[64];
    assert_int_equal(get_status("/v1/organizations?kind=state&limit=5", NULL, e1, sizeof e1), 200);
    assert_int_equal(get_status("/v1/organizations?limit=5&kind=state", NULL, e2, sizeof e2), 200);
    assert_string_equal(e1, e2);
    assert_int_equal(http_get(&d, "/metrics", &r), 0);
    hits = strstr(r.body, "plenary_cache_lookups_total{result=\"hit\"} ");
    long after = atol(hits + strlen("plenary_cache_lookups_total{result=\"hit\"} "));
    reply_free(&r);
    assert_true(after >= before + 1);
}

static void etag_follows_only_related_writes(void **state) {
    (void)state;
    char topics_before[64], people_before[64], after[64];
    assert_int_equal(get_status("/v1/topics", NULL, topics_before, sizeof topics_before), 200);
    assert_int_equal(get_status("/v1/people", NULL, people_before, sizeof people_before), 200);
    /* a person changes: the topics list is untouched, the people list is not */
    write_through_import("people", "liz-evenson", "honorific", "Ms");
    assert_int_equal(get_status("/v1/topics", NULL, after, sizeof after), 200);
    assert_string_equal(after, topics_before);
    assert_int_equal(get_status("/v1/people", NULL, after, sizeof after), 200);
    assert_string_not_equal(after, people_before);
    struct reply r;
    assert_int_equal(http_get(&d, "/v1/people/liz-evenson", &r), 0);
    assert_non_null(strstr(r.body, "\"honorific\":\"Ms\""));
    reply_free(&r);
}

/* With CORS "*" a cached answer's response is made once and queued again: it must still
 * carry the current X-Revision after an unrelated write, with the same ETag. */
static void reused_answers_follow_the_revision(void **state) {
    (void)state;
    struct daemon saved = d;
    assert_int_equal(daemon_start(&d, 1, NULL), 0);
    char etag1[64], etag2[64], rev1[32], rev2[32];
    struct reply r;
    for (int i = 0; i < 3; i++) { /* the second and third come from the prepared response */
        assert_int_equal(http_get(&d, "/v1/topics", &r), 0);
        reply_header(&r, "ETag", etag1, sizeof etag1);
        reply_header(&r, "X-Revision", rev1, sizeof rev1);
        reply_free(&r);
    }
    write_through_import("people", "matt-cannock", "honorific", "Mr");
    assert_int_equal(http_get(&d, "/v1/topics", &r), 0);
    reply_header(&r, "ETag", etag2, sizeof etag2);
    reply_header(&r, "X-Revision", rev2, sizeof rev2);
    char origin[16];
    assert_string_equal(reply_header(&r, "Access-Control-Allow-Origin", origin, sizeof origin),
                        "*");
    reply_free(&r);
    assert_string_equal(etag1, etag2);
    assert_int_equal(atoll(rev2), atoll(rev1) + 1);
    assert_int_equal(daemon_stop(&d), 0);
    d = saved;
}

static void gzip_round_trip(void **state) {
    (void)state;
    const char *headers[] = {"Accept-Encoding: gzip", NULL};
    struct reply plain, zipped;
    assert_int_equal(http_get(&d, "/v1/interventions?limit=20", &plain), 0);
    assert_int_equal(plain.status, 200);
    assert_int_equal(http_request(&d, NULL, "/v1/interventions?limit=20", headers, NULL, &zipped),
                     0);
    char buf[96], etag_plain[64];
    assert_string_equal(reply_header(&zipped, "Content-Encoding", buf, sizeof buf), "gzip");
    reply_header(&plain, "ETag", etag_plain, sizeof etag_plain);
    assert_string_not_equal(reply_header(&zipped, "ETag", buf, sizeof buf), etag_plain);
    assert_true(zipped.body_len < plain.body_len);
    char *out = malloc(plain.body_len + 1);
    z_stream z = {0};
    assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
    z.next_in = (Bytef *)zipped.body;
    z.avail_in = (uInt)zipped.body_len;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)plain.body_len + 1;
    assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
    assert_int_equal(z.total_out, plain.body_len);
    assert_memory_equal(out, plain.body, plain.body_len);
    inflateEnd(&z);
    free(out);
    reply_free(&plain);
    reply_free(&zipped);
}

static void cors_preflight_allowed_and_refused(void **state) {
    (void)state;
    struct reply r;
    const char *allowed[] = {"Origin: https://app.example",
                             "Access-Control-Request-Method: GET", NULL};
    assert_int_equal(http_request(&d, "OPTIONS", "/v1/sessions", allowed, NULL, &r), 0);
    assert_int_equal(r.status, 204);
    char buf[256];
    assert_string_equal(reply_header(&r, "Access-Control-Allow-Origin", buf, sizeof buf),
                        "https://app.example");
    assert_non_null(reply_header(&r, "Access-Control-Allow-Methods", buf, sizeof buf));
    assert_non_null(strstr(buf, "GET"));
    assert_non_null(reply_header(&r, "Access-Control-Max-Age", buf, sizeof buf));
    reply_free(&r);
    const char *refused[] = {"Origin: https://evil.example",
                             "Access-Control-Request-Method: GET", NULL};
    assert_int_equal(http_request(&d, "OPTIONS", "/v1/sessions", refused, NULL, &r), 0);
    assert_null(reply_header(&r, "Access-Control-Allow-Origin", buf, sizeof buf));
    assert_null(reply_header(&r, "Access-Control-Allow-Methods", buf, sizeof buf));
    reply_free(&r);
    const char *get[] = {"Origin: https://app.example", NULL};
    assert_int_equal(http_request(&d, NULL, "/v1/sessions", get, NULL, &r), 0);
    assert_string_equal(reply_header(&r, "Access-Control-Allow-Origin", buf, sizeof buf),
                        "https://app.example");
    assert_non_null(reply_header(&r, "Access-Control-Expose-Headers", buf, sizeof buf));
    assert_non_null(strstr(buf, "ETag"));
    assert_non_null(strstr(buf, "X-Revision"));
    assert_non_null(strstr(buf, "Link"));
    assert_non_null(strstr(buf, "Retry-After"));
    reply_free(&r);
}

static void not_acceptable_is_406(void **state) {
    (void)state;
    const char *accept[] = {"Accept: image/png", NULL};
    struct reply r;
    assert_int_equal(http_request(&d, NULL, "/healthz", accept, NULL, &r), 0);
    assert_int_equal(r.status, 406);
    char buf[96];
    assert_string_equal(reply_header(&r, "Content-Type", buf, sizeof buf),
                        "application/problem+json");
    reply_free(&r);
    const char *any[] = {"Accept: text/html, */*;q=0.1", NULL};
    assert_int_equal(get_status("/healthz", any, NULL, 0), 200);
}

static int64_t current_revision(void) {
    struct reply r;
    assert_int_equal(http_get(&d, "/", &r), 0);
    char buf[32];
    reply_header(&r, "X-Revision", buf, sizeof buf);
    reply_free(&r);
    return atoll(buf);
}

static void long_poll_times_out(void **state) {
    (void)state;
    char path[96];
    snprintf(path, sizeof path, "/v1/changes?since=%lld&wait=1", (long long)current_revision());
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    struct reply r;
    assert_int_equal(http_get(&d, path, &r), 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"data\":[]"));
    reply_free(&r);
    double waited = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    assert_true(waited >= 0.9);
}

struct poll_result {
    const struct daemon *d;
    char path[96];
    long status;
    char body[8192];
};

/* A second client on its own TCP connection (the shared curl handle is not thread-safe). */
static void *long_poll(void *arg) {
    struct poll_result *p = arg;
    char request[256];
    int n = snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                     p->path);
    char buf[8192];
    ssize_t got = raw_exchange(p->d->port, request, (size_t)n, buf, sizeof buf, 30000);
    p->status = got > 12 ? atol(buf + 9) : -1;
    snprintf(p->body, sizeof p->body, "%s", got > 0 ? buf : "");
    return NULL;
}

static void long_poll_returns_on_change(void **state) {
    (void)state;
    struct poll_result p = {.d = &d};
    snprintf(p.path, sizeof p.path, "/v1/changes?since=%lld&wait=20",
             (long long)current_revision());
    pthread_t t;
    pthread_create(&t, NULL, long_poll, &p);
    sleep_ms(300);
    write_through_import("topics", "cooperation", "name", "Cooperation with the Court");
    pthread_join(t, NULL);
    assert_int_equal(p.status, 200);
    assert_non_null(strstr(p.body, "\"op\":\"update\""));
    assert_non_null(strstr(p.body, "\"type\":\"topic\""));
}

/* Opens an SSE connection; returns the socket. */
static int sse_open(const char *extra_header) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)d.port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) {
        close(s);
        return -1;
    }
    char request[256];
    int n = snprintf(request, sizeof request,
                     "GET /v1/changes/stream HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n%s\r\n",
                     extra_header ? extra_header : "");
    if (send(s, request, (size_t)n, MSG_NOSIGNAL) != n) {
        close(s);
        return -1;
    }
    return s;
}

/* Reads from s until needle appears or timeout; returns 1 when found. */
static int sse_wait_for(int s, const char *needle, char *buf, size_t size, int timeout_ms) {
    size_t got = strlen(buf);
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        if (strstr(buf, needle))
            return 1;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (elapsed > timeout_ms || got + 1 >= size)
            return 0;
        struct pollfd p = {.fd = s, .events = POLLIN};
        if (poll(&p, 1, 200) <= 0)
            continue;
        ssize_t n = recv(s, buf + got, size - got - 1, 0);
        if (n <= 0)
            return 0;
        got += (size_t)n;
        buf[got] = '\0';
    }
}

static void sse_receives_and_resumes(void **state) {
    (void)state;
    int64_t start = current_revision();
    char header[64];
    snprintf(header, sizeof header, "Last-Event-ID: %lld\r\n", (long long)start);
    int s = sse_open(header);
    assert_true(s >= 0);
    static char buf[65536];
    buf[0] = '\0';
    assert_true(sse_wait_for(s, "retry: 3000", buf, sizeof buf, 5000));
    assert_non_null(strstr(buf, "text/event-stream"));
    write_through_import("topics", "cooperation", "name", "Cooperation (standing agenda item)");
    char id_line[64];
    snprintf(id_line, sizeof id_line, "id: %lld", (long long)start + 1);
    assert_true(sse_wait_for(s, id_line, buf, sizeof buf, 10000));
    assert_non_null(strstr(buf, "event: change"));
    assert_non_null(strstr(buf, "\"type\":\"topic\""));
    close(s);
    /* resume from the event before: the same change again, and nothing older */
    snprintf(header, sizeof header, "Last-Event-ID: %lld\r\n", (long long)start);
    s = sse_open(header);
    buf[0] = '\0';
    assert_true(sse_wait_for(s, id_line, buf, sizeof buf, 5000));
    char older[64];
    snprintf(older, sizeof older, "id: %lld\n", (long long)start);
    assert_null(strstr(buf, older));
    close(s);
}

static void idle_listeners_leave_requests_fast(void **state) {
    (void)state;
    enum { LISTENERS = 500 };
    static int sockets[LISTENERS];
    int opened = 0;
    for (int i = 0; i < LISTENERS; i++) {
        sockets[i] = sse_open(NULL);
        if (sockets[i] >= 0)
            opened++;
    }
    assert_int_equal(opened, LISTENERS);
    sleep_ms(500);
    http_reset();
    for (int i = 0; i < 50; i++)
        assert_int_equal(get_status("/v1/sessions", NULL, NULL, 0), 200);
    struct reply r;
    assert_int_equal(http_get(&d, "/metrics", &r), 0);
    const char *open_line = strstr(r.body, "\nplenary_open_connections ");
    assert_non_null(open_line);
    long open_now = atol(open_line + strlen("\nplenary_open_connections "));
    if (open_now < LISTENERS)
        fail_msg("%ld connections open, expected at least %d", open_now, LISTENERS);
    reply_free(&r);
    for (int i = 0; i < LISTENERS; i++)
        close(sockets[i]);
}

/* The WAL's size in bytes (0 when there is none). */
static long long wal_size(void) {
    char wal[320];
    snprintf(wal, sizeof wal, "%s-wal", d.db);
    struct stat info;
    return stat(wal, &info) == 0 ? (long long)info.st_size : 0;
}

/* ... and it must not keep the WAL from being copied back and restarted: writes by another
 * process, while the server serves and holds its snapshot, leave the WAL at the size a few
 * writes reach, instead of growing by every write. */
static void wal_does_not_grow_with_writes(void **state) {
    (void)state;
    char name[64];
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "Cooperation (write %d)", i);
        write_through_import("topics", "cooperation", "name", name);
        assert_int_equal(get_status("/v1/topics", NULL, NULL, 0), 200);
    }
    long long after_three = wal_size();
    for (int i = 3; i < 15; i++) {
        snprintf(name, sizeof name, "Cooperation (write %d)", i);
        write_through_import("topics", "cooperation", "name", name);
        assert_int_equal(get_status("/v1/topics", NULL, NULL, 0), 200);
    }
    long long after_fifteen = wal_size();
    if (after_fifteen > after_three + after_three / 2)
        fail_msg("the WAL grew from %lld bytes after 3 writes to %lld after 15", after_three,
                 after_fifteen);
}

/* The revision watcher keeps a read snapshot open between its looks (revision.c says why):
 * it must not hold back another process's checkpoint for longer than one look. After a
 * write by another process, a TRUNCATE checkpoint (which waits for every reader of the
 * WAL) succeeds within its busy timeout and empties the WAL, while the server keeps
 * serving. */
static void checkpoint_is_not_held_back(void **state) {
    (void)state;
    write_through_import("topics", "cooperation", "name", "Cooperation (checkpointed)");
    assert_int_equal(get_status("/v1/topics", NULL, NULL, 0), 200);
    sqlite3 *other = NULL;
    assert_int_equal(sqlite3_open_v2(d.db, &other, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_busy_timeout(other, 3000), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(other, "PRAGMA wal_checkpoint(TRUNCATE)", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 0); /* not busy: every reader let it through */
    sqlite3_finalize(st);
    sqlite3_close(other);
    assert_int_equal(wal_size(), 0);
    assert_int_equal(get_status("/v1/topics", NULL, NULL, 0), 200);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(etag_and_date_give_304),
        cmocka_unit_test(cache_key_is_normalised),
        cmocka_unit_test(etag_follows_only_related_writes),
        cmocka_unit_test(reused_answers_follow_the_revision),
        cmocka_unit_test(gzip_round_trip),
        cmocka_unit_test(cors_preflight_allowed_and_refused),
        cmocka_unit_test(not_acceptable_is_406),
        cmocka_unit_test(long_poll_times_out),
        cmocka_unit_test(long_poll_returns_on_change),
        cmocka_unit_test(sse_receives_and_resumes),
        cmocka_unit_test(idle_listeners_leave_requests_fast),
        cmocka_unit_test(wal_does_not_grow_with_writes),
        cmocka_unit_test(checkpoint_is_not_held_back),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
