/* http.c: the HTTP daemon, and the only file that includes <microhttpd.h>.
 *
 * The file is divided as follows:
 *   - the exchange: per-request state hung off *req_cls, created by the URI log callback
 *     (so the raw request target is kept) and freed in the completion callback only;
 *   - reading: framing checks on the first call of the access handler, the body within
 *     MAX_BODY, query parameters within MAX_PARAMS;
 *   - dispatch: route match (404), OPTIONS and CORS preflight, method (405), the handler;
 *   - answering: problem bodies, ETag and 304, the common headers, CORS;
 *   - the daemon: the listening socket and its accepting thread, the workers (daemons of
 *     libmicrohttpd with their connections) and the runner threads that take turns on
 *     them, start, per-runner database connections, graceful stop.
 * A response is never queued on the first call of the access handler for a well-formed
 * request: libmicrohttpd 0.9.75 would then answer `Connection: close`. */
#include "http.h"

#include "admission.h"
#include "cache.h"
#include "config.h"
#include "db.h"
#include "dispatch.h"
#include "handler.h"
#include "limits.h"
#include "metrics.h"
#include "problem.h"
#include "revision.h"
#include "router.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

_Static_assert(STREAM_END == MHD_CONTENT_READER_END_OF_STREAM, "stream end code");
_Static_assert(MAX_THREADS * SHARDS_PER_THREAD <= METRICS_MAX_WORKERS, "each worker counted");
_Static_assert(STREAM_ERROR == MHD_CONTENT_READER_END_WITH_ERROR, "stream error code");

/* One worker: a libmicrohttpd daemon with no listening socket of its own and no thread of
 * its own (its external event loop), and the connections the accepting thread gave it.
 *
 * The runner threads (--threads of them) run the workers, SHARDS_PER_THREAD workers per
 * runner: each runner keeps to its own workers, runs (MHD_run) whichever of them has waited
 * longest, and waits (poll on their epoll sets) when none has anything to do; a worker whose
 * runner has not run it for STEAL_AFTER_US may be run by another (see next_worker), one
 * runner at a time. With one daemon per thread, each thread served its own half of the
 * connections, and when the kernel gave one thread 70% of a core and the other 45% (wrk's
 * threads share the cores), that half of the clients waited twice as long; now a runner
 * short of CPU holds back only the worker it is in, and its other one goes to the runner
 * that runs. It also keeps a slow request (a cold facet of a large record) from holding up
 * more than its own worker's connections. MHD_run waits for nothing (timeout 0), so
 * libmicrohttpd 0.9.75's stall after a full round of 128 events, which a daemon's own
 * thread could hit, cannot happen.
 *
 * `kick` is an eventfd in the worker's epoll set that libmicrohttpd ignores (its data
 * pointer is NULL): written to wake a waiting runner for the worker (a connection handed
 * over, the sweep of idle connections' timeouts). */
struct worker {
    struct http_server *server; /* the server it belongs to */
    struct MHD_Daemon *daemon;  /* its daemon */
    unsigned index;             /* its place in server->workers and in the admission */
    int epoll_fd;               /* the daemon's epoll set (polled by waiting runners) */
    int kick;                   /* the eventfd in that set (-1: none) */
    atomic_int running;         /* 1 while a runner runs it: the runners' lock on it */
    atomic_int hot;             /* 1: its last run left work no event will announce */
    _Atomic int64_t ran_us;     /* when its last run that did something ended (monotonic us) */
    _Atomic int64_t looked_us;  /* when its last run ended (monotonic us) */
    unsigned home;              /* the runner that keeps to it (see next_worker) */
    unsigned started;           /* requests begun in its runs (changed under `running`) */
    atomic_int handed;          /* 1: connections wait in `pending` */
    pthread_mutex_t pending_lock; /* guards the connections handed over, not yet added */
    struct handed {
        int fd;
        struct sockaddr_storage peer;
        socklen_t peer_len;
    } *pending;
    size_t pending_count, pending_cap;
    /* the connection add_pending is adding (-1: none), and whether libmicrohttpd reported it
     * closed meanwhile (it does when it fails after announcing it: then the close has left the
     * admission, and add_pending must not leave it again) */
    int adding_fd;
    int adding_closed;
};

/* One runner thread. */
struct runner {
    struct http_server *server; /* the server it belongs to */
    pthread_t thread;           /* the thread */
    unsigned index;             /* its place in server->runners */
    struct db *db;              /* its read-only database connection (runner_connection) */
};

/* The runner the calling thread is (set by runner_main), or NULL: libmicrohttpd calls the
 * access handler and the stream readers only from MHD_run, which only runners call. */
static _Thread_local struct runner *this_runner;

struct http_server {
    struct worker workers[MAX_THREADS * SHARDS_PER_THREAD]; /* the workers */
    unsigned worker_count;        /* workers started */
    struct runner runners[MAX_THREADS]; /* the threads that run them */
    unsigned runner_count;        /* runners started */
    int runners_stop;             /* eventfd every waiting runner polls: written at the stop */
    atomic_int runners_stopping;  /* 1 once the runners are to end */
    struct admission *admission;  /* the connection limits and the choice of worker */
    const struct config *config;  /* settings; outlives the server */
    atomic_int in_flight;         /* requests between first call and completion */
    unsigned port;                /* the port actually bound */
    int listener;                 /* the listening socket (ours, not libmicrohttpd's) */
    int accept_stop;              /* eventfd: written once to end the accepting thread */
    pthread_t accept_thread;      /* accepts and hands each connection to a worker */
    int accept_started;           /* 1 when accept_thread runs */
    struct cache *cache;          /* rendered GET answers, shared by the workers */
    /* parked connections: long polls and event streams waiting for a change */
    pthread_mutex_t waiters_lock; /* guards the fields below */
    pthread_cond_t waiters_wake;  /* signalled on a new waiter, a change, or the stop */
    struct exchange *waiters;     /* the parked exchanges (a list through next_waiter) */
    int stopping;                 /* 1 once http_stop began: parked connections end */
    pthread_t waiter_thread;      /* resumes parked connections when it is time */
    int waiter_started;           /* 1 when waiter_thread runs */
};


/* One client connection's slot for its request between the URI log callback and the access
 * handler's first call. libmicrohttpd 0.9.75 calls the completion callback for a request the
 * access handler saw, and for some it answered itself (a header block over its memory pool:
 * 431), but not for one it drops before (a request line whose query parameters overflow the
 * pool): that one would leak its exchange. The connection's close frees what is still
 * unclaimed here; the access handler's first call and the completion callback take it out.
 * A request counts in flight (what the stop waits for) from the access handler's first call,
 * once its header block is whole: a client that sent a request line and then nothing more
 * (slowly, or never) holds no stop up. */
struct connection_slot {
    struct exchange *unclaimed; /* made by on_uri, not yet seen by on_request; or NULL */
};

/* Everything about one request, from the URI log callback to the completion callback. */
struct exchange {
    struct http_server *server;  /* the server it arrived on */
    struct connection_slot *slot; /* its connection's slot while unclaimed (on_uri), or NULL */
    struct worker *worker;       /* the worker whose connection it arrived on */
    char *target;                /* the request target as sent (malloc'd, at most MAX_URL) */
    int target_too_long;         /* 1: the target was longer than MAX_URL */
    size_t authority_len;        /* an absolute-form target's "scheme://authority", else 0 */
    int authority_encoded;       /* 1: that authority holds a %-escape (400) */
    int started;                 /* 1 once the access handler has been called */
    int answered;                /* 1 once a response is queued */
    int close_after;             /* 1: send Connection: close (framing faults) */
    char *body;                  /* the request body so far (malloc'd) */
    size_t body_len;             /* bytes in body */
    size_t body_cap;             /* bytes allocated for body */
    struct request req;          /* what the handler sees */
    struct MHD_Connection *connection; /* for header lookups */
    struct timespec start;       /* when the request arrived */
    int status;                  /* the status answered */
    uint64_t bytes;              /* body bytes answered */
    int route;                   /* route index, or -1 */
    char method[16];             /* the method as sent (truncated), for the log */
    char version[12];            /* HTTP version as sent, for the log */
    char *path_arg;              /* the captured {ref}, decoded (malloc'd) */
    /* parking (long polls and event streams) */
    struct exchange *next_waiter; /* next in server->waiters */
    int parked;                  /* 1 while suspended in server->waiters */
    int64_t wait_since;          /* resume when the revision passes this */
    struct timespec wait_until;  /* or at this time (CLOCK_MONOTONIC) */
    int stream_done;             /* 1: the stream ended (stop): the reader says so */
    struct response_stream stream; /* a handler's stream, read through stream_read */
    struct cache_entry *entry;   /* the entry whose prepared response is on the wire, kept
                                  * until completion (the response points into it) */
    /* last, and in this order, for exchange_new */
    struct problem early;        /* a framing problem found on the first call */
    struct response res;         /* what the handler fills */
};

