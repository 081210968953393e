/* harness.h: integration-test support — a temporary database, the real `plenary serve` on a
 * free port, libcurl requests and raw-socket requests (for what curl will not send). */
#ifndef PLENARY_TEST_HARNESS_H
#define PLENARY_TEST_HARNESS_H

#include <stddef.h>
#include <sys/types.h>

struct daemon {
    pid_t pid;           /* the plenary serve process */
    unsigned port;       /* where it listens */
    char dir[256];       /* its temporary directory */
    char db[300];        /* its database file */
    char log[300];       /* its stderr */
};

/* A reply as libcurl received it. */
struct reply {
    long status;           /* HTTP status */
    char *body;            /* body, NUL-terminated (malloc'd) */
    size_t body_len;       /* bytes in body */
    char *headers;         /* raw header block (malloc'd) */
    long connects;         /* new connections curl opened for this request */
};

/* The plenary binary under test (PLENARY_BIN, set by meson). */
const char *harness_binary(void);

/* Creates a temporary database (with the fixtures when with_fixtures) and starts the daemon
 * on a free port with extra arguments (NULL-terminated); waits for /healthz. 0 or -1. */
int daemon_start(struct daemon *d, int with_fixtures, const char *const extra_args[]);
/* Sends SIGTERM, waits, returns the exit status (or -1); removes the temporary files. */
int daemon_stop(struct daemon *d);

/* Runs `plenary ARGS...` (NULL-terminated) with the daemon's database; returns the exit
 * status. Output goes to the daemon's log file. */
int harness_run(const struct daemon *d, const char *const args[]);

/* One request on a shared keep-alive curl handle. method NULL means GET; headers is a
 * NULL-terminated list of "Name: value" or NULL; body may be NULL. 0 or -1. */
int http_request(const struct daemon *d, const char *method, const char *path,
                 const char *const headers[], const char *body, struct reply *out);
/* Convenience: GET path. */
int http_get(const struct daemon *d, const char *path, struct reply *out);
/* The value of a header in a reply (case-insensitive), copied into buf; NULL when absent. */
const char *reply_header(const struct reply *r, const char *name, char *buf, size_t size);
void reply_free(struct reply *r);
/* Drops the shared curl handle (and its connections). */
void http_reset(void);

/* Sends raw bytes on a new TCP connection and reads what comes back until the server
 * closes or timeout_ms passes. Returns bytes read into buf (NUL-terminated), or -1. */
ssize_t raw_exchange(unsigned port, const char *request, size_t len, char *buf, size_t size,
                     int timeout_ms);

#endif
