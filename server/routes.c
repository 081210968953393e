/* routes.c: the route table — data, not code. Each row is a path pattern, a metrics label,
 * and its operations with their handler and OpenAPI documentation; router.c matches it,
 * openapi.c publishes it. Order matters only where two patterns could match one path. */
#include "resources.h"
#include "router.h"

#define META "meta"

const struct route routes[] = {
    {"/", "index",
     {{METHOD_GET, res_index,
       {META, "The index: name, version, revision and a link to every collection",
        {"pretty", NULL}, "Index", NULL, 200}}}, 0},
    {"/healthz", "healthz",
     {{METHOD_GET, res_healthz,
       {META, "Liveness: 200 while the process serves", {NULL}, "Health", NULL, 200}}}, 0},
    {"/readyz", "readyz",
     {{METHOD_GET, res_readyz,
       {META, "Readiness: 200 when the database answers a query, else 503", {NULL}, "Health",
        NULL, 200}}}, 0},
    {"/metrics", "metrics",
     {{METHOD_GET, res_metrics,
       {META, "Prometheus metrics: requests by route and status, latency, cache, revision",
        {NULL}, NULL, "text/plain; version=0.0.4", 200}}}, 0},
    {"/openapi.json", "openapi",
     {{METHOD_GET, res_openapi,
       {META, "This OpenAPI 3.1 document", {"pretty", NULL}, NULL, "application/json", 200}}},
     0},
    {NULL, NULL, {{0, NULL, {NULL, NULL, {NULL}, NULL, NULL, 0}}}, 0},
};
