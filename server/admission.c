/* admission.c: the connection limits (total and per client address) and the choice of the
 * least loaded worker. Addresses are counted in an open-addressing table, twice the total
 * limit in size so that it never fills, with backward-shift deletion (no tombstones). */
#include "admission.h"

#include "limits.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* every worker of the most runner threads (limits.h) */
#define ADMISSION_MAX_WORKERS (MAX_THREADS * SHARDS_PER_THREAD)

/* One client address with connections open: IPv4 as IPv4-mapped IPv6. */
struct peer_slot {
    unsigned char addr[16];
    unsigned count; /* 0: the slot is free */
};

struct admission {
    pthread_mutex_t lock;       /* guards everything below */
    unsigned workers;           /* workers to choose among */
    unsigned total_limit;       /* connections at once */
    unsigned per_peer_limit;    /* connections from one address */
    unsigned total;             /* connections held */
    unsigned next;              /* where the next tie-break starts, so ties go round */
    atomic_uint held[ADMISSION_MAX_WORKERS]; /* connections per worker (read without the lock) */
    struct peer_slot *slots;    /* the address table */
    size_t slot_mask;           /* slots - 1 (a power of two) */
};

struct admission *admission_new(unsigned workers, unsigned total, unsigned per_peer) {
    if (workers == 0 || workers > ADMISSION_MAX_WORKERS || total == 0 || per_peer == 0)
        return NULL;
    struct admission *a = calloc(1, sizeof *a);
    if (a == NULL)
        return NULL;
    size_t slots = 16;
    while (slots < (size_t)total * 2)
        slots *= 2;
    a->slots = calloc(slots, sizeof *a->slots);
    if (a->slots == NULL) {
        free(a);
        return NULL;
    }
    a->slot_mask = slots - 1;
    a->workers = workers;
    a->total_limit = total;
    a->per_peer_limit = per_peer;
    pthread_mutex_init(&a->lock, NULL);
    return a;
}

void admission_free(struct admission *a) {
    if (a == NULL)
        return;
    pthread_mutex_destroy(&a->lock);
    free(a->slots);
    free(a);
}

/* The 16-byte key of peer's address. */
static void key_of(const struct sockaddr *peer, unsigned char key[16]) {
    memset(key, 0, 16);
    if (peer->sa_family == AF_INET6) {
        memcpy(key, &((const struct sockaddr_in6 *)peer)->sin6_addr, 16);
    } else if (peer->sa_family == AF_INET) {
        key[10] = key[11] = 0xff;
        memcpy(key + 12, &((const struct sockaddr_in *)peer)->sin_addr, 4);
    }
}

static size_t home_of(const struct admission *a, const unsigned char key[16]) {
    uint64_t h = 14695981039346656037ull; /* FNV-1a */
    for (int i = 0; i < 16; i++)
        h = (h ^ key[i]) * 1099511628211ull;
    return (size_t)(h ^ (h >> 29)) & a->slot_mask;
}

/* The slot holding key, or the free slot where it would go. */
static size_t find(const struct admission *a, const unsigned char key[16]) {
    size_t i = home_of(a, key);
    while (a->slots[i].count != 0 && memcmp(a->slots[i].addr, key, 16) != 0)
        i = (i + 1) & a->slot_mask;
    return i;
}

int admission_enter(struct admission *a, const struct sockaddr *peer) {
    unsigned char key[16];
    key_of(peer, key);
    pthread_mutex_lock(&a->lock);
    int result;
    size_t slot = find(a, key);
    if (a->total >= a->total_limit) {
        result = ADMISSION_FULL;
    } else if (a->slots[slot].count >= a->per_peer_limit) {
        result = ADMISSION_PEER_FULL;
    } else {
        unsigned best = a->next % a->workers;
        for (unsigned k = 1; k < a->workers; k++) {
            unsigned w = (a->next + k) % a->workers;
            if (a->held[w] < a->held[best])
                best = w;
        }
        a->next = best + 1;
        a->held[best]++;
        a->total++;
        if (a->slots[slot].count++ == 0)
            memcpy(a->slots[slot].addr, key, 16);
        result = (int)best;
    }
    pthread_mutex_unlock(&a->lock);
    return result;
}

void admission_leave(struct admission *a, unsigned worker, const struct sockaddr *peer) {
    unsigned char key[16];
    key_of(peer, key);
    pthread_mutex_lock(&a->lock);
    size_t slot = find(a, key);
    if (worker < a->workers && a->held[worker] > 0 && a->slots[slot].count > 0) {
        a->held[worker]--;
        a->total--;
        if (--a->slots[slot].count == 0) {
            /* backward shift: pull later entries of the run into the hole when their home
             * allows, so that lookups never stop early at a hole */
            size_t hole = slot, i = slot;
            for (;;) {
                i = (i + 1) & a->slot_mask;
                if (a->slots[i].count == 0)
                    break;
                size_t home = home_of(a, a->slots[i].addr);
                /* the entry at i may move to hole unless its home lies in (hole, i] */
                int stays = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
                if (!stays) {
                    a->slots[hole] = a->slots[i];
                    a->slots[i].count = 0;
                    hole = i;
                }
            }
        }
    }
    pthread_mutex_unlock(&a->lock);
}

unsigned admission_held(struct admission *a, unsigned worker) {
    return worker < a->workers ? atomic_load_explicit(&a->held[worker], memory_order_relaxed) : 0;
}
