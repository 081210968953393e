/* limits.h: every limit plenary enforces, named in one place with the reason for its value.
 * The HTTP layer enforces them while reading a request, before any handler runs. */
#ifndef PLENARY_LIMITS_H
#define PLENARY_LIMITS_H

/* Connections the daemon holds at once; past it new ones are refused at accept(). Idle
 * keep-alive clients and parked long polls / event streams cost a few KiB each, so
 * thousands are affordable; `serve` raises the file-descriptor limit to fit. */
#define MAX_CONNECTIONS 4096
/* Connections one client address may hold, so one script cannot take them all (a
 * dashboard host with a thousand event-stream listeners still fits). */
#define MAX_CONNECTIONS_PER_IP 2048
/* File descriptors besides connections and workers: the listening socket, the revision
 * watcher's database connections, logs, the standard streams. */
#define RESERVED_FDS 64
/* Workers (libmicrohttpd daemons, each with its own set of connections) per runner thread:
 * the runners take turns on them, so that a thread the kernel gives less CPU holds back
 * one small set of connections instead of its whole share (http.c, struct worker). The
 * smaller the sets, the fewer clients one late turn delays: the search of the 1,000,000-
 * intervention record at 256 connections (wrk beside the server on 2 cores), alternating 5 s
 * rounds at ~19,500/s, had a p99 of 23.8-24.3 ms with 1 worker per thread, 21.0-22.3 with 2
 * and 18.6-19.4 with 4, at the same rate; 8 gave no more. Workers share their runner's
 * database connection (http.c, runner_connection), so they cost no page cache. */
#define SHARDS_PER_THREAD 4
/* File descriptors each worker holds: its epoll set, libmicrohttpd's wake-up eventfd and
 * plenary's (http.c, struct worker); and each runner: its database file, WAL and shm. */
#define FDS_PER_WORKER 3
#define FDS_PER_RUNNER 3
/* Connections the kernel queues for the accepting thread before it refuses more. */
#define LISTEN_BACKLOG 1024
/* Milliseconds between the accepting thread's sweeps of the workers that hold
 * connections: libmicrohttpd closes idle connections past CONNECTION_TIMEOUT_S only when
 * its loop runs, and a worker whose clients are all idle is not run otherwise. */
#define SWEEP_MS 1000
/* Milliseconds a runner with nothing to do waits at most while another runner runs some
 * worker: that runner may spend long on a slow request elsewhere before it comes back to
 * the worker it left (http.c, runner_wait). */
#define RUNNER_RECHECK_MS 1
/* Microseconds a runner leaves another runner's worker alone after that one last ran it,
 * before it may take it over (http.c, next_worker). */
#define STEAL_AFTER_US 2000
/* Milliseconds the accepting thread pauses when out of descriptors or memory. */
#define ACCEPT_RETRY_MS 10
/* Seconds an idle connection is kept before it is closed. */
#define CONNECTION_TIMEOUT_S 30
/* Longest request target (path and query) accepted; longer answers 414. */
#define MAX_URL 4096
/* Per-connection memory pool of libmicrohttpd: it holds the request's header block (up to
 * about 15 KiB; larger answers 431, like Node's 16 KiB default) and the read buffer.
 * libmicrohttpd zeroes the whole pool after every request, so its size is paid on each
 * one: 32 KiB cost 49 K instructions per request and 55.7 MB of RSS with 1,000 connections
 * open; 16 KiB, 24 K and 40.7 MB. */
#define CONNECTION_MEMORY_BYTES 16384
/* Largest request body (writes, imports over HTTP); larger answers 413. */
#define MAX_BODY (1024 * 1024)
/* Query parameters one request may carry; more answers 400. */
#define MAX_PARAMS 32
/* Page sizes of collections: default and the most one page may hold (the contract). */
#define DEFAULT_LIMIT 50
#define MAX_LIMIT 500
/* Seconds a long poll of /v1/changes may wait (the contract). */
#define MAX_WAIT_S 60
/* Seconds the daemon waits for requests in flight after SIGTERM before it stops anyway. */
#define SHUTDOWN_GRACE_S 10
/* Runner threads: at least 2, so that a slow request (a cold facet of a large record) never
 * holds up every other client. */
#define MIN_THREADS 2
#define MAX_THREADS 64

#endif
