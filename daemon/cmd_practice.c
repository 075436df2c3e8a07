/* ppgd practice add|update|list|show (profile: cmd_practice_profile.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "practice.h"
#include "termtext.h"
#include "xmalloc.h"

static const struct option practice_opts[] = {
    {"name", required_argument, NULL, 'n'},
    {"email-from", required_argument, NULL, 'e'},
    {"sms-from", required_argument, NULL, 's'},
    {"phone", required_argument, NULL, 'p'},
    {"website", required_argument, NULL, 'w'},
    {"timezone", required_argument, NULL, 't'},
    {"json", no_argument, NULL, 'j'},
    {NULL, 0, NULL, 0}};

#define PRACTICE_ADD_USAGE                                                     \
	"practice add CODE --name NAME [--email-from ADDR] [--sms-from ID]"    \
	" [--phone N] [--website URL] [--timezone ZONE]"
#define PRACTICE_UPDATE_USAGE                                                  \
	"practice update CODE [--name NAME] [--email-from ADDR] [--sms-from"   \
	" ID] [--phone N] [--website URL] [--timezone ZONE]"

/* Apply options onto p; returns -1 on a usage error. */
static int
practice_parse(int argc, char **argv, struct practice *p, int *json)
{
	int ch;
	char **slot;

	while ((ch = getopt_long(argc, argv, "", practice_opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			slot = &p->name;
			break;
		case 'e':
			slot = &p->email_from;
			break;
		case 's':
			slot = &p->sms_from;
			break;
		case 'p':
			slot = &p->phone;
			break;
		case 'w':
			slot = &p->website;
			break;
		case 't':
			slot = &p->timezone;
			break;
		case 'j':
			*json = 1;
			continue;
		default:
			return -1;
		}
		free(*slot);
		*slot = xstrdup(optarg);
	}
	return optind == argc - 1 ? 0 : -1;
}

static int
practice_add_cmd(struct ctx *ctx, int argc, char **argv)
{
	struct practice *p = xcalloc(1, sizeof *p);
	char *cause = NULL;
	int json = 0, rc = EXIT_OK;

	if (practice_parse(argc, argv, p, &json) == -1) {
		practice_free(p);
		return cli_usage(PRACTICE_ADD_USAGE);
	}
	p->code = xstrdup(argv[optind]);
	if (p->timezone == NULL)
		p->timezone = xstrdup(config_str(ctx->cfg, CFG_TIMEZONE));
	if (practice_add(cli_db(ctx), p, &cause) == -1) {
		cli_error("%s", cause);
		free(cause);
		rc = EXIT_FAIL;
	} else if (json)
		cli_json(practice_to_json(p));
	else
		printf("added practice %s (%s)\n", p->code, p->name);
	practice_free(p);
	return rc;
}

static int
practice_update_cmd(struct ctx *ctx, int argc, char **argv)
{
	struct practice *p;
	char *cause = NULL;
	int json = 0, rc = EXIT_OK;
	const char *code;

	/* Find the code first: options update the stored record. */
	if (argc < 2 || argv[1][0] == '-')
		return cli_usage(PRACTICE_UPDATE_USAGE);
	code = argv[1];
	if ((p = practice_find(cli_db(ctx), code)) == NULL) {
		cli_error("no practice %s", code);
		return EXIT_FAIL;
	}
	if (practice_parse(argc, argv, p, &json) == -1) {
		practice_free(p);
		return cli_usage(PRACTICE_UPDATE_USAGE);
	}
	if (practice_update(ctx->db, p, &cause) == -1) {
		cli_error("%s", cause);
		free(cause);
		rc = EXIT_FAIL;
	} else if (json)
		cli_json(practice_to_json(p));
	else
		printf("updated practice %s\n", p->code);
	practice_free(p);
	return rc;
}

static int
practice_list_cmd(struct ctx *ctx, int argc, char **argv)
{
	json_t *arr, *o;
	size_t i;
	int json = argc == 2 && strcmp(argv[1], "--json") == 0;

	if (argc != 1 && !json)
		return cli_usage("practice list [--json]");
	arr = practice_list_json(cli_db(ctx));
	if (json) {
		cli_json(arr);
		return EXIT_OK;
	}
	printf("%-10s %7s  %s\n", "CODE", "MEMBERS", "NAME");
	json_array_foreach(arr, i, o)
	{
		printf("%-10s %7lld  ",
		       json_string_value(json_object_get(o, "code")),
		       (long long)json_integer_value(
		           json_object_get(o, "members")));
		termtext_cell(stdout,
		              json_string_value(json_object_get(o, "name")), 60,
		              1);
		putchar('\n');
	}
	json_decref(arr);
	return EXIT_OK;
}

static int
practice_show_cmd(struct ctx *ctx, int argc, char **argv)
{
	struct practice *p;
	int json = argc == 3 && strcmp(argv[2], "--json") == 0;

	if (argc != 2 && !json)
		return cli_usage("practice show CODE [--json]");
	if ((p = practice_find(cli_db(ctx), argv[1])) == NULL) {
		cli_error("no practice %s", argv[1]);
		return EXIT_FAIL;
	}
	if (json)
		cli_json(practice_to_json(p));
	else
		printf("code:       %s\nname:       %s\nemail from: %s\n"
		       "sms from:   %s\nphone:      %s\nwebsite:    %s\n"
		       "time zone:  %s\n",
		       p->code, p->name, p->email_from, p->sms_from, p->phone,
		       p->website, p->timezone);
	practice_free(p);
	return EXIT_OK;
}

int
cmd_practice(struct ctx *ctx, int argc, char **argv)
{
	static const struct cmd cmds[] = {
	    {"add", practice_add_cmd, PRACTICE_ADD_USAGE},
	    {"update", practice_update_cmd, PRACTICE_UPDATE_USAGE},
	    {"list", practice_list_cmd, "practice list [--json]"},
	    {"show", practice_show_cmd, "practice show CODE [--json]"},
	    {"profile", cmd_practice_profile, PRACTICE_PROFILE_USAGE},
	    {NULL, NULL, NULL}};

	return cli_dispatch(ctx, "practice", cmds, argc, argv);
}
