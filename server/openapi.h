/* openapi.h: the OpenAPI 3.1 document, built from the route table (paths and operations)
 * and the embedded components (server/openapi_components.json: schemas, parameters,
 * responses), so what is documented is what dispatches. */
#ifndef PLENARY_OPENAPI_H
#define PLENARY_OPENAPI_H

#include <jansson.h>

/* Returns a new reference to the whole document, or NULL if it cannot be built. */
json_t *openapi_document(void);

#endif
