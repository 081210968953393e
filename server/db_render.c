/* db_render.c: db_read_render (declared in db_read.h), the JSON text of a page's items.
 * SQLite only reads plain columns; C writes the JSON, byte for byte what SQLite's json_object
 * wrote when the render was one SQL query (issue 6: that query was half the CPU of a list).
 * The file is divided as follows:
 *   1. the JSON writer: a growable buffer whose strings, integers and nulls are written the
 *      way SQLite 3.40's JSON functions write them;
 *   2. the shapes, as data: each type's keys in order, each a column, a compact reference
 *      or an embedded list; one macro per shape expands both into the SELECT's column list
 *      and into the field table, so the two cannot disagree; then the query of each list;
 *   3. rendering a page: one query per embedded list over all the page's ids, one query
 *      for the items, then the callbacks in page order; EXPLAIN QUERY PLAN for tests. */
#include "db_read.h"

#include "db_internal.h"
#include "format.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- 1. The JSON writer ------------------------------------------------------------------ */

/* A growable text. A failed write (out of memory, a value JSON cannot hold) sets `failed`
 * and makes every later write a no-op, so that a row is written without a check per value
 * and checked once at its end. */
struct jbuf {
    char *data;         /* malloc'd; not NUL-terminated */
    size_t len;         /* bytes written */
    size_t cap;         /* bytes allocated */
    const char *failed; /* NULL, or why writing stopped (a static text) */
};

/* Makes room for n more bytes. Returns 0, or -1 with b->failed set. */
static int jbuf_reserve(struct jbuf *b, size_t n) {
    if (b->failed)
        return -1;
    if (n <= b->cap - b->len)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->len < n) {
        if (cap > SIZE_MAX / 2) {
            b->failed = "text too long";
            return -1;
        }
        cap *= 2;
    }
    char *grown = realloc(b->data, cap);
    if (grown == NULL) {
        b->failed = "out of memory";
        return -1;
    }
    b->data = grown;
    b->cap = cap;
    return 0;
}

