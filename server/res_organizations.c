/* res_organizations.c: /v1/organizations and its items — states, the Court and its organs, NGOs, groups and bodies.
 * The collection engine (collection.c) does the work; this file says what the resource is. */
#include "collection.h"
#include "resources.h"

static const struct collection_field fields[] = {
    {"id", 0},
    {"slug", 0},
    {"name", 0},
    {"kind", 0},
    {"acronym", 0},
    {"country_code", 0},
    {"parent", 1},
    {"coalition_member", 0},
    {"created_at", 0},
    {"updated_at", 0},
    {NULL, 0},
};

static const struct collection organizations = {RECORD_ORGANIZATION, "/v1/organizations", fields,
                                          1u << RECORD_ORGANIZATION};

int res_organizations_list(struct request *req, struct response *res) {
    return collection_list(&organizations, req, res);
}

int res_organizations_item(struct request *req, struct response *res) {
    return collection_item(&organizations, req, res);
}
