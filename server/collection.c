/* collection.c: the generic collection engine. The file is divided as follows:
 *   1. reading the query: format and Accept, limit, sort, fields, facet, q, every filter of
 *      the collection's allowlist (refs resolved to ids: an unknown one is a 400), cursor;
 *   2. cursors: base64url of [signature, keys, id], signed over the query's shape and values
 *      so that a cursor of another query, a forged or a damaged one is a 400;
 *   3. rendering: a page's items loaded at once (one query, lists embedded by SQL), as text
 *      spliced into the answer, or as jansson values when fields, pretty or CSV need them;
 *   3b. counts (meta.total, facets) kept across the pages of a query while the record stays;
 *   4. answers: the JSON envelope with links and Link header, CSV, streamed NDJSON, items. */
#include "collection.h"

#include "db_read.h"
#include "format.h"
#include "revision.h"

#include <assert.h>
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rows fetched per batch while streaming NDJSON. */
#define STREAM_BATCH 200
/* Longest `q` accepted, in bytes. */
#define MAX_Q 500
/* Longest cursor accepted, in characters. */
#define MAX_CURSOR 1024

enum format { FORMAT_JSON, FORMAT_CSV, FORMAT_NDJSON };

static const char *const format_types[] = {"application/json", "text/csv", "application/x-ndjson"};

/* A parsed list query and the memory it owns. */
struct parsed {
    struct db_query q;                    /* shape and values */
    char *owned[2 * DB_READ_MAX_FILTERS + DB_READ_MAX_KEYS]; /* strings values point into */
    size_t owned_count;                   /* entries used in owned */
    char match[2 * MAX_Q + 64];           /* the safe FTS query, when q is given */
    unsigned long fields;                 /* bit per field kept; all when !has_fields */
    int has_fields;                       /* 1: `fields` was given */
    const struct db_facet *facets[16];    /* facets asked for */
    size_t facet_count;                   /* entries used in facets */
    size_t limit;                         /* page size */
    enum format format;                   /* the representation */
    uint64_t shape;                       /* hash of the query for cursor signatures */
};

static void parsed_free(struct parsed *p) {
    for (size_t i = 0; i < p->owned_count; i++)
        free(p->owned[i]);
    p->owned_count = 0;
}

static char *own(struct parsed *p, char *s) {
    if (s == NULL)
        return NULL;
    assert(p->owned_count < sizeof p->owned / sizeof p->owned[0]);
    p->owned[p->owned_count++] = s;
    return s;
}

static uint64_t hash_bytes(uint64_t h, const char *s) {
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (h ^ 0xff) * 1099511628211ULL; /* a separator, so "ab"+"c" differs from "a"+"bc" */
}

/* ---- 1. Reading the query --------------------------------------------------------------- */

/* The best of offers (media types) for the request's Accept, by q-value (RFC 9110 12.5.1):
 * 0 with *out set to its index (the first offer when there is no Accept), or a 406 problem
 * naming the offers. */
static int accept_best(const struct request *req, struct response *res, const char *const offers[],
                       int count, int *out) {
    const char *accept = req->header ? req->header(req, "Accept") : NULL;
    *out = 0;
    if (accept == NULL || *accept == '\0')
        return 0;
    double best_q = 0;
    int best = -1;
    const char *s = accept;
    while (*s) {
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        char range[128];
        snprintf(range, sizeof range, "%.*s", (int)(len < sizeof range ? len : sizeof range - 1),
                 s);
        double qv = 1;
        char *semi = strchr(range, ';');
        if (semi) {
            *semi = '\0';
            const char *qp = strstr(semi + 1, "q=");
            if (qp) {
                char *e;
                qv = strtod(qp + 2, &e);
                if (e == qp + 2 || qv < 0 || qv > 1)
                    qv = 0;
            }
        }
        char *type = range;
        while (*type == ' ' || *type == '\t')
            type++;
        for (char *t = type + strlen(type); t > type && (t[-1] == ' ' || t[-1] == '\t');)
            *--t = '\0';
        for (int i = 0; i < count; i++) {
            const char *offer = offers[i];
            size_t major = (size_t)(strchr(offer, '/') - offer);
            int match =
                strcasecmp(type, offer) == 0 || strcmp(type, "*/*") == 0 ||
                (strncasecmp(type, offer, major + 1) == 0 && strcmp(type + major + 1, "*") == 0);
            if (match && qv > best_q) {
                best_q = qv;
                best = i;
            }
        }
        if (!end)
            break;
        s = end + 1;
    }
    if (best < 0) {
        char offered[128] = "";
        for (int i = 0; i < count; i++) {
            strncat(offered, i ? ", " : "", sizeof offered - strlen(offered) - 1);
            strncat(offered, offers[i], sizeof offered - strlen(offered) - 1);
        }
        return problem_set(&res->problem, PROBLEM_NOT_ACCEPTABLE,
                           "nothing here matches Accept; this resource offers: %s", offered);
    }
    *out = best;
    return 0;
}

/* Which representation the request asks for: `format` first, then Accept with q-values.
 * Returns 0 with *out set, or a problem status. */
static int negotiate(const struct request *req, struct response *res, int formats,
                     enum format *out) {
    const char *format = request_param(req, "format");
    if (format != NULL) {
        static const char *const names[] = {"json", "csv", "ndjson"};
        for (int i = 0; i < formats; i++)
            if (strcmp(format, names[i]) == 0) {
                *out = (enum format)i;
                return 0;
            }
        return problem_parameter(&res->problem, "format",
                                 "format must be one of: json, csv, ndjson");
    }
    int best = 0;
    int status = accept_best(req, res, format_types, formats, &best);
    *out = (enum format)best;
    return status;
}

/* Parses a decimal integer from lo to hi; -1 when s is not one. */
static long parse_int(const char *s, long lo, long hi) {
    if (*s == '\0' || strlen(s) > 9)
        return -1;
    long v = 0;
    for (const char *c = s; *c; c++) {
        if (*c < '0' || *c > '9')
            return -1;
        v = v * 10 + (*c - '0');
    }
    return v < lo || v > hi ? -1 : v;
}

/* Is s an ISO 8601 calendar date (YYYY-MM-DD) that exists? */
static int valid_date(const char *s) {
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return 0;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1 || d > days[m - 1])
        return 0;
    return !(m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
}

static const char *type_name(enum record_type type) {
    return record_type_info(type)->name;
}

/* Parses one filter's value into p->q.filter[i] (a list: a JSON array), and a list's only
 * value, when it has one, into p->q.one[i] too. Returns 0 or a problem status. */
