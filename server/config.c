/* config.c: `plenary serve` flags and PLENARY_* environment variables into struct config.
 * Every value is checked here, so the rest of the daemon can trust its configuration. */
#include "config.h"

#include "limits.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <unistd.h>

static const char serve_usage[] =
    "usage: plenary serve [options]\n"
    "\n"
    "Serve the record over HTTP until SIGTERM or SIGINT.\n"
    "\n"
    "options (each also read from the environment variable shown):\n"
    "  --db FILE            database file                      PLENARY_DB      ./plenary.db\n"
    "  --bind ADDR          IPv4 or IPv6 address to listen on  PLENARY_BIND    127.0.0.1\n"
    "  --port N             TCP port, 1-65535                  PLENARY_PORT    8080\n"
    "  --threads N          runner threads, 2-64               PLENARY_THREADS number of cores\n"
    "  --cors-origin ORIGIN allowed origin, repeatable; * = any PLENARY_CORS_ORIGIN *\n"
    "                       (the variable takes a comma-separated list)\n"
    "  --cache-control V    Cache-Control of GET answers       PLENARY_CACHE_CONTROL no-cache\n"
    "  --cache-size BYTES   response cache budget, 0 = off     PLENARY_CACHE_SIZE 67108864\n"
    "                       (suffixes k, m, g accepted)\n"
    "  --log FORMAT         access log: off, common or json    PLENARY_LOG     common\n"
    "  --help               this text\n";

unsigned config_default_threads(void) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < MIN_THREADS)
        return MIN_THREADS;
    if (cores > MAX_THREADS)
        return MAX_THREADS;
    return (unsigned)cores;
}

/* Parses a whole decimal number within [min, max]; returns 0 on success. */
static int parse_unsigned(const char *text, unsigned long long min, unsigned long long max,
                          unsigned long long *out) {
    if (text == NULL || *text < '0' || *text > '9')
        return -1;
    errno = 0;
    char *end = NULL;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || value < min || value > max)
        return -1;
    *out = value;
    return 0;
}

/* Parses a byte size with an optional k/m/g suffix (powers of 1024). */
static int parse_size(const char *text, size_t *out) {
    if (text == NULL || *text < '0' || *text > '9')
        return -1;
    errno = 0;
    char *end = NULL;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno != 0)
        return -1;
    unsigned long long scale = 1;
    if (*end == 'k' || *end == 'K')
        scale = 1024ULL;
    else if (*end == 'm' || *end == 'M')
        scale = 1024ULL * 1024;
    else if (*end == 'g' || *end == 'G')
        scale = 1024ULL * 1024 * 1024;
    if (scale != 1)
        end++;
    if (*end != '\0' || value > (unsigned long long)(SIZE_MAX / 2) / scale)
        return -1;
    *out = (size_t)(value * scale);
    return 0;
}

static int parse_log(const char *text, enum log_format *out) {
    if (strcmp(text, "off") == 0)
        *out = LOG_OFF;
    else if (strcmp(text, "common") == 0)
        *out = LOG_COMMON;
    else if (strcmp(text, "json") == 0)
        *out = LOG_JSON;
    else
        return -1;
    return 0;
}

/* An origin is "*" or scheme://host[:port] with no path: what browsers send in Origin. */
static int valid_origin(const char *origin) {
    if (strcmp(origin, "*") == 0)
        return 1;
    const char *rest = NULL;
    if (strncmp(origin, "http://", 7) == 0)
        rest = origin + 7;
    else if (strncmp(origin, "https://", 8) == 0)
        rest = origin + 8;
    if (rest == NULL || *rest == '\0')
        return 0;
    for (const char *c = rest; *c; c++)
        if (*c == '/' || *c == ' ' || *c == ',' || (unsigned char)*c < 0x21)
            return 0;
    return 1;
}

static int add_origin(struct config *cfg, const char *origin, FILE *err) {
    if (!valid_origin(origin)) {
        fprintf(err, "plenary serve: --cors-origin '%s' is not * or scheme://host[:port]\n",
                origin);
        return 2;
    }
    if (cfg->cors_origin_count == CONFIG_MAX_ORIGINS) {
        fprintf(err, "plenary serve: at most %d --cors-origin values\n", CONFIG_MAX_ORIGINS);
        return 2;
    }
    cfg->cors_origins[cfg->cors_origin_count++] = origin;
    return 0;
}