static void jbuf_raw(struct jbuf *b, const char *s, size_t n) {
    if (jbuf_reserve(b, n) != 0)
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

static void jbuf_char(struct jbuf *b, char c) {
    if (jbuf_reserve(b, 1) != 0)
        return;
    b->data[b->len++] = c;
}

/* In decimal, as SQLite writes an integer's text. */
static void jbuf_int(struct jbuf *b, int64_t v) {
    char digits[FORMAT_DECIMAL_MAX];
    jbuf_raw(b, digits, format_decimal(digits, v));
}

/* 1 when the 8 bytes of w hold one that a JSON string must escape: below 0x20, '"' or '\\'.
 * (The bit tricks of "Bit Twiddling Hacks": haszero(v) and hasless(v, n); exact as a yes or
 * no, which is all this asks.) */
static int word_needs_escape(uint64_t w) {
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\');
    uint64_t flags =
        ((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash);
    return (flags & highs) != 0; /* not the bare mask: an int would drop bytes 4 to 7 */
}

/* s[0..n) as a JSON string, escaped as SQLite 3.40's jsonAppendString does: `"` and `\`
 * with a backslash; control characters as \b \t \n \f \r or \u00xx with lower-case hex;
 * everything else, '/' and DEL and UTF-8 bytes included, as it is. (jansson would write
 * \u001F: collection.c's text render reckons with SQLite's form, so keep it.) Text is
 * mostly plain: it is copied 8 bytes at a time until a word holds a byte to escape. */
static void jbuf_string(struct jbuf *b, const unsigned char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    if (n > (SIZE_MAX - 2) / 6) {
        b->failed = "text too long";
        return;
    }
    if (jbuf_reserve(b, 6 * n + 2) != 0) /* every byte as \u00xx at worst */
        return;
    char *out = b->data + b->len;
    *out++ = '"';
    size_t i = 0;
    while (i < n) {
        uint64_t w;
        if (n - i >= sizeof w) {
            memcpy(&w, s + i, sizeof w);
            if (!word_needs_escape(w)) {
                memcpy(out, &w, sizeof w);
                out += sizeof w;
                i += sizeof w;
                continue;
            }
        }
        unsigned char c = s[i++];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *out++ = (char)c;
            continue;
        }
        *out++ = '\\';
        switch (c) {
        case '"':
        case '\\':
            *out++ = (char)c;
            break;
        case '\b':
            *out++ = 'b';
            break;
        case '\t':
            *out++ = 't';
            break;
        case '\n':
            *out++ = 'n';
            break;
        case '\f':
            *out++ = 'f';
            break;
        case '\r':
            *out++ = 'r';
            break;
        default:
            *out++ = 'u';
            *out++ = '0';
            *out++ = '0';
            *out++ = hex[c >> 4];
            *out++ = hex[c & 15];
        }
    }
    *out++ = '"';
    b->len = (size_t)(out - b->data);
}

/* A column's value as json_object writes it: NULL as null, an integer in decimal, a real as
 * SQLite's %!0.15g, a text as a JSON string. A BLOB fails, as there. The value comes from
 * sqlite3_column_value: one call instead of a sqlite3_column_* call per property, each of
 * which checks the statement again. Such a value is "unprotected", which matters only to a
 * connection shared between threads: db.c runs SQLite multi-threaded, one thread per
 * connection, where it is the same as a protected one. */
static void jbuf_value(struct jbuf *b, sqlite3_value *v) {
    switch (sqlite3_value_type(v)) {
    case SQLITE_NULL:
        jbuf_raw(b, "null", 4);
        break;
    case SQLITE_INTEGER:
        jbuf_int(b, sqlite3_value_int64(v));
        break;
    case SQLITE_FLOAT: {
        char real[64];
        sqlite3_snprintf((int)sizeof real, real, "%!0.15g", sqlite3_value_double(v));
        jbuf_raw(b, real, strlen(real));
        break;
    }
    case SQLITE_TEXT: {
        const unsigned char *text = sqlite3_value_text(v);
        if (text != NULL)
            jbuf_string(b, text, (size_t)sqlite3_value_bytes(v));
        else if (!b->failed)
            b->failed = "out of memory";
        break;
    }
    default:
        if (!b->failed)
            b->failed = "JSON cannot hold BLOB values";
    }
}

/* ---- 2. Shapes ----------------------------------------------------------------------------- */

/* The owners of a list, either of two ways. By ids: ?1 is a JSON array of the page's ids;
 * `IN (subquery)` rather than a join from json_each, as SQLite then visits the ids in
 * ascending order (from an ephemeral index), so that the (owner, position) index yields each
 * owner's list in recorded order, owner after owner, and ORDER BY owner, position costs no
 * sort. By range: every owner from ?1 to ?2, the page's least and greatest ids; when the
 * page's ids are dense (a default order, one item) that is a plain index range, which costs
 * less than the IN's ephemeral index, and C skips the few owners not in the page. */
#define PAGE_IDS " IN (SELECT value FROM json_each(?1))"
#define PAGE_RANGE " BETWEEN ?1 AND ?2"

/* What one key of an object is written from. */
enum field_kind {
    FIELD_VALUE, /* one column, as it is: text, integer or null */
    FIELD_BOOL,  /* one integer column: true when non-zero, else false */
    FIELD_REF,   /* a compact reference's columns, its id first: the object, or null when
                    the id is NULL (the referenced row is absent: a LEFT JOIN miss) */
    FIELD_LIST,  /* no column: the array of an embedded list, read by the list's own query */
};

/* The embedded lists. */
enum list_id {
    LIST_SEGMENTS,
    LIST_SESSION_DOCUMENTS,
    LIST_SESSION_TOPICS,
    LIST_AFFILIATIONS,
    LIST_ON_BEHALF_OF,
    LIST_INTERVENTION_TOPICS,
    LIST_INTERVENTION_DOCUMENTS,
    LIST_HOSTS,
    LIST_SIDE_EVENT_TOPICS,
    LIST_COUNT
};

struct shape;

/* One key of an object and what its value is written from. */
struct field {
    const char *key;         /* the key quoted, with its colon: "\"id\":" */
    size_t key_len;          /* bytes of key */
    const struct shape *ref; /* FIELD_REF: the reference's shape */
    enum field_kind kind;    /* what the value is written from */
    enum list_id list;       /* FIELD_LIST: the list */
};

/* An object: its keys in order, reading its columns left to right. */
struct shape {
    const struct field *fields; /* the keys, in order */
    size_t count;               /* fields */
    int columns;                /* result columns the fields read (a list reads none) */
    int lists;                  /* FIELD_LIST fields */
};

/* A shape is a macro of its entries, each one of
 *   VALUE(key, column)        FIELD_VALUE from the SQL expression column;
 *   FLAG(key, column)         FIELD_BOOL;
 *   REF(key, compact, alias)  FIELD_REF: compact is one of the REF_* macros below, its
 *                             columns read from the table named alias;
 *   LIST(key, list)           FIELD_LIST, list an enum list_id;
 * and is expanded by SQL_COLUMNS (", col, col..." for after "SELECT owner") and by
 * DEFINE_SHAPE (the field table). A compact reference REF_*(VALUE, alias) has only VALUEs,
 * its id first. */
/* clang-format off */
#define REF_NAMED(VALUE, a) VALUE("id", a ".id") VALUE("slug", a ".slug") VALUE("name", a ".name")
#define REF_ORG(VALUE, a) REF_NAMED(VALUE, a) VALUE("kind", a ".kind")
#define REF_PERSON(VALUE, a) REF_NAMED(VALUE, a) VALUE("honorific", a ".honorific")
#define REF_TITLED(VALUE, a)                                                                   \
    VALUE("id", a ".id") VALUE("slug", a ".slug") VALUE("name", a ".title")                    \
    VALUE("kind", a ".kind")
#define REF_SEGMENT(VALUE, a) VALUE("id", a ".id") VALUE("name", a ".title")
/* clang-format on */

#define SQL_VALUE(key, column) ", " column
#define SQL_REF(key, compact, alias) compact(SQL_VALUE, alias)
#define SQL_LIST(key, list)
#define SQL_COLUMNS(SHAPE) SHAPE(SQL_VALUE, SQL_VALUE, SQL_REF, SQL_LIST)

/* (the parameters are not named key or list: they would replace the designators) */
#define KEY(k) .key = "\"" k "\":", .key_len = sizeof("\"" k "\":") - 1
#define FIELD_OF_VALUE(key, column) {KEY(key), .kind = FIELD_VALUE},
#define FIELD_OF_FLAG(key, column) {KEY(key), .kind = FIELD_BOOL},
#define FIELD_OF_REF(key, compact, alias) {KEY(key), .kind = FIELD_REF, .ref = &compact##_shape},
#define FIELD_OF_LIST(k, id) {KEY(k), .kind = FIELD_LIST, .list = id},
#define ONE(...) +1
#define NONE(...)
#define COLUMNS_OF_REF(key, compact, alias) compact(ONE, alias)

/* static const struct shape name, from the entries of SHAPE. */
#define DEFINE_SHAPE(name, SHAPE)                                                                  \
    static const struct field name##_fields[] = {                                                  \
        SHAPE(FIELD_OF_VALUE, FIELD_OF_FLAG, FIELD_OF_REF, FIELD_OF_LIST)};                        \
    static const struct shape name = {                                                             \
        name##_fields, sizeof name##_fields / sizeof name##_fields[0],                             \
        0 SHAPE(ONE, ONE, COLUMNS_OF_REF, NONE), 0 SHAPE(NONE, NONE, NONE, ONE)}
