/* test_collection.c: the read API in-process — every data-driven case of tests/api/ through
 * dispatch() on a database made from the fixtures, a keyset walk over every page, the facts
 * of the record (order of delivery, sessions of the day), the FTS quoting, and EXPLAIN QUERY
 * PLAN of every collection's default query and each filter: an index, never a table scan;
 * that the text render gives the jansson render's bytes; and that the items' render
 * (db_render.c) reads lists through their indexes and writes what SQLite's json_object did. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "scratch.h"

#include "../api/api_case.h"
#include "casefold.h"
#include "collection.h"
#include "db.h"
#include "db_internal.h"
#include "db_read.h"
#include "dispatch.h"
#include "embedded.h"
#include "record.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static struct db *db;
static char db_path[] = "/tmp/plenary-test-collection-XXXXXX";

/* One in-process request: the target decoded into path and parameters. */
struct call {
    char path[4096];
    char store[8192];
    const struct api_case *c;
    struct request req;
    struct response res;
    char *arg;
    char *body;
    size_t len;
};

static const char *case_header(const struct request *req, const char *name) {
    const struct call *call = (const struct call *)((const char *)req - offsetof(struct call, req));
    return call->c ? api_case_header(call->c, name) : NULL;
}

static int hex(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Percent-decodes s[0..n) into out (NUL-terminated); '+' is a space. Returns the length. */
static size_t decode(const char *s, size_t n, char *out) {
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
            out[o++] = (char)(hex(s[i + 1]) * 16 + hex(s[i + 2]));
            i += 2;
            continue;
        }
        out[o++] = s[i] == '+' ? ' ' : s[i];
    }
    out[o] = '\0';
    return o;
}

/* 1: run() leaves a streamed body unread, for the test to read (stream_reader_takes_db) */
static int run_keeps_stream;

/* Runs target through dispatch; fills call->body/len and the response. */
static void run(struct call *call, const char *target, const struct api_case *c) {
    memset(call, 0, sizeof *call);
    call->c = c;
    const char *q = strchr(target, '?');
    size_t plen = q ? (size_t)(q - target) : strlen(target);
    decode(target, plen, call->path);
    struct request *req = &call->req;
    req->method = METHOD_GET;
    req->path = call->path;
    req->target = target;
    req->db = db;
    req->header = case_header;
    size_t used = 0;
    while (q && *q && req->param_count < MAX_PARAMS) {
        q++;
        const char *end = strchr(q, '&');
        size_t len = end ? (size_t)(end - q) : strlen(q);
        const char *eq = memchr(q, '=', len);
        size_t nlen = eq ? (size_t)(eq - q) : len;
        char *name = call->store + used;
        used += decode(q, nlen, name) + 1;
        char *value = call->store + used;
        used += (eq ? decode(eq + 1, len - nlen - 1, value) : (value[0] = '\0', 0)) + 1;
        req->params[req->param_count++] = (struct param){name, value};
        q = end;
    }
    dispatch(req, &call->res, &call->arg);
    struct response *res = &call->res;
    if (res->problem.kind != PROBLEM_NONE) {
        res->status = problem_status(res->problem.kind);
        call->body = problem_render(&res->problem, req->path, &call->len);
        res->content_type = "application/problem+json";
    } else if (res->stream.read && !run_keeps_stream) {
        size_t cap = 1 << 16;
        call->body = malloc(cap);
        ssize_t n;
        while ((n = res->stream.read(res->stream.ctx, req->db, call->len, call->body + call->len,
                                     cap - call->len - 1)) > 0) {
            call->len += (size_t)n;
            if (cap - call->len < 4096)
                call->body = realloc(call->body, cap *= 2);
        }
        assert_int_equal(n, STREAM_END);
        call->body[call->len] = '\0';
    } else {
        call->body = res->body;
        call->len = res->body_len;
        res->body = NULL;
    }
}

static void call_free(struct call *call) {
    free(call->body);
    free(call->arg);
    response_release(&call->res);
}

static const char *link_header(const struct response *res) {
    for (size_t i = 0; i < res->header_count; i++)
        if (strcasecmp(res->headers[i].name, "Link") == 0)
            return res->headers[i].value;
    return NULL;
}

static json_t *get_json(const char *target, int status) {
    struct call call;
    run(&call, target, NULL);
    assert_int_equal(call.res.status, status);
    json_t *doc = json_loadb(call.body, call.len, 0, NULL);
    assert_non_null(doc);
    call_free(&call);
    return doc;
}

static int setup(void **state) {
    (void)state;
    db_global_init();
    if (scratch_file(db_path) != 0)
        return -1;
    struct db_error err = {0};
    db = db_open(db_path, DB_READ_WRITE, &err);
    if (db == NULL || db_migrate(db, &err) != 0)
        return -1;
    struct problem p = {0};
    if (record_import(db, embedded_fixtures[0].data, embedded_fixtures[0].size, NULL, NULL, &p,
                      &err) != 0) {
        fprintf(stderr, "import: %s %s\n", p.detail, err.message);
        return -1;
    }
    return 0;
}

static int teardown(void **state) {
    (void)state;
    db_close(db);
    scratch_db_remove(db_path);
    return 0;
}

static void api_cases(void **state) {
    (void)state;
    struct api_case *cases;
    size_t count;
    assert_int_equal(api_cases_load(api_cases_dir(), &cases, &count), 0);
    assert_true(count > 40);
    int failed = 0;
    for (size_t i = 0; i < count; i++) {
        struct call call;
        run(&call, cases[i].target, &cases[i]);
        char *why = api_case_check(&cases[i], call.res.status, call.res.content_type, call.body,
                                   call.len, link_header(&call.res));
        if (why) {
            fprintf(stderr, "FAIL %s (%s): %s\n", cases[i].name, cases[i].target, why);
            failed++;
            free(why);
        }
        call_free(&call);
    }
    api_cases_free(cases, count);
    assert_int_equal(failed, 0);
}