/* exchange_new clears an exchange up to each problem's text, which the problem functions
 * write before anything reads it: 12 of its 13 KB, which calloc zeroed on every request
 * (14 K instructions, 2% of a cache-off list page). */
_Static_assert(offsetof(struct problem, detail) > offsetof(struct problem, error_count) &&
                   offsetof(struct problem, errors) > offsetof(struct problem, detail),
               "a problem's text follows its small fields");
_Static_assert(offsetof(struct response, problem) + sizeof(struct problem) ==
                   sizeof(struct response),
               "the problem is the last member of a response");
_Static_assert(offsetof(struct exchange, res) == offsetof(struct exchange, early) +
                                                     sizeof(struct problem) &&
                   offsetof(struct exchange, res) + sizeof(struct response) ==
                       sizeof(struct exchange),
               "early, then res, end the exchange");

static struct exchange *exchange_new(void) {
    struct exchange *x = malloc(sizeof *x);
    if (x == NULL)
        return NULL;
    memset(x, 0, offsetof(struct exchange, early.detail));
    x->early.detail[0] = '\0';
    memset(&x->res, 0, offsetof(struct response, problem.detail));
    x->res.problem.detail[0] = '\0';
    return x;
}

/* ---------------------------------------------------------------- the exchange */

/* Wakes a runner sleeping in poll on the worker's epoll set. */
static void kick(struct worker *w) {
    uint64_t one = 1;
    if (w->kick >= 0)
        (void)!write(w->kick, &one, sizeof one);
}

static void exchange_free(struct exchange *x);

/* Frees a request libmicrohttpd dropped before the access handler saw it (see
 * connection_slot): it was never in flight nor answered, so it is neither counted nor logged. */
static void exchange_discard(struct exchange *x) {
    x->slot->unclaimed = NULL;
    exchange_free(x);
}

/* Where the origin form (path and query) of a request target begins: an absolute-form
 * target ("http://host/v1/topics", which RFC 9112 3.2.2 says a server must accept) loses its
 * scheme and authority; any other target is returned as it is. The result starts with '?'
 * ("http://host?pretty") or is empty when the path is: the path is then "/". */
static const char *origin_form(const char *target) {
    size_t scheme = strncasecmp(target, "http://", 7) == 0    ? 7
                    : strncasecmp(target, "https://", 8) == 0 ? 8
                                                              : 0;
    if (scheme == 0)
        return target;
    return target + scheme + strcspn(target + scheme, "/?");
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *connection) {
    struct worker *w = cls;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    struct exchange *x = exchange_new();
    if (x == NULL)
        return NULL;
    x->server = w->server;
    x->worker = w;
    w->started++;
    x->connection = connection;
    x->route = -1;
    x->start = start;
    const char *origin = origin_form(uri);
    /* decided here, on the target as sent: the access handler strips as many bytes of the
     * decoded path, which are the same bytes when the authority holds no escape */
    x->authority_len = (size_t)(origin - uri);
    x->authority_encoded = memchr(uri, '%', x->authority_len) != NULL;
    /* an absolute form's "?query" or nothing: the path is "/" */
    int rooted = origin == uri || *origin == '/' || *origin == '\0';
    uri = *origin == '\0' && origin != uri ? "/" : origin;
    size_t len = strnlen(uri, MAX_URL + 1);
    x->target_too_long = len > MAX_URL;
    if (len > MAX_URL)
        len = MAX_URL;
    x->target = malloc(len + !rooted + 1);
    if (x->target != NULL) {
        x->target[0] = '/';
        memcpy(x->target + !rooted, uri, len);
        x->target[len + !rooted] = '\0';
    }
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct connection_slot *slot = info != NULL ? info->socket_context : NULL;
    if (slot != NULL) {
        if (slot->unclaimed != NULL) /* never the case: a dropped request closes the connection */
            exchange_discard(slot->unclaimed);
        slot->unclaimed = x;
        x->slot = slot;
    }
    return x;
}

static void exchange_free(struct exchange *x) {
    cache_release(x->entry);
    if (x->stream.free && x->stream.ctx)
        x->stream.free(x->stream.ctx);
    free(x->target);
    free(x->body);
    free(x->path_arg);
    response_release(&x->res);
    free(x);
}

static uint64_t micros_since(const struct timespec *start) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t us = (int64_t)(now.tv_sec - start->tv_sec) * 1000000 +
                 (now.tv_nsec - start->tv_nsec) / 1000;
    return us < 0 ? 0 : (uint64_t)us;
}

/* Writes s into a JSON string body (without quotes), escaping what JSON requires. */
static void log_json_string(FILE *f, const char *s) {
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\')
            fprintf(f, "\\%c", *c);
        else if (*c < 0x20 || *c == 0x7f)
            fprintf(f, "\\u%04x", *c);
        else
            fputc(*c, f);
    }
}

static void log_exchange(const struct exchange *x, uint64_t micros) {
    enum log_format format = x->server->config->log;
    if (format == LOG_OFF)
        return;
    char remote[INET6_ADDRSTRLEN] = "-";
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(x->connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (info && info->client_addr) {
        const struct sockaddr *sa = info->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
                      remote, sizeof remote);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
                      remote, sizeof remote);
    }
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char when[32];
    const char *target = x->target ? x->target : "-";
    flockfile(stderr);
    if (format == LOG_JSON) {
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        fprintf(stderr, "{\"time\":\"%s\",\"remote\":\"%s\",\"method\":\"", when, remote);
        log_json_string(stderr, x->method);
        fputs("\",\"target\":\"", stderr);
        log_json_string(stderr, target);
        fprintf(stderr, "\",\"status\":%d,\"bytes\":%" PRIu64 ",\"micros\":%" PRIu64 "}\n",
                x->status, x->bytes, micros);
    } else {
        strftime(when, sizeof when, "%d/%b/%Y:%H:%M:%S +0000", &tm);
        fprintf(stderr, "%s - - [%s] \"", remote, when);
        /* the request line is quoted: control characters and quotes are escaped */
        log_json_string(stderr, x->method);
        fputc(' ', stderr);
        log_json_string(stderr, target);
        fprintf(stderr, " %s\" %d %" PRIu64 " %" PRIu64 "us\n", x->version, x->status,
                x->bytes, micros);
    }
    funlockfile(stderr);
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **req_cls,
                         enum MHD_RequestTerminationCode toe) {
    (void)connection;
    (void)toe;
    struct http_server *server = cls;
    struct exchange *x = *req_cls;
    if (x == NULL)
        return;
    if (x->slot != NULL) /* completed unseen: libmicrohttpd answered it (431) itself */
        x->slot->unclaimed = NULL;
    uint64_t micros = micros_since(&x->start);
    if (x->answered) {
        metrics_request(x->route, x->status, micros);
        log_exchange(x, micros);
    }
    int counted = x->started; /* in flight since the access handler's first call */
    exchange_free(x);
    *req_cls = NULL;
    if (counted)
        atomic_fetch_sub(&server->in_flight, 1);
}

static void on_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe) {
    struct worker *w = cls;
    metrics_connection(w->index, toe == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1);
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        /* out of memory: requests go untracked, as before the slot */
        *socket_context = calloc(1, sizeof(struct connection_slot));
        return;
    }
    struct connection_slot *slot = *socket_context;
    if (slot != NULL) {
        if (slot->unclaimed != NULL)
            exchange_discard(slot->unclaimed);
        free(slot);
        *socket_context = NULL;
    }
    if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        if (w->adding_fd >= 0) { /* during add_pending's MHD_add_connection */
            const union MHD_ConnectionInfo *fd =
                MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
            if (fd != NULL && fd->connect_fd == w->adding_fd)
                w->adding_closed = 1;
        }
        const union MHD_ConnectionInfo *peer =
            MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (peer != NULL && peer->client_addr != NULL)
            admission_leave(w->server->admission, w->index, peer->client_addr);
    }
}

/* ---------------------------------------------------------------- reading */

static const char *header_of(const struct request *req, const char *name) {
    const struct exchange *x = req->conn;
    return MHD_lookup_connection_value(x->connection, MHD_HEADER_KIND, name);
}

