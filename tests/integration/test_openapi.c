/* test_openapi.c: real answers validate against the schemas /openapi.json declares for them.
 * The document comes from the real daemon; for every GET path (a real id or slug of the
 * fixtures in place of {ref} / {id}) the test fetches the plain answer (it must be the declared
 * success), an unknown parameter (400), an unknown item where the path takes one (404) and an
 * Accept nothing can satisfy (406). Every answer's status must be declared (or `default`), its
 * media type must be in that response's `content` (no body where none is declared), and a JSON
 * body must validate against the declared schema; a failure names the JSON path of the value.
 *
 * The validator covers the subset of JSON Schema 2020-12 the document uses — type (one or a
 * list), enum, const, properties, required, additionalProperties, items, oneOf, anyOf, allOf,
 * $ref into the document, formats date and date-time — and fails on any other assertion
 * keyword, so that no schema passes by being misunderstood. It is stricter than JSON Schema
 * in one way, on purpose: an object member that a schema with `properties` does not name (and
 * no `additionalProperties` allows) fails, because the document must describe every field the
 * API sends. Streams (text/event-stream) never end and are left out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "harness.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static struct daemon d;

static int setup(void **state) {
    (void)state;
    return daemon_start(&d, 1, NULL);
}

static int teardown(void **state) {
    (void)state;
    return daemon_stop(&d) == 0 ? 0 : -1;
}

/* ---- the validator ---------------------------------------------------------------------- */

/* The first mismatch found: where in the instance, and what. */
struct verror {
    int set;         /* 1 once a mismatch is recorded; later ones are ignored */
    char where[512]; /* JSON path of the value, "$.data[0].session" */
    char what[512];  /* what is wrong */
};

__attribute__((format(printf, 3, 4))) static void mismatch(struct verror *e, const char *where,
                                                           const char *fmt, ...) {
    if (e->set)
        return;
    e->set = 1;
    snprintf(e->where, sizeof e->where, "%s", where);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->what, sizeof e->what, fmt, ap);
    va_end(ap);
}

/* Resolves a local reference ("#/components/schemas/Session", JSON Pointer with ~0 ~1) in
 * root. Returns a borrowed value, or NULL. */
static const json_t *resolve(const json_t *root, const char *ref) {
    if (ref == NULL || ref[0] != '#')
        return NULL;
    const json_t *at = root;
    const char *s = ref + 1;
    while (at != NULL && *s == '/') {
        s++;
        char token[256];
        size_t n = 0;
        for (; *s && *s != '/' && n + 1 < sizeof token; s++) {
            if (s[0] == '~' && (s[1] == '0' || s[1] == '1')) {
                token[n++] = s[1] == '0' ? '~' : '/';
                s++;
            } else {
                token[n++] = *s;
            }
        }
        token[n] = '\0';
        at = json_is_object(at) ? json_object_get(at, token) : NULL;
    }
    return *s == '\0' ? at : NULL;
}

static const char *type_of(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "integer";
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    case JSON_NULL:
    default:
        return "null";
    }
}

static int type_is(const char *type, const json_t *v) {
    if (strcmp(type, "number") == 0)
        return json_is_number(v);
    return strcmp(type, type_of(v)) == 0;
}