/* Applies one setting, named by its flag (without dashes), from a flag or a variable. */
static int apply(struct config *cfg, const char *name, const char *value, const char *source,
                 FILE *err) {
    unsigned long long number = 0;
    if (strcmp(name, "db") == 0) {
        if (*value == '\0')
            goto bad;
        cfg->db_path = value;
    } else if (strcmp(name, "bind") == 0) {
        if (*value == '\0')
            goto bad;
        cfg->bind = value;
    } else if (strcmp(name, "port") == 0) {
        if (parse_unsigned(value, 1, 65535, &number) != 0)
            goto bad;
        cfg->port = (unsigned)number;
    } else if (strcmp(name, "threads") == 0) {
        if (parse_unsigned(value, MIN_THREADS, MAX_THREADS, &number) != 0)
            goto bad;
        cfg->threads = (unsigned)number;
    } else if (strcmp(name, "cors-origin") == 0) {
        return add_origin(cfg, value, err);
    } else if (strcmp(name, "cache-control") == 0) {
        for (const char *c = value; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                goto bad;
        cfg->cache_control = value;
    } else if (strcmp(name, "cache-size") == 0) {
        if (parse_size(value, &cfg->cache_bytes) != 0)
            goto bad;
    } else if (strcmp(name, "log") == 0) {
        if (parse_log(value, &cfg->log) != 0)
            goto bad;
    } else {
        fprintf(err, "plenary serve: unknown option --%s (see plenary serve --help)\n", name);
        return 2;
    }
    return 0;
bad:
    fputs("plenary serve: bad value '", err);
    for (const char *c = value; *c; c++) /* one line, whatever the value holds */
        fputc((unsigned char)*c < 0x20 || *c == 0x7f ? '?' : *c, err);
    fprintf(err, "' for %s (see plenary serve --help)\n", source);
    return 2;
}

static const struct {
    const char *variable; /* environment variable */
    const char *flag;     /* the flag it stands for */
} environment[] = {
    {"PLENARY_DB", "db"},
    {"PLENARY_BIND", "bind"},
    {"PLENARY_PORT", "port"},
    {"PLENARY_THREADS", "threads"},
    {"PLENARY_CACHE_CONTROL", "cache-control"},
    {"PLENARY_CACHE_SIZE", "cache-size"},
    {"PLENARY_LOG", "log"},
};

/* PLENARY_CORS_ORIGIN is a comma-separated list; its copy lives as long as the process. */
static int apply_origin_list(struct config *cfg, const char *list, FILE *err) {
    static char copy[1024];
    if (strlen(list) >= sizeof copy) {
        fprintf(err, "plenary serve: PLENARY_CORS_ORIGIN is longer than %zu bytes\n",
                sizeof copy - 1);
        return 2;
    }
    memcpy(copy, list, strlen(list) + 1);
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        while (*item == ' ')
            item++;
        int rc = add_origin(cfg, item, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int config_parse(struct config *cfg, int argc, char **argv, FILE *out, FILE *err) {
    *cfg = (struct config){
        .db_path = "./plenary.db",
        .bind = "127.0.0.1",
        .port = 8080,
        .threads = config_default_threads(),
        .cache_control = "no-cache",
        .cache_bytes = 64u * 1024 * 1024,
        .log = LOG_COMMON,
    };
    for (size_t i = 0; i < sizeof environment / sizeof environment[0]; i++) {
        const char *value = getenv(environment[i].variable);
        if (value != NULL && *value != '\0') {
            int rc = apply(cfg, environment[i].flag, value, environment[i].variable, err);
            if (rc != 0)
                return rc;
        }
    }
    const char *origins = getenv("PLENARY_CORS_ORIGIN");
    int flag_origins = 0;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(serve_usage, out);
            return 1;
        }
        if (strncmp(arg, "--", 2) != 0) {
            fprintf(err, "plenary serve: unexpected argument '%s' (see plenary serve --help)\n",
                    arg);
            return 2;
        }
        char name[32];
        const char *value = NULL;
        const char *eq = strchr(arg + 2, '=');
        size_t name_len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
        if (name_len == 0 || name_len >= sizeof name) {
            fprintf(err, "plenary serve: unknown option %s (see plenary serve --help)\n", arg);
            return 2;
        }
        memcpy(name, arg + 2, name_len);
        name[name_len] = '\0';
        if (eq) {
            value = eq + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            fprintf(err, "plenary serve: option --%s needs a value\n", name);
            return 2;
        }
        if (strcmp(name, "cors-origin") == 0 && !flag_origins) {
            /* flags replace the environment's list rather than add to it */
            cfg->cors_origin_count = 0;
            flag_origins = 1;
        }
        char source[40];
        snprintf(source, sizeof source, "--%s", name);
        int rc = apply(cfg, name, value, source, err);
        if (rc != 0)
            return rc;
    }
    if (!flag_origins && origins != NULL && *origins != '\0') {
        int rc = apply_origin_list(cfg, origins, err);
        if (rc != 0)
            return rc;
    }
    if (cfg->cors_origin_count == 0)
        cfg->cors_origins[cfg->cors_origin_count++] = "*";
    return 0;
}
