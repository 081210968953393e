/* revision.c: a watcher thread that keeps the newest database revision in one atomic and
 * wakes waiters when it moves. It reads the file on its own connection every
 * REVISION_POLL_MS, so a write by any process (the API, `plenary import`) is seen promptly
 * while serving a request never queries the revision.
 *
 * Between two looks the watcher keeps a read transaction open on the newest snapshot. Why:
 * every request's own read transaction takes a shared lock on a read mark of the WAL index,
 * and SQLite's unix VFS makes that lock, and its release, a system call (fcntl on the -shm
 * file, made while holding the mutex all connections of the process share) unless another
 * connection of the process already holds the same mark. The watcher's open transaction
 * holds it, so the requests' locks stay in memory and the two workers stop queueing on that
 * mutex: per cache-off list request at 32 connections (strace -c), fcntl 1.24 -> 0.02 and
 * futex 1.27 -> 0.05. But a snapshot held at every moment is older than every commit when
 * that commit's own checkpoint runs, which then stops short of it, and a snapshot that reads
 * WAL frames keeps the next writer from restarting the WAL: the WAL would grow by every
 * write. So at each look, while it holds nothing, the watcher first checkpoints (PASSIVE: it
 * waits for nobody) on a read-write connection of its own, which copies the whole WAL back
 * into the file; the snapshot it takes then reads the file alone (SQLite's read mark 0),
 * which lets a writer restart the WAL, and the requests that begin meanwhile share that
 * mark. Where the file cannot be opened for writing, the watcher holds nothing. test_http.c
 * checks the WAL's size over repeated imports and a TRUNCATE checkpoint from another
 * process. */
#include "revision.h"

#include "changes.h"
#include "db.h"
#include "record.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static atomic_int_fast64_t current = -1;
static pthread_t watcher;
static struct db *watcher_db;
static struct db *checkpoint_db; /* read-write, for the checkpoint; NULL: no snapshot held */
static int running;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t moved = PTHREAD_COND_INITIALIZER; /* signalled on a new revision */
static pthread_cond_t stopping = PTHREAD_COND_INITIALIZER;
/* the newest change of each type, reloaded when the revision moves (guarded by lock) */
static struct type_latest latest[RECORD_TYPE_COUNT];
static void (*listener)(void *ctx);
static void *listener_ctx;

void revision_deadline(struct timespec *ts, long ms) {
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static void *watch(void *unused) {
    (void)unused;
    pthread_mutex_lock(&lock);
    while (running) {
        pthread_mutex_unlock(&lock);
        db_read_end(watcher_db); /* the snapshot held since the last look */
        int64_t seen = db_revision(watcher_db);
        struct type_latest fresh[RECORD_TYPE_COUNT];
        int moved_now = seen >= 0 && seen != atomic_load(&current) &&
                        db_changes_latest(watcher_db, fresh) == 0;
        /* copy the WAL back into the file, then hold the newest snapshot until the next look
         * (a read starts it: BEGIN defers) */
        if (checkpoint_db != NULL) {
            (void)db_checkpoint(checkpoint_db);
            if (db_read_begin(watcher_db) == 0)
                (void)db_revision(watcher_db);
        }
        pthread_mutex_lock(&lock);
        if (moved_now) {
            /* per-type first, so a reader that sees the new revision sees its types too */
            memcpy(latest, fresh, sizeof latest);
            atomic_store(&current, seen);
            pthread_cond_broadcast(&moved);
            if (listener) {
                void (*wake)(void *) = listener;
                void *ctx = listener_ctx;
                pthread_mutex_unlock(&lock);
                wake(ctx);
                pthread_mutex_lock(&lock);
            }
        }
        struct timespec until;
        revision_deadline(&until, REVISION_POLL_MS);
        if (running)
            pthread_cond_timedwait(&stopping, &lock, &until);
    }
    pthread_mutex_unlock(&lock);
    db_read_end(watcher_db);
    return NULL;
}

int revision_start(const char *path, char *err, unsigned long err_size) {
    struct db_error dberr = {0};
    watcher_db = db_open(path, DB_READ_ONLY, &dberr);
    if (watcher_db == NULL) {
        snprintf(err, err_size, "cannot open %s: %s", path, dberr.message);
        return -1;
    }
    if (db_changes_latest(watcher_db, latest) != 0) {
        snprintf(err, err_size, "cannot read the change log of %s (run plenary init)", path);
        db_close(watcher_db);
        watcher_db = NULL;
        return -1;
    }
    atomic_store(&current, db_revision(watcher_db));
    /* without it the watcher holds no snapshot (see the top of this file) */
    struct db_error unwritable = {0};
    checkpoint_db = db_open(path, DB_READ_WRITE, &unwritable);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_destroy(&moved);
    pthread_cond_destroy(&stopping);
    pthread_cond_init(&moved, &attr);
    pthread_cond_init(&stopping, &attr);
    pthread_condattr_destroy(&attr);
    running = 1;
    int rc = pthread_create(&watcher, NULL, watch, NULL);
    if (rc != 0) {
        running = 0;
        db_close(watcher_db);
        watcher_db = NULL;
        db_close(checkpoint_db);
        checkpoint_db = NULL;
        snprintf(err, err_size, "cannot start the revision watcher: error %d", rc);
        return -1;
    }
    return 0;
}

void revision_stop(void) {
    pthread_mutex_lock(&lock);
    if (!running) {
        pthread_mutex_unlock(&lock);
        return;
    }
    running = 0;
    pthread_cond_broadcast(&stopping);
    pthread_cond_broadcast(&moved);
    pthread_mutex_unlock(&lock);
    pthread_join(watcher, NULL);
    db_close(watcher_db);
    watcher_db = NULL;
    db_close(checkpoint_db);
    checkpoint_db = NULL;
}

int64_t revision_current(void) {
    return atomic_load_explicit(&current, memory_order_acquire);
}

int64_t revision_of(unsigned depends, time_t *when) {
    if (depends == 0) {
        int64_t newest = 0;
        time_t at = 0;
        pthread_mutex_lock(&lock);
        for (int t = 0; t < RECORD_TYPE_COUNT; t++)
            if (latest[t].revision > newest || (latest[t].revision == newest && latest[t].at > at)) {
                newest = latest[t].revision;
                at = latest[t].at;
            }
        pthread_mutex_unlock(&lock);
        if (when)
            *when = at;
        /* a write that logged no change still moves the revision */
        int64_t now = revision_current();
        return now > newest ? now : newest;
    }
    int64_t newest = 0;
    time_t at = 0;
    pthread_mutex_lock(&lock);
    for (int t = 0; t < RECORD_TYPE_COUNT; t++)
        if ((depends & (1u << t)) && latest[t].revision > newest) {
            newest = latest[t].revision;
            at = latest[t].at;
        }
    pthread_mutex_unlock(&lock);
    if (when)
        *when = at;
    return newest;
}

void revision_on_change(void (*wake)(void *ctx), void *ctx) {
    pthread_mutex_lock(&lock);
    listener = wake;
    listener_ctx = ctx;
    pthread_mutex_unlock(&lock);
}

int64_t revision_wait(int64_t since, long timeout_ms) {
    struct timespec until;
    revision_deadline(&until, timeout_ms);
    pthread_mutex_lock(&lock);
    while (running && atomic_load(&current) <= since) {
        if (pthread_cond_timedwait(&moved, &lock, &until) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&lock);
    return atomic_load(&current);
}
