/* Building JSON that cannot fail quietly. */
#include "jsonx.h"
#include "log.h"

void
jsonx_set(json_t *o, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(o, key, v) == -1)
		fatalx("cannot build JSON for '%s'", key);
}

void
jsonx_push(json_t *a, json_t *v)
{
	if (v == NULL || json_array_append_new(a, v) == -1)
		fatalx("cannot build a JSON array");
}
