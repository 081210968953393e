/* db_search.c: the SQL of /v1/search. The file is divided into: the SQL of each type; the
 * best candidates (a heap); the rank function; the per-connection search state (term
 * statistics, row lengths, the snippets' tokenizer); each type's expression; the ranked,
 * counted scan, through FTS5 or directly over the postings; the page's references and
 * snippets; and the query's expression built from q.
 *
 * Ranking. Each type's FTS5 table is read by one statement that takes its first
 * DB_SEARCH_MAX_CANDIDATES matches in index (rowid) order and scores them with bm25; the
 * candidates of all types are then ordered in C by (score, type, id). A word found in most
 * of a million interventions would otherwise be scored, sorted and counted in full (seconds)
 * to show twenty hits. When a type has fewer matches than the bound — every rare word, every
 * type of a small record — its ranking is exact; beyond it, the candidates are the type's
 * oldest matches, ranked. The candidate set depends only on the record, the query and the
 * type mask, so offset paging over it visits every candidate once. bm25 scores of different
 * tables are computed over different corpora and so are only roughly comparable; titles and
 * names weigh more than running text, which is what a reader expects of a type-ahead box.
 * One statement per type rather than one UNION ALL: each table gets an expression of its own
 * (see type-ahead) and the tables are read in the order that spares the most (see pruning).
 *
 * Direct scan. Once a connection knows a type's statistics (below) and the query is plain
 * words — every phrase one ASCII word, the last one replaced by its exact terms (type-ahead)
 * — the same candidates are read without a MATCH statement: scan_direct walks each term's
 * postings (db_fts.c reads them from the index's leaves) in rowid order, intersects the
 * phrases, and scores each row with plenary_rank's arithmetic, the rows' lengths taken from
 * an array read once per revision (bm25's norms, 2 bytes a row); the pruning by bounds is
 * kept for the rows whose length must be looked up. FTS5 spent ~2,000 instructions per
 * candidate on its cursor, the auxiliary call and the statement's steps; the walk of one
 * term spends ~90 (decoding its entry, scoring, one comparison with the page's worst). It
 * gives the same candidates, scores to the bit, order and counts (tests/unit/test_search.c
 * compares both ways on a generated record, before and after writes); anything the reader
 * does not recognise sends the type, or the whole ranking, back through FTS5. Where each
 * term's postings begin in the index is kept with the term statistics (db_fts_place).
 *
 * The score is plenary_rank(), an FTS5 auxiliary function that computes exactly what
 * bm25() computes, with the same column weights, but takes each phrase's document frequency
 * (how many rows hold it) from the connection's term statistics rather than from a scan of
 * the phrase's whole posting list on every query (bm25 calls xQueryPhrase per phrase: 20 ms
 * for a word in 700,000 rows). The statistics are kept per connection and dropped when the
 * record's revision moves: they are what a search engine keeps in its term dictionary, not
 * a cache of answers. A frequency not yet known is counted by the first query that needs it,
 * as far as it matters: past half the table's rows bm25's idf is at its floor, and past
 * DB_SEARCH_COUNT_CAP the count stops.
 *
 * Type-ahead. The last word of q is a prefix. FTS5 indexes prefixes of 2 and 3 characters
 * (schema: prefix = '2 3'); a longer prefix makes FTS5 merge the posting lists of every term
 * under it into one buffer before the first row (20 ms for "cooperation"*, on every
 * statement). So a longer plain-ASCII prefix is replaced, per table, by the exact terms of
 * that table's vocabulary it covers ("coop"* by "cooperation" OR "cooperative"), which FTS5
 * streams; db_fts.c reads those terms from the index's segments. The rows matched are the
 * same, and plenary_rank counts the terms of the group as the one phrase they replace, so
 * the scores are too. A table with no term under the prefix is not searched at all.
 *
 * Pruning. Only the candidates that can still enter the page (the best offset + limit so far)
 * need an exact score: a table whose best possible score (each phrase's idf times k1 + 1,
 * known from the statistics) cannot beat the page's worst so far is not scanned for
 * candidates at all, tables that may score highest are scanned first, and within a table a
 * row whose score is bounded out by the positions of its matches is not scored. The page is
 * the same as if every candidate were scored and sorted.
 *
 * Counting. meta.total counts the hits up to DB_SEARCH_COUNT_CAP + 1. With one word, the
 * count is the word's document frequency per table, known from the term statistics; with
 * more, the matches past the candidates are counted on, until the cap: by the direct walk
 * (count_direct) when the type can be walked, else by a second statement that resumes after
 * the last candidate's rowid.
 *
 * Snippets and references are read afterwards for the page only, by one lookup per hit that
 * reads its reference and indexed text. A hit's snippet is what FTS5's
 * snippet(table, -1, ..., 12) would give for it, computed in C by db_snippet.c from that text
 * and the query's expression, with the connection's own unicode61 tokenizer. FTS5's snippet()
 * needs a cursor of a MATCH positioned on the row, and a MATCH restricted to a few rowids sets
 * the whole query up again per rowid (the prefix merge above, twenty times); but it uses
 * nothing of the index beyond the positions of the matches in the row's own text, which
 * tokenizing that text gives. The page's rows were once copied into a scratch FTS5 table of
 * the same tokenizer for snippet() to run there: FTS5 builds an index segment per inserted
 * row, and that copy, snippet() and the rollback were 1.54 M of the 2.52 M instructions of
 * /v1/search?q=cooperation on the seed record (callgrind); db_snippet.c takes 0.22 M (the
 * whole request 1.20 M), tokenizing each column once. tests/unit/test_snippet.c keeps FTS5's
 * snippet() as the reference and checks that the bytes are the same. */
#include "db_search.h"

#include "db_fts.h"
#include "db_internal.h"
#include "db_snippet.h"
#include "format.h"

#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The SQL below writes each type as its enum record_type value. */
_Static_assert(RECORD_ASSEMBLY == 0 && RECORD_TOPIC == 1 && RECORD_ORGANIZATION == 2 &&
                   RECORD_PERSON == 3 && RECORD_DOCUMENT == 4 && RECORD_SESSION == 5 &&
                   RECORD_INTERVENTION == 6 && RECORD_SIDE_EVENT == 7,
               "db_search.c's tables follow enum record_type");

/* The longest prefix FTS5 indexes (schema: prefix = '2 3'), in characters: a prefix query of
 * at most this length streams from the prefix index and is left as it is. */
#define SEARCH_INDEXED_PREFIX 3
/* Most exact terms a prefix is replaced by; a prefix covering more runs as a prefix query. */
#define SEARCH_EXPAND_MAX 64
/* Most indexed columns of one FTS table. */
#define SEARCH_MAX_COLUMNS 4
_Static_assert(SEARCH_MAX_COLUMNS <= DB_SNIPPET_MAX_COLUMNS, "a row's columns make a snippet");
_Static_assert(SEARCH_MAX_COLUMNS <= DB_FTS_MAX_COLUMNS, "a row's columns are summed up");
/* Slots of a connection's term statistics (a power of 2); they are dropped at half full. */
#define SEARCH_TERMS_SLOTS 1024

/* ---- The SQL of each type -------------------------------------------------------------------- */

/* ?1 the type's expression, ?2 the rank context (a pointer), ?3 the most rows read. */
#define RANK(tbl)                                                                                  \
    "SELECT rowid, plenary_rank(" tbl ", ?2) FROM " tbl " WHERE " tbl " MATCH ?1 LIMIT ?3"
/* ?1 an expression: the rows that match. */
#define COUNT(tbl) "SELECT count(*) FROM " tbl " WHERE " tbl " MATCH ?1"
/* ?1 an expression, ?2 a rowid, ?3 the most rows counted: the rows past ?2 that match. */
#define COUNT_PAST(tbl)                                                                            \
    "SELECT count(*) FROM (SELECT 1 FROM " tbl " WHERE " tbl " MATCH ?1 AND rowid > ?2 LIMIT ?3)"
/* The rows of a type's hits on the page: ?1 a JSON array of their ids, joined from (one
 * execution for all of them: a statement per hit cost ~11 of ~34 us for a page of twenty
 * interventions in its resets and starts). `alias` is the table whose id is the hit's. */
#define PAGE_HITS(table, alias) " FROM json_each(?1) j CROSS JOIN " table " " alias " ON " alias ".id = j.value"

/* Everything the search knows of one type. */
struct search_type {
    const char *rank;                   /* the ranked scan of the candidates (RANK) */
    const char *count;                  /* the rows matching an expression (COUNT) */
    const char *count_past;             /* the same past a rowid, up to a limit (COUNT_PAST) */
    const char *refs;                   /* id, slug, name, kind, honorific, then the indexed text,
                                           of the hits in ?1 (PAGE_HITS) */
    struct db_fts_table fts;            /* the table's shadow tables, for its vocabulary */
    int columns;                        /* the table's indexed columns */
    double weights[SEARCH_MAX_COLUMNS]; /* bm25 weight of each column, as always ranked */
};

