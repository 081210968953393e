/* http.h: the HTTP daemon — the only part of plenary that includes <microhttpd.h>. It reads
 * requests within the limits of limits.h, refuses ambiguous framing, dispatches through the
 * route table and writes answers with the headers every client relies on. */
#ifndef PLENARY_HTTP_H
#define PLENARY_HTTP_H

#include <stddef.h>

struct config;
struct http_server;

/* Starts listening on cfg->bind:cfg->port with cfg->threads workers. Returns the server, or
 * NULL with one line in err. cfg must outlive the server. */
struct http_server *http_start(const struct config *cfg, char *err, size_t err_size);

/* The port the server listens on (useful when cfg->port was 0). */
unsigned http_port(const struct http_server *server);

/* Graceful stop: stops accepting, lets requests in flight finish (up to SHUTDOWN_GRACE_S),
 * closes every connection and database handle, and frees the server. */
void http_stop(struct http_server *server);

#endif