/* static const struct shape REF_x_shape, from a compact reference. */
#define DEFINE_REF(compact)                                                                        \
    static const struct field compact##_fields[] = {compact(FIELD_OF_VALUE, "")};                  \
    static const struct shape compact##_shape = {                                                  \
        compact##_fields, sizeof compact##_fields / sizeof compact##_fields[0],                    \
        0 compact(ONE, ""), 0}

DEFINE_REF(REF_NAMED); /* assemblies and topics */
DEFINE_REF(REF_ORG);
DEFINE_REF(REF_PERSON);
DEFINE_REF(REF_TITLED); /* sessions and documents: the title as name, and the kind */
DEFINE_REF(REF_SEGMENT);

/* clang-format off */
#define STAMPS(VALUE) VALUE("created_at", "x.created_at") VALUE("updated_at", "x.updated_at")

#define ASSEMBLY_FIELDS(VALUE, FLAG, REF, LIST)                                                \
    VALUE("id", "x.id") VALUE("slug", "x.slug") VALUE("name", "x.name")                        \
    VALUE("short_name", "x.short_name") VALUE("place", "x.place")                              \
    VALUE("start_date", "x.start_date") VALUE("end_date", "x.end_date") STAMPS(VALUE)
#define TOPIC_FIELDS(VALUE, FLAG, REF, LIST)                                                   \
    VALUE("id", "x.id") VALUE("slug", "x.slug") VALUE("name", "x.name") STAMPS(VALUE)
