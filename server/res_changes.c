/* res_changes.c: the change feed — /v1/changes (a page of what changed after a revision,
 * deletions included, optionally held open as a long poll) and /v1/changes/stream (the same
 * as Server-Sent Events, resumable with Last-Event-ID, with a heartbeat comment). */
#include "changes.h"
#include "limits.h"
#include "record.h"
#include "resources.h"
#include "revision.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Seconds between two heartbeat comments of an idle event stream. */
#define STREAM_HEARTBEAT_S 15
/* Changes one read of an event stream fetches at most. */
#define STREAM_BATCH 200

/* What a feed request asks for, validated. */
struct feed_query {
    int64_t since;         /* changes after this revision */
    char types_json[256];  /* JSON array of type names, or "" for all */
    int64_t after_seq;     /* keyset from the cursor: log rows after this */
    long limit;            /* page size */
    long wait_s;           /* long-poll seconds, 0 for none */
};

static int parse_integer(const char *text, long long min, long long max, long long *out) {
    if (text == NULL || *text == '\0')
        return -1;
    for (const char *c = text; *c; c++)
        if (*c < '0' || *c > '9')
            return -1;
    errno = 0;
    long long value = strtoll(text, NULL, 10);
    if (errno != 0 || value < min || value > max)
        return -1;
    *out = value;
    return 0;
}

/* The cursor binds a position in the log to the query it came from, with a hash of its own:
 * a dashboard keeps its cursor across a server upgrade, so the function must never change
 * (cache_hash, which ETags use, may). A 64-bit multiply-xorshift over 8-byte words. */
static uint32_t cursor_check(const struct feed_query *q, int64_t seq) {
    char text[400];
    int n = snprintf(text, sizeof text, "%" PRId64 "|%s|%" PRId64, q->since, q->types_json, seq);
    /* (since and seq take 20 digits at most, types_json 255 bytes: the text always fits) */
    const unsigned char *p = (const unsigned char *)text;
    size_t len = n < 0 ? 0 : (size_t)n < sizeof text ? (size_t)n : sizeof text - 1;
    uint64_t h = 1469598103934665603ULL;
    for (; len >= 8; p += 8, len -= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        h ^= word;
        h *= 1099511628211ULL;
        h ^= h >> 29;
    }
    while (len--) {
        h ^= *p++;
        h *= 1099511628211ULL;
    }
    h ^= h >> 32;
    return (uint32_t)h;
}

static int parse_types(const char *value, char *json, size_t size, struct response *res) {
    size_t used = 0;
    json[used++] = '[';
    const char *p = value;
    int count = 0;
    while (*p) {
        size_t len = strcspn(p, ",");
        char name[32];
        if (len == 0 || len >= sizeof name)
            goto bad;
        memcpy(name, p, len);
        name[len] = '\0';
        enum record_type type;
        if (record_type_parse(name, &type) != 0)
            goto bad;
        int n = snprintf(json + used, size - used, "%s\"%s\"", count ? "," : "", name);
        if (n < 0 || (size_t)n >= size - used)
            goto bad;
        used += (size_t)n;
        count++;
        p += len;
        if (*p == ',')
            p++;
    }
    if (count == 0 || used + 2 > size)
        goto bad;
    json[used++] = ']';
    json[used] = '\0';
    return 0;
bad:
    return problem_parameter(&res->problem, "type",
                             "type is a comma-separated list of: assembly, session, "
                             "intervention, organization, person, side_event, document, topic");
}

static int parse_feed(const struct request *req, struct response *res, struct feed_query *q,
                      int stream) {
    static const char *const list_params[] = {"since", "type", "limit", "cursor", "wait", NULL};
    static const char *const stream_params[] = {"since", "type", NULL};
    if (request_check_params(req, res, stream ? stream_params : list_params) != 0)
        return -1;
    memset(q, 0, sizeof *q);
    q->limit = DEFAULT_LIMIT;
    long long n;
    const char *v;
    if ((v = request_param(req, "since")) != NULL) {
        if (parse_integer(v, 0, INT64_MAX, &n) != 0) {
            problem_parameter(&res->problem, "since", "since must be a revision: an integer >= 0");
            return -1;
        }
        q->since = n;
    }
    if ((v = request_param(req, "type")) != NULL &&
        parse_types(v, q->types_json, sizeof q->types_json, res) != 0)
        return -1;
    if ((v = request_param(req, "limit")) != NULL) {
        if (parse_integer(v, 1, MAX_LIMIT, &n) != 0) {
            problem_parameter(&res->problem, "limit", "limit must be an integer from 1 to %d",
                              MAX_LIMIT);
            return -1;
        }
        q->limit = (long)n;
    }
    if ((v = request_param(req, "wait")) != NULL) {
        if (parse_integer(v, 0, MAX_WAIT_S, &n) != 0) {
            problem_parameter(&res->problem, "wait", "wait must be seconds from 0 to %d",
                              MAX_WAIT_S);
            return -1;
        }
        q->wait_s = (long)n;
    }
    if ((v = request_param(req, "cursor")) != NULL) {
        unsigned long long seq = 0;
        unsigned check = 0;
        char tail;
        if (sscanf(v, "%llx.%8x%c", &seq, &check, &tail) != 2 ||
            check != cursor_check(q, (int64_t)seq) || seq > INT64_MAX) {
            problem_parameter(&res->problem, "cursor",
                              "cursor is not one this query gave: take it from links.next");
            return -1;
        }
        q->after_seq = (int64_t)seq;
    }
    return 0;
}

