/* record.c: the resources of the record, checked and written by one code path for documents
 * and API writes alike. The file is divided into: the type table; the document format as
 * data (field tables, link tables, per-type SQL); errors and JSON pointers; validation of one
 * resource on its own; the first pass of an import (collect ids and slugs); resolution of
 * references; writing (scalars, lists, segments, positions); and the public upsert and
 * delete. Only this file, record_doc.c, db.c and db_*.c include <sqlite3.h>. */
#include "record.h"

#include <assert.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "record_internal.h"

/* ---- The type table -------------------------------------------------------------------- */

static const struct record_type_info type_info[RECORD_TYPE_COUNT] = {
    [RECORD_ASSEMBLY] = {"assembly", "assemblies", "assemblies", 1},
    [RECORD_TOPIC] = {"topic", "topics", "topics", 1},
    [RECORD_ORGANIZATION] = {"organization", "organizations", "organizations", 1},
    [RECORD_PERSON] = {"person", "people", "people", 1},
    [RECORD_DOCUMENT] = {"document", "documents", "documents", 1},
    [RECORD_SESSION] = {"session", "sessions", "sessions", 1},
    [RECORD_INTERVENTION] = {"intervention", "interventions", "interventions", 0},
    [RECORD_SIDE_EVENT] = {"side_event", "side_events", "side_events", 1},
};

const struct record_type_info *record_type_info(enum record_type type) {
    assert(type >= 0 && type < RECORD_TYPE_COUNT);
    return &type_info[type];
}

int record_type_parse(const char *name, enum record_type *type) {
    assert(name != NULL && type != NULL);
    for (int t = 0; t < RECORD_TYPE_COUNT; t++)
        if (strcmp(type_info[t].name, name) == 0) {
            *type = (enum record_type)t;
            return 0;
        }
    return -1;
}

/* ---- The document format as data -------------------------------------------------------- */

/* What a field holds. Scalars are bound to the type's SQL as ?2, ?3, ... in field order
 * (the id is ?1); list fields (FK_REFS, FK_ITEMS, FK_SEGMENTS) are written to link tables. */
enum field_kind {
    FK_ID,       /* integer 1..RECORD_MAX_ID */
    FK_SLUG,     /* a well-formed slug */
    FK_TEXT,     /* a non-empty string of at most `max` bytes */
    FK_DATE,     /* a real calendar date, YYYY-MM-DD */
    FK_ENUM,     /* one of `values` */
    FK_COUNTRY,  /* an assigned ISO 3166-1 alpha-2 code */
    FK_URL,      /* an http(s) URL */
    FK_BOOL,     /* true or false */
    FK_POSITION, /* integer 1..RECORD_MAX_POSITION */
    FK_SEGMENT,  /* an intervention's segment: its position within the intervention's session */
    FK_REF,      /* a reference to a `target`: its slug or its id */
    FK_REFS,     /* a list of distinct references to `target` (link table `link`) */
    FK_ITEMS,    /* a list of objects {reference, extra} (link table `link`) */
    FK_SEGMENTS, /* a session's segments */
};

enum link_id {
    LINK_NONE,
    LINK_AFFILIATIONS,
    LINK_SESSION_DOCUMENTS,
    LINK_SESSION_TOPICS,
    LINK_ON_BEHALF_OF,
    LINK_INTERVENTION_TOPICS,
    LINK_INTERVENTION_DOCUMENTS,
    LINK_HOSTS,
    LINK_SIDE_EVENT_TOPICS,
    LINK_COUNT
};

struct field {
    const char *name;          /* the member name in a document */
    enum field_kind kind;      /* what it holds */
    int nullable;              /* 1 when null is allowed */
    enum record_type target;   /* FK_REF, FK_REFS: the type referred to */
    const char *const *values; /* FK_ENUM: the allowed values, NULL-terminated */
    size_t max;                /* FK_TEXT: most bytes */
    const struct field *items; /* FK_ITEMS, FK_SEGMENTS: the fields of an item */
    size_t item_count;         /* entries in items */
    enum link_id link;         /* FK_REFS, FK_ITEMS: the link table */
};

static const char *const organization_kinds[] = {"state",
                                                 "court",
                                                 "court_organ",
                                                 "court_unit",
                                                 "ngo",
                                                 "coalition",
                                                 "intergovernmental",
                                                 "regional_group",
                                                 "assembly_body",
                                                 "staff_body",
                                                 "government_body",
                                                 "other",
                                                 NULL};
static const char *const document_kinds[] = {"report", "matrix", "statement", "letter",
                                             "paper",  "list",   "other",     NULL};
static const char *const session_kinds[] = {"plenary", "general_debate", "other", NULL};
static const char *const parts_of_day[] = {"morning", "afternoon", "evening", NULL};
static const char *const host_roles[] = {"host", "co_host", NULL};

#define ID                                                                                         \
    { "id", FK_ID, 0, 0, NULL, 0, NULL, 0, LINK_NONE }
#define SLUG                                                                                       \
    { "slug", FK_SLUG, 0, 0, NULL, 0, NULL, 0, LINK_NONE }
#define TEXT(n, null, max)                                                                         \
    { n, FK_TEXT, null, 0, NULL, max, NULL, 0, LINK_NONE }
#define DATE(n, null)                                                                              \
    { n, FK_DATE, null, 0, NULL, 0, NULL, 0, LINK_NONE }
#define ENUM(n, null, v)                                                                           \
    { n, FK_ENUM, null, 0, v, 0, NULL, 0, LINK_NONE }
#define REF(n, null, t)                                                                            \
    { n, FK_REF, null, t, NULL, 0, NULL, 0, LINK_NONE }
#define REFS(n, t, l)                                                                              \
    { n, FK_REFS, 0, t, NULL, 0, NULL, 0, l }
#define ITEMS(n, f, l)                                                                             \
    { n, FK_ITEMS, 0, 0, NULL, 0, f, sizeof f / sizeof f[0], l }
#define SCALAR(n, k, null)                                                                         \
    { n, k, null, 0, NULL, 0, NULL, 0, LINK_NONE }

static const struct field affiliation_fields[] = {
    REF("organization", 0, RECORD_ORGANIZATION),
    TEXT("title", 1, RECORD_MAX_NAME),
};
static const struct field host_fields[] = {
    REF("organization", 0, RECORD_ORGANIZATION),
    ENUM("role", 0, host_roles),
};
static const struct field segment_fields[] = {
    ID,
    SCALAR("position", FK_POSITION, 0),
    TEXT("title", 0, RECORD_MAX_NAME),
    TEXT("summary", 1, RECORD_MAX_TEXT),
};

static const struct field assembly_fields[] = {
    ID,
    SLUG,
    TEXT("name", 0, RECORD_MAX_NAME),
    TEXT("short_name", 0, RECORD_MAX_NAME),
    TEXT("place", 0, RECORD_MAX_NAME),
    DATE("start_date", 0),
    DATE("end_date", 0),
};
static const struct field topic_fields[] = {
    ID,
    SLUG,
    TEXT("name", 0, RECORD_MAX_NAME),
};
static const struct field organization_fields[] = {
    ID,
    SLUG,
    TEXT("name", 0, RECORD_MAX_NAME),
    ENUM("kind", 0, organization_kinds),
    TEXT("acronym", 1, RECORD_MAX_NAME),
    SCALAR("country_code", FK_COUNTRY, 1),
    REF("parent", 1, RECORD_ORGANIZATION),
    SCALAR("coalition_member", FK_BOOL, 0),
};
static const struct field person_fields[] = {
    ID,
    SLUG,
    TEXT("name", 0, RECORD_MAX_NAME),
    TEXT("honorific", 1, RECORD_MAX_NAME),
    ITEMS("affiliations", affiliation_fields, LINK_AFFILIATIONS),
};
static const struct field document_fields[] = {
    ID,
    SLUG,
    TEXT("title", 0, RECORD_MAX_NAME),
    ENUM("kind", 0, document_kinds),
    DATE("date", 1),
    SCALAR("url", FK_URL, 1),
    REF("assembly", 0, RECORD_ASSEMBLY),
    REF("author", 1, RECORD_ORGANIZATION),
};
static const struct field session_fields[] = {
    ID,
    SLUG,
    REF("assembly", 0, RECORD_ASSEMBLY),
    DATE("date", 0),
    ENUM("kind", 0, session_kinds),
    TEXT("title", 0, RECORD_MAX_NAME),
    TEXT("theme", 1, RECORD_MAX_NAME),
    ENUM("part_of_day", 1, parts_of_day),
    SCALAR("position", FK_POSITION, 0),
    TEXT("summary", 1, RECORD_MAX_TEXT),
    {"segments", FK_SEGMENTS, 0, 0, NULL, 0, segment_fields,
     sizeof segment_fields / sizeof segment_fields[0], LINK_NONE},
    REFS("documents", RECORD_DOCUMENT, LINK_SESSION_DOCUMENTS),
    REFS("topics", RECORD_TOPIC, LINK_SESSION_TOPICS),
};
static const struct field intervention_fields[] = {
    ID,
    REF("session", 0, RECORD_SESSION),
    SCALAR("segment", FK_SEGMENT, 1),
    SCALAR("position", FK_POSITION, 0),
    REF("speaker", 1, RECORD_PERSON),
    REF("organization", 1, RECORD_ORGANIZATION),
    TEXT("role", 1, RECORD_MAX_NAME),
    REFS("on_behalf_of", RECORD_ORGANIZATION, LINK_ON_BEHALF_OF),
    TEXT("summary", 1, RECORD_MAX_TEXT),
    REFS("topics", RECORD_TOPIC, LINK_INTERVENTION_TOPICS),
    REFS("documents", RECORD_DOCUMENT, LINK_INTERVENTION_DOCUMENTS),
    SCALAR("statement_url", FK_URL, 1),
};
static const struct field side_event_fields[] = {
    ID,
    SLUG,
    TEXT("title", 0, RECORD_MAX_NAME),
    DATE("date", 0),
    REF("assembly", 0, RECORD_ASSEMBLY),
    TEXT("description", 1, RECORD_MAX_TEXT),
    ITEMS("hosts", host_fields, LINK_HOSTS),
    REFS("topics", RECORD_TOPIC, LINK_SIDE_EVENT_TOPICS),
};