#define ORGANIZATION_FIELDS(VALUE, FLAG, REF, LIST)                                            \
    VALUE("id", "x.id") VALUE("slug", "x.slug") VALUE("name", "x.name")                        \
    VALUE("kind", "x.kind") VALUE("acronym", "x.acronym")                                      \
    VALUE("country_code", "x.country_code") REF("parent", REF_ORG, "o")                        \
    FLAG("coalition_member", "x.coalition_member") STAMPS(VALUE)
#define PERSON_FIELDS(VALUE, FLAG, REF, LIST)                                                  \
    VALUE("id", "x.id") VALUE("slug", "x.slug") VALUE("name", "x.name")                        \
    VALUE("honorific", "x.honorific") LIST("affiliations", LIST_AFFILIATIONS) STAMPS(VALUE)
#define DOCUMENT_FIELDS(VALUE, FLAG, REF, LIST)                                                \
    VALUE("id", "x.id") VALUE("slug", "x.slug") VALUE("title", "x.title")                      \
    VALUE("kind", "x.kind") VALUE("date", "x.date") VALUE("url", "x.url")                      \
    REF("assembly", REF_NAMED, "a") REF("author", REF_ORG, "o") STAMPS(VALUE)
#define SESSION_FIELDS(VALUE, FLAG, REF, LIST)                                                 \
    VALUE("id", "x.id") VALUE("slug", "x.slug") REF("assembly", REF_NAMED, "a")                \
    VALUE("date", "x.date") VALUE("kind", "x.kind") VALUE("title", "x.title")                  \
    VALUE("theme", "x.theme") VALUE("part_of_day", "x.part_of_day")                            \
    VALUE("position", "x.position") VALUE("summary", "x.summary")                              \
    LIST("segments", LIST_SEGMENTS) LIST("documents", LIST_SESSION_DOCUMENTS)                  \
    LIST("topics", LIST_SESSION_TOPICS) STAMPS(VALUE)
#define INTERVENTION_FIELDS(VALUE, FLAG, REF, LIST)                                            \
    VALUE("id", "x.id") REF("session", REF_TITLED, "s") REF("segment", REF_SEGMENT, "g")       \
    VALUE("position", "x.position") VALUE("date", "s.date")                                    \
    REF("speaker", REF_PERSON, "p") REF("organization", REF_ORG, "o") VALUE("role", "x.role")  \
    LIST("on_behalf_of", LIST_ON_BEHALF_OF) VALUE("summary", "x.summary")                      \
    LIST("topics", LIST_INTERVENTION_TOPICS) LIST("documents", LIST_INTERVENTION_DOCUMENTS)    \
    VALUE("statement_url", "x.statement_url") STAMPS(VALUE)
#define SIDE_EVENT_FIELDS(VALUE, FLAG, REF, LIST)                                              \
    VALUE("id", "x.id") VALUE("slug", "x.slug") VALUE("title", "x.title")                      \
    VALUE("date", "x.date") REF("assembly", REF_NAMED, "a")                                    \
    VALUE("description", "x.description") LIST("hosts", LIST_HOSTS)                           \
    LIST("topics", LIST_SIDE_EVENT_TOPICS) STAMPS(VALUE)
/* clang-format on */

/* The elements of the lists that are not bare references. */
/* clang-format off */
#define SEGMENT_FIELDS(VALUE, FLAG, REF, LIST)                                                 \
    VALUE("id", "g.id") VALUE("position", "g.position") VALUE("title", "g.title")              \
    VALUE("summary", "g.summary")
#define AFFILIATION_FIELDS(VALUE, FLAG, REF, LIST)                                             \
    REF("organization", REF_ORG, "o") VALUE("title", "l.title")
#define HOST_FIELDS(VALUE, FLAG, REF, LIST)                                                    \
    REF("organization", REF_ORG, "o") VALUE("role", "l.role")
/* clang-format on */

DEFINE_SHAPE(assembly_shape, ASSEMBLY_FIELDS);
DEFINE_SHAPE(topic_shape, TOPIC_FIELDS);
DEFINE_SHAPE(organization_shape, ORGANIZATION_FIELDS);
DEFINE_SHAPE(person_shape, PERSON_FIELDS);
DEFINE_SHAPE(document_shape, DOCUMENT_FIELDS);
DEFINE_SHAPE(session_shape, SESSION_FIELDS);
DEFINE_SHAPE(intervention_shape, INTERVENTION_FIELDS);
DEFINE_SHAPE(side_event_shape, SIDE_EVENT_FIELDS);
DEFINE_SHAPE(segment_shape, SEGMENT_FIELDS);
DEFINE_SHAPE(affiliation_shape, AFFILIATION_FIELDS);
DEFINE_SHAPE(host_shape, HOST_FIELDS);

