/* test_snippet.c: db_snippet.c against FTS5's own snippet(), kept here as the reference: each
 * row's texts go into a scratch FTS5 table of the search's tokenizer, snippet() runs there
 * with the match expression, and db_snippet_make must give the same bytes (or NULL where
 * the row does not match). Cases: a few written out, every text of the seed record (the
 * fixtures, argv[1]) with words of its own and of others, then thousands of generated rows. */
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

#include "db.h"
#include "db_internal.h"
#include "db_search.h"
#include "db_snippet.h"
#include "problem.h"
#include "record.h"

static const char *fixtures_path = "fixtures/record.json";

/* The most columns a reference table has (the search's tables have 1 to 4). */
#define REF_COLUMNS 4

/* The reference: FTS5 tables of 1 .. REF_COLUMNS columns and their statements, and the
 * implementation under test, made from the same connection's FTS5. */
struct ref {
    sqlite3 *db;                            /* in memory */
    sqlite3_stmt *insert[REF_COLUMNS + 1];  /* per column count: ?1 .. the texts */
    sqlite3_stmt *snippet[REF_COLUMNS + 1]; /* ?1 the expression: the snippet, if it matches */
    sqlite3_stmt *clear[REF_COLUMNS + 1];   /* empties the table */
    struct db_snippet *mine;                /* db_snippet.c's state */
    long compared;                          /* comparisons made */
    long matched;                           /* of which the row matched */
};

static struct ref ref;

static fts5_api *fts5_api_of(sqlite3 *handle) {
    fts5_api *api = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(handle, "SELECT fts5(?1)", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL), SQLITE_OK);
    (void)sqlite3_step(st);
    sqlite3_finalize(st);
    assert_non_null(api);
    return api;
}

static int ref_setup(void **state) {
    (void)state;
    memset(&ref, 0, sizeof ref);
    if (sqlite3_open(":memory:", &ref.db) != SQLITE_OK)
        return -1;
    for (int n = 1; n <= REF_COLUMNS; n++) {
        static const char *const cols[] = {"c0", "c0, c1", "c0, c1, c2", "c0, c1, c2, c3"};
        static const char *const params[] = {"?1", "?1, ?2", "?1, ?2, ?3", "?1, ?2, ?3, ?4"};
        char sql[256];
        snprintf(sql, sizeof sql,
                 "CREATE VIRTUAL TABLE t%d USING fts5 (%s, tokenize = 'unicode61 "
                 "remove_diacritics 2')",
                 n, cols[n - 1]);
        if (sqlite3_exec(ref.db, sql, NULL, NULL, NULL) != SQLITE_OK)
            return -1;
        snprintf(sql, sizeof sql, "INSERT INTO t%d (rowid, %s) VALUES (1, %s)", n, cols[n - 1],
                 params[n - 1]);
        if (sqlite3_prepare_v2(ref.db, sql, -1, &ref.insert[n], NULL) != SQLITE_OK)
            return -1;
        /* what db_search.c asked of FTS5 before db_snippet.c */
        snprintf(sql, sizeof sql,
                 "SELECT snippet(t%d, -1, char(%d), char(%d), '%s', %d) FROM t%d WHERE t%d "
                 "MATCH ?1",
                 n, DB_SEARCH_OPEN, DB_SEARCH_CLOSE, DB_SNIPPET_ELLIPSIS, DB_SNIPPET_TOKENS, n, n);
        if (sqlite3_prepare_v2(ref.db, sql, -1, &ref.snippet[n], NULL) != SQLITE_OK)
            return -1;
        snprintf(sql, sizeof sql, "DELETE FROM t%d", n);
        if (sqlite3_prepare_v2(ref.db, sql, -1, &ref.clear[n], NULL) != SQLITE_OK)
            return -1;
    }
    ref.mine = db_snippet_new(fts5_api_of(ref.db));
    return ref.mine != NULL ? 0 : -1;
}

