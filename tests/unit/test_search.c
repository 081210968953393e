/* test_search.c: db_search_run's two ways of ranking a type — FTS5 MATCH statements and the
 * direct walk of the postings (db_search_set_direct) — must give the same answer: the same
 * total, count, and hits (type, id, slug, name, kind, honorific, snippet) in the same order.
 * On a generated record of a few thousand interventions (common words in more rows of one
 * type than DB_SEARCH_MAX_CANDIDATES), every query of a list drawn from the record's own
 * vocabulary runs with FTS5, then directly twice on the same connection (the direct path
 * needs the term statistics a first run reads), for several pages; then again after updates,
 * and after deletions, each in transactions of their own (new segments, a new revision). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "scratch.h"

#include <ctype.h>
#include <jansson.h>

#include "commands.h"
#include "db.h"
#include "db_internal.h"
#include "db_search.h"
#include "record.h"

/* Interventions of the generated record: a word of their summaries' boilerplate is in most of
 * them, which is more than DB_SEARCH_MAX_CANDIDATES. */
#define SCALE "3000"
#define SEED "3"

#define ALL_TYPES ((1u << RECORD_TYPE_COUNT) - 1u)

/* The pages asked of every query with all types (with one type, the first two): (limit,
 * offset). The last two are at and past the end of one type's candidates. */
static const struct {
    size_t limit;
    int64_t offset;
} pages[] = {{20, 0}, {5, 3}, {50, 0}, {20, 1990}, {20, 2000}};
#define PAGES (sizeof pages / sizeof pages[0])

/* The generated record in a database, and the queries. Shared by the tests, which run in
 * order: each later one writes on top of what the earlier ones left. */
struct fixture {
    char json_path[64]; /* the generated document */
    char db_path[64];   /* the database file */
    struct db *db;      /* read-write connection: the searches and the writes */
    json_t *doc;        /* the generated document, for the resources the writes change */
    char **queries;     /* q texts, as a client would type them */
    size_t nqueries;    /* entries of queries */
    char rare[64];      /* a word of few interventions, all deleted by after_deletes */
};

static struct fixture fx;

/* ---- The expression ------------------------------------------------------------------------ */

/* res_search.c's longest q (static there); db_search_build_query makes the expression. */
#define SEARCH_MAX_Q 256
#define SEARCH_MAX_TERMS DB_SEARCH_MAX_PHRASES

/* ---- The record ------------------------------------------------------------------------------ */

static void build_queries(void);

static int fixture_setup(void **state) {
    (void)state;
    memset(&fx, 0, sizeof fx);
    snprintf(fx.json_path, sizeof fx.json_path, "/tmp/plenary-test-search-XXXXXX");
    assert_int_equal(scratch_file(fx.json_path), 0);
    char *argv[] = {"--scale", SCALE, "--seed", SEED, "--out", fx.json_path, NULL};
    assert_int_equal(cmd_generate(6, argv), 0);

    snprintf(fx.db_path, sizeof fx.db_path, "/tmp/plenary-test-search-db-XXXXXX");
    assert_int_equal(scratch_file(fx.db_path), 0);
    struct db_error err = {0};
    fx.db = db_open(fx.db_path, DB_READ_WRITE, &err);
    assert_non_null(fx.db);
    assert_int_equal(db_migrate(fx.db, &err), 0);
    struct problem p;
    memset(&p, 0, sizeof p);
    if (record_import_file(fx.db, fx.json_path, NULL, NULL, &p, &err) != 0)
        fail_msg("import: %s %s", p.detail, err.message);
    json_error_t jerr;
    fx.doc = json_load_file(fx.json_path, 0, &jerr);
    assert_non_null(fx.doc);
    build_queries();
    return 0;
}

static int fixture_teardown(void **state) {
    (void)state;
    for (size_t i = 0; i < fx.nqueries; i++)
        free(fx.queries[i]);
    free(fx.queries);
    json_decref(fx.doc);
    db_close(fx.db);
    scratch_db_remove(fx.db_path);
    unlink(fx.json_path);
    return 0;
}

