/* response.c: small helpers handlers use to read a request and fill a response, so that
 * no handler touches header arrays or ownership rules by hand. */
#include "handler.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

const char *request_param(const struct request *req, const char *name) {
    for (size_t i = 0; i < req->param_count; i++)
        if (strcmp(req->params[i].name, name) == 0)
            return req->params[i].value;
    return NULL;
}

int param_list_next(const char **rest, const char **item, size_t *len) {
    if (*rest == NULL)
        return 0;
    const char *end = strchr(*rest, ',');
    *item = *rest;
    *len = end ? (size_t)(end - *rest) : strlen(*rest);
    *rest = end ? end + 1 : NULL;
    return 1;
}

int response_header_add(struct response *res, const char *name, const char *value) {
    assert(name != NULL && value != NULL);
    if (res->header_count == RESPONSE_MAX_HEADERS)
        return -1;
    char *copy = strdup(value);
    if (copy == NULL)
        return -1;
    res->headers[res->header_count].name = name;
    res->headers[res->header_count].value = copy;
    res->header_count++;
    return 0;
}

int response_json(struct response *res, int status, char *text, size_t len) {
    free(res->body);
    res->body = text;
    res->body_len = len;
    res->content_type = "application/json";
    res->status = status;
    return status;
}

int request_check_params(const struct request *req, struct response *res,
                         const char *const allowed[]) {
    for (size_t i = 0; i < req->param_count; i++) {
        const char *name = req->params[i].name;
        int known = strcmp(name, "pretty") == 0;
        for (size_t a = 0; !known && allowed && allowed[a]; a++)
            known = strcmp(name, allowed[a]) == 0;
        if (!known) {
            char list[512] = "pretty";
            size_t used = strlen(list);
            for (size_t a = 0; allowed && allowed[a] && used < sizeof list; a++) {
                int n = snprintf(list + used, sizeof list - used, ", %s", allowed[a]);
                if (n < 0)
                    break;
                used += (size_t)n;
            }
            return problem_parameter(&res->problem, name,
                                     "unknown parameter '%s'; %s takes: %s", name, req->path,
                                     list);
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(req->params[j].name, name) == 0)
                return problem_parameter(&res->problem, name,
                                         "parameter '%s' is given more than once; give it once "
                                         "(a list is one comma-separated value)",
                                         name);
    }
    return 0;
}

int request_pretty(const struct request *req, struct response *res) {
    const char *value = request_param(req, "pretty");
    if (value == NULL || strcmp(value, "false") == 0)
        return 0;
    if (*value == '\0' || strcmp(value, "true") == 0)
        return 1;
    problem_parameter(&res->problem, "pretty", "pretty takes no value, or true or false");
    return -1;
}

int response_json_value(const struct request *req, struct response *res, int status,
                        json_t *value) {
    int pretty = request_pretty(req, res);
    if (pretty < 0) {
        json_decref(value);
        return problem_status(res->problem.kind);
    }
    size_t flags = JSON_PRESERVE_ORDER | JSON_COMPACT;
    if (pretty)
        flags = JSON_PRESERVE_ORDER | JSON_INDENT(2);
    char *text = value ? json_dumps(value, flags) : NULL;
    json_decref(value);
    if (text == NULL)
        return response_problem(res, PROBLEM_INTERNAL, "the answer could not be rendered");
    size_t len = strlen(text);
    if (pretty) {
        /* a terminal wants the prompt on its own line */
        char *grown = realloc(text, len + 2);
        if (grown == NULL) {
            free(text);
            return response_problem(res, PROBLEM_INTERNAL, "out of memory");
        }
        text = grown;
        text[len++] = '\n';
        text[len] = '\0';
    }
    return response_json(res, status, text, len);
}