static int ref_teardown(void **state) {
    (void)state;
    db_snippet_free(ref.mine);
    for (int n = 1; n <= REF_COLUMNS; n++) {
        sqlite3_finalize(ref.insert[n]);
        sqlite3_finalize(ref.snippet[n]);
        sqlite3_finalize(ref.clear[n]);
    }
    sqlite3_close(ref.db);
    return 0;
}

/* FTS5's snippet of the row (NULL: it does not match). */
static char *reference(int cols, const char *const text[], const int bytes[], const char *match) {
    sqlite3_stmt *ins = ref.insert[cols], *snip = ref.snippet[cols], *clear = ref.clear[cols];
    for (int c = 0; c < cols; c++)
        assert_int_equal(text[c] == NULL
                             ? sqlite3_bind_null(ins, c + 1)
                             : sqlite3_bind_text(ins, c + 1, text[c], bytes[c], SQLITE_STATIC),
                         SQLITE_OK);
    assert_int_equal(sqlite3_step(ins), SQLITE_DONE);
    sqlite3_reset(ins);
    assert_int_equal(sqlite3_bind_text(snip, 1, match, -1, SQLITE_STATIC), SQLITE_OK);
    char *out = NULL;
    int rc = sqlite3_step(snip);
    if (rc == SQLITE_ROW && sqlite3_column_type(snip, 0) != SQLITE_NULL)
        out = strdup((const char *)sqlite3_column_text(snip, 0));
    else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        fail_msg("reference: %s for %s", sqlite3_errmsg(ref.db), match);
    sqlite3_reset(snip);
    assert_int_equal(sqlite3_step(clear), SQLITE_DONE);
    sqlite3_reset(clear);
    return out;
}

/* s printable: the markers as [ ], other control bytes escaped, its first 400 bytes. */
static void show(const char *what, const char *s, int n) {
    if (s == NULL) {
        print_message("  %s: NULL\n", what);
        return;
    }
    print_message("  %s (%d bytes): \"", what, n);
    for (int i = 0; i < n && i < 400 && s[i]; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == (unsigned char)DB_SEARCH_OPEN)
            print_message("[");
        else if (ch == (unsigned char)DB_SEARCH_CLOSE)
            print_message("]");
        else if (ch < 0x20)
            print_message("\\x%02x", ch);
        else
            print_message("%c", ch);
    }
    print_message("\"\n");
}

/* Compares db_snippet.c with FTS5 on one row and expression. */
static void compare(int cols, const char *const text[], const int bytes[], const char *match) {
    assert_true(cols >= 1 && cols <= REF_COLUMNS);
    char *want = reference(cols, text, bytes, match);
    char *got = NULL;
    assert_int_equal(db_snippet_query(ref.mine, match), 0);
    assert_int_equal(db_snippet_make(ref.mine, text, bytes, cols, &got), 0);
    ref.compared++;
    ref.matched += want != NULL;
    if ((want == NULL) != (got == NULL) || (want != NULL && strcmp(want, got) != 0)) {
        print_message("snippet differs from FTS5's for the expression %s\n", match);
        for (int c = 0; c < cols; c++) {
            char name[32];
            snprintf(name, sizeof name, "column %d", c);
            show(name, text[c], text[c] ? bytes[c] : 0);
        }
        show("FTS5", want, want ? (int)strlen(want) : 0);
        show("C", got, got ? (int)strlen(got) : 0);
        fail();
    }
    free(want);
    free(got);
}

/* compare() with NUL-terminated texts. */
static void compare_texts(int cols, const char *const text[], const char *match) {
    int bytes[REF_COLUMNS];
    for (int c = 0; c < cols; c++)
        bytes[c] = text[c] ? (int)strlen(text[c]) : 0;
    compare(cols, text, bytes, match);
}

/* The expression res_search.c builds for these words: each quoted (quotes doubled), the
 * last a prefix when `prefix`. Returns a new string. */
