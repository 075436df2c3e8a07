/* ppgd schedule next: the coming fire times of a cron expression. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cron.h"

#define SCHEDULE_NEXT_USAGE                                                    \
	"schedule next EXPR [--from ISO8601] [--count N] [--tz ZONE] [--json]"
#define COUNT_MAX 1000

struct next_args {
	const char *expr, *from, *tz;
	int count, json;
};

static int
next_parse(int argc, char **argv, struct next_args *a)
{
	static const struct option opts[] = {
	    {"from", required_argument, NULL, 'f'},
	    {"count", required_argument, NULL, 'n'},
	    {"tz", required_argument, NULL, 't'},
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0}};
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'f')
			a->from = optarg;
		else if (ch == 't')
			a->tz = optarg;
		else if (ch == 'j')
			a->json = 1;
		else if (ch != 'n' || (a->count = atoi(optarg)) < 1 ||
		         a->count > COUNT_MAX)
			return -1;
	}
	if (optind != argc - 1)
		return -1;
	a->expr = argv[optind];
	return 0;
}

/* Print the next a->count times of c after from. */
static int
next_print(const struct cron *c, time_t from, const struct next_args *a)
{
	json_t *arr = json_array();
	char buf[40];
	int i;

	for (i = 0; i < a->count; i++) {
		if ((from = cron_next(c, from, a->tz)) == (time_t)-1)
			break;
		cron_format_iso(from, a->tz, buf, sizeof buf);
		if (a->json)
			json_array_append_new(arr, json_string(buf));
		else
			puts(buf);
	}
	if (a->json)
		cli_json(arr);
	else
		json_decref(arr);
	return EXIT_OK;
}

static int
schedule_next_cmd(struct ctx *ctx, int argc, char **argv)
{
	struct next_args a = {NULL, NULL, NULL, 5, 0};
	struct cron *c;
	char *cause = NULL;
	time_t from = time(NULL);
	int rc;

	if (next_parse(argc, argv, &a) == -1)
		return cli_usage(SCHEDULE_NEXT_USAGE);
	if (a.tz == NULL)
		a.tz = config_str(ctx->cfg, CFG_TIMEZONE);
	if (cron_check_tz(a.tz, &cause) == -1 ||
	    (a.from != NULL &&
	     cron_parse_iso(a.from, a.tz, &from, &cause) == -1)) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	if (cron_parse(a.expr, &c, &cause) == -1) {
		cli_error("invalid schedule '%s': %s", a.expr, cause);
		free(cause);
		return EXIT_FAIL;
	}
	rc = next_print(c, from, &a);
	cron_free(c);
	return rc;
}

int
cmd_schedule(struct ctx *ctx, int argc, char **argv)
{
	static const struct cmd cmds[] = {
	    {"next", schedule_next_cmd, SCHEDULE_NEXT_USAGE},
	    {NULL, NULL, NULL}};

	return cli_dispatch(ctx, "schedule", cmds, argc, argv);
}