static json_t *change_json(const struct change_row *row) {
    json_t *ref = json_pack("{s:I}", "id", (json_int_t)row->id);
    if (row->has_slug)
        json_object_set_new(ref, "slug", json_string(row->slug));
    json_object_set_new(ref, "name", row->name[0] ? json_string(row->name) : json_null());
    const char *type = row->type < RECORD_TYPE_COUNT ? record_type_info(row->type)->name : "";
    return json_pack("{s:I, s:s, s:s, s:s, s:o}", "revision", (json_int_t)row->revision, "at",
                     row->at, "op", row->op, "type", type, "ref", ref);
}

/* Collects a page: the rows and the sequence number of the last. */
struct page {
    json_t *data;     /* array of change objects */
    size_t count;     /* rows taken */
    size_t limit;     /* rows wanted (one more is read to know if a next page exists) */
    int64_t last_seq; /* seq of the last row taken */
    int more;         /* 1 when a row past the limit exists */
};

static int collect_row(void *ctx, const struct change_row *row) {
    struct page *p = ctx;
    if (p->count == p->limit) {
        p->more = 1;
        return 1;
    }
    json_array_append_new(p->data, change_json(row));
    p->count++;
    p->last_seq = row->seq;
    return 0;
}

int res_changes(struct request *req, struct response *res) {
    struct feed_query q;
    if (parse_feed(req, res, &q, 0) != 0)
        return problem_status(res->problem.kind);
    const char *types = q.types_json[0] ? q.types_json : NULL;
    struct page page = {.data = json_array(), .limit = (size_t)q.limit};
    if (db_changes_page(req->db, q.since, types, q.after_seq, page.limit + 1, collect_row,
                        &page) != 0) {
        json_decref(page.data);
        return response_problem(res, PROBLEM_UNAVAILABLE, "the change log cannot be read");
    }
    if (page.count == 0 && q.wait_s > 0 && !req->resumed) {
        /* nothing yet: the HTTP layer holds the request and runs this handler again */
        json_decref(page.data);
        res->wait_since = q.since;
        res->wait_ms = q.wait_s * 1000;
        return 0;
    }
    int64_t total = db_changes_count(req->db, q.since, types);
    char next[600] = "";
    if (page.more) {
        char query[400];
        snprintf(query, sizeof query, "since=%" PRId64 "%s%s&limit=%ld", q.since,
                 types ? "&type=" : "", types ? request_param(req, "type") : "", q.limit);
        snprintf(next, sizeof next, "/v1/changes?%s&cursor=%" PRIx64 ".%08x", query,
                 page.last_seq, cursor_check(&q, page.last_seq));
        char link[700];
        snprintf(link, sizeof link, "<%s>; rel=\"next\"", next);
        response_header_add(res, "Link", link);
    }
    json_t *body = json_pack("{s:o, s:{s:I, s:i}, s:{s:s, s:o}}", "data", page.data, "meta",
                             "total", (json_int_t)total, "limit", (int)q.limit, "links", "self",
                             req->target ? req->target : "/v1/changes", "next",
                             next[0] ? json_string(next) : json_null());
    res->uncacheable = 1;
    return response_json_value(req, res, 200, body);
}

/* ---------------------------------------------------------------- the event stream */

struct stream {
    int64_t since;          /* changes after this revision */
    char types_json[256];   /* type filter, or "" */
    int64_t after_seq;      /* log rows already sent */
    int64_t seen_revision;  /* the revision when the last fetch began */
    char *buf;              /* events rendered, not yet sent (malloc'd) */
    size_t len, off, cap;   /* bytes in buf, bytes sent, bytes allocated */
    time_t last_write;      /* when bytes were last handed out */
    int failed;             /* 1 after an allocation failure */
};