/* One type's entry: its FTS table, the refs query's columns and source, its indexed
 * columns and their bm25 weights. */
#define TYPE(tbl, refs_sql, ncols, ...)                                                            \
    .rank = RANK(tbl), .count = COUNT(tbl), .count_past = COUNT_PAST(tbl), .refs = refs_sql,       \
    .fts = DB_FTS_TABLE(tbl), .columns = ncols, .weights = {__VA_ARGS__}

static const struct search_type types[RECORD_TYPE_COUNT] = {
    [RECORD_ASSEMBLY] = {TYPE("assemblies_fts",
                              "SELECT a.id, a.slug, a.name, NULL, NULL, a.name, a.short_name,"
                              " a.place" PAGE_HITS("assemblies", "a"),
                              3, 5.0, 5.0, 1.0)},
    [RECORD_TOPIC] = {TYPE("topics_fts",
                           "SELECT x.id, x.slug, x.name, NULL, NULL, x.name"
                           PAGE_HITS("topics", "x"),
                           1, 1.0)},
    [RECORD_ORGANIZATION] = {TYPE("organizations_fts",
                                  "SELECT o.id, o.slug, o.name, o.kind, NULL, o.name, o.acronym"
                                  PAGE_HITS("organizations", "o"),
                                  2, 5.0, 5.0)},
    [RECORD_PERSON] = {TYPE("people_fts",
                            "SELECT p.id, p.slug, p.name, NULL, p.honorific, p.name"
                            PAGE_HITS("people", "p"),
                            1, 1.0)},
    [RECORD_DOCUMENT] = {TYPE("documents_fts",
                              "SELECT d.id, d.slug, d.title, d.kind, NULL, d.title"
                              PAGE_HITS("documents", "d"),
                              1, 1.0)},
    /* sessions_fts keeps its own copy of the text (it holds the segments' too) */
    [RECORD_SESSION] = {TYPE("sessions_fts",
                             "SELECT s.id, s.slug, s.title, s.kind, NULL, f.title, f.theme,"
                             " f.summary, f.segments" PAGE_HITS("sessions", "s")
                             " JOIN sessions_fts f ON f.rowid = s.id",
                             4, 5.0, 3.0, 1.0, 1.0)},
    /* the text is the index's content view; the label matches the compact reference other
     * answers give an intervention */
    [RECORD_INTERVENTION] = {TYPE("interventions_fts",
                                  "SELECT i.id, NULL, coalesce(c.speaker, c.organization, '')"
                                  " || ' — ' || s.title || ', ' || i.position, NULL, NULL,"
                                  " c.summary, c.role, c.speaker, c.organization"
                                  PAGE_HITS("interventions_fts_content", "c")
                                  " JOIN interventions i ON i.id = c.id"
                                  " JOIN sessions s ON s.id = i.session_id",
                                  4, 1.0, 1.0, 2.0, 2.0)},
    [RECORD_SIDE_EVENT] = {TYPE("side_events_fts",
                                "SELECT e.id, e.slug, e.title, NULL, NULL, e.title, e.description"
                                PAGE_HITS("side_events", "e"),
                                2, 5.0, 1.0)},
};

/* The columns of a refs row before the indexed text. */
#define REFS_TEXT 5

/* ---- The best candidates --------------------------------------------------------------------- */

/* A ranked candidate. */
struct candidate {
    double score; /* plenary_rank: lower is better */
    int64_t id;   /* the row */
    int type;     /* enum record_type */
};

/* The order of the answer: score, then type, then id. */
static int candidate_cmp(const void *a, const void *b) {
    const struct candidate *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? -1 : 1;
    if (x->type != y->type)
        return x->type < y->type ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* The best `keep` candidates seen (those up to the end of the page): a binary heap with the
 * worst of them on top, so that a further candidate that is no better costs one comparison
 * (most of thousands, for a page of twenty). */
struct best {
    struct candidate *at; /* the heap */
    size_t count;         /* held */
    size_t keep;          /* the most held */
};

/* Moves the candidate at i down to its place in the heap. */
static void best_sift_down(struct best *b, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, worst = i;
        if (l < b->count && candidate_cmp(&b->at[l], &b->at[worst]) > 0)
            worst = l;
        if (r < b->count && candidate_cmp(&b->at[r], &b->at[worst]) > 0)
            worst = r;
        if (worst == i)
            return;
        struct candidate tmp = b->at[i];
        b->at[i] = b->at[worst];
        b->at[worst] = tmp;
        i = worst;
    }
}

/* Does the heap hold all it keeps (so that a candidate must beat its top to join)? */
static int best_full(const struct best *b) {
    return b->keep > 0 && b->count == b->keep;
}

/* Offers a candidate: kept when it is among the best `keep` so far. */
static void best_add(struct best *b, struct candidate c) {
    if (b->count < b->keep) {
        size_t i = b->count++;
        b->at[i] = c;
        while (i > 0 && candidate_cmp(&b->at[(i - 1) / 2], &b->at[i]) < 0) {
            struct candidate tmp = b->at[i];
            b->at[i] = b->at[(i - 1) / 2];
            b->at[(i - 1) / 2] = tmp;
            i = (i - 1) / 2;
        }
    } else if (b->keep > 0 && candidate_cmp(&c, &b->at[0]) < 0) {
        b->at[0] = c;
        best_sift_down(b, 0);
    }
}

/* best_add for a scan's many candidates, most of them no better than every one kept: those
 * cost one comparison here, without the call. */
static inline void best_offer(struct best *b, struct candidate c) {
    if (b->keep > 0 && b->count == b->keep && candidate_cmp(&c, &b->at[0]) >= 0)
        return;
    best_add(b, c);
}

/* ---- The rank function ----------------------------------------------------------------------- */

/* The pointer type of plenary_rank's argument. */
#define RANK_POINTER "plenary-rank"

/* What plenary_rank needs for one statement, bound to its ?2. The query's logical phrases
 * are its words; the last one may be a group of FTS5 phrases (a prefix replaced by the exact
 * terms it covers), whose instances count as the one phrase's. */
struct rank_ctx {
    const double *weights;             /* per column */
    int columns;                       /* entries of weights */
    int phrases;                       /* logical phrases */
    int group;                         /* FTS5 phrases that make the last logical one */
    int64_t df[DB_SEARCH_MAX_PHRASES]; /* rows holding each logical phrase, as far as it
                                        * matters (rank_prepare); -1: count it */
    int type;                          /* the table's type (enum record_type) */
    const struct best *best;           /* the best candidates so far (see rank_function) */
    int ready;                         /* idf, avgdl, rows and ceiling are set */
    int unkept;                        /* df is not the query's phrases': do not keep it */
    double idf[DB_SEARCH_MAX_PHRASES]; /* bm25's inverse document frequency per phrase */
    double avgdl;                      /* mean tokens per row */
    int64_t rows;                      /* rows of the table */
    double ceiling;                    /* no row scores better than -ceiling */
};

/* bm25's constants. */
#define BM25_K1 1.2
#define BM25_B 0.75

/* bm25's inverse document frequency of a phrase that `hits` of `rows` rows hold. */
static double rank_idf(int64_t rows, int64_t hits) {
    double idf = log((rows - hits + 0.5) / (hits + 0.5));
    return idf <= 0.0 ? 1e-6 : idf; /* bm25's floor for a word in most rows */
}

/* Above every score of a query whose phrases have these idf: each phrase adds at most
 * idf * (k1 + 1), however often it occurs; widened by a trifle against rounding. */
static double rank_ceiling(const double *idf, int phrases) {
    double sum = 0.0;
    for (int i = 0; i < phrases; i++)
        sum += idf[i] * (BM25_K1 + 1.0);
    return sum * (1.0 + 1e-9);
}

/* bm25 of a row `d` tokens long whose phrases have the weighted frequencies freq: the
 * arithmetic of plenary_rank (and of FTS5's bm25), in the same order, so the same doubles. */
static inline double rank_score(const struct rank_ctx *r, const double *freq, double d) {
    const double k1 = BM25_K1, b = BM25_B;
    double score = 0.0;
    for (int i = 0; i < r->phrases; i++)
        score += r->idf[i] * ((freq[i] * (k1 + 1.0)) / (freq[i] + k1 * (1 - b + b * d / r->avgdl)));
    return score;
}

/* Can no candidate scoring -ceiling or worse (of type, from id on) join the best? */
static int rank_hopeless(const struct best *best, double ceiling, int type, int64_t id) {
    if (best == NULL || !best_full(best))
        return 0;
    struct candidate c = {-ceiling, id, type};
    return candidate_cmp(&c, &best->at[0]) >= 0;
}

