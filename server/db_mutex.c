/* db_mutex.c: the mutexes SQLite uses, given to it by db_global_init (SQLITE_CONFIG_MUTEX).
 *
 * Why: in multi-thread mode SQLite still takes a few process-wide mutexes on every read
 * transaction, chiefly the one of the WAL index (-shm) that every connection to the file
 * shares: it is held for a few dozen instructions when a transaction begins and ends. With
 * SQLite's own pthread mutexes a worker that finds it held goes to sleep in the kernel and
 * is woken by the other: under load that was 0.8 futex calls per request (strace -c, a
 * cache-off list at 32 connections on 2 workers), each a sleep and a wake-up. An adaptive
 * mutex (glibc's PTHREAD_MUTEX_ADAPTIVE_NP) spins for a moment before it sleeps, which is
 * long enough for a hold this short. Otherwise this follows SQLite's own pthread
 * implementation (mutex_unix.c): fast mutexes are not recursive, recursive ones are, the
 * static ones exist once, initialized at compile time, so that xMutexInit, which SQLite
 * calls many times (from every sqlite3_mutex_alloc of a static mutex too), does nothing;
 * re-initializing a static mutex would release it under its holder. */
#include "db_internal.h"

#include <pthread.h>
#include <stdlib.h>

struct sqlite3_mutex {
    pthread_mutex_t lock; /* adaptive, or recursive for SQLITE_MUTEX_RECURSIVE */
};

/* SQLite's static mutexes: SQLITE_MUTEX_STATIC_MAIN (2) to SQLITE_MUTEX_STATIC_VFS3 (13). */
#define STATIC_FIRST SQLITE_MUTEX_STATIC_MAIN
#define STATIC_LAST SQLITE_MUTEX_STATIC_VFS3
#define ADAPTIVE {PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP}
static struct sqlite3_mutex static_mutexes[STATIC_LAST - STATIC_FIRST + 1] = {
    ADAPTIVE, ADAPTIVE, ADAPTIVE, ADAPTIVE, ADAPTIVE, ADAPTIVE,
    ADAPTIVE, ADAPTIVE, ADAPTIVE, ADAPTIVE, ADAPTIVE, ADAPTIVE,
};
_Static_assert(STATIC_LAST - STATIC_FIRST + 1 == 12, "one initializer per static mutex");

/* Makes m an adaptive mutex, or a recursive one. Returns 0, or -1. */
static int mutex_init(struct sqlite3_mutex *m, int recursive) {
    pthread_mutexattr_t attr;
    if (pthread_mutexattr_init(&attr) != 0)
        return -1;
    int rc = pthread_mutexattr_settype(&attr, recursive ? PTHREAD_MUTEX_RECURSIVE
                                                        : PTHREAD_MUTEX_ADAPTIVE_NP);
    if (rc == 0)
        rc = pthread_mutex_init(&m->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    return rc == 0 ? 0 : -1;
}

/* xMutexInit and xMutexEnd: the static mutexes live as long as the process. */
static int mutexes_nothing_to_do(void) {
    return SQLITE_OK;
}

static sqlite3_mutex *mutex_alloc(int type) {
    if (type == SQLITE_MUTEX_FAST || type == SQLITE_MUTEX_RECURSIVE) {
        struct sqlite3_mutex *m = malloc(sizeof *m);
        if (m != NULL && mutex_init(m, type == SQLITE_MUTEX_RECURSIVE) != 0) {
            free(m);
            m = NULL;
        }
        return m;
    }
    if (type < STATIC_FIRST || type > STATIC_LAST)
        return NULL;
    return &static_mutexes[type - STATIC_FIRST];
}

static void mutex_free(sqlite3_mutex *m) {
    /* SQLite frees only the mutexes it allocated: never a static one */
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static void mutex_enter(sqlite3_mutex *m) {
    pthread_mutex_lock(&m->lock);
}

static int mutex_try(sqlite3_mutex *m) {
    return pthread_mutex_trylock(&m->lock) == 0 ? SQLITE_OK : SQLITE_BUSY;
}

static void mutex_leave(sqlite3_mutex *m) {
    pthread_mutex_unlock(&m->lock);
}

/* xMutexHeld and xMutexNotheld: used only by SQLite's assert()s, which the system library
 * is built without (its own pthread mutexes then give NULL here). Answering true to both,
 * "cannot tell", keeps an assert-enabled SQLite from failing on them. */
static int mutex_cannot_tell(sqlite3_mutex *m) {
    (void)m;
    return 1;
}

static const sqlite3_mutex_methods adaptive_methods = {
    mutexes_nothing_to_do, mutexes_nothing_to_do, mutex_alloc,       mutex_free,
    mutex_enter,           mutex_try,             mutex_leave,       mutex_cannot_tell,
    mutex_cannot_tell,
};

int db_mutex_configure(void) {
    return sqlite3_config(SQLITE_CONFIG_MUTEX, &adaptive_methods) == SQLITE_OK ? 0 : -1;
}