/* Most fields a type has (an intervention: 12). */
#define MAX_FIELDS 16

static const struct {
    const struct field *fields; /* in document order */
    size_t count;               /* entries in fields */
} type_fields[RECORD_TYPE_COUNT] = {
#define FIELDS(f)                                                                                  \
    { f, sizeof f / sizeof f[0] }
    [RECORD_ASSEMBLY] = FIELDS(assembly_fields),
    [RECORD_TOPIC] = FIELDS(topic_fields),
    [RECORD_ORGANIZATION] = FIELDS(organization_fields),
    [RECORD_PERSON] = FIELDS(person_fields),
    [RECORD_DOCUMENT] = FIELDS(document_fields),
    [RECORD_SESSION] = FIELDS(session_fields),
    [RECORD_INTERVENTION] = FIELDS(intervention_fields),
    [RECORD_SIDE_EVENT] = FIELDS(side_event_fields),
#undef FIELDS
};

/* A link table: the rows of one list of one resource, in order. */
struct link {
    const char *select; /* ?1 parent -> (target, extra) in position order */
    const char *remove; /* ?1 parent: delete the whole list */
    const char *insert; /* ?1 parent, ?2 position, ?3 target, ?4 extra */
    int has_extra;      /* the list's items carry a text (affiliation title, host role) */
};

static const struct link links[LINK_COUNT] = {
    [LINK_AFFILIATIONS] =
        {"SELECT organization_id, title FROM affiliations WHERE person_id = ?1 ORDER BY position",
         "DELETE FROM affiliations WHERE person_id = ?1",
         "INSERT INTO affiliations (person_id, position, organization_id, title) "
         "VALUES (?1, ?2, ?3, ?4)",
         1},
    [LINK_SESSION_DOCUMENTS] =
        {"SELECT document_id, NULL FROM session_documents WHERE session_id = ?1 ORDER BY position",
         "DELETE FROM session_documents WHERE session_id = ?1",
         "INSERT INTO session_documents (session_id, position, document_id) VALUES (?1, ?2, ?3)",
         0},
    [LINK_SESSION_TOPICS] =
        {"SELECT topic_id, NULL FROM session_topics WHERE session_id = ?1 ORDER BY position",
         "DELETE FROM session_topics WHERE session_id = ?1",
         "INSERT INTO session_topics (session_id, position, topic_id) VALUES (?1, ?2, ?3)", 0},
    [LINK_ON_BEHALF_OF] = {"SELECT organization_id, NULL FROM intervention_on_behalf_of "
                           "WHERE intervention_id = ?1 ORDER BY position",
                           "DELETE FROM intervention_on_behalf_of WHERE intervention_id = ?1",
                           "INSERT INTO intervention_on_behalf_of "
                           "(intervention_id, position, organization_id) VALUES (?1, ?2, ?3)",
                           0},
    [LINK_INTERVENTION_TOPICS] = {"SELECT topic_id, NULL FROM intervention_topics "
                                  "WHERE intervention_id = ?1 ORDER BY position",
                                  "DELETE FROM intervention_topics WHERE intervention_id = ?1",
                                  "INSERT INTO intervention_topics "
                                  "(intervention_id, position, topic_id) VALUES (?1, ?2, ?3)",
                                  0},
    [LINK_INTERVENTION_DOCUMENTS] =
        {"SELECT document_id, NULL FROM intervention_documents "
         "WHERE intervention_id = ?1 ORDER BY position",
         "DELETE FROM intervention_documents WHERE intervention_id = ?1",
         "INSERT INTO intervention_documents (intervention_id, position, document_id) "
         "VALUES (?1, ?2, ?3)",
         0},
    [LINK_HOSTS] = {"SELECT organization_id, role FROM side_event_hosts "
                    "WHERE side_event_id = ?1 ORDER BY position",
                    "DELETE FROM side_event_hosts WHERE side_event_id = ?1",
                    "INSERT INTO side_event_hosts (side_event_id, position, organization_id, role) "
                    "VALUES (?1, ?2, ?3, ?4)",
                    1},
    [LINK_SIDE_EVENT_TOPICS] =
        {"SELECT topic_id, NULL FROM side_event_topics WHERE side_event_id = ?1 ORDER BY position",
         "DELETE FROM side_event_topics WHERE side_event_id = ?1",
         "INSERT INTO side_event_topics (side_event_id, position, topic_id) VALUES (?1, ?2, ?3)",
         0},
};

/* The SQL of a type. `update` writes only when some value differs (so an unchanged row is
 * not rewritten and logs nothing); `insert` leaves an existing id alone. */
struct type_sql {
    const char *update;  /* ?1 id, ?2... the scalar fields in document order */
    const char *insert;  /* the same parameters; ?1 NULL lets the database pick the id */
    const char *by_slug; /* ?1 slug -> id */
    const char *exists;  /* ?1 id -> a row when it exists */
    const char *remove;  /* ?1 id */
    const char *count;   /* how many there are */
    const char *any;     /* a row when there is at least one */
};

static const struct type_sql type_sql[RECORD_TYPE_COUNT] = {
    [RECORD_ASSEMBLY] =
        {"UPDATE assemblies SET slug = ?2, name = ?3, short_name = ?4, place = ?5, "
         "start_date = ?6, end_date = ?7 WHERE id = ?1 AND (slug IS NOT ?2 OR name IS NOT ?3 "
         "OR short_name IS NOT ?4 OR place IS NOT ?5 OR start_date IS NOT ?6 "
         "OR end_date IS NOT ?7)",
         "INSERT INTO assemblies (id, slug, name, short_name, place, start_date, end_date) "
         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO NOTHING",
         "SELECT id FROM assemblies WHERE slug = ?1", "SELECT 1 FROM assemblies WHERE id = ?1",
         "DELETE FROM assemblies WHERE id = ?1", "SELECT count(*) FROM assemblies",
         "SELECT 1 FROM assemblies LIMIT 1"},
    [RECORD_TOPIC] = {"UPDATE topics SET slug = ?2, name = ?3 "
                      "WHERE id = ?1 AND (slug IS NOT ?2 OR name IS NOT ?3)",
                      "INSERT INTO topics (id, slug, name) VALUES (?1, ?2, ?3) "
                      "ON CONFLICT (id) DO NOTHING",
                      "SELECT id FROM topics WHERE slug = ?1", "SELECT 1 FROM topics WHERE id = ?1",
                      "DELETE FROM topics WHERE id = ?1", "SELECT count(*) FROM topics",
                      "SELECT 1 FROM topics LIMIT 1"},
    [RECORD_ORGANIZATION] =
        {"UPDATE organizations SET slug = ?2, name = ?3, kind = ?4, acronym = ?5, "
         "country_code = ?6, parent_id = ?7, coalition_member = ?8 WHERE id = ?1 AND "
         "(slug IS NOT ?2 OR name IS NOT ?3 OR kind IS NOT ?4 OR acronym IS NOT ?5 OR "
         "country_code IS NOT ?6 OR parent_id IS NOT ?7 OR coalition_member IS NOT ?8)",
         "INSERT INTO organizations (id, slug, name, kind, acronym, country_code, parent_id, "
         "coalition_member) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (id) DO NOTHING",
         "SELECT id FROM organizations WHERE slug = ?1",
         "SELECT 1 FROM organizations WHERE id = ?1", "DELETE FROM organizations WHERE id = ?1",
         "SELECT count(*) FROM organizations", "SELECT 1 FROM organizations LIMIT 1"},
    [RECORD_PERSON] = {"UPDATE people SET slug = ?2, name = ?3, honorific = ?4 WHERE id = ?1 "
                       "AND (slug IS NOT ?2 OR name IS NOT ?3 OR honorific IS NOT ?4)",
                       "INSERT INTO people (id, slug, name, honorific) VALUES (?1, ?2, ?3, ?4) "
                       "ON CONFLICT (id) DO NOTHING",
                       "SELECT id FROM people WHERE slug = ?1",
                       "SELECT 1 FROM people WHERE id = ?1", "DELETE FROM people WHERE id = ?1",
                       "SELECT count(*) FROM people", "SELECT 1 FROM people LIMIT 1"},
    [RECORD_DOCUMENT] =
        {"UPDATE documents SET slug = ?2, title = ?3, kind = ?4, date = ?5, url = ?6, "
         "assembly_id = ?7, author_id = ?8 WHERE id = ?1 AND (slug IS NOT ?2 OR title IS NOT ?3 "
         "OR kind IS NOT ?4 OR date IS NOT ?5 OR url IS NOT ?6 OR assembly_id IS NOT ?7 "
         "OR author_id IS NOT ?8)",
         "INSERT INTO documents (id, slug, title, kind, date, url, assembly_id, author_id) "
         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (id) DO NOTHING",
         "SELECT id FROM documents WHERE slug = ?1", "SELECT 1 FROM documents WHERE id = ?1",
         "DELETE FROM documents WHERE id = ?1", "SELECT count(*) FROM documents",
         "SELECT 1 FROM documents LIMIT 1"},
    [RECORD_SESSION] =
        {"UPDATE sessions SET slug = ?2, assembly_id = ?3, date = ?4, kind = ?5, title = ?6, "
         "theme = ?7, part_of_day = ?8, position = ?9, summary = ?10 WHERE id = ?1 AND "
         "(slug IS NOT ?2 OR assembly_id IS NOT ?3 OR date IS NOT ?4 OR kind IS NOT ?5 OR "
         "title IS NOT ?6 OR theme IS NOT ?7 OR part_of_day IS NOT ?8 OR position IS NOT ?9 "
         "OR summary IS NOT ?10)",
         "INSERT INTO sessions (id, slug, assembly_id, date, kind, title, theme, part_of_day, "
         "position, summary) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
         "ON CONFLICT (id) DO NOTHING",
         "SELECT id FROM sessions WHERE slug = ?1", "SELECT 1 FROM sessions WHERE id = ?1",
         "DELETE FROM sessions WHERE id = ?1", "SELECT count(*) FROM sessions",
         "SELECT 1 FROM sessions LIMIT 1"},
    [RECORD_INTERVENTION] =
        {"UPDATE interventions SET session_id = ?2, segment_id = ?3, position = ?4, "
         "speaker_id = ?5, organization_id = ?6, role = ?7, summary = ?8, statement_url = ?9 "
         "WHERE id = ?1 AND (session_id IS NOT ?2 OR segment_id IS NOT ?3 OR position IS NOT ?4 "
         "OR speaker_id IS NOT ?5 OR organization_id IS NOT ?6 OR role IS NOT ?7 "
         "OR summary IS NOT ?8 OR statement_url IS NOT ?9)",
         "INSERT INTO interventions (id, session_id, segment_id, position, speaker_id, "
         "organization_id, role, summary, statement_url) "
         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (id) DO NOTHING",
         NULL, "SELECT 1 FROM interventions WHERE id = ?1",
         "DELETE FROM interventions WHERE id = ?1", "SELECT count(*) FROM interventions",
         "SELECT 1 FROM interventions LIMIT 1"},
    [RECORD_SIDE_EVENT] =
        {"UPDATE side_events SET slug = ?2, title = ?3, date = ?4, assembly_id = ?5, "
         "description = ?6 WHERE id = ?1 AND (slug IS NOT ?2 OR title IS NOT ?3 OR date IS NOT ?4 "
         "OR assembly_id IS NOT ?5 OR description IS NOT ?6)",
         "INSERT INTO side_events (id, slug, title, date, assembly_id, description) "
         "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO NOTHING",
         "SELECT id FROM side_events WHERE slug = ?1", "SELECT 1 FROM side_events WHERE id = ?1",
         "DELETE FROM side_events WHERE id = ?1", "SELECT count(*) FROM side_events",
         "SELECT 1 FROM side_events LIMIT 1"},
};