/* The first column of the first row of sql as an integer (-1 when there is no row). */
static int64_t scalar(const char *sql) {
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db_handle(fx.db), sql, -1, &st, NULL), SQLITE_OK);
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return v;
}

/* realloc that fails the test when memory runs out. */
static void *grow(void *p, size_t bytes) {
    void *q = realloc(p, bytes);
    if (q == NULL)
        fail_msg("out of memory");
    return q;
}

/* ---- The queries ----------------------------------------------------------------------------- */

static void add_query(const char *q) {
    fx.queries = grow(fx.queries, (fx.nqueries + 1) * sizeof *fx.queries);
    fx.queries[fx.nqueries] = strdup(q);
    assert_non_null(fx.queries[fx.nqueries]);
    fx.nqueries++;
}

/* A query from a printf format. */
static void add_queryf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void add_queryf(const char *fmt, ...) {
    char q[SEARCH_MAX_Q + 1];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(q, sizeof q, fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < sizeof q);
    add_query(q);
}

/* The terms of one FTS table, most frequent first (ties in byte order). */
struct vocab {
    char **term;   /* the terms (malloc'd) */
    int64_t *rows; /* how many rows hold each */
    size_t count;  /* entries of both */
};

static void vocab_load(const char *table, struct vocab *v) {
    char sql[256];
    snprintf(sql, sizeof sql,
             "DROP TABLE IF EXISTS temp.vocab; "
             "CREATE VIRTUAL TABLE temp.vocab USING fts5vocab (main, %s, 'row')",
             table);
    assert_int_equal(sqlite3_exec(db_handle(fx.db), sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db_handle(fx.db),
                                        "SELECT term, doc FROM temp.vocab ORDER BY doc DESC, term",
                                        -1, &st, NULL),
                     SQLITE_OK);
    memset(v, 0, sizeof *v);
    size_t cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (v->count == cap) {
            cap = cap ? cap * 2 : 256;
            v->term = grow(v->term, cap * sizeof *v->term);
            v->rows = grow(v->rows, cap * sizeof *v->rows);
        }
        v->term[v->count] = strdup((const char *)sqlite3_column_text(st, 0));
        assert_non_null(v->term[v->count]);
        v->rows[v->count++] = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_exec(db_handle(fx.db), "DROP TABLE temp.vocab", NULL, NULL, NULL),
                     SQLITE_OK);
    assert_true(v->count > 0);
}

static void vocab_free(struct vocab *v) {
    for (size_t i = 0; i < v->count; i++)
        free(v->term[i]);
    free(v->term);
    free(v->rows);
}

/* The term at rank i (clamped to the last) of v. */
static const char *vocab_at(const struct vocab *v, size_t i) {
    return v->term[i < v->count ? i : v->count - 1];
}

/* The first term of v at rank `from` or later that is at least `len` bytes long and of ASCII
 * letters only (a word whose prefixes the direct path expands), or NULL. */
static const char *vocab_long(const struct vocab *v, size_t from, size_t len) {
    for (size_t i = from; i < v->count; i++) {
        const char *t = v->term[i];
        int ok = strlen(t) >= len;
        for (const char *c = t; ok && *c; c++)
            ok = *c >= 'a' && *c <= 'z';
        if (ok)
            return t;
    }
    return NULL;
}

/* A word of a person's name that holds a non-ASCII byte, as written in the record; "" when no
 * name has one. */
static void non_ascii_name_word(char *out, size_t cap) {
    json_t *person;
    size_t i;
    out[0] = '\0';
    json_array_foreach(json_object_get(fx.doc, "people"), i, person) {
        const char *name = json_string_value(json_object_get(person, "name"));
        for (const char *w = name; w && *w;) {
            while (*w == ' ')
                w++;
            const char *end = w;
            int high = 0;
            while (*end && *end != ' ')
                high |= (unsigned char)*end++ >= 0x80;
            if (high && (size_t)(end - w) < cap) {
                memcpy(out, w, (size_t)(end - w));
                out[end - w] = '\0';
                return;
            }
            w = end;
        }
    }
}

