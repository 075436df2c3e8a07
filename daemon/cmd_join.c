/* ppgd member pending|approve|reject: the practice decides on join requests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "join.h"
#include "xmalloc.h"

#define PENDING_USAGE                                                          \
	"member pending [--practice CODE] [--state STATE] [--json]"
#define APPROVE_USAGE "member approve ID [--external-ref REF] [--json]"
#define REJECT_USAGE  "member reject ID --reason TEXT [--no-notify] [--json]"

static int64_t
join_id(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	return (*s == '\0' || *end != '\0' || v <= 0) ? 0 : v;
}

static const char *
str_or(const json_t *o, const char *k, const char *dflt)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v != NULL ? v : dflt;
}

static void
pending_text(const json_t *a)
{
	const json_t *r, *d;
	size_t i;

	if (json_array_size(a) == 0) {
		printf("no join requests waiting\n");
		return;
	}
	printf("%-5s %-8s %-6s %-14s %-28s %-14s %s\n", "ID", "PRACTICE", "VIA",
	       "SOURCE", "NAME", "MOBILE", "EMAIL");
	json_array_foreach(a, i, r)
	{
		d = json_object_get(r, "details");
		char *name = xasprintf("%s %s", str_or(d, "first_name", ""),
		                       str_or(d, "last_name", ""));
		printf("%-5lld %-8s %-6s %-14s %-28s %-14s %s\n",
		       (long long)json_integer_value(json_object_get(r, "id")),
		       str_or(r, "practice", ""), str_or(r, "via", ""),
		       str_or(r, "source", ""), name,
		       json_is_string(json_object_get(r, "mobile_confirmed"))
		           ? str_or(r, "mobile", "-")
		           : "-",
		       json_is_string(json_object_get(r, "email_confirmed"))
		           ? str_or(r, "email", "-")
		           : "-");
		free(name);
	}
}

int
cmd_member_pending(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"practice", required_argument, NULL, 'p'},
	    {"state", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0}};
	static const char *const states[] = {"unconfirmed", "pending",
	                                     "approved", "rejected", "expired"};
	const char *practice = NULL, *state = "pending";
	int ch, json = 0, ok = 0;
	size_t i;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'p')
			practice = optarg;
		else if (ch == 's')
			state = optarg;
		else if (ch == 'j')
			json = 1;
		else
			return cli_usage(PENDING_USAGE);
	}
	for (i = 0; i < sizeof states / sizeof states[0]; i++)
		ok |= strcmp(state, states[i]) == 0;
	if (!ok || optind != argc)
		return cli_usage(PENDING_USAGE);
	cli_show(join_list(cli_db(ctx), practice, state), json, pending_text);
	return EXIT_OK;
}

/* ID and options of approve/reject. */
static int
decision_args(int argc, char **argv, int64_t *id, const char **ref,
              const char **reason, int *notify, int *json)
{
	static const struct option opts[] = {
	    {"external-ref", required_argument, NULL, 'e'},
	    {"reason", required_argument, NULL, 'r'},
	    {"no-notify", no_argument, NULL, 'n'},
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0}};
	int ch;

	*id = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'e' && ref != NULL)
			*ref = optarg;
		else if (ch == 'r' && reason != NULL)
			*reason = optarg;
		else if (ch == 'n' && notify != NULL)
			*notify = 0;
		else if (ch == 'j')
			*json = 1;
		else
			return -1;
	}
	if (optind != argc - 1 || (*id = join_id(argv[optind])) == 0)
		return -1;
	return 0;
}

int
cmd_member_approve(struct ctx *ctx, int argc, char **argv)
{
	const char *ref = NULL;
	int64_t id, member = 0;
	char *cause = NULL;
	int json = 0;

	if (decision_args(argc, argv, &id, &ref, NULL, NULL, &json) == -1)
		return cli_usage(APPROVE_USAGE);
	if (join_approve(cli_db(ctx), ctx->cfg, id, ref, ctx->actor, &member,
	                 &cause) == -1) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	if (json)
		cli_json(json_pack("{s:I, s:s, s:I}", "request", (json_int_t)id,
		                   "state", "approved", "member_id",
		                   (json_int_t)member));
	else
		printf("approved join request %lld: member %lld (welcome "
		       "queued)\n",
		       (long long)id, (long long)member);
	return EXIT_OK;
}

int
cmd_member_reject(struct ctx *ctx, int argc, char **argv)
{
	const char *reason = NULL;
	int64_t id;
	char *cause = NULL;
	int json = 0, notify = 1;

	if (decision_args(argc, argv, &id, NULL, &reason, &notify, &json) ==
	        -1 ||
	    reason == NULL)
		return cli_usage(REJECT_USAGE);
	if (join_reject(cli_db(ctx), notify ? ctx->cfg : NULL, id, reason,
	                ctx->actor, &cause) == -1) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	if (json)
		cli_json(json_pack("{s:I, s:s, s:b}", "request", (json_int_t)id,
		                   "state", "rejected", "notified", notify));
	else
		printf("rejected join request %lld%s\n", (long long)id,
		       notify ? " (the person is told, if they confirmed an "
		                "address)"
		              : "");
	return EXIT_OK;
}
