/* generate.c: `plenary generate` (commands.h), a deterministic synthetic record for scale
 * tests. Options and the PRNG come first, then the vocabularies, then one writer per
 * resource array; the document is streamed, never held in memory. */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "record.h"

/* The largest --scale: the model of everything but interventions grows with N and is held
 * in memory (about 100 bytes per intervention at this scale). */
#define GEN_MAX_SCALE 10000000

static const char generate_usage[] =
    "usage: plenary generate --scale N --seed S [--out FILE]\n"
    "\n"
    "Writes a synthetic record document (JSON, see fixtures/FORMAT.md) with the shape of the\n"
    "real record and realistic distributions. N is the number of interventions; assemblies,\n"
    "organizations, people, sessions, side events, documents and topics grow with it. The\n"
    "same N and S always give the same bytes; another S gives another record.\n"
    "\n"
    "  --scale N   number of interventions, 1 to 10000000\n"
    "  --seed S    the seed of the random generator, an unsigned 64-bit integer\n"
    "  --out FILE  where to write (default: standard output)\n"
    "  --help      this text\n";

/* The options of `plenary generate`. */
struct gen_opts {
    uint64_t scale;  /* number of interventions */
    uint64_t seed;   /* PRNG seed */
    const char *out; /* output file, NULL for stdout; borrowed from argv */
};

/* Parses an unsigned decimal integer in [lo, hi]; returns 0 on success, -1 otherwise. */
static int gen_parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out) {
    char *end = NULL;
    unsigned long long v;

    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

/* Fills o from argv; returns 0 to go on, 1 when --help was printed, 2 on bad usage (one line
 * printed on stderr). */
static int gen_parse_args(int argc, char **argv, struct gen_opts *o) {
    int have_scale = 0, have_seed = 0;

    memset(o, 0, sizeof *o);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        size_t n = strcspn(a, "=");

        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(generate_usage, stdout);
            return 1;
        }
        if (!((n == 7 && strncmp(a, "--scale", 7) == 0) ||
              (n == 6 && strncmp(a, "--seed", 6) == 0) ||
              (n == 5 && strncmp(a, "--out", 5) == 0))) {
            fprintf(stderr,
                    "plenary generate: unknown argument '%s' (see plenary generate --help)\n", a);
            return 2;
        }
        if (a[n] == '=')
            val = a + n + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        if (val == NULL) {
            fprintf(stderr, "plenary generate: %.*s needs a value (see plenary generate --help)\n",
                    (int)n, a);
            return 2;
        }
        if (n == 7) {
            if (gen_parse_u64(val, 1, GEN_MAX_SCALE, &o->scale) != 0) {
                fprintf(stderr,
                        "plenary generate: --scale must be an integer from 1 to %d, not '%s'\n",
                        GEN_MAX_SCALE, val);
                return 2;
            }
            have_scale = 1;
        } else if (n == 6) {
            if (gen_parse_u64(val, 0, UINT64_MAX, &o->seed) != 0) {
                fprintf(stderr, "plenary generate: --seed must be an unsigned integer, not '%s'\n",
                        val);
                return 2;
            }
            have_seed = 1;
        } else {
            if (*val == '\0') {
                fprintf(stderr, "plenary generate: --out must not be empty\n");
                return 2;
            }
            o->out = val;
        }
    }
    if (!have_scale || !have_seed) {
        fprintf(stderr, "plenary generate: --scale and --seed are required (see plenary generate "
                        "--help)\n");
        return 2;
    }
    return 0;
}

/* ---- The random generator: splitmix64, one stream per part of the record --------------- */

/* A splitmix64 stream. Each part of the record draws from a stream of its own, derived from
 * the seed and the part's name, so that changing how one part is drawn leaves the others. */
struct gen_rng {
    uint64_t state; /* advanced by the golden-ratio increment at every draw */
};

