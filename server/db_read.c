/* db_read.c: the SQL of the read API (but the items' render: db_render.c). The file is
 * divided as follows:
 *   1. compact references as SQL JSON objects (the values of facets);
 *   2. the allowlists: filters, sorts and facets of each collection, with their SQL terms;
 *   3. the query builder: page, count and facet queries assembled from allowlisted terms
 *      only (never from a request's text), interned so that each shape is prepared once
 *      per connection through db_prepare's cache;
 *   4. resolving refs, reading pages, counts, facets, and EXPLAIN QUERY PLAN for tests. */
#include "db_read.h"

#include "casefold.h"
#include "db_internal.h"

#include <assert.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- 1. References ---------------------------------------------------------------------- */

#define IN_LIST " IN (SELECT value FROM json_each(?))"

#define REF_ASSEMBLY(a)                                                                        \
    "CASE WHEN " a ".id IS NULL THEN NULL ELSE json_object('id', " a ".id, 'slug', " a          \
    ".slug, 'name', " a ".name) END"
#define REF_TOPIC(a) REF_ASSEMBLY(a)
#define REF_ORG(a)                                                                             \
    "CASE WHEN " a ".id IS NULL THEN NULL ELSE json_object('id', " a ".id, 'slug', " a          \
    ".slug, 'name', " a ".name, 'kind', " a ".kind) END"
#define REF_PERSON(a)                                                                          \
    "CASE WHEN " a ".id IS NULL THEN NULL ELSE json_object('id', " a ".id, 'slug', " a          \
    ".slug, 'name', " a ".name, 'honorific', " a ".honorific) END"
#define REF_TITLED(a)                                                                          \
    "CASE WHEN " a ".id IS NULL THEN NULL ELSE json_object('id', " a ".id, 'slug', " a          \
    ".slug, 'name', " a ".title, 'kind', " a ".kind) END"

/* ---- 2. Allowlists ---------------------------------------------------------------------- */

static const char *const organization_kinds[] = {
    "state",         "court",         "court_organ",     "court_unit",
    "ngo",           "coalition",     "intergovernmental", "regional_group",
    "assembly_body", "staff_body",    "government_body", "other",
    NULL};
static const char *const session_kinds[] = {"plenary", "general_debate", "other", NULL};
static const char *const document_kinds[] = {"report", "matrix", "statement", "letter",
                                             "paper",  "list",   "other",     NULL};

#define REF_FILTER(name, type, sql) {name, FILTER_REF, type, NULL, sql, NULL, NULL}
/* A filter that, with one value, the page query joins (see page_joins) */
#define REF_JOIN_FILTER(name, type, sql, join) {name, FILTER_REF, type, NULL, sql, join, NULL}
#define NO_FILTER {NULL, FILTER_REF, RECORD_ASSEMBLY, NULL, NULL, NULL, NULL}
/* `name`, exact and case-insensitive (casefold.h). A value that is all ASCII is compared with
 * NOCASE, which folds A-Z as casefold.h folds ASCII; another value reads the range of the
 * name's NOCASE index that its matches lie in (name_bounds) and compares foldings there. */
#define NAME_FILTER                                                                            \
    {"name", FILTER_NAME, RECORD_ASSEMBLY, NULL, "x.name = ? COLLATE NOCASE", NULL,            \
     "x.name >= ? COLLATE NOCASE AND x.name < ? COLLATE NOCASE AND plenary_casefold(x.name) = ?"}

static const struct db_filter no_filters[] = {NO_FILTER};

static const struct db_filter session_filters[] = {
    REF_FILTER("assembly", RECORD_ASSEMBLY, "x.assembly_id" IN_LIST),
    {"date", FILTER_DATE, RECORD_ASSEMBLY, NULL, "x.date" IN_LIST, NULL, NULL},
    {"date_from", FILTER_DATE_BOUND, RECORD_ASSEMBLY, NULL, "x.date >= ?", NULL, NULL},
    {"date_to", FILTER_DATE_BOUND, RECORD_ASSEMBLY, NULL, "x.date <= ?", NULL, NULL},
    {"kind", FILTER_ENUM, RECORD_ASSEMBLY, session_kinds, "x.kind" IN_LIST, NULL, NULL},
    REF_JOIN_FILTER("topic", RECORD_TOPIC,
                    "x.id IN (SELECT session_id FROM session_topics WHERE topic_id" IN_LIST ")",
                    "session_topics %1$s ON %1$s.session_id = x.id AND %1$s.topic_id = ?"),
    NO_FILTER};

static const struct db_filter intervention_filters[] = {
    REF_FILTER("session", RECORD_SESSION, "x.session_id" IN_LIST),
    {"segment", FILTER_SEGMENT, RECORD_SESSION, NULL, "x.segment_id" IN_LIST, NULL, NULL},
    REF_JOIN_FILTER("assembly", RECORD_ASSEMBLY,
                    "x.session_id IN (SELECT id FROM sessions WHERE assembly_id" IN_LIST ")",
                    "sessions %1$s ON %1$s.id = x.session_id AND %1$s.assembly_id = ?"),
    {"date", FILTER_DATE, RECORD_ASSEMBLY, NULL,
     "x.session_id IN (SELECT id FROM sessions WHERE date" IN_LIST ")",
     "sessions %1$s ON %1$s.id = x.session_id AND %1$s.date = ?", NULL},
    REF_FILTER("organization", RECORD_ORGANIZATION, "x.organization_id" IN_LIST),
    {"organization_kind", FILTER_ENUM, RECORD_ASSEMBLY, organization_kinds,
     "x.organization_id IN (SELECT id FROM organizations WHERE kind" IN_LIST ")",
     "organizations %1$s ON %1$s.id = x.organization_id AND %1$s.kind = ?", NULL},
    REF_FILTER("speaker", RECORD_PERSON, "x.speaker_id" IN_LIST),
    REF_JOIN_FILTER("on_behalf_of", RECORD_ORGANIZATION,
                    "x.id IN (SELECT intervention_id FROM intervention_on_behalf_of WHERE "
                    "organization_id" IN_LIST ")",
                    "intervention_on_behalf_of %1$s ON %1$s.intervention_id = x.id AND "
                    "%1$s.organization_id = ?"),
    REF_JOIN_FILTER("topic", RECORD_TOPIC,
                    "x.id IN (SELECT intervention_id FROM intervention_topics WHERE topic_id" IN_LIST
                    ")",
                    "intervention_topics %1$s ON %1$s.intervention_id = x.id AND "
                    "%1$s.topic_id = ?"),
    REF_JOIN_FILTER("document", RECORD_DOCUMENT,
                    "x.id IN (SELECT intervention_id FROM intervention_documents WHERE "
                    "document_id" IN_LIST ")",
                    "intervention_documents %1$s ON %1$s.intervention_id = x.id AND "
                    "%1$s.document_id = ?"),
    NO_FILTER};

static const struct db_filter organization_filters[] = {
    {"kind", FILTER_ENUM, RECORD_ASSEMBLY, organization_kinds, "x.kind" IN_LIST, NULL, NULL},
    {"country_code", FILTER_CODE, RECORD_ASSEMBLY, NULL, "x.country_code" IN_LIST, NULL, NULL},
    REF_FILTER("parent", RECORD_ORGANIZATION, "x.parent_id" IN_LIST),
    {"coalition_member", FILTER_BOOL, RECORD_ASSEMBLY, NULL, "x.coalition_member = ?", NULL, NULL},
    NAME_FILTER,
    NO_FILTER};

