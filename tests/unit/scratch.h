/* scratch.h: scratch files for the unit tests: a new empty temporary file, and the removal of
 * a SQLite database file with the -wal and -shm files that WAL mode leaves beside it.
 * Header-only, since each test program is one file. */
#ifndef PLENARY_TESTS_SCRATCH_H
#define PLENARY_TESTS_SCRATCH_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Makes path, a template ending in XXXXXX, the name of a new empty file. Returns 0 or -1. */
static inline int scratch_file(char *path) {
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

/* Removes a database file and its -wal and -shm files, those that exist. */
static inline void scratch_db_remove(const char *path) {
    char side[4096];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

#endif
