/* record_doc.c: whole record documents (fixtures/FORMAT.md). The file is divided into: a
 * streaming reader that walks the top-level object and hands out one resource at a time (so
 * a 600 MB document never becomes 600 MB of jansson objects); the import, in two passes over
 * the bytes (check everything and collect ids and slugs; then write in dependency order in
 * one transaction); and the export, one resource at a time, in bytes identical to what
 * json_dumps of the whole document would give. */
#include "record.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db_internal.h"
#include "record_internal.h"

/* The value of the document's "format" member. */
#define RECORD_FORMAT "plenary-record/1"
/* Resources between two progress lines. */
#define PROGRESS_EVERY 20000

/* ---- The streaming reader ------------------------------------------------------------------- */

struct reader {
    const char *buf; /* the whole document */
    size_t len;      /* its length */
    size_t pos;      /* the next byte to read */
};

static void skip_space(struct reader *r) {
    while (r->pos < r->len && (r->buf[r->pos] == ' ' || r->buf[r->pos] == '\t' ||
                               r->buf[r->pos] == '\n' || r->buf[r->pos] == '\r'))
        r->pos++;
}

/* Skips whitespace and consumes c if it comes next. Returns 1 when it did. */
static int accept(struct reader *r, char c) {
    skip_space(r);
    if (r->pos < r->len && r->buf[r->pos] == c) {
        r->pos++;
        return 1;
    }
    return 0;
}

/* Line and column (from 1) of byte offset pos, for messages about syntax. */
static void line_column(const struct reader *r, size_t pos, size_t *line, size_t *column) {
    *line = 1;
    size_t start = 0;
    for (size_t i = 0; i < pos && i < r->len; i++)
        if (r->buf[i] == '\n') {
            (*line)++;
            start = i + 1;
        }
    *column = pos - start + 1;
}

/* Reports a syntax error at byte offset pos, under pointer. */
static void syntax_error(struct record_ctx *ctx, const struct reader *r, size_t pos,
                         const char *pointer, const char *what) {
    size_t line, column;
    line_column(r, pos, &line, &column);
    record_error(ctx, PROBLEM_UNPROCESSABLE, pointer, "invalid JSON at line %zu, column %zu: %s",
                 line, column, what);
}

/* Parses the one JSON value at the reader's position (any type; objects must not repeat a
 * key) and moves past it. Returns a new reference, or NULL after reporting the error. */
static json_t *read_value(struct record_ctx *ctx, struct reader *r, const char *pointer) {
    skip_space(r);
    json_error_t e;
    json_t *v = json_loadb(r->buf + r->pos, r->len - r->pos,
                           JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &e);
    if (v == NULL) {
        syntax_error(ctx, r, r->pos + (size_t)(e.position > 0 ? e.position : 0), pointer, e.text);
        return NULL;
    }
    r->pos += (size_t)e.position;
    return v;
}

/* ---- Import ------------------------------------------------------------------------------ */

/* The bits of meta.fts_paused are 1 << enum record_type (schema/001_init.sql says so too). */
_Static_assert(RECORD_ASSEMBLY == 0 && RECORD_TOPIC == 1 && RECORD_ORGANIZATION == 2 &&
                   RECORD_PERSON == 3 && RECORD_DOCUMENT == 4 && RECORD_SESSION == 5 &&
                   RECORD_INTERVENTION == 6 && RECORD_SIDE_EVENT == 7,
               "meta.fts_paused numbers the types as enum record_type does");

/* Rebuilds a type's external-content full-text index from its content; NULL for sessions,
 * whose index keeps its own text and is never paused. */
static const char *const fts_rebuild[RECORD_TYPE_COUNT] = {
    [RECORD_ASSEMBLY] = "INSERT INTO assemblies_fts (assemblies_fts) VALUES ('rebuild')",
    [RECORD_TOPIC] = "INSERT INTO topics_fts (topics_fts) VALUES ('rebuild')",
    [RECORD_ORGANIZATION] = "INSERT INTO organizations_fts (organizations_fts) VALUES ('rebuild')",
    [RECORD_PERSON] = "INSERT INTO people_fts (people_fts) VALUES ('rebuild')",
    [RECORD_DOCUMENT] = "INSERT INTO documents_fts (documents_fts) VALUES ('rebuild')",
    [RECORD_INTERVENTION] = "INSERT INTO interventions_fts (interventions_fts) VALUES ('rebuild')",
    [RECORD_SIDE_EVENT] = "INSERT INTO side_events_fts (side_events_fts) VALUES ('rebuild')",
};

