/* dispatch.h: a complete request through the route table to its handler — 404 for an unknown
 * path, 405 with Allow for a method the route does not take, 503 without a database. The
 * HTTP layer calls it for every request; tests call it in-process, without a socket. */
#ifndef PLENARY_DISPATCH_H
#define PLENARY_DISPATCH_H

#include "handler.h"

/* Matches req->path, sets req->path_arg (to a copy stored in *path_arg_out, which the caller
 * frees), runs the handler and fills res. req->db may be NULL (answers 503). Returns the
 * matched route's index, or -1 when no route matched. */
int dispatch(struct request *req, struct response *res, char **path_arg_out);

/* Frees what a handler left in res (body, headers, stream) and zeroes it. */
void response_release(struct response *res);

#endif
