/* db_fts.h: what plenary reads of an FTS5 index below SQL — the terms of its vocabulary that
 * begin with a prefix, read from the index's own segment pages (a few page reads), where
 * fts5vocab would count every posting of every such term; and one term's postings (rows and
 * positions). db_search.c uses the first to turn a type-ahead prefix into the exact terms it
 * covers, the second to rank candidates without a MATCH statement per row. */
#ifndef PLENARY_DB_FTS_H
#define PLENARY_DB_FTS_H

#include "db.h"

#include <stddef.h>
#include <stdint.h>

/* The statements db_fts_prefix_terms runs on one FTS5 table's shadow tables. The statement
 * cache is keyed by the strings' addresses, so they must be literals: make them with
 * DB_FTS_TABLE("x_fts"). */
struct db_fts_table {
    const char *data;    /* ?1 rowid: a record of x_data (structure, leaf page) */
    const char *idx_le;  /* ?1 segment, ?2 key: the leaf of the last b-tree key <= key */
    const char *idx_gt;  /* ?1 segment, ?2 key: the leaves of the b-tree keys > key, in order */
    const char *docsize; /* ?1 rowid: the row's tokens per column, as varints */
    const char *span;    /* the least and the greatest rowid of x_docsize */
    const char *sizes;   /* every row of x_docsize: rowid, sizes */
};
#define DB_FTS_TABLE(tbl)                                                                          \
    {                                                                                              \
        "SELECT block FROM " tbl "_data WHERE id = ?1",                                            \
            "SELECT pgno FROM " tbl "_idx WHERE segid = ?1 AND term <= ?2"                         \
            " ORDER BY term DESC LIMIT 1",                                                         \
            "SELECT pgno, term FROM " tbl "_idx WHERE segid = ?1 AND term > ?2 ORDER BY term",     \
            "SELECT sz FROM " tbl "_docsize WHERE id = ?1",                                        \
            "SELECT min(id), max(id) FROM " tbl "_docsize",                                        \
            "SELECT id, sz FROM " tbl "_docsize",                                                  \
    }

/* db_fts_prefix_terms found more terms than it was allowed to return. */
#define DB_FTS_TOO_MANY (-2)

/* Reads the distinct terms of the table's main index that begin with the len bytes of
 * prefix (compare them as the tokenizer wrote them: case-folded, diacritics removed), in
 * byte order, as *terms: one malloc'd buffer of NUL-terminated terms back to back (caller
 * frees; NULL when none). A term whose rows were all deleted may still be listed until the
 * index merges it away: it matches nothing. Returns how many terms (0 .. max),
 * DB_FTS_TOO_MANY, or -1 when the index cannot be read this way (a format this reader does
 * not know, a damaged page, an SQLite error, no memory): the caller then lets FTS5 expand
 * the prefix itself. */
int db_fts_prefix_terms(struct db *db, const struct db_fts_table *table, const char *prefix,
                        size_t len, size_t max, char **terms);

/* ---- One term's postings ---------------------------------------------------------------------- */

/* The rows that hold one exact term, in rowid order, merged over the index's segments as FTS5
 * merges them: where segments disagree on a row the newest one speaks, and a row whose newest
 * entry holds no position (a deletion) is not listed. Read from the leaves, a page at a time;
 * each row's positions are decoded only when asked for. */
struct db_fts_postings;

/* One occurrence of the term in a row: the column and the token offset in that column. */
struct db_fts_hit {
    int column;
    int offset;
};

/* Opens the postings of the term (len bytes, as the tokenizer wrote it: case-folded,
 * diacritics removed) in the table's main index, positioned before the first row. Returns 0
 * with *out set (a term in no segment gives postings with no row), or -1 when the index
 * cannot be read this way (a format this reader does not know, a damaged page, an SQLite
 * error, no memory): the caller then asks FTS5. */
int db_fts_postings_open(struct db *db, const struct db_fts_table *table, const char *term,
                         size_t len, struct db_fts_postings **out);

/* Where a term's postings begin in each segment of the index (what opening them looks up in
 * the index's b-tree and on the leaf's list of terms), kept by a caller that opens the same
 * term again. */
struct db_fts_place;