/* Merges a type's full-text index into one segment. FTS5 writes a new segment at every flush
 * and at every write of a lower rowid than the one before, so a whole record imported leaves
 * each index in a dozen segments or more (one per batch of updates); every search term is
 * then looked up in each. After a bulk import the index is read far more than written:
 * merged once, it is looked up once (a search of the 1M-intervention record read 24 leaves
 * and index rows per term before, 3 after). Later small writes add segments that FTS5's
 * automerge folds in as they accumulate. */
static const char *const fts_optimize[RECORD_TYPE_COUNT] = {
    [RECORD_ASSEMBLY] = "INSERT INTO assemblies_fts (assemblies_fts) VALUES ('optimize')",
    [RECORD_TOPIC] = "INSERT INTO topics_fts (topics_fts) VALUES ('optimize')",
    [RECORD_ORGANIZATION] = "INSERT INTO organizations_fts (organizations_fts) VALUES ('optimize')",
    [RECORD_PERSON] = "INSERT INTO people_fts (people_fts) VALUES ('optimize')",
    [RECORD_DOCUMENT] = "INSERT INTO documents_fts (documents_fts) VALUES ('optimize')",
    [RECORD_SESSION] = "INSERT INTO sessions_fts (sessions_fts) VALUES ('optimize')",
    [RECORD_INTERVENTION] = "INSERT INTO interventions_fts (interventions_fts) VALUES ('optimize')",
    [RECORD_SIDE_EVENT] = "INSERT INTO side_events_fts (side_events_fts) VALUES ('optimize')",
};

struct import {
    struct reader r;                     /* the document */
    struct record_ctx ctx;               /* errors, maps, scratch */
    struct record_doc doc;               /* what the document holds */
    size_t start[RECORD_TYPE_COUNT];     /* offset just after each array's '[' */
    size_t count[RECORD_TYPE_COUNT];     /* resources in each array */
    int present[RECORD_TYPE_COUNT];      /* 1 once the array was seen */
    FILE *progress;                      /* where progress lines go, or NULL */
    struct record_import_result *result; /* counts of the second pass */
    int64_t fts_paused;                  /* bits (1 << type) of paused full-text indexes */
    int64_t bulk;                        /* bits (1 << type) of the types the document holds
                                          * at least as many of as the database did */
};

/* Rewrites the progress line: "checking interventions: 120000" in the first pass (the total
 * is not known yet), "writing interventions: 120000/1000000" in the second. */
static void progress_line(struct import *im, const char *verb, enum record_type type, size_t done,
                          size_t total) {
    if (im->progress == NULL)
        return;
    if (total > 0)
        fprintf(im->progress, "\r%s %s: %zu/%zu\033[K", verb, record_type_info(type)->member, done,
                total);
    else
        fprintf(im->progress, "\r%s %s: %zu\033[K", verb, record_type_info(type)->member, done);
    fflush(im->progress);
}

/* Walks the array that starts at im->start[type]: in the first pass checks and collects
 * every resource (and counts them), in the second writes them and counts the outcomes.
 * Returns 0, or -1 when the walk must stop (a syntax error, a database failure). */