static char *expression(const char *const words[], int n, int prefix) {
    size_t cap = 4;
    for (int i = 0; i < n; i++)
        cap += 2 * strlen(words[i]) + 4;
    char *out = malloc(cap), *o = out;
    assert_non_null(out);
    for (int i = 0; i < n; i++) {
        if (i > 0)
            *o++ = ' ';
        *o++ = '"';
        for (const char *c = words[i]; *c; c++) {
            if (*c == '"')
                *o++ = '"';
            *o++ = *c;
        }
        *o++ = '"';
    }
    if (prefix)
        *o++ = '*';
    *o = '\0';
    return out;
}

/* ---- Cases written out ----------------------------------------------------------------------- */

static void written_cases(void **state) {
    (void)state;
    static const struct {
        const char *text[REF_COLUMNS];
        int cols;
        const char *match;
    } cases[] = {
        {{"International Cooperation Section"}, 1, "\"cooperation\""},
        {{"The ICC-ASP met. Coopération is key: really"}, 1, "\"icc-asp\""},
        {{"The ICC-ASP met. Coopération is key: really"}, 1, "\"icc-as\"*"},
        {{"The ICC-ASP met. Coopération is key: really"}, 1, "\"—\" \"coop\"*"},
        {{"The ICC-ASP met. Coopération is key: really"}, 1, "\"—\""},
        {{"The ICC-ASP met. Coopération is key: really"}, 1, "\"—\"*"},
        {{"The ICC-ASP met. Coopération is key: really"}, 1, "\"—\" \"key\" \"…\" \"met\""},
        {{"a b c d e f g h i j k l m n o p q r s t u v w x y z. A b c d e f: g h i j k l m n"},
         1,
         "\"g\" \"h\""},
        {{NULL, "", "court court court", "Court"}, 4, "\"court\" \"court\""},
        {{"one two three", NULL}, 2, "\"one\" \"four\""},
        {{"say \"hi\" to all", "x"}, 2, "\"say\"\"hi\"\"\""},
        {{"l'État c'est moi", "L'ETAT"}, 2, "\"l'etat\"*"},
        {{"Straße STRASSE straße", NULL, "ÆRØ ærø"}, 3, "\"STRAßE\" \"ærø\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        compare_texts(cases[i].cols, cases[i].text, cases[i].match);
}

/* ---- The seed record ------------------------------------------------------------------------- */

/* A deterministic pseudo-random sequence (xorshift64*). */
static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint32_t rnd(uint32_t n) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717ULL) >> 33) % n;
}

/* The words of a text: its runs of bytes other than ASCII white space. */
struct words {
    char **at;    /* malloc'd words */
    size_t count; /* how many */
    size_t cap;   /* room */
};

static void words_add_text(struct words *w, const char *text) {
    if (text == NULL)
        return;
    for (const char *p = text; *p;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
        const char *start = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            p++;
        if (p == start)
            continue;
        if (w->count == w->cap) {
            w->cap = w->cap ? 2 * w->cap : 64;
            w->at = realloc(w->at, w->cap * sizeof *w->at);
            assert_non_null(w->at);
        }
        w->at[w->count++] = strndup(start, (size_t)(p - start));
    }
}

static void words_free(struct words *w) {
    for (size_t i = 0; i < w->count; i++)
        free(w->at[i]);
    free(w->at);
    memset(w, 0, sizeof *w);
}

/* The first `chars` code points of a word, as a new string. */
static char *prefix_of(const char *word, size_t chars) {
    const char *p = word;
    for (size_t n = 0; *p && n < chars; n++) {
        p++;
        while ((*p & 0xC0) == 0x80)
            p++;
    }
    return strndup(word, (size_t)(p - word));
}

/* Expressions on one row: each of some of its words alone, as a prefix of it, with another
 * word of the row and with a word of any row (`all`). */
