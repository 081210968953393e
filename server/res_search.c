/* res_search.c: GET /v1/search — full-text search across every type of the record.
 * Validates q, type, limit and cursor; turns q into an FTS5 expression in which every term
 * is a quoted phrase (so no input is FTS5 syntax) and the last term a prefix (type-ahead);
 * shapes the hits, with their snippets HTML-escaped around <mark>, into a collection
 * envelope. The SQL is in db_search.c. */
#include "db_search.h"
#include "format.h"
#include "resources.h"

#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest q accepted, in bytes: a search box query, not a document. Longer answers 400. */
#define SEARCH_MAX_Q 256
/* Most terms one q may hold; every term is one FTS5 phrase. */
#define SEARCH_MAX_TERMS DB_SEARCH_MAX_PHRASES
/* Default page of search hits: a type-ahead list is short. */
#define SEARCH_DEFAULT_LIMIT 20

/* The types, in enum record_type order, as `type=` and the hits name them. */
static const char *const type_names[RECORD_TYPE_COUNT] = {
    [RECORD_ASSEMBLY] = "assembly",         [RECORD_TOPIC] = "topic",
    [RECORD_ORGANIZATION] = "organization", [RECORD_PERSON] = "person",
    [RECORD_DOCUMENT] = "document",         [RECORD_SESSION] = "session",
    [RECORD_INTERVENTION] = "intervention", [RECORD_SIDE_EVENT] = "side_event",
};
#define ALL_TYPES ((1u << RECORD_TYPE_COUNT) - 1u)
#define TYPE_LIST                                                                                  \
    "assembly, session, intervention, organization, person, side_event, document, topic"

/* The cursor's hash binds an offset to one match expression and type set: a SipHash of the
 * expression, the mask (two bytes, little-endian), three zero bytes and the offset (eight
 * bytes, little-endian). The key is a constant: the hash is there to reject cursors of another
 * query, or edited or typed by hand, not to keep secrets (an offset reveals nothing). */
static uint64_t cursor_hash(const char *match, unsigned mask, int64_t offset) {
    static const unsigned char key[crypto_shorthash_KEYBYTES] = "plenary-search-1";
    size_t n = strlen(match);
    unsigned char *msg = malloc(n + 13);
    if (msg == NULL)
        return 0;
    memcpy(msg, match, n);
    msg[n] = (unsigned char)(mask & 0xFF);
    msg[n + 1] = (unsigned char)(mask >> 8 & 0xFF);
    msg[n + 2] = msg[n + 3] = msg[n + 4] = 0;
    for (int i = 0; i < 8; i++)
        msg[n + 5 + i] = (unsigned char)((uint64_t)offset >> (8 * i) & 0xFF);
    unsigned char out[crypto_shorthash_BYTES];
    crypto_shorthash(out, msg, n + 13, key);
    free(msg);
    uint64_t h = 0;
    for (size_t i = 0; i < sizeof out; i++)
        h = h << 8 | out[i];
    return h;
}

/* Cursor text: "o<offset>h<16 hex digits>", the hash cursor_hash's. */
static void cursor_make(char *buf, size_t size, const char *match, unsigned mask,
                        int64_t offset) {
    snprintf(buf, size, "o%" PRId64 "h%016" PRIx64, offset, cursor_hash(match, mask, offset));
}

/* No search ranks more hits than every type's candidates, so links.next never carries an
 * offset at or past this: a cursor that does was not made by this server (and would make
 * it rank every candidate to show nothing). */
#define SEARCH_MAX_OFFSET ((int64_t)RECORD_TYPE_COUNT * DB_SEARCH_MAX_CANDIDATES)

/* Parses a cursor made by cursor_make for the same expression and types. Returns 0 with
 * *offset, or -1. */
