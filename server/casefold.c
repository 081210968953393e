/* casefold.c: Unicode simple case folding of code points and UTF-8 text, from the table that
 * casefold_table.pl writes (casefold_table.h). */
#include "casefold.h"

#include "casefold_table.h"
#include "format.h"

#include <assert.h>
#include <string.h>

enum { RUN_COUNT = sizeof casefold_runs / sizeof casefold_runs[0] };

/* Does run r fold cp? */
static int run_holds(const struct casefold_run *r, uint32_t cp) {
    return cp >= r->first && cp <= r->first + (uint32_t)(r->count - 1) * r->stride &&
           (cp - r->first) % r->stride == 0;
}

uint32_t casefold_code_point(uint32_t cp) {
    if (cp < 0x80)
        return cp >= 'A' && cp <= 'Z' ? cp + ('a' - 'A') : cp;
    /* the last run that starts at or before cp: runs do not overlap */
    size_t lo = 0, hi = RUN_COUNT;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (casefold_runs[mid].first <= cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || !run_holds(&casefold_runs[lo - 1], cp))
        return cp;
    return (uint32_t)((int64_t)cp + casefold_runs[lo - 1].delta);
}

void casefold_class(uint32_t cp, uint32_t *lowest, uint32_t *highest) {
    assert(lowest != NULL && highest != NULL);
    uint32_t folded = casefold_code_point(cp);
    *lowest = *highest = folded; /* folding is idempotent: the folding folds to itself */
    if (folded < 0x80) {
        if (folded >= 'a' && folded <= 'z')
            *lowest = folded - ('a' - 'A');
        return;
    }
    /* every code point that folds to `folded` is folded - delta of the run that holds it */
    for (size_t i = 0; i < RUN_COUNT; i++) {
        int64_t from = (int64_t)folded - casefold_runs[i].delta;
        if (from < 0 || !run_holds(&casefold_runs[i], (uint32_t)from))
            continue;
        if ((uint32_t)from < *lowest)
            *lowest = (uint32_t)from;
        if ((uint32_t)from > *highest)
            *highest = (uint32_t)from;
    }
}

size_t casefold_decode(const char *s, uint32_t *cp) {
    assert(s != NULL && cp != NULL);
    const unsigned char *u = (const unsigned char *)s;
    size_t len = format_utf8_sequence(u);
    if (len == 2)
        *cp = (uint32_t)(u[0] & 0x1F) << 6 | (u[1] & 0x3F);
    else if (len == 3)
        *cp = (uint32_t)(u[0] & 0x0F) << 12 | (uint32_t)(u[1] & 0x3F) << 6 | (u[2] & 0x3F);
    else if (len == 4)
        *cp = (uint32_t)(u[0] & 0x07) << 18 | (uint32_t)(u[1] & 0x3F) << 12 |
              (uint32_t)(u[2] & 0x3F) << 6 | (u[3] & 0x3F);
    return len;
}

size_t casefold_encode(uint32_t cp, char *out) {
    assert(cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF));
    unsigned char *u = (unsigned char *)out;
    if (cp < 0x80) {
        u[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        u[0] = (unsigned char)(0xC0 | cp >> 6);
        u[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        u[0] = (unsigned char)(0xE0 | cp >> 12);
        u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        u[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    u[0] = (unsigned char)(0xF0 | cp >> 18);
    u[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
    u[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    u[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t casefold_utf8(const char *s, size_t len, char *out, size_t cap) {
    assert(s != NULL && (out != NULL || cap == 0));
    size_t used = 0; /* the folding's length so far, written or not */
    for (size_t i = 0; i < len;) {
        char piece[4];
        size_t n = 1, step = 1;
        unsigned char c = (unsigned char)s[i];
        uint32_t cp = 0;
        if (c < 0x80)
            piece[0] = c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : (char)c;
        else if ((step = casefold_decode(s + i, &cp)) != 0 && step <= len - i)
            n = casefold_encode(casefold_code_point(cp), piece);
        else { /* not UTF-8 (or cut by len): the byte as it is */
            piece[0] = (char)c;
            step = 1;
        }
        if (used + n < cap)
            memcpy(out + used, piece, n);
        else if (used < cap)
            cap = used + 1; /* the rest does not fit: stop writing, as snprintf does */
        used += n;
        i += step;
    }
    if (cap > 0)
        out[used < cap ? used : cap - 1] = '\0';
    return used;
}