/* Walks every page of target at its limit: every item exactly once, in order. */
static size_t walk(const char *first, int64_t *seen, size_t max) {
    char target[8192];
    snprintf(target, sizeof target, "%s", first);
    size_t n = 0;
    for (int pages = 0; pages < 100; pages++) {
        json_t *doc = get_json(target, 200);
        json_t *data = json_object_get(doc, "data");
        for (size_t i = 0; i < json_array_size(data) && n < max; i++)
            seen[n++] = json_integer_value(json_object_get(json_array_get(data, i), "id"));
        json_t *next = json_object_get(json_object_get(doc, "links"), "next");
        if (json_is_null(next)) {
            json_decref(doc);
            return n;
        }
        snprintf(target, sizeof target, "%s", json_string_value(next));
        json_decref(doc);
    }
    fail_msg("no last page");
    return n;
}

static void keyset_walks(void **state) {
    (void)state;
    int64_t seen[200];
    size_t n = walk("/v1/interventions?limit=7", seen, 200);
    json_t *fixtures = json_loadb(embedded_fixtures[0].data, embedded_fixtures[0].size, 0, NULL);
    assert_int_equal(n, json_array_size(json_object_get(fixtures, "interventions")));
    json_decref(fixtures);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            assert_true(seen[i] != seen[j]);
    json_t *all = get_json("/v1/interventions?limit=500", 200);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(seen[i], json_integer_value(json_object_get(
                                      json_array_get(json_object_get(all, "data"), i), "id")));
    json_decref(all);
    /* descending, and a text key: every organization exactly once */
    json_t *orgs = get_json("/v1/organizations?limit=1", 200);
    int64_t total = json_integer_value(json_object_get(json_object_get(orgs, "meta"), "total"));
    json_decref(orgs);
    assert_int_equal(walk("/v1/organizations?sort=-name&limit=6", seen, 200), (size_t)total);
    assert_int_equal(walk("/v1/side-events?limit=1", seen, 200), 6);
}

/* The review plenary's interventions come in order of delivery, as the record gives. */
static void record_facts(void **state) {
    (void)state;
    json_t *fixtures = json_loadb(embedded_fixtures[0].data, embedded_fixtures[0].size, 0, NULL);
    json_t *list = json_object_get(fixtures, "interventions");
    const char *slug = "asp20-day3-plenary-review";
    json_t *doc = get_json("/v1/interventions?session=asp20-day3-plenary-review&limit=500", 200);
    json_t *data = json_object_get(doc, "data");
    int64_t want_pos = 1;
    size_t k = 0;
    for (size_t pos = 1; pos < 200; pos++) {
        size_t i;
        json_t *it;
        json_array_foreach(list, i, it) {
            if (strcmp(json_string_value(json_object_get(it, "session")), slug) == 0 &&
                json_integer_value(json_object_get(it, "position")) == (json_int_t)pos) {
                json_t *got = json_array_get(data, k++);
                assert_non_null(got);
                assert_int_equal(json_integer_value(json_object_get(got, "id")),
                                 json_integer_value(json_object_get(it, "id")));
                assert_int_equal(json_integer_value(json_object_get(got, "position")), want_pos++);
                assert_string_equal(
                    json_string_value(json_object_get(json_object_get(got, "session"), "slug")),
                    slug);
            }
        }
    }
    assert_true(k > 0);
    assert_int_equal(k, json_array_size(data));
    json_decref(doc);
    json_decref(fixtures);

    doc = get_json("/v1/sessions?date=2021-12-08", 200);
    data = json_object_get(doc, "data");
    for (size_t i = 1; i < json_array_size(data); i++)
        assert_true(json_integer_value(json_object_get(json_array_get(data, i), "position")) >
                    json_integer_value(json_object_get(json_array_get(data, i - 1), "position")));
    json_decref(doc);
}

static void fts_quoting(void **state) {
    (void)state;
    char out[256];
    assert_int_equal(collection_fts_query("cooperation", out, sizeof out), 0);
    assert_string_equal(out, "\"cooperation\"");
    assert_int_equal(collection_fts_query(" a\"b  NEAR(x*) -y ", out, sizeof out), 0);
    assert_string_equal(out, "\"a\"\"b\" \"NEAR(x*)\" \"-y\"");
    assert_int_equal(collection_fts_query("* ( coop - \"", out, sizeof out), 0);
    assert_string_equal(out, "\"coop\"");
    assert_int_equal(collection_fts_query("caf\xc3\xa9", out, sizeof out), 0);
    assert_int_equal(collection_fts_query("   ", out, sizeof out), -2);
    assert_int_equal(collection_fts_query("", out, sizeof out), -2);
    assert_int_equal(collection_fts_query("* ( - %", out, sizeof out), -2);
    assert_int_equal(collection_fts_query("abcdef", out, 6), -1);
}

/* Is `name` a subquery of the plan (a co-routine or a materialized view), whose rows are
 * the ones it computed, not a table's? */
static int is_subquery(const char *plan, const char *name) {
    char co[600], mat[600];
    snprintf(co, sizeof co, "CO-ROUTINE %s\n", name);
    snprintf(mat, sizeof mat, "MATERIALIZE %s\n", name);
    return strstr(plan, co) != NULL || strstr(plan, mat) != NULL;
}

/* Does a plan scan a table without an index? json_each and FTS are virtual tables; a
 * facet's pre-counted subquery (SCAN g) holds one row per distinct value. */
