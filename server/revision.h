/* revision.h: the database revision as the server sees it, kept in one atomic by a watcher
 * thread that polls the file (PRAGMA data_version, then the revision when it moved), so that
 * writes by other processes are seen within REVISION_POLL_MS without a query per request. */
#ifndef PLENARY_REVISION_H
#define PLENARY_REVISION_H

#include <stdint.h>
#include <time.h>

/* Milliseconds between two looks at the database file. */
#define REVISION_POLL_MS 100

/* Starts the watcher on its own read-only connection to path. Returns 0, or -1 with a line
 * in err. */
int revision_start(const char *path, char *err, unsigned long err_size);
/* Stops the watcher and closes its connection. */
void revision_stop(void);
/* The newest revision seen. */
int64_t revision_current(void);
/* The newest revision that touched any record type in depends (bit 1u << enum record_type;
 * 0 means every type), and in *when (if not NULL) the time of that change, 0 if none. */
int64_t revision_of(unsigned depends, time_t *when);

/* Calls wake() from the watcher thread each time the revision moves (one listener: the HTTP
 * layer, which resumes long polls and event streams). */
void revision_on_change(void (*wake)(void *ctx), void *ctx);

/* Sets *ts to ms milliseconds from now on CLOCK_MONOTONIC, the clock of every timed wait
 * of the daemon (conditions are created with it). */
void revision_deadline(struct timespec *ts, long ms);

/* Blocks until the revision is past `since` or timeout_ms passes; returns the revision. */
int64_t revision_wait(int64_t since, long timeout_ms);

#endif
