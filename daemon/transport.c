/* The transports by name: the built-in four, and any a test registers. */
#include <string.h>

#include "log.h"
#include "transport.h"

static const struct transport_ops *registry[TRANSPORT_MAX] = {
    &transport_file_ops, &transport_smtp_ops, &transport_twilio_ops,
    &transport_notify_ops};

const struct transport_ops *
transport_find(const char *name)
{
	size_t i;

	for (i = 0; i < TRANSPORT_MAX && registry[i] != NULL; i++)
		if (strcmp(registry[i]->name, name) == 0)
			return registry[i];
	return NULL;
}

const struct transport_ops *
transport_at(size_t i)
{
	return i < TRANSPORT_MAX ? registry[i] : NULL;
}

void
transport_register(const struct transport_ops *ops)
{
	size_t i;

	for (i = 0; i < TRANSPORT_MAX; i++) {
		if (registry[i] == NULL ||
		    strcmp(registry[i]->name, ops->name) == 0) {
			registry[i] = ops;
			return;
		}
	}
	fatalx("transport_register: more than %d transports", TRANSPORT_MAX);
}

void
transport_limits(const struct transport_ops *ops, const struct config *cfg,
                 struct transport_limits *lim)
{
	lim->concurrency = 256;
	lim->rate = 1e9;
	lim->burst = 1e9;
	if (ops->limits != NULL)
		ops->limits(cfg, lim);
}
