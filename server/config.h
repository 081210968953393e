/* config.h: the daemon's settings, read once from flags and environment into one immutable
 * struct config. Flags win over environment variables, which win over defaults. */
#ifndef PLENARY_CONFIG_H
#define PLENARY_CONFIG_H

#include <stddef.h>
#include <stdio.h>

enum log_format {
    LOG_OFF,    /* no access log */
    LOG_COMMON, /* one human-readable line a request */
    LOG_JSON,   /* one JSON object a request */
};

#define CONFIG_MAX_ORIGINS 16

struct config {
    const char *db_path;       /* database file (PLENARY_DB, --db) */
    const char *bind;          /* address to listen on (PLENARY_BIND, --bind) */
    unsigned port;             /* TCP port (PLENARY_PORT, --port) */
    unsigned threads;          /* runner threads (PLENARY_THREADS, --threads) */
    const char *cors_origins[CONFIG_MAX_ORIGINS]; /* allowed origins; "*" means any */
    size_t cors_origin_count;  /* entries used in cors_origins */
    const char *cache_control; /* Cache-Control of GET answers (PLENARY_CACHE_CONTROL) */
    size_t cache_bytes;        /* response cache budget in bytes; 0 turns it off */
    enum log_format log;       /* access log format (PLENARY_LOG, --log) */
};

/* Fills *cfg from the environment and then argv (the arguments after `serve`). On a bad flag
 * or value writes one line to err and returns 2; on --help writes usage to out and returns 1;
 * returns 0 when the daemon should start. Strings point into argv or environ. */
int config_parse(struct config *cfg, int argc, char **argv, FILE *out, FILE *err);

/* The default number of runner threads: the number of cores, at least MIN_THREADS. */
unsigned config_default_threads(void);

#endif
