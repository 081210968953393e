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
/* File descriptors each worker holds: its epoll set, libmicrohttpd's wake-up eventfd and
 * plenary's (http.c, struct worker), and its database file, WAL and shm. */
#define FDS_PER_WORKER 6
/* Connections the kernel queues for the accepting thread before it refuses more. */
#define LISTEN_BACKLOG 1024
/* Connections from which a worker can fill one round of libmicrohttpd's epoll loop (128
 * events, its own wake-up among them) and so stall; see struct worker in http.c. */
#define STALL_RISK_CONNECTIONS 120
/* Milliseconds between looks at workers that could stall, while they are busy; and once
 * they have all been quiet for STALL_REST_LOOKS looks (a look wakes each quiet one). */
#define STALL_WATCH_MS 2
#define STALL_REST_LOOKS 16
#define STALL_REST_MS 50
/* Microseconds between a busy worker's own wake-ups (one per request cost 3% of the
 * cached page's rate). */
#define KICK_INTERVAL_US 200
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
/* Worker threads: at least 2, since libmicrohttpd 0.9.75's epoll loop stalls with one. */
#define MIN_THREADS 2
#define MAX_THREADS 64

#endif