/* The assigned ISO 3166-1 alpha-2 codes (249, as in Debian's iso-codes), sorted. */
static const char country_codes[] =
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ "
    "BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM "
    "DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS "
    "GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN "
    "KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ "
    "MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM "
    "PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV "
    "SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI "
    "VN VU WF WS YE YT ZA ZM ZW";

/* Positions of rows moved out of the way while a document reorders a session: a row is
 * "parked" at PARK_BASE + its id (above every real position, unique) and then written with
 * its new position later in the same transaction. */
#define PARK_BASE 1000000000LL

/* Longest JSON pointer built here; problem_error keeps the first 95 bytes. */
#define POINTER_MAX 160

/* ---- Errors and pointers ----------------------------------------------------------------- */

void record_error(struct record_ctx *ctx, enum problem_kind kind, const char *pointer,
                  const char *fmt, ...) {
    char detail[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    ctx->errors++;
    if (ctx->p != NULL)
        problem_pointer(ctx->p, kind, pointer, "%s", detail);
}

void record_db_failed(struct record_ctx *ctx, const char *what) {
    if (!ctx->failed && ctx->db != NULL)
        db_fail(ctx->db, ctx->err, what);
    ctx->failed = 1;
    if (ctx->p != NULL && ctx->p->kind == PROBLEM_NONE)
        problem_set(ctx->p, PROBLEM_INTERNAL, "the database failed while writing the record");
}

/* printf into a buffer for a pointer or a quoted value; text longer than the buffer is cut
 * (a problem keeps fewer bytes of a pointer anyway). */
static void pointer_format(char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void pointer_format(char *out, size_t size, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, size, fmt, ap);
    va_end(ap);
    if (n < 0)
        out[0] = '\0';
}

/* Writes base + "/" + name into out, escaping '~' and '/' in name (RFC 6901). */
static void pointer_join(char *out, size_t size, const char *base, const char *name) {
    pointer_format(out, size, "%s/", base);
    size_t n = strlen(out);
    for (const char *c = name; *c != '\0' && n + 3 < size; c++) {
        if (*c == '~' || *c == '/') {
            out[n++] = '~';
            out[n++] = *c == '~' ? '0' : '1';
        } else {
            out[n++] = *c;
        }
    }
    if (n < size)
        out[n] = '\0';
}

static void pointer_index(char *out, size_t size, const char *base, size_t index) {
    pointer_format(out, size, "%s/%zu", base, index);
}

/* A short quotable form of a string value for messages (at most 60 bytes). */
static const char *quote(const json_t *v, char *buf, size_t size) {
    if (json_is_string(v))
        pointer_format(buf, size, "'%.60s'", json_string_value(v));
    else if (json_is_integer(v))
        pointer_format(buf, size, "%lld", (long long)json_integer_value(v));
    else
        pointer_format(buf, size, "that value");
    return buf;
}

/* ---- Validation of one resource on its own ----------------------------------------------- */

static int is_slug(const char *s, size_t len) {
    if (len == 0 || len > RECORD_MAX_SLUG || s[0] == '-' || s[len - 1] == '-')
        return 0;
    int letter = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c >= 'a' && c <= 'z')
            letter = 1;
        else if (c == '-') {
            if (s[i + 1] == '-')
                return 0;
        } else if (!(c >= '0' && c <= '9'))
            return 0;
    }
    return letter; /* a slug of digits only would read as an id */
}