static void assert_indexed(const char *what, const char *plan) {
    const char *line = plan;
    while (*line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char text[512];
        snprintf(text, sizeof text, "%.*s", (int)len, line);
        if (strncmp(text, "SCAN ", 5) == 0 && strstr(text, "USING") == NULL &&
            strstr(text, "VIRTUAL TABLE") == NULL && strstr(text, "json_each") == NULL &&
            strncmp(text, "SCAN CONSTANT", 13) != 0 &&
            strncmp(text, "SCAN (subquery", 14) != 0 && !is_subquery(plan, text + 5))
            fail_msg("%s: full scan: %s\nplan:\n%s", what, text, plan);
        line = end ? end + 1 : line + len;
    }
}

static void query_plans(void **state) {
    (void)state;
    static const enum record_type types[] = {
        RECORD_ASSEMBLY, RECORD_TOPIC,   RECORD_ORGANIZATION, RECORD_PERSON,
        RECORD_DOCUMENT, RECORD_SESSION, RECORD_INTERVENTION, RECORD_SIDE_EVENT};
    char plan[65536];
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        const struct db_collection *dc = db_read_collection(types[t]);
        for (size_t f = 0; f <= 16; f++) {
            if (f > 0 && f - 1 < DB_READ_MAX_FILTERS && dc->filters[f - 1].name == NULL)
                break;
            struct db_query q = {.coll = dc, .sort = &dc->sorts[0]};
            if (f > 0) {
                const struct db_filter *flt = &dc->filters[f - 1];
                q.filter_mask = 1u << (f - 1);
                q.filter[f - 1].is_text = flt->kind != FILTER_BOOL;
                q.filter[f - 1].text = flt->kind == FILTER_DATE_BOUND ? "2021-12-08"
                                       : flt->kind == FILTER_NAME      ? "Finland"
                                       : flt->kind == FILTER_ENUM      ? "[\"state\"]"
                                       : flt->kind == FILTER_DATE      ? "[\"2021-12-08\"]"
                                       : flt->kind == FILTER_CODE      ? "[\"FI\"]"
                                                                       : "[1]";
                q.filter[f - 1].integer = 1;
            }
            /* a list filter is planned twice: with a list of values, and with one (=); its SQL
             * takes the list once, so that `= ?` replaces all of it */
            enum db_filter_kind kind = f > 0 ? dc->filters[f - 1].kind : FILTER_BOOL;
            int lists = kind != FILTER_BOOL && kind != FILTER_NAME && kind != FILTER_DATE_BOUND;
            if (lists) {
                const char *sql = dc->filters[f - 1].sql, *first = strstr(sql, "json_each(?)");
                assert_non_null(first);
                assert_null(strstr(first + 1, "json_each("));
            }
            /* and a name once more, with a value beyond ASCII: the filter's `wide` term */
            for (int one = 0; one <= (lists || kind == FILTER_NAME); one++) {
                if (one && kind == FILTER_NAME) {
                    q.filter[f - 1].text = "C\xC3\xB4te d\xE2\x80\x99Ivoire";
                } else if (one) {
                    const char *v = q.filter[f - 1].text;
                    q.one_mask = 1u << (f - 1);
                    q.one[f - 1] = v[1] == '"' ? (struct db_value){1, 0, "state"}
                                               : (struct db_value){0, 1, NULL};
                }
                q.after = 0;
                q.in_order = 0;
                assert_int_equal(db_read_explain(db, &q, plan, sizeof plan), 0);
                char what[128];
                snprintf(what, sizeof what, "%s %s%s", dc->table,
                         f ? dc->filters[f - 1].name : "",
                         !one                  ? ""
                         : kind == FILTER_NAME ? " (beyond ASCII)"
                                               : " (one value)");
                assert_indexed(what, plan);
                if (one && kind == FILTER_NAME && strstr(plan, "(name>? AND name<?)") == NULL)
                    fail_msg("%s: the name's index is not searched by range:\n%s", what, plan);
                if (one && strstr(plan, "json_each") != NULL)
                    fail_msg("%s: one value is still a list:\n%s", what, plan);
                /* the next page: the keyset seeks, it does not scan */
                q.after = 1;
                q.after_id = 1;
                for (size_t k = 0; k < q.sort->key_count; k++)
                    q.after_keys[k] = (struct db_value){q.sort->key_is_text[k], 1, "a"};
                assert_int_equal(db_read_explain(db, &q, plan, sizeof plan), 0);
                assert_indexed(what, plan);
                /* and walking the sort's index, for filters that keep many rows */
                q.in_order = 1;
                assert_int_equal(db_read_explain(db, &q, plan, sizeof plan), 0);
                assert_indexed(what, plan);
                if (q.sort->in_order)
                    assert_non_null(strstr(plan, q.sort->in_order));
            }
        }
        struct db_query q = {.coll = dc, .sort = &dc->sorts[0], .match = "\"court\""};
        assert_int_equal(db_read_explain(db, &q, plan, sizeof plan), 0);
        assert_indexed(dc->table, plan);
    }
}

/* Runs target with the text render and with the jansson render: the same status, type and
 * bytes. Returns 0 when they agree. */
static int renders_agree(const char *target) {
    struct call text, values;
    collection_text_render(1);
    run(&text, target, NULL);
    collection_text_render(0);
    run(&values, target, NULL);
    collection_text_render(1);
    int same = text.res.status == values.res.status && text.len == values.len &&
               (text.len == 0 || memcmp(text.body, values.body, text.len) == 0) &&
               strcmp(text.res.content_type ? text.res.content_type : "",
                      values.res.content_type ? values.res.content_type : "") == 0;
    if (!same)
        fprintf(stderr, "DIFF %s:\n  text:   %.300s\n  values: %.300s\n", target,
                text.body ? text.body : "", values.body ? values.body : "");
    call_free(&text);
    call_free(&values);
    return same ? 0 : -1;
}

