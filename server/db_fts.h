/* db_fts.h: what plenary reads of an FTS5 index below SQL — the terms of its vocabulary that
 * begin with a prefix, read from the index's own segment pages (a few page reads), where
 * fts5vocab would count every posting of every such term. db_search.c uses it to turn a
 * type-ahead prefix into the exact terms it covers. */
#ifndef PLENARY_DB_FTS_H
#define PLENARY_DB_FTS_H

#include "db.h"

#include <stddef.h>

/* The statements db_fts_prefix_terms runs on one FTS5 table's shadow tables. The statement
 * cache is keyed by the strings' addresses, so they must be literals: make them with
 * DB_FTS_TABLE("x_fts"). */
struct db_fts_table {
    const char *data;   /* ?1 rowid: a record of x_data (structure, leaf page) */
    const char *idx_le; /* ?1 segment, ?2 key: the leaf of the last b-tree key <= key */
    const char *idx_gt; /* ?1 segment, ?2 key: the leaves of the b-tree keys > key, in order */
};
#define DB_FTS_TABLE(tbl)                                                                          \
    {                                                                                              \
        "SELECT block FROM " tbl "_data WHERE id = ?1",                                            \
            "SELECT pgno FROM " tbl "_idx WHERE segid = ?1 AND term <= ?2"                         \
            " ORDER BY term DESC LIMIT 1",                                                         \
            "SELECT pgno, term FROM " tbl "_idx WHERE segid = ?1 AND term > ?2 ORDER BY term",     \
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

#endif
