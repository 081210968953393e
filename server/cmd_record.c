/* cmd_record.c: the record's subcommands, `plenary init`, `plenary import` and
 * `plenary export` (commands.h): options, the database file, and the lines they print.
 * The work is done by db.c (schema) and record_doc.c (documents). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "db.h"
#include "embedded.h"
#include "record.h"

/* The database when neither --db nor PLENARY_DB names one. */
#define DEFAULT_DB "./plenary.db"

static const char init_usage[] =
    "usage: plenary init [--db FILE] [--with-fixtures]\n"
    "\n"
    "Creates the database, or migrates it to this binary's schema.\n"
    "\n"
    "  --db FILE        the database (default: $PLENARY_DB, else " DEFAULT_DB ")\n"
    "  --with-fixtures  also load the built-in record when the database holds no assembly\n"
    "  --help           this text\n";

static const char import_usage[] =
    "usage: plenary import [--db FILE] FILE\n"
    "\n"
    "Loads a record document (JSON, see fixtures/FORMAT.md; - for standard input) in one\n"
    "transaction: every resource is checked first, then all are written, or none. Resources\n"
    "are matched by id; unchanged ones are left alone. On invalid input each error is printed\n"
    "as `JSON-pointer: message` and nothing changes.\n"
    "\n"
    "  --db FILE  the database (default: $PLENARY_DB, else " DEFAULT_DB "); created if missing\n"
    "  --help     this text\n";

static const char export_usage[] =
    "usage: plenary export [--db FILE] [--out FILE]\n"
    "\n"
    "Writes the whole record as a document (JSON, see fixtures/FORMAT.md). The same database\n"
    "always gives the same bytes.\n"
    "\n"
    "  --db FILE   the database (default: $PLENARY_DB, else " DEFAULT_DB ")\n"
    "  --out FILE  write to FILE instead of standard output\n"
    "  --help      this text\n";

/* The options of the three commands; each accepts the ones its usage lists. */
struct options {
    const char *db;    /* --db, else $PLENARY_DB, else DEFAULT_DB */
    const char *out;   /* export --out, or NULL for stdout */
    const char *file;  /* import's document */
    int with_fixtures; /* init --with-fixtures */
    int help;          /* --help was given */
};

enum { OPT_OUT = 1, OPT_FIXTURES = 2, OPT_FILE = 4 };

/* Parses argv (the arguments after the command's name). Returns 0, or 2 after printing one
 * line on stderr. */
static int parse(const char *command, int argc, char **argv, unsigned allowed, struct options *o) {
    memset(o, 0, sizeof *o);
    const char *env = getenv("PLENARY_DB");
    o->db = env != NULL && env[0] != '\0' ? env : DEFAULT_DB;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char **target = NULL;
        size_t n = 0;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            o->help = 1;
            return 0;
        }
        if (strcmp(a, "--with-fixtures") == 0 && (allowed & OPT_FIXTURES)) {
            o->with_fixtures = 1;
            continue;
        }
        if (strncmp(a, "--db", 4) == 0 && (a[4] == '\0' || a[4] == '=')) {
            target = &o->db;
            n = 4;
        } else if ((allowed & OPT_OUT) && strncmp(a, "--out", 5) == 0 &&
                   (a[5] == '\0' || a[5] == '=')) {
            target = &o->out;
            n = 5;
        }
        if (target != NULL) {
            if (a[n] == '=')
                *target = a + n + 1;
            else if (i + 1 < argc)
                *target = argv[++i];
            else {
                fprintf(stderr, "plenary %s: %s needs a value (see plenary %s --help)\n", command,
                        a, command);
                return 2;
            }
            if ((*target)[0] == '\0') {
                fprintf(stderr, "plenary %s: %.*s must not be empty\n", command, (int)n, a);
                return 2;
            }
            continue;
        }
        if ((allowed & OPT_FILE) && o->file == NULL && (a[0] != '-' || strcmp(a, "-") == 0)) {
            o->file = a;
            continue;
        }
        fprintf(stderr, "plenary %s: unexpected argument '%s' (see plenary %s --help)\n", command,
                a, command);
        return 2;
    }
    if ((allowed & OPT_FILE) && o->file == NULL) {
        fprintf(stderr, "plenary %s: which document? (see plenary %s --help)\n", command, command);
        return 2;
    }
    return 0;
}

/* Opens the database read-write and brings its schema up to date. Returns the connection
 * or NULL after printing why. */
static struct db *open_migrated(const char *command, const char *path) {
    struct db_error err = {0};
    db_global_init();
    struct db *db = db_open(path, DB_READ_WRITE, &err);
    if (db == NULL || db_migrate(db, &err) != 0) {
        fprintf(stderr, "plenary %s: %s\n", command, err.message);
        db_close(db);
        return NULL;
    }
    return db;
}