static void row_cases(int cols, const char *const text[], const int bytes[],
                      const struct words *all) {
    struct words own = {0};
    for (int c = 0; c < cols; c++)
        words_add_text(&own, text[c]);
    for (size_t k = 0; k < 10 && k < own.count; k++) {
        const char *w = own.at[own.count <= 10 ? k : rnd((uint32_t)own.count)];
        const char *one[1] = {w};
        char *e = expression(one, 1, 0);
        compare(cols, text, bytes, e);
        free(e);
        char *pre = prefix_of(w, 2 + rnd(4));
        one[0] = pre;
        e = expression(one, 1, 1);
        compare(cols, text, bytes, e);
        free(e);
        const char *two[3] = {w, own.at[rnd((uint32_t)own.count)], pre};
        e = expression(two, 3, 1);
        compare(cols, text, bytes, e);
        free(e);
        free(pre);
        two[1] = all->at[rnd((uint32_t)all->count)];
        e = expression(two, 2, rnd(2));
        compare(cols, text, bytes, e);
        free(e);
    }
    words_free(&own);
}

/* The search's tables and their indexed columns, read as the search reads them. */
static const char *const seed_tables[] = {
    "SELECT * FROM assemblies_fts",    "SELECT * FROM topics_fts",
    "SELECT * FROM organizations_fts", "SELECT * FROM people_fts",
    "SELECT * FROM documents_fts",     "SELECT * FROM side_events_fts",
    "SELECT * FROM sessions_fts",      "SELECT * FROM interventions_fts",
};

static void seed_record(void **state) {
    (void)state;
    char path[64];
    snprintf(path, sizeof path, "/tmp/plenary-test-snippet-XXXXXX");
    assert_int_equal(scratch_file(path), 0);
    struct db_error err = {0};
    struct db *db = db_open(path, DB_READ_WRITE, &err);
    assert_non_null(db);
    assert_int_equal(db_migrate(db, &err), 0);
    struct problem p;
    memset(&p, 0, sizeof p);
    if (record_import_file(db, fixtures_path, NULL, NULL, &p, &err) != 0)
        fail_msg("cannot import %s: %s", fixtures_path, p.detail);
    sqlite3 *h = db_handle(db);

    struct words all = {0};
    for (size_t t = 0; t < sizeof seed_tables / sizeof seed_tables[0]; t++) {
        sqlite3_stmt *st = NULL;
        assert_int_equal(sqlite3_prepare_v2(h, seed_tables[t], -1, &st, NULL), SQLITE_OK);
        while (sqlite3_step(st) == SQLITE_ROW)
            for (int c = 0; c < sqlite3_column_count(st); c++)
                words_add_text(&all, (const char *)sqlite3_column_text(st, c));
        sqlite3_finalize(st);
    }
    assert_true(all.count > 1000);
    long before = ref.compared, rows = 0;
    for (size_t t = 0; t < sizeof seed_tables / sizeof seed_tables[0]; t++) {
        sqlite3_stmt *st = NULL;
        assert_int_equal(sqlite3_prepare_v2(h, seed_tables[t], -1, &st, NULL), SQLITE_OK);
        int cols = sqlite3_column_count(st);
        assert_true(cols >= 1 && cols <= REF_COLUMNS);
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *text[REF_COLUMNS];
            int bytes[REF_COLUMNS];
            for (int c = 0; c < cols; c++) {
                text[c] = (const char *)sqlite3_column_text(st, c);
                bytes[c] = sqlite3_column_bytes(st, c);
            }
            row_cases(cols, text, bytes, &all);
            rows++;
        }
        sqlite3_finalize(st);
    }
    print_message("seed record: %ld rows, %ld comparisons\n", rows, ref.compared - before);
    words_free(&all);
    db_close(db);
    scratch_db_remove(path);
}

/* ---- Generated rows -------------------------------------------------------------------------- */

/* Words of generated text: case and diacritics that fold together, non-ASCII letters,
 * apostrophes and hyphens inside words, digits, punctuation that is no token. */