/* The queries of an embedded list: (owner id, element columns) of every owner, by owner then
 * position, which the (owner, position) index of the list's table serves. */
struct list_query {
    const char *by_ids;        /* the owners in ?1 (PAGE_IDS) */
    const char *by_range;      /* the owners from ?1 to ?2 (PAGE_RANGE) */
    const struct shape *shape; /* the element each row is */
};

/* clang-format off */
#define LIST_SELECT(owner, columns, from, position, owners)                                    \
    "SELECT " owner columns " FROM " from " WHERE " owner owners " ORDER BY " owner ", "       \
    position
/* both queries of a list, by_ids then by_range */
#define LIST_SQL(owner, columns, from, position)                                               \
    LIST_SELECT(owner, columns, from, position, PAGE_IDS),                                     \
    LIST_SELECT(owner, columns, from, position, PAGE_RANGE)
/* The list of a link table: the compact reference of each target, in the link's order. */
#define LINK_SQL(link, owner, target, alias, compact)                                          \
    LIST_SQL("l." owner, compact(SQL_VALUE, alias),                                            \
             link " l JOIN " target " " alias " ON " alias ".id = l." alias "_id", "l.position")
/* clang-format on */

static const struct list_query lists[LIST_COUNT] = {
    [LIST_SEGMENTS] = {LIST_SQL("g.session_id", SQL_COLUMNS(SEGMENT_FIELDS), "segments g",
                                "g.position"),
                       &segment_shape},
    [LIST_SESSION_DOCUMENTS] = {LINK_SQL("session_documents", "session_id", "documents", "document",
                                         REF_TITLED),
                                &REF_TITLED_shape},
    [LIST_SESSION_TOPICS] = {LINK_SQL("session_topics", "session_id", "topics", "topic", REF_NAMED),
                             &REF_NAMED_shape},
    [LIST_AFFILIATIONS] = {LIST_SQL("l.person_id", SQL_COLUMNS(AFFILIATION_FIELDS),
                                    "affiliations l JOIN organizations o ON o.id = "
                                    "l.organization_id",
                                    "l.position"),
                           &affiliation_shape},
    [LIST_ON_BEHALF_OF] = {LINK_SQL("intervention_on_behalf_of", "intervention_id", "organizations",
                                    "organization", REF_ORG),
                           &REF_ORG_shape},
    [LIST_INTERVENTION_TOPICS] = {LINK_SQL("intervention_topics", "intervention_id", "topics",
                                           "topic", REF_NAMED),
                                  &REF_NAMED_shape},
    [LIST_INTERVENTION_DOCUMENTS] = {LINK_SQL("intervention_documents", "intervention_id",
                                              "documents", "document", REF_TITLED),
                                     &REF_TITLED_shape},
    [LIST_HOSTS] = {LIST_SQL("l.side_event_id", SQL_COLUMNS(HOST_FIELDS),
                             "side_event_hosts l JOIN organizations o ON o.id = "
                             "l.organization_id",
                             "l.position"),
                    &host_shape},
    [LIST_SIDE_EVENT_TOPICS] = {LINK_SQL("side_event_topics", "side_event_id", "topics", "topic",
                                         REF_NAMED),
                                &REF_NAMED_shape},
};

/* The query of a type's items: (id, columns of its shape) of every id in ?1, in no
 * particular order (the rows are put in page order by id), so a join from json_each: no
 * ephemeral index of the ids as IN builds. An inner JOIN drops an item whose required parent
 * is absent, as the SQL render did. */
struct item_query {
    const char *sql;           /* over the ids of ?1 */
    const struct shape *shape; /* the item each row is */
};

/* clang-format off */
#define ITEM_SQL(SHAPE, table, joins)                                                          \
    "SELECT x.id" SQL_COLUMNS(SHAPE) " FROM json_each(?1) j CROSS JOIN " table                 \
    " x ON x.id = j.value" joins
/* clang-format on */