static int parse_filter(struct request *req, struct response *res, struct parsed *p, size_t i,
                        const char *value) {
    const struct db_filter *f = &p->q.coll->filters[i];
    struct db_value *v = &p->q.filter[i];
    p->q.filter_mask |= 1u << i;
    v->is_text = 1;
    if (f->kind == FILTER_NAME) {
        if (*value == '\0')
            return problem_parameter(&res->problem, f->name, "%s must not be empty", f->name);
        v->text = value;
        return 0;
    }
    if (f->kind == FILTER_DATE_BOUND) {
        if (!valid_date(value))
            return problem_parameter(&res->problem, f->name, "%s must be a date as YYYY-MM-DD",
                                     f->name);
        v->text = value;
        return 0;
    }
    if (f->kind == FILTER_BOOL) {
        v->is_text = 0;
        if (strcmp(value, "true") == 0 || strcmp(value, "false") == 0) {
            v->integer = value[0] == 't';
            return 0;
        }
        return problem_parameter(&res->problem, f->name, "%s must be true or false", f->name);
    }
    /* the list kinds: a, b, ... bound as one JSON array */
    json_t *list = json_array();
    if (list == NULL)
        return response_problem(res, PROBLEM_INTERNAL, "out of memory");
    const char *rest = value, *s;
    size_t len;
    int status = 0;
    size_t count = 0;
    while (param_list_next(&rest, &s, &len)) {
        char item[256];
        if (len == 0 || len >= sizeof item) {
            status = problem_parameter(&res->problem, f->name,
                                       "%s takes a value or a comma-separated list of values, "
                                       "none empty",
                                       f->name);
            break;
        }
        if (++count > 100) {
            status =
                problem_parameter(&res->problem, f->name, "%s takes at most 100 values", f->name);
            break;
        }
        memcpy(item, s, len);
        item[len] = '\0';
        json_t *element = NULL;
        if (f->kind == FILTER_REF) {
            int64_t id = 0;
            int found = db_read_resolve(req->db, f->ref, item, &id);
            if (found < 0) {
                status = response_problem(res, PROBLEM_INTERNAL, "the record could not be read");
                break;
            }
            if (found == 0) {
                status = problem_parameter(
                    &res->problem, f->name, "no %s '%s'; %s takes the id%s of an existing %s",
                    type_name(f->ref), item, f->name,
                    record_type_info(f->ref)->has_slug ? " or slug" : "", type_name(f->ref));
                break;
            }
            element = json_integer(id);
        } else if (f->kind == FILTER_SEGMENT) {
            long id = parse_int(item, 1, 999999999);
            int found = id > 0 ? db_read_segment_exists(req->db, id) : 0;
            if (found <= 0) {
                status = found < 0 ? response_problem(res, PROBLEM_INTERNAL,
                                                      "the record could not be read")
                                   : problem_parameter(&res->problem, f->name,
                                                       "no segment '%s'; segment takes the id of "
                                                       "an existing segment",
                                                       item);
                break;
            }
            element = json_integer(id);
        } else if (f->kind == FILTER_ENUM) {
            int known = 0;
            for (size_t k = 0; f->values[k] && !known; k++)
                known = strcmp(f->values[k], item) == 0;
            if (!known) {
                char allowed[256] = "";
                for (size_t k = 0; f->values[k]; k++) {
                    strncat(allowed, k ? ", " : "", sizeof allowed - strlen(allowed) - 1);
                    strncat(allowed, f->values[k], sizeof allowed - strlen(allowed) - 1);
                }
                status = problem_parameter(&res->problem, f->name,
                                           "'%s' is not a valid %s; allowed: %s", item, f->name,
                                           allowed);
                break;
            }
            element = json_string(item);
        } else if (f->kind == FILTER_DATE) {
            if (!valid_date(item)) {
                status = problem_parameter(&res->problem, f->name,
                                           "%s takes dates as YYYY-MM-DD (a list: a,b)", f->name);
                break;
            }
            element = json_string(item);
        } else { /* FILTER_CODE */
            if (len != 2 || item[0] < 'A' || item[0] > 'Z' || item[1] < 'A' || item[1] > 'Z') {
                status = problem_parameter(&res->problem, f->name,
                                           "%s takes ISO 3166-1 alpha-2 codes in upper case, "
                                           "e.g. FR (a list: FR,DE)",
                                           f->name);
                break;
            }
            element = json_string(item);
        }
        if (element == NULL || json_array_append_new(list, element) != 0) {
            status = response_problem(res, PROBLEM_INTERNAL, "out of memory");
            break;
        }
    }
    if (status == 0) {
        v->text = own(p, json_dumps(list, JSON_COMPACT));
        if (v->text == NULL)
            status = response_problem(res, PROBLEM_INTERNAL, "out of memory");
    }
    /* one value (the common case) is also kept as it is, to be compared with `=`; the array
     * stays the filter's value for the cursor's signature and the count cache's key */
    json_t *only = json_array_size(list) == 1 ? json_array_get(list, 0) : NULL;
    if (status == 0 && only != NULL) {
        struct db_value *one = &p->q.one[i];
        one->is_text = json_is_string(only);
        one->integer = json_is_integer(only) ? json_integer_value(only) : 0;
        one->text = one->is_text ? own(p, strdup(json_string_value(only))) : NULL;
        if (one->is_text && one->text == NULL)
            status = response_problem(res, PROBLEM_INTERNAL, "out of memory");
        else
            p->q.one_mask |= 1u << i;
    }
    json_decref(list);
    return status;
}

int collection_fts_query(const char *text, char *out, size_t size) {
    size_t used = 0;
    int terms = 0;
    const char *s = text;
    while (*s) {
        while (format_is_space(*s))
            s++;
        if (!*s)
            break;
        const char *start = s;
        int has_token = 0; /* a letter or digit (any non-ASCII byte may be one), as /v1/search */
        for (; *s && !format_is_space(*s); s++)
            has_token |= isalnum((unsigned char)*s) || (unsigned char)*s >= 0x80;
        if (!has_token) /* "*", "(", "-": no word; FTS5 would drop it from the AND anyway */
            continue;
        if (used + 4 > size)
            return -1;
        if (terms++)
            out[used++] = ' ';
        out[used++] = '"';
        for (const char *c = start; c < s; c++) {
            if (used + 4 > size)
                return -1;
            if (*c == '"')
                out[used++] = '"';
            out[used++] = *c;
        }
        out[used++] = '"';
    }
    if (used >= size)
        return -1;
    if (terms == 0)
        return -2;
    out[used] = '\0';
    return 0;
}

/* Writes "a, b, c" of a NULL-name-terminated table of names into buf. */
#define LIST_NAMES(buf, table)                                                                     \
    do {                                                                                           \
        (buf)[0] = '\0';                                                                           \
        for (size_t n_ = 0; (table)[n_].name; n_++) {                                              \
            strncat((buf), n_ ? ", " : "", sizeof(buf) - strlen(buf) - 1);                         \
            strncat((buf), (table)[n_].name, sizeof(buf) - strlen(buf) - 1);                       \
        }                                                                                          \
    } while (0)

/* Sets index to the entry of table (entries with a .name, ended by a NULL name) named by the
 * len bytes at s, or to the terminator's index when none is. */
#define FIND_NAME(index, table, s, len)                                                            \
    for ((index) = 0; (table)[index].name && !name_is((table)[index].name, (s), (len)); (index)++)

/* Is name exactly the len bytes at s (one item of a comma-separated list)? */
static int name_is(const char *name, const char *s, size_t len) {
    return strlen(name) == len && strncmp(name, s, len) == 0;
}

