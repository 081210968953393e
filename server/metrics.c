/* metrics.c: request counters by route and status, a latency histogram, open connections and
 * response-cache hits. Writers use relaxed atomic adds; /metrics reads them without a lock. */
#include "metrics.h"

#include "router.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define METRICS_MAX_ROUTES 64

/* The statuses plenary answers; anything else is counted as "other". */
static const int statuses[] = {200, 201, 204, 206, 304, 400, 401, 403, 404, 405, 406, 409,
                               412, 413, 414, 415, 422, 429, 431, 500, 501, 503};
#define STATUS_SLOTS (sizeof statuses / sizeof statuses[0] + 1)

/* Upper bounds of the latency histogram, in seconds (Prometheus convention). */
static const double bucket_bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                       0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                       1,      2.5,     5,      10};
#define BUCKETS (sizeof bucket_bounds / sizeof bucket_bounds[0])

/* requests[route + 1][status slot]: route -1 (no route matched) is row 0. */
static atomic_uint_fast64_t requests[METRICS_MAX_ROUTES + 1][STATUS_SLOTS];
static atomic_uint_fast64_t latency_buckets[BUCKETS + 1]; /* last: +Inf */
static atomic_uint_fast64_t latency_sum_micros;
static atomic_int_fast64_t open_connections;
static atomic_int_fast64_t worker_connections[METRICS_MAX_WORKERS];
static atomic_uint worker_count;
static atomic_uint_fast64_t cache_hits, cache_misses;

static size_t status_slot(int status) {
    for (size_t i = 0; i < STATUS_SLOTS - 1; i++)
        if (statuses[i] == status)
            return i;
    return STATUS_SLOTS - 1;
}

void metrics_request(int route, int status, uint64_t micros) {
    size_t row = route < 0 || route >= METRICS_MAX_ROUTES ? 0 : (size_t)route + 1;
    atomic_fetch_add_explicit(&requests[row][status_slot(status)], 1, memory_order_relaxed);
    double seconds = (double)micros / 1e6;
    size_t b = 0;
    while (b < BUCKETS && seconds > bucket_bounds[b])
        b++;
    atomic_fetch_add_explicit(&latency_buckets[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&latency_sum_micros, micros, memory_order_relaxed);
}

void metrics_workers(unsigned count) {
    atomic_store(&worker_count, count < METRICS_MAX_WORKERS ? count : METRICS_MAX_WORKERS);
}

void metrics_connection(unsigned worker, int delta) {
    atomic_fetch_add_explicit(&open_connections, delta, memory_order_relaxed);
    if (worker < METRICS_MAX_WORKERS)
        atomic_fetch_add_explicit(&worker_connections[worker], delta, memory_order_relaxed);
}

int64_t metrics_open_connections(void) {
    return atomic_load_explicit(&open_connections, memory_order_relaxed);
}

void metrics_cache(int hit) {
    atomic_fetch_add_explicit(hit ? &cache_hits : &cache_misses, 1, memory_order_relaxed);
}

/* A growing text buffer; on allocation failure it stops growing and reports it at the end. */
struct text {
    char *data;
    size_t len, cap;
    int failed;
};

static void text_printf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void text_printf(struct text *t, const char *fmt, ...) {
    if (t->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->data + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = 1;
            return;
        }
        if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap * 2 + (size_t)n;
        char *data = realloc(t->data, cap);
        if (data == NULL) {
            t->failed = 1;
            return;
        }
        t->data = data;
        t->cap = cap;
    }
}

char *metrics_render(int64_t revision, size_t *len) {
    struct text t = {.data = malloc(8192), .cap = 8192};
    if (t.data == NULL)
        return NULL;
    t.data[0] = '\0';
    text_printf(&t, "# HELP plenary_requests_total Requests answered, by route and status.\n"
                    "# TYPE plenary_requests_total counter\n");
    size_t nroutes = route_count();
    for (size_t row = 0; row <= nroutes && row <= METRICS_MAX_ROUTES; row++) {
        const char *name = row == 0 ? "none" : routes[row - 1].name;
        for (size_t s = 0; s < STATUS_SLOTS; s++) {
            uint64_t n = atomic_load_explicit(&requests[row][s], memory_order_relaxed);
            if (n == 0)
                continue;
            if (s == STATUS_SLOTS - 1)
                text_printf(&t, "plenary_requests_total{route=\"%s\",status=\"other\"} %llu\n",
                            name, (unsigned long long)n);
            else
                text_printf(&t, "plenary_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
                            name, statuses[s], (unsigned long long)n);
        }
    }
    text_printf(&t, "# HELP plenary_request_duration_seconds Time from request to answer.\n"
                    "# TYPE plenary_request_duration_seconds histogram\n");
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= BUCKETS; b++) {
        cumulative += atomic_load_explicit(&latency_buckets[b], memory_order_relaxed);
        if (b < BUCKETS)
            text_printf(&t, "plenary_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                        bucket_bounds[b], (unsigned long long)cumulative);
        else
            text_printf(&t, "plenary_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
                        (unsigned long long)cumulative);
    }
    text_printf(&t, "plenary_request_duration_seconds_sum %.6f\n",
                (double)atomic_load_explicit(&latency_sum_micros, memory_order_relaxed) / 1e6);
    text_printf(&t, "plenary_request_duration_seconds_count %llu\n",
                (unsigned long long)cumulative);
    text_printf(&t,
                "# HELP plenary_open_connections Client connections open now.\n"
                "# TYPE plenary_open_connections gauge\n"
                "plenary_open_connections %lld\n",
                (long long)metrics_open_connections());
    unsigned workers = atomic_load(&worker_count);
    if (workers > 0)
        text_printf(&t, "# HELP plenary_worker_connections Client connections each worker "
                        "serves now (the accepting thread keeps them even).\n"
                        "# TYPE plenary_worker_connections gauge\n");
    for (unsigned w = 0; w < workers; w++)
        text_printf(&t, "plenary_worker_connections{worker=\"%u\"} %lld\n", w,
                    (long long)atomic_load_explicit(&worker_connections[w], memory_order_relaxed));
    text_printf(&t,
                "# HELP plenary_cache_lookups_total Response-cache lookups, by result.\n"
                "# TYPE plenary_cache_lookups_total counter\n"
                "plenary_cache_lookups_total{result=\"hit\"} %llu\n"
                "plenary_cache_lookups_total{result=\"miss\"} %llu\n",
                (unsigned long long)atomic_load_explicit(&cache_hits, memory_order_relaxed),
                (unsigned long long)atomic_load_explicit(&cache_misses, memory_order_relaxed));
    text_printf(&t,
                "# HELP plenary_revision The database revision the server sees.\n"
                "# TYPE plenary_revision gauge\n"
                "plenary_revision %lld\n",
                (long long)revision);
    if (t.failed) {
        free(t.data);
        return NULL;
    }
    *len = t.len;
    return t.data;
}
