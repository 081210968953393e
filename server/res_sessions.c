/* res_sessions.c: /v1/sessions and its items — the meetings of each day; an item embeds its ordered segments.
 * The collection engine (collection.c) does the work; this file says what the resource is. */
#include "collection.h"
#include "resources.h"

static const struct collection_field fields[] = {
    {"id", 0},
    {"slug", 0},
    {"assembly", 1},
    {"date", 0},
    {"kind", 0},
    {"title", 0},
    {"theme", 0},
    {"part_of_day", 0},
    {"position", 0},
    {"summary", 0},
    {"segments", 0},
    {"documents", 0},
    {"topics", 0},
    {"created_at", 0},
    {"updated_at", 0},
    {NULL, 0},
};

static const struct collection sessions = {RECORD_SESSION, "/v1/sessions", fields,
                                          1u << RECORD_SESSION | 1u << RECORD_ASSEMBLY | 1u << RECORD_DOCUMENT | 1u << RECORD_TOPIC};

int res_sessions_list(struct request *req, struct response *res) {
    return collection_list(&sessions, req, res);
}

int res_sessions_item(struct request *req, struct response *res) {
    return collection_item(&sessions, req, res);
}

/* GET <path>.ics: the same filters, the whole filtered set as an iCalendar feed. */
int res_sessions_ics(struct request *req, struct response *res) {
    return collection_ics(&sessions, req, res, ICS_SESSIONS, "plenary: sessions");
}
