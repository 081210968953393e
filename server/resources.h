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

/* The read API: one res_*.c per resource, each a description for collection.c. Collections
 * answer GET /v1/<path>; items GET /v1/<path>/{ref} (ref: id or slug; interventions: id). */
int res_assemblies_list(struct request *req, struct response *res);
int res_assemblies_item(struct request *req, struct response *res);
int res_sessions_list(struct request *req, struct response *res);
int res_sessions_item(struct request *req, struct response *res);
int res_sessions_ics(struct request *req, struct response *res); /* /v1/sessions.ics */
int res_interventions_list(struct request *req, struct response *res);
int res_interventions_item(struct request *req, struct response *res);
int res_organizations_list(struct request *req, struct response *res);
int res_organizations_item(struct request *req, struct response *res);
int res_people_list(struct request *req, struct response *res);
int res_people_item(struct request *req, struct response *res);
int res_side_events_list(struct request *req, struct response *res);
int res_side_events_item(struct request *req, struct response *res);
int res_side_events_ics(struct request *req, struct response *res); /* /v1/side-events.ics */
int res_documents_list(struct request *req, struct response *res);
int res_documents_item(struct request *req, struct response *res);
int res_topics_list(struct request *req, struct response *res);
int res_topics_item(struct request *req, struct response *res);

#endif
