/* harness.c: starts the real daemon for integration tests and talks HTTP to it. */
#include "harness.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static CURL *shared;

const char *harness_binary(void) {
    const char *bin = getenv("PLENARY_BIN");
    return bin ? bin : "build/server/plenary";
}

static unsigned free_port(void) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(s, (struct sockaddr *)&a, &len) != 0) {
        if (s >= 0)
            close(s);
        return 0;
    }
    close(s);
    return ntohs(a.sin_port);
}

static int run_wait(const char *const argv[], const char *log) {
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) < 0)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int harness_run(const struct daemon *d, const char *const args[]) {
    const char *argv[32] = {harness_binary()};
    size_t n = 1;
    for (size_t i = 0; args[i] && n < 28; i++)
        argv[n++] = args[i];
    argv[n++] = "--db";
    argv[n++] = d->db;
    argv[n] = NULL;
    return run_wait(argv, d->log);
}

int daemon_start(struct daemon *d, int with_fixtures, const char *const extra_args[]) {
    memset(d, 0, sizeof *d);
    snprintf(d->dir, sizeof d->dir, "/tmp/plenary-test-XXXXXX");
    if (mkdtemp(d->dir) == NULL)
        return -1;
    snprintf(d->db, sizeof d->db, "%s/test.db", d->dir);
    snprintf(d->log, sizeof d->log, "%s/daemon.log", d->dir);
    const char *init[] = {harness_binary(), "init", "--db", d->db,
                          with_fixtures ? "--with-fixtures" : NULL, NULL};
    if (run_wait(init, d->log) != 0) {
        fprintf(stderr, "harness: plenary init failed (log: %s)\n", d->log);
        return -1;
    }
    d->port = free_port();
    char port[16];
    snprintf(port, sizeof port, "%u", d->port);
    const char *argv[40] = {harness_binary(), "serve", "--db",   d->db,   "--port",
                            port,             "--log", "common", NULL};
    size_t n = 8;
    for (size_t i = 0; extra_args && extra_args[i] && n < 38; i++)
        argv[n++] = extra_args[i];
    argv[n] = NULL;
    d->pid = fork();
    if (d->pid < 0)
        return -1;
    if (d->pid == 0) {
        int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) {
        struct reply r = {0};
        if (http_get(d, "/healthz", &r) == 0 && r.status == 200) {
            reply_free(&r);
            return 0;
        }
        reply_free(&r);
        int status;
        if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
            fprintf(stderr, "harness: the daemon exited at start (log: %s)\n", d->log);
            d->pid = 0;
            return -1;
        }
        struct timespec tick = {0, 25 * 1000 * 1000};
        nanosleep(&tick, NULL);
    }
    fprintf(stderr, "harness: the daemon did not answer /healthz (log: %s)\n", d->log);
    return -1;
}

int daemon_stop(struct daemon *d) {
    http_reset();
    int result = -1;
    if (d->pid > 0) {
        kill(d->pid, SIGTERM);
        int status = 0;
        for (int i = 0; i < 400; i++) {
            pid_t got = waitpid(d->pid, &status, WNOHANG);
            if (got == d->pid) {
                result = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
                break;
            }
            struct timespec tick = {0, 25 * 1000 * 1000};
            nanosleep(&tick, NULL);
        }
        if (result == -1) {
            kill(d->pid, SIGKILL);
            waitpid(d->pid, &status, 0);
        }
        d->pid = 0;
    }
    if (result != 0) {
        /* keep the log for the person reading the failure */
        char line[512];
        FILE *f = fopen(d->log, "r");
        fprintf(stderr, "harness: daemon log %s:\n", d->log);
        while (f && fgets(line, sizeof line, f))
            fputs(line, stderr);
        if (f)
            fclose(f);
    }
    if (getenv("PLENARY_KEEP_TMP") == NULL && d->dir[0]) {
        char path[400];
        const char *files[] = {"test.db", "test.db-wal", "test.db-shm", "daemon.log",
                               "doc.json"};
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
            snprintf(path, sizeof path, "%s/%s", d->dir, files[i]);
            unlink(path);
        }
        rmdir(d->dir);
    }
    return result;
}

struct buffer {
    char *data;
    size_t len;
};

static size_t collect(char *ptr, size_t size, size_t nmemb, void *userdata) {
    struct buffer *b = userdata;
    size_t n = size * nmemb;
    char *grown = realloc(b->data, b->len + n + 1);
    if (grown == NULL)
        return 0;
    b->data = grown;
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

void http_reset(void) {
    if (shared)
        curl_easy_cleanup(shared);
    shared = NULL;
}

int http_request(const struct daemon *d, const char *method, const char *path,
                 const char *const headers[], const char *body, struct reply *out) {
    memset(out, 0, sizeof *out);
    if (shared == NULL) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        shared = curl_easy_init();
        if (shared == NULL)
            return -1;
    }
    CURL *c = shared;
    curl_easy_reset(c);
    char url[8192];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", d->port, path);
    struct buffer b = {0}, h = {0};
    struct curl_slist *list = NULL;
    for (size_t i = 0; headers && headers[i]; i++)
        list = curl_slist_append(list, headers[i]);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 70L);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    if (method && strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else if (method)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(list);
    if (rc != CURLE_OK) {
        free(b.data);
        free(h.data);
        return -1;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &out->connects);
    out->body = b.data ? b.data : strdup("");
    out->body_len = b.len;
    out->headers = h.data ? h.data : strdup("");
    return 0;
}

int http_get(const struct daemon *d, const char *path, struct reply *out) {
    return http_request(d, NULL, path, NULL, NULL, out);
}

const char *reply_header(const struct reply *r, const char *name, char *buf, size_t size) {
    size_t name_len = strlen(name);
    const char *last = NULL;
    /* the last header block wins (after a 100 Continue there are two) */
    for (const char *line = r->headers; line && *line;) {
        const char *end = strstr(line, "\r\n");
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > name_len && strncasecmp(line, name, name_len) == 0 && line[name_len] == ':')
            last = line;
        line = end ? end + 2 : line + len;
    }
    if (last == NULL)
        return NULL;
    const char *v = last + name_len + 1;
    while (*v == ' ')
        v++;
    const char *end = strstr(v, "\r\n");
    size_t len = end ? (size_t)(end - v) : strlen(v);
    if (len >= size)
        len = size - 1;
    memcpy(buf, v, len);
    buf[len] = '\0';
    return buf;
}

void reply_free(struct reply *r) {
    free(r->body);
    free(r->headers);
    memset(r, 0, sizeof *r);
}

ssize_t raw_exchange(unsigned port, const char *request, size_t len, char *buf, size_t size,
                     int timeout_ms) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) {
        close(s);
        return -1;
    }
    size_t sent = 0;
    while (sent < len) {
        ssize_t n = send(s, request + sent, len - sent, MSG_NOSIGNAL);
        if (n <= 0)
            break;
        sent += (size_t)n;
    }
    size_t got = 0;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (elapsed >= timeout_ms || got + 1 >= size)
            break;
        struct pollfd p = {.fd = s, .events = POLLIN};
        if (poll(&p, 1, (int)(timeout_ms - elapsed)) <= 0)
            break;
        ssize_t n = recv(s, buf + got, size - got - 1, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    close(s);
    return (ssize_t)got;
}
