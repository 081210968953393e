/* db_fts.c: the terms of an FTS5 index that begin with a prefix, read from the index's own
 * segment pages (see db_fts.h for the contract).
 *
 * FTS5 answers a prefix longer than its prefix indexes by merging the full posting lists of
 * every term under it into one buffer before it returns the first row (tens of milliseconds
 * for a word in most of a million rows), and fts5vocab lists a range of terms only by
 * counting each term's postings. A search engine keeps a term dictionary; FTS5 keeps one
 * too, inside its segments, and this file reads it. The format is SQLite's file format
 * (ext/fts5/fts5_index.c), which SQLite keeps readable across versions; anything this reader
 * does not recognise makes it return -1 so that the caller falls back to FTS5's own prefix
 * query, never to a wrong answer. The file is divided into: bounded decoding of varints;
 * the structure record (the list of segments); the sorted set of terms found; and the walk
 * over each segment's leaves that may hold the prefix.
 *
 * The layout it relies on, per table x_fts:
 *   - x_data rowid 10, the structure record: a 4-byte cookie, then varints: levels,
 *     segments, write counter; per level: segments being merged, segments; per segment: id,
 *     first leaf, last leaf. (A V2 record, of contentless_delete tables, begins its varints
 *     with FF 00 00 01: not read here.)
 *   - x_data rowid (segment id << 37) + page: a leaf of 2-byte big-endian fields (first
 *     rowid offset, footer offset), term and posting data, then the footer: one varint per
 *     term that starts on the page, the offset of the first and then deltas. The first term
 *     of a page is stored whole (varint size, bytes), each next one as (varint bytes shared
 *     with the previous term, varint new bytes, new bytes). Main-index terms begin with '0'.
 *   - x_idx (segid, term, pgno): for each leaf on which a term starts, a prefix of that term
 *     which sorts after every earlier term of the segment, and (leaf << 1 | flag). Rows of
 *     leaves before the segment's first leaf may outlive an incremental merge: they are
 *     skipped, as FTS5 itself clamps to the first leaf. */
#include "db_fts.h"

#include "db_internal.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The rowid of the structure record in x_data. */
#define FTS_STRUCTURE_ROWID 10
/* The byte that begins every term of the main index (prefix indexes use '1', '2', ...). */
#define FTS_MAIN_INDEX '0'
/* A leaf's rowid in x_data: segment id above 16 bits of flags and height and page. */
#define FTS_LEAF_ROWID(segid, pgno) (((int64_t)(segid) << 37) + (int64_t)(pgno))
/* Most segments a structure record may list (FTS5's own limit is 64 levels of at most a few
 * dozen each); more means the record is not what this reader expects. */
#define FTS_MAX_SEGMENTS 2048
/* Longest term read, in bytes (the key byte included); a longer one ends the attempt. */
#define FTS_MAX_TERM 1024

/* ---- Varints --------------------------------------------------------------------------------- */

/* Decodes one SQLite varint at *p (before end) into *v and advances *p. Returns 0, or -1 when
 * it runs past end. */
static int varint(const unsigned char **p, const unsigned char *end, uint64_t *v) {
    uint64_t x = 0;
    for (int i = 0; i < 9; i++) {
        if (*p >= end)
            return -1;
        unsigned char b = *(*p)++;
        if (i == 8) {
            *v = x << 8 | b;
            return 0;
        }
        x = x << 7 | (b & 0x7F);
        if ((b & 0x80) == 0) {
            *v = x;
            return 0;
        }
    }
    return -1; /* not reached */
}

/* ---- The structure record -------------------------------------------------------------------- */

/* One segment: its id and the range of its leaves. */
struct segment {
    int64_t id;    /* segment id (1 .. 65535) */
    int64_t first; /* first leaf still part of the segment */
    int64_t last;  /* last leaf */
};

/* Reads the segments of the structure record. Returns their number (*segs malloc'd, caller
 * frees), or -1. */