static uint64_t rng_next(struct gen_rng *r) {
    uint64_t z = (r->state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* A stream for the part `name` of the record generated from `seed`. */
static struct gen_rng rng_stream(uint64_t seed, const char *name) {
    uint64_t h = UINT64_C(0xCBF29CE484222325); /* FNV-1a of the name */
    for (const char *c = name; *c != '\0'; c++)
        h = (h ^ (unsigned char)*c) * UINT64_C(0x100000001B3);
    struct gen_rng r = {seed ^ h};
    (void)rng_next(&r);
    return r;
}

/* A uniform integer in [0, n); n > 0. The modulo bias is below 2^-40 for every n used here. */
static size_t rng_below(struct gen_rng *r, size_t n) {
    assert(n > 0);
    return (size_t)(rng_next(r) % (uint64_t)n);
}

/* A uniform integer in [lo, hi]. */
static int rng_range(struct gen_rng *r, int lo, int hi) {
    assert(lo <= hi);
    return lo + (int)rng_below(r, (size_t)(hi - lo) + 1);
}

/* A uniform double in [0, 1). */
static double rng_unit(struct gen_rng *r) {
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* 1 with probability p. */
static int rng_chance(struct gen_rng *r, double p) {
    return rng_unit(r) < p;
}

/* An integer in [0, n) where small values are far more frequent (density ~ x^(1/k - 1)):
 * the few prolific speakers, the hot topics, the common words. k >= 1; k = 1 is uniform. */
static size_t rng_skewed(struct gen_rng *r, size_t n, int k) {
    double u = rng_unit(r), x = u;
    for (int i = 1; i < k; i++)
        x *= u;
    size_t v = (size_t)(x * (double)n);
    return v < n ? v : n - 1;
}

/* An index drawn from weights w[0..n) (not all zero). */
static size_t rng_weighted(struct gen_rng *r, const unsigned *w, size_t n) {
    unsigned total = 0;
    for (size_t i = 0; i < n; i++)
        total += w[i];
    assert(total > 0);
    size_t x = rng_below(r, total);
    for (size_t i = 0; i < n; i++) {
        if (x < w[i])
            return i;
        x -= w[i];
    }
    return n - 1;
}

/* ---- Calendar dates as day numbers (days since 1970-01-01, proleptic Gregorian) --------- */

/* H. Hinnant's days_from_civil: the day number of y-m-d (m 1..12, d 1..31). */
static long date_from_civil(int y, int m, int d) {
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Writes day number z as "YYYY-MM-DD" into buf (11 bytes). */
static void date_format(long z, char buf[static 11]) {
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long y = yoe + era * 400;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long d = doy - (153 * mp + 2) / 5 + 1;
    long m = mp + (mp < 10 ? 3 : -9);
    y += m <= 2;
    /* the ranges are certain; the modulos tell the compiler so (no truncation warning) */
    int n = snprintf(buf, 11, "%04u-%02u-%02u", (unsigned)(y % 10000), (unsigned)(m % 100),
                     (unsigned)(d % 100));
    assert(n == 10);
    (void)n;
}

/* ---- Memory: an arena for the model's strings, and a set of slugs ------------------------ */

/* One block of the arena. */
struct arena_block {
    struct arena_block *next; /* the block allocated before this one */
    size_t used;              /* bytes of data[] handed out */
    size_t size;              /* bytes of data[] */
    char data[];              /* the strings */
};

/* Every string of the model lives here until the end of the command; freed at once. */
struct arena {
    struct arena_block *head; /* the current block, or NULL */
};

#define ARENA_BLOCK (1u << 20)

/* Copies s[0..len) with a terminating NUL into the arena. Returns the copy (owned by the
 * arena), or NULL when out of memory. */
static char *arena_strndup(struct arena *a, const char *s, size_t len) {
    struct arena_block *b = a->head;
    if (b == NULL || b->size - b->used < len + 1) {
        size_t size = len + 1 > ARENA_BLOCK ? len + 1 : ARENA_BLOCK;
        b = malloc(sizeof *b + size);
        if (b == NULL)
            return NULL;
        b->next = a->head;
        b->used = 0;
        b->size = size;
        a->head = b;
    }
    char *p = b->data + b->used;
    memcpy(p, s, len);
    p[len] = '\0';
    b->used += len + 1;
    return p;
}

static void arena_free(struct arena *a) {
    while (a->head != NULL) {
        struct arena_block *next = a->head->next;
        free(a->head);
        a->head = next;
    }
}

/* A set of strings (the slugs of one type), open addressing; the strings are borrowed. */
struct slug_set {
    const char **slots; /* NULL or a member */
    size_t cap;         /* a power of two */
    size_t count;       /* members */
};

static uint64_t hash_str(const char *s) {
    uint64_t h = UINT64_C(0xCBF29CE484222325);
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * UINT64_C(0x100000001B3);
    return h;
}

/* 1 when s is in the set. */
static int slug_set_has(const struct slug_set *set, const char *s) {
    if (set->cap == 0)
        return 0;
    for (size_t i = hash_str(s) & (set->cap - 1);; i = (i + 1) & (set->cap - 1)) {
        if (set->slots[i] == NULL)
            return 0;
        if (strcmp(set->slots[i], s) == 0)
            return 1;
    }
}

/* Adds s (not yet a member; borrowed, must outlive the set). Returns 0, or -1 when out of
 * memory. */
static int slug_set_add(struct slug_set *set, const char *s) {
    if (2 * (set->count + 1) > set->cap) {
        size_t cap = set->cap ? 2 * set->cap : 1024;
        const char **slots = calloc(cap, sizeof *slots);
        if (slots == NULL)
            return -1;
        for (size_t j = 0; j < set->cap; j++) {
            if (set->slots[j] == NULL)
                continue;
            size_t i = hash_str(set->slots[j]) & (cap - 1);
            while (slots[i] != NULL)
                i = (i + 1) & (cap - 1);
            slots[i] = set->slots[j];
        }
        free(set->slots);
        set->slots = slots;
        set->cap = cap;
    }
    size_t i = hash_str(s) & (set->cap - 1);
    while (set->slots[i] != NULL)
        i = (i + 1) & (set->cap - 1);
    set->slots[i] = s;
    set->count++;
    return 0;
}

static void slug_set_free(struct slug_set *set) {
    free(set->slots);
    memset(set, 0, sizeof *set);
}

/* ---- Output: a buffered writer and the JSON of the document ---------------------------- */

/* The document being written. Errors are sticky: after the first failed write every call
 * is a no-op and out_finish reports it. */
struct gen_out {
    FILE *f;          /* the stream; borrowed */
    char *buf;        /* OUT_BUF bytes; owned */
    size_t len;       /* bytes of buf pending */
    int failed;       /* a write failed (errno in err) */
    int err;          /* errno of the first failure */
    uint64_t written; /* bytes handed to f */
};

#define OUT_BUF (1u << 20)

static void out_flush(struct gen_out *o) {
    if (o->failed || o->len == 0)
        return;
    if (fwrite(o->buf, 1, o->len, o->f) != o->len) {
        o->failed = 1;
        o->err = errno ? errno : EIO;
    }
    o->written += o->len;
    o->len = 0;
}

/* Appends s[0..n). */
static void out_mem(struct gen_out *o, const char *s, size_t n) {
    if (o->len + n > OUT_BUF) {
        out_flush(o);
        if (n > OUT_BUF) {
            if (!o->failed && fwrite(s, 1, n, o->f) != n) {
                o->failed = 1;
                o->err = errno ? errno : EIO;
            }
            o->written += n;
            return;
        }
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void out_str(struct gen_out *o, const char *s) {
    out_mem(o, s, strlen(s));
}

/* Appends the decimal digits of v. */
static void out_int(struct gen_out *o, uint64_t v) {
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    out_mem(o, tmp + i, sizeof tmp - i);
}

/* Appends s as a JSON string: quotes, backslashes and control characters escaped, UTF-8
 * written as is (as record_export does); NULL is written as null. */
static void out_json(struct gen_out *o, const char *s) {
    static const char hex[] = "0123456789abcdef";
    if (s == NULL) {
        out_mem(o, "null", 4);
        return;
    }
    out_mem(o, "\"", 1);
    const char *run = s;
    for (const char *c = s; *c != '\0'; c++) {
        unsigned char ch = (unsigned char)*c;
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        out_mem(o, run, (size_t)(c - run));
        run = c + 1;
        switch (ch) {
        case '"':
            out_mem(o, "\\\"", 2);
            break;
        case '\\':
            out_mem(o, "\\\\", 2);
            break;
        case '\n':
            out_mem(o, "\\n", 2);
            break;
        case '\t':
            out_mem(o, "\\t", 2);
            break;
        case '\r':
            out_mem(o, "\\r", 2);
            break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
            out_mem(o, u, sizeof u);
        }
        }
    }
    out_mem(o, run, strlen(run));
    out_mem(o, "\"", 1);
}

/* Indentation: the document nests at most five levels of two spaces. */
static void out_indent(struct gen_out *o, int level) {
    static const char spaces[] = "                    ";
    assert(level >= 0 && (size_t)(2 * level) < sizeof spaces);
    out_mem(o, spaces, (size_t)(2 * level));
}

/* Starts the member `key` at `level`: a comma and newline before every member but the first
 * of its object, then the indented key. *first tracks the object. */
static void out_key(struct gen_out *o, int level, int *first, const char *key) {
    out_mem(o, *first ? "\n" : ",\n", *first ? 1 : 2);
    *first = 0;
    out_indent(o, level);
    out_mem(o, "\"", 1);
    out_str(o, key);
    out_mem(o, "\": ", 3);
}

static void out_key_str(struct gen_out *o, int level, int *first, const char *key, const char *v) {
    out_key(o, level, first, key);
    out_json(o, v);
}

static void out_key_int(struct gen_out *o, int level, int *first, const char *key, uint64_t v) {
    out_key(o, level, first, key);
    out_int(o, v);
}

/* A date (day number) or null when z < 0. */
static void out_key_date(struct gen_out *o, int level, int *first, const char *key, long z) {
    char d[11];
    out_key(o, level, first, key);
    if (z < 0) {
        out_mem(o, "null", 4);
        return;
    }
    date_format(z, d);
    out_json(o, d);
}

/* Closes an object opened at `level` - 1 whose members are at `level`. */
static void out_close_object(struct gen_out *o, int level) {
    out_mem(o, "\n", 1);
    out_indent(o, level - 1);
    out_mem(o, "}", 1);
}

/* Writes the list of strings v[0..n) as the value of the current key, its items at `level`
 * ("[]" when empty), as jansson's JSON_INDENT(2) does. */
static void out_str_list(struct gen_out *o, int level, const char *const *v, size_t n) {
    if (n == 0) {
        out_mem(o, "[]", 2);
        return;
    }
    out_mem(o, "[", 1);
    for (size_t i = 0; i < n; i++) {
        out_mem(o, i ? ",\n" : "\n", i ? 2 : 1);
        out_indent(o, level);
        out_json(o, v[i]);
    }
    out_mem(o, "\n", 1);
    out_indent(o, level - 1);
    out_mem(o, "]", 1);
}

/* ---- Vocabulary: the real names the record is made of --------------------------------- */

/* A state: its ISO 3166-1 alpha-2 code and its name as the record writes it. */
struct gen_state {
    const char *code; /* ISO 3166-1 alpha-2 */
    const char *name; /* UTF-8 */
};

/* UN member states, observer States and the Holy See, sorted by name. */
static const struct gen_state gen_states[] = {
    {"AF", "Afghanistan"},
    {"AL", "Albania"},
    {"DZ", "Algeria"},
    {"AD", "Andorra"},
    {"AO", "Angola"},
    {"AG", "Antigua and Barbuda"},
    {"AR", "Argentina"},
    {"AM", "Armenia"},
    {"AU", "Australia"},
    {"AT", "Austria"},
    {"AZ", "Azerbaijan"},
    {"BS", "Bahamas"},
    {"BH", "Bahrain"},
    {"BD", "Bangladesh"},
    {"BB", "Barbados"},
    {"BY", "Belarus"},
    {"BE", "Belgium"},
    {"BZ", "Belize"},
    {"BJ", "Benin"},
    {"BT", "Bhutan"},
    {"BO", "Bolivia"},
    {"BA", "Bosnia and Herzegovina"},
    {"BW", "Botswana"},
    {"BR", "Brazil"},
    {"BN", "Brunei Darussalam"},
    {"BG", "Bulgaria"},
    {"BF", "Burkina Faso"},
    {"BI", "Burundi"},
    {"CV", "Cabo Verde"},
    {"KH", "Cambodia"},
    {"CM", "Cameroon"},
    {"CA", "Canada"},
    {"CF", "Central African Republic"},
    {"TD", "Chad"},
    {"CL", "Chile"},
    {"CN", "China"},
    {"CO", "Colombia"},
    {"KM", "Comoros"},
    {"CG", "Congo"},
    {"CR", "Costa Rica"},
    {"CI", "Côte d’Ivoire"},
    {"HR", "Croatia"},
    {"CU", "Cuba"},
    {"CY", "Cyprus"},
    {"CZ", "Czech Republic"},
    {"KP", "Democratic People’s Republic of Korea"},
    {"CD", "Democratic Republic of the Congo"},
    {"DK", "Denmark"},
    {"DJ", "Djibouti"},
    {"DM", "Dominica"},
    {"DO", "Dominican Republic"},
    {"EC", "Ecuador"},
    {"EG", "Egypt"},
    {"SV", "El Salvador"},
    {"GQ", "Equatorial Guinea"},
    {"ER", "Eritrea"},
    {"EE", "Estonia"},
    {"SZ", "Eswatini"},
    {"ET", "Ethiopia"},
    {"FJ", "Fiji"},
    {"FI", "Finland"},
    {"FR", "France"},
    {"GA", "Gabon"},
    {"GM", "Gambia"},
    {"GE", "Georgia"},
    {"DE", "Germany"},
    {"GH", "Ghana"},
    {"GR", "Greece"},
    {"GD", "Grenada"},
    {"GT", "Guatemala"},
    {"GN", "Guinea"},
    {"GW", "Guinea-Bissau"},
    {"GY", "Guyana"},
    {"HT", "Haiti"},
    {"VA", "Holy See"},
    {"HN", "Honduras"},
    {"HU", "Hungary"},
    {"IS", "Iceland"},
    {"IN", "India"},
    {"ID", "Indonesia"},
    {"IR", "Iran"},
    {"IQ", "Iraq"},
    {"IE", "Ireland"},
    {"IL", "Israel"},
    {"IT", "Italy"},
    {"JM", "Jamaica"},
    {"JP", "Japan"},
    {"JO", "Jordan"},
    {"KZ", "Kazakhstan"},
    {"KE", "Kenya"},
    {"KI", "Kiribati"},
    {"KW", "Kuwait"},
    {"KG", "Kyrgyzstan"},
    {"LA", "Lao People’s Democratic Republic"},
    {"LV", "Latvia"},
    {"LB", "Lebanon"},
    {"LS", "Lesotho"},
    {"LR", "Liberia"},
    {"LY", "Libya"},
    {"LI", "Liechtenstein"},
    {"LT", "Lithuania"},
    {"LU", "Luxembourg"},
    {"MG", "Madagascar"},
    {"MW", "Malawi"},
    {"MY", "Malaysia"},
    {"MV", "Maldives"},
    {"ML", "Mali"},
    {"MT", "Malta"},
    {"MH", "Marshall Islands"},
    {"MR", "Mauritania"},
    {"MU", "Mauritius"},
    {"MX", "Mexico"},
    {"FM", "Micronesia"},
    {"MC", "Monaco"},
    {"MN", "Mongolia"},
    {"ME", "Montenegro"},
    {"MA", "Morocco"},
    {"MZ", "Mozambique"},
    {"MM", "Myanmar"},
    {"NA", "Namibia"},
    {"NR", "Nauru"},
    {"NP", "Nepal"},
    {"NL", "Netherlands"},
    {"NZ", "New Zealand"},
    {"NI", "Nicaragua"},
    {"NE", "Niger"},
    {"NG", "Nigeria"},
    {"MK", "North Macedonia"},
    {"NO", "Norway"},
    {"OM", "Oman"},
    {"PK", "Pakistan"},
    {"PW", "Palau"},
    {"PA", "Panama"},
    {"PG", "Papua New Guinea"},
    {"PY", "Paraguay"},
    {"PE", "Peru"},
    {"PH", "Philippines"},
    {"PL", "Poland"},
    {"PT", "Portugal"},
    {"QA", "Qatar"},
    {"KR", "Republic of Korea"},
    {"MD", "Republic of Moldova"},
    {"RO", "Romania"},
    {"RU", "Russian Federation"},
    {"RW", "Rwanda"},
    {"KN", "Saint Kitts and Nevis"},
    {"LC", "Saint Lucia"},
    {"VC", "Saint Vincent and the Grenadines"},
    {"WS", "Samoa"},
    {"SM", "San Marino"},
    {"ST", "São Tomé and Príncipe"},
    {"SA", "Saudi Arabia"},
    {"SN", "Senegal"},
    {"RS", "Serbia"},
    {"SC", "Seychelles"},
    {"SL", "Sierra Leone"},
    {"SG", "Singapore"},
    {"SK", "Slovakia"},
    {"SI", "Slovenia"},
    {"SB", "Solomon Islands"},
    {"SO", "Somalia"},
    {"ZA", "South Africa"},
    {"SS", "South Sudan"},
    {"ES", "Spain"},
    {"LK", "Sri Lanka"},
    {"PS", "State of Palestine"},
    {"SD", "Sudan"},
    {"SR", "Suriname"},
    {"SE", "Sweden"},
    {"CH", "Switzerland"},
    {"SY", "Syrian Arab Republic"},
    {"TJ", "Tajikistan"},
    {"TH", "Thailand"},
    {"TL", "Timor-Leste"},
    {"TG", "Togo"},
    {"TO", "Tonga"},
    {"TT", "Trinidad and Tobago"},
    {"TN", "Tunisia"},
    {"TR", "Türkiye"},
    {"TM", "Turkmenistan"},
    {"TV", "Tuvalu"},
    {"UG", "Uganda"},
    {"UA", "Ukraine"},
    {"AE", "United Arab Emirates"},
    {"GB", "United Kingdom"},
    {"TZ", "United Republic of Tanzania"},
    {"US", "United States of America"},
    {"UY", "Uruguay"},
    {"UZ", "Uzbekistan"},
    {"VU", "Vanuatu"},
    {"VE", "Venezuela"},
    {"VN", "Viet Nam"},
    {"YE", "Yemen"},
    {"ZM", "Zambia"},
    {"ZW", "Zimbabwe"},
};

/* Topics: the first 24 are those of the real record (fixtures/record.json), in its order.
 * A proper name keeps its capital inside a sentence ("cooperation", but "Darfur"). */
static const struct {
    const char *slug; /* as in the record */
    const char *name; /* UTF-8 */
    int proper;       /* 1 when the name is a proper noun */
} gen_topics[] = {
    {"cooperation", "Cooperation", 0},
    {"voluntary-cooperation-agreements", "Voluntary cooperation agreements", 0},
    {"enforcement-of-sentences", "Enforcement of sentences", 0},
    {"witness-protection-and-relocation", "Witness protection and relocation", 0},
    {"victims", "Victims", 0},
    {"financial-investigations-and-asset-freezing", "Financial investigations and asset freezing",
     0},
    {"focal-points-on-cooperation", "Networks of focal points on cooperation", 0},
    {"national-cooperation-frameworks", "National frameworks for cooperation with the Court", 0},
    {"arrest-warrants", "Arrest warrants", 0},
    {"un-security-council-referrals", "UN Security Council referrals", 1},
    {"complementarity", "Complementarity", 0},
    {"review-of-the-icc", "Review of the ICC and the Rome Statute system", 0},
    {"civil-society", "Civil society", 0},
    {"workplace-harassment", "Harassment and conflict resolution in the workplace", 0},
    {"judicial-and-prosecutorial-independence", "Judicial and prosecutorial independence", 0},
    {"strategic-vision", "Strategic vision for the Court", 0},
    {"reparations", "Reparations", 0},
    {"accountability", "Accountability and impunity", 0},
    {"mutual-legal-assistance", "Mutual legal assistance", 0},
    {"venezuela", "Venezuela", 1},
    {"syria", "Syria", 1},
    {"palestine", "Palestine", 1},
    {"democratic-republic-of-the-congo", "Democratic Republic of the Congo", 1},
    {"mali", "Mali", 1},
    {"programme-budget", "Programme budget", 0},
    {"arrears", "Arrears and contributions", 0},
    {"election-of-judges", "Election of judges", 0},
    {"election-of-the-prosecutor", "Election of the Prosecutor", 0},
    {"election-of-the-registrar", "Election of the Registrar", 0},
    {"crime-of-aggression", "Crime of aggression", 0},
    {"amendments-to-the-rome-statute", "Amendments to the Rome Statute", 0},
    {"universality", "Universality of the Rome Statute", 0},
    {"legal-aid", "Legal aid", 0},
    {"geographical-representation", "Geographical representation and gender balance", 0},
    {"non-cooperation", "Non-cooperation", 0},
    {"victims-participation", "Participation of victims", 0},
    {"trust-fund-for-victims", "Trust Fund for Victims", 1},
    {"sexual-and-gender-based-crimes", "Sexual and gender-based crimes", 0},
    {"crimes-against-children", "Crimes against and affecting children", 0},
    {"detention", "Detention", 0},
    {"interim-release", "Interim release", 0},
    {"outreach", "Outreach", 0},
    {"field-presence", "Field presence of the Court", 0},
    {"staff-well-being", "Staff well-being", 0},
    {"working-methods", "Working methods of the Assembly", 0},
    {"independent-oversight-mechanism", "Independent Oversight Mechanism", 1},
    {"privileges-and-immunities", "Privileges and immunities", 0},
    {"host-state", "Relations with the host State", 0},
    {"permanent-premises", "Permanent premises", 0},
    {"rules-of-procedure-and-evidence", "Rules of Procedure and Evidence", 1},
    {"ecocide", "Ecocide", 0},
    {"environmental-crimes", "Environmental crimes", 0},
    {"cultural-heritage", "Destruction of cultural heritage", 0},
    {"gender-persecution", "Gender persecution", 0},
    {"slavery-crimes", "Slavery crimes", 0},
    {"starvation-as-a-method-of-warfare", "Starvation as a method of warfare", 0},
    {"counsel-and-defence", "Counsel and the rights of the defence", 0},
    {"language-services", "Language services", 0},
    {"efficiency-of-proceedings", "Efficiency and effectiveness of proceedings", 0},
    {"performance-indicators", "Performance indicators", 0},
    {"risk-management", "Risk management", 0},
    {"external-audit", "External audit", 0},
    {"liquidity", "Liquidity and the Working Capital Fund", 0},
    {"contingency-fund", "Contingency Fund", 1},
    {"human-resources", "Human resources", 0},
    {"code-of-conduct", "Codes of conduct", 0},
    {"nomination-of-judges", "Nomination of judges", 0},
    {"advisory-committee-on-nominations", "Advisory Committee on Nominations of Judges", 1},
    {"special-tribunal-for-aggression", "Special tribunal for the crime of aggression", 0},
    {"kampala-amendments", "Kampala amendments", 1},
    {"relationship-with-the-united-nations", "Relationship with the United Nations", 0},
    {"sanctions-against-the-court", "Sanctions against the Court", 0},
    {"attacks-on-the-court", "Threats and attacks against the Court", 0},
    {"digital-evidence", "Digital evidence", 0},
    {"cyber-security", "Cyber security", 0},
    {"uganda", "Uganda", 1},
    {"darfur", "Darfur", 1},
    {"central-african-republic", "Central African Republic", 1},
    {"kenya", "Kenya", 1},
    {"libya", "Libya", 1},
    {"cote-d-ivoire", "Côte d’Ivoire", 1},
    {"georgia", "Georgia", 1},
    {"burundi", "Burundi", 1},
    {"bangladesh-myanmar", "Bangladesh/Myanmar", 1},
    {"afghanistan", "Afghanistan", 1},
    {"philippines", "Philippines", 1},
    {"ukraine", "Ukraine", 1},
    {"sudan", "Sudan", 1},
    {"nigeria", "Nigeria", 1},
    {"colombia", "Colombia", 1},
    {"guinea", "Guinea", 1},
    {"iraq", "Iraq", 1},
    {"lithuania-belarus", "Lithuania/Belarus", 1},
    {"universal-jurisdiction", "Universal jurisdiction", 0},
    {"transitional-justice", "Transitional justice", 0},
    {"truth-commissions", "Truth commissions", 0},
    {"national-proceedings", "National proceedings", 0},
    {"capacity-building", "Capacity building", 0},
    {"technical-assistance", "Technical assistance", 0},
    {"intermediaries", "Intermediaries", 0},
};

/* Organization kinds, as FORMAT.md spells them. */
enum gen_kind {
    K_STATE,
    K_COURT,
    K_COURT_ORGAN,
    K_COURT_UNIT,
    K_NGO,
    K_COALITION,
    K_IGO,
    K_REGIONAL_GROUP,
    K_ASSEMBLY_BODY,
    K_STAFF_BODY,
    K_GOVERNMENT_BODY,
    K_OTHER,
};

static const char *const gen_kind_names[] = {
    "state",         "court",      "court_organ",       "court_unit",
    "ngo",           "coalition",  "intergovernmental", "regional_group",
    "assembly_body", "staff_body", "government_body",   "other",
};

/* An organization given by name. parent is the index in the same table, or -1. */
struct gen_fixed_org {
    const char *name;    /* UTF-8 */
    enum gen_kind kind;  /* its kind */
    const char *acronym; /* or NULL */
    int parent;          /* index of the parent in the same table, or -1 */
};

/* The Court, its organs and the Assembly's bodies: every record has them, in this order.
 * Indexes 0 (the Court), 1 (OTP), 3 (Registry) and 7 (ASP) are used by name below. */
enum {
    CORE_COURT = 0,
    CORE_OTP = 1,
    CORE_PRESIDENCY = 2,
    CORE_REGISTRY = 3,
    CORE_ASP = 7,
    CORE_CICC = 15
};
static const struct gen_fixed_org gen_core_orgs[] = {
    {"International Criminal Court", K_COURT, "ICC", -1},
    {"Office of the Prosecutor", K_COURT_ORGAN, "OTP", 0},
    {"Presidency", K_COURT_ORGAN, NULL, 0},
    {"Registry", K_COURT_ORGAN, NULL, 0},
    {"Chambers", K_COURT_ORGAN, NULL, 0},
    {"ICC Staff Union Council", K_STAFF_BODY, NULL, 0},
    {"Trust Fund for Victims", K_OTHER, "TFV", -1},
    {"Assembly of States Parties", K_ASSEMBLY_BODY, "ASP", -1},
    {"Bureau of the Assembly of States Parties", K_ASSEMBLY_BODY, NULL, 7},
    {"Review Mechanism", K_ASSEMBLY_BODY, NULL, 7},
    {"Committee on Budget and Finance", K_ASSEMBLY_BODY, "CBF", 7},
    {"The Hague Working Group", K_ASSEMBLY_BODY, "HWG", 8},
    {"New York Working Group", K_ASSEMBLY_BODY, "NYWG", 8},
    {"Secretariat of the Assembly of States Parties", K_ASSEMBLY_BODY, NULL, 7},
    {"Independent Experts", K_OTHER, NULL, -1},
    {"Coalition for the International Criminal Court", K_COALITION, "CICC", -1},
    {"CICC Review Team", K_COALITION, NULL, 15},
    {"CICC Elections Team", K_COALITION, NULL, 15},
    {"International Cooperation Section", K_COURT_UNIT, NULL, 1},
    {"Victims Participation and Reparations Section", K_COURT_UNIT, "VPRS", 3},
    {"Victims and Witnesses Section", K_COURT_UNIT, "VWS", 3},
    {"Office of Public Counsel for Victims", K_COURT_UNIT, "OPCV", 3},
    {"Office of Public Counsel for the Defence", K_COURT_UNIT, "OPCD", 3},
    {"Independent Oversight Mechanism", K_ASSEMBLY_BODY, "IOM", 7},
};

/* The regional groups of the United Nations, and the groups that speak as one. */
static const struct gen_fixed_org gen_groups[] = {
    {"African Group", K_REGIONAL_GROUP, NULL, -1},
    {"Asia-Pacific Group", K_REGIONAL_GROUP, NULL, -1},
    {"Eastern European Group", K_REGIONAL_GROUP, NULL, -1},
    {"Group of Latin American and Caribbean States", K_REGIONAL_GROUP, "GRULAC", -1},
    {"Western European and Other States Group", K_REGIONAL_GROUP, "WEOG", -1},
    {"Nordic countries", K_REGIONAL_GROUP, NULL, -1},
    {"Benelux", K_REGIONAL_GROUP, NULL, -1},
};

/* Intergovernmental organizations that take the floor at the Assembly. */
static const struct gen_fixed_org gen_igos[] = {
    {"European Union", K_IGO, "EU", -1},
    {"African Union", K_IGO, "AU", -1},
    {"Organization of American States", K_IGO, "OAS", -1},
    {"United Nations", K_IGO, "UN", -1},
    {"Council of Europe", K_IGO, "CoE", -1},
    {"Commonwealth Secretariat", K_IGO, NULL, -1},
    {"Organisation internationale de la Francophonie", K_IGO, "OIF", -1},
    {"League of Arab States", K_IGO, NULL, -1},
    {"Economic Community of West African States", K_IGO, "ECOWAS", -1},
    {"Pacific Islands Forum", K_IGO, "PIF", -1},
    {"Caribbean Community", K_IGO, "CARICOM", -1},
    {"Organisation of Islamic Cooperation", K_IGO, "OIC", -1},
    {"Asian-African Legal Consultative Organization", K_IGO, "AALCO", -1},
    {"International Development Law Organization", K_IGO, "IDLO", -1},
    {"Eurojust", K_IGO, NULL, -1},
    {"International Criminal Police Organization", K_IGO, "INTERPOL", -1},
    {"Southern African Development Community", K_IGO, "SADC", -1},
    {"International Organization for Migration", K_IGO, "IOM", -1},
};

/* Court units made from a state's name (parent: the organ); "%s" is the state. */
static const struct {
    const char *pattern; /* a printf pattern with one %s */
    int parent;          /* index in gen_core_orgs */
} gen_unit_patterns[] = {
    {"Country Office in %s", CORE_REGISTRY},
    {"Unified Team on the situation in %s", CORE_OTP},
};

/* Government bodies of a state (parent: the state); "%s" is the state. */
static const char *const gen_gov_patterns[] = {
    "Ministry of Justice of %s",
    "Ministry of Foreign Affairs of %s",
    "Permanent Mission of %s to the United Nations",
    "Embassy of %s in the Netherlands",
    "Office of the Attorney General of %s",
    "National Police of %s",
};

/* NGO names: a type, a cause, and for the many chapters a city. */
static const char *const gen_ngo_types[] = {
    "Centre for",     "Institute for",   "Foundation for", "Alliance for",  "Network for",
    "Initiative for", "Association for", "Campaign for",   "Society for",   "Forum for",
    "Coalition for",  "Council for",     "Observatory on", "Committee for", "Movement for",
};
static const char *const gen_ngo_causes[] = {
    "Justice and Accountability",
    "Human Rights",
    "International Justice",
    "Victims' Rights",
    "Transitional Justice",
    "the Rule of Law",
    "Peace and Justice",
    "Women's Rights",
    "Children's Rights",
    "Democracy and Human Rights",
    "Legal Aid",
    "the Protection of Civilians",
    "Gender Justice",
    "Truth and Reconciliation",
    "Reparations",
    "International Criminal Law",
    "Civil Liberties",
    "Press Freedom",
    "Indigenous Peoples' Rights",
    "Refugee Rights",
    "Environmental Justice",
    "Minority Rights",
    "Human Dignity",
    "Humanitarian Law",
    "the Prevention of Genocide",
    "the Rights of the Accused",
    "Survivors of Torture",
    "Memory and Truth",
    "the Abolition of Impunity",
    "Civic Space",
    "Disability Rights",
    "Detainees' Rights",
    "Legal Empowerment",
    "Conflict Resolution",
    "Historical Memory",
    "Missing Persons",
    "Documentation and Evidence",
    "the Independence of the Judiciary",
    "Strategic Litigation",
    "Youth and Justice",
};
static const char *const gen_cities[] = {
    "Nairobi",     "Kampala",     "Kinshasa",       "Bamako",    "Abidjan",     "Dakar",
    "Bangui",      "Goma",        "Bunia",          "Khartoum",  "Tripoli",     "Tbilisi",
    "Kyiv",        "Kharkiv",     "Caracas",        "Bogotá",    "Mexico City", "Buenos Aires",
    "Santiago",    "Lima",        "Guatemala City", "San José",  "Ramallah",    "Gaza",
    "Beirut",      "Amman",       "Damascus",       "Istanbul",  "Kabul",       "Dhaka",
    "Cox's Bazar", "Yangon",      "Manila",         "Jakarta",   "Bangkok",     "Geneva",
    "The Hague",   "Brussels",    "Paris",          "London",    "Berlin",      "Madrid",
    "Rome",        "Warsaw",      "Vienna",         "Stockholm", "Oslo",        "Copenhagen",
    "Helsinki",    "New York",    "Washington",     "Toronto",   "Montreal",    "Sydney",
    "Tokyo",       "Seoul",       "Johannesburg",   "Cape Town", "Abuja",       "Lagos",
    "Accra",       "Freetown",    "Monrovia",       "Conakry",   "Bujumbura",   "Kigali",
    "Juba",        "Addis Ababa",
};

/* People: given names and family names from every region the Assembly hears from. */
static const char *const gen_given_names[] = {
    "Luis",        "Momar",    "Silvia",  "Piotr",    "Karim",       "Peter",        "Amadi",
    "Anne-Aurore", "Maria",    "José",    "Ana",      "Carlos",      "Fatou",        "Aminata",
    "Mamadou",     "Ibrahim",  "Aisha",   "Fatima",   "Mohamed",     "Ahmed",        "Omar",
    "Leila",       "Yusuf",    "Amina",   "Grace",    "Joseph",      "Samuel",       "Esther",
    "Ruth",        "David",    "Sarah",   "Michael",  "Elizabeth",   "James",        "Catherine",
    "Thomas",      "Sophie",   "Nicolas", "Camille",  "Julien",      "Claire",       "Hans",
    "Ingrid",      "Lars",     "Sven",    "Anna",     "Katarzyna",   "Tomasz",       "Olena",
    "Oleksandr",   "Iryna",    "Nino",    "Giorgi",   "Elena",       "Marco",        "Giulia",
    "Francesca",   "Pedro",    "Luciana", "Gabriela", "Diego",       "Valentina",    "Andrés",
    "Camila",      "Hiroshi",  "Yuki",    "Min-jun",  "Ji-woo",      "Priya",        "Rahul",
    "Anjali",      "Nguyen",   "Siti",    "Ali",      "Hassan",      "Nadia",        "Rania",
    "Tariq",       "Chidi",    "Ngozi",   "Kwame",    "Ama",         "Kofi",         "Abena",
    "Tendai",      "Thandiwe", "Sipho",   "Nomvula",  "Jean-Pierre", "Marie-Claire", "Emmanuel",
    "Béatrice",    "Félix",    "Honoré",  "Solange",  "Patrice",     "Christine",    "Alejandro",
    "Mónica",      "Raúl",     "Beatriz", "Ingeborg", "Astrid",      "Eamon",        "Siobhan",
    "Niamh",       "Alan",     "Shireen", "Sergey",   "Natalia",     "Dmitri",       "Milena",
    "Zoran",       "Jelena",   "Arben",   "Besa",     "Kemal",       "Elif",         "Aziz",
    "Farida",      "Bakhyt",
};
static const char *const gen_family_names[] = {
    "Vassy",     "Gueye",      "Fernández",  "Hofmański",    "Khan",      "Lewis",
    "Ba",        "Bertrand",   "García",     "Rodríguez",    "Martínez",  "López",
    "González",  "Pérez",      "Sánchez",    "Ramírez",      "Torres",    "Flores",
    "Diallo",    "Ndiaye",     "Traoré",     "Coulibaly",    "Koné",      "Touré",
    "Camara",    "Sow",        "Mensah",     "Owusu",        "Okafor",    "Adeyemi",
    "Nwosu",     "Mwangi",     "Otieno",     "Kamau",        "Odhiambo",  "Mukasa",
    "Nsubuga",   "Habimana",   "Uwimana",    "Ndayishimiye", "Kabila",    "Tshisekedi",
    "Mbeki",     "Dlamini",    "Nkosi",      "Moyo",         "Banda",     "Phiri",
    "Hassan",    "Ibrahim",    "Abdullah",   "Haddad",       "Khoury",    "Nasser",
    "Mansour",   "Yilmaz",     "Kaya",       "Demir",        "Smith",     "Johnson",
    "Williams",  "Brown",      "Taylor",     "Wilson",       "Davies",    "Evans",
    "Murphy",    "O'Brien",    "Kelly",      "Walsh",        "Dubois",    "Martin",
    "Bernard",   "Petit",      "Durand",     "Leroy",        "Moreau",    "Lefebvre",
    "Müller",    "Schmidt",    "Schneider",  "Fischer",      "Weber",     "Meyer",
    "Wagner",    "Becker",     "Jansen",     "de Vries",     "van Dijk",  "Bakker",
    "Visser",    "Peeters",    "Janssens",   "Rossi",        "Russo",     "Ferrari",
    "Esposito",  "Bianchi",    "Romano",     "Silva",        "Santos",    "Oliveira",
    "Souza",     "Costa",      "Pereira",    "Nowak",        "Kowalski",  "Wiśniewski",
    "Kowalczyk", "Shevchenko", "Bondarenko", "Kovalenko",    "Melnyk",    "Beridze",
    "Kapanadze", "Ivanov",     "Petrov",     "Popescu",      "Ionescu",   "Horvat",
    "Novak",     "Kovačević",  "Hansen",     "Johansson",    "Andersson", "Nielsen",
    "Virtanen",  "Korhonen",   "Tanaka",     "Suzuki",       "Sato",      "Kim",
    "Lee",       "Park",       "Sharma",     "Patel",        "Singh",     "Rahman",
    "Hossain",   "Chowdhury",  "Nguyen",     "Tran",         "Santoso",   "Reyes",
    "Cruz",      "Bautista",   "Castillo",   "Vargas",       "Morales",   "Herrera",
    "Mendoza",   "Rojas",      "Alvarado",   "Gurmendi",     "Kaul",      "Fatoumata",
    "Bensouda",  "Eboe-Osuji",
};
static const char *const gen_honorifics[] = {
    "Ambassador", "Judge", "Ms", "Mr", "Dr", "Professor", "H.E.", "Minister",
};
static const unsigned gen_honorific_weights[] = {10, 4, 25, 25, 10, 4, 6, 3};

/* The title a person holds at a state, a court body, an NGO or the Assembly. */
static const char *const gen_state_titles[] = {
    "Ambassador to the Netherlands",
    "Permanent Representative to the United Nations",
    "Deputy Permanent Representative",
    "Legal Adviser",
    "Minister of Justice",
    "Minister of Foreign Affairs",
    "Deputy Minister of Justice",
    "Attorney General",
    "Director of Legal Affairs",
    "First Secretary",
    "Counsellor",
    "Head of delegation",
};
static const char *const gen_court_titles[] = {
    "President",
    "Vice-President",
    "Prosecutor",
    "Deputy Prosecutor",
    "Registrar",
    "Head of Section",
    "Legal Officer",
    "Chief of Cooperation",
    "Director",
    "Senior Trial Lawyer",
    "External Relations and Cooperation Officer",
};
static const char *const gen_ngo_titles[] = {
    "Executive Director", "Director",           "Programme Director",
    "Legal Adviser",      "Advocacy Officer",   "Programme Officer",
    "Senior Counsel",     "Researcher",         "Head of International Justice",
    "Coordinator",        "Chair of the Board",
};
static const char *const gen_asp_titles[] = {
    "President",
    "Vice-President",
    "co-facilitator on cooperation",
    "co-facilitator on the budget",
    "co-facilitator on the review of the Court",
    "focal point on complementarity",
    "focal point on non-cooperation",
    "Rapporteur",
    "Bureau member",
    "Director of the Secretariat",
};
/* Capacities stated for a speaker who holds no affiliation title. */
static const char *const gen_roles[] = {
    "ASP President",
    "ICC President",
    "Prosecutor",
    "Registrar",
    "Head of delegation",
    "co-facilitator on cooperation",
    "focal point on complementarity",
    "Chair of the CBF",
    "Chair of the Board of Directors of the TFV",
    "Minister of Justice",
    "Legal Adviser",
    "Permanent Representative",
    "Special Adviser",
    "Observer",
};

/* Summaries are sentences of assembly-speak: an opening verb phrase, an object, and often
 * a second object after a connector. Words are drawn skewed, so that the common terms
 * (cooperation, victims, complementarity) are common in full-text search as they are in the
 * real record. */
static const char *const gen_verbs[] = {
    "Underlined the importance of",
    "Welcomed",
    "Reaffirmed its commitment to",
    "Stressed the need for",
    "Called on States Parties to strengthen",
    "Highlighted",
    "Expressed concern about",
    "Urged the Court to ensure",
    "Noted progress on",
    "Recalled the obligations regarding",
    "Emphasized",
    "Commended the work on",
    "Called for renewed attention to",
    "Shared its experience regarding",
    "Expressed support for",
    "Regretted the lack of",
    "Pledged continued support for",
    "Encouraged further dialogue on",
    "Drew attention to",
    "Insisted on",
    "Announced a voluntary contribution for",
    "Questioned the approach to",
    "Invited the Bureau to consider",
    "Reported on national efforts concerning",
};
static const char *const gen_objects[] = {
    "cooperation with the Court",
    "the principle of complementarity",
    "reparations for victims",
    "the protection of victims and witnesses",
    "the execution of outstanding arrest warrants",
    "the approved programme budget",
    "voluntary contributions to the Trust Fund for Victims",
    "the independence of the judiciary",
    "the review of the Court and the Rome Statute system",
    "the universality of the Rome Statute",
    "the relocation of witnesses",
    "financial investigations and the freezing of assets",
    "geographical representation and gender balance among staff",
    "the amendments on the crime of aggression",
    "the enforcement of sentences",
    "the participation of victims in proceedings",
    "the election of judges",
    "the efficiency of judicial proceedings",
    "the situation of victims in the field",
    "the recommendations of the Independent Experts",
    "legal aid for the defence",
    "the fight against impunity",
    "the role of civil society",
    "the arrears of States Parties",
    "non-cooperation by States",
    "sexual and gender-based crimes",
    "crimes against children",
    "national proceedings for international crimes",
    "mutual legal assistance",
    "the protection of the Court from external pressure",
    "the mandate of the Prosecutor",
    "the strategic plan of the Court",
    "the field presence of the Court",
    "outreach to affected communities",
    "a safe and respectful workplace",
    "the Working Capital Fund",
    "the liquidity of the Court",
    "the cooperation agreements on interim release",
    "the agreements on the enforcement of sentences",
    "the networks of national focal points",
    "the referrals by the Security Council",
    "the costs of referrals by the Security Council",
    "the preliminary examinations",
    "the collection of digital evidence",
    "the rights of the accused",
    "the victims of the situation in Ukraine",
    "the victims in Darfur",
    "the victims in the Democratic Republic of the Congo",
    "the investigation in Palestine",
    "the investigation in Afghanistan",
    "the situation in Venezuela",
    "capacity building for national jurisdictions",
    "the Rules of Procedure and Evidence",
};
static const char *const gen_connectors[] = {
    "including",       "as well as",    "in particular",  "and",
    "notably through", "together with", "with a view to", "while recalling",
};
static const char *const gen_tails[] = {
    "",
    "",
    "",
    "",
    " in the coming year",
    " at the national level",
    " without delay",
    " as a shared responsibility",
    " in line with the Rome Statute",
    " in the field",
    " for the effective implementation of the Rome Statute",
    " for the victims concerned",
};

/* Session titles and themes; "%s" is a topic's name. */
static const char *const gen_plenary_titles[] = {
    "Plenary on %s",
    "Plenary on %s (continued)",
    "Special segment on %s",
    "High-level plenary on %s",
};
static const char *const gen_other_titles[] = {
    "Opening of the session",
    "Adoption of the agenda",
    "Elections",
    "Consideration of the budget",
    "Report of the Credentials Committee",
    "Adoption of the report of the Assembly",
    "Closing of the session",
    "Meeting of the Working Group on Amendments",
    "Informal consultations",
};
static const char *const gen_themes[] = {
    "Meeting the challenges of %s: a common and continuous responsibility",
    "%s: twenty years of the Rome Statute",
    "Strengthening %s for the effective implementation of the Rome Statute",
    "Towards a shared approach to %s",
    "%s and the future of international criminal justice",
};
static const char *const gen_segment_titles[] = {
    "High-level interventions on %s",    "Interactive dialogue on %s",
    "Statements by civil society on %s", "Panel discussion on %s",
    "Presentation of the report on %s",  "Statements by States Parties on %s",
};
static const char *const gen_parts_of_day[] = {"morning", "afternoon", "evening"};

/* Side events: a lead phrase and a subtitle; "%s" is a topic's or a state's name. */
static const char *const gen_event_leads[] = {
    "Justice for %s",
    "Accountability for %s",
    "Victims at the centre: %s",
    "Beyond the Rome Statute: %s",
    "Lessons learned on %s",
    "%s in practice",
    "The road ahead for %s",
    "Closing the impunity gap: %s",
    "Voices of survivors: %s",
    "Twenty years on: %s",
};
static const char *const gen_event_subtitles[] = {
    "",
    "the way forward",
    "challenges and opportunities",
    "a critical examination",
    "perspectives from the field",
    "ongoing initiatives by the international community",
    "the role of civil society",
    "national and international responses",
    "what States Parties can do",
};

/* Document titles; "%s" is a topic's name. */
static const struct {
    const char *pattern; /* a printf pattern with one %s */
    const char *kind;    /* the document kind */
} gen_doc_titles[] = {
    {"Report of the Bureau on %s", "report"},
    {"Report of the Court on %s", "report"},
    {"Report of the Committee on Budget and Finance on %s", "report"},
    {"Matrix: progress on %s", "matrix"},
    {"Statement on %s", "statement"},
    {"Joint statement on %s", "statement"},
    {"Letter to the President of the Assembly on %s", "letter"},
    {"Discussion paper on %s", "paper"},
    {"Non-paper on %s", "paper"},
    {"List of candidates and %s", "list"},
    {"Resolution on %s", "other"},
};
static const unsigned gen_doc_title_weights[] = {14, 10, 6, 4, 10, 6, 4, 5, 3, 1, 8};

static const char *const gen_ordinals[] = {
    "First",      "Second",     "Third",        "Fourth",        "Fifth",        "Sixth",
    "Seventh",    "Eighth",     "Ninth",        "Tenth",         "Eleventh",     "Twelfth",
    "Thirteenth", "Fourteenth", "Fifteenth",    "Sixteenth",     "Seventeenth",  "Eighteenth",
    "Nineteenth", "Twentieth",  "Twenty-first", "Twenty-second", "Twenty-third", "Twenty-fourth",
};
#define GEN_YEARS (sizeof gen_ordinals / sizeof gen_ordinals[0])

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Slugs -------------------------------------------------------------------------------- */

/* ASCII letters for U+00C0..U+00FF and U+0100..U+017F (diacritics folded, as FORMAT.md asks);
 * '-' for the signs among them. */
static const char fold_latin1[] =
    "aaaaaaaceeeeiiiidnooooo-ouuuuytsaaaaaaaceeeeiiiidnooooo-ouuuuyty";
static const char fold_latin_ext_a[] =
    "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkklllllll"
    "lllnnnnnnnnnoooooooorrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";

/* Writes the slug of UTF-8 text `in` into out (cap bytes, cap > 1): lower-case ASCII letters
 * and digits, every other run of characters one hyphen, none at either end, at most cap - 1
 * bytes (a longer one is cut short). Returns its length (0 when `in` has no letter or
 * digit). */
static size_t slugify(const char *in, char *out, size_t cap) {
    size_t n = 0;
    int sep = 0;
    assert(cap > 1);
    for (const unsigned char *c = (const unsigned char *)in; *c != '\0';) {
        char ch = 0;
        if ((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')) {
            ch = (char)*c++;
        } else if (*c >= 'A' && *c <= 'Z') {
            ch = (char)(*c++ - 'A' + 'a');
        } else if (*c == 0xC3 && c[1] >= 0x80 && c[1] <= 0xBF) {
            ch = fold_latin1[c[1] - 0x80];
            c += 2;
        } else if ((*c == 0xC4 || *c == 0xC5) && c[1] >= 0x80 && c[1] <= 0xBF) {
            ch = fold_latin_ext_a[(*c - 0xC4) * 64 + (c[1] - 0x80)];
            c += 2;
        } else {
            c++; /* a sign, a space, or a byte of another character: a separator */
            while ((*c & 0xC0) == 0x80)
                c++;
        }
        if (ch == 0 || ch == '-') {
            sep = 1;
            continue;
        }
        if (sep && n > 0) {
            if (n + 2 >= cap)
                break;
            out[n++] = '-';
        }
        sep = 0;
        if (n + 1 >= cap)
            break;
        out[n++] = ch;
    }
    out[n] = '\0';
    return n;
}

_Static_assert(sizeof fold_latin1 == 65, "one letter for each of U+00C0..U+00FF");
_Static_assert(sizeof fold_latin_ext_a == 129, "one letter for each of U+0100..U+017F");

/* ---- The model: everything but the interventions, held in memory -------------------------- */

/* An assembly (a session of the Assembly of States Parties, regular or resumed). */
struct g_assembly {
    const char *slug;       /* "asp20", "asp20-resumed" */
    const char *name;       /* full name */
    const char *short_name; /* "ASP20" */
    const char *place;      /* "The Hague" or "New York" */
    long start;             /* first day (day number) */
    int days;               /* length in days, >= 1 */
    int regular;            /* 1 for a regular session, 0 for a resumption */
    size_t doc_first;       /* its documents: [doc_first, doc_first + doc_count) */
    size_t doc_count;       /* at least 1 */
    size_t day_first;       /* index of its first day among all assembly days */
};

/* An organization. */
struct g_org {
    const char *slug;    /* unique */
    const char *name;    /* UTF-8 */
    const char *acronym; /* or NULL */
    const char *code;    /* ISO 3166-1 alpha-2 for a state, else NULL */
    int32_t parent;      /* index of the parent (always a lower index), or -1 */
    uint8_t kind;        /* enum gen_kind */
    uint8_t member;      /* coalition_member */
};

/* A person and their affiliations (1 or 2). */
struct g_person {
    const char *slug;      /* unique */
    const char *name;      /* as written */
    const char *honorific; /* or NULL */
    const char *title[2];  /* title held at org[i], or NULL */
    uint32_t org[2];       /* organization indexes, distinct */
    uint8_t naff;          /* 1 or 2 */
};

/* A document. */
struct g_doc {
    const char *slug;  /* unique */
    const char *title; /* UTF-8 */
    const char *kind;  /* document kind */
    const char *url;   /* or NULL */
    long date;         /* day number, or -1 */
    uint32_t assembly; /* index */
    int32_t author;    /* organization index, or -1 */
};

#define SESSION_MAX_SEGMENTS 3
#define SESSION_MAX_DOCS 3
#define SESSION_MAX_TOPICS 5

/* A session with its segments; interventions [iv_first, iv_first + iv_count) are its own. */
struct g_session {
    const char *slug;        /* unique */
    const char *title;       /* UTF-8 */
    const char *theme;       /* or NULL */
    const char *summary;     /* or NULL */
    const char *part_of_day; /* or NULL */
    long date;               /* day number */
    uint32_t assembly;       /* index */
    uint32_t position;       /* within the assembly's day, from 1 */
    uint8_t kind;            /* 0 plenary, 1 general_debate, 2 other */
    uint8_t nseg;            /* segments */
    uint8_t ndocs;           /* documents */
    uint8_t ntopics;         /* topics; topics[0] is the main one when there is one */
    uint64_t seg_first_id;   /* id of the first segment (they are numbered in order) */
    const char *seg_title[SESSION_MAX_SEGMENTS];   /* UTF-8 */
    const char *seg_summary[SESSION_MAX_SEGMENTS]; /* or NULL */
    uint32_t docs[SESSION_MAX_DOCS];               /* document indexes, distinct */
    uint8_t topics[SESSION_MAX_TOPICS];            /* topic indexes, distinct */
    uint64_t iv_first;                             /* id of its first intervention */
    uint64_t iv_count;                             /* its interventions */
};

/* A contiguous range of organization indexes of one sort. */
struct g_range {
    size_t first; /* index of the first */
    size_t count; /* how many */
};

/* The whole model. Index i of an array has id i + 1. */
struct gen_model {
    uint64_t scale;          /* interventions */
    uint64_t seed;           /* the seed */
    struct arena arena;      /* every string below */
    struct g_assembly *asm_; /* assemblies, by date */
    size_t n_asm;
    size_t n_days;   /* days of all assemblies together */
    size_t n_topics; /* the first n_topics of gen_topics */
    struct g_org *orgs;
    size_t n_orgs;
    struct g_range core, groups, igos, states, units, gov, coalitions, nhris, ngos;
    struct g_person *people;
    size_t n_people;
    struct g_doc *docs;
    size_t n_docs;
    struct g_session *sessions;
    size_t n_sessions;
    size_t n_side_events; /* written on the fly */
};

/* Copies a formatted string into the model's arena. Returns it, or NULL (out of memory or
 * longer than 1023 bytes, which no pattern here can produce). */
__attribute__((format(printf, 2, 3))) static const char *gen_fmt(struct gen_model *m,
                                                                 const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof buf)
        return NULL;
    return arena_strndup(&m->arena, buf, (size_t)n);
}

/* A unique slug for `text` within set: its slugify, or with "-2", "-3"... when taken, and
 * "x-" in front when it would have no letter. Returns the slug (in the arena, added to the
 * set), or NULL when out of memory. */
static const char *gen_unique_slug(struct gen_model *m, struct slug_set *set, const char *text) {
    char base[RECORD_MAX_SLUG - 16], slug[RECORD_MAX_SLUG];
    size_t n = slugify(text, base, sizeof base);
    int letter = 0;
    for (size_t i = 0; i < n && !letter; i++)
        letter = base[i] >= 'a' && base[i] <= 'z';
    if (n > 0 && base[n - 1] == '-')
        base[--n] = '\0';
    int len = snprintf(slug, sizeof slug, "%s%s", letter ? "" : (n ? "x-" : "x"), base);
    if (len < 0 || (size_t)len >= sizeof slug)
        return NULL;
    for (unsigned k = 2; slug_set_has(set, slug); k++) {
        len = snprintf(slug, sizeof slug, "%s%s-%u", letter ? "" : (n ? "x-" : "x"), base, k);
        if (len < 0 || (size_t)len >= sizeof slug)
            return NULL;
    }
    const char *s = arena_strndup(&m->arena, slug, (size_t)len);
    if (s == NULL || slug_set_add(set, s) != 0)
        return NULL;
    return s;
}

/* The name of topic t as it reads inside a sentence ("cooperation", "Darfur"), into buf. */
static const char *topic_phrase(size_t t, char *buf, size_t cap) {
    const char *name = gen_topics[t].name;
    int n = snprintf(buf, cap, "%s", name);
    if (n < 0 || (size_t)n >= cap)
        return name;
    if (!gen_topics[t].proper && buf[0] >= 'A' && buf[0] <= 'Z' && buf[1] >= 'a' && buf[1] <= 'z')
        buf[0] = (char)(buf[0] - 'A' + 'a');
    return buf;
}

/* Picks k distinct indexes below n (k <= n) into out, skewed towards low indexes when skew
 * > 1; `avoid` (or SIZE_MAX) is never picked. Returns how many were picked (fewer than k
 * only when n is too small). */
static size_t pick_distinct(struct gen_rng *r, size_t n, size_t k, int skew, size_t avoid,
                            size_t *out) {
    size_t got = 0;
    size_t avail = n - (avoid < n ? 1 : 0);
    if (k > avail)
        k = avail;
    for (unsigned tries = 0; got < k && tries < 64 * (unsigned)k + 64; tries++) {
        size_t x = rng_skewed(r, n, skew);
        int dup = x == avoid;
        for (size_t j = 0; j < got && !dup; j++)
            dup = out[j] == x;
        if (!dup)
            out[got++] = x;
    }
    return got;
}

/* The assemblies: regular sessions in December, one per year from 2002, and as the scale
 * grows, resumed sessions in the following year; at most GEN_YEARS years. */
static int build_assemblies(struct gen_model *m) {
    struct gen_rng r = rng_stream(m->seed, "assemblies");
    size_t n = m->scale < 500 ? 1 : 2 + (size_t)(m->scale / 15000);
    size_t per_year = (n + GEN_YEARS - 1) / GEN_YEARS;

    m->asm_ = calloc(n, sizeof *m->asm_);
    if (m->asm_ == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        struct g_assembly *a = &m->asm_[i];
        size_t year = i / per_year, part = i % per_year; /* part 0: the regular session */
        int ordinal = (int)year + 1, y = 2002 + (int)year;
        a->regular = part == 0;
        a->place = rng_chance(&r, 0.6) ? "The Hague" : "New York";
        if (a->regular) {
            a->start = date_from_civil(y, 12, rng_range(&r, 1, 9));
            a->days = rng_range(&r, 5, 9);
            a->slug = gen_fmt(m, "asp%d", ordinal);
            a->short_name = gen_fmt(m, "ASP%d", ordinal);
            a->name = gen_fmt(m,
                              "%s session of the Assembly of States Parties to the Rome "
                              "Statute",
                              gen_ordinals[year]);
        } else {
            /* resumptions spread over January to November of the next year */
            long span = 300 / (long)(per_year - 1);
            a->start = date_from_civil(y + 1, 1, 10) + (long)(part - 1) * span +
                       rng_range(&r, 0, (int)(span > 8 ? 5 : span / 2));
            a->days = rng_range(&r, 1, 3);
            char lower[32];
            int k = snprintf(lower, sizeof lower, "%s", gen_ordinals[year]);
            if (k < 0 || (size_t)k >= sizeof lower)
                return -1;
            lower[0] = (char)(lower[0] - 'A' + 'a');
            if (part == 1) {
                a->slug = gen_fmt(m, "asp%d-resumed", ordinal);
                a->short_name = gen_fmt(m, "ASP%d (resumed)", ordinal);
                a->name = gen_fmt(m,
                                  "Resumed %s session of the Assembly of States Parties to "
                                  "the Rome Statute",
                                  lower);
            } else {
                a->slug = gen_fmt(m, "asp%d-resumed-%zu", ordinal, part);
                a->short_name = gen_fmt(m, "ASP%d (resumed, part %zu)", ordinal, part);
                a->name = gen_fmt(m,
                                  "Resumed %s session of the Assembly of States Parties to "
                                  "the Rome Statute, part %zu",
                                  lower, part);
            }
        }
        if (a->slug == NULL || a->short_name == NULL || a->name == NULL)
            return -1;
        a->day_first = m->n_days;
        m->n_days += (size_t)a->days;
    }
    m->n_asm = n;
    m->n_topics = 24 + (size_t)(m->scale / 12500);
    if (m->n_topics > COUNT(gen_topics))
        m->n_topics = COUNT(gen_topics);
    return 0;
}

/* A bijection of [0, n) drawn from r: i -> (i * mul + add) mod n with mul coprime to n, so
 * that the first k of a combinatorial name space are k distinct, well-mixed names. */
struct gen_perm {
    uint64_t n, mul, add; /* n > 0 */
};

static uint64_t gcd_u64(uint64_t a, uint64_t b) {
    while (b != 0) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static struct gen_perm perm_new(struct gen_rng *r, uint64_t n) {
    struct gen_perm p = {n, 1, 0};
    assert(n > 0);
    if (n > 2) {
        do
            p.mul = 1 + rng_next(r) % (n - 1);
        while (gcd_u64(p.mul, n) != 1);
    }
    p.add = rng_next(r) % n;
    return p;
}

static uint64_t perm_at(const struct gen_perm *p, uint64_t i) {
    return (i % p->n * p->mul + p->add) % p->n; /* n < 2^32: no overflow */
}

/* Appends an organization; returns its index, or -1 when out of memory. The name is copied
 * into the arena; acronym and code must be static or in the arena. */
static long add_org(struct gen_model *m, struct slug_set *slugs, const char *name,
                    enum gen_kind kind, const char *acronym, const char *code, long parent,
                    int member) {
    struct g_org *o = &m->orgs[m->n_orgs];
    o->name = arena_strndup(&m->arena, name, strlen(name));
    o->slug = o->name ? gen_unique_slug(m, slugs, name) : NULL;
    if (o->slug == NULL)
        return -1;
    o->kind = (uint8_t)kind;
    o->acronym = acronym;
    o->code = code;
    o->parent = (int32_t)parent;
    o->member = (uint8_t)member;
    return (long)m->n_orgs++;
}

/* Adds a table of organizations given by name; parents index the same table. */
static int add_fixed_orgs(struct gen_model *m, struct slug_set *slugs,
                          const struct gen_fixed_org *t, size_t n, size_t count,
                          struct g_range *range) {
    range->first = m->n_orgs;
    range->count = count < n ? count : n;
    for (size_t i = 0; i < range->count; i++) {
        long parent = t[i].parent < 0 ? -1 : (long)(range->first + (size_t)t[i].parent);
        if (add_org(m, slugs, t[i].name, t[i].kind, t[i].acronym, NULL, parent, 0) < 0)
            return -1;
    }
    return 0;
}

/* The initials of the capitalized words of name ("Centre for Justice and Accountability" ->
 * "CJA"), in the arena; NULL when fewer than two or out of memory. */
static const char *make_acronym(struct gen_model *m, const char *name) {
    char buf[16];
    size_t n = 0;
    for (const char *c = name; *c != '\0' && n + 1 < sizeof buf; c++)
        if ((c == name || c[-1] == ' ') && *c >= 'A' && *c <= 'Z')
            buf[n++] = *c;
    if (n < 2)
        return NULL;
    return arena_strndup(&m->arena, buf, n);
}

/* The organizations, in this order: the Court and the Assembly's bodies, the regional
 * groups, the intergovernmental organizations, the states (real codes), court units,
 * government bodies and national coalitions (children of a state or an organ), national
 * human rights institutions, and NGOs for the rest. About 60 + N / 200 in all. */
static int build_orgs(struct gen_model *m) {
    struct gen_rng r = rng_stream(m->seed, "organizations");
    struct slug_set slugs = {0};
    size_t total = 60 + (size_t)(m->scale / 200);
    size_t nstates_all = COUNT(gen_states);
    size_t ngo_space = COUNT(gen_ngo_types) * COUNT(gen_ngo_causes) * (COUNT(gen_cities) + 1);
    char name[512];
    int rc = -1;

    m->orgs = calloc(total, sizeof *m->orgs);
    if (m->orgs == NULL)
        return -1;
    if (add_fixed_orgs(m, &slugs, gen_core_orgs, COUNT(gen_core_orgs), SIZE_MAX, &m->core) ||
        add_fixed_orgs(m, &slugs, gen_groups, COUNT(gen_groups), SIZE_MAX, &m->groups))
        goto fail;
    size_t rest = total - m->n_orgs;
    size_t ns = rest * 35 / 100;
    ns = ns < 10 ? 10 : ns > nstates_all ? nstates_all : ns;
    rest -= ns;
    if (add_fixed_orgs(m, &slugs, gen_igos, COUNT(gen_igos), 2 + rest / 50, &m->igos))
        goto fail;
    rest -= m->igos.count;

    /* states: a seeded choice of ns of them, in the order of their names */
    {
        uint8_t chosen[COUNT(gen_states)] = {0};
        struct gen_perm p = perm_new(&r, nstates_all);
        for (size_t i = 0; i < ns; i++)
            chosen[perm_at(&p, i)] = 1;
        m->states.first = m->n_orgs;
        for (size_t i = 0; i < nstates_all; i++)
            if (chosen[i] && add_org(m, &slugs, gen_states[i].name, K_STATE, NULL,
                                     gen_states[i].code, -1, 0) < 0)
                goto fail;
        m->states.count = ns;
    }

    size_t nunits = rest / 10, ngov = rest * 15 / 100, ncoal = rest * 3 / 100;
    size_t nnhri = rest * 3 / 100;
    if (nunits > COUNT(gen_unit_patterns) * ns)
        nunits = COUNT(gen_unit_patterns) * ns;
    if (ngov > COUNT(gen_gov_patterns) * ns)
        ngov = COUNT(gen_gov_patterns) * ns;
    if (ncoal > ns)
        ncoal = ns;
    if (nnhri > ns)
        nnhri = ns;
    size_t nngo = rest - nunits - ngov - ncoal - nnhri;
    if (nngo > ngo_space)
        nngo = ngo_space;

    m->units.first = m->n_orgs;
    struct gen_perm p = perm_new(&r, COUNT(gen_unit_patterns) * ns);
    for (size_t i = 0; i < nunits; i++) {
        uint64_t j = perm_at(&p, i);
        size_t st = m->states.first + j / COUNT(gen_unit_patterns);
        size_t pat = j % COUNT(gen_unit_patterns);
        int k = snprintf(name, sizeof name, gen_unit_patterns[pat].pattern, m->orgs[st].name);
        if (k < 0 || (size_t)k >= sizeof name ||
            add_org(m, &slugs, name, K_COURT_UNIT, NULL, NULL,
                    (long)(m->core.first + (size_t)gen_unit_patterns[pat].parent), 0) < 0)
            goto fail;
    }
    m->units.count = nunits;

    m->gov.first = m->n_orgs;
    p = perm_new(&r, COUNT(gen_gov_patterns) * ns);
    for (size_t i = 0; i < ngov; i++) {
        uint64_t j = perm_at(&p, i);
        size_t st = m->states.first + j / COUNT(gen_gov_patterns);
        int k = snprintf(name, sizeof name, gen_gov_patterns[j % COUNT(gen_gov_patterns)],
                         m->orgs[st].name);
        if (k < 0 || (size_t)k >= sizeof name ||
            add_org(m, &slugs, name, K_GOVERNMENT_BODY, NULL, NULL, (long)st, 0) < 0)
            goto fail;
    }
    m->gov.count = ngov;

    m->coalitions.first = m->n_orgs;
    p = perm_new(&r, ns);
    for (size_t i = 0; i < ncoal; i++) {
        size_t st = m->states.first + perm_at(&p, i);
        int k = snprintf(name, sizeof name, "%s Coalition for the International Criminal Court",
                         m->orgs[st].name);
        if (k < 0 || (size_t)k >= sizeof name ||
            add_org(m, &slugs, name, K_COALITION, NULL, NULL, (long)(m->core.first + CORE_CICC),
                    0) < 0)
            goto fail;
    }
    m->coalitions.count = ncoal;

    m->nhris.first = m->n_orgs;
    p = perm_new(&r, ns);
    for (size_t i = 0; i < nnhri; i++) {
        size_t st = m->states.first + perm_at(&p, i);
        int k =
            snprintf(name, sizeof name, "National Human Rights Commission of %s", m->orgs[st].name);
        if (k < 0 || (size_t)k >= sizeof name ||
            add_org(m, &slugs, name, K_OTHER, NULL, NULL, -1, 0) < 0)
            goto fail;
    }
    m->nhris.count = nnhri;

    m->ngos.first = m->n_orgs;
    p = perm_new(&r, ngo_space);
    for (size_t i = 0; i < nngo; i++) {
        uint64_t j = perm_at(&p, i);
        size_t type = j % COUNT(gen_ngo_types);
        size_t cause = j / COUNT(gen_ngo_types) % COUNT(gen_ngo_causes);
        size_t city = j / (COUNT(gen_ngo_types) * COUNT(gen_ngo_causes));
        int k = snprintf(name, sizeof name, "%s%s%s %s", city ? gen_cities[city - 1] : "",
                         city ? " " : "", gen_ngo_types[type], gen_ngo_causes[cause]);
        if (k < 0 || (size_t)k >= sizeof name)
            goto fail;
        const char *acronym = rng_chance(&r, 0.25) ? make_acronym(m, name) : NULL;
        if (add_org(m, &slugs, name, K_NGO, acronym, NULL, -1, rng_chance(&r, 0.35)) < 0)
            goto fail;
    }
    m->ngos.count = nngo;
    rc = 0;
fail:
    slug_set_free(&slugs);
    return rc;
}

/* An organization of range g drawn skewed (the active few speak most), or -1 if empty. */
static long pick_in(struct gen_rng *r, const struct g_range *g, int skew) {
    if (g->count == 0)
        return -1;
    return (long)(g->first + rng_skewed(r, g->count, skew));
}

/* The organization a person works for, and a title they might hold there. */
static long pick_affiliation(const struct gen_model *m, struct gen_rng *r, const char **title) {
    static const unsigned w[] = {45, 30, 8, 5, 4, 5, 3};
    long org = -1;
    switch (rng_weighted(r, w, COUNT(w))) {
    case 0:
        org = pick_in(r, &m->states, 1);
        *title = gen_state_titles[rng_below(r, COUNT(gen_state_titles))];
        break;
    case 1:
        org = pick_in(r, &m->ngos, 1);
        *title = gen_ngo_titles[rng_below(r, COUNT(gen_ngo_titles))];
        break;
    case 2: {
        static const int court[] = {CORE_COURT, CORE_OTP, CORE_PRESIDENCY, CORE_REGISTRY, 4};
        org = rng_chance(r, 0.3) && m->units.count
                  ? pick_in(r, &m->units, 1)
                  : (long)(m->core.first + (size_t)court[rng_below(r, COUNT(court))]);
        *title = gen_court_titles[rng_below(r, COUNT(gen_court_titles))];
        break;
    }
    case 3:
        org = pick_in(r, &m->igos, 1);
        *title = gen_ngo_titles[rng_below(r, COUNT(gen_ngo_titles))];
        break;
    case 4:
        org = (long)(m->core.first + CORE_ASP);
        *title = gen_asp_titles[rng_below(r, COUNT(gen_asp_titles))];
        break;
    case 5:
        org = pick_in(r, &m->gov, 1);
        *title = gen_state_titles[rng_below(r, COUNT(gen_state_titles))];
        break;
    default:
        org = rng_chance(r, 0.5) ? pick_in(r, &m->coalitions, 1) : -1;
        if (org < 0)
            org = (long)(m->core.first + CORE_CICC);
        *title = gen_ngo_titles[rng_below(r, COUNT(gen_ngo_titles))];
        break;
    }
    if (org < 0) /* a range empty at a small scale */
        org = pick_in(r, &m->states, 1);
    if (rng_chance(r, 0.3))
        *title = NULL;
    return org;
}

/* The people: 30 + N / 20, each with one affiliation, a quarter with a second (often an
 * office at the Assembly, as the co-facilitators of the real record). */
static int build_people(struct gen_model *m) {
    struct gen_rng r = rng_stream(m->seed, "people");
    struct slug_set slugs = {0};
    size_t n = 30 + (size_t)(m->scale / 20);
    char name[256];
    int rc = -1;

    m->people = calloc(n, sizeof *m->people);
    if (m->people == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        struct g_person *p = &m->people[i];
        const char *given = gen_given_names[rng_below(&r, COUNT(gen_given_names))];
        const char *family = gen_family_names[rng_below(&r, COUNT(gen_family_names))];
        int k;
        if (rng_chance(&r, 0.12)) {
            const char *second = gen_family_names[rng_below(&r, COUNT(gen_family_names))];
            k = snprintf(name, sizeof name, "%s %s %s%s", given, family,
                         rng_chance(&r, 0.5) ? "de " : "", second);
        } else {
            k = snprintf(name, sizeof name, "%s %s", given, family);
        }
        if (k < 0 || (size_t)k >= sizeof name)
            goto fail;
        p->name = arena_strndup(&m->arena, name, (size_t)k);
        p->slug = p->name ? gen_unique_slug(m, &slugs, name) : NULL;
        if (p->slug == NULL)
            goto fail;
        p->honorific = rng_chance(&r, 0.55)
                           ? gen_honorifics[rng_weighted(&r, gen_honorific_weights,
                                                         COUNT(gen_honorific_weights))]
                           : NULL;
        p->org[0] = (uint32_t)pick_affiliation(m, &r, &p->title[0]);
        p->naff = 1;
        if (rng_chance(&r, 0.25)) {
            const char *title = NULL;
            long org = rng_chance(&r, 0.5) ? (long)(m->core.first + CORE_ASP)
                                           : pick_affiliation(m, &r, &title);
            if (org == (long)(m->core.first + CORE_ASP))
                title = gen_asp_titles[rng_below(&r, COUNT(gen_asp_titles))];
            if (org != (long)p->org[0]) {
                p->org[1] = (uint32_t)org;
                p->title[1] = title;
                p->naff = 2;
            }
        }
    }
    m->n_people = n;
    rc = 0;
fail:
    slug_set_free(&slugs);
    return rc;
}

/* ---- Text: summaries assembled from assembly-speak ---------------------------------------- */

/* Writes one sentence into buf (cap >= 400) and returns its length. With a subject ("The
 * Assembly") the verb follows it in lower case; without, the sentence starts with the verb,
 * as the record's summaries of interventions do ("Underlined the importance of ..."). */
static size_t text_sentence(struct gen_rng *r, const char *subject, char *buf, size_t cap) {
    const char *verb = gen_verbs[rng_skewed(r, COUNT(gen_verbs), 2)];
    const char *obj = gen_objects[rng_skewed(r, COUNT(gen_objects), 2)];
    const char *tail = gen_tails[rng_below(r, COUNT(gen_tails))];
    char second[160] = "";
    if (rng_chance(r, 0.55)) {
        const char *obj2 = gen_objects[rng_skewed(r, COUNT(gen_objects), 2)];
        if (obj2 != obj) {
            int k = snprintf(second, sizeof second, ", %s %s",
                             gen_connectors[rng_below(r, COUNT(gen_connectors))], obj2);
            if (k < 0 || (size_t)k >= sizeof second)
                second[0] = '\0';
        }
    }
    int n = subject ? snprintf(buf, cap, "%s %c%s %s%s%s.", subject, verb[0] - 'A' + 'a', verb + 1,
                               obj, second, tail)
                    : snprintf(buf, cap, "%s %s%s%s.", verb, obj, second, tail);
    assert(n > 0 && (size_t)n < cap);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* Writes sentences into buf until the text is between lo and hi bytes long (hi >= lo + 300,
 * cap > hi); the length aimed at is drawn between them, most often near the middle.
 * Returns the length. */
static size_t text_summary(struct gen_rng *r, const char *subject, size_t lo, size_t hi, char *buf,
                           size_t cap) {
    char s[400];
    size_t len = 0;
    size_t target = lo + (size_t)((double)(hi - lo) * (rng_unit(r) + rng_unit(r)) / 2);
    assert(hi >= lo + 300 && cap > hi);
    (void)cap; /* only the assertion reads it */
    buf[0] = '\0';
    while (len < target) {
        size_t n = text_sentence(r, subject, s, sizeof s);
        if (len + 1 + n > hi) {
            if (len >= lo)
                break;
            continue; /* cannot happen while a sentence is below 300 bytes */
        }
        if (len > 0)
            buf[len++] = ' ';
        memcpy(buf + len, s, n + 1);
        len += n;
    }
    return len;
}

/* text_summary copied into the arena; NULL when out of memory. */
static const char *gen_summary(struct gen_model *m, struct gen_rng *r, const char *subject,
                               size_t lo, size_t hi) {
    char buf[1024];
    assert(hi < sizeof buf);
    size_t n = text_summary(r, subject, lo, hi, buf, sizeof buf);
    return arena_strndup(&m->arena, buf, n);
}

/* The documents: 3 per assembly and 1 per 250 interventions, spread over the assemblies by
 * their length; each dated within its assembly (or undated), most with an author. */
static int build_docs(struct gen_model *m) {
    struct gen_rng r = rng_stream(m->seed, "documents");
    struct slug_set slugs = {0};
    size_t extra = (size_t)(m->scale / 250), n = 0;
    char title[512], phrase[128], text[600];
    int rc = -1;

    for (size_t a = 0; a < m->n_asm; a++)
        n += 3 + extra * (size_t)m->asm_[a].days / m->n_days;
    m->docs = calloc(n, sizeof *m->docs);
    if (m->docs == NULL)
        return -1;
    for (size_t a = 0; a < m->n_asm; a++) {
        struct g_assembly *as = &m->asm_[a];
        as->doc_first = m->n_docs;
        as->doc_count = 3 + extra * (size_t)as->days / m->n_days;
        for (size_t i = 0; i < as->doc_count; i++) {
            struct g_doc *d = &m->docs[m->n_docs];
            size_t pat = rng_weighted(&r, gen_doc_title_weights, COUNT(gen_doc_title_weights));
            size_t t = rng_skewed(&r, m->n_topics, 2);
            int k = snprintf(title, sizeof title, gen_doc_titles[pat].pattern,
                             topic_phrase(t, phrase, sizeof phrase));
            if (k < 0 || (size_t)k >= sizeof title)
                goto fail;
            k = snprintf(text, sizeof text, "%s %s", title, as->short_name);
            if (k < 0 || (size_t)k >= sizeof text)
                goto fail;
            d->title = arena_strndup(&m->arena, title, strlen(title));
            d->slug = d->title ? gen_unique_slug(m, &slugs, text) : NULL;
            if (d->slug == NULL)
                goto fail;
            d->kind = gen_doc_titles[pat].kind;
            d->assembly = (uint32_t)a;
            d->date = rng_chance(&r, 0.6) ? as->start + rng_range(&r, 0, as->days - 1) : -1;
            if (rng_chance(&r, 0.5) &&
                (d->url = gen_fmt(m, "https://asp.icc-cpi.int/%s/documents/%s", as->slug,
                                  d->slug)) == NULL)
                goto fail;
            switch (pat) {
            case 0:
                d->author = (int32_t)(m->core.first + 8); /* the Bureau */
                break;
            case 1:
                d->author = (int32_t)(m->core.first + CORE_COURT);
                break;
            case 2:
                d->author = (int32_t)(m->core.first + 10); /* the CBF */
                break;
            case 9:
                d->author = (int32_t)(m->core.first + 13); /* the Secretariat */
                break;
            case 10:
                d->author = (int32_t)(m->core.first + CORE_ASP);
                break;
            case 3:
                d->author = -1;
                break;
            default:
                d->author = (int32_t)(rng_chance(&r, 0.5) ? pick_in(&r, &m->ngos, 2)
                                                          : pick_in(&r, &m->states, 2));
                if (rng_chance(&r, 0.2))
                    d->author = -1;
            }
            m->n_docs++;
        }
    }
    rc = 0;
fail:
    slug_set_free(&slugs);
    return rc;
}

enum { S_PLENARY, S_GENERAL_DEBATE, S_OTHER };
static const char *const gen_session_kinds[] = {"plenary", "general_debate", "other"};

/* Fills the lists and segments of session s (kind and main topic already set). */
static int build_session_parts(struct gen_model *m, struct gen_rng *r, struct g_session *s,
                               const struct g_assembly *as, uint64_t *seg_id) {
    static const unsigned seg_w[3][4] = {{50, 15, 25, 10}, {70, 20, 10, 0}, {90, 10, 0, 0}};
    static const unsigned doc_w[] = {40, 30, 20, 10};
    char phrase[128], title[512];
    size_t picked[SESSION_MAX_TOPICS];

    /* topics: the main one first, then a few more */
    size_t more = s->kind == S_PLENARY          ? (size_t)rng_range(r, 0, 4)
                  : s->kind == S_GENERAL_DEBATE ? (size_t)rng_range(r, 0, 3)
                                                : (size_t)rng_range(r, 0, 1);
    size_t have = s->ntopics;
    if (have + more > SESSION_MAX_TOPICS)
        more = SESSION_MAX_TOPICS - have;
    size_t got = pick_distinct(r, m->n_topics, more, 2, have ? s->topics[0] : SIZE_MAX, picked);
    for (size_t i = 0; i < got; i++)
        s->topics[s->ntopics++] = (uint8_t)picked[i];

    size_t nd = rng_weighted(r, doc_w, COUNT(doc_w));
    size_t dpick[SESSION_MAX_DOCS];
    nd = pick_distinct(r, as->doc_count, nd, 1, SIZE_MAX, dpick);
    for (size_t i = 0; i < nd; i++)
        s->docs[i] = (uint32_t)(as->doc_first + dpick[i]);
    s->ndocs = (uint8_t)nd;

    s->nseg = (uint8_t)rng_weighted(r, seg_w[s->kind], 4);
    s->seg_first_id = *seg_id;
    *seg_id += s->nseg;
    for (size_t i = 0; i < s->nseg; i++) {
        size_t t = s->ntopics && i == 0 ? s->topics[0] : rng_skewed(r, m->n_topics, 2);
        int k = snprintf(title, sizeof title,
                         gen_segment_titles[rng_below(r, COUNT(gen_segment_titles))],
                         topic_phrase(t, phrase, sizeof phrase));
        if (k < 0 || (size_t)k >= sizeof title)
            return -1;
        if ((s->seg_title[i] = arena_strndup(&m->arena, title, (size_t)k)) == NULL)
            return -1;
        if (rng_chance(r, 0.5) &&
            (s->seg_summary[i] = gen_summary(m, r, "Speakers", 80, 450)) == NULL)
            return -1;
    }
    return 0;
}

/* The sessions: several a day (2 to 4, up to 8 at large scales), the position within the day
 * from 1; an opening and a general debate at the start of a regular assembly, the closing on
 * its last day, plenaries on a topic in between. Then the N interventions are shared among
 * them, the general debate taking most. */
static int build_sessions(struct gen_model *m) {
    struct gen_rng r = rng_stream(m->seed, "sessions");
    struct slug_set slugs = {0};
    int max_per_day = 4 + (int)(m->scale / 250000 < 4 ? m->scale / 250000 : 4);
    uint64_t seg_id = 1;
    double *weight = NULL, total = 0;
    char title[512], text[600], phrase[128];
    int rc = -1;

    m->sessions = calloc(m->n_days * (size_t)max_per_day, sizeof *m->sessions);
    weight = calloc(m->n_days * (size_t)max_per_day, sizeof *weight);
    if (m->sessions == NULL || weight == NULL)
        goto fail;
    for (size_t a = 0; a < m->n_asm; a++) {
        const struct g_assembly *as = &m->asm_[a];
        int debate_days = 0;
        for (int d = 0; d < as->days; d++) {
            int per_day = rng_range(&r, 2, max_per_day);
            for (int pos = 1; pos <= per_day; pos++) {
                struct g_session *s = &m->sessions[m->n_sessions];
                const char *t = NULL;
                s->assembly = (uint32_t)a;
                s->date = as->start + d;
                s->position = (uint32_t)pos;
                if (as->regular && d == 0 && pos == 1) {
                    s->kind = S_OTHER;
                    t = gen_other_titles[0];
                } else if (as->days > 1 && d == as->days - 1 && pos == per_day) {
                    s->kind = S_OTHER;
                    t = gen_other_titles[as->regular ? 5 + rng_below(&r, 2) : 6];
                } else if (as->regular && d < 3 && (d < 2 || rng_chance(&r, 0.5))) {
                    s->kind = S_GENERAL_DEBATE;
                    t = debate_days++ == 0 ? "General debate" : "Resumption of the General debate";
                } else if (rng_chance(&r, as->regular ? 0.8 : 0.6)) {
                    s->kind = S_PLENARY;
                    size_t topic = rng_skewed(&r, m->n_topics, 2);
                    s->topics[s->ntopics++] = (uint8_t)topic;
                    /* "Plenary on Cooperation" (the title, as the record), "the challenges
                     * of cooperation" (inside the theme) */
                    int k = snprintf(title, sizeof title,
                                     gen_plenary_titles[rng_below(&r, COUNT(gen_plenary_titles))],
                                     gen_topics[topic].name);
                    if (k < 0 || (size_t)k >= sizeof title)
                        goto fail;
                    topic_phrase(topic, phrase, sizeof phrase);
                    t = title;
                    if (rng_chance(&r, 0.25)) {
                        k = snprintf(text, sizeof text,
                                     gen_themes[rng_below(&r, COUNT(gen_themes))], phrase);
                        if (k < 0 || (size_t)k >= sizeof text)
                            goto fail;
                        if (text[0] >= 'a' && text[0] <= 'z')
                            text[0] = (char)(text[0] - 'a' + 'A');
                        if ((s->theme = arena_strndup(&m->arena, text, (size_t)k)) == NULL)
                            goto fail;
                    }
                } else {
                    s->kind = S_OTHER;
                    t = gen_other_titles[1 + rng_below(&r, COUNT(gen_other_titles) - 1)];
                }
                if ((s->title = arena_strndup(&m->arena, t, strlen(t))) == NULL)
                    goto fail;
                int k = snprintf(text, sizeof text, "%s day%d %d %s", as->slug, d + 1, pos, t);
                if (k < 0 || (size_t)k >= sizeof text ||
                    (s->slug = gen_unique_slug(m, &slugs, text)) == NULL)
                    goto fail;
                s->part_of_day =
                    pos <= 3 && !rng_chance(&r, 0.1) ? gen_parts_of_day[pos - 1] : NULL;
                if (rng_chance(&r, 0.7) &&
                    (s->summary = gen_summary(m, &r, "The Assembly", 60, 400)) == NULL)
                    goto fail;
                if (build_session_parts(m, &r, s, as, &seg_id) != 0)
                    goto fail;
                static const double kind_weight[] = {1.5, 3.0, 0.4};
                weight[m->n_sessions] = kind_weight[s->kind] * (0.5 + rng_unit(&r));
                total += weight[m->n_sessions];
                m->n_sessions++;
            }
        }
    }

    /* share the interventions: floor of each session's part, the remainder one by one */
    uint64_t given = 0;
    for (size_t i = 0; i < m->n_sessions; i++) {
        m->sessions[i].iv_count = (uint64_t)((double)m->scale * weight[i] / total);
        given += m->sessions[i].iv_count;
    }
    for (size_t i = 0; given > m->scale; i = (i + 1) % m->n_sessions) /* rounding */
        if (m->sessions[i].iv_count > 0) {
            m->sessions[i].iv_count--;
            given--;
        }
    for (size_t i = 0; given < m->scale; i = (i + 1) % m->n_sessions, given++)
        m->sessions[i].iv_count++;
    for (size_t i = 0, id = 1; i < m->n_sessions; i++) {
        m->sessions[i].iv_first = id;
        id += m->sessions[i].iv_count;
    }
    rc = 0;
fail:
    free(weight);
    slug_set_free(&slugs);
    return rc;
}

/* ---- Writing the document ------------------------------------------------------------------ */

/* Opens the array `member` of the document (not the first member). */
static void out_array_open(struct gen_out *o, const char *member, size_t n) {
    out_str(o, ",\n  \"");
    out_str(o, member);
    out_str(o, n ? "\": [" : "\": []");
}

/* Before item i of an array at level 1: its separator and "{". */
static void out_item_open(struct gen_out *o, size_t i) {
    out_str(o, i ? ",\n    {" : "\n    {");
}

static void out_array_close(struct gen_out *o, size_t n) {
    if (n)
        out_str(o, "\n  ]");
}

static void write_assemblies(struct gen_out *o, const struct gen_model *m) {
    out_array_open(o, "assemblies", m->n_asm);
    for (size_t i = 0; i < m->n_asm; i++) {
        const struct g_assembly *a = &m->asm_[i];
        int first = 1;
        out_item_open(o, i);
        out_key_int(o, 3, &first, "id", i + 1);
        out_key_str(o, 3, &first, "slug", a->slug);
        out_key_str(o, 3, &first, "name", a->name);
        out_key_str(o, 3, &first, "short_name", a->short_name);
        out_key_str(o, 3, &first, "place", a->place);
        out_key_date(o, 3, &first, "start_date", a->start);
        out_key_date(o, 3, &first, "end_date", a->start + a->days - 1);
        out_close_object(o, 3);
    }
    out_array_close(o, m->n_asm);
}

static void write_topics(struct gen_out *o, const struct gen_model *m) {
    out_array_open(o, "topics", m->n_topics);
    for (size_t i = 0; i < m->n_topics; i++) {
        int first = 1;
        out_item_open(o, i);
        out_key_int(o, 3, &first, "id", i + 1);
        out_key_str(o, 3, &first, "slug", gen_topics[i].slug);
        out_key_str(o, 3, &first, "name", gen_topics[i].name);
        out_close_object(o, 3);
    }
    out_array_close(o, m->n_topics);
}

static void write_orgs(struct gen_out *o, const struct gen_model *m) {
    out_array_open(o, "organizations", m->n_orgs);
    for (size_t i = 0; i < m->n_orgs; i++) {
        const struct g_org *g = &m->orgs[i];
        int first = 1;
        out_item_open(o, i);
        out_key_int(o, 3, &first, "id", i + 1);
        out_key_str(o, 3, &first, "slug", g->slug);
        out_key_str(o, 3, &first, "name", g->name);
        out_key_str(o, 3, &first, "kind", gen_kind_names[g->kind]);
        out_key_str(o, 3, &first, "acronym", g->acronym);
        out_key_str(o, 3, &first, "country_code", g->code);
        out_key_str(o, 3, &first, "parent", g->parent < 0 ? NULL : m->orgs[g->parent].slug);
        out_key(o, 3, &first, "coalition_member");
        out_str(o, g->member ? "true" : "false");
        out_close_object(o, 3);
    }
    out_array_close(o, m->n_orgs);
}

static void write_people(struct gen_out *o, const struct gen_model *m) {
    out_array_open(o, "people", m->n_people);
    for (size_t i = 0; i < m->n_people; i++) {
        const struct g_person *p = &m->people[i];
        int first = 1;
        out_item_open(o, i);
        out_key_int(o, 3, &first, "id", i + 1);
        out_key_str(o, 3, &first, "slug", p->slug);
        out_key_str(o, 3, &first, "name", p->name);
        out_key_str(o, 3, &first, "honorific", p->honorific);
        out_key(o, 3, &first, "affiliations");
        out_str(o, "[");
        for (size_t j = 0; j < p->naff; j++) {
            int f2 = 1;
            out_str(o, j ? ",\n        {" : "\n        {");
            out_key_str(o, 5, &f2, "organization", m->orgs[p->org[j]].slug);
            out_key_str(o, 5, &f2, "title", p->title[j]);
            out_close_object(o, 5);
        }
        out_str(o, "\n      ]");
        out_close_object(o, 3);
    }
    out_array_close(o, m->n_people);
}

static void write_docs(struct gen_out *o, const struct gen_model *m) {
    out_array_open(o, "documents", m->n_docs);
    for (size_t i = 0; i < m->n_docs; i++) {
        const struct g_doc *d = &m->docs[i];
        int first = 1;
        out_item_open(o, i);
        out_key_int(o, 3, &first, "id", i + 1);
        out_key_str(o, 3, &first, "slug", d->slug);
        out_key_str(o, 3, &first, "title", d->title);
        out_key_str(o, 3, &first, "kind", d->kind);
        out_key_date(o, 3, &first, "date", d->date);
        out_key_str(o, 3, &first, "url", d->url);
        out_key_str(o, 3, &first, "assembly", m->asm_[d->assembly].slug);
        out_key_str(o, 3, &first, "author", d->author < 0 ? NULL : m->orgs[d->author].slug);
        out_close_object(o, 3);
    }
    out_array_close(o, m->n_docs);
}

static void write_sessions(struct gen_out *o, const struct gen_model *m) {
    const char *refs[SESSION_MAX_TOPICS > SESSION_MAX_DOCS ? SESSION_MAX_TOPICS : SESSION_MAX_DOCS];
    out_array_open(o, "sessions", m->n_sessions);
    for (size_t i = 0; i < m->n_sessions; i++) {
        const struct g_session *s = &m->sessions[i];
        int first = 1;
        out_item_open(o, i);
        out_key_int(o, 3, &first, "id", i + 1);
        out_key_str(o, 3, &first, "slug", s->slug);
        out_key_str(o, 3, &first, "assembly", m->asm_[s->assembly].slug);
        out_key_date(o, 3, &first, "date", s->date);
        out_key_str(o, 3, &first, "kind", gen_session_kinds[s->kind]);
        out_key_str(o, 3, &first, "title", s->title);
        out_key_str(o, 3, &first, "theme", s->theme);
        out_key_str(o, 3, &first, "part_of_day", s->part_of_day);
        out_key_int(o, 3, &first, "position", s->position);
        out_key_str(o, 3, &first, "summary", s->summary);
        out_key(o, 3, &first, "segments");
        if (s->nseg == 0)
            out_str(o, "[]");
        else
            out_str(o, "[");
        for (size_t j = 0; j < s->nseg; j++) {
            int f2 = 1;
            out_str(o, j ? ",\n        {" : "\n        {");
            out_key_int(o, 5, &f2, "id", s->seg_first_id + j);
            out_key_int(o, 5, &f2, "position", j + 1);
            out_key_str(o, 5, &f2, "title", s->seg_title[j]);
            out_key_str(o, 5, &f2, "summary", s->seg_summary[j]);
            out_close_object(o, 5);
        }
        if (s->nseg)
            out_str(o, "\n      ]");
        for (size_t j = 0; j < s->ndocs; j++)
            refs[j] = m->docs[s->docs[j]].slug;
        out_key(o, 3, &first, "documents");
        out_str_list(o, 4, refs, s->ndocs);
        for (size_t j = 0; j < s->ntopics; j++)
            refs[j] = gen_topics[s->topics[j]].slug;
        out_key(o, 3, &first, "topics");
        out_str_list(o, 4, refs, s->ntopics);
        out_close_object(o, 3);
    }
    out_array_close(o, m->n_sessions);
}

/* Progress on a terminal: a percent line rewritten in place. */
struct gen_progress {
    FILE *tty;   /* stderr when it is a terminal, else NULL */
    int percent; /* last shown, -1 before the first */
};

static void progress_show(struct gen_progress *p, uint64_t done, uint64_t total) {
    if (p->tty == NULL)
        return;
    int pc = total ? (int)(done * 100 / total) : 100;
    if (pc == p->percent)
        return;
    p->percent = pc;
    fprintf(p->tty, "\rplenary generate: %3d%% of %" PRIu64 " interventions", pc, total);
    if (pc == 100)
        fputc('\n', p->tty);
    fflush(p->tty);
}

/* The organization that takes the floor when no person is named: mostly states. */
static long pick_speaking_org(const struct gen_model *m, struct gen_rng *r) {
    static const unsigned w[] = {70, 15, 7, 5, 3};
    long org = -1;
    switch (rng_weighted(r, w, COUNT(w))) {
    case 0:
        break;
    case 1:
        org = pick_in(r, &m->ngos, 2);
        break;
    case 2:
        org = pick_in(r, &m->igos, 2);
        break;
    case 3:
        org = pick_in(r, &m->groups, 2);
        break;
    default:
        org = rng_chance(r, 0.5) ? pick_in(r, &m->coalitions, 1) : -1;
        if (org < 0)
            org = (long)(m->core.first + CORE_CICC);
    }
    return org >= 0 ? org : pick_in(r, &m->states, 2);
}

/* The interventions, drawn and written one at a time, session by session, in order of
 * delivery: ids follow the sessions, positions run from 1 in each. */
static void write_interventions(struct gen_out *o, const struct gen_model *m,
                                struct gen_progress *progress) {
    struct gen_rng r = rng_stream(m->seed, "interventions");
    static const unsigned topic_w[] = {20, 40, 25, 15};
    char summary[1024], url[512];
    const char *refs[8];
    uint64_t id = 1;

    out_array_open(o, "interventions", (size_t)m->scale);
    for (size_t si = 0; si < m->n_sessions; si++) {
        const struct g_session *s = &m->sessions[si];
        const struct g_assembly *as = &m->asm_[s->assembly];
        for (uint64_t pos = 1; pos <= s->iv_count; pos++, id++) {
            int first = 1;
            long speaker = -1, org;
            const char *role = NULL;
            assert(id == s->iv_first + pos - 1);
            if (rng_chance(&r, 0.30)) {
                org = pick_speaking_org(m, &r);
                if (rng_chance(&r, 0.03))
                    role = "Head of delegation";
            } else {
                const struct g_person *p;
                speaker = (long)rng_skewed(&r, m->n_people, 2);
                p = &m->people[speaker];
                size_t a = p->naff == 2 && rng_chance(&r, 0.3) ? 1 : 0;
                org = rng_chance(&r, 0.9) ? (long)p->org[a] : -1;
                if (rng_chance(&r, 0.35))
                    role = org >= 0 && p->title[a] ? p->title[a]
                                                   : gen_roles[rng_below(&r, COUNT(gen_roles))];
            }
            out_item_open(o, (size_t)(id - 1));
            out_key_int(o, 3, &first, "id", id);
            out_key_str(o, 3, &first, "session", s->slug);
            out_key(o, 3, &first, "segment");
            if (s->nseg)
                out_int(o, 1 + (pos - 1) * s->nseg / s->iv_count);
            else
                out_str(o, "null");
            out_key_int(o, 3, &first, "position", pos);
            out_key_str(o, 3, &first, "speaker", speaker < 0 ? NULL : m->people[speaker].slug);
            out_key_str(o, 3, &first, "organization", org < 0 ? NULL : m->orgs[org].slug);
            out_key_str(o, 3, &first, "role", role);

            /* on behalf of: a group or an organization, and sometimes states with it */
            size_t nb = 0;
            if (rng_chance(&r, 0.10)) {
                static const unsigned nb_w[] = {0, 60, 25, 10, 5};
                size_t want = rng_weighted(&r, nb_w, COUNT(nb_w));
                long cand[4];
                for (unsigned tries = 0; nb < want && tries < 32; tries++) {
                    long c = nb == 0 && rng_chance(&r, 0.5)
                                 ? (rng_chance(&r, 0.6) ? pick_in(&r, &m->groups, 1)
                                                        : pick_in(&r, &m->igos, 2))
                                 : pick_in(&r, &m->states, 1);
                    int dup = c < 0 || c == org;
                    for (size_t j = 0; j < nb && !dup; j++)
                        dup = cand[j] == c;
                    if (!dup) {
                        cand[nb] = c;
                        refs[nb++] = m->orgs[c].slug;
                    }
                }
            }
            out_key(o, 3, &first, "on_behalf_of");
            out_str_list(o, 4, refs, nb);

            if (rng_chance(&r, 0.95)) {
                text_summary(&r, NULL, 200, 800, summary, sizeof summary);
                out_key_str(o, 3, &first, "summary", summary);
            } else {
                out_key_str(o, 3, &first, "summary", NULL);
            }

            size_t tp[3];
            size_t nt = rng_weighted(&r, topic_w, COUNT(topic_w)), got = 0;
            if (nt > 0 && s->ntopics > 0 && rng_chance(&r, 0.5))
                tp[got++] = s->topics[0];
            got += pick_distinct(&r, m->n_topics, nt - got, 2, got ? tp[0] : SIZE_MAX, tp + got);
            for (size_t j = 0; j < got; j++)
                refs[j] = gen_topics[tp[j]].slug;
            out_key(o, 3, &first, "topics");
            out_str_list(o, 4, refs, got);

            size_t nd = rng_chance(&r, 0.10) ? (rng_chance(&r, 0.2) ? 2 : 1) : 0;
            size_t dp[2];
            nd = pick_distinct(&r, as->doc_count, nd, 1, SIZE_MAX, dp);
            for (size_t j = 0; j < nd; j++)
                refs[j] = m->docs[as->doc_first + dp[j]].slug;
            out_key(o, 3, &first, "documents");
            out_str_list(o, 4, refs, nd);

            out_key(o, 3, &first, "statement_url");
            int k = -1;
            if (org >= 0 && rng_chance(&r, 0.2))
                k = snprintf(url, sizeof url,
                             "https://asp.icc-cpi.int/%s/statements/%s-%" PRIu64 ".pdf", as->slug,
                             m->orgs[org].slug, id);
            out_json(o, k > 0 && (size_t)k < sizeof url ? url : NULL);
            out_close_object(o, 3);
            if ((id & 4095) == 0)
                progress_show(progress, id, m->scale);
        }
    }
    out_array_close(o, (size_t)m->scale);
    progress_show(progress, m->scale, m->scale);
}

static int cmp_size(const void *a, const void *b) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* The side events: 5 + N / 250 of them over the assemblies' days, in order of date, each with
 * 1 to 5 hosts (the first a host, the others hosts or co-hosts). */
static int write_side_events(struct gen_out *o, struct gen_model *m) {
    struct gen_rng r = rng_stream(m->seed, "side_events");
    static const unsigned host_w[] = {0, 25, 30, 25, 12, 8};
    static const unsigned topic_w[] = {15, 45, 30, 10};
    struct slug_set slugs = {0};
    size_t n = 5 + (size_t)(m->scale / 250);
    size_t *days = calloc(n, sizeof *days);
    char title[512], phrase[128], lead[256];
    const char *refs[5];
    int rc = -1;

    if (days == NULL)
        goto fail;
    for (size_t i = 0; i < n; i++)
        days[i] = rng_below(&r, m->n_days);
    qsort(days, n, sizeof *days, cmp_size);
    out_array_open(o, "side_events", n);
    for (size_t i = 0, a = 0; i < n; i++) {
        int first = 1;
        while (days[i] >= m->asm_[a].day_first + (size_t)m->asm_[a].days)
            a++;
        const struct g_assembly *as = &m->asm_[a];
        const char *subject;
        size_t topic = rng_skewed(&r, m->n_topics, 2);
        if (rng_chance(&r, 0.3) && m->states.count)
            subject = m->orgs[pick_in(&r, &m->states, 2)].name;
        else
            subject = topic_phrase(topic, phrase, sizeof phrase);
        int k = snprintf(lead, sizeof lead, gen_event_leads[rng_below(&r, COUNT(gen_event_leads))],
                         subject);
        if (k < 0 || (size_t)k >= sizeof lead)
            goto fail;
        lead[0] = (char)(lead[0] >= 'a' && lead[0] <= 'z' ? lead[0] - 'a' + 'A' : lead[0]);
        const char *sub = gen_event_subtitles[rng_below(&r, COUNT(gen_event_subtitles))];
        if (strchr(lead, ':') != NULL) /* "Voices of survivors: Darfur" has its subtitle */
            sub = "";
        k = snprintf(title, sizeof title, "%s%s%s", lead, *sub ? ": " : "", sub);
        if (k < 0 || (size_t)k >= sizeof title)
            goto fail;
        const char *slug = gen_unique_slug(m, &slugs, title);
        if (slug == NULL)
            goto fail;
        out_item_open(o, i);
        out_key_int(o, 3, &first, "id", i + 1);
        out_key_str(o, 3, &first, "slug", slug);
        out_key_str(o, 3, &first, "title", title);
        out_key_date(o, 3, &first, "date", as->start + (long)(days[i] - as->day_first));
        out_key_str(o, 3, &first, "assembly", as->slug);
        if (rng_chance(&r, 0.4)) {
            char desc[1024];
            text_summary(&r, "Panellists", 100, 500, desc, sizeof desc);
            out_key_str(o, 3, &first, "description", desc);
        } else {
            out_key_str(o, 3, &first, "description", NULL);
        }

        size_t want = rng_weighted(&r, host_w, COUNT(host_w)), nh = 0;
        long hosts[5];
        for (unsigned tries = 0; nh < want && tries < 64; tries++) {
            static const unsigned kind_w[] = {50, 35, 8, 7};
            long c;
            switch (rng_weighted(&r, kind_w, COUNT(kind_w))) {
            case 0:
                c = pick_in(&r, &m->ngos, 2);
                break;
            case 1:
                c = pick_in(&r, &m->states, 2);
                break;
            case 2:
                c = pick_in(&r, &m->igos, 2);
                break;
            default:
                c = (long)(m->core.first + rng_below(&r, m->core.count));
            }
            int dup = c < 0;
            for (size_t j = 0; j < nh && !dup; j++)
                dup = hosts[j] == c;
            if (!dup)
                hosts[nh++] = c;
        }
        out_key(o, 3, &first, "hosts");
        out_str(o, "[");
        for (size_t j = 0; j < nh; j++) {
            int f2 = 1;
            out_str(o, j ? ",\n        {" : "\n        {");
            out_key_str(o, 5, &f2, "organization", m->orgs[hosts[j]].slug);
            out_key_str(o, 5, &f2, "role", j == 0 || rng_chance(&r, 0.5) ? "host" : "co_host");
            out_close_object(o, 5);
        }
        out_str(o, "\n      ]");

        size_t tp[3], nt = rng_weighted(&r, topic_w, COUNT(topic_w)), got = 0;
        if (nt > 0)
            tp[got++] = topic;
        got += pick_distinct(&r, m->n_topics, nt - got, 2, got ? topic : SIZE_MAX, tp + got);
        for (size_t j = 0; j < got; j++)
            refs[j] = gen_topics[tp[j]].slug;
        out_key(o, 3, &first, "topics");
        out_str_list(o, 4, refs, got);
        out_close_object(o, 3);
    }
    out_array_close(o, n);
    m->n_side_events = n;
    rc = 0;
fail:
    free(days);
    slug_set_free(&slugs);
    return rc;
}

static void model_free(struct gen_model *m) {
    free(m->asm_);
    free(m->orgs);
    free(m->people);
    free(m->docs);
    free(m->sessions);
    arena_free(&m->arena);
    memset(m, 0, sizeof *m);
}

/* Builds the model and writes the whole document to f. Returns 0, or -1 with a message
 * printed. */
static int generate(uint64_t scale, uint64_t seed, FILE *f, FILE *tty) {
    struct gen_model m = {.scale = scale, .seed = seed};
    struct gen_out o = {.f = f};
    struct gen_progress progress = {tty, -1};
    int rc = -1;

    if (build_assemblies(&m) || build_orgs(&m) || build_people(&m) || build_docs(&m) ||
        build_sessions(&m)) {
        fprintf(stderr, "plenary generate: out of memory\n");
        goto fail;
    }
    if ((o.buf = malloc(OUT_BUF)) == NULL) {
        fprintf(stderr, "plenary generate: out of memory\n");
        goto fail;
    }
    out_str(&o, "{\n  \"format\": \"plenary-record/1\"");
    write_assemblies(&o, &m);
    write_topics(&o, &m);
    write_orgs(&o, &m);
    write_people(&o, &m);
    write_docs(&o, &m);
    write_sessions(&o, &m);
    write_interventions(&o, &m, &progress);
    if (write_side_events(&o, &m) != 0) {
        fprintf(stderr, "plenary generate: out of memory\n");
        goto fail;
    }
    out_str(&o, "\n}\n");
    out_flush(&o);
    if (!o.failed && fflush(f) != 0) {
        o.failed = 1;
        o.err = errno;
    }
    if (o.failed) {
        fprintf(stderr, "plenary generate: cannot write: %s\n", strerror(o.err));
        goto fail;
    }
    rc = 0;
fail:
    free(o.buf);
    model_free(&m);
    return rc;
}

int cmd_generate(int argc, char **argv) {
    struct gen_opts o;
    int rc = gen_parse_args(argc, argv, &o);
    FILE *f = stdout;

    if (rc != 0)
        return rc == 1 ? 0 : 2;
    if (o.out != NULL && (f = fopen(o.out, "wb")) == NULL) {
        fprintf(stderr, "plenary generate: cannot open %s: %s\n", o.out, strerror(errno));
        return 1;
    }
    rc = generate(o.scale, o.seed, f, isatty(STDERR_FILENO) ? stderr : NULL);
    if (o.out != NULL) {
        if (fclose(f) != 0 && rc == 0) {
            fprintf(stderr, "plenary generate: cannot write %s: %s\n", o.out, strerror(errno));
            rc = -1;
        }
        if (rc != 0)
            (void)remove(o.out); /* no half-written document left behind */
    }
    return rc == 0 ? 0 : 1;
}
