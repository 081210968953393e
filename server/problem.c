/* problem.c: the table of problem kinds (status, slug, title) and the one renderer of
 * application/problem+json bodies. */
#include "problem.h"

#include <assert.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    int status;        /* HTTP status */
    const char *slug;  /* last segment of the type URI */
    const char *title; /* short, fixed summary of the kind */
} kinds[PROBLEM_KIND_COUNT] = {
    [PROBLEM_NONE] = {200, "none", "No problem"},
    [PROBLEM_BAD_REQUEST] = {400, "bad-request", "Bad request"},
    [PROBLEM_INVALID_PARAMETER] = {400, "invalid-parameter", "Invalid query parameter"},
    [PROBLEM_UNAUTHORIZED] = {401, "unauthorized", "Authentication required"},
    [PROBLEM_FORBIDDEN] = {403, "forbidden", "Token not accepted"},
    [PROBLEM_NOT_FOUND] = {404, "not-found", "Not found"},
    [PROBLEM_METHOD_NOT_ALLOWED] = {405, "method-not-allowed", "Method not allowed"},
    [PROBLEM_NOT_ACCEPTABLE] = {406, "not-acceptable", "Not acceptable"},
    [PROBLEM_CONFLICT] = {409, "conflict", "Conflict"},
    [PROBLEM_PRECONDITION_FAILED] = {412, "precondition-failed", "Precondition failed"},
    [PROBLEM_PAYLOAD_TOO_LARGE] = {413, "payload-too-large", "Request body too large"},
    [PROBLEM_URI_TOO_LONG] = {414, "uri-too-long", "Request target too long"},
    [PROBLEM_UNSUPPORTED_MEDIA] = {415, "unsupported-media-type", "Unsupported media type"},
    [PROBLEM_UNPROCESSABLE] = {422, "validation-failed", "Validation failed"},
    [PROBLEM_INTERNAL] = {500, "internal-error", "Internal server error"},
    [PROBLEM_NOT_IMPLEMENTED] = {501, "not-implemented", "Not implemented"},
    [PROBLEM_UNAVAILABLE] = {503, "unavailable", "Service unavailable"},
};

int problem_status(enum problem_kind kind) {
    assert(kind >= 0 && kind < PROBLEM_KIND_COUNT);
    return kinds[kind].status;
}

const char *problem_title(enum problem_kind kind) {
    assert(kind >= 0 && kind < PROBLEM_KIND_COUNT);
    return kinds[kind].title;
}

const char *problem_slug(enum problem_kind kind) {
    assert(kind >= 0 && kind < PROBLEM_KIND_COUNT);
    return kinds[kind].slug;
}

/* Replaces, in place, every byte that is not part of valid UTF-8 (or is a control character)
 * with '?': details quote request text, and jansson refuses invalid UTF-8. */
static void sanitize_utf8(char *s) {
    unsigned char *c = (unsigned char *)s;
    while (*c) {
        size_t need = 0;
        if (*c < 0x20 || *c == 0x7f) {
            *c++ = '?';
            continue;
        }
        if (*c < 0x80)
            need = 0;
        else if (*c >= 0xc2 && *c <= 0xdf)
            need = 1;
        else if (*c >= 0xe0 && *c <= 0xef)
            need = 2;
        else if (*c >= 0xf0 && *c <= 0xf4)
            need = 3;
        else {
            *c++ = '?';
            continue;
        }
        size_t ok = 1;
        for (size_t i = 1; i <= need; i++)
            if ((c[i] & 0xc0) != 0x80) {
                ok = 0;
                break; /* a NUL ends the string: read no further */
            }
        /* reject overlong 3-byte forms, surrogates and code points past U+10FFFF */
        if (ok && need == 2 && ((c[0] == 0xe0 && c[1] < 0xa0) || (c[0] == 0xed && c[1] >= 0xa0)))
            ok = 0;
        if (ok && need == 3 && ((c[0] == 0xf0 && c[1] < 0x90) || (c[0] == 0xf4 && c[1] >= 0x90)))
            ok = 0;
        if (!ok) {
            *c++ = '?';
            continue;
        }
        c += need + 1;
    }
}

int problem_set(struct problem *p, enum problem_kind kind, const char *fmt, ...) {
    assert(kind > PROBLEM_NONE && kind < PROBLEM_KIND_COUNT);
    if (p->kind == PROBLEM_NONE) {
        p->kind = kind;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->detail, sizeof p->detail, fmt, ap);
        va_end(ap);
        sanitize_utf8(p->detail);
    }
    return problem_status(p->kind);
}

static struct problem_error *add_error(struct problem *p, enum problem_kind kind,
                                       const char *where, int is_pointer, const char *fmt,
                                       va_list ap) {
    char detail[sizeof p->errors[0].detail];
    vsnprintf(detail, sizeof detail, fmt, ap);
    sanitize_utf8(detail);
    if (p->kind == PROBLEM_NONE) {
        p->kind = kind;
        snprintf(p->detail, sizeof p->detail, "%s", detail);
    }
    if (p->error_count == PROBLEM_MAX_ERRORS)
        return NULL;
    struct problem_error *e = &p->errors[p->error_count++];
    snprintf(e->where, sizeof e->where, "%s", where);
    sanitize_utf8(e->where);
    e->is_pointer = is_pointer;
    memcpy(e->detail, detail, sizeof detail);
    return e;
}

int problem_parameter(struct problem *p, const char *parameter, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    add_error(p, PROBLEM_INVALID_PARAMETER, parameter, 0, fmt, ap);
    va_end(ap);
    return problem_status(p->kind);
}

int problem_pointer(struct problem *p, enum problem_kind kind, const char *pointer,
                    const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    add_error(p, kind, pointer, 1, fmt, ap);
    va_end(ap);
    return problem_status(p->kind);
}

char *problem_render(const struct problem *p, const char *instance, size_t *len) {
    enum problem_kind kind = p->kind == PROBLEM_NONE ? PROBLEM_INTERNAL : p->kind;
    char type[96];
    snprintf(type, sizeof type, "/problems/%s", kinds[kind].slug);
    /* the instance is the request's path as decoded, which may be any bytes (%FF) */
    char *where = strdup(instance ? instance : "/");
    if (where == NULL)
        return NULL;
    sanitize_utf8(where);
    json_t *body = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", type, "title",
                             kinds[kind].title, "status", kinds[kind].status, "detail",
                             p->detail[0] ? p->detail : kinds[kind].title, "instance", where);
    free(where);
    if (body == NULL)
        return NULL;
    if (p->error_count > 0) {
        json_t *errors = json_array();
        for (size_t i = 0; errors && i < p->error_count; i++) {
            const struct problem_error *e = &p->errors[i];
            json_array_append_new(errors, json_pack("{s:s, s:s}",
                                                    e->is_pointer ? "pointer" : "parameter",
                                                    e->where, "detail", e->detail));
        }
        json_object_set_new(body, "errors", errors);
    }
    char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(body);
    if (text && len)
        *len = strlen(text);
    return text;
}
