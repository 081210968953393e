/* test_spine.c: the daemon end to end — keep-alive over several requests, problem answers for
 * unknown paths and methods, every framing attack refused, limits, the meta endpoints, a
 * graceful SIGTERM that completes a request in flight and exits 0, connections shared
 * evenly among the workers, every request answered when all connections send at once and
 * the daemon asleep after, and the per-address connection limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dirent.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>

static struct daemon d;

static int setup(void **state) {
    (void)state;
    return daemon_start(&d, 1, NULL);
}

static int teardown(void **state) {
    (void)state;
    return daemon_stop(&d) == 0 ? 0 : -1;
}

static json_t *body_json(const struct reply *r) {
    json_t *doc = json_loads(r->body, 0, NULL);
    assert_non_null(doc);
    return doc;
}

static void keep_alive_holds(void **state) {
    (void)state;
    http_reset();
    long total_connects = 0;
    for (int i = 0; i < 5; i++) {
        struct reply r;
        assert_int_equal(http_get(&d, i % 2 ? "/healthz" : "/nope", &r), 0);
        total_connects += r.connects;
        char buf[64];
        const char *conn = reply_header(&r, "Connection", buf, sizeof buf);
        assert_true(conn == NULL || strcasecmp(conn, "close") != 0);
        reply_free(&r);
    }
    assert_int_equal(total_connects, 1);
}

static void healthz_and_index(void **state) {
    (void)state;
    struct reply r;
    assert_int_equal(http_get(&d, "/healthz", &r), 0);
    assert_int_equal(r.status, 200);
    char buf[128];
    assert_string_equal(reply_header(&r, "Content-Type", buf, sizeof buf), "application/json");
    assert_non_null(reply_header(&r, "X-Revision", buf, sizeof buf));
    assert_non_null(reply_header(&r, "ETag", buf, sizeof buf));
    json_t *doc = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(doc, "status")), "ok");
    json_decref(doc);
    reply_free(&r);

    assert_int_equal(http_get(&d, "/?pretty", &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\n  \"name\": \"plenary\""));
    doc = body_json(&r);
    assert_true(json_is_integer(json_object_get(doc, "revision")));
    assert_true(json_is_object(json_object_get(doc, "links")));
    json_decref(doc);
    reply_free(&r);

    assert_int_equal(http_get(&d, "/readyz", &r), 0);
    assert_int_equal(r.status, 200);
    reply_free(&r);
}

static void unknown_path_is_404_problem(void **state) {
    (void)state;
    struct reply r;
    assert_int_equal(http_get(&d, "/v1/nothing-here", &r), 0);
    assert_int_equal(r.status, 404);
    char buf[128];
    assert_string_equal(reply_header(&r, "Content-Type", buf, sizeof buf),
                        "application/problem+json");
    json_t *doc = body_json(&r);
    assert_int_equal(json_integer_value(json_object_get(doc, "status")), 404);
    assert_string_equal(json_string_value(json_object_get(doc, "instance")), "/v1/nothing-here");
    json_decref(doc);
    reply_free(&r);
}

static void wrong_method_is_405_with_allow(void **state) {
    (void)state;
    struct reply r;
    assert_int_equal(http_request(&d, "DELETE", "/healthz", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 405);
    char buf[128];
    assert_string_equal(reply_header(&r, "Allow", buf, sizeof buf), "GET, HEAD, OPTIONS");
    assert_string_equal(reply_header(&r, "Content-Type", buf, sizeof buf),
                        "application/problem+json");
    reply_free(&r);
    assert_int_equal(http_request(&d, "BREW", "/healthz", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 405);
    reply_free(&r);
}

static void head_and_options(void **state) {
    (void)state;
    struct reply r;
    assert_int_equal(http_request(&d, "HEAD", "/healthz", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 0);
    char buf[128];
    assert_string_equal(reply_header(&r, "Content-Length", buf, sizeof buf), "15");
    reply_free(&r);
    assert_int_equal(http_request(&d, "OPTIONS", "/healthz", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 204);
    assert_string_equal(reply_header(&r, "Allow", buf, sizeof buf), "GET, HEAD, OPTIONS");
    reply_free(&r);
    /* the server as a whole: every method some route takes */
    const char *star = "OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    char raw[2048];
    assert_true(raw_exchange(d.port, star, strlen(star), raw, sizeof raw, 5000) > 0);
    assert_non_null(strstr(raw, "HTTP/1.1 204"));
    assert_non_null(strstr(raw, "\r\nAllow: GET, HEAD, OPTIONS\r\n"));
}

