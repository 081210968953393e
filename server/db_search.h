/* db_search.h: the SQL side of /v1/search — each type's FTS5 table searched and ranked, the
 * hits counted, then each hit's compact reference and highlighted snippet. Callers hand in a
 * safe FTS5 match expression (res_search.c builds it) and get plain C strings back: no SQL,
 * no json_t. */
#ifndef PLENARY_DB_SEARCH_H
#define PLENARY_DB_SEARCH_H

#include "db.h"
#include "record.h"

#include <stddef.h>
#include <stdint.h>

/* The bytes the snippet puts around each match, in place of <mark> and </mark>: control
 * characters, so that res_search.c can HTML-escape the record text and still tell the
 * highlights apart from a literal "<mark>" written in the record. */
#define DB_SEARCH_OPEN '\x01'
#define DB_SEARCH_CLOSE '\x02'

/* The most matches of one type that are ranked: each type's first matches in index (rowid)
 * order, scored by bm25 and sorted. Below it ranking is exact; above it, a common word ranks
 * this many of each type's matches instead of hundreds of thousands (see db_search.c). */
#define DB_SEARCH_MAX_CANDIDATES 2000

/* The count of hits behind meta.total stops here: past it, meta.total is this cap and a lower
 * bound of the true count. */
#define DB_SEARCH_COUNT_CAP 10000

/* One hit: its type and id, then (filled by db_search_run) its compact reference's fields
 * and its snippet. The strings (NULL where the type has no such field) live in two allocations
 * per hit, freed by db_search_hits_free. */
struct db_search_hit {
    enum record_type type; /* the resource type */
    int64_t id;            /* its id */
    const char *slug;      /* slug, or NULL (interventions) */
    const char *name;      /* name, title, or an intervention's label */
    const char *kind;      /* kind (organizations, sessions, documents), or NULL */
    const char *honorific; /* people's honorific, or NULL */
    char *snippet;         /* ~12 tokens with matches between DB_SEARCH_OPEN and _CLOSE */
    char *strings;         /* one allocation holding slug, name, kind and honorific */
};

/* Most phrases in one query (res_search.c makes one per word of q). */
#define DB_SEARCH_MAX_PHRASES 16

/* A search as res_search.c builds it: an FTS5 expression whose every phrase is quoted (so
 * that no input is FTS5 syntax), separated by spaces (implicit AND), the last one possibly a
 * prefix query ("..."*), and where each phrase lies in it. */
struct db_search_query {
    const char *match;                   /* the expression */
    size_t phrases;                      /* how many phrases (1 .. DB_SEARCH_MAX_PHRASES) */
    size_t start[DB_SEARCH_MAX_PHRASES]; /* each phrase's first byte (its opening quote) */
    size_t len[DB_SEARCH_MAX_PHRASES];   /* its bytes, quotes and a trailing * included */
    unsigned type_mask;                  /* the types searched: bit 1u << enum record_type */
};

/* Builds the FTS5 expression of q into out (size: at least 2 * strlen(q) + 4 * terms + 8) and
 * describes it in *query (match, phrases, where each phrase lies; not type_mask): each
 * whitespace-separated term becomes a quoted phrase with its quotes doubled; a term without a
 * letter, digit or non-ASCII character holds no token and is dropped; the last term is a
 * prefix query unless q ends in whitespace (the word is finished) or the term is one
 * character long. Returns the number of terms, or -1 when there are more than
 * DB_SEARCH_MAX_PHRASES or out is too small. */
int db_search_build_query(const char *q, char *out, size_t size, struct db_search_query *query);

/* Runs a search: counts its hits into *total, stopping past DB_SEARCH_COUNT_CAP (the exact
 * count when it is at most the cap, the cap + 1 when there are more), and reads hits
 * offset .. offset+limit-1, ranked by bm25 (best first; ties by type then id, so the order is
 * total and offset paging visits every hit once), with their references and snippets. The
 * ranked hits are each type's first DB_SEARCH_MAX_CANDIDATES matches in rowid order: every
 * match of a type with fewer; past them pages are empty. `hits` has room for limit entries;
 * *count gets how many were filled. Returns 0, or -1 with err filled (an FTS5 syntax error
 * included: res_search.c quotes every term so that it cannot occur). */
int db_search_run(struct db *db, const struct db_search_query *query, size_t limit, int64_t offset,
                  struct db_search_hit *hits, size_t *count, int64_t *total, struct db_error *err);

/* Whether db_search_run may rank a type's candidates by reading its postings directly
 * (db_fts.h) rather than through an FTS5 MATCH statement: 1 (the default) or 0. Both give the
 * same hits, scores, order and totals; tests set 0 to compare them. Not for a running server
 * (it is read without a lock). */
void db_search_set_direct(int on);

/* How many type scans, since the process started, read the postings directly: tests use it to
 * know that the direct path ran. */
uint64_t db_search_direct_scans(void);

/* Frees the strings of count hits (not the array). */
void db_search_hits_free(struct db_search_hit *hits, size_t count);

#endif
