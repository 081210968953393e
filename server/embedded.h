/* embedded.h: files compiled into the binary at build time (server/embed.py):
 * the schema migrations of schema/ and the fixture record of fixtures/. */
#ifndef PLENARY_EMBEDDED_H
#define PLENARY_EMBEDDED_H

#include <stddef.h>

struct embedded_file {
    const char *name; /* base name, e.g. "001_init.sql"; NULL ends the table */
    const char *data; /* the bytes, NUL-terminated for convenience */
    size_t size;      /* length of data without the terminating NUL */
};

/* The schema/NNN_name.sql files in name order: migration N is the file whose name starts with N. */
extern const struct embedded_file embedded_migrations[];
/* fixtures/record.json: the default record loaded by `plenary init --with-fixtures`. */
extern const struct embedded_file embedded_fixtures[];

/* server/openapi_components.json: the OpenAPI document without its paths. */
extern const struct embedded_file embedded_openapi[];

#endif
