/* ppgd campaign add|list|show|preview|send|pause|resume|delete. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audience.h"
#include "campaign.h"
#include "cli.h"
#include "cron.h"
#include "fire.h"
#include "outbox.h"
#include "practice.h"
#include "sms.h"
#include "termtext.h"
#include "survey_store.h"
#include "xmalloc.h"

#define CAMPAIGN_ADD_USAGE                                                     \
	"campaign add NAME --practice CODE --kind KIND [--survey SLUG]"        \
	" [--template NAME] [--channels email,sms] [--audience EXPR]"          \
	" [--schedule CRON | --at TIME | --meeting ID [--offset -14d]]"        \
	" [--remind-after 3d [--max-reminders N]] [--message TEXT]"            \
	" [--action ID ...] [--json]"
#define CAMPAIGN_PREVIEW_USAGE "campaign preview NAME [--member ID] [--json]"

/* What add's options say before they become a campaign. */
struct add_args {
	const char *practice, *survey, *at, *offset, *remind_after;
	char *actions;
	int json;
};

enum {
	OPT_PRACTICE = 1000,
	OPT_KIND,
	OPT_SURVEY,
	OPT_TEMPLATE,
	OPT_CHANNELS,
	OPT_AUDIENCE,
	OPT_SCHEDULE,
	OPT_AT,
	OPT_MEETING,
	OPT_OFFSET,
	OPT_REMIND_AFTER,
	OPT_MAX_REMINDERS,
	OPT_MESSAGE,
	OPT_ACTION,
	OPT_MEMBER,
	OPT_JSON,
};

static const struct option add_opts[] = {
    {"practice", required_argument, NULL, OPT_PRACTICE},
    {"kind", required_argument, NULL, OPT_KIND},
    {"survey", required_argument, NULL, OPT_SURVEY},
    {"template", required_argument, NULL, OPT_TEMPLATE},
    {"channels", required_argument, NULL, OPT_CHANNELS},
    {"audience", required_argument, NULL, OPT_AUDIENCE},
    {"schedule", required_argument, NULL, OPT_SCHEDULE},
    {"at", required_argument, NULL, OPT_AT},
    {"meeting", required_argument, NULL, OPT_MEETING},
    {"offset", required_argument, NULL, OPT_OFFSET},
    {"remind-after", required_argument, NULL, OPT_REMIND_AFTER},
    {"max-reminders", required_argument, NULL, OPT_MAX_REMINDERS},
    {"message", required_argument, NULL, OPT_MESSAGE},
    {"action", required_argument, NULL, OPT_ACTION},
    {"json", no_argument, NULL, OPT_JSON},
    {NULL, 0, NULL, 0}};

static void
replace(char **slot, const char *v)
{
	free(*slot);
	*slot = xstrdup(v);
}

static int
add_option(int ch, struct campaign *c, struct add_args *a)
{
	switch (ch) {
	case OPT_PRACTICE:
		a->practice = optarg;
		break;
	case OPT_KIND:
		replace(&c->kind, optarg);
		break;
	case OPT_SURVEY:
		a->survey = optarg;
		break;
	case OPT_TEMPLATE:
		replace(&c->template, optarg);
		break;
	case OPT_CHANNELS:
		replace(&c->channels, optarg);
		break;
	case OPT_AUDIENCE:
		replace(&c->audience, optarg);
		break;
	case OPT_SCHEDULE:
		replace(&c->schedule, optarg);
		break;
	case OPT_AT:
		a->at = optarg;
		break;
	case OPT_MEETING:
		c->meeting_id = strtoll(optarg, NULL, 10);
		return c->meeting_id > 0 ? 0 : -1;
	case OPT_OFFSET:
		a->offset = optarg;
		break;
	case OPT_REMIND_AFTER:
		a->remind_after = optarg;
		break;
	case OPT_MAX_REMINDERS:
		c->max_reminders = atoi(optarg);
		return c->max_reminders > 0 ? 0 : -1;
	case OPT_MESSAGE:
		replace(&c->message, optarg);
		break;
	case OPT_ACTION:
		return campaign_add_action(c, optarg);
	case OPT_JSON:
		a->json = 1;
		break;
	default:
		return -1;
	}
	return 0;
}

/* Resolve practice, survey and times; -1 with *cause. */
static int
add_resolve(struct db *db, struct campaign *c, const struct add_args *a,
            char **cause)
{
	struct practice *p = practice_find(db, a->practice);
	time_t t;
	int rc = 0;

	if (p == NULL) {
		*cause = xasprintf("no practice %s", a->practice);
		return -1;
	}
	c->practice_id = p->id;
	if (a->survey != NULL &&
	    (c->survey_id = survey_store_latest(db, a->survey, NULL)) == 0) {
		*cause = xasprintf("survey %s is not loaded (ppgd survey load)",
		                   a->survey);
		rc = -1;
	} else if (a->at != NULL &&
	           cron_parse_iso(a->at, p->timezone, &t, cause) == 0)
		c->at = t;
	else if (a->at != NULL)
		rc = -1;
	practice_free(p);
	return rc;
}

