/* ppgd meeting add|minutes|list|show|held|cancel. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cron.h"
#include "meeting.h"
#include "practice.h"
#include "termtext.h"
#include "util.h"
#include "xmalloc.h"

#define MEETING_ADD_USAGE                                                      \
	"meeting add --practice CODE --at TIME --where PLACE [--agenda FILE]"  \
	" [--with-campaigns [--channels email,sms] [--audience EXPR]]"         \
	" [--json]"
#define TEXT_FILE_MAX (256 * 1024)

enum {
	OPT_PRACTICE = 1000,
	OPT_AT,
	OPT_WHERE,
	OPT_AGENDA,
	OPT_WITH_CAMPAIGNS,
	OPT_CHANNELS,
	OPT_AUDIENCE,
	OPT_JSON,
};

struct meeting_args {
	const char *practice, *at, *where, *agenda, *channels, *audience;
	int with_campaigns, json;
};

/* A UTF-8 text file (agenda, minutes). Caller frees. */
static char *
text_file(const char *path, char **cause)
{
	char *text;
	size_t len;

	if (util_read_file(path, TEXT_FILE_MAX, &text, &len, cause) == -1)
		return NULL;
	if (!util_utf8_valid(text, len) || strlen(text) != len) {
		*cause = xasprintf("%s: not UTF-8 text", path);
		free(text);
		return NULL;
	}
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	return text;
}

static int
meeting_parse(int argc, char **argv, struct meeting_args *a)
{
	static const struct option opts[] = {
	    {"practice", required_argument, NULL, OPT_PRACTICE},
	    {"at", required_argument, NULL, OPT_AT},
	    {"where", required_argument, NULL, OPT_WHERE},
	    {"agenda", required_argument, NULL, OPT_AGENDA},
	    {"with-campaigns", no_argument, NULL, OPT_WITH_CAMPAIGNS},
	    {"channels", required_argument, NULL, OPT_CHANNELS},
	    {"audience", required_argument, NULL, OPT_AUDIENCE},
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0}};
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case OPT_PRACTICE:
			a->practice = optarg;
			break;
		case OPT_AT:
			a->at = optarg;
			break;
		case OPT_WHERE:
			a->where = optarg;
			break;
		case OPT_AGENDA:
			a->agenda = optarg;
			break;
		case OPT_WITH_CAMPAIGNS:
			a->with_campaigns = 1;
			break;
		case OPT_CHANNELS:
			a->channels = optarg;
			break;
		case OPT_AUDIENCE:
			a->audience = optarg;
			break;
		case OPT_JSON:
			a->json = 1;
			break;
		default:
			return -1;
		}
	}
	if (cli_require("meeting add", "--practice", a->practice) == -1 ||
	    cli_require("meeting add", "--at", a->at) == -1 ||
	    cli_require("meeting add", "--where", a->where) == -1)
		return -1;
	return optind == argc ? 0 : -1;
}

/* Build the meeting from the arguments. */
static int
meeting_from_args(struct db *db, const struct meeting_args *a,
                  struct meeting *m, char **cause)
{
	struct practice *p = practice_find(db, a->practice);
	time_t t;
	int rc;

	if (p == NULL) {
		*cause = xasprintf("no practice %s", a->practice);
		return -1;
	}
	m->practice_id = p->id;
	rc = cron_parse_iso(a->at, p->timezone, &t, cause);
	practice_free(p);
	if (rc == -1)
		return -1;
	m->at = t;
	m->place = xstrdup(a->where);
	if (a->agenda != NULL &&
	    (m->agenda = text_file(a->agenda, cause)) == NULL)
		return -1;
	return 0;
}

static int
meeting_add_cmd(struct ctx *ctx, int argc, char **argv)
{
	struct meeting_args a = {0};
	struct meeting m = {0};
	char *cause = NULL;
	int rc = EXIT_OK;

	if (meeting_parse(argc, argv, &a) == -1 ||
	    (!a.with_campaigns && (a.channels || a.audience)))
		return cli_usage(MEETING_ADD_USAGE);
	if (meeting_from_args(cli_db(ctx), &a, &m, &cause) == -1 ||
	    meeting_create(ctx->db, ctx->cfg, &m, a.with_campaigns, a.channels,
	                   a.audience, &cause) == -1) {
		cli_error("%s", cause);
		free(cause);
		rc = EXIT_FAIL;
	} else if (a.json)
		cli_json(meeting_to_json(ctx->db, &m));
	else
		printf("added meeting %lld%s\n", (long long)m.id,
		       a.with_campaigns ? " with its invitation, reminder and "
		                          "feedback campaigns"
		                        : "");
	free(m.place);
	free(m.agenda);
	return rc;
}

static int
meeting_minutes_cmd(struct ctx *ctx, int argc, char **argv)
{
	int json = argc == 4 && strcmp(argv[3], "--json") == 0;
	struct meeting *m;
	char *text, *cause = NULL;

	if (argc != 3 && !json)
		return cli_usage("meeting minutes ID FILE [--json]");
	if ((text = text_file(argv[2], &cause)) == NULL ||
	    meeting_set_minutes(cli_db(ctx), atoll(argv[1]), text, &cause) ==
	        -1) {
		cli_error("%s", cause);
		free(cause);
		free(text);
		return EXIT_FAIL;
	}
	free(text);
	if (json && (m = meeting_get(ctx->db, atoll(argv[1]))) != NULL) {
		cli_json(meeting_to_json(ctx->db, m));
		meeting_free(m);
	} else
		printf("stored the minutes of meeting %s\n", argv[1]);
	return EXIT_OK;
}

