/* ppgd outbox: counts by state, failures, retry, cancel. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign.h"
#include "cli.h"
#include "outbox.h"
#include "xmalloc.h"

#define OUTBOX_USAGE                                                           \
	"outbox [--campaign NAME] [--failed] [--json] | outbox show ID"        \
	" [--json] | outbox retry ID|--campaign NAME | outbox cancel"          \
	" ID|--campaign NAME [--yes]"

static void
print_counts(json_t *o)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v)
	    printf("%-10s %8lld\n", k, (long long)json_integer_value(v));
	json_decref(o);
}

static void
print_failures(json_t *arr)
{
	size_t i;
	json_t *f;

	json_array_foreach(arr, i, f)
	{
		printf("%lld %s via %s after %d attempts: %s %s\n",
		       (long long)json_integer_value(json_object_get(f, "id")),
		       json_string_value(json_object_get(f, "channel")),
		       json_string_value(json_object_get(f, "transport")),
		       (int)json_integer_value(json_object_get(f, "attempts")),
		       json_string_value(json_object_get(f, "code")),
		       json_string_value(json_object_get(f, "reason")));
	}
	if (json_array_size(arr) == 0)
		printf("no failed messages\n");
	json_decref(arr);
}

/* outbox retry|cancel ID|--campaign NAME */
static int
outbox_change(struct ctx *ctx, int argc, char **argv, int retry)
{
	static const struct option opts[] = {
	    {"campaign", required_argument, NULL, 'c'},
	    {"json", no_argument, NULL, 'j'},
	    {"yes", no_argument, NULL, 'y'},
	    {NULL, 0, NULL, 0}};
	const char *campaign = NULL;
	struct campaign *c = NULL;
	int64_t id = 0;
	char *cause = NULL, *end;
	int ch, n = 0, json = 0, yes = 0, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'c')
			campaign = optarg;
		else if (ch == 'j')
			json = 1;
		else if (ch == 'y')
			yes = 1;
		else
			return cli_usage(OUTBOX_USAGE);
	}
	if (optind == argc - 1) {
		id = strtoll(argv[optind], &end, 10);
		if (*end != '\0' || id <= 0)
			return cli_usage(OUTBOX_USAGE);
	} else if (optind != argc || campaign == NULL)
		return cli_usage(OUTBOX_USAGE);
	if (campaign != NULL &&
	    (c = campaign_find(cli_db(ctx), campaign)) == NULL) {
		cli_error("no campaign %s", campaign);
		return EXIT_FAIL;
	}
	campaign_free(c);
	if (!retry && campaign != NULL &&
	    !cli_confirm(yes, "cancel every unsent message of campaign %s?",
	                 campaign)) {
		cli_error("nothing cancelled");
		return EXIT_FAIL;
	}
	rc = retry ? outbox_retry(cli_db(ctx), id, campaign, &n, &cause)
	           : outbox_cancel(cli_db(ctx), id, campaign, &n, &cause);
	if (rc == -1) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	db_audit(ctx->db, ctx->actor, retry ? "outbox.retry" : "outbox.cancel",
	         campaign ? campaign : "message", NULL);
	if (json)
		cli_json(
		    json_pack("{s:s, s:i}", retry ? "retried" : "cancelled",
		              campaign ? campaign : argv[optind], "rows", n));
	else
		printf("%s %d message%s\n", retry ? "re-queued" : "cancelled",
		       n, n == 1 ? "" : "s");
	return n > 0 || campaign != NULL ? EXIT_OK : EXIT_FAIL;
}

/* outbox show ID [--json]: one message, its text rendered as it is sent. */
static int
outbox_show_cmd(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
	                                     {NULL, 0, NULL, 0}};
	int ch, json = 0;
	int64_t id;
	char *end;
	json_t *o, *v;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'j')
			return cli_usage(OUTBOX_USAGE);
		json = 1;
	}
	if (optind != argc - 1)
		return cli_usage(OUTBOX_USAGE);
	id = strtoll(argv[optind], &end, 10);
	if (*end != '\0' || id <= 0)
		return cli_usage(OUTBOX_USAGE);
	if ((o = outbox_show(cli_db(ctx), ctx->cfg, id)) == NULL) {
		cli_error("no message %lld", (long long)id);
		return EXIT_FAIL;
	}
	if (json) {
		cli_json(o);
		return EXIT_OK;
	}
	printf("message %lld: %s to %s, %s\n", (long long)id,
	       json_string_value(json_object_get(o, "channel")),
	       json_string_value(json_object_get(o, "to")),
	       json_string_value(json_object_get(o, "state")));
	if ((v = json_object_get(o, "subject")) != NULL && json_is_string(v))
		printf("Subject: %s\n", json_string_value(v));
	v = json_object_get(o, "text");
	printf("\n%s\n", json_is_string(v) ? json_string_value(v)
	                                   : "(cannot be rendered)");
	json_decref(o);
	return EXIT_OK;
}

int
cmd_outbox(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"campaign", required_argument, NULL, 'c'},
	    {"failed", no_argument, NULL, 'f'},
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0}};
	const char *campaign = NULL;
	int ch, failed = 0, json = 0;
	json_t *o;

	if (argc >= 2 && strcmp(argv[1], "show") == 0)
		return outbox_show_cmd(ctx, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "retry") == 0)
		return outbox_change(ctx, argc - 1, argv + 1, 1);
	if (argc >= 2 && strcmp(argv[1], "cancel") == 0)
		return outbox_change(ctx, argc - 1, argv + 1, 0);
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			campaign = optarg;
			break;
		case 'f':
			failed = 1;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return cli_usage(OUTBOX_USAGE);
		}
	}
	if (optind != argc)
		return cli_usage(OUTBOX_USAGE);
	o = failed ? outbox_failures(cli_db(ctx), campaign)
	           : outbox_counts(cli_db(ctx), campaign);
	if (json)
		cli_json(o);
	else if (failed)
		print_failures(o);
	else
		print_counts(o);
	return EXIT_OK;
}