static int is_date(const char *s, size_t len) {
    static const int days[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (len != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (size_t i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !(s[i] >= '0' && s[i] <= '9'))
            return 0;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > days[m - 1])
        return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return !(m == 2 && d == 29 && !leap);
}

static int is_country(const char *s, size_t len) {
    if (len != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z')
        return 0;
    for (const char *c = country_codes; *c != '\0'; c += 3) {
        if (c[0] == s[0] && c[1] == s[1])
            return 1;
        if (c[2] == '\0')
            break;
    }
    return 0;
}

static int is_url(const char *s, size_t len) {
    size_t scheme = strncmp(s, "https://", 8) == 0 ? 8 : strncmp(s, "http://", 7) == 0 ? 7 : 0;
    if (scheme == 0 || len <= scheme || len > RECORD_MAX_URL)
        return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

/* 1 when the text has something besides whitespace and no control character other than
 * tab and newline. */
static int is_text(const char *s, size_t len) {
    int visible = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
            return 0;
        if (c != ' ' && c != '\t' && c != '\n')
            visible = 1;
    }
    return visible;
}

static int is_id(const json_t *v) {
    return json_is_integer(v) && json_integer_value(v) >= 1 &&
           json_integer_value(v) <= RECORD_MAX_ID;
}

static int is_position(const json_t *v) {
    return json_is_integer(v) && json_integer_value(v) >= 1 &&
           json_integer_value(v) <= RECORD_MAX_POSITION;
}

/* The values of an enumeration as "a, b or c", for messages. */
static const char *enum_list(const char *const *values, char *buf, size_t size) {
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; values[i] != NULL && n + 1 < size; i++) {
        const char *sep = i == 0 ? "" : values[i + 1] == NULL ? " or " : ", ";
        pointer_format(buf + n, size - n, "%s%s", sep, values[i]);
        n += strlen(buf + n);
    }
    return buf;
}

static void validate_object(struct record_ctx *ctx, const struct field *fields, size_t count,
                            const json_t *obj, const char *pointer, const char *what,
                            int id_optional);

/* A reference: the target's slug or its id. */
static void validate_ref(struct record_ctx *ctx, const json_t *v, const char *ptr,
                         enum record_type target) {
    if (json_is_string(v)) {
        if (!is_slug(json_string_value(v), json_string_length(v))) {
            char q[80];
            record_error(ctx, PROBLEM_UNPROCESSABLE, ptr, "%s is not a well-formed %s slug",
                         quote(v, q, sizeof q), type_info[target].name);
        }
    } else if (!is_id(v)) {
        record_error(ctx, PROBLEM_UNPROCESSABLE, ptr,
                     "must be the slug (a string) or the id (an integer) of a %s",
                     type_info[target].name);
    }
}

static void validate_value(struct record_ctx *ctx, const struct field *f, const json_t *v,
                           const char *ptr, int id_optional) {
    char buf[200];
    if (json_is_null(v)) {
        if (!f->nullable && !(f->kind == FK_ID && id_optional))
            record_error(ctx, PROBLEM_UNPROCESSABLE, ptr, "must not be null");
        return;
    }
    const char *s = json_string_value(v); /* NULL unless a string */
    size_t len = s ? json_string_length(v) : 0;
    switch (f->kind) {
    case FK_ID:
        if (!is_id(v))
            record_error(ctx, PROBLEM_UNPROCESSABLE, ptr,
                         "must be an integer from 1 to 9007199254740991");
        return;
    case FK_SLUG:
        if (s == NULL || !is_slug(s, len))
            record_error(ctx, PROBLEM_UNPROCESSABLE, ptr,
                         "must be a slug: lower-case ASCII letters, digits and single inner "
                         "hyphens, with at least one letter, at most %d bytes",
                         RECORD_MAX_SLUG);
        return;
    case FK_TEXT:
        if (s == NULL)
            record_error(ctx, PROBLEM_UNPROCESSABLE, ptr, "must be a string%s",
                         f->nullable ? " or null" : "");
        else if (len > f->max)
            record_error(ctx, PROBLEM_UNPROCESSABLE, ptr, "must be at most %zu bytes long", f->max);
        else if (!is_text(s, len))
            record_error(ctx, PROBLEM_UNPROCESSABLE, ptr,
                         "must have visible text and no control characters%s",
                         f->nullable ? " (null when there is none)" : "");
        return;
    case FK_DATE:
        if (s == NULL || !is_date(s, len))
            record_error(ctx, PROBLEM_UNPROCESSABLE, ptr,
                         "must be a real calendar date written YYYY-MM-DD");
        return;
    case FK_ENUM:
        for (size_t i = 0; s != NULL && f->values[i] != NULL; i++)
            if (strcmp(s, f->values[i]) == 0)
                return;
        record_error(ctx, PROBLEM_UNPROCESSABLE, ptr, "must be %s%s",
                     enum_list(f->values, buf, sizeof buf), f->nullable ? " or null" : "");
        return;
    case FK_COUNTRY:
        if (s == NULL || !is_country(s, len))
            record_error(ctx, PROBLEM_UNPROCESSABLE, ptr,
                         "must be an assigned ISO 3166-1 alpha-2 code in upper case, or null");
        return;
    case FK_URL:
        if (s == NULL || !is_url(s, len))
            record_error(ctx, PROBLEM_UNPROCESSABLE, ptr,
                         "must be an http or https URL without spaces, at most %d bytes, "
                         "or null",
                         RECORD_MAX_URL);
        return;
    case FK_BOOL:
        if (!json_is_boolean(v))
            record_error(ctx, PROBLEM_UNPROCESSABLE, ptr, "must be true or false");
        return;
    case FK_POSITION:
    case FK_SEGMENT:
        if (!is_position(v))
            record_error(ctx, PROBLEM_UNPROCESSABLE, ptr, "must be an integer from 1 to %d%s",
                         RECORD_MAX_POSITION, f->nullable ? ", or null" : "");
        return;
    case FK_REF:
        validate_ref(ctx, v, ptr, f->target);
        return;
    case FK_REFS:
    case FK_ITEMS:
    case FK_SEGMENTS:
        break;
    }
    if (!json_is_array(v)) {
        record_error(ctx, PROBLEM_UNPROCESSABLE, ptr, "must be a list ([] when empty)");
        return;
    }
    if (json_array_size(v) > RECORD_MAX_LIST) {
        record_error(ctx, PROBLEM_UNPROCESSABLE, ptr, "must have at most %d items",
                     RECORD_MAX_LIST);
        return;
    }
    char item_ptr[POINTER_MAX];
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item) {
        pointer_index(item_ptr, sizeof item_ptr, ptr, i);
        if (f->kind == FK_REFS) {
            validate_ref(ctx, item, item_ptr, f->target);
            /* the same reference twice, written the same way; a slug and an id of one
             * resource are caught when references are resolved */
            for (size_t j = 0; j < i; j++)
                if (json_equal(item, json_array_get(v, j))) {
                    record_error(ctx, PROBLEM_UNPROCESSABLE, item_ptr, "repeats item %zu", j);
                    break;
                }
        } else {
            validate_object(ctx, f->items, f->item_count, item, item_ptr,
                            f->kind == FK_SEGMENTS ? "segment" : f->name, id_optional);
        }
    }
    if (f->kind != FK_SEGMENTS)
        return;
    /* segment positions and ids are unique within their session */
    json_array_foreach(v, i, item) {
        const json_t *pos = json_object_get(item, "position");
        const json_t *id = json_object_get(item, "id");
        for (size_t j = 0; j < i; j++) {
            const json_t *other = json_array_get(v, j);
            if (is_position(pos) && json_equal(pos, json_object_get(other, "position"))) {
                pointer_index(item_ptr, sizeof item_ptr, ptr, i);
                pointer_join(buf, sizeof buf, item_ptr, "position");
                record_error(ctx, PROBLEM_UNPROCESSABLE, buf,
                             "position %lld is also the position of segment %zu",
                             (long long)json_integer_value(pos), j);
            }
            if (is_id(id) && json_equal(id, json_object_get(other, "id"))) {
                pointer_index(item_ptr, sizeof item_ptr, ptr, i);
                pointer_join(buf, sizeof buf, item_ptr, "id");
                record_error(ctx, PROBLEM_UNPROCESSABLE, buf,
                             "id %lld is also the id of segment %zu",
                             (long long)json_integer_value(id), j);
            }
        }
    }
}

static void validate_object(struct record_ctx *ctx, const struct field *fields, size_t count,
                            const json_t *obj, const char *pointer, const char *what,
                            int id_optional) {
    char ptr[POINTER_MAX];
    if (!json_is_object(obj)) {
        record_error(ctx, PROBLEM_UNPROCESSABLE, pointer, "must be an object (a %s)", what);
        return;
    }
    for (size_t i = 0; i < count; i++) {
        const json_t *v = json_object_get(obj, fields[i].name);
        pointer_join(ptr, sizeof ptr, pointer, fields[i].name);
        if (v == NULL) {
            if (!(fields[i].kind == FK_ID && id_optional))
                record_error(ctx, PROBLEM_UNPROCESSABLE, ptr,
                             "is missing: a %s carries every field, null or [] when empty", what);
            continue;
        }
        validate_value(ctx, &fields[i], v, ptr, id_optional);
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        size_t i = 0;
        while (i < count && strcmp(fields[i].name, key) != 0)
            i++;
        if (i == count) {
            pointer_join(ptr, sizeof ptr, pointer, key);
            record_error(ctx, PROBLEM_UNPROCESSABLE, ptr, "is not a field of a %s", what);
        }
    }
}

/* Rules that tie two fields of one resource together. Run only on an object whose fields are
 * each valid. */
static void validate_rules(struct record_ctx *ctx, enum record_type type, const json_t *obj,
                           const char *pointer) {
    char ptr[POINTER_MAX];
    switch (type) {
    case RECORD_ASSEMBLY:
        if (strcmp(json_string_value(json_object_get(obj, "end_date")),
                   json_string_value(json_object_get(obj, "start_date"))) < 0) {
            pointer_join(ptr, sizeof ptr, pointer, "end_date");
            record_error(ctx, PROBLEM_UNPROCESSABLE, ptr, "must not be before start_date");
        }
        break;
    case RECORD_ORGANIZATION: {
        const char *kind = json_string_value(json_object_get(obj, "kind"));
        if (!json_is_null(json_object_get(obj, "country_code")) && strcmp(kind, "state") != 0) {
            pointer_join(ptr, sizeof ptr, pointer, "country_code");
            record_error(ctx, PROBLEM_UNPROCESSABLE, ptr,
                         "only states carry a country code (this organization is a %s)", kind);
        }
        break;
    }
    case RECORD_INTERVENTION:
        if (json_is_null(json_object_get(obj, "speaker")) &&
            json_is_null(json_object_get(obj, "organization"))) {
            pointer_join(ptr, sizeof ptr, pointer, "speaker");
            record_error(ctx, PROBLEM_UNPROCESSABLE, ptr,
                         "an intervention needs a speaker, an organization, or both");
        }
        break;
    default:
        break;
    }
}

static int validate(struct record_ctx *ctx, enum record_type type, const json_t *obj,
                    const char *pointer) {
    assert(type >= 0 && type < RECORD_TYPE_COUNT);
    size_t before = ctx->errors;
    validate_object(ctx, type_fields[type].fields, type_fields[type].count, obj, pointer,
                    type_info[type].name, (ctx->flags & RECORD_ID_OPTIONAL) != 0);
    if (ctx->errors == before)
        validate_rules(ctx, type, obj, pointer);
    return ctx->errors == before ? 0 : -1;
}

int record_validate(enum record_type type, const json_t *obj, unsigned flags, struct problem *p,
                    const char *pointer) {
    struct record_ctx ctx = {.flags = flags, .p = p};
    return validate(&ctx, type, obj, pointer ? pointer : "");
}

/* ---- First pass of an import: ids, slugs and segments of the document -------------------- */