/* What the framing check counts over the request headers. */
struct framing {
    int content_length_count;        /* Content-Length headers seen */
    const char *content_length;      /* the first one's value */
    int content_length_conflict;     /* 1: two Content-Length values differ */
    int transfer_encoding_count;     /* Transfer-Encoding headers seen */
    const char *transfer_encoding;   /* the first one's value */
    int host_count;                  /* Host headers seen */
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value) {
    (void)kind;
    struct framing *f = cls;
    if (value == NULL)
        value = "";
    if (strcasecmp(key, "Content-Length") == 0) {
        if (f->content_length_count++ == 0)
            f->content_length = value;
        else if (strcmp(f->content_length, value) != 0)
            f->content_length_conflict = 1;
    } else if (strcasecmp(key, "Transfer-Encoding") == 0) {
        if (f->transfer_encoding_count++ == 0)
            f->transfer_encoding = value;
    } else if (strcasecmp(key, "Host") == 0) {
        f->host_count++;
    }
    return MHD_YES;
}

/* Refuses what request smuggling relies on and what the limits forbid; fills x->early.
 * libmicrohttpd 0.9.75 would otherwise pick one reading of an ambiguous request. */
static void check_framing(struct exchange *x, const char *version) {
    struct problem *p = &x->early;
    if (x->target_too_long) {
        problem_set(p, PROBLEM_URI_TOO_LONG, "the request target is longer than %d bytes",
                    MAX_URL);
        return;
    }
    if (x->authority_encoded) {
        problem_set(p, PROBLEM_BAD_REQUEST,
                    "the request target's authority holds a %%-escape; send the path alone "
                    "(/v1/...) or a plain http://host/v1/...");
        return;
    }
    /* libmicrohttpd decodes the path and the parameters into C strings, which a NUL would cut
     * short: /v1/organizations/finland%00x would be Finland, limit=5%00x a valid limit */
    if (x->target != NULL && strstr(x->target, "%00") != NULL) {
        problem_set(p, PROBLEM_BAD_REQUEST,
                    "the request target holds an encoded NUL (%%00), which no path or "
                    "parameter may contain");
        return;
    }
    struct framing f = {0};
    MHD_get_connection_values(x->connection, MHD_HEADER_KIND, count_framing, &f);
    if (f.content_length_conflict) {
        problem_set(p, PROBLEM_BAD_REQUEST, "the request has two different Content-Length "
                                            "headers; send exactly one");
    } else if (f.content_length_count && f.transfer_encoding_count) {
        problem_set(p, PROBLEM_BAD_REQUEST, "the request has both Content-Length and "
                                            "Transfer-Encoding; send only one of them");
    } else if (f.transfer_encoding_count > 1 ||
               (f.transfer_encoding_count && strcasecmp(f.transfer_encoding, "chunked") != 0)) {
        problem_set(p, PROBLEM_NOT_IMPLEMENTED,
                    "Transfer-Encoding '%s' is not supported; only 'chunked' is",
                    f.transfer_encoding ? f.transfer_encoding : "");
    } else if (strcmp(version, MHD_HTTP_VERSION_1_1) == 0 && f.host_count != 1) {
        problem_set(p, PROBLEM_BAD_REQUEST, f.host_count == 0
                                                ? "an HTTP/1.1 request must carry a Host header"
                                                : "the request has more than one Host header");
    } else if (f.content_length_count) {
        char *end = NULL;
        const char *v = f.content_length;
        unsigned long long n = strtoull(v, &end, 10);
        if (*v < '0' || *v > '9' || *end != '\0')
            problem_set(p, PROBLEM_BAD_REQUEST, "Content-Length '%s' is not a number", v);
        else if (n > MAX_BODY)
            problem_set(p, PROBLEM_PAYLOAD_TOO_LARGE,
                        "the request body is %llu bytes; the limit is %d bytes", n, MAX_BODY);
    }
    if (p->kind != PROBLEM_NONE)
        x->close_after = 1;
}

static enum http_method method_of(const char *method) {
    static const struct {
        const char *name;
        enum http_method method;
    } methods[] = {{"GET", METHOD_GET},     {"HEAD", METHOD_HEAD},
                   {"POST", METHOD_POST},   {"PATCH", METHOD_PATCH},
                   {"DELETE", METHOD_DELETE}, {"OPTIONS", METHOD_OPTIONS},
                   {"PUT", METHOD_PUT}};
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (strcmp(method, methods[i].name) == 0)
            return methods[i].method;
    return METHOD_OTHER;
}

static enum MHD_Result collect_param(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value) {
    (void)kind;
    struct exchange *x = cls;
    if (x->req.param_count == MAX_PARAMS) {
        problem_set(&x->res.problem, PROBLEM_INVALID_PARAMETER,
                    "a request may carry at most %d query parameters", MAX_PARAMS);
        return MHD_NO;
    }
    x->req.params[x->req.param_count].name = key;
    x->req.params[x->req.param_count].value = value ? value : "";
    x->req.param_count++;
    return MHD_YES;
}

/* Appends upload data to the body; returns 0, or -1 past MAX_BODY or out of memory. */
static int body_append(struct exchange *x, const char *data, size_t len) {
    if (len > MAX_BODY - x->body_len)
        return -1;
    if (x->body_len + len + 1 > x->body_cap) {
        size_t cap = x->body_cap ? x->body_cap : 4096;
        while (cap < x->body_len + len + 1)
            cap *= 2;
        char *body = realloc(x->body, cap);
        if (body == NULL)
            return -1;
        x->body = body;
        x->body_cap = cap;
    }
    memcpy(x->body + x->body_len, data, len);
    x->body_len += len;
    x->body[x->body_len] = '\0';
    return 0;
}

/* ---------------------------------------------------------------- parking */

static int timespec_passed(const struct timespec *ts, const struct timespec *now) {
    return now->tv_sec > ts->tv_sec || (now->tv_sec == ts->tv_sec && now->tv_nsec >= ts->tv_nsec);
}

/* Suspends x's connection until the revision passes since or ms pass (or the stop). The
 * connection holds no thread meanwhile. Call only from the access handler or a reader.
 * Returns 0, or -1 when the server is stopping (nothing is parked then). */
static int park(struct exchange *x, int64_t since, long ms) {
    struct http_server *server = x->server;
    x->wait_since = since;
    revision_deadline(&x->wait_until, ms > 0 ? ms : 1);
    pthread_mutex_lock(&server->waiters_lock);
    if (server->stopping) {
        pthread_mutex_unlock(&server->waiters_lock);
        return -1;
    }
    MHD_suspend_connection(x->connection);
    x->parked = 1;
    x->next_waiter = server->waiters;
    server->waiters = x;
    pthread_cond_signal(&server->waiters_wake);
    pthread_mutex_unlock(&server->waiters_lock);
    return 0;
}

/* The revision watcher's listener: a change may release parked connections. */
static void on_revision_change(void *ctx) {
    struct http_server *server = ctx;
    pthread_mutex_lock(&server->waiters_lock);
    pthread_cond_signal(&server->waiters_wake);
    pthread_mutex_unlock(&server->waiters_lock);
}

/* Resumes every parked connection whose change came or whose time passed (all on stop). */
static void *waiter_main(void *arg) {
    struct http_server *server = arg;
    pthread_mutex_lock(&server->waiters_lock);
    for (;;) {
        struct timespec now, next;
        clock_gettime(CLOCK_MONOTONIC, &now);
        revision_deadline(&next, 1000);
        int64_t revision = revision_current();
        struct exchange **link = &server->waiters;
        while (*link) {
            struct exchange *x = *link;
            if (server->stopping || revision > x->wait_since ||
                timespec_passed(&x->wait_until, &now)) {
                *link = x->next_waiter;
                x->next_waiter = NULL;
                x->parked = 0;
                if (server->stopping)
                    x->stream_done = 1;
                MHD_resume_connection(x->connection);
                /* libmicrohttpd's own wake-up (its ITC) is not in the epoll set a runner sleeps
                 * on (a daemon without a listening socket leaves it out): without the kick the
                 * resumed connection waited for other traffic or the accepting thread's sweep,
                 * and after the stop, with no sweep left, for ever (the grace period) */
                kick(x->worker);
                continue;
            }
            if (!timespec_passed(&next, &x->wait_until))
                next = x->wait_until;
            link = &x->next_waiter;
        }
        if (server->stopping && server->waiters == NULL)
            break;
        pthread_cond_timedwait(&server->waiters_wake, &server->waiters_lock, &next);
    }
    pthread_mutex_unlock(&server->waiters_lock);
    return NULL;
}

/* The calling runner's read-only database connection, opened on its first request; NULL when
 * it cannot be opened (or, never, when the caller is not a runner). One per runner thread,
 * not per worker: a runner uses it for whichever worker it runs, so more, smaller workers
 * (SHARDS_PER_THREAD) cost no more connections, page caches or search state. A stream reads
 * on the connection of the runner that calls its reader, which after a steal is not the one
 * its request began on; no stream keeps a transaction open between reads. */