static int
add_durations(struct campaign *c, const struct add_args *a, char **cause)
{
	if (a->offset != NULL && c->meeting_id == 0) {
		*cause = xstrdup("--offset needs --meeting");
		return -1;
	}
	if (a->offset != NULL &&
	    campaign_parse_offset(a->offset, &c->offset_s) == -1) {
		*cause = xasprintf("--offset: '%s' is not a duration such as "
		                   "-14d",
		                   a->offset);
		return -1;
	}
	if (a->remind_after != NULL &&
	    (campaign_parse_offset(a->remind_after, &c->remind_after_s) == -1 ||
	     c->remind_after_s <= 0)) {
		*cause =
		    xasprintf("--remind-after: '%s' is not a duration such "
		              "as 3d",
		              a->remind_after);
		return -1;
	}
	return 0;
}

static void
add_print(struct db *db, const struct campaign *c, int json)
{
	struct campaign *stored = campaign_get(db, c->id);
	char buf[32];

	if (json)
		cli_json(campaign_to_json(stored));
	else if (stored->next_fire_at != 0)
		printf("added campaign %s (%s); next fire %s\n", stored->name,
		       stored->kind,
		       campaign_iso(stored, stored->next_fire_at, buf));
	else
		printf("added campaign %s (%s); it fires on campaign send\n",
		       stored->name, stored->kind);
	campaign_free(stored);
}

/*
 * A warning when the campaign's SMS (rendered with sample values) goes as
 * UCS-2, at 70 characters a segment, only because of look-alikes such as a
 * curly apostrophe that GSM-7 has plain forms of.
 */
static void
add_warn_ucs2(struct ctx *ctx, int64_t id)
{
	struct campaign *c = campaign_get(ctx->db, id);
	struct sms_ucs2_char u[8];
	json_t *o, *text;
	char *cause = NULL, list[128] = "";
	size_t len = 0;
	int all = 0, n, i;

	if (c == NULL || c->channels == NULL ||
	    strstr(c->channels, "sms") == NULL) {
		campaign_free(c);
		return;
	}
	o = fire_preview(ctx->db, ctx->cfg, c, 0, time(NULL), &cause);
	free(cause);
	text = json_object_get(
	    json_object_get(json_object_get(o, "messages"), "sms"), "text");
	n = json_is_string(text)
	        ? sms_ucs2_chars(json_string_value(text), u, 8, &all)
	        : 0;
	for (i = 0; i < n && i < 8; i++)
		len += (size_t)snprintf(list + len, sizeof list - len,
		                        " U+%04lX (use \"%s\")", u[i].cp,
		                        u[i].replacement);
	if (n > 0 && all)
		cli_error("warning: campaign %s: the SMS goes as UCS-2 (70 "
		          "characters a segment) only because of%s; see ppgd "
		          "sms-info",
		          c->name, list);
	json_decref(o);
	campaign_free(c);
}

static int
campaign_add_cmd(struct ctx *ctx, int argc, char **argv)
{
	struct campaign *c = campaign_new();
	struct add_args a = {0};
	char *cause = NULL;
	int ch, rc = EXIT_FAIL;

	while ((ch = getopt_long(argc, argv, "", add_opts, NULL)) != -1)
		if (add_option(ch, c, &a) == -1)
			goto usage;
	if (cli_require("campaign add", "NAME",
	                optind < argc ? argv[optind] : NULL) == -1 ||
	    cli_require("campaign add", "--practice", a.practice) == -1 ||
	    cli_require("campaign add", "--kind", c->kind) == -1 ||
	    optind != argc - 1)
		goto usage;
	c->name = xstrdup(argv[optind]);
	if (add_resolve(cli_db(ctx), c, &a, &cause) == -1 ||
	    add_durations(c, &a, &cause) == -1 ||
	    campaign_add(ctx->db, ctx->cfg, c, time(NULL), &cause) == -1) {
		cli_error("%s", cause);
		free(cause);
	} else {
		add_print(ctx->db, c, a.json);
		add_warn_ucs2(ctx, c->id);
		rc = EXIT_OK;
	}
	campaign_free(c);
	return rc;
usage:
	campaign_free(c);
	return cli_usage(CAMPAIGN_ADD_USAGE);
}