/* Parses `fields` into p->fields. Returns 0 or a problem status. */
static int parse_fields(const struct collection *c, struct response *res, const char *value,
                        unsigned long *mask, int *has) {
    *has = value != NULL;
    *mask = ~0UL;
    if (value == NULL)
        return 0;
    *mask = 0;
    const char *rest = value, *s;
    size_t len;
    while (param_list_next(&rest, &s, &len)) {
        size_t f;
        FIND_NAME(f, c->fields, s, len);
        if (c->fields[f].name == NULL) {
            char allowed[512];
            LIST_NAMES(allowed, c->fields);
            return problem_parameter(
                &res->problem, "fields",
                "unknown field '%.*s'; fields takes a comma-separated list of: %s",
                (int)(len > 64 ? 64 : len), s, allowed);
        }
        *mask |= 1UL << f;
    }
    return 0;
}

/* ---- 2. Cursors ------------------------------------------------------------------------- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static uint64_t cursor_signature(uint64_t shape, const char *keys_json) {
    return hash_bytes(hash_bytes(shape, "plenary-cursor-1"), keys_json);
}

/* Encodes the keyset position after (keys, id) as an opaque cursor (malloc'd), or NULL. */
static char *cursor_encode(const struct parsed *p, const struct db_value keys[], int64_t id) {
    json_t *k = json_array();
    for (size_t i = 0; i < p->q.sort->key_count; i++)
        json_array_append_new(k, keys[i].is_text ? json_string(keys[i].text)
                                                 : json_integer(keys[i].integer));
    json_array_append_new(k, json_integer(id));
    char *keys_json = json_dumps(k, JSON_COMPACT);
    json_decref(k);
    if (keys_json == NULL)
        return NULL;
    char sig[17];
    snprintf(sig, sizeof sig, "%016llx", (unsigned long long)cursor_signature(p->shape, keys_json));
    size_t n = strlen(keys_json) + 17;
    char *raw = malloc(n + 1);
    char *out = malloc(4 * n / 3 + 4);
    if (raw == NULL || out == NULL) {
        free(keys_json);
        free(raw);
        free(out);
        return NULL;
    }
    snprintf(raw, n + 1, "%s.%s", sig, keys_json);
    free(keys_json);
    size_t o = 0;
    const unsigned char *u = (const unsigned char *)raw;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)u[i] << 16 | (i + 1 < n ? (uint32_t)u[i + 1] << 8 : 0) |
                     (i + 2 < n ? u[i + 2] : 0);
        out[o++] = b64[v >> 18 & 63];
        out[o++] = b64[v >> 12 & 63];
        if (i + 1 < n)
            out[o++] = b64[v >> 6 & 63];
        if (i + 2 < n)
            out[o++] = b64[v & 63];
    }
    out[o] = '\0';
    free(raw);
    return out;
}

/* Decodes a cursor into p->q.after_*. Returns 0 or a problem status (400 naming cursor). */
static int cursor_decode(struct parsed *p, struct response *res, const char *cursor) {
    size_t len = strlen(cursor);
    char raw[MAX_CURSOR];
    size_t r = 0;
    uint32_t acc = 0;
    int bits = 0;
    int bad = len == 0 || len >= MAX_CURSOR;
    for (size_t i = 0; !bad && i < len; i++) {
        const char *at = strchr(b64, cursor[i]);
        if (at == NULL || cursor[i] == '\0') {
            bad = 1;
            break;
        }
        acc = acc << 6 | (uint32_t)(at - b64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            raw[r++] = (char)(acc >> bits & 0xff);
        }
    }
    raw[r] = '\0';
    json_t *keys = NULL;
    if (!bad && r > 17 && raw[16] == '.' && strlen(raw) == r) {
        char sig[17];
        snprintf(sig, sizeof sig, "%016llx",
                 (unsigned long long)cursor_signature(p->shape, raw + 17));
        if (memcmp(sig, raw, 16) == 0)
            keys = json_loads(raw + 17, JSON_REJECT_DUPLICATES, NULL);
    }
    const struct db_sort *s = p->q.sort;
    int ok = json_is_array(keys) && json_array_size(keys) == s->key_count + 1 &&
             json_is_integer(json_array_get(keys, s->key_count));
    for (size_t k = 0; ok && k < s->key_count; k++) {
        json_t *v = json_array_get(keys, k);
        ok = s->key_is_text[k] ? json_is_string(v) : json_is_integer(v);
    }
    if (!ok) {
        json_decref(keys);
        return problem_parameter(&res->problem, "cursor",
                                 "cursor is not one this query gave; take it from links.next of "
                                 "the same query, or leave it out for the first page");
    }
    for (size_t k = 0; k < s->key_count; k++) {
        json_t *v = json_array_get(keys, k);
        struct db_value *dv = &p->q.after_keys[k];
        dv->is_text = s->key_is_text[k];
        if (dv->is_text)
            dv->text = own(p, strdup(json_string_value(v)));
        else
            dv->integer = json_integer_value(v);
    }
    p->q.after_id = json_integer_value(json_array_get(keys, s->key_count));
    p->q.after = 1;
    json_decref(keys);
    return 0;
}

/* Reads every parameter of a list request into p. A feed (feed = 1: the iCalendar of a
 * collection) takes the collection's filters and q only, and offers text/calendar alone.
 * Returns 0 or a problem status. */