static const char *const vocab[] = {
    "court",       "Court",      "COURT",       "cóurt",       "coürt",
    "cour",        "courts",     "coopération", "Cooperation", "co-operation",
    "cooperative", "ICC-ASP",    "icc",         "asp",         "l'État",
    "état",        "Etat",       "naïve",       "Ærø",         "straße",
    "STRASSE",     "Σίσυφος",    "σίσυφος",     "日本",        "Москва",
    "москва",      "İstanbul",   "ﬁnance",      "café",        "CAFÉ",
    "cafe",        "résumé",     "don't",       "o'neill",     "x",
    "a",           "the",        "of",          "and",         "2021",
    "3.5",         "état-major", "über",        "ueber",       "—",
    "–",           "...",        "«",           "»",           "(see",
    "this)",       "\"quoted\"", "end.",        "note:",       "v.",
    "Ω",
};

/* What goes between words: spaces, sentence ends, other punctuation. */
static const char *const separators[] = {
    " ", " ", " ",  " ",  "  ", ". ", ": ", ", ", "; ",    " — ", "\n", ".\n",  "\t",
    ".", ":", "! ", "? ", " (", ") ", "-",  "'",  "...  ", " . ", " :", "\r\n",
};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* A generated text of about `words` words, appended to buf (NUL-terminated). */
static void gen_text(char *buf, size_t cap, int words) {
    size_t n = 0;
    buf[0] = '\0';
    if (rnd(5) == 0)
        n += (size_t)snprintf(buf + n, cap - n, "%s", separators[rnd(COUNT_OF(separators))]);
    for (int i = 0; i < words && n + 64 < cap; i++) {
        const char *w = vocab[rnd(COUNT_OF(vocab))];
        n += (size_t)snprintf(buf + n, cap - n, "%s", w);
        if (i + 1 < words || rnd(3) == 0)
            n += (size_t)snprintf(buf + n, cap - n, "%s", separators[rnd(COUNT_OF(separators))]);
    }
}

/* How many words a generated column has: none, a few, about a window, many. */
static int gen_length(void) {
    switch (rnd(6)) {
    case 0:
        return (int)rnd(4);
    case 1:
    case 2:
        return 1 + (int)rnd(11);
    case 3:
        return 10 + (int)rnd(6);
    case 4:
        return 16 + (int)rnd(40);
    default:
        return 60 + (int)rnd(300);
    }
}

static void generated(void **state) {
    (void)state;
    enum { ROWS = 2500, TEXT = 8192 };
    char *buf[REF_COLUMNS];
    for (int c = 0; c < REF_COLUMNS; c++) {
        buf[c] = malloc(TEXT);
        assert_non_null(buf[c]);
    }
    long before = ref.compared;
    for (int row = 0; row < ROWS; row++) {
        int cols = 1 + (int)rnd(REF_COLUMNS);
        const char *text[REF_COLUMNS];
        struct words own = {0};
        for (int c = 0; c < cols; c++) {
            int kind = (int)rnd(10);
            if (kind == 0) {
                text[c] = NULL;
                continue;
            }
            if (kind == 1)
                buf[c][0] = '\0';
            else
                gen_text(buf[c], TEXT, gen_length());
            text[c] = buf[c];
            words_add_text(&own, text[c]);
        }
        /* a few expressions per row: words of the row (so that most match) or of the
         * vocabulary, a word repeated, a phrase of two words, a phrase without a token */
        for (int q = 0; q < 3; q++) {
            int phrases = 1 + (int)rnd(4), prefix = rnd(5) < 2;
            const char *words[5];
            char *owned[5] = {0};
            for (int i = 0; i < phrases; i++) {
                int pick = (int)rnd(20);
                if (pick < 11 && own.count > 0)
                    words[i] = own.at[rnd((uint32_t)own.count)];
                else if (pick == 11 && i > 0)
                    words[i] = words[i - 1];
                else if (pick == 12) {
                    owned[i] = malloc(64);
                    assert_non_null(owned[i]);
                    snprintf(owned[i], 64, "%s %s", vocab[rnd(COUNT_OF(vocab))],
                             vocab[rnd(COUNT_OF(vocab))]);
                    words[i] = owned[i];
                } else
                    words[i] = vocab[rnd(COUNT_OF(vocab))];
            }
            if (prefix) {
                owned[phrases] = prefix_of(words[phrases - 1], 1 + rnd(6));
                words[phrases - 1] = owned[phrases];
            }
            char *e = expression(words, phrases, prefix);
            compare_texts(cols, text, e);
            free(e);
            for (int i = 0; i <= phrases; i++)
                free(owned[i]);
        }
        words_free(&own);
    }
    print_message("generated: %d rows, %ld comparisons\n", ROWS, ref.compared - before);
    for (int c = 0; c < REF_COLUMNS; c++)
        free(buf[c]);
}

