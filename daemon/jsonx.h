/* Building JSON that cannot fail quietly. */
#ifndef PPGD_JSONX_H
#define PPGD_JSONX_H

#include <jansson.h>

/* Set o[key] = v, taking v; a NULL v (jansson out of memory) is fatal. */
void jsonx_set(json_t *o, const char *key, json_t *v);
/* Append v to array a, taking v; a NULL v is fatal. */
void jsonx_push(json_t *a, json_t *v);

#endif
