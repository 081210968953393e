/* resources.h: every route handler, one group per res_*.c file. routes.c puts them in the
 * route table; nothing else calls them. */
#ifndef PLENARY_RESOURCES_H
#define PLENARY_RESOURCES_H

#include "handler.h"

/* res_meta.c: the index, health, readiness, metrics and the OpenAPI document. */
int res_index(struct request *req, struct response *res);
int res_healthz(struct request *req, struct response *res);
int res_readyz(struct request *req, struct response *res);
int res_metrics(struct request *req, struct response *res);
int res_openapi(struct request *req, struct response *res);

/* res_search.c: full-text search across every type (/v1/search). */
int res_search(struct request *req, struct response *res);

/* res_changes.c: the change feed, as pages (long polling) and as Server-Sent Events. */
int res_changes(struct request *req, struct response *res);
int res_changes_stream(struct request *req, struct response *res);

#endif