/* NAME [--json]: the campaign, or NULL after an error (*rc set). */
static struct campaign *
name_arg(struct ctx *ctx, int argc, char **argv, const char *usage, int *json,
         int *rc)
{
	struct campaign *c;
	const char *name = NULL;
	int i;

	*json = 0;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			*json = 1;
		else if (name == NULL)
			name = argv[i];
		else
			name = "";
	}
	if (name == NULL || *name == '\0') {
		*rc = cli_usage(usage);
		return NULL;
	}
	if ((c = campaign_find(cli_db(ctx), name)) == NULL) {
		cli_error("no campaign %s", name);
		*rc = EXIT_FAIL;
	}
	return c;
}

static int
campaign_list_cmd(struct ctx *ctx, int argc, char **argv)
{
	json_t *arr, *o;
	size_t i;
	int json = argc == 2 && strcmp(argv[1], "--json") == 0;

	if (argc != 1 && !json)
		return cli_usage("campaign list [--json]");
	arr = campaign_list_json(cli_db(ctx), NULL);
	if (json) {
		cli_json(arr);
		return EXIT_OK;
	}
	printf("%-28s %-18s %-8s %-10s %s\n", "NAME", "KIND", "PRACTICE",
	       "STATE", "NEXT FIRE");
	json_array_foreach(arr, i, o)
	{
		json_t *next = json_object_get(o, "next_fire_at");

		termtext_cell(stdout,
		              json_string_value(json_object_get(o, "name")), 28,
		              0);
		printf(" %-18s %-8s %-10s %s\n",
		       json_string_value(json_object_get(o, "kind")),
		       json_string_value(json_object_get(o, "practice")),
		       json_string_value(json_object_get(o, "state")),
		       json_is_string(next) ? json_string_value(next) : "-");
	}
	json_decref(arr);
	return EXIT_OK;
}

static int
campaign_show_cmd(struct ctx *ctx, int argc, char **argv)
{
	int json, rc = EXIT_OK;
	struct campaign *c = name_arg(
	    ctx, argc, argv, "campaign show NAME [--json]", &json, &rc);
	const char *k;
	json_t *o, *v;

	if (c == NULL)
		return rc;
	o = campaign_show_json(ctx->db, c);
	if (json)
		cli_json(o);
	else {
		json_object_foreach(o, k, v) cli_print_value(k, v, 0);
		json_decref(o);
	}
	campaign_free(c);
	return EXIT_OK;
}

/* A rendered text (it holds members' names): made safe, lines kept. */
static void
print_text(const json_t *s)
{
	char *safe = termtext_safe(json_string_value(s) ?: "", 0);

	printf("%s\n", safe);
	free(safe);
}

static void
preview_text(const json_t *o)
{
	json_t *msgs = json_object_get(o, "messages"), *m;
	char *subject;

	cli_print_value("audience", json_object_get(o, "audience"), 0);
	cli_print_value("member", json_object_get(o, "member"), 0);
	if ((m = json_object_get(msgs, "email")) != NULL) {
		subject = termtext_safe(
		    json_string_value(json_object_get(m, "subject")) ?: "", 1);
		printf("\n== email\nSubject: %s\n\n", subject);
		free(subject);
		print_text(json_object_get(m, "text"));
	}
	if ((m = json_object_get(msgs, "sms")) != NULL) {
		printf("\n== sms (%s, %lld characters, %lld segment%s)\n",
		       json_string_value(json_object_get(m, "encoding")),
		       json_integer_value(json_object_get(m, "characters")),
		       json_integer_value(json_object_get(m, "segments")),
		       json_integer_value(json_object_get(m, "segments")) == 1
		           ? ""
		           : "s");
		print_text(json_object_get(m, "text"));
	}
}

static int
campaign_preview_cmd(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"member", required_argument, NULL, OPT_MEMBER},
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0}};
	struct campaign *c;
	long long member = 0;
	char *cause = NULL;
	int ch, json = 0;
	json_t *o;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == OPT_JSON)
			json = 1;
		else if (ch != OPT_MEMBER || (member = atoll(optarg)) <= 0)
			return cli_usage(CAMPAIGN_PREVIEW_USAGE);
	}
	if (optind != argc - 1)
		return cli_usage(CAMPAIGN_PREVIEW_USAGE);
	if ((c = campaign_find(cli_db(ctx), argv[optind])) == NULL) {
		cli_error("no campaign %s", argv[optind]);
		return EXIT_FAIL;
	}
	o = fire_preview(ctx->db, ctx->cfg, c, member, time(NULL), &cause);
	campaign_free(c);
	if (o == NULL) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	cli_show(o, json, preview_text);
	return EXIT_OK;
}