static int cursor_parse(const char *s, const char *match, unsigned mask, int64_t *offset) {
    if (s[0] != 'o' || !isdigit((unsigned char)s[1]))
        return -1;
    int64_t v = 0;
    const char *p = s + 1;
    for (; isdigit((unsigned char)*p); p++) {
        if (v > (INT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (*p - '0');
    }
    char want[64];
    cursor_make(want, sizeof want, match, mask, v);
    if (strcmp(s, want) != 0) /* also rejects leading zeros and any trailing byte */
        return -1;
    if (v >= SEARCH_MAX_OFFSET)
        return -1;
    *offset = v;
    return 0;
}

/* Appends s percent-encoded (RFC 3986 unreserved kept) to the dynamic string. */
static int url_append(char **buf, size_t *len, size_t *cap, const char *s, int encode) {
    static const char hex[] = "0123456789ABCDEF";
    size_t need = strlen(s) * 3 + 1;
    if (*len + need > *cap) {
        size_t ncap = (*len + need) * 2;
        char *grown = realloc(*buf, ncap);
        if (grown == NULL)
            return -1;
        *buf = grown;
        *cap = ncap;
    }
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (!encode || isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            (*buf)[(*len)++] = (char)*p;
        } else {
            (*buf)[(*len)++] = '%';
            (*buf)[(*len)++] = hex[*p >> 4];
            (*buf)[(*len)++] = hex[*p & 15];
        }
    }
    (*buf)[*len] = '\0';
    return 0;
}

/* "/v1/search?q=..&type=..&limit=..[&cursor=..][&pretty]" (malloc'd), or NULL. */
static char *search_link(const struct request *req, const char *q, const char *type, size_t limit,
                         const char *cursor) {
    char *buf = NULL;
    size_t len = 0, cap = 0;
    char num[32];
    snprintf(num, sizeof num, "%zu", limit);
    const char *pretty = request_param(req, "pretty");
    if (url_append(&buf, &len, &cap, "/v1/search?q=", 0) != 0 ||
        url_append(&buf, &len, &cap, q, 1) != 0)
        goto fail;
    if (type != NULL && (url_append(&buf, &len, &cap, "&type=", 0) != 0 ||
                         url_append(&buf, &len, &cap, type, 1) != 0))
        goto fail;
    if (url_append(&buf, &len, &cap, "&limit=", 0) != 0 ||
        url_append(&buf, &len, &cap, num, 0) != 0)
        goto fail;
    if (cursor != NULL && (url_append(&buf, &len, &cap, "&cursor=", 0) != 0 ||
                           url_append(&buf, &len, &cap, cursor, 1) != 0))
        goto fail;
    if (pretty != NULL && (url_append(&buf, &len, &cap, *pretty ? "&pretty=" : "&pretty", 0) != 0 ||
                           url_append(&buf, &len, &cap, pretty, 1) != 0))
        goto fail;
    return buf;
fail:
    free(buf);
    return NULL;
}

/* The snippet as an HTML fragment: record text escaped (& < > " '), the match markers of
 * db_search.h turned into balanced <mark> and </mark>. Returns a malloc'd string or NULL. */
static char *snippet_html(const char *raw) {
    size_t n = strlen(raw);
    char *out = malloc(n * 7 + 8); /* the longest expansion is "</mark>" for one byte */
    if (out == NULL)
        return NULL;
    size_t o = 0;
    int open = 0;
    for (const char *p = raw; *p; p++) {
        const char *rep = NULL;
        switch (*p) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        case DB_SEARCH_OPEN:
            rep = open ? "" : "<mark>";
            open = 1;
            break;
        case DB_SEARCH_CLOSE:
            rep = open ? "</mark>" : "";
            open = 0;
            break;
        default:
            break;
        }
        if (rep == NULL) {
            out[o++] = *p;
        } else {
            size_t r = strlen(rep);
            memcpy(out + o, rep, r);
            o += r;
        }
    }
    if (open) {
        memcpy(out + o, "</mark>", 7);
        o += 7;
    }
    out[o] = '\0';
    return out;
}

/* Appends a member `,"name":"text"`, the text as a JSON string, or "" when it is not valid
 * UTF-8 (a record text never fails the answer; jansson refused such text the same way).
 * Returns 0 or -1. */
static int member_text(struct format_buf *b, const char *member, const char *text) {
    if (format_append(b, member, strlen(member)) != 0)
        return -1;
    int rc = format_append_json_utf8(b, text ? text : "");
    return rc == 1 ? format_append(b, "\"\"", 2) : rc;
}

/* Appends one hit as {"type", "ref": {id, slug?, name, kind?, honorific?}, "snippet"}, in
 * the bytes jansson's compact dump gave it. Returns 0 or -1. */
