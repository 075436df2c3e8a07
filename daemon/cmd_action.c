/* ppgd action add|update|list: the action plan. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "cli.h"
#include "termtext.h"
#include "xmalloc.h"

#define ACTION_ADD_USAGE                                                       \
	"action add --practice CODE --area AREA --title TEXT [--owner NAME]"   \
	" [--due YYYY-MM-DD] [--from-survey SLUG] [--meeting ID] [--json]"
#define ACTION_UPDATE_USAGE                                                    \
	"action update ID [--status agreed|in-progress|done|dropped"           \
	" [--note TEXT]] [--outcome TEXT] [--benefit TEXT] [--json]"
#define ACTION_LIST_USAGE "action list [--practice CODE] [--json]"

/* The action id as JSON (for --json after add/update). */
static void
print_one(struct ctx *ctx, int64_t id)
{
	json_t *all = action_list_json(ctx->db, NULL, 0), *a;
	size_t i;

	json_array_foreach(
	    all, i, a) if (json_integer_value(json_object_get(a, "id")) == id)
	    cli_json(json_incref(a));
	json_decref(all);
}

static int
action_add_cmd(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"practice", required_argument, NULL, 'p'},
	    {"area", required_argument, NULL, 'a'},
	    {"title", required_argument, NULL, 't'},
	    {"owner", required_argument, NULL, 'o'},
	    {"due", required_argument, NULL, 'd'},
	    {"from-survey", required_argument, NULL, 's'},
	    {"meeting", required_argument, NULL, 'm'},
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0}};
	struct action_new a = {0};
	int ch, json = 0;
	int64_t id;
	char *cause = NULL, *end;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			a.practice = optarg;
			break;
		case 'a':
			a.area = optarg;
			break;
		case 't':
			a.title = optarg;
			break;
		case 'o':
			a.owner = optarg;
			break;
		case 'd':
			a.due = optarg;
			break;
		case 's':
			a.from_survey = optarg;
			break;
		case 'm':
			a.meeting_id = strtoll(optarg, &end, 10);
			if (end == optarg || *end != '\0' || a.meeting_id <= 0)
				return cli_usage(ACTION_ADD_USAGE);
			break;
		case 'j':
			json = 1;
			break;
		default:
			return cli_usage(ACTION_ADD_USAGE);
		}
	}
	if (cli_require("action add", "--practice", a.practice) == -1 ||
	    cli_require("action add", "--area", a.area) == -1 ||
	    cli_require("action add", "--title", a.title) == -1 ||
	    optind != argc)
		return cli_usage(ACTION_ADD_USAGE);
	if (action_add(cli_db(ctx), &a, &id, &cause) == -1) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	if (json)
		print_one(ctx, id);
	else
		printf("added action %lld\n", (long long)id);
	return EXIT_OK;
}

static int
action_update_cmd(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"status", required_argument, NULL, 's'},
	    {"note", required_argument, NULL, 'n'},
	    {"outcome", required_argument, NULL, 'o'},
	    {"benefit", required_argument, NULL, 'b'},
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0}};
	const char *status = NULL, *note = NULL, *outcome = NULL,
	           *benefit = NULL;
	char *cause = NULL, *end;
	int ch, json = 0;
	long long id;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			status = optarg;
			break;
		case 'n':
			note = optarg;
			break;
		case 'o':
			outcome = optarg;
			break;
		case 'b':
			benefit = optarg;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return cli_usage(ACTION_UPDATE_USAGE);
		}
	}
	if (optind != argc - 1 ||
	    (status == NULL &&
	     (note != NULL || (outcome == NULL && benefit == NULL))))
		return cli_usage(ACTION_UPDATE_USAGE);
	id = strtoll(argv[optind], &end, 10);
	if (*end != '\0' || id <= 0)
		return cli_usage(ACTION_UPDATE_USAGE);
	if ((status != NULL &&
	     action_update(cli_db(ctx), id, status, note, &cause) == -1) ||
	    ((outcome != NULL || benefit != NULL) &&
	     action_set_outcome(cli_db(ctx), id, outcome, benefit, &cause) ==
	         -1)) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	if (json)
		print_one(ctx, id);
	else
		printf("action %lld: %s\n", id,
		       status != NULL ? status : "outcome recorded");
	return EXIT_OK;
}

static int
action_list_cmd(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"practice", required_argument, NULL, 'p'},
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0}};
	const char *practice = NULL;
	int ch, json = 0;
	json_t *list, *a;
	size_t i;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'p')
			practice = optarg;
		else if (ch == 'j')
			json = 1;
		else
			return cli_usage(ACTION_LIST_USAGE);
	}
	if (optind != argc)
		return cli_usage(ACTION_LIST_USAGE);
	list = action_list_json(cli_db(ctx), practice, 0);
	if (json) {
		cli_json(list);
		return EXIT_OK;
	}
	printf("%4s %-8s %-11s %-10s %-20s %s\n", "ID", "PRACTICE", "STATUS",
	       "DUE", "AREA", "TITLE");
	json_array_foreach(list, i, a)
	{
		const char *due = json_string_value(json_object_get(a, "due"));

		printf("%4lld %-8s %-11s %-10s ",
		       json_integer_value(json_object_get(a, "id")),
		       json_string_value(json_object_get(a, "practice")),
		       json_string_value(json_object_get(a, "status")),
		       due ? due : "-");
		termtext_cell(stdout,
		              json_string_value(json_object_get(a, "area")), 20,
		              0);
		putchar(' ');
		termtext_cell(stdout,
		              json_string_value(json_object_get(a, "title")),
		              200, 1);
		putchar('\n');
	}
	json_decref(list);
	return EXIT_OK;
}

int
cmd_action(struct ctx *ctx, int argc, char **argv)
{
	static const struct cmd cmds[] = {
	    {"add", action_add_cmd, ACTION_ADD_USAGE},
	    {"update", action_update_cmd, ACTION_UPDATE_USAGE},
	    {"list", action_list_cmd, ACTION_LIST_USAGE},
	    {NULL, NULL, NULL}};

	return cli_dispatch(ctx, "action", cmds, argc, argv);
}