static int walk_array(struct import *im, enum record_type type, int pass) {
    struct reader *r = &im->r;
    const char *member = record_type_info(type)->member;
    char pointer[64];
    r->pos = im->start[type];
    if (accept(r, ']'))
        return 0;
    for (size_t i = 0;; i++) {
        snprintf(pointer, sizeof pointer, "/%s/%zu", member, i);
        json_t *obj = read_value(&im->ctx, r, pointer);
        if (obj == NULL)
            return -1;
        if (pass == 1) {
            record_collect(&im->ctx, type, obj, i);
            im->count[type]++;
        } else {
            int64_t id = 0;
            enum record_outcome outcome = RECORD_UNCHANGED;
            if (record_write(&im->ctx, type, obj, i, &id, &outcome) == 0) {
                struct record_counts *c = &im->result->types[type];
                if (outcome == RECORD_CREATED)
                    c->created++;
                else if (outcome == RECORD_UPDATED)
                    c->updated++;
                else
                    c->unchanged++;
            }
        }
        json_decref(obj);
        if ((i + 1) % PROGRESS_EVERY == 0)
            progress_line(im, pass == 1 ? "checking" : "writing", type, i + 1,
                          pass == 1 ? 0 : im->count[type]);
        if (im->ctx.failed)
            return -1;
        if (accept(r, ','))
            continue;
        if (accept(r, ']'))
            return 0;
        syntax_error(&im->ctx, r, r->pos, pointer, "',' or ']' expected after a resource");
        return -1;
    }
}

/* The first pass: the top-level object, its "format", and every array, checked and
 * collected. Returns 0, or -1 when the document cannot be read further. */
static int scan_document(struct import *im) {
    struct reader *r = &im->r;
    struct record_ctx *ctx = &im->ctx;
    int format_seen = 0;
    char pointer[96];
    if (!accept(r, '{')) {
        syntax_error(ctx, r, r->pos, "", "a record document is a JSON object");
        return -1;
    }
    if (!accept(r, '}')) {
        for (;;) {
            skip_space(r);
            json_t *key = read_value(ctx, r, "");
            if (key == NULL)
                return -1;
            if (!json_is_string(key)) {
                json_decref(key);
                syntax_error(ctx, r, r->pos, "", "a member name (a string) expected");
                return -1;
            }
            snprintf(pointer, sizeof pointer, "/%.80s", json_string_value(key));
            int type = -1;
            for (int t = 0; t < RECORD_TYPE_COUNT; t++)
                if (strcmp(json_string_value(key), record_type_info((enum record_type)t)->member) ==
                    0)
                    type = t;
            int is_format = strcmp(json_string_value(key), "format") == 0;
            json_decref(key);
            if (!accept(r, ':')) {
                syntax_error(ctx, r, r->pos, pointer, "':' expected after a member name");
                return -1;
            }
            if (type >= 0) {
                if (im->present[type]) {
                    record_error(ctx, PROBLEM_UNPROCESSABLE, pointer, "appears twice");
                    return -1;
                }
                im->present[type] = 1;
                if (!accept(r, '[')) {
                    record_error(ctx, PROBLEM_UNPROCESSABLE, pointer,
                                 "must be a list ([] when empty)");
                    json_t *skip = read_value(ctx, r, pointer);
                    if (skip == NULL)
                        return -1;
                    json_decref(skip);
                } else {
                    im->start[type] = r->pos;
                    if (walk_array(im, (enum record_type)type, 1) != 0)
                        return -1;
                }
            } else {
                json_t *v = read_value(ctx, r, pointer);
                if (v == NULL)
                    return -1;
                if (!is_format)
                    record_error(ctx, PROBLEM_UNPROCESSABLE, pointer,
                                 "is not a member of a record document");
                else if (format_seen)
                    record_error(ctx, PROBLEM_UNPROCESSABLE, pointer, "appears twice");
                else if (!json_is_string(v) || strcmp(json_string_value(v), RECORD_FORMAT) != 0)
                    record_error(ctx, PROBLEM_UNPROCESSABLE, pointer, "must be \"%s\"",
                                 RECORD_FORMAT);
                format_seen |= is_format;
                json_decref(v);
            }
            if (accept(r, ','))
                continue;
            if (accept(r, '}'))
                break;
            syntax_error(ctx, r, r->pos, "", "',' or '}' expected after a member");
            return -1;
        }
    }
    skip_space(r);
    if (r->pos != r->len) {
        syntax_error(ctx, r, r->pos, "", "nothing may follow the document");
        return -1;
    }
    if (!format_seen)
        record_error(ctx, PROBLEM_UNPROCESSABLE, "/format",
                     "is missing: a record document says \"format\": \"%s\"", RECORD_FORMAT);
    for (int t = 0; t < RECORD_TYPE_COUNT; t++)
        if (!im->present[t]) {
            snprintf(pointer, sizeof pointer, "/%s", record_type_info((enum record_type)t)->member);
            record_error(ctx, PROBLEM_UNPROCESSABLE, pointer,
                         "is missing: a record document has every array, [] when empty");
        }
    return 0;
}