static int hit_text(struct format_buf *b, const struct db_search_hit *h) {
    char *snippet = snippet_html(h->snippet ? h->snippet : "");
    int rc = snippet == NULL || format_append(b, "{\"type\":\"", 9) != 0 ||
             format_append(b, type_names[h->type], strlen(type_names[h->type])) != 0 ||
             format_append(b, "\",\"ref\":{\"id\":", 14) != 0 || format_append_int(b, h->id) != 0;
    if (!rc && h->type != RECORD_INTERVENTION)
        rc = member_text(b, ",\"slug\":", h->slug);
    if (!rc)
        rc = member_text(b, ",\"name\":", h->name);
    if (!rc &&
        (h->type == RECORD_ORGANIZATION || h->type == RECORD_SESSION || h->type == RECORD_DOCUMENT))
        rc = member_text(b, ",\"kind\":", h->kind);
    if (!rc && h->type == RECORD_PERSON)
        rc = h->honorific ? member_text(b, ",\"honorific\":", h->honorific)
                          : format_append(b, ",\"honorific\":null", 17);
    if (!rc)
        rc = format_append(b, "}", 1) || member_text(b, ",\"snippet\":", snippet) ||
             format_append(b, "}", 1);
    free(snippet);
    return rc ? -1 : 0;
}

/* The answer to a search as compact JSON: {"data": [hits], "meta": {total,
 * total_is_lower_bound?, limit}, "links": {self, next}}. Written as text, not built as
 * jansson values and dumped: that was a third of the instructions of a search. Returns a
 * malloc'd text with its length in *len, or NULL when out of memory. */
static char *answer_text(const struct db_search_hit *hits, size_t shown, int64_t total,
                         int lower_bound, size_t limit, const char *self, const char *next,
                         size_t *len) {
    struct format_buf b = {0};
    int rc = format_append(&b, "{\"data\":[", 9);
    size_t written = 0;
    for (size_t i = 0; rc == 0 && i < shown; i++) {
        if (hits[i].name == NULL)
            continue; /* deleted between the ranking and the read */
        if (written++ > 0)
            rc = format_append(&b, ",", 1);
        if (rc == 0)
            rc = hit_text(&b, &hits[i]);
    }
    char meta[128];
    snprintf(meta, sizeof meta, "],\"meta\":{\"total\":%" PRId64 "%s,\"limit\":%zu},\"links\":{",
             total, lower_bound ? ",\"total_is_lower_bound\":true" : "", limit);
    if (rc == 0)
        rc = format_append(&b, meta, strlen(meta)) || member_text(&b, "\"self\":", self) ||
             (next ? member_text(&b, ",\"next\":", next)
                   : format_append(&b, ",\"next\":null", 12)) ||
             format_append(&b, "}}", 2);
    if (rc != 0) {
        format_buf_free(&b);
        return NULL;
    }
    return format_buf_take(&b, len);
}

/* Reads `type`: a comma list of type names into a mask. Returns 0, or the problem's status. */
static int parse_types(const char *value, struct response *res, unsigned *mask) {
    *mask = 0;
    const char *rest = value, *p;
    size_t n;
    while (param_list_next(&rest, &p, &n)) {
        int found = -1;
        for (int t = 0; t < RECORD_TYPE_COUNT; t++)
            if (strlen(type_names[t]) == n && strncmp(type_names[t], p, n) == 0)
                found = t;
        if (found < 0)
            return problem_parameter(&res->problem, "type",
                                     "type must be a comma-separated list of: " TYPE_LIST);
        *mask |= 1u << found;
    }
    return 0;
}

/* Reads `limit`: digits only, 1 to MAX_LIMIT. Returns 0, or the problem's status. */
static int parse_limit(const char *value, struct response *res, size_t *limit) {
    *limit = SEARCH_DEFAULT_LIMIT;
    if (value == NULL)
        return 0;
    size_t v = 0;
    size_t digits = strlen(value);
    int ok = digits >= 1 && digits <= 3;
    for (const char *p = value; ok && *p; p++) {
        ok = isdigit((unsigned char)*p);
        v = v * 10 + (size_t)(*p - '0');
    }
    if (!ok || v < 1 || v > MAX_LIMIT)
        return problem_parameter(&res->problem, "limit", "limit must be an integer from 1 to %d",
                                 MAX_LIMIT);
    *limit = v;
    return 0;
}

