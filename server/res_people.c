/* res_people.c: /v1/people and its items — the speakers of the record, with their affiliations.
 * The collection engine (collection.c) does the work; this file says what the resource is. */
#include "collection.h"
#include "resources.h"

static const struct collection_field fields[] = {
    {"id", 0},
    {"slug", 0},
    {"name", 0},
    {"honorific", 0},
    {"affiliations", 0},
    {"created_at", 0},
    {"updated_at", 0},
    {NULL, 0},
};

static const struct collection people = {RECORD_PERSON, "/v1/people", fields,
                                          1u << RECORD_PERSON | 1u << RECORD_ORGANIZATION};

int res_people_list(struct request *req, struct response *res) {
    return collection_list(&people, req, res);
}

int res_people_item(struct request *req, struct response *res) {
    return collection_item(&people, req, res);
}
