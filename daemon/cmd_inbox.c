/*
 * ppgd inbox: inbound messages (not delivery receipts), newest first;
 * --flagged: the care alerts of every channel with their state; ack: a
 * member of staff has seen or dealt with one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "care_alert.h"
#include "cli.h"
#include "inbox_store.h"
#include "termtext.h"
#include "util.h"
#include "xmalloc.h"

#define INBOX_USAGE                                                            \
	"inbox [--unmatched] [--flagged [--state new|seen|actioned]] "         \
	"[--stop-requests] [--practice CODE] [--limit N] [--json]"
#define ACK_USAGE "inbox ack ID [--seen] [--by NAME] [--note TEXT] [--json]"

static const struct option inbox_opts[] = {
    {"unmatched", no_argument, NULL, 'u'},
    {"flagged", no_argument, NULL, 'f'},
    {"practice", required_argument, NULL, 'p'},
    {"limit", required_argument, NULL, 'l'},
    {"json", no_argument, NULL, 'j'},
    {"state", required_argument, NULL, 's'},
    {"stop-requests", no_argument, NULL, 'r'},
    {NULL, 0, NULL, 0}};

struct inbox_args {
	int unmatched, flagged, stop_requests, json;
	const char *practice, *state;
	long limit;
};

static int
inbox_parse(int argc, char **argv, struct inbox_args *a)
{
	char *end;
	int ch;

	while ((ch = getopt_long(argc, argv, "", inbox_opts, NULL)) != -1) {
		switch (ch) {
		case 'u':
			a->unmatched = 1;
			break;
		case 'f':
			a->flagged = 1;
			break;
		case 'p':
			a->practice = optarg;
			break;
		case 'l':
			a->limit = strtol(optarg, &end, 10);
			if (*end != '\0' || a->limit < 1)
				return -1;
			break;
		case 'j':
			a->json = 1;
			break;
		case 's':
			a->state = optarg;
			break;
		case 'r':
			a->stop_requests = 1;
			break;
		default:
			return -1;
		}
	}
	if (a->state != NULL &&
	    (!a->flagged ||
	     (strcmp(a->state, "new") != 0 && strcmp(a->state, "seen") != 0 &&
	      strcmp(a->state, "actioned") != 0)))
		return -1;
	return optind == argc ? 0 : -1;
}

/*
 * One line: the sender and the body come from outside, so they are made
 * safe for the terminal; the body is cut at 70 columns.
 */
static void
row_print(json_t *o)
{
	const char *body = json_string_value(json_object_get(o, "body"));
	const char *from = json_string_value(json_object_get(o, "from"));
	const char *pr = json_string_value(json_object_get(o, "practice"));

	printf("%-6lld %s %-8s %-11s %s%-8s ",
	       (long long)json_integer_value(json_object_get(o, "id")),
	       json_string_value(json_object_get(o, "received_at")),
	       json_string_value(json_object_get(o, "provider")),
	       json_string_value(json_object_get(o, "disposition")),
	       json_is_true(json_object_get(o, "care_flag")) ? "!" : " ",
	       pr ? pr : "-");
	termtext_cell(stdout, from ? from : "-", 16, 0);
	putchar(' ');
	termtext_cell(stdout, body ? body : "", 70, 1);
	putchar('\n');
}

/* One alert: id, when, source, urgency, state (and by whom), practice,
 * the message cut at 50 bytes. */