int res_search(struct request *req, struct response *res) {
    static const char *const allowed[] = {"q", "type", "limit", "cursor", NULL};
    int status = request_check_params(req, res, allowed);
    if (status != 0)
        return status;
    if (request_pretty(req, res) < 0)
        return problem_status(res->problem.kind);

    const char *q = request_param(req, "q");
    const char *type = request_param(req, "type");
    const char *cursor = request_param(req, "cursor");
    if (q == NULL)
        return problem_parameter(&res->problem, "q", "q is required: the text to search for");
    size_t qlen = strlen(q);
    size_t blank = 0;
    while (blank < qlen && format_is_space(q[blank]))
        blank++;
    if (blank == qlen)
        return problem_parameter(&res->problem, "q",
                                 "q must not be blank: give the text to "
                                 "search for");
    if (qlen > SEARCH_MAX_Q)
        return problem_parameter(&res->problem, "q", "q must be at most %d bytes", SEARCH_MAX_Q);
    if (!format_utf8_valid(q))
        return problem_parameter(&res->problem, "q", "q must be UTF-8 text");
    char match[SEARCH_MAX_Q * 2 + SEARCH_MAX_TERMS * 4 + 8];
    struct db_search_query query;
    int terms = db_search_build_query(q, match, sizeof match, &query);
    if (terms < 0)
        return problem_parameter(&res->problem, "q", "q may hold at most %d words",
                                 SEARCH_MAX_TERMS);
    if (terms == 0)
        return problem_parameter(&res->problem, "q", "q must contain a word: a letter or a digit");

    unsigned mask = ALL_TYPES;
    if (type != NULL && (status = parse_types(type, res, &mask)) != 0)
        return status;
    query.type_mask = mask;
    size_t limit;
    if ((status = parse_limit(request_param(req, "limit"), res, &limit)) != 0)
        return status;
    int64_t offset = 0;
    if (cursor != NULL && cursor_parse(cursor, match, mask, &offset) != 0)
        return problem_parameter(&res->problem, "cursor",
                                 "cursor is not one this search gave: take it from links.next "
                                 "of the same q and type");

    /* one hit more than the page tells whether a next page exists */
    struct db_search_hit *hits = calloc(limit + 1, sizeof *hits);
    if (hits == NULL)
        return response_problem(res, PROBLEM_INTERNAL, "out of memory");
    size_t count = 0;
    struct db_error err = {0};
    char *self = NULL, *next = NULL, *body = NULL;
    size_t body_len = 0;
    int64_t total = 0;
    if (db_search_run(req->db, &query, limit + 1, offset, hits, &count, &total, &err) != 0) {
        fprintf(stderr, "plenary: search: %s\n", err.message);
        free(hits);
        return response_problem(res, PROBLEM_INTERNAL, "the search could not be run");
    }
    int more = count > limit;
    /* past the cap the count stopped: report the cap, flagged as a lower bound (the flag is
     * present only then, so an exact total reads as before) */
    int lower_bound = total > DB_SEARCH_COUNT_CAP;
    if (lower_bound)
        total = DB_SEARCH_COUNT_CAP;
    size_t shown = more ? limit : count;

    self = search_link(req, q, type, limit, cursor);
    if (self == NULL)
        goto oom;
    if (more) {
        char c[64];
        cursor_make(c, sizeof c, match, mask, offset + (int64_t)limit);
        next = search_link(req, q, type, limit, c);
        if (next == NULL)
            goto oom;
    }
    body = answer_text(hits, shown, total, lower_bound, limit, self, next, &body_len);
    if (body == NULL)
        goto oom;
    if (next != NULL) {
        size_t n = strlen(next) + 16;
        char *link = malloc(n);
        if (link == NULL)
            goto oom;
        snprintf(link, n, "<%s>; rel=\"next\"", next);
        int added = response_header_add(res, "Link", link);
        free(link);
        if (added != 0)
            goto oom;
    }
    db_search_hits_free(hits, count);
    free(hits);
    free(self);
    free(next);
    /* an intervention's text and label carry its speaker's, organization's and session's */
    if (mask & 1u << RECORD_INTERVENTION)
        mask |= 1u << RECORD_PERSON | 1u << RECORD_ORGANIZATION | 1u << RECORD_SESSION;
    res->depends = mask;
    if (request_pretty(req, res) == 0)
        return response_json(res, 200, body, body_len);
    /* pretty (a person at a terminal): the same document, indented by jansson */
    json_t *doc = json_loadb(body, body_len, 0, NULL);
    free(body);
    if (doc == NULL)
        return response_problem(res, PROBLEM_INTERNAL, "the answer could not be rendered");
    return response_json_value(req, res, 200, doc);
oom:
    db_search_hits_free(hits, count);
    free(hits);
    free(self);
    free(next);
    free(body);
    return response_problem(res, PROBLEM_INTERNAL, "out of memory");
}
