/* ppgd comments list|approve|hide|redact|tag: moderating free text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "comments.h"
#include "xmalloc.h"

#define LIST_USAGE    "comments list SURVEY|CAMPAIGN [--pending] [--json]"
#define APPROVE_USAGE "comments approve ID [--json]"
#define HIDE_USAGE    "comments hide ID [--json]"
#define REDACT_USAGE  "comments redact ID --text TEXT [--json]"
#define TAG_USAGE     "comments tag ID --theme THEME [--json]"

static void
list_text(const json_t *arr)
{
	const json_t *c;
	size_t i;

	printf("%5s %-8s %-10s %-12s %s\n", "ID", "STATUS", "DATE", "THEME",
	       "TEXT");
	json_array_foreach(arr, i, c)
	{
		const char *theme =
		    json_string_value(json_object_get(c, "theme"));

		printf("%5lld %-8s %-10s %-12s %s\n",
		       json_integer_value(json_object_get(c, "id")),
		       json_string_value(json_object_get(c, "status")),
		       json_string_value(json_object_get(c, "date")),
		       theme ? theme : "-",
		       json_string_value(json_object_get(c, "text")));
	}
}

static int
comments_list_cmd(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"pending", no_argument, NULL, 'p'},
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0}};
	int ch, pending = 0, json = 0;
	char *cause = NULL;
	json_t *arr;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'p')
			pending = 1;
		else if (ch == 'j')
			json = 1;
		else
			return cli_usage(LIST_USAGE);
	}
	if (optind != argc - 1)
		return cli_usage(LIST_USAGE);
	if (comments_sync(cli_db(ctx), time(NULL)) == -1) {
		cli_error("cannot read the comments");
		return EXIT_FAIL;
	}
	if ((arr = comments_list_json(ctx->db, argv[optind], pending,
	                              &cause)) == NULL) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	cli_show(arr, json, list_text);
	return EXIT_OK;
}

/* ID [--json] and one option with a value (NULL: none); then act. */
static int
comments_change(struct ctx *ctx, int argc, char **argv, const char *opt,
                const char *usage,
                int (*fn)(struct db *, int64_t, const char *, int64_t, char **),
                const char *fixed, const char *done)
{
	const struct option opts[] = {
	    {opt ? opt : "-", required_argument, NULL, 'v'},
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0}};
	const char *value = fixed;
	int ch, json = 0;
	char *cause = NULL, *end;
	int64_t id;
	json_t *o;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'j')
			json = 1;
		else if (ch == 'v' && opt != NULL)
			value = optarg;
		else
			return cli_usage(usage);
	}
	if (optind != argc - 1 || value == NULL)
		return cli_usage(usage);
	id = strtoll(argv[optind], &end, 10);
	if (*end != '\0' || id <= 0)
		return cli_usage(usage);
	if (fn(cli_db(ctx), id, value, time(NULL), &cause) == -1) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	if (json && (o = comments_get_json(ctx->db, id)) != NULL)
		cli_json(o);
	else
		printf("comment %lld %s\n", (long long)id, done);
	return EXIT_OK;
}

static int
comments_approve_cmd(struct ctx *ctx, int argc, char **argv)
{
	return comments_change(ctx, argc, argv, NULL, APPROVE_USAGE,
	                       comments_set_status, "approved", "approved");
}

static int
comments_hide_cmd(struct ctx *ctx, int argc, char **argv)
{
	return comments_change(ctx, argc, argv, NULL, HIDE_USAGE,
	                       comments_set_status, "hidden", "hidden");
}

static int
comments_redact_cmd(struct ctx *ctx, int argc, char **argv)
{
	return comments_change(ctx, argc, argv, "text", REDACT_USAGE,
	                       comments_redact, NULL, "redacted");
}

static int
comments_tag_cmd(struct ctx *ctx, int argc, char **argv)
{
	return comments_change(ctx, argc, argv, "theme", TAG_USAGE,
	                       comments_tag, NULL, "tagged");
}

int
cmd_comments(struct ctx *ctx, int argc, char **argv)
{
	static const struct cmd cmds[] = {
	    {"list", comments_list_cmd, LIST_USAGE},
	    {"approve", comments_approve_cmd, APPROVE_USAGE},
	    {"hide", comments_hide_cmd, HIDE_USAGE},
	    {"redact", comments_redact_cmd, REDACT_USAGE},
	    {"tag", comments_tag_cmd, TAG_USAGE},
	    {NULL, NULL, NULL}};

	return cli_dispatch(ctx, "comments", cmds, argc, argv);
}
