/* main.c: the plenary binary — subcommand dispatch, and `serve`'s start, signals and stop.
 * Nothing else lives here: each subcommand is in its own file (commands.h). */
#include "commands.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "revision.h"

#include "limits.h"

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: plenary <command> [options]\n"
    "\n"
    "plenary serves the record of an intergovernmental assembly as an HTTP JSON API.\n"
    "\n"
    "commands:\n"
    "  serve      serve the record over HTTP (plenary serve --help)\n"
    "  init       create or migrate the database schema, --with-fixtures to load the record\n"
    "  import     load a record document (JSON), all or nothing\n"
    "  export     write the whole record as a document (JSON)\n"
    "  generate   write a large synthetic record for scale tests\n"
    "\n"
    "  --version  print the version\n"
    "  --help     this text\n";

/* Raises the soft file-descriptor limit so that MAX_CONNECTIONS fit beside what `threads`
 * runners and their workers hold (the default soft limit, 1024, would refuse connections
 * long before). Never above the hard limit. */
static void raise_fd_limit(unsigned threads) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return;
    rlim_t wanted = (rlim_t)MAX_CONNECTIONS + RESERVED_FDS +
                    (rlim_t)threads * (SHARDS_PER_THREAD * FDS_PER_WORKER + FDS_PER_RUNNER);
    if (limit.rlim_cur >= wanted)
        return;
    limit.rlim_cur = limit.rlim_max == RLIM_INFINITY || limit.rlim_max >= wanted ? wanted
                                                                                : limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur < wanted)
        fprintf(stderr, "plenary serve: only %llu file descriptors: fewer than %d connections "
                        "will be served at once\n",
                (unsigned long long)limit.rlim_cur, MAX_CONNECTIONS);
}

static int serve(int argc, char **argv) {
    struct config cfg;
    int rc = config_parse(&cfg, argc, argv, stdout, stderr);
    if (rc == 1)
        return 0;
    if (rc != 0)
        return rc;

    /* Block the stop signals in every thread; this one waits for them with sigwait. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    raise_fd_limit(cfg.threads);
    db_global_init();
    char err[256];
    if (revision_start(cfg.db_path, err, sizeof err) != 0) {
        fprintf(stderr, "plenary serve: %s (create it with: plenary init --db %s "
                        "--with-fixtures)\n",
                err, cfg.db_path);
        return 1;
    }
    struct http_server *server = http_start(&cfg, err, sizeof err);
    if (server == NULL) {
        fprintf(stderr, "plenary serve: %s\n", err);
        revision_stop();
        return 1;
    }
    fprintf(stderr, "plenary %s serving %s on http://%s%s%s:%u/ with %u threads\n",
            PLENARY_VERSION, cfg.db_path, strchr(cfg.bind, ':') ? "[" : "", cfg.bind,
            strchr(cfg.bind, ':') ? "]" : "", http_port(server), cfg.threads);
    int signal_number = 0;
    sigwait(&stop, &signal_number);
    fprintf(stderr, "plenary: %s received, finishing requests in flight\n",
            signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
    http_stop(server);
    revision_stop();
    fprintf(stderr, "plenary: stopped\n");
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fputs(usage, stderr);
        return 2;
    }
    const char *command = argv[1];
    if (strcmp(command, "--version") == 0 || strcmp(command, "version") == 0) {
        printf("plenary %s\n", PLENARY_VERSION);
        return 0;
    }
    if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0 ||
        strcmp(command, "help") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    static const struct {
        const char *name;                 /* the subcommand */
        int (*run)(int argc, char **argv); /* its entry point */
    } commands[] = {
        {"serve", serve},       {"init", cmd_init},         {"import", cmd_import},
        {"export", cmd_export}, {"generate", cmd_generate},
    };
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(command, commands[i].name) == 0)
            return commands[i].run(argc - 2, argv + 2);
    fprintf(stderr, "plenary: unknown command '%s' (see plenary --help)\n", command);
    return 2;
}
