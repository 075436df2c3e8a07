/* The twilio transport: not yet built in this tree. */
#include "transport.h"
#include "xmalloc.h"

static int
twilio_init(struct event_base *base, const struct config *cfg, void **state,
            char **cause)
{
	*cause = xstrdup("the twilio transport is not available in this build");
	return -1;
}

const struct transport_ops transport_twilio_ops = {
    .name = "twilio",
    .init = twilio_init,
};
