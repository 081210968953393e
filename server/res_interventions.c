/* res_interventions.c: /v1/interventions and its items — each turn at the floor, in order of delivery within its session.
 * The collection engine (collection.c) does the work; this file says what the resource is. */
#include "collection.h"
#include "resources.h"

static const struct collection_field fields[] = {
    {"id", 0},
    {"session", 1},
    {"segment", 1},
    {"position", 0},
    {"date", 0},
    {"speaker", 1},
    {"organization", 1},
    {"role", 0},
    {"on_behalf_of", 0},
    {"summary", 0},
    {"topics", 0},
    {"documents", 0},
    {"statement_url", 0},
    {"created_at", 0},
    {"updated_at", 0},
    {NULL, 0},
};

static const struct collection interventions = {RECORD_INTERVENTION, "/v1/interventions", fields,
                                          1u << RECORD_INTERVENTION | 1u << RECORD_SESSION | 1u << RECORD_PERSON | 1u << RECORD_ORGANIZATION | 1u << RECORD_TOPIC | 1u << RECORD_DOCUMENT};

int res_interventions_list(struct request *req, struct response *res) {
    return collection_list(&interventions, req, res);
}

int res_interventions_item(struct request *req, struct response *res) {
    return collection_item(&interventions, req, res);
}