static int digits(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

/* RFC 3339 full-date: YYYY-MM-DD with a month 01-12 and a day 01-31. */
static int is_date(const char *s) {
    if (strlen(s) < 10 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
        !digits(s + 8, 2))
        return 0;
    int m = atoi(s + 5), d = atoi(s + 8);
    return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

/* RFC 3339 date-time: full-date "T" HH:MM:SS[.frac] (Z | +HH:MM | -HH:MM). */
static int is_date_time(const char *s) {
    if (!is_date(s) || (s[10] != 'T' && s[10] != 't'))
        return 0;
    const char *t = s + 11;
    if (strlen(t) < 9 || !digits(t, 2) || t[2] != ':' || !digits(t + 3, 2) || t[5] != ':' ||
        !digits(t + 6, 2))
        return 0;
    t += 8;
    if (*t == '.') {
        t++;
        if (!isdigit((unsigned char)*t))
            return 0;
        while (isdigit((unsigned char)*t))
            t++;
    }
    if ((t[0] == 'Z' || t[0] == 'z') && t[1] == '\0')
        return 1;
    return (t[0] == '+' || t[0] == '-') && strlen(t) == 6 && digits(t + 1, 2) && t[3] == ':' &&
           digits(t + 4, 2);
}

/* Keywords that only annotate: they never make an instance invalid. */
static int annotation(const char *keyword) {
    static const char *const names[] = {"description", "example",      "examples", "title",
                                        "default",     "deprecated",   "readOnly", "writeOnly",
                                        "$comment",    "externalDocs", "format",   NULL};
    for (size_t i = 0; names[i]; i++)
        if (strcmp(keyword, names[i]) == 0)
            return 1;
    return 0;
}

static void validate(const json_t *root, const json_t *schema, const json_t *v, const char *where,
                     struct verror *e, int depth);

/* Validates v against each schema of list; returns how many it matches. first gets the
 * mismatch of the first branch that failed (for the message). */
static size_t branches(const json_t *root, const json_t *list, const json_t *v, const char *where,
                       struct verror *first, int depth) {
    size_t matched = 0;
    size_t i;
    const json_t *branch;
    json_array_foreach(list, i, branch) {
        struct verror e = {0};
        validate(root, branch, v, where, &e, depth + 1);
        if (!e.set)
            matched++;
        else if (!first->set)
            *first = e;
    }
    return matched;
}

/* Validates instance v (at JSON path where) against schema; records the first mismatch. */
static void validate(const json_t *root, const json_t *schema, const json_t *v, const char *where,
                     struct verror *e, int depth) {
    if (e->set)
        return;
    if (depth > 64) {
        mismatch(e, where, "schema references nest deeper than 64 (a cycle?)");
        return;
    }
    if (json_is_true(schema))
        return;
    if (json_is_false(schema)) {
        mismatch(e, where, "the schema is false: no value is allowed here");
        return;
    }
    if (!json_is_object(schema)) {
        mismatch(e, where, "the schema is not an object or a boolean");
        return;
    }
    const char *keyword;
    const json_t *arg;
    json_object_foreach((json_t *)schema, keyword, arg) {
        if (e->set)
            return;
        if (strcmp(keyword, "$ref") == 0) {
            const json_t *target = resolve(root, json_string_value(arg));
            if (target == NULL)
                mismatch(e, where, "$ref %s does not resolve in the document",
                         json_string_value(arg) ? json_string_value(arg) : "(not a string)");
            else
                validate(root, target, v, where, e, depth + 1);
        } else if (strcmp(keyword, "type") == 0) {
            int ok = 0;
            if (json_is_string(arg)) {
                ok = type_is(json_string_value(arg), v);
            } else {
                size_t i;
                const json_t *t;
                json_array_foreach(arg, i, t) ok |=
                    json_is_string(t) && type_is(json_string_value(t), v);
            }
            if (!ok) {
                char *want = json_dumps(arg, JSON_COMPACT | JSON_ENCODE_ANY);
                mismatch(e, where, "type %s, where the schema says type %s", type_of(v),
                         want ? want : "?");
                free(want);
            }
        } else if (strcmp(keyword, "enum") == 0) {
            int ok = 0;
            size_t i;
            const json_t *allowed;
            json_array_foreach(arg, i, allowed) ok |= json_equal(allowed, v);
            if (!ok) {
                char *got = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
                char *want = json_dumps(arg, JSON_COMPACT);
                mismatch(e, where, "%.100s is not in the enum %.300s", got ? got : "?",
                         want ? want : "?");
                free(got);
                free(want);
            }
        } else if (strcmp(keyword, "const") == 0) {
            if (!json_equal(arg, v))
                mismatch(e, where, "the value is not the schema's const");
        } else if (strcmp(keyword, "required") == 0) {
            size_t i;
            const json_t *name;
            json_array_foreach(arg, i, name) {
                if (json_is_object(v) && json_object_get(v, json_string_value(name)) == NULL)
                    mismatch(e, where, "required member \"%s\" is missing",
                             json_string_value(name));
            }
        } else if (strcmp(keyword, "properties") == 0) {
            if (!json_is_object(v))
                continue;
            const char *name;
            const json_t *member;
            json_object_foreach((json_t *)v, name, member) {
                char child[512];
                snprintf(child, sizeof child, "%s.%s", where, name);
                const json_t *sub = json_object_get(arg, name);
                if (sub != NULL)
                    validate(root, sub, member, child, e, depth + 1);
                else if (json_object_get(schema, "additionalProperties") == NULL)
                    mismatch(e, child,
                             "member \"%s\" is not in the schema's properties "
                             "(the document must describe every field sent)",
                             name);
            }
        } else if (strcmp(keyword, "additionalProperties") == 0) {
            if (!json_is_object(v))
                continue;
            const json_t *props = json_object_get(schema, "properties");
            const char *name;
            const json_t *member;
            json_object_foreach((json_t *)v, name, member) {
                if (json_object_get(props, name) != NULL)
                    continue;
                char child[512];
                snprintf(child, sizeof child, "%s.%s", where, name);
                validate(root, arg, member, child, e, depth + 1);
            }
        } else if (strcmp(keyword, "items") == 0) {
            if (!json_is_array(v))
                continue;
            size_t i;
            const json_t *el;
            json_array_foreach(v, i, el) {
                char child[512];
                snprintf(child, sizeof child, "%s[%zu]", where, i);
                validate(root, arg, el, child, e, depth + 1);
            }
        } else if (strcmp(keyword, "oneOf") == 0 || strcmp(keyword, "anyOf") == 0 ||
                   strcmp(keyword, "allOf") == 0) {
            struct verror first = {0};
            size_t n = branches(root, arg, v, where, &first, depth);
            size_t all = json_array_size(arg);
            int ok = keyword[1] == 'n' ? n == 1 : keyword[1] == 'l' ? n == all : n >= 1;
            if (!ok && n == 0)
                mismatch(e, first.where, "no branch of %s matches; the first says: %s", keyword,
                         first.what);
            else if (!ok && keyword[1] == 'l')
                mismatch(e, first.where, "allOf: %s", first.what);
            else if (!ok)
                mismatch(e, where, "%zu branches of oneOf match; exactly one must", n);
        } else if (!annotation(keyword)) {
            mismatch(e, where,
                     "the schema uses \"%s\", which this validator does not know: "
                     "teach it before relying on it",
                     keyword);
        }
    }
    const char *format = json_string_value(json_object_get(schema, "format"));
    if (!e->set && format != NULL && json_is_string(v)) {
        const char *s = json_string_value(v);
        if (strcmp(format, "date") == 0 && !(strlen(s) == 10 && is_date(s)))
            mismatch(e, where, "\"%.60s\" is not a date (YYYY-MM-DD)", s);
        else if (strcmp(format, "date-time") == 0 && !is_date_time(s))
            mismatch(e, where, "\"%.60s\" is not an RFC 3339 date-time", s);
    }
}

/* ---- answers against the document ------------------------------------------------------- */

static json_t *openapi; /* the document the daemon serves */
static int failures;    /* mismatches found */
static int answers;     /* answers checked */

/* The entry of content (a response's media type map) that describes Content-Type type:
 * a key matches when its type/subtype equals the answer's (or is a range: "text/ *", "* / *"
 * without the spaces) and each of its parameters ("version=0.0.4") is among the answer's.
 * The most specific key wins. Returns the media type object, or NULL. */
static const json_t *media_entry(const json_t *content, const char *type) {
    char base[128];
    snprintf(base, sizeof base, "%.*s", (int)strcspn(type, "; "), type);
    const json_t *best = NULL;
    int best_score = -1;
    const char *key;
    const json_t *entry;
    json_object_foreach((json_t *)content, key, entry) {
        size_t klen = strcspn(key, "; ");
        int score;
        if (strlen(base) == klen && strncasecmp(key, base, klen) == 0)
            score = 2;
        else if (strcmp(key, "*/*") == 0)
            score = 0;
        else if (klen > 2 && strcmp(key + klen - 2, "/*") == 0 &&
                 strncasecmp(key, base, klen - 1) == 0)
            score = 1;
        else
            continue;
        /* every parameter of the key must be among the answer's */
        int params_ok = 1;
        for (const char *p = strchr(key, ';'); p && params_ok; p = strchr(p + 1, ';')) {
            const char *name = p + 1;
            while (*name == ' ')
                name++;
            size_t plen = strcspn(name, ";");
            while (plen > 0 && name[plen - 1] == ' ')
                plen--;
            int found = 0;
            for (const char *q = strchr(type, ';'); q && !found; q = strchr(q + 1, ';')) {
                const char *have = q + 1;
                while (*have == ' ')
                    have++;
                size_t hlen = strcspn(have, ";");
                while (hlen > 0 && have[hlen - 1] == ' ')
                    hlen--;
                found = hlen == plen && strncasecmp(have, name, plen) == 0;
            }
            params_ok = found;
            score += 4; /* a key with parameters is more specific */
        }
        if (params_ok && score > best_score) {
            best = entry;
            best_score = score;
        }
    }
    return best;
}

/* Follows $ref (as many as there are) to the schema itself. */
static const json_t *deref(const json_t *schema) {
    for (int i = 0; i < 16 && json_is_object(schema) && json_object_get(schema, "$ref"); i++)
        schema = resolve(openapi, json_string_value(json_object_get(schema, "$ref")));
    return schema;
}

/* The contract's "every field of a type is always present", which JSON Schema cannot say
 * here: `fields` trims items, so the resource schemas do not mark their members required.
 * In a plain answer each item of `data` must carry every member its schema names. */
static void all_fields_present(const json_t *schema, const json_t *body, struct verror *e) {
    const json_t *data_schema =
        deref(json_object_get(json_object_get(deref(schema), "properties"), "data"));
    const json_t *data = json_object_get(body, "data");
    int list = json_is_array(data);
    const json_t *item_schema = deref(list ? json_object_get(data_schema, "items") : data_schema);
    const json_t *props = json_object_get(item_schema, "properties");
    if (!json_is_object(props) || data == NULL)
        return;
    for (size_t i = 0; i < (list ? json_array_size(data) : 1); i++) {
        const json_t *item = list ? json_array_get(data, i) : data;
        const char *name;
        const json_t *sub;
        json_object_foreach((json_t *)props, name, sub) {
            if (json_is_object(item) && json_object_get(item, name) == NULL) {
                char where[64];
                if (list)
                    snprintf(where, sizeof where, "$.data[%zu]", i);
                else
                    snprintf(where, sizeof where, "$.data");
                mismatch(e, where,
                         "member \"%s\" of the schema is missing (every field of a "
                         "type is always present)",
                         name);
                return;
            }
        }
    }
}

/* Fetches target (with an optional header) and checks the answer against operation op.
 * want is the status the request must get (0: any declared one). */
static void check_answer(const json_t *op, const char *target, const char *header, long want) {
    const char *headers[] = {header, NULL};
    struct reply r;
    if (http_request(&d, NULL, target, header ? headers : NULL, NULL, &r) != 0) {
        fprintf(stderr, "FAIL GET %s: no answer\n", target);
        failures++;
        return;
    }
    answers++;
    char code[8];
    snprintf(code, sizeof code, "%ld", r.status);
    const json_t *responses = json_object_get(op, "responses");
    const json_t *declared = json_object_get(responses, code);
    if (declared == NULL)
        declared = json_object_get(responses, "default");
    const json_t *ref = json_object_get(declared, "$ref");
    if (ref != NULL)
        declared = resolve(openapi, json_string_value(ref));
    char type[256] = "";
    reply_header(&r, "Content-Type", type, sizeof type);
    char media[256];
    snprintf(media, sizeof media, "%.*s", (int)strcspn(type, "; "), type);
    for (char *c = media; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    const json_t *content = json_object_get(declared, "content");
    const json_t *entry = media_entry(content, type);
    const json_t *schema = json_object_get(entry, "schema");
    const char *why = NULL;
    char buf[1200];
    struct verror e = {0};
    if (want != 0 && r.status != want) {
        snprintf(buf, sizeof buf, "status %ld, expected %ld: %.300s", r.status, want, r.body);
        why = buf;
    } else if (declared == NULL) {
        why = "the status is not declared and the operation has no default response";
    } else if (content == NULL) {
        if (r.body_len > 0)
            why = "a body where the response declares no content";
    } else if (entry == NULL) {
        char *have = json_dumps(content, JSON_COMPACT);
        snprintf(buf, sizeof buf, "Content-Type %s is not declared for %s (declared: %.300s)",
                 type[0] ? type : "(none)", code, have ? have : "?");
        free(have);
        why = buf;
    } else if (schema != NULL && strlen(media) > 4 &&
               strcmp(media + strlen(media) - 4, "json") == 0) {
        json_error_t err;
        json_t *body = json_loadb(r.body, r.body_len, 0, &err);
        if (body == NULL) {
            snprintf(buf, sizeof buf, "the body is not JSON: %s", err.text);
            why = buf;
        } else {
            validate(openapi, schema, body, "$", &e, 0);
            if (want >= 200 && want < 300 && header == NULL)
                all_fields_present(schema, body, &e);
            json_decref(body);
            if (e.set) {
                snprintf(buf, sizeof buf, "at %s: %s", e.where, e.what);
                why = buf;
            }
        }
    } else if (schema != NULL) {
        /* a text body (CSV, iCalendar, metrics) is a string: the schema says so */
        json_t *text = json_stringn_nocheck(r.body, r.body_len);
        validate(openapi, schema, text, "$", &e, 0);
        json_decref(text);
        if (e.set) {
            snprintf(buf, sizeof buf, "at %s: %s", e.where, e.what);
            why = buf;
        }
    }
    if (why != NULL) {
        fprintf(stderr, "FAIL GET %s%s%s -> %ld: %s\n", target, header ? " with " : "",
                header ? header : "", r.status, why);
        failures++;
    }
    reply_free(&r);
}

/* A real ref for a path with {ref} or {id}: the first item of the collection above it (its
 * slug when by_slug and it has one, else its id), written into out. 0 or -1. */
static int real_ref(const char *pattern, int by_slug, char *out, size_t size) {
    const char *brace = strchr(pattern, '{');
    char target[512];
    snprintf(target, sizeof target, "%.*s?limit=1", (int)(brace - pattern - 1), pattern);
    struct reply r;
    if (http_get(&d, target, &r) != 0)
        return -1;
    json_t *doc = json_loads(r.body, 0, NULL);
    reply_free(&r);
    const json_t *item = json_array_get(json_object_get(doc, "data"), 0);
    const char *slug = json_string_value(json_object_get(item, "slug"));
    const json_t *id = json_object_get(item, "id");
    int rc = 0;
    if (by_slug && slug != NULL)
        snprintf(out, size, "%s", slug);
    else if (json_is_integer(id))
        snprintf(out, size, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
    else
        rc = -1;
    json_decref(doc);
    return rc;
}

/* Writes pattern with its {name} replaced by value into out. */
static void fill(const char *pattern, const char *value, char *out, size_t size) {
    const char *brace = strchr(pattern, '{');
    const char *close = brace ? strchr(brace, '}') : NULL;
    if (brace == NULL || close == NULL)
        snprintf(out, size, "%s", pattern);
    else
        snprintf(out, size, "%.*s%s%s", (int)(brace - pattern), pattern, value, close + 1);
}

/* The query string of the operation's required query parameters ("" or "?q=court"), from
 * each one's example, default or first enum value. */
static void required_query(const json_t *op, char *out, size_t size) {
    out[0] = '\0';
    size_t i;
    const json_t *param;
    json_array_foreach(json_object_get(op, "parameters"), i, param) {
        const json_t *ref = json_object_get(param, "$ref");
        if (ref != NULL)
            param = resolve(openapi, json_string_value(ref));
        const char *in = json_string_value(json_object_get(param, "in"));
        if (!json_is_true(json_object_get(param, "required")) || in == NULL ||
            strcmp(in, "query") != 0)
            continue;
        const json_t *schema = json_object_get(param, "schema");
        const json_t *value = json_object_get(param, "example");
        if (value == NULL)
            value = json_object_get(schema, "example");
        if (value == NULL)
            value = json_object_get(schema, "default");
        if (value == NULL)
            value = json_array_get(json_object_get(schema, "enum"), 0);
        char text[64];
        if (json_is_string(value))
            snprintf(text, sizeof text, "%s", json_string_value(value));
        else if (json_is_integer(value))
            snprintf(text, sizeof text, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
        else
            snprintf(text, sizeof text, "court");
        for (char *c = text; *c; c++)
            if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_' && *c != '.')
                *c = '-'; /* keep the value URL-safe */
        size_t used = strlen(out);
        snprintf(out + used, size - used, "%c%s=%s", used ? '&' : '?',
                 json_string_value(json_object_get(param, "name")), text);
    }
}

/* Does the operation take the query parameter name? */
static int takes_param(const json_t *op, const char *name) {
    size_t i;
    const json_t *param;
    json_array_foreach(json_object_get(op, "parameters"), i, param) {
        const json_t *ref = json_object_get(param, "$ref");
        if (ref != NULL)
            param = resolve(openapi, json_string_value(ref));
        const char *n = json_string_value(json_object_get(param, "name"));
        if (n != NULL && strcmp(n, name) == 0)
            return 1;
    }
    return 0;
}

/* A collection's every item (limit=500 holds the fixtures) with every facet it offers, so
 * that each item and meta.facets are validated. The facets are the ones the 400 answer to an
 * unknown facet lists ("facet takes a comma-separated list of: a, b"). */
static void whole_collection(const json_t *op, const char *pattern, const char *query) {
    char target[1024], facets[512] = "";
    if (takes_param(op, "facet")) {
        snprintf(target, sizeof target, "%s%s%cfacet=no-such-facet", pattern, query,
                 query[0] ? '&' : '?');
        check_answer(op, target, NULL, 400);
        struct reply r;
        if (http_get(&d, target, &r) == 0) {
            json_t *problem = json_loads(r.body, 0, NULL);
            const char *detail = json_string_value(json_object_get(problem, "detail"));
            const char *list = detail ? strstr(detail, "list of: ") : NULL;
            if (list != NULL && strchr(list, '(') == NULL) {
                size_t o = 0;
                for (const char *c = list + strlen("list of: "); *c && o + 1 < sizeof facets; c++)
                    if (*c != ' ')
                        facets[o++] = *c;
                facets[o] = '\0';
            }
            json_decref(problem);
            reply_free(&r);
        }
    }
    snprintf(target, sizeof target, "%s%s%climit=500%s%s", pattern, query, query[0] ? '&' : '?',
             facets[0] ? "&facet=" : "", facets);
    check_answer(op, target, NULL, 200);
}

static void every_get_answer_validates(void **state) {
    (void)state;
    struct reply r;
    assert_int_equal(http_get(&d, "/openapi.json", &r), 0);
    assert_int_equal(r.status, 200);
    json_error_t err;
    openapi = json_loadb(r.body, r.body_len, 0, &err);
    reply_free(&r);
    assert_non_null(openapi);
    const json_t *paths = json_object_get(openapi, "paths");
    assert_true(json_object_size(paths) > 10);
    const char *pattern;
    const json_t *item;
    int checked_paths = 0;
    json_object_foreach((json_t *)paths, pattern, item) {
        const json_t *op = json_object_get(item, "get");
        if (op == NULL)
            continue;
        const char *success = NULL;
        const json_t *response;
        const char *code;
        json_object_foreach(json_object_get(op, "responses"), code, response) {
            if (code[0] == '2' && success == NULL)
                success = code;
        }
        const json_t *ok =
            json_object_get(json_object_get(op, "responses"), success ? success : "200");
        if (json_object_get(json_object_get(ok, "content"), "text/event-stream") != NULL)
            continue; /* a stream never ends: test_http.c reads it */
        long want = success ? atol(success) : 200;
        char query[256], target[1024], ref[128];
        required_query(op, query, sizeof query);
        int has_arg = strchr(pattern, '{') != NULL;
        int takes_slug = strstr(pattern, "{ref}") != NULL;
        for (int by_slug = 0; by_slug <= takes_slug; by_slug++) {
            if (has_arg) {
                assert_int_equal(real_ref(pattern, by_slug, ref, sizeof ref), 0);
            }
            fill(pattern, ref, target, sizeof target);
            size_t used = strlen(target);
            snprintf(target + used, sizeof target - used, "%s", query);
            check_answer(op, target, NULL, want);
        }
        const char *arg = has_arg ? ref : "";
        if (has_arg) {
            fill(pattern, "no-such-thing-404", target, sizeof target);
            snprintf(target + strlen(target), sizeof target - strlen(target), "%s", query);
            check_answer(op, target, NULL, 404);
        }
        fill(pattern, arg, target, sizeof target);
        snprintf(target + strlen(target), sizeof target - strlen(target), "%s%cno_such_parameter=1",
                 query, query[0] ? '&' : '?');
        check_answer(op, target, NULL, 400);
        fill(pattern, arg, target, sizeof target);
        snprintf(target + strlen(target), sizeof target - strlen(target), "%s", query);
        check_answer(op, target, "Accept: image/png", 406);
        if (!has_arg && takes_param(op, "limit"))
            whole_collection(op, pattern, query);
        checked_paths++;
    }
    fprintf(stderr, "%d GET paths, %d answers checked, %d failures\n", checked_paths, answers,
            failures);
    json_decref(openapi);
    openapi = NULL;
    assert_true(checked_paths > 10);
    assert_int_equal(failures, 0);
}

/* The validator itself: each keyword it knows catches what it should, with the path. */
static void validator_catches_mismatches(void **state) {
    (void)state;
    json_t *root = json_loads(
        "{\"components\": {\"schemas\": {"
        "  \"Ref\": {\"type\": \"object\", \"required\": [\"id\", \"name\"],"
        "           \"properties\": {\"id\": {\"type\": \"integer\"}, \"name\": {\"type\": "
        "\"string\"}}},"
        "  \"Item\": {\"type\": \"object\", \"properties\": {"
        "     \"kind\": {\"type\": \"string\", \"enum\": [\"a\", \"b\"]},"
        "     \"note\": {\"type\": [\"string\", \"null\"]},"
        "     \"date\": {\"type\": \"string\", \"format\": \"date\"},"
        "     \"at\": {\"type\": \"string\", \"format\": \"date-time\"},"
        "     \"parent\": {\"oneOf\": [{\"$ref\": \"#/components/schemas/Ref\"}, {\"type\": "
        "\"null\"}]},"
        "     \"tags\": {\"type\": \"array\", \"items\": {\"$ref\": \"#/components/schemas/Ref\"}},"
        "     \"extra\": {\"type\": \"object\", \"additionalProperties\": false,"
        "                 \"properties\": {\"x\": {\"type\": \"number\"}}}}}}}}",
        0, NULL);
    assert_non_null(root);
    const json_t *schema = resolve(root, "#/components/schemas/Item");
    assert_non_null(schema);
    static const struct {
        const char *instance; /* JSON */
        const char *where;    /* expected path of the mismatch; NULL: valid */
    } cases[] = {
        {"{\"kind\": \"a\", \"note\": null, \"date\": \"2021-12-08\","
         " \"at\": \"2021-12-08T09:00:00.000Z\", \"parent\": null,"
         " \"tags\": [{\"id\": 1, \"name\": \"x\"}], \"extra\": {\"x\": 1.5}}",
         NULL},
        {"{\"kind\": \"c\"}", "$.kind"},
        {"{\"note\": 3}", "$.note"},
        {"{\"date\": \"2021-13-08\"}", "$.date"},
        {"{\"at\": \"2021-12-08 09:00\"}", "$.at"},
        {"{\"parent\": {\"id\": 1}}", "$.parent"},
        {"{\"tags\": [{\"id\": 1, \"name\": \"x\"}, {\"id\": \"2\", \"name\": \"y\"}]}",
         "$.tags[1].id"},
        {"{\"extra\": {\"y\": 1}}", "$.extra.y"},
        {"{\"surprise\": 1}", "$.surprise"},
        {"[]", "$"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *v = json_loads(cases[i].instance, 0, NULL);
        assert_non_null(v);
        struct verror e = {0};
        validate(root, schema, v, "$", &e, 0);
        if (cases[i].where == NULL) {
            if (e.set)
                fail_msg("case %zu: unexpected mismatch at %s: %s", i, e.where, e.what);
        } else {
            if (!e.set)
                fail_msg("case %zu: no mismatch found, expected one at %s", i, cases[i].where);
            assert_string_equal(e.where, cases[i].where);
        }
        json_decref(v);
    }
    struct verror e = {0};
    json_t *unknown = json_loads("{\"type\": \"string\", \"pattern\": \"^a\"}", 0, NULL);
    json_t *s = json_string("b");
    validate(root, unknown, s, "$", &e, 0);
    assert_true(e.set); /* an assertion keyword it does not know is a failure, not a pass */
    json_decref(s);
    json_decref(unknown);
    json_decref(root);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(validator_catches_mismatches),
        cmocka_unit_test(every_get_answer_validates),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