/* db_fts_postings_open, given what an earlier open of the same term on the same table found:
 * *place (NULL at first) is used when the index is still the one it was found in (its
 * structure record is compared: every write changes it), and is replaced by what this open
 * finds otherwise. A search of a word repeated over an unchanged record skips two lookups
 * and a walk over a leaf's terms per segment. */
int db_fts_postings_open_at(struct db *db, const struct db_fts_table *table, const char *term,
                            size_t len, struct db_fts_place **place,
                            struct db_fts_postings **out);

void db_fts_place_free(struct db_fts_place *place);

/* Moves to the next row. Returns 1 (a row: see db_fts_postings_rowid), 0 past the last, or -1
 * when a page cannot be read or makes no sense (the postings are then unusable). */
int db_fts_postings_next(struct db_fts_postings *p);

/* The current row's rowid (after db_fts_postings_next returned 1). */
int64_t db_fts_postings_rowid(const struct db_fts_postings *p);

/* The current row's occurrences of the term, in (column, offset) order, as *hits (valid until
 * the next call on p). Returns how many (at least 1), or -1 when the position list is
 * damaged. */
int db_fts_postings_hits(struct db_fts_postings *p, const struct db_fts_hit **hits);

/* The most columns db_fts_postings_columns sums up. */
#define DB_FTS_MAX_COLUMNS 8

/* The current row's occurrences of the term summed up per column: count[c] how many in
 * column c, reach[c] one past the offset of the last (0 when none), for every c below
 * DB_FTS_MAX_COLUMNS (both arrays have that many entries). Returns how many in all (at least
 * 1), or -1 when the position list is damaged or names a column from `columns` on. What a
 * ranking needs, without keeping each occurrence. */
int db_fts_postings_columns(struct db_fts_postings *p, int columns, int *count, int *reach);

/* Moves to the first row at or past `target` (no move when the current row is already
 * there): what a walk that intersects several terms asks of the ones behind. Rows skipped
 * are not decoded. Returns 1 (a row), 0 past the last, or -1 as db_fts_postings_next. */
int db_fts_postings_seek(struct db_fts_postings *p, int64_t target);

/* One row of a term's postings with its occurrences summed up per column, as
 * db_fts_postings_columns gives them. */
struct db_fts_row {
    int64_t rowid;
    int count[DB_FTS_MAX_COLUMNS]; /* occurrences in each column */
    int reach[DB_FTS_MAX_COLUMNS]; /* one past the offset of the last in each column, or 0 */
};

/* Reads the next rows, at most max, each summed up as db_fts_postings_columns would: a scan
 * over many rows without a call per row. Returns how many (0 past the last row), or -1 as
 * db_fts_postings_next and db_fts_postings_columns do. */
int db_fts_postings_rows(struct db_fts_postings *p, int columns, struct db_fts_row *rows, int max);

void db_fts_postings_close(struct db_fts_postings *p);

/* The row's length in tokens over its first `columns` columns, what FTS5's xColumnSize(-1)
 * gives bm25: the sum of the row's record in x_docsize. Returns it, or -1 when the row has no
 * such record or it is shorter than `columns` sizes, or on an SQLite error. */
int64_t db_fts_row_tokens(struct db *db, const struct db_fts_table *table, int64_t rowid,
                          int columns);

/* Every row's length in tokens (as db_fts_row_tokens), read in one pass: what bm25 needs of
 * each candidate, kept in memory by a search engine rather than looked up per row. */
struct db_fts_lengths {
    int64_t first;    /* the rowid of tokens[0] */
    size_t count;     /* entries: the rowids first .. first + count - 1 */
    uint16_t *tokens; /* each row's length, or DB_FTS_NO_LENGTH (no such row, or too long) */
};
#define DB_FTS_NO_LENGTH UINT16_MAX

/* Reads the lengths of all the table's rows into *out (out->tokens malloc'd; the caller
 * frees it), over their first `columns` columns. Returns 0; 1 when the rows' ids span more
 * than max_span (nothing read); -1 on an SQLite error, a damaged record or no memory. */
int db_fts_read_lengths(struct db *db, const struct db_fts_table *table, int columns,
                        size_t max_span, struct db_fts_lengths *out);

#endif