/* Prints the errors of a failed import, one `pointer: message` a line. */
static void print_problem(const char *command, const struct problem *p,
                          const struct record_import_result *r, const struct db_error *err) {
    if (p->error_count == 0) {
        fprintf(stderr, "plenary %s: %s%s%s\n", command, p->detail, err->code ? ": " : "",
                err->code ? err->message : "");
        return;
    }
    for (size_t i = 0; i < p->error_count; i++)
        fprintf(stderr, "%s: %s\n", p->errors[i].where, p->errors[i].detail);
    if (r->error_count > p->error_count)
        fprintf(stderr, "... and %zu more errors\n", r->error_count - p->error_count);
    fprintf(stderr, "plenary %s: the document is not valid; nothing was changed\n", command);
}

static void print_summary(const char *what, const struct record_import_result *r) {
    printf("imported %s: %llu created, %llu updated, %llu unchanged; revision %lld\n", what,
           (unsigned long long)r->total.created, (unsigned long long)r->total.updated,
           (unsigned long long)r->total.unchanged, (long long)r->revision);
}

int cmd_init(int argc, char **argv) {
    struct options o;
    int rc = parse("init", argc, argv, OPT_FIXTURES, &o);
    if (rc != 0 || o.help) {
        if (o.help)
            fputs(init_usage, stdout);
        return rc;
    }
    struct db *db = open_migrated("init", o.db);
    if (db == NULL)
        return 1;
    printf("%s: schema version %d\n", o.db, db_schema_version(db));
    rc = 0;
    if (o.with_fixtures) {
        /* the record is loaded into a database with no assembly yet: one that someone has
         * filled is left as it is */
        int64_t assemblies = record_count(db, RECORD_ASSEMBLY);
        struct problem p = {0};
        struct db_error err = {0};
        struct record_import_result r;
        if (assemblies < 0) {
            fprintf(stderr, "plenary init: cannot read %s\n", o.db);
            rc = 1;
        } else if (assemblies > 0) {
            printf("%s: already holds a record; fixtures not loaded\n", o.db);
        } else if (embedded_fixtures[0].name == NULL) {
            fprintf(stderr, "plenary init: this binary has no built-in record\n");
            rc = 1;
        } else if (record_import(db, embedded_fixtures[0].data, embedded_fixtures[0].size,
                                 isatty(STDERR_FILENO) ? stderr : NULL, &r, &p, &err) != 0) {
            print_problem("init", &p, &r, &err);
            rc = 1;
        } else {
            print_summary(embedded_fixtures[0].name, &r);
        }
    }
    db_close(db);
    return rc;
}

int cmd_import(int argc, char **argv) {
    struct options o;
    int rc = parse("import", argc, argv, OPT_FILE, &o);
    if (rc != 0 || o.help) {
        if (o.help)
            fputs(import_usage, stdout);
        return rc;
    }
    struct db *db = open_migrated("import", o.db);
    if (db == NULL)
        return 1;
    struct problem p = {0};
    struct db_error err = {0};
    struct record_import_result r;
    rc = record_import_file(db, o.file, isatty(STDERR_FILENO) ? stderr : NULL, &r, &p, &err);
    if (rc != 0)
        print_problem("import", &p, &r, &err);
    else
        print_summary(strcmp(o.file, "-") == 0 ? "standard input" : o.file, &r);
    db_close(db);
    return rc == 0 ? 0 : 1;
}

int cmd_export(int argc, char **argv) {
    struct options o;
    int rc = parse("export", argc, argv, OPT_OUT, &o);
    if (rc != 0 || o.help) {
        if (o.help)
            fputs(export_usage, stdout);
        return rc;
    }
    struct db_error err = {0};
    db_global_init();
    struct db *db = db_open(o.db, DB_READ_ONLY, &err);
    if (db == NULL) {
        fprintf(stderr, "plenary export: %s\n", err.message);
        return 1;
    }
    if (db_schema_version(db) != db_schema_latest()) {
        fprintf(stderr,
                "plenary export: %s has schema version %d, this binary %d (run plenary "
                "init --db %s)\n",
                o.db, db_schema_version(db), db_schema_latest(), o.db);
        db_close(db);
        return 1;
    }
    FILE *out = stdout;
    if (o.out != NULL && (out = fopen(o.out, "w")) == NULL) {
        perror(o.out);
        db_close(db);
        return 1;
    }
    rc = record_export(db, out, isatty(STDERR_FILENO) ? stderr : NULL, &err);
    if (out != stdout && fclose(out) != 0 && rc == 0) {
        err.code = -1;
        snprintf(err.message, sizeof err.message, "closing %s failed", o.out);
        rc = -1;
    }
    if (rc != 0)
        fprintf(stderr, "plenary export: %s\n", err.message);
    db_close(db);
    return rc == 0 ? 0 : 1;
}