/* The queries: single words of every frequency (each as a type-ahead prefix and as a finished
 * word), two and three words, prefixes of 4+ characters (replaced by their exact terms) and of
 * 2 or 3 (FTS5's prefix indexes), words of other types' tables, words absent from the record,
 * mixed case, digits, non-ASCII, punctuation, phrases without a token, sixteen words. */
static void build_queries(void) {
    struct vocab iv, pv, ov, dv, sv, ev, av;
    vocab_load("interventions_fts", &iv);
    vocab_load("people_fts", &pv);
    vocab_load("organizations_fts", &ov);
    vocab_load("documents_fts", &dv);
    vocab_load("sessions_fts", &sv);
    vocab_load("side_events_fts", &ev);
    vocab_load("assemblies_fts", &av);
    /* the scenario needs a word in more interventions than are ranked */
    assert_true(iv.rows[0] > DB_SEARCH_MAX_CANDIDATES);

    static const size_t ranks[] = {0, 1, 2, 5, 9, 15, 30, 60, 120, 250, 400};
    for (size_t i = 0; i < sizeof ranks / sizeof ranks[0]; i++) {
        const char *w = vocab_at(&iv, ranks[i]);
        add_query(w);
        if (i % 3 == 0)
            add_queryf("%s ", w);
    }
    add_query(vocab_at(&iv, iv.count - 1));
    add_queryf("%s ", vocab_at(&iv, iv.count - 2));
    /* a word of 2 to 10 interventions: after_deletes deletes them all */
    for (size_t i = iv.count; i-- > 0;)
        if (iv.rows[i] >= 2 && iv.rows[i] <= 10 && strlen(iv.term[i]) < sizeof fx.rare) {
            snprintf(fx.rare, sizeof fx.rare, "%s", iv.term[i]);
            break;
        }
    assert_true(fx.rare[0] != '\0');
    add_query(fx.rare);
    add_queryf("%s %s", vocab_at(&iv, 0), fx.rare);

    add_queryf("%s %s", vocab_at(&iv, 0), vocab_at(&iv, 15));
    add_queryf("%s %s", vocab_at(&iv, 1), vocab_at(&iv, 60));
    add_queryf("%s %s", vocab_at(&iv, 2), vocab_at(&iv, iv.count - 1));
    add_queryf("%s %s", vocab_at(&iv, 120), vocab_at(&iv, 250));
    add_queryf("%s %s ", vocab_at(&iv, 5), vocab_at(&iv, 9));
    add_queryf("%s %s %s", vocab_at(&iv, 0), vocab_at(&iv, 1), vocab_at(&iv, 2));
    add_queryf("%s %s %s", vocab_at(&iv, 5), vocab_at(&iv, 30), vocab_at(&iv, 60));
    add_queryf("%s %s %s ", vocab_at(&iv, 9), vocab_at(&iv, 15), vocab_at(&iv, 30));

    /* prefixes: of long words (4, 5 and 6 characters: exact terms), short ones (the prefix
     * indexes), after other words */
    static const size_t from[] = {0, 40, 100};
    for (size_t i = 0; i < sizeof from / sizeof from[0]; i++) {
        const char *w = vocab_long(&iv, from[i], 7);
        if (w == NULL)
            continue;
        add_queryf("%.4s", w);
        add_queryf("%.6s", w);
        add_queryf(i ? "%.2s" : "%.3s", w);
        add_queryf("%s %.4s", vocab_at(&iv, 0), w);
        add_queryf("%s %s %.5s", vocab_at(&iv, 1), vocab_at(&iv, 2), w);
        if (i == 0)
            add_queryf("%s %.2s", vocab_at(&iv, 5), w);
    }

    /* other types' words, alone and with an intervention word */
    const struct vocab *others[] = {&pv, &ov, &dv, &sv, &ev, &av};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        const struct vocab *v = others[i];
        add_query(vocab_at(v, i % 2 ? 0 : v->count / 2));
        add_queryf("%s ", vocab_at(v, v->count - 1));
        if (i % 2 == 0)
            add_queryf("%s %s", vocab_at(v, 0), vocab_at(&iv, 0));
        const char *w = vocab_long(v, v->count / 3, 6);
        if (w != NULL)
            add_queryf("%.4s", w);
    }

    /* cased, digits, non-ASCII, punctuation, quotes, tokenless phrases, absent words */
    char cased[64];
    snprintf(cased, sizeof cased, "%s", vocab_at(&iv, 6));
    for (size_t i = 0; cased[i]; i += 2)
        cased[i] = (char)toupper((unsigned char)cased[i]);
    add_query(cased);
    add_queryf("%s ", cased);
    const char *lw = vocab_long(&iv, 0, 7);
    if (lw != NULL) {
        add_queryf("%c%.4s", toupper((unsigned char)lw[0]), lw + 1);
        add_queryf("%.2s-%s", lw, lw + 2);
    }
    char name[64];
    non_ascii_name_word(name, sizeof name);
    if (name[0] != '\0') {
        add_query(name);
        add_queryf("%s ", name);
        size_t ascii = 0;
        while (name[ascii] && (unsigned char)name[ascii] < 0x80)
            ascii++;
        if (ascii >= 4)
            add_queryf("%.*s", (int)ascii, name);
        add_queryf("%.*s", (int)(ascii + 2), name); /* through the first non-ASCII letter */
    }
    static const char *const fixed[] = {
        "asp1",
        "ASP2 ",
        "Asp1 rome",
        "rome-statute",
        "\"court\"",
        "court's",
        "— coop",
        "court —",
        "zzyzx",
        "court zzyzx",
        "zzyz",
        "2021",
        "article15",
        "zephyrine",
        "zephyr",
        "court a",
        "coopé",
        "Coopération",
        "states PART",
        "of the",
        "of the in to and with for on court victims rome statute cooperation a as its",
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        add_query(fixed[i]);

    vocab_free(&iv);
    vocab_free(&pv);
    vocab_free(&ov);
    vocab_free(&dv);
    vocab_free(&sv);
    vocab_free(&ev);
    vocab_free(&av);
}

