/* map.c: the open-addressing hash maps of map.h (linear probing, grown at half full, no
 * deletion: the import only adds keys). */
#include "map.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define MAP_INITIAL_CAP 64

struct imap_slot {
    int64_t a, b;  /* the key */
    int64_t value; /* the value */
    int used;      /* 0 marks a free slot */
};

struct smap_slot {
    char *key;     /* a NUL-terminated copy of the key; NULL marks a free slot */
    size_t len;    /* length of key */
    uint64_t hash; /* hash of key, kept to grow without rehashing and to compare quickly */
    int64_t value; /* the value */
};

static uint64_t mix64(uint64_t h) {
    /* splitmix64's finalizer: every input bit affects every output bit */
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
}

static uint64_t pair_hash(int64_t a, int64_t b) {
    return mix64((uint64_t)a * 0x9e3779b97f4a7c15ULL ^ mix64((uint64_t)b));
}

static uint64_t string_hash(const char *s, size_t len) {
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    return mix64(h);
}

static int imap_grow(struct imap *m) {
    size_t cap = m->cap ? m->cap * 2 : MAP_INITIAL_CAP;
    struct imap_slot *slots = calloc(cap, sizeof *slots);
    if (slots == NULL)
        return -1;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].used)
            continue;
        size_t j = (size_t)pair_hash(m->slots[i].a, m->slots[i].b) & (cap - 1);
        while (slots[j].used)
            j = (j + 1) & (cap - 1);
        slots[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

int imap_put(struct imap *m, int64_t a, int64_t b, int64_t value) {
    assert(m != NULL);
    if ((m->count + 1) * 2 > m->cap && imap_grow(m) != 0)
        return -1;
    size_t i = (size_t)pair_hash(a, b) & (m->cap - 1);
    while (m->slots[i].used) {
        if (m->slots[i].a == a && m->slots[i].b == b) {
            m->slots[i].value = value;
            return 0;
        }
        i = (i + 1) & (m->cap - 1);
    }
    m->slots[i] = (struct imap_slot){a, b, value, 1};
    m->count++;
    return 1;
}

int imap_get(const struct imap *m, int64_t a, int64_t b, int64_t *value) {
    assert(m != NULL);
    if (m->cap == 0)
        return 0;
    size_t i = (size_t)pair_hash(a, b) & (m->cap - 1);
    while (m->slots[i].used) {
        if (m->slots[i].a == a && m->slots[i].b == b) {
            if (value != NULL)
                *value = m->slots[i].value;
            return 1;
        }
        i = (i + 1) & (m->cap - 1);
    }
    return 0;
}

void imap_free(struct imap *m) {
    if (m == NULL)
        return;
    free(m->slots);
    *m = (struct imap){0};
}

static int smap_grow(struct smap *m) {
    size_t cap = m->cap ? m->cap * 2 : MAP_INITIAL_CAP;
    struct smap_slot *slots = calloc(cap, sizeof *slots);
    if (slots == NULL)
        return -1;
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].key == NULL)
            continue;
        size_t j = (size_t)m->slots[i].hash & (cap - 1);
        while (slots[j].key != NULL)
            j = (j + 1) & (cap - 1);
        slots[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

int smap_put(struct smap *m, const char *key, size_t len, int64_t value) {
    assert(m != NULL && key != NULL);
    if ((m->count + 1) * 2 > m->cap && smap_grow(m) != 0)
        return -1;
    uint64_t h = string_hash(key, len);
    size_t i = (size_t)h & (m->cap - 1);
    while (m->slots[i].key != NULL) {
        struct smap_slot *s = &m->slots[i];
        if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0) {
            s->value = value;
            return 0;
        }
        i = (i + 1) & (m->cap - 1);
    }
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return -1;
    memcpy(copy, key, len);
    copy[len] = '\0';
    m->slots[i] = (struct smap_slot){copy, len, h, value};
    m->count++;
    return 1;
}

int smap_get(const struct smap *m, const char *key, size_t len, int64_t *value) {
    assert(m != NULL && key != NULL);
    if (m->cap == 0)
        return 0;
    uint64_t h = string_hash(key, len);
    size_t i = (size_t)h & (m->cap - 1);
    while (m->slots[i].key != NULL) {
        const struct smap_slot *s = &m->slots[i];
        if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0) {
            if (value != NULL)
                *value = s->value;
            return 1;
        }
        i = (i + 1) & (m->cap - 1);
    }
    return 0;
}

void smap_free(struct smap *m) {
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].key);
    free(m->slots);
    *m = (struct smap){0};
}