static const struct item_query items[RECORD_TYPE_COUNT] = {
    [RECORD_ASSEMBLY] = {ITEM_SQL(ASSEMBLY_FIELDS, "assemblies", ""), &assembly_shape},
    [RECORD_TOPIC] = {ITEM_SQL(TOPIC_FIELDS, "topics", ""), &topic_shape},
    [RECORD_ORGANIZATION] = {ITEM_SQL(ORGANIZATION_FIELDS, "organizations",
                                      " LEFT JOIN organizations o ON o.id = x.parent_id"),
                             &organization_shape},
    [RECORD_PERSON] = {ITEM_SQL(PERSON_FIELDS, "people", ""), &person_shape},
    [RECORD_DOCUMENT] = {ITEM_SQL(DOCUMENT_FIELDS, "documents",
                                  " JOIN assemblies a ON a.id = x.assembly_id"
                                  " LEFT JOIN organizations o ON o.id = x.author_id"),
                         &document_shape},
    [RECORD_SESSION] = {ITEM_SQL(SESSION_FIELDS, "sessions",
                                 " JOIN assemblies a ON a.id = x.assembly_id"),
                        &session_shape},
    [RECORD_INTERVENTION] = {ITEM_SQL(INTERVENTION_FIELDS, "interventions",
                                      " JOIN sessions s ON s.id = x.session_id"
                                      " LEFT JOIN segments g ON g.id = x.segment_id"
                                      " LEFT JOIN people p ON p.id = x.speaker_id"
                                      " LEFT JOIN organizations o ON o.id = x.organization_id"),
                             &intervention_shape},
    [RECORD_SIDE_EVENT] = {ITEM_SQL(SIDE_EVENT_FIELDS, "side_events",
                                    " JOIN assemblies a ON a.id = x.assembly_id"),
                           &side_event_shape},
};

/* ---- 3. Rendering a page ------------------------------------------------------------------- */

#define MAX_LISTS 3 /* embedded lists of one type (sessions and interventions have three) */

/* Where a text lies in a buffer; len 0 when there is none. */
struct span {
    size_t off; /* its first byte */
    size_t len; /* its bytes */
};

/* A page being rendered. Its per-id arrays are indexed like ids. */
struct page {
    int64_t *ids;                    /* the page's distinct ids, ascending (malloc'd) */
    size_t count;                    /* distinct ids */
    struct jbuf lists;               /* the arrays of every embedded list */
    struct span *list_at[MAX_LISTS]; /* per list field of the type, per id: its array */
    struct jbuf items;               /* the items' objects */
    struct span *item_at;            /* per id: its object; len 0 when not found */
    struct span *spans;              /* the storage of item_at and list_at (malloc'd) */
    struct jbuf ids_json;            /* the JSON array of ids, bound to the queries by ids */
};

