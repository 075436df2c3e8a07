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
	    (!a->flagged || (strcmp(a->state, "new") != 0 &&
	                     strcmp(a->state, "seen") != 0 &&
	                     strcmp(a->state, "actioned") != 0)))
		return -1;
	return optind == argc ? 0 : -1;
}

static json_t *
row_json(sqlite3_stmt *st)
{
	char when[21];
	const char *s;
	json_t *o = json_object();
	int i;
	static const char *const names[] = {
	    "provider", "channel", "disposition", "practice",
	    "from",     "to",      "body"};

	json_object_set_new(o, "id", json_integer(sqlite3_column_int64(st, 0)));
	json_object_set_new(
	    o, "received_at",
	    json_string(util_format_time(sqlite3_column_int64(st, 1), when)));
	for (i = 0; i < 7; i++) {
		s = db_col_text(st, i + 2);
		json_object_set_new(o, names[i],
		                    s ? json_string(s) : json_null());
	}
	json_object_set_new(o, "member",
	                    sqlite3_column_type(st, 9) == SQLITE_NULL
	                        ? json_null()
	                        : json_integer(sqlite3_column_int64(st, 9)));
	json_object_set_new(o, "care_flag",
	                    json_boolean(sqlite3_column_int(st, 10)));
	json_object_set_new(o, "meeting",
	                    sqlite3_column_type(st, 11) == SQLITE_NULL
	                        ? json_null()
	                        : json_integer(sqlite3_column_int64(st, 11)));
	return o;
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

static const struct option ack_opts[] = {
    {"seen", no_argument, NULL, 's'},
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
	if (care_alert_ack(cli_db(ctx), id, to, by, note, time(NULL),
	                   &cause) == -1) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	if (json)
		cli_json(json_pack("{s:I, s:s, s:s}", "alert", (json_int_t)id,
		                   "state", to == CARE_SEEN ? "seen" : "actioned",
		                   "by", by));
	else
		printf("care alert %lld %s by %s\n", id,
		       to == CARE_SEEN ? "seen" : "actioned", by);
	return EXIT_OK;
}

int
cmd_inbox(struct ctx *ctx, int argc, char **argv)
{
	struct inbox_args a = {.limit = 100};
	sqlite3_stmt *st;
	json_t *arr = json_array(), *o;
	size_t i;

	if (argc > 1 && strcmp(argv[1], "ack") == 0) {
		json_decref(arr);
		return inbox_ack(ctx, argc - 1, argv + 1);
	}
	if (inbox_parse(argc, argv, &a) == -1) {
		json_decref(arr);
		return cli_usage(INBOX_USAGE);
	}
	if (a.flagged) {
		json_decref(arr);
		return inbox_flagged(ctx, &a);
	}
	st = db_stmt(
	    cli_db(ctx),
	    "SELECT i.id, i.received_at, i.provider, i.channel, i.disposition,"
	    " p.code, i.from_addr, i.to_addr, i.body, i.member_id,"
	    " i.care_flag, i.meeting_id FROM inbound i"
	    " LEFT JOIN practices p ON p.id = i.practice_id"
	    " WHERE i.provider NOT LIKE '%-status'"
	    " AND (?1 = 0 OR i.disposition = 'unmatched')"
	    " AND (?2 = 0 OR i.disposition = 'stop-request')"
	    " AND (?3 IS NULL OR p.code = ?3)"
	    " ORDER BY i.id DESC LIMIT ?4");
	db_bind_int(st, 1, a.unmatched);
	db_bind_int(st, 2, a.stop_requests);
	db_bind_text(st, 3, a.practice);
	db_bind_int(st, 4, a.limit);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(arr, row_json(st));
	sqlite3_reset(st);
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