/* The text render (SQLite's JSON spliced into the envelope) gives the bytes of the jansson
 * render for every collection's default query, its pages, facets, items and NDJSON, every
 * API case, and text that needs escaping (control characters, quotes, non-ASCII). */
static void text_render_is_jansson_render(void **state) {
    (void)state;
    static const char *const paths[] = {"/v1/assemblies",    "/v1/sessions", "/v1/interventions",
                                        "/v1/organizations", "/v1/people",   "/v1/side-events",
                                        "/v1/documents",     "/v1/topics"};
    static const char *const suffixes[] = {
        "", "?limit=1", "?limit=500", "?format=ndjson", "?sort=id&limit=3", "/1", "/2", "/3"};
    int failed = 0;
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        for (size_t k = 0; k < sizeof suffixes / sizeof suffixes[0]; k++) {
            char target[256];
            snprintf(target, sizeof target, "%s%s", paths[i], suffixes[k]);
            failed += renders_agree(target) != 0;
        }
    static const char *const facets[] = {
        "/v1/interventions?facet=session,date,organization,organization_kind,speaker,"
        "on_behalf_of,topic",
        "/v1/sessions?facet=assembly,kind,date,part_of_day,topic",
        "/v1/organizations?facet=kind,country_code,coalition_member,parent",
        "/v1/people?facet=organization",
        "/v1/side-events?facet=assembly,date,host,topic",
        "/v1/documents?facet=assembly,kind,author"};
    for (size_t i = 0; i < sizeof facets / sizeof facets[0]; i++)
        failed += renders_agree(facets[i]) != 0;
    struct api_case *cases;
    size_t count;
    assert_int_equal(api_cases_load(api_cases_dir(), &cases, &count), 0);
    for (size_t i = 0; i < count; i++)
        failed += renders_agree(cases[i].target) != 0;
    api_cases_free(cases, count);

    /* text jansson escapes differently from SQLite (\u001F, not \u001f) or not at all */
    sqlite3 *h = db_handle(db);
    assert_int_equal(sqlite3_exec(h,
                                  "UPDATE organizations SET name = name || char(1, 31, 34, 92, "
                                  "47, 9, 10, 233, 8232, 127) WHERE id IN (SELECT "
                                  "organization_id FROM interventions WHERE id <= 3)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_true(sqlite3_changes(h) > 0);
    static const char *const escaped[] = {"/v1/interventions",
                                          "/v1/interventions?facet=organization,speaker",
                                          "/v1/interventions/1",
                                          "/v1/organizations?limit=500",
                                          "/v1/organizations?format=ndjson",
                                          "/v1/people?facet=organization"};
    for (size_t i = 0; i < sizeof escaped / sizeof escaped[0]; i++)
        failed += renders_agree(escaped[i]) != 0;
    assert_int_equal(sqlite3_exec(h,
                                  "UPDATE organizations SET name = substr(name, 1, length(name) "
                                  "- 10) WHERE id IN (SELECT organization_id FROM interventions "
                                  "WHERE id <= 3)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(failed, 0);
}

/* The render's queries (db_render.c): each list is read for the whole page through its
 * (owner, position) index, in order, with no sort; nothing is scanned. */
static void render_plans(void **state) {
    (void)state;
    char plan[16384];
    for (int t = 0; t < RECORD_TYPE_COUNT; t++) {
        size_t query = 0;
        int rc;
        while ((rc = db_read_render_explain(db, (enum record_type)t, query, plan, sizeof plan)) ==
               1) {
            char what[64];
            snprintf(what, sizeof what, "render type %d query %zu", t, query);
            assert_indexed(what, plan);
            if (strstr(plan, "TEMP B-TREE") != NULL)
                fail_msg("%s sorts:\n%s", what, plan);
            if (query > 0 && strstr(plan, "USING PRIMARY KEY (") == NULL &&
                strstr(plan, "INDEX segments_session_position (") == NULL)
                fail_msg("%s: not by its (owner, position) index:\n%s", what, plan);
            query++;
        }
        assert_int_equal(rc, 0);
        assert_true(query >= 1);
    }
}

/* The texts db_read_render handed over, in call order. */
struct rendered {
    char text[8][16384];
    int64_t id[8];
    size_t count;
};

static int keep_rendered(void *ctx, int64_t id, const char *json, size_t len) {
    struct rendered *r = ctx;
    if (r->count == 8 || len >= sizeof r->text[0])
        return -1;
    memcpy(r->text[r->count], json, len);
    r->text[r->count][len] = '\0';
    r->id[r->count++] = id;
    return 0;
}

/* Renders ids (count of them) of type and checks each item against the oracle's row (its
 * JSON by SQLite's json_object, ?1 the id), in page order, the ids it has no row for left
 * out. Returns the number of items checked. */
static int render_agrees(sqlite3_stmt *oracle, enum record_type type, const int64_t *ids,
                         size_t count) {
    struct rendered r = {0};
    struct db_error err = {0};
    assert_int_equal(db_read_render(db, type, ids, count, keep_rendered, &r, &err), 0);
    size_t at = 0;
    for (size_t i = 0; i < count; i++) {
        sqlite3_bind_int64(oracle, 1, ids[i]);
        if (sqlite3_step(oracle) == SQLITE_ROW) {
            assert_true(at < r.count && r.id[at] == ids[i]);
            assert_string_equal(r.text[at++], (const char *)sqlite3_column_text(oracle, 0));
        }
        sqlite3_reset(oracle);
    }
    assert_int_equal(r.count, at);
    return (int)at;
}

/* db_read_render writes what SQLite's json_object wrote (the render before issue 6, kept
 * here as the oracle) for organizations (a reference, absent or not, a boolean) and people
 * (a list of objects holding references), with names that hold every byte value at every
 * offset within an 8-byte word; and it answers in page order, repeats and misses included. */
static void render_is_sqlite_json(void **state) {
    (void)state;
    static const char *const oracles[] = {
        [RECORD_ORGANIZATION] =
            "SELECT json_object('id', x.id, 'slug', x.slug, 'name', x.name, 'kind', x.kind, "
            "'acronym', x.acronym, 'country_code', x.country_code, 'parent', CASE WHEN o.id IS "
            "NULL THEN NULL ELSE json_object('id', o.id, 'slug', o.slug, 'name', o.name, "
            "'kind', o.kind) END, 'coalition_member', json(iif(x.coalition_member, 'true', "
            "'false')), 'created_at', x.created_at, 'updated_at', x.updated_at) FROM "
            "organizations x LEFT JOIN organizations o ON o.id = x.parent_id WHERE x.id = ?1",
        [RECORD_PERSON] =
            "SELECT json_object('id', x.id, 'slug', x.slug, 'name', x.name, 'honorific', "
            "x.honorific, 'affiliations', json('[' || coalesce((SELECT group_concat(v, ',') "
            "FROM (SELECT json_object('organization', json_object('id', o.id, 'slug', o.slug, "
            "'name', o.name, 'kind', o.kind), 'title', l.title) AS v FROM affiliations l JOIN "
            "organizations o ON o.id = l.organization_id WHERE l.person_id = x.id ORDER BY "
            "l.position)), '') || ']'), 'created_at', x.created_at, 'updated_at', "
            "x.updated_at) FROM people x WHERE x.id = ?1",
    };
    sqlite3 *h = db_handle(db);
    assert_int_equal(sqlite3_exec(h, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    /* name k: k % 8 letters, then every byte from k on (0 too), then UTF-8 and DEL */
    sqlite3_stmt *set;
    assert_int_equal(
        sqlite3_prepare_v2(h, "UPDATE organizations SET name = ?2 WHERE id = ?1", -1, &set, NULL),
        SQLITE_OK);
    for (int k = 1; k <= 64; k++) {
        char name[512];
        size_t n = 0;
        for (int i = 0; i < k % 8 + 1; i++)
            name[n++] = 'a';
        for (int b = 0; b < 128; b++)
            name[n++] = (char)((b + k) % 128);
        memcpy(name + n, "\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80 /\x7f", 15);
        n += 15;
        sqlite3_bind_int(set, 1, k);
        sqlite3_bind_text(set, 2, name, (int)n, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(set), SQLITE_DONE);
        sqlite3_reset(set);
    }
    sqlite3_finalize(set);
    assert_int_equal(sqlite3_exec(h,
                                  "UPDATE organizations SET parent_id = 99999, coalition_member "
                                  "= 1 - coalition_member WHERE id = 4",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    /* each id alone; then pages whose lists are read by owner range (2 is in the range, not
     * in the page) and by ids (a sparse page) */
    static const enum record_type types[] = {RECORD_ORGANIZATION, RECORD_PERSON};
    static const int64_t pages[][4] = {{3, 1, 4}, {20, 1, 2}, {40, 1}, {7, 22, 13, 3}};
    static const size_t page_counts[] = {3, 3, 2, 4};
    int checked = 0;
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        sqlite3_stmt *oracle;
        assert_int_equal(sqlite3_prepare_v2(h, oracles[types[t]], -1, &oracle, NULL), SQLITE_OK);
        for (int64_t id = 1; id <= 80; id++)
            checked += render_agrees(oracle, types[t], &id, 1);
        for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++)
            checked += render_agrees(oracle, types[t], pages[i], page_counts[i]);
        sqlite3_finalize(oracle);
    }
    assert_true(checked > 80);

    /* page order, a repeated id twice, an absent id skipped */
    static const int64_t ids[] = {5, 3, 999999, 3, 1};
    struct rendered r = {0};
    struct db_error err = {0};
    assert_int_equal(db_read_render(db, RECORD_ORGANIZATION, ids, 5, keep_rendered, &r, &err), 0);
    assert_int_equal(r.count, 4);
    assert_true(r.id[0] == 5 && r.id[1] == 3 && r.id[2] == 3 && r.id[3] == 1);
    assert_string_equal(r.text[1], r.text[2]);
    assert_int_equal(db_read_render(db, RECORD_ORGANIZATION, ids, 0, keep_rendered, &r, &err), 0);
    assert_int_equal(sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
}

/* Reads q's page (limit rows) with SQLite's ORDER BY and with C's order, and with SQLite's
 * ORDER BY testing every filter with IN rather than joining it: the same ids, the same
 * `more` and the same last keys. Returns the rows compared. */
static size_t pages_agree(const struct db_query *q, size_t limit) {
    struct db_page by_sql, by_c, by_in;
    struct db_error err = {0};
    db_read_page_order(DB_PAGE_ORDER_SQL);
    assert_int_equal(db_read_page(db, q, limit, &by_sql, &err), 0);
    db_read_filter_joins(0);
    assert_int_equal(db_read_page(db, q, limit, &by_in, &err), 0);
    db_read_filter_joins(1);
    db_read_page_order(DB_PAGE_ORDER_MEMORY);
    assert_int_equal(db_read_page(db, q, limit, &by_c, &err), 0);
    db_read_page_order(DB_PAGE_ORDER_PLAN);
    assert_int_equal(by_sql.count, by_in.count);
    assert_int_equal(by_sql.more, by_in.more);
    for (size_t i = 0; i < by_sql.count; i++)
        assert_int_equal(by_sql.ids[i], by_in.ids[i]);
    db_page_free(&by_in);
    char what[256];
    snprintf(what, sizeof what, "%s sort=%s%s limit=%zu after=%d filters=%#x one=%#x",
             q->coll->table, q->descending ? "-" : "", q->sort->name, limit, q->after,
             q->filter_mask, q->one_mask);
    if (by_sql.count != by_c.count || by_sql.more != by_c.more)
        fail_msg("%s: %zu rows (more %d) by SQL, %zu (more %d) by C", what, by_sql.count,
                 by_sql.more, by_c.count, by_c.more);
    for (size_t i = 0; i < by_sql.count; i++)
        if (by_sql.ids[i] != by_c.ids[i])
            fail_msg("%s: row %zu is %lld by SQL, %lld by C", what, i, (long long)by_sql.ids[i],
                     (long long)by_c.ids[i]);
    if (by_sql.count > 0) {
        assert_int_equal(by_sql.last_id, by_c.last_id);
        for (size_t k = 0; k < q->sort->key_count; k++) {
            assert_int_equal(by_sql.last_keys[k].is_text, by_c.last_keys[k].is_text);
            if (by_sql.last_keys[k].is_text)
                assert_string_equal(by_sql.last_keys[k].text, by_c.last_keys[k].text);
            else
                assert_int_equal(by_sql.last_keys[k].integer, by_c.last_keys[k].integer);
        }
    }
    size_t rows = by_sql.count;
    db_page_free(&by_sql);
    db_page_free(&by_c);
    return rows;
}

/* A page C orders (db_read.c, when SQLite's plan would sort every matching row) is the page
 * SQLite's ORDER BY ... LIMIT gives, and a page that joins a filter the page that tests it
 * with IN: every collection, sort and direction, unfiltered and
 * under each filter (a list of values, and one), first pages and keyset pages, limits from 1
 * to past the end; over names that differ only in case, that tie under NOCASE (the id
 * decides), that hold bytes NOCASE does not fold, and dates that tie. Then that the plan
 * sends the seed record's filtered list, and not the default list, through C. */
static void page_order_in_memory(void **state) {
    (void)state;
    sqlite3 *h = db_handle(db);
    assert_int_equal(sqlite3_exec(h, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    static const char *const names[] = {"alpha", "Alpha", "ALPHA", "alpha b", "Alpha_b", "alpha[",
                                        "\xc3\x89mile", "\xc3\xa9mile", "Emile", "emile", "zeta",
                                        "Zeta", "10", "9", "a", "A", "ALPHA"};
    sqlite3_stmt *set;
    assert_int_equal(
        sqlite3_prepare_v2(h, "UPDATE organizations SET name = ?2 WHERE id = ?1", -1, &set, NULL),
        SQLITE_OK);
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        sqlite3_bind_int64(set, 1, (sqlite3_int64)(3 * k + 1));
        sqlite3_bind_text(set, 2, names[k], -1, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(set), SQLITE_DONE);
        sqlite3_reset(set);
    }
    sqlite3_finalize(set);
    assert_int_equal(sqlite3_exec(h,
                                  "UPDATE side_events SET date = '2021-12-08', title = "
                                  "upper(substr(title, 1, 3)) WHERE id % 2 = 0",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    static const enum record_type types[] = {
        RECORD_ASSEMBLY, RECORD_TOPIC,   RECORD_ORGANIZATION, RECORD_PERSON,
        RECORD_DOCUMENT, RECORD_SESSION, RECORD_INTERVENTION, RECORD_SIDE_EVENT};
    static const size_t limits[] = {1, 2, 7, 500};
    size_t rows = 0, pages = 0;
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        const struct db_collection *dc = db_read_collection(types[t]);
        for (size_t s = 0; dc->sorts[s].name != NULL; s++)
            for (size_t f = 0; f <= DB_READ_MAX_FILTERS; f++) {
                if (f > 0 && dc->filters[f - 1].name == NULL)
                    break;
                struct db_query q = {.coll = dc, .sort = &dc->sorts[s]};
                enum db_filter_kind kind = FILTER_BOOL;
                if (f > 0) {
                    const struct db_filter *flt = &dc->filters[f - 1];
                    kind = flt->kind;
                    q.filter_mask = 1u << (f - 1);
                    q.filter[f - 1].is_text = kind != FILTER_BOOL;
                    q.filter[f - 1].text = kind == FILTER_DATE_BOUND ? "2021-12-08"
                                           : kind == FILTER_NAME     ? "alpha"
                                           : kind == FILTER_ENUM     ? "[\"state\"]"
                                           : kind == FILTER_DATE     ? "[\"2021-12-08\"]"
                                           : kind == FILTER_CODE     ? "[\"FI\"]"
                                                                     : "[1]";
                    q.filter[f - 1].integer = 1;
                }
                int lists = f > 0 && kind != FILTER_BOOL && kind != FILTER_NAME &&
                            kind != FILTER_DATE_BOUND;
                for (int one = 0; one <= lists; one++) {
                    if (one) {
                        const char *v = q.filter[f - 1].text;
                        q.one_mask = 1u << (f - 1);
                        q.one[f - 1] = v[1] == '"' ? (struct db_value){1, 0, v + 2}
                                                   : (struct db_value){0, 1, NULL};
                        if (v[1] == '"') { /* the value without its quotes and bracket */
                            static char unquoted[64];
                            snprintf(unquoted, sizeof unquoted, "%.*s", (int)strlen(v) - 4,
                                     v + 2);
                            q.one[f - 1].text = unquoted;
                        }
                    }
                    for (int desc = 0; desc <= 1; desc++) {
                        q.descending = desc;
                        q.after = 0;
                        for (size_t l = 0; l < sizeof limits / sizeof limits[0]; l++, pages++)
                            rows += pages_agree(&q, limits[l]);
                        /* the keyset page after the third row */
                        struct db_page first;
                        struct db_error err = {0};
                        db_read_page_order(DB_PAGE_ORDER_SQL);
                        assert_int_equal(db_read_page(db, &q, 3, &first, &err), 0);
                        db_read_page_order(DB_PAGE_ORDER_PLAN);
                        if (first.count == 3) {
                            q.after = 1;
                            q.after_id = first.last_id;
                            memcpy(q.after_keys, first.last_keys, sizeof q.after_keys);
                            for (size_t l = 0; l < sizeof limits / sizeof limits[0]; l++, pages++)
                                rows += pages_agree(&q, limits[l]);
                            q.after = 0;
                        }
                        db_page_free(&first);
                    }
                }
            }
    }
    assert_int_equal(sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    assert_true(pages > 1900); /* (1,984 and 8,092 on the fixtures) */
    assert_true(rows > 8000);

    /* the plan decides: a filter keeping few rows sorts (so C orders), the default walks */
    uint64_t before = db_read_pages_in_memory();
    json_decref(get_json("/v1/interventions?organization_kind=state&limit=50", 200));
    assert_int_equal(db_read_pages_in_memory(), before + 1);
    json_decref(get_json("/v1/interventions?limit=50", 200));
    assert_int_equal(db_read_pages_in_memory(), before + 1);
}

/* The first integer of sql's first row (a fixture fact a test builds its URL from). */
static int64_t first_integer(const char *sql) {
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Joined filters next to the rest (db_read.c's page_joins): a join beside a WHERE filter,
 * two joins, a join with a full-text match, a join on the in-order walk, each walked page by
 * page to its end with joins and again with every filter tested by IN: the same rows in the
 * same order, over values that do match rows (taken from the link tables). */
static void joined_filters_combined(void **state) {
    (void)state;
    int64_t topic = first_integer("SELECT topic_id FROM intervention_topics GROUP BY topic_id "
                                  "ORDER BY count(*) DESC, topic_id LIMIT 1");
    int64_t session = first_integer("SELECT session_id FROM interventions GROUP BY session_id "
                                    "ORDER BY count(*) DESC, session_id LIMIT 1");
    int64_t host = first_integer("SELECT organization_id FROM side_event_hosts WHERE role = "
                                 "'co_host' GROUP BY organization_id ORDER BY count(*) DESC, "
                                 "organization_id LIMIT 1");
    int64_t behalf = first_integer("SELECT organization_id FROM intervention_on_behalf_of "
                                   "GROUP BY organization_id ORDER BY count(*) DESC LIMIT 1");
    char urls[8][256];
    snprintf(urls[0], sizeof urls[0],
             "/v1/interventions?organization_kind=state&session=%lld&limit=3", (long long)session);
    snprintf(urls[1], sizeof urls[1], "/v1/interventions?topic=%lld&organization_kind=state&limit=2",
             (long long)topic);
    snprintf(urls[2], sizeof urls[2], "/v1/side-events?host=%lld&co_host=%lld&limit=1",
             (long long)host, (long long)host);
    snprintf(urls[3], sizeof urls[3], "/v1/interventions?topic=%lld&q=court&limit=2",
             (long long)topic);
    /* limit 5 of 44 interventions, 20 of them by states: (5 + 1) * 44 <= 20 * 20, so the
     * page walks the order's index and joins each row's organization */
    snprintf(urls[4], sizeof urls[4], "/v1/interventions?organization_kind=state&limit=5");
    snprintf(urls[5], sizeof urls[5], "/v1/interventions?on_behalf_of=%lld&sort=-session&limit=1",
             (long long)behalf);
    snprintf(urls[6], sizeof urls[6], "/v1/sessions?topic=%lld&sort=-title&limit=1",
             (long long)first_integer("SELECT topic_id FROM session_topics LIMIT 1"));
    snprintf(urls[7], sizeof urls[7],
             "/v1/interventions?date=2021-12-08&organization_kind=ngo&sort=id&limit=2");
    size_t rows = 0;
    for (size_t u = 0; u < sizeof urls / sizeof urls[0]; u++) {
        int64_t joined[200], tested[200];
        size_t n = walk(urls[u], joined, 200);
        db_read_filter_joins(0);
        size_t m = walk(urls[u], tested, 200);
        db_read_filter_joins(1);
        if (n != m || n == 0)
            fail_msg("%s: %zu rows joined, %zu by IN", urls[u], n, m);
        for (size_t i = 0; i < n; i++)
            if (joined[i] != tested[i])
                fail_msg("%s: row %zu is %lld joined, %lld by IN", urls[u], i,
                         (long long)joined[i], (long long)tested[i]);
        rows += n;
    }
    assert_true(rows >= 30);
}

/* The ids (up to cap, in the default order) that a `name` filter with value finds in type's
 * collection; the count query must agree with the page. */
static size_t name_matches(enum record_type type, const char *value, int64_t *ids, size_t cap) {
    const struct db_collection *dc = db_read_collection(type);
    struct db_query q = {.coll = dc, .sort = &dc->sorts[0]};
    size_t f = 0;
    while (dc->filters[f].name != NULL && strcmp(dc->filters[f].name, "name") != 0)
        f++;
    assert_non_null(dc->filters[f].name);
    q.filter_mask = 1u << f;
    q.filter[f] = (struct db_value){1, 0, value};
    struct db_page page = {0};
    struct db_error err = {0};
    if (db_read_page(db, &q, cap, &page, &err) != 0)
        fail_msg("name=%s: %s", value, err.message);
    assert_int_equal(db_read_count(db, &q, &err), (int64_t)page.count + page.more);
    size_t n = page.count;
    memcpy(ids, page.ids, n * sizeof *ids);
    db_page_free(&page);
    return n;
}

/* name written with every character replaced by the lowest (or the highest) code point that
 * folds as it does: for "Côte d’Ivoire", "CÔTE D’IVOIRE" (or "côte d’ivoire"). */
static void case_variant(const char *name, int highest, char *out, size_t size) {
    size_t used = 0;
    for (const char *c = name; *c;) {
        uint32_t cp = (unsigned char)*c, low, high;
        size_t step = cp < 0x80 ? 1 : casefold_decode(c, &cp);
        assert_true(step > 0);
        casefold_class(cp, &low, &high);
        assert_true(used + 5 < size);
        used += casefold_encode(highest ? high : low, out + used);
        c += step;
    }
    out[used] = '\0';
}

/* The name filters match exactly and case-insensitively beyond ASCII (casefold.h): every
 * organization and person of the record is found by its name in upper and in lower case; and,
 * on rows added in a transaction that is rolled back, names that begin with a non-ASCII letter,
 * Greek final sigma, ẞ and ß, and what folding does not equate (diacritics, ß and ss, ſ and s). */
static void name_filter_folds_case(void **state) {
    (void)state;
    static const struct {
        enum record_type type;
        const char *sql;
    } tables[] = {{RECORD_ORGANIZATION, "SELECT id, name FROM organizations"},
                  {RECORD_PERSON, "SELECT id, name FROM people"}};
    size_t wide = 0;
    for (size_t t = 0; t < 2; t++) {
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_prepare_v2(db_handle(db), tables[t].sql, -1, &st, NULL),
                         SQLITE_OK);
        while (sqlite3_step(st) == SQLITE_ROW) {
            int64_t id = sqlite3_column_int64(st, 0), ids[8];
            const char *name = (const char *)sqlite3_column_text(st, 1);
            for (int highest = 0; highest <= 1; highest++) {
                char variant[1024];
                case_variant(name, highest, variant, sizeof variant);
                size_t n = name_matches(tables[t].type, variant, ids, 8);
                size_t k = 0;
                while (k < n && ids[k] != id)
                    k++;
                if (k == n)
                    fail_msg("name=%s does not find %lld (%s)", variant, (long long)id, name);
            }
            for (const unsigned char *c = (const unsigned char *)name; *c; c++)
                wide += *c >= 0x80;
        }
        sqlite3_finalize(st);
    }
    assert_true(wide > 0); /* the record has names beyond ASCII (Côte d’Ivoire, ...) */

    assert_int_equal(sqlite3_exec(db_handle(db),
                                  "BEGIN; INSERT INTO people (id, slug, name) VALUES "
                                  "(90001, 'x-orsted', 'Ørsted'), (90002, 'x-oresund', 'Øresund'),"
                                  "(90003, 'x-sisyphus', 'Σίσυφος'), (90004, 'x-gauss', 'Gauß'),"
                                  "(90005, 'x-long-s', 'ſam')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    static const struct {
        const char *value;
        int64_t id; /* 0: none */
    } cases[] = {
        {"ØRSTED", 90001}, {"ørsted", 90001}, {"øRESUND", 90002}, {"Orsted", 0},
        {"ørste", 0},      {"ΣΊΣΥΦΟΣ", 90003}, {"σίσυφοσ", 90003}, {"ΣΙΣΥΦΟΣ", 0},
        {"GAUẞ", 90004},   {"gauß", 90004},   {"GAUSS", 0},       {"sam", 0},
        {"SAM", 0},        {"ſam", 90005},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t ids[4];
        size_t n = name_matches(RECORD_PERSON, cases[i].value, ids, 4);
        if (n != (cases[i].id != 0) || (n == 1 && ids[0] != cases[i].id))
            fail_msg("name=%s: %zu rows (first %lld), want %lld", cases[i].value, n,
                     n ? (long long)ids[0] : 0LL, (long long)cases[i].id);
    }
    assert_int_equal(sqlite3_exec(db_handle(db), "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
}

/* A stream reads through the connection its reader is handed at each read, which after a
 * runner took the worker over is not the one the request began on (http.c, runner_connection):
 * an NDJSON export read through another connection gives the same bytes, and one handed no
 * connection (none could be opened) ends in an error, not a crash. */
static void stream_reader_takes_db(void **state) {
    (void)state;
    const char *target = "/v1/interventions?format=ndjson&fields=id,position";
    struct call whole, kept;
    run(&whole, target, NULL);
    assert_int_equal(whole.res.status, 200);
    assert_true(whole.len > 0);
    struct db_error err = {0};
    struct db *other = db_open(db_path, DB_READ_ONLY, &err);
    assert_non_null(other);
    run_keeps_stream = 1;
    run(&kept, target, NULL);
    run_keeps_stream = 0;
    struct response_stream *st = &kept.res.stream;
    assert_non_null(st->read);
    char buf[1 << 16];
    assert_int_equal(st->read(st->ctx, NULL, 0, buf, sizeof buf), STREAM_ERROR);
    size_t got = 0;
    ssize_t n;
    while ((n = st->read(st->ctx, other, got, buf + got, sizeof buf - got)) > 0)
        got += (size_t)n;
    assert_int_equal(n, STREAM_END);
    assert_int_equal(got, whole.len);
    assert_memory_equal(buf, whole.body, got);
    call_free(&kept);
    call_free(&whole);
    db_close(other);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fts_quoting),
        cmocka_unit_test(api_cases),
        cmocka_unit_test(keyset_walks),
        cmocka_unit_test(record_facts),
        cmocka_unit_test(query_plans),
        cmocka_unit_test(text_render_is_jansson_render),
        cmocka_unit_test(render_plans),
        cmocka_unit_test(render_is_sqlite_json),
        cmocka_unit_test(page_order_in_memory),
        cmocka_unit_test(joined_filters_combined),
        cmocka_unit_test(name_filter_folds_case),
        cmocka_unit_test(stream_reader_takes_db),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
