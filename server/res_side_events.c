/* res_side_events.c: /v1/side-events and its items — held alongside the assembly; an item embeds its ordered hosts.
 * The collection engine (collection.c) does the work; this file says what the resource is. */
#include "collection.h"
#include "resources.h"

static const struct collection_field fields[] = {
    {"id", 0},
    {"slug", 0},
    {"title", 0},
    {"date", 0},
    {"assembly", 1},
    {"description", 0},
    {"hosts", 0},
    {"topics", 0},
    {"created_at", 0},
    {"updated_at", 0},
    {NULL, 0},
};

static const struct collection side_events = {RECORD_SIDE_EVENT, "/v1/side-events", fields,
                                          1u << RECORD_SIDE_EVENT | 1u << RECORD_ASSEMBLY | 1u << RECORD_ORGANIZATION | 1u << RECORD_TOPIC};

int res_side_events_list(struct request *req, struct response *res) {
    return collection_list(&side_events, req, res);
}

int res_side_events_item(struct request *req, struct response *res) {
    return collection_item(&side_events, req, res);
}

/* GET <path>.ics: the same filters, the whole filtered set as an iCalendar feed. */
int res_side_events_ics(struct request *req, struct response *res) {
    return collection_ics(&side_events, req, res, ICS_SIDE_EVENTS, "plenary: side events");
}