static int parse_list(const struct collection *c, struct request *req, struct response *res,
                      struct parsed *p, int feed) {
    const struct db_collection *dc = db_read_collection(c->type);
    memset(p, 0, sizeof *p);
    p->q.coll = dc;
    p->q.sort = &dc->sorts[0];
    p->limit = DEFAULT_LIMIT;

    const char *allowed[DB_READ_MAX_FILTERS + 10];
    size_t n = 0;
    for (size_t i = 0; dc->filters[i].name; i++)
        allowed[n++] = dc->filters[i].name;
    static const char *const common[] = {"q",     "sort",   "fields", "facet",
                                         "limit", "cursor", "format"};
    for (size_t i = 0; i < (feed ? 1 : sizeof common / sizeof common[0]); i++)
        allowed[n++] = common[i];
    allowed[n] = NULL;
    int status = request_check_params(req, res, allowed);
    if (status != 0)
        return status;
    for (size_t i = 0; i < req->param_count; i++)
        if (!format_utf8_valid(req->params[i].value))
            return problem_parameter(&res->problem, req->params[i].name, "%s must be UTF-8 text",
                                     req->params[i].name);
    if (feed) {
        static const char *const calendar[] = {"text/calendar"};
        int best;
        if ((status = accept_best(req, res, calendar, 1, &best)) != 0)
            return status;
        p->format = FORMAT_JSON; /* unused: the feed renders iCalendar */
    } else if ((status = negotiate(req, res, 3, &p->format)) != 0) {
        return status;
    }
    if (request_pretty(req, res) < 0)
        return problem_status(res->problem.kind);

    const char *v;
    if ((v = request_param(req, "limit")) != NULL) {
        long limit = parse_int(v, 1, MAX_LIMIT);
        if (limit < 0)
            return problem_parameter(&res->problem, "limit",
                                     "limit must be an integer from 1 to %d", MAX_LIMIT);
        p->limit = (size_t)limit;
    }
    if ((v = request_param(req, "sort")) != NULL) {
        p->q.descending = v[0] == '-';
        const char *name = v + p->q.descending;
        size_t s = 0;
        while (dc->sorts[s].name && strcmp(dc->sorts[s].name, name) != 0)
            s++;
        if (dc->sorts[s].name == NULL) {
            char list[256];
            LIST_NAMES(list, dc->sorts);
            return problem_parameter(&res->problem, "sort",
                                     "sort takes one of: %s (a - prefix for descending)", list);
        }
        p->q.sort = &dc->sorts[s];
    }
    if ((status = parse_fields(c, res, request_param(req, "fields"), &p->fields, &p->has_fields)) !=
        0)
        return status;
    if ((v = request_param(req, "facet")) != NULL) {
        const char *rest = v, *s;
        size_t len;
        while (param_list_next(&rest, &s, &len)) {
            size_t f;
            FIND_NAME(f, dc->facets, s, len);
            if (dc->facets[f].name == NULL) {
                char list[256];
                LIST_NAMES(list, dc->facets);
                return problem_parameter(&res->problem, "facet",
                                         "facet takes a comma-separated list of: %s",
                                         list[0] ? list : "(this collection has no facets)");
            }
            int dup = 0;
            for (size_t k = 0; k < p->facet_count; k++)
                dup |= p->facets[k] == &dc->facets[f];
            if (!dup && p->facet_count < sizeof p->facets / sizeof p->facets[0])
                p->facets[p->facet_count++] = &dc->facets[f];
        }
    }
    if ((v = request_param(req, "q")) != NULL) {
        int made = strlen(v) > MAX_Q ? -1 : collection_fts_query(v, p->match, sizeof p->match);
        if (made == -2)
            return problem_parameter(&res->problem, "q",
                                     "q must contain a word: a letter or a digit");
        if (made != 0)
            return problem_parameter(&res->problem, "q",
                                     "q takes words to search for (at most %d bytes)", MAX_Q);
        p->q.match = p->match;
    }
    for (size_t i = 0; dc->filters[i].name; i++)
        if ((v = request_param(req, dc->filters[i].name)) != NULL &&
            (status = parse_filter(req, res, p, i, v)) != 0)
            return status;

    /* the query's shape and values, which a cursor is signed over */
    uint64_t h = hash_bytes(1469598103934665603ULL, c->path);
    h = hash_bytes(h, p->q.sort->name);
    h = hash_bytes(h, p->q.descending ? "desc" : "asc");
    h = hash_bytes(h, p->q.match ? p->q.match : "");
    for (size_t i = 0; dc->filters[i].name; i++) {
        char value[32] = "";
        const struct db_value *fv = &p->q.filter[i];
        if (p->q.filter_mask & (1u << i) && !fv->is_text)
            snprintf(value, sizeof value, "%lld", (long long)fv->integer);
        h = hash_bytes(h, (p->q.filter_mask & (1u << i)) ? (fv->is_text ? fv->text : value) : "-");
    }
    p->shape = h;
    if ((v = request_param(req, "cursor")) != NULL && (status = cursor_decode(p, res, v)) != 0)
        return status;
    return 0;
}

/* ---- 3. Rendering ----------------------------------------------------------------------- */

/* Appends JSON text as jansson writes it (compact, members in order). SQLite's text is that
 * byte for byte except for \u escapes (SQLite writes \u001f where jansson writes \u001F):
 * text holding "\u" goes through jansson, the rest is copied. Returns 0 or -1. */