static int compare_ids(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The index of id in the page, or p->count when it is not one of them. */
static size_t page_find(const struct page *p, int64_t id) {
    size_t lo = 0, hi = p->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < p->count && p->ids[lo] == id ? lo : p->count;
}

/* Writes the object of shape s from stmt's columns *col onwards (advancing *col past them).
 * Its lists (only an item's shape has any) are those of page index owner in p. */
static void write_object(struct jbuf *b, sqlite3_stmt *stmt, int *col, const struct shape *s,
                         const struct page *p, size_t owner) {
    assert(s->lists == 0 || (p != NULL && owner < p->count));
    int list = 0;
    jbuf_char(b, '{');
    for (size_t f = 0; f < s->count; f++) {
        const struct field *field = &s->fields[f];
        if (f > 0)
            jbuf_char(b, ',');
        jbuf_raw(b, field->key, field->key_len);
        switch (field->kind) {
        case FIELD_VALUE:
            jbuf_value(b, sqlite3_column_value(stmt, (*col)++));
            break;
        case FIELD_BOOL:
            if (sqlite3_value_int64(sqlite3_column_value(stmt, (*col)++)))
                jbuf_raw(b, "true", 4);
            else
                jbuf_raw(b, "false", 5);
            break;
        case FIELD_REF:
            if (sqlite3_value_type(sqlite3_column_value(stmt, *col)) == SQLITE_NULL) {
                jbuf_raw(b, "null", 4);
                *col += field->ref->columns;
            } else {
                write_object(b, stmt, col, field->ref, NULL, 0);
            }
            break;
        case FIELD_LIST: {
            const struct span *at = &p->list_at[list++][owner];
            if (at->len > 0)
                jbuf_raw(b, p->lists.data + at->off, at->len);
            else
                jbuf_raw(b, "[]", 2);
            break;
        }
        }
    }
    jbuf_char(b, '}');
}

/* Prepares sql, whose rows are an id and the columns of shape, with the page bound: its ids
 * as ?1, or when by_range its least and greatest ids as ?1 and ?2. NULL (err filled) when it
 * does not prepare. */
static sqlite3_stmt *render_prepare(struct db *db, const char *sql, const struct shape *shape,
                                    const struct page *p, int by_range, struct db_error *err) {
    sqlite3_stmt *stmt = db_prepare(db, sql);
    if (stmt == NULL) {
        db_fail(db, err, "prepare render");
        return NULL;
    }
    /* the macros build the SQL's columns and the shape from the same entries */
    assert(sqlite3_column_count(stmt) == 1 + shape->columns);
    (void)shape; /* (read by the assert only) */
    int rc = by_range ? sqlite3_bind_int64(stmt, 1, p->ids[0]) == SQLITE_OK &&
                            sqlite3_bind_int64(stmt, 2, p->ids[p->count - 1]) == SQLITE_OK
                      : sqlite3_bind_text(stmt, 1, p->ids_json.data, (int)p->ids_json.len,
                                          SQLITE_STATIC) == SQLITE_OK;
    if (!rc) {
        db_fail(db, err, "bind render");
        db_done(stmt);
        return NULL;
    }
    return stmt;
}

/* Ends a render query's walk: 0 when it stepped to its end and wrote all it had to, else -1
 * with err filled. */
static int shaped_done(struct db *db, sqlite3_stmt *stmt, int step, const struct jbuf *b,
                       struct db_error *err) {
    if (step != SQLITE_DONE)
        db_fail(db, err, "step render");
    db_done(stmt);
    if (step == SQLITE_DONE && b->failed)
        db_error_set(err, -1, "render: %s", b->failed);
    return step == SQLITE_DONE && !b->failed ? 0 : -1;
}

/* Reads list l for every id of the page into p->lists; at[i] is then the array of ids[i]
 * (len 0 when it has no element). Returns 0 or -1 (err filled). */
static int read_list(struct db *db, const struct list_query *l, struct page *p, struct span *at,
                     struct db_error *err) {
    /* dense: the range holds at most twice the page's ids (unsigned: no overflow) */
    int by_range = (uint64_t)p->ids[p->count - 1] - (uint64_t)p->ids[0] < 2 * (uint64_t)p->count;
    sqlite3_stmt *stmt =
        render_prepare(db, by_range ? l->by_range : l->by_ids, l->shape, p, by_range, err);
    if (stmt == NULL)
        return -1;
    size_t owner = p->count; /* the owner whose array is open; none yet */
    int step;
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
        size_t k = page_find(p, sqlite3_column_int64(stmt, 0));
        if (k == p->count)
            continue; /* an owner in the range but not in the page */
        if (k == owner) {
            jbuf_char(&p->lists, ',');
        } else {
            /* ORDER BY owner: an owner's elements are contiguous, its array is written once */
            assert(at[k].len == 0);
            if (owner < p->count) {
                jbuf_char(&p->lists, ']');
                at[owner].len = p->lists.len - at[owner].off;
            }
            owner = k;
            at[k].off = p->lists.len;
            jbuf_char(&p->lists, '[');
        }
        int col = 1;
        write_object(&p->lists, stmt, &col, l->shape, NULL, 0);
    }
    if (owner < p->count) {
        jbuf_char(&p->lists, ']');
        at[owner].len = p->lists.len - at[owner].off;
    }
    return shaped_done(db, stmt, step, &p->lists, err);
}

/* Reads the items of the page into p->items, their lists from p->lists. 0 or -1. */
static int read_items(struct db *db, const struct item_query *q, struct page *p,
                      struct db_error *err) {
    sqlite3_stmt *stmt = render_prepare(db, q->sql, q->shape, p, 0, err);
    if (stmt == NULL)
        return -1;
    int step;
    while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
        size_t k = page_find(p, sqlite3_column_int64(stmt, 0));
        if (k == p->count)
            continue;
        struct span *at = &p->item_at[k];
        at->off = p->items.len;
        int col = 1;
        write_object(&p->items, stmt, &col, q->shape, p, k);
        at->len = p->items.len - at->off;
    }
    return shaped_done(db, stmt, step, &p->items, err);
}

/* Fills p from ids (count > 0): the distinct ids sorted, the spans zeroed, the JSON array of
 * the ids. Returns 0, or -1 when out of memory. */