/* Pauses the full-text triggers of every type of which the document holds at least as many
 * resources as the database: indexing them one statement at a time would cost more than
 * rebuilding the whole index at the end (resume_fts). Inside the import's transaction. */
static int pause_fts(struct import *im, struct db *db) {
    int64_t mask = 0;
    for (int t = 0; t < RECORD_TYPE_COUNT; t++) {
        if (im->count[t] == 0)
            continue;
        int64_t held = record_count(db, (enum record_type)t);
        if (held < 0) {
            record_db_failed(&im->ctx, "counting resources");
            return -1;
        }
        if ((uint64_t)held <= im->count[t]) {
            im->bulk |= (int64_t)1 << t;
            if (fts_rebuild[t] != NULL)
                mask |= (int64_t)1 << t;
        }
    }
    im->fts_paused = mask;
    if (mask == 0)
        return 0;
    sqlite3_stmt *stmt = db_prepare(db, "UPDATE meta SET fts_paused = ?1");
    int ok = stmt != NULL && sqlite3_bind_int64(stmt, 1, mask) == SQLITE_OK &&
             sqlite3_step(stmt) == SQLITE_DONE;
    db_done(stmt);
    if (!ok) {
        record_db_failed(&im->ctx, "pausing full-text indexing");
        return -1;
    }
    return 0;
}

/* Runs statement[t] for each type t in mask (1 << t), saying `doing` with the type's name on
 * the progress stream; on a failure records `failure`. Returns 0 or -1. */
static int each_fts_type(struct import *im, struct db *db, int64_t mask,
                         const char *const statement[RECORD_TYPE_COUNT], const char *doing,
                         const char *failure) {
    for (int t = 0; t < RECORD_TYPE_COUNT; t++) {
        if (!(mask & ((int64_t)1 << t)))
            continue;
        if (im->progress != NULL) {
            fprintf(im->progress, "\r%s %s\033[K", doing,
                    record_type_info((enum record_type)t)->member);
            fflush(im->progress);
        }
        sqlite3_stmt *stmt = db_prepare(db, statement[t]);
        int ok = stmt != NULL && sqlite3_step(stmt) == SQLITE_DONE;
        db_done(stmt);
        if (!ok) {
            record_db_failed(&im->ctx, failure);
            return -1;
        }
    }
    return 0;
}

/* Merges the full-text index of each type imported in bulk into one segment (fts_optimize).
 * Inside the import's transaction, after resume_fts. */
static int optimize_fts(struct import *im, struct db *db) {
    return each_fts_type(im, db, im->bulk, fts_optimize, "merging the search index of",
                         "merging a full-text index");
}

/* Rebuilds the paused full-text indexes and turns their triggers back on. */
static int resume_fts(struct import *im, struct db *db) {
    if (im->fts_paused == 0)
        return 0;
    if (each_fts_type(im, db, im->fts_paused, fts_rebuild, "indexing for search:",
                      "rebuilding a full-text index") != 0)
        return -1;
    sqlite3_stmt *stmt = db_prepare(db, "UPDATE meta SET fts_paused = 0");
    int ok = stmt != NULL && sqlite3_step(stmt) == SQLITE_DONE;
    db_done(stmt);
    if (!ok) {
        record_db_failed(&im->ctx, "resuming full-text indexing");
        return -1;
    }
    im->fts_paused = 0;
    return 0;
}

