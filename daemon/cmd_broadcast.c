/* ppgd broadcast: a campaign of kind broadcast, fired at once. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "broadcast.h"
#include "campaign.h"
#include "cli.h"
#include "fire.h"
#include "xmalloc.h"

#define BROADCAST_USAGE                                                        \
	"broadcast --practice CODE --template you-said-we-did|broadcast"       \
	" [--message TEXT] [--action ID ...] [--channels email,sms]"           \
	" [--audience EXPR] [--name NAME] [--json]"

enum {
	OPT_PRACTICE = 1000,
	OPT_CHANNELS,
	OPT_AUDIENCE,
	OPT_TEMPLATE,
	OPT_MESSAGE,
	OPT_ACTION,
	OPT_NAME,
	OPT_JSON,
};

static int
broadcast_option(int ch, struct campaign *c, const char **practice, int *json)
{
	switch (ch) {
	case OPT_PRACTICE:
		*practice = optarg;
		return 0;
	case OPT_TEMPLATE:
		free(c->template);
		c->template = xstrdup(optarg);
		return 0;
	case OPT_MESSAGE:
		free(c->message);
		c->message = xstrdup(optarg);
		return 0;
	case OPT_CHANNELS:
		free(c->channels);
		c->channels = xstrdup(optarg);
		return 0;
	case OPT_AUDIENCE:
		free(c->audience);
		c->audience = xstrdup(optarg);
		return 0;
	case OPT_NAME:
		free(c->name);
		c->name = xstrdup(optarg);
		return 0;
	case OPT_JSON:
		*json = 1;
		return 0;
	case OPT_ACTION:
		return campaign_add_action(c, optarg);
	}
	return -1;
}

static int
broadcast_fire(struct ctx *ctx, struct campaign *c, const char *practice,
               int json, char **cause)
{
	struct fire_result r;

	if (broadcast_send(cli_db(ctx), ctx->cfg, c, practice, NULL, time(NULL),
	                   &r, cause) != BROADCAST_OK)
		return -1;
	if (json)
		cli_json(fire_result_json(&r, c));
	else
		printf("broadcast %s: %d messages (%d email, %d sms, %d held "
		       "for quiet hours)\n",
		       c->name, r.messages, r.email, r.sms, r.held);
	return 0;
}

int
cmd_broadcast(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"practice", required_argument, NULL, OPT_PRACTICE},
	    {"template", required_argument, NULL, OPT_TEMPLATE},
	    {"message", required_argument, NULL, OPT_MESSAGE},
	    {"action", required_argument, NULL, OPT_ACTION},
	    {"channels", required_argument, NULL, OPT_CHANNELS},
	    {"audience", required_argument, NULL, OPT_AUDIENCE},
	    {"name", required_argument, NULL, OPT_NAME},
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0}};
	struct campaign *c = campaign_new();
	const char *practice = NULL;
	char *cause = NULL;
	int ch, json = 0, rc = EXIT_FAIL;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if (broadcast_option(ch, c, &practice, &json) == -1)
			goto usage;
	if (optind != argc || practice == NULL || c->template == NULL)
		goto usage;
	if (broadcast_fire(ctx, c, practice, json, &cause) == -1) {
		cli_error("%s", cause);
		free(cause);
	} else
		rc = EXIT_OK;
	campaign_free(c);
	return rc;
usage:
	campaign_free(c);
	return cli_usage(BROADCAST_USAGE);
}
