/* res_meta.c: the endpoints about the service rather than the record — the index, liveness,
 * readiness, Prometheus metrics and the OpenAPI document. */
#include "db.h"
#include "metrics.h"
#include "openapi.h"
#include "resources.h"
#include "router.h"

#include <stdlib.h>
#include <string.h>

static const char *const pretty_only[] = {NULL};

int res_index(struct request *req, struct response *res) {
    if (request_check_params(req, res, pretty_only) != 0)
        return problem_status(res->problem.kind);
    json_t *links = json_object();
    /* every collection of the route table: a GET route under /v1/ without a {ref} */
    for (const struct route *r = routes; r->pattern != NULL; r++) {
        if (strncmp(r->pattern, "/v1/", 4) != 0 || strchr(r->pattern, '{') != NULL ||
            strchr(r->pattern + 4, '/') != NULL || strchr(r->pattern, '.') != NULL ||
            router_op(r, METHOD_GET) == NULL)
            continue;
        char key[64];
        snprintf(key, sizeof key, "%s", r->pattern + 4);
        for (char *c = key; *c; c++)
            if (*c == '-')
                *c = '_';
        json_object_set_new(links, key, json_string(r->pattern));
    }
    json_object_set_new(links, "openapi", json_string("/openapi.json"));
    json_object_set_new(links, "health", json_string("/healthz"));
    json_object_set_new(links, "ready", json_string("/readyz"));
    json_object_set_new(links, "metrics", json_string("/metrics"));
    json_t *body = json_pack("{s:s, s:s, s:s, s:I, s:o}", "name", "plenary", "description",
                             "The record of an intergovernmental assembly: sessions, "
                             "interventions, organizations, people and side events.",
                             "version", PLENARY_VERSION, "revision", (json_int_t)req->revision,
                             "links", links);
    res->uncacheable = 1; /* carries the revision, which every write moves */
    return response_json_value(req, res, 200, body);
}

int res_healthz(struct request *req, struct response *res) {
    if (request_check_params(req, res, pretty_only) != 0)
        return problem_status(res->problem.kind);
    res->uncacheable = 1;
    return response_json_value(req, res, 200, json_pack("{s:s}", "status", "ok"));
}

int res_readyz(struct request *req, struct response *res) {
    if (request_check_params(req, res, pretty_only) != 0)
        return problem_status(res->problem.kind);
    res->uncacheable = 1;
    if (db_ping(req->db) != 0)
        return response_problem(res, PROBLEM_UNAVAILABLE, "the database does not answer");
    return response_json_value(req, res, 200, json_pack("{s:s}", "status", "ready"));
}

int res_metrics(struct request *req, struct response *res) {
    if (request_check_params(req, res, pretty_only) != 0)
        return problem_status(res->problem.kind);
    size_t len = 0;
    char *text = metrics_render(req->revision, &len);
    if (text == NULL)
        return response_problem(res, PROBLEM_INTERNAL, "out of memory");
    res->body = text;
    res->body_len = len;
    res->content_type = "text/plain; version=0.0.4; charset=utf-8";
    res->uncacheable = 1;
    res->status = 200;
    return 200;
}

int res_openapi(struct request *req, struct response *res) {
    if (request_check_params(req, res, pretty_only) != 0)
        return problem_status(res->problem.kind);
    json_t *doc = openapi_document();
    if (doc == NULL)
        return response_problem(res, PROBLEM_INTERNAL, "the OpenAPI document is not available");
    return response_json_value(req, res, 200, doc);
}