int record_import(struct db *db, const char *buf, size_t len, FILE *progress,
                  struct record_import_result *result, struct problem *p, struct db_error *err) {
    assert(db != NULL && buf != NULL && p != NULL);
    struct record_import_result local;
    struct import *im = calloc(1, sizeof *im);
    int rc = -1, began = 0;
    if (result == NULL)
        result = &local;
    memset(result, 0, sizeof *result);
    result->revision = -1;
    if (im == NULL) {
        db_error_set(err, -1, "out of memory");
        problem_set(p, PROBLEM_INTERNAL, "out of memory");
        return -1;
    }
    im->r = (struct reader){buf, len, 0};
    im->ctx = (struct record_ctx){.db = db, .doc = &im->doc, .p = p, .err = err};
    im->progress = progress;
    im->result = result;

    /* 1. check every resource and collect ids and slugs: no lock is held meanwhile */
    if (scan_document(im) != 0 || im->ctx.errors > 0 || im->ctx.failed)
        goto done;

    /* 2. write, parents first, in one transaction. Bulk settings come first: SQLite decides
     * where statement journals live when the transaction begins. */
    if (db_bulk(db, 1) != 0) {
        record_db_failed(&im->ctx, "bulk settings");
        goto done;
    }
    if (db_write_begin(db, err) != 0) {
        problem_set(p, PROBLEM_INTERNAL, "the database could not start a write");
        goto done;
    }
    began = 1;
    if (record_note_fresh(&im->ctx) != 0 || pause_fts(im, db) != 0)
        goto done;
    for (int t = 0; t < RECORD_TYPE_COUNT && !im->ctx.failed; t++)
        if (walk_array(im, (enum record_type)t, 2) != 0)
            break;
    if (im->ctx.errors == 0 && !im->ctx.failed)
        (void)record_finish(&im->ctx);
    if (im->ctx.errors == 0 && !im->ctx.failed)
        (void)resume_fts(im, db);
    if (im->ctx.errors == 0 && !im->ctx.failed)
        (void)optimize_fts(im, db);
    if (im->ctx.errors > 0 || im->ctx.failed)
        goto done;
    if (db_write_commit(db, err) != 0) {
        problem_set(p, PROBLEM_INTERNAL, "the database could not commit the import");
        goto done;
    }
    began = 0;
    rc = 0;
done:
    if (began)
        db_write_rollback(db);
    if (progress != NULL)
        fprintf(progress, "\r\033[K");
    (void)db_bulk(db, 0);
    for (int t = 0; t < RECORD_TYPE_COUNT; t++) {
        result->total.created += result->types[t].created;
        result->total.updated += result->types[t].updated;
        result->total.unchanged += result->types[t].unchanged;
    }
    result->error_count = im->ctx.errors;
    result->revision = db_revision(db);
    record_ctx_free(&im->ctx);
    free(im);
    return rc;
}