static struct db *runner_connection(void) {
    struct runner *r = this_runner;
    if (r == NULL)
        return NULL;
    if (r->db != NULL)
        return r->db;
    struct http_server *server = r->server;
    struct db_error err = {0};
    struct db *db = db_open(server->config->db_path, DB_READ_ONLY, &err);
    if (db == NULL) {
        fprintf(stderr, "plenary: cannot open %s: %s\n", server->config->db_path, err.message);
        return NULL;
    }
    r->db = db; /* only this thread uses it; stop_runners closes it */
    return db;
}

/* libmicrohttpd's reader for a handler's stream: parks the connection when the stream has
 * nothing to send yet, instead of spinning. */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max) {
    struct exchange *x = cls;
    if (x->stream_done)
        return MHD_CONTENT_READER_END_OF_STREAM;
    ssize_t n = x->stream.read(x->stream.ctx, runner_connection(), pos, buf, max);
    if (n == STREAM_WAIT) {
        int64_t since = revision_current();
        long ms = 15000;
        if (x->stream.wait)
            x->stream.wait(x->stream.ctx, &since, &ms);
        return park(x, since, ms) == 0 ? 0 : MHD_CONTENT_READER_END_OF_STREAM;
    }
    if (n > 0)
        x->bytes += (uint64_t)n;
    return n;
}

/* ---------------------------------------------------------------- answering */

/* Does an If-None-Match list match etag? Weak comparison (RFC 9110 13.1.2): W/ is ignored. */
static int none_match(const char *header, const char *etag) {
    const char *p = header;
    size_t etag_len = strlen(etag);
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (*p == '*')
            return 1;
        if (strncmp(p, "W/", 2) == 0)
            p += 2;
        if (strncmp(p, etag, etag_len) == 0)
            return 1;
        while (*p && *p != ',')
            p++;
    }
    return 0;
}

/* Which origin may read the answer: "*", the request's Origin if allowed, or NULL. */
static const char *allowed_origin(const struct config *cfg, const char *origin) {
    for (size_t i = 0; i < cfg->cors_origin_count; i++) {
        if (strcmp(cfg->cors_origins[i], "*") == 0)
            return "*";
        if (origin && strcmp(cfg->cors_origins[i], origin) == 0)
            return origin;
    }
    return NULL;
}

static int wildcard_cors(const struct config *cfg) {
    for (size_t i = 0; i < cfg->cors_origin_count; i++)
        if (strcmp(cfg->cors_origins[i], "*") == 0)
            return 1;
    return 0;
}

static void add_cors(struct MHD_Response *r, const struct exchange *x) {
    const char *origin = header_of(&x->req, "Origin");
    const char *allowed = allowed_origin(x->server->config, origin);
    if (allowed == NULL)
        return;
    MHD_add_response_header(r, "Access-Control-Allow-Origin", allowed);
    MHD_add_response_header(r, "Access-Control-Expose-Headers",
                            "ETag, Link, Location, X-Revision, Retry-After, Last-Modified");
}

/* The headers every answer carries: X-Revision, Cache-Control, Vary, CORS. */
static void add_common_headers(struct MHD_Response *r, const struct exchange *x, int status) {
    const struct request *req = &x->req;
    char revision[24];
    snprintf(revision, sizeof revision, "%" PRId64, req->revision);
    MHD_add_response_header(r, "X-Revision", revision);
    if (req->method == METHOD_GET || req->method == METHOD_HEAD)
        MHD_add_response_header(r, "Cache-Control",
                                status < 400 ? x->server->config->cache_control : "no-store");
    MHD_add_response_header(r, "Vary", "Accept, Accept-Encoding, Origin");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    add_cors(r, x);
    if (x->close_after)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
}

/* ---------------------------------------------------------------- negotiation and validators */

/* Does an Accept header admit media type `type` ("text/csv")? Ranges with q=0 refuse. A
 * missing or empty header admits everything. */
static int accepts(const char *accept, const char *type) {
    if (accept == NULL || *accept == '\0')
        return 1;
    size_t slash = strcspn(type, "/");
    const char *p = accept;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *range = p;
        size_t range_len = strcspn(p, ";,");
        while (range_len && range[range_len - 1] == ' ')
            range_len--;
        p += strcspn(p, ",");
        /* q of this range: 0 refuses, anything else admits */
        const char *params = range + range_len;
        int refused = 0;
        for (const char *q = params; q < p; q++)
            if ((*q == 'q' || *q == 'Q') && q[1] == '=' && strtod(q + 2, NULL) <= 0.0 &&
                (q == params || q[-1] == ';' || q[-1] == ' '))
                refused = 1;
        if (refused || range_len == 0)
            continue;
        if ((range_len == 3 && strncmp(range, "*/*", 3) == 0) ||
            (range_len == slash + 2 && strncasecmp(range, type, slash + 1) == 0 &&
             range[slash + 1] == '*') ||
            (strncasecmp(range, type, range_len) == 0 &&
             (type[range_len] == '\0' || type[range_len] == ';')))
            return 1;
    }
    return 0;
}

/* Does Accept-Encoding admit gzip? */
static int accepts_gzip(const char *accept_encoding) {
    if (accept_encoding == NULL)
        return 0;
    const char *p = accept_encoding;
    while ((p = strcasestr(p, "gzip")) != NULL) {
        const char *after = p + 4;
        if ((p == accept_encoding || p[-1] == ' ' || p[-1] == ',') &&
            (*after == '\0' || *after == ',' || *after == ';' || *after == ' ')) {
            const char *q = strstr(after, "q=");
            const char *comma = strchr(after, ',');
            if (q && (comma == NULL || q < comma) && strtod(q + 2, NULL) <= 0.0)
                return 0;
            return 1;
        }
        p = after;
    }
    return 0;
}