static const struct db_filter person_filters[] = {
    REF_FILTER("organization", RECORD_ORGANIZATION,
               "x.id IN (SELECT person_id FROM affiliations WHERE organization_id" IN_LIST ")"),
    NAME_FILTER,
    NO_FILTER};

static const struct db_filter side_event_filters[] = {
    REF_FILTER("assembly", RECORD_ASSEMBLY, "x.assembly_id" IN_LIST),
    {"date", FILTER_DATE, RECORD_ASSEMBLY, NULL, "x.date" IN_LIST, NULL, NULL},
    REF_JOIN_FILTER("host", RECORD_ORGANIZATION,
                    "x.id IN (SELECT side_event_id FROM side_event_hosts WHERE organization_id" IN_LIST
                    ")",
                    "side_event_hosts %1$s ON %1$s.side_event_id = x.id AND "
                    "%1$s.organization_id = ?"),
    REF_JOIN_FILTER("co_host", RECORD_ORGANIZATION,
                    "x.id IN (SELECT side_event_id FROM side_event_hosts WHERE organization_id" IN_LIST
                    " AND role = 'co_host')",
                    "side_event_hosts %1$s ON %1$s.side_event_id = x.id AND "
                    "%1$s.organization_id = ? AND %1$s.role = 'co_host'"),
    REF_JOIN_FILTER("topic", RECORD_TOPIC,
                    "x.id IN (SELECT side_event_id FROM side_event_topics WHERE topic_id" IN_LIST
                    ")",
                    "side_event_topics %1$s ON %1$s.side_event_id = x.id AND %1$s.topic_id = ?"),
    NO_FILTER};

static const struct db_filter document_filters[] = {
    REF_FILTER("assembly", RECORD_ASSEMBLY, "x.assembly_id" IN_LIST),
    {"kind", FILTER_ENUM, RECORD_ASSEMBLY, document_kinds, "x.kind" IN_LIST, NULL, NULL},
    NO_FILTER};

#define NOCASE(col) "x." col " COLLATE NOCASE"
#define END_SORTS {NULL, 0, {NULL}, {0}, NULL}

static const struct db_sort by_name_sorts[] = {
    {"name", 1, {NOCASE("name")}, {1}, NULL}, {"id", 0, {NULL}, {0}, NULL}, END_SORTS};
static const struct db_sort assembly_sorts[] = {{"name", 1, {NOCASE("name")}, {1}, NULL},
                                                {"start_date", 1, {"x.start_date"}, {1}, NULL},
                                                {"id", 0, {NULL}, {0}, NULL},
                                                END_SORTS};
static const struct db_sort organization_sorts[] = {
    {"name", 1, {NOCASE("name")}, {1}, NULL},
    {"kind", 2, {"x.kind", NOCASE("name")}, {1, 1}, NULL},
    {"id", 0, {NULL}, {0}, NULL},
    END_SORTS};
static const struct db_sort document_sorts[] = {
    {"title", 1, {NOCASE("title")}, {1}, NULL}, {"id", 0, {NULL}, {0}, NULL}, END_SORTS};
static const struct db_sort session_sorts[] = {{"date", 2, {"x.date", "x.position"}, {1, 0}, NULL},
                                               {"title", 1, {"x.title"}, {1}, NULL},
                                               {"id", 0, {NULL}, {0}, NULL},
                                               END_SORTS};
static const struct db_sort intervention_sorts[] = {
    {"session", 2, {"x.session_id", "x.position"}, {0, 0}, "interventions_session_position"},
    {"id", 0, {NULL}, {0}, NULL},
    END_SORTS};
static const struct db_sort side_event_sorts[] = {{"date", 2, {"x.date", "x.title"}, {1, 1}, NULL},
                                                  {"title", 1, {"x.title"}, {1}, NULL},
                                                  {"id", 0, {NULL}, {0}, NULL},
                                                  END_SORTS};

/* A facet's SQL: one row (value JSON, order key, count) per distinct value, over the rows
 * of the filtered set. Completed by facet_sql().
 * FACET_DIRECT counts a column of the collection's own rows: first per distinct `column`
 * over the filtered rows (`%s x%s`: the table, then the WHERE clause of the list), then
 * per value, the value read through `join` from g.group_key. The filtered rows are read
 * once, by the list's own plan (a covering index when unfiltered), and each row is counted
 * once without count(DISTINCT): the joins are to one row. On a million interventions an
 * organization_kind facet takes 77 ms so, against 1.8 s when every row was joined first
 * and its id counted as distinct.
 * FACET_ROWS counts a column that has no index of its own (a session's part of the day):
 * the filtered set's ids (its `%s`) are looked up in the table, so that no query scans a
 * whole table without an index.
 * FACET_LINK counts owners through a link table, grouped by the link's `column` first and
 * joined for the value after, like FACET_DIRECT; its `%s` is " WHERE f.<owner> IN (the
 * filtered ids)", or nothing for the whole collection (every link row's owner exists).
 * `counted` is count(*) where the link holds an owner and a target once (a UNIQUE pair), or
 * count(DISTINCT ...) where it may repeat them (a person affiliated twice, two titles). On
 * a million interventions the topic facet takes 52 ms so, against 1.8 s before. */
#define FACET_DIRECT(name, column, join, value, order)                                         \
    {name, "SELECT json_quote(" value ") AS v, " order " AS k, sum(g.n) AS n FROM (SELECT x."  \
           column " AS group_key, count(*) AS n FROM %s x%s GROUP BY x." column ") g " join     \
           " GROUP BY v", DB_FACET_COLUMN, NULL}
#define FACET_ROWS(name, table, column)                                                        \
    {name, "SELECT json_quote(f." column ") AS v, f." column " AS k, count(*) AS n FROM "      \
           table " f WHERE f.id IN (%s) GROUP BY v", DB_FACET_ROWS, NULL}
#define FACET_LINK(name, link, owner, column, counted, join, value, order)                     \
    {name, "SELECT json_quote(" value ") AS v, " order " AS k, sum(g.n) AS n FROM (SELECT f."  \
           column " AS group_key, " counted " AS n FROM " link " f%s GROUP BY f." column        \
           ") g " join " GROUP BY v", DB_FACET_LINK, owner}
#define END_FACETS {NULL, NULL, DB_FACET_COLUMN, NULL}

static const struct db_facet no_facets[] = {END_FACETS};

static const struct db_facet session_facets[] = {
    FACET_DIRECT("assembly", "assembly_id", "JOIN assemblies a ON a.id = g.group_key",
                 REF_ASSEMBLY("a"), "a.name"),
    FACET_DIRECT("kind", "kind", "", "g.group_key", "g.group_key"),
    FACET_DIRECT("date", "date", "", "g.group_key", "g.group_key"),
    FACET_ROWS("part_of_day", "sessions", "part_of_day"),
    FACET_LINK("topic", "session_topics", "session_id", "topic_id", "count(*)",
               "JOIN topics t ON t.id = g.group_key", REF_TOPIC("t"), "t.name"),
    END_FACETS};