static int read_structure(struct db *db, const struct db_fts_table *t, struct segment **segs) {
    *segs = NULL;
    sqlite3_stmt *st = db_prepare(db, t->data);
    if (st == NULL || sqlite3_bind_int64(st, 1, FTS_STRUCTURE_ROWID) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        db_done(st);
        return -1;
    }
    const unsigned char *p = sqlite3_column_blob(st, 0);
    int n = sqlite3_column_bytes(st, 0);
    int count = -1;
    uint64_t levels, total, writes;
    if (p == NULL || n < 8 || memcmp(p + 4, "\xFF\x00\x00\x01", 4) == 0)
        goto done; /* empty, or the V2 format */
    const unsigned char *end = p + n;
    p += 4; /* the configuration cookie */
    if (varint(&p, end, &levels) != 0 || varint(&p, end, &total) != 0 ||
        varint(&p, end, &writes) != 0 || total > FTS_MAX_SEGMENTS || levels > 64)
        goto done;
    struct segment *s = malloc((total ? total : 1) * sizeof *s);
    if (s == NULL)
        goto done;
    uint64_t got = 0;
    for (uint64_t l = 0; l < levels; l++) {
        uint64_t merging, in_level;
        if (varint(&p, end, &merging) != 0 || varint(&p, end, &in_level) != 0 ||
            in_level > total - got) {
            free(s);
            goto done;
        }
        for (uint64_t i = 0; i < in_level; i++, got++) {
            uint64_t id, first, last;
            if (varint(&p, end, &id) != 0 || varint(&p, end, &first) != 0 ||
                varint(&p, end, &last) != 0 || id == 0 || id > 65535 || first == 0 ||
                last > INT32_MAX) {
                free(s);
                goto done;
            }
            s[got] = (struct segment){(int64_t)id, (int64_t)first, (int64_t)last};
        }
    }
    if (got != total || p != end) { /* more than this reader knows of */
        free(s);
        goto done;
    }
    *segs = s;
    count = (int)total;
done:
    db_done(st);
    return count;
}

/* ---- The set of terms found ------------------------------------------------------------------ */

/* Distinct terms, kept sorted: their bytes back to back (each NUL-terminated) in text, and
 * their offsets in byte order in at. */
struct termset {
    char *text;    /* the terms' bytes */
    size_t used;   /* bytes of text used */
    size_t cap;    /* bytes of text allocated */
    size_t *at;    /* offsets into text, sorted by the terms' bytes */
    size_t count;  /* terms held */
    size_t max;    /* the most terms allowed */
    size_t at_cap; /* entries of at allocated */
};

/* Adds the term (len bytes, no NUL inside) unless present. Returns 0, DB_FTS_TOO_MANY, or -1
 * when out of memory. */
static int termset_add(struct termset *s, const unsigned char *term, size_t len) {
    size_t lo = 0, hi = s->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *m = s->text + s->at[mid];
        size_t mlen = strlen(m);
        int c = memcmp(m, term, mlen < len ? mlen : len);
        if (c == 0)
            c = mlen < len ? -1 : mlen > len ? 1 : 0;
        if (c == 0)
            return 0;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (s->count == s->max)
        return DB_FTS_TOO_MANY;
    if (s->used + len + 1 > s->cap) {
        size_t cap = (s->used + len + 1) * 2;
        char *grown = realloc(s->text, cap);
        if (grown == NULL)
            return -1;
        s->text = grown;
        s->cap = cap;
    }
    if (s->count == s->at_cap) {
        size_t cap = s->at_cap ? s->at_cap * 2 : 8;
        size_t *grown = realloc(s->at, cap * sizeof *grown);
        if (grown == NULL)
            return -1;
        s->at = grown;
        s->at_cap = cap;
    }
    memmove(s->at + lo + 1, s->at + lo, (s->count - lo) * sizeof *s->at);
    s->at[lo] = s->used;
    s->count++;
    memcpy(s->text + s->used, term, len);
    s->text[s->used + len] = '\0';
    s->used += len + 1;
    return 0;
}

/* ---- Leaves ---------------------------------------------------------------------------------- */

/* Adds the terms of one leaf that begin with key (klen bytes, the index byte included).
 * Returns 0, DB_FTS_TOO_MANY or -1. */
static int read_leaf(struct db *db, const struct db_fts_table *t, int64_t segid, int64_t pgno,
                     const unsigned char *key, size_t klen, struct termset *set) {
    sqlite3_stmt *st = db_prepare(db, t->data);
    if (st == NULL || sqlite3_bind_int64(st, 1, FTS_LEAF_ROWID(segid, pgno)) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        db_done(st);
        return -1;
    }
    const unsigned char *page = sqlite3_column_blob(st, 0);
    size_t n = (size_t)sqlite3_column_bytes(st, 0);
    int rc = -1;
    unsigned char term[FTS_MAX_TERM];
    size_t tlen = 0;
    if (page == NULL || n < 4)
        goto done;
    size_t footer = (size_t)page[2] << 8 | page[3];
    if (footer < 4 || footer > n)
        goto done;
    const unsigned char *f = page + footer, *fend = page + n;
    uint64_t off = 0;
    for (int first = 1; f < fend; first = 0) {
        uint64_t delta, shared = 0, fresh;
        if (varint(&f, fend, &delta) != 0 || delta > footer - off)
            goto done;
        off += delta;
        if (off < 4 || off >= footer)
            goto done;
        const unsigned char *p = page + off, *pend = page + footer;
        if ((!first && varint(&p, pend, &shared) != 0) || varint(&p, pend, &fresh) != 0 ||
            shared > tlen || fresh > (uint64_t)(pend - p) || shared + fresh > sizeof term)
            goto done;
        memcpy(term + shared, p, (size_t)fresh);
        tlen = (size_t)(shared + fresh);
        int c = memcmp(term, key, tlen < klen ? tlen : klen);
        if (c > 0)
            break; /* terms are sorted: past every term that begins with key */
        if (c == 0 && tlen >= klen) {
            if (memchr(term, '\0', tlen) != NULL)
                goto done;
            int added = termset_add(set, term + 1, tlen - 1);
            if (added != 0) {
                rc = added;
                goto done;
            }
        }
    }
    rc = 0;
done:
    db_done(st);
    return rc;
}

