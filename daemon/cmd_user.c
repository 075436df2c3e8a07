/* ppgd user add|list|show|edit|disable|enable|unlock|reset-password|
 * reset-totp: staff accounts of the web admin (the same actions as its
 * users pages). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "cli.h"
#include "termtext.h"
#include "user.h"
#include "xmalloc.h"

#define USER_ADD_USAGE                                                         \
	"user add EMAIL --name NAME --role admin|manager|lead|viewer"          \
	" [--practice CODE ...] [--json]"
#define USER_LIST_USAGE    "user list [--json]"
#define USER_DISABLE_USAGE "user disable EMAIL|ID [--json]"
#define USER_RESET_USAGE   "user reset-password EMAIL|ID [--json]"
#define USER_SHOW_USAGE    "user show EMAIL|ID [--json]"
#define USER_EDIT_USAGE                                                        \
	"user edit EMAIL|ID [--role admin|manager|lead|viewer]"                \
	" [--practice CODE ...] [--json]"
#define USER_ENABLE_USAGE "user enable EMAIL|ID [--json]"
#define USER_UNLOCK_USAGE "user unlock EMAIL|ID [--json]"
#define USER_2FA_USAGE    "user reset-totp EMAIL|ID [--json]"

static int
fail(char *cause)
{
	cli_error("%s", cause);
	free(cause);
	return EXIT_FAIL;
}

static int
user_add_cmd(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"name", required_argument, NULL, 'n'},
	    {"role", required_argument, NULL, 'r'},
	    {"practice", required_argument, NULL, 'p'},
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0}};
	const char *name = NULL, *role = NULL, **practices;
	size_t n = 0;
	char *cause = NULL;
	int ch, json = 0;
	int64_t id;
	struct user *u;

	practices = xcalloc((size_t)argc + 1, sizeof *practices);
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			name = optarg;
			break;
		case 'r':
			role = optarg;
			break;
		case 'p':
			practices[n++] = optarg;
			break;
		case 'j':
			json = 1;
			break;
		default:
			free(practices);
			return cli_usage(USER_ADD_USAGE);
		}
	}
	if (optind != argc - 1) {
		free(practices);
		return cli_usage(USER_ADD_USAGE);
	}
	if (name == NULL || role == NULL) {
		cli_error("user add: --%s is required",
		          name == NULL ? "name" : "role");
		free(practices);
		return EXIT_USAGE;
	}
	if (user_add(cli_db(ctx), argv[optind], name, role, practices, n, &id,
	             &cause) == -1) {
		free(practices);
		return fail(cause);
	}
	free(practices);
	if (json && (u = user_load(ctx->db, id)) != NULL) {
		cli_json(user_to_json(u));
		user_free(u);
	} else
		printf("added user %lld; give them a password link with: ppgd "
		       "user reset-password %s\n",
		       (long long)id, argv[optind]);
	return EXIT_OK;
}

static void
list_text(const json_t *a)
{
	const json_t *u;
	size_t i;

	printf("%-4s %-30s %-8s %-4s %-8s %s\n", "ID", "EMAIL", "ROLE", "2FA",
	       "STATE", "NAME");
	json_array_foreach(a, i, u)
	{
		char *name = termtext_safe(
		    json_string_value(json_object_get(u, "name")), 1);

		printf("%-4lld %-30s %-8s %-4s %-8s %s\n",
		       (long long)json_integer_value(json_object_get(u, "id")),
		       json_string_value(json_object_get(u, "email")),
		       json_string_value(json_object_get(u, "role")),
		       json_is_true(json_object_get(u, "two_factor")) ? "on"
		                                                      : "off",
		       json_is_null(json_object_get(u, "disabled"))
		           ? "active"
		           : "disabled",
		       name);
		free(name);
	}
}

static int
user_list_cmd(struct ctx *ctx, int argc, char **argv)
{
	int json = argc == 2 && strcmp(argv[1], "--json") == 0;

	if (argc != 1 && !json)
		return cli_usage(USER_LIST_USAGE);
	cli_show(user_list_json(cli_db(ctx)), json, list_text);
	return EXIT_OK;
}

/* The user argv[1] names, or NULL after an error. */
static struct user *
user_arg(struct ctx *ctx, const char *s)
{
	struct user *u = user_find(cli_db(ctx), s);

	if (u == NULL)
		cli_error("no user %s", s);
	return u;
}