/* Texts with a NUL inside and bytes that are not UTF-8: both tokenized as FTS5 has them. */
static void odd_bytes(void **state) {
    (void)state;
    static const char with_nul[] = "court of x\0 court of y court court";
    static const char bad_utf8[] = "court \xff\xfe court \xc3 cou\xe9rt end. court";
    const char *text[2] = {with_nul, bad_utf8};
    int bytes[2] = {(int)sizeof with_nul - 1, (int)sizeof bad_utf8 - 1};
    compare(2, text, bytes, "\"court\"");
    compare(2, text, bytes, "\"of\" \"y\"");
    compare(2, text, bytes, "\"cou\"*");
    compare(2, text, bytes, "\"\xc3\"*");

    /* FTS5 keeps 32768 bytes of a token: longer ones compare on those */
    enum { LONG = 40000 };
    char *doc = malloc(LONG + 64), *match = malloc(LONG + 64);
    assert_non_null(doc);
    assert_non_null(match);
    int n = snprintf(doc, 64, "short words. then ");
    memset(doc + n, 'a', LONG);
    strcpy(doc + n + LONG, " and more words after it: end");
    const char *long_text[1] = {doc};
    match[0] = '"';
    memset(match + 1, 'a', LONG - 100);
    strcpy(match + 1 + LONG - 100, "\"*");
    compare_texts(1, long_text, match); /* a prefix shorter than the cut */
    memset(match + 1, 'a', LONG);
    strcpy(match + 1 + LONG, "b\"");
    compare_texts(1, long_text, match); /* differs past the cut only */
    strcpy(match + 1 + LONG, "b\" \"end\"");
    compare_texts(1, long_text, match);
    doc[n + 32767] = 'b'; /* the cut keeps this byte: a query with another there differs */
    match[1 + 32767] = 'c';
    strcpy(match + 1 + LONG, "\"");
    compare_texts(1, long_text, match);
    match[1 + 32767] = 'b';
    compare_texts(1, long_text, match);
    free(doc);
    free(match);
}

static void totals(void **state) {
    (void)state;
    print_message("%ld comparisons with FTS5's snippet(), %ld of rows that match: all equal\n",
                  ref.compared, ref.matched);
    assert_true(ref.compared >= 3000);
}

/* Expressions not of res_search.c's form are refused. */
static void refuses_other_expressions(void **state) {
    (void)state;
    assert_int_equal(db_snippet_query(ref.mine, "court"), -1);
    assert_int_equal(db_snippet_query(ref.mine, "\"court"), -1);
    assert_int_equal(db_snippet_query(ref.mine, "\"a\"b"), -1);
    assert_int_equal(db_snippet_query(ref.mine, "\"a\" OR \"b\""), -1);
    assert_int_equal(db_snippet_query(ref.mine, "\"a\"* \"b\""), 0);
    assert_int_equal(db_snippet_query(ref.mine, ""), 0);
}

int main(int argc, char **argv) {
    if (argc > 1)
        fixtures_path = argv[1];
    db_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(written_cases),
        cmocka_unit_test(odd_bytes),
        cmocka_unit_test(seed_record),
        cmocka_unit_test(generated),
        cmocka_unit_test(refuses_other_expressions),
        cmocka_unit_test(totals),
    };
    return cmocka_run_group_tests(tests, ref_setup, ref_teardown);
}
