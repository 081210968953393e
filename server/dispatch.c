/* dispatch.c: from a complete request to a filled response through the route table. This is
 * the one path every request takes, whether it came over HTTP or from an in-process test. */
#include "dispatch.h"

#include "router.h"

#include <stdlib.h>
#include <string.h>

int dispatch(struct request *req, struct response *res, char **path_arg_out) {
    *path_arg_out = NULL;
    const char *arg = NULL;
    size_t arg_len = 0;
    const struct route *route = router_match(req->path, &arg, &arg_len);
    if (route == NULL) {
        problem_set(&res->problem, PROBLEM_NOT_FOUND, "no resource at %s; GET / lists them",
                    req->path);
        return -1;
    }
    int index = (int)route_index(route);
    if (arg != NULL) {
        *path_arg_out = strndup(arg, arg_len);
        if (*path_arg_out == NULL) {
            problem_set(&res->problem, PROBLEM_INTERNAL, "out of memory");
            return index;
        }
        req->path_arg = *path_arg_out;
    }
    const struct route_op *op = router_op(route, req->method);
    if (op == NULL) {
        char allow[96];
        router_allow(route, allow, sizeof allow);
        response_header_add(res, "Allow", allow);
        static const char *const names[] = {"GET", "HEAD", "POST", "PATCH", "DELETE",
                                            "OPTIONS", "PUT"};
        const char *method = "this method";
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (req->method == (enum http_method)(1 << i))
                method = names[i];
        problem_set(&res->problem, PROBLEM_METHOD_NOT_ALLOWED, "%s does not take %s; it takes %s",
                    req->path, method, allow);
        return index;
    }
    if (req->db == NULL) {
        problem_set(&res->problem, PROBLEM_UNAVAILABLE, "the database cannot be opened");
        return index;
    }
    int status = op->handler(req, res);
    if (res->status == 0)
        res->status = status;
    return index;
}

void response_release(struct response *res) {
    free(res->body);
    for (size_t i = 0; i < res->header_count; i++)
        free(res->headers[i].value);
    if (res->stream.free && res->stream.ctx)
        res->stream.free(res->stream.ctx);
    memset(res, 0, sizeof *res);
}