/* meeting held|cancel ID: say what happened, whatever the clock says. */
static int
meeting_mark(struct ctx *ctx, int argc, char **argv, const char *status)
{
	int json = argc == 3 && strcmp(argv[2], "--json") == 0;
	struct meeting *m;
	char *cause = NULL;

	if (argc != 2 && !json)
		return cli_usage(strcmp(status, "held") == 0
		                     ? "meeting held ID [--json]"
		                     : "meeting cancel ID [--json]");
	if (meeting_set_status(cli_db(ctx), atoll(argv[1]), status, &cause) ==
	    -1) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	if (json && (m = meeting_get(ctx->db, atoll(argv[1]))) != NULL) {
		cli_json(meeting_to_json(ctx->db, m));
		meeting_free(m);
	} else
		printf("meeting %s marked %s\n", argv[1], status);
	return EXIT_OK;
}

static int
meeting_held_cmd(struct ctx *ctx, int argc, char **argv)
{
	return meeting_mark(ctx, argc, argv, "held");
}

static int
meeting_cancel_cmd(struct ctx *ctx, int argc, char **argv)
{
	return meeting_mark(ctx, argc, argv, "cancelled");
}

static int
meeting_list_cmd(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"practice", required_argument, NULL, OPT_PRACTICE},
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0}};
	const char *practice = NULL;
	json_t *arr, *o;
	int ch, json = 0;
	size_t i;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == OPT_JSON)
			json = 1;
		else if (ch == OPT_PRACTICE)
			practice = optarg;
		else
			return cli_usage(
			    "meeting list [--practice CODE] [--json]");
	}
	arr = meeting_list_json(cli_db(ctx), practice);
	if (json) {
		cli_json(arr);
		return EXIT_OK;
	}
	printf("%5s %-8s %-26s %5s  %s\n", "ID", "PRACTICE", "AT", "ITEMS",
	       "WHERE");
	json_array_foreach(arr, i, o)
	{
		printf("%5lld %-8s %-26s %5lld  %s\n",
		       json_integer_value(json_object_get(o, "id")),
		       json_string_value(json_object_get(o, "practice")),
		       json_string_value(json_object_get(o, "at")),
		       json_integer_value(json_object_get(o, "agenda_items")),
		       json_string_value(json_object_get(o, "where")));
	}
	json_decref(arr);
	return EXIT_OK;
}

static void
show_text(const json_t *o)
{
	json_t *v;
	size_t i;

	printf("meeting %lld at %s\nwhen:  %s\nwhere: %s\nstatus: %s\n",
	       json_integer_value(json_object_get(o, "id")),
	       json_string_value(json_object_get(o, "practice")),
	       json_string_value(json_object_get(o, "when")),
	       json_string_value(json_object_get(o, "where")),
	       json_string_value(json_object_get(o, "status")));
	if ((v = json_object_get(o, "agenda")) && json_is_string(v))
		printf("agenda:\n%s\n", json_string_value(v));
	if ((v = json_object_get(o, "minutes")) && json_is_string(v))
		printf("minutes:\n%s\n", json_string_value(v));
	json_array_foreach(json_object_get(o, "campaigns"), i, v)
	    printf("campaign: %s (%s)\n",
	           json_string_value(json_object_get(v, "name")),
	           json_string_value(json_object_get(v, "state")));
	/* Items are members' texts: made safe for the terminal. */
	json_array_foreach(json_object_get(o, "agenda_items"), i, v)
	{
		char *body = termtext_safe(
		    json_string_value(json_object_get(v, "body")) ?: "", 1);
		printf("agenda item from member %lld: %s\n",
		       json_integer_value(json_object_get(v, "member_id")), body);
		free(body);
	}
}

static int
meeting_show_cmd(struct ctx *ctx, int argc, char **argv)
{
	int json = argc == 3 && strcmp(argv[2], "--json") == 0;
	struct meeting *m;
	json_t *o;

	if (argc != 2 && !json)
		return cli_usage("meeting show ID [--json]");
	if ((m = meeting_get(cli_db(ctx), atoll(argv[1]))) == NULL) {
		cli_error("no meeting %s", argv[1]);
		return EXIT_FAIL;
	}
	o = meeting_to_json(ctx->db, m);
	meeting_free(m);
	cli_show(o, json, show_text);
	return EXIT_OK;
}

int
cmd_meeting(struct ctx *ctx, int argc, char **argv)
{
	static const struct cmd cmds[] = {
	    {"add", meeting_add_cmd, MEETING_ADD_USAGE},
	    {"minutes", meeting_minutes_cmd,
	     "meeting minutes ID FILE [--json]"},
	    {"list", meeting_list_cmd,
	     "meeting list [--practice CODE] [--json]"},
	    {"show", meeting_show_cmd, "meeting show ID [--json]"},
	    {"held", meeting_held_cmd, "meeting held ID [--json]"},
	    {"cancel", meeting_cancel_cmd, "meeting cancel ID [--json]"},
	    {NULL, NULL, NULL}};

	return cli_dispatch(ctx, "meeting", cmds, argc, argv);
}