static void
alert_print(json_t *o)
{
	const char *body = json_string_value(json_object_get(o, "body"));
	const char *pr = json_string_value(json_object_get(o, "practice"));
	const char *by = json_string_value(json_object_get(o, "actioned_by"));
	char *b, *p, state[64];

	if (by == NULL)
		by = json_string_value(json_object_get(o, "seen_by"));
	snprintf(state, sizeof state, "%s%s%s",
	         json_string_value(json_object_get(o, "state")),
	         by != NULL ? ":" : "", by != NULL ? by : "");
	if (body == NULL)
		b = json_is_integer(json_object_get(o, "response"))
		        ? xasprintf("(survey response %lld)",
		                    (long long)json_integer_value(
		                        json_object_get(o, "response")))
		        : xstrdup("");
	else
		b = xstrdup(body);
	for (p = b; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	if (strlen(b) > 50)
		strcpy(b + 47, "...");
	printf("%-6lld %s %-10s %-9s %-16s %-8s %s\n",
	       (long long)json_integer_value(json_object_get(o, "alert")),
	       json_string_value(json_object_get(o, "received_at")),
	       json_string_value(json_object_get(o, "source")),
	       json_string_value(json_object_get(o, "urgency")), state,
	       pr ? pr : "-", b);
	free(b);
}

static int
inbox_flagged(struct ctx *ctx, const struct inbox_args *a)
{
	json_t *arr = care_alert_list(cli_db(ctx), a->practice, a->state,
	                              a->limit),
	       *o;
	size_t i;

	if (a->json) {
		cli_json(arr);
		return EXIT_OK;
	}
	if (json_array_size(arr) == 0)
		printf("no care alerts\n");
	else
		printf("%-6s %-20s %-10s %-9s %-16s %-8s %s\n", "ALERT",
		       "RECEIVED", "SOURCE", "URGENCY", "STATE", "PRACTICE",
		       "MESSAGE");
	json_array_foreach(arr, i, o) alert_print(o);
	json_decref(arr);
	return EXIT_OK;
}

/* Who acknowledges: --by, else the login name. */
static const char *
ack_by(const char *by)
{
	const char *u;

	if (by != NULL)
		return by;
	if ((u = getenv("SUDO_USER")) != NULL && *u != '\0')
		return u;
	if ((u = getenv("USER")) != NULL && *u != '\0')
		return u;
	if ((u = getlogin()) != NULL)
		return u;
	return "unknown";
}

static const struct option ack_opts[] = {{"seen", no_argument, NULL, 's'},
                                         {"by", required_argument, NULL, 'b'},
                                         {"note", required_argument, NULL, 'n'},
                                         {"json", no_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};

/* ppgd inbox ack ID [--seen] [--by NAME] [--note TEXT] */
static int
inbox_ack(struct ctx *ctx, int argc, char **argv)
{
	const char *by = NULL, *note = NULL;
	enum care_state to = CARE_ACTIONED;
	char *end, *cause = NULL;
	long long id;
	int ch, json = 0;

	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, "", ack_opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			to = CARE_SEEN;
			break;
		case 'b':
			by = optarg;
			break;
		case 'n':
			note = optarg;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return cli_usage(ACK_USAGE);
		}
	}
	if (optind != argc - 1)
		return cli_usage(ACK_USAGE);
	id = strtoll(argv[optind], &end, 10);
	if (*argv[optind] == '\0' || *end != '\0' || id < 1)
		return cli_usage(ACK_USAGE);
	by = ack_by(by);
	if (util_has_crlf(by)) {
		cli_error("--by must be one line");
		return EXIT_USAGE;
	}
	if (care_alert_ack(cli_db(ctx), id, to, by, note, time(NULL), &cause) ==
	    -1) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	if (json)
		cli_json(json_pack(
		    "{s:I, s:s, s:s}", "alert", (json_int_t)id, "state",
		    to == CARE_SEEN ? "seen" : "actioned", "by", by));
	else
		printf("care alert %lld %s by %s\n", id,
		       to == CARE_SEEN ? "seen" : "actioned", by);
	return EXIT_OK;
}

int
cmd_inbox(struct ctx *ctx, int argc, char **argv)
{
	struct inbox_args a = {.limit = 100};
	struct inbox_filter f = {0};
	json_t *arr, *o;
	size_t i;

	if (argc > 1 && strcmp(argv[1], "ack") == 0)
		return inbox_ack(ctx, argc - 1, argv + 1);
	if (inbox_parse(argc, argv, &a) == -1)
		return cli_usage(INBOX_USAGE);
	if (a.flagged)
		return inbox_flagged(ctx, &a);
	f.unmatched = a.unmatched;
	f.stop_requests = a.stop_requests;
	f.practice = a.practice;
	f.limit = a.limit;
	arr = inbox_list_json(cli_db(ctx), &f);
	if (a.json) {
		cli_json(arr);
		return EXIT_OK;
	}
	if (json_array_size(arr) == 0)
		printf("no messages\n");
	else
		printf("%-6s %-20s %-8s %-11s %-9s %-16s %s\n", "ID",
		       "RECEIVED", "PROVIDER", "DONE", "PRACTICE", "FROM",
		       "TEXT");
	json_array_foreach(arr, i, o) row_print(o);
	json_decref(arr);
	return EXIT_OK;
}