/* ---- The comparison -------------------------------------------------------------------------- */

/* One run of a search. */
struct outcome {
    int rc;
    size_t count;
    int64_t total;
    struct db_search_hit *hits;
    char error[512];
};

static void run_search(const struct db_search_query *q, size_t limit, int64_t offset, int direct,
                       struct outcome *out) {
    db_search_set_direct(direct);
    out->hits = calloc(limit, sizeof *out->hits);
    assert_non_null(out->hits);
    struct db_error err = {0};
    out->count = 0;
    out->total = -1;
    out->rc = db_search_run(fx.db, q, limit, offset, out->hits, &out->count, &out->total, &err);
    snprintf(out->error, sizeof out->error, "%s", err.message);
}

static void outcome_free(struct outcome *o) {
    db_search_hits_free(o->hits, o->count);
    free(o->hits);
}

static const char *show(const char *s) {
    return s ? s : "(null)";
}

static int same_text(const char *a, const char *b) {
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Fails the test, naming the query and page, when got (direct) differs from want (FTS5). */
static void compare(const char *q, const struct db_search_query *query, size_t limit,
                    int64_t offset, const char *which, const struct outcome *want,
                    const struct outcome *got) {
    char where[512];
    snprintf(where, sizeof where, "q \"%s\" (expression %s, types %#x, limit %zu, offset %lld), %s",
             q, query->match, query->type_mask, limit, (long long)offset, which);
    if (got->rc != 0)
        fail_msg("%s: db_search_run returned %d: %s", where, got->rc, got->error);
    if (got->total != want->total)
        fail_msg("%s: total %lld with FTS5, %lld direct", where, (long long)want->total,
                 (long long)got->total);
    if (got->count != want->count)
        fail_msg("%s: count %zu with FTS5, %zu direct", where, want->count, got->count);
    for (size_t i = 0; i < want->count; i++) {
        const struct db_search_hit *a = &want->hits[i], *b = &got->hits[i];
        if (a->type != b->type || a->id != b->id)
            fail_msg("%s: hit %zu is (type %d, id %lld) with FTS5, (type %d, id %lld) direct",
                     where, i, (int)a->type, (long long)a->id, (int)b->type, (long long)b->id);
        static const char *const names[] = {"slug", "name", "kind", "honorific", "snippet"};
        const char *fa[] = {a->slug, a->name, a->kind, a->honorific, a->snippet};
        const char *fb[] = {b->slug, b->name, b->kind, b->honorific, b->snippet};
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
            if (!same_text(fa[k], fb[k]))
                fail_msg("%s: hit %zu (type %d, id %lld): %s \"%s\" with FTS5, \"%s\" direct",
                         where, i, (int)a->type, (long long)a->id, names[k], show(fa[k]),
                         show(fb[k]));
    }
}

/* What a round of comparisons saw. */
struct tally {
    long searches;    /* db_search_run calls */
    long hits;        /* hits compared */
    long direct_runs; /* direct runs during which the direct-scan counter moved */
    long capped;      /* queries whose FTS5 total reached DB_SEARCH_MAX_CANDIDATES or more */
    uint64_t scans;   /* direct scans counted over the round */
};

/* Every query with all types on every page, and with one type on the first two pages:
 * FTS5, then direct twice, each direct run compared with the FTS5 one. A page past the
 * first page's total is skipped (it is empty, and the total was compared). */
static void compare_all(const char *round, struct tally *t) {
    memset(t, 0, sizeof *t);
    uint64_t scans0 = db_search_direct_scans();
    for (size_t i = 0; i < fx.nqueries; i++) {
        const char *q = fx.queries[i];
        char match[SEARCH_MAX_Q * 2 + SEARCH_MAX_TERMS * 4 + 8];
        struct db_search_query query;
        memset(&query, 0, sizeof query);
        assert_true(strlen(q) <= SEARCH_MAX_Q);
        int terms = db_search_build_query(q, match, sizeof match, &query);
        if (terms <= 0)
            fail_msg("q \"%s\" makes no expression (%d): fix the query list", q, terms);
        const unsigned masks[] = {ALL_TYPES, 1u << (i % RECORD_TYPE_COUNT)};
        for (size_t m = 0; m < sizeof masks / sizeof masks[0]; m++) {
            query.type_mask = masks[m];
            int64_t total = -1; /* the first page's */
            for (size_t pg = 0; pg < (m == 0 ? PAGES : 2); pg++) {
                size_t limit = pages[pg].limit;
                int64_t offset = pages[pg].offset;
                if (total >= 0 && offset > total)
                    continue; /* past every hit: the pages before compared the total */
                struct outcome want, first, second;
                uint64_t before = db_search_direct_scans();
                run_search(&query, limit, offset, 0, &want);
                if (want.rc != 0)
                    fail_msg("q \"%s\" (types %#x, limit %zu, offset %lld): FTS5: %s", q, masks[m],
                             limit, (long long)offset, want.error);
                if (db_search_direct_scans() != before)
                    fail_msg("q \"%s\" (types %#x): a direct scan ran with direct off", q,
                             masks[m]);
                run_search(&query, limit, offset, 1, &first);
                uint64_t mid = db_search_direct_scans();
                run_search(&query, limit, offset, 1, &second);
                t->direct_runs += (mid != before) + (db_search_direct_scans() != mid);
                compare(q, &query, limit, offset, "first direct run", &want, &first);
                compare(q, &query, limit, offset, "second direct run", &want, &second);
                if (pg == 0)
                    total = want.total;
                t->searches += 3;
                t->hits += (long)want.count;
                if (pg == 0 && m == 0 && want.total >= DB_SEARCH_MAX_CANDIDATES)
                    t->capped++;
                outcome_free(&want);
                outcome_free(&first);
                outcome_free(&second);
            }
        }
    }
    db_search_set_direct(1);
    t->scans = db_search_direct_scans() - scans0;
    print_message("  %s: %zu queries, %ld searches, %ld hits compared, %ld queries with %d+ "
                  "hits; %ld direct runs took the direct path (%llu scans)\n",
                  round, fx.nqueries, t->searches, t->hits, t->capped, DB_SEARCH_MAX_CANDIDATES,
                  t->direct_runs, (unsigned long long)t->scans);
    assert_true(t->scans > 0); /* the direct path did run */
}

/* ---- Writes ---------------------------------------------------------------------------------- */

/* The resource of the document's array `member` at index i. */
static json_t *doc_item(const char *member, size_t i) {
    json_t *arr = json_object_get(fx.doc, member);
    assert_true(json_is_array(arr) && json_array_size(arr) > 0);
    return json_array_get(arr, i % json_array_size(arr));
}

/* Writes a copy of obj with `field` set to value (a string, or NULL for JSON null) in a
 * transaction of its own; the outcome must be `expect`. Returns the copy (caller decrefs). */
static json_t *upsert_with(enum record_type type, const json_t *obj, const char *field,
                           const char *value, enum record_outcome expect) {
    json_t *copy = json_deep_copy(obj);
    assert_non_null(copy);
    if (field != NULL)
        assert_int_equal(json_object_set_new(copy, field, value ? json_string(value) : json_null()),
                         0);
    struct db_error err = {0};
    struct problem p;
    memset(&p, 0, sizeof p);
    int64_t id = 0;
    enum record_outcome outcome;
    assert_int_equal(db_write_begin(fx.db, &err), 0);
    if (record_upsert(fx.db, type, copy, 0, &id, &outcome, &p, &err) != 0)
        fail_msg("upsert of a %s: %s %s: %s %s", record_type_info(type)->name, p.detail,
                 p.error_count ? p.errors[0].where : "", p.error_count ? p.errors[0].detail : "",
                 err.message);
    assert_int_equal(outcome, expect);
    assert_int_equal(db_write_commit(fx.db, &err), 0);
    return copy;
}

static void delete_one(enum record_type type, int64_t id) {
    struct db_error err = {0};
    struct problem p;
    memset(&p, 0, sizeof p);
    assert_int_equal(db_write_begin(fx.db, &err), 0);
    if (record_delete(fx.db, type, id, &p, &err) != 0)
        fail_msg("delete of %s %lld: %s %s", record_type_info(type)->name, (long long)id, p.detail,
                 err.message);
    assert_int_equal(db_write_commit(fx.db, &err), 0);
}

static int64_t item_id(const json_t *obj) {
    return (int64_t)json_integer_value(json_object_get(obj, "id"));
}

/* ---- Tests ----------------------------------------------------------------------------------- */

/* The record as imported: one segment per table, the statistics read at the first run. */
static void direct_matches_fts5(void **state) {
    (void)state;
    struct tally t;
    compare_all("as imported", &t);
    assert_true(t.capped > 0); /* some query ranks a type's candidates, not all its matches */
}

/* Updates in transactions of their own: texts rewritten with words new to the record, a
 * speaker renamed (every intervention of theirs indexed again), a text moved to another
 * column, a session's and a side event's text. */
static void after_updates(void **state) {
    (void)state;
    int64_t revision = db_revision(fx.db);
    static const char summary[] =
        "Zephyrine welcomed the cooperation of States Parties with the Court in 2021 under "
        "article15 and stressed the importance of the Rome Statute for the victims and witnesses, "
        "the universality of the Statute and the complementarity principle at national level. "
        "Zephyrine also recalled the cooperation agreements concluded since 2021.";
    json_decref(upsert_with(RECORD_INTERVENTION, doc_item("interventions", 10), "summary", summary,
                            RECORD_UPDATED));
    json_decref(upsert_with(RECORD_INTERVENTION, doc_item("interventions", 2500), "summary",
                            summary + 10, RECORD_UPDATED));
    /* a speaker renamed: the names of many interventions change in the index */
    json_t *person = doc_item("people", 0);
    char renamed[256];
    snprintf(renamed, sizeof renamed, "Zephyrine %s",
             json_string_value(json_object_get(person, "name")));
    json_decref(upsert_with(RECORD_PERSON, person, "name", renamed, RECORD_UPDATED));
    /* a summary moved to the role column (each of its words changes column) */
    for (size_t i = 777;; i++) {
        json_t *iv = doc_item("interventions", i);
        const char *old = json_string_value(json_object_get(iv, "summary"));
        if (old == NULL || strlen(old) > RECORD_MAX_NAME)
            continue;
        json_t *moved = json_deep_copy(iv);
        assert_non_null(moved);
        assert_int_equal(json_object_set_new(moved, "summary", json_null()), 0);
        json_decref(upsert_with(RECORD_INTERVENTION, moved, "role", old, RECORD_UPDATED));
        json_decref(moved);
        break;
    }
    json_decref(upsert_with(RECORD_SESSION, doc_item("sessions", 3), "title",
                            "Zephyrine debate on cooperation and victims", RECORD_UPDATED));
    json_decref(upsert_with(RECORD_SIDE_EVENT, doc_item("side_events", 2), "description", summary,
                            RECORD_UPDATED));
    assert_true(db_revision(fx.db) > revision);
    struct tally t;
    compare_all("after updates", &t);
}

/* Deletions in transactions of their own: interventions here and there, every intervention
 * that holds a rare word, one deleted and then created again with the same id and other text,
 * a side event. */
static void after_deletes(void **state) {
    (void)state;
    for (size_t i = 1; i < 21; i++)
        delete_one(RECORD_INTERVENTION, item_id(doc_item("interventions", i * 97)));
    /* every intervention that holds the rare word */
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db_handle(fx.db),
                                        "SELECT rowid FROM interventions_fts WHERE "
                                        "interventions_fts MATCH ?1",
                                        -1, &st, NULL),
                     SQLITE_OK);
    char phrase[80];
    snprintf(phrase, sizeof phrase, "\"%s\"", fx.rare);
    sqlite3_bind_text(st, 1, phrase, -1, SQLITE_TRANSIENT);
    int64_t ids[64];
    size_t n = 0;
    while (sqlite3_step(st) == SQLITE_ROW && n < sizeof ids / sizeof ids[0])
        ids[n++] = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    for (size_t i = 0; i < n; i++)
        delete_one(RECORD_INTERVENTION, ids[i]);
    char sql[160];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM interventions_fts WHERE interventions_fts MATCH '\"%s\"'",
             fx.rare);
    assert_int_equal(scalar(sql), 0);
    /* deleted, then created again with the same id and other text */
    json_t *iv = doc_item("interventions", 1234);
    delete_one(RECORD_INTERVENTION, item_id(iv));
    json_decref(upsert_with(RECORD_INTERVENTION, iv, "summary",
                            "Zephyrine returned to the cooperation of States with the Court and "
                            "the protection of victims and witnesses, in line with the Rome "
                            "Statute, and welcomed the principle of complementarity at the "
                            "national level, together with legal aid for the defence.",
                            RECORD_CREATED));
    delete_one(RECORD_SIDE_EVENT, item_id(doc_item("side_events", 5)));
    struct tally t;
    compare_all("after deletions", &t);
}

int main(void) {
    db_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(direct_matches_fts5),
        cmocka_unit_test(after_updates),
        cmocka_unit_test(after_deletes),
    };
    return cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
}
