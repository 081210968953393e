/* api_case.c: loading the cases of tests/api/ and matching answers against expected.json
 * (a JSON subset match: see tests/api/README.md). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "api_case.h"

#include <dirent.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

const char *api_cases_dir(void) {
    static char dir[4096];
    const char *env = getenv("API_CASES");
    if (env && *env)
        return env;
    char file[4096];
    snprintf(file, sizeof file, "%s", __FILE__);
    snprintf(dir, sizeof dir, "%s", dirname(file));
    return dir;
}

static int by_name(const void *a, const void *b) {
    return strcmp(((const struct api_case *)a)->name, ((const struct api_case *)b)->name);
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = calloc(1, 1 << 16);
    size_t n = buf ? fread(buf, 1, (1 << 16) - 1, f) : 0;
    (void)n;
    fclose(f);
    return buf;
}

int api_cases_load(const char *dir, struct api_case **cases, size_t *count) {
    DIR *d = opendir(dir);
    if (d == NULL)
        return -1;
    size_t cap = 256, n = 0;
    struct api_case *list = calloc(cap, sizeof *list);
    struct dirent *e;
    while (list && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s/request", dir, e->d_name);
        char *request = slurp(path);
        if (request == NULL)
            continue;
        if (n == cap) {
            free(request);
            break;
        }
        struct api_case *c = &list[n];
        snprintf(c->name, sizeof c->name, "%.120s", e->d_name);
        char *save = NULL;
        char *line = strtok_r(request, "\n", &save);
        if (line && strncmp(line, "GET ", 4) == 0)
            snprintf(c->target, sizeof c->target, "%s", line + 4);
        while ((line = strtok_r(NULL, "\n", &save)) != NULL &&
               c->header_count < API_CASE_MAX_HEADERS)
            if (*line)
                snprintf(c->headers[c->header_count++], sizeof c->headers[0], "%s", line);
        free(request);
        snprintf(path, sizeof path, "%s/%s/expected.json", dir, e->d_name);
        json_error_t err;
        c->expected = json_load_file(path, 0, &err);
        if (c->expected == NULL || c->target[0] == '\0') {
            fprintf(stderr, "api case %s: bad request or expected.json: %s\n", c->name, err.text);
            json_decref(c->expected);
            continue;
        }
        n++;
    }
    closedir(d);
    if (list == NULL)
        return -1;
    qsort(list, n, sizeof *list, by_name);
    *cases = list;
    *count = n;
    return 0;
}

void api_cases_free(struct api_case *cases, size_t count) {
    for (size_t i = 0; i < count; i++)
        json_decref(cases[i].expected);
    free(cases);
}

const char *api_case_header(const struct api_case *c, const char *name) {
    size_t len = strlen(name);
    for (size_t i = 0; i < c->header_count; i++)
        if (strncasecmp(c->headers[i], name, len) == 0 && c->headers[i][len] == ':') {
            const char *v = c->headers[i] + len + 1;
            while (*v == ' ')
                v++;
            return v;
        }
    return NULL;
}

__attribute__((format(printf, 1, 2))) static char *message(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *out = NULL;
    if (vasprintf(&out, fmt, ap) < 0)
        out = NULL;
    va_end(ap);
    return out ? out : strdup("mismatch");
}

/* Is expected a subset of actual? Objects: every expected member matches; arrays: same
 * length and every element matches; scalars: equal. On mismatch writes where into path. */
static int subset(const json_t *expected, const json_t *actual, char *path, size_t size) {
    if (json_is_object(expected)) {
        if (!json_is_object(actual))
            return 0;
        const char *key;
        json_t *value;
        json_object_foreach((json_t *)expected, key, value) {
            size_t used = strlen(path);
            snprintf(path + used, size - used, "/%s", key);
            if (!subset(value, json_object_get(actual, key), path, size))
                return 0;
            path[used] = '\0';
        }
        return 1;
    }
    if (json_is_array(expected)) {
        if (!json_is_array(actual) || json_array_size(actual) != json_array_size(expected))
            return 0;
        for (size_t i = 0; i < json_array_size(expected); i++) {
            size_t used = strlen(path);
            snprintf(path + used, size - used, "/%zu", i);
            if (!subset(json_array_get(expected, i), json_array_get(actual, i), path, size))
                return 0;
            path[used] = '\0';
        }
        return 1;
    }
    return actual != NULL && json_equal(expected, actual);
}