static const struct db_facet intervention_facets[] = {
    FACET_DIRECT("session", "session_id", "JOIN sessions s ON s.id = g.group_key",
                 REF_TITLED("s"), "s.title"),
    FACET_DIRECT("date", "session_id", "JOIN sessions s ON s.id = g.group_key",
                 "s.date", "s.date"),
    FACET_DIRECT("organization", "organization_id",
                 "LEFT JOIN organizations o ON o.id = g.group_key",
                 REF_ORG("o"), "o.name"),
    FACET_DIRECT("organization_kind", "organization_id",
                 "LEFT JOIN organizations o ON o.id = g.group_key",
                 "o.kind", "o.kind"),
    FACET_DIRECT("speaker", "speaker_id", "LEFT JOIN people p ON p.id = g.group_key",
                 REF_PERSON("p"), "p.name"),
    FACET_LINK("on_behalf_of", "intervention_on_behalf_of", "intervention_id", "organization_id",
               "count(*)", "JOIN organizations o ON o.id = g.group_key", REF_ORG("o"), "o.name"),
    FACET_LINK("topic", "intervention_topics", "intervention_id", "topic_id", "count(*)",
               "JOIN topics t ON t.id = g.group_key", REF_TOPIC("t"), "t.name"),
    END_FACETS};

static const struct db_facet organization_facets[] = {
    FACET_DIRECT("kind", "kind", "", "g.group_key", "g.group_key"),
    FACET_DIRECT("country_code", "country_code", "", "g.group_key", "g.group_key"),
    FACET_DIRECT("coalition_member", "coalition_member", "",
                 "json(iif(g.group_key, 'true', 'false'))", "g.group_key"),
    FACET_DIRECT("parent", "parent_id", "LEFT JOIN organizations o ON o.id = g.group_key",
                 REF_ORG("o"), "o.name"),
    END_FACETS};

static const struct db_facet person_facets[] = {
    FACET_LINK("organization", "affiliations", "person_id", "organization_id",
               "count(DISTINCT f.person_id)", "JOIN organizations o ON o.id = g.group_key",
               REF_ORG("o"), "o.name"),
    END_FACETS};

static const struct db_facet side_event_facets[] = {
    FACET_DIRECT("assembly", "assembly_id", "JOIN assemblies a ON a.id = g.group_key",
                 REF_ASSEMBLY("a"), "a.name"),
    FACET_DIRECT("date", "date", "", "g.group_key", "g.group_key"),
    FACET_LINK("host", "side_event_hosts", "side_event_id", "organization_id", "count(*)",
               "JOIN organizations o ON o.id = g.group_key", REF_ORG("o"), "o.name"),
    FACET_LINK("topic", "side_event_topics", "side_event_id", "topic_id", "count(*)",
               "JOIN topics t ON t.id = g.group_key", REF_TOPIC("t"), "t.name"),
    END_FACETS};

static const struct db_facet document_facets[] = {
    FACET_DIRECT("assembly", "assembly_id", "JOIN assemblies a ON a.id = g.group_key",
                 REF_ASSEMBLY("a"), "a.name"),
    FACET_DIRECT("kind", "kind", "", "g.group_key", "g.group_key"),
    FACET_DIRECT("author", "author_id", "LEFT JOIN organizations o ON o.id = g.group_key",
                 REF_ORG("o"), "o.name"),
    END_FACETS};

static const struct db_collection collections[RECORD_TYPE_COUNT] = {
    [RECORD_ASSEMBLY] = {RECORD_ASSEMBLY, "assemblies", "assemblies_fts", no_filters,
                         assembly_sorts, no_facets},
    [RECORD_TOPIC] = {RECORD_TOPIC, "topics", "topics_fts", no_filters, by_name_sorts,
                      no_facets},
    [RECORD_ORGANIZATION] = {RECORD_ORGANIZATION, "organizations", "organizations_fts",
                             organization_filters, organization_sorts, organization_facets},
    [RECORD_PERSON] = {RECORD_PERSON, "people", "people_fts", person_filters, by_name_sorts,
                       person_facets},
    [RECORD_DOCUMENT] = {RECORD_DOCUMENT, "documents", "documents_fts", document_filters,
                         document_sorts, document_facets},
    [RECORD_SESSION] = {RECORD_SESSION, "sessions", "sessions_fts", session_filters,
                        session_sorts, session_facets},
    [RECORD_INTERVENTION] = {RECORD_INTERVENTION, "interventions", "interventions_fts",
                             intervention_filters, intervention_sorts, intervention_facets},
    [RECORD_SIDE_EVENT] = {RECORD_SIDE_EVENT, "side_events", "side_events_fts",
                           side_event_filters, side_event_sorts, side_event_facets},
};

const struct db_collection *db_read_collection(enum record_type type) {
    assert(type < RECORD_TYPE_COUNT);
    return &collections[type];
}

/* ---- 3. The query builder ---------------------------------------------------------------- */

/* Longest SQL text of one built query; the terms are fixed, so this is a programmer's bound. */
#define SQL_MAX 8192
/* Distinct query shapes kept prepared; past it a shape is prepared and finalized per use. */
#define INTERN_SLOTS 4096
#define INTERN_MAX (INTERN_SLOTS / 2)

static pthread_mutex_t intern_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *intern_table[INTERN_SLOTS];
static size_t intern_count;

/* What the plan of an interned page query does for its ORDER BY, learnt on its first use
 * (EXPLAIN QUERY PLAN): the answer is a question of speed only, never of the rows. */
enum plan_order {
    PLAN_UNKNOWN, /* not asked yet */
    PLAN_INDEX,   /* rows come in order from an index (or SQLite sorts a part only) */
    PLAN_SORT,    /* SQLite sorts every matching row in a temporary b-tree */
};
static _Atomic unsigned char intern_order[INTERN_SLOTS];
/* For a PLAN_SORT page query: its interned SQL without ORDER BY and LIMIT, once built. */
static const char *_Atomic intern_unordered[INTERN_SLOTS];

static uint64_t fnv1a(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Returns a copy of sql with static storage (the same pointer for the same text), so that
 * db_prepare caches its statement, and its slot in *at; NULL when the table is full or out
 * of memory. */
static const char *intern(const char *sql, size_t *at) {
    size_t slot = (size_t)(fnv1a(sql) & (INTERN_SLOTS - 1));
    const char *found = NULL;
    pthread_mutex_lock(&intern_lock);
    for (;;) {
        if (intern_table[slot] == NULL) {
            if (intern_count < INTERN_MAX) {
                char *copy = strdup(sql);
                if (copy != NULL) {
                    intern_table[slot] = copy;
                    intern_count++;
                }
                found = copy;
            }
            break;
        }
        if (strcmp(intern_table[slot], sql) == 0) {
            found = intern_table[slot];
            break;
        }
        slot = (slot + 1) & (INTERN_SLOTS - 1);
    }
    pthread_mutex_unlock(&intern_lock);
    *at = slot;
    return found;
}

/* A statement for built SQL: cached when interned, else prepared for this use only. */
struct built {
    sqlite3_stmt *stmt; /* the statement */
    int transient;      /* 1: finalize after use */
    size_t slot;        /* its intern slot when not transient */
    const char *sql;    /* its interned SQL when not transient */
};

static int built_prepare(struct db *db, const char *sql, struct built *b) {
    const char *interned = intern(sql, &b->slot);
    b->transient = interned == NULL;
    b->sql = interned;
    if (interned != NULL)
        b->stmt = db_prepare(db, interned);
    else if (sqlite3_prepare_v2(db_handle(db), sql, -1, &b->stmt, NULL) != SQLITE_OK)
        b->stmt = NULL;
    return b->stmt ? 0 : -1;
}

static void built_done(struct built *b) {
    if (b->transient)
        sqlite3_finalize(b->stmt);
    else
        db_done(b->stmt);
    b->stmt = NULL;
}

/* Appends printf-style text to buf (used bytes in *used); -1 when it does not fit. */
__attribute__((format(printf, 4, 5))) static int append(char *buf, size_t size, size_t *used,
                                                        const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *used, size - *used, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= size - *used)
        return -1;
    *used += (size_t)n;
    return 0;
}

