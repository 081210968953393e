/* openapi.c: builds /openapi.json once from the route table and the embedded components.
 * Each route becomes a path item; each operation gets an operationId from the route's name,
 * its parameters by reference into components, its success body and the problem answers. */
#include "openapi.h"

#include "embedded.h"
#include "router.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static json_t *document;
static pthread_once_t built = PTHREAD_ONCE_INIT;

static const char *method_key(enum http_method method) {
    switch (method) {
    case METHOD_GET:
        return "get";
    case METHOD_POST:
        return "post";
    case METHOD_PATCH:
        return "patch";
    case METHOD_DELETE:
        return "delete";
    case METHOD_PUT:
        return "put";
    default:
        return NULL;
    }
}

static json_t *problem_ref(void) {
    return json_pack("{s:s}", "$ref", "#/components/responses/Problem");
}

/* The operation object of one route operation. */
static json_t *operation(const struct route *route, const struct route_op *op) {
    const struct route_doc *doc = &op->doc;
    char id[96];
    snprintf(id, sizeof id, "%s.%s", route->name, method_key(op->method));
    json_t *params = json_array();
    const char *brace = strchr(route->pattern, '{');
    if (brace != NULL) {
        char name[32];
        const char *close = strchr(brace, '}');
        snprintf(name, sizeof name, "%.*s", (int)(close - brace - 1), brace + 1);
        json_array_append_new(
            params, json_pack("{s:s, s:s, s:b, s:s, s:{s:s}}", "name", name, "in", "path",
                              "required", 1, "description",
                              strcmp(name, "id") == 0 ? "The resource's integer id."
                                                      : "The resource's integer id or its slug.",
                              "schema", "type", "string"));
    }
    for (size_t i = 0; i < ROUTE_MAX_PARAMS && doc->params[i] != NULL; i++) {
        char ref[128];
        snprintf(ref, sizeof ref, "#/components/parameters/%s", doc->params[i]);
        json_array_append_new(params, json_pack("{s:s}", "$ref", ref));
    }
    json_t *responses = json_object();
    char status[8];
    snprintf(status, sizeof status, "%d", doc->status ? doc->status : 200);
    json_t *success = json_pack("{s:s}", "description", doc->summary);
    if (doc->status != 204) {
        json_t *schema;
        if (doc->schema != NULL) {
            char ref[128];
            snprintf(ref, sizeof ref, "#/components/schemas/%s", doc->schema);
            schema = json_pack("{s:s}", "$ref", ref);
        } else {
            schema = json_pack("{s:s}", "type", doc->media && strncmp(doc->media, "text/", 5) == 0
                                                    ? "string"
                                                    : "object");
        }
        json_t *content = json_pack("{s:{s:o}}", doc->media ? doc->media : "application/json",
                                    "schema", schema);
        /* a collection that takes `format` also answers CSV and NDJSON (the same rows) */
        for (size_t i = 0; i < ROUTE_MAX_PARAMS && doc->params[i] != NULL; i++) {
            if (strcmp(doc->params[i], "format") != 0)
                continue;
            json_object_set_new(
                content, "text/csv",
                json_pack("{s:{s:s, s:s}}", "schema", "type", "string", "description",
                          "RFC 4180 CSV of the page: a header row, a reference as <field>_id and "
                          "<field>_name columns, a list as names joined by '; '."));
            json_object_set_new(
                content, "application/x-ndjson",
                json_pack("{s:{s:s, s:s}}", "schema", "type", "string", "description",
                          "One JSON object (as in data) a line: the whole filtered set, "
                          "streamed, without paging."));
        }
        json_object_set_new(success, "content", content);
    }
    /* http.c sets X-Revision on every answer, and ETag on every buffered 200 answer to GET:
     * an event stream never has one (nor does a streamed NDJSON body, hence not required). */
    json_t *headers =
        json_pack("{s:{s:s}}", "X-Revision", "$ref", "#/components/headers/X-Revision");
    if (op->method == METHOD_GET && (doc->status == 0 || doc->status == 200) &&
        !(doc->media && strcmp(doc->media, "text/event-stream") == 0))
        json_object_set_new(headers, "ETag",
                            json_pack("{s:s}", "$ref", "#/components/headers/ETag"));
    json_object_set_new(success, "headers", headers);
    json_object_set_new(responses, status, success);
    if (op->method == METHOD_GET) {
        json_object_set_new(responses, "304",
                            json_pack("{s:s}", "$ref", "#/components/responses/NotModified"));
        json_object_set_new(responses, "406", problem_ref());
    }
    json_object_set_new(responses, "400", problem_ref());
    if (brace != NULL)
        json_object_set_new(responses, "404", problem_ref());
    json_object_set_new(responses, "405", problem_ref());
    json_object_set_new(responses, "default", problem_ref());
    json_t *op_obj = json_pack("{s:[s], s:s, s:s, s:o, s:o}", "tags", doc->tag, "summary",
                               doc->summary, "operationId", id, "parameters", params,
                               "responses", responses);
    if (op->method == METHOD_GET)
        json_object_set_new(op_obj, "security", json_array());
    else
        json_object_set_new(op_obj, "security", json_pack("[{s:[]}]", "bearerAuth"));
    return op_obj;
}

static void build(void) {
    json_error_t error;
    json_t *doc = json_loadb(embedded_openapi[0].data, embedded_openapi[0].size, 0, &error);
    if (doc == NULL) {
        fprintf(stderr, "plenary: the embedded OpenAPI components do not parse: %s (line %d)\n",
                error.text, error.line);
        return;
    }
    json_object_set_new(json_object_get(doc, "info"), "version", json_string(PLENARY_VERSION));
    json_t *paths = json_object();
    int writes = 0; /* operations other than GET, which carry security: bearerAuth */
    for (const struct route *r = routes; r->pattern != NULL; r++) {
        if (r->hidden)
            continue;
        json_t *item = json_object();
        for (size_t i = 0; i < ROUTE_MAX_OPS && r->ops[i].method != 0; i++) {
            const char *key = method_key(r->ops[i].method);
            if (key == NULL)
                continue;
            json_object_set_new(item, key, operation(r, &r->ops[i]));
            writes += r->ops[i].method != METHOD_GET;
        }
        json_object_set_new(paths, r->pattern, item);
    }
    json_object_set_new(doc, "paths", paths);
    /* The components declare bearerAuth for the write routes; while no route writes, the
     * scheme is left out, so that the document holds nothing it does not use. */
    if (!writes) {
        json_t *schemes = json_object_get(json_object_get(doc, "components"), "securitySchemes");
        json_object_del(schemes, "bearerAuth");
        if (json_object_size(schemes) == 0)
            json_object_del(json_object_get(doc, "components"), "securitySchemes");
    }
    document = doc;
}

json_t *openapi_document(void) {
    pthread_once(&built, build);
    return document ? json_deep_copy(document) : NULL;
}