static void stream_append(struct stream *s, const char *text, size_t len) {
    if (s->failed)
        return;
    if (s->len + len > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + len)
            cap *= 2;
        char *grown = realloc(s->buf, cap);
        if (grown == NULL) {
            s->failed = 1;
            return;
        }
        s->buf = grown;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, text, len);
    s->len += len;
}

/* Renders fetched rows as events. A revision's rows share one id, written on its last row
 * only, so a client resuming with Last-Event-ID never skips half a revision. */
struct batch {
    struct stream *s;
    struct change_row rows[STREAM_BATCH]; /* copied: each row is rendered with the next */
    size_t count;
};

static int batch_row(void *ctx, const struct change_row *row) {
    struct batch *b = ctx;
    b->rows[b->count++] = *row;
    return 0;
}

static void render_batch(struct batch *b) {
    struct stream *s = b->s;
    for (size_t i = 0; i < b->count; i++) {
        const struct change_row *row = &b->rows[i];
        json_t *change = change_json(row);
        char *data = json_dumps(change, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(change);
        if (data == NULL) {
            s->failed = 1;
            return;
        }
        char head[64];
        int last_of_revision = i + 1 == b->count || b->rows[i + 1].revision != row->revision;
        int n = last_of_revision
                    ? snprintf(head, sizeof head, "id: %" PRId64 "\nevent: change\ndata: ",
                               row->revision)
                    : snprintf(head, sizeof head, "event: change\ndata: ");
        stream_append(s, head, (size_t)n);
        stream_append(s, data, strlen(data));
        stream_append(s, "\n\n", 2);
        free(data);
        s->after_seq = row->seq;
    }
}

static ssize_t stream_read(void *ctx, struct db *db, uint64_t pos, char *buf, size_t max) {
    (void)pos;
    struct stream *s = ctx;
    if (s->off == s->len) {
        s->off = s->len = 0;
        s->seen_revision = revision_current();
        static _Thread_local struct batch batch;
        batch.s = s;
        batch.count = 0;
        if (db == NULL || db_changes_page(db, s->since, s->types_json[0] ? s->types_json : NULL,
                            s->after_seq, STREAM_BATCH, batch_row, &batch) != 0)
            return STREAM_ERROR;
        render_batch(&batch);
        if (s->failed)
            return STREAM_ERROR;
        if (s->len == 0) {
            time_t now = time(NULL);
            if (now - s->last_write < STREAM_HEARTBEAT_S)
                return STREAM_WAIT;
            static const char heartbeat[] = ": heartbeat\n\n";
            stream_append(s, heartbeat, sizeof heartbeat - 1);
        }
    }
    size_t n = s->len - s->off < max ? s->len - s->off : max;
    memcpy(buf, s->buf + s->off, n);
    s->off += n;
    s->last_write = time(NULL);
    return (ssize_t)n;
}

static void stream_wait(void *ctx, int64_t *since, long *ms) {
    struct stream *s = ctx;
    *since = s->seen_revision;
    long left = (long)(s->last_write + STREAM_HEARTBEAT_S - time(NULL));
    *ms = left > 0 ? left * 1000 : 1;
}

static void stream_free(void *ctx) {
    struct stream *s = ctx;
    free(s->buf);
    free(s);
}

int res_changes_stream(struct request *req, struct response *res) {
    struct feed_query q;
    if (parse_feed(req, res, &q, 1) != 0)
        return problem_status(res->problem.kind);
    const char *last = req->header(req, "Last-Event-ID");
    long long resume;
    if (last != NULL) {
        if (parse_integer(last, 0, INT64_MAX, &resume) != 0)
            return response_problem(res, PROBLEM_BAD_REQUEST,
                                    "Last-Event-ID must be a revision this stream sent");
        q.since = resume;
    }
    struct stream *s = calloc(1, sizeof *s);
    if (s == NULL)
        return response_problem(res, PROBLEM_INTERNAL, "out of memory");
    s->since = q.since;
    memcpy(s->types_json, q.types_json, sizeof s->types_json);
    s->last_write = time(NULL);
    /* tell the client how soon to reconnect, and open the stream at once */
    static const char hello[] = "retry: 3000\n: plenary change stream\n\n";
    stream_append(s, hello, sizeof hello - 1);
    res->stream = (struct response_stream){stream_read, stream_free, s, stream_wait};
    res->content_type = "text/event-stream";
    res->uncacheable = 1;
    res->status = 200;
    response_header_add(res, "X-Accel-Buffering", "no");
    return 200;
}