/* Where filter i of q takes its one value with `= ?`: the position of its IN_LIST in its SQL,
 * or NULL when it takes a list (or is not a list filter). The WHERE clause and the binding
 * both ask here, so that the SQL and the value bound agree. */
static const char *one_value_at(const struct db_query *q, size_t i) {
    return q->one_mask & (1u << i) ? strstr(q->coll->filters[i].sql, IN_LIST) : NULL;
}

/* Filters a page query joins rather than tests with IN (subquery): those with one value and
 * a join. `IN (SELECT ...)` fills an ephemeral index of the subquery's rows at every
 * execution; a join lets the plan read them from their table's index as it goes (the seed
 * record's organization_kind=state page query: ~6.4 -> ~3.9 us). A join gives each row at
 * most once, as IN does, only where the joined table has at most one row per (owner, value):
 * its key, or a UNIQUE constraint; so affiliations (a person may hold two titles in one
 * organization) have none. Counts and facets, kept per revision, keep IN. */
static atomic_int joins_enabled = 1;

void db_read_filter_joins(int on) {
    atomic_store(&joins_enabled, on);
}

static unsigned page_joins(const struct db_query *q) {
    unsigned joined = 0;
    if (!atomic_load(&joins_enabled))
        return 0;
    for (size_t i = 0; q->coll->filters[i].name != NULL; i++)
        if (q->filter_mask & q->one_mask & (1u << i) && q->coll->filters[i].join != NULL &&
            one_value_at(q, i) != NULL) /* (bind_filters binds one[i] only then) */
            joined |= 1u << i;
    return joined;
}

/* Is filter i of q a name whose value is not all ASCII, compared through its `wide` term? The
 * WHERE clause and the binding both ask here. */
static int name_is_wide(const struct db_query *q, size_t i) {
    const struct db_filter *f = &q->coll->filters[i];
    if (f->kind != FILTER_NAME || f->wide == NULL || q->filter[i].text == NULL)
        return 0;
    for (const unsigned char *c = (const unsigned char *)q->filter[i].text; *c; c++)
        if (*c >= 0x80)
            return 1;
    return 0;
}

/* The bounds of the names that can match the name value v (not all ASCII) in the order of
 * their NOCASE index: every match begins with v's ASCII prefix, in any case, then a character
 * that folds as v's first other character does (casefold.h: nothing else folds to it), so
 * every match is at least the prefix followed by the lowest such character and less than the
 * prefix followed by the character after the highest one (UTF-8 orders as code points do, and
 * NOCASE changes no byte of a multi-byte character). Returns the two texts, malloc'd, with 0;
 * -1 when out of memory or v is not UTF-8 where it leaves ASCII. */
static int name_bounds(const char *v, char **low, char **high) {
    size_t prefix = 0;
    while ((unsigned char)v[prefix] != 0 && (unsigned char)v[prefix] < 0x80)
        prefix++;
    uint32_t cp = 0, lowest, highest;
    if (v[prefix] == '\0' || casefold_decode(v + prefix, &cp) == 0)
        return -1;
    casefold_class(cp, &lowest, &highest);
    *low = malloc(prefix + 5);
    *high = malloc(prefix + 5);
    if (*low == NULL || *high == NULL) {
        free(*low);
        free(*high);
        return -1;
    }
    memcpy(*low, v, prefix);
    memcpy(*high, v, prefix);
    (*low)[prefix + casefold_encode(lowest, *low + prefix)] = '\0';
    if (highest == 0x10FFFF) /* no character after it: F4 90 sorts after every one */
        memcpy(*high + prefix, "\xF4\x90", 3);
    else
        (*high)[prefix + casefold_encode(highest + 1 == 0xD800 ? 0xE000 : highest + 1,
                                         *high + prefix)] = '\0';
    return 0;
}

/* Binds the name value v (not all ASCII) to a `wide` term's three `?` from *n on. */
static int bind_wide_name(sqlite3_stmt *stmt, const char *v, int *n) {
    char *low, *high;
    if (name_bounds(v, &low, &high) != 0)
        return -1;
    size_t len = strlen(v), cap = len + len / 2 + 1;
    char *folded = malloc(cap);
    int ok = folded != NULL;
    if (ok)
        casefold_utf8(v, len, folded, cap);
    ok = ok && sqlite3_bind_text(stmt, (*n)++, low, -1, SQLITE_TRANSIENT) == SQLITE_OK &&
         sqlite3_bind_text(stmt, (*n)++, high, -1, SQLITE_TRANSIENT) == SQLITE_OK &&
         sqlite3_bind_text(stmt, (*n)++, folded, -1, SQLITE_TRANSIENT) == SQLITE_OK;
    free(low);
    free(high);
    free(folded);
    return ok ? 0 : -1;
}

/* The WHERE clause of q's filters but those in `joined`, and match (without the keyset). */
static int where_clause(const struct db_query *q, unsigned joined, char *buf, size_t size,
                        size_t *used) {
    if (append(buf, size, used, " WHERE 1") != 0)
        return -1;
    for (size_t i = 0; q->coll->filters[i].name != NULL; i++) {
        if (!(q->filter_mask & (1u << i)) || joined & (1u << i))
            continue;
        const char *sql = name_is_wide(q, i) ? q->coll->filters[i].wide : q->coll->filters[i].sql;
        const char *list = one_value_at(q, i);
        if (list == NULL ? append(buf, size, used, " AND (%s)", sql) != 0
                         : append(buf, size, used, " AND (%.*s = ?%s)", (int)(list - sql), sql,
                                  list + strlen(IN_LIST)) != 0)
            return -1;
    }
    if (q->match && append(buf, size, used, " AND x.id IN (SELECT rowid FROM %s WHERE %s MATCH ?)",
                           q->coll->fts, q->coll->fts) != 0)
        return -1;
    return 0;
}

/* Binds q's filter and match values from index *n on. */
static int bind_value(sqlite3_stmt *stmt, int n, const struct db_value *v) {
    if (v->is_text)
        return sqlite3_bind_text(stmt, n, v->text, -1, SQLITE_STATIC);
    return sqlite3_bind_int64(stmt, n, v->integer);
}

/* Binds the values of q's filters in `only` (every used one when ~0u) but those in `skip`,
 * then, unless only is a subset, match. */
static int bind_filters(sqlite3_stmt *stmt, const struct db_query *q, unsigned only, unsigned skip,
                        int *n) {
    for (size_t i = 0; q->coll->filters[i].name != NULL; i++) {
        if (!(q->filter_mask & only & (1u << i)) || skip & (1u << i))
            continue;
        if (name_is_wide(q, i)) {
            if (bind_wide_name(stmt, q->filter[i].text, n) != 0)
                return -1;
            continue;
        }
        const struct db_value *v = one_value_at(q, i) != NULL ? &q->one[i] : &q->filter[i];
        if (bind_value(stmt, (*n)++, v) != SQLITE_OK)
            return -1;
    }
    if (only == ~0u && q->match &&
        sqlite3_bind_text(stmt, (*n)++, q->match, -1, SQLITE_STATIC) != SQLITE_OK)
        return -1;
    return 0;
}

/* Binds q's filter and match values from index *n on, for SQL from where_clause(q, 0). */
static int bind_where(sqlite3_stmt *stmt, const struct db_query *q, int *n) {
    return bind_filters(stmt, q, ~0u, 0, n);
}

/* The page query of q, its filters in `joined` (page_joins) joined: with ordered, its rows in
 * the sort's order, at most ?LAST of them (the last parameter); without, every matching row
 * in no particular order. */
