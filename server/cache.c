/* cache.c: the response cache — a hash table of entries with a recency list, under one mutex
 * held only for lookups and links (never while rendering or compressing), and gzip bodies
 * made once per entry with zlib. */
#include "cache.h"

#include "metrics.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <zlib.h>

#define CACHE_BUCKETS 4096 /* power of two; chains stay short for tens of thousands */

struct cache {
    pthread_mutex_t lock;                       /* guards everything below */
    struct cache_entry *buckets[CACHE_BUCKETS]; /* hash chains */
    struct cache_entry *lru_head, *lru_tail;    /* most and least recently used */
    size_t max_bytes;                           /* budget */
    size_t bytes;                               /* cost of the entries linked */
    size_t entries;                             /* entries linked */
};

uint64_t cache_hash(const void *data, size_t len) {
    return XXH3_64bits(data, len);
}

struct cache *cache_new(size_t max_bytes) {
    struct cache *cache = calloc(1, sizeof *cache);
    if (cache == NULL)
        return NULL;
    pthread_mutex_init(&cache->lock, NULL);
    cache->max_bytes = max_bytes;
    return cache;
}

static void entry_free(struct cache_entry *e) {
    for (size_t i = 0; i < sizeof e->prepared / sizeof e->prepared[0]; i++)
        if (e->prepared[i])
            e->prepared_free(e->prepared[i]);
    pthread_mutex_destroy(&e->lock);
    free(e->key);
    free(e->body);
    free(e->gzip);
    for (size_t i = 0; i < e->header_count; i++)
        free(e->headers[i].value);
    free(e);
}

void cache_retain(struct cache_entry *entry) {
    atomic_fetch_add_explicit(&entry->refs, 1, memory_order_relaxed);
}

void cache_release(struct cache_entry *entry) {
    if (entry && atomic_fetch_sub_explicit(&entry->refs, 1, memory_order_acq_rel) == 1)
        entry_free(entry);
}

/* Unlinks e from the table and the recency list; the table's reference goes to *dropped. */
static void unlink_entry(struct cache *cache, struct cache_entry *e) {
    struct cache_entry **slot = &cache->buckets[e->hash & (CACHE_BUCKETS - 1)];
    while (*slot && *slot != e)
        slot = &(*slot)->next_in_bucket;
    if (*slot)
        *slot = e->next_in_bucket;
    if (e->lru_prev)
        e->lru_prev->lru_next = e->lru_next;
    else
        cache->lru_head = e->lru_next;
    if (e->lru_next)
        e->lru_next->lru_prev = e->lru_prev;
    else
        cache->lru_tail = e->lru_prev;
    e->lru_prev = e->lru_next = e->next_in_bucket = NULL;
    e->in_table = 0;
    cache->bytes -= e->cost;
    cache->entries--;
}

void cache_free(struct cache *cache) {
    if (cache == NULL)
        return;
    while (cache->lru_head) {
        struct cache_entry *e = cache->lru_head;
        unlink_entry(cache, e);
        cache_release(e);
    }
    pthread_mutex_destroy(&cache->lock);
    free(cache);
}

struct cache_entry *cache_get(struct cache *cache, const char *key, size_t key_len,
                              int64_t (*current_revision)(unsigned depends)) {
    if (cache == NULL || cache->max_bytes == 0)
        return NULL;
    uint64_t hash = cache_hash(key, key_len);
    struct cache_entry *stale = NULL, *found = NULL;
    pthread_mutex_lock(&cache->lock);
    for (struct cache_entry *e = cache->buckets[hash & (CACHE_BUCKETS - 1)]; e;
         e = e->next_in_bucket) {
        if (e->hash != hash || e->key_len != key_len || memcmp(e->key, key, key_len) != 0)
            continue;
        if (current_revision(e->depends) > e->revision) {
            unlink_entry(cache, e);
            stale = e;
        } else {
            /* most recently used first */
            if (e != cache->lru_head) {
                e->lru_prev->lru_next = e->lru_next;
                if (e->lru_next)
                    e->lru_next->lru_prev = e->lru_prev;
                else
                    cache->lru_tail = e->lru_prev;
                e->lru_prev = NULL;
                e->lru_next = cache->lru_head;
                cache->lru_head->lru_prev = e;
                cache->lru_head = e;
            }
            cache_retain(e);
            found = e;
        }
        break;
    }
    pthread_mutex_unlock(&cache->lock);
    if (stale)
        cache_release(stale);
    metrics_cache(found != NULL);
    return found;
}

/* Compresses body into a new gzip stream; NULL when it would not be smaller. */
static char *gzip_body(const char *body, size_t len, size_t *out_len) {
    z_stream z = {0};
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    uLong bound = deflateBound(&z, (uLong)len);
    char *out = malloc(bound);
    if (out == NULL) {
        deflateEnd(&z);
        return NULL;
    }
    z.next_in = (Bytef *)(uintptr_t)body;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)bound;
    int rc = deflate(&z, Z_FINISH);
    *out_len = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END || *out_len >= len) {
        free(out);
        return NULL;
    }
    char *shrunk = realloc(out, *out_len);
    return shrunk ? shrunk : out;
}

