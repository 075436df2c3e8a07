/* The notify transport: not yet built in this tree. */
#include "transport.h"
#include "xmalloc.h"

static int
notify_init(struct event_base *base, const struct config *cfg, void **state,
            char **cause)
{
	*cause = xstrdup("the notify transport is not available in this build");
	return -1;
}

const struct transport_ops transport_notify_ops = {
    .name = "notify",
    .init = notify_init,
};