static int page_sql(const struct db_query *q, unsigned joined, int ordered, char *buf,
                    size_t size) {
    const struct db_sort *s = q->sort;
    const char *dir = q->descending ? " DESC" : "";
    size_t used = 0;
    if (append(buf, size, &used, "SELECT x.id") != 0)
        return -1;
    for (size_t k = 0; k < s->key_count; k++)
        if (append(buf, size, &used, ", %s", s->keys[k]) != 0)
            return -1;
    if (append(buf, size, &used, " FROM %s x", q->coll->table) != 0 ||
        (q->in_order && s->in_order &&
         append(buf, size, &used, " INDEXED BY %s", s->in_order) != 0))
        return -1;
    for (size_t i = 0; joined >> i; i++) {
        if (!(joined & (1u << i)))
            continue;
        char alias[16];
        snprintf(alias, sizeof alias, "f%zu", i);
        if (append(buf, size, &used, " JOIN ") != 0 ||
            append(buf, size, &used, q->coll->filters[i].join, alias) != 0)
            return -1;
    }
    if (where_clause(q, joined, buf, size, &used) != 0)
        return -1;
    if (q->after) {
        if (append(buf, size, &used, " AND (") != 0)
            return -1;
        for (size_t k = 0; k < s->key_count; k++)
            if (append(buf, size, &used, "%s, ", s->keys[k]) != 0)
                return -1;
        if (append(buf, size, &used, "x.id) %s (", q->descending ? "<" : ">") != 0)
            return -1;
        for (size_t k = 0; k < s->key_count; k++)
            if (append(buf, size, &used, "?, ") != 0)
                return -1;
        if (append(buf, size, &used, "?)") != 0)
            return -1;
    }
    if (!ordered)
        return 0;
    if (append(buf, size, &used, " ORDER BY ") != 0)
        return -1;
    for (size_t k = 0; k < s->key_count; k++)
        if (append(buf, size, &used, "%s%s, ", s->keys[k], dir) != 0)
            return -1;
    return append(buf, size, &used, "x.id%s LIMIT ?", dir);
}

int db_read_page_sql(const struct db_query *q, char *buf, size_t size) {
    return page_sql(q, page_joins(q), 1, buf, size);
}

static int count_sql(const struct db_query *q, char *buf, size_t size) {
    size_t used = 0;
    if (append(buf, size, &used, "SELECT count(*) FROM %s x", q->coll->table) != 0)
        return -1;
    return where_clause(q, 0, buf, size, &used);
}

static int facet_sql(const struct db_query *q, const struct db_facet *facet, char *buf,
                     size_t size) {
    char where[SQL_MAX], narrow[SQL_MAX], inner[SQL_MAX];
    size_t used = 0, narrow_used = 0;
    if (where_clause(q, 0, where, sizeof where, &used) != 0)
        return -1;
    narrow[0] = '\0';
    int n;
    switch (facet->form) {
    case DB_FACET_COLUMN:
        n = snprintf(inner, sizeof inner, facet->sql, q->coll->table, where);
        break;
    case DB_FACET_ROWS:
        if (append(narrow, sizeof narrow, &narrow_used, "SELECT x.id FROM %s x%s",
                   q->coll->table, where) != 0)
            return -1;
        n = snprintf(inner, sizeof inner, facet->sql, narrow);
        break;
    case DB_FACET_LINK:
    default:
        /* the owners among the filtered ids; the whole collection needs no list */
        if ((q->filter_mask != 0 || q->match != NULL) &&
            append(narrow, sizeof narrow, &narrow_used, " WHERE f.%s IN (SELECT x.id FROM %s x%s)",
                   facet->owner, q->coll->table, where) != 0)
            return -1;
        n = snprintf(inner, sizeof inner, facet->sql, narrow);
        break;
    }
    if (n < 0 || (size_t)n >= sizeof inner)
        return -1;
    used = 0;
    return append(buf, size, &used,
                  "SELECT json_object('value', json(v), 'count', n) FROM (%s) "
                  "ORDER BY n DESC, k, v",
                  inner);
}

/* ---- 4. Reading --------------------------------------------------------------------------- */

static const char *const by_id_sql[RECORD_TYPE_COUNT] = {
    [RECORD_ASSEMBLY] = "SELECT id FROM assemblies WHERE id = ?1",
    [RECORD_TOPIC] = "SELECT id FROM topics WHERE id = ?1",
    [RECORD_ORGANIZATION] = "SELECT id FROM organizations WHERE id = ?1",
    [RECORD_PERSON] = "SELECT id FROM people WHERE id = ?1",
    [RECORD_DOCUMENT] = "SELECT id FROM documents WHERE id = ?1",
    [RECORD_SESSION] = "SELECT id FROM sessions WHERE id = ?1",
    [RECORD_INTERVENTION] = "SELECT id FROM interventions WHERE id = ?1",
    [RECORD_SIDE_EVENT] = "SELECT id FROM side_events WHERE id = ?1",
};
static const char *const by_slug_sql[RECORD_TYPE_COUNT] = {
    [RECORD_ASSEMBLY] = "SELECT id FROM assemblies WHERE slug = ?1",
    [RECORD_TOPIC] = "SELECT id FROM topics WHERE slug = ?1",
    [RECORD_ORGANIZATION] = "SELECT id FROM organizations WHERE slug = ?1",
    [RECORD_PERSON] = "SELECT id FROM people WHERE slug = ?1",
    [RECORD_DOCUMENT] = "SELECT id FROM documents WHERE slug = ?1",
    [RECORD_SESSION] = "SELECT id FROM sessions WHERE slug = ?1",
    [RECORD_INTERVENTION] = NULL,
    [RECORD_SIDE_EVENT] = "SELECT id FROM side_events WHERE slug = ?1",
};

/* Parses a positive decimal id (at most 15 digits, so below 2^53); 0 when ref is not one. */
static int64_t parse_id(const char *ref) {
    if (ref[0] == '0') /* one spelling per id: "01" is looked up as a slug, not as 1 */
        return 0;
    int64_t v = 0;
    size_t n = 0;
    for (; ref[n]; n++) {
        if (ref[n] < '0' || ref[n] > '9' || n >= 15)
            return 0;
        v = v * 10 + (ref[n] - '0');
    }
    return n ? v : 0;
}

/* Steps a one-row, one-integer statement: 1 with *id, 0 when no row, -1 on error. */
static int one_id(sqlite3_stmt *stmt, int64_t *id) {
    int rc = sqlite3_step(stmt);
    int found = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
    if (found == 1)
        *id = sqlite3_column_int64(stmt, 0);
    db_done(stmt);
    return found;
}

int db_read_resolve(struct db *db, enum record_type type, const char *ref, int64_t *id) {
    assert(type < RECORD_TYPE_COUNT);
    int64_t numeric = parse_id(ref);
    const char *sql = numeric ? by_id_sql[type] : by_slug_sql[type];
    if (sql == NULL || (!numeric && (ref[0] == '\0' || strlen(ref) > 200)))
        return 0;
    sqlite3_stmt *stmt = db_prepare(db, sql);
    if (stmt == NULL)
        return -1;
    if (numeric)
        sqlite3_bind_int64(stmt, 1, numeric);
    else
        sqlite3_bind_text(stmt, 1, ref, -1, SQLITE_STATIC);
    return one_id(stmt, id);
}

int db_read_segment_exists(struct db *db, int64_t id) {
    sqlite3_stmt *stmt = db_prepare(db, "SELECT id FROM segments WHERE id = ?1");
    if (stmt == NULL)
        return -1;
    sqlite3_bind_int64(stmt, 1, id);
    int64_t found;
    return one_id(stmt, &found);
}