/* Parses an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"); returns -1 when malformed. */
static time_t parse_http_date(const char *text) {
    struct tm tm = {0};
    const char *end = strptime(text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (end == NULL || *end != '\0')
        return -1;
    return timegm(&tm);
}

static void format_http_date(time_t when, char *buf, size_t size) {
    struct tm tm;
    gmtime_r(&when, &tm);
    strftime(buf, size, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* Appends text to buf percent-encoded so that every spelling of a value gives one key. */
static int key_append(char *buf, size_t size, size_t *used, const char *text) {
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        int plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                    (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.' ||
                    *c == '~' || *c == '/' || *c == ',';
        if (*used + 4 >= size)
            return -1;
        if (plain) {
            buf[(*used)++] = (char)*c;
        } else {
            buf[(*used)++] = '%';
            buf[(*used)++] = hex[*c >> 4];
            buf[(*used)++] = hex[*c & 15];
        }
    }
    buf[*used] = '\0';
    return 0;
}

/* The cache key of a GET: the path, the query parameters sorted by name then value, and
 * Accept (the representation depends on it). Returns its length, or 0 when too long. */
static size_t canonical_key(const struct exchange *x, char *buf, size_t size) {
    const struct request *req = &x->req;
    size_t order[MAX_PARAMS];
    for (size_t i = 0; i < req->param_count; i++) {
        /* insertion sort: a handful of parameters */
        size_t j = i;
        while (j > 0) {
            const struct param *a = &req->params[order[j - 1]], *b = &req->params[i];
            int cmp = strcmp(a->name, b->name);
            if (cmp < 0 || (cmp == 0 && strcmp(a->value, b->value) <= 0))
                break;
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    size_t used = 0;
    buf[0] = '\0';
    if (key_append(buf, size, &used, req->path) != 0)
        return 0;
    for (size_t i = 0; i < req->param_count; i++) {
        const struct param *p = &req->params[order[i]];
        if (used + 2 >= size)
            return 0;
        buf[used++] = i == 0 ? '?' : '&';
        if (key_append(buf, size, &used, p->name) != 0)
            return 0;
        buf[used++] = '=';
        if (key_append(buf, size, &used, p->value) != 0)
            return 0;
    }
    const char *accept = header_of(req, "Accept");
    if (used + 2 >= size)
        return 0;
    buf[used++] = '\n';
    buf[used] = '\0';
    if (accept && key_append(buf, size, &used, accept) != 0)
        return 0;
    return used;
}

/* The revision an answer built from the types in depends must not be older than. */
static int64_t relevant_revision(unsigned depends) {
    return revision_of(depends, NULL);
}

static void release_entry(void *entry) {
    cache_release(entry);
}

static void destroy_prepared(void *response) {
    MHD_destroy_response(response);
}

/* Makes the libmicrohttpd response of an entry: its body (identity or gzip) or none for a
 * 304, and every header. A shared response points into the entry without a reference (the
 * exchanges that queue it hold one until completion); any other holds its own. */
static struct MHD_Response *entry_response(struct exchange *x, struct cache_entry *e, int gzip,
                                           int not_modified, int shared) {
    struct MHD_Response *r;
    if (not_modified) {
        r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    } else if (shared) {
        r = MHD_create_response_from_buffer(gzip ? e->gzip_len : e->body_len,
                                            gzip ? e->gzip : e->body, MHD_RESPMEM_PERSISTENT);
    } else {
        cache_retain(e); /* released by libmicrohttpd when the response is done */
        r = MHD_create_response_from_buffer_with_free_callback_cls(
            gzip ? e->gzip_len : e->body_len, gzip ? e->gzip : e->body, release_entry, e);
        if (r == NULL)
            cache_release(e);
    }
    if (r == NULL)
        return NULL;
    int status = not_modified ? 304 : e->status;
    if (!not_modified) {
        MHD_add_response_header(r, "Content-Type", e->content_type);
        if (gzip)
            MHD_add_response_header(r, "Content-Encoding", "gzip");
    }
    MHD_add_response_header(r, "ETag", gzip ? e->gzip_etag : e->etag);
    if (e->last_modified > 0) {
        char date[40];
        format_http_date(e->last_modified, date, sizeof date);
        MHD_add_response_header(r, "Last-Modified", date);
    }
    for (size_t i = 0; i < e->header_count; i++)
        MHD_add_response_header(r, e->headers[i].name, e->headers[i].value);
    add_common_headers(r, x, status);
    return r;
}

/* Queues a GET answer from a rendered entry: the identity or gzip body by Accept-Encoding,
 * 304 by If-None-Match (first) or If-Modified-Since, and the validator headers. While the
 * revision stays the same and the headers do not depend on the request (CORS "*"), the
 * response made for the first request is queued again as it is: a repeated poll costs a
 * lookup and a queue, no allocation. */
static enum MHD_Result answer_entry(struct exchange *x, struct cache_entry *e) {
    const struct request *req = &x->req;
    int gzip = e->gzip_state != 2 && accepts_gzip(header_of(req, "Accept-Encoding")) &&
               cache_entry_gzip(e);
    const char *etag = gzip ? e->gzip_etag : e->etag;
    int not_modified = 0;
    const char *inm = header_of(req, "If-None-Match");
    if (inm != NULL) {
        not_modified = none_match(inm, etag);
    } else if (e->last_modified > 0) {
        const char *ims = header_of(req, "If-Modified-Since");
        time_t since = ims ? parse_http_date(ims) : -1;
        not_modified = since >= 0 && e->last_modified <= since;
    }
    int status = not_modified ? 304 : e->status;
    enum MHD_Result ok;
    if (wildcard_cors(x->server->config) && !x->close_after) {
        size_t slot = (size_t)(2 * gzip + not_modified);
        pthread_mutex_lock(&e->lock);
        if (e->prepared_revision != req->revision) {
            for (size_t i = 0; i < sizeof e->prepared / sizeof e->prepared[0]; i++) {
                if (e->prepared[i])
                    MHD_destroy_response(e->prepared[i]);
                e->prepared[i] = NULL;
            }
            e->prepared_revision = req->revision;
        }
        if (e->prepared[slot] == NULL) {
            e->prepared[slot] = entry_response(x, e, gzip, not_modified, 1);
            e->prepared_free = destroy_prepared;
        }
        struct MHD_Response *r = e->prepared[slot];
        ok = r ? MHD_queue_response(x->connection, (unsigned)status, r) : MHD_NO;
        pthread_mutex_unlock(&e->lock);
        if (r != NULL) {
            cache_retain(e);
            x->entry = e;
        }
    } else {
        struct MHD_Response *r = entry_response(x, e, gzip, not_modified, 0);
        if (r == NULL)
            return MHD_NO;
        ok = MHD_queue_response(x->connection, (unsigned)status, r);
        MHD_destroy_response(r);
    }
    if (!not_modified)
        x->bytes = gzip ? e->gzip_len : e->body_len;
    x->status = status;
    x->route = e->route;
    x->answered = 1;
    return ok;
}

/* Queues the answer for x: the handler's body or stream, or its problem. */
static enum MHD_Result answer(struct exchange *x) {
    struct response *res = &x->res;
    struct request *req = &x->req;
    int status = res->status ? res->status : 200;
    const char *content_type = res->content_type ? res->content_type : "application/json";
    char etag[24] = "";
    int not_modified = 0;

    if (res->problem.kind != PROBLEM_NONE) {
        size_t len = 0;
        char *body = problem_render(&res->problem, req->path ? req->path : x->target, &len);
        free(res->body);
        res->body = body;
        res->body_len = body ? len : 0;
        status = problem_status(res->problem.kind);
        content_type = "application/problem+json";
        if (res->stream.free && res->stream.ctx)
            res->stream.free(res->stream.ctx);
        res->stream = (struct response_stream){0};
    } else if (res->stream.read == NULL && status == 200 &&
               (req->method == METHOD_GET || req->method == METHOD_HEAD)) {
        snprintf(etag, sizeof etag, "\"%016" PRIx64 "\"", cache_hash(res->body ? res->body : "", res->body_len));
        const char *inm = header_of(req, "If-None-Match");
        if (inm && none_match(inm, etag))
            not_modified = 1;
    }

    struct MHD_Response *r;
    if (not_modified) {
        r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        status = 304;
    } else if (res->stream.read && res->problem.kind == PROBLEM_NONE) {
        /* the exchange keeps the stream (freed with it); libmicrohttpd reads through x */
        x->stream = res->stream;
        res->stream = (struct response_stream){0};
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, stream_read, x,
                                              NULL);
    } else {
        r = MHD_create_response_from_buffer(res->body_len, res->body ? res->body : (void *)"",
                                            res->body ? MHD_RESPMEM_MUST_FREE
                                                      : MHD_RESPMEM_PERSISTENT);
        if (r != NULL && res->body != NULL) {
            x->bytes = res->body_len;
            res->body = NULL; /* libmicrohttpd frees it now */
        }
    }
    if (r == NULL)
        return MHD_NO;
    if (!not_modified && status != 204)
        MHD_add_response_header(r, "Content-Type", content_type);
    if (etag[0])
        MHD_add_response_header(r, "ETag", etag);
    for (size_t i = 0; i < res->header_count; i++)
        MHD_add_response_header(r, res->headers[i].name, res->headers[i].value);
    add_common_headers(r, x, status);
    enum MHD_Result ok = MHD_queue_response(x->connection, (unsigned)status, r);
    MHD_destroy_response(r);
    x->status = status;
    x->answered = 1;
    return ok;
}

/* OPTIONS: the methods a path takes, and a CORS preflight answer when asked for one. */
static int preflight(struct exchange *x, const struct route *route) {
    char allow[96];
    router_allow(route, allow, sizeof allow);
    response_header_add(&x->res, "Allow", allow);
    const struct config *cfg = x->server->config;
    const char *origin = header_of(&x->req, "Origin");
    const char *asked = header_of(&x->req, "Access-Control-Request-Method");
    if (origin && asked && allowed_origin(cfg, origin)) {
        /* a wildcard origin opens reads only; writes need an origin named in the list */
        const char *methods = wildcard_cors(cfg) && strcmp(allowed_origin(cfg, origin), "*") == 0
                                  ? "GET, HEAD, OPTIONS"
                                  : allow;
        response_header_add(&x->res, "Access-Control-Allow-Methods", methods);
        response_header_add(&x->res, "Access-Control-Allow-Headers",
                            "Accept, Authorization, Content-Type, If-Match, If-None-Match, "
                            "If-Modified-Since, Last-Event-ID");
        response_header_add(&x->res, "Access-Control-Max-Age", "86400");
    }
    x->res.status = 204;
    return 204;
}

/* Routes a complete request and runs its handler; fills x->res. OPTIONS is answered here
 * (it depends on the CORS settings); everything else goes through dispatch(). */
static void route_exchange(struct exchange *x) {
    struct request *req = &x->req;
    struct response *res = &x->res;
    if (res->problem.kind != PROBLEM_NONE)
        return; /* too many parameters */
    if (req->method == METHOD_OPTIONS) {
        if (strcmp(req->path, "*") == 0) { /* the server as a whole (RFC 9110 9.3.7) */
            char allow[96];
            router_allow(NULL, allow, sizeof allow);
            response_header_add(res, "Allow", allow);
            res->status = 204;
            return;
        }
        const char *arg = NULL;
        size_t arg_len = 0;
        const struct route *route = router_match(req->path, &arg, &arg_len);
        if (route == NULL) {
            problem_set(&res->problem, PROBLEM_NOT_FOUND, "no resource at %s; GET / lists them",
                        req->path);
            return;
        }
        x->route = (int)route_index(route);
        preflight(x, route);
        return;
    }
    req->db = runner_connection();
    /* one snapshot per request; a stream's later batches read outside it */
    int snapshot = req->db != NULL && db_read_begin(req->db) == 0;
    x->route = dispatch(req, res, &x->path_arg);
    if (snapshot)
        db_read_end(req->db);
}

static enum MHD_Result respond(struct exchange *x);

/* Answers a complete request: from the response cache when it holds a fresh answer, else
 * through the handler, keeping what it rendered when it may be reused. */
static enum MHD_Result respond(struct exchange *x) {
    struct request *req = &x->req;
    struct response *res = &x->res;
    int is_get = req->method == METHOD_GET || req->method == METHOD_HEAD;
    static _Thread_local char key[MAX_URL * 3 + 1024];
    size_t key_len = 0;
    const char *unused_arg;
    size_t unused_len;
    const struct route *route = router_match(req->path, &unused_arg, &unused_len);
    if (is_get && res->problem.kind == PROBLEM_NONE && route != NULL && !route->nocache) {
        key_len = canonical_key(x, key, sizeof key);
        if (key_len > 0) {
            struct cache_entry *hit = cache_get(x->server->cache, key, key_len, relevant_revision);
            if (hit != NULL) {
                enum MHD_Result ok = answer_entry(x, hit);
                cache_release(hit);
                return ok;
            }
        }
    }
    route_exchange(x);
    if (res->wait_ms > 0 && res->problem.kind == PROBLEM_NONE && !req->resumed) {
        /* a long poll with nothing to say yet: park, then run the handler again */
        int64_t since = res->wait_since;
        long ms = res->wait_ms;
        response_release(res);
        free(x->path_arg);
        x->path_arg = NULL;
        req->resumed = 1;
        if (park(x, since, ms) == 0)
            return MHD_YES;
        return respond(x); /* stopping: answer at once with what there is */
    }
    if (res->problem.kind == PROBLEM_NONE && res->content_type != NULL &&
        !accepts(header_of(req, "Accept"), res->content_type)) {
        problem_set(&res->problem, PROBLEM_NOT_ACCEPTABLE,
                    "%s is served as %s, which the Accept header refuses", req->path,
                    res->content_type);
        free(res->body);
        res->body = NULL;
    }
    int status = res->status ? res->status : 200;
    if (!is_get || key_len == 0 || status != 200 || res->problem.kind != PROBLEM_NONE ||
        res->stream.read != NULL)
        return answer(x);
    /* a rendered GET answer: made into an entry (validators, gzip), kept if reusable */
    struct cache_header headers[CACHE_MAX_HEADERS];
    size_t count = 0;
    for (size_t i = 0; i < res->header_count && count < CACHE_MAX_HEADERS; i++) {
        headers[count].name = res->headers[i].name;
        headers[count].value = res->headers[i].value;
        res->headers[i].value = NULL;
        count++;
    }
    time_t changed = 0;
    revision_of(res->depends, &changed);
    struct cache_entry *e = cache_entry_new(
        key, key_len, 200, res->content_type ? res->content_type : "application/json", res->body,
        res->body_len, headers, count, x->route, req->revision, res->depends, changed);
    res->body = NULL;
    if (e == NULL) {
        problem_set(&res->problem, PROBLEM_INTERNAL, "out of memory");
        return answer(x);
    }
    if (!res->uncacheable)
        cache_put(x->server->cache, e);
    enum MHD_Result ok = answer_entry(x, e);
    cache_release(e);
    return ok;
}

/* Does the target's path (before any '?') hold an encoded slash? libmicrohttpd decodes the
 * path before routing, so /v1%2Fassemblies would route as /v1/assemblies: a second URL for a
 * resource (and a second entry in caches) that no link ever gives. */
static int encoded_slash_in_path(const char *target) {
    for (const char *c = target; *c && *c != '?'; c++)
        if (c[0] == '%' && c[1] == '2' && (c[2] == 'F' || c[2] == 'f'))
            return 1;
    return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls) {
    (void)cls;
    struct exchange *x = *req_cls;
    if (x == NULL)
        return MHD_NO; /* out of memory in on_uri: drop the connection */
    if (!x->started) {
        x->started = 1;
        atomic_fetch_add(&x->server->in_flight, 1); /* (see connection_slot) */
        if (x->slot != NULL) { /* from here the completion callback frees it */
            x->slot->unclaimed = NULL;
            x->slot = NULL;
        }
        snprintf(x->method, sizeof x->method, "%s", method);
        snprintf(x->version, sizeof x->version, "%s", version);
        x->req.method = method_of(method);
        const char *origin = x->authority_len > 0 && strlen(url) >= x->authority_len
                                 ? url + x->authority_len
                                 : url;
        x->req.path = origin == url || *origin == '/' ? origin : "/";
        x->req.target = x->target;
        x->req.config = x->server->config;
        x->req.header = header_of;
        x->req.conn = x;
        x->req.revision = revision_current();
        check_framing(x, version);
        if (x->target != NULL && encoded_slash_in_path(x->target))
            problem_set(&x->res.problem, PROBLEM_NOT_FOUND,
                        "no resource at %.*s: an encoded slash (%%2F) is not a path separator, "
                        "and no id or slug holds one",
                        (int)strcspn(x->target, "?"), x->target);
        if (x->early.kind != PROBLEM_NONE) {
            /* ambiguous framing: answer at once and close, reading nothing more */
            x->res.problem = x->early;
            return answer(x);
        }
        return MHD_YES;
    }
    if (x->answered) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        if (body_append(x, upload_data, *upload_data_size) != 0) {
            problem_set(&x->res.problem, PROBLEM_PAYLOAD_TOO_LARGE,
                        "the request body is over the limit of %d bytes", MAX_BODY);
            x->close_after = 1;
            *upload_data_size = 0;
            return answer(x);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    x->req.body = x->body;
    x->req.body_len = x->body_len;
    if (!x->req.resumed) /* a resumed long poll has its parameters already */
        MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, collect_param, x);
    return respond(x);
}

/* ---------------------------------------------------------------- the daemon */

/* The listening socket, bound and listening on addr, into server->listener (its port into
 * server->port), and the eventfd that stops the accepting thread. 0, or -1. */
static int listen_on(struct http_server *server, const struct sockaddr *addr, socklen_t len) {
    server->listener = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    server->accept_stop = eventfd(0, EFD_CLOEXEC);
    if (server->listener < 0 || server->accept_stop < 0)
        return -1;
    int on = 1;
    /* a restart may bind at once while the last run's connections are in TIME_WAIT */
    (void)setsockopt(server->listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (addr->sa_family == AF_INET6) /* an IPv6 address means IPv6 only, as --bind says */
        (void)setsockopt(server->listener, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    if (bind(server->listener, addr, len) != 0 || listen(server->listener, LISTEN_BACKLOG) != 0)
        return -1;
    struct sockaddr_storage bound;
    socklen_t bound_len = sizeof bound;
    if (getsockname(server->listener, (struct sockaddr *)&bound, &bound_len) != 0)
        return -1;
    server->port = bound.ss_family == AF_INET6
                       ? ntohs(((struct sockaddr_in6 *)&bound)->sin6_port)
                       : ntohs(((struct sockaddr_in *)&bound)->sin_port);
    return 0;
}

/* Gives an accepted connection to the least loaded worker, or refuses it (closes it) past
 * the connection limits. The worker's daemon takes it from the runner that runs it next
 * (add_pending): libmicrohttpd's lists are the event loop's to change. */
static void hand_over(struct http_server *server, int fd, struct sockaddr *peer,
                      socklen_t peer_len) {
    int i = admission_enter(server->admission, peer);
    if (i < 0) {
        close(fd);
        return;
    }
    struct worker *w = &server->workers[i];
    pthread_mutex_lock(&w->pending_lock);
    int room = 1;
    if (w->pending_count == w->pending_cap) {
        size_t cap = w->pending_cap ? 2 * w->pending_cap : 16;
        struct handed *grown = realloc(w->pending, cap * sizeof *grown);
        if (grown != NULL) {
            w->pending = grown;
            w->pending_cap = cap;
        } else {
            room = 0;
        }
    }
    if (room) {
        struct handed *h = &w->pending[w->pending_count++];
        h->fd = fd;
        h->peer_len = peer_len <= sizeof h->peer ? peer_len : (socklen_t)sizeof h->peer;
        memcpy(&h->peer, peer, h->peer_len);
        atomic_store_explicit(&w->handed, 1, memory_order_release);
    }
    pthread_mutex_unlock(&w->pending_lock);
    if (!room) {
        close(fd);
        admission_leave(server->admission, (unsigned)i, peer);
        return;
    }
    kick(w);
}

/* Adds the connections handed over to the worker to its daemon (by the runner running it). */
static void add_pending(struct worker *w) {
    if (!atomic_load_explicit(&w->handed, memory_order_acquire))
        return;
    pthread_mutex_lock(&w->pending_lock);
    struct handed *taken = w->pending;
    size_t count = w->pending_count;
    w->pending = NULL;
    w->pending_count = w->pending_cap = 0;
    atomic_store_explicit(&w->handed, 0, memory_order_relaxed);
    pthread_mutex_unlock(&w->pending_lock);
    for (size_t k = 0; k < count; k++) {
        struct handed *h = &taken[k];
        w->adding_fd = h->fd;
        w->adding_closed = 0;
        enum MHD_Result added =
            MHD_add_connection(w->daemon, h->fd, (struct sockaddr *)&h->peer, h->peer_len);
        w->adding_fd = -1;
        /* on failure libmicrohttpd has closed fd; the admission is left here unless its
         * close was reported (on_connection left it then) */
        if (added != MHD_YES && !w->adding_closed)
            admission_leave(w->server->admission, w->index, (struct sockaddr *)&h->peer);
    }
    free(taken);
}

static int64_t monotonic_us(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

/* Runs the worker once, if no other runner is running it. Returns 1 when the run began a
 * request or left work that no event will announce (libmicrohttpd's timeout is 0: a
 * connection it has more to read or write on, a resumed one), which it marks `hot`; 0 when
 * the worker was idle or taken. */
static int run_worker(const struct runner *r, struct worker *w) {
    if (atomic_exchange_explicit(&w->running, 1, memory_order_acquire))
        return 0;
    add_pending(w);
    unsigned started = w->started;
    (void)MHD_run(w->daemon);
    MHD_UNSIGNED_LONG_LONG timeout;
    int left = MHD_get_timeout(w->daemon, &timeout) == MHD_YES && timeout == 0;
    int worked = left || w->started != started;
    atomic_store_explicit(&w->hot, left, memory_order_relaxed);
    /* only a run that did something counts (see takeable_in_us): were idle runs to count, a
     * runner woken by its timer for another's worker would run an idle worker of its own,
     * which would set the other's timer, and so on: ~130 wake-ups a second on an idle server */
    int64_t now = monotonic_us();
    atomic_store_explicit(&w->looked_us, now, memory_order_relaxed);
    if (worked)
        atomic_store_explicit(&w->ran_us, now, memory_order_relaxed);
    atomic_store_explicit(&w->running, 0, memory_order_release);
    /* work left in another runner's worker: its own runner may be asleep in poll on the
     * worker's epoll set, where nothing else would announce it (the run may also have read
     * the kick of a connection handed over meanwhile) */
    if (w->home != r->index &&
        (left || atomic_load_explicit(&w->handed, memory_order_acquire)))
        kick(w);
    return worked;
}

/* How long until the runner may take the worker over, in microseconds: 0 for its own
 * workers, and for another runner's once that runner has not run it for STEAL_AFTER_US. */
static int64_t takeable_in_us(const struct runner *r, struct worker *w, int64_t now) {
    if (w->home == r->index)
        return 0;
    int64_t age = now - atomic_load_explicit(&w->ran_us, memory_order_relaxed);
    return age >= STEAL_AFTER_US ? 0 : STEAL_AFTER_US - age;
}

/* 1 when the worker has work that its epoll set does not show: hot, or connections handed
 * over (whose kick a run may have read). */
static int work_unannounced(struct worker *w) {
    return atomic_load_explicit(&w->hot, memory_order_relaxed) ||
           atomic_load_explicit(&w->handed, memory_order_relaxed);
}

/* 1 when another runner's worker has something to do: hot, connections handed over, or an
 * event in its epoll set. Asked (a poll that waits for nothing) before a runner takes such
 * a worker, so that it never holds one only to find it idle: its own runner, which leaves
 * it alone while another holds it, would then wait for nothing. */
static int has_work(struct worker *w) {
    if (work_unannounced(w))
        return 1;
    struct pollfd events = {.fd = w->epoll_fd, .events = POLLIN};
    return poll(&events, 1, 0) > 0;
}

/* The worker the runner should run next: of those no runner is running and it may take, the
 * one it looked at least recently (its own: looked_us; another runner's: ran_us, less
 * STEAL_AFTER_US), another runner's only if it has work. So a runner keeps to its own workers while the runners keep pace
 * (memory stays with the thread that allocated it: glibc's arenas lock when another thread
 * frees into them, which cost ~15% of the searches/s when every run went to whichever
 * runner was free), and takes over another's when that one falls behind. NULL when there
 * is none. */
static struct worker *next_worker(struct runner *r) {
    struct http_server *server = r->server;
    int64_t now = monotonic_us();
    unsigned char passed[MAX_THREADS * SHARDS_PER_THREAD] = {0}; /* found idle */
    for (;;) {
        struct worker *best = NULL;
        int64_t best_age = INT64_MIN;
        for (unsigned i = 0; i < server->worker_count; i++) {
            struct worker *w = &server->workers[i];
            if (passed[i] || atomic_load_explicit(&w->running, memory_order_acquire) ||
                takeable_in_us(r, w, now) > 0)
                continue;
            int64_t age = now - atomic_load_explicit(w->home == r->index ? &w->looked_us
                                                                          : &w->ran_us,
                                                     memory_order_relaxed);
            if (w->home != r->index)
                age -= STEAL_AFTER_US;
            if (age > best_age) {
                best = w;
                best_age = age;
            }
        }
        if (best == NULL || best->home == r->index || has_work(best))
            return best;
        passed[best->index] = 1;
    }
}

/* Waits until a worker the runner may take has an event (its epoll set is readable) or is
 * hot, until another runner's worker becomes takeable, or the stop. Its own workers that
 * another runner is running are that runner's to look at again; but as it may then spend
 * long elsewhere, the wait is cut to RUNNER_RECHECK_MS while one is. */
static void runner_wait(struct runner *r) {
    struct http_server *server = r->server;
    struct pollfd fds[MAX_THREADS * SHARDS_PER_THREAD + 1];
    nfds_t n = 0;
    int64_t now = monotonic_us();
    int64_t wait_us = -1; /* -1: until an event */
    for (unsigned i = 0; i < server->worker_count; i++) {
        struct worker *w = &server->workers[i];
        int64_t takeable_in = takeable_in_us(r, w, now);
        if (atomic_load_explicit(&w->running, memory_order_acquire) || takeable_in > 0) {
            int64_t recheck = takeable_in > 0 ? takeable_in : RUNNER_RECHECK_MS * 1000;
            if (w->home == r->index || takeable_in > 0)
                wait_us = wait_us < 0 || recheck < wait_us ? recheck : wait_us;
            continue;
        }
        if (work_unannounced(w))
            return;
        fds[n++] = (struct pollfd){.fd = w->epoll_fd, .events = POLLIN};
    }
    fds[n++] = (struct pollfd){.fd = server->runners_stop, .events = POLLIN};
    (void)poll(fds, n, wait_us < 0 ? -1 : (int)((wait_us + 999) / 1000));
}

/* A runner thread: runs the worker next_worker picks, again and again, and waits as soon as
 * a run found nothing to do (runner_wait's poll returns at once if some worker has an event
 * waiting, at the cost of one system call where a run of an idle worker costs
 * libmicrohttpd's whole loop), until the stop. */
static void *runner_main(void *arg) {
    struct runner *r = arg;
    this_runner = r;
    struct http_server *server = r->server;
    while (!atomic_load_explicit(&server->runners_stopping, memory_order_relaxed)) {
        struct worker *w = next_worker(r);
        if (w == NULL || !run_worker(r, w))
            runner_wait(r);
    }
    return NULL;
}

/* Kicks every worker that holds connections, so that libmicrohttpd closes the idle ones past
 * their timeout (it looks at timeouts only when its loop runs). Returns 1 when some worker
 * holds connections. */
static int sweep_workers(struct http_server *server) {
    int any = 0;
    for (unsigned i = 0; i < server->worker_count; i++)
        if (admission_held(server->admission, i) > 0) {
            kick(&server->workers[i]);
            any = 1;
        }
    return any;
}

/* Accepts every connection waiting and hands each over. */
static void accept_waiting(struct http_server *server) {
    for (;;) {
        struct sockaddr_storage peer;
        socklen_t peer_len = sizeof peer;
        int fd = accept4(server->listener, (struct sockaddr *)&peer, &peer_len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            hand_over(server, fd, (struct sockaddr *)&peer, peer_len);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            /* out of descriptors or memory: let connections close before trying again */
            struct timespec pause = {0, ACCEPT_RETRY_MS * 1000 * 1000};
            nanosleep(&pause, NULL);
        }
        return; /* EAGAIN: the queue is empty */
    }
}

/* The accepting thread. It, not the workers, accepts: libmicrohttpd's pool threads would
 * each take connections while idle and so hold uneven shares (218 and 42 of wrk's 256 in one
 * run). It also sweeps the workers' timeouts every SWEEP_MS while connections are open. */
static void *accept_main(void *arg) {
    struct http_server *server = arg;
    struct pollfd watch[2] = {{.fd = server->listener, .events = POLLIN},
                              {.fd = server->accept_stop, .events = POLLIN}};
    int holding = 0;        /* some worker held connections at the last sweep */
    int64_t last_sweep = 0; /* when sweep_workers last ran */
    for (;;) {
        int ready = poll(watch, 2, holding ? SWEEP_MS : -1);
        if (ready < 0 && errno != EINTR)
            break;
        if (ready > 0 && watch[1].revents != 0)
            break;
        if (ready > 0 && watch[0].revents != 0) {
            accept_waiting(server);
            holding = 1;
        }
        int64_t now = monotonic_us() / 1000;
        if (now - last_sweep >= SWEEP_MS) {
            holding = sweep_workers(server);
            last_sweep = now;
        }
    }
    return NULL;
}

/* Closes the listening socket and the thread's eventfd. */
static void close_listener(struct http_server *server) {
    if (server->listener >= 0)
        close(server->listener);
    if (server->accept_stop >= 0)
        close(server->accept_stop);
    server->listener = server->accept_stop = -1;
}

/* Ends the accepting thread and closes the listening socket: new connections are refused,
 * open ones go on being served. */
static void stop_accepting(struct http_server *server) {
    if (server->accept_started) {
        uint64_t one = 1;
        (void)!write(server->accept_stop, &one, sizeof one);
        pthread_join(server->accept_thread, NULL);
        server->accept_started = 0;
    }
    close_listener(server);
}

/* Puts the worker's kick eventfd into its daemon's epoll set, with a NULL data pointer,
 * which libmicrohttpd 0.9.75 skips, and edge-triggered, so that it never stays ready. */
static int add_worker_events(struct worker *w) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(w->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    if (info == NULL || info->epoll_fd < 0)
        return -1;
    w->epoll_fd = info->epoll_fd;
    w->kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->kick < 0)
        return -1;
    struct epoll_event event = {.events = EPOLLIN | EPOLLET, .data.ptr = NULL};
    return epoll_ctl(w->epoll_fd, EPOLL_CTL_ADD, w->kick, &event);
}

/* Ends the runner threads (each finishes the run it is in). */
static void stop_runners(struct http_server *server) {
    if (server->runner_count > 0) {
        uint64_t one = 1;
        atomic_store(&server->runners_stopping, 1);
        (void)!write(server->runners_stop, &one, sizeof one);
        for (unsigned i = 0; i < server->runner_count; i++) {
            pthread_join(server->runners[i].thread, NULL);
            db_close(server->runners[i].db); /* its own, no longer used once it has ended */
            server->runners[i].db = NULL;
        }
        server->runner_count = 0;
    }
}

/* Stops the workers' daemons (closing their connections) once no runner runs them. */
static void stop_workers(struct http_server *server) {
    stop_runners(server);
    for (unsigned i = 0; i < server->worker_count; i++) {
        struct worker *w = &server->workers[i];
        add_pending(w); /* handed over but not yet added: added, then closed with the rest */
        MHD_stop_daemon(w->daemon);
        if (w->kick >= 0)
            close(w->kick);
        pthread_mutex_destroy(&w->pending_lock);
    }
    server->worker_count = 0;
    if (server->runners_stop >= 0)
        close(server->runners_stop);
    server->runners_stop = -1;
}

struct http_server *http_start(const struct config *cfg, char *err, size_t err_size) {
    struct http_server *server = calloc(1, sizeof *server);
    if (server == NULL) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    server->config = cfg;
    server->listener = server->accept_stop = -1;
    server->runners_stop = eventfd(0, EFD_CLOEXEC);
    pthread_mutex_init(&server->waiters_lock, NULL);
    /* waiter deadlines are CLOCK_MONOTONIC: the condition must wait on the same clock, or
     * every timed wait returns at once and the waiter thread spins */
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&server->waiters_wake, &attr);
    pthread_condattr_destroy(&attr);
    server->cache = cache_new(cfg->cache_bytes);
    if (server->cache == NULL) {
        snprintf(err, err_size, "out of memory");
        if (server->runners_stop >= 0)
            close(server->runners_stop);
        free(server);
        return NULL;
    }

    struct sockaddr_storage addr = {0};
    socklen_t addr_len = 0;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&addr;
    if (inet_pton(AF_INET, cfg->bind, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)cfg->port);
        addr_len = sizeof *v4;
    } else if (inet_pton(AF_INET6, cfg->bind, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)cfg->port);
        addr_len = sizeof *v6;
    } else {
        snprintf(err, err_size, "--bind '%s' is not an IPv4 or IPv6 address", cfg->bind);
        goto fail;
    }
    if (listen_on(server, (struct sockaddr *)&addr, addr_len) != 0) {
        snprintf(err, err_size, "cannot listen on %s port %u (in use, or not permitted)",
                 cfg->bind, cfg->port);
        goto fail;
    }
    unsigned workers = cfg->threads * SHARDS_PER_THREAD;
    server->admission = admission_new(workers, MAX_CONNECTIONS, MAX_CONNECTIONS_PER_IP);
    if (server->admission == NULL) {
        snprintf(err, err_size, "out of memory");
        goto fail;
    }
    if (server->runners_stop < 0) {
        snprintf(err, err_size, "cannot set up the runners' wake-up");
        goto fail;
    }
    /* daemons with no listening socket and no thread of their own: the accepting thread
     * hands each its connections and enforces the limits (each daemon's own is the total,
     * so never reached); the runners run them (see struct worker) */
    unsigned flags = MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_SUSPEND_RESUME | MHD_USE_NO_LISTEN_SOCKET;
    for (unsigned i = 0; i < workers; i++) {
        struct worker *w = &server->workers[i];
        w->server = server;
        w->index = i;
        w->home = i % cfg->threads;
        w->kick = -1;
        w->adding_fd = -1;
        pthread_mutex_init(&w->pending_lock, NULL);
        w->daemon = MHD_start_daemon(
            flags, 0, NULL, NULL, on_request, server, MHD_OPTION_CONNECTION_LIMIT,
            (unsigned)MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S,
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY_BYTES,
            MHD_OPTION_URI_LOG_CALLBACK, on_uri, w, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
            server, MHD_OPTION_NOTIFY_CONNECTION, on_connection, w, MHD_OPTION_END);
        if (w->daemon == NULL) {
            pthread_mutex_destroy(&w->pending_lock);
            snprintf(err, err_size, "cannot start the HTTP daemon");
            goto fail;
        }
        server->worker_count++;
        if (add_worker_events(w) != 0) {
            snprintf(err, err_size, "cannot set up the HTTP daemon's wake-up");
            goto fail;
        }
    }
    for (unsigned i = 0; i < cfg->threads; i++) {
        struct runner *r = &server->runners[i];
        r->server = server;
        r->index = i;
        if (pthread_create(&r->thread, NULL, runner_main, r) != 0) {
            snprintf(err, err_size, "cannot start the runner threads");
            goto fail;
        }
        server->runner_count++;
    }
    if (pthread_create(&server->accept_thread, NULL, accept_main, server) != 0) {
        snprintf(err, err_size, "cannot start the accepting thread");
        goto fail;
    }
    server->accept_started = 1;
    metrics_workers(server->worker_count);
    if (pthread_create(&server->waiter_thread, NULL, waiter_main, server) != 0) {
        snprintf(err, err_size, "cannot start the waiter thread");
        stop_accepting(server);
        goto fail;
    }
    server->waiter_started = 1;
    revision_on_change(on_revision_change, server);
    return server;
fail:
    close_listener(server);
    stop_workers(server);
    admission_free(server->admission);
    cache_free(server->cache);
    free(server);
    return NULL;
}

unsigned http_port(const struct http_server *server) {
    return server->port;
}

void http_stop(struct http_server *server) {
    if (server == NULL)
        return;
    /* stop accepting; connections already open go on being served */
    stop_accepting(server);
    /* parked long polls answer now and event streams end, so nothing stays suspended */
    revision_on_change(NULL, NULL);
    pthread_mutex_lock(&server->waiters_lock);
    server->stopping = 1;
    pthread_cond_signal(&server->waiters_wake);
    pthread_mutex_unlock(&server->waiters_lock);
    for (int waited = 0; waited < SHUTDOWN_GRACE_S * 100; waited++) {
        if (atomic_load(&server->in_flight) == 0)
            break;
        struct timespec tick = {0, 10 * 1000 * 1000};
        nanosleep(&tick, NULL);
    }
    if (server->waiter_started)
        pthread_join(server->waiter_thread, NULL);
    stop_workers(server);
    admission_free(server->admission);
    cache_free(server->cache);
    pthread_mutex_destroy(&server->waiters_lock);
    pthread_cond_destroy(&server->waiters_wake);
    free(server);
}
