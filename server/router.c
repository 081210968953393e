/* router.c: matching a path against the route table of routes.c. Patterns are compared
 * segment by segment; the table is small, so a linear scan over it is the fast path. */
#include "router.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

size_t route_count(void) {
    static size_t count;
    if (count == 0)
        while (routes[count].pattern != NULL)
            count++;
    return count;
}

size_t route_index(const struct route *route) {
    assert(route >= routes && route < routes + route_count());
    return (size_t)(route - routes);
}

/* Does path match pattern? A "{name}" segment of the pattern takes one non-empty path
 * segment; every other segment must be equal. */
static int match(const char *pattern, const char *path, const char **arg_start,
                 size_t *arg_len) {
    const char *p = pattern, *s = path;
    *arg_start = NULL;
    *arg_len = 0;
    while (*p && *s) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            assert(close != NULL);
            const char *end = strchr(s, '/');
            size_t len = end ? (size_t)(end - s) : strlen(s);
            if (len == 0)
                return 0;
            *arg_start = s;
            *arg_len = len;
            p = close + 1;
            s += len;
            continue;
        }
        if (*p != *s)
            return 0;
        p++;
        s++;
    }
    return *p == '\0' && *s == '\0';
}

const struct route *router_match(const char *path, const char **arg_start, size_t *arg_len) {
    for (const struct route *r = routes; r->pattern != NULL; r++)
        if (match(r->pattern, path, arg_start, arg_len))
            return r;
    *arg_start = NULL;
    *arg_len = 0;
    return NULL;
}

const struct route_op *router_op(const struct route *route, enum http_method method) {
    if (method == METHOD_HEAD)
        method = METHOD_GET;
    for (size_t i = 0; i < ROUTE_MAX_OPS && route->ops[i].method != 0; i++)
        if (route->ops[i].method == method)
            return &route->ops[i];
    return NULL;
}

/* Does the route take the method; for route NULL, does any route? */
static int takes(const struct route *route, enum http_method method) {
    if (route != NULL)
        return router_op(route, method) != NULL;
    for (size_t i = 0; i < route_count(); i++)
        if (router_op(&routes[i], method) != NULL)
            return 1;
    return 0;
}

void router_allow(const struct route *route, char *buf, size_t size) {
    static const struct {
        enum http_method method;
        const char *name;
    } names[] = {{METHOD_GET, "GET"},       {METHOD_POST, "POST"}, {METHOD_PUT, "PUT"},
                 {METHOD_PATCH, "PATCH"},   {METHOD_DELETE, "DELETE"}};
    size_t used = 0;
    buf[0] = '\0';
    for (size_t n = 0; n < sizeof names / sizeof names[0]; n++) {
        if (!takes(route, names[n].method))
            continue;
        int w = snprintf(buf + used, size - used, "%s%s%s", used ? ", " : "", names[n].name,
                         names[n].method == METHOD_GET ? ", HEAD" : "");
        if (w < 0 || (size_t)w >= size - used)
            return;
        used += (size_t)w;
    }
    snprintf(buf + used, size - used, "%sOPTIONS", used ? ", " : "");
}
