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
 * the structure record (the list of segments); the sorted set of terms found; the walk
 * over each segment's leaves that may hold the prefix; and one term's postings, merged over
 * the segments, opened either by looking the term up or from where an earlier open found it
 * (a db_fts_place, used only while the structure record is byte for byte the same).
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
    int level;     /* its level: 0 holds the newest segments */
};

/* Parses a structure record (n bytes at p) into its segments. Returns their number (*segs
 * malloc'd, caller frees), or -1. */
static int parse_structure(const unsigned char *p, size_t n, struct segment **segs) {
    *segs = NULL;
    uint64_t levels, total, writes;
    if (p == NULL || n < 8 || memcmp(p + 4, "\xFF\x00\x00\x01", 4) == 0)
        return -1; /* empty, or the V2 format */
    const unsigned char *end = p + n;
    p += 4; /* the configuration cookie */
    if (varint(&p, end, &levels) != 0 || varint(&p, end, &total) != 0 ||
        varint(&p, end, &writes) != 0 || total > FTS_MAX_SEGMENTS || levels > 64)
        return -1;
    struct segment *s = malloc((total ? total : 1) * sizeof *s);
    if (s == NULL)
        return -1;
    uint64_t got = 0;
    for (uint64_t l = 0; l < levels; l++) {
        uint64_t merging, in_level;
        if (varint(&p, end, &merging) != 0 || varint(&p, end, &in_level) != 0 ||
            in_level > total - got) {
            free(s);
            return -1;
        }
        for (uint64_t i = 0; i < in_level; i++, got++) {
            uint64_t id, first, last;
            /* a segment an incremental merge has used up but not yet dropped has no leaf
             * (first and last 0): FTS5 skips it, and so does every walk here (first > last) */
            if (varint(&p, end, &id) != 0 || varint(&p, end, &first) != 0 ||
                varint(&p, end, &last) != 0 || id == 0 || id > 65535 ||
                (first == 0 && last != 0) || last > INT32_MAX) {
                free(s);
                return -1;
            }
            s[got] = (struct segment){(int64_t)id, (int64_t)first, (int64_t)last, (int)l};
        }
    }
    if (got != total || p != end) { /* more than this reader knows of */
        free(s);
        return -1;
    }
    *segs = s;
    return (int)total;
}

/* The structure record's bytes, read into *bytes (malloc'd, caller frees). Returns their
 * number, or -1. */
static int fetch_structure(struct db *db, const struct db_fts_table *t, unsigned char **bytes) {
    *bytes = NULL;
    sqlite3_stmt *st = db_prepare(db, t->data);
    int n = -1;
    if (st != NULL && sqlite3_bind_int64(st, 1, FTS_STRUCTURE_ROWID) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        const void *p = sqlite3_column_blob(st, 0);
        int len = sqlite3_column_bytes(st, 0);
        if (p != NULL && len > 0 && (*bytes = malloc((size_t)len)) != NULL) {
            memcpy(*bytes, p, (size_t)len);
            n = len;
        }
    }
    db_done(st);
    return n;
}

/* Reads the segments of the structure record. Returns their number (*segs malloc'd, caller
 * frees), or -1. */