void db_page_free(struct db_page *page) {
    free(page->ids);
    for (size_t k = 0; k < DB_READ_MAX_KEYS; k++)
        free((char *)page->last_keys[k].text);
    memset(page, 0, sizeof *page);
}

/* Binds q's filters (those in `joined` first: page_sql) and keyset to a page statement from
 * parameter 1; *n is then the next. */
static int bind_page(sqlite3_stmt *stmt, const struct db_query *q, unsigned joined, int *n) {
    /* the joins' values come first in the SQL (FROM), then the WHERE clause's */
    int rc = joined ? bind_filters(stmt, q, joined, 0, n) : 0;
    if (rc == 0)
        rc = bind_filters(stmt, q, ~0u, joined, n);
    for (size_t k = 0; rc == 0 && q->after && k < q->sort->key_count; k++)
        rc = bind_value(stmt, (*n)++, &q->after_keys[k]) == SQLITE_OK ? 0 : -1;
    if (rc == 0 && q->after)
        rc = sqlite3_bind_int64(stmt, (*n)++, q->after_id) == SQLITE_OK ? 0 : -1;
    return rc;
}

/* What explain_one explains. */
enum explained {
    EXPLAIN_OTHER,     /* a count or a facet: bind_where's values */
    EXPLAIN_PAGE,      /* a page query with ORDER BY and LIMIT */
    EXPLAIN_UNORDERED, /* a page query without (the rows C orders) */
};

/* Appends the EXPLAIN QUERY PLAN detail lines of sql (with q's values bound) to buf. */
static int explain_one(struct db *db, const struct db_query *q, const char *sql,
                       enum explained what, char *buf, size_t size, size_t *used) {
    char text[SQL_MAX + 32];
    int w = snprintf(text, sizeof text, "EXPLAIN QUERY PLAN %s", sql);
    if (w < 0 || (size_t)w >= sizeof text)
        return -1;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db_handle(db), text, -1, &stmt, NULL) != SQLITE_OK)
        return -1;
    int n = 1;
    if (what == EXPLAIN_OTHER)
        bind_where(stmt, q, &n);
    else if (bind_page(stmt, q, page_joins(q), &n) == 0 && what == EXPLAIN_PAGE)
        sqlite3_bind_int64(stmt, n, 51);
    int rc = 0;
    while (sqlite3_step(stmt) == SQLITE_ROW)
        if (append(buf, size, used, "%s\n", (const char *)sqlite3_column_text(stmt, 3)) != 0)
            rc = -1;
    sqlite3_finalize(stmt);
    return rc;
}

/* The line of a plan (explain_one's text) that sorts every row the ORDER BY reads: not the
 * "RIGHT PART" or "LAST TERM" of it, where an index gives the order's start and the LIMIT
 * stops SQLite early. */
static int plan_sorts_whole(const char *plan) {
    return strstr(plan, "\nUSE TEMP B-TREE FOR ORDER BY\n") != NULL ||
           strncmp(plan, "USE TEMP B-TREE FOR ORDER BY\n", 29) == 0;
}

/* ---- Pages ordered in C ------------------------------------------------------------------
 * When the plan of a page's ORDER BY ... LIMIT sorts every matching row (a filter that keeps
 * few rows, or an order no index gives), SQLite builds a temporary b-tree for it at every
 * execution: on the seed record's filtered list that is a third of the page query's time
 * (~3 of ~10 us). Such a page is read instead without ORDER BY and LIMIT, and C keeps the
 * best limit + 1 rows in a heap, comparing keys as SQLite's ORDER BY does. Whether a shape
 * sorts is asked of its plan once (it depends on the SQL only: no statistics are kept). */

static atomic_int page_order_mode = DB_PAGE_ORDER_PLAN;
static atomic_uint_fast64_t pages_in_memory; /* pages C ordered, for tests */

void db_read_page_order(enum db_page_order mode) {
    atomic_store(&page_order_mode, (int)mode);
}

uint64_t db_read_pages_in_memory(void) {
    return atomic_load(&pages_in_memory);
}

/* One key of a row, as SQLite holds it. */
struct sort_key {
    int type;        /* SQLITE_NULL, SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT or SQLITE_BLOB */
    int64_t integer; /* SQLITE_INTEGER */
    double real;     /* SQLITE_FLOAT */
    const char *text; /* TEXT and BLOB bytes: SQLite's until the next step, malloc'd in the heap */
    int len;          /* bytes of text */
};

struct sort_row {
    int64_t id;
    struct sort_key keys[DB_READ_MAX_KEYS];
};

/* How the rows of a page compare: its keys, each BINARY or NOCASE, then the id. */
struct row_order {
    size_t key_count;
    int nocase[DB_READ_MAX_KEYS];
    int descending;
};

/* SQLite's order of storage classes: NULL, then numbers, then text, then BLOBs. */
static int storage_class(int type) {
    return type == SQLITE_NULL ? 0 : type == SQLITE_TEXT ? 2 : type == SQLITE_BLOB ? 3 : 1;
}

/* As SQLite's sqlite3MemCompare for one ORDER BY term: numbers by value; text by memcmp
 * (BINARY) or by sqlite3_strnicmp (NOCASE, which is what SQLite's NOCASE calls) over the
 * shorter length, then by length; BLOBs by memcmp, then length. */
static int key_compare(const struct sort_key *a, const struct sort_key *b, int nocase) {
    int ca = storage_class(a->type), cb = storage_class(b->type);
    if (ca != cb)
        return ca < cb ? -1 : 1;
    if (ca == 0)
        return 0;
    if (ca == 1) {
        if (a->type == SQLITE_INTEGER && b->type == SQLITE_INTEGER)
            return (a->integer > b->integer) - (a->integer < b->integer);
        /* long double holds every int64 exactly */
        long double x = a->type == SQLITE_INTEGER ? (long double)a->integer : a->real;
        long double y = b->type == SQLITE_INTEGER ? (long double)b->integer : b->real;
        return (x > y) - (x < y);
    }
    int n = a->len < b->len ? a->len : b->len;
    int r = n == 0                  ? 0
            : ca == 2 && nocase     ? sqlite3_strnicmp(a->text, b->text, n)
                                    : memcmp(a->text, b->text, (size_t)n);
    if (r == 0)
        r = a->len - b->len;
    return (r > 0) - (r < 0);
}

static int row_compare(const struct row_order *o, const struct sort_row *a,
                       const struct sort_row *b) {
    int r = 0;
    for (size_t k = 0; r == 0 && k < o->key_count; k++)
        r = key_compare(&a->keys[k], &b->keys[k], o->nocase[k]);
    if (r == 0)
        r = (a->id > b->id) - (a->id < b->id);
    return o->descending ? -r : r;
}

/* The order of q's rows, or -1 when a key has a collation other than BINARY and NOCASE. */
static int row_order_of(const struct db_query *q, struct row_order *o) {
    o->key_count = q->sort->key_count;
    o->descending = q->descending;
    for (size_t k = 0; k < o->key_count; k++) {
        const char *collate = strstr(q->sort->keys[k], " COLLATE ");
        if (collate != NULL && strcmp(collate, " COLLATE NOCASE") != 0)
            return -1;
        o->nocase[k] = collate != NULL;
    }
    return 0;
}

/* The current row of stmt (id, then the keys), pointing into SQLite's memory. Returns
 * SQLITE_ROW, or SQLITE_NOMEM when a text could not be had (rather than order it as ""). */
