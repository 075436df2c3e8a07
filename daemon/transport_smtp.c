/* The smtp transport: not yet built in this tree. */
#include "transport.h"
#include "xmalloc.h"

static int
smtp_init(struct event_base *base, const struct config *cfg, void **state,
          char **cause)
{
	*cause = xstrdup("the smtp transport is not available in this build");
	return -1;
}

const struct transport_ops transport_smtp_ops = {
    .name = "smtp",
    .init = smtp_init,
};