static void
send_text(const struct fire_result *r, const struct campaign *c)
{
	int i;

	if (!r->created) {
		printf("campaign %s: run %lld had fired already; nothing "
		       "new\n",
		       c->name, (long long)r->run_id);
		return;
	}
	printf("campaign %s: run %lld: %d messages (%d email, %d sms, %d held "
	       "for quiet hours) to %d matched members\n",
	       c->name, (long long)r->run_id, r->messages, r->email, r->sms,
	       r->held, r->matched);
	for (i = AUD_OK + 1; i < AUD_NSKIP; i++)
		if (r->skipped[i] > 0)
			printf("  skipped %s: %d\n", audience_skip_name(i),
			       r->skipped[i]);
	if (r->render_failed > 0)
		printf("  not rendered: %d (see the log)\n", r->render_failed);
}

#define SEND_USAGE "campaign send NAME [--again] [--json]"

static void
send_progress(long long members, void *arg)
{
	termtext_progress(stderr, "campaign send: members", members, 0, 0);
}

static int
campaign_send_cmd(struct ctx *ctx, int argc, char **argv)
{
	int json, rc = EXIT_OK, again = 0, i, n = 0;
	char **args = xcalloc((size_t)argc + 1, sizeof *args);
	struct campaign *c;
	struct fire_result r;
	char *cause = NULL;
	int64_t now = time(NULL);
	int progress;

	for (i = 0; i < argc; i++) {
		if (i > 0 && strcmp(argv[i], "--again") == 0)
			again = 1;
		else
			args[n++] = argv[i];
	}
	c = name_arg(ctx, n, args, SEND_USAGE, &json, &rc);
	free(args);
	if (c == NULL)
		return rc;
	progress = !json && isatty(STDERR_FILENO);
	if (progress)
		fire_set_progress(send_progress, NULL);
	rc = fire_send(ctx->db, ctx->cfg, c, again, now, &r, &cause);
	fire_set_progress(NULL, NULL);
	if (progress && rc == 0 && r.matched >= 500)
		termtext_progress(stderr, "campaign send: members", r.matched,
		                  0, 1);
	if (rc == -1) {
		cli_error("%s", cause);
		free(cause);
		rc = EXIT_FAIL;
	} else if (json)
		cli_json(fire_result_json(&r, c));
	else
		send_text(&r, c);
	campaign_free(c);
	return rc;
}

static int
campaign_state_cmd(struct ctx *ctx, int argc, char **argv, const char *state,
                   const char *usage)
{
	int json, rc = EXIT_OK;
	struct campaign *c = name_arg(ctx, argc, argv, usage, &json, &rc);
	char *cause = NULL;

	if (c == NULL)
		return rc;
	if (campaign_set_state(ctx->db, c, state, time(NULL), &cause) == -1) {
		cli_error("%s", cause);
		free(cause);
		rc = EXIT_FAIL;
	} else if (json)
		cli_json(campaign_to_json(c));
	else
		printf("campaign %s is %s\n", c->name, c->state);
	campaign_free(c);
	return rc;
}

static int
campaign_pause_cmd(struct ctx *ctx, int argc, char **argv)
{
	return campaign_state_cmd(ctx, argc, argv, "paused",
	                          "campaign pause NAME [--json]");
}

static int
campaign_resume_cmd(struct ctx *ctx, int argc, char **argv)
{
	return campaign_state_cmd(ctx, argc, argv, "active",
	                          "campaign resume NAME [--json]");
}

static int
campaign_delete_cmd(struct ctx *ctx, int argc, char **argv)
{
	int json, rc = EXIT_OK;
	struct campaign *c = name_arg(
	    ctx, argc, argv, "campaign delete NAME [--json]", &json, &rc);
	char *cause = NULL;

	if (c == NULL)
		return rc;
	if (campaign_delete(ctx->db, c, &cause) == -1) {
		cli_error("%s", cause);
		free(cause);
		rc = EXIT_FAIL;
	} else if (json)
		cli_json(json_pack("{s:s}", "deleted", c->name));
	else
		printf("deleted campaign %s\n", c->name);
	campaign_free(c);
	return rc;
}

int
cmd_campaign(struct ctx *ctx, int argc, char **argv)
{
	static const struct cmd cmds[] = {
	    {"add", campaign_add_cmd, CAMPAIGN_ADD_USAGE},
	    {"list", campaign_list_cmd, "campaign list [--json]"},
	    {"show", campaign_show_cmd, "campaign show NAME [--json]"},
	    {"preview", campaign_preview_cmd, CAMPAIGN_PREVIEW_USAGE},
	    {"send", campaign_send_cmd, SEND_USAGE},
	    {"pause", campaign_pause_cmd, "campaign pause NAME [--json]"},
	    {"resume", campaign_resume_cmd, "campaign resume NAME [--json]"},
	    {"delete", campaign_delete_cmd, "campaign delete NAME [--json]"},
	    {NULL, NULL, NULL}};

	return cli_dispatch(ctx, "campaign", cmds, argc, argv);
}