static int text_append_json(struct format_buf *b, const char *json, size_t len) {
    const char *at = json, *end = json + len;
    while ((at = memchr(at, '\\', (size_t)(end - at))) != NULL && at + 1 < end && at[1] != 'u')
        at += 2; /* a backslash always starts a two-character escape or more */
    if (at == NULL || at + 1 >= end)
        return format_append(b, json, len);
    json_t *value = json_loadb(json, len, 0, NULL);
    char *dumped = value ? json_dumps(value, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(value);
    int rc = dumped ? format_append(b, dumped, strlen(dumped)) : -1;
    free(dumped);
    return rc;
}

/* Whether pages render as text spliced from SQLite (1) or through jansson (0); see
 * collection_text_render. */
static int text_render = 1;

void collection_text_render(int on) {
    text_render = on;
}

/* The text render's state: the items so far and what follows each. */
struct text_ctx {
    struct format_buf out; /* the items' JSON texts */
    const char *sep;       /* written between items (",") */
    const char *term;      /* written after each item ("\n" for NDJSON, else "") */
    size_t count;          /* items written */
};

static int render_text_row(void *ctx, int64_t id, const char *json, size_t len) {
    (void)id;
    struct text_ctx *t = ctx;
    if (t->count++ && format_append(&t->out, t->sep, strlen(t->sep)) != 0)
        return -1;
    if (text_append_json(&t->out, json, len) != 0)
        return -1;
    return format_append(&t->out, t->term, strlen(t->term));
}

/* Appends the items of ids (in that order) as JSON texts, every field, joined by sep and
 * each followed by term, to out (which the caller frees with format_buf_free; on failure it
 * is freed here). Returns 0 or -1. */
static int render_text(struct db *db, const struct collection *c, const int64_t *ids, size_t count,
                       const char *sep, const char *term, struct format_buf *out) {
    struct text_ctx t = {*out, sep, term, 0};
    struct db_error err = {0};
    int rc = db_read_render(db, c->type, ids, count, render_text_row, &t, &err);
    if (rc == 0 && t.out.data == NULL)
        rc = format_append(&t.out, "", 0);
    if (rc != 0) {
        if (err.code)
            fprintf(stderr, "plenary: render %s: %s\n", c->path, err.message);
        format_buf_free(&t.out);
    }
    *out = t.out;
    return rc;
}

/* The jansson render's state: the array of items so far and the fields kept. */
struct render_ctx {
    json_t *items;              /* the items, in page order */
    const struct collection *c; /* the collection */
    unsigned long mask;         /* bit per field kept */
};

static int render_row(void *ctx, int64_t id, const char *json, size_t len) {
    (void)id;
    struct render_ctx *r = ctx;
    json_t *item = json_loadb(json, len, 0, NULL);
    if (item == NULL)
        return -1;
    for (size_t f = 0; r->c->fields[f].name; f++)
        if (!(r->mask & (1UL << f)))
            json_object_del(item, r->c->fields[f].name);
    return json_array_append_new(r->items, item);
}

/* Renders the items of ids (in that order; one deleted since the page query is left out),
 * keeping only the fields of mask. Returns a new array, or NULL on error. */
static json_t *render_items(struct db *db, const struct collection *c, const int64_t *ids,
                            size_t count, unsigned long mask) {
    struct render_ctx r = {json_array(), c, mask};
    struct db_error err = {0};
    if (r.items == NULL || db_read_render(db, c->type, ids, count, render_row, &r, &err) != 0) {
        if (err.code)
            fprintf(stderr, "plenary: render %s: %s\n", c->path, err.message);
        json_decref(r.items);
        r.items = NULL;
    }
    return r.items;
}

/* ---- 3b. Counts kept across pages ------------------------------------------------------ */

/* meta.total and facet counts depend on the filters and q only, not on the cursor, limit or
 * sort, so a keyset walk asks the same count on every page. They are kept here, keyed by the
 * collection, the filter values and q (and the facet), and valid while the revision of the
 * types the collection depends on is the one taken before counting. Bounded in entries and
 * bytes; least recently used first out. Off while no revision watcher runs (in-process
 * tests, tools): without it a change could not be seen. */
#define COUNTS_ENTRIES 4096          /* entries kept */
#define COUNTS_BUCKETS 8192          /* hash buckets (a power of two) */
#define COUNTS_BYTES (8u << 20)      /* bytes of keys and facet texts kept */
#define COUNTS_MAX_TEXT (256u << 10) /* a facet text longer than this is not kept */

struct count_entry {
    char *key;        /* malloc'd: the query's filters, q and facet; NULL when free */
    uint64_t hash;    /* fnv-1a of key */
    int64_t revision; /* revision_of(depends) taken before counting */
    int64_t total;    /* the count (total) */
    char *text;       /* the facet's JSON text (malloc'd), or NULL for a total */
    size_t bytes;     /* bytes of key and text */
    int next;         /* next entry in the bucket's chain, -1 ends */
    int newer, older; /* LRU neighbours, -1 ends */
};

static pthread_mutex_t counts_lock = PTHREAD_MUTEX_INITIALIZER;
static struct count_entry counts[COUNTS_ENTRIES];
static int counts_bucket[COUNTS_BUCKETS];
static int counts_free[COUNTS_ENTRIES]; /* slots dropped, to reuse first */
static int counts_newest = -1, counts_oldest = -1, counts_used, counts_free_count;
static size_t counts_bytes;
static int counts_ready;

static void counts_lru_unlink(int i) {
    struct count_entry *e = &counts[i];
    if (e->newer >= 0)
        counts[e->newer].older = e->older;
    else
        counts_newest = e->older;
    if (e->older >= 0)
        counts[e->older].newer = e->newer;
    else
        counts_oldest = e->newer;
    e->newer = e->older = -1;
}

static void counts_lru_front(int i) {
    struct count_entry *e = &counts[i];
    e->newer = -1;
    e->older = counts_newest;
    if (counts_newest >= 0)
        counts[counts_newest].newer = i;
    counts_newest = i;
    if (counts_oldest < 0)
        counts_oldest = i;
}

/* Drops entry i from its chain and the LRU, frees its memory and its slot. */
static void counts_drop(int i) {
    struct count_entry *e = &counts[i];
    int *link = &counts_bucket[e->hash & (COUNTS_BUCKETS - 1)];
    while (*link != i)
        link = &counts[*link].next;
    *link = e->next;
    counts_lru_unlink(i);
    counts_bytes -= e->bytes;
    free(e->key);
    free(e->text);
    e->key = e->text = NULL;
    counts_free[counts_free_count++] = i;
}

static int counts_find(const char *key, uint64_t hash) {
    for (int i = counts_bucket[hash & (COUNTS_BUCKETS - 1)]; i >= 0; i = counts[i].next)
        if (counts[i].hash == hash && strcmp(counts[i].key, key) == 0)
            return i;
    return -1;
}

static void counts_init_locked(void) {
    if (counts_ready)
        return;
    for (size_t b = 0; b < COUNTS_BUCKETS; b++)
        counts_bucket[b] = -1;
    counts_ready = 1;
}

/* Looks key up at revision: 1 with *total and *text (a malloc'd copy, or NULL) set, 0 when
 * not kept (or kept at another revision), -1 when out of memory. */
static int counts_get(const char *key, int64_t revision, int64_t *total, char **text) {
    uint64_t hash = hash_bytes(1469598103934665603ULL, key);
    int found = 0;
    pthread_mutex_lock(&counts_lock);
    counts_init_locked();
    int i = counts_find(key, hash);
    if (i >= 0 && counts[i].revision == revision) {
        *total = counts[i].total;
        *text = NULL;
        found = 1;
        if (counts[i].text && (*text = strdup(counts[i].text)) == NULL)
            found = -1;
        counts_lru_unlink(i);
        counts_lru_front(i);
    }
    pthread_mutex_unlock(&counts_lock);
    return found;
}

/* Keeps (total, text) for key at revision, replacing what key had. Best effort: on any
 * failure nothing is kept. */
static void counts_put(const char *key, int64_t revision, int64_t total, const char *text) {
    size_t text_len = text ? strlen(text) : 0;
    if (text_len > COUNTS_MAX_TEXT)
        return;
    char *key_copy = strdup(key);
    char *text_copy = text ? strdup(text) : NULL;
    if (key_copy == NULL || (text && text_copy == NULL)) {
        free(key_copy);
        free(text_copy);
        return;
    }
    size_t bytes = strlen(key) + text_len + 2;
    uint64_t hash = hash_bytes(1469598103934665603ULL, key);
    pthread_mutex_lock(&counts_lock);
    counts_init_locked();
    int i = counts_find(key, hash);
    if (i >= 0)
        counts_drop(i);
    while (counts_oldest >= 0 && counts_bytes + bytes > COUNTS_BYTES)
        counts_drop(counts_oldest);
    if (counts_free_count == 0 && counts_used == COUNTS_ENTRIES)
        counts_drop(counts_oldest); /* every slot holds an entry, so there is an oldest */
    i = counts_free_count ? counts_free[--counts_free_count] : counts_used++;
    assert(i >= 0 && i < COUNTS_ENTRIES && counts[i].key == NULL);
    struct count_entry *e = &counts[i];
    e->key = key_copy;
    e->hash = hash;
    e->revision = revision;
    e->total = total;
    e->text = text_copy;
    e->bytes = bytes;
    e->next = counts_bucket[hash & (COUNTS_BUCKETS - 1)];
    counts_bucket[hash & (COUNTS_BUCKETS - 1)] = i;
    counts_lru_front(i);
    counts_bytes += bytes;
    pthread_mutex_unlock(&counts_lock);
}

/* Writes the counts' key of p (the collection, every filter value and q; then facet's name,
 * or "" for the total) into buf: lengths prefix the texts, so no two queries share a key.
 * Returns 0, or -1 when it does not fit (then the count is not kept). */
static int counts_key(const struct collection *c, const struct parsed *p,
                      const struct db_facet *facet, char *buf, size_t size) {
    size_t used = 0;
    int n = snprintf(buf, size, "%d|%s|", (int)c->type, facet ? facet->name : "");
    if (n < 0 || (size_t)n >= size)
        return -1;
    used = (size_t)n;
    if (p->q.match) {
        n = snprintf(buf + used, size - used, "q%zu:%s|", strlen(p->q.match), p->q.match);
        if (n < 0 || (size_t)n >= size - used)
            return -1;
        used += (size_t)n;
    }
    for (size_t i = 0; i < DB_READ_MAX_FILTERS; i++) {
        if (!(p->q.filter_mask & (1u << i)))
            continue;
        const struct db_value *v = &p->q.filter[i];
        n = v->is_text
                ? snprintf(buf + used, size - used, "%zu=t%zu:%s|", i, strlen(v->text), v->text)
                : snprintf(buf + used, size - used, "%zu=i%lld|", i, (long long)v->integer);
        if (n < 0 || (size_t)n >= size - used)
            return -1;
        used += (size_t)n;
    }
    return 0;
}

/* Counts being made now, so that concurrent requests for one count make it once: on a large
 * record the first count of a filter or facet takes seconds, and every worker thread making
 * it at the same time would only slow each other down (guarded by counts_lock). */
#define COUNTS_IN_FLIGHT 16
static char *counts_making[COUNTS_IN_FLIGHT]; /* keys being counted, or NULL */
static pthread_cond_t counts_made = PTHREAD_COND_INITIALIZER; /* a count in flight ended */

/* Before making the count of key: returns 1 when the caller makes it (and must call
 * counts_end), 0 when another request was making it and has finished (look it up again;
 * if it is still missing, count without waiting), -1 when too many counts are in flight
 * (count without registering). */
static int counts_begin(const char *key) {
    pthread_mutex_lock(&counts_lock);
    int waited = 0;
    for (;;) {
        int busy = 0, free_slot = -1;
        for (int i = 0; i < COUNTS_IN_FLIGHT; i++) {
            if (counts_making[i] == NULL)
                free_slot = free_slot < 0 ? i : free_slot;
            else if (strcmp(counts_making[i], key) == 0)
                busy = 1;
        }
        if (busy) {
            pthread_cond_wait(&counts_made, &counts_lock);
            waited = 1;
            continue;
        }
        if (waited || free_slot < 0 || (counts_making[free_slot] = strdup(key)) == NULL) {
            pthread_mutex_unlock(&counts_lock);
            return waited ? 0 : -1;
        }
        pthread_mutex_unlock(&counts_lock);
        return 1;
    }
}

/* After making the count of key (kept or not): wakes the requests waiting for it. */
static void counts_end(const char *key) {
    pthread_mutex_lock(&counts_lock);
    for (int i = 0; i < COUNTS_IN_FLIGHT; i++) {
        if (counts_making[i] != NULL && strcmp(counts_making[i], key) == 0) {
            free(counts_making[i]);
            counts_making[i] = NULL;
            break;
        }
    }
    pthread_cond_broadcast(&counts_made);
    pthread_mutex_unlock(&counts_lock);
}

/* The revision the counts of c are kept at, or -1 when they are not kept (no watcher). */
static int64_t counts_revision(const struct collection *c) {
    if (revision_current() < 0)
        return -1;
    return revision_of(c->depends, NULL);
}

/* meta.total of p, kept across pages. Returns the count, or -1 with err filled. */
static int64_t count_total(struct db *db, const struct collection *c, const struct parsed *p,
                           struct db_error *err) {
    char key[MAX_URL + 2 * MAX_Q + 256];
    int64_t revision = counts_revision(c);
    int keep = revision >= 0 && counts_key(c, p, NULL, key, sizeof key) == 0;
    int64_t total;
    char *text;
    if (keep && counts_get(key, revision, &total, &text) == 1) {
        free(text);
        return total;
    }
    int flight = keep ? counts_begin(key) : -1;
    if (flight == 0 && counts_get(key, revision, &total, &text) == 1) {
        free(text); /* made by the request we waited for */
        return total;
    }
    total = db_read_count(db, &p->q, err);
    if (keep && total >= 0)
        counts_put(key, revision, total, NULL);
    if (flight == 1)
        counts_end(key);
    return total;
}

/* The JSON text of facet's counts over p, kept across pages (malloc'd), or NULL. */
static char *count_facet(struct db *db, const struct collection *c, const struct parsed *p,
                         const struct db_facet *facet, struct db_error *err) {
    char key[MAX_URL + 2 * MAX_Q + 256];
    int64_t revision = counts_revision(c);
    int keep = revision >= 0 && counts_key(c, p, facet, key, sizeof key) == 0;
    int64_t unused;
    char *text = NULL;
    if (keep && counts_get(key, revision, &unused, &text) == 1 && text != NULL)
        return text;
    free(text);
    text = NULL;
    int flight = keep ? counts_begin(key) : -1;
    if (flight == 0 && counts_get(key, revision, &unused, &text) == 1 && text != NULL)
        return text; /* made by the request we waited for */
    free(text);
    text = db_read_facet(db, &p->q, facet, err);
    if (keep && text != NULL)
        counts_put(key, revision, 0, text);
    if (flight == 1)
        counts_end(key);
    return text;
}

/* ---- 4. Answers ------------------------------------------------------------------------- */

/* Appends "name=value" (value percent-encoded) to buf with the right separator. */
static void url_param(char *buf, size_t size, const char *name, const char *value) {
    size_t used = strlen(buf);
    if (used + strlen(name) + 2 >= size)
        return;
    used += (size_t)snprintf(buf + used, size - used, "%c%s=", strchr(buf, '?') ? '&' : '?', name);
    for (const unsigned char *s = (const unsigned char *)value; *s && used + 4 < size; s++) {
        if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
            strchr("-._~,", *s))
            buf[used++] = (char)*s;
        else
            used += (size_t)snprintf(buf + used, size - used, "%%%02X", *s);
    }
    buf[used] = '\0';
}

