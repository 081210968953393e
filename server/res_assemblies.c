/* res_assemblies.c: /v1/assemblies and its items — the sessions of the Assembly of States Parties the record covers.
 * The collection engine (collection.c) does the work; this file says what the resource is. */
#include "collection.h"
#include "resources.h"

static const struct collection_field fields[] = {
    {"id", 0},
    {"slug", 0},
    {"name", 0},
    {"short_name", 0},
    {"place", 0},
    {"start_date", 0},
    {"end_date", 0},
    {"created_at", 0},
    {"updated_at", 0},
    {NULL, 0},
};

static const struct collection assemblies = {RECORD_ASSEMBLY, "/v1/assemblies", fields,
                                          1u << RECORD_ASSEMBLY};

int res_assemblies_list(struct request *req, struct response *res) {
    return collection_list(&assemblies, req, res);
}

int res_assemblies_item(struct request *req, struct response *res) {
    return collection_item(&assemblies, req, res);
}