/* A phrase's document frequency being counted: how many rows hold it, up to enough. */
struct df_count {
    sqlite3_int64 hits;   /* rows counted */
    sqlite3_int64 enough; /* stop here */
};

/* xQueryPhrase's callback: one more row holds the phrase. */
static int count_row(const Fts5ExtensionApi *api, Fts5Context *fts, void *user) {
    (void)api;
    (void)fts;
    struct df_count *n = user;
    return ++n->hits < n->enough ? SQLITE_OK : SQLITE_DONE;
}

/* The first call of a statement: the table's size and each phrase's idf, as bm25 has them. */
static int rank_prepare(const Fts5ExtensionApi *api, Fts5Context *fts, struct rank_ctx *r) {
    int phrases = api->xPhraseCount(fts);
    if (phrases != r->phrases - 1 + r->group) {
        /* FTS5 drops a phrase without a token (q "— coop") from an implicit AND: rank its
         * phrases as bm25 would, with frequencies of its own, neither read nor kept */
        if (r->group != 1 || phrases < 1 || phrases > DB_SEARCH_MAX_PHRASES)
            return SQLITE_ERROR; /* not the expression this context was made for */
        r->phrases = phrases;
        r->unkept = 1;
        for (int i = 0; i < phrases; i++)
            r->df[i] = -1;
    }
    sqlite3_int64 rows = 0, tokens = 0;
    int rc = api->xRowCount(fts, &rows);
    if (rc == SQLITE_OK)
        rc = api->xColumnTotalSize(fts, -1, &tokens);
    if (rc != SQLITE_OK || rows <= 0)
        return rc != SQLITE_OK ? rc : SQLITE_ERROR;
    r->avgdl = (double)tokens / (double)rows;
    for (int i = 0; i < r->phrases; i++) {
        if (r->df[i] < 0) {
            /* a group's frequency is counted by the caller: a row may hold several terms */
            if (i == r->phrases - 1 && r->group != 1)
                return SQLITE_ERROR;
            /* counted no further than it matters: a phrase in half the rows or more gets the
             * floor idf, and the count of hits stops past DB_SEARCH_COUNT_CAP */
            struct df_count n = {0, rows / 2 + 1};
            if (n.enough <= DB_SEARCH_COUNT_CAP)
                n.enough = DB_SEARCH_COUNT_CAP + 1;
            rc = api->xQueryPhrase(fts, i, &n, count_row);
            if (rc != SQLITE_OK)
                return rc;
            r->df[i] = n.hits;
        }
        r->idf[i] = rank_idf(rows, r->df[i]);
    }
    r->rows = rows;
    r->ceiling = rank_ceiling(r->idf, r->phrases);
    r->ready = 1;
    return SQLITE_OK;
}

/* plenary_rank(table, context): bm25(table, weights...) of the current row, the document
 * frequencies taken from the context; NULL for a row that cannot be among the context's best
 * candidates. Whether it can is asked twice: from the query's ceiling before anything of the
 * row is read, then from the positions of its matches before its length is (a lookup per
 * row, the most costly part), since bm25 only falls as a row grows longer. */
static void rank_function(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx,
                          int nval, sqlite3_value **val) {
    struct rank_ctx *r = nval == 1 ? sqlite3_value_pointer(val[0], RANK_POINTER) : NULL;
    if (r == NULL) {
        sqlite3_result_error(ctx, "plenary_rank: no rank context", -1);
        return;
    }
    int rc = r->ready ? SQLITE_OK : rank_prepare(api, fts, r);
    if (rc == SQLITE_OK && rank_hopeless(r->best, r->ceiling, r->type, api->xRowid(fts))) {
        sqlite3_result_null(ctx);
        return;
    }
    double freq[DB_SEARCH_MAX_PHRASES] = {0};
    int inst = 0, reach[SEARCH_MAX_COLUMNS] = {0}; /* per column: past the last match */
    int64_t shortest = 0;                          /* tokens the row has at the least */
    if (rc == SQLITE_OK)
        rc = api->xInstCount(fts, &inst);
    for (int i = 0; rc == SQLITE_OK && i < inst; i++) {
        int phrase, column, offset;
        rc = api->xInst(fts, i, &phrase, &column, &offset);
        if (rc == SQLITE_OK) {
            int logical = phrase < r->phrases - 1 ? phrase : r->phrases - 1;
            freq[logical] += column < r->columns ? r->weights[column] : 1.0;
            if (column >= 0 && column < SEARCH_MAX_COLUMNS && offset >= reach[column])
                reach[column] = offset < INT32_MAX ? offset + 1 : INT32_MAX;
        }
    }
    for (int c = 0; c < SEARCH_MAX_COLUMNS; c++)
        shortest += reach[c];
    /* bm25's arithmetic, in bm25's order, so that the scores are bm25's to the last bit; the
     * bound is the same arithmetic with the shortest length, not smaller in floating point */
    if (rc == SQLITE_OK && r->best != NULL && best_full(r->best)) {
        double bound = rank_score(r, freq, (double)shortest);
        if (rank_hopeless(r->best, bound, r->type, api->xRowid(fts))) {
            sqlite3_result_null(ctx);
            return;
        }
    }
    int tokens = 0;
    if (rc == SQLITE_OK)
        rc = api->xColumnSize(fts, -1, &tokens);
    if (rc != SQLITE_OK) {
        sqlite3_result_error_code(ctx, rc);
        return;
    }
    sqlite3_result_double(ctx, -1.0 * rank_score(r, freq, (double)tokens));
}

/* ---- Per-connection state -------------------------------------------------------------------- */

/* What a search prepared earlier on the same table for the same phrase. */
struct term_entry {
    char *key;       /* the type's digit, then the phrase as written in the query; NULL: free */
    int64_t df;      /* rows of the type's table that hold the phrase; -1 until counted */
    int expanded;    /* 1 once the phrase's expansion below was looked up (prefixes only) */
    int members;     /* exact terms the prefix stands for: 0 none (no row can match), -1
                      * not replaced (the prefix runs as a prefix query), else how many */
    char *expansion; /* those terms as FTS5 phrases joined by OR (members > 0) */
    /* where the index holds the phrase's terms, for the direct walk (db_fts_postings_open_at):
     * the word's own, and each member's of the expansion (members entries, or NULL) */
    struct db_fts_place *word_place;
    struct db_fts_place **member_places;
};

/* A connection's search state, in its db_search_state slot; created at its first search,
 * freed when it closes (FTS5 calls the rank function's destructor then). */
struct search_conn {
    struct db_snippet *snippet;                  /* the tables' tokenizer, for snippets */
    int64_t revision;                            /* the revision the terms were read at */
    int64_t rows[RECORD_TYPE_COUNT];             /* rows of each type's table; -1 unknown */
    double avgdl[RECORD_TYPE_COUNT];             /* their mean tokens per row, as bm25 has it */
    /* each table's row lengths in memory (scan_direct), read once per revision */
    struct db_fts_lengths lengths[RECORD_TYPE_COUNT];
    int64_t lengths_revision[RECORD_TYPE_COUNT]; /* the revision they were read at; -1 none */
    int lengths_kept[RECORD_TYPE_COUNT];         /* 1 read, 0 not kept (too many rowids) */
    struct term_entry terms[SEARCH_TERMS_SLOTS]; /* open addressing by key */
    size_t term_count;                           /* slots in use */
};

static void terms_clear(struct search_conn *c) {
    for (size_t i = 0; i < SEARCH_TERMS_SLOTS; i++) {
        struct term_entry *e = &c->terms[i];
        free(e->key);
        free(e->expansion);
        db_fts_place_free(e->word_place);
        for (int k = 0; e->member_places != NULL && k < e->members; k++)
            db_fts_place_free(e->member_places[k]);
        free(e->member_places);
        *e = (struct term_entry){0};
    }
    c->term_count = 0;
    for (int t = 0; t < RECORD_TYPE_COUNT; t++) {
        c->rows[t] = -1;
        c->avgdl[t] = 0.0;
    }
}

static void conn_free(struct search_conn *c) {
    if (c == NULL)
        return;
    for (int t = 0; t < RECORD_TYPE_COUNT; t++)
        free(c->lengths[t].tokens);
    db_snippet_free(c->snippet);
    terms_clear(c);
    free(c);
}

/* The rank function's destructor: the connection is closing. */
static void conn_destroy(void *p) { conn_free(p); }

/* The connection's FTS5 API, or NULL. */
static fts5_api *fts5_api_of(sqlite3 *handle) {
    fts5_api *api = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(handle, "SELECT fts5(?1)", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL) == SQLITE_OK)
        (void)sqlite3_step(st);
    sqlite3_finalize(st);
    return api;
}

/* The connection's search state, made at its first search (the snippets' tokenizer made,
 * the rank function registered). Returns it, or NULL with err filled. */
