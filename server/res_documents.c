/* res_documents.c: /v1/documents and its items — reports, matrices, statements and letters the record refers to.
 * The collection engine (collection.c) does the work; this file says what the resource is. */
#include "collection.h"
#include "resources.h"

static const struct collection_field fields[] = {
    {"id", 0},
    {"slug", 0},
    {"title", 0},
    {"kind", 0},
    {"date", 0},
    {"url", 0},
    {"assembly", 1},
    {"author", 1},
    {"created_at", 0},
    {"updated_at", 0},
    {NULL, 0},
};

static const struct collection documents = {RECORD_DOCUMENT, "/v1/documents", fields,
                                          1u << RECORD_DOCUMENT | 1u << RECORD_ASSEMBLY | 1u << RECORD_ORGANIZATION};

int res_documents_list(struct request *req, struct response *res) {
    return collection_list(&documents, req, res);
}

int res_documents_item(struct request *req, struct response *res) {
    return collection_item(&documents, req, res);
}
