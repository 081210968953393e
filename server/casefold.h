/* casefold.h: Unicode simple case folding of UTF-8 text, for the `name` filters, which match a
 * name exactly but case-insensitively (`name=CÔTE D’IVOIRE` finds Côte d’Ivoire).
 *
 * Two texts match when their simple case foldings (CaseFolding.txt, statuses C and S: one code
 * point for one, so ß stays ß) are the same code points. U+017F (ſ) and U+212A (Kelvin sign)
 * fold to themselves here rather than to s and k: then ASCII folds only to ASCII and nothing
 * else folds into ASCII, so a name whose value is ASCII is matched exactly by SQLite's NOCASE
 * (which folds A-Z only) through the name's index, and a non-ASCII value's matches all begin
 * with the case variants of its ASCII prefix and of its first non-ASCII character, a range of
 * that index (casefold_class). */
#ifndef PLENARY_CASEFOLD_H
#define PLENARY_CASEFOLD_H

#include <stddef.h>
#include <stdint.h>

/* The simple case folding of code point cp (cp itself when it has none). */
uint32_t casefold_code_point(uint32_t cp);

/* The smallest and largest code points whose folding is cp's folding (cp among them). */
void casefold_class(uint32_t cp, uint32_t *lowest, uint32_t *highest);

/* Writes the folding of the UTF-8 text s (len bytes, then a NUL) to out (cap bytes, NUL-terminated
 * when cap > 0) and returns its length, as snprintf does: the whole folding fits when the result is
 * less than cap; it is never more than len * 3 / 2 bytes (a 2-byte character may fold to a
 * 3-byte one). Bytes that are not valid UTF-8 are copied as they are. */
size_t casefold_utf8(const char *s, size_t len, char *out, size_t cap);

/* Decodes the valid UTF-8 sequence at s (whose first byte is not ASCII) into *cp and returns its
 * length, or 0 when it is not one. Reads no further than a NUL. */
size_t casefold_decode(const char *s, uint32_t *cp);

/* Encodes cp (at most U+10FFFF, not a surrogate) as UTF-8 into out (4 bytes or more) and returns
 * the length. */
size_t casefold_encode(uint32_t cp, char *out);

#endif