static struct search_conn *conn_of(struct db *db, struct db_error *err) {
    void **slot = db_search_state(db);
    if (*slot != NULL)
        return *slot;
    sqlite3 *handle = db_handle(db);
    struct search_conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        db_error_set(err, -1, "search: out of memory");
        return NULL;
    }
    c->revision = -1;
    for (int t = 0; t < RECORD_TYPE_COUNT; t++)
        c->lengths_revision[t] = -1;
    fts5_api *api = fts5_api_of(handle);
    if (api == NULL || (c->snippet = db_snippet_new(api)) == NULL) {
        db_error_set(err, -1, "search: cannot make the snippets' tokenizer");
        conn_free(c);
        return NULL;
    }
    if (api->xCreateFunction(api, "plenary_rank", c, rank_function, conn_destroy) != SQLITE_OK) {
        db_error_set(err, -1, "search: cannot register plenary_rank");
        conn_free(c);
        return NULL;
    }
    /* from here FTS5 owns c: conn_destroy frees it when the connection closes */
    *slot = c;
    return c;
}

/* The entry of (type, phrase), made empty when missing; NULL when out of memory. The table
 * never fills: it is cleared at half full before a search, and one search adds at most
 * RECORD_TYPE_COUNT * DB_SEARCH_MAX_PHRASES entries. */
static struct term_entry *term_entry(struct search_conn *c, int type, const char *phrase,
                                     size_t len) {
    _Static_assert(SEARCH_TERMS_SLOTS / 2 > RECORD_TYPE_COUNT * DB_SEARCH_MAX_PHRASES,
                   "one search fits in the term table");
    uint64_t h = 14695981039346656037ULL ^ (uint64_t)type; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)phrase[i]) * 1099511628211ULL;
    size_t i = (size_t)h & (SEARCH_TERMS_SLOTS - 1);
    for (; c->terms[i].key != NULL; i = (i + 1) & (SEARCH_TERMS_SLOTS - 1)) {
        const char *k = c->terms[i].key;
        if (k[0] == '0' + type && strlen(k + 1) == len && memcmp(k + 1, phrase, len) == 0)
            return &c->terms[i];
    }
    assert(c->term_count < SEARCH_TERMS_SLOTS - 1);
    char *key = malloc(len + 2);
    if (key == NULL)
        return NULL;
    key[0] = (char)('0' + type);
    memcpy(key + 1, phrase, len);
    key[len + 1] = '\0';
    c->terms[i] = (struct term_entry){.key = key, .df = -1};
    c->term_count++;
    return &c->terms[i];
}

/* ---- Each type's expression ------------------------------------------------------------------ */