static void unknown_parameter_is_400(void **state) {
    (void)state;
    struct reply r;
    assert_int_equal(http_get(&d, "/healthz?limit=5", &r), 0);
    assert_int_equal(r.status, 400);
    json_t *doc = body_json(&r);
    json_t *e = json_array_get(json_object_get(doc, "errors"), 0);
    assert_string_equal(json_string_value(json_object_get(e, "parameter")), "limit");
    json_decref(doc);
    reply_free(&r);
    assert_int_equal(http_get(&d, "/?pretty=yes", &r), 0);
    assert_int_equal(r.status, 400);
    reply_free(&r);
}

/* GETs path from the shared daemon: the status must be `status` and the problem's detail
 * must hold `detail`. */
static void expect_problem(const char *path, long status, const char *detail) {
    struct reply r;
    assert_int_equal(http_get(&d, path, &r), 0);
    assert_int_equal(r.status, status);
    json_t *doc = body_json(&r);
    assert_non_null(strstr(json_string_value(json_object_get(doc, "detail")), detail));
    json_decref(doc);
    reply_free(&r);
}

/* An encoded NUL would cut a decoded path or value short (finland%00x read as finland): 400,
 * wherever it is. */
static void encoded_nul_is_400(void **state) {
    (void)state;
    const char *const targets[] = {"/v1/topics/x%00y", "/v1/interventions?limit=5%00x",
                                   "/v1/search?q=coop&type=session%00x", "/healthz%00"};
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
        expect_problem(targets[i], 400, "%00");
}

/* An encoded slash in the path is not a separator: /v1%2Fassemblies is no second URL of
 * /v1/assemblies (libmicrohttpd decodes the path before routing). In the query it is text. */
static void encoded_slash_in_path_is_404(void **state) {
    (void)state;
    expect_problem("/v1%2Fassemblies", 404, "/v1%2Fassemblies");
    struct reply r;
    assert_int_equal(http_get(&d, "/v1/organizations/a%2fb", &r), 0);
    assert_int_equal(r.status, 404);
    reply_free(&r);
    assert_int_equal(http_get(&d, "/v1/search?q=a%2Fb", &r), 0);
    assert_int_equal(r.status, 200);
    reply_free(&r);
}

/* The absolute form of a request target (RFC 9112 3.2.2: a server must accept it) routes as
 * its path and query. */