/* The canonical URL of this query: its parameters in a fixed order, with cursor. */
static void canonical_url(const struct collection *c, const struct request *req, char *buf,
                          size_t size, const char *cursor) {
    const struct db_collection *dc = db_read_collection(c->type);
    snprintf(buf, size, "%s", c->path);
    for (size_t i = 0; dc->filters[i].name; i++) {
        const char *v = request_param(req, dc->filters[i].name);
        if (v)
            url_param(buf, size, dc->filters[i].name, v);
    }
    static const char *const rest[] = {"q", "sort", "fields", "facet", "format", "limit"};
    for (size_t i = 0; i < sizeof rest / sizeof rest[0]; i++) {
        const char *v = request_param(req, rest[i]);
        if (v)
            url_param(buf, size, rest[i], v);
    }
    if (cursor)
        url_param(buf, size, "cursor", cursor);
}

/* CSV columns of the fields in mask: plain field names, in the collection's order (format.h
 * flattens a reference column into <name>_id and <name>_name by format_csv_is_ref, so that
 * the header is fixed by the contract). Fills cols (NULL-terminated). */
static void csv_columns(const struct collection *c, unsigned long mask, const char *cols[]) {
    size_t n = 0;
    for (size_t f = 0; f < COLLECTION_MAX_FIELDS && c->fields[f].name; f++) {
        /* the resource's description and the CSV renderer must name the same references */
        assert(c->fields[f].ref == format_csv_is_ref(c->fields[f].name));
        if (mask & (1UL << f))
            cols[n++] = c->fields[f].name;
    }
    cols[n] = NULL;
}

/* Moves p's keyset past the last row of page, so that the next db_read_page continues after
 * it. The new text keys move from page into p->owned (page's copies become NULL) and the
 * previous ones are freed, so p->owned never holds more than two strings per filter (its value
 * and its one value) and one key set. */
static void keyset_advance(struct parsed *p, struct db_page *page) {
    if (page->count == 0)
        return;
    for (size_t k = 0; p->q.after && k < DB_READ_MAX_KEYS; k++) {
        struct db_value *old = &p->q.after_keys[k];
        for (size_t i = 0; old->is_text && old->text && i < p->owned_count; i++)
            if (p->owned[i] == old->text) {
                free(p->owned[i]);
                p->owned[i] = p->owned[--p->owned_count];
                break;
            }
        old->text = NULL;
    }
    for (size_t k = 0; k < p->q.sort->key_count; k++) {
        struct db_value *dst = &p->q.after_keys[k];
        *dst = page->last_keys[k];
        if (dst->is_text) {
            dst->text = own(p, (char *)page->last_keys[k].text);
            page->last_keys[k].text = NULL;
        }
    }
    p->q.after_id = page->last_id;
    p->q.after = 1;
}