void record_collect(struct record_ctx *ctx, enum record_type type, const json_t *obj,
                    size_t index) {
    assert(ctx->doc != NULL);
    struct record_doc *doc = ctx->doc;
    const char *member = type_info[type].member;
    char pointer[POINTER_MAX], ptr[POINTER_MAX];
    pointer_format(pointer, sizeof pointer, "/%s/%zu", member, index);
    if (validate(ctx, type, obj, pointer) != 0)
        return;
    int64_t id = json_integer_value(json_object_get(obj, "id"));
    int64_t other;
    if (imap_get(&doc->ids[type], id, 0, &other)) {
        pointer_join(ptr, sizeof ptr, pointer, "id");
        record_error(ctx, PROBLEM_UNPROCESSABLE, ptr, "id %lld is also the id of /%s/%lld",
                     (long long)id, member, (long long)other);
        return;
    }
    if (imap_put(&doc->ids[type], id, 0, (int64_t)index) < 0)
        goto oom;
    if (type_info[type].has_slug) {
        const json_t *slug = json_object_get(obj, "slug");
        if (smap_get(&doc->slugs[type], json_string_value(slug), json_string_length(slug),
                     &other)) {
            pointer_join(ptr, sizeof ptr, pointer, "slug");
            record_error(ctx, PROBLEM_UNPROCESSABLE, ptr,
                         "'%s' is also the slug of the %s with id %lld", json_string_value(slug),
                         type_info[type].name, (long long)other);
            return;
        }
        if (smap_put(&doc->slugs[type], json_string_value(slug), json_string_length(slug), id) < 0)
            goto oom;
    }
    if (type != RECORD_SESSION)
        return;
    size_t i;
    json_t *seg;
    json_array_foreach(json_object_get(obj, "segments"), i, seg) {
        int64_t seg_id = json_integer_value(json_object_get(seg, "id"));
        int64_t position = json_integer_value(json_object_get(seg, "position"));
        if (imap_get(&doc->segment_ids, seg_id, 0, &other)) {
            pointer_format(ptr, sizeof ptr, "%s/segments/%zu/id", pointer, i);
            record_error(ctx, PROBLEM_UNPROCESSABLE, ptr,
                         "segment id %lld is also a segment of the session with id %lld",
                         (long long)seg_id, (long long)other);
            continue;
        }
        if (imap_put(&doc->segment_ids, seg_id, 0, id) < 0 ||
            imap_put(&doc->segments, id, position, seg_id) < 0)
            goto oom;
    }
    return;
oom:
    db_error_set(ctx->err, -1, "out of memory");
    ctx->failed = 1;
    if (ctx->p != NULL)
        problem_set(ctx->p, PROBLEM_INTERNAL, "out of memory while reading the document");
}

/* ---- Resolution of references ------------------------------------------------------------ */

/* 1 when the document being imported holds the resource (type, id). */
static int in_doc(const struct record_ctx *ctx, enum record_type type, int64_t id) {
    return ctx->doc != NULL && imap_get(&ctx->doc->ids[type], id, 0, NULL);
}

/* Runs a cached one-row query with integer parameters (count of them, up to 3) and returns
 * 1 with the first column in *out, 0 when there is no row, -1 on failure (recorded). */
static int query_int(struct record_ctx *ctx, const char *sql, int count, int64_t a, int64_t b,
                     int64_t c, int64_t *out) {
    sqlite3_stmt *stmt = db_prepare(ctx->db, sql);
    if (stmt == NULL) {
        record_db_failed(ctx, "prepare");
        return -1;
    }
    int64_t args[3] = {a, b, c};
    for (int i = 0; i < count; i++)
        if (sqlite3_bind_int64(stmt, i + 1, args[i]) != SQLITE_OK) {
            db_done(stmt);
            record_db_failed(ctx, "bind");
            return -1;
        }
    int rc = sqlite3_step(stmt);
    int found = rc == SQLITE_ROW;
    if (found && out != NULL)
        *out = sqlite3_column_int64(stmt, 0);
    db_done(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        record_db_failed(ctx, sql);
        return -1;
    }
    return found;
}

/* The id of the resource of `type` with this slug in the database, 0 when none, -1 on
 * failure. */
static int64_t db_id_by_slug(struct record_ctx *ctx, enum record_type type, const char *slug,
                             size_t len) {
    sqlite3_stmt *stmt = db_prepare(ctx->db, type_sql[type].by_slug);
    if (stmt == NULL || sqlite3_bind_text(stmt, 1, slug, (int)len, SQLITE_STATIC) != SQLITE_OK) {
        db_done(stmt);
        record_db_failed(ctx, "slug lookup");
        return -1;
    }
    int rc = sqlite3_step(stmt);
    int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
    db_done(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        record_db_failed(ctx, "slug lookup");
        return -1;
    }
    return id;
}

/* Resolves a reference (slug or id, already well-formed) to an id: first in the document,
 * then in the database (a database resource the document gives another slug does not count:
 * after the import that slug is gone). Returns the id, 0 after an input error, -1 on a
 * database failure. */
static int64_t resolve_ref(struct record_ctx *ctx, enum record_type target, const json_t *v,
                           const char *ptr) {
    int64_t id = 0;
    if (json_is_string(v)) {
        const char *slug = json_string_value(v);
        size_t len = json_string_length(v);
        if (ctx->doc != NULL && smap_get(&ctx->doc->slugs[target], slug, len, &id))
            return id;
        id = db_id_by_slug(ctx, target, slug, len);
        if (id < 0)
            return -1;
        if (id > 0 && !in_doc(ctx, target, id))
            return id;
        record_error(ctx, PROBLEM_UNPROCESSABLE, ptr, "no %s with slug '%s'",
                     type_info[target].name, slug);
        return 0;
    }
    id = json_integer_value(v);
    if (in_doc(ctx, target, id))
        return id;
    int found = query_int(ctx, type_sql[target].exists, 1, id, 0, 0, NULL);
    if (found < 0)
        return -1;
    if (found)
        return id;
    record_error(ctx, PROBLEM_UNPROCESSABLE, ptr, "no %s with id %lld", type_info[target].name,
                 (long long)id);
    return 0;
}

/* ---- Writing ------------------------------------------------------------------------------ */

/* A scalar value ready to bind. */
struct value {
    int null;      /* bind NULL */
    int64_t i;     /* an integer: id, position, boolean, resolved reference */
    const char *s; /* text borrowed from the JSON object, or NULL for an integer */
    size_t len;    /* bytes of s */
};

static int list_push(struct record_list *l, struct record_item item) {
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct record_item *items = realloc(l->items, cap * sizeof *items);
        if (items == NULL)
            return -1;
        l->items = items;
        l->cap = cap;
    }
    l->items[l->count++] = item;
    return 0;
}

static int text_equal(const char *a, const char *b) {
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Turns a constraint failure of SQLite into an input error at the resource (the validation
 * should have caught it first; this is the database guarding the data). Anything else is a
 * database failure. */
static void write_failed(struct record_ctx *ctx, const char *pointer, const char *what) {
    int code = sqlite3_extended_errcode(db_handle(ctx->db));
    const char *msg = sqlite3_errmsg(db_handle(ctx->db));
    char ptr[POINTER_MAX];
    if ((code & 0xff) != SQLITE_CONSTRAINT) {
        record_db_failed(ctx, what);
        return;
    }
    if (strstr(msg, "parent cycle") != NULL) {
        pointer_join(ptr, sizeof ptr, pointer, "parent");
        record_error(ctx, PROBLEM_UNPROCESSABLE, ptr, "makes an organization its own ancestor");
    } else if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY) {
        record_error(ctx, PROBLEM_CONFLICT, pointer,
                     "conflicts with another resource (a slug or position is taken)");
    } else if (code == SQLITE_CONSTRAINT_FOREIGNKEY) {
        record_error(ctx, PROBLEM_CONFLICT, pointer,
                     "refers to a resource that does not exist, or is still referred to");
    } else {
        record_error(ctx, PROBLEM_UNPROCESSABLE, pointer, "is refused by the database (%s)", what);
    }
}

/* Runs a cached statement that returns no row, with integer parameters. Returns the number
 * of rows changed, or -1 after a failure (recorded against pointer). */
static int exec_ints(struct record_ctx *ctx, const char *sql, const char *pointer, int count,
                     int64_t a, int64_t b) {
    sqlite3_stmt *stmt = db_prepare(ctx->db, sql);
    if (stmt == NULL) {
        record_db_failed(ctx, "prepare");
        return -1;
    }
    if ((count > 0 && sqlite3_bind_int64(stmt, 1, a) != SQLITE_OK) ||
        (count > 1 && sqlite3_bind_int64(stmt, 2, b) != SQLITE_OK)) {
        db_done(stmt);
        record_db_failed(ctx, "bind");
        return -1;
    }
    int rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE) {
        write_failed(ctx, pointer, sql);
        db_done(stmt);
        return -1;
    }
    db_done(stmt);
    return sqlite3_changes(db_handle(ctx->db));
}

/* Writes the scalars of a resource: update when it exists and differs, insert when it does
 * not (only insert when `is_new`: the caller knows it does not exist). vals[0] is the id
 * (null: the database picks one, stored back in vals[0].i). */