static void absolute_form_target_routes_as_its_path(void **state) {
    (void)state;
    static const struct {
        const char *request, *expect;
    } cases[] = {
        {"GET http://example.org/v1/topics?limit=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
         "\"limit\":1"},
        {"GET HTTPS://example.org:8080?pretty HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
         "\n  \"name\": \"plenary\""},
        {"GET http://x/v1/changes?limit=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
         "\"self\":\"/v1/changes?limit=1\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[8192];
        ssize_t n = raw_exchange(d.port, cases[i].request, strlen(cases[i].request), buf,
                                 sizeof buf, 5000);
        assert_true(n > 0);
        assert_non_null(strstr(buf, "HTTP/1.1 200"));
        assert_non_null(strstr(buf, cases[i].expect));
    }
    /* an escape in the authority would make the target and the decoded path disagree on
     * where the path begins (http://x%2Fv1/topics read as /topics): 400; an escaped scheme
     * is no absolute form at all */
    static const struct {
        const char *request, *status;
    } refused[] = {
        {"GET http://x%2Fv1/topics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
         "HTTP/1.1 400"},
        {"GET http%3A//x/v1/topics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
         "HTTP/1.1 404"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        char buf[4096];
        assert_true(raw_exchange(d.port, refused[i].request, strlen(refused[i].request), buf,
                                 sizeof buf, 5000) > 0);
        assert_non_null(strstr(buf, refused[i].status));
    }
}

static void etag_gives_304(void **state) {
    (void)state;
    struct reply r;
    assert_int_equal(http_get(&d, "/openapi.json", &r), 0);
    assert_int_equal(r.status, 200);
    char etag[64], header[96];
    assert_non_null(reply_header(&r, "ETag", etag, sizeof etag));
    reply_free(&r);
    snprintf(header, sizeof header, "If-None-Match: %s", etag);
    const char *headers[] = {header, NULL};
    assert_int_equal(http_request(&d, NULL, "/openapi.json", headers, NULL, &r), 0);
    assert_int_equal(r.status, 304);
    assert_int_equal(r.body_len, 0);
    reply_free(&r);
}

/* Sends raw, expects a status line starting with `status` and a problem body. */
static void expect_refused(const char *raw, const char *status) {
    char buf[4096];
    ssize_t n = raw_exchange(d.port, raw, strlen(raw), buf, sizeof buf, 2000);
    assert_true(n > 0);
    if (strncmp(buf, status, strlen(status)) != 0)
        fail_msg("sent:\n%s\ngot:\n%s", raw, buf);
    assert_non_null(strstr(buf, "application/problem+json"));
}

static void framing_attacks_are_refused(void **state) {
    (void)state;
    expect_refused("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                   "Content-Length: 4\r\n\r\nabcd",
                   "HTTP/1.1 400");
    expect_refused("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                   "HTTP/1.1 400");
    expect_refused("POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                   "0\r\n\r\n",
                   "HTTP/1.1 501");
    expect_refused("GET /healthz HTTP/1.1\r\n\r\n", "HTTP/1.1 400");
    expect_refused("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n",
                   "HTTP/1.1 413");
    /* the answer to a refused request closes the connection: nothing smuggled is read */
    char buf[8192];
    const char *smuggle = "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /readyz HTTP/1.1\r\n"
                          "Host: x\r\n\r\n";
    assert_true(raw_exchange(d.port, smuggle, strlen(smuggle), buf, sizeof buf, 2000) > 0);
    assert_null(strstr(buf, "HTTP/1.1 200"));
}

static void long_target_is_414(void **state) {
    (void)state;
    static char path[6000];
    memset(path, 'a', sizeof path - 1);
    path[0] = '/';
    path[sizeof path - 1] = '\0';
    struct reply r;
    assert_int_equal(http_get(&d, path, &r), 0);
    assert_true(r.status == 414 || r.status == 431);
    reply_free(&r);
}

/* The connection memory (CONNECTION_MEMORY_BYTES, 16 KiB) holds the request's header
 * block: 12 KiB of headers are served, 24 KiB are refused with 431 (or, libmicrohttpd's
 * way near its limit, a closed connection), never served. */
static void header_block_within_connection_memory(void **state) {
    (void)state;
    static char header[24 * 1024 + 16];
    const char *const within[] = {header, NULL};
    struct reply r;
    memcpy(header, "X-Big: ", 7);
    memset(header + 7, 'a', 12 * 1024);
    header[7 + 12 * 1024] = '\0';
    assert_int_equal(http_request(&d, NULL, "/v1/sessions", within, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    memset(header + 7, 'a', 24 * 1024);
    header[7 + 24 * 1024] = '\0';
    if (http_request(&d, NULL, "/v1/sessions", within, NULL, &r) == 0)
        assert_int_equal(r.status, 431);
    reply_free(&r);
}

static void body_over_limit_is_413(void **state) {
    (void)state;
    size_t size = 2 * 1024 * 1024;
    char *body = malloc(size + 1);
    memset(body, 'x', size);
    body[size] = '\0';
    struct reply r;
    const char *headers[] = {"Content-Type: application/json", NULL};
    int rc = http_request(&d, "POST", "/healthz", headers, body, &r);
    free(body);
    /* the server may close while curl still sends: either a 413 or a cut connection */
    if (rc == 0) {
        assert_int_equal(r.status, 413);
        reply_free(&r);
    }
    http_reset();
    assert_int_equal(http_get(&d, "/healthz", &r), 0);
    assert_int_equal(r.status, 200);
    reply_free(&r);
}

static void metrics_count_requests(void **state) {
    (void)state;
    struct reply r;
    assert_int_equal(http_get(&d, "/metrics", &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "plenary_requests_total{route=\"healthz\",status=\"200\"}"));
    assert_non_null(strstr(r.body, "plenary_request_duration_seconds_bucket{le=\"+Inf\"}"));
    assert_non_null(strstr(r.body, "plenary_open_connections "));
    assert_non_null(strstr(r.body, "plenary_revision "));
    reply_free(&r);
}

/* A TCP connection to the daemon on 127.0.0.1:port, or -1. */
static int client_connect(unsigned port) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) != 0)
        return -1;
    return s;
}

/* Sends head on a new connection to a daemon of its own, SIGTERMs it 200 ms later, sends
 * after_kill (or nothing) 200 ms after that, and reads the answer into buf until the daemon
 * closes; then waits for the daemon and checks that it exited 0. Returns the seconds from the
 * SIGTERM to its exit. */
static long sigterm_during(const char *head, const char *after_kill, char *buf, size_t size) {
    struct daemon e;
    assert_int_equal(daemon_start(&e, 0, NULL), 0);
    int s = client_connect(e.port);
    assert_true(s >= 0);
    assert_true(send(s, head, strlen(head), 0) > 0);
    struct timespec pause = {0, 200 * 1000 * 1000}, before, after;
    nanosleep(&pause, NULL);
    clock_gettime(CLOCK_MONOTONIC, &before);
    kill(e.pid, SIGTERM);
    if (after_kill != NULL) {
        nanosleep(&pause, NULL);
        assert_true(send(s, after_kill, strlen(after_kill), 0) == (ssize_t)strlen(after_kill));
    }
    ssize_t got = 0, n;
    while ((n = recv(s, buf + got, size - 1 - (size_t)got, 0)) > 0)
        got += n;
    buf[got] = '\0';
    close(s);
    int status = 0;
    assert_int_equal(waitpid(e.pid, &status, 0), e.pid);
    clock_gettime(CLOCK_MONOTONIC, &after);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    e.pid = 0;
    daemon_stop(&e);
    return (long)(after.tv_sec - before.tv_sec);
}

static void sigterm_completes_request_in_flight(void **state) {
    (void)state;
    char buf[2048];
    sigterm_during("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab", "cd", buf,
                   sizeof buf);
    assert_non_null(strstr(buf, "HTTP/1.1 405"));
}

/* A parked long poll answers at SIGTERM and the daemon stops at once: the waiter resumes it
 * and must wake its worker's runner (libmicrohttpd's own wake-up is not in the set the
 * runner sleeps on); it used to wait for the whole grace period and answer nothing. A
 * functional bound (5 s against SHUTDOWN_GRACE_S, 10), not a timing one. */
static void sigterm_answers_parked_long_poll(void **state) {
    (void)state;
    char buf[4096];
    long seconds = sigterm_during("GET /v1/changes?since=0&wait=30 HTTP/1.1\r\nHost: x\r\n\r\n",
                                  NULL, buf, sizeof buf);
    assert_non_null(strstr(buf, "HTTP/1.1 200"));
    assert_true(seconds < 5);
}

/* The most runner threads --threads takes (64), each with its SHARDS_PER_THREAD workers:
 * the daemon starts and answers from the database (the workers' admission table once held
 * only 64 workers, so more than 16 threads, and so any host of 17 cores or more by default,
 * failed at start with "out of memory"). */
static void most_threads_start(void **state) {
    (void)state;
    struct daemon e;
    const char *args[] = {"--threads", "64", NULL};
    assert_int_equal(daemon_start(&e, 0, args), 0);
    struct reply r;
    assert_int_equal(http_get(&e, "/v1/topics?limit=1", &r), 0);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    assert_int_equal(daemon_stop(&e), 0);
}

/* A client that sent a request line and part of its headers, and then nothing, is not a
 * request in flight: the stop closes its connection and returns at once rather than wait
 * its whole grace period (SHUTDOWN_GRACE_S, 10 s) for headers that may never come. A
 * functional bound, as above. */
static void sigterm_does_not_wait_for_unfinished_headers(void **state) {
    (void)state;
    char buf[1024];
    long seconds = sigterm_during("GET /v1/topics HTTP/1.1\r\nHost: x\r\n", NULL, buf,
                                  sizeof buf);
    assert_null(strstr(buf, "HTTP/1.1"));
    assert_true(seconds < 5);
}

/* A request libmicrohttpd drops before the access handler sees it (here: a request line with
 * more query parameters than the connection's memory pool holds) must neither leak its
 * exchange (the sanitizer suite's LeakSanitizer fails the daemon's exit) nor stay counted in
 * flight: the stop would then wait its whole grace period (SHUTDOWN_GRACE_S, 10 s) instead of
 * returning at once. A functional bound, not a timing one: the check is 5 s against ~0.2. */
static void dropped_request_is_not_left_in_flight(void **state) {
    (void)state;
    struct daemon e;
    assert_int_equal(daemon_start(&e, 0, NULL), 0);
    static char request[8192];
    size_t n = (size_t)snprintf(request, sizeof request, "GET /v1/topics?p0=1");
    for (int i = 1; i < 600 && n < sizeof request - 64; i++)
        n += (size_t)snprintf(request + n, sizeof request - n, "&p%d=1", i);
    n += (size_t)snprintf(request + n, sizeof request - n, " HTTP/1.1\r\nHost: x\r\n\r\n");
    char reply[4096];
    for (int i = 0; i < 3; i++) /* whatever comes back: no answer, or an error */
        (void)raw_exchange(e.port, request, n, reply, sizeof reply, 2000);
    struct reply r; /* the daemon still answers */
    assert_int_equal(http_get(&e, "/healthz", &r), 0);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    struct timespec before, after;
    clock_gettime(CLOCK_MONOTONIC, &before);
    assert_int_equal(daemon_stop(&e), 0);
    clock_gettime(CLOCK_MONOTONIC, &after);
    assert_true(after.tv_sec - before.tv_sec < 5);
}

/* One keep-alive client connection and the answer being read on it. */
struct client {
    int fd;
    char buf[1024];
    size_t got;
};


/* Is the whole answer in c->buf (a header block and its Content-Length of body)? */
static int client_answered(const struct client *c) {
    const char *end = memmem(c->buf, c->got, "\r\n\r\n", 4);
    const char *length = strcasestr(c->buf, "\r\nContent-Length: ");
    if (end == NULL || length == NULL)
        return 0;
    size_t body = strtoul(length + strlen("\r\nContent-Length: "), NULL, 10);
    return c->got >= (size_t)(end + 4 - c->buf) + body;
}

/* Sends one GET /healthz on each of n clients, then reads every answer; returns how many
 * were 200 within deadline_s seconds. When stopped_pid > 0, the requests are sent while
 * that process is stopped (SIGSTOP), so that they all wait for it at once. */
static int round_trip_all(struct client *clients, int n, pid_t stopped_pid, int deadline_s) {
    const char *get = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    if (stopped_pid > 0)
        kill(stopped_pid, SIGSTOP);
    for (int i = 0; i < n; i++) {
        clients[i].got = 0;
        clients[i].buf[0] = '\0';
        if (send(clients[i].fd, get, strlen(get), 0) != (ssize_t)strlen(get))
            return -1;
    }
    if (stopped_pid > 0)
        kill(stopped_pid, SIGCONT);
    static struct pollfd watch[512];
    int answered = 0;
    time_t deadline = time(NULL) + deadline_s;
    while (answered < n && time(NULL) < deadline) {
        int count = 0;
        for (int i = 0; i < n; i++)
            if (!client_answered(&clients[i]))
                watch[count++] = (struct pollfd){.fd = clients[i].fd, .events = POLLIN};
        if (poll(watch, (nfds_t)count, 100) < 0)
            return -1;
        answered = 0;
        for (int i = 0; i < n; i++) {
            struct client *c = &clients[i];
            if (!client_answered(c)) {
                ssize_t got = recv(c->fd, c->buf + c->got, sizeof c->buf - 1 - c->got, MSG_DONTWAIT);
                if (got > 0) {
                    c->got += (size_t)got;
                    c->buf[c->got] = '\0';
                }
            }
            answered += client_answered(c) && strncmp(c->buf, "HTTP/1.1 200", 12) == 0;
        }
    }
    return answered;
}

/* A gauge of the daemon's metrics (line is "\nname " or "\nname{labels} "), or -1. */
static long metric(struct daemon *e, const char *line) {
    struct reply r;
    if (http_get(e, "/metrics", &r) != 0)
        return -1;
    const char *at = strstr(r.body, line);
    long value = at ? atol(at + strlen(line)) : -1;
    reply_free(&r);
    return value;
}

static long open_connections(struct daemon *e) {
    return metric(e, "\nplenary_open_connections ");
}

/* Context switches of all the process's threads so far (/proc/PID/task/TID/status), or -1. */
static long context_switches(pid_t pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *tasks = opendir(path);
    if (tasks == NULL)
        return -1;
    long total = 0;
    struct dirent *task;
    while ((task = readdir(tasks)) != NULL) {
        if (task->d_name[0] == '.')
            continue;
        char status_path[64];
        int length = snprintf(status_path, sizeof status_path, "/proc/%d/task/%.20s/status",
                              (int)pid, task->d_name);
        if (length < 0 || (size_t)length >= sizeof status_path)
            continue;
        FILE *status = fopen(status_path, "r");
        if (status == NULL)
            continue; /* the thread ended meanwhile */
        char line[256];
        long count;
        while (fgets(line, sizeof line, status) != NULL)
            if (sscanf(line, "voluntary_ctxt_switches: %ld", &count) == 1 ||
                sscanf(line, "nonvoluntary_ctxt_switches: %ld", &count) == 1)
                total += count;
        fclose(status);
    }
    closedir(tasks);
    return total;
}

/* 256 connections all sending while the daemon is stopped (SIGSTOP), then let go: every
 * request of every round must be answered, in far less than the 30 s a stall of libmicrohttpd
 * 0.9.75's epoll loop lasted (after a full round of 128 events it waited again as if nothing
 * were ready; the workers are now run by plenary's runners with MHD_run, which waits for
 * nothing), and connections closed by their clients must be closed by the daemon, which then
 * sleeps. The accepting thread shares the connections evenly among the workers (/metrics). */
static void full_event_round_does_not_stall(void **state) {
    (void)state;
    enum { CLIENTS = 256, ROUNDS = 4, MOST_WORKERS = 64, IDLE_SWITCHES_MOST = 200 };
    struct daemon e;
    const char *args[] = {"--threads", "2", NULL};
    assert_int_equal(daemon_start(&e, 0, args), 0);
    static struct client clients[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
        clients[i].fd = client_connect(e.port);
        assert_true(clients[i].fd >= 0);
    }
    assert_int_equal(round_trip_all(clients, CLIENTS, 0, 10), CLIENTS);
    /* the accepting thread gave each worker (server/limits.h: SHARDS_PER_THREAD per thread)
     * its share; metrics' own connection is one more */
    long total = 0, least = CLIENTS, most = 0;
    int workers = 0;
    for (; workers < MOST_WORKERS; workers++) {
        char line[64];
        snprintf(line, sizeof line, "\nplenary_worker_connections{worker=\"%d\"} ", workers);
        long held = metric(&e, line);
        if (held < 0)
            break;
        total += held;
        least = held < least ? held : least;
        most = held > most ? held : most;
    }
    if (workers < 2 || workers % 2 != 0 || total != CLIENTS + 1 || most - least > 1)
        fail_msg("%d workers hold from %ld to %ld of %d connections (%ld in all)", workers, least,
                 most, CLIENTS + 1, total);
    for (int round = 0; round < ROUNDS; round++) {
        int answered = round_trip_all(clients, CLIENTS, e.pid, 10);
        if (answered != CLIENTS)
            fail_msg("round %d: %d of %d requests answered within 10 s", round, answered,
                     CLIENTS);
    }
    for (int i = 0; i < CLIENTS; i++)
        close(clients[i].fd);
    long open = -1;
    for (int tries = 0; tries < 100 && (open = open_connections(&e)) > 1; tries++) {
        struct timespec pause = {0, 20 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    if (open != 1)
        fail_msg("%ld connections still open after their clients closed them", open);
    /* then the daemon sleeps: its runners wait in poll instead of looking at idle workers
     * again and again (an earlier runner woke every 2 ms: ~1,000 switches in 2 s; a sleeping
     * daemon makes ~20, the sweep of idle connections and the revision watch) */
    long before = context_switches(e.pid);
    struct timespec idle = {2, 0};
    nanosleep(&idle, NULL);
    long after = context_switches(e.pid);
    assert_true(before >= 0 && after >= before);
    if (after - before > IDLE_SWITCHES_MOST)
        fail_msg("an idle daemon switched %ld times in 2 s", after - before);
    assert_int_equal(daemon_stop(&e), 0);
}

/* One client address may hold MAX_CONNECTIONS_PER_IP (server/limits.h: 2048) connections:
 * the accepting thread serves that many from 127.0.0.1 and closes the ones past it, and
 * frees the address's count as they close. Skipped when this process cannot open that many
 * descriptors. */
static void connections_past_the_address_limit_are_refused(void **state) {
    (void)state;
    enum { PER_ADDRESS = 2048, EXTRA = 16, ALL = PER_ADDRESS + EXTRA };
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_max < ALL + 128)
        skip();
    if (limit.rlim_cur < ALL + 128) {
        limit.rlim_cur = ALL + 128;
        if (setrlimit(RLIMIT_NOFILE, &limit) != 0)
            skip();
    }
    struct daemon e;
    assert_int_equal(daemon_start(&e, 0, NULL), 0);
    /* the harness's own keep-alive connection (libcurl's, open since the start's health
     * check) is one of the address's: one more request on it makes sure it is still open */
    assert_int_equal(open_connections(&e), 1);
    static int fds[ALL];
    for (int i = 0; i < ALL; i++) {
        fds[i] = client_connect(e.port);
        assert_true(fds[i] >= 0); /* the kernel completes the handshake either way */
    }
    const char *get = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    int answered = 0, refused = 0;
    for (int i = 0; i < ALL; i++) {
        char buf[64] = "";
        struct pollfd p = {.fd = fds[i], .events = POLLIN};
        ssize_t got = send(fds[i], get, strlen(get), MSG_NOSIGNAL) == (ssize_t)strlen(get) &&
                              poll(&p, 1, 5000) == 1
                          ? recv(fds[i], buf, sizeof buf - 1, 0)
                          : -1;
        if (got > 0 && strncmp(buf, "HTTP/1.1 200", 12) == 0)
            answered++;
        else
            refused++; /* closed at once: recv gives 0 or ECONNRESET */
    }
    assert_int_equal(answered, PER_ADDRESS - 1);
    assert_int_equal(refused, EXTRA + 1);
    for (int i = 0; i < ALL; i++)
        close(fds[i]);
    /* the count is given back: a new connection is served */
    long open = -1;
    for (int tries = 0; tries < 100 && (open = open_connections(&e)) > 1; tries++) {
        struct timespec pause = {0, 20 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    assert_int_equal(open, 1);
    assert_int_equal(daemon_stop(&e), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keep_alive_holds),
        cmocka_unit_test(healthz_and_index),
        cmocka_unit_test(unknown_path_is_404_problem),
        cmocka_unit_test(wrong_method_is_405_with_allow),
        cmocka_unit_test(head_and_options),
        cmocka_unit_test(unknown_parameter_is_400),
        cmocka_unit_test(encoded_nul_is_400),
        cmocka_unit_test(absolute_form_target_routes_as_its_path),
        cmocka_unit_test(encoded_slash_in_path_is_404),
        cmocka_unit_test(etag_gives_304),
        cmocka_unit_test(framing_attacks_are_refused),
        cmocka_unit_test(long_target_is_414),
        cmocka_unit_test(header_block_within_connection_memory),
        cmocka_unit_test(body_over_limit_is_413),
        cmocka_unit_test(metrics_count_requests),
        cmocka_unit_test(sigterm_completes_request_in_flight),
        cmocka_unit_test(dropped_request_is_not_left_in_flight),
        cmocka_unit_test(sigterm_does_not_wait_for_unfinished_headers),
        cmocka_unit_test(most_threads_start),
        cmocka_unit_test(sigterm_answers_parked_long_poll),
        cmocka_unit_test(full_event_round_does_not_stall),
        cmocka_unit_test(connections_past_the_address_limit_are_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
