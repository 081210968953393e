/* map.h: two small open-addressing hash maps used while importing a record document:
 * imap maps a pair of 64-bit integers to a 64-bit integer (ids, (session, position) keys),
 * smap maps a string (copied) to a 64-bit integer (slugs to ids). Zero-initialize a map
 * before use; free it with imap_free / smap_free. Not thread-safe. */
#ifndef PLENARY_MAP_H
#define PLENARY_MAP_H

#include <stddef.h>
#include <stdint.h>

struct imap_slot;
struct smap_slot;

struct imap {
    struct imap_slot *slots; /* capacity cap, a power of two; NULL until the first put */
    size_t cap;              /* slots allocated */
    size_t count;            /* keys stored */
};

struct smap {
    struct smap_slot *slots; /* capacity cap, a power of two; NULL until the first put */
    size_t cap;              /* slots allocated */
    size_t count;            /* keys stored */
};

/* Stores value under (a, b). Returns 1 when the key was new, 0 when it replaced a value,
 * -1 when out of memory (the map is unchanged). */
int imap_put(struct imap *m, int64_t a, int64_t b, int64_t value);
/* Returns 1 and sets *value (when not NULL) if (a, b) is present, else 0. */
int imap_get(const struct imap *m, int64_t a, int64_t b, int64_t *value);
void imap_free(struct imap *m);

/* Stores value under a copy of key[0..len). Returns 1 new, 0 replaced, -1 out of memory. */
int smap_put(struct smap *m, const char *key, size_t len, int64_t value);
/* Returns 1 and sets *value (when not NULL) if key[0..len) is present, else 0. */
int smap_get(const struct smap *m, const char *key, size_t len, int64_t *value);
void smap_free(struct smap *m);

#endif
