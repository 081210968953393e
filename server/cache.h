/* cache.h: rendered GET answers — identity and gzip bodies, their validators and headers —
 * shared by the runner threads and reused until a write touches what they were built from.
 *
 * An entry is immutable once made (its prepared libmicrohttpd responses aside, which http.c
 * rebuilds when the revision moves) and reference-counted: a response on the wire keeps its
 * entry alive after eviction. The cache is bounded in bytes, least recently used out first;
 * with a budget of 0 entries are still made for one answer, just never kept. */
#ifndef PLENARY_CACHE_H
#define PLENARY_CACHE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Bodies shorter than this are sent as they are: gzip would save too little. */
#define CACHE_GZIP_MIN_BYTES 256

#define CACHE_MAX_HEADERS 4

/* A header an answer carries besides the ones every answer gets. */
struct cache_header {
    const char *name; /* static string */
    char *value;      /* malloc'd, owned by the entry */
};

struct cache_entry {
    /* identity of the entry */
    char *key;                /* canonical request: path, sorted query, Accept (malloc'd) */
    size_t key_len;           /* bytes in key */
    uint64_t hash;            /* hash of key */
    /* the representation */
    int status;               /* HTTP status (200) */
    const char *content_type; /* static media type */
    char *body;               /* identity body (malloc'd) */
    size_t body_len;          /* bytes in body */
    char *gzip;               /* gzip body (malloc'd), made on first demand (see below) */
    size_t gzip_len;          /* bytes in gzip */
    int gzip_state;           /* 0 not made yet, 1 made, 2 not worth it (guarded by
                               * lock until made; immutable after) */
    char etag[24];            /* strong validator of body: "<16 hex>" with quotes */
    char gzip_etag[28];       /* strong validator of gzip: "<16 hex>-gz" with quotes */
    struct cache_header headers[CACHE_MAX_HEADERS]; /* extra headers (Link, ...) */
    size_t header_count;      /* entries used in headers */
    int route;                /* index of the route that made it, for the metrics */
    /* freshness */
    int64_t revision;         /* the revision relevant to this answer when it was made */
    unsigned depends;         /* record types it was built from (0: all) */
    time_t last_modified;     /* time of the newest change it reflects */
    /* bookkeeping */
    size_t cost;              /* bytes charged against the budget */
    atomic_int refs;          /* references: the table's, and one per user */
    int in_table;             /* 1 while linked in the table (under the cache lock) */
    struct cache_entry *next_in_bucket; /* hash chain */
    struct cache_entry *lru_prev, *lru_next; /* recency list, most recent first */
    pthread_mutex_t lock;     /* guards making the gzip body and the prepared responses */
    /* libmicrohttpd responses made once and queued again on every connection while the
     * revision stays the same (http.c owns their meaning; opaque here) */
    void *prepared[4];        /* [2 * gzip + not_modified], or NULL */
    int64_t prepared_revision;/* the X-Revision the prepared responses carry */
    void (*prepared_free)(void *response); /* how to destroy one; set with the first */
};

struct cache;

/* A new cache with a budget of max_bytes (0: keep nothing). NULL when out of memory. */
struct cache *cache_new(size_t max_bytes);
/* Frees the cache; entries still referenced elsewhere live until released. */
void cache_free(struct cache *cache);

/* 64-bit hash of bytes (XXH3, from libxxhash); also the strong ETag of a body. Every
 * cache-off answer hashes its whole body: XXH3 takes 0.8 us for a 12.5 KB page where the
 * word-wise FNV-style hash it replaces took 3.0 us, and mixes better (an ETag collision
 * would answer 304 to changed text). */
uint64_t cache_hash(const void *data, size_t len);

/* Looks key up. Returns the entry with a new reference (release it with cache_release),
 * or NULL when absent or when current_revision(entry->depends) is newer than the entry
 * (such an entry is dropped). Counts a hit or a miss in the metrics. */
struct cache_entry *cache_get(struct cache *cache, const char *key, size_t key_len,
                              int64_t (*current_revision)(unsigned depends));

/* Makes an entry of a rendered answer: takes ownership of body (malloc'd) and of the values
 * of headers (count at most CACHE_MAX_HEADERS); copies key; computes the ETags (the gzip body is made by cache_entry_gzip).
 * Returns it with one reference for the caller, or NULL when out of memory (body and the
 * header values are freed then). */
struct cache_entry *cache_entry_new(const char *key, size_t key_len, int status,
                                    const char *content_type, char *body, size_t body_len,
                                    struct cache_header *headers, size_t count, int route,
                                    int64_t revision, unsigned depends, time_t last_modified);

/* Makes the gzip body once, on first demand, so answers nobody asks gzip of cost no
 * compression. Returns 1 when entry->gzip can be sent, 0 when the body is sent as it is. */
int cache_entry_gzip(struct cache_entry *entry);

/* Keeps entry in the cache (replacing an entry of the same key), evicting the least recently
 * used past the budget. The caller's reference stays the caller's. */
void cache_put(struct cache *cache, struct cache_entry *entry);

/* Takes a reference / drops one (freeing the entry with the last). */
void cache_retain(struct cache_entry *entry);
void cache_release(struct cache_entry *entry);

/* Entries and bytes held now (for /metrics and tests). */
void cache_stats(struct cache *cache, size_t *entries, size_t *bytes);

#endif