/* Adds the terms of one segment that begin with key. Returns 0, DB_FTS_TOO_MANY or -1. */
static int read_segment(struct db *db, const struct db_fts_table *t, const struct segment *seg,
                        const unsigned char *key, size_t klen, struct termset *set) {
    /* the leaf on which the last b-tree key <= key starts: terms >= key begin there at the
     * earliest (every earlier leaf holds only terms before that key) */
    int64_t start = seg->first;
    sqlite3_stmt *st = db_prepare(db, t->idx_le);
    if (st == NULL || sqlite3_bind_int64(st, 1, seg->id) != SQLITE_OK ||
        sqlite3_bind_blob(st, 2, key, (int)klen, SQLITE_STATIC) != SQLITE_OK) {
        db_done(st);
        return -1;
    }
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW && sqlite3_column_int64(st, 0) >> 1 > start)
        start = sqlite3_column_int64(st, 0) >> 1;
    db_done(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return -1;
    if (start > seg->last)
        return 0;
    int rc = read_leaf(db, t, seg->id, start, key, klen, set);
    if (rc != 0)
        return rc;
    /* then each later leaf whose first term begins with key: its b-tree key begins with key
     * too (a shorter one would sort before key) */
    st = db_prepare(db, t->idx_gt);
    if (st == NULL || sqlite3_bind_int64(st, 1, seg->id) != SQLITE_OK ||
        sqlite3_bind_blob(st, 2, key, (int)klen, SQLITE_STATIC) != SQLITE_OK) {
        db_done(st);
        return -1;
    }
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const void *bkey = sqlite3_column_blob(st, 1);
        size_t blen = (size_t)sqlite3_column_bytes(st, 1);
        if (blen < klen || bkey == NULL || memcmp(bkey, key, klen) != 0)
            break;
        int64_t pgno = sqlite3_column_int64(st, 0) >> 1;
        if (pgno <= start || pgno > seg->last)
            continue; /* read already, or a row left from before an incremental merge */
        if ((rc = read_leaf(db, t, seg->id, pgno, key, klen, set)) != 0)
            break;
    }
    if (rc == 0 && step != SQLITE_ROW && step != SQLITE_DONE)
        rc = -1;
    db_done(st);
    return rc;
}

int db_fts_prefix_terms(struct db *db, const struct db_fts_table *table, const char *prefix,
                        size_t len, size_t max, char **terms) {
    assert(db != NULL && table != NULL && prefix != NULL && terms != NULL);
    *terms = NULL;
    if (len == 0 || len + 1 > FTS_MAX_TERM)
        return -1;
    unsigned char key[FTS_MAX_TERM];
    key[0] = FTS_MAIN_INDEX;
    memcpy(key + 1, prefix, len);
    struct segment *segs;
    int nsegs = read_structure(db, table, &segs);
    if (nsegs < 0)
        return -1;
    struct termset set = {.max = max};
    int rc = 0;
    for (int i = 0; i < nsegs && rc == 0; i++)
        rc = read_segment(db, table, &segs[i], key, len + 1, &set);
    free(segs);
    if (rc == 0 && set.count > 0) {
        /* the terms in byte order, back to back */
        char *out = malloc(set.used);
        if (out == NULL) {
            rc = -1;
        } else {
            size_t o = 0;
            for (size_t i = 0; i < set.count; i++) {
                size_t n = strlen(set.text + set.at[i]) + 1;
                memcpy(out + o, set.text + set.at[i], n);
                o += n;
            }
            *terms = out;
        }
    }
    free(set.text);
    free(set.at);
    return rc == 0 ? (int)set.count : rc;
}
