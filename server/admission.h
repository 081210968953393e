/* admission.h: which connections the daemon takes, and which worker serves each.
 * The accepting thread asks before handing a connection over: it is refused past the total
 * limit or its address's limit, else it goes to the worker holding the fewest connections,
 * so that every worker's clients wait alike. Thread-safe: workers report closes. */
#ifndef PLENARY_ADMISSION_H
#define PLENARY_ADMISSION_H

#include <sys/socket.h>

/* admission_enter's refusals */
#define ADMISSION_FULL (-1)      /* the total limit is reached */
#define ADMISSION_PEER_FULL (-2) /* the address's limit is reached */

struct admission;

/* A policy for `workers` workers (1..64), at most `total` connections at once and
 * `per_peer` from one client address. NULL when out of memory or a bound is 0. */
struct admission *admission_new(unsigned workers, unsigned total, unsigned per_peer);
void admission_free(struct admission *a);

/* Takes a connection from peer (AF_INET or AF_INET6; any other family counts as one
 * address): the index of the worker to serve it, or one of the refusals above. */
int admission_enter(struct admission *a, const struct sockaddr *peer);

/* Gives back a connection that admission_enter let in to `worker` from the same peer. */
void admission_leave(struct admission *a, unsigned worker, const struct sockaddr *peer);

/* Connections worker holds now; lock-free, for every request. */
unsigned admission_held(struct admission *a, unsigned worker);

#endif
