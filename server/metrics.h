/* metrics.h: the daemon's counters, kept with relaxed atomics so that recording costs no
 * lock, and rendered in the Prometheus text format for /metrics. */
#ifndef PLENARY_METRICS_H
#define PLENARY_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* Counts one answered request: route index (or -1 for no route), status and latency. */
void metrics_request(int route, int status, uint64_t micros);
/* The number of workers whose connections are counted apart (at most METRICS_MAX_WORKERS;
 * 0 until the HTTP layer starts). */
#define METRICS_MAX_WORKERS 256
void metrics_workers(unsigned count);
/* A connection opened (+1) or closed (-1) on worker `worker`. */
void metrics_connection(unsigned worker, int delta);
/* A response-cache lookup that hit (1) or missed (0). */
void metrics_cache(int hit);
/* The number of connections open now. */
int64_t metrics_open_connections(void);

/* Renders every metric as Prometheus text; revision is the database's. Returns a new
 * malloc'd string (caller frees) with its length in *len, or NULL when out of memory. */
char *metrics_render(int64_t revision, size_t *len);

#endif