static int page_start(struct page *p, const int64_t *ids, size_t count, int lists) {
    p->ids = malloc(count * sizeof *p->ids);
    if (p->ids == NULL)
        return -1;
    memcpy(p->ids, ids, count * sizeof *ids);
    qsort(p->ids, count, sizeof *p->ids, compare_ids);
    for (size_t i = 0; i < count; i++)
        if (p->count == 0 || p->ids[p->count - 1] != p->ids[i])
            p->ids[p->count++] = p->ids[i];
    p->spans = calloc(p->count * (size_t)(1 + lists), sizeof *p->spans);
    if (p->spans == NULL)
        return -1;
    p->item_at = p->spans;
    for (int l = 0; l < lists; l++)
        p->list_at[l] = p->spans + p->count * (size_t)(1 + l);
    jbuf_char(&p->ids_json, '[');
    for (size_t i = 0; i < p->count; i++) {
        if (i > 0)
            jbuf_char(&p->ids_json, ',');
        jbuf_int(&p->ids_json, p->ids[i]);
    }
    jbuf_char(&p->ids_json, ']');
    return p->ids_json.failed ? -1 : 0;
}

int db_read_render(struct db *db, enum record_type type, const int64_t *ids, size_t count,
                   db_render_fn fn, void *ctx, struct db_error *err) {
    assert(type < RECORD_TYPE_COUNT && items[type].sql != NULL);
    const struct item_query *q = &items[type];
    assert(q->shape->lists <= MAX_LISTS);
    if (count == 0)
        return 0;
    struct page p = {0};
    int rc = -1, list = 0;
    /* the lists and the items are read by several queries: from one snapshot, so that they
     * agree, unless the caller already holds one (a request does) */
    int own_snapshot = sqlite3_get_autocommit(db_handle(db)) && db_read_begin(db) == 0;
    if (page_start(&p, ids, count, q->shape->lists) != 0) {
        db_error_set(err, -1, "out of memory");
        goto done;
    }
    for (size_t f = 0; f < q->shape->count; f++)
        if (q->shape->fields[f].kind == FIELD_LIST &&
            read_list(db, &lists[q->shape->fields[f].list], &p, p.list_at[list++], err) != 0)
            goto done;
    if (read_items(db, q, &p, err) != 0)
        goto done;
    rc = 0;
    for (size_t i = 0; rc == 0 && i < count; i++) {
        size_t k = page_find(&p, ids[i]);
        if (k == p.count || p.item_at[k].len == 0)
            continue; /* deleted since the page was read */
        if (fn(ctx, ids[i], p.items.data + p.item_at[k].off, p.item_at[k].len) != 0) {
            db_error_set(err, -1, "render callback failed");
            rc = -1;
        }
    }
done:
    if (own_snapshot)
        db_read_end(db);
    free(p.ids);
    free(p.spans);
    free(p.lists.data);
    free(p.items.data);
    free(p.ids_json.data);
    return rc;
}

int db_read_render_explain(struct db *db, enum record_type type, size_t query, char *buf,
                           size_t size) {
    assert(type < RECORD_TYPE_COUNT && size > 0);
    const struct shape *shape = items[type].shape;
    const char *sql = query == 0 ? items[type].sql : NULL;
    for (size_t f = 0, n = 1; sql == NULL && f < shape->count; f++)
        if (shape->fields[f].kind == FIELD_LIST) {
            const struct list_query *l = &lists[shape->fields[f].list];
            sql = query == n ? l->by_ids : query == n + 1 ? l->by_range : NULL;
            n += 2;
        }
    buf[0] = '\0';
    if (sql == NULL)
        return 0;
    sqlite3_stmt *stmt = NULL;
    char *explain = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sql);
    /* (the plan does not depend on the values bound: none are) */
    int rc =
        explain != NULL && sqlite3_prepare_v2(db_handle(db), explain, -1, &stmt, NULL) == SQLITE_OK
            ? 1
            : -1;
    size_t used = 0;
    while (rc == 1 && sqlite3_step(stmt) == SQLITE_ROW) {
        const char *detail = (const char *)sqlite3_column_text(stmt, 3);
        size_t len = detail ? strlen(detail) : 0;
        if (used + len + 2 > size) {
            rc = -1;
            break;
        }
        memcpy(buf + used, detail ? detail : "", len);
        used += len;
        buf[used++] = '\n';
        buf[used] = '\0';
    }
    sqlite3_finalize(stmt);
    sqlite3_free(explain);
    return rc;
}