static int read_structure(struct db *db, const struct db_fts_table *t, struct segment **segs) {
    unsigned char *bytes;
    int n = fetch_structure(db, t, &bytes);
    int count = n < 0 ? -1 : parse_structure(bytes, (size_t)n, segs);
    free(bytes);
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

/* A walk over the terms that start on one leaf, in order: the footer gives each one's offset
 * (the first, then deltas); the first is stored whole, each next one as the bytes it shares
 * with the one before, then its own. */
struct term_walk {
    const unsigned char *page;      /* the leaf */
    size_t footer;                  /* where its footer begins */
    const unsigned char *f, *fend;  /* the footer's next varint, its end */
    uint64_t off;                   /* the current term's offset */
    int first;                      /* no term read yet */
    unsigned char term[FTS_MAX_TERM]; /* the current term (the index byte first) */
    size_t len;                     /* its bytes */
    size_t after;                   /* the offset just past it: its doclist */
};

/* Starts a walk over a leaf of len bytes (at least 4, footer offset checked by the caller). */
static void term_walk_start(struct term_walk *w, const unsigned char *page, size_t len,
                            size_t footer) {
    w->page = page;
    w->footer = footer;
    w->f = page + footer;
    w->fend = page + len;
    w->off = 0;
    w->first = 1;
    w->len = 0;
}

/* Moves to the leaf's next term. Returns 1, 0 past the last, or -1 when the leaf is damaged. */
static int term_walk_next(struct term_walk *w) {
    if (w->f >= w->fend)
        return 0;
    uint64_t delta, shared = 0, fresh;
    if (varint(&w->f, w->fend, &delta) != 0 || delta > w->footer - w->off)
        return -1;
    w->off += delta;
    if (w->off < 4 || w->off >= w->footer)
        return -1;
    const unsigned char *p = w->page + w->off, *pend = w->page + w->footer;
    if ((!w->first && varint(&p, pend, &shared) != 0) || varint(&p, pend, &fresh) != 0 ||
        shared > w->len || fresh > (uint64_t)(pend - p) || shared + fresh > sizeof w->term)
        return -1;
    memcpy(w->term + shared, p, (size_t)fresh);
    w->len = (size_t)(shared + fresh);
    w->after = (size_t)(p + fresh - w->page);
    w->first = 0;
    return 1;
}

/* Where the term after the current one starts, or the footer when it is the leaf's last.
 * Returns 0, or -1 when the footer is damaged. */
static int term_walk_next_start(const struct term_walk *w, size_t *next) {
    *next = w->footer;
    if (w->f >= w->fend)
        return 0;
    const unsigned char *g = w->f;
    uint64_t delta;
    if (varint(&g, w->fend, &delta) != 0 || delta > w->footer - w->off ||
        w->off + delta < w->after)
        return -1;
    *next = (size_t)(w->off + delta);
    return 0;
}

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
    int rc = -1, more;
    if (page == NULL || n < 4)
        goto done;
    size_t footer = (size_t)page[2] << 8 | page[3];
    if (footer < 4 || footer > n)
        goto done;
    struct term_walk w;
    term_walk_start(&w, page, n, footer);
    while ((more = term_walk_next(&w)) == 1) {
        int c = memcmp(w.term, key, w.len < klen ? w.len : klen);
        if (c > 0)
            break; /* terms are sorted: past every term that begins with key */
        if (c == 0 && w.len >= klen) {
            if (memchr(w.term, '\0', w.len) != NULL)
                goto done;
            int added = termset_add(set, w.term + 1, w.len - 1);
            if (added != 0) {
                rc = added;
                goto done;
            }
        }
    }
    if (more < 0)
        goto done;
    rc = 0;
done:
    db_done(st);
    return rc;
}

/* The leaf of the segment on which terms >= key begin at the earliest: the one on which the
 * last b-tree key <= key starts (every earlier leaf holds only terms before that key), not
 * before the segment's first leaf. Returns 1 with *start, 0 when the segment has no such
 * leaf (or none at all: a segment a merge in progress has used up), or -1. */
static int start_leaf(struct db *db, const struct db_fts_table *t, const struct segment *seg,
                      const unsigned char *key, size_t klen, int64_t *start) {
    if (seg->first == 0)
        return 0;
    *start = seg->first;
    sqlite3_stmt *st = db_prepare(db, t->idx_le);
    if (st == NULL || sqlite3_bind_int64(st, 1, seg->id) != SQLITE_OK ||
        sqlite3_bind_blob(st, 2, key, (int)klen, SQLITE_STATIC) != SQLITE_OK) {
        db_done(st);
        return -1;
    }
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW && sqlite3_column_int64(st, 0) >> 1 > *start)
        *start = sqlite3_column_int64(st, 0) >> 1;
    db_done(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return -1;
    return *start <= seg->last;
}