static int row_read(sqlite3_stmt *stmt, size_t key_count, struct sort_row *row) {
    row->id = sqlite3_column_int64(stmt, 0);
    for (size_t k = 0; k < key_count; k++) {
        sqlite3_value *v = sqlite3_column_value(stmt, (int)k + 1);
        struct sort_key *key = &row->keys[k];
        key->type = sqlite3_value_type(v);
        key->text = NULL;
        key->len = 0;
        if (key->type == SQLITE_INTEGER)
            key->integer = sqlite3_value_int64(v);
        else if (key->type == SQLITE_FLOAT)
            key->real = sqlite3_value_double(v);
        else if (key->type == SQLITE_TEXT || key->type == SQLITE_BLOB) {
            key->text = key->type == SQLITE_TEXT ? (const char *)sqlite3_value_text(v)
                                                 : (const char *)sqlite3_value_blob(v);
            key->len = sqlite3_value_bytes(v);
            if (key->text == NULL && (key->type == SQLITE_TEXT || key->len > 0))
                return SQLITE_NOMEM; /* (a NULL pointer is an empty BLOB's, else no memory) */
        }
    }
    return SQLITE_ROW;
}

static void row_release(struct sort_row *row, size_t key_count) {
    for (size_t k = 0; k < key_count; k++) {
        free((char *)row->keys[k].text);
        row->keys[k].text = NULL;
    }
}

/* Copies row into *kept with its own bytes. 0, or -1 when out of memory (kept released). */
static int row_keep(struct sort_row *kept, const struct sort_row *row, size_t key_count) {
    *kept = *row;
    int rc = 0;
    for (size_t k = 0; k < key_count; k++) {
        struct sort_key *key = &kept->keys[k];
        if (key->text == NULL)
            continue;
        char *copy = malloc((size_t)key->len + 1);
        if (copy != NULL) {
            memcpy(copy, key->text, (size_t)key->len);
            copy[key->len] = '\0';
        } else {
            rc = -1;
        }
        key->text = copy;
    }
    if (rc != 0)
        row_release(kept, key_count);
    return rc;
}

/* Restores the max-heap (the greatest row in the page's order at 0) below slot i. */
static void heap_down(struct sort_row *heap, size_t n, size_t i, const struct row_order *o) {
    for (;;) {
        size_t top = i, l = 2 * i + 1, r = l + 1;
        if (l < n && row_compare(o, &heap[l], &heap[top]) > 0)
            top = l;
        if (r < n && row_compare(o, &heap[r], &heap[top]) > 0)
            top = r;
        if (top == i)
            return;
        struct sort_row t = heap[i];
        heap[i] = heap[top];
        heap[top] = t;
        i = top;
    }
}