char *api_case_check(const struct api_case *c, long status, const char *content_type,
                     const char *body, size_t len, const char *link) {
    const json_t *x = c->expected;
    long want = (long)json_integer_value(json_object_get(x, "status"));
    if (want != status)
        return message("status %ld, expected %ld; body: %.300s", status, want, body ? body : "");
    const char *ct = json_string_value(json_object_get(x, "content_type"));
    if (ct && (content_type == NULL || strncmp(content_type, ct, strlen(ct)) != 0))
        return message("Content-Type %s, expected %s", content_type ? content_type : "(none)", ct);
    json_t *link_next = json_object_get(x, "link_next");
    if (json_is_boolean(link_next) &&
        json_is_true(link_next) != (link != NULL && strstr(link, "rel=\"next\"") != NULL))
        return message("Link header %s, expected %s", link ? link : "(none)",
                       json_is_true(link_next) ? "rel=next" : "none");
    const char *prefix = json_string_value(json_object_get(x, "text_starts_with"));
    if (prefix &&
        (body == NULL || len < strlen(prefix) || memcmp(body, prefix, strlen(prefix)) != 0))
        return message("body does not start with \"%.300s\": \"%.300s\"", prefix, body ? body : "");
    json_t *contains = json_object_get(x, "text_contains");
    for (size_t i = 0; i < json_array_size(contains); i++) {
        const char *want_text = json_string_value(json_array_get(contains, i));
        if (want_text && (body == NULL || strstr(body, want_text) == NULL))
            return message("body does not contain \"%s\": %.300s", want_text, body ? body : "");
    }
    json_t *counts = json_object_get(x, "text_count");
    const char *needle;
    json_t *want_count;
    json_object_foreach(counts, needle, want_count) {
        size_t n = 0, nlen = strlen(needle);
        for (const char *at = body; nlen > 0 && at && (at = strstr(at, needle)) != NULL; at += nlen)
            n++;
        if ((json_int_t)n != json_integer_value(want_count))
            return message("body contains \"%s\" %zu times, expected %lld", needle, n,
                           (long long)json_integer_value(want_count));
    }
    if (json_is_true(json_object_get(x, "crlf"))) {
        for (size_t i = 0; i < len; i++)
            if ((body[i] == '\n') != (i > 0 && body[i - 1] == '\r') ||
                (body[i] == '\r' && (i + 1 == len || body[i + 1] != '\n')))
                return message("a line break at byte %zu is not CRLF", i);
        if (len < 2 || body[len - 1] != '\n')
            return message("the body does not end with CRLF");
    }
    json_t *lines = json_object_get(x, "lines");
    if (json_is_integer(lines)) {
        long n = 0;
        for (size_t i = 0; i < len; i++)
            n += body[i] == '\n';
        if (n != json_integer_value(lines))
            return message("%ld lines, expected %lld", n, (long long)json_integer_value(lines));
    }
    json_t *want_body = json_object_get(x, "body");
    json_t *ids = json_object_get(x, "data_ids");
    json_t *data_len = json_object_get(x, "data_len");
    if (want_body == NULL && ids == NULL && data_len == NULL)
        return NULL;
    json_error_t err;
    json_t *doc = body ? json_loadb(body, len, 0, &err) : NULL;
    if (doc == NULL)
        return message("body is not JSON: %s", body ? err.text : "(no body)");
    char *result = NULL;
    char path[512] = "";
    if (want_body && !subset(want_body, doc, path, sizeof path)) {
        char *got = json_dumps(doc, JSON_COMPACT);
        result = message("body differs at %s: %.600s", path[0] ? path : "/", got ? got : "");
        free(got);
    }
    json_t *data = json_object_get(doc, "data");
    if (!result && json_is_integer(data_len) &&
        json_array_size(data) != (size_t)json_integer_value(data_len))
        result = message("%zu items, expected %lld", json_array_size(data),
                         (long long)json_integer_value(data_len));
    if (!result && ids) {
        int same = json_array_size(ids) == json_array_size(data);
        for (size_t i = 0; same && i < json_array_size(ids); i++)
            same =
                json_equal(json_array_get(ids, i), json_object_get(json_array_get(data, i), "id"));
        if (!same) {
            json_t *got = json_array();
            for (size_t i = 0; i < json_array_size(data); i++)
                json_array_append(got, json_object_get(json_array_get(data, i), "id"));
            char *text = json_dumps(got, JSON_COMPACT);
            json_decref(got);
            result = message("data ids %s", text ? text : "?");
            free(text);
        }
    }
    json_decref(doc);
    return result;
}