/* The NDJSON stream's state: the query (which owns its strings) and a pending buffer. */
struct ndjson {
    struct parsed p;            /* the query */
    const struct collection *c; /* the collection */
    char *buf;                  /* pending bytes */
    size_t len, off;            /* bytes in buf, bytes already sent */
    int done;                   /* 1: no more rows */
};

static void ndjson_free(void *ctx) {
    struct ndjson *s = ctx;
    parsed_free(&s->p);
    free(s->buf);
    free(s);
}

/* Fetches the next batch into s->buf, reading through db. Returns 0 or -1. */
static int ndjson_fill(struct ndjson *s, struct db *db) {
    struct db_page page;
    struct db_error err = {0};
    if (db == NULL || db_read_page(db, &s->p.q, STREAM_BATCH, &page, &err) != 0)
        return -1;
    struct format_buf out = {0};
    if (text_render && !s->p.has_fields) {
        int rc = render_text(db, s->c, page.ids, page.count, "", "\n", &out);
        keyset_advance(&s->p, &page);
        s->done = !page.more;
        db_page_free(&page);
        free(s->buf);
        s->buf = out.data;
        s->len = out.len;
        s->off = 0;
        return rc;
    }
    json_t *items = render_items(db, s->c, page.ids, page.count, s->p.fields);
    int rc = items ? 0 : -1;
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item) {
        char *line = json_dumps(item, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (line == NULL) {
            rc = -1;
            break;
        }
        size_t n = strlen(line);
        if (out.len + n + 2 > out.cap) {
            size_t cap = out.cap ? out.cap : 4096;
            while (out.len + n + 2 > cap)
                cap *= 2;
            char *grown = realloc(out.data, cap);
            if (grown == NULL) {
                free(line);
                rc = -1;
                break;
            }
            out.data = grown;
            out.cap = cap;
        }
        memcpy(out.data + out.len, line, n);
        out.len += n;
        out.data[out.len++] = '\n';
        out.data[out.len] = '\0';
        free(line);
    }
    json_decref(items);
    /* keyset: the next batch starts after this one's last row */
    keyset_advance(&s->p, &page);
    s->done = !page.more;
    db_page_free(&page);
    free(s->buf);
    s->buf = out.data;
    s->len = out.len;
    s->off = 0;
    return rc;
}

static ssize_t ndjson_read(void *ctx, struct db *db, uint64_t pos, char *buf, size_t max) {
    (void)pos;
    struct ndjson *s = ctx;
    while (s->off == s->len) {
        if (s->done)
            return STREAM_END;
        if (ndjson_fill(s, db) != 0)
            return STREAM_ERROR;
    }
    size_t n = s->len - s->off < max ? s->len - s->off : max;
    memcpy(buf, s->buf + s->off, n);
    s->off += n;
    return (ssize_t)n;
}

/* The JSON page as text: the items' texts from SQLite spliced into the envelope, the same
 * bytes as the jansson path gives (test_collection compares them). Returns the status. */
static int list_text(const struct collection *c, struct request *req, struct response *res,
                     const struct parsed *p, const struct db_page *page, int64_t total,
                     char *const facet_texts[], const char *self, const char *next) {
    struct format_buf b = {0};
    int rc = format_append(&b, "{\"data\":[", 9);
    if (rc == 0) /* the items straight into the answer: no copy of a page's 40 KB */
        rc = render_text(req->db, c, page->ids, page->count, ",", "", &b);
    char num[64];
    snprintf(num, sizeof num, "],\"meta\":{\"total\":%lld,\"limit\":%d", (long long)total,
             (int)p->limit);
    if (rc == 0)
        rc = format_append(&b, num, strlen(num));
    for (size_t f = 0; rc == 0 && f < p->facet_count; f++) {
        rc = format_append(&b, f ? "," : ",\"facets\":{", f ? 1 : 11);
        if (rc == 0)
            rc = format_append_json_string(&b, p->facets[f]->name);
        if (rc == 0)
            rc = format_append(&b, ":", 1);
        if (rc == 0)
            rc = text_append_json(&b, facet_texts[f], strlen(facet_texts[f]));
    }
    if (rc == 0 && p->facet_count)
        rc = format_append(&b, "}", 1);
    if (rc == 0)
        rc = format_append(&b, "},\"links\":{\"self\":", 18);
    if (rc == 0)
        rc = format_append_json_string(&b, self);
    if (rc == 0)
        rc = format_append(&b, ",\"next\":", 8);
    if (rc == 0)
        rc = next ? format_append_json_string(&b, next) : format_append(&b, "null", 4);
    if (rc == 0)
        rc = format_append(&b, "}}", 2);
    if (rc != 0) {
        format_buf_free(&b);
        return response_problem(res, PROBLEM_INTERNAL, "the answer could not be rendered");
    }
    return response_json(res, 200, b.data, b.len);
}