static void heap_up(struct sort_row *heap, size_t i, const struct row_order *o) {
    while (i > 0 && row_compare(o, &heap[(i - 1) / 2], &heap[i]) < 0) {
        struct sort_row t = heap[i];
        heap[i] = heap[(i - 1) / 2];
        heap[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

/* A page's last row's key k as a cursor keeps it: typed as the sort declares the key, as
 * sqlite3_column_text / sqlite3_column_int64 would convert it. 0, or -1 out of memory. */
static int cursor_key(const struct sort_key *key, int is_text, struct db_value *v) {
    v->is_text = is_text;
    v->text = NULL;
    v->integer = 0;
    if (is_text) {
        char number[32];
        const char *text = key->text ? key->text : "";
        if (key->type == SQLITE_INTEGER) {
            snprintf(number, sizeof number, "%lld", (long long)key->integer);
            text = number;
        } else if (key->type == SQLITE_FLOAT) {
            sqlite3_snprintf((int)sizeof number, number, "%!.15g", key->real);
            text = number;
        }
        v->text = strdup(text);
        return v->text ? 0 : -1;
    }
    /* (a real out of range clamps, as SQLite's conversion does) */
    v->integer = key->type == SQLITE_INTEGER   ? key->integer
                 : key->type != SQLITE_FLOAT   ? (key->text ? strtoll(key->text, NULL, 10) : 0)
                 : key->real <= -9.2233720368547758e18 ? INT64_MIN
                 : key->real >= 9.2233720368547758e18  ? INT64_MAX
                                                       : (int64_t)key->real;
    return 0;
}


/* 1 when the plan of the interned page query sql (q's, in slot) sorts every matching row. */
static int plan_sorts(struct db *db, const struct db_query *q, const char *sql, size_t slot) {
    unsigned char known = atomic_load(&intern_order[slot]);
    if (known != PLAN_UNKNOWN)
        return known == PLAN_SORT;
    char plan[4096];
    size_t used = 0;
    plan[0] = '\0';
    if (explain_one(db, q, sql, EXPLAIN_PAGE, plan, sizeof plan, &used) != 0)
        return 0; /* (not kept: asked again next time) */
    int sorts = plan_sorts_whole(plan);
    atomic_store(&intern_order[slot], sorts ? PLAN_SORT : PLAN_INDEX);
    return sorts;
}

/* Prepares q's page query without ORDER BY and LIMIT. ordered: the interned slot of the
 * query with them (its unordered text is kept there: built once), or SIZE_MAX. */
static int prepare_unordered(struct db *db, const struct db_query *q, unsigned joined,
                             size_t ordered, struct built *b) {
    const char *known = ordered < INTERN_SLOTS ? atomic_load(&intern_unordered[ordered]) : NULL;
    if (known != NULL) {
        *b = (struct built){.stmt = db_prepare(db, known), .sql = known};
        return b->stmt ? 0 : -1;
    }
    char sql[SQL_MAX];
    if (page_sql(q, joined, 0, sql, sizeof sql) != 0 || built_prepare(db, sql, b) != 0)
        return -1;
    if (ordered < INTERN_SLOTS && !b->transient)
        atomic_store(&intern_unordered[ordered], b->sql);
    return 0;
}

/* db_read_page for a query whose order C makes, by its unordered statement (prepare_unordered;
 * released here). */
static int page_in_memory(const struct db_query *q, unsigned joined, const struct row_order *o,
                          struct built b, size_t limit, struct db_page *out,
                          struct db_error *err) {
    int n = 1;
    size_t cap = limit + 1, kept = 0, seen = 0;
    struct sort_row *heap = calloc(cap, sizeof *heap);
    out->ids = malloc((limit ? limit : 1) * sizeof *out->ids);
    int rc = heap && out->ids && bind_page(b.stmt, q, joined, &n) == 0 ? SQLITE_OK : SQLITE_NOMEM;
    while (rc != SQLITE_NOMEM && (rc = sqlite3_step(b.stmt)) == SQLITE_ROW) {
        struct sort_row row;
        if ((rc = row_read(b.stmt, o->key_count, &row)) != SQLITE_ROW)
            break;
        seen++;
        if (kept < cap) {
            if (row_keep(&heap[kept], &row, o->key_count) != 0)
                rc = SQLITE_NOMEM;
            else
                heap_up(heap, kept++, o);
        } else if (row_compare(o, &row, &heap[0]) < 0) {
            row_release(&heap[0], o->key_count);
            if (row_keep(&heap[0], &row, o->key_count) != 0) {
                heap[0] = heap[--kept]; /* (its slot is empty now) */
                rc = SQLITE_NOMEM;
            } else {
                heap_down(heap, kept, 0, o);
            }
        }
    }
    if (rc == SQLITE_DONE) {
        /* the heap's rows in order: the greatest to the end, one by one */
        for (size_t end = kept; end > 1; end--) {
            struct sort_row t = heap[0];
            heap[0] = heap[end - 1];
            heap[end - 1] = t;
            heap_down(heap, end - 1, 0, o);
        }
        out->count = kept < limit ? kept : limit;
        out->more = seen > limit;
        for (size_t i = 0; i < out->count; i++)
            out->ids[i] = heap[i].id;
        if (out->count > 0) {
            const struct sort_row *last = &heap[out->count - 1];
            out->last_id = last->id;
            for (size_t k = 0; rc == SQLITE_DONE && k < o->key_count; k++)
                if (cursor_key(&last->keys[k], q->sort->key_is_text[k], &out->last_keys[k]) != 0)
                    rc = SQLITE_NOMEM;
        }
    }
    for (size_t i = 0; heap && i < kept; i++)
        row_release(&heap[i], o->key_count);
    free(heap);
    if (rc != SQLITE_DONE) {
        if (rc == SQLITE_NOMEM)
            db_error_set(err, -1, "bind or out of memory");
        else
            db_error_set(err, rc, "step page: %s", sqlite3_errstr(rc));
        built_done(&b);
        db_page_free(out);
        return -1;
    }
    built_done(&b);
    return 0;
}

int db_read_page(struct db *db, const struct db_query *q, size_t limit, struct db_page *out,
                 struct db_error *err) {
    memset(out, 0, sizeof *out);
    unsigned joined = page_joins(q); /* (once: the SQL and its binding must agree) */
    char sql[SQL_MAX];
    if (page_sql(q, joined, 1, sql, sizeof sql) != 0) {
        db_error_set(err, -1, "page query too long");
        return -1;
    }
    struct built b;
    if (built_prepare(db, sql, &b) != 0) {
        db_fail(db, err, "prepare page");
        return -1;
    }
    const struct db_sort *s = q->sort;
    struct row_order order;
    int mode = atomic_load(&page_order_mode);
    struct built unordered;
    if (limit < SIZE_MAX && row_order_of(q, &order) == 0 &&
        (mode == DB_PAGE_ORDER_MEMORY ||
         (mode == DB_PAGE_ORDER_PLAN && !b.transient && plan_sorts(db, q, sql, b.slot))) &&
        prepare_unordered(db, q, joined, b.transient ? SIZE_MAX : b.slot, &unordered) == 0) {
        /* (with the intern table full, a statement prepared for each page would cost more
         * than the sort it spares: SQLite sorts) */
        if (!unordered.transient || mode == DB_PAGE_ORDER_MEMORY) {
            built_done(&b);
            atomic_fetch_add(&pages_in_memory, 1);
            return page_in_memory(q, joined, &order, unordered, limit, out, err);
        }
        built_done(&unordered);
    }
    int n = 1;
    int rc = bind_page(b.stmt, q, joined, &n);
    if (rc == 0)
        rc = sqlite3_bind_int64(b.stmt, n, (sqlite3_int64)limit + 1) == SQLITE_OK ? 0 : -1;
    out->ids = malloc((limit ? limit : 1) * sizeof *out->ids);
    if (rc != 0 || out->ids == NULL) {
        db_error_set(err, -1, "bind or out of memory");
        built_done(&b);
        db_page_free(out);
        return -1;
    }
    while ((rc = sqlite3_step(b.stmt)) == SQLITE_ROW) {
        if (out->count == limit) {
            out->more = 1;
            break;
        }
        out->ids[out->count++] = sqlite3_column_int64(b.stmt, 0);
        out->last_id = out->ids[out->count - 1];
        for (size_t k = 0; k < s->key_count; k++) {
            struct db_value *v = &out->last_keys[k];
            free((char *)v->text);
            v->text = NULL;
            v->is_text = s->key_is_text[k];
            if (v->is_text) {
                const unsigned char *t = sqlite3_column_text(b.stmt, (int)k + 1);
                v->text = strdup(t ? (const char *)t : "");
                if (v->text == NULL) {
                    rc = SQLITE_NOMEM;
                    break;
                }
            } else {
                v->integer = sqlite3_column_int64(b.stmt, (int)k + 1);
            }
        }
        if (rc == SQLITE_NOMEM)
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        db_fail(db, err, "step page");
        built_done(&b);
        db_page_free(out);
        return -1;
    }
    built_done(&b);
    return 0;
}

int64_t db_read_count(struct db *db, const struct db_query *q, struct db_error *err) {
    char sql[SQL_MAX];
    struct built b;
    if (count_sql(q, sql, sizeof sql) != 0 || built_prepare(db, sql, &b) != 0) {
        db_fail(db, err, "prepare count");
        return -1;
    }
    int n = 1;
    int64_t count = -1;
    if (bind_where(b.stmt, q, &n) == 0 && sqlite3_step(b.stmt) == SQLITE_ROW)
        count = sqlite3_column_int64(b.stmt, 0);
    else
        db_fail(db, err, "count");
    built_done(&b);
    return count;
}

char *db_read_facet(struct db *db, const struct db_query *q, const struct db_facet *facet,
                    struct db_error *err) {
    char sql[SQL_MAX];
    struct built b;
    if (facet_sql(q, facet, sql, sizeof sql) != 0 || built_prepare(db, sql, &b) != 0) {
        db_fail(db, err, "prepare facet");
        return NULL;
    }
    int n = 1;
    size_t cap = 256, len = 1;
    char *out = malloc(cap);
    if (out == NULL || bind_where(b.stmt, q, &n) != 0) {
        free(out);
        built_done(&b);
        db_error_set(err, -1, "out of memory");
        return NULL;
    }
    out[0] = '[';
    int rc;
    while ((rc = sqlite3_step(b.stmt)) == SQLITE_ROW) {
        const char *row = (const char *)sqlite3_column_text(b.stmt, 0);
        size_t row_len = (size_t)sqlite3_column_bytes(b.stmt, 0);
        if (row == NULL)
            continue;
        if (len + row_len + 3 > cap) {
            while (len + row_len + 3 > cap)
                cap *= 2;
            char *grown = realloc(out, cap);
            if (grown == NULL) {
                rc = SQLITE_NOMEM;
                break;
            }
            out = grown;
        }
        if (len > 1)
            out[len++] = ',';
        memcpy(out + len, row, row_len);
        len += row_len;
    }
    built_done(&b);
    if (rc != SQLITE_DONE) {
        db_error_set(err, rc, "facet step");
        free(out);
        return NULL;
    }
    out[len++] = ']';
    out[len] = '\0';
    return out;
}

int db_read_explain(struct db *db, const struct db_query *q, char *buf, size_t size) {
    char sql[SQL_MAX];
    size_t used = 0;
    buf[0] = '\0';
    if (db_read_page_sql(q, sql, sizeof sql) != 0 ||
        explain_one(db, q, sql, EXPLAIN_PAGE, buf, size, &used) != 0)
        return -1;
    /* where that plan sorts every row, the query C orders instead is the one that runs */
    if (plan_sorts_whole(buf) &&
        (page_sql(q, page_joins(q), 0, sql, sizeof sql) != 0 ||
         explain_one(db, q, sql, EXPLAIN_UNORDERED, buf, size, &used) != 0))
        return -1;
    if (count_sql(q, sql, sizeof sql) != 0 ||
        explain_one(db, q, sql, EXPLAIN_OTHER, buf, size, &used) != 0)
        return -1;
    for (size_t f = 0; q->coll->facets[f].name != NULL; f++)
        if (facet_sql(q, &q->coll->facets[f], sql, sizeof sql) != 0 ||
            explain_one(db, q, sql, EXPLAIN_OTHER, buf, size, &used) != 0)
            return -1;
    return 0;
}