static int write_scalars(struct record_ctx *ctx, enum record_type type, struct value *vals,
                         size_t count, int is_new, const char *pointer,
                         enum record_outcome *outcome) {
    const char *sqls[2] = {type_sql[type].update, type_sql[type].insert};
    for (int step = vals[0].null || is_new ? 1 : 0; step < 2; step++) {
        sqlite3_stmt *stmt = db_prepare(ctx->db, sqls[step]);
        if (stmt == NULL) {
            record_db_failed(ctx, "prepare");
            return -1;
        }
        for (size_t i = 0; i < count; i++) {
            int rc = vals[i].null ? sqlite3_bind_null(stmt, (int)i + 1)
                     : vals[i].s  ? sqlite3_bind_text(stmt, (int)i + 1, vals[i].s, (int)vals[i].len,
                                                      SQLITE_STATIC)
                                  : sqlite3_bind_int64(stmt, (int)i + 1, vals[i].i);
            if (rc != SQLITE_OK) {
                db_done(stmt);
                record_db_failed(ctx, "bind");
                return -1;
            }
        }
        if (sqlite3_step(stmt) != SQLITE_DONE) {
            write_failed(ctx, pointer, step == 0 ? "update" : "insert");
            db_done(stmt);
            return -1;
        }
        db_done(stmt);
        if (sqlite3_changes(db_handle(ctx->db)) > 0) {
            *outcome = step == 0 ? RECORD_UPDATED : RECORD_CREATED;
            if (vals[0].null) {
                vals[0].null = 0;
                vals[0].i = sqlite3_last_insert_rowid(db_handle(ctx->db));
            }
            return 0;
        }
    }
    *outcome = RECORD_UNCHANGED;
    return 0;
}

/* 1 when the database's list of parent equals `list`, 0 when not, -1 on failure. The texts
 * are compared while each row is current (SQLite owns them only until the next step). */
static int list_unchanged(struct record_ctx *ctx, const struct link *link, int64_t parent,
                          const struct record_list *list) {
    sqlite3_stmt *stmt = db_prepare(ctx->db, link->select);
    if (stmt == NULL || sqlite3_bind_int64(stmt, 1, parent) != SQLITE_OK) {
        db_done(stmt);
        record_db_failed(ctx, "reading a list");
        return -1;
    }
    size_t n = 0;
    int same = 1, rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (n >= list->count || sqlite3_column_int64(stmt, 0) != list->items[n].id ||
            !text_equal((const char *)sqlite3_column_text(stmt, 1), list->items[n].text)) {
            same = 0;
            break;
        }
        n++;
    }
    if (same && rc == SQLITE_DONE && n != list->count)
        same = 0;
    db_done(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        record_db_failed(ctx, "reading a list");
        return -1;
    }
    return same;
}

/* Writes one list of a resource: for a new resource, its rows; for an existing one, only
 * when the list differs (then the whole list is replaced). Sets *changed. */
static int write_list(struct record_ctx *ctx, const struct link *link, int64_t parent, int created,
                      const struct record_list *list, const char *pointer, int *changed) {
    *changed = 0;
    if (!created) {
        int same = list_unchanged(ctx, link, parent, list);
        if (same < 0)
            return -1;
        if (same)
            return 0;
        if (exec_ints(ctx, link->remove, pointer, 1, parent, 0) < 0)
            return -1;
    }
    for (size_t i = 0; i < list->count; i++) {
        sqlite3_stmt *stmt = db_prepare(ctx->db, link->insert);
        if (stmt == NULL) {
            record_db_failed(ctx, "prepare");
            return -1;
        }
        int rc = sqlite3_bind_int64(stmt, 1, parent);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(stmt, 2, (int64_t)i + 1);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(stmt, 3, list->items[i].id);
        if (rc == SQLITE_OK && link->has_extra)
            rc = list->items[i].text
                     ? sqlite3_bind_text(stmt, 4, list->items[i].text, -1, SQLITE_STATIC)
                     : sqlite3_bind_null(stmt, 4);
        if (rc != SQLITE_OK) {
            db_done(stmt);
            record_db_failed(ctx, "bind");
            return -1;
        }
        if (sqlite3_step(stmt) != SQLITE_DONE) {
            write_failed(ctx, pointer, "list");
            db_done(stmt);
            return -1;
        }
        db_done(stmt);
    }
    *changed = list->count > 0 || !created;
    return 0;
}

/* Moves the row holding a unique position out of the way, or reports it as a conflict.
 * `occupant` holds (key...) -> id; the row moves when the document (or, for segments, the
 * session being written) will write it again or delete it. Returns 0 or -1. */
static int clear_position(struct record_ctx *ctx, enum record_type type, int64_t self,
                          int64_t occupant, const char *ptr, const char *what) {
    static const char *const park[RECORD_TYPE_COUNT] = {
        [RECORD_SESSION] = "UPDATE sessions SET position = ?2 WHERE id = ?1",
        [RECORD_INTERVENTION] = "UPDATE interventions SET position = ?2 WHERE id = ?1",
    };
    if (occupant == self)
        return 0;
    if (!in_doc(ctx, type, occupant)) {
        record_error(ctx, PROBLEM_CONFLICT, ptr, "%s is taken by the %s with id %lld", what,
                     type_info[type].name, (long long)occupant);
        return -1;
    }
    if (ctx->errors > 0)
        return 0;
    return exec_ints(ctx, park[type], ptr, 2, occupant, PARK_BASE + occupant) < 0 ? -1 : 0;
}

/* The unique-position key of a session (assembly, date, position) folded into a pair. */
static int64_t session_day_key(const char *date, int64_t position) {
    int64_t y =
        (date[0] - '0') * 1000 + (date[1] - '0') * 100 + (date[2] - '0') * 10 + (date[3] - '0');
    int64_t m = (date[5] - '0') * 10 + (date[6] - '0');
    int64_t d = (date[8] - '0') * 10 + (date[9] - '0');
    return ((y * 13 + m) * 32 + d) * (RECORD_MAX_POSITION + 1) + position;
}

/* Writes a session's segments: each matched by id (or new), positions cleared first; the
 * segments the session no longer lists are deleted now (one API write) or at the end of
 * the import (record_finish), once interventions have moved off them. */
static int write_segments(struct record_ctx *ctx, int64_t session, int created,
                          const struct record_list *list, const char *pointer, size_t index,
                          int *changed);

/* Checks that no segment of the list belongs to another session in the database. */
static int check_segments(struct record_ctx *ctx, int64_t session, const json_t *segs,
                          const char *pointer) {
    size_t i;
    json_t *seg;
    char ptr[POINTER_MAX];
    json_array_foreach(segs, i, seg) {
        const json_t *id = json_object_get(seg, "id");
        if (!json_is_integer(id))
            continue;
        int64_t owner = 0;
        int found = query_int(ctx, "SELECT session_id FROM segments WHERE id = ?1", 1,
                              json_integer_value(id), 0, 0, &owner);
        if (found < 0)
            return -1;
        if (found && owner != session) {
            pointer_format(ptr, sizeof ptr, "%s/segments/%zu/id", pointer, i);
            record_error(ctx, PROBLEM_CONFLICT, ptr,
                         "segment %lld is a segment of the session with id %lld",
                         (long long)json_integer_value(id), (long long)owner);
        }
    }
    return 0;
}