/* After a change: the user as JSON, or a line saying what was done. */
static void
user_changed(struct ctx *ctx, int64_t id, int json, const char *done)
{
	struct user *u = user_load(ctx->db, id);

	if (json && u != NULL)
		cli_json(user_to_json(u));
	else if (u != NULL)
		printf("%s user %lld (%s)\n", done, (long long)id, u->email);
	user_free(u);
}

static int
user_disable_cmd(struct ctx *ctx, int argc, char **argv)
{
	int json = argc == 3 && strcmp(argv[2], "--json") == 0;
	char *cause = NULL;
	struct user *u;
	int rc;

	if (argc != 2 && !json)
		return cli_usage(USER_DISABLE_USAGE);
	if ((u = user_arg(ctx, argv[1])) == NULL)
		return EXIT_FAIL;
	rc = user_disable(ctx->db, u->id, NULL, &cause);
	if (rc == 0 && json)
		cli_json(json_pack("{sI sb}", "id", (json_int_t)u->id,
		                   "disabled", 1));
	else if (rc == 0)
		printf("disabled user %lld; their sessions are ended\n",
		       (long long)u->id);
	user_free(u);
	return rc == 0 ? EXIT_OK : fail(cause);
}

static int
user_reset_cmd(struct ctx *ctx, int argc, char **argv)
{
	int json = argc == 3 && strcmp(argv[2], "--json") == 0;
	char token[23], *cause = NULL, *base, *link;
	struct user *u;

	if (argc != 2 && !json)
		return cli_usage(USER_RESET_USAGE);
	if ((u = user_arg(ctx, argv[1])) == NULL)
		return EXIT_FAIL;
	if (u->disabled_at != 0) {
		user_free(u);
		return fail(xstrdup("the user is disabled"));
	}
	if (user_reset_link(ctx->db, u->id, time(NULL), token, &cause) == -1) {
		user_free(u);
		return fail(cause);
	}
	base = admin_base_url(ctx->cfg);
	link = xasprintf("%s/reset/%s", base, token);
	if (json)
		cli_json(json_pack("{sI ss si}", "id", (json_int_t)u->id,
		                   "link", link, "expires_in", 86400));
	else
		printf("a one-time link for %s to set a password (valid for 24 "
		       "hours):\n%s\n",
		       u->email, link);
	free(link);
	free(base);
	user_free(u);
	return EXIT_OK;
}

static void
show_text(const json_t *u)
{
	const char *v;
	char *name =
	    termtext_safe(json_string_value(json_object_get(u, "name")), 1);

	printf("user %lld: %s <%s>\nrole: %s\nsecond factor: %s\n",
	       (long long)json_integer_value(json_object_get(u, "id")), name,
	       json_string_value(json_object_get(u, "email")),
	       json_string_value(json_object_get(u, "role")),
	       json_is_true(json_object_get(u, "two_factor")) ? "on" : "off");
	v = json_string_value(json_object_get(u, "last_sign_in"));
	printf("last sign-in: %s\n", v != NULL ? v : "never");
	if ((v = json_string_value(json_object_get(u, "disabled"))) != NULL)
		printf("state: disabled since %s\n", v);
	else if ((v = json_string_value(json_object_get(u, "locked_until"))) !=
	         NULL)
		printf("state: locked until %s after %lld failed sign-ins\n", v,
		       (long long)json_integer_value(
		           json_object_get(u, "failed_sign_ins")));
	else
		printf("state: active\n");
	free(name);
}