int collection_list(const struct collection *c, struct request *req, struct response *res) {
    struct parsed p;
    int status = parse_list(c, req, res, &p, 0);
    res->depends = c->depends;
    if (status != 0) {
        parsed_free(&p);
        return status;
    }
    if (p.format == FORMAT_NDJSON) {
        struct ndjson *s = calloc(1, sizeof *s);
        if (s == NULL) {
            parsed_free(&p);
            return response_problem(res, PROBLEM_INTERNAL, "out of memory");
        }
        s->p = p;
        s->c = c;
        res->stream = (struct response_stream){.read = ndjson_read, .free = ndjson_free, .ctx = s};
        res->content_type = "application/x-ndjson";
        res->uncacheable = 1;
        res->status = 200;
        return 200;
    }
    struct db_error err = {0};
    /* the total first: it decides the page's plan, and it is kept across pages */
    int64_t total = count_total(req->db, c, &p, &err);
    if (total >= 0 && p.q.sort->in_order && (p.q.filter_mask || p.q.match)) {
        /* walking the sort's index costs about limit * all / total rows, sorting the filtered
         * set about total: walk when the filters keep many rows */
        struct parsed every = p;
        every.q.filter_mask = 0;
        every.q.match = NULL;
        int64_t all = count_total(req->db, c, &every, &err);
        p.q.in_order =
            all > 0 && (double)(p.limit + 1) * (double)all <= (double)total * (double)total;
    }
    struct db_page page;
    if (total < 0 || db_read_page(req->db, &p.q, p.limit, &page, &err) != 0) {
        fprintf(stderr, "plenary: %s: %s\n", c->path, err.message);
        parsed_free(&p);
        return response_problem(res, PROBLEM_INTERNAL, "the record could not be read");
    }
    /* text: plain JSON needs no json_t; fields, pretty and CSV go through jansson */
    int text =
        text_render && p.format == FORMAT_JSON && !p.has_fields && request_pretty(req, res) == 0;
    json_t *data = text ? NULL : render_items(req->db, c, page.ids, page.count, p.fields);
    char *facet_texts[sizeof p.facets / sizeof p.facets[0]] = {NULL};
    int facets_ok = 1;
    for (size_t f = 0; facets_ok && f < p.facet_count; f++)
        facets_ok = (facet_texts[f] = count_facet(req->db, c, &p, p.facets[f], &err)) != NULL;
    json_t *facets = NULL;
    if (!text && facets_ok) {
        facets = json_object();
        for (size_t f = 0; facets && f < p.facet_count; f++) {
            json_t *counts_value = json_loads(facet_texts[f], 0, NULL);
            if (counts_value == NULL) {
                json_decref(facets);
                facets = NULL;
                break;
            }
            json_object_set_new(facets, p.facets[f]->name, counts_value);
        }
    }
    char *next_cursor = page.more ? cursor_encode(&p, page.last_keys, page.last_id) : NULL;
    if ((!text && data == NULL) || total < 0 || !facets_ok || (!text && facets == NULL) ||
        (page.more && next_cursor == NULL)) {
        if (err.code)
            fprintf(stderr, "plenary: %s: %s\n", c->path, err.message);
        json_decref(data);
        json_decref(facets);
        for (size_t f = 0; f < p.facet_count; f++)
            free(facet_texts[f]);
        free(next_cursor);
        db_page_free(&page);
        parsed_free(&p);
        return response_problem(res, PROBLEM_INTERNAL, "the record could not be read");
    }
    char self[MAX_URL + 64], next[MAX_URL + 2 * MAX_CURSOR];
    canonical_url(c, req, self, sizeof self, request_param(req, "cursor"));
    if (next_cursor) {
        canonical_url(c, req, next, sizeof next, next_cursor);
        char link[sizeof next + 16];
        snprintf(link, sizeof link, "<%s>; rel=\"next\"", next);
        response_header_add(res, "Link", link);
    }
    if (text) {
        status =
            list_text(c, req, res, &p, &page, total, facet_texts, self, next_cursor ? next : NULL);
        for (size_t f = 0; f < p.facet_count; f++)
            free(facet_texts[f]);
        free(next_cursor);
        db_page_free(&page);
        parsed_free(&p);
        return status;
    }
    for (size_t f = 0; f < p.facet_count; f++)
        free(facet_texts[f]);
    db_page_free(&page);
    parsed_free(&p);
    free(next_cursor);

    if (p.format == FORMAT_CSV) {
        const char *cols[COLLECTION_MAX_FIELDS + 1];
        csv_columns(c, p.fields, cols);
        size_t len = 0;
        char *csv = format_csv(data, cols, &len);
        json_decref(data);
        json_decref(facets);
        if (csv == NULL)
            return response_problem(res, PROBLEM_INTERNAL, "the answer could not be rendered");
        res->body = csv;
        res->body_len = len;
        res->content_type = "text/csv; charset=utf-8";
        res->status = 200;
        return 200;
    }
    json_t *meta = json_pack("{s:I, s:i}", "total", (json_int_t)total, "limit", (int)p.limit);
    if (p.facet_count)
        json_object_set(meta, "facets", facets);
    json_decref(facets);
    json_t *links = json_pack("{s:s, s:s?}", "self", self, "next", next_cursor ? next : NULL);
    json_t *body = json_pack("{s:o, s:o, s:o}", "data", data, "meta", meta, "links", links);
    return response_json_value(req, res, 200, body);
}

int collection_ics(const struct collection *c, struct request *req, struct response *res,
                   enum ics_kind kind, const char *calendar_name) {
    struct parsed p;
    int status = parse_list(c, req, res, &p, 1);
    res->depends = c->depends;
    if (status != 0) {
        parsed_free(&p);
        return status;
    }
    /* the whole filtered set, read in keyset batches (as NDJSON is) but kept, so that the feed
     * gets an ETag and the response cache: calendar clients poll it */
    struct format_buf buf = {0};
    struct db_error err = {0};
    int rc = format_ics_begin(&buf, calendar_name);
    for (int more = 1; rc == 0 && more;) {
        struct db_page page;
        if (db_read_page(req->db, &p.q, STREAM_BATCH, &page, &err) != 0) {
            rc = -1;
            break;
        }
        json_t *items = render_items(req->db, c, page.ids, page.count, ~0UL);
        size_t i;
        json_t *item;
        rc = items ? 0 : -1;
        json_array_foreach(items, i, item) {
            if (format_ics_event(&buf, item, kind) < 0) {
                rc = -1;
                break;
            }
        }
        json_decref(items);
        more = page.more;
        keyset_advance(&p, &page);
        db_page_free(&page);
    }
    if (rc == 0)
        rc = format_ics_end(&buf);
    parsed_free(&p);
    size_t len = 0;
    char *body = rc == 0 ? format_buf_take(&buf, &len) : NULL;
    format_buf_free(&buf);
    if (body == NULL) {
        if (err.code)
            fprintf(stderr, "plenary: %s.ics: %s\n", c->path, err.message);
        return response_problem(res, PROBLEM_INTERNAL, "the calendar could not be rendered");
    }
    res->body = body;
    res->body_len = len;
    res->content_type = "text/calendar; charset=utf-8";
    res->status = 200;
    return 200;
}

int collection_item(const struct collection *c, struct request *req, struct response *res) {
    static const char *const allowed[] = {"fields", NULL};
    res->depends = c->depends;
    int status = request_check_params(req, res, allowed);
    enum format format;
    if (status != 0 || (status = negotiate(req, res, 1, &format)) != 0)
        return status;
    unsigned long mask;
    int has;
    const char *fields = request_param(req, "fields");
    if (fields && !format_utf8_valid(fields))
        return problem_parameter(&res->problem, "fields", "fields must be UTF-8 text");
    if ((status = parse_fields(c, res, fields, &mask, &has)) != 0)
        return status;
    int64_t id = 0;
    const char *ref = req->path_arg ? req->path_arg : "";
    int found = format_utf8_valid(ref) ? db_read_resolve(req->db, c->type, ref, &id) : 0;
    if (found < 0)
        return response_problem(res, PROBLEM_INTERNAL, "the record could not be read");
    if (found == 0)
        return response_problem(res, PROBLEM_NOT_FOUND, "no %s '%s' at %s", type_name(c->type), ref,
                                c->path);
    if (text_render && !has && request_pretty(req, res) == 0) {
        struct format_buf item = {0};
        struct format_buf body = {0};
        if (render_text(req->db, c, &id, 1, "", "", &item) != 0)
            return response_problem(res, PROBLEM_INTERNAL, "the record could not be read");
        int rc = item.len == 0 ? 1 /* deleted since resolved */
                 : format_append(&body, "{\"data\":", 8) != 0 ||
                         format_append(&body, item.data, item.len) != 0 ||
                         format_append(&body, "}", 1) != 0
                     ? -1
                     : 0;
        format_buf_free(&item);
        if (rc != 0) {
            format_buf_free(&body);
            return rc > 0 ? response_problem(res, PROBLEM_NOT_FOUND, "no %s '%s'",
                                             type_name(c->type), ref)
                          : response_problem(res, PROBLEM_INTERNAL, "out of memory");
        }
        return response_json(res, 200, body.data, body.len);
    }
    json_t *items = render_items(req->db, c, &id, 1, mask);
    if (items == NULL)
        return response_problem(res, PROBLEM_INTERNAL, "the record could not be read");
    json_t *item = json_array_get(items, 0);
    if (item == NULL) {
        json_decref(items);
        return response_problem(res, PROBLEM_NOT_FOUND, "no %s '%s'", type_name(c->type), ref);
    }
    json_t *body = json_pack("{s:O}", "data", item);
    json_decref(items);
    return response_json_value(req, res, 200, body);
}