struct cache_entry *cache_entry_new(const char *key, size_t key_len, int status,
                                    const char *content_type, char *body, size_t body_len,
                                    struct cache_header *headers, size_t count, int route,
                                    int64_t revision, unsigned depends, time_t last_modified) {
    assert(count <= CACHE_MAX_HEADERS);
    struct cache_entry *e = calloc(1, sizeof *e);
    if (e == NULL)
        goto fail;
    e->key = malloc(key_len + 1);
    if (e->key == NULL)
        goto fail;
    memcpy(e->key, key, key_len);
    e->key[key_len] = '\0';
    e->key_len = key_len;
    e->hash = cache_hash(key, key_len);
    e->status = status;
    e->content_type = content_type;
    e->body = body;
    e->body_len = body_len;
    size_t header_bytes = 0;
    for (size_t i = 0; i < count; i++) {
        e->headers[i] = headers[i];
        header_bytes += strlen(headers[i].value);
    }
    e->header_count = count;
    count = 0; /* owned by the entry now */
    e->route = route;
    e->revision = revision;
    e->depends = depends;
    e->last_modified = last_modified;
    uint64_t h = cache_hash(body ? body : "", body_len);
    snprintf(e->etag, sizeof e->etag, "\"%016llx\"", (unsigned long long)h);
    snprintf(e->gzip_etag, sizeof e->gzip_etag, "\"%016llx-gz\"", (unsigned long long)h);
    e->gzip_state = body_len >= CACHE_GZIP_MIN_BYTES ? 0 : 2;
    /* the gzip body is charged up front (at most the identity size): it is made on first
     * demand and the budget must not be exceeded later */
    e->cost = sizeof *e + key_len + body_len * (e->gzip_state == 0 ? 2 : 1) +
              header_bytes;
    atomic_init(&e->refs, 1);
    pthread_mutex_init(&e->lock, NULL);
    return e;
fail:
    if (e)
        free(e->key);
    free(e);
    free(body);
    for (size_t i = 0; i < count; i++)
        free(headers[i].value);
    return NULL;
}

void cache_put(struct cache *cache, struct cache_entry *entry) {
    if (cache == NULL || cache->max_bytes == 0 || entry->cost > cache->max_bytes / 4)
        return; /* one answer may take at most a quarter of the budget */
    struct cache_entry *dropped[64];
    size_t ndropped = 0;
    pthread_mutex_lock(&cache->lock);
    struct cache_entry **slot = &cache->buckets[entry->hash & (CACHE_BUCKETS - 1)];
    for (struct cache_entry *e = *slot; e; e = e->next_in_bucket) {
        if (e->hash == entry->hash && e->key_len == entry->key_len &&
            memcmp(e->key, entry->key, entry->key_len) == 0) {
            unlink_entry(cache, e);
            dropped[ndropped++] = e;
            break;
        }
    }
    while (cache->bytes + entry->cost > cache->max_bytes && cache->lru_tail &&
           ndropped < sizeof dropped / sizeof dropped[0]) {
        struct cache_entry *victim = cache->lru_tail;
        unlink_entry(cache, victim);
        dropped[ndropped++] = victim;
    }
    if (cache->bytes + entry->cost <= cache->max_bytes) {
        cache_retain(entry); /* the table's reference */
        slot = &cache->buckets[entry->hash & (CACHE_BUCKETS - 1)];
        entry->next_in_bucket = *slot;
        *slot = entry;
        entry->lru_prev = NULL;
        entry->lru_next = cache->lru_head;
        if (cache->lru_head)
            cache->lru_head->lru_prev = entry;
        cache->lru_head = entry;
        if (cache->lru_tail == NULL)
            cache->lru_tail = entry;
        entry->in_table = 1;
        cache->bytes += entry->cost;
        cache->entries++;
    }
    pthread_mutex_unlock(&cache->lock);
    for (size_t i = 0; i < ndropped; i++)
        cache_release(dropped[i]);
}

int cache_entry_gzip(struct cache_entry *entry) {
    pthread_mutex_lock(&entry->lock);
    if (entry->gzip_state == 0) {
        entry->gzip = gzip_body(entry->body, entry->body_len, &entry->gzip_len);
        entry->gzip_state = entry->gzip ? 1 : 2;
    }
    int available = entry->gzip_state == 1;
    pthread_mutex_unlock(&entry->lock);
    return available;
}

void cache_stats(struct cache *cache, size_t *entries, size_t *bytes) {
    if (cache == NULL) {
        *entries = *bytes = 0;
        return;
    }
    pthread_mutex_lock(&cache->lock);
    *entries = cache->entries;
    *bytes = cache->bytes;
    pthread_mutex_unlock(&cache->lock);
}