/* Adds the terms of one segment that begin with key. Returns 0, DB_FTS_TOO_MANY or -1. */
static int read_segment(struct db *db, const struct db_fts_table *t, const struct segment *seg,
                        const unsigned char *key, size_t klen, struct termset *set) {
    int64_t start;
    int found = start_leaf(db, t, seg, key, klen, &start);
    if (found <= 0)
        return found;
    int rc = read_leaf(db, t, seg->id, start, key, klen, set);
    if (rc != 0)
        return rc;
    /* then each later leaf whose first term begins with key: its b-tree key begins with key
     * too (a shorter one would sort before key) */
    sqlite3_stmt *st = db_prepare(db, t->idx_gt);
    int step = SQLITE_ERROR;
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

/* text (len bytes) as a key of the table's main index: the index byte, then text, into key
 * (FTS_MAX_TERM bytes). Returns 0, or -1 when text is empty or too long. */
static int main_key(const char *text, size_t len, unsigned char *key) {
    if (len == 0 || len + 1 > FTS_MAX_TERM)
        return -1;
    key[0] = FTS_MAIN_INDEX;
    memcpy(key + 1, text, len);
    return 0;
}

/* Starts a lookup of text (len bytes) in the table's main index: its key (the index byte,
 * then text) into key (FTS_MAX_TERM bytes), and the index's segments into *segs (caller
 * frees). Returns their number, or -1 (text empty or too long, or an unreadable record). */
static int lookup_begin(struct db *db, const struct db_fts_table *table, const char *text,
                        size_t len, unsigned char *key, struct segment **segs) {
    *segs = NULL;
    if (main_key(text, len, key) != 0)
        return -1;
    return read_structure(db, table, segs);
}

int db_fts_prefix_terms(struct db *db, const struct db_fts_table *table, const char *prefix,
                        size_t len, size_t max, char **terms) {
    assert(db != NULL && table != NULL && prefix != NULL && terms != NULL);
    *terms = NULL;
    unsigned char key[FTS_MAX_TERM];
    struct segment *segs;
    int nsegs = lookup_begin(db, table, prefix, len, key, &segs);
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

/* ---- One term's postings --------------------------------------------------------------------- */

/* The most bytes of one row's position list this reader joins (a row of the record is far
 * smaller: the write limits bound its text); more means a damaged page. */
#define FTS_MAX_POSLIST (1 << 24)

/* A leaf held by a segment's reader, and what its 4-byte header and footer say. */
struct leaf {
    unsigned char *bytes; /* the page (a copy: the statement's blob lives only until reset) */
    size_t len;           /* its bytes */
    size_t cap;           /* bytes allocated */
    size_t data_end;      /* where the footer (the term offsets) begins */
    size_t first_rowid;   /* the first rowid's offset when it comes before any term, else 0 */
    size_t first_term;    /* the first term's offset, or 0 when no term starts on the page */
};

/* Reads leaf pgno of segment segid into l. Returns 0, or -1 (missing, damaged, no memory). */
static int leaf_load(struct db *db, const struct db_fts_table *t, int64_t segid, int64_t pgno,
                     struct leaf *l) {
    sqlite3_stmt *st = db_prepare(db, t->data);
    int rc = -1;
    if (st == NULL || sqlite3_bind_int64(st, 1, FTS_LEAF_ROWID(segid, pgno)) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        goto done;
    const unsigned char *page = sqlite3_column_blob(st, 0);
    size_t n = (size_t)sqlite3_column_bytes(st, 0);
    if (page == NULL || n < 4)
        goto done;
    if (n > l->cap) {
        unsigned char *grown = realloc(l->bytes, n);
        if (grown == NULL)
            goto done;
        l->bytes = grown;
        l->cap = n;
    }
    memcpy(l->bytes, page, n);
    l->len = n;
    l->first_rowid = (size_t)page[0] << 8 | page[1];
    l->data_end = (size_t)page[2] << 8 | page[3];
    if (l->data_end < 4 || l->data_end > n ||
        (l->first_rowid != 0 && (l->first_rowid < 4 || l->first_rowid >= l->data_end)))
        goto done;
    l->first_term = 0;
    if (l->data_end < n) {
        const unsigned char *f = l->bytes + l->data_end;
        uint64_t off;
        if (varint(&f, l->bytes + n, &off) != 0 || off < 4 || off >= l->data_end)
            goto done;
        l->first_term = (size_t)off;
    }
    rc = 0;
done:
    db_done(st);
    return rc;
}

/* One segment's doclist of the term, read entry by entry over its leaves.
 *
 * The doclist begins right after the term: the first rowid whole, then per entry a varint
 * of the position list's size times 2 (plus 1 for FTS5's delete flag), the position list,
 * and the next rowid as a delta from the previous one. It ends where the next term of the
 * page starts, or runs on over the following leaves: on each of those the first rowid is
 * stored whole again, at the offset the header gives; an entry cut by the end of a leaf goes
 * on at offset 4 of the next (FTS5 cuts only between varints, and may cut before the size).
 * A leaf whose header gives no first rowid, when the doclist is between entries, begins with
 * another term: the doclist is over. */
struct seg_reader {
    int64_t segid;        /* the segment */
    int64_t pgno;         /* the leaf held */
    int64_t last;         /* the segment's last leaf */
    struct leaf leaf;     /* the leaf held */
    size_t off;           /* the next byte to read */
    size_t end;           /* where the doclist stops on this leaf (next term, or data end) */
    int whole;            /* the next rowid is stored whole (the doclist's first) */
    int done;             /* past the doclist's end */
    int64_t rowid;        /* the current entry's rowid */
    const unsigned char *pos; /* the current entry's position list */
    size_t pos_len;       /* its bytes (0: the entry deletes the row) */
    unsigned char *joined; /* a position list cut over leaves, joined */
    size_t joined_cap;    /* bytes allocated */
};

/* Finds the term (key: the index byte, then the term; klen bytes) in the segment and places
 * r at its doclist, or marks r done when the segment does not hold it. Returns 0 or -1. */
static int seg_find(struct db *db, const struct db_fts_table *t, const struct segment *seg,
                    const unsigned char *key, size_t klen, struct seg_reader *r) {
    r->segid = seg->id;
    r->last = seg->last;
    r->done = 1;
    int64_t start;
    int found = start_leaf(db, t, seg, key, klen, &start);
    if (found <= 0)
        return found;
    if (leaf_load(db, t, seg->id, start, &r->leaf) != 0)
        return -1;
    r->pgno = start;
    /* the terms that start on the leaf, in order */
    struct term_walk w;
    term_walk_start(&w, r->leaf.bytes, r->leaf.len, r->leaf.data_end);
    int more;
    while ((more = term_walk_next(&w)) == 1) {
        int c = memcmp(w.term, key, w.len < klen ? w.len : klen);
        if (c == 0)
            c = w.len < klen ? -1 : w.len > klen;
        if (c > 0)
            return 0; /* past where the term would be */
        if (c < 0)
            continue;
        /* found: its doclist runs to the next term of the leaf, or on past the leaf */
        if (term_walk_next_start(&w, &r->end) != 0)
            return -1;
        r->off = w.after;
        r->whole = 1;
        r->done = 0;
        return 0;
    }
    return more < 0 ? -1 : 0;
}

/* Loads the segment's next leaf to go on with an entry cut at the end of this one: its bytes
 * from offset 4 on continue the entry. Returns 0 or -1. */
static int seg_continue(struct db *db, const struct db_fts_table *t, struct seg_reader *r) {
    if (r->end != r->leaf.data_end || r->pgno >= r->last)
        return -1; /* a term follows on this leaf, or the segment ends: not a cut entry */
    if (leaf_load(db, t, r->segid, r->pgno + 1, &r->leaf) != 0)
        return -1;
    r->pgno++;
    r->off = 4;
    r->end = r->leaf.first_term ? r->leaf.first_term : r->leaf.data_end;
    return 0;
}

/* Where the bytes of the entry being read stop on the current leaf at the latest: at the
 * leaf's first rowid when that lies ahead (the entry went on from the previous leaf), else
 * where the doclist's part of the leaf ends. */
static size_t seg_cut_end(const struct seg_reader *r) {
    return r->leaf.first_rowid > r->off ? r->leaf.first_rowid : r->end;
}

/* Reads the segment's next entry. Returns 1, 0 at the doclist's end, or -1. */
static int seg_next(struct db *db, const struct db_fts_table *t, struct seg_reader *r) {
    if (r->done)
        return 0;
    /* most entries: a one-byte rowid delta and size, the list within the leaf */
    if (!r->whole && r->off + 2 <= r->end && r->off != r->leaf.first_rowid) {
        const unsigned char *p = r->leaf.bytes + r->off;
        size_t limit = seg_cut_end(r), start = r->off + 2, need = p[1] >> 1;
        if (p[0] != 0 && p[0] < 0x80 && p[1] < 0x80 && start <= limit && need <= limit - start &&
            r->rowid <= INT64_MAX - p[0]) {
            r->rowid += p[0];
            r->pos = p + 2;
            r->pos_len = need;
            r->off = start + need;
            return 1;
        }
    }
    while (r->off >= r->end) { /* between entries, at the end of the leaf's part */
        if (r->end < r->leaf.data_end || r->pgno >= r->last) {
            r->done = 1; /* a term starts here, or the segment ends */
            return 0;
        }
        if (leaf_load(db, t, r->segid, r->pgno + 1, &r->leaf) != 0)
            return -1;
        r->pgno++;
        r->end = r->leaf.first_term ? r->leaf.first_term : r->leaf.data_end;
        if (r->leaf.first_rowid == 0) {
            r->done = 1; /* the leaf begins with another term */
            return 0;
        }
        if (r->leaf.first_rowid >= r->end)
            return -1;
        r->off = r->leaf.first_rowid;
    }
    const unsigned char *page = r->leaf.bytes;
    const unsigned char *p = page + r->off;
    uint64_t v;
    if (varint(&p, page + r->end, &v) != 0)
        return -1;
    int whole = r->whole || r->off == r->leaf.first_rowid;
    if (whole) {
        r->rowid = (int64_t)v;
    } else {
        /* FTS5 takes deltas as unsigned 64-bit differences (from -5 to 2^63 - 1 is more
         * than INT64_MAX); rowids only ever grow along a doclist */
        int64_t next = (int64_t)((uint64_t)r->rowid + v);
        if (v == 0 || next <= r->rowid)
            return -1;
        r->rowid = next;
    }
    r->whole = 0;
    r->off = (size_t)(p - page);
    /* the size of the position list, maybe on the next leaf */
    if (r->off >= r->end && seg_continue(db, t, r) != 0)
        return -1;
    page = r->leaf.bytes;
    p = page + r->off;
    if (varint(&p, page + seg_cut_end(r), &v) != 0 || (v >> 1) > FTS_MAX_POSLIST)
        return -1;
    r->off = (size_t)(p - page);
    size_t need = (size_t)(v >> 1);
    size_t here = seg_cut_end(r) - r->off;
    if (need <= here) {
        r->pos = page + r->off;
        r->pos_len = need;
        r->off += need;
        return 1;
    }
    /* cut over leaves: joined into one buffer */
    if (need > r->joined_cap) {
        unsigned char *grown = realloc(r->joined, need);
        if (grown == NULL)
            return -1;
        r->joined = grown;
        r->joined_cap = need;
    }
    size_t got = 0;
    for (;;) {
        here = seg_cut_end(r) - r->off;
        size_t take = need - got < here ? need - got : here;
        memcpy(r->joined + got, r->leaf.bytes + r->off, take);
        got += take;
        r->off += take;
        if (got == need)
            break;
        if (r->off != r->leaf.data_end || seg_continue(db, t, r) != 0)
            return -1; /* a rowid or a term cuts the list short */
    }
    r->pos = r->joined;
    r->pos_len = need;
    return 1;
}

struct db_fts_postings {
    struct db *db;
    const struct db_fts_table *table;
    struct seg_reader *segs; /* the segments holding the term, newest first */
    int count;               /* entries of segs */
    int started;             /* the first row was asked for */
    int64_t rowid;           /* the current row */
    const struct seg_reader *current; /* the entry that speaks for it */
    int alone;               /* no other segment holds the current row */
    int64_t others;          /* the least rowid the other segments are at (INT64_MAX: none) */
    struct db_fts_hit *hits; /* its occurrences, once decoded */
    size_t hits_cap;         /* entries allocated */
};

/* Sorts segments newest first, as FTS5 ranks them when two hold the same row: lower levels
 * first, and within a level the later ones (a level lists its segments oldest first). */
static int newest_first(const void *a, const void *b) {
    const struct segment *x = *(const struct segment *const *)a;
    const struct segment *y = *(const struct segment *const *)b;
    if (x->level != y->level)
        return x->level < y->level ? -1 : 1;
    return x > y ? -1 : x < y; /* the array lists a level oldest first */
}

/* Frees the readers of p from `from` up to `to` (their leaves and joined lists). */
static void readers_free(struct db_fts_postings *p, int from, int to) {
    for (int i = from; i < to; i++) {
        free(p->segs[i].leaf.bytes);
        free(p->segs[i].joined);
        p->segs[i] = (struct seg_reader){0};
    }
}

void db_fts_postings_close(struct db_fts_postings *p) {
    if (p == NULL)
        return;
    readers_free(p, 0, p->count);
    free(p->segs);
    free(p->hits);
    free(p);
}

/* Where a term's doclist begins in one segment: what seg_find leaves in a reader. */
struct place_seg {
    int64_t segid; /* the segment */
    int64_t last;  /* its last leaf */
    int64_t pgno;  /* the leaf on which the term starts */
    size_t off;    /* the doclist's first byte on that leaf */
    size_t end;    /* where the doclist stops on that leaf */
};

struct db_fts_place {
    unsigned char *structure; /* the structure record the place was found in */
    size_t structure_len;     /* its bytes */
    int count;                /* segments that hold the term, newest first */
    struct place_seg seg[];   /* where it starts in each */
};

void db_fts_place_free(struct db_fts_place *place) {
    if (place == NULL)
        return;
    free(place->structure);
    free(place);
}

/* Places p's readers where the place says, each at its first entry: seg_find's work without
 * the index's b-tree or the walk over the leaf's terms. Returns 0, or -1 (p's readers are
 * then freed and p->count is 0). */
static int open_at_place(struct db_fts_postings *p, const struct db_fts_place *place) {
    p->segs = calloc(place->count ? (size_t)place->count : 1, sizeof *p->segs);
    if (p->segs == NULL)
        return -1;
    for (int i = 0; i < place->count; i++) {
        const struct place_seg *at = &place->seg[i];
        struct seg_reader *r = &p->segs[i];
        p->count++;
        if (leaf_load(p->db, p->table, at->segid, at->pgno, &r->leaf) != 0 ||
            at->off > at->end || at->end > r->leaf.data_end)
            goto fail;
        r->segid = at->segid;
        r->last = at->last;
        r->pgno = at->pgno;
        r->off = at->off;
        r->end = at->end;
        r->whole = 1;
        if (seg_next(p->db, p->table, r) < 0)
            goto fail;
    }
    return 0;
fail:
    readers_free(p, 0, p->count);
    free(p->segs);
    p->segs = NULL;
    p->count = 0;
    return -1;
}

int db_fts_postings_open(struct db *db, const struct db_fts_table *table, const char *term,
                         size_t len, struct db_fts_postings **out) {
    return db_fts_postings_open_at(db, table, term, len, NULL, out);
}

int db_fts_postings_open_at(struct db *db, const struct db_fts_table *table, const char *term,
                            size_t len, struct db_fts_place **place, struct db_fts_postings **out) {
    assert(db != NULL && table != NULL && term != NULL && out != NULL);
    *out = NULL;
    unsigned char key[FTS_MAX_TERM];
    if (main_key(term, len, key) != 0)
        return -1;
    unsigned char *structure;
    int slen = fetch_structure(db, table, &structure);
    if (slen < 0)
        return -1;
    struct db_fts_postings *p = calloc(1, sizeof *p);
    if (p == NULL) {
        free(structure);
        return -1;
    }
    p->db = db;
    p->table = table;
    /* the same index as when the place was found (segments are never rewritten in place:
     * any write changes the structure record): go straight to the term's leaves */
    struct db_fts_place *known = place != NULL ? *place : NULL;
    if (known != NULL && known->structure_len == (size_t)slen &&
        memcmp(known->structure, structure, (size_t)slen) == 0 && open_at_place(p, known) == 0) {
        free(structure);
        *out = p;
        return 0;
    }
    struct segment *segs;
    int nsegs = parse_structure(structure, (size_t)slen, &segs);
    struct segment **order = malloc((nsegs > 0 ? (size_t)nsegs : 1) * sizeof *order);
    struct db_fts_place *found = NULL;
    if (nsegs >= 0 && place != NULL)
        found = malloc(sizeof *found + (nsegs > 0 ? (size_t)nsegs : 1) * sizeof found->seg[0]);
    if (nsegs >= 0)
        p->segs = calloc(nsegs ? (size_t)nsegs : 1, sizeof *p->segs);
    if (nsegs < 0 || order == NULL || p->segs == NULL || (place != NULL && found == NULL)) {
        free(order);
        free(segs);
        free(found);
        free(structure);
        db_fts_postings_close(p);
        return -1;
    }
    for (int i = 0; i < nsegs; i++)
        order[i] = &segs[i];
    qsort(order, (size_t)nsegs, sizeof *order, newest_first);
    int rc = 0;
    for (int i = 0; i < nsegs && rc == 0; i++) {
        struct seg_reader *r = &p->segs[p->count];
        rc = seg_find(db, table, order[i], key, len + 1, r);
        if (rc == 0 && !r->done) {
            if (found != NULL)
                found->seg[p->count] = (struct place_seg){r->segid, r->last, r->pgno, r->off,
                                                          r->end};
            p->count++;
            rc = seg_next(db, table, r) < 0 ? -1 : 0; /* each segment at its first entry */
        }
    }
    /* a slot not kept may hold a leaf (seg_find loads before it knows): free it too */
    readers_free(p, p->count, nsegs);
    free(order);
    free(segs);
    if (rc != 0) {
        free(found);
        free(structure);
        db_fts_postings_close(p);
        return -1;
    }
    if (found != NULL) {
        found->structure = structure;
        found->structure_len = (size_t)slen;
        found->count = p->count;
        db_fts_place_free(*place);
        *place = found;
    } else {
        free(structure);
    }
    *out = p;
    return 0;
}

int db_fts_postings_next(struct db_fts_postings *p) {
    assert(p != NULL);
    for (;;) {
        if (p->started && p->alone && p->current != NULL) {
            /* one segment ahead of the others (segments mostly hold runs of rows apart): it
             * moves on alone while it stays below them */
            struct seg_reader *r = (struct seg_reader *)p->current;
            if (seg_next(p->db, p->table, r) < 0)
                return -1;
            if (!r->done && r->rowid < p->others) {
                p->rowid = r->rowid;
                if (r->pos_len > 0)
                    return 1;
                continue; /* a deletion: the row is not listed */
            }
        } else if (p->started) {
            /* the segments at the row just given (or skipped) move on */
            for (int i = 0; i < p->count; i++) {
                struct seg_reader *r = &p->segs[i];
                if (!r->done && r->rowid == p->rowid && seg_next(p->db, p->table, r) < 0)
                    return -1;
            }
        }
        p->started = 1;
        /* the least rowid; of the segments at it, the newest (the first: segs is newest
         * first) speaks; and the least rowid of the rest */
        const struct seg_reader *best = NULL;
        int64_t others = INT64_MAX;
        int alone = 1;
        for (int i = 0; i < p->count; i++) {
            const struct seg_reader *r = &p->segs[i];
            if (r->done)
                continue;
            if (best == NULL || r->rowid < best->rowid) {
                if (best != NULL)
                    others = best->rowid;
                best = r;
                alone = 1;
            } else {
                if (r->rowid == best->rowid)
                    alone = 0;
                if (r->rowid < others)
                    others = r->rowid;
            }
        }
        p->current = best;
        if (best == NULL)
            return 0;
        p->rowid = best->rowid;
        p->alone = alone;
        p->others = others;
        if (best->pos_len > 0)
            return 1;
        /* a deletion: the row is not listed */
    }
}

/* Reads the next occurrence of a position list (a .. end) into *column and *offset: offsets
 * are stored as deltas + 2 within a column, and the byte 0x01 then a varint switch to another
 * column, whose offsets start again from 0. Columns from `columns` on, and offsets whose
 * offset + 1 would not fit an int, are damage. Returns 1, 0 at the list's end, or -1. */
static inline int poslist_next(const unsigned char **a, const unsigned char *end,
                               uint64_t columns, int *column, int *offset) {
    if (*a >= end)
        return 0;
    uint64_t v;
    if (**a < 0x80) /* most varints of a position list are one byte */
        v = *(*a)++;
    else if (varint(a, end, &v) != 0)
        return -1;
    uint64_t at = (uint64_t)*offset;
    if (v == 1) { /* a new column, then its first offset */
        uint64_t c;
        if (varint(a, end, &c) != 0 || c >= columns || varint(a, end, &v) != 0)
            return -1;
        *column = (int)c;
        at = 0;
    }
    if (v < 2 || v - 2 >= INT32_MAX - at)
        return -1;
    *offset = (int)(at + v - 2);
    return 1;
}

/* Sums up a position list per column (see db_fts_postings_columns). Returns the occurrences,
 * or -1. */
static inline int sum_columns(const unsigned char *a, size_t len, int columns, int *count,
                              int *reach) {
    for (int c = 0; c < DB_FTS_MAX_COLUMNS; c++) /* a fixed count: stores, not a call */
        count[c] = reach[c] = 0;
    if (len == 1 && a[0] >= 2 && a[0] < 0x80) {
        /* one occurrence in the first column, the commonest list of a word in running text:
         * what the loop below would find, without its checks */
        count[0] = 1;
        reach[0] = a[0] - 1; /* offset a[0] - 2, plus one */
        return 1;
    }
    const unsigned char *end = a + len;
    int total = 0, column = 0, offset = 0, rc;
    while ((rc = poslist_next(&a, end, (uint64_t)columns, &column, &offset)) == 1) {
        if (total == INT32_MAX)
            return -1;
        count[column]++;
        reach[column] = offset + 1;
        total++;
    }
    return rc == 0 && total > 0 ? total : -1;
}

int db_fts_postings_columns(struct db_fts_postings *p, int columns, int *count, int *reach) {
    assert(p != NULL && p->current != NULL && count != NULL && reach != NULL);
    assert(columns > 0 && columns <= DB_FTS_MAX_COLUMNS);
    return sum_columns(p->current->pos, p->current->pos_len, columns, count, reach);
}

/* Is the entry at `off` of a lone segment's leaf (bytes) plain: a one-byte rowid delta and
 * size, its position list within the leaf before `limit` (seg_cut_end), not at the leaf's
 * whole first rowid, its rowid (after `rowid`) below every other segment's (`others`)? Then
 * *need is the list's bytes (0: the entry deletes the row). */
static inline int plain_entry(const unsigned char *bytes, size_t off, size_t limit,
                              size_t first_rowid, int64_t rowid, int64_t others, size_t *need) {
    if (off + 2 > limit || off == first_rowid)
        return 0;
    const unsigned char *e = bytes + off;
    *need = e[1] >> 1;
    return e[0] != 0 && e[0] < 0x80 && e[1] < 0x80 && *need <= limit - (off + 2) &&
           rowid <= INT64_MAX - e[0] && rowid + e[0] < others;
}

/* The next entry of a segment ahead of the others (p->alone, r = p->current), read in place
 * when it is plain (plain_entry). Returns 1 with r and p->rowid at it (a deletion included:
 * r->pos_len 0), or 0, changing nothing, for anything else (which db_fts_postings_next then
 * reads). */
static inline int lone_next(struct db_fts_postings *p, struct seg_reader *r, size_t limit) {
    size_t need;
    if (!plain_entry(r->leaf.bytes, r->off, limit, r->leaf.first_rowid, r->rowid, p->others,
                     &need))
        return 0;
    const unsigned char *e = r->leaf.bytes + r->off;
    r->rowid += e[0];
    r->pos = e + 2;
    r->pos_len = need;
    r->off += 2 + need;
    p->rowid = r->rowid;
    return 1;
}

int db_fts_postings_seek(struct db_fts_postings *p, int64_t target) {
    assert(p != NULL);
    if (p->started && p->current == NULL)
        return 0; /* past the last row */
    if (p->started && p->rowid >= target && p->current->pos_len > 0)
        return 1;
    for (;;) {
        /* a lone segment's plain entries are stepped over here (see db_fts_postings_rows) */
        struct seg_reader *r = (struct seg_reader *)p->current;
        if (p->started && p->alone && r != NULL && !r->done && !r->whole) {
            size_t limit = seg_cut_end(r);
            while (lone_next(p, r, limit))
                if (r->pos_len > 0 && r->rowid >= target)
                    return 1;
        }
        int rc = db_fts_postings_next(p);
        if (rc <= 0 || p->rowid >= target)
            return rc;
    }
}

int db_fts_postings_rows(struct db_fts_postings *p, int columns, struct db_fts_row *rows,
                         int max) {
    assert(p != NULL && rows != NULL && columns > 0 && columns <= DB_FTS_MAX_COLUMNS);
    int n = 0;
    while (n < max) {
        /* a segment ahead of the others (the only one, after a merge): its entries with a
         * one-byte delta and size within the leaf are read here, as seg_next's own fast
         * path would, without two calls per row; anything else goes through
         * db_fts_postings_next */
        struct seg_reader *r = (struct seg_reader *)p->current;
        if (p->started && p->alone && r != NULL && !r->done && !r->whole) {
            /* lone_next's reading, with its state in locals (the rows written cannot alias
             * them) */
            const unsigned char *bytes = r->leaf.bytes;
            size_t limit = seg_cut_end(r), off = r->off, first_rowid = r->leaf.first_rowid;
            int64_t rowid = r->rowid, others = p->others;
            const unsigned char *pos = r->pos;
            size_t pos_len = r->pos_len;
            int damaged = 0;
            size_t need;
            while (n < max && plain_entry(bytes, off, limit, first_rowid, rowid, others, &need)) {
                const unsigned char *e = bytes + off;
                rowid += e[0];
                pos = e + 2;
                pos_len = need;
                off += 2 + need;
                if (need == 0)
                    continue; /* a deletion: the row is not listed */
                struct db_fts_row *row = &rows[n++];
                row->rowid = rowid;
                if (sum_columns(pos, need, columns, row->count, row->reach) < 0) {
                    damaged = 1;
                    break;
                }
            }
            r->rowid = p->rowid = rowid;
            r->off = off;
            r->pos = pos;
            r->pos_len = pos_len;
            if (damaged)
                return -1;
            if (n == max)
                break;
        }
        int rc = db_fts_postings_next(p);
        if (rc <= 0)
            return rc < 0 ? -1 : n;
        struct db_fts_row *row = &rows[n++];
        row->rowid = p->rowid;
        if (sum_columns(p->current->pos, p->current->pos_len, columns, row->count, row->reach) < 0)
            return -1;
    }
    return n;
}

int64_t db_fts_postings_rowid(const struct db_fts_postings *p) {
    assert(p != NULL && p->current != NULL);
    return p->rowid;
}

int db_fts_postings_hits(struct db_fts_postings *p, const struct db_fts_hit **hits) {
    assert(p != NULL && p->current != NULL && hits != NULL);
    const unsigned char *a = p->current->pos, *end = a + p->current->pos_len;
    size_t n = 0;
    int column = 0, offset = 0, rc;
    while ((rc = poslist_next(&a, end, INT32_MAX, &column, &offset)) == 1) {
        if (n == p->hits_cap) {
            size_t cap = p->hits_cap ? p->hits_cap * 2 : 16;
            struct db_fts_hit *grown = realloc(p->hits, cap * sizeof *grown);
            if (grown == NULL)
                return -1;
            p->hits = grown;
            p->hits_cap = cap;
        }
        p->hits[n++] = (struct db_fts_hit){column, offset};
    }
    if (rc != 0 || n == 0 || n > INT32_MAX)
        return -1;
    *hits = p->hits;
    return (int)n;
}

/* The sum of a docsize record's first `columns` sizes, or -1 when it holds fewer. */
static int64_t record_tokens(const unsigned char *p, int bytes, int columns) {
    const unsigned char *end = p + (bytes > 0 ? bytes : 0);
    int64_t sum = 0;
    for (int c = 0; c < columns; c++) {
        uint64_t v;
        if (p == NULL || varint(&p, end, &v) != 0 || v > INT32_MAX)
            return -1;
        sum += (int64_t)v;
    }
    return sum;
}

int64_t db_fts_row_tokens(struct db *db, const struct db_fts_table *table, int64_t rowid,
                          int columns) {
    sqlite3_stmt *st = db_prepare(db, table->docsize);
    int64_t tokens = -1;
    if (st != NULL && sqlite3_bind_int64(st, 1, rowid) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        tokens = record_tokens(sqlite3_column_blob(st, 0), sqlite3_column_bytes(st, 0), columns);
    db_done(st);
    return tokens;
}

int db_fts_read_lengths(struct db *db, const struct db_fts_table *table, int columns,
                        size_t max_span, struct db_fts_lengths *out) {
    assert(db != NULL && table != NULL && out != NULL);
    *out = (struct db_fts_lengths){0};
    sqlite3_stmt *st = db_prepare(db, table->span);
    if (st == NULL || sqlite3_step(st) != SQLITE_ROW) {
        db_done(st);
        return -1;
    }
    int empty = sqlite3_column_type(st, 0) == SQLITE_NULL;
    int64_t first = sqlite3_column_int64(st, 0), last = sqlite3_column_int64(st, 1);
    db_done(st);
    if (empty)
        return 0; /* no row: nothing to keep */
    if (last < first || (uint64_t)last - (uint64_t)first >= max_span)
        return 1;
    size_t count = (size_t)((uint64_t)last - (uint64_t)first) + 1;
    uint16_t *tokens = malloc(count * sizeof *tokens);
    if (tokens == NULL)
        return -1;
    for (size_t i = 0; i < count; i++)
        tokens[i] = DB_FTS_NO_LENGTH;
    st = db_prepare(db, table->sizes);
    int step = SQLITE_ERROR;
    while (st != NULL && (step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        int64_t n = record_tokens(sqlite3_column_blob(st, 1), sqlite3_column_bytes(st, 1), columns);
        if (id < first || id > last || n < 0)
            break; /* a row appeared since the span was read, or a damaged record */
        tokens[id - first] = n < DB_FTS_NO_LENGTH ? (uint16_t)n : DB_FTS_NO_LENGTH;
    }
    db_done(st);
    if (step != SQLITE_DONE) {
        free(tokens);
        return -1;
    }
    *out = (struct db_fts_lengths){first, count, tokens};
    return 0;
}