int record_write(struct record_ctx *ctx, enum record_type type, const json_t *obj, size_t index,
                 int64_t *id_out, enum record_outcome *outcome) {
    assert(ctx->db != NULL && type >= 0 && type < RECORD_TYPE_COUNT);
    const struct field *fields = type_fields[type].fields;
    size_t count = type_fields[type].count;
    assert(count <= MAX_FIELDS);
    struct value vals[MAX_FIELDS] = {{0}};
    size_t nvals = 0;
    size_t nlists = 0;
    const struct field *list_fields[RECORD_MAX_LISTS];
    char pointer[POINTER_MAX], ptr[POINTER_MAX], q[80];
    if (ctx->doc != NULL)
        pointer_format(pointer, sizeof pointer, "/%s/%zu", type_info[type].member, index);
    else
        pointer[0] = '\0';
    size_t errors_before = ctx->errors;
    int64_t session_id = 0; /* an intervention's session, once resolved */

    /* 1. resolve every field into vals (scalars) and ctx->lists (lists) */
    for (size_t i = 0; i < count; i++) {
        const struct field *f = &fields[i];
        const json_t *v = json_object_get(obj, f->name);
        pointer_join(ptr, sizeof ptr, pointer, f->name);
        if (f->kind == FK_REFS || f->kind == FK_ITEMS || f->kind == FK_SEGMENTS) {
            assert(nlists < RECORD_MAX_LISTS);
            struct record_list *l = &ctx->lists[nlists];
            list_fields[nlists++] = f;
            l->count = 0;
            size_t k;
            json_t *item;
            char item_ptr[POINTER_MAX], sub[POINTER_MAX];
            json_array_foreach(v, k, item) {
                struct record_item it = {0};
                pointer_index(item_ptr, sizeof item_ptr, ptr, k);
                if (f->kind == FK_SEGMENTS) {
                    const json_t *sid = json_object_get(item, "id");
                    it.id = json_is_integer(sid) ? json_integer_value(sid) : 0;
                    it.position = json_integer_value(json_object_get(item, "position"));
                    it.text = json_string_value(json_object_get(item, "title"));
                    it.text2 = json_string_value(json_object_get(item, "summary"));
                } else {
                    const json_t *ref =
                        f->kind == FK_REFS ? item : json_object_get(item, f->items[0].name);
                    if (f->kind == FK_ITEMS)
                        pointer_join(sub, sizeof sub, item_ptr, f->items[0].name);
                    int64_t target =
                        resolve_ref(ctx, f->kind == FK_REFS ? f->target : f->items[0].target, ref,
                                    f->kind == FK_REFS ? item_ptr : sub);
                    if (target < 0)
                        return -1;
                    it.id = target;
                    if (f->kind == FK_ITEMS)
                        it.text = json_string_value(json_object_get(item, f->items[1].name));
                    /* the same resource twice (e.g. once by slug, once by id); affiliations
                     * may repeat an organization with another title */
                    for (size_t j = 0; target > 0 && f->link != LINK_AFFILIATIONS && j < l->count;
                         j++)
                        if (l->items[j].id == target) {
                            record_error(
                                ctx, PROBLEM_UNPROCESSABLE, f->kind == FK_REFS ? item_ptr : sub,
                                "names the same %s as item %zu",
                                type_info[f->kind == FK_REFS ? f->target : f->items[0].target].name,
                                j);
                            break;
                        }
                }
                if (list_push(l, it) != 0) {
                    record_db_failed(ctx, "out of memory");
                    return -1;
                }
            }
            continue;
        }
        struct value *val = &vals[nvals++];
        *val = (struct value){0};
        if (v == NULL || json_is_null(v)) {
            val->null = 1;
            continue;
        }
        switch (f->kind) {
        case FK_REF: {
            int64_t target = resolve_ref(ctx, f->target, v, ptr);
            if (target < 0)
                return -1;
            val->i = target;
            if (type == RECORD_INTERVENTION && f->target == RECORD_SESSION)
                session_id = target;
            break;
        }
        case FK_BOOL:
            val->i = json_is_true(v);
            break;
        case FK_SEGMENT: {
            /* the segment at this position of the intervention's session: the document's
             * segments when the document holds the session, else the database's */
            int64_t position = json_integer_value(v), seg = 0;
            if (session_id <= 0)
                break;
            if (in_doc(ctx, RECORD_SESSION, session_id)) {
                if (!imap_get(&ctx->doc->segments, session_id, position, &seg))
                    seg = 0;
            } else {
                int found = query_int(ctx,
                                      "SELECT id FROM segments WHERE session_id = ?1 "
                                      "AND position = ?2",
                                      2, session_id, position, 0, &seg);
                if (found < 0)
                    return -1;
            }
            if (seg == 0)
                record_error(ctx, PROBLEM_UNPROCESSABLE, ptr,
                             "the session %s has no segment at position %lld",
                             quote(json_object_get(obj, "session"), q, sizeof q),
                             (long long)position);
            val->i = seg;
            break;
        }
        default:
            if (json_is_string(v)) {
                val->s = json_string_value(v);
                val->len = json_string_length(v);
            } else {
                val->i = json_integer_value(v);
            }
            break;
        }
    }
    int64_t id = vals[0].null ? 0 : vals[0].i;

    /* 2. what uniqueness asks of the database and the document */
    if (type_info[type].has_slug && ctx->errors == errors_before && !ctx->fresh[type]) {
        int64_t owner = db_id_by_slug(ctx, type, vals[1].s, vals[1].len);
        if (owner < 0)
            return -1;
        if (owner > 0 && owner != id) {
            pointer_join(ptr, sizeof ptr, pointer, "slug");
            record_error(ctx, PROBLEM_CONFLICT, ptr, "'%s' is the slug of the %s with id %lld",
                         vals[1].s, type_info[type].name, (long long)owner);
        }
    }
    /* sessions: (assembly, date, position) = vals 2, 3, 8; interventions: (session,
     * position) = vals 1, 3. Duplicates within the document are looked for whenever the key
     * resolved; the database's occupant only when the resource is otherwise valid. */
    int64_t key_a = type == RECORD_SESSION ? vals[2].i : vals[1].i;
    if ((type == RECORD_SESSION || type == RECORD_INTERVENTION) && key_a > 0) {
        int64_t a = key_a;
        int64_t b = type == RECORD_SESSION ? session_day_key(vals[3].s, vals[8].i) : vals[3].i;
        int64_t other;
        pointer_join(ptr, sizeof ptr, pointer, "position");
        if (ctx->doc != NULL) {
            if (imap_get(&ctx->doc->keys[type], a, b, &other)) {
                record_error(ctx, PROBLEM_UNPROCESSABLE, ptr,
                             type == RECORD_SESSION
                                 ? "is also the position of /sessions/%lld on that day"
                                 : "is also the position of /interventions/%lld in that "
                                   "session",
                             (long long)other);
            } else if (imap_put(&ctx->doc->keys[type], a, b, (int64_t)index) < 0) {
                record_db_failed(ctx, "out of memory");
                return -1;
            }
        }
        int64_t occupant = 0;
        int found = 0;
        if (ctx->errors != errors_before || ctx->fresh[type]) {
            /* not looked up: the resource is reported already, or the table held nothing
             * but this document's rows, whose keys the document map checked */
        } else if (type == RECORD_SESSION) {
            /* the date is text: bind it by hand */
            sqlite3_stmt *stmt = db_prepare(ctx->db, "SELECT id FROM sessions WHERE "
                                                     "assembly_id = ?1 AND date = ?2 AND "
                                                     "position = ?3");
            found = -1;
            if (stmt != NULL && sqlite3_bind_int64(stmt, 1, vals[2].i) == SQLITE_OK &&
                sqlite3_bind_text(stmt, 2, vals[3].s, (int)vals[3].len, SQLITE_STATIC) ==
                    SQLITE_OK &&
                sqlite3_bind_int64(stmt, 3, vals[8].i) == SQLITE_OK) {
                int rc = sqlite3_step(stmt);
                if (rc == SQLITE_ROW) {
                    occupant = sqlite3_column_int64(stmt, 0);
                    found = 1;
                } else if (rc == SQLITE_DONE) {
                    found = 0;
                }
            }
            db_done(stmt);
            if (found < 0) {
                record_db_failed(ctx, "position lookup");
                return -1;
            }
        } else {
            found = query_int(ctx,
                              "SELECT id FROM interventions WHERE session_id = ?1 AND "
                              "position = ?2",
                              2, a, b, 0, &occupant);
            if (found < 0)
                return -1;
        }
        if (found && ctx->errors == errors_before &&
            clear_position(ctx, type, id, occupant, ptr,
                           type == RECORD_SESSION ? "this position on that day"
                                                  : "this position in that session") < 0 &&
            ctx->failed)
            return -1;
    }
    if (type == RECORD_SESSION && ctx->errors == errors_before && !ctx->fresh[type] &&
        check_segments(ctx, id, json_object_get(obj, "segments"), pointer) < 0)
        return -1;

    /* 3. write, unless an error was found (then only keep checking) */
    if (ctx->errors > 0)
        return -1;
    enum record_outcome out;
    if (write_scalars(ctx, type, vals, nvals, ctx->fresh[type], pointer, &out) != 0)
        return -1;
    id = vals[0].i;
    for (size_t k = 0; k < nlists; k++) {
        int changed = 0;
        pointer_join(ptr, sizeof ptr, pointer, list_fields[k]->name);
        int rc = list_fields[k]->kind == FK_SEGMENTS
                     ? write_segments(ctx, id, out == RECORD_CREATED, &ctx->lists[k], pointer,
                                      index, &changed)
                     : write_list(ctx, &links[list_fields[k]->link], id, out == RECORD_CREATED,
                                  &ctx->lists[k], ptr, &changed);
        if (rc != 0)
            return -1;
        if (changed && out == RECORD_UNCHANGED)
            out = RECORD_UPDATED;
    }
    *id_out = id;
    *outcome = out;
    return 0;
}

/* Deletes the segments of session that `keep` (segment id -> session id) does not list for
 * it; a segment still referred to by an intervention is an error at pointer. */
static int remove_segments(struct record_ctx *ctx, int64_t session, const struct imap *keep,
                           const char *pointer) {
    ctx->old.count = 0;
    sqlite3_stmt *stmt =
        db_prepare(ctx->db, "SELECT id, position FROM segments WHERE session_id = ?1");
    if (stmt == NULL || sqlite3_bind_int64(stmt, 1, session) != SQLITE_OK) {
        db_done(stmt);
        record_db_failed(ctx, "reading segments");
        return -1;
    }
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        int64_t seg = sqlite3_column_int64(stmt, 0), owner;
        if (imap_get(keep, seg, 0, &owner) && owner == session)
            continue;
        struct record_item it = {.id = seg, .position = sqlite3_column_int64(stmt, 1)};
        if (list_push(&ctx->old, it) != 0) {
            db_done(stmt);
            record_db_failed(ctx, "out of memory");
            return -1;
        }
    }
    db_done(stmt);
    if (rc != SQLITE_DONE) {
        record_db_failed(ctx, "reading segments");
        return -1;
    }
    char ptr[POINTER_MAX];
    pointer_join(ptr, sizeof ptr, pointer, "segments");
    for (size_t i = 0; i < ctx->old.count; i++) {
        int64_t user = 0;
        int found = query_int(ctx, "SELECT id FROM interventions WHERE segment_id = ?1 LIMIT 1", 1,
                              ctx->old.items[i].id, 0, 0, &user);
        if (found < 0)
            return -1;
        if (found) {
            record_error(ctx, PROBLEM_CONFLICT, ptr,
                         "drops segment %lld, to which the intervention with id %lld still "
                         "belongs",
                         (long long)ctx->old.items[i].id, (long long)user);
            continue;
        }
        if (ctx->errors == 0 && exec_ints(ctx, "DELETE FROM segments WHERE id = ?1", ptr, 1,
                                          ctx->old.items[i].id, 0) < 0)
            return -1;
    }
    return ctx->errors > 0 ? -1 : 0;
}