static int
user_show_cmd(struct ctx *ctx, int argc, char **argv)
{
	int json = argc == 3 && strcmp(argv[2], "--json") == 0;
	struct user *u;

	if (argc != 2 && !json)
		return cli_usage(USER_SHOW_USAGE);
	if ((u = user_arg(ctx, argv[1])) == NULL)
		return EXIT_FAIL;
	cli_show(user_to_json(u), json, show_text);
	user_free(u);
	return EXIT_OK;
}

static int
user_edit_cmd(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"role", required_argument, NULL, 'r'},
	    {"practice", required_argument, NULL, 'p'},
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0}};
	const char *role = NULL, **practices;
	size_t n = 0;
	char *cause = NULL;
	int ch, json = 0, rc;
	struct user *u;

	practices = xcalloc((size_t)argc + 1, sizeof *practices);
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'r')
			role = optarg;
		else if (ch == 'p')
			practices[n++] = optarg;
		else if (ch == 'j')
			json = 1;
		else {
			free(practices);
			return cli_usage(USER_EDIT_USAGE);
		}
	}
	if (optind != argc - 1 || (role == NULL && n == 0)) {
		free(practices);
		if (optind == argc - 1)
			cli_error("user edit: give --role or --practice");
		return optind == argc - 1 ? EXIT_USAGE
		                          : cli_usage(USER_EDIT_USAGE);
	}
	if ((u = user_arg(ctx, argv[optind])) == NULL) {
		free(practices);
		return EXIT_FAIL;
	}
	rc = user_update(ctx->db, u->id, role, n > 0 ? practices : NULL, n,
	                 &cause);
	free(practices);
	if (rc == 0)
		user_changed(ctx, u->id, json, "changed");
	user_free(u);
	return rc == 0 ? EXIT_OK : fail(cause);
}

/* enable, unlock and reset-totp: one call on one user. */
static int
user_one(struct ctx *ctx, int argc, char **argv, const char *usage,
         int (*fn)(struct db *, int64_t, char **), const char *done)
{
	int json = argc == 3 && strcmp(argv[2], "--json") == 0;
	char *cause = NULL;
	struct user *u;
	int rc;

	if (argc != 2 && !json)
		return cli_usage(usage);
	if ((u = user_arg(ctx, argv[1])) == NULL)
		return EXIT_FAIL;
	rc = fn(ctx->db, u->id, &cause);
	if (rc == 0)
		user_changed(ctx, u->id, json, done);
	user_free(u);
	return rc == 0 ? EXIT_OK : fail(cause);
}

static int
user_enable_cmd(struct ctx *ctx, int argc, char **argv)
{
	return user_one(ctx, argc, argv, USER_ENABLE_USAGE, user_enable,
	                "enabled");
}

static int
user_unlock_cmd(struct ctx *ctx, int argc, char **argv)
{
	return user_one(ctx, argc, argv, USER_UNLOCK_USAGE, user_unlock,
	                "unlocked");
}

static int
user_2fa_cmd(struct ctx *ctx, int argc, char **argv)
{
	return user_one(ctx, argc, argv, USER_2FA_USAGE, user_totp_reset,
	                "turned the second factor off for");
}

int
cmd_user(struct ctx *ctx, int argc, char **argv)
{
	static const struct cmd cmds[] = {
	    {"add", user_add_cmd, USER_ADD_USAGE},
	    {"list", user_list_cmd, USER_LIST_USAGE},
	    {"show", user_show_cmd, USER_SHOW_USAGE},
	    {"edit", user_edit_cmd, USER_EDIT_USAGE},
	    {"disable", user_disable_cmd, USER_DISABLE_USAGE},
	    {"enable", user_enable_cmd, USER_ENABLE_USAGE},
	    {"unlock", user_unlock_cmd, USER_UNLOCK_USAGE},
	    {"reset-password", user_reset_cmd, USER_RESET_USAGE},
	    {"reset-totp", user_2fa_cmd, USER_2FA_USAGE},
	    {NULL, NULL, NULL}};

	return cli_dispatch(ctx, "user", cmds, argc, argv);
}