/* Reads all of a stream into a new buffer (caller frees). Returns NULL on failure. */
static char *read_stream(FILE *in, size_t *len) {
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    if (buf == NULL)
        return NULL;
    for (;;) {
        if (n == cap) {
            char *bigger = realloc(buf, cap * 2);
            if (bigger == NULL) {
                free(buf);
                return NULL;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, in);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(in)) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

int record_import_file(struct db *db, const char *path, FILE *progress,
                       struct record_import_result *result, struct problem *p,
                       struct db_error *err) {
    assert(db != NULL && path != NULL && p != NULL);
    if (strcmp(path, "-") == 0) {
        size_t len = 0;
        char *buf = read_stream(stdin, &len);
        if (buf == NULL) {
            problem_set(p, PROBLEM_BAD_REQUEST, "cannot read standard input: %s", strerror(errno));
            return -1;
        }
        int rc = record_import(db, buf, len, progress, result, p, err);
        free(buf);
        return rc;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        problem_set(p, PROBLEM_BAD_REQUEST, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        problem_set(p, PROBLEM_BAD_REQUEST, "%s is not a regular file", path);
        close(fd);
        return -1;
    }
    size_t len = (size_t)st.st_size;
    if (len == 0) {
        close(fd);
        return record_import(db, "", 0, progress, result, p, err);
    }
    /* mapped, not read: the kernel pages the document in as the passes walk it */
    void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        problem_set(p, PROBLEM_BAD_REQUEST, "cannot map %s: %s", path, strerror(errno));
        return -1;
    }
    (void)madvise(map, len, MADV_SEQUENTIAL);
    int rc = record_import(db, map, len, progress, result, p, err);
    munmap(map, len);
    return rc;
}

/* ---- Export -------------------------------------------------------------------------------- */

/* How one field of a resource is exported. */
enum export_kind {
    EX_COLUMN, /* the next column of the type's query: integer, text or null as stored */
    EX_BOOL,   /* the next column, 0 or 1, as false or true */
    EX_LIST,   /* a list from its own query (?1 = the resource's id) */
};

struct export_field {
    const char *name;              /* the member name */
    enum export_kind kind;         /* where the value comes from */
    const char *sql;               /* EX_LIST: the rows of the list, in order */
    const char *const *item_names; /* EX_LIST: member names of the columns of an item;
                                      NULL for a list of single values (slugs) */
};

struct export_type {
    const char *sql;                   /* one row per resource, ordered by id */
    const struct export_field *fields; /* in FORMAT.md order */
    size_t count;                      /* entries in fields */
};

static const char *const affiliation_names[] = {"organization", "title", NULL};
static const char *const host_names[] = {"organization", "role", NULL};
static const char *const segment_names[] = {"id", "position", "title", "summary", NULL};

#define COL(n)                                                                                     \
    { n, EX_COLUMN, NULL, NULL }
#define LIST(n, sql, names)                                                                        \
    { n, EX_LIST, sql, names }

static const struct export_field assembly_export[] = {
    COL("id"),    COL("slug"),       COL("name"),     COL("short_name"),
    COL("place"), COL("start_date"), COL("end_date"),
};
static const struct export_field topic_export[] = {COL("id"), COL("slug"), COL("name")};
static const struct export_field organization_export[] = {
    COL("id"),      COL("slug"),         COL("name"),   COL("kind"),
    COL("acronym"), COL("country_code"), COL("parent"), {"coalition_member", EX_BOOL, NULL, NULL},
};
static const struct export_field person_export[] = {
    COL("id"),
    COL("slug"),
    COL("name"),
    COL("honorific"),
    LIST("affiliations",
         "SELECT o.slug, a.title FROM affiliations a JOIN organizations o "
         "ON o.id = a.organization_id WHERE a.person_id = ?1 ORDER BY a.position",
         affiliation_names),
};
static const struct export_field document_export[] = {
    COL("id"),   COL("slug"), COL("title"),    COL("kind"),
    COL("date"), COL("url"),  COL("assembly"), COL("author"),
};
static const struct export_field session_export[] = {
    COL("id"),
    COL("slug"),
    COL("assembly"),
    COL("date"),
    COL("kind"),
    COL("title"),
    COL("theme"),
    COL("part_of_day"),
    COL("position"),
    COL("summary"),
    LIST("segments",
         "SELECT id, position, title, summary FROM segments WHERE session_id = ?1 "
         "ORDER BY position",
         segment_names),
    LIST("documents",
         "SELECT d.slug FROM session_documents l JOIN documents d ON d.id = l.document_id "
         "WHERE l.session_id = ?1 ORDER BY l.position",
         NULL),
    LIST("topics",
         "SELECT t.slug FROM session_topics l JOIN topics t ON t.id = l.topic_id "
         "WHERE l.session_id = ?1 ORDER BY l.position",
         NULL),
};
static const struct export_field intervention_export[] = {
    COL("id"),
    COL("session"),
    COL("segment"),
    COL("position"),
    COL("speaker"),
    COL("organization"),
    COL("role"),
    LIST("on_behalf_of",
         "SELECT o.slug FROM intervention_on_behalf_of l JOIN organizations o "
         "ON o.id = l.organization_id WHERE l.intervention_id = ?1 ORDER BY l.position",
         NULL),
    COL("summary"),
    LIST("topics",
         "SELECT t.slug FROM intervention_topics l JOIN topics t ON t.id = l.topic_id "
         "WHERE l.intervention_id = ?1 ORDER BY l.position",
         NULL),
    LIST("documents",
         "SELECT d.slug FROM intervention_documents l JOIN documents d ON d.id = l.document_id "
         "WHERE l.intervention_id = ?1 ORDER BY l.position",
         NULL),
    COL("statement_url"),
};
static const struct export_field side_event_export[] = {
    COL("id"),
    COL("slug"),
    COL("title"),
    COL("date"),
    COL("assembly"),
    COL("description"),
    LIST("hosts",
         "SELECT o.slug, h.role FROM side_event_hosts h JOIN organizations o "
         "ON o.id = h.organization_id WHERE h.side_event_id = ?1 ORDER BY h.position",
         host_names),
    LIST("topics",
         "SELECT t.slug FROM side_event_topics l JOIN topics t ON t.id = l.topic_id "
         "WHERE l.side_event_id = ?1 ORDER BY l.position",
         NULL),
};

#define EXPORT(sql, f)                                                                             \
    { sql, f, sizeof f / sizeof f[0] }
static const struct export_type export_types[RECORD_TYPE_COUNT] = {
    [RECORD_ASSEMBLY] = EXPORT("SELECT id, slug, name, short_name, place, start_date, end_date "
                               "FROM assemblies ORDER BY id",
                               assembly_export),
    [RECORD_TOPIC] = EXPORT("SELECT id, slug, name FROM topics ORDER BY id", topic_export),
    [RECORD_ORGANIZATION] =
        EXPORT("SELECT o.id, o.slug, o.name, o.kind, o.acronym, o.country_code, p.slug, "
               "o.coalition_member FROM organizations o "
               "LEFT JOIN organizations p ON p.id = o.parent_id ORDER BY o.id",
               organization_export),
    [RECORD_PERSON] =
        EXPORT("SELECT id, slug, name, honorific FROM people ORDER BY id", person_export),
    [RECORD_DOCUMENT] =
        EXPORT("SELECT d.id, d.slug, d.title, d.kind, d.date, d.url, a.slug, o.slug "
               "FROM documents d JOIN assemblies a ON a.id = d.assembly_id "
               "LEFT JOIN organizations o ON o.id = d.author_id ORDER BY d.id",
               document_export),
    [RECORD_SESSION] =
        EXPORT("SELECT s.id, s.slug, a.slug, s.date, s.kind, s.title, s.theme, s.part_of_day, "
               "s.position, s.summary FROM sessions s JOIN assemblies a ON a.id = s.assembly_id "
               "ORDER BY s.id",
               session_export),
    [RECORD_INTERVENTION] =
        EXPORT("SELECT i.id, s.slug, g.position, i.position, p.slug, o.slug, i.role, i.summary, "
               "i.statement_url FROM interventions i JOIN sessions s ON s.id = i.session_id "
               "LEFT JOIN segments g ON g.id = i.segment_id "
               "LEFT JOIN people p ON p.id = i.speaker_id "
               "LEFT JOIN organizations o ON o.id = i.organization_id ORDER BY i.id",
               intervention_export),
    [RECORD_SIDE_EVENT] =
        EXPORT("SELECT e.id, e.slug, e.title, e.date, a.slug, e.description FROM side_events e "
               "JOIN assemblies a ON a.id = e.assembly_id ORDER BY e.id",
               side_event_export),
};
#undef EXPORT

/* A column as JSON: a new reference, or NULL when out of memory or not UTF-8. */
static json_t *column_json(sqlite3_stmt *stmt, int col) {
    switch (sqlite3_column_type(stmt, col)) {
    case SQLITE_NULL:
        return json_null();
    case SQLITE_INTEGER:
        return json_integer((json_int_t)sqlite3_column_int64(stmt, col));
    default: {
        const char *s = (const char *)sqlite3_column_text(stmt, col);
        return s ? json_stringn(s, (size_t)sqlite3_column_bytes(stmt, col)) : NULL;
    }
    }
}

/* The list `f` of resource id, as a new JSON array, or NULL with err filled. */
static json_t *export_list(struct db *db, const struct export_field *f, int64_t id,
                           struct db_error *err) {
    json_t *list = json_array();
    sqlite3_stmt *stmt = db_prepare(db, f->sql);
    if (list == NULL || stmt == NULL || sqlite3_bind_int64(stmt, 1, id) != SQLITE_OK)
        goto fail;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        json_t *item;
        if (f->item_names == NULL) {
            item = column_json(stmt, 0);
        } else {
            item = json_object();
            for (int c = 0; item != NULL && f->item_names[c] != NULL; c++)
                if (json_object_set_new(item, f->item_names[c], column_json(stmt, c)) != 0) {
                    json_decref(item);
                    item = NULL;
                }
        }
        if (json_array_append_new(list, item) != 0)
            goto fail;
    }
    if (rc != SQLITE_DONE)
        goto fail;
    db_done(stmt);
    return list;
fail:
    db_fail(db, err, "exporting a list");
    db_done(stmt);
    json_decref(list);
    return NULL;
}

/* Writes s with `indent` spaces after every newline (a nested value's own lines). */
static int write_indented(FILE *out, const char *s, const char *indent) {
    for (const char *nl; (nl = strchr(s, '\n')) != NULL; s = nl + 1) {
        if (fwrite(s, 1, (size_t)(nl - s) + 1, out) != (size_t)(nl - s) + 1 ||
            fputs(indent, out) == EOF)
            return -1;
    }
    return fputs(s, out) == EOF ? -1 : 0;
}

/* Writes the array of one type. The bytes are those json_dumps(JSON_INDENT(2) |
 * JSON_PRESERVE_ORDER) gives the array as a member of the document: each resource is
 * dumped alone and shifted right by four spaces. */
static int export_type(struct db *db, enum record_type type, FILE *out, FILE *progress,
                       struct db_error *err) {
    const struct export_type *et = &export_types[type];
    sqlite3_stmt *stmt = db_prepare(db, et->sql);
    size_t n = 0;
    int rc;
    if (stmt == NULL) {
        db_fail(db, err, "export");
        return -1;
    }
    if (fprintf(out, ",\n  \"%s\": [", record_type_info(type)->member) < 0)
        goto write_fail;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        json_t *obj = json_object();
        int64_t id = sqlite3_column_int64(stmt, 0);
        int col = 0;
        for (size_t i = 0; obj != NULL && i < et->count; i++) {
            const struct export_field *f = &et->fields[i];
            json_t *v = f->kind == EX_LIST   ? export_list(db, f, id, err)
                        : f->kind == EX_BOOL ? json_boolean(sqlite3_column_int(stmt, col++))
                                             : column_json(stmt, col++);
            if (json_object_set_new(obj, f->name, v) != 0) {
                json_decref(obj);
                obj = NULL;
            }
        }
        char *text = obj ? json_dumps(obj, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        json_decref(obj);
        if (text == NULL) {
            db_error_set(err, -1, "exporting %s %lld: out of memory or bad text",
                         record_type_info(type)->name, (long long)id);
            db_done(stmt);
            return -1;
        }
        int w = fputs(n == 0 ? "\n    " : ",\n    ", out) == EOF ||
                write_indented(out, text, "    ") != 0;
        free(text);
        if (w)
            goto write_fail;
        if (++n % PROGRESS_EVERY == 0 && progress != NULL) {
            fprintf(progress, "\rexporting %s: %zu\033[K", record_type_info(type)->member, n);
            fflush(progress);
        }
    }
    db_done(stmt);
    if (rc != SQLITE_DONE) {
        db_fail(db, err, "export");
        return -1;
    }
    if (fputs(n == 0 ? "]" : "\n  ]", out) == EOF)
        goto write_fail;
    return 0;
write_fail:
    db_done(stmt);
    db_error_set(err, -1, "writing the document: %s", strerror(errno));
    return -1;
}

int record_export(struct db *db, FILE *out, FILE *progress, struct db_error *err) {
    assert(db != NULL && out != NULL);
    /* one read transaction: every array comes from the same snapshot */
    if (db_exec(db, "BEGIN", err) != 0)
        return -1;
    int rc = -1;
    if (fputs("{\n  \"format\": \"" RECORD_FORMAT "\"", out) == EOF) {
        db_error_set(err, -1, "writing the document: %s", strerror(errno));
        goto done;
    }
    for (int t = 0; t < RECORD_TYPE_COUNT; t++)
        if (export_type(db, (enum record_type)t, out, progress, err) != 0)
            goto done;
    if (fputs("\n}\n", out) == EOF || fflush(out) != 0) {
        db_error_set(err, -1, "writing the document: %s", strerror(errno));
        goto done;
    }
    rc = 0;
done:
    if (progress != NULL)
        fprintf(progress, "\r\033[K");
    (void)db_exec(db, "COMMIT", NULL);
    return rc;
}
