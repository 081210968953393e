/* res_topics.c: /v1/topics and its items — the subjects that tag interventions, sessions and side events.
 * The collection engine (collection.c) does the work; this file says what the resource is. */
#include "collection.h"
#include "resources.h"

static const struct collection_field fields[] = {
    {"id", 0},
    {"slug", 0},
    {"name", 0},
    {"created_at", 0},
    {"updated_at", 0},
    {NULL, 0},
};

static const struct collection topics = {RECORD_TOPIC, "/v1/topics", fields,
                                          1u << RECORD_TOPIC};

int res_topics_list(struct request *req, struct response *res) {
    return collection_list(&topics, req, res);
}

int res_topics_item(struct request *req, struct response *res) {
    return collection_item(&topics, req, res);
}