static int write_segments(struct record_ctx *ctx, int64_t session, int created,
                          const struct record_list *list, const char *pointer, size_t index,
                          int *changed) {
    char ptr[POINTER_MAX];
    struct imap own = {0}; /* one API write: the segments this session keeps */
    int result = -1;
    *changed = 0;
    for (size_t i = 0; i < list->count; i++) {
        const struct record_item *seg = &list->items[i];
        pointer_format(ptr, sizeof ptr, "%s/segments/%zu", pointer, i);
        if (!created) {
            int64_t occupant = 0;
            int found = query_int(ctx,
                                  "SELECT id FROM segments WHERE session_id = ?1 AND "
                                  "position = ?2",
                                  2, session, seg->position, 0, &occupant);
            if (found < 0)
                goto done;
            /* whoever holds the position moves: to its own new position, or out (dropped) */
            if (found && occupant != seg->id &&
                exec_ints(ctx, "UPDATE segments SET position = ?2 WHERE id = ?1", ptr, 2, occupant,
                          PARK_BASE + occupant) < 0)
                goto done;
        }
        int rows = 0;
        for (int step = seg->id > 0 && !created ? 0 : 1; step < 2 && rows == 0; step++) {
            static const char *const sql[2] = {
                "UPDATE segments SET position = ?3, title = ?4, summary = ?5 WHERE id = ?1 "
                "AND session_id = ?2 AND (position IS NOT ?3 OR title IS NOT ?4 "
                "OR summary IS NOT ?5)",
                "INSERT INTO segments (id, session_id, position, title, summary) "
                "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO NOTHING"};
            sqlite3_stmt *stmt = db_prepare(ctx->db, sql[step]);
            int rc = stmt ? SQLITE_OK : SQLITE_ERROR;
            if (rc == SQLITE_OK)
                rc =
                    seg->id > 0 ? sqlite3_bind_int64(stmt, 1, seg->id) : sqlite3_bind_null(stmt, 1);
            if (rc == SQLITE_OK)
                rc = sqlite3_bind_int64(stmt, 2, session);
            if (rc == SQLITE_OK)
                rc = sqlite3_bind_int64(stmt, 3, seg->position);
            if (rc == SQLITE_OK)
                rc = sqlite3_bind_text(stmt, 4, seg->text, -1, SQLITE_STATIC);
            if (rc == SQLITE_OK)
                rc = seg->text2 ? sqlite3_bind_text(stmt, 5, seg->text2, -1, SQLITE_STATIC)
                                : sqlite3_bind_null(stmt, 5);
            if (rc != SQLITE_OK) {
                db_done(stmt);
                record_db_failed(ctx, "segment");
                goto done;
            }
            if (sqlite3_step(stmt) != SQLITE_DONE) {
                write_failed(ctx, ptr, "segment");
                db_done(stmt);
                goto done;
            }
            db_done(stmt);
            rows = sqlite3_changes(db_handle(ctx->db));
        }
        if (rows > 0)
            *changed = 1;
        int64_t seg_id = seg->id > 0 ? seg->id : sqlite3_last_insert_rowid(db_handle(ctx->db));
        if (ctx->doc == NULL && imap_put(&own, seg_id, 0, session) < 0) {
            record_db_failed(ctx, "out of memory");
            goto done;
        }
    }
    if (created) {
        result = 0;
        goto done;
    }
    if (ctx->doc == NULL) {
        /* one API write: drop the segments no longer listed right away */
        int64_t before = sqlite3_total_changes64(db_handle(ctx->db));
        if (remove_segments(ctx, session, &own, pointer) != 0)
            goto done;
        if (sqlite3_total_changes64(db_handle(ctx->db)) != before)
            *changed = 1;
        result = 0;
        goto done;
    }
    /* an import: the dropped segments go once every intervention has moved off them; the
     * session changes if there are any */
    int64_t held = 0;
    if (query_int(ctx, "SELECT count(*) FROM segments WHERE session_id = ?1", 1, session, 0, 0,
                  &held) < 0)
        goto done;
    if ((size_t)held > list->count)
        *changed = 1;
    if (ctx->removal_count == ctx->removal_cap) {
        size_t cap = ctx->removal_cap ? ctx->removal_cap * 2 : 16;
        struct record_removal *r = realloc(ctx->removals, cap * sizeof *r);
        if (r == NULL) {
            record_db_failed(ctx, "out of memory");
            goto done;
        }
        ctx->removals = r;
        ctx->removal_cap = cap;
    }
    ctx->removals[ctx->removal_count++] = (struct record_removal){session, index};
    result = 0;
done:
    imap_free(&own);
    return result;
}

int record_finish(struct record_ctx *ctx) {
    assert(ctx->doc != NULL);
    char pointer[POINTER_MAX];
    for (size_t i = 0; i < ctx->removal_count && !ctx->failed; i++) {
        pointer_format(pointer, sizeof pointer, "/sessions/%zu", ctx->removals[i].index);
        (void)remove_segments(ctx, ctx->removals[i].session_id, &ctx->doc->segment_ids, pointer);
    }
    return ctx->errors > 0 || ctx->failed ? -1 : 0;
}

void record_ctx_free(struct record_ctx *ctx) {
    if (ctx->doc != NULL) {
        for (int t = 0; t < RECORD_TYPE_COUNT; t++) {
            imap_free(&ctx->doc->ids[t]);
            smap_free(&ctx->doc->slugs[t]);
            imap_free(&ctx->doc->keys[t]);
        }
        imap_free(&ctx->doc->segment_ids);
        imap_free(&ctx->doc->segments);
    }
    for (size_t i = 0; i < RECORD_MAX_LISTS; i++)
        free(ctx->lists[i].items);
    free(ctx->old.items);
    free(ctx->removals);
}

/* ---- Public upsert and delete -------------------------------------------------------------- */

int record_upsert(struct db *db, enum record_type type, const json_t *obj, unsigned flags,
                  int64_t *id, enum record_outcome *outcome, struct problem *p,
                  struct db_error *err) {
    assert(db != NULL && db_in_write(db) && type >= 0 && type < RECORD_TYPE_COUNT);
    struct record_ctx ctx = {.db = db, .flags = flags, .p = p, .err = err};
    int rc = -1;
    if (validate(&ctx, type, obj, "") != 0)
        goto done;
    rc = record_write(&ctx, type, obj, 0, id, outcome);
done:
    record_ctx_free(&ctx);
    return rc;
}

int record_delete(struct db *db, enum record_type type, int64_t id, struct problem *p,
                  struct db_error *err) {
    assert(db != NULL && db_in_write(db) && type >= 0 && type < RECORD_TYPE_COUNT);
    struct record_ctx ctx = {.db = db, .p = p, .err = err};
    int found = query_int(&ctx, type_sql[type].exists, 1, id, 0, 0, NULL);
    if (found <= 0) {
        if (found == 0)
            problem_set(p, PROBLEM_NOT_FOUND, "no %s with id %lld", type_info[type].name,
                        (long long)id);
        return -1;
    }
    /* an organization's parent key is deferred (a document may name a parent later), so a
     * child would only fail the commit: ask first */
    if (type == RECORD_ORGANIZATION) {
        int64_t child = 0;
        found = query_int(&ctx, "SELECT id FROM organizations WHERE parent_id = ?1 LIMIT 1", 1, id,
                          0, 0, &child);
        if (found < 0)
            return -1;
        if (found) {
            problem_set(p, PROBLEM_CONFLICT,
                        "the organization with id %lld is the parent of the one with id %lld",
                        (long long)id, (long long)child);
            return -1;
        }
    }
    sqlite3_stmt *stmt = db_prepare(db, type_sql[type].remove);
    if (stmt == NULL || sqlite3_bind_int64(stmt, 1, id) != SQLITE_OK) {
        db_done(stmt);
        record_db_failed(&ctx, "delete");
        return -1;
    }
    int rc = sqlite3_step(stmt);
    int code = sqlite3_extended_errcode(db_handle(db));
    db_done(stmt);
    if (rc == SQLITE_DONE)
        return 0;
    if (code == SQLITE_CONSTRAINT_FOREIGNKEY) {
        problem_set(p, PROBLEM_CONFLICT, "other resources still refer to the %s with id %lld",
                    type_info[type].name, (long long)id);
        return -1;
    }
    record_db_failed(&ctx, "delete");
    return -1;
}

int64_t record_count(struct db *db, enum record_type type) {
    assert(db != NULL && type >= 0 && type < RECORD_TYPE_COUNT);
    sqlite3_stmt *stmt = db_prepare(db, type_sql[type].count);
    int64_t n = -1;
    if (stmt != NULL && sqlite3_step(stmt) == SQLITE_ROW)
        n = sqlite3_column_int64(stmt, 0);
    db_done(stmt);
    return n;
}

int record_note_fresh(struct record_ctx *ctx) {
    assert(ctx->db != NULL);
    for (int t = 0; t < RECORD_TYPE_COUNT; t++) {
        int any = query_int(ctx, type_sql[t].any, 0, 0, 0, 0, NULL);
        if (any < 0)
            return -1;
        ctx->fresh[t] = !any;
    }
    return 0;
}