static int is_alnum_ascii(unsigned char ch) {
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* Can the query's last phrase be replaced by exact terms? It must be a prefix longer than
 * the indexed ones, of ASCII letters and digits only (one token, which the tokenizer only
 * lowercases), and every other phrase must hold a letter or digit: a phrase without a token
 * is dropped from FTS5's implicit AND, but empties an explicit AND, which the replacement
 * needs when it is a group. */
static int expandable(const struct db_search_query *q) {
    size_t last = q->phrases - 1;
    const char *p = q->match + q->start[last];
    size_t n = q->len[last];
    if (n < 3 + SEARCH_INDEXED_PREFIX + 1 || p[n - 1] != '*')
        return 0;
    for (size_t i = 1; i < n - 2; i++)
        if (!is_alnum_ascii((unsigned char)p[i]))
            return 0;
    for (size_t k = 0; k < last; k++) {
        int token = 0;
        for (size_t i = 0; i < q->len[k] && !token; i++)
            token = is_alnum_ascii((unsigned char)q->match[q->start[k] + i]);
        if (!token)
            return 0;
    }
    return 1;
}

/* Looks up the exact terms of the type's table under the query's last phrase (a prefix, see
 * expandable) and records them in e. Returns 0, or -1 when out of memory. */
static int expand(struct db *db, int type, const struct db_search_query *q, struct term_entry *e) {
    size_t last = q->phrases - 1;
    const char *p = q->match + q->start[last] + 1;
    size_t n = q->len[last] - 3;
    char prefix[256];
    if (n >= sizeof prefix) {
        e->members = -1;
        e->expanded = 1;
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        prefix[i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] - 'A' + 'a' : p[i]);
    char *terms = NULL;
    int count = db_fts_prefix_terms(db, &types[type].fts, prefix, n, SEARCH_EXPAND_MAX, &terms);
    e->members = -1;
    e->expanded = 1;
    if (count < 0) /* too many, or unreadable: FTS5 expands it */
        return 0;
    /* every term quoted, joined by OR; a term that would not read back as the one token it
     * is (none should: the tokenizer keeps no ASCII punctuation) leaves the prefix to FTS5 */
    size_t bytes = 1;
    const char *t = terms;
    for (int i = 0; i < count; i++, t += strlen(t) + 1)
        bytes += 2 * strlen(t) + 6;
    char *out = malloc(bytes);
    if (out == NULL) {
        free(terms);
        return -1;
    }
    size_t o = 0;
    t = terms;
    for (int i = 0; i < count; i++, t += strlen(t) + 1) {
        for (const char *c = t; *c; c++)
            if (!is_alnum_ascii((unsigned char)*c) && (unsigned char)*c < 0x80) {
                free(out);
                free(terms);
                return 0; /* not a plain token: let FTS5 expand the prefix */
            }
        o += (size_t)snprintf(out + o, bytes - o, "%s\"%s\"", i ? " OR " : "", t);
    }
    free(terms);
    e->members = count;
    if (count == 0) {
        free(out);
        return 0;
    }
    e->expansion = out;
    return 0;
}

/* One type's part of a search. */
struct plan {
    char *expr;                                      /* the type's expression (malloc'd) */
    int skip;                                        /* no row of the type can match */
    int grouped;                                     /* the last phrase is its exact terms */
    struct rank_ctx rank;                            /* for plenary_rank */
    struct term_entry *entry[DB_SEARCH_MAX_PHRASES]; /* the statistics of each phrase */
};

/* Plans the type: its expression, and what its term statistics already know. Returns 0, or
 * -1 with err filled. */
static int plan_type(struct db *db, struct search_conn *c, int type,
                     const struct db_search_query *q, int expand_last, struct plan *p,
                     struct db_error *err) {
    memset(p, 0, sizeof *p);
    p->rank.weights = types[type].weights;
    p->rank.columns = types[type].columns;
    p->rank.phrases = (int)q->phrases;
    p->rank.group = 1;
    for (size_t i = 0; i < q->phrases; i++) {
        p->entry[i] = term_entry(c, type, q->match + q->start[i], q->len[i]);
        if (p->entry[i] == NULL)
            goto oom;
        p->rank.df[i] = p->entry[i]->df;
    }
    struct term_entry *last = p->entry[q->phrases - 1];
    if (expand_last && !last->expanded && expand(db, type, q, last) != 0)
        goto oom;
    if (!expand_last || last->members < 0) { /* the query as it is */
        p->expr = strdup(q->match);
        if (p->expr == NULL)
            goto oom;
        return 0;
    }
    if (last->members == 0) {
        p->skip = 1;
        return 0;
    }
    /* the words before the last, then its terms: "a" "b" AND ("c1" OR "c2"), or "a" "c1" */
    size_t head = q->start[q->phrases - 1];
    size_t n = head + strlen(last->expansion) + 8;
    p->expr = malloc(n);
    if (p->expr == NULL)
        goto oom;
    /* put together by hand: snprintf cost a thousand instructions a type */
    int group = last->members > 1 && head > 0;
    size_t elen = strlen(last->expansion);
    char *o = p->expr;
    memcpy(o, q->match, head), o += head;
    if (group)
        memcpy(o, "AND (", 5), o += 5;
    memcpy(o, last->expansion, elen), o += elen;
    if (group)
        *o++ = ')';
    *o = '\0';
    assert((size_t)(o - p->expr) < n);
    p->rank.group = last->members;
    p->grouped = 1;
    return 0;
oom:
    db_error_set(err, -1, "search: out of memory");
    return -1;
}

/* Counts the rows of the type's table that match expr. Returns the count or -1. */
static int64_t count_rows(struct db *db, int type, const char *expr, struct db_error *err) {
    sqlite3_stmt *st = db_prepare(db, types[type].count);
    int64_t n = -1;
    if (st != NULL && sqlite3_bind_text(st, 1, expr, -1, SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    else
        db_fail(db, err, "search: count");
    db_done(st);
    return n;
}

/* ---- The ranked, counted scan ---------------------------------------------------------------- */

/* Runs the type's ranked scan over its first DB_SEARCH_MAX_CANDIDATES matches, offering each
 * candidate to out. Returns the rows read, *last the last one's rowid, or -1 with err. */
static int64_t scan_type(struct db *db, int type, struct plan *p, struct best *out, int64_t *last,
                         struct db_error *err) {
    sqlite3_stmt *st = db_prepare(db, types[type].rank);
    if (st == NULL) {
        db_fail(db, err, "search: prepare");
        return -1;
    }
    p->rank.type = type;
    p->rank.best = out;
    if (sqlite3_bind_text(st, 1, p->expr, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_pointer(st, 2, &p->rank, RANK_POINTER, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 3, DB_SEARCH_MAX_CANDIDATES) != SQLITE_OK) {
        db_fail(db, err, "search: bind");
        db_done(st);
        return -1;
    }
    int64_t rows = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        rows++;
        *last = sqlite3_column_int64(st, 0);
        if (sqlite3_column_type(st, 1) != SQLITE_NULL) /* NULL: it cannot make the page */
            best_add(out, (struct candidate){
                              .score = sqlite3_column_double(st, 1), .id = *last, .type = type});
    }
    if (step != SQLITE_DONE) {
        db_fail(db, err, "search");
        db_done(st);
        return -1;
    }
    db_done(st);
    return rows;
}

/* ---- The direct scan ------------------------------------------------------------------------ */

/* The most postings a direct scan of several words may step through per row that can match
 * (the rarest word's frequency), where FTS5 would skip; see scan_direct. */
#define SEARCH_DIRECT_STEPS_PER_MATCH 20

/* Rows a one-term direct scan reads per call to the postings. */
#define SEARCH_DIRECT_BATCH 64

/* scan_direct's answers besides a count of rows: the type cannot be scanned directly (FTS5
 * scans it, nothing was offered yet), or a direct scan failed after it offered candidates
 * (the ranking starts over through FTS5). */
#define SEARCH_NOT_DIRECT (-3)
#define SEARCH_DIRECT_FAILED (-2)

static int direct_enabled = 1;
static atomic_uint_fast64_t direct_scans;

void db_search_set_direct(int on) { direct_enabled = on != 0; }

uint64_t db_search_direct_scans(void) { return (uint64_t)atomic_load(&direct_scans); }

/* Phrase i of the query when it is one plain word ("word": ASCII letters and digits, which
 * the tokenizer only lowercases into one token): its token into out. Returns its length, or 0
 * for anything else. */
static size_t plain_word(const struct db_search_query *q, size_t i, char *out, size_t cap) {
    const char *p = q->match + q->start[i];
    size_t n = q->len[i];
    if (n < 3 || n - 2 > cap || p[0] != '"' || p[n - 1] != '"')
        return 0;
    for (size_t k = 1; k + 1 < n; k++) {
        unsigned char ch = (unsigned char)p[k];
        if (!is_alnum_ascii(ch))
            return 0;
        out[k - 1] = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
    }
    return n - 2;
}

/* One term's postings in a direct scan, and the query's word it stands for. */
struct direct_cursor {
    struct db_fts_postings *postings;
    int logical;   /* the query's phrase (the last one's exact terms all stand for it) */
    int live;      /* at a row (not past the last) */
    int64_t rowid; /* that row */
};

/* Moves the cursor to its first row at or past target. Returns 0 or -1. */
static int cursor_seek(struct direct_cursor *k, int64_t target) {
    int rc = db_fts_postings_seek(k->postings, target);
    k->live = rc == 1;
    if (k->live)
        k->rowid = db_fts_postings_rowid(k->postings);
    return rc < 0 ? -1 : 0;
}

/* Moves the cursor to its next row. Returns 0 or -1. */
static int cursor_step(struct direct_cursor *k) {
    int rc = db_fts_postings_next(k->postings);
    k->live = rc == 1;
    if (k->live)
        k->rowid = db_fts_postings_rowid(k->postings);
    return rc < 0 ? -1 : 0;
}

/* The most rowids (from the least to the greatest) whose lengths a table keeps in memory per
 * connection, at 2 bytes each: 8 MB. A table of a wider span has each candidate's length
 * looked up instead (~3,000 instructions a row through the statement). */
#define SEARCH_LENGTHS_MAX_SPAN ((size_t)1 << 22)
/* Reading a table's lengths costs ~150 instructions a row, once per revision and connection;
 * looking one up ~3,000, for each candidate the bound does not rule out. A table of up to
 * this many rows is read at its first direct scan (a few milliseconds at most); a larger one
 * only for a scan that may read SEARCH_LENGTHS_MIN_SCAN candidates or more, so that a rare
 * word after every write does not pay a pass over a million rows. */
#define SEARCH_LENGTHS_SMALL_TABLE 131072
#define SEARCH_LENGTHS_MIN_SCAN 1024

/* The type's row lengths at the connection's revision, read if they were not and the scan
 * may read `scan` candidates (see above); NULL when they are not kept, or could not be read
 * at this revision (each length is then looked up). */
static const struct db_fts_lengths *lengths_of(struct db *db, struct search_conn *c, int type,
                                               int64_t scan) {
    if (c->lengths_revision[type] == c->revision && c->revision >= 0)
        return c->lengths_kept[type] ? &c->lengths[type] : NULL;
    if (c->rows[type] > SEARCH_LENGTHS_SMALL_TABLE && scan < SEARCH_LENGTHS_MIN_SCAN)
        return NULL; /* not worth a pass yet: asked again by the next scan */
    free(c->lengths[type].tokens);
    c->lengths[type] = (struct db_fts_lengths){0};
    int rc = db_fts_read_lengths(db, &types[type].fts, types[type].columns,
                                 SEARCH_LENGTHS_MAX_SPAN, &c->lengths[type]);
    /* kept (0), too wide (1), or unreadable (-1: not tried again at this revision) */
    c->lengths_kept[type] = rc == 0;
    c->lengths_revision[type] = c->revision;
    return c->lengths_kept[type] ? &c->lengths[type] : NULL;
}

/* The row's length from the table's lengths in memory, or -1 when they do not hold it. */
static inline int64_t kept_length(const struct db_fts_lengths *lengths, int64_t row) {
    if (lengths == NULL || row < lengths->first ||
        (uint64_t)row - (uint64_t)lengths->first >= lengths->count)
        return -1;
    uint16_t tokens = lengths->tokens[row - lengths->first];
    return tokens == DB_FTS_NO_LENGTH ? -1 : tokens;
}

/* Scores a row as plenary_rank would, from the weighted frequency of each phrase (freq) and
 * how far its occurrences reach in each column, and offers it to out: the same pruning, the
 * same arithmetic in the same order, so the same doubles. The row's length comes from the
 * table's lengths in memory when they are kept, else from its docsize record once the bound
 * at the shortest length the positions allow says it may join the best. Returns 0 or -1
 * (the row's length unreadable). */
static int rank_offer(struct db *db, int type, const struct rank_ctx *r, const double *freq,
                      const int *reach, int64_t row, const struct db_fts_lengths *lengths,
                      struct best *out) {
    int64_t tokens = kept_length(lengths, row);
    if (tokens < 0 && best_full(out)) {
        /* the lookup below costs ~3,000 instructions: first the bound at the shortest length
         * the positions allow (with the length at hand, the bound would cost what the score
         * does) */
        int64_t shortest = 0;
        for (int c = 0; c < r->columns; c++)
            shortest += reach[c];
        if (rank_hopeless(out, rank_score(r, freq, (double)shortest), type, row))
            return 0;
    }
    if (tokens < 0)
        tokens = db_fts_row_tokens(db, &types[type].fts, row, types[type].columns);
    if (tokens < 0 || tokens > INT32_MAX)
        return -1;
    double score = rank_score(r, freq, (double)(int)tokens);
    best_add(out, (struct candidate){.score = -1.0 * score, .id = row, .type = type});
    return 0;
}

/* Are the table's column weights whole numbers (as small as weights are)? Then a row's
 * weighted frequency is the same double whether each occurrence adds its column's weight
 * (rank_sum, plenary_rank) or each column adds weight times count: every partial sum is a
 * whole number a double holds exactly. */
static int whole_weights(const struct rank_ctx *r) {
    for (int c = 0; c < r->columns; c++)
        if (!(r->weights[c] >= 0.0 && r->weights[c] <= 1024.0 &&
              r->weights[c] == (double)(int)r->weights[c]))
            return 0;
    return 1;
}

/* Adds one term's occurrences in a row to its phrase's weighted frequency and to the
 * columns' reach. plenary_rank adds a column's weight once per occurrence, phrase by phrase
 * in column order: so does this, so that the sums are the same doubles. */
static void rank_sum(const struct rank_ctx *r, const int *count, const int *last, double *freq,
                     int *reach) {
    double f = *freq;
    for (int c = 0; c < r->columns; c++) {
        for (int i = 0; i < count[c]; i++)
            f += r->weights[c];
        if (last[c] > reach[c])
            reach[c] = last[c];
    }
    *freq = f;
}

/* Scores the row the cursors at `row` stand on (rank_offer). Returns 0 or -1 (a position list
 * or the row's length unreadable). */
static int direct_score(struct db *db, int type, struct rank_ctx *r, struct direct_cursor *cur,
                        int ncur, int64_t row, const struct db_fts_lengths *lengths,
                        struct best *out) {
    if (rank_hopeless(out, r->ceiling, type, row))
        return 0;
    double freq[DB_SEARCH_MAX_PHRASES];
    for (int i = 0; i < r->phrases; i++)
        freq[i] = 0.0;
    int reach[SEARCH_MAX_COLUMNS] = {0};
    for (int k = 0; k < ncur; k++) {
        if (!cur[k].live || cur[k].rowid != row)
            continue;
        int count[DB_FTS_MAX_COLUMNS], last[DB_FTS_MAX_COLUMNS];
        if (db_fts_postings_columns(cur[k].postings, r->columns, count, last) < 0)
            return -1;
        rank_sum(r, count, last, &freq[cur[k].logical], reach);
    }
    return rank_offer(db, type, r, freq, reach, row, lengths, out);
}

/* The most cursors of a direct walk: a cursor per word, and per exact term of the last one. */
#define SEARCH_DIRECT_CURSORS (DB_SEARCH_MAX_PHRASES - 1 + SEARCH_EXPAND_MAX)

/* Opens a cursor on the postings of each of the query's terms in the type's table, each at
 * its first row, when the type can be walked directly (see scan_direct). Returns 0, or
 * SEARCH_NOT_DIRECT when it cannot be (or a term's postings cannot be read); either way the
 * caller closes cur[0 .. *ncur). */
static int direct_open(struct db *db, struct search_conn *c, int type,
                       const struct db_search_query *q, const struct plan *p,
                       struct direct_cursor *cur, int *ncur) {
    const struct rank_ctx *r = &p->rank;
    int phrases = (int)q->phrases;
    struct term_entry *group = p->entry[phrases - 1];
    *ncur = 0;
    if (!p->grouped || group->expansion == NULL || c->rows[type] <= 0 || !(c->avgdl[type] > 0))
        return SEARCH_NOT_DIRECT;
    int64_t steps = 0, least = INT64_MAX;
    for (int i = 0; i < phrases; i++) {
        if (r->df[i] < 0)
            return SEARCH_NOT_DIRECT;
        steps += r->df[i];
        least = r->df[i] < least ? r->df[i] : least;
    }
    /* the walk steps through every posting of every word up to its last candidate, where
     * FTS5's AND skips through a common word's postings by their doclist index: a rare word
     * with a common one ("court zephyrine": 500,000 steps for 4 rows) goes through FTS5. The
     * walk spends ~1/20 of FTS5's cost per candidate on a step. */
    if (phrases > 1 && steps > SEARCH_DIRECT_STEPS_PER_MATCH * least)
        return SEARCH_NOT_DIRECT;
    char word[256];
    for (int i = 0; i + 1 < phrases; i++) {
        size_t n = plain_word(q, (size_t)i, word, sizeof word);
        if (n == 0 || db_fts_postings_open_at(db, &types[type].fts, word, n,
                                              &p->entry[i]->word_place,
                                              &cur[*ncur].postings) != 0)
            return SEARCH_NOT_DIRECT;
        cur[(*ncur)++].logical = i;
    }
    /* the last phrase's terms, as plan_type wrote them: "t1" OR "t2" ... */
    if (group->member_places == NULL && group->members > 0 &&
        (group->member_places = calloc((size_t)group->members, sizeof *group->member_places)) ==
            NULL)
        return SEARCH_NOT_DIRECT;
    int member = 0;
    for (const char *t = strchr(group->expansion, '"'); t != NULL; t = strchr(t, '"')) {
        const char *end = strchr(t + 1, '"');
        if (end == NULL || *ncur == SEARCH_DIRECT_CURSORS || member >= group->members ||
            db_fts_postings_open_at(db, &types[type].fts, t + 1, (size_t)(end - t - 1),
                                    &group->member_places[member++],
                                    &cur[*ncur].postings) != 0)
            return SEARCH_NOT_DIRECT;
        cur[(*ncur)++].logical = phrases - 1;
        t = end + 1;
    }
    for (int k = 0; k < *ncur; k++)
        if (cursor_step(&cur[k]) != 0)
            return SEARCH_NOT_DIRECT;
    return 0;
}

/* Moves the walk over the phrases' cursors to their next common row (at or past the rows
 * they stand on). Returns 1 with *row set, 0 when a phrase has no row left, -1 on an
 * unreadable page. */
static int direct_next_match(struct direct_cursor *cur, int ncur, int phrases, int64_t *row) {
    for (;;) {
        /* each phrase's next row (the least of its terms'); a row matches when all agree */
        int64_t at[DB_SEARCH_MAX_PHRASES], target = INT64_MIN;
        for (int i = 0; i < phrases; i++)
            at[i] = INT64_MAX;
        int missing = phrases;
        for (int k = 0; k < ncur; k++) {
            if (!cur[k].live)
                continue;
            int l = cur[k].logical;
            if (at[l] == INT64_MAX)
                missing--;
            if (cur[k].rowid < at[l])
                at[l] = cur[k].rowid;
        }
        if (missing > 0)
            return 0;
        int agree = 1;
        for (int i = 0; i < phrases; i++) {
            if (at[i] > target)
                target = at[i];
            agree = agree && at[i] == at[0];
        }
        if (agree) {
            *row = target;
            return 1;
        }
        for (int k = 0; k < ncur; k++) /* every term behind the target moves up to it */
            if (cur[k].live && cur[k].rowid < target && cursor_seek(&cur[k], target) != 0)
                return -1;
    }
}

/* Moves every cursor standing on row past it. Returns 0 or -1. */
static int direct_pass(struct direct_cursor *cur, int ncur, int64_t row) {
    for (int k = 0; k < ncur; k++)
        if (cur[k].live && cur[k].rowid == row && cursor_step(&cur[k]) != 0)
            return -1;
    return 0;
}

/* Counts the type's matches of the query past rowid `past`, at most `most`, by the same walk
 * as scan_direct (the counterpart of count_past, which asks FTS5). A count of an AND up to
 * the cap is what a query of several common words spends most on: FTS5 took ~17 M
 * instructions to count 7,941 interventions holding "international" and "cooperation*".
 * Returns the count, or SEARCH_NOT_DIRECT when the type cannot be walked (or a page cannot
 * be read: FTS5 then counts). */
static int64_t count_direct(struct db *db, struct search_conn *c, int type,
                            const struct db_search_query *q, const struct plan *p, int64_t past,
                            int64_t most) {
    struct direct_cursor cur[SEARCH_DIRECT_CURSORS];
    int ncur = 0;
    int64_t n = 0, row;
    int rc = direct_open(db, c, type, q, p, cur, &ncur);
    while (rc == 0 && n < most) {
        int found = direct_next_match(cur, ncur, (int)q->phrases, &row);
        if (found <= 0) {
            rc = found; /* 0: no row left; -1: an unreadable page */
            break;
        }
        if (row > past)
            n++;
        if (direct_pass(cur, ncur, row) != 0)
            rc = -1;
    }
    for (int k = 0; k < ncur; k++)
        db_fts_postings_close(cur[k].postings);
    if (rc < 0 || rc == SEARCH_NOT_DIRECT)
        return SEARCH_NOT_DIRECT;
    atomic_fetch_add(&direct_scans, 1);
    return n;
}

/* The same scan as scan_type — the type's first DB_SEARCH_MAX_CANDIDATES matches in rowid
 * order, each scored by plenary_rank's rules and offered to out — done by walking the
 * postings of the query's terms (db_fts.h) instead of a MATCH statement: FTS5 spends ~2,000
 * instructions per row on its cursor, its auxiliary-function calls and the statement's
 * steps, where the walk spends a few dozen, and reads a row's length only for the rows
 * that may make the page. It applies when every phrase but the last is one plain word, the
 * last was replaced by its exact terms (plan_type), and the term statistics already hold the
 * table's size, mean length and each phrase's frequency (a first search reads them through
 * FTS5). Returns the rows read (*last the last one's rowid), SEARCH_NOT_DIRECT, or
 * SEARCH_DIRECT_FAILED. */
static int64_t scan_direct(struct db *db, struct search_conn *c, int type,
                           const struct db_search_query *q, struct plan *p, struct best *out,
                           int64_t *last) {
    struct rank_ctx *r = &p->rank;
    int phrases = (int)q->phrases;
    struct direct_cursor cur[SEARCH_DIRECT_CURSORS];
    int ncur = 0;
    int64_t rc = direct_open(db, c, type, q, p, cur, &ncur);
    if (rc != 0)
        goto close;
    /* what rank_prepare would find */
    r->type = type;
    r->best = out;
    r->rows = c->rows[type];
    r->avgdl = c->avgdl[type];
    for (int i = 0; i < phrases; i++)
        r->idf[i] = rank_idf(r->rows, r->df[i]);
    r->ceiling = rank_ceiling(r->idf, phrases);
    r->ready = 1;
    int64_t scan = DB_SEARCH_MAX_CANDIDATES; /* the most rows it reads: an AND's rarest */
    for (int i = 0; i < phrases; i++)
        if (r->df[i] < scan)
            scan = r->df[i];
    const struct db_fts_lengths *lengths = lengths_of(db, c, type, scan);
    rc = SEARCH_DIRECT_FAILED; /* from here candidates are offered */
    int64_t rows = 0;
    if (ncur == 1) { /* one term: each of its rows matches; read them a batch at a time */
        struct db_fts_row batch[SEARCH_DIRECT_BATCH];
        int n = 0;
        if (cur[0].live) { /* the row the cursor stands on */
            batch[0].rowid = cur[0].rowid;
            n = db_fts_postings_columns(cur[0].postings, r->columns, batch[0].count,
                                        batch[0].reach) < 0
                    ? -1
                    : 1;
        }
        int whole = whole_weights(r);
        while (n > 0) {
            for (int i = 0; i < n; i++, rows++) {
                const struct db_fts_row *row = &batch[i];
                *last = row->rowid;
                int64_t tokens = whole ? kept_length(lengths, row->rowid) : -1;
                if (tokens >= 0) {
                    /* the common case, scored outright: the pruning below saves lookups of
                     * the length, and here it is at hand */
                    double freq = 0.0;
                    for (int col = 0; col < r->columns; col++)
                        freq += r->weights[col] * row->count[col];
                    double score = rank_score(r, &freq, (double)tokens);
                    best_offer(out, (struct candidate){-1.0 * score, row->rowid, type});
                    continue;
                }
                if (rank_hopeless(out, r->ceiling, type, row->rowid))
                    continue;
                double freq = 0.0;
                int reach[SEARCH_MAX_COLUMNS] = {0};
                rank_sum(r, row->count, row->reach, &freq, reach);
                if (rank_offer(db, type, r, &freq, reach, row->rowid, lengths, out) != 0)
                    goto close;
            }
            int64_t room = DB_SEARCH_MAX_CANDIDATES - rows;
            n = room <= 0 ? 0
                          : db_fts_postings_rows(cur[0].postings, r->columns, batch,
                                                 room < SEARCH_DIRECT_BATCH ? (int)room
                                                                            : SEARCH_DIRECT_BATCH);
        }
        if (n < 0)
            goto close;
    }
    while (ncur > 1 && rows < DB_SEARCH_MAX_CANDIDATES) {
        int64_t row;
        int found = direct_next_match(cur, ncur, phrases, &row);
        if (found < 0)
            goto close;
        if (found == 0)
            break;
        rows++;
        *last = row;
        if (direct_score(db, type, r, cur, ncur, row, lengths, out) != 0 ||
            direct_pass(cur, ncur, row) != 0)
            goto close;
    }
    rc = rows;
    atomic_fetch_add(&direct_scans, 1);
close:
    for (int k = 0; k < ncur; k++)
        db_fts_postings_close(cur[k].postings);
    return rc;
}

/* Counts the type's matches of expr past rowid `past`, at most `most`. Returns the count or
 * -1 with err filled. */
static int64_t count_past(struct db *db, int type, const char *expr, int64_t past, int64_t most,
                          struct db_error *err) {
    sqlite3_stmt *st = db_prepare(db, types[type].count_past);
    int64_t n = -1;
    if (st != NULL && sqlite3_bind_text(st, 1, expr, -1, SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_bind_int64(st, 2, past) == SQLITE_OK &&
        sqlite3_bind_int64(st, 3, most) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    else
        db_fail(db, err, "search: count");
    db_done(st);
    return n;
}

/* ---- The page's references and snippets ------------------------------------------------------ */

/* Copies the reference's text columns (1 .. 4 of the refs row: slug, name, kind, honorific)
 * into one allocation, h->strings, and points the hit's fields into it (NULL for SQL NULL):
 * one malloc and one free per hit instead of four of each. Returns 0 or -1. */
static int hit_strings(sqlite3_stmt *st, struct db_search_hit *h) {
    const char *text[4];
    size_t len[4], total = 0;
    for (int i = 0; i < 4; i++) {
        text[i] = (const char *)sqlite3_column_text(st, 1 + i);
        len[i] = text[i] != NULL ? (size_t)sqlite3_column_bytes(st, 1 + i) : 0;
        total += text[i] != NULL ? len[i] + 1 : 0;
    }
    h->strings = malloc(total ? total : 1);
    if (h->strings == NULL)
        return -1;
    const char **field[4] = {&h->slug, &h->name, &h->kind, &h->honorific};
    size_t o = 0;
    for (int i = 0; i < 4; i++) {
        *field[i] = NULL;
        if (text[i] == NULL)
            continue;
        memcpy(h->strings + o, text[i], len[i]);
        h->strings[o + len[i]] = '\0';
        *field[i] = h->strings + o;
        o += len[i] + 1;
    }
    return 0;
}

/* Fills the references and snippets of the page's hits of one type from the record: the
 * snippets from the text the references' query reads, for the expression c->snippet was
 * given. One statement for all of them, joined from the JSON array of their ids (PAGE_HITS;
 * `IN (SELECT value FROM json_each(...))` would build a temporary index over it, which cost
 * more than a lookup per hit). Returns 0 or -1. */
static int fill_type(struct db *db, struct search_conn *c, int type, struct db_search_hit *hits,
                     size_t count, struct db_error *err) {
    /* the ids as a JSON array: at most count of them, each with its comma */
    char stack_ids[1024];
    size_t room = count * (FORMAT_DECIMAL_MAX + 1) + 2;
    char *ids = room <= sizeof stack_ids ? stack_ids : malloc(room);
    if (ids == NULL) {
        db_error_set(err, -1, "search: out of memory");
        return -1;
    }
    size_t used = 0;
    ids[used++] = '[';
    for (size_t i = 0; i < count; i++)
        if (hits[i].type == (enum record_type)type) {
            if (used > 1)
                ids[used++] = ',';
            used += format_decimal(ids + used, hits[i].id);
        }
    ids[used++] = ']';
    sqlite3_stmt *st = db_prepare(db, types[type].refs);
    if (st == NULL || sqlite3_bind_text(st, 1, ids, (int)used, SQLITE_STATIC) != SQLITE_OK) {
        db_fail(db, err, st == NULL ? "search refs: prepare" : "search refs: bind");
        if (st != NULL)
            db_done(st);
        if (ids != stack_ids)
            free(ids);
        return -1;
    }
    int oom = 0, step = SQLITE_DONE;
    size_t next = 0; /* where the last row's hit was: the rows come in the array's order */
    while (!oom && (step = sqlite3_step(st)) == SQLITE_ROW) {
        /* the hit of this row: a page holds a (type, id) once; a hit whose row is gone (it
         * cannot be, in one snapshot) keeps its name NULL and is left out of the answer */
        int64_t id = sqlite3_column_int64(st, 0);
        struct db_search_hit *h = NULL;
        for (size_t k = 0; k < count && h == NULL; k++) {
            size_t i = (next + k) % count;
            if (hits[i].type == (enum record_type)type && hits[i].id == id && !hits[i].strings) {
                h = &hits[i];
                next = i + 1;
            }
        }
        if (h == NULL)
            continue;
        if (hit_strings(st, h) != 0)
            oom = 1;
        const char *text[SEARCH_MAX_COLUMNS];
        int bytes[SEARCH_MAX_COLUMNS];
        for (int col = 0; col < types[type].columns; col++) {
            text[col] = (const char *)sqlite3_column_text(st, REFS_TEXT + col);
            bytes[col] = sqlite3_column_bytes(st, REFS_TEXT + col);
        }
        if (db_snippet_make(c->snippet, text, bytes, types[type].columns, &h->snippet) != 0)
            oom = 1;
    }
    if (!oom && step != SQLITE_DONE)
        db_fail(db, err, "search refs");
    db_done(st);
    if (ids != stack_ids)
        free(ids);
    if (oom) {
        db_error_set(err, -1, "search: out of memory");
        return -1;
    }
    return step == SQLITE_DONE ? 0 : -1;
}

/* ---- The query ------------------------------------------------------------------------------- */

int db_search_build_query(const char *q, char *out, size_t size, struct db_search_query *query) {
    size_t o = 0;
    int terms = 0;
    const char *p = q;
    out[0] = '\0';
    query->match = out;
    query->phrases = 0;
    while (*p) {
        while (format_is_space(*p))
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && !format_is_space(*p))
            p++;
        int has_token = 0;
        for (const char *c = start; c < p; c++)
            if (isalnum((unsigned char)*c) || (unsigned char)*c >= 0x80)
                has_token = 1;
        if (!has_token)
            continue;
        if (++terms > DB_SEARCH_MAX_PHRASES)
            return -1;
        if (o + 2 * (size_t)(p - start) + 5 >= size)
            return -1;
        if (o > 0)
            out[o++] = ' ';
        query->start[terms - 1] = o;
        out[o++] = '"';
        for (const char *c = start; c < p; c++) {
            if (*c == '"')
                out[o++] = '"';
            out[o++] = *c;
        }
        out[o++] = '"';
        out[o] = '\0';
        size_t chars = 0; /* code points: a one-letter prefix matches nearly everything */
        for (const char *c = start; c < p; c++)
            chars += ((unsigned char)*c & 0xC0) != 0x80;
        if (!*p && chars >= 2) /* q ends in this term: type-ahead */
            out[o++] = '*', out[o] = '\0';
        query->len[terms - 1] = o - query->start[terms - 1];
        query->phrases = (size_t)terms;
    }
    return terms;
}

void db_search_hits_free(struct db_search_hit *hits, size_t count) {
    for (size_t i = 0; i < count; i++) {
        free(hits[i].strings);
        free(hits[i].snippet);
        hits[i].strings = hits[i].snippet = NULL;
        hits[i].slug = hits[i].name = hits[i].kind = hits[i].honorific = NULL;
    }
}

/* Plans and scans every type the query asks for: the best candidates up to the end of the
 * page into found, the count of hits (up to the cap + 1) into *total. Types are scanned
 * directly (scan_direct) when `direct` and they can be. Returns 0, -1 with err filled, or
 * SEARCH_DIRECT_FAILED when a direct scan met what it cannot read (found is then partial). */
static int rank_types(struct db *db, struct search_conn *c, const struct db_search_query *query,
                      int expand_last, int direct, struct best *found, int64_t *total,
                      struct db_error *err) {
    const int64_t cap = DB_SEARCH_COUNT_CAP;
    /* plan every type first: a type whose best possible score cannot reach the page is not
     * scored at all, and types that may score high are scanned first to fill the page */
    struct plan plans[RECORD_TYPE_COUNT];
    memset(plans, 0, sizeof plans);
    double ceiling[RECORD_TYPE_COUNT];
    int order[RECORD_TYPE_COUNT], planned = 0, rc = -1;
    size_t last = query->phrases - 1;
    for (int t = 0; t < RECORD_TYPE_COUNT; t++) {
        if ((query->type_mask & 1u << t) == 0)
            continue;
        struct plan *p = &plans[t];
        if (plan_type(db, c, t, query, expand_last, p, err) != 0)
            goto done;
        if (p->skip)
            continue;
        order[planned++] = t;
        if (p->rank.df[last] < 0 && p->rank.group > 1) {
            /* a group's rows: those holding any of its terms, counted once */
            int64_t n = count_rows(db, t, p->entry[last]->expansion, err);
            if (n < 0)
                goto done;
            p->rank.df[last] = p->entry[last]->df = n;
        }
        ceiling[t] = INFINITY;
        int known = c->rows[t] > 0;
        for (size_t i = 0; i < query->phrases && known; i++)
            known = p->rank.df[i] >= 0;
        if (known) {
            double idf[DB_SEARCH_MAX_PHRASES];
            for (size_t i = 0; i < query->phrases; i++)
                idf[i] = rank_idf(c->rows[t], p->rank.df[i]);
            ceiling[t] = rank_ceiling(idf, (int)query->phrases);
        }
    }
    for (int i = 1; i < planned; i++) /* by ceiling, highest first (insertion: 8 at most) */
        for (int j = i; j > 0 && ceiling[order[j]] > ceiling[order[j - 1]]; j--) {
            int tmp = order[j];
            order[j] = order[j - 1];
            order[j - 1] = tmp;
        }

    int64_t counted = 0; /* rows counted, over the types done */
    for (int k = 0; k < planned; k++) {
        int t = order[k];
        struct plan *p = &plans[t];
        /* a type none of whose rows can reach the page is not scanned for candidates */
        int score = !rank_hopeless(found, ceiling[t], t, 0);
        int64_t rows = 0, last_id = INT64_MIN;
        if (score) {
            rows = direct ? scan_direct(db, c, t, query, p, found, &last_id) : SEARCH_NOT_DIRECT;
            if (rows == SEARCH_NOT_DIRECT)
                rows = scan_type(db, t, p, found, &last_id, err);
            if (rows == SEARCH_DIRECT_FAILED) {
                rc = SEARCH_DIRECT_FAILED;
                goto done;
            }
            if (rows < 0)
                goto done;
        }
        /* one word: its frequency is the count; more: the matches past the candidates are
         * counted on, until the cap */
        if (query->phrases > 1 && rows == (score ? DB_SEARCH_MAX_CANDIDATES : 0) &&
            cap + 1 - counted > rows) {
            int64_t most = cap + 1 - counted - rows;
            int64_t more = direct ? count_direct(db, c, t, query, p, last_id, most)
                                  : SEARCH_NOT_DIRECT;
            if (more == SEARCH_NOT_DIRECT)
                more = count_past(db, t, p->expr, last_id, most, err);
            if (more < 0)
                goto done;
            rows += more;
        }
        int keep = p->rank.ready && !p->rank.unkept;
        for (size_t i = 0; i < query->phrases && keep; i++)
            if (p->entry[i]->df < 0)
                p->entry[i]->df = p->rank.df[i];
        if (keep) {
            c->rows[t] = p->rank.rows;
            c->avgdl[t] = p->rank.avgdl;
        }
        if (query->phrases == 1 && (keep || !score))
            rows = p->rank.df[0]; /* known: counted by the scan, or before (not scanned) */
        counted = counted + rows > cap ? cap + 1 : counted + rows;
    }
    *total = counted;
    rc = 0;
done:
    for (int t = 0; t < RECORD_TYPE_COUNT; t++)
        free(plans[t].expr);
    return rc;
}

int db_search_run(struct db *db, const struct db_search_query *query, size_t limit, int64_t offset,
                  struct db_search_hit *hits, size_t *count, int64_t *total, struct db_error *err) {
    assert(db != NULL && query != NULL && query->match != NULL && hits != NULL);
    assert(count != NULL && total != NULL && offset >= 0);
    assert(query->phrases >= 1 && query->phrases <= DB_SEARCH_MAX_PHRASES);
    *count = 0;
    *total = 0;
    struct search_conn *c = conn_of(db, err);
    if (c == NULL)
        return -1;
    /* the term statistics hold for one revision of the record */
    int64_t revision = db_revision(db);
    if (revision < 0 || revision != c->revision || c->term_count >= SEARCH_TERMS_SLOTS / 2) {
        terms_clear(c);
        c->revision = revision;
    }
    int expand_last = expandable(query);
    /* the best candidates up to the end of the page (there are at most 8 * the bound) */
    struct best found = {0};
    int64_t reach = offset > INT64_MAX - (int64_t)limit ? INT64_MAX : offset + (int64_t)limit;
    found.keep = reach < RECORD_TYPE_COUNT * DB_SEARCH_MAX_CANDIDATES
                     ? (size_t)reach
                     : RECORD_TYPE_COUNT * DB_SEARCH_MAX_CANDIDATES;
    found.at = malloc((found.keep ? found.keep : 1) * sizeof *found.at);
    if (found.at == NULL) {
        db_error_set(err, -1, "search: out of memory");
        return -1;
    }
    /* a direct scan that meets what it cannot read starts the ranking over through FTS5 */
    int rc = -1;
    int ranked = rank_types(db, c, query, expand_last, direct_enabled, &found, total, err);
    if (ranked == SEARCH_DIRECT_FAILED) {
        found.count = 0;
        ranked = rank_types(db, c, query, expand_last, 0, &found, total, err);
    }
    if (ranked != 0)
        goto done;

    qsort(found.at, found.count, sizeof *found.at, candidate_cmp); /* the page's, at most */
    size_t n = 0;
    for (size_t i = (size_t)offset; i < found.count && n < limit; i++, n++) {
        memset(&hits[n], 0, sizeof hits[n]);
        hits[n].type = (enum record_type)found.at[i].type;
        hits[n].id = found.at[i].id;
    }
    *count = n;
    if (n > 0 && db_snippet_query(c->snippet, query->match) != 0) {
        db_error_set(err, -1, "search: snippets: cannot read the expression");
        *count = 0;
        goto done;
    }
    for (int t = 0; t < RECORD_TYPE_COUNT; t++) {
        int present = 0;
        for (size_t i = 0; i < n && !present; i++)
            present = hits[i].type == (enum record_type)t;
        if (present && fill_type(db, c, t, hits, n, err) != 0) {
            db_search_hits_free(hits, n);
            *count = 0;
            goto done;
        }
    }
    rc = 0;
done:
    free(found.at);
    return rc;
}
